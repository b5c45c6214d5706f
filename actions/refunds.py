"""Refund status: where the refund stands, where the money goes, and when it arrives."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions import formatting as f
from actions.access import resolve_order
from actions.base import MerchantAction, Outcome, rules
from merchant.models import Refund
from merchant.store import local

# How long the money takes to show up once refunded, by route (MERCHANT.md).
_ARRIVAL = {
    "wechat": ("原路退回微信，即时到 1 天内到账", "back to WeChat Pay, arriving instantly to within a day"),
    "alipay": ("原路退回支付宝，即时到 1 天内到账", "back to Alipay, arriving instantly to within a day"),
    "card": ("退回银行卡，3–7 个工作日到账", "back to your card, arriving in 3–7 business days"),
    "huabei": ("退回花呗，恢复相应额度", "back to Huabei, restoring your credit limit"),
    "bank_account": ("打到您提供的银行账户，1–3 个工作日到账", "to the bank account you gave, in 1–3 business days"),
    "cod": ("打到您提供的银行账户，1–3 个工作日到账", "to the bank account you gave, in 1–3 business days"),
}


def arrival(method: str, lang: str) -> str:
    zh, en = _ARRIVAL.get(method, ("原路退回", "back the way you paid"))
    return zh if lang == "zh" else en


class ActionRefundStatus(MerchantAction):
    def name(self) -> str:
        return "action_refund_status"

    def handle(self, session: Session, outcome: Outcome) -> None:
        order = resolve_order(session, outcome, self.name())
        if order is None:
            return
        outcome.done()
        lang = outcome.lang
        refund = session.scalars(
            select(Refund).where(Refund.order_id == order.id).order_by(Refund.requested_at.desc())
        ).first()
        if refund is None:
            outcome.say("refund_none", order_no=order.order_no)
            return
        outcome.lookup["refund"] = {
            "order_no": order.order_no,
            "type": refund.type,
            "status": refund.status,
            "amount": str(refund.amount),
            "method": refund.method,
        }
        values: dict[str, Any] = {
            "order_no": order.order_no,
            "amount": f.money(refund.amount),
            "method": f.method(refund.method, lang),
            "arrival": arrival(refund.method, lang),
            "requested": f.day(local(refund.requested_at).date(), lang),
        }
        status = refund.status
        if status == "refunded" and refund.refunded_at is not None:
            outcome.say("refund_done", refunded=f.moment(refund.refunded_at, lang), **values)
        elif status == "rejected":
            reason = refund.reject_reason or ("未注明" if lang == "zh" else "no reason given")
            human = {"title": "转人工复核" if lang == "zh" else "Ask a person to review", "payload": "/human_request"}
            outcome.say("refund_rejected", buttons=[human], reason=reason, **values)
        elif status == "return_received" and refund.return_received_at is not None:
            deadline = local(refund.return_received_at) + timedelta(hours=int(rules()["refund_after_return_hours"]))
            outcome.say(
                "refund_return_received",
                received=f.day(local(refund.return_received_at).date(), lang),
                deadline=f.moment(deadline, lang),
                **values,
            )
        elif status == "awaiting_return" or (status == "approved" and refund.type == "return_and_refund"):
            outcome.say("refund_awaiting_return", **values)
        elif status == "approved":
            outcome.say("refund_approved", **values)
        else:
            outcome.say("refund_requested", **values)
