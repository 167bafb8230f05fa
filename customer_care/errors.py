"""Refusals of the customer-care services."""

from core.errors import DomainError


class SurveyLinkRefused(DomainError):
    """A satisfaction link that was tampered with, has expired or was already used."""
