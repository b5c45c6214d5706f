"""理赔: take down a damage, loss or missing-item claim with what the claims specialist needs,
then hand the conversation to the claims queue."""

from __future__ import annotations

import re
import secrets
from dataclasses import replace
from datetime import datetime, timedelta

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.access import resolve_order
from actions.base import MerchantAction, Outcome, rules
from merchant.models import Claim, Order, OrderItem, Sku
from merchant.store import local

# Which knowledge-base question opened the claim decides its kind.
KIND_BY_FAQ = {
    "claim_damaged_on_arrival": "damage",
    "claim_parcel_lost": "loss",
    "claim_missing_or_wrong_item": "missing",
}
_KIND_NAMES = {"damage": ("破损", "damaged"), "loss": ("丢件", "lost"), "missing": ("少件/错发", "missing or wrong")}
_PHOTOS = {
    "damage": (
        "外箱照片、快递面单照片、破损商品照片",
        "a photo of the outer box, the waybill label and the damaged item",
    ),
    "missing": (
        "外箱照片、快递面单照片、收到的全部商品照片",
        "a photo of the outer box, the waybill label and everything you received",
    ),
    "loss": ("无需照片，如有购买凭证可一并提供", "no photos needed; proof of purchase helps if you have it"),
}
_STATUS = {
    "awaiting_photos": ("等待补充照片", "waiting for photos"),
    "under_review": ("审核中", "under review"),
    "approved": ("已通过，等待打款", "approved, payment pending"),
    "rejected": ("未通过", "declined"),
    "paid": ("已赔付", "paid"),
}


def _pick(values: dict[str, tuple[str, str]], key: str, lang: str) -> str:
    zh, en = values.get(key, (key, key))
    return zh if lang == "zh" else en


def _aliases(session: Session, item: OrderItem) -> list[str]:
    """What customers call the item: its product's names and aliases (an item sold without a
    product in the catalogue has its own names only)."""
    sku = session.get(Sku, item.sku_id) if item.sku_id is not None else None
    product = [sku.product.name_zh, sku.product.name_en, *sku.product.aliases] if sku is not None else []
    return [n.lower() for n in (item.name_zh, item.name_en, *product) if len(n) >= 2]


def _says(text: str, name: str) -> bool:
    """`name` said in `text`: as a word in English, anywhere in Chinese."""
    if name.isascii():
        return re.search(rf"(?<![a-z]){re.escape(name)}s?(?![a-z])", text) is not None
    return name in text


def item_name(item: OrderItem, lang: str) -> str:
    return item.name_zh if lang == "zh" else item.name_en


class ActionClaimIntake(MerchantAction):
    def name(self) -> str:
        return "action_claim_intake"

    def handle(self, session: Session, outcome: Outcome) -> None:
        turn = outcome.turn
        kind = turn.slot("claim_kind") or KIND_BY_FAQ.get(turn.faq_id or "", "damage")
        if turn.slot("claim_kind") != kind:
            outcome.set("claim_kind", kind)
        # What the customer said the damage was, in their words: kept for the claim and for naming
        # the item once the order is known ("杯子摔坏了 YX…", then the phone check, then the claim).
        answering = turn.slot("requested_slot") in ("phone_last4", "claim_item")
        if not answering and (turn.faq_id in KIND_BY_FAQ or not turn.slot("claim_description")):
            outcome.set("claim_description", turn.text)
            turn = outcome.turn = replace(turn, slots={**turn.slots, "claim_description": turn.text})
        order = resolve_order(session, outcome, self.name(), recipient_ok=True)
        if order is None:
            return
        lang = outcome.lang
        existing = session.scalars(
            select(Claim).where(Claim.order_id == order.id, Claim.status.not_in(("rejected", "paid")))
        ).first()
        if existing is not None:
            outcome.lookup["claim"] = {"claim_no": existing.claim_no, "status": existing.status, "kind": existing.kind}
            outcome.handoff(
                "claim",
                "claim_exists",
                order_no=order.order_no,
                claim_no=existing.claim_no,
                item=existing.item or "",
                status=_pick(_STATUS, existing.status, lang),
            )
            return
        delivered = next((s.delivered_at for s in order.shipments if s.delivered_at is not None), None)
        if kind != "loss" and delivered is None:
            outcome.done()
            outcome.say("claim_not_delivered", order_no=order.order_no)
            return
        item = self.which_item(session, order, outcome)
        if item is None and kind != "loss" and len(order.items) > 1 and turn.slot("requested_slot") != "claim_item":
            return  # asked which item
        self.open_claim(session, order, item, kind, delivered is not None and self.late(delivered), outcome)

    def which_item(self, session: Session, order: Order, outcome: Outcome) -> OrderItem | None:
        """The item the claim is about: the only one, or the one the customer names, by its name or
        by what customers call it (the product's aliases: 杯子 for the 陶瓷马克杯, "mug"); else
        asks, once. A reply that names none ("the broken one", photos of everything) opens the
        claim on the whole order: the claims desk reads the photos, and the customer is not asked
        again."""
        items = list(order.items)
        if len(items) <= 1:
            return items[0] if items else None
        turn = outcome.turn
        text = f"{turn.text} {turn.slot('claim_description') or ''}".lower()
        called = [i for i in items if any(_says(text, alias) for alias in _aliases(session, i))]
        if len(called) == 1:
            return called[0]
        names = {i.id: f"{i.name_zh} {i.name_en}".lower() for i in items}
        best = process.extractOne(text, names, scorer=fuzz.partial_ratio, score_cutoff=80)
        if best is not None:
            return next(i for i in items if i.id == best[2])
        if turn.slot("requested_slot") != "claim_item":
            buttons = [{"title": item_name(i, outcome.lang), "payload": item_name(i, outcome.lang)} for i in items]
            outcome.ask(self.name(), "claim_item", "ask_claim_item", buttons=buttons)
        return None

    def late(self, delivered: datetime) -> bool:
        return self.data.now() - local(delivered) > timedelta(hours=int(rules()["claim_report_hours"]))

    def open_claim(
        self, session: Session, order: Order, item: OrderItem | None, kind: str, late: bool, outcome: Outcome
    ) -> None:
        lang, now = outcome.lang, self.data.now()
        photos = [str(p) for p in outcome.turn.slot("photos") or []]
        claim = Claim(
            claim_no=f"CL{now:%Y%m%d}{secrets.randbelow(10**6):06d}",
            order_id=order.id,
            kind=kind,
            status="awaiting_photos" if kind != "loss" and not photos else "under_review",
            item=item.name_zh if item is not None else None,
            description=outcome.turn.slot("claim_description") or outcome.turn.text or None,
            conversation_sender=outcome.turn.sender_id,
            photos=photos,
        )
        session.add(claim)
        session.flush()
        outcome.lookup["claim"] = {"claim_no": claim.claim_no, "kind": kind, "item": claim.item, "late": late}
        all_items = "整单" if lang == "zh" else "the whole order"
        outcome.say(
            "claim_opened_with_photos" if photos else "claim_opened",
            claim_no=claim.claim_no,
            item=item_name(item, lang) if item is not None else all_items,
            kind=_pick(_KIND_NAMES, kind, lang),
            photos=_pick(_PHOTOS, kind, lang),
            count=len(photos),
        )
        if late and kind != "loss":
            outcome.say("claim_late_note")
        outcome.handoff("claim")


class ActionClaimPhotos(MerchantAction):
    """Photos sent after a claim was opened in this conversation: attach them to that claim."""

    def name(self) -> str:
        return "action_claim_photos"

    def handle(self, session: Session, outcome: Outcome) -> None:
        turn = outcome.turn
        claim_no = ((turn.slot("lookup") or {}).get("claim") or {}).get("claim_no")
        claim = session.scalars(select(Claim).where(Claim.claim_no == claim_no)).first() if claim_no else None
        if claim is None or claim.conversation_sender != turn.sender_id:
            return  # no claim of this customer's: the photos stay in the conversation for the person
        new = [str(p) for p in turn.slot("photos") or [] if str(p) not in claim.photos]
        if not new:
            return
        claim.photos = [*claim.photos, *new]
        if claim.status == "awaiting_photos":
            claim.status = "under_review"
        outcome.lookup["claim"] = {**turn.slot("lookup")["claim"], "photos": len(claim.photos)}
        outcome.say("claim_photos_added", count=len(new), claim_no=claim.claim_no)
