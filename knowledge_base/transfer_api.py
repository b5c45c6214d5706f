"""Staff import and export of the knowledge base (YAML, CSV, Excel; Rasa nlu.yml export)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/kb", tags=["knowledge base"])
