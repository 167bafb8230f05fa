from celery import shared_task

from incidentdesk import health


@shared_task(name="incidentdesk.beat_heartbeat", ignore_result=True)
def beat_heartbeat() -> None:
    # Routed to the escalation queue (settings): it proves beat, broker and sweepers alive.
    health.record_heartbeat()
