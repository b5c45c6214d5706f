"""The one map from failures to HTTP statuses, installed on the app by the composition root.

Domain errors carry their kind (`core.errors`); infrastructure failures (a database or Redis
that is down, two writers colliding on a unique key) are mapped here too, so every route answers
them alike and none catches them itself.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, OperationalError

from core.errors import Conflict, DomainError, Invalid, NotFound, TooLarge, Unprocessable
from core.runtime import ServiceUnavailable

log = logging.getLogger(__name__)

STATUS = {Invalid: 400, NotFound: 404, Conflict: 409, TooLarge: 413, Unprocessable: 422}
COLLIDED = "conflicts with a change made at the same moment; nothing was saved, reload and try again"


def status_of(exc: DomainError) -> int:
    """The status of the most specific kind `exc` is; 400 for a bare DomainError."""
    return next((STATUS[k] for k in type(exc).__mro__ if k in STATUS), 400)


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain(_: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse({"detail": str(exc), **exc.details()}, status_code=status_of(exc))

    @app.exception_handler(IntegrityError)
    async def collided(_: Request, exc: IntegrityError) -> JSONResponse:
        log.warning("write conflict: %s", exc.orig)
        return JSONResponse({"detail": COLLIDED}, status_code=409)

    @app.exception_handler(ServiceUnavailable)
    async def unavailable(_: Request, exc: ServiceUnavailable) -> JSONResponse:
        return JSONResponse({"detail": f"{exc}; nothing was saved, please retry"}, status_code=503)

    @app.exception_handler(OperationalError)
    async def database_down(_: Request, exc: OperationalError) -> JSONResponse:
        log.error("database unavailable: %s", exc)
        return JSONResponse({"detail": "the database is unavailable; nothing was saved, please retry"}, status_code=503)
