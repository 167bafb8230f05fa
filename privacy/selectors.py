"""Finding a person's records and gathering them for a subject-access export (UK GDPR art. 15).

A person is named by a phone number or an email address (what a caller can prove is
theirs). Their incidents are those whose caller gave that number or address; everything
else follows from those incidents: the timeline, the customer-care record (updates,
resolution, closure, satisfaction and survey links), and every outbound message about
them. Nothing is taken from another incident — not a parent incident a call was linked to,
nor another call linked to the same parent — and no staff member's name or address is
exported (third parties): actors read "staff" or "system", a message to a resource or a
member of staff keeps its body (it is about the caller's incident) but not its address.
"""

import re
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from customer_care.models import (
    Closure,
    CustomerUpdate,
    Resolution,
    Satisfaction,
    SatisfactionLink,
)
from incidents import timeline
from incidents.models import Incident
from messaging.models import Message


@dataclass(frozen=True)
class Subject:
    """Who a request is about: a phone number, an email address, or both."""

    phone: str = ""
    email: str = ""

    def __post_init__(self):
        object.__setattr__(self, "phone", self.phone.strip())
        object.__setattr__(self, "email", self.email.strip())
        if not (phone_digits(self.phone) or self.email):
            raise ValueError("Name the person by a phone number or an email address.")

    def __str__(self):
        return " / ".join(value for value in (self.phone, self.email) if value)


def phone_digits(phone: str) -> str:
    """A number as digits only, the UK country code read as the trunk 0: "+44 7700 900123",
    "07700-900123" and "(07700) 900 123" are one number."""
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("44"):
        digits = "0" + digits[2:]
    return digits


def incidents_of(subject: Subject) -> QuerySet[Incident]:
    """The incidents whose caller gave the subject's number or address."""
    condition = Q(pk__in=[])
    if subject.email:
        condition |= Q(caller_email__iexact=subject.email)
    digits = phone_digits(subject.phone)
    if digits:
        # The database narrows by the last digits (formats differ); the match is exact.
        candidates = Incident.objects.filter(caller_phone__contains=digits[-4:])
        same = [
            i.pk
            for i in candidates.only("pk", "caller_phone")
            if phone_digits(i.caller_phone) == digits
        ]
        condition |= Q(pk__in=same)
    return Incident.objects.filter(condition).select_related("category", "priority", "parent")


def messages_of(subject: Subject, incident_ids) -> QuerySet[Message]:
    """Messages about the subject's incidents, and any sent to their address."""
    condition = Q(incident_id__in=incident_ids)
    if subject.email:
        condition |= Q(address__iexact=subject.email)
    return Message.objects.filter(condition).order_by("pk")


def _addresses(subject: Subject, incidents) -> set[str]:
    """The person's addresses as messages hold them: what they asked with, and what their
    incidents record (asked by phone, their email is theirs too). Phones as digits."""
    found = {subject.email.lower(), phone_digits(subject.phone)}
    for incident in incidents:
        found |= {incident.caller_email.lower(), phone_digits(incident.caller_phone)}
    return found - {""}


def _to_subject(message: Message, addresses: set[str]) -> bool:
    address = (message.address or "").strip()
    return address.lower() in addresses or phone_digits(address) in addresses


def _when(value):
    return value.isoformat() if value else None


def _actor(user_id) -> str:
    return "staff" if user_id else "system"


def export(subject: Subject) -> dict:
    """Everything held about the subject, as JSON-ready data (the PDF reads the same)."""
    incidents = list(incidents_of(subject).order_by("received_at", "pk"))
    ids = [incident.pk for incident in incidents]
    addresses = _addresses(subject, incidents)
    return {
        "subject": {"phone": subject.phone, "email": subject.email},
        "generated_at": timezone.now().isoformat(),
        "incidents": [_incident(incident) for incident in incidents],
        "messages": [_message(m, addresses) for m in messages_of(subject, ids)],
    }


def _incident(incident: Incident) -> dict:
    return {
        "reference": incident.reference,
        "record_type": incident.get_record_type_display(),
        "contact_channel": incident.get_contact_channel_display(),
        "received_at": _when(incident.received_at),
        "caller_name": incident.caller_name,
        "caller_phone": incident.caller_phone,
        "caller_email": incident.caller_email,
        "location": incident.location,
        "category": incident.category.name,
        "summary": incident.summary,
        "description": incident.description,
        "priority": incident.priority.code,
        "status": incident.get_status_display(),
        "linked_to": incident.parent.reference if incident.parent_id else None,
        "logged_at": _when(incident.created_at),
        "events": [
            {
                "id": event.pk,
                "kind": event.kind,
                "at": _when(event.at),
                "by": _actor(event.actor_id),
                "text": timeline.render(event),
                "data": event.data,
                "rationale": event.rationale,
            }
            for event in incident.events.order_by("id")
        ],
        "customer_updates": [
            {
                "given_at": _when(u.given_at),
                "channel": u.get_channel_display(),
                "message": u.message,
                "sent_to": u.recipient,
                "delivery": u.get_delivery_status_display(),
            }
            for u in CustomerUpdate.objects.filter(incident=incident).order_by("given_at", "pk")
        ],
        "resolutions": [
            {"resolved_at": _when(r.resolved_at), "code": r.get_code_display(), "notes": r.notes}
            for r in Resolution.objects.filter(incident=incident).order_by("resolved_at", "pk")
        ],
        "closures": [
            {
                "closed_at": _when(c.closed_at),
                "method": c.get_method_display(),
                "confirmed_by": c.confirmed_by,
                "confirmed_at": _when(c.confirmed_at),
            }
            for c in Closure.objects.filter(incident=incident).order_by("closed_at", "pk")
        ],
        "surveys": [
            {"at": _when(s.at), "score": s.score, "comment": s.comment, "source": s.source}
            for s in Satisfaction.objects.filter(incident=incident).order_by("at", "pk")
        ],
        "survey_links": [
            {
                "sent_to": link.sent_to,
                "sent_at": _when(link.sent_at),
                "used_at": _when(link.used_at),
            }
            for link in SatisfactionLink.objects.filter(incident=incident).order_by("pk")
        ],
    }


def _message(message: Message, addresses: set[str]) -> dict:
    to_subject = _to_subject(message, addresses)
    return {
        "id": message.pk,
        "kind": message.get_kind_display(),
        "incident": message.incident.reference if message.incident_id else None,
        "channel": message.get_channel_display(),
        # To a resource or a member of staff: whose address it was is theirs, not the caller's.
        "to": message.address if to_subject else "someone else (a resource or staff)",
        "subject": message.subject,
        "body": message.body,
        "status": message.get_status_display(),
        "created_at": _when(message.created_at),
    }
