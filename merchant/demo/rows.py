"""The demo data's rows before they are written: one tuple per row, per table, in `COLUMNS` order.

Ids are assigned here, continuing across chunks, so that children refer to their parents
without round trips to the database.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from merchant.demo.catalogue import Event, Person, Shipper, merchant_rules, money, waybill

COLUMNS: dict[str, tuple[str, ...]] = {  # insertion order respects the foreign keys
    "customers": ("id", "external_id", "kind", "name", "phone", "tier", "registered_name", "bank_name",
                  "bank_account_holder", "bank_account_last4", "updated_at"),
    "products": ("id", "external_id", "name_zh", "name_en", "category", "aliases"),
    "skus": ("id", "sku_code", "product_id", "color_zh", "color_en", "size", "price", "stock", "restock_date",
             "presale", "presale_ship_date", "updated_at"),
    "orders": ("id", "order_no", "kind", "customer_id", "status", "total", "payment_method", "recipient_name",
               "recipient_phone", "province", "city", "address", "created_at", "updated_at"),
    "order_items": ("id", "order_id", "sku_id", "name_zh", "name_en", "quantity", "unit_price"),
    "shipments": ("id", "order_id", "carrier", "waybill_no", "status", "shipped_at", "delivered_at", "signed_by"),
    "tracking_events": ("id", "shipment_id", "external_id", "occurred_at", "location", "status", "description_zh",
                        "description_en"),
    "payments": ("id", "external_id", "order_id", "method", "status", "amount", "paid_at"),
    "cod_remittances": ("id", "external_id", "order_id", "amount", "fee", "status", "collected_at", "scheduled_for",
                        "remitted_at", "hold_reason", "held_at", "account_last4"),
    "refunds": ("id", "external_id", "order_id", "type", "status", "amount", "method", "reason", "reject_reason",
                "requested_at", "return_received_at", "refunded_at", "timeline"),
    "claims": ("id", "claim_no", "order_id", "kind", "status", "item", "description", "conversation_sender",
               "compensation", "created_at", "decided_at"),
}  # fmt: skip
JSON_COLUMNS = {"products": 5, "refunds": 12}
Rows = dict[str, list[tuple[Any, ...]]]


class RowBuffer:
    """The rows of one chunk, per table, as tuples in `COLUMNS` order; ids continue across chunks."""

    def __init__(self, first_ids: dict[str, int]) -> None:
        self.next_id = dict(first_ids)
        self.tables: Rows = {name: [] for name in COLUMNS}
        self.fee_rate = Decimal(str(merchant_rules()["cod_fee_rate"]))

    def take(self) -> Rows:
        tables, self.tables = self.tables, {name: [] for name in COLUMNS}
        return tables

    def _id(self, table: str) -> int:
        row_id = self.next_id[table]
        self.next_id[table] = row_id + 1
        return row_id

    def customer(self, external_id: str, who: Person, at: datetime, shipper: Shipper | None = None) -> int:
        row_id = self._id("customers")
        kind, tier = ("shipper" if shipper else "buyer"), ("vip" if who.vip else "regular")
        bank = (shipper.registered_name, shipper.bank_name, shipper.holder, shipper.last4) if shipper else (None,) * 4
        self.tables["customers"].append((row_id, external_id, kind, who.name, who.phone, tier, *bank, at))
        return row_id

    def order(
        self,
        order_no: str,
        kind: str,
        customer_id: int,
        status: str,
        total: int,
        method: str,
        to: Person,
        created: datetime,
        updated: datetime,
    ) -> int:
        row_id = self._id("orders")
        self.tables["orders"].append(
            (
                row_id,
                order_no,
                kind,
                customer_id,
                status,
                money(total),
                method,
                to.name,
                to.phone,
                to.place.province,
                to.place.city,
                to.address,
                created,
                updated,
            )
        )
        return row_id

    def item(self, order_id: int, sku_id: int | None, name_zh: str, name_en: str, quantity: int, unit: int) -> None:
        self.tables["order_items"].append(
            (self._id("order_items"), order_id, sku_id, name_zh, name_en, quantity, money(unit))
        )

    def shipment(
        self,
        order_id: int,
        carrier: str,
        waybill_no: str | None,
        events: list[Event],
        shipped: datetime | None,
        signer: str | None = None,
    ) -> int:
        """A parcel with its tracking so far; its status is that of the latest event."""
        row_id = self._id("shipments")
        status = events[-1][2] if events else "created"
        done = events[-1][0] if status == "delivered" else None
        self.tables["shipments"].append(
            (
                row_id,
                order_id,
                carrier,
                waybill_no or waybill(carrier, row_id),
                status,
                shipped,
                done,
                signer if done else None,
            )
        )
        add = self.tables["tracking_events"].append
        for k, event in enumerate(events, start=1):
            add((self._id("tracking_events"), row_id, f"{k:02d}", *event))
        return row_id

    def payment(self, order_id: int, method: str, status: str, amount: int, paid: datetime | None) -> None:
        row_id = self._id("payments")
        self.tables["payments"].append((row_id, f"PAY{row_id:010d}", order_id, method, status, money(amount), paid))

    def remittance(
        self,
        order_id: int,
        amount: int,
        status: str,
        *,
        collected: datetime | None = None,
        scheduled: date | None = None,
        remitted: datetime | None = None,
        hold: str | None = None,
        held: datetime | None = None,
        last4: str | None = None,
    ) -> None:
        row_id = self._id("cod_remittances")
        fee = int((amount * self.fee_rate).quantize(Decimal(1), ROUND_HALF_UP))
        self.tables["cod_remittances"].append(
            (
                row_id,
                f"COD{row_id:010d}",
                order_id,
                money(amount),
                money(fee),
                status,
                collected,
                scheduled,
                remitted,
                hold,
                held,
                last4,
            )
        )

    def refund(
        self,
        order_id: int,
        kind: str,
        amount: int,
        method: str,
        reason: str,
        steps: list[tuple[datetime, str, str]],
        reject_reason: str | None = None,
    ) -> None:
        """A refund whose status is its latest step (`steps`: moment, status, note)."""
        row_id = self._id("refunds")
        status = steps[-1][1]
        received = next((s[0] for s in steps if s[1] == "return_received"), None)
        refunded = steps[-1][0] if status == "refunded" else None
        timeline = [{"at": s[0].isoformat(), "status": s[1], "note": s[2]} for s in steps]
        self.tables["refunds"].append(
            (
                row_id,
                f"RF{row_id:010d}",
                order_id,
                kind,
                status,
                money(amount),
                method,
                reason,
                reject_reason if status == "rejected" else None,
                steps[0][0],
                received,
                refunded,
                timeline,
            )
        )

    def claim(
        self,
        order_id: int,
        kind: str,
        status: str,
        item: str,
        description: str,
        compensation: int | None,
        created: datetime,
        decided: datetime | None,
    ) -> None:
        row_id = self._id("claims")
        paid = money(compensation) if compensation is not None else None
        self.tables["claims"].append(
            (
                row_id,
                f"CL{created:%Y%m%d}{row_id % 10**6:06d}",
                order_id,
                kind,
                status,
                item,
                description,
                None,
                paid,
                created,
                decided,
            )
        )
