"""The HTTP application: the instance's routes, middleware and error map, around `triage.wiring`."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, Field
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot.channels import media, rest, telegram, web, wechat, widget
from bot.nlu import entities
from bot.store import conversation_dict, find, transcript
from core import http_errors, logs, metrics
from core.body import parse_body, read_body
from core.config import Settings
from core.db import Database
from core.http_guards import RefuseControlCharacters, SecurityHeaders
from core.runtime import ServiceUnavailable
from core.security import Caller, Guard
from core.turns import TurnPool
from handoff.agents import agent_for_token, demo_secret
from merchant import sync_api as sync
from staff import agent_api as desk_api
from staff import assist_api, floor_api, inbox_api, kb_api, quality_api, report_api, transfer_api
from staff import pages as page
from staff.deps import Services
from triage import kb_reload, wiring
from triage.wiring import Instance

log = logging.getLogger("triage")

SWEEP_SECONDS = 5.0


async def sweep_forever(instance: Instance) -> None:
    """Every few seconds one instance (a Redis lock decides which) overflows long waits, records
    missed first responses and repairs the Redis queues from SQL."""

    def sweep() -> None:
        lock = instance.runtime.sync.lock("lock:desk-sweep", timeout=30, blocking_timeout=0)
        try:
            if not lock.acquire():
                return
        except RedisError:
            return
        try:
            with instance.db.session() as session:
                notices = instance.desk.sweep(session)
            instance.engine.deliver(notices)
        finally:
            with contextlib.suppress(RedisError):
                lock.release()

    while True:
        await asyncio.sleep(SWEEP_SECONDS)
        try:
            await run_in_threadpool(sweep)
        except (SQLAlchemyError, RedisError, ServiceUnavailable):
            log.warning("desk sweep skipped: a service is unavailable", exc_info=True)


class ParseRequest(BaseModel):
    text: str = Field(max_length=20000)


def create_app(
    settings: Settings | None = None,
    instance: Instance | None = None,
    on_ready: Callable[[], None] | None = None,
) -> FastAPI:
    settings = settings or Settings.from_env()
    logs.keep_identifiers(entities.identifier_spans)  # order and waybill numbers stay readable in logs

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        built = instance if instance is not None else await run_in_threadpool(wiring.build, app.state.settings)
        parts: Services = built  # the staff routes' view of it (staff/deps.py), checked by mypy
        app.state.instance = parts
        app.state.engine = built.engine  # what the channels use
        app.state.db = built.db  # what the merchant sync uses
        app.state.runtime = built.runtime
        app.state.channels = built.channels  # the chat apps configured; their routes 404 without
        app.state.media = built.media
        app.state.turns = TurnPool(app.state.settings.turn_threads)  # see TRIAGE_TURN_THREADS
        app.state.kb_changed = lambda entry_id: kb_reload.announce(built.runtime, entry_id)
        background = [asyncio.create_task(sweep_forever(built)), asyncio.create_task(kb_reload.follow(built))]
        # What start-up made (half a million objects: libraries, models, the app) lives as long
        # as the process. Kept out of the collector's sight, a full collection takes 0.1 ms
        # instead of 145 ms (measured in process), a pause every message in flight waited out.
        gc.freeze()
        if on_ready is not None:
            on_ready()
        yield
        for task in background:
            task.cancel()
        for task in background:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        built.close()

    # FastAPI's own /docs loads its scripts from a CDN: blank offline, on premises and where the CDN
    # is blocked (mainland China). fastapi-offline serves the same page's files itself. (No ReDoc:
    # its page fetches a logo from its maker's CDN, and /docs says the same.)
    app = FastAPIOffline(title="Triage assistant", version="0.1.0", lifespan=lifespan, redoc_url=None)
    app.state.settings = settings
    app.state.sync_keys = sync.resolve_sync_keys(settings)
    app.state.guard = Guard(settings, settings.secret or demo_secret(settings.data_dir))
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-Triage-Signature", "X-Triage-Timestamp"],
            max_age=600,
        )
    app.add_middleware(RefuseControlCharacters)
    app.add_middleware(SecurityHeaders)  # added last, so outermost: its headers go on those refusals too
    app.include_router(rest.router)
    app.include_router(media.router)
    app.include_router(web.router)
    app.include_router(widget.router)
    app.include_router(wechat.router)
    app.include_router(telegram.router)
    app.include_router(sync.router)
    app.include_router(desk_api.router)
    app.include_router(assist_api.router)
    app.include_router(kb_api.router)
    app.include_router(transfer_api.router)
    app.include_router(inbox_api.router)
    app.include_router(report_api.router)
    app.include_router(floor_api.router)
    app.include_router(quality_api.router)
    app.include_router(page.router)
    # The staff pages' files: staff/static/{common,console,kb}, the folder above the console's.
    app.mount("/staff/static", StaticFiles(directory=desk_api.STATIC_DIR.parent), name="staff-static")
    app.mount("/static", StaticFiles(directory=web.STATIC_DIR), name="static")

    http_errors.install(app)  # the one map from failures to statuses

    @app.get("/health")
    async def health(request: Request) -> JSONResponse:
        eng: Instance = request.app.state.instance

        def check() -> dict[str, Any]:
            try:
                with eng.db.engine.connect() as conn:
                    conn.execute(text("SELECT 1"))
                database = "ok"
            except SQLAlchemyError:
                database = "unavailable"
            return {"database": database, "redis": "ok" if eng.runtime.ping() else "unavailable"}

        checks = await run_in_threadpool(check)
        turns: TurnPool = request.app.state.turns
        checks["turns"] = "stuck" if turns.exhausted() else "ok"  # every turn thread held past its limit
        ok = all(v == "ok" for v in checks.values())
        body = {
            "status": "ok" if ok else "degraded",
            **checks,
            "mode": "embedded" if settings.embedded else "production",
            "kb_entries": len(eng.knowledge.entries),
        }
        return JSONResponse(body, status_code=200 if ok else 503)

    @app.get("/livez")
    async def livez() -> dict[str, str]:
        """Liveness: the process answers (restart it if not). Readiness is /health."""
        return {"status": "alive"}

    @app.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        return await health(request)

    @app.get("/metrics", include_in_schema=False)
    async def metrics_page() -> Response:
        body, content_type = metrics.render()
        return Response(body, media_type=content_type)

    async def caller(request: Request, raw: bytes = b"") -> Caller:
        """Who is calling; a staff token is looked up in the database off the event loop."""
        db: Database = request.app.state.db

        def is_staff(token: str) -> bool:
            with db.session() as session:
                return agent_for_token(session, token) is not None

        guard: Guard = request.app.state.guard
        return await run_in_threadpool(functools.partial(guard.caller, request, raw, is_staff=is_staff))

    @app.post("/model/parse")
    async def parse(request: Request) -> dict[str, Any]:
        """Rasa's NLU endpoint, for channel integrations and staff (in production)."""
        raw = await read_body(request, settings.max_body_bytes)
        found = await caller(request, raw)
        if found.kind == "chat":
            raise HTTPException(403, "a chat session cannot call the NLU directly")
        request.app.state.guard.limit(request)
        body = parse_body(raw, ParseRequest)
        nlu = request.app.state.instance.knowledge.nlu
        parsed = await request.app.state.turns.run(nlu.parse, body.text)
        return parsed.as_dict()

    @app.get("/conversations/{sender_id}")
    async def conversation(request: Request, sender_id: str) -> dict[str, Any]:
        """The state and transcript: for that sender's own chat session, an integration or staff."""
        if not (await caller(request)).may_act_as(sender_id):
            raise HTTPException(403, "this chat session belongs to another sender")
        db: Database = request.app.state.db

        def load() -> dict[str, Any] | None:
            with db.session() as session:
                conv = find(session, sender_id=sender_id)
                if conv is None:
                    return None
                messages = transcript(session, conversation_id=conv.id)
                return conversation_dict(conv, messages, media.linker(request.app.state.settings))

        found = await run_in_threadpool(load)
        if found is None:
            raise HTTPException(404, f"no conversation with sender {sender_id!r}")
        return found

    return app
