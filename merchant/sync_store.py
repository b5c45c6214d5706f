"""The sync API's writes: keyword-only upserts over a session, checked whole before writing.

Every batch is checked first (unknown references, repeated ids), all problems named by
field path; then each table is read once with an `IN` query for the whole batch.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload

from core import errors
from core.db import Base
from merchant.models import (
    Customer,
    Holiday,
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
from merchant.sync_models import (
    CustomerIn,
    HolidayIn,
    OrderIn,
    OrderItemIn,
    PaymentIn,
    ProductIn,
    RefundIn,
    RemittanceIn,
    ShipmentIn,
    StockIn,
    TrackingEventFields,
    TrackingEventIn,
)

MAX_PROBLEMS_SHOWN = 20

Counts = tuple[int, int]  # (created, updated)
E = TypeVar("E", bound=Base)


class RejectedBatch(errors.Unprocessable):
    """Items that cannot be stored as sent (unknown references, repeated ids), by field path."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        more = len(self.problems) - MAX_PROBLEMS_SHOWN
        super().__init__("; ".join(self.problems[:MAX_PROBLEMS_SHOWN]) + (f"; and {more} more" if more > 0 else ""))


# --- checks and shared upsert steps ------------------------------------------------------------


class _Check:
    """Collects every problem of a batch before anything is written, so the merchant fixes all at once."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def unique(self, keyed: Iterable[tuple[str, Hashable]]) -> None:
        seen: dict[Hashable, str] = {}
        for loc, key in keyed:
            if key in seen:
                self.problems.append(f"{loc}: {key!r} is sent twice (also at {seen[key]})")
            seen.setdefault(key, loc)

    def known(self, found: Mapping[Any, int], keyed: Iterable[tuple[str, Any]], what: str) -> None:
        self.problems += [f"{loc}: unknown {what} {key!r}" for loc, key in keyed if key not in found]

    def done(self) -> None:
        if self.problems:
            raise RejectedBatch(self.problems)


def _rows_by(
    session: Session, column: InstrumentedAttribute[Any], keys: Iterable[Any], *options: Any
) -> dict[Any, Any]:
    """Rows whose `column` is one of `keys`, by that value: one IN query for the whole batch."""
    wanted = set(keys)
    if not wanted:
        return {}
    rows = session.scalars(select(column.class_).where(column.in_(wanted)).options(*options))
    return {getattr(row, column.key): row for row in rows}


def _ids_by(session: Session, column: InstrumentedAttribute[Any], keys: Iterable[Any]) -> dict[Any, int]:
    """Our ids for the merchant's `keys` (order numbers, external ids …): one IN query."""
    wanted = {k for k in keys if k is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(column, column.class_.id).where(column.in_(wanted))).all())


def _assign(row: Base, values: Mapping[str, Any]) -> None:
    """Set only what differs, so a re-sent record leaves its row (and `updated_at`) untouched."""
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)


def _upsert(
    session: Session, entity: type[E], existing: Mapping[Any, E], records: Iterable[tuple[Any, dict[str, Any]]]
) -> tuple[list[E], int]:
    """Update the rows in `existing` by key, add the others; the rows in order and how many were new."""
    rows, created = [], 0
    for key, values in records:
        row = existing.get(key)
        if row is None:
            row = entity(**values)
            session.add(row)
            created += 1
        else:
            _assign(row, values)
        rows.append(row)
    return rows, created


def _indexed(items: Sequence[Any], field: str) -> list[tuple[str, Any]]:
    return [(f"items.{i}.{field}", getattr(item, field)) for i, item in enumerate(items)]


# --- upserts ---------------------------------------------------------------------------------


def upsert_customers(session: Session, *, items: Sequence[CustomerIn]) -> Counts:
    check = _Check()
    check.unique(_indexed(items, "external_id"))
    check.done()
    existing = _rows_by(session, Customer.external_id, (c.external_id for c in items))
    _, created = _upsert(session, Customer, existing, ((c.external_id, c.model_dump()) for c in items))
    return created, len(items) - created


def upsert_products(session: Session, *, items: Sequence[ProductIn]) -> Counts:
    """Products and their SKUs; a SKU sent under another product moves to it."""
    check = _Check()
    check.unique(_indexed(items, "external_id"))
    check.unique(
        (f"items.{i}.skus.{j}.sku_code", s.sku_code) for i, p in enumerate(items) for j, s in enumerate(p.skus)
    )
    check.done()
    existing = _rows_by(session, Product.external_id, (p.external_id for p in items))
    records = ((p.external_id, p.model_dump(exclude={"skus"})) for p in items)
    products, created = _upsert(session, Product, existing, records)
    session.flush()  # new products get their ids
    skus = [(product.id, sku) for product, item in zip(products, items, strict=True) for sku in item.skus]
    known = _rows_by(session, Sku.sku_code, (s.sku_code for _, s in skus))
    _upsert(session, Sku, known, ((s.sku_code, s.model_dump() | {"product_id": pid}) for pid, s in skus))
    return created, len(items) - created


def update_stock(session: Session, *, items: Sequence[StockIn]) -> Counts:
    check = _Check()
    check.unique(_indexed(items, "sku_code"))
    known = _rows_by(session, Sku.sku_code, (s.sku_code for s in items))
    check.known(known, _indexed(items, "sku_code"), "SKU")
    check.done()
    for item in items:
        _assign(known[item.sku_code], item.model_dump(exclude_unset=True, exclude={"sku_code"}))
    return 0, len(items)


def upsert_orders(session: Session, *, items: Sequence[OrderIn]) -> Counts:
    """Orders by order_no; an order's `items`, when sent, replace the stored lines."""
    lines = [(f"items.{i}.items.{j}.sku_code", li) for i, o in enumerate(items) for j, li in enumerate(o.items or ())]
    check = _Check()
    check.unique(_indexed(items, "order_no"))
    customers = _ids_by(session, Customer.external_id, (o.customer_external_id for o in items))
    check.known(customers, _indexed(items, "customer_external_id"), "customer")
    skus = _ids_by(session, Sku.sku_code, (li.sku_code for _, li in lines))
    check.known(skus, ((loc, li.sku_code) for loc, li in lines if li.sku_code is not None), "SKU")
    check.done()
    existing = _rows_by(session, Order.order_no, (o.order_no for o in items), selectinload(Order.items))
    records = (
        (
            o.order_no,
            o.model_dump(exclude={"customer_external_id", "items"})
            | {"customer_id": customers[o.customer_external_id]},
        )
        for o in items
    )
    orders, created = _upsert(session, Order, existing, records)
    for order, item in zip(orders, items, strict=True):
        if item.items is None:
            continue
        wanted = [li.model_dump(exclude={"sku_code"}) | {"sku_id": skus.get(li.sku_code)} for li in item.items]
        if [_order_line(line) for line in order.items] != wanted:
            order.items = [OrderItem(**line) for line in wanted]
    return created, len(items) - created


def _order_line(line: OrderItem) -> dict[str, Any]:
    return {name: getattr(line, name) for name in OrderItemIn.model_fields if name != "sku_code"} | {
        "sku_id": line.sku_id
    }


def upsert_shipments(session: Session, *, items: Sequence[ShipmentIn]) -> Counts:
    """Shipments by waybill_no; their nested `events` are upserted like /tracking-events."""
    check = _Check()
    check.unique(_indexed(items, "waybill_no"))
    check.unique(
        (f"items.{i}.events.{j}.external_id", (s.waybill_no, e.external_id))
        for i, s in enumerate(items)
        for j, e in enumerate(s.events)
    )
    orders = _ids_by(session, Order.order_no, (s.order_no for s in items))
    check.known(orders, _indexed(items, "order_no"), "order")
    check.done()
    existing = _rows_by(session, Shipment.waybill_no, (s.waybill_no for s in items))
    records = (
        (s.waybill_no, s.model_dump(exclude={"order_no", "events"}) | {"order_id": orders[s.order_no]}) for s in items
    )
    shipments, created = _upsert(session, Shipment, existing, records)
    session.flush()  # new shipments get their ids
    _upsert_events(session, [(row.id, e) for row, s in zip(shipments, items, strict=True) for e in s.events])
    return created, len(items) - created


def upsert_tracking_events(session: Session, *, items: Sequence[TrackingEventIn]) -> Counts:
    check = _Check()
    check.unique((f"items.{i}.external_id", (e.waybill_no, e.external_id)) for i, e in enumerate(items))
    shipments = _ids_by(session, Shipment.waybill_no, (e.waybill_no for e in items))
    check.known(shipments, _indexed(items, "waybill_no"), "waybill")
    check.done()
    return _upsert_events(session, [(shipments[e.waybill_no], e) for e in items])


def _upsert_events(session: Session, events: Sequence[tuple[int, TrackingEventFields]]) -> Counts:
    """Tracking events by (shipment, external_id); loads the few events of those shipments at once."""
    shipment_ids = {sid for sid, _ in events}
    if not shipment_ids:
        return 0, 0
    stored = session.scalars(select(TrackingEvent).where(TrackingEvent.shipment_id.in_(shipment_ids)))
    existing = {(e.shipment_id, e.external_id): e for e in stored}
    fields = set(TrackingEventFields.model_fields)
    records = (((sid, e.external_id), e.model_dump(include=fields) | {"shipment_id": sid}) for sid, e in events)
    _, created = _upsert(session, TrackingEvent, existing, records)
    return created, len(events) - created


def _upsert_order_records(
    session: Session, entity: type[E], items: Sequence[PaymentIn | RemittanceIn | RefundIn]
) -> Counts:
    """Payments, remittances and refunds: by external_id, attached to an order by order_no."""
    check = _Check()
    check.unique(_indexed(items, "external_id"))
    orders = _ids_by(session, Order.order_no, (x.order_no for x in items))
    check.known(orders, _indexed(items, "order_no"), "order")
    check.done()
    existing = _rows_by(session, getattr(entity, "external_id"), (x.external_id for x in items))  # noqa: B009
    records = ((x.external_id, x.model_dump(exclude={"order_no"}) | {"order_id": orders[x.order_no]}) for x in items)
    _, created = _upsert(session, entity, existing, records)
    return created, len(items) - created


def upsert_payments(session: Session, *, items: Sequence[PaymentIn]) -> Counts:
    return _upsert_order_records(session, Payment, items)


def upsert_remittances(session: Session, *, items: Sequence[RemittanceIn]) -> Counts:
    return _upsert_order_records(session, Remittance, items)


def upsert_refunds(session: Session, *, items: Sequence[RefundIn]) -> Counts:
    return _upsert_order_records(session, Refund, items)


def upsert_holidays(session: Session, *, items: Sequence[HolidayIn]) -> Counts:
    check = _Check()
    check.unique(_indexed(items, "day"))
    check.done()
    existing = _rows_by(session, Holiday.day, (h.day for h in items))
    _, created = _upsert(session, Holiday, existing, ((h.day, h.model_dump()) for h in items))
    return created, len(items) - created


# --- reading back ----------------------------------------------------------------------------


def order_snapshot(session: Session, *, order_no: str) -> dict[str, Any] | None:
    """Everything we hold for an order, in the shapes the merchant sends; None if unknown."""
    order = session.scalars(
        select(Order)
        .where(Order.order_no == order_no)
        .options(selectinload(Order.items), selectinload(Order.shipments).selectinload(Shipment.events))
    ).one_or_none()
    if order is None:
        return None
    line_skus = {li.sku_id for li in order.items if li.sku_id is not None}
    sku_codes = dict(session.execute(select(Sku.id, Sku.sku_code).where(Sku.id.in_(line_skus))).all())

    def records(entity: Any, model: type[BaseModel]) -> list[dict[str, Any]]:
        rows = session.scalars(select(entity).where(entity.order_id == order.id).order_by(entity.id))
        return [_fields(row, model, "order_no") for row in rows]

    return {
        **_fields(order, OrderIn, "customer_external_id", "items"),
        "customer_external_id": order.customer.external_id,
        "updated_at": _jsonable(order.updated_at),
        "items": [
            {"sku_code": sku_codes.get(li.sku_id) if li.sku_id else None, **_fields(li, OrderItemIn, "sku_code")}
            for li in order.items
        ],
        "shipments": [
            {
                **_fields(s, ShipmentIn, "order_no", "events"),
                "events": [_fields(e, TrackingEventFields) for e in s.events],
            }
            for s in order.shipments
        ],
        "payments": records(Payment, PaymentIn),
        "remittances": records(Remittance, RemittanceIn),
        "refunds": records(Refund, RefundIn),
    }


def _fields(row: Base, model: type[BaseModel], *leave_out: str) -> dict[str, Any]:
    return {name: _jsonable(getattr(row, name)) for name in model.model_fields if name not in leave_out}


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:.2f}"  # money as text: no float rounding on the way back
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
