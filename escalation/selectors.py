"""Reads the pages, the API and the board share, each in a fixed number of queries."""

from collections.abc import Iterable

from django.contrib.auth.models import Group
from django.db.models import QuerySet

from escalation.models import Escalation, EscalationEvent, Level


def alert_row(event: EscalationEvent) -> dict:
    """One open alert as the board, the banner and the API show it."""
    incident = event.incident
    return {
        "id": event.pk,
        "incident_id": incident.pk,
        "reference": incident.reference,
        "summary": incident.summary,
        "priority": incident.priority.code,
        "level": event.level,
        "level_label": Level(event.level).label,
        "step": event.step_name,
        "trigger": event.trigger,
        "action": event.action,
        "repetition": event.repetition,
        "fired_at": event.fired_at.isoformat(),
        "needs_ack": event.awaiting_ack,
    }


def _waiting() -> QuerySet[EscalationEvent]:
    return EscalationEvent.objects.filter(awaiting_ack=True).select_related("incident__priority")


def unacknowledged_escalations() -> QuerySet[EscalationEvent]:
    """Every escalation waiting for a supervisor, oldest first (one query)."""
    return _waiting().order_by("fired_at", "pk")


def open_alerts(incident_ids: Iterable[int]) -> dict[int, list[dict]]:
    """For board rows: each incident's alerts waiting for acknowledgement (one query).
    `incident_ids` may be a queryset of ids (the board's filter, as a subquery)."""
    alerts: dict[int, list[dict]] = {}
    for event in _waiting().filter(incident_id__in=incident_ids).order_by("fired_at"):
        alerts.setdefault(event.incident_id, []).append(alert_row(event))
    return alerts


def escalation_of(incident) -> Escalation | None:
    return Escalation.objects.filter(incident=incident).first()


def escalation_history(incident) -> QuerySet[EscalationEvent]:
    return incident.escalation_events.select_related("acknowledged_by", "actor").order_by(
        "fired_at", "pk"
    )


# Groups that are roles or rungs of the hierarchy, not specialist teams.
NOT_TEAMS = frozenset({"Agent", "Supervisor", "Admin", *(level.label for level in Level)})


def specialist_teams() -> list[str]:
    """The specialist teams a case can be handed to: every auth group that is not a role or
    a level of the hierarchy (admins add a team as a group and put its people in it)."""
    return sorted(Group.objects.exclude(name__in=NOT_TEAMS).values_list("name", flat=True))
