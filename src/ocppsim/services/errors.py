"""What a use case can refuse, independent of how the refusal reaches the user."""

from __future__ import annotations


class ServiceError(Exception):
    """Base of every refusal; ``str(error)`` is the message shown to the user."""


class NotFound(ServiceError):
    """No such object, or it belongs to another user (the two are indistinguishable)."""


class Conflict(ServiceError):
    """The request is valid but the object's current state does not allow it."""


class Invalid(ServiceError):
    """A value is not acceptable; the message names the field."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


def refuse(field: str, problem: str | None) -> None:
    """Raise ``Invalid(field, problem)`` when a limit's check found a problem (None: fine)."""
    if problem is not None:
        raise Invalid(field, problem)


class Unauthenticated(ServiceError):
    """No valid credentials."""


class TooMany(ServiceError):
    """A per-user limit on concurrent use is reached; try again later."""


class Forbidden(ServiceError):
    """Authenticated, but not allowed: not an administrator, or a failed CSRF check."""


class Unavailable(ServiceError):
    """The server cannot do it now (its store refuses writes: a full disk); try again later."""
