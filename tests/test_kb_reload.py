"""A published knowledge-base change is answered without a restart."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from knowledge_base.models import KBEntry
from triage.wiring import Instance

NEW_WAY = "嘀嘀嗒嗒哔哔叭叭"  # a phrasing nobody has taught the bot


def test_a_new_paraphrase_is_answered_after_the_change_is_announced(client: TestClient, instance: Instance) -> None:
    before = client.post("/model/parse", json={"text": NEW_WAY}).json()
    assert before["faq_id"] != "shipping_dispatch_time"
    with instance.db.session() as s:
        row = s.get_one(KBEntry, "shipping_dispatch_time")
        row.paraphrases = {**row.paraphrases, "zh": [*row.paraphrases["zh"], NEW_WAY]}
    client.app.state.kb_changed("shipping_dispatch_time")  # type: ignore[attr-defined]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if client.post("/model/parse", json={"text": NEW_WAY}).json()["faq_id"] == "shipping_dispatch_time":
            break
        time.sleep(0.2)
    else:
        raise AssertionError("the new phrasing was never answered")
    chat = client.post("/webhooks/rest/webhook", json={"sender": "kb", "message": NEW_WAY}).json()
    assert chat[0]["custom"]["faq_id"] == "shipping_dispatch_time"


def test_a_quick_refit_answers_the_change(instance: Instance) -> None:
    """The swap the instances make first: classifier and index refitted, calibration kept
    (its speed is measured by bench/kb_reload.py, not asserted here)."""
    from triage.kb_reload import rebuild

    with instance.db.session() as s:
        row = s.get_one(KBEntry, "shipping_dispatch_time")
        row.paraphrases = {**row.paraphrases, "zh": [*row.paraphrases["zh"], NEW_WAY]}
    rebuild(instance, quick=True)
    assert instance.knowledge.nlu.parse(NEW_WAY).faq_id == "shipping_dispatch_time"
