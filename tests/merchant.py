"""A small, hand-made slice of the merchant's data for conversation tests (clock: conftest.NOW).

Each order is one situation a service desk meets; the phone numbers are the verification
answers (last four digits).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from core.db import Database
from merchant.models import (
    Claim,
    Customer,
    Order,
    OrderItem,
    Payment,
    Product,
    Refund,
    Remittance,
    Shipment,
    Sku,
    TrackingEvent,
)
from merchant.store import MERCHANT_TZ

ALICE_PHONE, BOB_PHONE, SHIPPER_PHONE = "13800001234", "13900005678", "13700002468"
IN_TRANSIT = "YX20261120000001"  # Alice's, ZTO, last event yesterday in 南京
BOBS_ORDER = "YX20261120000002"  # Bob's: Alice must never see it
HELD = "YX20261110000003"  # shipper's parcel, remittance held: account holder ≠ registered name
HOLIDAY = "YX20260929000004"  # shipper's parcel signed 9/29, T+3 pushed past National Day
PENDING = "YX20261120000005"  # shipper's parcel signed 11/20, paid out T+3 = 11/25
DAMAGED = "YX20261118000006"  # Alice's, two items, delivered yesterday
REFUNDING = "YX20261101000007"  # Alice's, return received 11/22, refund to Alipay due
STUCK = "YX20261112000008"  # Alice's, last tracking event 4 days ago
WAYBILL_IN_TRANSIT = "ZT7700112233445"


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=MERCHANT_TZ)


def load(db: Database) -> None:
    d = date(2026, 11, 23)
    with db.session() as s:
        alice = Customer(external_id="C-ALICE", name="李小红", phone=ALICE_PHONE)
        bob = Customer(external_id="C-BOB", name="Bob Chen", phone=BOB_PHONE)
        shipper = Customer(
            external_id="C-SHIP",
            kind="shipper",
            name="王小美",
            phone=SHIPPER_PHONE,
            registered_name="杭州小美服饰有限公司",
            bank_name="招商银行",
            bank_account_holder="王小美",
            bank_account_last4="6688",
        )
        hoodie = Product(
            external_id="P-HOODIE", name_zh="连帽卫衣", name_en="Hooded sweatshirt", aliases=["卫衣", "hoodie"]
        )
        mug = Product(
            external_id="P-MUG",
            name_zh="陶瓷马克杯",
            name_en="Ceramic mug",
            category="home",
            aliases=["杯子", "mug", "cup"],
        )
        s.add_all([alice, bob, shipper, hoodie, mug])
        s.flush()
        skus = [
            Sku(
                sku_code="HD-BLK-M",
                product_id=hoodie.id,
                color_zh="黑色",
                color_en="black",
                size="M",
                price=Decimal("199"),
                stock=23,
            ),
            Sku(
                sku_code="HD-BLK-L",
                product_id=hoodie.id,
                color_zh="黑色",
                color_en="black",
                size="L",
                price=Decimal("199"),
                stock=0,
                restock_date=date(2026, 12, 1),
            ),
            Sku(
                sku_code="HD-WHT-M",
                product_id=hoodie.id,
                color_zh="白色",
                color_en="white",
                size="M",
                price=Decimal("199"),
                stock=3,
            ),
            Sku(
                sku_code="MUG-01", product_id=mug.id, color_zh="白色", color_en="white", price=Decimal("39"), stock=120
            ),
        ]
        s.add_all(skus)
        s.flush()

        def order(no: str, who: Customer, status: str, created: datetime, **kw: object) -> Order:
            o = Order(
                order_no=no,
                customer_id=who.id,
                status=status,
                total=kw.pop("total", Decimal("199")),
                payment_method=kw.pop("payment_method", "alipay"),
                recipient_name=who.name,
                recipient_phone=who.phone,
                province=kw.pop("province", "江苏"),
                city="南京",
                address="鼓楼区中山路 100 号",
                created_at=created,
                **kw,
            )
            s.add(o)
            s.flush()
            return o

        def ship(o: Order, waybill: str, status: str, shipped: datetime, delivered: datetime | None = None) -> Shipment:
            sh = Shipment(
                order_id=o.id,
                carrier="ZTO",
                waybill_no=waybill,
                status=status,
                shipped_at=shipped,
                delivered_at=delivered,
                signed_by="本人" if delivered else None,
            )
            s.add(sh)
            s.flush()
            return sh

        def event(
            sh: Shipment, n: int, when: datetime, place: str, zh: str, en: str, status: str = "in_transit"
        ) -> None:
            s.add(
                TrackingEvent(
                    shipment_id=sh.id,
                    external_id=f"E{n}",
                    occurred_at=when,
                    location=place,
                    status=status,
                    description_zh=zh,
                    description_en=en,
                )
            )

        o1 = order(IN_TRANSIT, alice, "shipped", at(d - timedelta(days=3)))
        s.add(
            OrderItem(
                order_id=o1.id,
                sku_id=skus[0].id,
                name_zh="连帽卫衣 黑色 M",
                name_en="Hooded sweatshirt, black, M",
                unit_price=Decimal("199"),
            )
        )
        sh1 = ship(o1, WAYBILL_IN_TRANSIT, "in_transit", at(d - timedelta(days=2), 15))
        event(sh1, 1, at(d - timedelta(days=2), 16), "杭州", "杭州转运中心已揽收", "Picked up at Hangzhou hub")
        event(sh1, 2, at(d - timedelta(days=1), 9, 30), "南京", "到达南京转运中心", "Arrived at Nanjing hub")

        o2 = order(BOBS_ORDER, bob, "shipped", at(d - timedelta(days=3)))
        sh2 = ship(o2, "ZT7700112233446", "in_transit", at(d - timedelta(days=2)))
        event(sh2, 1, at(d - timedelta(days=1)), "上海", "到达上海转运中心", "Arrived at Shanghai hub")

        def parcel(no: str, signed: datetime, waybill: str) -> Order:
            o = order(
                no,
                shipper,
                "delivered",
                signed - timedelta(days=3),
                kind="parcel",
                payment_method="cod",
                total=Decimal("368"),
            )
            ship(o, waybill, "delivered", signed - timedelta(days=2), signed)
            return o

        o3 = parcel(HELD, at(date(2026, 11, 12), 14), "YXE1000000003")
        s.add(
            Remittance(
                external_id="R3",
                order_id=o3.id,
                amount=Decimal("368"),
                fee=Decimal("3.68"),
                status="held",
                collected_at=at(date(2026, 11, 12), 14),
                scheduled_for=date(2026, 11, 17),
                hold_reason="account_mismatch",
                held_at=at(date(2026, 11, 17), 9),
                account_last4="6688",
            )
        )
        o4 = parcel(HOLIDAY, at(date(2026, 9, 29), 11), "YXE1000000004")
        s.add(
            Remittance(
                external_id="R4",
                order_id=o4.id,
                amount=Decimal("368"),
                fee=Decimal("3.68"),
                status="remitted",
                collected_at=at(date(2026, 9, 29), 11),
                scheduled_for=date(2026, 10, 9),
                remitted_at=at(date(2026, 10, 9), 10),
                account_last4="6688",
            )
        )
        o5 = parcel(PENDING, at(date(2026, 11, 20), 16), "YXE1000000005")
        s.add(
            Remittance(
                external_id="R5",
                order_id=o5.id,
                amount=Decimal("368"),
                fee=Decimal("3.68"),
                status="pending",
                collected_at=at(date(2026, 11, 20), 16),
                scheduled_for=date(2026, 11, 25),
                account_last4="6688",
            )
        )

        o6 = order(DAMAGED, alice, "delivered", at(d - timedelta(days=5)), total=Decimal("238"))
        s.add_all(
            [
                OrderItem(
                    order_id=o6.id,
                    sku_id=skus[3].id,
                    name_zh="陶瓷马克杯",
                    name_en="Ceramic mug",
                    unit_price=Decimal("39"),
                ),
                OrderItem(
                    order_id=o6.id,
                    sku_id=skus[0].id,
                    name_zh="连帽卫衣 黑色 M",
                    name_en="Hooded sweatshirt, black, M",
                    unit_price=Decimal("199"),
                ),
            ]
        )
        ship(o6, "ZT7700112233447", "delivered", at(d - timedelta(days=3)), at(d - timedelta(days=1), 18))

        o7 = order(REFUNDING, alice, "delivered", at(date(2026, 11, 1)))
        ship(o7, "ZT7700112233449", "delivered", at(date(2026, 11, 2)), at(date(2026, 11, 4), 12))
        s.add(
            Payment(
                external_id="PAY7",
                order_id=o7.id,
                method="alipay",
                status="paid",
                amount=Decimal("199"),
                paid_at=at(date(2026, 11, 1)),
            )
        )
        s.add(
            Refund(
                external_id="RF7",
                order_id=o7.id,
                type="return_and_refund",
                status="return_received",
                amount=Decimal("199"),
                method="alipay",
                requested_at=at(date(2026, 11, 18)),
                return_received_at=at(date(2026, 11, 22), 15),
            )
        )

        o8 = order(STUCK, alice, "shipped", at(date(2026, 11, 12)))
        sh8 = ship(o8, "ZT7700112233448", "in_transit", at(date(2026, 11, 13)))
        event(sh8, 1, at(d - timedelta(days=4), 8), "郑州", "离开郑州转运中心", "Left Zhengzhou hub")
        s.add(Claim(claim_no="CL-OLD", order_id=o4.id, kind="damage", status="paid"))
