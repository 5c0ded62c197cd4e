"""Domain errors with plain-words messages; the API maps them to 4xx, the CLI prints them."""

from __future__ import annotations


class WardEyeError(Exception):
    """Base class: the message is meant for a person, not a stack trace."""


class NotFound(WardEyeError):
    pass


class Conflict(WardEyeError):
    pass


class InvalidInput(WardEyeError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ConfigError(WardEyeError):
    pass


class Forbidden(WardEyeError):
    """The object is visible but this action on it needs a permission the principal lacks."""


class ReasonRequired(Forbidden):
    """The site's policy wants a reason (and maybe a case number) before this access."""
