"""The chat on the merchant's own pages: the script, the frameable page, signed identities."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from bot.identity import sign, verified_phone
from core.config import Settings
from triage.app import create_app
from triage.wiring import Instance

SHOP = "https://shop.example.com"
PHONE = "13805716605"


def test_only_the_shops_origins_may_frame_the_embedded_chat(tmp_path: Path, instance: Instance) -> None:
    settings = Settings.from_env({"TRIAGE_CORS_ORIGINS": SHOP}, data_dir=str(tmp_path))
    with TestClient(create_app(settings, instance=instance)) as client:
        embed = client.get("/embed")
        assert embed.status_code == 200 and 'id="chat"' in embed.text
        assert f"frame-ancestors 'self' {SHOP}" in embed.headers["content-security-policy"]
        assert "x-frame-options" not in embed.headers  # the policy decides; DENY would refuse the shop
        page = client.get("/")
        assert (
            page.headers["x-frame-options"] == "DENY"
            and "frame-ancestors 'none'" in page.headers["content-security-policy"]
        )
        script = client.get("/widget.js")
        assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
        assert "/embed" in script.text


def test_without_configured_origins_only_the_server_itself_may_frame_the_chat(client: TestClient) -> None:
    policy = client.get("/embed").headers["content-security-policy"]
    assert "frame-ancestors 'self';" in policy or policy.endswith("frame-ancestors 'self'")


def test_a_signed_identity_with_an_expiry_is_honoured_until_it_expires() -> None:
    secret = "s3cret-for-tests"
    customer = {"phone": PHONE, "expires": 2_000, "signature": sign(PHONE, secret, 2_000)}
    assert verified_phone({"customer": customer}, secret, now=1_000) == PHONE
    assert verified_phone({"customer": customer}, secret, now=2_001) is None  # a copied signature dies
    moved = {**customer, "expires": 9_999}  # pushing the expiry out breaks the signature
    assert verified_phone({"customer": moved}, secret, now=1_000) is None
    assert verified_phone({"customer": {**customer, "expires": "2000"}}, secret, now=1_000) is None
    assert verified_phone({"customer": {"phone": PHONE, "signature": sign(PHONE, secret)}}, secret) == PHONE
