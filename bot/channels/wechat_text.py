"""What the bot's messages become on WeChat, and what a follower's number answers. Pure.

WeChat text has no buttons, so buttons become numbered lines under their message ("回复 1：…"),
numbered on across the messages of one turn, and the follower's "1" stands for that button's
payload. A text longer than one WeChat message (2048 bytes) is cut at line ends; the leading texts
that fit in one message are joined into the callback's passive reply, the rest go through the API.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.engine import OutboundMessage

# WeChat's limit on one text message is 2048 bytes; a little under leaves room for the framing.
TEXT_LIMIT_BYTES = 2000


@dataclass(frozen=True)
class Part:
    """One WeChat message to send: a text, or an image from the media store."""

    text: str = ""
    image: dict[str, str] | None = None


def chunks(text: str, limit: int = TEXT_LIMIT_BYTES) -> list[str]:
    """`text` cut into pieces of at most `limit` UTF-8 bytes, at line ends where it can be."""
    out: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line.encode()) > limit:  # one line longer than a message: cut by characters
            cut = len(line.encode()[:limit].decode(errors="ignore"))
            line, head = line[cut:], line[:cut]
            if current:
                out.append(current)
            out.append(head)
            current = ""
        if len((current + line).encode()) > limit:
            out.append(current)
            current = ""
        current += line
    if current.strip():
        out.append(current)
    return [piece.strip("\n") for piece in out if piece.strip()]


def render(messages: Sequence[OutboundMessage]) -> tuple[list[Part], dict[str, str]]:
    """The WeChat messages for `messages`, and what each button number stands for. Buttons are
    numbered lines under their message's text, numbered on across the messages."""
    parts: list[Part] = []
    numbers: dict[str, str] = {}
    for message in messages:
        lines = [message.text] if message.text else []
        for button in message.buttons or []:
            number = str(len(numbers) + 1)
            numbers[number] = button["payload"]
            lines.append(f"回复 {number}：{button['title']}")
        parts += [Part(text=piece) for piece in chunks("\n".join(lines))]
        for attachment in (message.custom or {}).get("attachments") or []:
            parts.append(Part(image=dict(attachment)))
    return parts, numbers


def passive(parts: list[Part], limit: int = TEXT_LIMIT_BYTES) -> tuple[str | None, list[Part]]:
    """The leading texts that fit in one passive reply, joined; and what is left for the API."""
    taken: list[str] = []
    for part in parts:
        joined = "\n\n".join([*taken, part.text])
        if part.image is not None or len(joined.encode()) > limit:
            break
        taken.append(part.text)
    return ("\n\n".join(taken) if taken else None), parts[len(taken) :]


def pressed(text: str, numbers: Mapping[str, str]) -> str | None:
    """The payload of the button whose number `text` is ("1", "１ "), else None."""
    number = unicodedata.normalize("NFKC", text).strip()
    return numbers.get(number) if number.isdigit() else None
