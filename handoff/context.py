"""Everything the bot knows, put on the ticket so the customer never repeats themselves.

Pure: built from the conversation's messages and slots; the agent's console shows it as the
context panel, with a short summary on top.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

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


def summary(
    messages: Sequence[Message], reason: str, slots: Mapping[str, Any], entry_questions: Mapping[str, str]
) -> str:
    """Three lines for the agent: what the customer wants, what the bot already did, why a person."""
    asked = [m.text for m in messages if m.direction == "in"][-3:]
    answered = []
    for m in messages:
        faq = (m.custom or {}).get("faq_id") if m.direction == "out" else None
        if faq and faq in entry_questions and entry_questions[faq] not in answered:
            answered.append(entry_questions[faq])
    lookup = slots.get("lookup") or {}
    looked_up = []
    for kind, data in lookup.items():
        if isinstance(data, dict):
            key = data.get("order_no") or data.get("claim_no") or data.get("product") or ""
            looked_up.append(f"{kind} {key} ({data.get('status', '')})".replace(" ()", ""))
    lines = [
        "客户说：" + " / ".join(asked) if asked else "客户说：（无）",
        "机器人已答："
        + ("；".join(answered[-3:]) or "无")
        + ("；已查询：" + "，".join(looked_up) if looked_up else ""),
        "转人工原因：" + REASONS_ZH.get(reason, reason),
    ]
    if slots.get("order_id"):
        lines.insert(
            1, f"订单号：{slots['order_id']}" + ("（已验证）" if slots.get("verified_customer") else "（未验证）")
        )
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
