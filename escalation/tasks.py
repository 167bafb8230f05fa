"""Thin Celery entry points: the beat-driven sweep and the escalation email."""

from smtplib import SMTPException

from celery import shared_task

from escalation import notify, services


@shared_task(name="escalation.sweep")
def sweep() -> int:
    # Redelivery (acks_late) or a second beat is harmless: the sweep fires each step once.
    return services.sweep()


@shared_task(
    name=notify.EMAIL_TASK,
    autoretry_for=(SMTPException, OSError),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=5,
)
def send_escalation_email(event_id: int) -> int:
    return notify.send_email(event_id=event_id)
