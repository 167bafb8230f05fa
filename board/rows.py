"""The live dispatch board's reads: one row shape for an incident, the snapshot, the resync.

`incident_row` is the one place a board row is built. The page's snapshot, every live event
(realtime attaches the row after commit) and the resync answer all carry it, so a browser
only ever replaces a whole row, keeping the one with the highest `version`.
"""

from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone

from dispatch import selectors as dispatch_selectors
from escalation import selectors as escalation_selectors
from incidents import contact, selectors
from incidents.clock import FOLLOWS_PARENT
from incidents.events import event_message, last_event_id
from incidents.lifecycle import SLA_TIMERS
from incidents.models import Incident, IncidentEvent, Priority, SlaTimer, Status

# A board further behind than this many events reloads the snapshot instead of replaying.
RESYNC_LIMIT = 500


def _unmet_timers(lookup: str) -> Prefetch:
    # The SLA clocks only: the acknowledgement clock shows as an assignee's warning.
    return Prefetch(
        lookup,
        queryset=SlaTimer.objects.filter(met_at__isnull=True, kind__in=SLA_TIMERS).order_by(
            "due_at"
        ),
    )


def _incidents() -> QuerySet[Incident]:
    """Incidents with everything a row shows, in a fixed number of queries (plus one for
    the assigned resources of all of them: see `rows`; and one for the parents' timers
    when a linked call is among them)."""
    return Incident.objects.select_related("category", "priority", "parent").prefetch_related(
        _unmet_timers("timers"), _unmet_timers("parent__timers")
    )


def _timers(incident: Incident) -> list[SlaTimer]:
    """The clocks a row counts down: a linked call's own customer-update clock and, for the
    response and resolution it follows, its parent's (by due time)."""
    own = [t for t in incident.timers.all() if t.follows_parent_since is None]  # prefetched
    if incident.parent_id is None or len(own) == len(incident.timers.all()):
        return own
    followed = [t for t in incident.parent.timers.all() if t.kind in FOLLOWS_PARENT]
    return sorted(own + followed, key=lambda t: t.due_at)


def _deadline(incident: Incident) -> dict | None:
    """The next unmet SLA deadline: the running timer due first, else a paused one. For a
    linked call whose next deadline is its parent's, `follows` names the parent. (An
    unanswered dispatch shows as its assignee's `warning`, not as a deadline.)"""
    timers = _timers(incident)
    if not timers:
        return None
    running = [t for t in timers if t.paused_at is None]
    timer = running[0] if running else timers[0]
    follows = incident.parent.reference if timer.incident_id != incident.pk else None
    return {
        "kind": timer.kind,
        "label": timer.get_kind_display(),
        "due_at": timer.due_at.isoformat(),
        "target_seconds": int(timer.target.total_seconds()),
        "paused": timer.paused_at is not None,
        # Time left when the clock stopped; the browser shows it frozen.
        "paused_remaining_seconds": (
            int((timer.due_at - timer.paused_at).total_seconds()) if timer.paused_at else None
        ),
        "follows": follows,
    }


def _customer_update(incident: Incident, *, now) -> dict | None:
    """When the caller is owed the next update; the browser re-checks `overdue` each second."""
    due = selectors.customer_update_due(incident, now=now)  # reads the prefetched timers
    if due is None:
        return None
    return {"due_at": due.due_at.isoformat(), "paused": due.paused, "overdue": due.overdue}


def row(incident: Incident, *, assigned: list[dict], alerts: list[dict], now=None) -> dict:
    """One board row. `assigned` comes from dispatch.selectors.assigned_resources and
    `alerts` (escalations waiting for acknowledgement, oldest first) from
    escalation.selectors.open_alerts, both batched by `rows` (see docs/architecture.md,
    "Board rows and messages")."""
    return {
        "id": incident.pk,
        "reference": incident.reference,
        "url": reverse("incidents:detail", args=[incident.pk]),
        "version": incident.version,
        "open": incident.is_open,
        "takes_resources": incident.takes_resources,
        "priority": {
            "code": incident.priority.code,
            "name": incident.priority.name,
            "rank": incident.priority.rank,
            "colour": incident.priority.colour,
        },
        "category": {"slug": incident.category.slug, "name": incident.category.name},
        # The board never shows the caller's details, even copied into the summary.
        "summary": contact.mask_text(incident.summary, incident),
        "location": contact.mask_text(incident.location, incident),
        "status": incident.status,
        "status_label": incident.get_status_display(),
        "received_at": incident.received_at.isoformat(),
        "deadline": _deadline(incident),
        # A linked call's response and resolution follow this incident's (incidents/clock.py).
        "follows_parent": incident.parent.reference if incident.parent_id else None,
        "customer_update": _customer_update(incident, now=now or timezone.now()),
        "assigned": assigned,
        "alerts": alerts,
    }


def sort_key(incident_row: dict) -> tuple:
    """Priority, then the nearest deadline (paused and none last), then age. board.js
    sorts the same way."""
    deadline = incident_row["deadline"]
    due = deadline["due_at"] if deadline and not deadline["paused"] else "~"
    return (incident_row["priority"]["rank"], due, incident_row["received_at"])


def rows(incidents) -> list[dict]:
    """Rows for these incidents, with every row's assigned resources in one query and every
    row's open escalation alerts in another."""
    incidents = list(incidents)
    ids = [i.pk for i in incidents]
    assigned = dispatch_selectors.assigned_resources(ids)
    alerts = escalation_selectors.open_alerts(ids)
    now = timezone.now()
    return sorted(
        (row(i, assigned=assigned[i.pk], alerts=alerts.get(i.pk, []), now=now) for i in incidents),
        key=sort_key,
    )


def incident_row(incident_id: int) -> dict | None:
    found = rows(_incidents().filter(pk=incident_id))
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
        "rows": rows(_incidents().exclude(status__in=[Status.CLOSED, Status.CANCELLED])),
        "resources": resource_rows(),
        "priorities": [
            {"code": p.code, "name": p.name, "rank": p.rank, "colour": p.colour}
            for p in Priority.objects.all()
        ],
        "categories": [{"slug": c.slug, "name": c.name} for c in selectors.active_categories()],
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
        "rows": rows(_incidents().filter(pk__in=touched)) if touched else [],
        "resources": resource_rows(),
    }
