"""What WeChat's callbacks are made of, checked and built: signatures, 安全模式 AES, safe XML. Pure.

WeChat signs each callback with the account's Token (sha1 over the sorted parts) and, in 安全模式,
encrypts the message with the EncodingAESKey; its XML is read with DTDs refused, so no entity
expansion and no external entities. The WeChat channel (wechat.py, wechat_account.py) uses them on
every request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import struct

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from defusedxml import ElementTree as SafeXml

from core.config import ConfigError

# A request whose timestamp is further than this from our clock is a replay (or a wrong clock).
MAX_SKEW_S = 300

_FRAME = struct.Struct(">I")  # the message's length inside a decrypted frame


class Forged(ValueError):
    """The request is not WeChat's: a wrong signature, a stale timestamp, another account's message."""


class Malformed(ValueError):
    """The request cannot be read: not XML, or a ciphertext that does not decrypt."""


# --- signatures and 安全模式 --------------------------------------------------------------------


def signature(*parts: str) -> str:
    """WeChat's signature: sha1 over the parts sorted and joined (token, timestamp, nonce[, Encrypt])."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def check_signature(token: str, given: str, timestamp: str, nonce: str, *extra: str, now: float) -> None:
    """Raises Forged unless `given` signs these parts and `timestamp` is within MAX_SKEW_S of `now`."""
    if not hmac.compare_digest(signature(token, timestamp, nonce, *extra).encode(), given.encode()):
        raise Forged("the signature does not match")
    if not (timestamp.isdigit() and len(timestamp) <= 12) or abs(now - int(timestamp)) > MAX_SKEW_S:
        raise Forged("the timestamp is missing or too old (a replayed request?)")


class MessageCrypt:
    """WeChat's message encryption: AES-256-CBC, key = base64(EncodingAESKey + "="), iv = key[:16],
    PKCS#7 padded to 32 bytes, over 16 random bytes + the length (4 bytes, big-endian) + the
    message + the AppID; base64 on the wire."""

    def __init__(self, encoding_aes_key: str, app_id: str) -> None:
        try:
            self.key = base64.b64decode(encoding_aes_key + "=", validate=True)
        except ValueError as exc:
            raise ConfigError("TRIAGE_WECHAT_AES_KEY is not WeChat's base64 EncodingAESKey") from exc
        if len(self.key) != 32:
            raise ConfigError("TRIAGE_WECHAT_AES_KEY is not WeChat's 43-character EncodingAESKey")
        self.app_id = app_id

    def _cipher(self) -> Cipher[modes.CBC]:
        return Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16]))

    def encrypt(self, message: str) -> str:
        body = message.encode()
        plain = os.urandom(16) + _FRAME.pack(len(body)) + body + self.app_id.encode()
        padder = padding.PKCS7(256).padder()
        padded = padder.update(plain) + padder.finalize()
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode()

    def decrypt(self, encrypted: str) -> str:
        """The message inside; Malformed when it does not decrypt, Forged when it is for another AppID."""
        try:
            data = base64.b64decode(encrypted, validate=True)
            decryptor = self._cipher().decryptor()
            padded = decryptor.update(data) + decryptor.finalize()
            unpadder = padding.PKCS7(256).unpadder()
            plain = unpadder.update(padded) + unpadder.finalize()
        except ValueError as exc:  # not base64, not whole blocks, bad padding
            raise Malformed("the Encrypt field does not decrypt with TRIAGE_WECHAT_AES_KEY") from exc
        if len(plain) < 20:
            raise Malformed("the decrypted message is too short")
        (length,) = _FRAME.unpack(plain[16:20])
        body, app_id = plain[20 : 20 + length], plain[20 + length :]
        if len(body) != length:
            raise Malformed("the decrypted message is shorter than it says")
        if not hmac.compare_digest(app_id, self.app_id.encode()):
            raise Forged("the message is for another account (its AppID differs)")
        try:
            return body.decode()
        except UnicodeDecodeError as exc:
            raise Malformed("the decrypted message is not UTF-8") from exc


# --- XML ----------------------------------------------------------------------------------------

_NOT_XML_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def parse_xml(raw: bytes | str) -> dict[str, str]:
    """The fields of WeChat's flat `<xml>` message; Malformed for anything else. DTDs, and so
    entity expansion and external entities, are refused outright."""
    try:
        root = SafeXml.fromstring(raw, forbid_dtd=True)
    except SafeXml.ParseError as exc:
        raise Malformed(f"malformed XML: {exc}") from exc
    except ValueError as exc:  # defusedxml's refusals (DTDs, entities) are ValueErrors
        raise Malformed(f"refused XML: {type(exc).__name__}") from exc
    if root.tag != "xml":
        raise Malformed(f"expected WeChat's <xml> message, got <{root.tag}>")
    return {child.tag: (child.text or "").strip() for child in root if len(child) == 0}


def _cdata(value: str) -> str:
    clean = _NOT_XML_CHARS.sub("", value)
    return "<![CDATA[" + clean.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply(to: str, from_: str, content: str, now: int) -> str:
    """A passive text reply, as WeChat documents it."""
    return (
        f"<xml><ToUserName>{_cdata(to)}</ToUserName><FromUserName>{_cdata(from_)}</FromUserName>"
        f"<CreateTime>{now}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{_cdata(content)}</Content></xml>"
    )


def encrypted_reply(token: str, crypt: MessageCrypt, reply: str, now: int) -> str:
    """The passive reply of 安全模式: the reply encrypted, and signed with a fresh nonce."""
    encrypted = crypt.encrypt(reply)
    nonce = secrets.token_hex(8)
    sign = signature(token, str(now), nonce, encrypted)
    return (
        f"<xml><Encrypt>{_cdata(encrypted)}</Encrypt><MsgSignature>{_cdata(sign)}</MsgSignature>"
        f"<TimeStamp>{now}</TimeStamp><Nonce>{_cdata(nonce)}</Nonce></xml>"
    )
