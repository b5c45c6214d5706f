"""Identities a channel has already verified, passed in message metadata and signed.

A logged-in web shop or a chat app that knows the customer's phone number sends
`metadata.customer = {"phone": "138…", "signature": hex(HMAC-SHA256(secret, phone))}` with the
secret shared through `TRIAGE_IDENTITY_SECRET`. The bot then treats that phone number as
verified and skips asking for its last four digits. Anything unsigned or mis-signed is ignored:
metadata comes from the client, and a customer must not be able to claim someone else's number.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import Any

_PHONE = re.compile(r"1[3-9]\d{9}")


def sign(phone: str, secret: str) -> str:
    return hmac.new(secret.encode(), phone.encode(), hashlib.sha256).hexdigest()


def verified_phone(metadata: Mapping[str, Any], secret: str | None) -> str | None:
    """The phone number the channel vouches for, or None."""
    customer = metadata.get("customer")
    if not secret or not isinstance(customer, Mapping):
        return None
    phone, signature = customer.get("phone"), customer.get("signature")
    if not isinstance(phone, str) or not isinstance(signature, str) or not _PHONE.fullmatch(phone):
        return None
    return phone if hmac.compare_digest(sign(phone, secret), signature) else None
