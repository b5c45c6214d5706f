"""Where actions read the merchant's data: the database, and slow-changing lookups kept warm.

The bot passes its own `MerchantData` to the in-process executor; the standalone action
server (`python -m rasa_sdk --actions actions`) builds one from the same settings the bot
reads (`DATABASE_URL`, or the embedded SQLite file).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.config import Settings
from core.db import Database
from merchant.business_days import BusinessCalendar, load_calendar
from merchant.models import Customer, Order, Product, Shipment

# The merchant works in China time: "today", business days and the times customers see.
MERCHANT_TZ = ZoneInfo("Asia/Shanghai")
T = TypeVar("T")


def local(moment: datetime) -> datetime:
    return moment.astimezone(MERCHANT_TZ)


class _Cached(Generic[T]):
    """A value rebuilt at most every `ttl` seconds (the calendar, the catalogue's names)."""

    def __init__(self, load: Callable[[], T], ttl: float) -> None:
        self._load, self._ttl = load, ttl
        self._value: T | None = None
        self._at = 0.0
        self._lock = threading.Lock()

    def get(self) -> T:
        with self._lock:
            if self._value is None or time.monotonic() - self._at > self._ttl:
                self._value, self._at = self._load(), time.monotonic()
            return self._value


@dataclass(frozen=True)
class ProductName:
    product_id: int
    external_id: str
    name_zh: str
    name_en: str
    names: tuple[str, ...]  # every name it goes by, lower-cased


class MerchantData:
    def __init__(self, db: Database, now: Callable[[], datetime] | None = None) -> None:
        self.db = db
        self._now = now or (lambda: datetime.now(MERCHANT_TZ))
        self._calendar = _Cached(self._load_calendar, ttl=300)
        self._products = _Cached(self._load_products, ttl=60)

    @classmethod
    def for_settings(cls, settings: Settings, db: Database) -> MerchantData:
        """The data behind `db`, on the real clock or on TRIAGE_FROZEN_NOW's."""
        frozen = settings.frozen_now
        return cls(db, now=(lambda: frozen) if frozen is not None else None)

    def now(self) -> datetime:
        return local(self._now())

    def today(self) -> date:
        return self.now().date()

    def calendar(self) -> BusinessCalendar:
        return self._calendar.get()

    def product_names(self) -> list[ProductName]:
        """Names only: stock levels are always read fresh."""
        return self._products.get()

    def _load_calendar(self) -> BusinessCalendar:
        with self.db.session() as session:
            return load_calendar(session)

    def _load_products(self) -> list[ProductName]:
        with self.db.session() as session:
            return [
                ProductName(
                    p.id,
                    p.external_id,
                    p.name_zh,
                    p.name_en,
                    tuple(n.lower() for n in (p.name_zh, p.name_en, *(p.aliases or [])) if n),
                )
                for p in session.scalars(select(Product))
            ]


def find_order(session: Session, *, order_no: str | None = None, waybill: str | None = None) -> Order | None:
    """The order by its number or by the waybill of one of its parcels, with its customer."""
    query = select(Order).options(selectinload(Order.customer))
    if order_no:
        return session.scalars(query.where(Order.order_no == order_no.upper())).first()
    if waybill:
        shipment = session.scalars(select(Shipment).where(Shipment.waybill_no == waybill.upper())).first()
        return session.get(Order, shipment.order_id) if shipment is not None else None
    return None


def recent_orders(session: Session, *, phone: str, limit: int = 3) -> list[Order]:
    """The newest orders of the customer with this phone number (for a verified channel identity)."""
    query = (
        select(Order)
        .join(Customer, Order.customer_id == Customer.id)
        .where(Customer.phone == phone)
        .order_by(Order.created_at.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


@cache
def default_data() -> MerchantData:
    """The standalone action server's data, from the environment; the schema is brought up to date."""
    settings = Settings.from_env()
    db = Database(settings.database_url)
    with db.startup_lock():
        db.migrate()
    return MerchantData.for_settings(settings, db)
