"""Prometheus metrics for `GET /metrics`: traffic, latency, handoffs, the queue, service levels."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

MESSAGES = Counter("triage_messages_total", "Customer messages handled, by channel", ["channel"])
REPLY_SECONDS = Histogram(
    "triage_reply_seconds",
    "Time from a customer's message arriving to the bot's reply",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
HANDOFFS = Counter("triage_handoffs_total", "Conversations handed to a person, by reason", ["reason"])
QUEUE_LENGTH = Gauge("triage_queue_length", "Tickets waiting, by queue (refreshed by the desk sweep)", ["queue"])
SLA_BREACHES = Counter("triage_sla_breaches_total", "First responses that came late or not at all")
ACTION_FAILURES = Counter("triage_action_failures_total", "Lookups that failed or could not be reached", ["action"])


def render() -> tuple[bytes, str]:
    return generate_latest(), CONTENT_TYPE_LATEST
