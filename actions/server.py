"""Hardening for `python -m rasa_sdk --actions actions`: malformed calls get a 400 naming the field.

rasa-sdk discovers Sanic extensions through its pluggy plugin manager; registering here (this
module is imported when the server loads the `actions` package) adds a request check to the
server's own `/webhook` without replacing the server.
"""

from __future__ import annotations

import json
from typing import Any

import pluggy
from rasa_sdk.plugin import plugin_manager
from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.response import json as json_response

from actions.protocol import MalformedCall, validate_action_call

hookimpl = pluggy.HookimplMarker("rasa_sdk")
MAX_CALL_BYTES = 1024 * 1024


def _refuse(field: str, problem: str, status: int = 400) -> HTTPResponse:
    return json_response({"error": f"{field}: {problem}", "field": field}, status=status)


async def check_action_call(request: Request) -> HTTPResponse | None:
    if request.path != "/webhook" or request.method != "POST":
        return None
    body = request.body or b""
    if len(body) > MAX_CALL_BYTES:
        return _refuse("body", f"larger than {MAX_CALL_BYTES} bytes", 413)
    if request.headers.get("Content-Encoding") == "deflate":
        return None  # rasa-sdk inflates these itself
    try:
        call: Any = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return _refuse("body", f"not valid UTF-8 (byte {exc.start})")
    except json.JSONDecodeError as exc:
        return _refuse("body", f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
    try:
        validate_action_call(call)
    except MalformedCall as exc:
        return _refuse(exc.field, str(exc).split(": ", 1)[1])
    return None


class _Hardening:
    @hookimpl
    def attach_sanic_app_extensions(self, app: Sanic) -> None:
        app.on_request(check_action_call)


def register() -> None:
    manager = plugin_manager()
    if not any(isinstance(p, _Hardening) for p in manager.get_plugins()):
        manager.register(_Hardening())


register()
