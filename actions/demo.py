"""`triage demo-data`: a realistic, deterministic data set for the demo merchant, of any size.

Same seed and same `today`, same rows. Eleven showcase orders (`SHOWCASE`) are always there,
with fixed numbers and phones, each in a state worth asking the bot about; around them, as
many ordinary orders as asked for, each following the merchant's rules (MERCHANT.md,
`actions/merchant.yaml`): dispatch cut-off, carriers, transit times, T+3 business-day COD
remittance over the holiday calendar, 7-day returns, 48-hour claims.

Rows are built as tuples and written in chunks, ids assigned here so that children refer to
their parents without round trips: PostgreSQL gets COPY, other databases executemany.
Times are aware, in China time (the `UtcDateTime` columns store them as UTC).
"""

from __future__ import annotations

import bisect
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from random import Random
from typing import Any, TypeVar

from sqlalchemy import Connection, delete, func, insert, select, text
from sqlalchemy.exc import DBAPIError
from tqdm import tqdm

import actions.models  # noqa: F401  (registers the merchant tables)
from actions.business_days import BusinessCalendar, load_calendar, seed_holidays
from actions.demo_catalogue import (
    BY_CITY,
    PARCEL_GOODS,
    SHANGHAI,
    SIGNERS,
    SURNAMES,
    WAREHOUSE,
    Event,
    Person,
    Place,
    Shipper,
    SkuInfo,
    arrived,
    catalogue_rows,
    delivered,
    departed,
    merchant_rules,
    mix,
    money,
    out_for_delivery,
    person,
    phone_number,
    picked_up,
    shipper,
    showcase_waybill,
    transit_zone,
    waybill,
)
from bot.db import Base, Database

__all__ = ["SHOWCASE", "DemoDataExists", "DemoSummary", "ShowcaseOrder", "generate", "load_if_empty"]

CHUNK = 5_000  # orders generated and written at a time
WINDOW_DAYS = 90  # orders are spread over this many days before `today`
COD_LIMIT = 200_000  # cents: cash on delivery only for orders up to ¥2,000
# Phone-number spaces (see `demo_catalogue.phone_number`): nobody shares a number by accident.
_SHIPPER_K, _RECIPIENT_K, _SHOWCASE_K = 500_000_000, 1_000_000_000, 3_000_000_000
_WAREHOUSE_SITE = ("优选生活杭州仓", "the YouXuan Life Hangzhou warehouse")
# Busy days (more orders; dispatch may take up to 72 hours, MERCHANT.md) by (month, day).
_PEAKS = {(11, 10): 1.6, (11, 11): 3.5, (11, 12): 1.8, (6, 17): 1.5, (6, 18): 3.0, (12, 12): 2.0}
_SLOW_DISPATCH = {(11, 11), (11, 12), (11, 13), (6, 18), (6, 19)}
# Orders per hour of the day, relatively: lunch and the evening after work.
_HOURLY = (2, 1, 0.5, 0.3, 0.3, 0.4, 0.8, 1.5, 2.5, 3.5, 4, 4, 4.5, 4, 3.8, 3.8, 3.8, 3.5, 3.5, 4.5, 5.5, 6, 5.5, 4)

COLUMNS: dict[str, tuple[str, ...]] = {  # insertion order respects the foreign keys
    "customers": ("id", "external_id", "kind", "name", "phone", "tier", "registered_name", "bank_name",
                  "bank_account_holder", "bank_account_last4", "updated_at"),
    "products": ("id", "external_id", "name_zh", "name_en", "category", "aliases"),
    "skus": ("id", "sku_code", "product_id", "color_zh", "color_en", "size", "price", "stock", "restock_date",
             "presale", "presale_ship_date", "updated_at"),
    "orders": ("id", "order_no", "kind", "customer_id", "status", "total", "payment_method", "recipient_name",
               "recipient_phone", "province", "city", "address", "created_at", "updated_at"),
    "order_items": ("id", "order_id", "sku_id", "name_zh", "name_en", "quantity", "unit_price"),
    "shipments": ("id", "order_id", "carrier", "waybill_no", "status", "shipped_at", "delivered_at", "signed_by"),
    "tracking_events": ("id", "shipment_id", "external_id", "occurred_at", "location", "status", "description_zh",
                        "description_en"),
    "payments": ("id", "external_id", "order_id", "method", "status", "amount", "paid_at"),
    "cod_remittances": ("id", "external_id", "order_id", "amount", "fee", "status", "collected_at", "scheduled_for",
                        "remitted_at", "hold_reason", "held_at", "account_last4"),
    "refunds": ("id", "external_id", "order_id", "type", "status", "amount", "method", "reason", "reject_reason",
                "requested_at", "return_received_at", "refunded_at", "timeline"),
    "claims": ("id", "claim_no", "order_id", "kind", "status", "item", "description", "conversation_sender",
               "compensation", "created_at", "decided_at"),
}  # fmt: skip
_JSON_COLUMNS = {"products": 5, "refunds": 12}
Rows = dict[str, list[tuple[Any, ...]]]
_Timed = TypeVar("_Timed", bound=tuple[Any, ...])  # a tuple whose first item is a moment


class DemoDataExists(RuntimeError):
    """The database already holds merchant data; demo data goes only into an empty one."""


@dataclass(frozen=True)
class DemoSummary:
    orders: int
    rows: dict[str, int]
    seconds: float

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / self.seconds if self.seconds else 0.0


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A moment in China time."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def previous_business_day(calendar: BusinessCalendar, day: date) -> date:
    day -= timedelta(days=1)
    while not calendar.is_business_day(day):
        day -= timedelta(days=1)
    return day


class _Rows:
    """The rows of one chunk, per table, as tuples in `COLUMNS` order; ids continue across chunks."""

    def __init__(self, first_ids: dict[str, int]) -> None:
        self.next_id = dict(first_ids)
        self.tables: Rows = {name: [] for name in COLUMNS}
        self.fee_rate = Decimal(str(merchant_rules()["cod_fee_rate"]))

    def take(self) -> Rows:
        tables, self.tables = self.tables, {name: [] for name in COLUMNS}
        return tables

    def _id(self, table: str) -> int:
        row_id = self.next_id[table]
        self.next_id[table] = row_id + 1
        return row_id

    def customer(self, external_id: str, who: Person, at: datetime, shipper: Shipper | None = None) -> int:
        row_id = self._id("customers")
        kind, tier = ("shipper" if shipper else "buyer"), ("vip" if who.vip else "regular")
        bank = (shipper.registered_name, shipper.bank_name, shipper.holder, shipper.last4) if shipper else (None,) * 4
        self.tables["customers"].append((row_id, external_id, kind, who.name, who.phone, tier, *bank, at))
        return row_id

    def order(
        self,
        order_no: str,
        kind: str,
        customer_id: int,
        status: str,
        total: int,
        method: str,
        to: Person,
        created: datetime,
        updated: datetime,
    ) -> int:
        row_id = self._id("orders")
        self.tables["orders"].append(
            (
                row_id,
                order_no,
                kind,
                customer_id,
                status,
                money(total),
                method,
                to.name,
                to.phone,
                to.place.province,
                to.place.city,
                to.address,
                created,
                updated,
            )
        )
        return row_id

    def item(self, order_id: int, sku_id: int | None, name_zh: str, name_en: str, quantity: int, unit: int) -> None:
        self.tables["order_items"].append(
            (self._id("order_items"), order_id, sku_id, name_zh, name_en, quantity, money(unit))
        )

    def shipment(
        self,
        order_id: int,
        carrier: str,
        waybill_no: str | None,
        events: list[Event],
        shipped: datetime | None,
        signer: str | None = None,
    ) -> int:
        """A parcel with its tracking so far; its status is that of the latest event."""
        row_id = self._id("shipments")
        status = events[-1][2] if events else "created"
        done = events[-1][0] if status == "delivered" else None
        self.tables["shipments"].append(
            (
                row_id,
                order_id,
                carrier,
                waybill_no or waybill(carrier, row_id),
                status,
                shipped,
                done,
                signer if done else None,
            )
        )
        add = self.tables["tracking_events"].append
        for k, event in enumerate(events, start=1):
            add((self._id("tracking_events"), row_id, f"{k:02d}", *event))
        return row_id

    def payment(self, order_id: int, method: str, status: str, amount: int, paid: datetime | None) -> None:
        row_id = self._id("payments")
        self.tables["payments"].append((row_id, f"PAY{row_id:010d}", order_id, method, status, money(amount), paid))

    def remittance(
        self,
        order_id: int,
        amount: int,
        status: str,
        *,
        collected: datetime | None = None,
        scheduled: date | None = None,
        remitted: datetime | None = None,
        hold: str | None = None,
        held: datetime | None = None,
        last4: str | None = None,
    ) -> None:
        row_id = self._id("cod_remittances")
        fee = int((amount * self.fee_rate).quantize(Decimal(1), ROUND_HALF_UP))
        self.tables["cod_remittances"].append(
            (
                row_id,
                f"COD{row_id:010d}",
                order_id,
                money(amount),
                money(fee),
                status,
                collected,
                scheduled,
                remitted,
                hold,
                held,
                last4,
            )
        )

    def refund(
        self,
        order_id: int,
        kind: str,
        amount: int,
        method: str,
        reason: str,
        steps: list[tuple[datetime, str, str]],
        reject_reason: str | None = None,
    ) -> None:
        """A refund whose status is its latest step (`steps`: moment, status, note)."""
        row_id = self._id("refunds")
        status = steps[-1][1]
        received = next((s[0] for s in steps if s[1] == "return_received"), None)
        refunded = steps[-1][0] if status == "refunded" else None
        timeline = [{"at": s[0].isoformat(), "status": s[1], "note": s[2]} for s in steps]
        self.tables["refunds"].append(
            (
                row_id,
                f"RF{row_id:010d}",
                order_id,
                kind,
                status,
                money(amount),
                method,
                reason,
                reject_reason if status == "rejected" else None,
                steps[0][0],
                received,
                refunded,
                timeline,
            )
        )

    def claim(
        self,
        order_id: int,
        kind: str,
        status: str,
        item: str,
        description: str,
        compensation: int | None,
        created: datetime,
        decided: datetime | None,
    ) -> None:
        row_id = self._id("claims")
        paid = money(compensation) if compensation is not None else None
        self.tables["claims"].append(
            (
                row_id,
                f"CL{created:%Y%m%d}{row_id % 10**6:06d}",
                order_id,
                kind,
                status,
                item,
                description,
                None,
                paid,
                created,
                decided,
            )
        )


def route(
    rng: Random,
    carrier: str,
    origin: Place,
    site: tuple[str, str],
    dest: Place,
    district: str,
    shipped: datetime,
    delivery_day: date,
) -> tuple[list[Event], str]:
    """The whole journey as planned (pick-up, hubs, out for delivery, signed), and who signs."""

    def minutes(lo: float, hi: float) -> timedelta:
        return timedelta(seconds=int(60 * (lo + (hi - lo) * rng.random())))

    hubs = [origin, *([BY_CITY[dest.via]] if dest.via else []), *([dest] if dest is not origin else [])]
    arrive = shipped + minutes(80, 180)
    leave = arrive + minutes(50, 160)
    events = [
        picked_up(shipped, carrier, origin, *site),
        arrived(arrive, origin),
        departed(leave, origin, hubs[1] if len(hubs) > 1 else None, district),
    ]
    on_road, out_at = leave, at(delivery_day, 7, 30) + minutes(0, 150)
    for j, hub in enumerate(hubs[1:], start=1):  # line haul: the last hub the night before delivery
        share = (out_at - timedelta(hours=3) - on_road) * (j / (len(hubs) - 1))
        arrive = max(leave + timedelta(hours=2), on_road + share - minutes(0, 120))
        leave = arrive + minutes(50, 160)
        events += [arrived(arrive, hub), departed(leave, hub, hubs[j + 1] if j + 1 < len(hubs) else None, district)]
    out_at = max(out_at, leave + minutes(40, 100))
    signer = rng.choices(_SIGNER_NAMES, _SIGNER_ODDS)[0]
    events += [
        out_for_delivery(out_at, dest, district, SURNAMES[int(rng.random() * 40)]),
        delivered(out_at + minutes(20, 420), dest, carrier, signer),
    ]
    return events, signer


_SIGNER_NAMES = tuple(s[0] for s in SIGNERS)
_SIGNER_ODDS = tuple(s[2] for s in SIGNERS)
_RETURN_REASONS = ("尺码不合适", "不喜欢/不想要了（7天无理由退货）", "颜色与图片有差异", "质量问题：开线、起球")
_REFUND_ONLY_REASONS = ("少件/漏发", "商品有瑕疵", "与商品描述不符")
_REJECTED_RETURN = (
    "退回商品有明显穿着痕迹且吊牌已剪，不符合7天无理由退货条件"
    "（The item shows signs of wear and its tags were removed: not eligible for a no-reason return）",
    "退回商品缺少配件和原包装，不符合退货条件（Accessories and the original packaging are missing: not eligible for a return）",
)
_REJECTED_REFUND_ONLY = "经核实商品无质量问题，如需退货请申请退货退款（We found no quality problem; to send it back, apply for a return and refund）"
_CLAIMS = {"damage": "外箱压坏，商品破损", "missing": "包裹内少了一件商品"}


def _order_days(n: int, today: date, paused: set[date]) -> tuple[list[date], list[int]]:
    """The days of the window and the index of each day's first order (busy days get more orders)."""
    days = [today - timedelta(days=d) for d in range(WINDOW_DAYS, 0, -1)]
    weights = [
        _PEAKS.get((d.month, d.day), 1.0) * (1.12 if d.weekday() >= 5 else 1.0) * (0.35 if d in paused else 1.0)
        for d in days
    ]
    exact = [n * w / sum(weights) for w in weights]
    counts = [int(x) for x in exact]
    for k in sorted(range(len(days)), key=lambda k: counts[k] - exact[k])[: n - sum(counts)]:
        counts[k] += 1  # largest remainders
    starts = [0]
    for c in counts:
        starts.append(starts[-1] + c)
    return days, starts


def _minute_quantiles() -> list[int]:
    """For each 1/1440 of a day's orders, the minute of the day it is placed at."""
    weight = [_HOURLY[m // 60] for m in range(1440)]
    total, acc, minute, table = sum(weight), 0.0, 0, []
    for q in range(1440):
        while acc + weight[minute] < (q + 0.5) / 1440 * total:
            acc += weight[minute]
            minute += 1
        table.append(minute)
    return table


_MINUTE_OF = _minute_quantiles()


class _Orders:
    """Ordinary orders in the order they were placed, a chunk at a time; each follows the merchant's rules."""

    def __init__(
        self,
        *,
        seed: int,
        n: int,
        today: date,
        calendar: BusinessCalendar,
        rows: _Rows,
        skus: list[SkuInfo],
        buyers: tuple[int, int],
        shippers: list[tuple[int, Shipper]],
    ) -> None:
        self.seed, self.today, self.calendar, self.rows = seed, today, calendar, rows
        self.as_of = at(today, 0)  # the data set shows the merchant's books at midnight
        self.first_buyer, self.n_buyers = buyers
        self.shippers = shippers
        self.p_star = min(0.1, 40 / max(1.0, 0.3 * n))  # the showcase shipper: busy, but not everyone's
        # Cheaper things sell more often: a mug or a T-shirt many times for each wool coat.
        self.regular = [s for s in skus if s.presale_ship is None for _ in range(max(1, 24_000 // s.price_cents))]
        self.presale = [s for s in skus if s.presale_ship is not None]
        rules = merchant_rules()
        self.transit = {zone: (int(lo), int(hi)) for zone, (lo, hi) in rules["transit_days"].items()}
        self.cutoff = int(rules["same_day_cutoff_hour"])
        self.remit_days = int(rules["cod_remittance_business_days"])
        self.paused = {d for d, c in calendar.closures.items() if "春节" in c.name_zh or "除夕" in c.name_zh}
        self.days, self.starts = _order_days(n, today, self.paused)
        self.midnights = [at(d, 0) for d in self.days]
        self.stamps = [f"{d:%Y%m%d}" for d in self.days]
        if max(b - a for a, b in zip(self.starts, self.starts[1:], strict=False)) > 900_000:
            raise ValueError("too many orders for one day's order numbers (YX + date + 6 digits)")
        self.zones: dict[str, str] = {}
        self.due: dict[date, date] = {}
        self.rng = Random(seed)

    def chunk(self, start: int, stop: int) -> None:
        rng = self.rng = Random(mix(self.seed, start, 3))
        for i in range(start, stop):
            k = bisect.bisect_right(self.starts, i) - 1
            pos, count = i - self.starts[k], self.starts[k + 1] - self.starts[k]
            created = self.midnights[k] + timedelta(minutes=_MINUTE_OF[pos * 1440 // count], seconds=rng.randrange(60))
            order_no = f"YX{self.stamps[k]}{100_000 + pos:06d}"
            if rng.random() < 0.3:
                self.parcel(i, created, order_no)
            else:
                self.shop(i, created, order_no)

    def _minutes(self, lo: float, hi: float) -> timedelta:
        return timedelta(seconds=int(60 * (lo + (hi - lo) * self.rng.random())))

    def _zone(self, province: str) -> str:
        zone = self.zones.get(province)
        if zone is None:
            zone = self.zones[province] = transit_zone(province)
        return zone

    def _dispatch(self, paid: datetime) -> datetime:
        """Paid before the cut-off: out the same evening; otherwise the next day; peaks add a day."""
        if paid.hour < self.cutoff:
            moment = at(paid.date(), self.cutoff, 30) + self._minutes(0, 180)
        else:
            moment = at(paid.date() + timedelta(days=1), 9, 30) + self._minutes(0, 420)
        if (moment.month, moment.day) in _SLOW_DISPATCH:
            moment += timedelta(days=1)
        while moment.date() in self.paused:
            moment += timedelta(days=1)
        return moment

    def _so_far(self, timeline: list[_Timed]) -> list[_Timed]:
        """What of a planned timeline (tracking events, refund steps) has happened by now."""
        return [entry for entry in timeline if entry[0] <= self.as_of]

    def shop(self, i: int, created: datetime, order_no: str) -> None:
        rng, rows, as_of = self.rng, self.rows, self.as_of
        k = int(self.n_buyers * rng.random() ** 1.3)  # some customers order again and again
        buyer = person(self.seed, k)
        to = buyer if rng.random() < 0.85 else person(self.seed, _RECIPIENT_K + i)  # or a gift
        r = rng.random()
        lines = [
            (self.regular[int(rng.random() * len(self.regular))], 1 if rng.random() < 0.85 else 2)
            for _ in range(1 if r < 0.65 else 2 if r < 0.9 else 3)
        ]
        if self.presale and created > as_of - timedelta(days=10) and rng.random() < 0.04:
            lines[0] = (self.presale[int(rng.random() * len(self.presale))], 1)
        subtotal = sum(s.price_cents * q for s, q in lines)
        remote = self._zone(to.place.province) == "remote"
        total = subtotal + (0 if subtotal >= 9_900 else 800) + (1_500 if remote else 0)
        r = rng.random()
        method = (
            "wechat" if r < 0.45 else "alipay" if r < 0.76 else "card" if r < 0.85 else "huabei" if r < 0.95 else "cod"
        )
        if method == "cod":
            total += 500
            if total > COD_LIMIT:
                method, total = "alipay", total - 500
        cod, customer_id = method == "cod", self.first_buyer + k

        def order(status: str, updated: datetime) -> int:
            order_id = rows.order(order_no, "shop", customer_id, status, total, method, to, created, updated)
            for sku, quantity in lines:
                rows.item(order_id, sku.id, sku.name_zh, sku.name_en, quantity, sku.price_cents)
            return order_id

        if not cod and rng.random() < 0.03:  # never paid: closed after 24 hours
            expiry = created + timedelta(hours=24)
            order(*(("pending_payment", created) if expiry > as_of else ("cancelled", expiry)))
            return
        paid = created + timedelta(seconds=30 + 870 * rng.random())
        presale_day = lines[0][0].presale_ship
        ship_at = at(presale_day, 10) + self._minutes(0, 480) if presale_day else self._dispatch(paid)
        cancel = paid + self._minutes(10, 300)
        if not cod and rng.random() < 0.02 and cancel < ship_at and cancel <= as_of:  # cancelled before dispatch
            order_id = order("cancelled", cancel)
            rows.payment(order_id, method, "refunded", total, paid)
            steps = [
                (cancel, "requested", "买家取消订单"),
                (cancel + self._minutes(5, 600), "refunded", "未发货订单已取消，款项原路退回"),
            ]
            rows.refund(order_id, "refund_only", total, method, "不想要了（未发货取消）", self._so_far(steps))
            return
        if ship_at > as_of:  # paid, waiting for dispatch
            order_id = order("paid", paid)
            rows.payment(order_id, method, "pending" if cod else "paid", total, None if cod else paid)
            return
        carrier = "SF" if subtotal >= 19_900 else "ZTO"
        days = rng.randint(*self.transit[self._zone(to.place.province)])
        delivery_day = ship_at.date() + timedelta(days=days)
        events, signer = route(rng, carrier, WAREHOUSE, _WAREHOUSE_SITE, to.place, to.district, ship_at, delivery_day)
        signed = events[-1][0]
        done = signed <= as_of
        order_id = order("delivered" if done else "shipped", signed if done else ship_at)
        if cod:
            rows.payment(order_id, method, "paid" if done else "pending", total, signed if done else None)
        else:
            rows.payment(order_id, method, "paid", total, paid)
        rows.shipment(order_id, carrier, None, events if done else self._so_far(events), ship_at, signer)
        if done:
            r = rng.random()
            if r < 0.04:
                self._after_sales(order_id, lines, method, signed)
            elif r < 0.055:
                self._claim(order_id, lines, signed)

    def _after_sales(self, order_id: int, lines: list[tuple[SkuInfo, int]], method: str, signed: datetime) -> None:
        """A return or refund asked for within the 7 days after signing, as far as it has got."""
        rng = self.rng
        sku, quantity = lines[int(rng.random() * len(lines))]
        requested = signed + self._minutes(120, 60 * 24 * 6.5)
        if requested > self.as_of:
            return
        steps = [(requested, "requested", "买家申请售后")]
        rejected = rng.random() < 0.09
        why: str | None = None  # the reason given when it is rejected
        if rng.random() < 0.72:
            kind, reason = "return_and_refund", _RETURN_REASONS[int(rng.random() * len(_RETURN_REASONS))]
            approved = requested + self._minutes(20, 480)
            received = approved + self._minutes(60 * 36, 60 * 24 * 6)
            steps += [
                (approved, "awaiting_return", "审核通过，请在 7 天内寄回商品"),
                (received, "return_received", "仓库已收到退货，质检中"),
            ]
            if rejected:
                why = _REJECTED_RETURN[int(rng.random() * len(_REJECTED_RETURN))]
                steps.append((received + self._minutes(60, 1440), "rejected", "质检未通过，商品将寄回"))
            else:
                steps.append((received + self._minutes(60, 47 * 60), "refunded", "退款已原路退回"))
        else:
            kind, reason = "refund_only", _REFUND_ONLY_REASONS[int(rng.random() * 3)]
            if rejected:
                why = _REJECTED_REFUND_ONLY
                steps.append((requested + self._minutes(120, 1440), "rejected", "审核未通过"))
            else:
                approved = requested + self._minutes(30, 600)
                steps += [
                    (approved, "approved", "审核通过"),
                    (approved + self._minutes(10, 1200), "refunded", "退款已原路退回"),
                ]
        amount = sku.price_cents * quantity
        self.rows.refund(order_id, kind, amount, method, reason, self._so_far(steps), why)

    def _claim(self, order_id: int, lines: list[tuple[SkuInfo, int]], signed: datetime) -> None:
        """Damage or a missing item reported within 48 hours of signing, and the specialist's decision."""
        rng, as_of = self.rng, self.as_of
        created = signed + self._minutes(30, 47 * 60)
        if created > as_of:
            return
        sku, _ = lines[int(rng.random() * len(lines))]
        kind = "damage" if rng.random() < 0.7 else "missing"
        decided = at(self.calendar.add_business_days(created.date(), rng.randint(1, 3)), 11) + self._minutes(0, 360)
        approved = rng.random() < 0.8
        if decided > as_of:
            status, decided_at, pay = (
                ("awaiting_photos" if created > as_of - timedelta(days=1) else "under_review"),
                None,
                None,
            )
        else:
            paid_on = self.calendar.add_business_days(decided.date(), rng.randint(1, 5))
            status = ("paid" if paid_on < self.today else "approved") if approved else "rejected"
            decided_at, pay = decided, sku.price_cents if approved else None
        self.rows.claim(order_id, kind, status, sku.name_zh, _CLAIMS[kind], pay, created, decided_at)

    def parcel(self, i: int, created: datetime, order_no: str) -> None:
        """A shipper's cash-on-delivery parcel: picked up, delivered, the money collected and remitted."""
        rng, rows, as_of = self.rng, self.rows, self.as_of
        star = rng.random() < self.p_star
        customer_id, s = self.shippers[0 if star else 1 + int((len(self.shippers) - 1) * rng.random() ** 2)]
        to = person(self.seed, _RECIPIENT_K + i)
        goods_zh, goods_en, lo, hi = PARCEL_GOODS[int(rng.random() * len(PARCEL_GOODS))]
        amount = (lo + int((hi - lo) * rng.random() ** 2)) * 100
        pickup = created + self._minutes(40, 300)
        if not 8 <= pickup.hour < 20:  # couriers collect in working hours
            pickup = at(pickup.date() + timedelta(days=pickup.hour >= 20), 9) + self._minutes(0, 120)

        def order(status: str, updated: datetime) -> int:
            order_id = rows.order(order_no, "parcel", customer_id, status, amount, "cod", to, created, updated)
            rows.item(order_id, None, goods_zh, goods_en, 1, amount)
            return order_id

        if pickup > as_of:  # waiting for the courier
            order_id = order("paid", created)
            rows.payment(order_id, "cod", "pending", amount, None)
            rows.shipment(order_id, "YX", None, [], None)
            rows.remittance(order_id, amount, "awaiting_collection")
            return
        origin, district = s.contact.place, s.contact.district
        days = rng.randint(*self.transit[self._zone(to.place.province)])
        site = (f"{district}营业部", f"the {origin.city_en} outlet")
        events, signer = route(
            rng, "YX", origin, site, to.place, to.district, pickup, pickup.date() + timedelta(days=days)
        )
        signed = events[-1][0]
        if signed > as_of:
            order_id = order("shipped", pickup)
            rows.payment(order_id, "cod", "pending", amount, None)
            rows.shipment(order_id, "YX", None, self._so_far(events), pickup)
            rows.remittance(order_id, amount, "awaiting_collection")
            return
        order_id = order("delivered", signed)
        rows.payment(order_id, "cod", "paid", amount, signed)
        rows.shipment(order_id, "YX", None, events, pickup, signer)
        due = self.due.get(signed.date())
        if due is None:
            due = self.due[signed.date()] = self.calendar.add_business_days(signed.date(), self.remit_days)
        if due >= self.today:
            rows.remittance(order_id, amount, "pending", collected=signed, scheduled=due, last4=s.last4)
        elif s.hold_reason and due >= self.today - timedelta(days=s.hold_days):
            rows.remittance(
                order_id,
                amount,
                "held",
                collected=signed,
                scheduled=due,
                hold=s.hold_reason,
                held=at(due, 10),
                last4=s.last4,
            )
        else:  # paid on the day's run; a shipper whose account broke since was paid into the old one
            last4 = f"{(int(s.last4) + 4_321) % 10_000:04d}" if s.hold_reason else s.last4
            rows.remittance(
                order_id,
                amount,
                "remitted",
                collected=signed,
                scheduled=due,
                remitted=at(due, 10) + self._minutes(0, 90),
                last4=last4,
            )


@dataclass(frozen=True)
class ShowcaseOrder:
    """An order every demo data set holds, in a state worth asking the bot about."""

    n: int
    order_no: str
    phone: str  # the owner's phone: its last four digits prove who is asking
    owner: str
    state_zh: str
    state_en: str
    ask: str  # what to ask the bot


SHOWCASE: tuple[ShowcaseOrder, ...] = (
    ShowcaseOrder(1, "YX20261121000001", "13816725601", "林晓雯", "运输中，物流正常（昨晚到达成都转运中心）",
                  "In transit, on time (reached the Chengdu hub last night)", "我的订单 YX20261121000001 到哪了？"),
    ShowcaseOrder(2, "YX20261117000002", "13857312602", "周子涵", "已发货，物流停滞：最后一条轨迹是 4 天前",
                  "Shipped but stuck: the last tracking event is 4 days old", "YX20261117000002 怎么好几天没动了"),
    ShowcaseOrder(3, "YX20261119000003", "13867483603", "何建国（杭州市余杭区小鹿服饰商行）",
                  "代收包裹，上一个工作日签收，货款待打款（T+3 工作日）",
                  "COD parcel signed for 1 business day ago; remittance pending (T+3 business days)",
                  "YX20261119000003 的货款什么时候到账？"),
    ShowcaseOrder(4, "YX20260926000004", "13867483603", "何建国（杭州市余杭区小鹿服饰商行）",
                  "代收包裹，节前签收，打款日因法定节假日顺延，已打款",
                  "COD parcel signed just before a public holiday; remittance moved past it, now paid",
                  "YX20260926000004 的货款为什么晚了几天？"),
    ShowcaseOrder(5, "YX20261110000005", "13822806604", "陈志鹏（广州市白云区鹏程鞋业商行）",
                  "代收包裹，约 10 天前签收，货款挂账：收款户名与注册商家名不一致",
                  "COD parcel signed ~10 days ago; remittance held: account holder differs from the registered name",
                  "YX20261110000005 的货款怎么还没到？"),
    ShowcaseOrder(6, "YX20261111000006", "13805716605", "吴佳怡", "已签收，退货退款中：仓库已收到退货，退款待退回支付宝",
                  "Delivered; return in progress: warehouse has it, Alipay refund pending", "YX20261111000006 退款什么时候到？"),
    ShowcaseOrder(7, "YX20261103000007", "13829307606", "郑浩然", "退货退款被拒：商品有穿着痕迹、吊牌已剪",
                  "Return refused: item worn, tags removed", "Why was my refund for YX20261103000007 rejected?"),
    ShowcaseOrder(8, "YX20261119000008", "13844198607", "孙雨桐", "昨天签收，两件商品，尚未理赔（问收到破损）",
                  "Delivered yesterday, two items, no claim yet (report damage)", "YX20261119000008 收到的东西摔坏了"),
    ShowcaseOrder(9, "YX20261122000009", "13891024608", "马俊杰", "已付款，待发货（昨晚 16 点后付款）",
                  "Paid, not dispatched yet (paid after 16:00 yesterday)", "YX20261122000009 什么时候发货？"),
    ShowcaseOrder(10, "YX20260924000010", "13816725601", "林晓雯", "两个月前已签收，一切正常",
                  "Delivered normally two months ago", "YX20260924000010 可以开发票吗？"),
    ShowcaseOrder(11, "YX20261121000011", "13833669609", "刘思远", "运输中；属于另一位客户（验证为林晓雯时不得透露）",
                  "In transit; belongs to another customer (never shown to 林晓雯)",
                  "以林晓雯身份（尾号 5601）问：YX20261121000011 到哪了？"),
)  # fmt: skip

# The showcase customers: name, phone, city, district, street address, vip.
_PEOPLE: dict[str, tuple[str, str, str, str, str, bool]] = {
    "lin": ("林晓雯", "13816725601", "成都市", "武侯区", "武侯区人民南路四段27号锦绣家园3幢1502室", False),
    "zhou": ("周子涵", "13857312602", "广州市", "天河区", "天河区天河北路233号中信广场东塔2108室", False),
    "he": ("何建国", "13867483603", "杭州市", "余杭区", "余杭区五常大道181号华立科技园7幢3楼", True),
    "chen": ("陈志鹏", "13822806604", "广州市", "白云区", "白云区机场路1962号白云鞋城B区218档", False),
    "wu": ("吴佳怡", "13805716605", "上海市", "浦东新区", "浦东新区张杨路1688号阳光花园12幢1103室", True),
    "zheng": ("郑浩然", "13829307606", "北京市", "朝阳区", "朝阳区望京西路48号金隅国际C座1606室", False),
    "sun": ("孙雨桐", "13844198607", "苏州市", "工业园区", "工业园区星湖街328号翠苑小区5幢802室", False),
    "ma": ("马俊杰", "13891024608", "深圳市", "南山区", "南山区科技园南路16号明珠苑2栋1901室", False),
    "liu": ("刘思远", "13833669609", "北京市", "海淀区", "海淀区中关村大街59号学院路小区8幢402室", False),
}


class _Showcase:
    """Builds the `SHOWCASE` orders; times are relative to `today`, numbers and phones fixed."""

    def __init__(self, rows: _Rows, today: date, calendar: BusinessCalendar, skus: list[SkuInfo]) -> None:
        self.rows, self.today, self.calendar = rows, today, calendar
        self.skus = {s.code: s for s in skus}
        self.people = {
            key: Person(name, phone, BY_CITY[city], district, address, vip)
            for key, (name, phone, city, district, address, vip) in _PEOPLE.items()
        }
        he, chen = self.people["he"], self.people["chen"]
        self.shippers = {
            "he": Shipper(he, "杭州市余杭区小鹿服饰商行", "招商银行", "杭州市余杭区小鹿服饰商行", "8826"),
            # Paid into the owner's personal account: the bank refuses it for a registered business.
            "chen": Shipper(chen, "广州市白云区鹏程鞋业商行", "中国建设银行", "陈志鹏", "6021", "account_mismatch", 30),
        }
        self.ids: dict[str, int] = {}

    def day(self, days_ago: int) -> date:
        return self.today - timedelta(days=days_ago)

    def build(self) -> tuple[int, Shipper]:
        """All showcase rows; returns the busy shipper (id, details), who also gets ordinary parcels."""
        stamp = at(self.today, 0)
        for n, (key, who) in enumerate(self.people.items(), start=1):
            self.ids[key] = self.rows.customer(f"DEMO{n:02d}", who, stamp, self.shippers.get(key))
        for story in (
            self.s1,
            self.s2,
            self.s3,
            self.s4,
            self.s5,
            self.s6,
            self.s7,
            self.s8,
            self.s9,
            self.s10,
            self.s11,
        ):
            story()
        return self.ids["he"], self.shippers["he"]

    def carrier(self, lines: list[tuple[str, int]]) -> str:
        return "SF" if sum(self.skus[code].price_cents * q for code, q in lines) >= 19_900 else "ZTO"

    def shop(
        self,
        n: int,
        key: str,
        created: datetime,
        method: str,
        lines: list[tuple[str, int]],
        status: str,
        updated: datetime,
    ) -> tuple[int, int]:
        """A paid shop order; returns its id and the price of its first line."""
        skus = [(self.skus[code], q) for code, q in lines]
        subtotal = sum(s.price_cents * q for s, q in skus)
        total = subtotal + (0 if subtotal >= 9_900 else 800)
        order_id = self.rows.order(
            SHOWCASE[n - 1].order_no, "shop", self.ids[key], status, total, method, self.people[key], created, updated
        )
        for sku, quantity in skus:
            self.rows.item(order_id, sku.id, sku.name_zh, sku.name_en, quantity, sku.price_cents)
        self.rows.payment(order_id, method, "paid", total, created + timedelta(minutes=1, seconds=37))
        return order_id, skus[0][0].price_cents * skus[0][1]

    def delivered_shop(
        self,
        n: int,
        key: str,
        created: datetime,
        method: str,
        lines: list[tuple[str, int]],
        shipped: datetime,
        delivery_day: date,
    ) -> tuple[int, int]:
        who, carrier = self.people[key], self.carrier(lines)
        events, signer = route(
            Random(n), carrier, WAREHOUSE, _WAREHOUSE_SITE, who.place, who.district, shipped, delivery_day
        )
        order_id, price = self.shop(n, key, created, method, lines, "delivered", events[-1][0])
        self.rows.shipment(order_id, carrier, showcase_waybill(carrier, n), events, shipped, signer)
        return order_id, price

    def in_transit(
        self,
        n: int,
        key: str,
        created: datetime,
        method: str,
        line: tuple[str, int],
        shipped: datetime,
        hub: tuple[datetime, datetime],
        last: datetime,
    ) -> None:
        """Picked up in Hangzhou, through the Hangzhou hub, last seen arriving at the hub of the customer's city."""
        who, carrier = self.people[key], self.carrier([line])
        order_id, _ = self.shop(n, key, created, method, [line], "shipped", shipped)
        events = [
            picked_up(shipped, carrier, WAREHOUSE, *_WAREHOUSE_SITE),
            arrived(hub[0], WAREHOUSE),
            departed(hub[1], WAREHOUSE, who.place, who.district),
            arrived(last, who.place),
        ]
        self.rows.shipment(order_id, carrier, showcase_waybill(carrier, n), events, shipped)

    def s1(self) -> None:
        d2, d1 = self.day(2), self.day(1)
        hub = (at(d2, 20, 5), at(d2, 23, 30))
        self.in_transit(1, "lin", at(d2, 10, 12), "wechat", ("P1001-BLK-M", 1), at(d2, 17, 40), hub, at(d1, 21, 50))

    def s2(self) -> None:  # stuck: nothing since the hub scan in the small hours 4 days ago
        d6 = self.day(6)
        hub = (at(d6, 19, 45), at(d6, 22, 30))
        self.in_transit(
            2, "zhou", at(d6, 9, 20), "alipay", ("P1002-WHT-L", 2), at(d6, 17, 10), hub, at(self.day(4), 2, 40)
        )

    def s11(self) -> None:  # the same kind of order as (1), someone else's
        d2, d1 = self.day(2), self.day(1)
        hub = (at(d2, 19, 55), at(d2, 22, 40))
        self.in_transit(11, "liu", at(d2, 14, 20), "wechat", ("P1013-NAV-XL", 1), at(d2, 17, 50), hub, at(d1, 21, 30))

    def parcel(
        self,
        n: int,
        key: str,
        to: tuple[str, str, str],
        goods: tuple[str, str, int],
        signed_day: date,
        transit_days: int,
    ) -> tuple[int, datetime, int]:
        """A COD parcel signed for on `signed_day`; returns its id, the signing moment and the amount."""
        s, (city, district, name) = self.shippers[key], to
        place = BY_CITY[city]
        recipient = Person(
            name, phone_number(_SHOWCASE_K + n), place, district, f"{district}建设路{n * 17}号{n}幢{n}01室", False
        )
        pickup = at(signed_day - timedelta(days=transit_days), 15, 30)
        site = (f"{s.contact.district}营业部", f"the {s.contact.place.city_en} outlet")
        events, signer = route(Random(n), "YX", s.contact.place, site, place, district, pickup, signed_day)
        signed, amount = events[-1][0], goods[2] * 100
        order_id = self.rows.order(
            SHOWCASE[n - 1].order_no,
            "parcel",
            self.ids[key],
            "delivered",
            amount,
            "cod",
            recipient,
            pickup - timedelta(hours=2),
            signed,
        )
        self.rows.item(order_id, None, goods[0], goods[1], 1, amount)
        self.rows.payment(order_id, "cod", "paid", amount, signed)
        self.rows.shipment(order_id, "YX", showcase_waybill("YX", n), events, pickup, signer)
        return order_id, signed, amount

    def s3(self) -> None:  # signed the previous business day: the money is due in the days ahead
        signed_day = previous_business_day(self.calendar, self.today)
        order_id, signed, amount = self.parcel(
            3, "he", ("南京市", "鼓楼区", "赵敏"), ("羊毛混纺连衣裙", "wool-blend dress", 386), signed_day, 1
        )
        due = self.calendar.add_business_days(signed_day, 3)
        self.rows.remittance(order_id, amount, "pending", collected=signed, scheduled=due, last4="8826")

    def s4(self) -> None:  # signed two business days before the latest holiday block
        signed_day = holiday_signing_day(self.calendar, self.today)
        order_id, signed, amount = self.parcel(
            4, "he", ("武汉市", "武昌区", "黄丽华"), ("羊绒围巾两条", "two cashmere scarves", 258), signed_day, 3
        )
        due = self.calendar.add_business_days(signed_day, 3)
        self.rows.remittance(
            order_id, amount, "remitted", collected=signed, scheduled=due, remitted=at(due, 10, 35), last4="8826"
        )

    def s5(self) -> None:  # signed ~10 days ago, due since, held: the account is in the owner's name
        signed_day = self.day(10)
        while self.calendar.add_business_days(signed_day, 3) >= self.today:
            signed_day -= timedelta(days=1)
        order_id, signed, amount = self.parcel(
            5,
            "chen",
            ("郑州市", "金水区", "王建军"),
            ("男士休闲鞋（3 双）", "men's casual shoes (3 pairs)", 1280),
            signed_day,
            3,
        )
        due = self.calendar.add_business_days(signed_day, 3)
        self.rows.remittance(
            order_id,
            amount,
            "held",
            collected=signed,
            scheduled=due,
            hold="account_mismatch",
            held=at(due, 10),
            last4="6021",
        )

    def s6(self) -> None:  # return received yesterday; the Alipay refund is due within 48 hours
        order_id, price = self.delivered_shop(
            6, "wu", at(self.day(12), 0, 20), "alipay", [("P1004-CAM-M", 1)], at(self.day(11), 18, 30), self.day(10)
        )
        asked = at(self.day(8), 20, 10)
        steps = [
            (asked, "requested", "买家申请退货退款：尺码偏大"),
            (asked + timedelta(minutes=55), "awaiting_return", "审核通过，请在 7 天内寄回商品"),
            (at(self.day(1), 15, 30), "return_received", "仓库已收到退货，质检中"),
        ]
        self.rows.refund(order_id, "return_and_refund", price, "alipay", "尺码不合适", steps)

    def s7(self) -> None:  # the returned sweater was worn: refused
        order_id, price = self.delivered_shop(
            7, "zheng", at(self.day(20), 13, 5), "wechat", [("P1009-BLK-L", 1)], at(self.day(20), 17, 20), self.day(18)
        )
        asked = at(self.day(15), 19, 40)
        steps = [
            (asked, "requested", "买家申请退货退款：不喜欢/不想要了"),
            (asked + timedelta(minutes=50), "awaiting_return", "审核通过，请在 7 天内寄回商品"),
            (at(self.day(10), 14, 10), "return_received", "仓库已收到退货，质检中"),
            (at(self.day(9), 10, 20), "rejected", "质检未通过：有穿着痕迹、吊牌已剪，商品将寄回"),
        ]
        self.rows.refund(
            order_id,
            "return_and_refund",
            price,
            "wechat",
            "不喜欢/不想要了（7天无理由退货）",
            steps,
            _REJECTED_RETURN[0],
        )

    def s8(self) -> None:  # two items (so the bot asks which one is broken), signed yesterday, no claim
        self.delivered_shop(
            8,
            "sun",
            at(self.day(4), 21, 15),
            "wechat",
            [("P3003-WHT", 2), ("P3004-WHT", 1)],
            at(self.day(3), 11, 30),
            self.day(1),
        )

    def s9(self) -> None:  # paid after the cut-off last night: ships today
        self.shop(9, "ma", at(self.day(1), 20, 35), "huabei", [("P2001-WHT-42", 1)], "paid", at(self.day(1), 20, 36))

    def s10(self) -> None:
        self.delivered_shop(
            10,
            "lin",
            at(self.day(60), 12, 30),
            "card",
            [("P3001-GRY", 1), ("P3006", 1)],
            at(self.day(60), 17, 0),
            self.day(57),
        )


def holiday_signing_day(calendar: BusinessCalendar, today: date) -> date:
    """Two business days before the latest holiday block whose T+3 date is already past.

    Signed then, the T+3 business-day remittance date jumps the whole block (National Day:
    signed Tue 29 Sep 2026, paid Fri 9 Oct instead of Fri 2 Oct). Without any holiday in the
    calendar, the Thursday two weeks back (the weekend alone moves the date).
    """
    for closure in sorted(calendar.closures, reverse=True):
        if closure >= today:
            continue
        start = closure
        while not calendar.is_business_day(start - timedelta(days=1)):
            start -= timedelta(days=1)
        signed = previous_business_day(calendar, previous_business_day(calendar, start))
        due = calendar.add_business_days(signed, 3)
        if due < today and calendar.holidays_between(signed, due):
            return signed
    thursday = today - timedelta(days=14)
    return thursday - timedelta(days=(thursday.weekday() - 3) % 7)


class _Writer:
    """Writes chunks of rows: COPY on PostgreSQL (psycopg), executemany of plain dicts elsewhere."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.copy = conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg"
        self.counts = dict.fromkeys(COLUMNS, 0)

    def write(self, tables: Rows) -> None:
        for name, rows in tables.items():
            if not rows:
                continue
            self.counts[name] += len(rows)
            if self.copy:
                self._copy(name, rows)
            else:
                columns = COLUMNS[name]
                self.conn.execute(
                    insert(Base.metadata.tables[name]), [dict(zip(columns, r, strict=True)) for r in rows]
                )

    def _copy(self, name: str, rows: list[tuple[Any, ...]]) -> None:
        at_json = _JSON_COLUMNS.get(name)
        if at_json is not None:  # COPY takes JSON as text
            rows = [(*r[:at_json], json.dumps(r[at_json], ensure_ascii=False), *r[at_json + 1 :]) for r in rows]
        cursor = self.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor, cursor.copy(f"COPY {name} ({', '.join(COLUMNS[name])}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def held_rows(conn: Connection) -> dict[str, int]:
    """How many customers, products and orders the database holds already."""
    return {
        name: conn.scalar(select(func.count()).select_from(Base.metadata.tables[name])) or 0
        for name in ("customers", "products", "orders")
    }


def _clear(conn: Connection) -> None:
    """Empty the merchant tables (conversations, messages, the knowledge base and holidays stay)."""
    names = tuple(reversed(COLUMNS))  # children first
    if conn.dialect.name == "postgresql":
        try:
            with conn.begin_nested():
                conn.execute(text(f"TRUNCATE {', '.join(names)}"))
            return
        except DBAPIError:  # another table refers to these: delete row by row instead
            pass
    for name in names:
        conn.execute(delete(Base.metadata.tables[name]))


def _first_ids(conn: Connection) -> dict[str, int]:
    return {name: (conn.scalar(select(func.max(Base.metadata.tables[name].c.id))) or 0) + 1 for name in COLUMNS}


def _advance_sequences(conn: Connection, next_ids: dict[str, int]) -> None:
    """PostgreSQL's id sequences know nothing of the ids set here: move them past the last one."""
    for name, next_id in next_ids.items():
        if next_id > 1:
            conn.execute(text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :v)"), {"t": name, "v": next_id - 1})


def _chunks(total: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, total, size):
        yield start, min(total, start + size)


def generate(
    db: Database,
    *,
    orders: int,
    seed: int = 7,
    today: date | None = None,
    progress: bool = False,
    replace: bool = False,
) -> DemoSummary:
    """Write `orders` orders (the showcase ones included) with their customers, catalogue, tracking and money.

    The database must hold no customers, products or orders (`DemoDataExists`) unless `replace`,
    which empties the merchant tables first, in the same transaction as the writing.
    """
    if orders < len(SHOWCASE):
        raise ValueError(f"orders must be at least {len(SHOWCASE)}, the showcase orders")
    today = today or datetime.now(SHANGHAI).date()
    started = time.perf_counter()
    with db.engine.connect() as conn:
        held = held_rows(conn)
    if any(held.values()) and not replace:
        raise DemoDataExists(_refusal(held))
    with db.session() as session:  # the statutory calendar the remittance dates are counted on
        seed_holidays(session, range(today.year - 1, today.year + 2))
        session.flush()
        calendar = load_calendar(session)
    bar = tqdm(total=orders, unit=" orders", disable=not progress, desc="demo data")
    with db.engine.begin() as conn, bar:
        if replace:
            _clear(conn)
        elif any((held := held_rows(conn)).values()):  # someone got there first
            raise DemoDataExists(_refusal(held))
        rows, writer, stamp = _Rows(_first_ids(conn)), _Writer(conn), at(today, 0)
        first = rows.next_id
        products, skus_rows, skus = catalogue_rows(
            Random(mix(seed, 4)), today, product_id=first["products"], sku_id=first["skus"], at=stamp
        )
        rows.tables["products"], rows.tables["skus"] = products, skus_rows
        first["products"] += len(products)
        first["skus"] += len(skus_rows)
        star = _Showcase(rows, today, calendar, skus).build()
        writer.write(rows.take())
        bar.update(len(SHOWCASE))

        n = orders - len(SHOWCASE)
        n_buyers, first_buyer = max(20, n * 2 // 5), rows.next_id["customers"]
        for start, stop in _chunks(n_buyers, 4 * CHUNK):
            for k in range(start, stop):
                rows.customer(f"C{k + 1:08d}", person(seed, k), stamp)
            writer.write(rows.take())
        shippers = [star]
        for j in range(1, max(5, n // 250) + 1):
            s = shipper(seed, _SHIPPER_K + j)
            shippers.append((rows.customer(f"S{j:06d}", s.contact, stamp, s), s))
        writer.write(rows.take())

        stories = _Orders(
            seed=seed,
            n=n,
            today=today,
            calendar=calendar,
            rows=rows,
            skus=skus,
            buyers=(first_buyer, n_buyers),
            shippers=shippers,
        )
        for start, stop in _chunks(n, CHUNK):
            stories.chunk(start, stop)
            writer.write(rows.take())
            bar.update(stop - start)
        if conn.dialect.name == "postgresql":
            _advance_sequences(conn, rows.next_id)
    return DemoSummary(orders, writer.counts, time.perf_counter() - started)


def _refusal(held: dict[str, int]) -> str:
    what = ", ".join(f"{count:,} {name}" for name, count in held.items() if count)
    return f"the database already holds merchant data ({what}); use --replace to delete it and load the demo data"


def load_if_empty(db: Database, *, orders: int = 300) -> bool:
    """Load a demo data set into a database without merchant data (a first start); False if it has some."""
    with db.engine.connect() as conn:
        if any(held_rows(conn).values()):
            return False
    try:
        generate(db, orders=orders)
    except DemoDataExists:  # another instance loaded it meanwhile
        return False
    return True
