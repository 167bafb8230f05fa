"""Thin Celery entry points: the beat-driven sweep (escalation emails go through the
outbox's messaging.deliver)."""

from celery import shared_task

from escalation import services


@shared_task(name="escalation.sweep")
def sweep() -> int:
    # Redelivery (acks_late) or a second beat is harmless: the sweep fires each step once.
    return services.sweep()
