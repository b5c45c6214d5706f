"""The staff page for the knowledge base, served at /kb (its assets under /staff/static)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC_DIR = Path(__file__).parents[1] / "staff" / "static" / "kb"  # staff/ owns the staff pages
KB_PAGE = STATIC_DIR / "kb.html"

router = APIRouter()


@router.get("/kb", include_in_schema=False)
async def kb_page() -> FileResponse:
    """One static page; everything it shows comes from the /api/kb routes after login."""
    return FileResponse(KB_PAGE)
