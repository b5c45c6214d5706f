"""Which order the customer means, and whether they may see it.

Before any order, payment or address detail is shown the customer proves who they are: the
last four digits of the phone number on the order, or an identity the channel has verified
(the bot puts it in the `verified_phone` slot; customers cannot set slots). A verified
customer stays verified for the conversation, for their own orders only.
"""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from actions.base import Outcome
from core.numerals import spelled_digits
from merchant.models import Order
from merchant.store import find_order, recent_orders

# The last four digits of the phone, said as such: 尾号8607, 手机后四位是 8607, last 4 digits 8607.
_CUED_LAST4 = re.compile(
    r"(?:尾号|尾號|尾數|尾数|尾四位|尾4位|后四位|後四位|后4位|後4位|末四位|末4位|last\s*(?:4|four)(?:\s*digits?)?(?:\s*(?:is|are|of\s+(?:my\s+)?phone))?"
    r"|ending\s*(?:in|with)?|ends?\s*(?:with|in))\s*(?:都|也|就|还|還|仍然|仲)?\s*(?:是|为|為|係|系|:|：)?\s*(\d{4})(?!\d)",
    re.I,
)
_LAST4 = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_DIGITS = re.compile(r"\d")


def _order_button(order: Order, lang: str) -> dict[str, str]:
    when = order.created_at.strftime("%m-%d")
    title = f"{order.order_no}（{when}）" if lang == "zh" else f"{order.order_no} ({when})"
    return {"title": title, "payload": order.order_no}


def _seen(order: Order, outcome: Outcome) -> Order:
    """Note who this is and what the order is worth: the desk serves valuable customers first."""
    if outcome.turn.slot("customer_tier") != order.customer.tier:
        outcome.set("customer_tier", order.customer.tier)
    if outcome.turn.slot("order_total") != float(order.total):
        outcome.set("order_total", float(order.total))
    return order


def authorised(order: Order, outcome: Outcome, *, recipient_ok: bool) -> bool:
    """May whoever is writing see this order? (`recipient_ok`: the recipient may, for tracking.)"""
    slots = outcome.turn.slots
    if slots.get("verified_customer") == order.customer.external_id:
        return True
    if order.order_no in (slots.get("verified_orders") or []):
        return True
    phone = slots.get("verified_phone")
    return bool(phone) and (phone == order.customer.phone or (recipient_ok and phone == order.recipient_phone))


def resolve_order(session: Session, outcome: Outcome, loop: str, *, recipient_ok: bool = False) -> Order | None:
    """The order this turn is about, once the customer may see it; otherwise asks and returns None."""
    turn = outcome.turn
    requested = turn.slot("requested_slot")
    order_no, waybill = turn.entity("order_id"), turn.entity("waybill")

    if order_no or waybill:
        order = find_order(session, order_no=order_no, waybill=waybill)
        if order is None:
            outcome.failed(
                loop, "order_id", "unknown_order", "order_not_found", "handoff_not_found", order_no=order_no or waybill
            )
            return None
        if order.order_no != turn.slot("order_id"):
            outcome.set("order_id", order.order_no)
    elif turn.slot("order_id") and requested != "order_id":
        order = find_order(session, order_no=turn.slot("order_id"))
        if order is None:  # deleted since: start over
            outcome.set("order_id", None)
            outcome.ask(loop, "order_id", "ask_order_no")
            return None
    elif requested == "order_id" and _DIGITS.search(turn.text):
        outcome.failed(loop, "order_id", "bad_order_no", "slot_failed", "handoff_not_found")
        return None
    else:
        phone = turn.slot("verified_phone")
        mine = recent_orders(session, phone=phone) if phone else []
        if mine:
            outcome.ask(
                loop, "order_id", "ask_order_no_or_pick", buttons=[_order_button(o, outcome.lang) for o in mine]
            )
        elif requested == "order_id":
            outcome.failed(loop, "order_id", "bad_order_no", "slot_failed", "handoff_not_found")
        else:
            outcome.ask(loop, "order_id", "ask_order_no")
        return None

    if authorised(order, outcome, recipient_ok=recipient_ok):
        return _seen(order, outcome)
    answered = requested == "phone_last4" and turn.slot("order_id") == order.order_no and not (order_no or waybill)
    # "YX20261119000008 尾号8607": the digits given with the number, before they were asked for.
    said = spelled_digits(turn.text)  # 尾号五六零一, "five six zero one"
    offered = (order_no or waybill) and _CUED_LAST4.search(said)
    if answered or offered:
        digits = [offered.group(1)] if offered else _LAST4.findall(said)
        phones = [order.customer.phone] + ([order.recipient_phone] if recipient_ok else [])
        if digits and any(p.endswith(digits[-1]) for p in phones):
            if order.customer.phone.endswith(digits[-1]):
                outcome.set("verified_customer", order.customer.external_id)
            else:
                outcome.set("verified_orders", [*(turn.slot("verified_orders") or []), order.order_no])
            outcome.set("attempts", 0)
            return _seen(order, outcome)
        outcome.failed(loop, "phone_last4", "bad_phone_last4", "verification_failed", "handoff_verification")
        return None
    outcome.ask(loop, "phone_last4", "ask_phone_last4", order_no=order.order_no)
    return None
