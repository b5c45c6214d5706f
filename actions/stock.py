"""Stock: is it in stock, in this colour and size, and if not, when is it back. No verification:
stock is public. Products are found by SKU code or by name (rapidfuzz over names and aliases)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from actions import formatting as f
from actions.base import MerchantAction, Outcome, rules
from core.text import to_simplified
from merchant.models import Product, Sku
from merchant.store import ProductName

MIN_NAME_SCORE = 85.0
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{3,}")
_LETTER_SIZE = re.compile(r"(?i)(?<![a-z])(xxxl|3xl|xxl|2xl|xl|xs|s|m|l)(?![a-z])")
_SIZE_CUE = re.compile(r"(?i)size\s*$")


def fold(text: str) -> str:
    """Width, script and case folded, punctuation kept: names are matched as written."""
    return to_simplified(unicodedata.normalize("NFKC", text)).lower()


def find_products(text: str, names: list[ProductName]) -> list[ProductName]:
    """The products `text` names, best first; several only when they are equally likely."""
    folded = fold(text)
    scored = []
    for p in names:
        best = max((fuzz.partial_ratio(n, folded) + min(len(n), 12) / 12 for n in p.names if len(n) >= 2), default=0.0)
        if best >= MIN_NAME_SCORE:
            scored.append((best, p))
    scored.sort(key=lambda s: -s[0])
    return [p for score, p in scored if score >= scored[0][0] - 0.5] if scored else []


def wanted_sizes(text: str, sizes: set[str]) -> set[str]:
    found: set[str] = set()
    for m in _LETTER_SIZE.finditer(text):
        token = m.group(1).upper().replace("2XL", "XXL").replace("3XL", "XXXL")
        after = text[m.end() : m.end() + 1]
        cued = m.group(1).isupper() or _SIZE_CUE.search(text[: m.start()]) or after in ("码", "号")
        if cued and token in sizes:
            found.add(token)
    for size in sizes:
        if size.isdigit() and re.search(rf"(?<!\d){size}(?!\d)", text):
            found.add(size)
    return found


def wanted_colours(text: str, skus: list[Sku]) -> set[str]:
    folded = fold(text)
    found = set()
    for s in skus:
        zh, en = s.color_zh or "", (s.color_en or "").lower()
        if (zh and (zh in folded or (len(zh) > 1 and zh.endswith("色") and zh[:-1] in folded))) or (
            en and re.search(rf"\b{re.escape(en)}\b", folded)
        ):
            found.add(zh or en)
    return found


@dataclass(frozen=True)
class Ask:
    colours: set[str]
    sizes: set[str]


def variant(s: Sku, lang: str) -> str:
    colour = (s.color_zh if lang == "zh" else s.color_en) or ""
    if not s.size:
        return colour
    size = f"{s.size}码" if lang == "zh" else f"size {s.size}"
    return f"{colour} {size}".strip() if lang == "zh" else f"{colour}, {size}".strip(", ")


def by_colour(skus: list[Sku], lang: str, *, with_stock: bool = False) -> str:
    """Variants read the way a person says them: each colour once, its sizes after it
    ("酒红色 S码 3 件、M码 5 件；黑色 M码 1 件"), not "酒红色 S码、酒红色 M码、…"."""
    colours: dict[str, list[str]] = {}
    for s in skus:
        colour = (s.color_zh if lang == "zh" else s.color_en) or ""
        size = (f"{s.size}码" if lang == "zh" else f"size {s.size}") if s.size else ""
        count = (f" {s.stock} 件" if lang == "zh" else f" ({s.stock} left)") if with_stock else ""
        colours.setdefault(colour, []).append(f"{size}{count}".strip())
    said = []
    for colour, sizes in colours.items():
        sizes = [x for x in sizes if x]
        joined = ("、" if lang == "zh" else ", ").join(sizes)
        if lang == "zh":
            said.append(f"{colour} {joined}".strip())
        else:
            said.append(f"{colour}: {joined}" if colour and joined else colour or joined)
    return ("；" if lang == "zh" else "; ").join(said)


def label(product: Product, s: Sku, lang: str) -> str:
    name = product.name_zh if lang == "zh" else product.name_en
    v = variant(s, lang)
    if not v:
        return name
    return f"{v} {name}" if lang == "zh" else f"{name} ({v})"


class ActionCheckStock(MerchantAction):
    def name(self) -> str:
        return "action_check_stock"

    def handle(self, session: Session, outcome: Outcome) -> None:
        turn = outcome.turn
        product, sku = self.identify(session, outcome)
        if product is None:
            return
        outcome.done()
        outcome.set("product", product.external_id)
        skus = list(product.skus)
        ask = Ask(wanted_colours(turn.text, skus), wanted_sizes(turn.text, {s.size for s in skus if s.size}))
        matching = [s for s in skus if (not ask.colours or (s.color_zh or s.color_en) in ask.colours)]
        matching = [s for s in matching if not ask.sizes or s.size in ask.sizes]
        outcome.lookup["stock"] = {"product": product.external_id, "skus": [s.sku_code for s in matching][:10]}
        if sku is not None:
            matching = [sku]
        if not matching:
            wanted = " ".join(sorted(ask.colours) + sorted(ask.sizes))
            options = f.listing(sorted({variant(s, outcome.lang) for s in skus}), outcome.lang)
            name = product.name_zh if outcome.lang == "zh" else product.name_en
            outcome.say("stock_variant_unknown", product=name, wanted=wanted, options=options)
        elif len(matching) == 1:
            self.one(product, matching[0], outcome)
        else:
            self.summary(product, matching, outcome)

    def identify(self, session: Session, outcome: Outcome) -> tuple[Product | None, Sku | None]:
        """The product (and SKU, when a code was given) the customer means; asks when unclear."""
        turn, loop = outcome.turn, self.name()
        codes = [c.upper() for c in _CODE.findall(turn.text) if any(ch.isdigit() for ch in c)]
        if codes:
            sku = session.scalars(select(Sku).options(selectinload(Sku.product)).where(Sku.sku_code.in_(codes))).first()
            if sku is not None:
                return sku.product, sku
        found = find_products(turn.text, self.data.product_names())
        if not found and turn.slot("product") and turn.slot("requested_slot") != "product":
            found = [p for p in self.data.product_names() if p.external_id == turn.slot("product")]
        if len(found) > 1:
            buttons = [
                {"title": p.name_zh if outcome.lang == "zh" else p.name_en, "payload": p.name_zh} for p in found[:4]
            ]
            outcome.ask(loop, "product", "pick_product", buttons=buttons)
            return None, None
        if not found:
            if turn.slot("requested_slot") == "product":
                outcome.failed(
                    loop, "product", "unknown_product", "slot_failed", "handoff_product_not_found", query=turn.text
                )
            else:
                outcome.ask(loop, "product", "ask_product")
            return None, None
        product = session.scalars(
            select(Product).options(selectinload(Product.skus)).where(Product.id == found[0].product_id)
        ).first()
        return product, None

    def one(self, product: Product, s: Sku, outcome: Outcome) -> None:
        lang, name, price = outcome.lang, label(product, s, outcome.lang), f.money(s.price)
        if s.presale and s.presale_ship_date:
            outcome.say("stock_presale", name=name, ship=f.day(s.presale_ship_date, lang), price=price)
        elif s.stock > int(rules()["low_stock"]):
            outcome.say("stock_in", name=name, stock=str(s.stock), price=price)
        elif s.stock > 0:
            outcome.say("stock_low", name=name, stock=str(s.stock), price=price)
        elif s.restock_date:
            outcome.say("stock_out_restock", name=name, restock=f.day(s.restock_date, lang))
        else:
            outcome.say("stock_out", name=name)

    def summary(self, product: Product, skus: list[Sku], outcome: Outcome) -> None:
        lang = outcome.lang
        name = product.name_zh if lang == "zh" else product.name_en
        presale = [s for s in skus if s.presale and s.presale_ship_date]
        if presale:
            ship = min(s.presale_ship_date for s in presale if s.presale_ship_date)
            names = f.listing([variant(s, lang) for s in presale[:6]], lang)
            label_ = f"{names} {name}" if lang == "zh" else f"{name} ({names})"
            outcome.say("stock_presale", name=label_, ship=f.day(ship, lang), price=f.money(presale[0].price))
            skus = [s for s in skus if s not in presale]
            if not skus:
                return
        available = by_colour([s for s in skus if s.stock > 0][:12], lang, with_stock=True)
        missing = []
        for s in skus:
            if s.stock > 0:
                continue
            when = f.day(s.restock_date, lang) if s.restock_date else None
            if lang == "zh":
                missing.append(f"{variant(s, lang)}（{when}到货）" if when else variant(s, lang))
            else:
                missing.append(f"{variant(s, lang)} (back {when})" if when else variant(s, lang))
        if not available:
            dates = sorted(s.restock_date for s in skus if s.restock_date)
            restock = ""
            if dates:
                restock = (
                    f"，最早 {f.day(dates[0], lang)} 补货"
                    if lang == "zh"
                    else f"; the first restock is {f.day(dates[0], lang)}"
                )
            outcome.say("stock_none", product=name, restock=restock)
            return
        missing_text = outcome.text("stock_summary_missing", missing=f.listing(missing[:6], lang)) if missing else ""
        outcome.say("stock_summary", product=name, available=available, missing=missing_text)
