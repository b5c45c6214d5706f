"""Photos and files customers and agents send: a storage contract and its two implementations.

Whatever arrives is judged by its bytes, never by the type or name it is sent with: a JPEG, PNG,
WebP or GIF picture Pillow can read, or a PDF. A picture is decoded and written again, which
drops its metadata (EXIF with the GPS position, the camera, comments) after its EXIF orientation
has been applied, and a 320-pixel thumbnail is kept beside it; a PDF is kept as sent. Files live
under `data_dir/media` in the embedded mode (`LocalMedia`) or in an S3-compatible bucket
(`S3Media`); both pass the same contract tests (tests/test_media.py). Ids are random (128 bits):
nobody finds a file by guessing, and the web serves them only through signed, expiring links.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
import os
import re
import secrets
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from PIL import Image, ImageOps

from core import errors
from core.config import Settings, kept
from core.runtime import ServiceUnavailable

log = logging.getLogger(__name__)

# A phone's photo is 12 to 50 megapixels; past this a picture is refused before it is decoded
# (a small file can claim a huge canvas: a decompression bomb).
MAX_PIXELS = 50_000_000
THUMBNAIL_SIDE = 320
PDF = "application/pdf"
# The formats Pillow may parse here, and what each is called on the web; no other decoder runs.
PICTURES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
MEDIA_ID = re.compile(r"[A-Za-z0-9_-]{22}")  # secrets.token_urlsafe(16)
# Kept when a picture is written again: how its palette is transparent and its colours' profile.
# Everything else in Pillow's info (exif, xmp, comment, dpi, text chunks) is left behind.
_KEPT_INFO = ("transparency", "icc_profile")


class MediaRejected(errors.Invalid):
    """Not a file we keep (an unknown or disallowed type, an unreadable image)."""


class MediaTooLarge(errors.TooLarge):
    """Over TRIAGE_MEDIA_MAX_BYTES."""


class MediaNotFound(errors.NotFound):
    """No stored file has this id."""


@dataclass(frozen=True)
class Stored:
    media_id: str
    content_type: str
    size: int  # bytes as kept (a picture written again is usually smaller than the one sent)


@dataclass(frozen=True)
class Prepared:
    """What is kept of one upload: the cleaned file and, for a picture, its thumbnail."""

    data: bytes
    content_type: str
    thumbnail: bytes | None = None


class MediaStore(Protocol):
    def put(self, data: bytes, declared_type: str | None = None, name: str = "") -> Stored:
        """Check, clean and keep a file; raises MediaRejected or MediaTooLarge. `declared_type`
        and `name` are what the sender claimed: neither decides what the file is."""
        ...

    def get(self, media_id: str) -> tuple[bytes, str]:
        """The file and its content type; raises MediaNotFound."""
        ...

    def thumbnail(self, media_id: str) -> tuple[bytes, str]:
        """A picture's small copy and its type; raises MediaNotFound (for a PDF too)."""
        ...

    def info(self, media_id: str) -> Stored:
        """What is kept under `media_id`, without reading it; raises MediaNotFound."""
        ...


def prepare(data: bytes, max_bytes: int) -> Prepared:
    """The file as it will be kept; raises MediaTooLarge or MediaRejected with a reason to show."""
    if not data:
        raise MediaRejected("the file is empty")
    if len(data) > max_bytes:
        raise MediaTooLarge(f"the file is {_megabytes(len(data))}; the most is {_megabytes(max_bytes)}")
    if data.startswith(b"%PDF-"):
        return Prepared(data, PDF)
    try:
        picture = Image.open(io.BytesIO(data), formats=list(PICTURES))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own check, past twice its limit (or once, where warnings are errors, as in the tests).
        raise MediaRejected(_too_many_pixels()) from exc
    except Exception as exc:  # an untrusted file can fail a decoder in any way
        raise MediaRejected("not a picture (JPEG, PNG, WebP or GIF) or a PDF") from exc
    with picture:
        width, height = picture.size
        if width * height > MAX_PIXELS:
            raise MediaRejected(_too_many_pixels(f" ({width}×{height} pixels)"))
        fmt = str(picture.format)
        try:
            picture.seek(0)  # an animation keeps its first frame
            upright = ImageOps.exif_transpose(picture)
        except Exception as exc:
            raise MediaRejected("the picture could not be read: it may be damaged or cut short") from exc
    clean = upright.copy()  # a new image: Pillow caches a read EXIF on the image object itself
    clean.info = {k: v for k, v in upright.info.items() if k in _KEPT_INFO}
    return Prepared(_encode(clean, fmt), PICTURES[fmt], _thumbnail(clean))


def _encode(picture: Image.Image, fmt: str) -> bytes:
    """The picture written again in its own format, with nothing but its pixels (and colour profile)."""
    options: dict[str, Any] = {}
    if icc := picture.info.get("icc_profile"):
        options["icc_profile"] = icc
    if fmt == "JPEG":
        if picture.mode not in ("L", "RGB", "CMYK"):
            picture = picture.convert("RGB")
        options["quality"] = 90
    elif fmt == "WEBP":
        picture = picture.convert("RGBA" if _has_alpha(picture) else "RGB")
        options["quality"] = 90
    out = io.BytesIO()
    picture.save(out, format=fmt, **options)
    return out.getvalue()


def _thumbnail(picture: Image.Image) -> bytes:
    """At most THUMBNAIL_SIDE pixels a side: a JPEG, or a PNG where the picture is transparent."""
    alpha = _has_alpha(picture)
    small = picture.convert("RGBA" if alpha else "RGB")
    small.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    out = io.BytesIO()
    small.save(out, format="PNG" if alpha else "JPEG", quality=80)
    return out.getvalue()


def _has_alpha(picture: Image.Image) -> bool:
    return picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info


def type_of(head: bytes) -> str:
    """The content type of a kept file, from its first bytes (we wrote it, so one of ours)."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"GIF8"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return PDF
    return "application/octet-stream"


def new_media_id() -> str:
    return secrets.token_urlsafe(16)


def _checked(media_id: str) -> str:
    """The id, if it could be one of ours (it names a file or key: nothing else gets that far)."""
    if not MEDIA_ID.fullmatch(media_id):
        raise MediaNotFound(f"no file {media_id[:40]!r}")
    return media_id


def _too_many_pixels(size: str = "") -> str:
    return f"the picture is too large{size}; the most is {MAX_PIXELS // 1_000_000} megapixels"


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


class _Kept:
    """put/get/thumbnail/info over a place that keeps bytes by key; the subclasses are that place."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes

    def put(self, data: bytes, declared_type: str | None = None, name: str = "") -> Stored:
        prepared = prepare(data, self.max_bytes)
        media_id = new_media_id()
        if prepared.thumbnail is not None:
            self._write(f"{media_id}.thumb", prepared.thumbnail, type_of(prepared.thumbnail))
        self._write(media_id, prepared.data, prepared.content_type)  # last: the id exists once complete
        return Stored(media_id, prepared.content_type, len(prepared.data))

    def get(self, media_id: str) -> tuple[bytes, str]:
        return self._read(_checked(media_id))

    def thumbnail(self, media_id: str) -> tuple[bytes, str]:
        return self._read(f"{_checked(media_id)}.thumb")

    def info(self, media_id: str) -> Stored:
        size, content_type = self._head(_checked(media_id))
        return Stored(media_id, content_type, size)

    def _write(self, key: str, data: bytes, content_type: str) -> None:
        raise NotImplementedError

    def _read(self, key: str) -> tuple[bytes, str]:
        raise NotImplementedError

    def _head(self, key: str) -> tuple[int, str]:
        raise NotImplementedError


class LocalMedia(_Kept):
    """Files in a folder (the embedded default): `root/<first two characters>/<id>`."""

    def __init__(self, root: Path, max_bytes: int = 10 * 1024 * 1024) -> None:
        super().__init__(max_bytes)
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / key

    def _write(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Written aside and renamed: a reader never sees half a file.
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def _read(self, key: str) -> tuple[bytes, str]:
        try:
            data = self._path(key).read_bytes()
        except FileNotFoundError:
            raise MediaNotFound(f"no file {key!r}") from None
        return data, type_of(data[:16])

    def _head(self, key: str) -> tuple[int, str]:
        try:
            with self._path(key).open("rb") as f:
                return os.fstat(f.fileno()).st_size, type_of(f.read(16))
        except FileNotFoundError:
            raise MediaNotFound(f"no file {key!r}") from None


class S3Media(_Kept):
    """Objects in an S3-compatible bucket (AWS, MinIO, OSS, COS …), under `media/`. The client is
    boto3's; credentials are boto3's own (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)."""

    PREFIX = "media/"

    def __init__(self, client: Any, bucket: str, max_bytes: int = 10 * 1024 * 1024) -> None:
        super().__init__(max_bytes)
        self.client = client
        self.bucket = bucket

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Media:
        import boto3  # imported only where a bucket is configured: it takes a third of a second
        from botocore.config import Config

        config = Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"})
        client = boto3.client(
            "s3", endpoint_url=settings.media_s3_endpoint, region_name=settings.media_s3_region, config=config
        )
        assert settings.media_s3_bucket is not None
        return cls(client, settings.media_s3_bucket, settings.media_max_bytes)

    def _write(self, key: str, data: bytes, content_type: str) -> None:
        self._call(
            lambda: self.client.put_object(
                Bucket=self.bucket, Key=self.PREFIX + key, Body=data, ContentType=content_type
            )
        )

    def _read(self, key: str) -> tuple[bytes, str]:
        found = self._call(lambda: self.client.get_object(Bucket=self.bucket, Key=self.PREFIX + key), key)
        return found["Body"].read(), str(found.get("ContentType") or "application/octet-stream")

    def _head(self, key: str) -> tuple[int, str]:
        found = self._call(lambda: self.client.head_object(Bucket=self.bucket, Key=self.PREFIX + key), key)
        return int(found["ContentLength"]), str(found.get("ContentType") or "application/octet-stream")

    def _call(self, request: Callable[[], Any], key: str | None = None) -> Any:
        """One request to the bucket: a missing key is MediaNotFound, any other failure 503."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return request()
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if key is not None and code in ("NoSuchKey", "404", "NotFound"):
                raise MediaNotFound(f"no file {key!r}") from None
            log.error("media bucket %s: %s", self.bucket, exc)
            raise ServiceUnavailable("the file store refused the request") from exc
        except BotoCoreError as exc:
            log.error("media bucket %s unavailable: %s", self.bucket, exc)
            raise ServiceUnavailable("the file store is unavailable") from exc


def store_for(settings: Settings) -> MediaStore:
    """The bucket when TRIAGE_MEDIA_S3_BUCKET is set, else files under the data directory."""
    if settings.media_s3_bucket:
        return S3Media.from_settings(settings)
    return LocalMedia(settings.data_dir / "media", settings.media_max_bytes)


class LinkSigner:
    """Signs and checks links to files: HMAC-SHA256 over the id and the link's expiry.

    An expiry is rounded up to the next `ROUND` seconds, so a page that asks again within those
    minutes gets the same link and the browser's cached copy."""

    ROUND = 600

    def __init__(self, secret: str, seconds: int, now: Callable[[], float] = time.time) -> None:
        # A key of its own, derived from the app's secret: a link's signature signs nothing else.
        self._key = hmac.new(secret.encode(), b"triage media links", hashlib.sha256).digest()
        self.seconds = seconds
        self.now = now

    def expiry(self) -> int:
        due = int(self.now()) + self.seconds
        return -(-due // self.ROUND) * self.ROUND

    def sign(self, media_id: str, expires: int) -> str:
        return hmac.new(self._key, f"{media_id}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def valid(self, media_id: str, expires: int, signature: str) -> bool:
        """The signature is ours for this id and expiry, and the expiry has not passed."""
        return hmac.compare_digest(self.sign(media_id, expires), signature) and expires > self.now()


def signer_for(settings: Settings, now: Callable[[], float] = time.time) -> LinkSigner:
    """Signed with TRIAGE_SECRET; the demo makes a secret of its own, kept in the data directory."""
    secret = settings.secret or kept(settings.data_dir / "media-secret", lambda: secrets.token_hex(32))
    return LinkSigner(secret, settings.media_link_seconds, now)
