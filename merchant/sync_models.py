"""What the merchant's order system may send to the sync API: one strict schema per resource.

Field names follow the columns in `merchant/models.py`; the allowed values of every status are
the tuples defined there, so a new status is added in one place. Every item carries the
merchant's own id, which is what the sync upserts on.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Generic, Literal, TypeAlias, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_serializer,
    model_validator,
)

from merchant.models import (
    BUYER,
    HOLD_REASONS,
    ORDER_STATUSES,
    PAYMENT_METHODS,
    PAYMENT_STATUSES,
    REFUND_STATUSES,
    REFUND_TYPES,
    REMITTANCE_STATUSES,
    SHIPMENT_STATUSES,
    SHIPPER,
)

MAX_BATCH = 1000

if TYPE_CHECKING:  # mypy sees plain strings; pydantic validates against the tuples themselves
    CustomerKind: TypeAlias = str
    OrderStatus: TypeAlias = str
    PaymentMethod: TypeAlias = str
    PaymentStatus: TypeAlias = str
    ShipmentStatus: TypeAlias = str
    RemittanceStatus: TypeAlias = str
    HoldReason: TypeAlias = str
    RefundType: TypeAlias = str
    RefundStatus: TypeAlias = str
else:
    CustomerKind = Literal[(BUYER, SHIPPER)]
    OrderStatus = Literal[ORDER_STATUSES]
    PaymentMethod = Literal[PAYMENT_METHODS]
    PaymentStatus = Literal[PAYMENT_STATUSES]
    ShipmentStatus = Literal[SHIPMENT_STATUSES]
    RemittanceStatus = Literal[REMITTANCE_STATUSES]
    HoldReason = Literal[HOLD_REASONS]
    RefundType = Literal[REFUND_TYPES]
    RefundStatus = Literal[REFUND_STATUSES]

Carrier = Literal["ZTO", "SF", "YTO", "JD", "YX"]
D = TypeVar("D", date, datetime)

# The merchant's records fall well inside these; year 1 or 9999 is a typo, and past what a
# datetime can hold once moved to UTC.
FIRST_YEAR, LAST_YEAR = 2000, 2100
# C0 controls but tab and line breaks, and DEL: PostgreSQL text cannot hold NUL, and an escape
# or a bell in a name would reach the bot's replies and the agents' screens.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _iso_text(value: Any) -> Any:
    """Dates and times travel as ISO 8601 strings; a bare number is too easy to misread."""
    if isinstance(value, str | date):
        return value
    raise ValueError("must be an ISO 8601 string")


def _plausible_year(value: D) -> D:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"must be in the years {FIRST_YEAR} to {LAST_YEAR}")
    return value


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _printable(text: str) -> str:
    if _CONTROL.search(text):
        raise ValueError("must not contain control characters (tabs and line breaks aside)")
    return text


Printable = AfterValidator(_printable)


# Non-empty strings no longer than their column.
Str20 = Annotated[str, Field(min_length=1, max_length=20), Printable]
Str40 = Annotated[str, Field(min_length=1, max_length=40), Printable]
Str60 = Annotated[str, Field(min_length=1, max_length=60), Printable]
Str80 = Annotated[str, Field(min_length=1, max_length=80), Printable]
Str120 = Annotated[str, Field(min_length=1, max_length=120), Printable]
Str200 = Annotated[str, Field(min_length=1, max_length=200), Printable]
Str300 = Annotated[str, Field(min_length=1, max_length=300), Printable]
# `2025-06-18T10:00:00+08:00`: a zone is required; stored in UTC.
Timestamp = Annotated[
    AwareDatetime, BeforeValidator(_iso_text), AfterValidator(_plausible_year), AfterValidator(_to_utc)
]
Day = Annotated[date, BeforeValidator(_iso_text), AfterValidator(_plausible_year)]
Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]
Phone = Annotated[str, Field(pattern=r"^1[3-9]\d{9}$", description="11-digit mainland mobile number")]
OrderNo = Annotated[str, Field(pattern=r"^YX\d{14}$", description="YX + 14 digits, as customers see it")]
WaybillNo = Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{4,40}$")]
ExternalId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^\S+$"), Printable]
SkuCode = ExternalId
Last4 = Annotated[str, Field(pattern=r"^\d{4}$")]
Count = Annotated[int, Field(ge=0, le=2_000_000_000)]


class SyncModel(BaseModel):
    """Unknown fields are refused: a typo in a field name must not silently drop data."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


T = TypeVar("T", bound=SyncModel)


class Batch(SyncModel, Generic[T]):
    items: list[T] = Field(min_length=1, max_length=MAX_BATCH)


def openapi_body(model: type[BaseModel]) -> dict[str, Any]:
    """`model` as an OpenAPI request body, definitions inlined, for routes that read the body themselves."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return inline(defs[node["$ref"].rsplit("/", 1)[-1]])
            return {key: inline(value) for key, value in node.items()}
        return [inline(value) for value in node] if isinstance(node, list) else node

    return {"requestBody": {"required": True, "content": {"application/json": {"schema": inline(schema)}}}}


class SyncResult(BaseModel):
    """How many items of the batch were new, and how many were already held (changed or not)."""

    created: int
    updated: int


class CustomerIn(SyncModel):
    external_id: ExternalId
    kind: CustomerKind = BUYER
    name: Str120
    phone: Phone
    tier: Literal["regular", "vip"] = "regular"
    registered_name: Str120 | None = None
    bank_name: Str60 | None = None
    bank_account_holder: Str120 | None = None
    bank_account_last4: Last4 | None = None


class SkuIn(SyncModel):
    sku_code: SkuCode
    color_zh: Str40 | None = None
    color_en: Str40 | None = None
    size: Str20 | None = None
    price: Money
    stock: Count = 0
    restock_date: Day | None = None
    presale: bool = False
    presale_ship_date: Day | None = None


class ProductIn(SyncModel):
    """A product with its SKUs; SKUs left out of `skus` stay as they are."""

    external_id: ExternalId
    name_zh: Str200
    name_en: Str200
    category: Str40 = "apparel"
    aliases: list[Str60] = Field(default_factory=list, max_length=50)
    skus: list[SkuIn] = Field(default_factory=list, max_length=500)


class StockIn(SyncModel):
    """A stock level; `restock_date` left out keeps the stored one, `null` clears it."""

    sku_code: SkuCode
    stock: Count
    restock_date: Day | None = None


class OrderItemIn(SyncModel):
    sku_code: SkuCode | None = None
    name_zh: Str200
    name_en: Str200
    quantity: Annotated[int, Field(ge=1, le=100_000)] = 1
    unit_price: Money


class OrderIn(SyncModel):
    """A shop order or a shipper's parcel; `items`, when sent, replace the stored ones."""

    order_no: OrderNo
    kind: Literal["shop", "parcel"] = "shop"
    customer_external_id: ExternalId
    status: OrderStatus
    total: Money
    payment_method: PaymentMethod
    recipient_name: Str120
    recipient_phone: Phone
    province: Str20
    city: Str40
    address: Str300
    created_at: Timestamp
    items: list[OrderItemIn] | None = Field(default=None, max_length=500)


class TrackingEventFields(SyncModel):
    external_id: ExternalId
    occurred_at: Timestamp
    location: Str80
    status: ShipmentStatus
    description_zh: Str300
    description_en: Str300


class TrackingEventIn(TrackingEventFields):
    waybill_no: WaybillNo


class ShipmentIn(SyncModel):
    """A parcel of an order; `events` are added to (never replace) the stored tracking."""

    order_no: OrderNo
    carrier: Carrier
    waybill_no: WaybillNo
    status: ShipmentStatus = "created"
    shipped_at: Timestamp | None = None
    delivered_at: Timestamp | None = None
    signed_by: Str60 | None = None
    events: list[TrackingEventFields] = Field(default_factory=list, max_length=500)


class PaymentIn(SyncModel):
    external_id: ExternalId
    order_no: OrderNo
    method: PaymentMethod
    status: PaymentStatus
    amount: Money
    paid_at: Timestamp | None = None


class RemittanceIn(SyncModel):
    """Cash on delivery collected for a shipper, and when and where it is paid out."""

    external_id: ExternalId
    order_no: OrderNo
    amount: Money
    fee: Money
    status: RemittanceStatus
    collected_at: Timestamp | None = None
    scheduled_for: Day | None = None
    remitted_at: Timestamp | None = None
    hold_reason: HoldReason | None = None
    held_at: Timestamp | None = None
    account_last4: Last4 | None = None

    @model_validator(mode="after")
    def _held_says_why(self) -> RemittanceIn:
        # The bot tells a shipper why their money is held; it cannot without the reason.
        if self.status == "held" and self.hold_reason is None:
            raise ValueError("hold_reason is required when status is 'held'")
        return self


class RefundStep(SyncModel):
    at: Timestamp
    status: RefundStatus
    note: Str300 | None = None

    @field_serializer("at")
    def _at_as_text(self, at: datetime) -> str:
        # Steps are stored in a JSON column, which holds text, not datetimes.
        return at.isoformat()


class RefundIn(SyncModel):
    external_id: ExternalId
    order_no: OrderNo
    type: RefundType
    status: RefundStatus
    amount: Money
    method: PaymentMethod
    reason: Str200 | None = None
    reject_reason: Str300 | None = None
    requested_at: Timestamp
    return_received_at: Timestamp | None = None
    refunded_at: Timestamp | None = None
    timeline: list[RefundStep] = Field(default_factory=list, max_length=100)


class HolidayIn(SyncModel):
    """A day off (`holiday`) or a weekend day worked in exchange (`workday`, 调休)."""

    day: Day
    kind: Literal["holiday", "workday"] = "holiday"
    name_zh: Str60
    name_en: Str60
