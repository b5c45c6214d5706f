"""Live reload of the knowledge base: a published change reaches every bot instance.

The instance where staff save an entry announces it on Redis pub/sub (`kb:changed`); every
instance (itself included) re-reads the published entries and swaps in a freshly built NLU
without a restart. Announcements that arrive while a rebuild runs are folded into one more
quick update, and a full build still running when another change lands is built again.

A change is answered within a fraction of a second: only the changed entries are re-indexed
and their classifiers retrained, the calibration kept (`NLU.update`, an import of many entries
refits the matcher instead); the full build, calibration included, follows in the background
(about 5 s on the bundled knowledge base).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time

from fastapi.concurrency import run_in_threadpool

from bot.nlu.parser import NLU
from core.runtime import Runtime, ServiceUnavailable
from knowledge_base.store import published
from triage.wiring import Instance

log = logging.getLogger(__name__)
KB_CHANNEL = "kb:changed"


def announce(runtime: Runtime, entry_id: str) -> None:
    """Tell every instance that `entry_id` changed (best effort: a lost one waits for the next)."""
    try:
        runtime.publish(KB_CHANNEL, {"entry_id": entry_id, "at": time.time()})
    except ServiceUnavailable:
        log.warning("knowledge base change to %s not announced: Redis unavailable", entry_id)


def rebuild(instance: Instance, *, quick: bool) -> int:
    """Build the NLU from what is published now and swap it in; returns the entry count.

    `quick` updates the changed entries in place and keeps the calibrator (a few hundred
    milliseconds); the full build also re-learns everything else (about 5 s)."""
    if not quick:
        nlu = build(instance)
    else:
        # Read, then train with the session closed: on SQLite sessions take turns (core/db.py),
        # so a session held while training would hold up every conversation.
        with instance.db.session() as session:
            entries = published(session)
        nlu = instance.knowledge.nlu.update(entries)
    swap(instance, nlu)
    return len(nlu.entries)


def build(instance: Instance) -> NLU:
    """A full build, calibration included, from what is published now."""
    with instance.db.session() as session:
        entries = published(session)
    current = instance.knowledge.nlu
    current.matcher.remember_meanings()  # embed only what changed, not the whole knowledge base
    return NLU.build(entries, current.thresholds, since=current)  # the domain gate kept for a few edits


def swap(instance: Instance, nlu: NLU) -> None:
    instance.knowledge.swap(nlu)  # the parser and the policy both read the entries through it


async def follow(instance: Instance) -> None:
    """Rebuild whenever any instance announces a change; runs for the life of the app.

    Each change is answered by a quick update at once. The full build that refreshes the
    calibration runs beside it in the background and is only swapped in if no change came
    while it ran (it read the entries before that change); otherwise it starts again."""
    pending = asyncio.Event()
    generation = 0  # one more for every quick update; a full build is current if it matches
    full: asyncio.Task[None] | None = None

    async def listen() -> None:
        async for _ in instance.runtime.subscribe(KB_CHANNEL):
            pending.set()

    async def recalibrate() -> None:
        while True:
            started_at, started = generation, time.monotonic()
            try:
                nlu = await run_in_threadpool(functools.partial(build, instance))
            except Exception:
                log.exception("knowledge base full rebuild failed; the quick update keeps answering")
                return
            if generation == started_at:
                swap(instance, nlu)
                log.info(
                    "knowledge base reloaded (full): %d entries in %.1f s", len(nlu.entries), time.monotonic() - started
                )
                return
            # A change was applied while this build ran: it is stale, build again.

    listener = asyncio.create_task(listen())
    try:
        while True:
            await pending.wait()
            pending.clear()
            generation += 1
            started = time.monotonic()
            try:
                count = await run_in_threadpool(functools.partial(rebuild, instance, quick=True))
            except Exception:
                log.exception("knowledge base reload failed; the previous version keeps answering")
                continue
            log.info("knowledge base reloaded (quick): %d entries in %.2f s", count, time.monotonic() - started)
            # The quick step trains from scratch when the matcher changed kind: then it is calibrated.
            if not instance.knowledge.nlu.matcher.calibrated and (full is None or full.done()):
                full = asyncio.create_task(recalibrate())
    finally:
        listener.cancel()
        if full is not None:
            full.cancel()
