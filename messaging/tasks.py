"""Thin Celery entry points: deliver one message, sweep the outbox."""

from celery import shared_task

from messaging import services


@shared_task(
    name=services.DELIVER_TASK,
    acks_late=True,  # a redelivery is harmless: deliver claims the message first
    ignore_result=True,
)
def deliver(message_id: int) -> str:
    # No Celery retry here: a failed attempt sets next_attempt_at and the sweep retries it.
    return services.deliver(message_id)


@shared_task(name="messaging.sweep_outbox", ignore_result=True)
def sweep_outbox() -> int:
    # Two sweeps at once (a redelivery, a second beat) hand out disjoint messages.
    return services.sweep()
