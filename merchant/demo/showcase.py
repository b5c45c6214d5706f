"""The showcase orders: eleven orders every demo data set holds, with fixed numbers and phones,
each in a state worth asking the bot about. Their times are relative to `today`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from random import Random

from merchant.business_days import BusinessCalendar
from merchant.demo.catalogue import (
    BY_CITY,
    SHOWCASE_K,
    WAREHOUSE,
    Person,
    Shipper,
    SkuInfo,
    arrived,
    departed,
    phone_number,
    picked_up,
    showcase_waybill,
)
from merchant.demo.orders import REJECTED_RETURN
from merchant.demo.rows import RowBuffer
from merchant.demo.tracking import WAREHOUSE_SITE, at, route


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


class ShowcaseBuilder:
    """Builds the `SHOWCASE` orders; times are relative to `today`, numbers and phones fixed."""

    def __init__(self, rows: RowBuffer, today: date, calendar: BusinessCalendar, skus: list[SkuInfo]) -> None:
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
            Random(n), carrier, WAREHOUSE, WAREHOUSE_SITE, who.place, who.district, shipped, delivery_day
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
            picked_up(shipped, carrier, WAREHOUSE, *WAREHOUSE_SITE),
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
            name, phone_number(SHOWCASE_K + n), place, district, f"{district}建设路{n * 17}号{n}幢{n}01室", False
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
            REJECTED_RETURN[0],
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


def previous_business_day(calendar: BusinessCalendar, day: date) -> date:
    day -= timedelta(days=1)
    while not calendar.is_business_day(day):
        day -= timedelta(days=1)
    return day
