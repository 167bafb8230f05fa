"""Timeline rows: the one place an IncidentEvent is written (and announced as `event_recorded`)."""

from datetime import date, datetime
from decimal import Decimal

from django.db import connection
from django.db.models import Max, Model

from core import hooks
from incidents import contact, timeline
from incidents.models import Incident, IncidentEvent

# Any constant: the key of the PostgreSQL advisory lock that orders the timeline.
TIMELINE_LOCK = 0x1D_E7E47


def jsonable(value):
    """Turn a field value into something JSON can hold, for the event's data."""
    if isinstance(value, Model):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def record(
    *, incident: Incident, kind: str, actor=None, data: dict | None = None, rationale: str = ""
) -> IncidentEvent:
    # An unknown kind or data of the wrong shape fails here, loudly, before anything is written.
    data = timeline.validate(kind, data or {})
    previous_id = _take_timeline_lock()
    event = IncidentEvent.objects.create(
        incident=incident, kind=kind, actor=actor, data=data, rationale=rationale
    )
    hooks.emit("event_recorded", event=event, prev_id=previous_id)
    return event


def _take_timeline_lock() -> int:
    """Serialise timeline inserts until commit, so event ids become visible in id order.

    Ids are handed out at insert but transactions commit in any order: without this, event
    104 could commit after 105 and a board resuming "after 105" would never see it. Under
    the lock, the transaction that inserted 104 has committed before 105 can be inserted.
    SQLite needs no lock: it runs one write transaction at a time. The lock is held to the
    end of the transaction, so take it after the transaction's row locks (record last).

    Returns the id of the event committed just before this one (0 if none): live clients
    chain events by it and so notice a message the channel layer dropped.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TIMELINE_LOCK])
    return last_event_id()


def last_event_id() -> int:
    """The newest event committed (0 if none): where a board's cursor starts."""
    return IncidentEvent.objects.aggregate(last=Max("id"))["last"] or 0


def event_message(event: IncidentEvent, *, caller_visible: bool) -> dict:
    """What live clients receive; the same shape as the events API. Without caller_visible
    the caller's contact details are hidden in data, text and rationale (the board always;
    the events API for a user who may not see them: incidents.contact)."""
    incident = event.incident
    return {
        "id": event.pk,
        "incident_id": incident.pk,
        "reference": incident.reference,
        "kind": event.kind,
        "at": event.at.isoformat(),
        "actor": event.actor.get_username() if event.actor else None,
        "data": contact.event_data(event, visible=caller_visible),
        "text": contact.event_text(event, visible=caller_visible),
        "rationale": contact.rationale(event, visible=caller_visible),
        "incident": {
            "status": incident.status,
            "priority": incident.priority.code,
            "version": incident.version,
        },
    }
