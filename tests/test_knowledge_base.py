"""The curated knowledge base itself: size, bilingual coverage, topics, and loading rules."""

from collections import Counter
from pathlib import Path

import pytest

from bot.nlu.parser import NLU
from knowledge_base.store import KnowledgeBaseError, load_file, load_files
from knowledge_base.topics import TOPICS

REQUIRED_TOPICS = {
    "shipping_speed",
    "stock",
    "refund",
    "payment_arrival",
    "order_status",
    "human_request",
    "complaint",
    "out_of_scope",
    "greeting",
    "goodbye",
    "thanks",
}


def test_at_least_sixty_bilingual_faq_entries_with_ten_chinese_and_six_english_asks() -> None:
    faq = [e for e in load_files() if e.kind == "faq"]
    assert len(faq) >= 60
    for e in faq:
        assert e.answer["zh"] and e.answer["en"], e.id
        assert len(set(e.paraphrases["zh"])) >= 10, e.id
        assert len(set(e.paraphrases["en"])) >= 6, e.id


def test_every_required_topic_exists_and_every_entry_has_a_known_topic() -> None:
    entries = load_files()
    assert {e.topic for e in entries} >= REQUIRED_TOPICS
    assert all(e.topic in TOPICS for e in entries)


def test_the_main_desk_topics_are_covered_in_depth() -> None:
    counts = Counter(e.topic for e in load_files() if e.kind == "faq")
    for topic in ("shipping_speed", "refund", "payment_arrival", "order_status", "stock"):
        assert counts[topic] >= 5, topic


def test_a_malformed_file_names_the_entry_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("- id: x\n  topic: refund\n  question: {zh: 退款}\n  answer: {zh: a, en: b}\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match=r"bad.yaml entry 1 \(x\): field 'question' needs both"):
        load_file(bad)


def test_an_unknown_topic_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "- id: x\n  topic: weather\n  question: {zh: a, en: b}\n  answer: {zh: a, en: b}\n", encoding="utf-8"
    )
    with pytest.raises(KnowledgeBaseError, match="unknown topic 'weather'"):
        load_file(bad)


def test_no_phrasing_is_claimed_by_two_entries_once_normalised() -> None:
    from core.text import normalize

    owners: dict[str, set[str]] = {}
    for e in load_files():
        for text in e.examples():
            owners.setdefault(normalize(text), set()).add(e.id)
    clashes = {text: ids for text, ids in owners.items() if len(ids) > 1}
    assert not clashes, f"the same phrasing teaches two entries: {clashes}"


@pytest.fixture(scope="module")
def product_nlu(nlu: NLU) -> NLU:
    """The product's NLU on its bundled knowledge base (the suite's shared one, same thresholds)."""
    return nlu


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        # Urgency is a question of speed; choosing SF is a question of its fee.
        ("这单很急，能不能快点发出来", "shipping_speed"),
        ("please rush it, i need it by sunday", "shipping_speed"),
        ("不满199可以选顺丰吗", "shipping_fee"),
        # Paying by company transfer is a payment method; a transfer not yet confirmed is arrival.
        ("我们单位能用对公账户付款吗", "payment_method"),
        ("对公转账两天了订单还没确认", "payment_arrival"),
        # A shipper's remittance marked paid but missing from the bank is not a buyer's refund.
        ("回款明细显示已打款，可是银行卡里一直没有", "payment_arrival"),
        # Small talk about the bot itself is chitchat (the bot introduces itself), not a miss that
        # counts toward a handoff; someone else's service is out of scope.
        ("你平时喜欢干什么", "chitchat"),
        ("how old are you", "chitchat"),
        ("帮我查一下圆通的快递 不是你们家的", "out_of_scope"),
    ],
)
def test_phrasings_that_neighbouring_entries_compete_for_go_to_the_right_topic(
    product_nlu: NLU, text: str, topic: str
) -> None:
    assert product_nlu.parse(text).topic == topic


@pytest.mark.parametrize(
    "text", ["怎么还没收到货，都五天了", "货还没到", "I have not received my order yet", "我的包裹一直没到"]
)
def test_goods_not_received_is_tracking_whatever_words_it_shares_with_cod_money(nlu, text: str) -> None:  # type: ignore[no-untyped-def]
    assert nlu.parse(text).topic == "order_status"


@pytest.mark.parametrize("text", ["签收了货款还没到", "买家说没收到货，我的货款怎么办", "退款还没到"])
def test_money_not_received_stays_a_money_question(nlu, text: str) -> None:  # type: ignore[no-untyped-def]
    assert nlu.parse(text).topic in ("payment_arrival", "refund")
