"""Reads the pages, the API and the board share, each in a fixed number of queries."""

from collections import defaultdict
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.urls import reverse

from escalation.models import Escalation, EscalationEvent, Level
from incidents import roles


def told(recipients: dict, *, people: dict[int, str] | None = None) -> list[str]:
    """Who a firing went to, as the board names them: the group, and the person by name
    when `people` (user id → name) knows them."""
    names = [recipients["group"]] if recipients.get("group") else []
    user_id = recipients.get("user_id")
    if user_id:
        names.append((people or {}).get(user_id, "a named person"))
    return names


def alert_row(
    event: EscalationEvent,
    *,
    first_fired_at=None,
    firings: int = 1,
    people: dict[int, str] | None = None,
) -> dict:
    """One open alert as the board, the banner and the API show it. `firings` counts how
    often this alert has gone out without an acknowledgement (1: the first time, 3: the
    second reminder) since `first_fired_at`; open_alerts works both out."""
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
        "first_fired_at": (first_fired_at or event.fired_at).isoformat(),
        "firings": firings,
        "told": told(event.recipients, people=people),
        "needs_ack": event.awaiting_ack,
        # Acknowledging is per incident: it stops every waiting alert of the incident.
        "ack_url": reverse("api-acknowledge-escalation", args=[incident.pk]),
    }


def _waiting() -> QuerySet[EscalationEvent]:
    return EscalationEvent.objects.filter(awaiting_ack=True).select_related("incident__priority")


def unacknowledged_escalations() -> QuerySet[EscalationEvent]:
    """Every escalation waiting for a supervisor, oldest first (one query)."""
    return _waiting().order_by("fired_at", "pk")


def _chains(history: list[EscalationEvent]) -> dict[int, tuple]:
    """For each waiting firing: (first fired at, firings) of the run of unanswered firings of
    its step that it ends. A repeat or a new firing of a step takes the place of the one
    before (services._replace_on_the_list), so the run is every firing of the step since
    the last one that was acknowledged or closed. (Manual escalations share one step id: two
    waiting at once count from the oldest unanswered one.)"""
    runs: dict[tuple, list[EscalationEvent]] = defaultdict(list)
    answer = {}
    for event in history:  # in firing order
        run = runs[(event.incident_id, event.step_id)]
        run.append(event)
        if event.awaiting_ack:
            answer[event.pk] = (run[0].fired_at, len(run))
        elif event.acknowledged_at or event.closed_at:
            run.clear()
    return answer


def open_alerts(incident_ids: Iterable[int]) -> dict[int, list[dict]]:
    """For board rows: each incident's alerts waiting for acknowledgement, oldest first,
    each with its run of reminders and who was told (one query, plus one for the names of
    the people told when a step names a person). `incident_ids` may be a queryset of ids
    (the board's filter, as a subquery)."""
    waiting_incidents = _waiting().filter(incident_id__in=incident_ids).values("incident_id")
    history = list(
        EscalationEvent.objects.filter(incident_id__in=waiting_incidents, requires_ack=True)
        .select_related("incident__priority")
        .order_by("fired_at", "pk")
    )
    chains = _chains(history)
    user_ids = {e.recipients.get("user_id") for e in history if e.pk in chains} - {None}
    people = {
        user.pk: user.get_full_name() or user.get_username()
        for user in (get_user_model().objects.filter(pk__in=user_ids) if user_ids else [])
    }
    alerts: dict[int, list[dict]] = {}
    for event in history:
        if event.pk in chains:
            first, firings = chains[event.pk]
            alerts.setdefault(event.incident_id, []).append(
                alert_row(event, first_fired_at=first, firings=firings, people=people)
            )
    return alerts


def escalation_of(incident) -> Escalation | None:
    return Escalation.objects.filter(incident=incident).first()


def escalation_history(incident) -> QuerySet[EscalationEvent]:
    return incident.escalation_events.select_related("acknowledged_by", "actor").order_by(
        "fired_at", "pk"
    )


# Groups that are roles or rungs of the hierarchy, not specialist teams.
NOT_TEAMS = frozenset(
    {
        "Agent",
        "Supervisor",
        "Admin",
        roles.KIOSK_GROUP,
        roles.DPO_GROUP,
        *(level.label for level in Level),
    }
)


def specialist_teams() -> list[str]:
    """The specialist teams a case can be handed to: every auth group that is not a role or
    a level of the hierarchy (admins add a team as a group and put its people in it)."""
    return sorted(Group.objects.exclude(name__in=NOT_TEAMS).values_list("name", flat=True))
