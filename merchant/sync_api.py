"""The merchant data sync API: the merchant's order system pushes its records into our database.

`PUT /api/sync/<resource>` with `{"items": [...]}` upserts on the merchant's own ids and
answers `{"created": n, "updated": m}`; one request is one transaction, so a batch is stored
whole or not at all. `GET /api/sync/orders/{order_no}` shows what we hold for an order.
The routes are thin: the upserts are keyword-only functions over a session, one `IN` query
per table for the whole batch.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from core.body import read_json
from core.config import Settings, kept
from core.db import Database
from core.security import bearer
from merchant.sync_models import (
    Batch,
    CustomerIn,
    HolidayIn,
    OrderIn,
    PaymentIn,
    ProductIn,
    RefundIn,
    RemittanceIn,
    ShipmentIn,
    StockIn,
    SyncResult,
    TrackingEventIn,
    openapi_body,
)
from merchant.sync_store import (
    Counts,
    order_snapshot,
    update_stock,
    upsert_customers,
    upsert_holidays,
    upsert_orders,
    upsert_payments,
    upsert_products,
    upsert_refunds,
    upsert_remittances,
    upsert_shipments,
    upsert_tracking_events,
)

log = logging.getLogger("triage.sync")

SYNC_MAX_BODY_BYTES = 4 * 1024 * 1024  # 1000 items of a few KB each
KEY_FILE = "sync-api-key"
R = TypeVar("R")


# --- keys -----------------------------------------------------------------------------------


def resolve_sync_keys(settings: Settings) -> tuple[str, ...]:
    """The keys the sync API accepts; the embedded demo makes itself one, production must set them."""
    if settings.sync_api_keys:
        return settings.sync_api_keys
    if not settings.embedded:
        return ()
    return (kept(settings.data_dir / KEY_FILE, lambda: secrets.token_urlsafe(32)),)


def _presented_key(request: Request) -> str | None:
    return bearer(request) or request.headers.get("x-api-key", "").strip() or None


async def require_sync_key(request: Request) -> None:
    """Let through requests carrying one of `app.state.sync_keys`, compared in constant time."""
    keys: tuple[str, ...] = getattr(request.app.state, "sync_keys", ())
    if not keys:
        raise HTTPException(503, "sync API disabled: set TRIAGE_SYNC_API_KEYS")
    presented = _presented_key(request)
    challenge = {"WWW-Authenticate": "Bearer"}
    if presented is None:
        raise HTTPException(401, "missing API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'", challenge)
    matched = False
    for key in keys:  # every key is compared, so the time taken does not tell which one was close
        matched |= hmac.compare_digest(presented.encode(), key.encode())
    if not matched:
        raise HTTPException(401, "invalid API key", challenge)


# --- HTTP ------------------------------------------------------------------------------------

router = APIRouter(prefix="/api/sync", tags=["sync"], dependencies=[Depends(require_sync_key)])


async def _in_transaction(request: Request, work: Callable[[Session], R]) -> R:
    """Run `work` in one transaction off the event loop; map the sync's failures to statuses."""
    db: Database = request.app.state.db

    def run() -> R:
        with db.session() as session:
            return work(session)

    return await run_in_threadpool(run)  # a rejected batch or a collision maps to 422 / 409 (core.http_errors)


def _sync_route(path: str, batch: type[Batch[Any]], upsert: Callable[..., Counts], summary: str) -> None:
    async def sync(request: Request) -> SyncResult:
        body = await read_json(request, batch, SYNC_MAX_BODY_BYTES)
        created, updated = await _in_transaction(request, lambda session: upsert(session, items=body.items))
        return SyncResult(created=created, updated=updated)

    name = "sync_" + path.strip("/").replace("-", "_")
    router.add_api_route(
        path,
        sync,
        methods=["PUT"],
        response_model=SyncResult,
        summary=summary,
        name=name,
        openapi_extra=openapi_body(batch),
    )


_sync_route("/customers", Batch[CustomerIn], upsert_customers, "Upsert customers by external_id")
_sync_route("/products", Batch[ProductIn], upsert_products, "Upsert products and their SKUs")
_sync_route("/stock", Batch[StockIn], update_stock, "Update stock levels of known SKUs")
_sync_route("/orders", Batch[OrderIn], upsert_orders, "Upsert orders by order_no")
_sync_route("/shipments", Batch[ShipmentIn], upsert_shipments, "Upsert shipments by waybill_no")
_sync_route("/tracking-events", Batch[TrackingEventIn], upsert_tracking_events, "Add tracking events by waybill_no")
_sync_route("/payments", Batch[PaymentIn], upsert_payments, "Upsert payments by external_id")
_sync_route("/remittances", Batch[RemittanceIn], upsert_remittances, "Upsert COD remittances by external_id")
_sync_route("/refunds", Batch[RefundIn], upsert_refunds, "Upsert refunds by external_id")
_sync_route("/holidays", Batch[HolidayIn], upsert_holidays, "Upsert holidays and make-up workdays by day")


@router.get("/orders/{order_no}", summary="What we hold for an order")
async def get_order(request: Request, order_no: str) -> dict[str, Any]:
    found = await _in_transaction(request, lambda session: order_snapshot(session, order_no=order_no))
    if found is None:
        raise HTTPException(404, f"unknown order {order_no!r}")
    return found
