"""Running the product for tests as a user meets it: a real HTTP server on a free local port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI

from core.security import signed_headers

# What a production deployment sets (random here, never a placeholder); the limits are off
# because tests send faster than customers do (tests/test_security.py turns them on).
SECRET = "a3f9c2e81b7d46f0e5c9a8b2d1f04e7c6b5a9d8e3f2c1b0a"
WEBHOOK_SECRET = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f"
# Every instance a test starts loads the knowledge base's trained NLU from here after the first.
MODEL_CACHE = str(Path(tempfile.gettempdir()) / f"triage-test-models-{os.getuid()}")
PRODUCTION_ENV = {
    "TRIAGE_MODEL_CACHE": MODEL_CACHE,
    "TRIAGE_SECRET": SECRET,
    "TRIAGE_WEBHOOK_SECRET": WEBHOOK_SECRET,
    "TRIAGE_RATE_PER_SENDER": "0",
    "TRIAGE_RATE_PER_IP": "0",
}


class Signed(httpx.Auth):
    """Signs each request as a channel integration does (core/security.py)."""

    def __init__(self, secret: str = WEBHOOK_SECRET) -> None:
        self.secret = secret

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        request.headers.update(signed_headers(self.secret, request.method, request.url.path, request.content))
        yield request


SIGNED = Signed()


def chat_socket_url(base: str, sender: str) -> str:
    """The chat socket for `sender`, with a session token a signed integration got for it."""
    token = httpx.post(f"{base}/chat/session", json={"sender": sender}, auth=SIGNED, timeout=10).json()["token"]
    return base.replace("http://", "ws://") + f"/ws/chat/{sender}?token={token}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# A first start on a machine with nothing in the model cache trains the NLU (minutes on a busy
# two-core machine); every later one loads it in seconds.
def wait_healthy(base: str, timeout: float = 300.0, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{base} did not become healthy in {timeout}s")


@contextmanager
def serve_in_thread(app: FastAPI) -> Iterator[str]:
    """Serve `app` from this process (so the test can reach its instance); yields the base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base)
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def spawn_triage(
    env: Mapping[str, str], data_dir: Path, port: int | None = None, log_level: str = "warning"
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`triage serve` as a separate process, exactly as a user starts it."""
    port = port or free_port()
    log = (data_dir / f"serve-{port}.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "triage.cli",
            "serve",
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
            "--log-level",
            log_level,
        ],
        env={**os.environ, **PRODUCTION_ENV, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc=proc)
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        log.close()
