"""The brief a blind round's authors write from, generated from what the product ships.

    python bench/blind_brief.py OUT_DIR

Writes `topics_and_faq.md` (every topic and the questions of its FAQ entries, from the
bundled knowledge base), `MERCHANT.md` (the merchant's description), `desk.md` (the desk's
queues and the conversation outcomes, from `handoff/desk.yaml`), `orders.md` (the showcase
orders, from the README) and `check.py` (the format checker the authors run on their files).
Nothing of the NLU, its rules, its training phrasings or any eval file goes into it.
"""

from __future__ import annotations

import argparse
import shutil
from collections import defaultdict
from pathlib import Path

import yaml

from knowledge_base.store import load_files
from knowledge_base.topics import TOPICS

ROOT = Path(__file__).resolve().parent.parent

DESK = """\
# The desk (one page)

Customers write to the bot on the merchant's web chat or a chat app. For every message the bot
does one of four things; a conversation's **outcome** is what it did on the last turn:

- `answered`: it replied from the knowledge base (an FAQ answer), or from the systems after a
  lookup (order status, stock, refund, COD remittance), or with a social reply (hello, thanks).
- `declined`: the message is about nothing this desk handles (another shop, another courier's
  own parcel, a bank, daily life); the bot says so politely and offers what it can do.
- `asks_order`: it needs the order number, or the last four digits of the phone on the order,
  before it can look anything up, and asks for it.
- `handoff`: it hands the customer to a person, with the conversation, into a queue.

When the bot hands over:
- at once when the customer asks for a person, in any words;
- a complaint, or an angry customer who cannot be helped by a lookup;
- a threat to go outside (regulators such as 12315, the press, police, lawyers, chargebacks,
  social media) or abuse: this is a **major complaint** and goes to `supervisor`;
- a lookup that finds something a person must handle (a parcel stuck for days, a remittance
  overdue or held, a damage or loss claim, an order number that does not exist);
- the bot failed to understand the same customer twice.
An impatient customer who gave an order number gets the lookup first.
To show an order, the bot needs the order number and the last four digits of the owner's phone.

Queues (each with a first-response target of {minutes} minutes):
{queues}
A ticket goes to the queue of what the customer needs **now** (the latest subject or lookup),
not the first subject of the chat. A request for a person that names a subject goes to that
subject's queue; one that names none goes to `general`. Business hours {open}–{close} China
time; outside them the bot takes a message.
"""

QUEUE_ROLE = {
    "tracking": "where a parcel is, stuck or lost in transit, delivery, address changes",
    "payments": "COD remittance (货款), buyer payments, payment methods, invoices",
    "claims": "damage, loss, missing or wrong items",
    "general": "everything else: refunds and returns, cancellations, accounts, complaints",
    "supervisor": "major complaints (threats to go outside, abuse)",
}

CHECK = '''\
"""Check a blind round's files: python check.py messages_x.csv conversations_x.yaml"""
import csv, sys, yaml
TOPICS = {topics!r}
OUTCOMES = {{"answered", "declined", "asks_order", "handoff"}}
QUEUES = {queues!r}
bad = 0
for path in sys.argv[1:]:
    if path.endswith(".csv"):
        with open(path, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        for n, row in enumerate(rows, 2):
            if set(row) != {{"text", "label"}} or not (row["text"] or "").strip():
                print(path, n, "needs text,label"); bad += 1
            elif row["label"] not in TOPICS:
                print(path, n, "unknown label", row["label"]); bad += 1
        print(path, len(rows), "messages")
    else:
        convs = yaml.safe_load(open(path, encoding="utf-8"))
        for c in convs:
            ok = isinstance(c.get("turns"), list) and c["turns"] and c.get("outcome") in OUTCOMES
            q = c.get("queue")
            ok = ok and ((c["outcome"] == "handoff") == (q is not None)) and (q is None or q in QUEUES)
            if not ok or not c.get("id"):
                print(path, c.get("id"), "needs id, turns, outcome, queue (only for handoff)"); bad += 1
        print(path, len(convs), "conversations")
sys.exit(1 if bad else 0)
'''


def topics_and_faq() -> str:
    by_topic: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for entry in load_files():
        if entry.kind == "faq":
            by_topic[entry.topic].append((entry.question["zh"], entry.question["en"]))
    lines = ["# Topics and the FAQ's questions", "", "Label every message with one of these topics."]
    for topic, what in TOPICS.items():
        lines += ["", f"## `{topic}`: {what}"]
        lines += [f"- {zh} / {en}" for zh, en in by_topic.get(topic, [])]
    return "\n".join(lines) + "\n"


def orders() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("#### Showcase orders")
    end = readme.index("\n## ", start)
    return "# The demo orders the systems hold\n\n" + readme[start:end].split("\n", 1)[1].strip() + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    desk = yaml.safe_load((ROOT / "handoff" / "desk.yaml").read_text(encoding="utf-8"))
    queues = desk["queues"]
    minutes = {q["first_response_minutes"] for q in queues.values()}
    listing = "\n".join(
        f"- `{key}` ({q['name_zh']} / {q['name_en']}): {QUEUE_ROLE.get(key, '')}" for key, q in queues.items()
    )
    hours = desk["business_hours"]
    (out / "topics_and_faq.md").write_text(topics_and_faq(), encoding="utf-8")
    shutil.copy(ROOT / "knowledge_base" / "data" / "MERCHANT.md", out / "MERCHANT.md")
    text = DESK.format(minutes="/".join(map(str, sorted(minutes))), queues=listing, **hours)
    (out / "desk.md").write_text(text, encoding="utf-8")
    (out / "orders.md").write_text(orders(), encoding="utf-8")
    (out / "check.py").write_text(CHECK.format(topics=sorted(TOPICS), queues=sorted(queues)), encoding="utf-8")
    print(f"brief written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
