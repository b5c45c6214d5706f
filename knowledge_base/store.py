"""Loading the curated data files and reading the published knowledge base from the database."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge_base.models import Entry, KBEntry
from knowledge_base.topics import TOPICS


class KnowledgeBaseError(ValueError):
    """A data file or entry is malformed; the message names the file, entry and field."""


def data_files() -> list[Path]:
    """The bundled FAQ files and the built-in intents file, in load order."""
    kb = resources.files("knowledge_base") / "data"
    intents = resources.files("knowledge_base") / "intents.yaml"
    faq = sorted(Path(str(p)) for p in kb.iterdir() if str(p).endswith(".yaml"))
    return [*faq, Path(str(intents))]


def _validate(data: Any, where: str) -> None:
    if not isinstance(data, dict):
        raise KnowledgeBaseError(f"{where}: an entry must be a mapping")
    for key in ("id", "topic", "question", "answer"):
        if not data.get(key):
            raise KnowledgeBaseError(f"{where}: field '{key}' is missing or empty")
    if data["topic"] not in TOPICS:
        raise KnowledgeBaseError(f"{where}: field 'topic' has unknown topic {data['topic']!r}")
    for key in ("question", "answer"):
        value = data[key]
        if not isinstance(value, dict) or not value.get("zh") or not value.get("en"):
            raise KnowledgeBaseError(f"{where}: field '{key}' needs both 'zh' and 'en'")
    paraphrases = data.get("paraphrases", {})
    if not isinstance(paraphrases, dict) or not all(isinstance(v, list) for v in paraphrases.values()):
        raise KnowledgeBaseError(f"{where}: field 'paraphrases' must map a language to a list")


def load_file(path: Path) -> list[Entry]:
    """Read and validate one YAML file; intents.yaml holds built-in intents, the rest FAQ."""
    kind = "intent" if path.name == "intents.yaml" else "faq"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise KnowledgeBaseError(f"{path.name}: not valid YAML: {exc}") from exc
    if not isinstance(raw, list):
        raise KnowledgeBaseError(f"{path.name}: the file must be a list of entries")
    entries = []
    for n, item in enumerate(raw, 1):
        _validate(item, f"{path.name} entry {n} ({item.get('id') if isinstance(item, dict) else '?'})")
        entries.append(Entry.from_data(item, kind))
    return entries


def load_files(paths: Iterable[Path] | None = None) -> list[Entry]:
    """All entries of the given files (default: the bundled ones); ids must be unique."""
    entries: list[Entry] = []
    seen: set[str] = set()
    for path in paths if paths is not None else data_files():
        for entry in load_file(path):
            if entry.id in seen:
                raise KnowledgeBaseError(f"{path.name}: duplicate entry id {entry.id!r}")
            seen.add(entry.id)
            entries.append(entry)
    return entries


def seed(session: Session, entries: Sequence[Entry]) -> int:
    """Insert entries whose id is not in the database yet; staff edits are never overwritten."""
    existing = set(session.scalars(select(KBEntry.id)))
    added = 0
    for e in entries:
        if e.id in existing:
            continue
        session.add(
            KBEntry(
                id=e.id,
                kind=e.kind,
                topic=e.topic,
                tags=e.tags,
                question_zh=e.question["zh"],
                question_en=e.question["en"],
                answer_zh=e.answer["zh"],
                answer_en=e.answer["en"],
                paraphrases=e.paraphrases,
                action=e.action,
            )
        )
        added += 1
    return added


def published(session: Session) -> list[Entry]:
    """The entries the bot answers from."""
    rows = session.scalars(select(KBEntry).where(KBEntry.status == "published").order_by(KBEntry.id))
    return [Entry.from_row(r) for r in rows]
