"""Entity extraction: the merchant's order numbers, carriers' waybill numbers, phone numbers."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Formats of the demo merchant (see knowledge_base/data/MERCHANT.md): orders YX + 14 digits;
# waybills of the carriers it uses. Bare long digit runs count only after a cue word.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("order_id", re.compile(r"(?<![A-Za-z0-9])YX\d{14}(?!\d)", re.I)),
    (
        "waybill",
        re.compile(
            r"(?<![A-Za-z0-9])(?:SF\d{12,13}|ZT\d{10,13}|YT\d{12,13}|JDV?\d{11,13}|YXE\d{10,13})(?!\d)",
            re.I,
        ),
    ),
    ("phone", re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?!\d)")),
)
_CUED_ORDER = re.compile(r"(?:订单|訂單|order)\s*(?:号|號|no\.?|number|#)?\s*[:：#]?\s*(\d{10,20})", re.I)
_CUED_WAYBILL = re.compile(
    r"(?:运单|運單|快递单|快遞單|单号|單號|waybill|tracking)\s*(?:号|號|no\.?|number|#)?\s*[:：#]?\s*(\d{10,15})", re.I
)


@dataclass(frozen=True)
class Entity:
    """One extracted value, with its span in the text it was found in (Rasa's entity shape)."""

    entity: str
    value: str
    start: int
    end: int
    extractor: str = "regex"

    def as_dict(self) -> dict[str, object]:
        return {
            "entity": self.entity,
            "value": self.value,
            "start": self.start,
            "end": self.end,
            "confidence_entity": 1.0,
            "extractor": self.extractor,
        }


def extract_entities(text: str) -> list[Entity]:
    """Find order, waybill and phone numbers; full-width digits count as digits."""
    # NFKC keeps the length of ASCII-range characters, so spans stay valid for `text`.
    folded = unicodedata.normalize("NFKC", text) if len(unicodedata.normalize("NFKC", text)) == len(text) else text
    found: list[Entity] = []
    taken: list[tuple[int, int]] = []

    def add(kind: str, start: int, end: int, value: str) -> None:
        if any(s < end and start < e for s, e in taken):
            return
        taken.append((start, end))
        found.append(Entity(kind, value, start, end))

    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(folded):
            value = re.sub(r"[^0-9A-Za-z+]", "", m.group(0)).upper()
            if kind == "phone":
                value = value.removeprefix("+").removeprefix("86")[-11:]
            add(kind, m.start(), m.end(), value)
    for kind, pattern in (("order_id", _CUED_ORDER), ("waybill", _CUED_WAYBILL)):
        for m in pattern.finditer(folded):
            add(kind, m.start(1), m.end(1), m.group(1))
    return sorted(found, key=lambda e: e.start)


def identifier_spans(text: str) -> list[tuple[int, int]]:
    """Where `text` holds an order or waybill number: identifiers, which logs keep readable."""
    return [(e.start, e.end) for e in extract_entities(text) if e.entity in ("order_id", "waybill")]
