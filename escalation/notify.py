"""How an escalation reaches people: the one place to route notifications.

In-app always: the firing is a timeline event, which the board receives live. Email, when
the step asks for it, is one outbox message per person (messaging.services.enqueue),
written in the firing's transaction and sent by a worker; the firing points to its
messages. Users have no phone or pager numbers on record, so those channels are for
resources, not for people notified here.
"""

import logging

from django.contrib.auth import get_user_model

from escalation.models import Channel, EscalationEvent
from messaging import services as messaging
from messaging.channels import Channel as MessageChannel
from messaging.models import MessageKind

logger = logging.getLogger(__name__)


def notify(*, event: EscalationEvent) -> None:
    """Called by the firing service inside its transaction."""
    if event.channel == Channel.EMAIL:
        queue_email(event=event)


def recipient_emails(recipients: dict) -> list[tuple[str, str]]:
    """(username, email) of everyone the recipients name, by email."""
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    wanted = users.none()
    if recipients.get("group"):
        wanted |= users.filter(groups__name=recipients["group"])
    if recipients.get("user_id"):
        wanted |= users.filter(pk=recipients["user_id"])
    return sorted(set(wanted.values_list("email", "username")))


def queue_email(*, event: EscalationEvent) -> int:
    """One email per recipient into the outbox; returns how many addresses it goes to."""
    people = recipient_emails(event.recipients)
    if not people:
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
    for email, username in people:
        message = messaging.enqueue(
            kind=MessageKind.ESCALATION,
            incident=incident,
            channel=MessageChannel.EMAIL,
            address=email,
            recipient=username,
            subject=subject,
            body=body,
            at=event.fired_at,
        )
        event.messages.add(message)
    return len(people)
