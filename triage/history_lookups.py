"""What the bot's lookups told customers in the generated history: a parcel's whereabouts, a COD
remittance, a refund, stock, a claim opened, each worded by the action's own line
(actions/replies.yaml) with the actions' own formatting of dates and money.

The orders looked up are made up here, in the shapes of the demo merchant's (`YX` + date + six
digits, ZTO/SF/YX Express waybills, places it ships to), so a history needs no merchant data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from random import Random
from typing import Any

from actions import formatting as f
from actions.claims import _KIND_NAMES, _PHOTOS, KIND_BY_FAQ  # the claim's own words for its kind and photos
from actions.orders import eta
from actions.refunds import arrival
from merchant.demo.catalogue import PLACES, SURNAMES, WAREHOUSE, arrived, departed, out_for_delivery
from merchant.demo.catalogue import waybill as waybill_no
from triage.history_talk import Talk

# Each lookup's results, and how often each comes up; the ones that hand over say why.
RESULTS: dict[str, tuple[tuple[str, int], ...]] = {
    "action_order_status": (("in_transit", 50), ("out_for_delivery", 14), ("delivered", 18), ("paid_waiting", 12),
                            ("no_tracking_yet", 6)),
    "action_payment_status": (("scheduled", 55), ("remitted", 45)),
    "action_refund_status": (("requested", 15), ("awaiting_return", 20), ("return_received", 25), ("approved", 15),
                             ("done", 25)),
    "action_check_stock": (("in", 55), ("low", 15), ("out_restock", 20), ("out", 10)),
}  # fmt: skip
HANDOVERS = {  # result -> the handoff reason the lookup gives
    "stuck": "tracking_stuck",
    "overdue": "remittance_overdue",
    "held": "remittance_held",
    "review": "remittance_review",
    "claim": "claim",
}
_SIZES = ("S", "M", "L", "XL")


@dataclass(frozen=True)
class Order:
    """A customer's order as the lookups describe it."""

    order_no: str
    placed: datetime  # China time
    cod: bool
    carrier: str
    waybill: str
    amount: Decimal
    province: str
    city: str
    last4: str
    customer: str  # the buyer's or shipper's external id, as the demo merchant numbers them


def order_for(rng: Random, asked: datetime, *, cod: bool = False) -> Order:
    """An order placed a few days before `asked` (China time): a buyer's, or a shipper's COD parcel."""
    placed = asked - timedelta(days=rng.uniform(1.5, 12 if cod else 9))
    place = rng.choice(PLACES)
    carrier = "YX" if cod else rng.choice(("ZTO", "ZTO", "ZTO", "SF"))
    amount = Decimal(rng.randrange(39, 1999 if cod else 1200))
    return Order(
        order_no=f"YX{placed:%Y%m%d}{rng.randrange(10**6):06d}",
        placed=placed,
        cod=cod,
        carrier=carrier,
        waybill=waybill_no(carrier, rng.randrange(10**9)),
        amount=amount,
        province=place.province,
        city=place.city,
        last4=f"{rng.randrange(10**4):04d}",
        customer=f"S{rng.randrange(1, 2000):06d}" if cod else f"C{rng.randrange(1, 100_000):08d}",
    )


def result(rng: Random, action: str) -> str:
    results, weights = zip(*RESULTS[action], strict=True)
    return rng.choices(results, weights)[0]


def lookup(
    talk: Talk, rng: Random, action: str, outcome: str, order: Order, now: datetime, lang: str
) -> tuple[list[str], dict[str, Any]]:
    """The lines the lookup says (the last one hands over when `outcome` is a handover) and what
    it keeps in the conversation's `lookup` slot."""
    say = talk.lookup
    values: dict[str, Any] = {"order_no": order.order_no}
    if action == "action_order_status":
        values |= {"carrier": f.carrier(order.carrier, lang), "waybill": order.waybill}
        shipped = order.placed + timedelta(hours=rng.uniform(4, 30))
        place = next(p for p in PLACES if p.city == order.city)
        kept = {"order": {"order_no": order.order_no, "status": "shipped", "kind": "cod" if order.cod else "shop"}}
        if outcome == "paid_waiting":
            kept["order"]["status"] = "paid"
            return [say("order_paid_waiting", lang, dispatch_by=f.moment(order.placed + timedelta(hours=48), lang),
                        **values)], kept  # fmt: skip
        if outcome == "no_tracking_yet":
            window = eta(shipped.date(), order.province, now.date(), lang)
            return [say("order_no_tracking_yet", lang, shipped=f.day(shipped.date(), lang), eta=window, **values)], kept
        if outcome == "delivered":
            signer = "本人" if lang == "zh" else "the recipient"
            delivered = min(now - timedelta(hours=rng.uniform(2, 40)), shipped + timedelta(days=3))
            return [say("order_delivered", lang, delivered=f.moment(delivered, lang), signed_by=signer, **values)], kept
        latest = now - timedelta(hours=rng.uniform(80, 140) if outcome == "stuck" else rng.uniform(0.5, 20))
        if outcome == "out_for_delivery":
            event = out_for_delivery(latest, place, place.districts[0], SURNAMES[rng.randrange(40)])
        elif rng.random() < 0.5:
            event = arrived(latest, place if rng.random() < 0.6 else WAREHOUSE)
        else:
            event = departed(latest, WAREHOUSE, place, place.districts[0])
        described = event[3] if lang == "zh" else event[4]
        timing = {"event_time": f.moment(latest, lang), "event": described}
        if outcome == "stuck":
            days = str((now - latest).days)
            return [say("order_stuck", lang, days=days, **timing, **values)], kept
        key = "order_out_for_delivery" if outcome == "out_for_delivery" else "order_in_transit"
        return [say(key, lang, eta=eta(shipped.date(), order.province, now.date(), lang), **timing, **values)], kept
    if action == "action_payment_status":
        return _remittance(talk, rng, outcome, order, now, lang)
    if action == "action_refund_status":
        return _refund(talk, rng, outcome, order, now, lang)
    if action == "action_check_stock":
        return _stock(talk, rng, outcome, now, lang)
    raise ValueError(f"no lookup {action}")


def _remittance(
    talk: Talk, rng: Random, outcome: str, order: Order, now: datetime, lang: str
) -> tuple[list[str], dict[str, Any]]:
    signed = order.placed + timedelta(days=rng.uniform(1, 3))
    fee = (order.amount / 100).quantize(Decimal("0.01"))
    scheduled = signed + timedelta(days=rng.choice((3, 4, 5)))
    values: dict[str, Any] = {
        "order_no": order.order_no,
        "signed": f.day(signed.date(), lang),
        "collected": f.day(signed.date(), lang),
        "amount": f.money(order.amount),
        "fee": f.money(fee),
        "net": f.money(order.amount - fee),
        "scheduled": f.day(scheduled.date(), lang, weekday=True),
        "last4": order.last4,
    }
    status = {"scheduled": "scheduled", "remitted": "remitted", "overdue": "scheduled"}.get(outcome, "held")
    kept = {"remittance": {"order_no": order.order_no, "status": status, "amount": str(order.amount)}}
    say = talk.lookup
    if outcome == "remitted":
        return [say("cod_remitted", lang, remitted=f.day(scheduled.date(), lang), **values)], kept
    if outcome == "overdue":
        return [say("cod_overdue", lang, **values)], kept
    if outcome == "held":
        fix = f.day((now + timedelta(days=2)).date(), lang, weekday=True)
        held = say("cod_held_card_closed", lang, held=f.day(scheduled.date(), lang), next_run=fix, **values)
        return [held, say("cod_held_account_review", lang)], kept
    if outcome == "review":
        return [say("cod_held_review", lang, held=f.day(scheduled.date(), lang), **values)], kept
    return [say("cod_scheduled", lang, **values)], kept


def _refund(
    talk: Talk, rng: Random, outcome: str, order: Order, now: datetime, lang: str
) -> tuple[list[str], dict[str, Any]]:
    method = rng.choice(("wechat", "alipay", "alipay", "card", "huabei"))
    requested = now - timedelta(days=rng.uniform(0.5, 6))
    values: dict[str, Any] = {
        "order_no": order.order_no,
        "amount": f.money(order.amount),
        "method": f.method(method, lang),
        "arrival": arrival(method, lang),
        "requested": f.day(requested.date(), lang),
    }
    key = {"requested": "refund_requested", "awaiting_return": "refund_awaiting_return", "approved": "refund_approved",
           "return_received": "refund_return_received", "done": "refund_done"}[outcome]  # fmt: skip
    received = requested + timedelta(days=rng.uniform(1, 3))
    extra = {
        "received": f.day(received.date(), lang),
        "deadline": f.moment(received + timedelta(hours=48), lang),
        "refunded": f.moment(now - timedelta(hours=rng.uniform(1, 30)), lang),
    }
    text = talk.lookup(key, lang, **values, **extra)
    return [text], {"refund": {"order_no": order.order_no, "status": outcome, "amount": str(order.amount),
                               "method": method}}  # fmt: skip


def _stock(talk: Talk, rng: Random, outcome: str, now: datetime, lang: str) -> tuple[list[str], dict[str, Any]]:
    zh, en, price = rng.choice(talk.products)
    name = f"{zh if lang == 'zh' else en} {rng.choice(_SIZES)}"
    values: dict[str, Any] = {"name": name, "price": f.money(price), "stock": str(rng.randrange(2, 60))}
    if outcome == "low":
        values["stock"] = str(rng.randrange(1, 4))
    key = {"in": "stock_in", "low": "stock_low", "out_restock": "stock_out_restock", "out": "stock_out"}[outcome]
    values["restock"] = f.day((now + timedelta(days=rng.randrange(3, 15))).date(), lang)
    return [talk.lookup(key, lang, **values)], {"stock": {"product": zh, "status": outcome}}


def claim_opened(talk: Talk, rng: Random, entry_id: str, order: Order, now: datetime, lang: str) -> tuple[str, str]:
    """The line a claim's intake ends with, and the claim's kind."""
    kind = KIND_BY_FAQ.get(entry_id, "damage")
    zh, en, _ = rng.choice(talk.products)
    claim_no = f"CL{now:%Y%m%d}{rng.randrange(10**6):06d}"
    kind_name, photos = (_KIND_NAMES[kind], _PHOTOS[kind])
    pick = 0 if lang == "zh" else 1
    text = talk.lookup(
        "claim_opened", lang, claim_no=claim_no, item=zh if lang == "zh" else en, kind=kind_name[pick],
        photos=photos[pick],
    )  # fmt: skip
    return text, kind
