"""Photos and files: the store's contract (files on disk and an S3 bucket alike), what is kept of
a picture, the signed links that serve it, and photos in messages both ways."""

from __future__ import annotations

import io
import struct
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from bot.channels.media import linker
from core.config import Settings
from core.media import (
    MEDIA_ID,
    THUMBNAIL_SIDE,
    LinkSigner,
    LocalMedia,
    MediaNotFound,
    MediaRejected,
    MediaStore,
    MediaTooLarge,
    S3Media,
    signer_for,
    store_for,
)
from handoff.agents import hash_password
from handoff.models import Agent, Ticket
from tests.conftest import Chat
from tests.servers import SECRET, free_port
from triage.app import create_app
from triage.wiring import Instance

MAX_BYTES = 200_000
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
GPS_IFD, ORIENTATION, MAKE = 0x8825, 0x0112, 0x010F


# ------------------------------------------------------------------ pictures made for the tests


def picture(fmt: str, size: tuple[int, int] = (64, 48), mode: str = "RGB", **options: Any) -> bytes:
    """A two-coloured picture (left red, right blue), so a turn shows."""
    image = Image.new(mode, size, "red")
    image.paste("blue", (size[0] // 2, 0, size[0], size[1]))
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def photo_with_gps(fmt: str = "JPEG") -> bytes:
    """A phone's photo: turned by its EXIF orientation (6: shown a quarter turn clockwise), with the
    place it was taken, the phone's make and (a JPEG) a comment."""
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[MAKE] = "PhoneMaker"
    exif[GPS_IFD] = {1: "N", 2: (31.0, 14.0, 2.5), 3: "E", 4: (121.0, 28.0, 30.1)}
    return picture(fmt, exif=exif, **({"comment": b"taken at home"} if fmt == "JPEG" else {}))


def animated_gif() -> bytes:
    frames = [Image.new("P", (40, 30), colour) for colour in (1, 2, 3)]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


def claiming(png: bytes, width: int, height: int) -> bytes:
    """The PNG with its header claiming another size (a bomb: a few bytes, a huge canvas)."""
    header = struct.pack(">II", width, height) + png[24:29]
    return png[:16] + header + struct.pack(">I", zlib.crc32(b"IHDR" + header)) + png[33:]


def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


# ------------------------------------------------------------------ the two stores


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 on a free local port, for this module (no AWS is ever reached)."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def s3_store(endpoint: str, bucket: str, max_bytes: int = MAX_BYTES) -> S3Media:
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_bucket(Bucket=bucket)
    return S3Media(client, bucket, max_bytes)


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> MediaStore:
    if request.param == "local":
        return LocalMedia(tmp_path / "media", MAX_BYTES)
    return s3_store(request.getfixturevalue("s3_endpoint"), f"b-{time.monotonic_ns()}")


def test_a_file_is_known_by_what_its_bytes_are_and_kept_under_a_random_id(store: MediaStore) -> None:
    first = store.put(picture("JPEG"), "application/pdf", "invoice.pdf")  # the claim is ignored
    second = store.put(picture("JPEG"))
    assert first.content_type == "image/jpeg" and first.media_id != second.media_id
    assert MEDIA_ID.fullmatch(first.media_id) and MEDIA_ID.fullmatch(second.media_id)
    data, content_type = store.get(first.media_id)
    assert content_type == "image/jpeg" and opened(data).size == (64, 48)
    assert store.info(first.media_id) == first and first.size == len(data)


def test_png_webp_gif_and_pdf_are_kept_a_gif_by_its_first_frame(store: MediaStore) -> None:
    transparent = store.put(picture("PNG", mode="RGBA"))
    assert transparent.content_type == "image/png" and opened(store.get(transparent.media_id)[0]).mode == "RGBA"
    assert store.put(picture("WEBP")).content_type == "image/webp"
    gif = store.put(animated_gif())
    data, content_type = store.get(gif.media_id)
    assert content_type == "image/gif" and getattr(opened(data), "n_frames", 1) == 1
    pdf = store.put(PDF_BYTES, "image/png")
    assert store.get(pdf.media_id) == (PDF_BYTES, "application/pdf")


def test_a_picture_has_a_small_thumbnail_and_a_pdf_none(store: MediaStore) -> None:
    big = store.put(picture("PNG", size=(1000, 500)))
    data, content_type = store.thumbnail(big.media_id)
    assert content_type == "image/jpeg" and opened(data).size == (THUMBNAIL_SIDE, THUMBNAIL_SIDE // 2)
    clear = store.put(picture("PNG", mode="RGBA"))
    assert store.thumbnail(clear.media_id)[1] == "image/png"  # keeps its transparency
    with pytest.raises(MediaNotFound):
        store.thumbnail(store.put(PDF_BYTES).media_id)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_a_photo_loses_its_gps_position_and_metadata_and_stands_upright(store: MediaStore, fmt: str) -> None:
    sent = photo_with_gps(fmt)
    assert opened(sent).getexif().get_ifd(GPS_IFD)  # the test's photo does carry a position
    kept = store.put(sent)
    data, _ = store.get(kept.media_id)
    image = opened(data)
    assert not image.getexif() and "exif" not in image.info and "comment" not in image.info
    assert b"PhoneMaker" not in data and b"taken at home" not in data
    assert image.size == (48, 64)  # turned as the phone meant it
    top, bottom = (image.convert("RGB").getpixel((24, y)) for y in (2, 61))
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert top[0] > 200 and bottom[2] > 200  # what was its left (red) is the top now
    thumb, _ = store.thumbnail(kept.media_id)
    assert not opened(thumb).getexif() and b"PhoneMaker" not in thumb


@pytest.mark.parametrize(
    ("data", "error", "reason"),
    [
        (b"", MediaRejected, "empty"),
        (b"<html><script>alert(1)</script></html>", MediaRejected, "not a picture"),
        (b"\xff\xd8\xff\xe0" + b"\0" * 100, MediaRejected, "not a picture"),  # a JPEG's start, then nothing
        (picture("BMP"), MediaRejected, "not a picture"),  # a picture, but not one of ours
        (b"x" * (MAX_BYTES + 1), MediaTooLarge, "the most is 0.2 MB"),
    ],
    ids=["empty", "html", "broken-jpeg", "bmp", "too-large"],
)
def test_what_is_not_kept_is_refused_with_a_reason(
    store: MediaStore, data: bytes, error: type[Exception], reason: str
) -> None:
    with pytest.raises(error, match=reason):
        store.put(data)


@pytest.mark.parametrize("side", [8_000, 12_000])  # past our 50 megapixels; past Pillow's own check
def test_a_decompression_bomb_is_refused_before_it_is_decoded(store: MediaStore, side: int) -> None:
    bomb = claiming(picture("PNG", size=(8, 8)), side, side)
    started = time.perf_counter()
    with pytest.raises(MediaRejected, match="too large"):
        store.put(bomb)
    assert time.perf_counter() - started < 0.5  # nothing was decoded


@pytest.mark.parametrize("media_id", ["nope", "A" * 22, "../../../../etc/passwd", "..%2F..%2Fsecret"])
def test_an_unknown_id_is_not_found(store: MediaStore, media_id: str) -> None:
    for read in (store.get, store.thumbnail, store.info):
        with pytest.raises(MediaNotFound):
            read(media_id)


def test_settings_choose_the_bucket_or_the_data_directory(tmp_path: Path, s3_endpoint: str) -> None:
    local = store_for(Settings.from_env({}, data_dir=str(tmp_path)))
    assert isinstance(local, LocalMedia) and local.root == tmp_path / "media"
    s3_store(s3_endpoint, "configured")  # the operator makes the bucket
    environ = {
        "TRIAGE_MEDIA_S3_BUCKET": "configured",
        "TRIAGE_MEDIA_S3_ENDPOINT": s3_endpoint,
        "TRIAGE_MEDIA_MAX_BYTES": "5000",
    }
    bucket = store_for(Settings.from_env(environ, data_dir=str(tmp_path)))
    assert isinstance(bucket, S3Media) and bucket.bucket == "configured" and bucket.max_bytes == 5000


# ------------------------------------------------------------------ links


def test_a_link_is_good_until_it_expires_and_only_for_its_file() -> None:
    clock = [1_000_000.0]
    signer = LinkSigner("k" * 40, 3600, now=lambda: clock[0])
    expires = signer.expiry()
    assert 3600 <= expires - clock[0] <= 3600 + LinkSigner.ROUND and expires % LinkSigner.ROUND == 0
    signature = signer.sign("a" * 22, expires)
    assert signer.valid("a" * 22, expires, signature)
    assert not signer.valid("b" * 22, expires, signature)  # another file
    assert not signer.valid("a" * 22, expires + 1, signature)  # a longer life
    assert not LinkSigner("j" * 40, 3600, now=lambda: clock[0]).valid("a" * 22, expires, signature)
    clock[0] = expires
    assert not signer.valid("a" * 22, expires, signature)


# ------------------------------------------------------------------ over HTTP


def upload(client: TestClient, data: bytes, content_type: str = "image/jpeg", **headers: str) -> dict[str, Any]:
    response = client.post("/media", content=data, headers={"Content-Type": content_type, **headers})
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_an_upload_answers_links_that_serve_the_photo_privately(client: TestClient) -> None:
    kept = upload(client, photo_with_gps(), "application/octet-stream")
    assert set(kept) == {"media_id", "content_type", "size", "url", "thumbnail_url"}
    assert kept["content_type"] == "image/jpeg" and kept["url"].startswith(f"/media/{kept['media_id']}?exp=")
    served = client.get(kept["url"])
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert served.headers["cache-control"].startswith("private")
    assert served.headers["x-content-type-options"] == "nosniff"
    assert b"PhoneMaker" not in served.content and len(served.content) == kept["size"]
    thumb = client.get(kept["thumbnail_url"])
    assert thumb.status_code == 200 and max(opened(thumb.content).size) <= THUMBNAIL_SIDE


def test_a_multipart_form_uploads_its_file(client: TestClient) -> None:
    response = client.post("/media", files={"file": ("damage.png", picture("PNG"), "image/png")})
    assert response.status_code == 200, response.text
    assert response.json()["content_type"] == "image/png"
    assert client.post("/media", data={"note": "no file"}, files={}).status_code in (400, 422)


def test_a_forged_altered_or_expired_link_is_403(client: TestClient, tmp_path: Path) -> None:
    kept = upload(client, picture("JPEG"))
    media_id, url = kept["media_id"], kept["url"]
    expires = int(url.split("exp=")[1].split("&")[0])
    other = upload(client, picture("PNG"))["media_id"]
    signer = signer_for(Settings.from_env({}, data_dir=str(tmp_path)))  # the app's own key
    past = int(time.time()) - 60
    refused = [
        f"/media/{media_id}",
        f"/media/{media_id}?exp={expires}&sig={'0' * 64}",
        url.replace(f"exp={expires}", f"exp={expires + 600}"),
        url.replace(media_id, other),
        f"/media/{media_id}?exp={past}&sig={signer.sign(media_id, past)}",  # signed, but expired
        f"/media/{media_id}?exp=１２&sig=x",
    ]
    for link in refused:
        response = client.get(link)
        assert response.status_code == 403, link
        assert "expired or is not valid" in response.json()["detail"]
    assert client.get(url).status_code == 200


def test_an_empty_or_unreadable_upload_is_a_clear_400(client: TestClient) -> None:
    empty = client.post("/media", content=b"", headers={"Content-Type": "image/jpeg"})
    assert empty.status_code == 400 and "empty" in empty.json()["detail"]
    text = client.post("/media", content=b"hello", headers={"Content-Type": "image/png"})
    assert text.status_code == 400 and "not a picture" in text.json()["detail"]


def test_an_oversized_upload_is_413_whether_or_not_it_says_its_size(tmp_path: Path, instance: Instance) -> None:
    settings = Settings.from_env({"TRIAGE_MEDIA_MAX_BYTES": "1000"}, data_dir=str(tmp_path))
    instance.media = LocalMedia(tmp_path / "media", settings.media_max_bytes)
    with TestClient(create_app(settings, instance=instance)) as small:
        just_over = small.post("/media", content=b"x" * 1001, headers={"Content-Type": "image/jpeg"})
        assert just_over.status_code == 413 and "the most is 0.0 MB" in just_over.json()["detail"]

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it comes
            yield from (b"x" * 50_000 for _ in range(3))

        streamed = small.post("/media", content=chunks(), headers={"Content-Type": "image/jpeg"})
        assert streamed.status_code == 413 and "larger than" in streamed.json()["detail"]


def test_uploads_count_against_the_senders_message_limit(tmp_path: Path, instance: Instance) -> None:
    settings = Settings.from_env({"TRIAGE_RATE_PER_SENDER": "2"}, data_dir=str(tmp_path))
    with TestClient(create_app(settings, instance=instance)) as limited:
        token = limited.post("/chat/session", json={}).json()["token"]
        mine = {"Content-Type": "image/jpeg", "Authorization": f"Bearer {token}"}
        codes = [limited.post("/media", content=picture("JPEG"), headers=mine).status_code for _ in range(3)]
        assert codes == [200, 200, 429]


def test_in_production_only_a_chat_session_or_an_integration_may_upload(tmp_path: Path, instance: Instance) -> None:
    settings = Settings.from_env({"TRIAGE_ENV": "production", "TRIAGE_SECRET": SECRET}, data_dir=str(tmp_path))
    with TestClient(create_app(settings, instance=instance)) as production:
        anonymous = production.post("/media", content=picture("JPEG"), headers={"Content-Type": "image/jpeg"})
        assert anonymous.status_code == 401
        token = production.post("/chat/session", json={}).json()["token"]
        kept = upload(production, picture("JPEG"), Authorization=f"Bearer {token}")
        assert production.get(kept["url"]).status_code == 200


def test_a_photo_sent_with_no_text_lands_in_the_transcript_with_a_working_link(client: TestClient) -> None:
    kept = upload(client, photo_with_gps())
    sent = client.post(
        "/webhooks/rest/webhook",
        json={"sender": "photo-1", "message": "", "attachments": [{"media_id": kept["media_id"], "name": "破损.jpg"}]},
    )
    assert sent.status_code == 200, sent.text
    messages = client.get("/conversations/photo-1").json()["messages"]
    (mine,) = [m for m in messages if m["author"] == "customer"]
    (attachment,) = mine["custom"]["attachments"]
    assert attachment["media_id"] == kept["media_id"] and attachment["name"] == "破损.jpg"
    assert client.get(attachment["url"]).content == client.get(kept["url"]).content
    assert client.get(attachment["thumbnail_url"]).headers["content-type"] == "image/jpeg"


def test_a_message_naming_a_file_never_uploaded_is_422(client: TestClient) -> None:
    chat = Chat(client, "photo-2")
    for media_id in ("A" * 22, "../secret"):
        sent = client.post(
            "/webhooks/rest/webhook",
            json={"sender": chat.sender, "message": "看图", "attachments": [{"media_id": media_id}]},
        )
        assert sent.status_code == 422 and "was uploaded" in sent.json()["detail"]
    chat.say("下单后多久发货")  # nothing was recorded: the conversation goes on
    assert "48小时" in chat.text


# ------------------------------------------------------------------ an agent's photo


@pytest.fixture
def agent(client: TestClient, instance: Instance) -> dict[str, str]:
    with instance.db.session() as s:
        s.add(
            Agent(username="wang", display_name="王芳", password_hash=hash_password("pw-for-tests"), skills=["general"])
        )
    token = client.post("/api/agent/login", json={"username": "wang", "password": "pw-for-tests"}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def test_an_agent_sends_a_photo_the_customer_reads_in_their_history(
    client: TestClient, instance: Instance, agent: dict[str, str]
) -> None:
    Chat(client, "photo-3").say("转人工")
    with instance.db.session() as s:
        ticket = s.scalars(select(Ticket.id)).one()
    assert client.post(f"/api/agent/tickets/{ticket}/claim", headers=agent).status_code == 200
    assert (
        client.post("/api/agent/media", content=picture("PNG"), headers={"Content-Type": "image/png"}).status_code
        == 401
    )
    response = client.post("/api/agent/media", content=picture("PNG"), headers={"Content-Type": "image/png", **agent})
    assert response.status_code == 200, response.text
    media_id = response.json()["media_id"]

    nothing = client.post(f"/api/agent/tickets/{ticket}/reply", headers=agent, json={"text": " "})
    assert nothing.status_code == 422
    sent = client.post(
        f"/api/agent/tickets/{ticket}/reply", headers=agent, json={"attachments": [{"media_id": media_id}]}
    )
    assert sent.status_code == 200, sent.text

    for read in (
        client.get(f"/api/agent/tickets/{ticket}", headers=agent).json()["messages"],
        client.get("/conversations/photo-3").json()["messages"],
    ):
        last = read[-1]
        assert last["author"] == "agent" and last["text"] == ""
        (photo,) = last["custom"]["attachments"]
        assert photo["media_id"] == media_id and photo["content_type"] == "image/png"
        assert client.get(photo["thumbnail_url"]).status_code == 200


def test_an_agents_photo_reaches_the_customer_with_its_links(
    client: TestClient, instance: Instance, agent: dict[str, str]
) -> None:
    Chat(client, "photo-4").say("转人工")
    kept = instance.media.put(picture("JPEG")) if instance.media else None
    assert kept is not None
    with instance.db.session() as s:
        ticket = s.scalars(select(Ticket.id)).one()
        wang = s.scalars(select(Agent).where(Agent.username == "wang")).one()
        instance.desk.claim(s, ticket, wang)
        files = [{"media_id": kept.media_id, "content_type": kept.content_type, "name": ""}]
        link = linker(client.app.state.settings)  # type: ignore[attr-defined]
        to_customer, _ = instance.desk.reply(s, ticket, wang, "这是运单照片", files, link)
    (photo,) = to_customer.custom["attachments"]
    assert photo["media_id"] == kept.media_id and client.get(photo["url"]).status_code == 200


def test_an_instance_without_a_file_store_still_answers_words_and_refuses_files(
    tmp_path: Path, instance: Instance
) -> None:
    instance.media = None
    with TestClient(create_app(Settings.from_env({}, data_dir=str(tmp_path)), instance=instance)) as client:
        words = client.post("/webhooks/rest/webhook", json={"sender": "no-files", "message": "下单后多久发货"})
        assert words.status_code == 200 and words.json()
        photo = client.post(
            "/webhooks/rest/webhook",
            json={"sender": "no-files", "message": "", "attachments": [{"media_id": "abc"}]},
        )
        assert photo.status_code == 503 and "keeps no files" in photo.json()["detail"]
