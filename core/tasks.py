from celery import shared_task

from core import idempotency


@shared_task(name="core.purge_expired_idempotency_keys")
def purge_expired_idempotency_keys() -> int:
    return idempotency.purge_expired()
