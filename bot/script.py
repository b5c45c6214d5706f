"""Which Chinese script a customer writes, and the bot's replies written in it.

The knowledge base keeps its answers in Simplified Chinese (one text to edit); a customer who
writes Traditional Chinese is answered in Traditional, with Hong Kong's forms and words when the
message is Cantonese or uses Hong Kong's characters, Taiwan's otherwise (OpenCC's s2hk and
s2twp: 軟件 → 軟體, 查看 → 檢視 for Taiwan). A message that shows neither script (digits, English,
characters the two share) keeps the conversation's script as it was.
"""

from __future__ import annotations

import re
from typing import Literal

import opencc

Script = Literal["hans", "hant_hk", "hant_tw"]

_T2S = opencc.OpenCC("t2s")
_S2T = opencc.OpenCC("s2t")
_TO = {"hant_hk": opencc.OpenCC("s2hk"), "hant_tw": opencc.OpenCC("s2twp")}
# Written Cantonese (its own characters and words), or a character Hong Kong writes one way and
# Taiwan another (裏 / 裡, 着 / 著).
_HONG_KONG = re.compile(
    r"[咗嘅唔喺冇啲嘢佢哋咁乜嚟畀俾嗰嘞囉噉㗎嚿揾搵睇攞咩]|裏|着"
    r"|幾耐|幾多|點樣|點解|而家|落單|係咪|係唔係|邊度|邊個|邊間|返工|收工|搞掂|老細"
)
_HAN = re.compile(r"[\u4e00-\u9fff]")


def written_in(text: str) -> Script | None:
    """The script `text` is written in, or None when its characters do not tell."""
    han = "".join(_HAN.findall(text))
    if not han:
        return None
    traditional = sum(a != b for a, b in zip(han, _T2S.convert(han), strict=False))
    simplified = sum(a != b for a, b in zip(han, _S2T.convert(han), strict=False))
    if traditional == simplified:
        return None
    if simplified > traditional:
        return "hans"
    return "hant_hk" if _HONG_KONG.search(text) else "hant_tw"


def in_script(text: str, script: str | None) -> str:
    """`text` (Simplified, as the knowledge base keeps it) in the customer's script."""
    converter = _TO.get(script or "")
    return converter.convert(text) if converter is not None else text
