"""查货: where is my order, with the latest tracking event and an honest delivery estimate."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions import formatting as f
from actions.access import resolve_order
from actions.base import MerchantAction, Outcome, rules
from merchant.models import Order, Payment, Shipment, Sku, TrackingEvent
from merchant.store import local


def transit_days(province: str) -> tuple[int, int]:
    r = rules()
    for group, key in (("near_provinces", "near"), ("remote_provinces", "remote"), ("hk_macau_provinces", "hk_macau")):
        if any(province.startswith(p) for p in r[group]):
            fastest, slowest = r["transit_days"][key]
            return int(fastest), int(slowest)
    fastest, slowest = r["transit_days"]["default"]
    return int(fastest), int(slowest)


def eta(shipped: date, province: str, today: date, lang: str) -> str:
    """The delivery window counted from dispatch; never a date already past."""
    fastest, slowest = transit_days(province)
    first = max(shipped + timedelta(days=fastest), today)
    last = max(shipped + timedelta(days=slowest), today)
    if first == last:
        return ("今天" if lang == "zh" else "today") if first == today else f.day(first, lang, weekday=True)
    sep = "–" if lang == "en" else "至"
    return f"{f.day(first, lang, weekday=True)}{sep}{f.day(last, lang, weekday=True)}"


def dispatch_by(session: Session, order: Order) -> datetime:
    """Latest dispatch moment for a paid in-stock order: the 48-hour promise, from payment."""
    query = select(Payment.paid_at).where(Payment.order_id == order.id, Payment.paid_at.is_not(None))
    paid = session.scalars(query.order_by(Payment.paid_at)).first() or order.created_at
    return local(paid) + timedelta(hours=int(rules()["dispatch_within_hours"]))


def latest_event(session: Session, shipment: Shipment) -> TrackingEvent | None:
    query = (
        select(TrackingEvent)
        .where(TrackingEvent.shipment_id == shipment.id)
        .order_by(TrackingEvent.occurred_at.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def describe(event: TrackingEvent, lang: str) -> str:
    """The event as the carrier worded it; Chinese adds the place when the wording lacks it."""
    if lang != "zh":
        return event.description_en
    text = event.description_zh
    return text if event.location in text else f"{event.location} {text}"


class ActionOrderStatus(MerchantAction):
    def name(self) -> str:
        return "action_order_status"

    def handle(self, session: Session, outcome: Outcome) -> None:
        order = resolve_order(session, outcome, self.name(), recipient_ok=True)
        if order is None:
            return
        outcome.done()
        self.report(session, order, outcome)

    def report(self, session: Session, order: Order, outcome: Outcome) -> None:
        lang, now = outcome.lang, self.data.now()
        values: dict[str, Any] = {"order_no": order.order_no}
        outcome.lookup["order"] = {"order_no": order.order_no, "status": order.status, "kind": order.kind}
        if order.status == "pending_payment":
            outcome.say("order_pending_payment", created=f.moment(order.created_at, lang), **values)
            return
        if order.status in ("cancelled", "closed"):
            outcome.say("order_cancelled", **values)
            return
        shipments = list(order.shipments)
        if not shipments:
            presale = [i for i in order.items if i.sku_id is not None and _presale_date(session, i.sku_id)]
            if presale:
                ship = max(d for i in presale if (d := _presale_date(session, i.sku_id)) is not None)
                outcome.say("order_presale_waiting", dispatch_by=f.day(ship, lang), **values)
            else:
                due = dispatch_by(session, order)
                outcome.say("order_paid_waiting", dispatch_by=f.moment(due, lang), **values)
            return
        main, others = shipments[0], shipments[1:]
        self.report_shipment(session, order, main, outcome, now)
        if others:
            waybills = f.listing([f"{f.carrier(s.carrier, lang)} {s.waybill_no}" for s in others], lang)
            outcome.say("order_more_parcels", count=str(len(shipments)), others=waybills)

    def report_shipment(
        self, session: Session, order: Order, shipment: Shipment, outcome: Outcome, now: datetime
    ) -> None:
        lang = outcome.lang
        values: dict[str, Any] = {
            "order_no": order.order_no,
            "carrier": f.carrier(shipment.carrier, lang),
            "waybill": shipment.waybill_no,
        }
        event = latest_event(session, shipment)
        outcome.lookup["shipment"] = {
            "waybill_no": shipment.waybill_no,
            "carrier": shipment.carrier,
            "status": shipment.status,
            "latest_event": event.description_zh if event else None,
            "latest_event_at": event.occurred_at.isoformat() if event else None,
        }
        if shipment.status == "delivered" and shipment.delivered_at is not None:
            signer = shipment.signed_by or ("本人" if lang == "zh" else "the recipient")
            outcome.say("order_delivered", delivered=f.moment(shipment.delivered_at, lang), signed_by=signer, **values)
            return
        shipped = local(shipment.shipped_at or order.created_at).date()
        window = eta(shipped, order.province, now.date(), lang)
        if event is None:
            outcome.say("order_no_tracking_yet", shipped=f.day(shipped, lang), eta=window, **values)
            return
        event_values: dict[str, Any] = {"event_time": f.moment(event.occurred_at, lang), "event": describe(event, lang)}
        idle = now - local(event.occurred_at)
        if idle >= timedelta(hours=int(rules()["tracking_stale_hours"])):
            outcome.handoff("tracking_stuck", "order_stuck", days=str(idle.days), **event_values, **values)
            return
        key = "order_out_for_delivery" if shipment.status == "out_for_delivery" else "order_in_transit"
        outcome.say(key, eta=window, **event_values, **values)


def _presale_date(session: Session, sku_id: int | None) -> date | None:
    sku = session.get(Sku, sku_id) if sku_id is not None else None
    return sku.presale_ship_date if sku is not None and sku.presale else None
