"""Text normalisation shared by matching, training and evaluation.

Matching sees one canonical form of a message: NFKC (full-width to half-width), Traditional
to Simplified Chinese, dialect, slang and common typos to the knowledge base's Mandarin, lower
case, emoji and punctuation removed, a character repeated for emphasis cut to two, white space
folded.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

import emoji
import opencc
import yaml

_T2S = opencc.OpenCC("t2s")
# Everything that is not a letter, digit or CJK ideograph becomes a space.
_NON_WORD = re.compile(r"[^\w\u3400-\u4dbf\u4e00-\u9fff]+|_+")
_SPACES = re.compile(r"\s+")
# Identifiers say "an order number" to the matcher, never which one: their digits are noise.
_IDENTIFIERS = (
    (re.compile(r"yx\d{14}"), " qorderq "),
    (re.compile(r"(?:sf|zt|yt|jdv?|yxe)\d{10,13}"), " qwaybillq "),
    (re.compile(r"(?<!\d)(?:\+?86)?1[3-9]\d{9}(?!\d)"), " qphoneq "),
    (re.compile(r"\d{5,}"), " qnumq "),
)


def _load_dialect() -> dict[str, str]:
    raw = (resources.files("core") / "dialect.yaml").read_text(encoding="utf-8")
    return {str(k): str(v) for k, v in (yaml.safe_load(raw) or {}).items()}


_DIALECT_WORDS = _load_dialect()
_DIALECT = re.compile("|".join(re.escape(k) for k in sorted(_DIALECT_WORDS, key=len, reverse=True)))
# Pinyin initials shoppers type for our words in a Chinese message ("jf在哪看", "kp要填税号吗", "tk
# 啥时候到"): read as the words. Only these, only standing alone, only beside Chinese: "by" and
# "hk" stay English elsewhere.
_INITIALS = {
    "jf": "积分",
    "kp": "开票",
    "tk": "退款",
    "th": "退货",
    "hh": "换货",
    "wl": "物流",
    "kd": "快递",
    "fh": "发货",
    "yf": "运费",
    "dk": "打款",
    "kf": "客服",
    "yhq": "优惠券",
    "dd": "订单",
}
_INITIAL = re.compile(r"(?<![a-z0-9])(" + "|".join(_INITIALS) + r")(?![a-z0-9])")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
# A character typed three or more times over (啊啊啊啊, 哈哈哈哈哈) is emphasis, not a new word:
# two of it say the same, so a run of any length matches a run of any other.
_REPEATED = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff])\1{2,}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")


def strip_control(text: str) -> str:
    """Drop control and zero-width characters but keep newlines and tabs."""
    return _CONTROL.sub("", text)


def to_simplified(text: str) -> str:
    """Convert Traditional Chinese characters to Simplified (OpenCC t2s)."""
    return str(_T2S.convert(text))


@lru_cache(maxsize=4096)
def normalize(text: str) -> str:
    """The canonical matching form of `text`."""
    text = unicodedata.normalize("NFKC", strip_control(text))
    text = emoji.replace_emoji(text, replace=" ")
    text = _DIALECT.sub(lambda m: _DIALECT_WORDS[m.group(0)], to_simplified(text)).lower()
    if _HAN.search(text):
        text = _INITIAL.sub(lambda m: _INITIALS[m.group(1)], text)
    for pattern, token in _IDENTIFIERS:
        text = pattern.sub(token, text)
    text = _REPEATED.sub(r"\1\1", _NON_WORD.sub(" ", text))
    return _SPACES.sub(" ", text).strip()
