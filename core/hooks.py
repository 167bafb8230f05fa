"""Named hooks: how a lower app causes a reaction in a higher one without importing it.

A service emits a hook by name with keyword arguments; the subscribers, declared in one
place (incidentdesk/wiring.py), run in the caller's transaction, in the order they were
subscribed, so a reaction is part of the same unit of work and rolls back with it. Work
outside the database (publishing, sending) is for the subscriber to put on
`transaction.on_commit`.

Every hook is declared here with the arguments it passes, so emitting an unknown hook or
subscribing to one fails at once instead of silently doing nothing.
"""

from collections.abc import Callable

HOOKS: dict[str, str] = {
    # incidents
    "event_recorded": "event, prev_id — a timeline event was written (board publishes it)",
    "incident_logged": "incident, at — a new incident was saved (escalation enters a policy)",
    "clocks_changed": "incident — its SLA clocks moved (escalation reschedules due work)",
    "incident_settled": "incident, actor, at — resolved, closed or cancelled (alerts close)",
    "incident_reopened": "incident, actor, at, reason — reopened (the reopened trigger)",
    "incident_linked": "incident, parent — a call now follows its parent's clocks",
    # A question rather than a reaction: the lifecycle table's "needs an active dispatch"
    # asks the app that owns dispatches; the answers (counts) are summed.
    "active_dispatches": "incident — how many dispatches are active on it (dispatch answers)",
    # messaging
    "message_finished": "message — an outbound message was sent, or failed for good "
    "(the kind says whose it is: briefing, broadcast, customer_update, …)",
    # dispatch
    "resource_changed": "row — a resource's status or job changed (the board's panel)",
}

_subscribers: dict[str, list[Callable]] = {name: [] for name in HOOKS}


class UnknownHook(LookupError):
    pass


def _check(name: str) -> None:
    if name not in HOOKS:
        raise UnknownHook(f"No hook named {name!r}; declare it in core/hooks.py.")


def subscribe(name: str, receiver: Callable) -> None:
    """Called only from incidentdesk/wiring.py. Subscribing twice is a no-op."""
    _check(name)
    if receiver not in _subscribers[name]:
        _subscribers[name].append(receiver)


def emit(name: str, **kwargs) -> list:
    """Run every subscriber of `name` now, in order; returns their results."""
    _check(name)
    return [receiver(**kwargs) for receiver in _subscribers[name]]


def subscribers(name: str) -> list[Callable]:
    _check(name)
    return list(_subscribers[name])
