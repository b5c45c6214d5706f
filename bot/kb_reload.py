"""Live reload of the knowledge base: a published change reaches every bot instance.

The instance where staff save an entry announces it on Redis pub/sub (`kb:changed`); every
instance (itself included) re-reads the published entries and swaps in a freshly built NLU
without a restart. Announcements that arrive while a rebuild runs are folded into one more
rebuild, so a burst of edits costs two builds, not one per edit.

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

from bot.engine import Engine
from bot.nlu.parser import NLU
from bot.runtime import ServiceUnavailable
from knowledge_base.store import published

log = logging.getLogger(__name__)
KB_CHANNEL = "kb:changed"


def announce(engine: Engine, entry_id: str) -> None:
    """Tell every instance that `entry_id` changed (best effort: a lost one waits for the next)."""
    try:
        engine.runtime.publish(KB_CHANNEL, {"entry_id": entry_id, "at": time.time()})
    except ServiceUnavailable:
        log.warning("knowledge base change to %s not announced: Redis unavailable", entry_id)


def rebuild(engine: Engine, *, quick: bool) -> int:
    """Build the NLU from what is published now and swap it in; returns the entry count.

    `quick` updates the changed entries in place and keeps the calibrator (a few hundred
    milliseconds); the full build also re-learns everything else (about 5 s)."""
    with engine.db.session() as session:
        entries = published(session)
    nlu = engine.nlu.update(entries) if quick else NLU.build(entries, engine.nlu.thresholds)
    engine.nlu = nlu
    engine.policy.entries = nlu.entries
    return len(entries)


async def follow(engine: Engine) -> None:
    """Rebuild whenever any instance announces a change; runs for the life of the app."""
    pending = asyncio.Event()

    async def listen() -> None:
        async for _ in engine.runtime.subscribe(KB_CHANNEL):
            pending.set()

    listener = asyncio.create_task(listen())
    try:
        while True:
            await pending.wait()
            pending.clear()
            for quick in (True, False):  # answer the change at once, then refresh the calibration
                if not quick and (pending.is_set() or engine.nlu.matcher.calibrated):
                    # Another change came in (its quick update comes first), or the quick step
                    # already had to train from scratch (the matcher changed kind).
                    break
                started = time.monotonic()
                try:
                    count = await run_in_threadpool(functools.partial(rebuild, engine, quick=quick))
                except Exception:
                    log.exception("knowledge base reload failed; the previous version keeps answering")
                    break
                kind = "quick" if quick else "full"
                log.info("knowledge base reloaded (%s): %d entries in %.1f s", kind, count, time.monotonic() - started)
    finally:
        listener.cancel()
