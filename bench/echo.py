"""The load benchmark's baseline: a bare FastAPI endpoint with the REST channel's URL and shape.

    python -m uvicorn bench.echo:app --port 8001

It parses the same JSON body and answers a list with one message, doing nothing else, so
the difference to the product is the product's own work (NLU, policy, database, Redis).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()


class Message(BaseModel):
    sender: str
    message: str
    metadata: dict[str, Any] | None = None


@app.post("/webhooks/rest/webhook")
async def echo(body: Message) -> list[dict[str, Any]]:
    return [{"recipient_id": body.sender, "text": body.message}]


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}
