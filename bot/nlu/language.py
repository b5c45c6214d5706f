"""Language detection for the two languages the desk serves: zh, en, or mixed.

Script counting is exact for this job: Chinese and English never share a script, and
customers' messages are too short for statistical detectors to add anything.
"""

from __future__ import annotations

import re
from typing import Literal

Language = Literal["zh", "en", "mixed", "unknown"]

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def detect_language(text: str) -> Language:
    """Classify `text` as zh, en, mixed (both scripts carry meaning) or unknown (neither)."""
    cjk = len(_CJK.findall(text))
    words = _LATIN_WORD.findall(text)
    # Order numbers and brand names ("SF", "iPhone") are Latin inside Chinese sentences;
    # only count English as present when it adds real words.
    latin = sum(len(w) for w in words if w.lower() not in _NOT_ENGLISH)
    if cjk == 0 and latin == 0:
        return "unknown"
    if cjk == 0:
        return "en"
    if latin == 0:
        return "zh"
    # Latin letters versus Chinese characters: about three letters carry what one character does.
    ratio = latin / (latin + 3 * cjk)
    if ratio < 0.25:
        return "zh"
    if ratio > 0.75:
        return "en"
    return "mixed"


def reply_language(detected: Language, previous: str | None) -> str:
    """The language to answer in: Chinese-first for mixed text, sticky when a message is neutral."""
    if detected == "en":
        return "en"
    if detected in ("zh", "mixed"):
        return "zh"
    return previous if previous in ("zh", "en") else "zh"


_NOT_ENGLISH = frozenset({"yx", "sf", "zt", "yt", "jd", "yxe", "ems", "cod", "vip", "app", "ok"})
