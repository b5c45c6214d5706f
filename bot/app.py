"""The HTTP application: builds the product from settings and maps domain errors to statuses."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

import yaml
from fastapi import FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from actions import sync
from actions.business_days import seed_holidays
from actions.demo import load_if_empty
from actions.registry import executor
from actions.store import MerchantData
from bot import kb_reload, metrics
from bot.action_client import ActionRunner, HttpRunner, InProcessRunner
from bot.channels import rest, web
from bot.channels.body import parse_body, read_body
from bot.config import Settings
from bot.db import Database, utcnow
from bot.engine import Engine, InvalidMessage
from bot.http_guards import RefuseControlCharacters, SecurityHeaders
from bot.nlu import cache as nlu_cache
from bot.nlu.parser import Thresholds
from bot.policy import Policy
from bot.runtime import Runtime, ServiceUnavailable
from bot.security import Caller, Guard
from bot.store import conversation_dict, find, transcript
from bot.turns import TurnPool
from handoff import api as desk_api
from handoff.agents import agent_for_token, demo_password, demo_secret, seed_demo_desk
from handoff.desk import clock_from, load_desk
from handoff.escalation import QueueEscalator
from handoff.queue import TicketQueue
from handoff.service import HelpDesk
from knowledge_base import api as kb_api
from knowledge_base import inbox_api, page, transfer_api
from knowledge_base.store import load_files, published, seed

log = logging.getLogger("triage")

# Offered when nothing matched: the questions customers ask most.
SUGGESTIONS = (
    "shipping_dispatch_time",
    "order_where_is_my_order",
    "refund_processing_time",
    "pay_cod_remittance_overdue",
)


def load_responses() -> dict[str, dict[str, str]]:
    raw = (resources.files("bot") / "responses.yaml").read_text(encoding="utf-8")
    return dict(yaml.safe_load(raw))


def build_engine(settings: Settings) -> Engine:
    """Everything one instance needs: schema migrated, KB seeded, NLU trained."""
    db = Database(settings.database_url)
    with db.startup_lock():
        db.migrate()
        with db.session() as session:
            added = seed(session, load_files())
            entries = published(session)
            year = utcnow().year
            seed_holidays(session, range(year - 1, year + 2))
        if settings.embedded and load_if_empty(db):
            log.info("demo data: a small merchant data set loaded (`triage demo-data` makes bigger ones)")
        if settings.embedded:
            with db.session() as session:
                if seed_demo_desk(session, demo_password(settings.data_dir)):
                    log.info("desk: demo agents, canned replies and escalation keywords created")
    if added:
        log.info("knowledge base: %d entries loaded from the bundled data files", added)
    thresholds = Thresholds(oos=settings.oos_threshold, answer=settings.answer_threshold)
    nlu = nlu_cache.build(entries, thresholds, settings.model_cache)
    nlu_cache.warm_anger(settings.model_cache)  # before the first customer, not during
    policy = Policy(nlu.entries, load_responses(), thresholds, SUGGESTIONS, load_desk().high_value_total)
    runtime = Runtime(settings.redis_url)
    clock = clock_from(settings.frozen_now) if settings.frozen_now else utcnow
    questions = {e.id: e.question["zh"] for e in entries}
    merchant = MerchantData.for_settings(settings, db)
    desk = HelpDesk(
        TicketQueue(runtime.sync, load_desk()),
        load_desk(),
        questions,
        now=clock,
        is_holiday=lambda day: day in merchant.calendar().closures,
    )
    with db.session() as session:
        desk.reconcile(session)  # Redis may have lost the queues (flush, new instance): SQL has them
    return Engine(
        db,
        runtime,
        nlu,
        policy,
        escalator=QueueEscalator(desk),
        max_chars=settings.max_message_chars,
        actions=action_runner(settings, merchant),
        identity_secret=settings.identity_secret,
        desk=desk,
    )


def action_runner(settings: Settings, merchant: MerchantData) -> ActionRunner:
    """The action server over HTTP when ACTION_ENDPOINT_URL is set, else the same actions in-process."""
    if settings.action_endpoint_url:
        return HttpRunner(settings.action_endpoint_url)
    return InProcessRunner(executor(merchant))


SWEEP_SECONDS = 5.0


async def sweep_forever(engine: Engine) -> None:
    """Every few seconds one instance (a Redis lock decides which) overflows long waits, records
    missed first responses and repairs the Redis queues from SQL."""
    desk = engine.desk
    if desk is None:
        return

    def sweep() -> None:
        lock = engine.runtime.sync.lock("lock:desk-sweep", timeout=30, blocking_timeout=0)
        try:
            if not lock.acquire():
                return
        except RedisError:
            return
        try:
            with engine.db.session() as session:
                notices = desk.sweep(session)
            desk_api.deliver(engine, notices)
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
    engine: Engine | None = None,
    on_ready: Callable[[], None] | None = None,
) -> FastAPI:
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        built: Engine = engine if engine is not None else await run_in_threadpool(build_engine, app.state.settings)
        app.state.engine = built
        app.state.runtime = built.runtime
        app.state.turns = TurnPool(app.state.settings.turn_threads)  # see TRIAGE_TURN_THREADS
        app.state.kb_changed = lambda entry_id: kb_reload.announce(built, entry_id)
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
        if built.actions is not None:
            built.actions.close()
        built.runtime.close()
        built.db.engine.dispose()

    app = FastAPI(title="Triage assistant", version="0.1.0", lifespan=lifespan)
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
    app.include_router(web.router)
    app.include_router(sync.router)
    app.include_router(desk_api.router)
    app.include_router(kb_api.router)
    app.include_router(transfer_api.router)
    app.include_router(inbox_api.router)
    app.include_router(page.router)
    # The staff pages' files: staff/static/{common,console,kb}, the folder above the console's.
    app.mount("/staff/static", StaticFiles(directory=desk_api.STATIC_DIR.parent), name="staff-static")
    app.mount("/static", StaticFiles(directory=web.STATIC_DIR), name="static")

    @app.exception_handler(InvalidMessage)
    async def invalid_message(_: Request, exc: InvalidMessage) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(ServiceUnavailable)
    async def unavailable(_: Request, exc: ServiceUnavailable) -> JSONResponse:
        return JSONResponse({"detail": f"{exc}; nothing was saved, please retry"}, status_code=503)

    @app.exception_handler(OperationalError)
    async def database_down(_: Request, exc: OperationalError) -> JSONResponse:
        log.error("database unavailable: %s", exc)
        return JSONResponse({"detail": "the database is unavailable; nothing was saved, please retry"}, status_code=503)

    @app.get("/health")
    async def health(request: Request) -> JSONResponse:
        eng: Engine = request.app.state.engine

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
            "kb_entries": len(eng.nlu.entries),
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
        eng: Engine = request.app.state.engine

        def is_staff(token: str) -> bool:
            with eng.db.session() as session:
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
        nlu = request.app.state.engine.nlu
        parsed = await request.app.state.turns.run(nlu.parse, body.text)
        return parsed.as_dict()

    @app.get("/conversations/{sender_id}")
    async def conversation(request: Request, sender_id: str) -> dict[str, Any]:
        """The state and transcript: for that sender's own chat session, an integration or staff."""
        if not (await caller(request)).may_act_as(sender_id):
            raise HTTPException(403, "this chat session belongs to another sender")
        eng: Engine = request.app.state.engine

        def load() -> dict[str, Any] | None:
            with eng.db.session() as session:
                conv = find(session, sender_id=sender_id)
                if conv is None:
                    return None
                return conversation_dict(conv, transcript(session, conversation_id=conv.id))

        found = await run_in_threadpool(load)
        if found is None:
            raise HTTPException(404, f"no conversation with sender {sender_id!r}")
        return found

    return app
