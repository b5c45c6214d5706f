"""WeChat's API (api.weixin.qq.com) as the Official Account channel calls it, with its access token.

The customer-service API (客服消息, message/custom/send) carries what does not fit in, or comes
after, a callback's passive reply; temporary media (media/upload, media/get) carries pictures each
way. WeChat's error codes become `DeliveryFailed`, saying whether trying again can help.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import redis

from bot.channels.contract import DeliveryFailed
from core.runtime import Runtime, ServiceUnavailable

log = logging.getLogger(__name__)

# The access token is renewed this long before WeChat says it expires (7200 s).
TOKEN_MARGIN_S = 300
# WeChat's error codes: the token was refused (invalid, not the latest, expired), WeChat is busy.
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
BUSY = -1
HTTP_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
# WeChat's upload wants a file name with the image's extension.
_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/bmp": ".bmp"}


class WeChatApi:
    """The calls this channel makes to api.weixin.qq.com, with the access token they need.

    The token is kept in Redis for every instance, renewed TOKEN_MARGIN_S before it expires, and
    fetched by one instance at a time (a Redis lock): WeChat allows 2000 fetches a day, and each
    fetch voids the token the other instances hold."""

    def __init__(self, base: str, app_id: str, app_secret: str, runtime: Runtime, http: httpx.Client) -> None:
        self.base = base.rstrip("/")
        self.app_id = app_id
        self._secret = app_secret
        self._runtime = runtime
        self._http = http
        self._key = f"wechat:access-token:{app_id}"

    def token(self, stale: str | None = None) -> str:
        """The current access token; a fresh one if the cached one is `stale` (WeChat refused it)."""
        try:
            cached = self._cached()
            if cached and cached != stale:
                return cached
            with self._runtime.lock(f"wechat-token:{self.app_id}", wait=15):
                cached = self._cached()  # another instance may have fetched it while we waited
                if cached and cached != stale:
                    return cached
                return self._fetch()
        except (redis.RedisError, ServiceUnavailable) as exc:
            raise DeliveryFailed(f"the access token is not available: {exc}") from exc

    def _cached(self) -> str | None:
        value = self._runtime.sync.get(self._key)
        return value.decode() if isinstance(value, bytes) else value

    def _fetch(self) -> str:
        params = {"grant_type": "client_credential", "appid": self.app_id, "secret": self._secret}
        body = _json(self._request("GET", "/cgi-bin/token", params=params), "/cgi-bin/token")
        if "access_token" not in body:
            code = body.get("errcode")
            raise DeliveryFailed(f"WeChat refused the access token: {code} {body.get('errmsg')}", retry=code == BUSY)
        token = str(body["access_token"])
        lifetime = int(body.get("expires_in", 7200))
        self._runtime.sync.set(self._key, token, ex=max(lifetime - TOKEN_MARGIN_S, 60))
        log.info("wechat: a new access token, for %d s", lifetime)
        return token

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, self.base + path, **kwargs)
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"WeChat {path} could not be reached: {exc}") from exc
        if response.status_code >= 500:
            raise DeliveryFailed(f"WeChat {path} answered HTTP {response.status_code}")
        if response.status_code != 200:
            raise DeliveryFailed(f"WeChat {path} answered HTTP {response.status_code}", retry=False)
        return response

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """An API call with the access token; renewed once and tried again when WeChat refuses it."""
        params = dict(kwargs.pop("params", None) or {})
        stale = None
        for _ in range(2):
            token = self.token(stale)
            response = self._request(method, path, params={**params, "access_token": token}, **kwargs)
            if not _is_json(response):
                return response  # media/get answers with the file itself
            body = _json(response, path)
            code = int(body.get("errcode") or 0)
            if code in TOKEN_ERRORS and stale is None:
                log.info("wechat: the access token was refused (%d); renewing it", code)
                stale = token
                continue
            if code:
                raise DeliveryFailed(f"WeChat {path} failed: {code} {body.get('errmsg')}", retry=code == BUSY)
            return response
        raise DeliveryFailed(f"WeChat {path} refused a freshly renewed access token")

    def send(self, openid: str, message: dict[str, Any]) -> None:
        """A customer-service message (客服消息): {"msgtype": "text", "text": {"content": …}} and the like."""
        body = json.dumps({"touser": openid, **message}, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8"}
        self.call("POST", "/cgi-bin/message/custom/send", content=body, headers=headers)

    def upload_image(self, data: bytes, content_type: str, name: str) -> str:
        """WeChat's media id of `data`, uploaded as temporary media (kept three days)."""
        ext = _EXTENSIONS.get(content_type, ".jpg")
        filename = name if name.lower().endswith(ext) else f"{name}{ext}"
        files = {"media": (filename, data, content_type)}
        response = self.call("POST", "/cgi-bin/media/upload", params={"type": "image"}, files=files)
        return str(_json(response, "/cgi-bin/media/upload")["media_id"])

    def download(self, media_id: str, limit: int) -> tuple[bytes, str]:
        """The file WeChat keeps as `media_id` (a customer's picture), and its content type."""
        response = self.call("GET", "/cgi-bin/media/get", params={"media_id": media_id})
        if len(response.content) > limit:
            raise DeliveryFailed(f"the picture is larger than {limit} bytes", retry=False)
        return response.content, response.headers.get("content-type", "").split(";")[0].strip()


def fetch_picture(api: WeChatApi | None, http: httpx.Client, media_id: str, url: str, limit: int) -> tuple[bytes, str]:
    """A customer's picture and its content type: through media/get when the account has the API,
    else (or when that fails) from the PicUrl WeChat gave. Raises DeliveryFailed."""
    if api is not None and media_id:
        try:
            return api.download(media_id, limit)
        except DeliveryFailed as exc:
            if not url:
                raise
            log.warning("wechat: media/get failed (%s); fetching the PicUrl", exc)
    if not url.startswith(("https://", "http://")):
        raise DeliveryFailed("the picture has no MediaId this account can fetch and no PicUrl", retry=False)
    try:
        with http.stream("GET", url) as response:
            response.raise_for_status()
            data = bytearray()
            for chunk in response.iter_bytes():
                data += chunk
                if len(data) > limit:
                    raise DeliveryFailed(f"the picture is larger than {limit} bytes", retry=False)
            return bytes(data), response.headers.get("content-type", "").split(";")[0].strip()
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"the picture could not be fetched: {exc}") from exc


def _is_json(response: httpx.Response) -> bool:
    kind = response.headers.get("content-type", "")
    return "json" in kind or kind.startswith("text/plain")


def _json(response: httpx.Response, path: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as exc:
        raise DeliveryFailed(f"WeChat {path} answered something that is not JSON") from exc
    if not isinstance(body, dict):
        raise DeliveryFailed(f"WeChat {path} answered something that is not a JSON object")
    return body
