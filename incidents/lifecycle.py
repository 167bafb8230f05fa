"""The lifecycle table: every status, every allowed move, who may make it, what it requires
and what it does to the SLA clocks. Services ask it (incidents.services.check_transition and
apply_status, record_response); nothing else decides. See product.md, "The lifecycle", and
docs/architecture.md, "The lifecycle table", which renders it.

Data and a few small pure functions only: no queries here, so the table can be read,
rendered and tested on its own.
"""

from dataclasses import dataclass

from django.db import models


class Status(models.TextChoices):
    LOGGED = "logged", "Logged"
    DISPATCHED = "dispatched", "Dispatched"
    IN_PROGRESS = "in_progress", "In progress"
    ON_HOLD = "on_hold", "On hold"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    REOPENED = "reopened", "Reopened"
    CANCELLED = "cancelled", "Cancelled"


class TimerKind(models.TextChoices):
    RESPONSE = "response", "Response"
    RESOLUTION = "resolution", "Resolution"
    CUSTOMER_UPDATE = "customer_update", "Customer update"
    # Not an SLA owed to the caller: the wait for a deployed resource to answer its briefing.
    # Started at the oldest active dispatch nobody has acknowledged, met when none is left;
    # the escalation trigger "dispatch not acknowledged after N min" runs on it.
    ACKNOWLEDGEMENT = "acknowledgement", "Dispatch acknowledgement"


# The clocks the caller is owed (shown as service levels, and as the board's deadline).
SLA_TIMERS = (TimerKind.RESPONSE, TimerKind.RESOLUTION, TimerKind.CUSTOMER_UPDATE)
ALL_TIMERS = tuple(TimerKind)

CHANGE = "incidents.change_incident"
CANCEL_MAJOR = "incidents.cancel_major_incident"
# Priorities (by rank) whose cancellation is beyond an agent's authority.
MAJOR_RANKS = frozenset({1, 2})
# A reason of substance: at least this many characters and words.
SUBSTANTIAL_REASON_CHARS = 10
SUBSTANTIAL_REASON_WORDS = 2


@dataclass(frozen=True)
class Move:
    """What moving an incident TO a status takes and does."""

    came_from: frozenset[str]
    # Who may make it: the permission the actor needs (a resource's own report through its
    # status link and the system's auto-close act with no actor and need none).
    permission: str = CHANGE
    # The service that makes it, when it is not the generic status change: it records what
    # the standard asks for (resolution notes, the customer's confirmation, a reason).
    service: str = "change_status"
    # Requirements.
    needs_active_dispatch: bool = False
    needs_reason: bool = False
    # For a priority-1 or -2 incident: an extra permission and a reason of substance.
    major_permission: str = ""
    # The SLA clocks: paused while in this status (and resumed when it is left), met (the
    # owed thing happened, or it is owed no more) on arrival.
    pauses: tuple[str, ...] = ()
    meets: tuple[str, ...] = ()
    # Met clocks that run again: the resolution clock resumes where it stopped (the time
    # resolved counts as a pause), the customer-update clock starts a new interval
    # (incidents.clock.reopen_timers). The response stays met: it already happened.
    restarts: tuple[str, ...] = ()


_WORKING = frozenset({Status.LOGGED, Status.DISPATCHED, Status.IN_PROGRESS, Status.ON_HOLD})
_ANY_OPEN = _WORKING | {Status.REOPENED}

# The lifecycle in product.md, one row per destination status. Logging (not a move) starts
# the response, resolution and customer-update clocks at `received_at`; the response clock
# is met by a real response only (RESPONSES below), never by a move.
MOVES: dict[str, Move] = {
    Status.DISPATCHED: Move(
        came_from=frozenset({Status.LOGGED, Status.REOPENED}), needs_active_dispatch=True
    ),
    Status.IN_PROGRESS: Move(
        came_from=frozenset({Status.LOGGED, Status.DISPATCHED, Status.ON_HOLD, Status.REOPENED}),
        needs_active_dispatch=True,
    ),
    Status.ON_HOLD: Move(
        came_from=_ANY_OPEN - {Status.ON_HOLD}, needs_reason=True, pauses=SLA_TIMERS
    ),
    Status.RESOLVED: Move(came_from=_ANY_OPEN, service="resolve", meets=ALL_TIMERS),
    Status.CLOSED: Move(came_from=frozenset({Status.RESOLVED}), service="close"),
    Status.REOPENED: Move(
        came_from=frozenset({Status.RESOLVED, Status.CLOSED}),
        service="reopen",
        needs_reason=True,
        restarts=(TimerKind.RESOLUTION, TimerKind.CUSTOMER_UPDATE),
    ),
    Status.CANCELLED: Move(
        came_from=_ANY_OPEN, needs_reason=True, major_permission=CANCEL_MAJOR, meets=ALL_TIMERS
    ),
}


class ResponseHow(models.TextChoices):
    """What counts as the real response that meets the response clock (the first one does)."""

    ACKNOWLEDGED_DISPATCH = "acknowledged_dispatch", "A dispatched resource acknowledged"
    VOICE_BRIEFING = "voice_briefing", "A voice briefing confirmed by the dispatcher"
    OTHER_MEANS = "other_means", "Response given by other means (supervisor, with a reason)"


@dataclass(frozen=True)
class Response:
    permission: str = ""  # "" when the resource or the dispatch service reports it
    needs_reason: bool = False


RESPONSES: dict[str, Response] = {
    ResponseHow.ACKNOWLEDGED_DISPATCH: Response(),
    ResponseHow.VOICE_BRIEFING: Response(),
    ResponseHow.OTHER_MEANS: Response(
        permission="escalation.acknowledge_incident", needs_reason=True
    ),
}


# --- Derived views of the table, for the models, pages and services ---

TRANSITIONS: dict[str, frozenset[str]] = {
    status: frozenset(to for to, move in MOVES.items() if status in move.came_from)
    for status in Status
}
REASON_REQUIRED = frozenset(to for to, move in MOVES.items() if move.needs_reason)
CLOSED_STATUSES = frozenset({Status.CLOSED, Status.CANCELLED})
CARE_STATUSES = {to: move.service for to, move in MOVES.items() if move.service != "change_status"}
OPEN_STATUSES = frozenset(set(Status) - CLOSED_STATUSES)
STOPS_TIMERS = {to: list(move.meets) for to, move in MOVES.items() if move.meets}


def move_to(status: str) -> Move | None:
    return MOVES.get(status)


def is_major(priority_rank: int) -> bool:
    return priority_rank in MAJOR_RANKS


def is_substantial(reason: str) -> bool:
    """A reason a reviewer can act on: not "x", not "dup"."""
    reason = reason.strip()
    return (
        len(reason) >= SUBSTANTIAL_REASON_CHARS and len(reason.split()) >= SUBSTANTIAL_REASON_WORDS
    )


def pauses_clocks(status: str) -> bool:
    move = MOVES.get(status)
    return bool(move and move.pauses)


def render_table() -> str:
    """The table as Markdown, for docs/architecture.md (a test keeps the doc in step)."""

    def labels(values) -> str:
        return ", ".join(
            Status(v).label if v in Status.values else TimerKind(v).label for v in values
        )

    def requires(move: Move) -> str:
        needs = []
        if move.needs_active_dispatch:
            needs.append("an active dispatch")
        if move.needs_reason:
            needs.append("a reason")
        if move.major_permission:
            needs.append(
                f"for P1/P2: `{move.major_permission}` and a reason of substance "
                f"(≥ {SUBSTANTIAL_REASON_WORDS} words, ≥ {SUBSTANTIAL_REASON_CHARS} characters)"
            )
        return "; ".join(needs) or "—"

    lines = [
        "| to | from | service | who may (permission) | requires | pauses | meets/stops "
        "| restarts |",
        "|---|---|---|---|---|---|---|---|",
        "| Logged | (a new contact) | `log_incident` | `incidents.add_incident` | the mandatory "
        "fields; a reason when received long ago | — | — | starts Response, Resolution, "
        "Customer update at `received_at` |",
    ]
    for to, move in MOVES.items():
        came_from = [s for s in Status if s in move.came_from]
        lines.append(
            f"| {Status(to).label} | {labels(came_from)} | `{move.service}` | "
            f"`{move.permission}` | {requires(move)} | {labels(move.pauses) or '—'} | "
            f"{labels(move.meets) or '—'} | {labels(move.restarts) or '—'} |"
        )
    lines += [
        "",
        "| the response clock is met by (first one only) | who may record it | requires |",
        "|---|---|---|",
    ]
    for how, rule in RESPONSES.items():
        who = f"`{rule.permission}`" if rule.permission else "the resource or the dispatcher"
        lines.append(
            f"| {ResponseHow(how).label} (`{how}`) | {who} | "
            f"{'a reason' if rule.needs_reason else '—'} |"
        )
    return "\n".join(lines)
