"""The topics every entry and intent is filed under. Reports, routing and evaluation use them."""

from __future__ import annotations

TOPICS: dict[str, str] = {
    "shipping_speed": "dispatch and delivery times, peak and holiday delays",
    "shipping_fee": "shipping fees, free-shipping threshold, carriers and delivery areas",
    "order_status": "where is my order or waybill (查货)",
    "payment_arrival": "money paid or owed not showing up: COD remittance (货款/回款), unpaid orders, transfers (查款)",
    "payment_method": "how to pay, cash on delivery, instalments, failed payments",
    "invoice": "invoices",
    "address_change": "changing the address, phone or recipient",
    "cancellation": "cancelling an order",
    "refund": "returns, refund process and refund timing, exchanges",
    "claim": "damage, loss, missing or wrong items (理赔)",
    "stock": "availability, restock, pre-sale",
    "product_info": "sizes, materials, authenticity, warranty",
    "account": "login, password, membership points",
    "promotion": "coupons, discounts, price protection",
    "complaint": "complaints (投诉)",
    "service_info": "service hours, hotline, how to reach the desk",
    "human_request": "the customer asks for a person",
    "greeting": "hello",
    "goodbye": "goodbye",
    "thanks": "thanks",
    "chitchat": "questions about the bot itself",
    "affirm": "yes",
    "deny": "no",
    "out_of_scope": "nothing the desk handles",
}
