"""Reading a JSON request body with clear errors: too large, too slow, not UTF-8, not JSON, wrong shape.

What Python's JSON reader would accept but the rest of the app cannot hold is refused here too,
for every route at once: nesting deep enough to exhaust the recursion limit, NaN and Infinity,
numbers past the float range or Python's limit on integer digits, lone surrogates (not
characters: UTF-8, and so the database, cannot encode them) and U+0000 (no PostgreSQL text
holds it). Other control characters are the routes' to strip or refuse.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import sys
from typing import Any, TypeVar

from fastapi import HTTPException, Request
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)
READ_TIMEOUT_S = 10.0  # a client that trickles its body holds a connection; it gets this long
# Our bodies nest a few levels; json.loads and pydantic recurse once a level and fail at about 1000.
MAX_DEPTH = 64

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
# Only an escape can put these in a string: raw control bytes are malformed JSON, UTF-8 has no surrogates.
_UNSTORABLE_ESCAPE = re.compile(r"\\u(?:0000|[dD][89abcdefABCDEF])")
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


class _NotANumber(ValueError):
    """A number JSON has no way to write: NaN, Infinity, or past the float range."""


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The raw body, at most `max_bytes` and within READ_TIMEOUT_S (413 / 408 otherwise)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise HTTPException(413, f"request body is larger than {max_bytes} bytes")
    body = bytearray()

    async def read() -> None:
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > max_bytes:
                raise HTTPException(413, f"request body is larger than {max_bytes} bytes")

    try:
        await asyncio.wait_for(read(), READ_TIMEOUT_S)
    except TimeoutError as exc:
        raise HTTPException(408, f"request body not received within {READ_TIMEOUT_S:.0f} s") from exc
    return bytes(body)


def _too_deep(text: str) -> bool:
    """Arrays and objects nested deeper than MAX_DEPTH, counted before parsing (brackets in strings aside)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return False
    depth = 0
    for bracket in _NOT_BRACKET.sub("", _STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        if depth > MAX_DEPTH:
            return True
    return False


def _no_constant(name: str) -> Any:
    raise _NotANumber(f"{name} is not a JSON number")


def _finite(number: str) -> float:
    value = float(number)
    if math.isinf(value):
        raise _NotANumber(f"{number[:20]} is too large a number")
    return value


def _unstorable(node: Any, path: tuple[str, ...] = ()) -> tuple[tuple[str, ...], str] | None:
    """Where the first NUL or lone surrogate is, and which (json.loads has joined the pairs into characters)."""
    if isinstance(node, str):
        return (path, found.group()) if (found := _UNSTORABLE.search(node)) else None
    if isinstance(node, dict):
        items: Any = node.items()
    elif isinstance(node, list):
        items = ((str(i), value) for i, value in enumerate(node))
    else:
        return None
    for key, value in items:
        here = (*path, _UNSTORABLE.sub("?", key))
        if found := _UNSTORABLE.search(key):
            return here, found.group()
        if (inside := _unstorable(value, here)) is not None:
            return inside
    return None


def parse_body(body: bytes, model: type[M]) -> M:
    if not body.strip():
        raise HTTPException(400, "request body is empty; send a JSON object")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HTTPException(400, f"request body is not valid UTF-8 (byte {exc.start})") from exc
    if _too_deep(text):
        raise HTTPException(400, f"JSON nested too deeply: more than {MAX_DEPTH} levels of arrays and objects")
    try:
        data = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except json.JSONDecodeError as exc:
        raise HTTPException(400, f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    except _NotANumber as exc:
        raise HTTPException(400, str(exc)) from exc
    except ValueError as exc:  # int() past sys.get_int_max_str_digits()
        raise HTTPException(400, f"a number has more than {sys.get_int_max_str_digits()} digits") from exc
    if _UNSTORABLE_ESCAPE.search(text) and (found := _unstorable(data)) is not None:
        where, char = found
        what = "U+0000 (NUL), which PostgreSQL cannot store" if char == "\0" else "a lone surrogate, not a character"
        raise HTTPException(422, f"{'.'.join(where) or 'body'}: contains {what}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}" for err in exc.errors())
        raise HTTPException(422, problems) from exc


async def read_json(request: Request, model: type[M], max_bytes: int) -> M:
    return parse_body(await read_body(request, max_bytes), model)
