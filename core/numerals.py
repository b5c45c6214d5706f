"""Digits said in words: 五六零一, 伍陆零壹, "five six zero one", "five-six-oh-one".

Customers give the last four digits of their phone the way they would say them aloud, and a
voice keyboard writes them that way too. Only runs of four or more digit words become digits:
一二 or "one two" in a sentence are words, and 二十三 (a number, not digits) is left alone.
Pure: text in, text out.
"""

from __future__ import annotations

import re

_ZH = {
    "零": "0", "〇": "0", "○": "0", "洞": "0",
    "一": "1", "幺": "1", "壹": "1",
    "二": "2", "两": "2", "兩": "2", "贰": "2", "貳": "2",
    "三": "3", "叁": "3", "參": "3",
    "四": "4", "肆": "4",
    "五": "5", "伍": "5",
    "六": "6", "陆": "6", "陸": "6",
    "七": "7", "柒": "7", "拐": "7",
    "八": "8", "捌": "8",
    "九": "9", "玖": "9", "勾": "9",
}  # fmt: skip
_EN = {
    "zero": "0", "oh": "0", "o": "0", "nought": "0",
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
_ZH_RUN = re.compile(f"[{''.join(_ZH)}](?:[\\s,，、-]?[{''.join(_ZH)}]){{3,}}")
_EN_WORD = rf"(?:{'|'.join(sorted(_EN, key=len, reverse=True))})"
_EN_RUN = re.compile(rf"(?<![a-z]){_EN_WORD}(?:[\s,-]+{_EN_WORD}){{3,}}(?![a-z])", re.I)


def spelled_digits(text: str) -> str:
    """`text` with each run of four or more digit words written as digits."""
    text = _ZH_RUN.sub(lambda m: "".join(_ZH[c] for c in m.group() if c in _ZH), text)
    return _EN_RUN.sub(lambda m: "".join(_EN[w.lower()] for w in re.split(r"[\s,-]+", m.group())), text)
