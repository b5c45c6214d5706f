"""The composition root: one instance's parts, built from settings and wired by constructor.

`build` migrates and seeds the database, trains (or loads) the NLU and connects the desk, the
actions and the engine; the app's routes and background tasks use the `Instance` it returns, and
nothing reaches into the engine for them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import resources

import yaml

from actions.registry import executor
from bot.action_client import ActionRunner, HttpRunner, InProcessRunner
from bot.channels import telegram, wechat
from bot.channels.contract import AppChannel, Pushes
from bot.engine import Engine
from bot.knowledge import Knowledge
from bot.nlu import cache as nlu_cache
from bot.nlu.parser import NLU, Thresholds
from bot.policy import Policy
from core.config import Settings
from core.db import Database, utcnow
from core.media import MediaStore, store_for
from core.runtime import Runtime
from handoff.agents import demo_password, seed_demo_desk
from handoff.desk import clock_from, load_desk
from handoff.escalation import QueueDesk
from handoff.helpdesk import HelpDesk
from handoff.queue import TicketQueue
from knowledge_base.store import load_files, published, seed
from merchant.business_days import seed_holidays
from merchant.demo import load_if_empty
from merchant.store import MerchantData

log = logging.getLogger("triage")

# Offered when nothing matched: the questions customers ask most.
SUGGESTIONS = (
    "shipping_dispatch_time",
    "order_where_is_my_order",
    "refund_processing_time",
    "pay_cod_remittance_overdue",
)


def load_responses() -> dict[str, dict[str, str]]:
    raw = (resources.files("triage") / "responses.yaml").read_text(encoding="utf-8")
    return dict(yaml.safe_load(raw))


@dataclass
class Instance:
    """Everything one instance runs, wired once."""

    db: Database
    runtime: Runtime
    knowledge: Knowledge
    policy: Policy
    desk: HelpDesk
    engine: Engine
    actions: ActionRunner | None = None
    media: MediaStore | None = None
    # The chat apps configured, by name (bot/channels/contract.py), and what sends them pushes.
    channels: dict[str, AppChannel] = field(default_factory=dict)
    pushes: Pushes | None = None

    def close(self) -> None:
        if self.pushes is not None:
            self.pushes.close()  # waits for the pushes under way: they need the channels' clients
        for channel in self.channels.values():
            channel.close()
        if self.actions is not None:
            self.actions.close()
        self.runtime.close()
        self.db.engine.dispose()


def assemble(
    db: Database,
    runtime: Runtime,
    nlu: NLU,
    *,
    actions: ActionRunner | None,
    now: Callable[[], datetime] = utcnow,
    is_holiday: Callable[[date], bool] | None = None,
    questions: dict[str, str] | None = None,
    identity_secret: str | None = None,
    max_chars: int = 2000,
    media: MediaStore | None = None,
    channels: list[AppChannel] | None = None,
) -> Instance:
    """Wire the parts around a migrated database and a trained NLU."""
    rules = load_desk()
    knowledge = Knowledge(nlu)
    policy = Policy(knowledge.entries, load_responses(), nlu.thresholds, SUGGESTIONS, rules.high_value_total)
    closed = is_holiday or (lambda _: False)
    # The questions the tickets' summaries name what the bot answered by (the knowledge base's own).
    questions = questions if questions is not None else {e.id: e.question["zh"] for e in knowledge.entries.values()}
    desk = HelpDesk(TicketQueue(runtime.sync, rules), rules, questions, now=now, is_holiday=closed)
    pushes = Pushes.of(channels) if channels else None
    engine = Engine(
        db,
        runtime,
        knowledge,
        policy,
        QueueDesk(desk),
        max_chars=max_chars,
        actions=actions,
        identity_secret=identity_secret,
        push=pushes,
    )
    by_name = {c.name: c for c in channels or []}
    return Instance(db, runtime, knowledge, policy, desk, engine, actions, media, by_name, pushes)


def build(settings: Settings) -> Instance:
    """Everything one instance needs: schema migrated, KB seeded, NLU trained, queues repaired."""
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
    merchant = MerchantData.for_settings(settings, db)
    runtime = Runtime(settings.redis_url)
    media = store_for(settings)
    channels = [
        c
        for c in (wechat.from_settings(settings, runtime, media), telegram.from_settings(settings, runtime, media))
        if c
    ]
    instance = assemble(
        db,
        runtime,
        nlu,
        actions=action_runner(settings, merchant),
        now=clock_from(settings.frozen_now) if settings.frozen_now else utcnow,
        is_holiday=lambda day: day in merchant.calendar().closures,
        questions={e.id: e.question["zh"] for e in entries},
        identity_secret=settings.identity_secret,
        max_chars=settings.max_message_chars,
        media=media,
        channels=channels,
    )
    for channel in channels:
        log.info("channel %s: configured", channel.name)
    with db.session() as session:
        instance.desk.reconcile(session)  # Redis may have lost the queues (flush, new instance): SQL has them
    return instance


def action_runner(settings: Settings, merchant: MerchantData) -> ActionRunner:
    """The action server over HTTP when ACTION_ENDPOINT_URL is set, else the same actions in-process."""
    if settings.action_endpoint_url:
        return HttpRunner(settings.action_endpoint_url)
    return InProcessRunner(executor(merchant))
