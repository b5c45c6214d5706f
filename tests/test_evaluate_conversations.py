"""The conversation runner: labelled conversations played through the whole bot, scored by outcome and queue."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.servers import MODEL_CACHE
from triage.evaluate_conversations import Case, evaluate, read_cases, report, summary


def test_malformed_conversations_are_refused_naming_the_case(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("- id: x1\n  turns: ['hi']\n  outcome: handoff\n  queue: null\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.yaml\[0\]: a handoff names one of"):
        read_cases([bad])
    bad.write_text("- id: x1\n  turns: []\n  outcome: answered\n  queue: null\n", encoding="utf-8")
    with pytest.raises(ValueError, match="turns must be a list"):
        read_cases([bad])


def test_outcomes_are_read_from_the_record_as_the_desk_sees_them(tmp_path: Path) -> None:
    cases = [
        Case("faq", ("下单后多久发货",), "answered", None),
        Case("ask", ("我的快递到哪了",), "asks_order", None),
        Case("lookup", ("我的订单 YX20261121000001 到哪了", "5601"), "answered", None),
        Case("person", ("退款多久到账", "转人工"), "handoff", "general"),
        Case("wrong-queue", ("转人工",), "handoff", "claims"),  # scored as a miss of the queue
    ]
    results = evaluate(cases, tmp_path, date(2026, 11, 23), Path(MODEL_CACHE))
    got = {r.case.id: (r.outcome, r.queue) for r in results}
    assert got == {
        "faq": ("answered", None),
        "ask": ("asks_order", None),
        "lookup": ("answered", None),
        "person": ("handoff", "general"),
        "wrong-queue": ("handoff", "general"),
    }
    figures = summary(results)
    assert figures["outcome"] == 1.0 and figures["right"] == 0.8 and figures["queues"] == (1, 2)
    assert "MISS wrong-queue: want handoff/claims, got handoff/general" in report(results, show_misses=True)
