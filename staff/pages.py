"""The staff pages served at fixed addresses (their assets under /staff/static): the knowledge base
(/kb), and the supervisor's desk: reports (/reports), the live floor (/floor), quality review
(/quality)."""

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


SUPERVISOR_PAGES = Path(__file__).parents[1] / "staff" / "static"


@router.get("/reports", include_in_schema=False)
async def reports_page() -> FileResponse:
    return FileResponse(SUPERVISOR_PAGES / "reports" / "reports.html")


@router.get("/floor", include_in_schema=False)
async def floor_page() -> FileResponse:
    return FileResponse(SUPERVISOR_PAGES / "floor" / "floor.html")


@router.get("/quality", include_in_schema=False)
async def quality_page() -> FileResponse:
    return FileResponse(SUPERVISOR_PAGES / "quality" / "quality.html")
