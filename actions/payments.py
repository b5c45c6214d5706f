"""查款: where is the money. For a shipper's parcel, the cash-on-delivery remittance reasoned out
as an agent would (signed, collected, T+N business days, holidays, holds and what to do); for a
buyer's order, whether their payment went through."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions import formatting as f
from actions.access import resolve_order
from actions.base import MerchantAction, Outcome, rules
from merchant.business_days import BusinessCalendar, Closure
from merchant.models import Order, Payment, Remittance
from merchant.store import local


def holiday_names(closures: list[Closure], lang: str) -> str:
    """Distinct holiday names, in order ("国庆节", not one per day off)."""
    names: list[str] = []
    # Days off swapped for make-up working days (调休) belong to the holiday next to them.
    named = [c for c in closures if not c.name_en.startswith("Day off")] or closures
    for c in named:
        name = c.name_zh if lang == "zh" else c.name_en
        name = name.split("（")[0].split(" (")[0]
        if name not in names:
            names.append(name)
    return f.listing(names, lang)


def holidays_in_the_way(calendar: BusinessCalendar, signed: date, due: date, days: int) -> list[Closure]:
    """Holidays that pushed the T+N date past where weekends alone would have put it."""
    if due <= BusinessCalendar().add_business_days(signed, days):
        return []
    return [c for c in calendar.holidays_between(signed, due) if c.day.weekday() < 5]


class ActionPaymentStatus(MerchantAction):
    def name(self) -> str:
        return "action_payment_status"

    def handle(self, session: Session, outcome: Outcome) -> None:
        order = resolve_order(session, outcome, self.name())
        if order is None:
            return
        outcome.done()
        remittance = session.scalars(
            select(Remittance).where(Remittance.order_id == order.id).order_by(Remittance.id.desc())
        ).first()
        if remittance is not None:
            self.remittance(session, order, remittance, outcome)
        else:
            self.payment(session, order, outcome)

    def remittance(self, session: Session, order: Order, r: Remittance, outcome: Outcome) -> None:
        lang, calendar, today = outcome.lang, self.data.calendar(), self.data.today()
        shipper = order.customer
        net = Decimal(r.amount) - Decimal(r.fee)
        values: dict[str, Any] = {
            "order_no": order.order_no,
            "amount": f.money(r.amount),
            "fee": f.money(r.fee),
            "net": f.money(net),
            "last4": r.account_last4 or shipper.bank_account_last4 or "----",
        }
        outcome.lookup["remittance"] = {
            "order_no": order.order_no,
            "status": r.status,
            "amount": str(r.amount),
            "scheduled_for": r.scheduled_for.isoformat() if r.scheduled_for else None,
            "remitted_at": r.remitted_at.isoformat() if r.remitted_at else None,
            "hold_reason": r.hold_reason,
        }
        signed_at = next((s.delivered_at for s in order.shipments if s.delivered_at is not None), None)
        if r.status == "awaiting_collection" or signed_at is None:
            outcome.say("cod_not_signed", **values)
            return
        signed = local(signed_at).date()
        days = int(rules()["cod_remittance_business_days"])
        due = r.scheduled_for or calendar.add_business_days(signed, days)
        values |= {
            "signed": f.day(signed, lang),
            "collected": f.day(local(r.collected_at or signed_at).date(), lang),
            "scheduled": f.day(due, lang, weekday=True),
        }
        pushed = holidays_in_the_way(calendar, signed, due, days)
        if r.status == "held":
            self.held(r, order, outcome, values, calendar, today)
            return
        if r.status == "remitted" and r.remitted_at is not None:
            outcome.say("cod_remitted", remitted=f.day(local(r.remitted_at).date(), lang), **values)
        elif due < today:
            outcome.handoff("remittance_overdue", "cod_overdue", **values)
            return
        else:
            outcome.say("cod_scheduled", **values)
        if pushed:
            outcome.say("cod_holiday_note", holidays=holiday_names(pushed, lang))

    def held(
        self,
        r: Remittance,
        order: Order,
        outcome: Outcome,
        values: dict[str, Any],
        calendar: BusinessCalendar,
        today: date,
    ) -> None:
        lang, shipper = outcome.lang, order.customer
        next_run = calendar.add_business_days(today, int(rules()["remittance_runs_after_fix_business_days"]))
        values |= {
            "held": f.day(local(r.held_at).date(), lang) if r.held_at else values["scheduled"],
            "next_run": f.day(next_run, lang, weekday=True),
        }
        if r.hold_reason == "account_mismatch":
            outcome.say(
                "cod_held_account_mismatch",
                holder=shipper.bank_account_holder or "",
                registered=shipper.registered_name or shipper.name,
                **values,
            )
            # The fix is the shipper's, but an account change is reviewed by the remittance
            # specialist, and a shipper whose money is held wants to hear it from them.
            outcome.handoff("remittance_held", "cod_held_account_review")
        elif r.hold_reason == "card_closed":
            outcome.say("cod_held_card_closed", **values)
        else:
            outcome.handoff("remittance_review", "cod_held_review", **values)

    def payment(self, session: Session, order: Order, outcome: Outcome) -> None:
        lang = outcome.lang
        values: dict[str, Any] = {
            "order_no": order.order_no,
            "amount": f.money(order.total),
            "method": f.method(order.payment_method, lang),
        }
        if order.payment_method == "cod":
            outcome.say("cod_buyer_order", **values)
            return
        payment = session.scalars(
            select(Payment).where(Payment.order_id == order.id).order_by(Payment.id.desc())
        ).first()
        outcome.lookup["payment"] = {
            "order_no": order.order_no,
            "status": payment.status if payment else None,
            "method": order.payment_method,
        }
        if payment is not None and payment.status in ("paid", "refunded") and payment.paid_at is not None:
            outcome.say("payment_paid", paid=f.moment(payment.paid_at, lang), **values)
        elif payment is not None and payment.status == "failed":
            outcome.say("payment_failed", **values)
        else:
            outcome.say("payment_pending", **values)
