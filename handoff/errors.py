"""What a desk operation can refuse, as the kinds the web layer maps to a status once.

The classes say *which* failure (core.errors kinds), never an HTTP status; the message is one an
agent can read.
"""

from __future__ import annotations

from core import errors


class DeskError(errors.Invalid):
    """A desk operation that cannot be done as asked."""


class NotFound(errors.NotFound, DeskError):
    """No such ticket, or one the agent may not see (answered alike: handoff/access.py)."""


class Conflict(errors.Conflict, DeskError):
    """Someone else got there first, or the agent has no free seat."""
