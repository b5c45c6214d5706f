"""The words of the generated history: what customers say, and what the bot, the lookups, the
desk and the agents answer.

Customers speak in the knowledge base's own phrasings (knowledge_base/data/*.yaml and the
intents), in the script they were written in: Simplified or Traditional Chinese, English, or
both mixed. The bot answers with the entries' answers and its own lines (triage/responses.yaml),
the lookups with the actions' lines (actions/replies.yaml), the desk with handoff/lines.yaml, and
agents with the desk's canned replies and the entries' answers. What the NLU records of a
message (language, entities, major complaint) is computed by the NLU's own functions.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from random import Random
from typing import Any

from actions.base import replies as action_replies
from bot.nlu.entities import extract_entities
from bot.nlu.language import detect_language
from bot.nlu.sentiment import ANGRY_THRESHOLD
from bot.nlu.severity import major_complaint
from bot.policy import Policy
from bot.script import in_script as to_script
from bot.script import written_in
from core.text import to_simplified
from handoff.agents import DEMO_CANNED
from handoff.lines import line
from handoff.ratings import rating_buttons
from knowledge_base.models import Entry
from merchant.demo.catalogue import catalogue_data
from triage.wiring import SUGGESTIONS, load_responses

Script = str  # zh (Simplified), tw (Traditional), en, mixed
SCRIPTS: tuple[Script, ...] = ("zh", "tw", "en", "mixed")
# Numbers in the knowledge base's phrasings: the showcase orders'; a customer gives their own.
_ORDER_NO = re.compile(r"YX\d{14}")
# Phrasings that sound fed up (查货 "都四天了", 查款 "怎么还没到"): an angry customer's words.
_FED_UP = re.compile(
    r"到底|怎么还|还没|都\S{0,3}天了|！！|!!|急死|太慢|垃圾|搞什么|什么情况|怎么回事|一直|still|\?\?|？？"
)
_CANNED = {title: (zh, en) for title, zh, en, _ in DEMO_CANNED}
# What the desk writes for itself (never to the customer): agents' notes, supervisors' whispers.
NOTES = ("已联系承运商查件，等回复", "客户要求尽快处理，已加急", "已核对收款账户，等财务确认", "客户已上传破损照片",
         "需主管确认补偿金额", "客户情绪激动，注意安抚", "已登记，明早跟进")  # fmt: skip
WHISPERS = ("先安抚客户情绪，再说明处理时效", "可以直接给客户申请补发", "这单已超时，优先处理",
            "别承诺具体到账日期", "这位是老客户，语气客气一些", "照片齐了就直接提交理赔")  # fmt: skip


@dataclass(frozen=True)
class Said:
    """A customer's message as the NLU reads it: its words, language and the numbers it names."""

    text: str
    language: str
    entities: tuple[dict[str, object], ...]
    script: str | None = None  # hans, hant_hk, hant_tw (bot/script.py), None when its characters do not tell

    @property
    def major(self) -> str | None:
        """A threat to take it outside, or abuse (bot/nlu/severity.py): read when asked, it is slow."""
        return _major(self.text)


class Talk:
    """Phrasings by entry and script, answers, and the product's lines, loaded once."""

    def __init__(self, entries: Sequence[Entry]) -> None:
        self.entries = {e.id: e for e in entries}
        self.policy = Policy(self.entries, load_responses(), suggestions=SUGGESTIONS)
        self._said: dict[tuple[str, Script], tuple[Said, ...]] = {}
        self._fed_up: dict[tuple[str, Script], tuple[Said, ...]] = {}
        for e in entries:
            by_script: dict[Script, list[Said]] = {s: [] for s in SCRIPTS}
            for lang in ("zh", "en"):
                for text in e.paraphrases.get(lang, []):
                    said = read(text)
                    by_script[_script(text, said.language)].append(said)
            for script, found in by_script.items():
                self._said[e.id, script] = tuple(found)
        self.products = tuple((p["zh"], p["en"], int(p["price"])) for p in catalogue_data()["products"])
        self._unread: dict[tuple[str, Script], list[Said]] = {}
        for text, topic in labelled():
            said = read(text)
            self._unread.setdefault((topic, _script(text, said.language)), []).append(said)

    # --- customers ------------------------------------------------------------------------

    def phrasings(self, entry_id: str, script: Script) -> tuple[Said, ...]:
        """The entry's phrasings in `script`, else in Simplified Chinese (every entry has some)."""
        return self._said[entry_id, script] or self._said[entry_id, "zh"] or self._said[entry_id, "en"]

    def says(self, rng: Random, entry_id: str, script: Script, order_no: str | None = None) -> Said:
        """One phrasing of the entry; an order number in it becomes the customer's own."""
        said = rng.choice(self.phrasings(entry_id, script))
        if order_no is not None and _ORDER_NO.search(said.text):
            return read(_ORDER_NO.sub(order_no, said.text))
        return said

    def fed_up(self, rng: Random, entry_ids: Sequence[str], script: Script) -> Said | None:
        """A phrasing of one of the entries that sounds fed up, if the knowledge base has one."""
        key = (",".join(entry_ids), script)
        if key not in self._fed_up:
            found = [s for i in entry_ids for s in self.phrasings(i, script) if _FED_UP.search(s.text)]
            self._fed_up[key] = tuple(found)
        pool = self._fed_up[key]
        return rng.choice(pool) if pool else None

    def unread(self, rng: Random, topic: str, script: Script) -> Said | None:
        """A customer's question on `topic` in words the knowledge base has not got (the team's
        labelled evaluation messages, knowledge_base/eval): what the bot may fail to read."""
        pool = self._unread.get((topic, script)) or self._unread.get((topic, "zh"))
        return rng.choice(pool) if pool else None

    # --- the bot --------------------------------------------------------------------------

    def answer(self, entry_id: str, lang: str) -> str:
        return self.entries[entry_id].answer[lang]

    def question(self, entry_id: str, lang: str) -> str:
        return self.entries[entry_id].question[lang]

    def button(self, entry_id: str, lang: str) -> dict[str, str]:
        return self.policy.button(self.entries[entry_id], lang)

    def say(self, key: str, lang: str, **values: str) -> str:
        """One of the bot's own lines (triage/responses.yaml)."""
        return self.policy.say(key, lang, **values)

    def suggestions(self, lang: str) -> list[dict[str, str]]:
        """The buttons a fallback offers when nothing came close: the usual questions, then a person."""
        return [*(self.button(i, lang) for i in SUGGESTIONS[:3] if i in self.entries), person_button(lang)]

    def lookup(self, key: str, lang: str, **values: Any) -> str:
        """A line the lookups say (actions/replies.yaml)."""
        return action_replies()[key][lang].format(**values)

    # --- the desk and its agents -----------------------------------------------------------

    @staticmethod
    def desk(key: str, lang: str, **values: Any) -> str:
        return line(key, lang, **values)

    @staticmethod
    def rating_buttons(lang: str, ticket_id: int | None) -> list[dict[str, str]]:
        return rating_buttons(lang, ticket_id)

    @staticmethod
    def canned(title: str, lang: str) -> str:
        """A canned reply of the demo desk, by its title (问候, 稍等, 查件, 改收款账户, 理赔照片, 结束语)."""
        zh, en = _CANNED[title]
        return zh if lang == "zh" else en


def person_button(lang: str) -> dict[str, str]:
    """The button that asks for a person, as the policy offers it."""
    return {"title": "转人工" if lang == "zh" else "Talk to a person", "payload": "/human_request"}


def labelled() -> list[tuple[str, str]]:
    """The evaluation sets' customer messages and their topics (dev*.csv, heldout.csv)."""
    folder = resources.files("knowledge_base") / "eval"
    names = sorted(f.name for f in folder.iterdir() if re.fullmatch(r"dev\d*\.csv|heldout\.csv", f.name))
    rows = [row for name in names for row in csv.DictReader(io.StringIO((folder / name).read_text(encoding="utf-8")))]
    return [(row["text"], row["label"]) for row in rows]


def read(text: str) -> Said:
    """What the NLU's own functions make of a text: its language, the numbers in it, its script."""
    return Said(text, detect_language(text), tuple(e.as_dict() for e in extract_entities(text)), written_in(text))


@lru_cache(maxsize=4096)
def in_script(text: str, script: str | None) -> str:
    """A reply (Simplified, as the knowledge base keeps it) in the customer's script (bot/script.py)."""
    return to_script(text, script)


_major = lru_cache(maxsize=50_000)(major_complaint)


def _script(text: str, language: str) -> Script:
    if language == "en":
        return "en"
    if language == "mixed":
        return "mixed"
    return "tw" if to_simplified(text) != text else "zh"


def parse(
    said: Said,
    *,
    intent: str,
    confidence: float,
    topic: str,
    faq_id: str | None,
    ranking: Sequence[tuple[str, float]],
    anger: float = 0.0,
    signals: Sequence[str] = (),
    subject: str | None = None,
) -> dict[str, Any]:
    """What the engine stores as a message's `parse`: Rasa's shape plus language, topic, faq_id,
    sentiment, major and subject (bot/nlu/parser.py `Parse.as_dict`)."""
    return {
        "text": said.text,
        "intent": {"name": intent, "confidence": round(confidence, 4)},
        "intent_ranking": [{"name": label, "confidence": round(c, 4)} for label, c in ranking],
        "entities": list(said.entities),
        "language": said.language,
        "topic": topic,
        "faq_id": faq_id,
        "sentiment": {"anger": round(anger, 3), "angry": anger >= ANGRY_THRESHOLD, "signals": list(signals)},
        # A threat to take it outside makes any message a complaint (parser.py): others have none.
        "major": said.major if topic == "complaint" else None,
        "subject": subject,
    }
