"""Structured logs: the conversation's ids on every line, and customer PII masked before it is written.

Start-up (`triage serve`), once, before the app logs anything::

    from core import logs

    logs.configure("json", "INFO")  # or "text"
    uvicorn.run(app, host=..., port=..., log_level=..., log_config=logs.uvicorn_log_config("json", "INFO"))

Around the work for one conversation (the engine)::

    with logs.bound(conversation_id=conv.id, sender_id=sender_id, channel="rest"):
        log.info("reply sent")  # 2026-12-01 10:00:00,123 INFO bot.engine [c-12] reply sent

`configure()` replaces the root logger's handlers with one stderr handler carrying `ContextFilter`
and `MaskFilter`. The filters sit on the handler, not on loggers, because a logger's filters never
see records propagated from its children: this way every library's records (uvicorn, SQLAlchemy,
httpx) are stamped and masked too. uvicorn's default `log_config` gives its loggers handlers of
their own that would bypass both, hence `uvicorn_log_config()` (`log_config=None` also works once
`configure()` has run). Do not pass `use_colors` to uvicorn with this config: uvicorn then edits
formatters named "default" and "access", which it does not have.

The ids live in a `ContextVar`, so asyncio tasks and `run_in_threadpool` / anyio worker threads
started inside a `bound()` block log with its ids; a bare `threading.Thread` does not copy the
context (bind again inside it, or start it with `contextvars.copy_context().run`).

Masking (`mask`) is pattern matching, best effort: mainland mobile numbers, landlines, e-mail
addresses, card and ID-card numbers, street addresses, the values of keys such as `phone=`,
`token=`, `access_token=`, `secret=`, `"address": "..."`, `地址：`, and Telegram bot tokens in Bot
API URLs (`/bot123456:***/sendMessage`: httpx logs every request's URL). Numbers keep their last
four digits (`138****5678`, `****1234`) so support can still tell them apart. The merchant's order
and waybill numbers, as `bot.nlu.entities` recognises them, are kept: they are what support searches
for.
"""

from __future__ import annotations

import contextvars
import logging
import logging.config
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from itertools import chain
from types import MappingProxyType
from typing import Any, Literal

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

LogFormat = Literal["text", "json"]

CONTEXT_FIELDS = ("conversation_id", "sender_id", "channel")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(conversation_id)s] %(message)s"
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")

_NOTHING_BOUND: Mapping[str, object] = MappingProxyType({})
_context: contextvars.ContextVar[Mapping[str, object]] = contextvars.ContextVar("log_context", default=_NOTHING_BOUND)


@contextmanager
def bound(**fields: object) -> Iterator[None]:
    """Tag every log line in the block, and in tasks and worker threads started from it, with `fields`."""
    token = _context.set(MappingProxyType({**_context.get(), **fields}))
    try:
        yield
    finally:
        _context.reset(token)


def tag(**fields: object) -> None:
    """Add `fields` inside the current `bound()` block (a conversation id learnt midway); the
    block's end takes them away with the rest."""
    _context.set(MappingProxyType({**_context.get(), **fields}))


class ContextFilter(logging.Filter):
    """Copies the bound fields onto each record; `unbound` stands in for a missing id ("-" suits text)."""

    def __init__(self, unbound: str | None = None) -> None:
        super().__init__()
        self.unbound = unbound

    def filter(self, record: logging.LogRecord) -> bool:
        fields = _context.get()
        for key in CONTEXT_FIELDS:
            if getattr(record, key, None) is None:  # an explicit extra={...} wins over the bound value
                value = fields.get(key)
                setattr(record, key, self.unbound if value is None else value)
        for key, value in fields.items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


# --- masking -----------------------------------------------------------------------------------
# Each kind is found by a cheap scan for where it can start (a digit, "@", a key's ":" or "=", a city
# marker) and matched only there: one regex alternating over every kind is tried at every character
# and costs about a millisecond on a 2 KB line.

_Span = tuple[int, int, int, str]  # start, rank (lower wins a tie), end, replacement
_ALNUM = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_EMAIL_LOCAL = _ALNUM | frozenset("._%+-")
# Customers type １３８... on Chinese IMEs. Matching runs over a copy with the full-width ASCII forms
# folded; it has the same length, so its spans cut the original text, which keeps what it had.
_FULL_WIDTH = re.compile(r"[０-９Ａ-Ｚａ-ｚ＠]")
_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}

_NUMBER_START = re.compile(r"[0-9+(][0-9]*")
_NUMBER = re.compile(
    r"(?P<mobile>(?:\+?86[- ]?)?1[3-9][0-9](?:[- ]?[0-9]{4}){2}(?![0-9]))"
    r"|(?P<landline>(?:\(0[0-9]{2,3}\)[- ]?|0[0-9]{2,3}[- ])[0-9]{7,8}(?![A-Za-z0-9]))"
    r"|(?P<id_card>[1-9][0-9]{16}[0-9Xx](?![A-Za-z0-9]))"
    r"|(?P<card>[0-9]{4}(?:[- ]?[0-9]{4}){2,3}(?:[- ]?[0-9]{1,3})?(?![A-Za-z0-9]))"
    # Outside the mainland: +852 9123 4567, +1 (415) 555-2671. Separators and digits never overlap,
    # so each repetition matches one way only and a failed match backtracks in linear time.
    r"|(?P<intl>\+[1-9](?:[ ().-]{0,2}[0-9]){7,16}(?![0-9]))"
    # Typed a digit at a time to slip past filters: 1 3 8 1 2 3 4 5 6 7 8.
    r"|(?P<spaced>[0-9](?:[ -][0-9]){10,18}(?![0-9]))"
)
_NON_DIGIT = re.compile(r"[^0-9]")
_MOBILE_DIGITS = re.compile(r"1[3-9][0-9]{9}")
_AREA_CODE = re.compile(r"0[0-9]{2,3}")
# Digits glued to letters are never masked (YX20261105001234, SF1398765432101). A bare run is an order
# or waybill number when the registered finder says so (`keep_identifiers`; the bot's entity
# extractor, which knows the merchant's formats), which it does right after a cue word ("订单号：").
# A finder costs ~10 µs a call, so it is asked only when one of its cue words ends just before.
_CUE_BEFORE = re.compile(
    r"(?:订单|訂單|运单|運單|快递单|快遞單|单号|單號|order|waybill|tracking)\s*(?:号|號|no\.?|number|#)?\s*[:：#]?\s*\Z",
    re.I,
)
# Spans (start, end) of identifiers that must stay readable in a log line: order and waybill numbers.
IdentifierFinder = Callable[[str], Iterable[tuple[int, int]]]
_finders: list[IdentifierFinder] = []


def keep_identifiers(finder: IdentifierFinder) -> None:
    """Leave unmasked the numbers `finder` marks as identifiers (orders, waybills), not personal data.

    The log layer knows no merchant's formats; the composition root hands it the bot's extractor.
    Registering the same finder again changes nothing.
    """
    if finder not in _finders:
        _finders.append(finder)


# Keys whose value is masked whatever it looks like: `phone=...`, `"address": "..."`, `access_token=`, `地址：`.
# Found by one forward scan for a key and its separator, never by looking back from each separator.
_KEY = re.compile(
    r"(?<![0-9A-Za-z])"
    r"(?:(?P<secret>token|password|passwd|secret|api[_-]?key)"
    r"|phone|mobile|telephone|tel|address|addr|card|e-?mail|id[_-]?card|手机|电话|地址|卡号|银行卡|身份证|邮箱)"
    # Suffixes that match one way only: `号码|号|码` read 号码 two ways, and backtracking over every way
    # of splitting a run of them took exponential time on a key that ended in something else.
    r"(?:[_-][a-z]+|number|num|no|[号码])*+[\"']?\s{0,8}[:=：]",
    re.I,
)
# A quoted value is looked for within MAX_VALUE_CHARS: an unclosed quote costs one bounded scan.
MAX_VALUE_CHARS = 512
_VALUE = re.compile(
    rf"\s{{0,32}}(\"[^\"]{{0,{MAX_VALUE_CHARS}}}\"|'[^']{{0,{MAX_VALUE_CHARS}}}'|[^\s,;&，。；、)}}\]\"']+)"
)

# A Telegram bot's token, as every Bot API URL carries it: /bot<bot id>:<secret>/sendMessage. The
# secret is masked; the bot's id is public (its user id) and tells one bot's lines from another's.
_BOT_TOKEN = re.compile(r"bot[0-9]{1,20}:([A-Za-z0-9_-]{30,})")

_EMAIL_DOMAIN = re.compile(r"@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")

# After a province, city or district marker: a road or estate, then numbers (1号3栋502室). The part
# before the marker is kept, and 市 cannot occur in the masked run, so the city stays readable.
_ADDRESS = re.compile(
    r"[省市区县]([\u4e00-\u5e01\u5e03-\u9fff]{0,20}?(?:大道|路|街|道|巷|弄|胡同|小区|花园|大厦|公寓|苑)"
    r"(?:\s*[-#]?[0-9A-Za-z]{1,6}(?:号楼|号院|号|弄|栋|幢|座|室|楼|层|单元|户))+)"
)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _number_mask(m: re.Match[str]) -> str | None:
    """`138****5678`, `0755-****1234`, `****1234`; None keeps a run too short or failing Luhn for a card."""
    found, kind = m.group(), m.lastgroup
    if kind == "id_card":
        return "****" + found[-4:]  # keeps a final X
    digits = _NON_DIGIT.sub("", found)
    if kind == "mobile" or (kind == "spaced" and _MOBILE_DIGITS.fullmatch(digits)):
        return f"{digits[-11:-8]}****{digits[-4:]}"
    if kind == "intl":
        code = found[: found.find(" ")] if " " in found[:5] else found[:2]  # +852 9123 4567 / +14155552671
        return f"{code} ****{digits[-4:]}"
    if kind == "spaced":
        return "****" + digits[-4:]
    if kind == "landline":
        area = _AREA_CODE.search(found)
        return f"{area.group() if area else ''}-****{digits[-4:]}"
    if len(digits) < 13 or (len(digits) < 16 and not _luhn(digits)):
        return None  # 13-15 digits count as a card only with a valid check digit (not a timestamp)
    return "****" + digits[-4:]


def _is_order_or_waybill(folded: str, start: int, end: int) -> bool:
    before = max(0, start - 24)
    if not _CUE_BEFORE.search(folded, before, start):
        return False
    window = folded[before:end]
    return any(s < end - before and start - before < e for finder in _finders for s, e in finder(window))


def _numbers(folded: str) -> Iterator[_Span]:
    pos = 0
    while hit := _NUMBER_START.search(folded, pos):
        start, pos = hit.start(), hit.end()
        if start and folded[start - 1] in _ALNUM:
            continue  # glued to letters or digits: part of an identifier
        m = _NUMBER.match(folded, start)
        if m is None:
            continue
        pos = m.end()
        if (new := _number_mask(m)) is not None and not _is_order_or_waybill(folded, start, m.end()):
            yield start, 2, m.end(), new


def _mask_value(value: str, *, secret: bool) -> str:
    quote = value[0] if value[0] in "\"'" else ""
    inner = value[1:-1] if quote else value
    if not inner or ("*" in inner and not secret):  # masked already (a record passing a second handler)
        return value
    # Not `mask(inner)`: a value's own `key=value` pairs are inside the value, which is masked whole,
    # and looking for them again in every value made `phone=phone=phone=…` exponential.
    masked = "***" if secret else _mask_spans(inner, inner.translate(_FOLD), key_values=False)
    if masked == inner:
        digits = _NON_DIGIT.sub("", inner.translate(_FOLD))
        masked = "****" + digits[-4:] if len(digits) >= 7 else "***"
    return f"{quote}{masked}{quote}"


def _key_values(text: str, folded: str) -> Iterator[_Span]:
    taken = 0  # the end of the last value: a key inside it belongs to that value
    for key in _KEY.finditer(folded):
        if key.start() < taken:
            continue
        value = _VALUE.match(folded, key.end())
        if value is None:
            continue
        start, end = value.span(1)
        taken = end
        new = _mask_value(text[start:end], secret=key.group("secret") is not None)
        if new != text[start:end]:
            yield start, 0, end, new


def _emails(text: str, folded: str) -> Iterator[_Span]:
    if "@" not in folded:
        return
    for domain in _EMAIL_DOMAIN.finditer(folded):
        start = domain.start()
        while start > max(0, domain.start() - 64) and folded[start - 1] in _EMAIL_LOCAL:
            start -= 1
        if start < domain.start():
            yield start, 1, domain.end(), text[start] + "***" + text[domain.start() : domain.end()]


def _bot_tokens(folded: str) -> Iterator[_Span]:
    if "bot" not in folded:
        return
    for m in _BOT_TOKEN.finditer(folded):
        yield m.start(1), 0, m.end(1), "***"


def _addresses(folded: str) -> Iterator[_Span]:
    for m in _ADDRESS.finditer(folded):
        yield m.start(1), 3, m.end(1), "***"


def mask(text: str) -> str:
    """`text` with customer PII replaced; the merchant's order and waybill numbers are left as they are.

    Linear in the length of `text`: every scan is bounded or starts past the previous match, and no
    part of the text is masked twice (a record carries at most MAX_LINE_CHARS of it anyway)."""
    folded = text.translate(_FOLD) if _FULL_WIDTH.search(text) else text
    return _mask_spans(text, folded, key_values=True)


def _mask_spans(text: str, folded: str, *, key_values: bool) -> str:
    found = chain(_emails(text, folded), _numbers(folded), _addresses(folded), _bot_tokens(folded))
    spans = sorted(chain(_key_values(text, folded), found) if key_values else found)
    pieces: list[str] = []
    done = 0
    for start, _rank, end, new in spans:
        if start >= done:
            pieces += (text[done:start], new)
            done = end
    return "".join(pieces) + text[done:] if pieces else text


# A log line carries at most this much of a message or of one extra (a request line is customer input
# of any length), and a traceback at most MAX_TRACE_CHARS; what is cut is counted on the line.
MAX_LINE_CHARS = 2000
MAX_TRACE_CHARS = 16000


def clip(text: str, limit: int = MAX_LINE_CHARS) -> str:
    """`text` cut to `limit` characters, saying how many were left out."""
    return text if len(text) <= limit else f"{text[:limit]}…[{len(text) - limit} more characters]"


def _mask_any(value: object) -> object:
    if isinstance(value, str):
        return mask(clip(value))
    if isinstance(value, Mapping):
        return {k: _mask_any(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_any(v) for v in value]
    return value


_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}
_plain = logging.Formatter()


class MaskFilter(logging.Filter):
    """Masks PII in the message, the extras and the exception text of each record (see `mask`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, Mapping) and not record.args:
            record.msg = _mask_any(record.msg)
        else:
            try:
                message = record.getMessage()
            except (TypeError, ValueError):  # a bad %-format must not raise from the caller's log call
                message = f"{record.msg} {record.args!r}"
            record.msg, record.args = mask(clip(message)), None
        for key, value in list(vars(record).items()):
            if key not in _RECORD_ATTRS and not key.startswith("_"):
                setattr(record, key, _mask_any(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = _plain.formatException(record.exc_info)  # formatters reuse exc_text
        if record.exc_text:
            record.exc_text = mask(clip(record.exc_text, MAX_TRACE_CHARS))
        if record.stack_info:
            record.stack_info = mask(clip(record.stack_info, MAX_TRACE_CHARS))
        return True


# --- formatters and set-up ---------------------------------------------------------------------


class JsonFormatter(_JsonFormatter):
    """One JSON object a line: ts (UTC), level, logger, message, the bound ids, extras, exception."""

    def __init__(self) -> None:
        super().__init__(
            "%(levelname)s %(name)s %(message)s %(conversation_id)s %(sender_id)s %(channel)s",
            rename_fields={"levelname": "level", "name": "logger", "exc_info": "exception", "stack_info": "stack"},
            timestamp="ts",
            reserved_attrs=[*RESERVED_ATTRS, "taskName", "color_message"],  # uvicorn's ANSI copy of the message
            json_ensure_ascii=False,
        )

    def formatException(self, ei: Any) -> str:
        # json-logger formats exc_info afresh instead of reusing MaskFilter's exc_text.
        return mask(clip(logging.Formatter.formatException(self, ei), MAX_TRACE_CHARS))

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return {"ts": log_data.pop("ts"), **log_data}


def uvicorn_log_config(fmt: LogFormat = "text", level: str = "INFO") -> dict[str, Any]:
    """A `logging.config.dictConfig` dict: root to stderr through both filters, uvicorn's loggers into it."""
    if fmt not in ("text", "json"):
        raise ValueError(f"log format must be 'text' or 'json', got {fmt!r}")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "context": {"()": ContextFilter, "unbound": "-" if fmt == "text" else None},
            "mask": {"()": MaskFilter},
        },
        "formatters": {"text": {"format": TEXT_FORMAT}, "json": {"()": JsonFormatter}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": fmt,
                "filters": ["context", "mask"],  # context first, so bound ids are masked like any extra
            }
        },
        "root": {"level": level.upper(), "handlers": ["stderr"]},
        "loggers": {name: {"handlers": [], "propagate": True} for name in UVICORN_LOGGERS},
    }


def configure(fmt: LogFormat = "text", level: str = "INFO") -> None:
    """Send all logging to one masked, context-stamped stderr handler; calling it again replaces it."""
    logging.config.dictConfig(uvicorn_log_config(fmt, level))
