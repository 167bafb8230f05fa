"""Reads shared by the pages, the API and the services, with their query counts bounded."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from difflib import SequenceMatcher

from django.conf import settings
from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection
from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery, prefetch_related_objects
from django.utils import timezone

from core import phones
from core.errors import Invalid
from core.text import has_control_characters
from incidents.errors import MatrixIncomplete
from incidents.lifecycle import CLOSED_STATUSES
from incidents.models import (
    Category,
    ImpactLevel,
    Incident,
    IncidentEvent,
    MatrixCell,
    Priority,
    PriorityMatrix,
    SlaTimer,
    TimerKind,
    UrgencyLevel,
    pk_from_reference,
)


def current_matrix() -> PriorityMatrix | None:
    return PriorityMatrix.objects.order_by("pk").first()


def matrix_cell(*, impact: ImpactLevel, urgency: UrgencyLevel) -> tuple[MatrixCell, PriorityMatrix]:
    """The cell of the current matrix for this impact and urgency (one query)."""
    current = PriorityMatrix.objects.order_by("pk").values("pk")[:1]
    cell = (
        MatrixCell.objects.select_related("priority", "matrix")
        .filter(matrix=Subquery(current), impact=impact, urgency=urgency)
        .first()
    )
    if cell is None:
        raise MatrixIncomplete(
            f"The priority matrix has no cell for impact “{impact.name}” × urgency "
            f"“{urgency.name}”. Ask an admin to complete the matrix."
        )
    return cell, cell.matrix


def matrix_grid() -> dict:
    """Levels, priorities and every cell of the current matrix, for the API and the pages."""
    matrix = current_matrix()
    cells = MatrixCell.objects.filter(matrix=matrix).select_related("priority")
    return {
        "matrix": matrix,
        "impacts": list(ImpactLevel.objects.all()),
        "urgencies": list(UrgencyLevel.objects.all()),
        "priorities": list(Priority.objects.all()),
        "cells": {(c.impact_id, c.urgency_id): c.priority for c in cells},
    }


def incidents_for_list() -> QuerySet[Incident]:
    """Incidents with everything a list row shows, in a fixed number of queries.

    The optional relations (parent, escalation) are prefetched, not joined: with them the
    query joins eight tables, and PostgreSQL spent longer planning it than the prefetches
    take (the whole create answer and the list page waited on it)."""
    return Incident.objects.select_related(
        "category", "priority", "impact", "urgency", "created_by"
    ).prefetch_related(
        "parent",
        "escalation",
        Prefetch("timers", queryset=SlaTimer.objects.order_by("due_at")),
    )


def open_incidents() -> QuerySet[Incident]:
    return incidents_for_list().exclude(status__in=CLOSED_STATUSES)


def incidents_for_page(*, open_only: bool) -> QuerySet[Incident]:
    """What the agents' list page shows (templates/incidents/list.html): priority, category
    and the clocks — not the API's levels, creator, parent and escalation, whose joins and
    prefetches the page would pay for and never show."""
    incidents = Incident.objects.select_related("category", "priority").prefetch_related(
        Prefetch("timers", queryset=SlaTimer.objects.order_by("due_at"))
    )
    return incidents.exclude(status__in=CLOSED_STATUSES) if open_only else incidents


def search(
    queryset: QuerySet[Incident], text: str, *, caller_scope: Q | None
) -> QuerySet[Incident]:
    """Match a reference, the caller, the location or an asset reference.

    The caller's details match only within `caller_scope` (incidents.contact
    .visible_condition; None: every incident), so a search cannot tell a user whose details
    an incident holds when they may not see them."""
    if has_control_characters(text):
        raise Invalid({"q": ["Search text cannot contain control characters."]})
    text = text.strip()
    if not text:
        return queryset
    by_caller = (
        Q(caller_name__icontains=text)
        | Q(caller_phone__icontains=text)
        | Q(caller_email__icontains=text)
    )
    try:  # phones are stored in E.164: "07700 900123" finds "+447700900123"
        if phone := phones.normalise(text):
            by_caller |= Q(caller_phone=phone)
    except phones.PhoneInvalid:
        pass
    if caller_scope is not None:
        by_caller &= caller_scope
    condition = (
        by_caller
        | Q(location__icontains=text)
        | Q(summary__icontains=text)
        | Q(asset_refs__icontains=text)
    )
    pk = pk_from_reference(text)
    if pk is not None:
        condition |= Q(pk=pk)
    return queryset.filter(condition)


def incident_detail(pk: int) -> Incident:
    return incidents_for_list().prefetch_related("children").get(pk=pk)


def detail_of_logged(incident: Incident) -> Incident:
    """What incident_detail reads, for the incident log_incident has just written and
    returned: its row and its references (category, levels, priority, creator, parent) are
    the ones in hand, so only what the hooks of the same transaction may have changed (the
    escalation, the clocks) and the linked calls are read — three small queries instead of
    the detail's joined read of the row it already has."""
    escalation = Incident._meta.get_field("escalation")
    if escalation.is_cached(incident):
        # Cached when entering the policy created it; a "P1 logged" step that raised the
        # level changed another copy.
        escalation.delete_cached_value(incident)
    prefetch_related_objects(
        [incident],
        "escalation",
        Prefetch("timers", queryset=SlaTimer.objects.order_by("due_at")),
        "children",
    )
    return incident


def timeline(incident: Incident) -> QuerySet[IncidentEvent]:
    return incident.events.select_related("actor").order_by("id")


def _similar(a: str, b: str) -> float:
    a, b = " ".join(a.lower().split()), " ".join(b.lower().split())
    if not a or not b:
        return 0.0
    if a in b or b in a:
        return 1.0
    return SequenceMatcher(None, a, b).ratio()


# How many candidates the similarity rule (_similar) looks at, best first.
DUPLICATE_CANDIDATES = 50
# Below this pg_trgm similarity a location is not a candidate (pg_trgm's own default).
TRIGRAM_FLOOR = 0.3


def likely_duplicates(
    *, category: Category | None, location: str, exclude_pk: int | None = None, limit: int = 5
) -> list[Incident]:
    """Open incidents in the same category, logged recently, at a similar location.

    On PostgreSQL the candidates are found by trigram similarity (pg_trgm, with a GIN index
    on the location: migration 0012) and the containment the rule accepts, best first, so
    the read costs the same however many incidents the window holds; elsewhere (SQLite) the
    window's newest are scored. Either way the rule that decides is `_similar`.
    """
    location = location.strip()
    if category is None or not location:
        return []
    since = timezone.now() - timedelta(minutes=settings.DUPLICATE_WINDOW_MINUTES)
    candidates = (
        Incident.objects.select_related("priority")
        .exclude(status__in=CLOSED_STATUSES)
        .filter(category=category, created_at__gte=since, parent__isnull=True)
        .exclude(pk=exclude_pk)
    )
    if connection.vendor == "postgresql":
        candidates = (
            candidates.filter(
                Q(location__trigram_similar=location) | Q(location__icontains=location)
            )
            .annotate(similarity=TrigramSimilarity("location", location))
            .order_by("-similarity", "-created_at")
        )
    else:
        candidates = candidates.order_by("-created_at")
    scored = [(_similar(location, c.location), c) for c in candidates[:DUPLICATE_CANDIDATES]]
    scored = [(score, c) for score, c in scored if score >= 0.6]
    scored.sort(key=lambda pair: (-pair[0], -pair[1].created_at.timestamp()))
    return [c for _, c in scored[:limit]]


def active_categories() -> QuerySet[Category]:
    return Category.objects.filter(active=True).select_related("default_impact")


# ---- The customer-update clock --------------------------------------------------------------


@dataclass(frozen=True)
class UpdateDue:
    """When the customer must next hear from us, from the CUSTOMER_UPDATE SLA timer."""

    due_at: datetime
    paused: bool
    overdue: bool


def customer_update_due(incident: Incident, *, now: datetime | None = None) -> UpdateDue | None:
    """None when no update is owed (no timer: not an incident; or stopped: resolved).

    Reads the timers incidents_for_list prefetched, so a list costs no extra query.
    """
    now = now or timezone.now()
    for timer in incident.timers.all():
        if timer.kind == TimerKind.CUSTOMER_UPDATE and timer.met_at is None:
            paused = timer.paused_at is not None
            return UpdateDue(
                due_at=timer.due_at, paused=paused, overdue=not paused and timer.due_at <= now
            )
    return None


def with_next_update_due(incidents: QuerySet[Incident]) -> QuerySet[Incident]:
    """Annotates next_update_due (running customer-update timers only) for ordering by it."""
    due = SlaTimer.objects.filter(
        incident=OuterRef("pk"),
        kind=TimerKind.CUSTOMER_UPDATE,
        met_at__isnull=True,
        paused_at__isnull=True,
    ).values("due_at")[:1]
    return incidents.annotate(next_update_due=Subquery(due))
