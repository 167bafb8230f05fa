"""The lifecycle table: every status, every allowed move, and what each move does to the
SLA clocks. Services ask it; nothing else decides. See product.md, "The lifecycle".
"""

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


_WORKING = {
    Status.DISPATCHED,
    Status.IN_PROGRESS,
    Status.ON_HOLD,
    Status.RESOLVED,
    Status.CANCELLED,
}

# The lifecycle in product.md: every status an incident may move to from each status.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.LOGGED: frozenset(_WORKING),
    Status.DISPATCHED: frozenset(
        {Status.IN_PROGRESS, Status.ON_HOLD, Status.RESOLVED, Status.CANCELLED}
    ),
    Status.IN_PROGRESS: frozenset({Status.ON_HOLD, Status.RESOLVED, Status.CANCELLED}),
    Status.ON_HOLD: frozenset({Status.IN_PROGRESS, Status.RESOLVED, Status.CANCELLED}),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.REOPENED}),
    Status.CLOSED: frozenset({Status.REOPENED}),
    Status.REOPENED: frozenset(_WORKING),
    Status.CANCELLED: frozenset(),
}
# Moving to these needs a written reason on the timeline.
REASON_REQUIRED = frozenset({Status.CANCELLED, Status.REOPENED, Status.ON_HOLD})
CLOSED_STATUSES = frozenset({Status.CLOSED, Status.CANCELLED})
# Reached only through their own services in customer_care/services.py, which record what the
# standard asks for (resolution notes and code, the customer's confirmation, a reason).
CARE_STATUSES = {Status.RESOLVED: "resolve", Status.CLOSED: "close", Status.REOPENED: "reopen"}
OPEN_STATUSES = frozenset(set(Status) - CLOSED_STATUSES)


class TimerKind(models.TextChoices):
    RESPONSE = "response", "Response"
    RESOLUTION = "resolution", "Resolution"
    CUSTOMER_UPDATE = "customer_update", "Customer update"


# Which SLA clocks a move stops: the first response, or everything still owed.
STOPS_TIMERS = {
    Status.DISPATCHED: [TimerKind.RESPONSE],
    Status.IN_PROGRESS: [TimerKind.RESPONSE],
    Status.RESOLVED: list(TimerKind),
    Status.CANCELLED: list(TimerKind),
}
