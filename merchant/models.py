"""The merchant's data as the action server reads it: customers, catalogue, orders and money.

Every row a merchant system sends carries the merchant's own id (`external_id`, or the order
and waybill numbers customers see), which is what the sync API upserts on.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, JsonType, UtcDateTime, utcnow

Money = Numeric(12, 2)

# Customer kinds: buyers order from the shop; shippers send parcels through YX Express and
# are owed the cash-on-delivery money collected for them.
BUYER, SHIPPER = "buyer", "shipper"
ORDER_STATUSES = ("pending_payment", "paid", "shipped", "delivered", "cancelled", "closed")
PAYMENT_METHODS = ("wechat", "alipay", "card", "huabei", "cod", "bank_transfer")
PAYMENT_STATUSES = ("pending", "paid", "failed", "refunded")
SHIPMENT_STATUSES = ("created", "in_transit", "out_for_delivery", "delivered", "exception", "returned")
REMITTANCE_STATUSES = ("awaiting_collection", "pending", "remitted", "held")
HOLD_REASONS = ("account_mismatch", "card_closed", "under_review")
REFUND_TYPES = ("refund_only", "return_and_refund")
REFUND_STATUSES = ("requested", "approved", "awaiting_return", "return_received", "refunded", "rejected")
CLAIM_KINDS = ("damage", "loss", "missing")
CLAIM_STATUSES = ("awaiting_photos", "under_review", "approved", "rejected", "paid")


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default=BUYER)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(20), index=True)
    tier: Mapped[str] = mapped_column(String(16), default="regular")  # regular | vip
    # Shippers only: where their COD money goes, and the name it must be registered under.
    registered_name: Mapped[str | None] = mapped_column(String(120), nullable=True)
    bank_name: Mapped[str | None] = mapped_column(String(60), nullable=True)
    bank_account_holder: Mapped[str | None] = mapped_column(String(120), nullable=True)
    bank_account_last4: Mapped[str | None] = mapped_column(String(4), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(40), default="apparel")
    aliases: Mapped[list[str]] = mapped_column(JsonType, default=list)  # other names customers use
    skus: Mapped[list[Sku]] = relationship(back_populates="product", order_by="Sku.id")


class Sku(Base):
    __tablename__ = "skus"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sku_code: Mapped[str] = mapped_column(String(64), unique=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    color_zh: Mapped[str | None] = mapped_column(String(40), nullable=True)
    color_en: Mapped[str | None] = mapped_column(String(40), nullable=True)
    size: Mapped[str | None] = mapped_column(String(20), nullable=True)
    price: Mapped[Decimal] = mapped_column(Money)
    stock: Mapped[int] = mapped_column(Integer, default=0)
    restock_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    presale: Mapped[bool] = mapped_column(Boolean, default=False)
    presale_ship_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    product: Mapped[Product] = relationship(back_populates="skus")


class Order(Base):
    """A shop order (kind `shop`) or a shipper's parcel sent through YX Express (kind `parcel`)."""

    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_no: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="shop")
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    total: Mapped[Decimal] = mapped_column(Money)
    payment_method: Mapped[str] = mapped_column(String(20))
    recipient_name: Mapped[str] = mapped_column(String(120))
    recipient_phone: Mapped[str] = mapped_column(String(20))
    province: Mapped[str] = mapped_column(String(20))
    city: Mapped[str] = mapped_column(String(40))
    address: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    customer: Mapped[Customer] = relationship()
    items: Mapped[list[OrderItem]] = relationship(order_by="OrderItem.id", cascade="all, delete-orphan")
    shipments: Mapped[list[Shipment]] = relationship(order_by="Shipment.id", cascade="all, delete-orphan")


class OrderItem(Base):
    __tablename__ = "order_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    sku_id: Mapped[int | None] = mapped_column(ForeignKey("skus.id"), nullable=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    unit_price: Mapped[Decimal] = mapped_column(Money)


class Shipment(Base):
    __tablename__ = "shipments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    carrier: Mapped[str] = mapped_column(String(20))  # ZTO | SF | YTO | JD | YX
    waybill_no: Mapped[str] = mapped_column(String(40), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="created")
    shipped_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    signed_by: Mapped[str | None] = mapped_column(String(60), nullable=True)
    events: Mapped[list[TrackingEvent]] = relationship(
        order_by="TrackingEvent.occurred_at", cascade="all, delete-orphan"
    )


class TrackingEvent(Base):
    __tablename__ = "tracking_events"
    __table_args__ = (
        UniqueConstraint("shipment_id", "external_id"),
        Index("ix_tracking_events_shipment_time", "shipment_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    location: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20))
    description_zh: Mapped[str] = mapped_column(String(300))
    description_en: Mapped[str] = mapped_column(String(300))


class Payment(Base):
    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(Money)
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Remittance(Base):
    """Cash collected from the recipient of a shipper's parcel, and its remittance to the shipper."""

    __tablename__ = "cod_remittances"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)  # collected from the recipient
    fee: Mapped[Decimal] = mapped_column(Money)  # the 1% COD service fee
    status: Mapped[str] = mapped_column(String(20))
    collected_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    scheduled_for: Mapped[date | None] = mapped_column(Date, nullable=True)
    remitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    hold_reason: Mapped[str | None] = mapped_column(String(30), nullable=True)
    held_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    account_last4: Mapped[str | None] = mapped_column(String(4), nullable=True)  # the account paid into


class Refund(Base):
    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(Money)
    method: Mapped[str] = mapped_column(String(20))  # where the money goes back: the payment route
    reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reject_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    return_received_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    refunded_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    timeline: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)  # [{at, status, note}]


class Claim(Base):
    __tablename__ = "claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    claim_no: Mapped[str] = mapped_column(String(32), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(20), default="awaiting_photos")
    item: Mapped[str | None] = mapped_column(String(200), nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    conversation_sender: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # The photos the customer sent (media ids in the media store, core/media.py), oldest first.
    photos: Mapped[list[str]] = mapped_column(JsonType, default=list)
    compensation: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Holiday(Base):
    """A day off (`holiday`) or a weekend made a working day in exchange (`workday`, 调休)."""

    __tablename__ = "holidays"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), default="holiday")
    name_zh: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(60))
