"""The knowledge base in the database (knowledge_base/store.py, versions.py), the same on SQLite
and on PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from knowledge_base import versions
from knowledge_base.models import Entry, KBEntry
from knowledge_base.store import load_files, published, seed
from tests.backends import Backend, backend_fixture  # noqa: F401  (the `backend` fixture: each test runs on both)

EDITOR = versions.Editor(id=7, username="wangfang")


def _new_entry(**changes: Any) -> dict[str, Any]:
    content: dict[str, Any] = {
        "kind": "faq",
        "topic": "invoice",
        "tags": ["发票", "invoice"],
        "question": {"zh": "能开专票吗？", "en": "Can I get a VAT special invoice?"},
        "answer": {"zh": "可以，请提供税号。", "en": "Yes: send us your tax number."},
        "paraphrases": {"zh": ["专票", "增值税专用发票"], "en": ["vat invoice"]},
        "action": None,
        "status": "published",
    }
    return content | changes


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    """The bundled files, read once: parsing them takes longer than a test."""
    return load_files()


@pytest.fixture
def seeded(backend: Backend, entries: list[Entry]) -> Backend:
    with backend.db.session() as s:
        seed(s, entries)
    return backend


def test_seeding_again_adds_nothing(backend: Backend, entries: list[Entry]) -> None:
    with backend.db.session() as s:
        assert seed(s, entries) == len(entries) > 50
    with backend.db.session() as s:
        assert seed(s, entries) == 0
        assert s.scalar(select(func.count()).select_from(KBEntry)) == len(entries)


def test_published_gives_back_every_seeded_entry_as_the_files_have_it_in_id_order(
    seeded: Backend, entries: list[Entry]
) -> None:
    """Chinese text, paraphrase lists and tags survive JSON (SQLite) and JSONB (PostgreSQL)."""
    with seeded.db.session() as s:
        assert published(s) == sorted(entries, key=lambda e: e.id)


def test_seeding_never_overwrites_a_staff_edit(seeded: Backend, entries: list[Entry]) -> None:
    edited = entries[0]
    with seeded.db.session() as s:
        content = versions.snapshot(versions.get(s, edited.id))
        content["answer"] = {"zh": "新的回答", "en": "A new answer"}
        versions.update(s, edited.id, content, editor=EDITOR)
    with seeded.db.session() as s:
        assert seed(s, entries) == 0
        entry = next(e for e in published(s) if e.id == edited.id)
        assert entry.answer == {"zh": "新的回答", "en": "A new answer"}


def test_only_published_entries_are_answered_from(seeded: Backend, entries: list[Entry]) -> None:
    archived, drafted = entries[0].id, entries[1].id
    with seeded.db.session() as s:
        versions.set_status(s, archived, "archived", editor=EDITOR)
        versions.create(s, "vat_special_invoice", _new_entry(status="draft"), editor=EDITOR)
        versions.save_draft(s, drafted, {"answer": {"zh": "草稿", "en": "draft"}}, editor=EDITOR)
    with seeded.db.session() as s:
        live = {e.id: e for e in published(s)}
    assert archived not in live and "vat_special_invoice" not in live
    assert live[drafted].answer == entries[1].answer  # a pending draft is not live yet
    assert len(live) == len(entries) - 1


def test_a_new_entry_starts_its_history_at_version_one_and_an_edit_adds_the_next(backend: Backend) -> None:
    with backend.db.session() as s:
        row = versions.create(s, "vat_special_invoice", _new_entry(), editor=EDITOR)
        assert row.version == 1
    with backend.db.session() as s:
        edit = _new_entry(answer={"zh": "可以，开票约需三个工作日。", "en": "Yes, in about three business days."})
        edit["paraphrases"] = {"zh": ["专票", "增值税专用发票", "开专票"], "en": ["vat invoice"]}
        row = versions.update(s, "vat_special_invoice", edit, editor=EDITOR)
        assert row.version == 2
    with backend.db.session() as s:
        history = versions.history(s, "vat_special_invoice")
    assert [(h["version"], h["who"], h["note"]) for h in history] == [
        (1, "wangfang", "created"),
        (2, "wangfang", "edited"),
    ]
    assert history[1]["changed"] == ["answer.en", "answer.zh", "paraphrases.zh"]
    assert all(datetime.fromisoformat(h["when"]).tzinfo is not None for h in history)


def test_saving_the_same_content_again_is_not_a_new_version(backend: Backend) -> None:
    with backend.db.session() as s:
        versions.create(s, "vat_special_invoice", _new_entry(), editor=EDITOR)
    with backend.db.session() as s:
        assert versions.update(s, "vat_special_invoice", _new_entry(), editor=EDITOR).version == 1
        assert len(versions.history(s, "vat_special_invoice")) == 1


def test_rolling_back_brings_an_old_version_back_as_a_new_one(backend: Backend) -> None:
    with backend.db.session() as s:
        versions.create(s, "vat_special_invoice", _new_entry(), editor=EDITOR)
        versions.update(s, "vat_special_invoice", _new_entry(tags=["专票"], topic="payment_method"), editor=EDITOR)
        versions.set_status(s, "vat_special_invoice", "archived", editor=EDITOR)
    with backend.db.session() as s:
        row = versions.rollback(s, "vat_special_invoice", 1, editor=EDITOR)
        assert row.version == 4
    with backend.db.session() as s:
        row = versions.get(s, "vat_special_invoice")
        assert versions.snapshot(row) == _new_entry(status="archived")  # the content of 1, the status as it is
        assert versions.history(s, "vat_special_invoice")[-1]["note"] == "rolled back to version 1"
        assert "-topic: payment_method\n+topic: invoice\n" in versions.diff(s, "vat_special_invoice", 3, 4)
        with pytest.raises(versions.VersionNotFound):
            versions.rollback(s, "vat_special_invoice", 9, editor=EDITOR)


def test_a_seeded_entrys_first_edit_keeps_the_files_version_to_roll_back_to(
    seeded: Backend, entries: list[Entry]
) -> None:
    original = entries[0]
    with seeded.db.session() as s:
        assert versions.history(s, original.id)[0]["note"] == "not edited yet"
        content = versions.snapshot(versions.get(s, original.id))
        content["question"] = {"zh": "物流怎么查", "en": "How do I track it?"}
        assert versions.update(s, original.id, content, editor=EDITOR).version == 2
    with seeded.db.session() as s:
        history = versions.history(s, original.id)
        assert [(h["version"], h["who"]) for h in history] == [(1, None), (2, "wangfang")]
        versions.rollback(s, original.id, 1, editor=EDITOR)
    with seeded.db.session() as s:
        assert next(e for e in published(s) if e.id == original.id) == original


def test_creating_an_id_that_exists_is_refused_and_changes_nothing(seeded: Backend, entries: list[Entry]) -> None:
    taken = entries[0]
    with pytest.raises(versions.EntryExists), seeded.db.session() as s:
        versions.create(s, taken.id, _new_entry(), editor=EDITOR)
    with seeded.db.session() as s:
        assert next(e for e in published(s) if e.id == taken.id) == taken
        assert versions.history(s, taken.id)[0]["note"] == "not edited yet"
    with pytest.raises(versions.EntryNotFound), seeded.db.session() as s:
        versions.update(s, "no_such_entry", _new_entry(), editor=EDITOR)
