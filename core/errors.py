"""Kinds of domain failure, named by what went wrong, not by an HTTP status.

A package's own errors subclass one of these (`EntryNotFound(KBEditError, NotFound)`); the web
layer maps the kind to a status in one place (`core.http_errors`), so no domain module knows
HTTP. A subclass with more to say than its message gives `details()`.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Something asked for cannot be done as asked; the message says why, for the person asking."""

    def details(self) -> dict[str, Any]:
        """Fields that go with the message (an import's problems by line, say)."""
        return {}


class Invalid(DomainError):
    """The request is wrong in itself (a bad value, an impossible change)."""


class Unprocessable(DomainError):
    """Well-formed, but its content cannot be used (unknown references, rejected rows)."""


class NotFound(DomainError):
    """What it names does not exist (or is not the caller's to see)."""


class Conflict(DomainError):
    """The state moved on: someone else got there first, or it is no longer allowed in this state."""


class TooLarge(DomainError):
    """More than a limit allows."""
