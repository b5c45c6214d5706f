"""The merchant data sync API: idempotent upserts, all-or-nothing batches, keys, clear errors."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core.config import Settings
from merchant import sync_store
from merchant.models import Customer, Holiday, Order, Product, Refund, Remittance, Shipment, Sku, TrackingEvent
from merchant.sync_api import KEY_FILE, SYNC_MAX_BODY_BYTES, resolve_sync_keys
from tests.servers import SECRET
from triage.app import create_app
from triage.wiring import Instance

KEY = "merchant-key-0123456789abcdef"
ORDER_NO = "YX20250618000001"
WAYBILL = "SF1234567890123"


def sync_app(tmp_path: Path, instance: Instance, keys: tuple[str, ...]) -> Any:
    app = create_app(Settings.from_env({}, data_dir=str(tmp_path)), instance=instance)
    app.state.sync_keys = keys
    return app


@pytest.fixture
def api(tmp_path: Path, instance: Instance) -> Iterator[TestClient]:
    """The merchant's order system, holding a valid key."""
    with TestClient(sync_app(tmp_path, instance, (KEY,)), headers={"Authorization": f"Bearer {KEY}"}) as c:
        yield c


def count(instance: Instance, entity: Any) -> int:
    with instance.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(entity)) or 0)


def customer(external_id: str = "C001", **changes: Any) -> dict[str, Any]:
    return {"external_id": external_id, "name": "王小明", "phone": "13800138000", **changes}


def product(**changes: Any) -> dict[str, Any]:
    sku = {"sku_code": "TS-RED-M", "color_zh": "红色", "color_en": "red", "size": "M", "price": "99.00", "stock": 5}
    return {"external_id": "P001", "name_zh": "纯棉T恤", "name_en": "Cotton T-shirt", "skus": [sku], **changes}


def order(order_no: str = ORDER_NO, **changes: Any) -> dict[str, Any]:
    return {
        "order_no": order_no,
        "customer_external_id": "C001",
        "status": "paid",
        "total": "198.00",
        "payment_method": "wechat",
        "recipient_name": "王小明",
        "recipient_phone": "13800138000",
        "province": "广东省",
        "city": "深圳市",
        "address": "南山区科技园路1号",
        "created_at": "2025-06-18T10:00:00+08:00",
        "items": [
            {"sku_code": "TS-RED-M", "name_zh": "纯棉T恤", "name_en": "Cotton T-shirt", "quantity": 2, "unit_price": 99}
        ],
        **changes,
    }


def event(external_id: str, at: str, status: str = "in_transit", **changes: Any) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "occurred_at": at,
        "location": "深圳",
        "status": status,
        "description_zh": "快件已揽收",
        "description_en": "Picked up",
        **changes,
    }


def shipment(**changes: Any) -> dict[str, Any]:
    return {"order_no": ORDER_NO, "carrier": "SF", "waybill_no": WAYBILL, "status": "in_transit", **changes}


def payment(**changes: Any) -> dict[str, Any]:
    return {
        "external_id": "PAY1",
        "order_no": ORDER_NO,
        "method": "wechat",
        "status": "paid",
        "amount": "198.00",
        **changes,
    }


def put(api: TestClient, resource: str, *items: dict[str, Any]) -> Any:
    return api.put(f"/api/sync/{resource}", json={"items": list(items)})


def ok(api: TestClient, resource: str, *items: dict[str, Any]) -> dict[str, int]:
    response = put(api, resource, *items)
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.fixture
def with_order(api: TestClient) -> TestClient:
    """A customer, a product and one paid order for them, as the merchant would send first."""
    ok(api, "customers", customer())
    ok(api, "products", product())
    ok(api, "orders", order())
    return api


# --- upserts --------------------------------------------------------------------------------


def test_customers_are_created_then_resending_the_same_batch_creates_nothing(
    api: TestClient, instance: Instance
) -> None:
    batch = [customer("C001"), customer("C002", phone="13900139000", kind="shipper", bank_account_last4="1234")]
    assert ok(api, "customers", *batch) == {"created": 2, "updated": 0}
    with instance.db.session() as s:
        first = {c.external_id: c.updated_at for c in s.scalars(select(Customer))}
    assert ok(api, "customers", *batch) == {"created": 0, "updated": 2}
    with instance.db.session() as s:
        again = {c.external_id: c.updated_at for c in s.scalars(select(Customer))}
    assert again == first  # nothing was rewritten


def test_resending_a_customer_with_new_values_updates_it(api: TestClient, instance: Instance) -> None:
    ok(api, "customers", customer())
    assert ok(api, "customers", customer(name="王大明", tier="vip")) == {"created": 0, "updated": 1}
    with instance.db.session() as s:
        (row,) = s.scalars(select(Customer))
        assert (row.name, row.tier) == ("王大明", "vip")


def test_product_with_nested_skus_then_a_stock_update(api: TestClient, instance: Instance) -> None:
    assert ok(api, "products", product()) == {"created": 1, "updated": 0}
    ok(api, "products", product(skus=[{"sku_code": "TS-RED-L", "price": "99.00", "presale": True}]))
    with instance.db.session() as s:
        (p,) = s.scalars(select(Product))
        assert [sku.sku_code for sku in p.skus] == ["TS-RED-M", "TS-RED-L"]  # SKUs left out stay
    response = ok(api, "stock", {"sku_code": "TS-RED-M", "stock": 0, "restock_date": "2025-07-01"})
    assert response == {"created": 0, "updated": 1}
    ok(api, "stock", {"sku_code": "TS-RED-M", "stock": 3})
    with instance.db.session() as s:
        sku = s.scalars(select(Sku).where(Sku.sku_code == "TS-RED-M")).one()
        assert (sku.stock, str(sku.restock_date)) == (3, "2025-07-01")  # an omitted restock_date is kept


def test_stock_for_an_unknown_sku_is_422_naming_the_item(api: TestClient) -> None:
    ok(api, "products", product())
    response = put(api, "stock", {"sku_code": "TS-RED-M", "stock": 1}, {"sku_code": "NOPE", "stock": 1})
    assert response.status_code == 422
    assert response.json()["detail"] == "items.1.sku_code: unknown SKU 'NOPE'"


def test_order_is_readable_back_with_everything_we_hold(with_order: TestClient) -> None:
    api = with_order
    ok(api, "shipments", shipment(events=[event("e1", "2025-06-18T18:00:00+08:00")]))
    ok(
        api,
        "payments",
        {"external_id": "PAY1", "order_no": ORDER_NO, "method": "wechat", "status": "paid", "amount": 198},
    )
    refund = {
        "external_id": "R1",
        "order_no": ORDER_NO,
        "type": "refund_only",
        "status": "approved",
        "amount": "99.00",
        "method": "wechat",
        "requested_at": "2025-06-20T09:00:00+08:00",
        "timeline": [{"at": "2025-06-20T09:00:00+08:00", "status": "requested"}],
    }
    ok(api, "refunds", refund)
    held = {
        "external_id": "COD1",
        "order_no": ORDER_NO,
        "amount": "198.00",
        "fee": "1.98",
        "status": "held",
        "hold_reason": "account_mismatch",
    }
    ok(api, "remittances", held)

    got = api.get(f"/api/sync/orders/{ORDER_NO}").json()
    assert got["customer_external_id"] == "C001"
    assert got["total"] == "198.00"
    assert got["created_at"] == "2025-06-18T02:00:00+00:00"  # stored in UTC
    assert got["items"] == [
        {
            "sku_code": "TS-RED-M",
            "name_zh": "纯棉T恤",
            "name_en": "Cotton T-shirt",
            "quantity": 2,
            "unit_price": "99.00",
        }
    ]
    (ship,) = got["shipments"]
    assert (ship["waybill_no"], [e["external_id"] for e in ship["events"]]) == (WAYBILL, ["e1"])
    assert got["payments"][0]["amount"] == "198.00"
    assert got["refunds"][0]["timeline"] == [{"at": "2025-06-20T01:00:00+00:00", "status": "requested", "note": None}]
    assert got["remittances"][0]["hold_reason"] == "account_mismatch"


def test_resending_the_same_order_keeps_its_rows(with_order: TestClient, instance: Instance) -> None:
    with instance.db.session() as s:
        before = [(o.id, o.updated_at, [li.id for li in o.items]) for o in s.scalars(select(Order))]
    assert ok(with_order, "orders", order()) == {"created": 0, "updated": 1}
    with instance.db.session() as s:
        assert [(o.id, o.updated_at, [li.id for li in o.items]) for o in s.scalars(select(Order))] == before


def test_resending_an_order_with_other_items_replaces_its_lines(with_order: TestClient, instance: Instance) -> None:
    line = {"name_zh": "运费险", "name_en": "Shipping insurance", "unit_price": "3.00"}
    assert ok(with_order, "orders", order(status="shipped", items=[line])) == {"created": 0, "updated": 1}
    got = with_order.get(f"/api/sync/orders/{ORDER_NO}").json()
    assert got["status"] == "shipped"
    assert [(i["sku_code"], i["name_en"], i["quantity"]) for i in got["items"]] == [(None, "Shipping insurance", 1)]
    ok(with_order, "orders", order(status="delivered", items=None))
    assert len(with_order.get(f"/api/sync/orders/{ORDER_NO}").json()["items"]) == 1  # no `items`: lines kept


def test_shipment_with_nested_events_then_more_events_by_waybill(with_order: TestClient, instance: Instance) -> None:
    api = with_order
    first = shipment(events=[event("e1", "2025-06-18T18:00:00+08:00"), event("e2", "2025-06-19T08:00:00+08:00")])
    assert ok(api, "shipments", first) == {"created": 1, "updated": 0}
    assert ok(api, "shipments", first) == {"created": 0, "updated": 1}
    later = event("e3", "2025-06-19T15:00:00+08:00", "delivered", waybill_no=WAYBILL)
    assert ok(api, "tracking-events", later) == {"created": 1, "updated": 0}
    assert ok(api, "tracking-events", later | {"location": "深圳南山"}) == {"created": 0, "updated": 1}
    with instance.db.session() as s:
        (row,) = s.scalars(select(Shipment))
        assert [(e.external_id, e.location) for e in row.events] == [("e1", "深圳"), ("e2", "深圳"), ("e3", "深圳南山")]


def test_tracking_event_for_an_unknown_waybill_is_422(api: TestClient) -> None:
    response = put(api, "tracking-events", event("e1", "2025-06-18T18:00:00+08:00", waybill_no="SF000000000000"))
    assert response.status_code == 422
    assert response.json()["detail"] == "items.0.waybill_no: unknown waybill 'SF000000000000'"


def test_remittance_updates_by_external_id(with_order: TestClient, instance: Instance) -> None:
    pending = {"external_id": "COD1", "order_no": ORDER_NO, "amount": "198.00", "fee": "1.98", "status": "pending"}
    ok(with_order, "remittances", pending | {"scheduled_for": "2025-06-23"})
    remitted = pending | {"status": "remitted", "remitted_at": "2025-06-23T10:00:00Z", "account_last4": "6789"}
    assert ok(with_order, "remittances", remitted) == {"created": 0, "updated": 1}
    with instance.db.session() as s:
        (row,) = s.scalars(select(Remittance))
        assert (row.status, row.account_last4, row.fee) == ("remitted", "6789", Decimal("1.98"))


def test_held_remittance_must_say_why(with_order: TestClient) -> None:
    held = {"external_id": "COD1", "order_no": ORDER_NO, "amount": "1.00", "fee": "0.01", "status": "held"}
    response = put(with_order, "remittances", held)
    assert response.status_code == 422
    assert "hold_reason is required" in response.json()["detail"]


def test_refund_status_changes_are_stored(with_order: TestClient, instance: Instance) -> None:
    refund = {
        "external_id": "R1",
        "order_no": ORDER_NO,
        "type": "return_and_refund",
        "status": "awaiting_return",
        "amount": "99.00",
        "method": "wechat",
        "requested_at": "2025-06-20T09:00:00+08:00",
    }
    assert ok(with_order, "refunds", refund) == {"created": 1, "updated": 0}
    ok(with_order, "refunds", refund | {"status": "refunded", "refunded_at": "2025-06-25T09:00:00+08:00"})
    with instance.db.session() as s:
        (row,) = s.scalars(select(Refund))
        assert row.status == "refunded"


def test_holidays_upsert_by_day(api: TestClient, instance: Instance) -> None:
    day = {"day": "2030-10-01", "name_zh": "国庆节", "name_en": "National Day"}
    before = count(instance, Holiday)
    ok(api, "holidays", day, {"day": "2030-09-29", "kind": "workday", "name_zh": "调休上班", "name_en": "Make-up day"})
    assert ok(api, "holidays", day | {"name_en": "National Day (PRC)"}) == {"created": 0, "updated": 1}
    assert count(instance, Holiday) == before + 2
    with instance.db.session() as s:
        national_day = s.get(Holiday, date(2030, 10, 1))
        assert national_day is not None and national_day.name_en == "National Day (PRC)"


def test_unknown_order_is_404(api: TestClient) -> None:
    response = api.get("/api/sync/orders/YX00000000000000")
    assert response.status_code == 404


# --- refused batches: clear 4xx, nothing written ---------------------------------------------


def test_order_for_an_unknown_customer_is_422_and_nothing_of_the_batch_is_written(
    with_order: TestClient, instance: Instance
) -> None:
    before = count(instance, Order)
    response = put(
        with_order, "orders", order("YX20250618000002"), order("YX20250618000003", customer_external_id="C404")
    )
    assert response.status_code == 422
    assert response.json()["detail"] == "items.1.customer_external_id: unknown customer 'C404'"
    assert count(instance, Order) == before


def test_shipment_for_an_unknown_order_names_the_item(with_order: TestClient, instance: Instance) -> None:
    response = put(with_order, "shipments", shipment(), shipment(order_no="YX99999999999999", waybill_no="SF999"))
    assert response.status_code == 422
    assert response.json()["detail"] == "items.1.order_no: unknown order 'YX99999999999999'"
    assert count(instance, Shipment) == 0
    assert count(instance, TrackingEvent) == 0


def test_an_error_after_rows_were_written_rolls_the_whole_request_back(
    with_order: TestClient, instance: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    def clash(*_: Any) -> None:
        raise IntegrityError("INSERT INTO tracking_events …", {}, Exception("duplicate key"))

    monkeypatch.setattr(sync_store, "_upsert_events", clash)  # shipments are flushed by then
    response = put(with_order, "shipments", shipment(events=[event("e1", "2025-06-18T18:00:00+08:00")]))
    assert response.status_code == 409
    assert "nothing was saved" in response.json()["detail"]
    assert count(instance, Shipment) == 0


def test_a_sku_sent_twice_in_one_batch_refuses_the_batch(api: TestClient, instance: Instance) -> None:
    ok(api, "products", product(external_id="P-OLD", skus=[{"sku_code": "OLD-1", "price": 1}]))
    duplicate_sku = {"sku_code": "DUP", "price": 1}
    batch = [product(external_id="P-NEW", skus=[duplicate_sku]), product(external_id="P-NEW2", skus=[duplicate_sku])]
    response = put(api, "products", *batch)
    assert response.status_code == 422
    assert response.json()["detail"] == "items.1.skus.0.sku_code: 'DUP' is sent twice (also at items.0.skus.0.sku_code)"
    assert (count(instance, Product), count(instance, Sku)) == (1, 1)


def test_the_same_id_twice_in_one_batch_is_refused(api: TestClient, instance: Instance) -> None:
    response = put(api, "customers", customer("C1"), customer("C1", name="other"))
    assert response.status_code == 422
    assert "items.1.external_id" in response.json()["detail"]
    assert count(instance, Customer) == 0


@pytest.mark.parametrize(
    ("resource", "item", "field"),
    [
        ("customers", customer(phone="12345"), "items.0.phone"),
        ("customers", customer(kind="wholesaler"), "items.0.kind"),
        ("orders", order(status="lost"), "items.0.status"),
        ("orders", order(created_at="2025-06-18T10:00:00"), "items.0.created_at"),
        ("orders", order(order_no="YX123"), "items.0.order_no"),
        ("orders", order(total="1.005"), "items.0.total"),
        ("orders", order(total=-1), "items.0.total"),
        ("customers", customer(nickname="x"), "items.0.nickname"),
        ("shipments", shipment(events=[event("e1", "yesterday")]), "items.0.events.0.occurred_at"),
        ("remittances", {"order_no": ORDER_NO}, "items.0.external_id"),
    ],
    ids=[
        "phone",
        "enum",
        "order-status",
        "naive-datetime",
        "order-no",
        "three-decimals",
        "negative",
        "extra",
        "nested",
        "missing",
    ],
)
def test_invalid_item_is_422_naming_the_field(api: TestClient, resource: str, item: dict[str, Any], field: str) -> None:
    response = put(api, resource, item)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(field + ":"), response.text


NUL = "contains U+0000 (NUL), which PostgreSQL cannot store"  # any body (core/body.py)
CONTROL = "Value error, must not contain control characters"


@pytest.mark.parametrize(
    ("resource", "item", "problem"),
    [
        ("customers", customer(name="王\x00小明"), f"items.0.name: {NUL}"),
        ("customers", customer(external_id="C\x00"), f"items.0.external_id: {NUL}"),
        ("orders", order(address="南山区\x00科技园路1号"), f"items.0.address: {NUL}"),
        ("customers", customer(bank_name="工商银行\x1b[2J"), f"items.0.bank_name: {CONTROL}"),
        ("customers", customer(external_id="C\x7f"), f"items.0.external_id: {CONTROL}"),
        ("products", product(aliases=["T恤", "短袖\x07"]), f"items.0.aliases.1: {CONTROL}"),
        (
            "holidays",
            {"day": "2026-10-01", "name_zh": "国庆\x08", "name_en": "National Day"},
            f"items.0.name_zh: {CONTROL}",
        ),
    ],
    ids=["nul-name", "nul-id", "nul-address", "escape", "delete", "nested-list", "holiday"],
)
def test_a_control_character_in_a_synced_text_is_422_naming_the_field(
    api: TestClient, instance: Instance, resource: str, item: dict[str, Any], problem: str
) -> None:
    """PostgreSQL text cannot hold NUL, and no name or address holds an escape or a bell."""
    ok(api, "customers", customer())
    response = put(api, resource, item)
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith(problem)


def test_tabs_and_line_breaks_in_a_synced_text_are_kept(api: TestClient) -> None:
    ok(api, "customers", customer())
    ok(api, "products", product())
    ok(api, "orders", order(address="南山区科技园路1号\n3栋\t502"))
    assert api.get(f"/api/sync/orders/{ORDER_NO}").json()["address"] == "南山区科技园路1号\n3栋\t502"


@pytest.mark.parametrize(
    ("resource", "item", "field"),
    [
        ("orders", order(created_at="0001-01-01T00:00:00+08:00"), "items.0.created_at"),
        ("orders", order(created_at="9999-12-31T23:59:59-08:00"), "items.0.created_at"),
        ("payments", payment(paid_at="0001-01-01T07:00:00+08:00"), "items.0.paid_at"),
        ("shipments", shipment(events=[event("e1", "9999-12-31T20:00:00-05:00")]), "items.0.events.0.occurred_at"),
        ("orders", order(created_at="1999-12-31T23:59:59+00:00"), "items.0.created_at"),
        ("holidays", {"day": "0001-01-01", "name_zh": "元旦", "name_en": "New Year"}, "items.0.day"),
        ("holidays", {"day": "9999-12-31", "name_zh": "除夕", "name_en": "New Year's Eve"}, "items.0.day"),
    ],
    ids=["year-1", "year-9999", "optional", "nested", "1999", "day-1", "day-9999"],
)
def test_a_date_outside_the_years_2000_to_2100_is_422_naming_the_field(
    api: TestClient, resource: str, item: dict[str, Any], field: str
) -> None:
    """Year 1 at +08:00 or 9999 at -08:00 is past what a datetime can hold in UTC: it was a 500."""
    response = put(api, resource, item)
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith(f"{field}: Value error, must be in the years 2000 to 2100")


def test_one_invalid_item_refuses_the_whole_batch(api: TestClient, instance: Instance) -> None:
    response = put(api, "customers", customer("C1"), customer("C2"), customer("C3", phone="+86 138"))
    assert response.status_code == 422
    assert response.json()["detail"].startswith("items.2.phone:")
    assert count(instance, Customer) == 0


def test_empty_and_oversized_batches_are_refused(api: TestClient) -> None:
    assert put(api, "customers").status_code == 422
    too_many = [customer(f"C{i}") for i in range(1001)]
    response = put(api, "customers", *too_many)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("items:")


def test_malformed_json_is_400(api: TestClient) -> None:
    response = api.put("/api/sync/customers", content=b'{"items": [', headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("malformed JSON")


def test_invalid_utf8_is_400(api: TestClient) -> None:
    response = api.put("/api/sync/customers", content=b'{"items": [{"name": "\xff\xfe"}]}')
    assert response.status_code == 400
    assert "UTF-8" in response.json()["detail"]


def test_a_body_over_the_sync_limit_is_413(api: TestClient) -> None:
    response = api.put("/api/sync/customers", content=b" " * (SYNC_MAX_BODY_BYTES + 1))
    assert response.status_code == 413


def test_a_batch_larger_than_the_chat_limit_is_accepted(api: TestClient) -> None:
    batch = [customer(f"C{i:04d}", name="王" * 100) for i in range(300)]  # ~100 KB, over the chat's 64 KB
    assert ok(api, "customers", *batch) == {"created": 300, "updated": 0}


# --- keys ------------------------------------------------------------------------------------


def test_missing_key_is_401(api: TestClient) -> None:
    response = api.put("/api/sync/customers", json={"items": [customer()]}, headers={"Authorization": ""})
    assert response.status_code == 401
    assert response.json()["detail"].startswith("missing API key")


def test_wrong_key_is_401_and_writes_nothing(api: TestClient, instance: Instance) -> None:
    response = api.put("/api/sync/customers", json={"items": [customer()]}, headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.json()["detail"] == "invalid API key"
    assert api.get(f"/api/sync/orders/{ORDER_NO}", headers={"Authorization": ""}).status_code == 401
    assert count(instance, Customer) == 0


def test_x_api_key_header_is_accepted(api: TestClient) -> None:
    response = api.put(
        "/api/sync/customers", json={"items": [customer()]}, headers={"Authorization": "", "X-API-Key": KEY}
    )
    assert response.status_code == 200


def test_embedded_demo_creates_its_key_file_once_and_reuses_it(tmp_path: Path) -> None:
    settings = Settings.from_env({}, data_dir=str(tmp_path / "data"))
    (key,) = resolve_sync_keys(settings)
    path = tmp_path / "data" / KEY_FILE
    assert path.read_text().strip() == key and len(key) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert resolve_sync_keys(settings) == (key,)


def test_configured_keys_win_and_no_key_file_is_made(tmp_path: Path) -> None:
    settings = Settings.from_env({"TRIAGE_SYNC_API_KEYS": f"{KEY}, second-key-0123456789"}, data_dir=str(tmp_path))
    assert resolve_sync_keys(settings) == (KEY, "second-key-0123456789")
    assert not (tmp_path / KEY_FILE).exists()


def test_production_without_keys_answers_503(tmp_path: Path, instance: Instance) -> None:
    production = {
        "DATABASE_URL": "postgresql://db/triage",
        "REDIS_URL": "redis://cache:6379/0",
        "TRIAGE_SECRET": SECRET,
    }
    keys = resolve_sync_keys(Settings.from_env(production, data_dir=str(tmp_path)))
    assert keys == ()
    assert not (tmp_path / KEY_FILE).exists()
    with TestClient(sync_app(tmp_path, instance, keys)) as c:
        response = c.put("/api/sync/customers", json={"items": [customer()]}, headers={"X-API-Key": KEY})
    assert response.status_code == 503
    assert response.json()["detail"] == "sync API disabled: set TRIAGE_SYNC_API_KEYS"


def test_api_docs_describe_each_request_body(api: TestClient) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    body = paths["/api/sync/orders"]["put"]["requestBody"]["content"]["application/json"]["schema"]
    order_fields = body["properties"]["items"]["items"]["properties"]
    assert order_fields["status"]["enum"][:2] == ["pending_payment", "paid"]
    assert "sku_code" in str(order_fields["items"])
