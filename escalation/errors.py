"""Refusals of the escalation services; subclasses of the incident errors, so the edges
already turn them into 409s and form messages."""

from core.errors import InvalidTransition


class NothingToAcknowledge(InvalidTransition):
    pass
