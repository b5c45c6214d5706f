"""The report API's work over a month of 1,000,000 conversations on PostgreSQL.

    python bench/report_api.py [--conversations 1000000] [--runs 5] [--keep] [--schema NAME]

In a fresh schema of `TEST_DATABASE_URL` (default postgresql://postgres@127.0.0.1:5432/test),
migrated like the product's (the report indexes are migration 0008's), it generates a month
(November 2026, China time) of conversations with set-based SQL: about 70% served by the bot
alone (some coming back within a day, some rating it), the rest handed over to the desk's queues
(after hours too), with their messages, tickets picked up, answered and resolved at lifelike
times (a few late), transfers, customers coming back after a resolve, and ratings; the desk's
records are as of NOW, just after the month ended. Then VACUUM ANALYZE (what autovacuum does to
tables at rest), and each endpoint's work is run through the functions the API calls, with the
day cache in Redis database 14: first with nothing kept (the month computed whole), then `--runs`
times with the settled days kept and the others computed (a request a minute after the last),
then `--runs` times within the minute. It prints the median and slowest seconds of each and the
row counts. The schema is dropped afterwards unless `--keep`; `--schema` reuses a kept one.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import psycopg
import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.db import Database
from handoff.desk import load_desk
from reports import drill, export
from reports.daycache import DayCache
from reports.metrics import Reports
from reports.period import Period

PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
# The day cache's Redis: a database nothing else here uses (tests take 0, 7-10 and 13; the other
# benches 11 and 12), flushed before each endpoint's first request and at the end.
REDIS_URL = urlunsplit(urlsplit(os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0"))._replace(path="/14"))
MONTH = (date(2026, 11, 1), date(2026, 11, 30))
# When the supervisor looks: just after the month ended. The desk's records are as of then (an
# after-hours ticket of the last night still waits for the morning), and the last days' figures
# cannot be kept yet (their customers may still come back).
NOW = datetime(2026, 12, 1, 0, 30, tzinfo=ZoneInfo("Asia/Shanghai"))

# Agents by queue: (first id, how many). Ids are the fresh schema's 1..60, in this order.
AGENT_RANGES = {
    "tracking": (1, 12),
    "payments": (13, 12),
    "claims": (25, 12),
    "general": (37, 18),
    "supervisor": (55, 6),
}

# What customers write about, by share of conversations (cumulative thresholds, in CASE order).
TOPICS = [
    ("order_status", 0.24),
    ("shipping_speed", 0.10),
    ("payment_arrival", 0.12),
    ("refund", 0.12),
    ("claim", 0.06),
    ("address_change", 0.05),
    ("stock", 0.06),
    ("product_info", 0.06),
    ("promotion", 0.05),
    ("shipping_fee", 0.04),
    ("cancellation", 0.04),
    ("invoice", 0.02),
    ("payment_method", 0.02),
    ("account", 0.02),
]
QUEUE_OF_TOPIC = {
    "order_status": "tracking",
    "shipping_speed": "tracking",
    "address_change": "tracking",
    "payment_arrival": "payments",
    "payment_method": "payments",
    "invoice": "payments",
    "claim": "claims",
}
PHRASES = {
    "order_status": ["我的快递到哪了", "查一下物流", "订单怎么还没到", "where is my parcel"],
    "shipping_speed": ["几天能到", "什么时候发货", "能加急吗"],
    "payment_arrival": ["货款什么时候到账", "回款还没收到", "钱扣了订单没显示"],
    "refund": ["怎么退货", "退款多久到账", "可以换货吗"],
    "claim": ["东西摔坏了", "少发了一件", "包裹丢了怎么办"],
    "address_change": ["改一下地址", "换个收件电话"],
    "stock": ["还有货吗", "什么时候补货"],
    "product_info": ["这个杯子是什么材质", "尺码怎么选"],
    "promotion": ["有优惠券吗", "降价了能补差价吗"],
    "shipping_fee": ["运费多少", "满多少包邮"],
    "cancellation": ["取消订单", "不想要了能取消吗"],
    "invoice": ["开发票", "能开专票吗"],
    "payment_method": ["能用花呗吗", "支持货到付款吗"],
    "account": ["密码忘了", "积分怎么用"],
}
# What the bot did not answer: a few dozen questions asked again and again, and a long tail.
UNANSWERED = [
    "你们支持数字人民币吗",
    "能送到村里吗",
    "快递员态度太差了",
    "可以寄到香港吗",
    "发票抬头写错了",
    "能不能晚上送货",
    "你们有实体店吗",
    "可以用美元付款吗",
    "包装能不能不要写品名",
    "我想加盟",
    "能开收据吗",
    "你们招人吗",
    "do you ship to singapore",
    "can i pay in usd",
    "保价怎么算",
    "能指定顺丰吗",
]


def _sql_array(items: list[str]) -> str:
    return "ARRAY[" + ",".join("'" + s.replace("'", "''") + "'" for s in items) + "]"


def _topic_case(r: str) -> str:
    cases, total = [], 0.0
    for name, share in TOPICS:
        total += share
        cases.append(f"WHEN {r} < {total:.4f} THEN '{name}'")
    return "CASE " + " ".join(cases) + f" ELSE '{TOPICS[-1][0]}' END"


def _phrase_case(topic: str) -> str:
    cases = [f"WHEN '{t}' THEN ({_sql_array(p)})[1 + floor(random() * {len(p)})::int]" for t, p in PHRASES.items()]
    return f"CASE {topic} " + " ".join(cases) + " END"


def _queue_case(topic: str) -> str:
    cases = [f"WHEN '{t}' THEN '{q}'" for t, q in QUEUE_OF_TOPIC.items()]
    return f"CASE {topic} " + " ".join(cases) + " ELSE 'general' END"


def _lognormal(median: float, sigma: float, u1: str, u2: str) -> str:
    """Seconds drawn lognormally (Box–Muller over two uniforms), capped at 6 hours."""
    return f"least({median} * exp({sigma} * sqrt(-2 * ln(greatest({u1}, 1e-9))) * cos(2 * pi() * {u2})), 21600)"


def generation(conversations: int, first: date, days: int, seed: float = 0.19) -> list[str]:
    """The statements that fill a migrated, empty schema; each set-based."""
    month_start = f"(timestamp '{first.isoformat()} 00:00' AT TIME ZONE 'Asia/Shanghai')"
    now = f"(timestamptz '{NOW.isoformat()}')"
    agents = []
    for queue, (start, count) in AGENT_RANGES.items():
        agents.append(f"SELECT a, '{queue}' FROM generate_series({start}, {start + count - 1}) a")
    agent_of = " ".join(
        f"WHEN '{q}' THEN {start} + floor(r_agent * {count})::int" for q, (start, count) in AGENT_RANGES.items()
    )
    return [
        f"SELECT setseed({seed})",
        # Agents 1..60 and a supervisor.
        f"""INSERT INTO agents (id, username, display_name, password_hash, role, skills, max_chats, presence)
        SELECT a, 'agent' || lpad(a::text, 3, '0'), '客服' || a, '-', 'agent', jsonb_build_array(q), 3, 'offline'
        FROM ({" UNION ALL ".join(agents)}) x(a, q)""",
        "INSERT INTO agents (id, username, display_name, password_hash, role, skills, max_chats, presence) "
        "VALUES (61, 'boss', '主管', '-', 'supervisor', '[]', 3, 'offline')",
        "SELECT setval(pg_get_serial_sequence('agents', 'id'), 61)",
        # One row per conversation with every draw it needs.
        f"""CREATE UNLOGGED TABLE bench_c AS
        SELECT md5('c' || t.n)::uuid::text AS id, t.*,
               {_topic_case("r_topic")} AS topic,
               CASE WHEN r_lang < 0.92 THEN 'zh' WHEN r_lang < 0.98 THEN 'en' ELSE 'mixed' END AS lang,
               {month_start} + floor(r_day * {days}) * interval '1 day'
                 + make_interval(secs => CASE WHEN r_peak < 0.88 THEN 8 * 3600 + 15 * 3600 * (r_tod + r_tod2) / 2
                                              ELSE 86400 * r_tod END) AS start,
               r_kind >= 0.72 AS handed,
               CASE WHEN r_kind >= 0.72 THEN 1 + floor(r_nin * 3)::int ELSE 1 + floor(r_nin * 4)::int END AS n_in
        FROM (SELECT n, random() r_kind, random() r_topic, random() r_lang, random() r_day, random() r_peak,
                     random() r_tod, random() r_tod2, random() r_nin, random() r_reopen, random() r_gap,
                     random() r_rate, random() r_score, random() r_reason, random() r_claim, random() r_w1,
                     random() r_w2, random() r_f1, random() r_f2, random() r_h1, random() r_h2, random() r_status,
                     random() r_transfer, random() r_agent, random() r_back, random() r_backgap, random() r_backtopic
              FROM generate_series(1, {conversations}) n) t""",
        # The handed-over ones: reason, queue, when, after hours or not.
        f"""CREATE UNLOGGED TABLE bench_h AS
        SELECT c.*, h.*, q.queue, q.reason,
               CASE WHEN local_h.hour >= 9 AND local_h.hour < 22 THEN h.handoff
                    ELSE ((date_trunc('day', h.handoff AT TIME ZONE 'Asia/Shanghai')
                           + CASE WHEN local_h.hour >= 22 THEN interval '1 day' ELSE interval '0' END
                           + interval '9 hours') AT TIME ZONE 'Asia/Shanghai') END AS base,
               NOT (local_h.hour >= 9 AND local_h.hour < 22) AS after_hours
        FROM bench_c c
        CROSS JOIN LATERAL (SELECT c.start + (c.n_in - 1) * interval '45 seconds' + interval '1 second' AS handoff) h
        CROSS JOIN LATERAL (SELECT extract(hour FROM h.handoff AT TIME ZONE 'Asia/Shanghai') AS hour) local_h
        CROSS JOIN LATERAL (
          SELECT CASE WHEN c.r_reason < 0.06 THEN 'supervisor' ELSE {_queue_case("c.topic")} END AS queue,
                 CASE WHEN c.r_reason < 0.06 THEN 'complaint'
                      WHEN c.topic = 'claim' AND c.r_reason < 0.6 THEN 'claim'
                      WHEN c.topic = 'order_status' AND c.r_reason < 0.2 THEN 'tracking_stuck'
                      WHEN c.topic = 'payment_arrival' AND c.r_reason < 0.25 THEN 'remittance_overdue'
                      WHEN c.r_reason < 0.55 THEN 'human_request'
                      WHEN c.r_reason < 0.72 THEN 'fallback'
                      WHEN c.r_reason < 0.80 THEN 'anger'
                      WHEN c.r_reason < 0.86 THEN 'complaint'
                      WHEN c.r_reason < 0.92 THEN 'order_not_found'
                      WHEN c.r_reason < 0.96 THEN 'slot_failed'
                      ELSE 'lookup_unavailable' END AS reason) q
        WHERE c.handed""",
        # Each ticket's times as drawn, then as the desk has them at `now`: a pickup, a reply or a close
        # still to come is not there yet. A few are picked up late (10 to 60 minutes).
        f"""CREATE UNLOGGED TABLE bench_t AS
        SELECT h.*, CASE h.queue {agent_of} END AS agent1, h.base + interval '3 minutes' AS due,
               CASE WHEN x.assigned <= {now} THEN x.assigned END AS assigned,
               CASE WHEN x.first_response <= {now} THEN x.first_response END AS first_response,
               CASE WHEN x.closed <= {now} THEN x.closed END AS closed,
               CASE WHEN h.r_transfer < 0.07 AND x.transfer <= {now} THEN x.transfer END AS transfer,
               CASE WHEN h.base > {now} THEN 'offline' WHEN x.assigned > {now} THEN 'queued'
                    WHEN x.closed > {now} THEN 'assigned' WHEN h.r_status < 0.90 THEN 'resolved'
                    ELSE 'handed_back' END AS status
        FROM bench_h h
        CROSS JOIN LATERAL (
          SELECT h.base + make_interval(secs => {_lognormal(45, 0.9, "h.r_w1", "h.r_w2")}
                   + CASE WHEN h.r_claim >= 0.97 THEN 600 + 3000 * h.r_w2 ELSE 0 END) AS assigned) a
        CROSS JOIN LATERAL (
          SELECT a.assigned, a.assigned + make_interval(secs => 5 + {_lognormal(25, 0.8, "h.r_f1", "h.r_f2")})
                   AS first_response,
                 a.assigned + make_interval(secs => 60 + {_lognormal(420, 0.7, "h.r_h1", "h.r_f1")}) AS closed) w
        CROSS JOIN LATERAL (
          SELECT w.assigned, w.first_response, w.closed, w.assigned + (w.closed - w.assigned) / 3 AS transfer) x""",
        # Conversations.
        """INSERT INTO conversations (id, sender_id, channel, language, state, fallback_count, slots, handoff_reason,
                                      handoff_at, metadata, created_at, updated_at)
        SELECT c.id, 'u' || c.n, CASE WHEN c.n % 5 = 0 THEN 'wechat' ELSE 'rest' END, c.lang,
               CASE WHEN t.status IN ('queued', 'offline') THEN 'pending_handoff' WHEN t.status = 'assigned' THEN 'human'
                    ELSE 'bot' END,
               0, '{}', t.reason, t.handoff, '{}', c.start, coalesce(t.closed, c.start)
        FROM bench_c c LEFT JOIN bench_t t ON t.n = c.n""",
        # The customer's messages to the bot and its replies.
        f"""INSERT INTO messages (conversation_id, direction, author, text, parse, topic, confidence, language, outcome,
                                 created_at)
        SELECT c.id, 'in', 'customer', x.text,
               jsonb_build_object('text', x.text, 'intent', jsonb_build_object('name', 'faq', 'confidence', 0.8),
                                  'intent_ranking', jsonb_build_array(), 'entities', jsonb_build_array(),
                                  'language', c.lang, 'topic', x.topic, 'faq_id', x.topic || '_1',
                                  'sentiment', jsonb_build_object('anger', 0.0, 'angry', false)),
               x.topic, 0.4 + 0.6 * random(), c.lang, x.outcome, c.start + (k - 1) * interval '45 seconds'
        FROM bench_c c CROSS JOIN LATERAL generate_series(1, c.n_in) k
        CROSS JOIN LATERAL (SELECT random() + 0 * k AS r) o  -- correlated, so drawn per row
        CROSS JOIN LATERAL (
          SELECT CASE WHEN c.handed AND k = c.n_in THEN 'handoff'
                      WHEN o.r < 0.62 THEN 'answer' WHEN o.r < 0.77 THEN 'action' WHEN o.r < 0.85 THEN 'clarify'
                      WHEN o.r < 0.91 THEN 'fallback' WHEN o.r < 0.95 THEN 'out_of_scope' WHEN o.r < 0.96 THEN 'declined'
                      ELSE 'answer' END AS outcome) oc
        CROSS JOIN LATERAL (
          SELECT CASE WHEN c.handed AND k = c.n_in AND c.r_reason >= 0.3 THEN '转人工'
                      WHEN oc.outcome IN ('clarify', 'fallback', 'out_of_scope', 'declined')
                        THEN ({_sql_array(UNANSWERED)})[1 + floor(power(random(), 2) * {len(UNANSWERED)})::int]
                          || CASE WHEN random() < 0.3 THEN '？' ELSE '' END
                      WHEN o.r >= 0.96 THEN '谢谢' ELSE {_phrase_case("c.topic")} END AS text,
                 CASE WHEN c.handed AND k = c.n_in AND c.r_reason >= 0.3 THEN 'human_request'
                      WHEN oc.outcome = 'out_of_scope' THEN 'out_of_scope'
                      WHEN o.r >= 0.96 THEN 'thanks' ELSE c.topic END AS topic,
                 oc.outcome) x""",
        """INSERT INTO messages (conversation_id, direction, author, text, custom, language, created_at)
        SELECT m.conversation_id, 'out', 'bot', '这是机器人的回答：' || m.text,
               CASE WHEN m.outcome = 'answer' THEN jsonb_build_object('faq_id', m.topic || '_' || (1 + m.id % 3),
                                                                      'topic', m.topic) END,
               m.language, m.created_at + interval '1 second'
        FROM messages m WHERE m.direction = 'in'""",
        # Coming back to the bot: within the next two days (half within 24 hours), or days later.
        """INSERT INTO messages (conversation_id, direction, author, text, parse, topic, confidence, language, outcome,
                                 created_at)
        SELECT c.id, 'in', 'customer', '还是没收到', '{}', c.topic, 0.7, c.lang, 'answer',
               c.start + (c.n_in - 1) * interval '45 seconds'
                 + make_interval(secs => CASE WHEN c.r_reopen < 0.05 THEN 2700 + 170000 * c.r_gap
                                              ELSE 259200 + 600000 * c.r_gap END)
        FROM bench_c c WHERE NOT c.handed AND c.r_reopen < 0.08""",
        f"DELETE FROM messages WHERE created_at > {now}",
        # Tickets; their ids follow the conversations' numbers, so events and ratings can name them.
        # A transfer to a colleague moves the ticket's agent and assigned_at, as the desk does.
        f"""INSERT INTO tickets (id, conversation_id, status, reason, queue, priority, created_at, first_response_due,
                                overflow_at, agent_id, assigned_at, first_response_at, sla_breached, closed_at,
                                summary, context, labels, csat)
        SELECT t.n, t.id, t.status, t.reason, t.queue, 0, t.handoff, t.due, NULL,
               CASE WHEN t.assigned IS NULL THEN NULL WHEN t.transfer IS NOT NULL THEN t.agent1 % 60 + 1
                    ELSE t.agent1 END,
               coalesce(t.transfer, t.assigned), t.first_response,
               CASE WHEN t.first_response IS NOT NULL THEN t.first_response > t.due ELSE t.due < {now} END,
               CASE WHEN t.status IN ('resolved', 'handed_back') THEN t.closed END,
               '客户说：' || t.topic || E'\\n转人工原因：' || t.reason,
               jsonb_build_object('reason', t.reason, 'channel', 'rest',
                                  'handoff', jsonb_build_object('topic', t.topic, 'subject', t.topic)),
               '[]',
               CASE WHEN t.status = 'resolved' AND t.r_rate < 0.35 THEN
                      CASE WHEN t.r_score < 0.55 THEN 5 WHEN t.r_score < 0.80 THEN 4 WHEN t.r_score < 0.90 THEN 3
                           WHEN t.r_score < 0.95 THEN 2 ELSE 1 END END
        FROM bench_t t""",
        # A second handoff soon after a resolve, on some.
        f"""INSERT INTO tickets (id, conversation_id, status, reason, queue, priority, created_at, first_response_due,
                                agent_id, assigned_at, first_response_at, sla_breached, closed_at, summary, context,
                                labels)
        SELECT t.n + {conversations}, t.id, 'resolved', 'human_request', t.queue, 0, t.closed + make_interval(secs => s.gap),
               t.closed + make_interval(secs => s.gap + 180), t.agent1,
               t.closed + make_interval(secs => s.gap + 50), t.closed + make_interval(secs => s.gap + 80), false,
               t.closed + make_interval(secs => s.gap + 500), '客户说：又来了', '{{}}', '[]'
        FROM bench_t t CROSS JOIN LATERAL (SELECT 7200 + 360000 * t.r_backgap AS gap) s
        WHERE t.status = 'resolved' AND t.r_back >= 0.10 AND t.r_back < 0.13
          AND t.closed + make_interval(secs => s.gap + 500) <= {now}""",
        "SELECT setval(pg_get_serial_sequence('tickets', 'id'), (SELECT max(id) FROM tickets))",
        # The desk's side of each ticket: the person joins, answers, the customer writes, it is closed.
        """INSERT INTO messages (conversation_id, direction, author, text, custom, language, created_at)
        SELECT t.conversation_id, 'out', 'system', '已为您转接人工客服，请稍候', '{"system": true, "handoff": true}',
               'zh', t.created_at + interval '1 second'
        FROM tickets t""",
        f"""INSERT INTO messages (conversation_id, direction, author, text, custom, language, topic, outcome,
                                 created_at)
        SELECT t.conversation_id, x.direction, x.author, x.text, x.custom, 'zh', x.topic, x.outcome, x.at
        FROM tickets t CROSS JOIN LATERAL (VALUES
          ('out', 'agent', '客服' || t.agent_id || '为您服务', jsonb_build_object('author', 'agent', 'agent_id', t.agent_id),
           NULL, NULL, t.assigned_at),
          ('out', 'agent', '您好，我看一下您的订单', jsonb_build_object('author', 'agent', 'agent_id', t.agent_id),
           NULL, NULL, t.first_response_at),
          ('in', 'customer', '好的麻烦快点', NULL, 'complaint', 'silent', t.first_response_at + interval '40 seconds'),
          ('out', 'agent', '已经帮您处理好了', jsonb_build_object('author', 'agent', 'agent_id', t.agent_id),
           NULL, NULL, t.first_response_at + interval '100 seconds')
        ) x(direction, author, text, custom, topic, outcome, at)
        WHERE x.at <= {now}""",
        # After a resolve, some customers write again: mostly about the same thing, some within 72 hours.
        f"""INSERT INTO messages (conversation_id, direction, author, text, parse, topic, confidence, language,
                                  outcome, created_at)
        SELECT t.id, 'in', 'customer', '上次说的还没好', '{{}}',
               CASE WHEN t.r_backtopic < 0.7 THEN t.topic ELSE 'promotion' END, 0.8, t.lang, 'answer', b.at
        FROM bench_t t CROSS JOIN LATERAL (SELECT t.closed + make_interval(secs => 3600 + 342000 * t.r_backgap) AS at) b
        WHERE t.status = 'resolved' AND t.r_back < 0.10 AND b.at <= {now}""",
        # Events: queued (or left after hours, then queued at opening), claimed, transferred, breached, closed.
        """INSERT INTO ticket_events (ticket_id, kind, agent_id, data, at)
        SELECT t.n, 'queued', NULL, '{}', t.handoff FROM bench_t t WHERE NOT t.after_hours""",
        f"""INSERT INTO ticket_events (ticket_id, kind, agent_id, data, at)
        SELECT t.n, e.kind, NULL, e.data, e.at FROM bench_t t CROSS JOIN LATERAL (VALUES
          ('offline', '{{}}'::jsonb, t.handoff), ('queued', '{{"after_hours": true}}'::jsonb, t.base)) e(kind, data, at)
        WHERE t.after_hours AND e.at <= {now}""",
        """INSERT INTO ticket_events (ticket_id, kind, agent_id, data, at)
        SELECT t.n, 'claimed', t.agent1, '{}', t.assigned FROM bench_t t WHERE t.assigned IS NOT NULL""",
        """INSERT INTO ticket_events (ticket_id, kind, agent_id, data, at)
        SELECT t.n, 'transferred', t.agent1, jsonb_build_object('to_agent', t.agent1 % 60 + 1), t.transfer
        FROM bench_t t WHERE t.transfer IS NOT NULL""",
        f"""INSERT INTO ticket_events (ticket_id, kind, agent_id, data, at)
        SELECT t.id, 'sla_breached', NULL, jsonb_build_object('due', t.first_response_due), t.first_response_due
        FROM tickets t WHERE t.sla_breached AND t.first_response_due <= {now}""",
        """INSERT INTO ticket_events (ticket_id, kind, agent_id, data, at)
        SELECT t.id, CASE WHEN t.status = 'resolved' THEN 'resolved' ELSE 'handed_back' END, t.agent_id, '{}',
               t.closed_at
        FROM tickets t WHERE t.closed_at IS NOT NULL""",
        # Ratings: the people's (a resolved ticket's survey) and the bot's.
        f"""INSERT INTO ratings (conversation_id, ticket_id, agent_id, queue, score, at)
        SELECT t.conversation_id, t.id, t.agent_id, t.queue, t.csat, t.closed_at + interval '30 seconds'
        FROM tickets t WHERE t.csat IS NOT NULL AND t.closed_at + interval '30 seconds' <= {now}""",
        """INSERT INTO ratings (conversation_id, ticket_id, agent_id, queue, score, at)
        SELECT c.id, NULL, NULL, NULL,
               CASE WHEN c.r_score < 0.40 THEN 5 WHEN c.r_score < 0.65 THEN 4 WHEN c.r_score < 0.80 THEN 3
                    WHEN c.r_score < 0.90 THEN 2 ELSE 1 END,
               c.start + c.n_in * interval '45 seconds'
        FROM bench_c c WHERE NOT c.handed AND c.r_rate < 0.10""",
        "DROP TABLE bench_t",
        "DROP TABLE bench_h",
        "DROP TABLE bench_c",
    ]


TABLES = ("conversations", "messages", "tickets", "ticket_events", "ratings", "agents")


def counts(conn: psycopg.Connection[Any]) -> dict[str, int]:
    return {t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in TABLES}  # type: ignore[index,arg-type]


def fill(url: str, schema: str, conversations: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'SET search_path TO "{schema}"')
        first, last = MONTH
        for statement in generation(conversations, first, (last - first).days + 1):
            began = time.perf_counter()
            conn.execute(statement)  # type: ignore[arg-type]
            print(f"  {time.perf_counter() - began:6.1f} s  {' '.join(statement.split())[:90]}", flush=True)
        began = time.perf_counter()
        for table in TABLES:  # what autovacuum does to tables at rest: statistics, and the visibility map
            conn.execute(f"VACUUM ANALYZE {table}")  # type: ignore[arg-type]
        print(f"  {time.perf_counter() - began:6.1f} s  VACUUM ANALYZE", flush=True)


def endpoints(db: Database, cache: DayCache) -> dict[str, Callable[[], object]]:
    """Each report endpoint's work, as staff/report_api.py runs it: one session, the desk's rules,
    the day cache, the clock at NOW."""
    first, last = MONTH
    month = Period(first, last)
    desk = load_desk()

    def view(name: str, period: Period) -> Callable[[], object]:
        def go() -> object:
            return getattr(Reports(db.session, desk, cache, NOW), name)(period)

        return go

    def listed(metric: str, period: Period) -> Callable[[], object]:
        def go() -> object:
            return drill.conversations(db.session, desk, cache, period, metric, NOW, limit=100, offset=0)

        return go

    def exported() -> object:
        return export.to_xlsx("daily", Reports(db.session, desk, cache, NOW).daily(month), "daily")

    return {
        "summary": view("summary", month),
        "summary ?queue=claims": view("summary", Period(first, last, queue="claims")),
        "summary ?agent=25": view("summary", Period(first, last, agent_id=25)),
        "daily": view("daily", month),
        "queues": view("queues", month),
        "agents": view("agents", month),
        "export daily xlsx": exported,
        "conversations handoff (month)": listed("handoff", month),
        "conversations contained (month)": listed("contained", month),
    }


def timed(work: Callable[[], object], runs: int) -> tuple[float, float]:
    seconds = []
    for _ in range(runs):
        began = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - began)
    return statistics.median(seconds), max(seconds)


def measure(db: Database, store: redis.Redis, runs: int) -> None:
    """Per endpoint: the first request with nothing kept (the month computed whole), then `runs`
    requests once the settled days are kept (the days not settled computed each time: a request a
    minute or more after the last), then `runs` within the minute (everything read back)."""
    print(f"\nnow {NOW.isoformat()}; median and slowest of {runs} runs, seconds")
    print(f"{'endpoint':<38} {'first':>7} {'kept: median':>13} {'max':>6} {'warm: median':>13} {'max':>6}")
    for name in endpoints(db, DayCache(store)):
        store.flushdb()
        cold = timed(endpoints(db, DayCache(store))[name], 1)[0]
        kept = timed(endpoints(db, DayCache(store, live_seconds=0))[name], runs)
        warm_work = endpoints(db, DayCache(store))[name]
        warm_work()
        warm = timed(warm_work, runs)
        print(f"{name:<38} {cold:7.2f} {kept[0]:13.2f} {kept[1]:6.2f} {warm[0]:13.2f} {warm[1]:6.2f}", flush=True)
    store.flushdb()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the schema (printed) for a look around")
    parser.add_argument("--schema", help="reuse this filled schema instead of generating one")
    args = parser.parse_args()

    schema = args.schema or f"bench_reports_{uuid.uuid4().hex[:8]}"
    if not args.schema:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
    url = f"{PG_URL}?options=-csearch_path%3D{schema}".replace("postgresql://", "postgresql+psycopg://", 1)
    db = Database(url)
    try:
        if not args.schema:
            db.migrate()
            began = time.perf_counter()
            fill(PG_URL, schema, args.conversations)
            print(f"generated in {time.perf_counter() - began:.0f} s")
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'SET search_path TO "{schema}"')
            print(counts(conn))
        with redis.Redis.from_url(REDIS_URL) as store:
            measure(db, store, args.runs)
    finally:
        db.engine.dispose()
        if args.keep or args.schema:
            print(f"schema kept: {schema}")
        else:
            with psycopg.connect(PG_URL, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


if __name__ == "__main__":
    main()
