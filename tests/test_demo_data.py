"""The demo data set: deterministic, true to the merchant's rules, its showcase orders in their states."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from bot.nlu.entities import extract_entities
from bot.store import Conversation
from core.config import Settings
from core.db import Database
from merchant.business_days import BusinessCalendar, load_calendar
from merchant.demo import SHOWCASE, DemoDataExists, generate, load_if_empty
from merchant.models import Customer, Order, Refund, Remittance, Shipment, Sku, TrackingEvent
from tests.conftest import IN_CI, on_services
from triage.cli import main

TODAY = date(2026, 11, 23)
SHANGHAI = ZoneInfo("Asia/Shanghai")
MIDNIGHT = datetime(2026, 11, 23, tzinfo=SHANGHAI)


def fresh(tmp_path: Path, name: str = "t.db") -> Database:
    db = Database(f"sqlite:///{tmp_path / name}")
    db.migrate()
    return db


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Database:
    db = fresh(tmp_path_factory.mktemp("demo"))
    generate(db, orders=600, today=TODAY)
    return db


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    with db.session() as s:
        yield s


@pytest.fixture
def calendar(session: Session) -> BusinessCalendar:
    return load_calendar(session)


def showcase(session: Session, n: int) -> Order:
    query = select(Order).options(selectinload(Order.shipments).selectinload(Shipment.events))
    return session.scalars(query.where(Order.order_no == SHOWCASE[n - 1].order_no)).one()


def local(moment: datetime) -> datetime:
    return moment.astimezone(SHANGHAI)


def signed_day(order: Order) -> date:
    (shipment,) = order.shipments
    assert shipment.status == "delivered" and shipment.delivered_at is not None
    return local(shipment.delivered_at).date()


def remittance(session: Session, order: Order) -> Remittance:
    return session.scalars(select(Remittance).where(Remittance.order_id == order.id)).one()


def refund(session: Session, order: Order) -> Refund:
    return session.scalars(select(Refund).where(Refund.order_id == order.id)).one()


def table_rows(db: Database, model: Any) -> list[tuple[Any, ...]]:
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(model.__table__).order_by(model.__table__.c.id))]


def test_same_seed_and_today_give_identical_rows(tmp_path: Path) -> None:
    first, second, other = fresh(tmp_path, "a.db"), fresh(tmp_path, "b.db"), fresh(tmp_path, "c.db")
    for db, seed in ((first, 7), (second, 7), (other, 8)):
        generate(db, orders=120, seed=seed, today=TODAY)
    for model in (Order, TrackingEvent, Remittance, Customer, Sku):
        assert table_rows(first, model) == table_rows(second, model)
    assert table_rows(first, Order) != table_rows(other, Order)


def test_every_showcase_order_belongs_to_the_documented_phone(session: Session) -> None:
    owners = {}
    for case in SHOWCASE:
        order = showcase(session, case.n)
        assert order.customer.phone == case.phone
        owners[order.customer.phone[-4:]] = order.customer.id
    assert len(owners) == len({c.phone for c in SHOWCASE})  # distinct customers, distinct last four digits
    assert showcase(session, 11).customer_id != showcase(session, 1).customer_id


def test_in_transit_order_was_scanned_last_night(session: Session) -> None:
    order = showcase(session, 1)
    (shipment,) = order.shipments
    assert (order.status, shipment.status) == ("shipped", "in_transit")
    assert timedelta(0) < MIDNIGHT - shipment.events[-1].occurred_at < timedelta(days=1)
    assert local(order.created_at).strftime("%m-%d %H:%M") == "11-21 10:12"  # stored in UTC, China time intact


def test_stuck_order_has_not_moved_for_four_days(session: Session) -> None:
    order = showcase(session, 2)
    (shipment,) = order.shipments
    assert (order.status, shipment.status) == ("shipped", "in_transit")
    assert local(shipment.events[-1].occurred_at).date() == TODAY - timedelta(days=4)


def test_parcel_signed_yesterday_waits_for_its_t_plus_3_remittance(
    session: Session, calendar: BusinessCalendar
) -> None:
    order = showcase(session, 3)
    signed = signed_day(order)
    assert calendar.business_days_between(signed, TODAY) == 1
    money = remittance(session, order)
    assert money.status == "pending" and money.remitted_at is None
    assert money.scheduled_for == calendar.add_business_days(signed, 3) > TODAY
    assert money.fee == (money.amount / 100).quantize(Decimal("0.01"))


def test_holiday_pushes_the_remittance_past_the_holiday(session: Session, calendar: BusinessCalendar) -> None:
    order = showcase(session, 4)
    signed = signed_day(order)
    money = remittance(session, order)
    due = calendar.add_business_days(signed, 3)
    assert money.scheduled_for == due
    assert due > BusinessCalendar().add_business_days(signed, 3)  # weekends alone would have paid earlier
    holidays = calendar.holidays_between(signed, due)
    assert holidays and due > holidays[-1].day
    assert (signed, due) == (date(2026, 9, 29), date(2026, 10, 9))  # National Day 2026
    assert money.status == "remitted" and money.remitted_at is not None and local(money.remitted_at).date() == due


def test_held_remittance_is_for_an_account_in_another_name(session: Session, calendar: BusinessCalendar) -> None:
    order = showcase(session, 5)
    money = remittance(session, order)
    assert (money.status, money.hold_reason) == ("held", "account_mismatch")
    assert money.scheduled_for is not None and money.scheduled_for < TODAY
    shipper = order.customer
    assert shipper.kind == "shipper" and shipper.registered_name != shipper.bank_account_holder
    assert 8 <= (TODAY - signed_day(order)).days <= 12


def test_return_received_refund_is_still_due_to_alipay(session: Session) -> None:
    order = showcase(session, 6)
    back = refund(session, order)
    assert (order.status, back.type, back.status, back.method) == (
        "delivered",
        "return_and_refund",
        "return_received",
        "alipay",
    )
    assert back.return_received_at is not None and back.refunded_at is None
    assert [step["status"] for step in back.timeline] == ["requested", "awaiting_return", "return_received"]


def test_rejected_refund_says_why(session: Session) -> None:
    back = refund(session, showcase(session, 7))
    assert back.status == "rejected" and back.reject_reason is not None and "吊牌" in back.reject_reason


def test_damaged_order_was_delivered_yesterday_with_two_items_and_no_claim(session: Session) -> None:
    order = showcase(session, 8)
    assert signed_day(order) == TODAY - timedelta(days=1)
    assert len(order.items) == 2 and not order_claims(session, order)


def order_claims(session: Session, order: Order) -> list[Any]:
    from merchant.models import Claim

    return list(session.scalars(select(Claim).where(Claim.order_id == order.id)))


def test_paid_order_is_not_dispatched_yet(session: Session) -> None:
    order = showcase(session, 9)
    assert order.status == "paid" and order.shipments == []


def test_old_order_was_delivered_two_months_ago(session: Session) -> None:
    order = showcase(session, 10)
    assert order.status == "delivered" and (TODAY - signed_day(order)).days > 50


def test_the_busy_shipper_owns_several_parcels(session: Session) -> None:
    shipper = showcase(session, 3).customer
    parcels = session.scalar(select(func.count()).where(Order.customer_id == shipper.id, Order.kind == "parcel"))
    assert parcels is not None and parcels >= 5


def test_the_bot_recognises_every_order_and_waybill_number(session: Session) -> None:
    numbers = [("order_id", n) for n in session.scalars(select(Order.order_no))]
    numbers += [("waybill", n) for n in session.scalars(select(Shipment.waybill_no))]
    for kind, number in numbers:
        assert [(e.entity, e.value) for e in extract_entities(f"查一下 {number}")] == [(kind, number)]


def test_cash_on_delivery_stays_within_2000_yuan(session: Session) -> None:
    totals = list(session.scalars(select(Order.total).where(Order.payment_method == "cod")))
    assert totals and max(totals) <= 2000


def test_order_statuses_agree_with_their_tracking(session: Session) -> None:
    orders = session.scalars(select(Order).options(selectinload(Order.shipments).selectinload(Shipment.events)))
    window = MIDNIGHT - timedelta(days=91)
    for order in orders:
        assert order.created_at <= order.updated_at <= MIDNIGHT
        assert order.created_at >= window or order.order_no in {c.order_no for c in SHOWCASE}
        events = [e for s in order.shipments for e in s.events]
        assert [e.occurred_at for e in events] == sorted(e.occurred_at for e in events)
        assert all(e.occurred_at <= MIDNIGHT for e in events)
        allowed = {
            "delivered": {"delivered"},
            "shipped": {"in_transit", "out_for_delivery"},
            "paid": {"created"} if order.kind == "parcel" else set(),  # a parcel waits for its pick-up
        }.get(order.status, set())
        assert len(order.shipments) == (1 if allowed else 0), order.order_no
        assert all(s.status in allowed for s in order.shipments), order.order_no


def test_remittances_follow_t_plus_3_business_days_less_one_percent(
    session: Session, calendar: BusinessCalendar
) -> None:
    rows = session.execute(select(Remittance, Shipment).join(Shipment, Shipment.order_id == Remittance.order_id))
    seen = set()
    for money, shipment in rows:
        seen.add(money.status)
        assert money.fee == (money.amount / 100).quantize(Decimal("0.01"))
        if shipment.delivered_at is None:
            assert money.status == "awaiting_collection" and money.scheduled_for is None
            continue
        assert money.scheduled_for == calendar.add_business_days(local(shipment.delivered_at).date(), 3)
        assert (money.status == "pending") == (money.scheduled_for >= TODAY)
    assert {"awaiting_collection", "pending", "remitted", "held"} <= seen


def test_catalogue_has_a_black_hoodie_in_m_and_a_sold_out_sku_coming_back(session: Session) -> None:
    skus = session.scalars(select(Sku).options(selectinload(Sku.product))).all()
    hoodie = [s for s in skus if "hoodie" in s.product.name_en.lower() and s.color_en == "black" and s.size == "M"]
    assert [s.stock for s in hoodie] == [23]
    assert any(s.stock == 0 and s.restock_date is not None and s.restock_date > TODAY for s in skus)
    assert any(s.presale and s.presale_ship_date is not None and s.presale_ship_date > TODAY for s in skus)


def test_load_if_empty_loads_only_once(tmp_path: Path) -> None:
    db = fresh(tmp_path)
    assert load_if_empty(db, orders=40) is True
    assert load_if_empty(db, orders=40) is False
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Order)) == 40


def test_generate_refuses_a_database_with_orders(tmp_path: Path) -> None:
    db = fresh(tmp_path)
    generate(db, orders=20, today=TODAY)
    with pytest.raises(DemoDataExists, match="--replace"):
        generate(db, orders=20, today=TODAY)


def test_cli_refuses_existing_orders_unless_replace_which_keeps_conversations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    args = ["demo-data", "--orders", "30", "--today", "2026-11-23", "--database-url", url]
    assert main(args) == 0
    db = Database(url)
    with db.session() as s:
        s.add(Conversation(id="c1", sender_id="u1"))
    assert main(args) == 2
    assert "--replace" in capsys.readouterr().err
    assert main([*args[:2], "50", *args[3:], "--replace"]) == 0
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Order)) == 50
        assert s.get(Conversation, "c1") is not None


PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _postgres_problem() -> str | None:
    try:
        psycopg.connect(PG_URL, connect_timeout=3).close()
    except psycopg.Error as exc:
        if IN_CI:
            raise
        return f"PostgreSQL at {PG_URL} is not reachable ({exc.__class__.__name__})"
    return None


@pytest.fixture
def postgres() -> Iterator[Database]:
    """The real PostgreSQL, in a schema of its own dropped afterwards."""
    problem = _postgres_problem()
    if problem:
        pytest.skip(problem)
    schema = f"demo_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = Settings.from_env(
        {"TRIAGE_ENV": "demo"}, database_url=f"{PG_URL}?options=-csearch_path%3D{schema}"
    ).database_url
    db = Database(url)
    try:
        db.migrate()
        yield db
    finally:
        db.engine.dispose()
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@on_services
def test_postgres_copy_writes_the_same_rows_as_sqlite(postgres: Database, tmp_path: Path) -> None:
    lite = fresh(tmp_path)
    for db in (postgres, lite):
        generate(db, orders=150, today=TODAY)
    for model in (Order, TrackingEvent, Remittance, Refund, Customer, Sku):
        assert table_rows(postgres, model) == table_rows(lite, model)
    with postgres.session() as s:  # the id sequences were moved past the ids the demo set
        s.add(Customer(external_id="after-demo", name="新客户", phone="13900000000"))
        s.flush()
        assert s.scalar(select(func.max(Customer.id))) == len(table_rows(lite, Customer)) + 1
