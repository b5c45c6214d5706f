"""The domain gate: the world's questions in our words are out of scope; ours stay ours."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.nlu.domain import DomainGate, general_questions
from bot.nlu.evaluate import entries_from_rows
from bot.nlu.parser import MAX_INCREMENTAL, NLU, OUT_OF_SCOPE
from knowledge_base.store import load_files
from tests.small_kb import SMALL_KB, rows


def test_bundled_everyday_questions_are_many_and_in_every_language() -> None:
    rows = general_questions()
    assert len(rows) > 5000
    assert any("理赔" in r for r in rows) and any("到帳" in r or "到账" in r for r in rows)
    assert sum(r.isascii() for r in rows) > 2000


def test_gate_learns_both_sides_and_refuses_one_sided_data() -> None:
    gate = DomainGate.train(
        ["我的订单到哪了", "怎么申请退款", "where is my order", "refund please"],
        ["信用卡怎么提额", "明天天气怎么样", "how to renew my passport", "car insurance claim"],
    )
    ours, theirs = gate.ours(["订单到哪了", "信用卡提额"])
    assert ours > 0.5 > theirs
    with pytest.raises(ValueError, match="both sides"):
        DomainGate.train(["a"], [])


@pytest.mark.parametrize(
    "text",
    [
        "社保卡补办要带什么材料",  # everyday life
        "燃气卡充值了表上没显示",  # a utility's top-up, in the words of our payments
        "寬頻合約想提早取消，要罰幾多？",  # a broadband contract, not our cancellation
        "车险理赔一般要多久",  # an insurer's claim, not our 理赔
        "宽带合约提前取消要赔多少",  # a telecom contract, not our cancellation
        "my phone bill charged me twice, how to complain to the telco",
        "travel insurance can claim lost luggage or not",
    ],
)
def test_the_worlds_questions_in_our_words_are_out_of_scope(nlu: NLU, text: str) -> None:
    parsed = nlu.parse(text)
    assert parsed.intent == OUT_OF_SCOPE, (text, parsed.candidates[:2])


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("退款多久到账", "refund"),
        ("收到的杯子碎了怎么理赔", "claim"),
        ("how do I change the phone number on my account", "account"),
        ("在吗", "greeting"),
        # Spoken to us, or our own account's login and phone: never the world's.
        ("Dear team, I cannot log in to the YouXuan app because the SMS code never comes", "account"),
        ("my new SIM has a different number, how to update the one registered on my account", "account"),
        ("帳戶登入唔到 一直話密碼錯", "account"),
        # A greeting before the question does not win over it.
        ("在吗在吗 我买的包裹到哪里了 等好久了", "order_status"),
        ("hi there, do you accept cash on delivery?", "payment_method"),
    ],
)
def test_our_questions_and_small_talk_pass_the_gate(nlu: NLU, text: str, topic: str) -> None:
    assert nlu.parse(text).topic == topic


def test_the_gate_is_only_for_the_desk_and_is_named_as_the_evidence(nlu: NLU) -> None:
    parsed = nlu.parse("travel insurance can claim lost luggage or not")  # the gate, not the lists
    assert parsed.candidates[0].label == OUT_OF_SCOPE
    assert "domain gate" in parsed.candidates[0].example
    # Public sets are measured without the desk's rules: no gate is trained for them.
    entries = [e for e in load_files() if e.topic in {"refund", "claim", OUT_OF_SCOPE}]
    assert NLU.build(entries, merchant_rules=False).gate is None


def test_an_entry_changed_since_the_gate_was_trained_is_not_judged_by_it(nlu: NLU) -> None:
    # A staff edit lands at once (NLU.update) and the gate learns it at the next full build;
    # until then the new phrasing is the editor's word that it is ours.
    text = "my nephew's tamagotchi keeps beeping at night"
    assert nlu.parse(text).intent == OUT_OF_SCOPE
    entry = next(e for e in nlu.entries.values() if e.id == "product_material_care")
    taught = replace(entry, paraphrases={**entry.paraphrases, "en": [*entry.paraphrases["en"], text]})
    updated = nlu.update([taught if e.id == entry.id else e for e in nlu.entries.values()])
    assert "product_material_care" in updated.ungated
    assert updated.parse(text).faq_id == "product_material_care"


def test_a_live_rebuild_after_a_few_edits_keeps_the_gate_and_a_large_change_retrains_it() -> None:
    entries = entries_from_rows(rows(*SMALL_KB))
    first = NLU.build(entries)
    assert first.gate is not None
    edited = [
        replace(e, paraphrases={**e.paraphrases, "en": [*e.paraphrases.get("en", []), "edited"]}) for e in entries
    ]
    few = NLU.build([*edited[:2], *entries[2:]], since=first)
    assert few.gate is first.gate and few.ungated == {entries[0].id, entries[1].id}
    many = NLU.build(edited * 1, since=replace_ungated(first, MAX_INCREMENTAL))
    assert many.gate is not first.gate and not many.ungated


def replace_ungated(nlu: NLU, n: int) -> NLU:
    """`nlu` as if `n` more entries had changed since its gate was trained."""
    return NLU(
        list(nlu.entries.values()),
        nlu.matcher,
        nlu.thresholds,
        nlu.merchant_rules,
        nlu.gate,
        frozenset(f"gone-{i}" for i in range(n)),
    )
