"""Everything the bot knows, put on the ticket so the customer never repeats themselves.

Pure: built from the conversation's messages and slots; the agent's console shows it as the
context panel, with a short summary on top.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from bot.cues import gives_last4
from bot.policy import QUESTION_SLOTS
from bot.store import Message

REASONS_ZH = {
    "human_request": "客户要求转人工",
    "complaint": "客户投诉",
    "anger": "客户情绪激动",
    "fallback": "机器人连续两次没听懂",
    "slot_failed": "两次没提供有效订单号",
    "order_not_found": "两次都没查到订单",
    "verification_failed": "身份验证两次失败",
    "tracking_stuck": "物流超过 72 小时未更新",
    "remittance_overdue": "货款超期未打款",
    "remittance_review": "货款风控审核中",
    "remittance_held": "货款挂账，收款账户需要审核变更",
    "claim": "理赔登记",
    "lookup_unavailable": "订单系统查询失败",
    "keyword": "命中人工关键词",
    "offline": "非工作时间留言",
    "high_value": "高价值客户或订单，机器人没能解答",
    # No longer given (asking again offers a person, a button): kept for tickets opened before.
    "repeated": "同一个问题问了三次，机器人的回答没能解决",
}


def anger_history(messages: Sequence[Message]) -> list[float]:
    """The anger score of each customer message, oldest first."""
    out = []
    for m in messages:
        if m.direction == "in" and m.parse:
            out.append(float((m.parse.get("sentiment") or {}).get("anger", 0.0)))
    return out


def turns(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """Each customer turn with what the bot understood of it."""
    return [
        {
            "text": m.text,
            "topic": m.topic,
            "confidence": round(m.confidence, 3) if m.confidence is not None else None,
            "anger": (m.parse or {}).get("sentiment", {}).get("anger"),
            "at": m.created_at.isoformat() if m.created_at else None,
        }
        for m in messages
        if m.direction == "in"
    ]


# Turns that say nothing of what the customer needs: small talk, asking for a person, a photo alone.
NOT_SUBSTANTIVE = frozenset(
    {"greeting", "goodbye", "thanks", "affirm", "deny", "bot_identity", "human_request", "attachment"}
)
# Nothing but numbers, or an order or waybill number alone: an answer to a question, not a question.
_ONLY_NUMBERS = re.compile(r"[\sA-Za-z]{0,3}[\d\s\-]+")
SINCE_SHOWN = 3  # what the customer added while waiting: the newest this many
_LOOKUP_FIELDS = ("order_no", "claim_no", "waybill_no", "product", "carrier", "status", "kind", "latest_event")


def _says_something(m: Message) -> bool:
    """A customer turn that carries a need in their words (not a number, not the phone check)."""
    if m.direction != "in" or not m.text.strip():
        return False
    named = (m.parse or {}).get("subject")
    if m.topic in NOT_SUBSTANTIVE and not named:
        return False
    return not (_ONLY_NUMBERS.fullmatch(m.text.strip()) or gives_last4(m.text))


def _looked_up(lookup: Mapping[str, Any]) -> list[str]:
    """What the lookups found, as "order YX… delivered ¥238": numbers and states, never a phone."""
    found = []
    for kind, data in lookup.items():
        if not isinstance(data, Mapping):
            continue
        parts = [str(data[f]) for f in _LOOKUP_FIELDS if data.get(f) not in (None, "", False)]
        parts += [f"¥{data[k]}" for k in sorted(data) if ("amount" in k or "total" in k) and data[k] is not None]
        if parts:
            found.append(f"{kind} " + " ".join(parts))
    return found


def summary(
    messages: Sequence[Message],
    reason: str,
    slots: Mapping[str, Any],
    entry_questions: Mapping[str, str],
    handed_at: int | None = None,
) -> str:
    """A few lines for the agent, in the desk's language: what the customer wants (the first turn
    that says it, in their words), the order, what the bot answered and looked up, why a person,
    and what the customer added while waiting (messages after `handed_at`, a message id). Numbers
    given for the phone check never appear."""
    said = [m for m in messages if _says_something(m)]
    before = [m for m in said if handed_at is None or m.id is None or m.id <= handed_at]
    wants = (before or said)[:1]
    answered: list[str] = []
    replied = False
    for m in messages:
        if m.direction != "out" or m.author != "bot":
            continue
        faq = (m.custom or {}).get("faq_id")
        if faq and faq in entry_questions and entry_questions[faq] not in answered:
            answered.append(entry_questions[faq])
        replied = replied or not (m.custom or {}).get("handoff")
    found = _looked_up(slots.get("lookup") or {})
    if answered or found:
        bot = (
            "；".join(answered[-3:])
            + ("；" if answered and found else "")
            + ("已查询：" + "，".join(found) if found else "")
        )
    else:
        bot = "回复过，但没能解答" if replied else "没有答复"
    lines = [
        "客户说：" + (wants[0].text if wants else "（只要求转人工，没说具体问题）"),
        "机器人已答：" + bot,
        "转人工原因：" + REASONS_ZH.get(reason, reason),
    ]
    if slots.get("order_id"):
        lines.insert(
            1, f"订单号：{slots['order_id']}" + ("（已验证）" if slots.get("verified_customer") else "（未验证）")
        )
    since = [m.text for m in said if handed_at is not None and m.id is not None and m.id > handed_at]
    if since:
        lines.append("等待期间客户又说：" + " / ".join(since[-SINCE_SHOWN:]))
    return "\n".join(lines)


def ticket_context(
    messages: Sequence[Message],
    *,
    reason: str,
    channel: str,
    slots: Mapping[str, Any],
    handoff_context: Mapping[str, Any],
    customer: Mapping[str, Any] | None,
) -> dict[str, Any]:
    return {
        "reason": reason,
        "channel": channel,
        "turns": turns(messages),
        "anger_history": anger_history(messages),
        "slots": {k: v for k, v in slots.items() if k not in QUESTION_SLOTS},
        "lookup": slots.get("lookup") or handoff_context.get("lookup"),
        "handoff": dict(handoff_context),
        "customer": dict(customer) if customer else None,
    }
