"""The ordinary orders of the demo data, each following the merchant's rules (MERCHANT.md,
`merchant/merchant.yaml`): dispatch cut-off, carriers, transit times, T+3 business-day COD
remittance over the holiday calendar, 7-day returns, 48-hour claims.

Orders are spread over the `WINDOW_DAYS` before `today`, more on busy days and at busy hours.
"""

from __future__ import annotations

import bisect
from datetime import date, datetime, timedelta
from random import Random
from typing import Any, TypeVar

from merchant.business_days import BusinessCalendar
from merchant.demo.catalogue import (
    PARCEL_GOODS,
    RECIPIENT_K,
    WAREHOUSE,
    Shipper,
    SkuInfo,
    merchant_rules,
    mix,
    person,
    transit_zone,
)
from merchant.demo.rows import RowBuffer
from merchant.demo.tracking import WAREHOUSE_SITE, at, route

WINDOW_DAYS = 90  # orders are spread over this many days before `today`
COD_LIMIT = 200_000  # cents: cash on delivery only for orders up to ¥2,000
# Busy days (more orders; dispatch may take up to 72 hours, MERCHANT.md) by (month, day).
_PEAKS = {(11, 10): 1.6, (11, 11): 3.5, (11, 12): 1.8, (6, 17): 1.5, (6, 18): 3.0, (12, 12): 2.0}
_SLOW_DISPATCH = {(11, 11), (11, 12), (11, 13), (6, 18), (6, 19)}
# Orders per hour of the day, relatively: lunch and the evening after work.
_HOURLY = (2, 1, 0.5, 0.3, 0.3, 0.4, 0.8, 1.5, 2.5, 3.5, 4, 4, 4.5, 4, 3.8, 3.8, 3.8, 3.5, 3.5, 4.5, 5.5, 6, 5.5, 4)
_Timed = TypeVar("_Timed", bound=tuple[Any, ...])  # a tuple whose first item is a moment

# What buyers give as the reason for a return or refund, and what the merchant answers when refusing.
_RETURN_REASONS = ("尺码不合适", "不喜欢/不想要了（7天无理由退货）", "颜色与图片有差异", "质量问题：开线、起球")
_REFUND_ONLY_REASONS = ("少件/漏发", "商品有瑕疵", "与商品描述不符")
REJECTED_RETURN = (
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


class OrdinaryOrders:
    """Ordinary orders in the order they were placed, a chunk at a time; each follows the merchant's rules."""

    def __init__(
        self,
        *,
        seed: int,
        n: int,
        today: date,
        calendar: BusinessCalendar,
        rows: RowBuffer,
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
        to = buyer if rng.random() < 0.85 else person(self.seed, RECIPIENT_K + i)  # or a gift
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
        events, signer = route(rng, carrier, WAREHOUSE, WAREHOUSE_SITE, to.place, to.district, ship_at, delivery_day)
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
                why = REJECTED_RETURN[int(rng.random() * len(REJECTED_RETURN))]
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
        to = person(self.seed, RECIPIENT_K + i)
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
