"""Timeline rows: the one place an IncidentEvent is written and handed to the publisher."""

from datetime import date, datetime
from decimal import Decimal

from django.db.models import Model

from incidentdesk import realtime
from incidents.models import Incident, IncidentEvent


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
    event = IncidentEvent.objects.create(
        incident=incident, kind=kind, actor=actor, data=data or {}, rationale=rationale
    )
    realtime.publish(event_message(event), incident_id=incident.pk)
    return event


def event_message(event: IncidentEvent) -> dict:
    """What live clients receive; the same shape as the events API."""
    incident = event.incident
    return {
        "id": event.pk,
        "incident_id": incident.pk,
        "reference": incident.reference,
        "kind": event.kind,
        "at": event.at.isoformat(),
        "actor": event.actor.get_username() if event.actor else None,
        "data": event.data,
        "rationale": event.rationale,
        "incident": {
            "status": incident.status,
            "priority": incident.priority.code,
            "version": incident.version,
        },
    }
