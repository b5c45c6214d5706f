"""What the staff routes are given: the instance's parts, read from the app the root built.

The staff API names the parts it uses here and nowhere else; `triage.wiring.Instance` provides
them. Nothing in staff reaches into the engine.
"""

from __future__ import annotations

from typing import Protocol

from starlette.requests import HTTPConnection

from bot.engine import Engine
from bot.knowledge import Knowledge
from bot.policy import Policy
from core.db import Database
from core.runtime import Runtime
from handoff.helpdesk import HelpDesk


class Services(Protocol):
    @property
    def db(self) -> Database: ...
    @property
    def runtime(self) -> Runtime: ...
    @property
    def knowledge(self) -> Knowledge: ...
    @property
    def policy(self) -> Policy: ...
    @property
    def desk(self) -> HelpDesk: ...
    @property
    def engine(self) -> Engine: ...


def services(connection: HTTPConnection) -> Services:
    """The parts, for a request or a websocket."""
    found: Services = connection.app.state.instance
    return found
