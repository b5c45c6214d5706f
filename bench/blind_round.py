"""One blind round, measured as the README reports it: the per-class table and the three triage
figures (topic accuracy, out-of-scope messages answered with an FAQ, requests for a person).

    python bench/blind_round.py knowledge_base/eval/blind9/messages_*.csv [--misses misses.csv]

Builds the product's NLU exactly as `triage nlu evaluate` does (the product knowledge base, the
configured thresholds, the desk's rules on) and parses every message once. `--misses` writes the
wrong ones (text, gold, got, confidence) for the teaching that follows a measured round.
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter, defaultdict
from pathlib import Path

from bot.nlu.evaluate import OUT_OF_SCOPE, apply_threshold, predict, read_rows
from bot.nlu.parser import NLU, Thresholds
from core.config import Settings
from knowledge_base.store import load_files

PERSON = "human_request"
# Topics the bot answers without an FAQ entry of the merchant's: greetings, thanks and the like.
SOCIAL = {"greeting", "goodbye", "thanks", "chitchat", "affirm", "deny", PERSON, OUT_OF_SCOPE}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--misses", type=Path)
    args = parser.parse_args()
    settings = Settings.from_env()
    thresholds = Thresholds(oos=settings.oos_threshold, answer=settings.answer_threshold)
    nlu = NLU.build(load_files(), thresholds)
    rows = [row for path in args.files for row in read_rows(path)]
    result = predict(nlu, rows, by_topic=True)
    got = apply_threshold(result, thresholds.oos)
    gold = result.gold

    by_class: dict[str, Counter[str]] = defaultdict(Counter)
    for g, p in zip(gold, got, strict=True):
        by_class[g][p] += 1
    print(f"{'class':<16} {'n':>4} {'right':>6} {'recall':>7}  most often taken for")
    for label in sorted(by_class, key=lambda k: (-sum(by_class[k].values()), k)):
        counts = by_class[label]
        n, right = sum(counts.values()), counts[label]
        wrong = ", ".join(f"{k} {v}" for k, v in counts.most_common() if k != label)[:60]
        print(f"{label:<16} {n:>4} {right:>6} {right / n:>7.1%}  {wrong}")

    n = len(gold)
    right = sum(g == p for g, p in zip(gold, got, strict=True))
    oos = [p for g, p in zip(gold, got, strict=True) if g == OUT_OF_SCOPE]
    answered = sum(p not in SOCIAL for p in oos)
    person = [p for g, p in zip(gold, got, strict=True) if g == PERSON]
    print(f"\ntopic accuracy: {right}/{n} = {right / n:.1%}")
    if oos:
        print(f"out of scope answered with an FAQ topic: {answered}/{len(oos)} = {answered / len(oos):.1%}")
    if person:
        found = sum(p == PERSON for p in person)
        print(f"requests for a person recognised: {found}/{len(person)} = {found / len(person):.1%}")
    if args.misses:
        with args.misses.open("w", newline="", encoding="utf-8") as f:
            out = csv.writer(f)
            out.writerow(["text", "gold", "got", "confidence"])
            for (text, _), g, p, c in zip(rows, gold, got, result.confidence, strict=True):
                if g != p:
                    out.writerow([text, g, p, f"{c:.3f}"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
