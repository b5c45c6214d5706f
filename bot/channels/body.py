"""Reading a JSON request body with clear errors: too large, too slow, not UTF-8, not JSON, wrong shape."""

from __future__ import annotations

import asyncio
import json
from typing import TypeVar

from fastapi import HTTPException, Request
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)
READ_TIMEOUT_S = 10.0  # a client that trickles its body holds a connection; it gets this long


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


def parse_body(body: bytes, model: type[M]) -> M:
    if not body.strip():
        raise HTTPException(400, "request body is empty; send a JSON object")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HTTPException(400, f"request body is not valid UTF-8 (byte {exc.start})") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HTTPException(400, f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}" for err in exc.errors())
        raise HTTPException(422, problems) from exc


async def read_json(request: Request, model: type[M], max_bytes: int) -> M:
    return parse_body(await read_body(request, max_bytes), model)
