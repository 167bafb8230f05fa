"""Refusals of the incident services that other apps do not share."""

from core.errors import DomainError


class MatrixIncomplete(DomainError):
    """The priority matrix has no cell for the impact and urgency chosen."""
