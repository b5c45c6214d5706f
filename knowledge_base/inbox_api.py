"""The unanswered-question inbox: what the bot could not answer, clustered for staff."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/kb", tags=["knowledge base"])
