"""Domain errors every app's services raise; the edges turn them into 400/409 or form messages.

App-specific refusals subclass these (dispatch.errors, escalation.errors, …).
"""


class DomainError(Exception):
    """Base for every refusal a person can act on; `str()` is the message to show."""


class Invalid(DomainError):
    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{field}: {' '.join(m)}" for field, m in errors.items()))


class Conflict(DomainError):
    """Someone else changed the incident since the caller read it."""

    def __init__(self, *, reference: str, current_version: int):
        self.current_version = current_version
        super().__init__(
            f"{reference} was changed by someone else (now version {current_version}). "
            "Reload it to see their change, then try again."
        )


class InvalidTransition(DomainError):
    pass


class NotPermitted(DomainError):
    """The move is beyond the actor's authority (the lifecycle table names who may make it)."""


class IdempotencyMismatch(DomainError):
    """The same Idempotency-Key was sent with a different request."""
