"""The live dispatch board's reads: one row shape for an incident, the snapshot, the resync.

`rows` is the one place board rows are built. The page's snapshot, every live event
(realtime attaches the row after commit) and the resync answer all carry it, so a browser
only ever replaces a whole row, keeping the one with the highest `version`.
"""

from collections import defaultdict
from datetime import datetime

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from dispatch import selectors as dispatch_selectors
from escalation import selectors as escalation_selectors
from incidents import contact
from incidents.clock import FOLLOWS_PARENT
from incidents.events import event_message, last_event_id
from incidents.lifecycle import CLOSED_STATUSES, OPEN_STATUSES, SLA_TIMERS
from incidents.models import (
    Incident,
    IncidentEvent,
    Priority,
    SlaTimer,
    Status,
    TimerKind,
    reference_for,
)
from incidents.selectors import active_categories

# A board further behind than this many events reloads the snapshot instead of replaying.
RESYNC_LIMIT = 500

# Rows are built from plain values (no model instances, no per-row query, reverse() or
# get_*_display): the snapshot of a thousand open incidents is a handful of queries and a
# loop over tuples. The labels come from the choices once.
STATUS_LABELS = dict(Status.choices)
TIMER_LABELS = dict(TimerKind.choices)
OPEN = ~Q(status__in=CLOSED_STATUSES)
INCIDENT_COLUMNS = (
    "id",
    "version",
    "status",
    "summary",
    "location",
    "received_at",
    "parent_id",
    "priority__code",
    "priority__rank",
    "priority__colour",
    "category__slug",
    "category__name",
    # Only to mask copies of them in the summary and location: a row never carries them.
    *contact.FIELDS,
)
TIMER_COLUMNS = ("incident_id", "kind", "target", "due_at", "paused_at", "follows_parent_since")


class _Timer:
    """An unmet SLA clock as a row reads it (a plain tuple from the query, named)."""

    __slots__ = TIMER_COLUMNS

    def __init__(self, incident_id, kind, target, due_at, paused_at, follows_parent_since):
        self.incident_id = incident_id
        self.kind = kind
        self.target = target
        self.due_at = due_at
        self.paused_at = paused_at
        self.follows_parent_since = follows_parent_since


def _unmet_timers(incidents) -> dict[int, list[_Timer]]:
    """Each incident's unmet SLA clocks, by due time (one query). The acknowledgement clock
    is left out: it shows as an assignee's warning."""
    found = defaultdict(list)
    for values in (
        SlaTimer.objects.filter(incident__in=incidents, met_at__isnull=True, kind__in=SLA_TIMERS)
        .order_by("due_at")
        .values_list(*TIMER_COLUMNS)
    ):
        found[values[0]].append(_Timer(*values))
    return found


def _timers(own: list[_Timer], parent_timers: list[_Timer]) -> list[_Timer]:
    """The clocks a row counts down: a linked call's own customer-update clock and, for the
    response and resolution it follows, its parent's (by due time)."""
    mine = [t for t in own if t.follows_parent_since is None]
    if len(mine) == len(own):
        return mine
    followed = [t for t in parent_timers if t.kind in FOLLOWS_PARENT]
    return sorted(mine + followed, key=lambda t: t.due_at)


def _deadline(timers: list[_Timer], *, incident_id: int, parent_reference: str) -> dict | None:
    """The next unmet SLA deadline: the running timer due first, else a paused one. For a
    linked call whose next deadline is its parent's, `follows` names the parent. (An
    unanswered dispatch shows as its assignee's `warning`, not as a deadline.)"""
    if not timers:
        return None
    running = [t for t in timers if t.paused_at is None]
    timer = running[0] if running else timers[0]
    return {
        "kind": timer.kind,
        "label": TIMER_LABELS[timer.kind],
        "due_at": timer.due_at.isoformat(),
        "target_seconds": int(timer.target.total_seconds()),
        "paused": timer.paused_at is not None,
        # Time left when the clock stopped; the browser shows it frozen.
        "paused_remaining_seconds": (
            int((timer.due_at - timer.paused_at).total_seconds()) if timer.paused_at else None
        ),
        "follows": parent_reference if timer.incident_id != incident_id else None,
    }


def _customer_update(timers: list[_Timer], *, now: datetime) -> dict | None:
    """When the caller is owed the next update (the unmet customer-update clock, as
    incidents.selectors.customer_update_due reads it); the browser re-checks `overdue` each
    second."""
    for timer in timers:
        if timer.kind == TimerKind.CUSTOMER_UPDATE:
            paused = timer.paused_at is not None
            return {
                "due_at": timer.due_at.isoformat(),
                "paused": paused,
                "overdue": not paused and timer.due_at <= now,
            }
    return None


def _detail_url():
    """A function from id to the incident page's address, from one reverse() (the
    address is the same pattern for every row)."""
    prefix, _, suffix = reverse("incidents:detail", args=[0]).rpartition("0")
    return lambda pk: f"{prefix}{pk}{suffix}"


def sort_key(incident_row: dict) -> tuple:
    """Priority, then the nearest deadline (paused and none last), then age. board.js
    sorts the same way."""
    deadline = incident_row["deadline"]
    due = deadline["due_at"] if deadline and not deadline["paused"] else "~"
    return (incident_row["priority"]["rank"], due, incident_row["received_at"])


def rows(where: Q) -> list[dict]:
    """Board rows for the incidents matching `where`, sorted, in five queries whatever their
    number (six when a linked call is among them): the incidents, their clocks, their
    parents' clocks, every row's assigned resources (dispatch.selectors.assigned_resources)
    and every row's escalations waiting for acknowledgement, oldest first
    (escalation.selectors.open_alerts). Row shape: docs/architecture.md, "Board rows and
    messages"."""
    incidents = Incident.objects.filter(where)
    found = list(incidents.values_list(*INCIDENT_COLUMNS))
    if not found:
        return []
    # The filter again, as a subquery: cheaper than a list of a thousand ids as parameters.
    ids = incidents.values("pk")
    timers = _unmet_timers(ids)
    parents = {values[6] for values in found if values[6] is not None}
    parent_timers = _unmet_timers(list(parents)) if parents else {}
    assigned = dispatch_selectors.assigned_resources(ids)
    alerts = escalation_selectors.open_alerts(ids)
    now = timezone.now()
    url = _detail_url()
    built = []
    for pk, version, status, summary, location, received_at, parent_id, *rest in found:
        code, rank, colour, slug, category, *caller = rest
        own = timers.get(pk, [])
        parent_reference = reference_for(parent_id)
        followed = _timers(own, parent_timers.get(parent_id, []))
        is_open = status in OPEN_STATUSES
        built.append(
            {
                "id": pk,
                "reference": reference_for(pk),
                "url": url(pk),
                "version": version,
                "open": is_open,
                "takes_resources": is_open and status != Status.RESOLVED,
                "priority": {"code": code, "rank": rank, "colour": colour},
                "category": {"slug": slug, "name": category},
                # The board never shows the caller's details, even copied into the text.
                "summary": contact.replace_all(summary, caller, contact.HIDDEN),
                "location": contact.replace_all(location, caller, contact.HIDDEN),
                "status": status,
                "status_label": STATUS_LABELS[status],
                "received_at": received_at.isoformat(),
                "deadline": _deadline(followed, incident_id=pk, parent_reference=parent_reference),
                # A linked call's response and resolution follow this incident's
                # (incidents/clock.py).
                "follows_parent": parent_reference or None,
                "customer_update": _customer_update(own, now=now),
                "assigned": assigned.get(pk, []),
                "alerts": alerts.get(pk, []),
            }
        )
    return sorted(built, key=sort_key)


def incident_row(incident_id: int) -> dict | None:
    """One incident's row (what a live event carries): the same five queries as a snapshot,
    each for one incident, so publishing costs the same whatever the board holds."""
    found = rows(Q(pk=incident_id))
    return found[0] if found else None


def resource_rows() -> list[dict]:
    """The resource panel's snapshot: dispatch.selectors.resource_panel, the same row shape
    (resource_row) that live {"type": "resource", "resource": {...}} messages carry."""
    return dispatch_selectors.resource_panel()


def snapshot() -> dict:
    """Everything the board page starts from, in a constant number of queries."""
    # The cursor is read before the rows, so the rows are at least as new as the cursor.
    cursor = last_event_id()
    return {
        "cursor": cursor,
        "server_time": timezone.now().isoformat(),
        "rows": rows(OPEN),
        "resources": resource_rows(),
        "priorities": [
            {"code": p.code, "name": p.name, "rank": p.rank, "colour": p.colour}
            for p in Priority.objects.all()
        ],
        "categories": [{"slug": c.slug, "name": c.name} for c in active_categories()],
        "statuses": [
            {"value": s.value, "label": s.label}
            for s in Status
            if s not in (Status.CLOSED, Status.CANCELLED)
        ],
    }


def resync(after: int) -> dict:
    """What a board that applied every event up to `after` missed.

    Events are committed in id order (incidents.events takes the timeline lock), so every
    event after `after` that will ever exist is either here or not yet committed. The answer
    carries the missed events in order, the CURRENT rows of the incidents they touched (a
    replayed event's own snapshot may be stale), and the new cursor. Too far behind, or a
    cursor this database never handed out: a full snapshot instead (`reset`).
    """
    missed = list(
        IncidentEvent.objects.filter(id__gt=after)
        .select_related("incident__priority", "actor")
        .order_by("id")[: RESYNC_LIMIT + 1]
    )
    if len(missed) > RESYNC_LIMIT or after > last_event_id():
        return {"reset": True, "snapshot": snapshot()}
    touched = {e.incident_id for e in missed}
    return {
        "reset": False,
        "after": after,
        "cursor": missed[-1].pk if missed else after,
        "server_time": timezone.now().isoformat(),
        # As live events: without the caller's contact details (board/publisher.py).
        "events": [event_message(e, caller_visible=False) for e in missed],
        "rows": rows(Q(pk__in=touched)) if touched else [],
        "resources": resource_rows(),
    }
