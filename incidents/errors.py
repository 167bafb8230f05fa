"""Domain errors the services raise; the edges turn them into 400/409 or form messages."""


class IncidentError(Exception):
    """Base for every refusal a person can act on; `str()` is the message to show."""


class IncidentInvalid(IncidentError):
    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{field}: {' '.join(m)}" for field, m in errors.items()))


class Conflict(IncidentError):
    """Someone else changed the incident since the caller read it."""

    def __init__(self, *, reference: str, current_version: int):
        self.current_version = current_version
        super().__init__(
            f"{reference} was changed by someone else (now version {current_version}). "
            "Reload it to see their change, then try again."
        )


class InvalidTransition(IncidentError):
    pass


class MatrixIncomplete(IncidentError):
    pass


class IdempotencyMismatch(IncidentError):
    """The same Idempotency-Key was sent with a different request."""


class SurveyLinkRefused(IncidentError):
    """A satisfaction link that was tampered with, has expired or was already used."""
