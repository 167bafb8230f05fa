"""How an escalation reaches people: the one place to route notifications.

In-app always: the firing is a timeline event, which the board receives live. Email, when
the step asks for it, goes out from a Celery task after commit through Django's email
backend, through the dispatch email adapter (messaging.adapters.send_email). Users have no
phone or pager numbers on record, so those channels are for resources, not for people
notified here.
"""

import logging

from celery import current_app
from django.contrib.auth import get_user_model
from django.db import transaction

from escalation.models import Channel, EscalationEvent
from messaging import adapters

logger = logging.getLogger(__name__)

EMAIL_TASK = "escalation.send_escalation_email"


def notify(*, event: EscalationEvent) -> None:
    """Called by the firing service inside its transaction."""
    if event.channel == Channel.EMAIL:
        # robust: a broker blip after commit is logged, never raised into the request.
        transaction.on_commit(
            lambda: current_app.send_task(EMAIL_TASK, args=[event.pk]), robust=True
        )


def recipient_emails(recipients: dict) -> list[str]:
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    wanted = users.none()
    if recipients.get("group"):
        wanted |= users.filter(groups__name=recipients["group"])
    if recipients.get("user_id"):
        wanted |= users.filter(pk=recipients["user_id"])
    return sorted(set(wanted.values_list("email", flat=True)))


def send_email(*, event_id: int) -> int:
    """Send one escalation's email; returns how many addresses it went to."""
    event = EscalationEvent.objects.select_related("incident__priority").get(pk=event_id)
    to = recipient_emails(event.recipients)
    if not to:
        logger.warning("Escalation %s: nobody to email in %s", event.pk, event.recipients)
        return 0
    incident = event.incident
    subject = f"[{incident.priority.code}] {incident.reference} escalated: {event.step_name}"
    body = "\n".join(
        [
            f"{incident.reference} {incident.summary}",
            f"Location: {incident.location}",
            f"Escalation: {event.step_name} ({event.get_action_display()}), "
            f"level {event.get_level_display()}, repeat {event.repetition}",
            "Acknowledge it on the escalations page." if event.requires_ack else "",
        ]
    )
    adapters.send_email(to=to, subject=subject, body=body)
    return len(to)
