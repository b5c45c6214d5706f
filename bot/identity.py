"""Identities a channel has already verified, passed in message metadata and signed.

A logged-in web shop or a chat app that knows the customer's phone number sends
`metadata.customer = {"phone": "138…", "expires": 1767225600, "signature": hex(HMAC-SHA256(secret,
"138….1767225600"))}` with the secret shared through `TRIAGE_IDENTITY_SECRET` (`expires`, a Unix
time, is optional for a server-to-server integration: then the signature is over the phone alone;
a page should always set it, since a signature on a page can be copied). The bot then treats that
phone number as verified and skips asking for its last four digits. Anything unsigned, mis-signed
or expired is ignored: metadata comes from the client, and a customer must not be able to claim
someone else's number.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from typing import Any

_PHONE = re.compile(r"1[3-9]\d{9}")


def sign(phone: str, secret: str, expires: int | None = None) -> str:
    signed = phone if expires is None else f"{phone}.{expires}"
    return hmac.new(secret.encode(), signed.encode(), hashlib.sha256).hexdigest()


def verified_phone(metadata: Mapping[str, Any], secret: str | None, now: float | None = None) -> str | None:
    """The phone number the channel vouches for, or None."""
    customer = metadata.get("customer")
    if not secret or not isinstance(customer, Mapping):
        return None
    phone, signature, expires = customer.get("phone"), customer.get("signature"), customer.get("expires")
    if not isinstance(phone, str) or not isinstance(signature, str) or not _PHONE.fullmatch(phone):
        return None
    if expires is not None:
        if not isinstance(expires, int) or isinstance(expires, bool):
            return None
        if expires < (time.time() if now is None else now):
            return None
    return phone if hmac.compare_digest(sign(phone, secret, expires), signature) else None
