"""The merchant's data as the actions read it (merchant/store.py and the rows beside it), giving
the same answers from SQLite and from PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from merchant.business_days import seed_holidays
from merchant.models import Holiday, Payment, Refund, Remittance
from merchant.store import MERCHANT_TZ, MerchantData, find_order, local, recent_orders
from tests import merchant
from tests.backends import Backend, backend_fixture  # noqa: F401  (the `backend` fixture: each test runs on both)

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=MERCHANT_TZ)


@pytest.fixture
def shop(backend: Backend) -> MerchantData:
    """The demo slice of merchant data and the 2026 holiday calendar, on the clock of conftest.NOW."""
    merchant.load(backend.db)
    with backend.db.session() as s:
        seed_holidays(s, [2026])
    return MerchantData(backend.db, now=lambda: NOW)


def test_an_order_is_found_by_its_number_in_any_case_with_its_customer(shop: MerchantData) -> None:
    with shop.db.session() as s:
        order = find_order(s, order_no=merchant.IN_TRANSIT.lower())
        assert find_order(s, order_no="YX20990101000000") is None
        assert find_order(s) is None
    assert order is not None and order.order_no == merchant.IN_TRANSIT
    # Loaded with the order: the customer is there after the session has closed.
    assert (order.customer.external_id, order.customer.phone) == ("C-ALICE", merchant.ALICE_PHONE)
    assert (order.status, order.total, order.payment_method) == ("shipped", Decimal("199.00"), "alipay")
    assert local(order.created_at) == datetime(2026, 11, 20, 10, 0, tzinfo=MERCHANT_TZ)


def test_an_order_is_found_by_the_waybill_of_its_parcel(shop: MerchantData) -> None:
    with shop.db.session() as s:
        order = find_order(s, waybill=merchant.WAYBILL_IN_TRANSIT.lower())
        assert order is not None and order.order_no == merchant.IN_TRANSIT
        assert find_order(s, waybill="ZT0000000000000") is None
        (shipment,) = order.shipments
        assert (shipment.carrier, shipment.status, shipment.delivered_at) == ("ZTO", "in_transit", None)
        assert [(e.location, e.description_en) for e in shipment.events] == [
            ("杭州", "Picked up at Hangzhou hub"),
            ("南京", "Arrived at Nanjing hub"),
        ]
        assert local(shipment.events[-1].occurred_at) == datetime(2026, 11, 22, 9, 30, tzinfo=MERCHANT_TZ)


def test_a_customers_recent_orders_are_their_newest_three_newest_first(shop: MerchantData) -> None:
    with shop.db.session() as s:
        alices = [o.order_no for o in recent_orders(s, phone=merchant.ALICE_PHONE)]
        everything = [o.order_no for o in recent_orders(s, phone=merchant.ALICE_PHONE, limit=10)]
        bobs = [o.order_no for o in recent_orders(s, phone=merchant.BOB_PHONE)]
        assert recent_orders(s, phone="13000000000") == []
    assert alices == [merchant.IN_TRANSIT, merchant.DAMAGED, merchant.STUCK]
    assert everything == [*alices, merchant.REFUNDING]
    assert bobs == [merchant.BOBS_ORDER]  # never anyone else's


def test_remittances_read_back_to_the_cent_and_the_day(shop: MerchantData) -> None:
    with shop.db.session() as s:
        rows = {r.external_id: r for r in s.scalars(select(Remittance))}
    held, remitted, pending = rows["R3"], rows["R4"], rows["R5"]
    assert (held.status, held.hold_reason, held.account_last4) == ("held", "account_mismatch", "6688")
    assert held.held_at is not None and local(held.held_at).date() == date(2026, 11, 17)
    assert held.scheduled_for == date(2026, 11, 17) and held.remitted_at is None
    # What the payment action computes and shows: the net after the fee, and the amount as text.
    assert held.amount - held.fee == Decimal("364.32")
    assert (str(held.amount), str(held.fee)) == ("368.00", "3.68")
    assert remitted.remitted_at is not None and local(remitted.remitted_at).date() == date(2026, 10, 9)
    assert pending.scheduled_for == date(2026, 11, 25)
    assert pending.collected_at is not None and local(pending.collected_at) == datetime(
        2026, 11, 20, 16, 0, tzinfo=MERCHANT_TZ
    )


def test_the_payment_action_finds_each_parcels_remittance_and_a_shop_orders_payment(shop: MerchantData) -> None:
    with shop.db.session() as s:
        for order_no, status in (
            (merchant.HELD, "held"),
            (merchant.HOLIDAY, "remitted"),
            (merchant.PENDING, "pending"),
        ):
            order = find_order(s, order_no=order_no)
            assert order is not None and order.kind == "parcel" and order.customer.kind == "shipper"
            latest = s.scalars(
                select(Remittance).where(Remittance.order_id == order.id).order_by(Remittance.id.desc())
            ).first()
            assert latest is not None and latest.status == status
        refunding = find_order(s, order_no=merchant.REFUNDING)
        assert refunding is not None
        payment = s.scalars(select(Payment).where(Payment.order_id == refunding.id)).one()
        assert (payment.method, payment.status, payment.amount) == ("alipay", "paid", Decimal("199.00"))


def test_the_refund_action_finds_the_latest_refund_of_an_order(shop: MerchantData) -> None:
    with shop.db.session() as s:
        order = find_order(s, order_no=merchant.REFUNDING)
        assert order is not None
        s.add(
            Refund(
                external_id="RF7-OLD",
                order_id=order.id,
                type="refund_only",
                status="rejected",
                amount=Decimal("20"),
                method="alipay",
                requested_at=datetime(2026, 11, 5, 9, 0, tzinfo=MERCHANT_TZ),
            )
        )
    with shop.db.session() as s:
        refund = s.scalars(
            select(Refund).where(Refund.order_id == order.id).order_by(Refund.requested_at.desc())
        ).first()
        none_here = find_order(s, order_no=merchant.IN_TRANSIT)
        assert none_here is not None
        assert s.scalars(select(Refund).where(Refund.order_id == none_here.id)).first() is None
    assert refund is not None and refund.external_id == "RF7"
    assert (refund.type, refund.status, refund.method, str(refund.amount)) == (
        "return_and_refund",
        "return_received",
        "alipay",
        "199.00",
    )
    assert refund.return_received_at is not None
    assert local(refund.return_received_at) == datetime(2026, 11, 22, 15, 0, tzinfo=MERCHANT_TZ)
    assert refund.timeline == [] and refund.refunded_at is None


def test_the_holiday_calendar_pushes_a_payout_past_national_day(shop: MerchantData) -> None:
    calendar = shop.calendar()
    assert not calendar.is_business_day(date(2026, 10, 1))  # 国庆节
    assert calendar.is_business_day(date(2026, 10, 10))  # a Saturday worked in exchange (调休)
    assert calendar.closures[date(2026, 10, 1)].name_zh == "国庆节"
    # The demo's parcel signed on 9/29 is paid out T+3 on 10/9, as its remittance says.
    assert calendar.add_business_days(date(2026, 9, 29), 3) == date(2026, 10, 9)
    assert calendar.add_business_days(date(2026, 11, 20), 3) == date(2026, 11, 25)
    assert [c.day for c in calendar.holidays_between(date(2026, 9, 29), date(2026, 10, 9))] == [
        date(2026, 10, 1) + timedelta(days=n) for n in (0, 1, 2, 4, 5, 6)
    ]
    assert shop.today() == date(2026, 11, 23)


def test_seeding_holidays_again_adds_none_and_keeps_the_merchants_own_days(backend: Backend) -> None:
    with backend.db.session() as s:
        s.add(Holiday(day=date(2026, 10, 1), kind="workday", name_zh="值班", name_en="On duty"))
    with backend.db.session() as s:
        first = seed_holidays(s, [2026])
    with backend.db.session() as s:
        assert seed_holidays(s, [2026]) == 0
        assert first > 20
        assert s.scalar(select(Holiday.kind).where(Holiday.day == date(2026, 10, 1))) == "workday"
    assert MerchantData(backend.db, now=lambda: NOW).calendar().is_business_day(date(2026, 10, 1))


def test_product_names_include_every_alias_lower_cased(shop: MerchantData) -> None:
    names = {p.external_id: p for p in shop.product_names()}
    assert set(names) == {"P-HOODIE", "P-MUG"}
    assert names["P-HOODIE"].names == ("连帽卫衣", "hooded sweatshirt", "卫衣", "hoodie")
    assert names["P-MUG"].name_en == "Ceramic mug"
