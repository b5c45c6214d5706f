"""The chat on the merchant's own site: one `<script>` tag opens it in a corner of any page.

    <script src="https://chat.shop.example.com/widget.js" async
            data-lang="zh"
            data-customer-phone="13805716605" data-customer-expires="1767225600"
            data-customer-signature="…HMAC-SHA256(TRIAGE_IDENTITY_SECRET, phone.expires)…"></script>

`/widget.js` draws a launcher button and, when pressed, a panel holding `/embed`: the chat page
itself, in a frame from this server. The conversation lives in this server's storage inside the
frame, so it carries across the shop's pages and reloads; a logged-in shopper's signed identity
(bot/identity.py) rides in the frame's address fragment, never sent to the server in a URL, and
goes with each message so the bot skips the phone check. Only the origins in
TRIAGE_CORS_ORIGINS may frame the page (Content-Security-Policy frame-ancestors).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from bot.channels.web import STATIC_DIR
from core.http_guards import CONTENT_SECURITY_POLICY

router = APIRouter()


def frame_policy(origins: tuple[str, ...]) -> str:
    """The pages' policy with the shop's origins allowed to frame the chat."""
    ancestors = " ".join(("'self'", *origins))
    return CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'", f"frame-ancestors {ancestors}")


@router.get("/embed", include_in_schema=False)
async def embedded_chat(request: Request) -> FileResponse:
    headers = {"Content-Security-Policy": frame_policy(request.app.state.settings.cors_origins)}
    return FileResponse(f"{STATIC_DIR}/index.html", media_type="text/html; charset=utf-8", headers=headers)


@router.get("/widget.js", include_in_schema=False)
async def widget_script() -> FileResponse:
    # Shops load it from their pages: cached for an hour, revalidated after.
    headers = {"Cache-Control": "public, max-age=3600", "Cross-Origin-Resource-Policy": "cross-origin"}
    return FileResponse(f"{STATIC_DIR}/widget.js", media_type="text/javascript; charset=utf-8", headers=headers)
