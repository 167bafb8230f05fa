"""Dispatch refusals, as subclasses of the incident errors so every edge already maps them."""

from core.errors import Invalid, InvalidTransition


class NotDeployable(Invalid):
    """The resource is unverified, unskilled or unavailable; a supervisor may override (400)."""

    def __init__(self, reasons: list[str]):
        self.reasons = reasons
        super().__init__({"resource": reasons})


class ResourceBusy(InvalidTransition):
    """Someone else has the resource on an active dispatch (409); recall it first."""


class StatusLinkInvalid(Exception):
    """A status link that is tampered with, expired or for a finished dispatch."""
