"""What each part of the matcher adds, on the product knowledge base and the dev messages.

    python bench/ablation.py [--test knowledge_base/eval/dev.csv]

Closed-set topic accuracy on the in-scope messages (the out-of-scope decision is left out so
the variants compare on equal terms):
- rapidfuzz nearest paraphrase alone (`ratio` over normalised text),
- the linear SVM alone (its best label),
- the full matcher (SVM + nearest-row cosine + rapidfuzz, calibrated).
"""

from __future__ import annotations

import argparse

from rapidfuzz import fuzz, process

from bot.nlu.evaluate import read_rows
from bot.nlu.normalize import normalize
from bot.nlu.parser import NLU, OUT_OF_SCOPE
from knowledge_base.store import load_files


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--test", default="knowledge_base/eval/dev.csv")
    args = parser.parse_args()
    entries = load_files()
    nlu = NLU.build(entries)
    topic = {e.id: e.topic for e in entries}
    texts = [(normalize(x), e.id) for e in entries for x in e.examples()]
    choices = [t for t, _ in texts]
    rows = [(t, label) for t, label in read_rows(args.test) if label != OUT_OF_SCOPE]
    hits = {"rapidfuzz nearest paraphrase": 0, "linear SVM alone": 0, "full matcher": 0}
    for text, label in rows:
        found = process.extractOne(normalize(text), choices, scorer=fuzz.ratio)
        hits["rapidfuzz nearest paraphrase"] += found is not None and topic[texts[found[2]][1]] == label
        candidates = nlu.matcher.rank(text, k=5)
        if candidates:
            hits["linear SVM alone"] += topic[max(candidates, key=lambda c: c.svm).label] == label
            hits["full matcher"] += topic[candidates[0].label] == label
    print(f"{len(rows)} in-scope messages from {args.test}")
    for name, n in hits.items():
        print(f"{name:30} {n / len(rows):7.1%}")


if __name__ == "__main__":
    main()
