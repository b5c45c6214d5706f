"""The curated knowledge base itself: size, bilingual coverage, topics, and loading rules."""

from collections import Counter
from pathlib import Path

import pytest

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
    from bot.nlu.normalize import normalize

    owners: dict[str, set[str]] = {}
    for e in load_files():
        for text in e.examples():
            owners.setdefault(normalize(text), set()).add(e.id)
    clashes = {text: ids for text, ids in owners.items() if len(ids) > 1}
    assert not clashes, f"the same phrasing teaches two entries: {clashes}"
