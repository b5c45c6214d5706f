"""How the matcher carries a large knowledge base (an import of 10,000 entries).

    python bench/kb_scale.py [--entries 10000] [--phrasings 5]

Past DENSE_LIMIT label x feature weights the matcher scores labels by their centroid instead
of a one-vs-rest SVM (which would need ~30 GB at 10,000 entries). This prints, in one run:
- the bundled knowledge base (SVM mode) as the baseline: build seconds, rank p50/p99, update;
- a generated knowledge base of `--entries` entries (centroid mode): the same figures, peak
  memory, and how often a stored phrasing finds its own entry;
- what centroid mode costs in accuracy: topic accuracy on the held-out customer messages of
  the bundled knowledge base with each classifier.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import time
from importlib import resources

import numpy as np

from bot.nlu.match import Matcher
from knowledge_base.store import load_files


def timed_ranks(matcher: Matcher, queries: list[str]) -> tuple[float, float]:
    laps = []
    for text in queries:
        start = time.perf_counter()
        matcher.rank(text)
        laps.append(time.perf_counter() - start)
    p50, p99 = np.percentile(laps, [50, 99])
    return float(p50) * 1000, float(p99) * 1000


def generated(n: int, phrasings: int, seed: int = 1) -> list[tuple[str, str]]:
    """Entries made of fragments of real customer phrasings plus characters unique to each."""
    rng = random.Random(seed)
    real = [t for e in load_files() for t in e.examples()]
    chars = [c for t in real for c in t if "\u4e00" <= c <= "\u9fff"]
    rows = []
    for i in range(n):
        stem = "".join(rng.choice(chars) for _ in range(4))
        for _ in range(phrasings):
            tail = "".join(rng.choice(chars) for _ in range(2))
            rows.append((rng.choice(real)[:12] + stem + tail, f"entry_{i}"))
    return rows


def heldout_accuracy(dense: bool) -> float:
    entries = load_files()
    topic = {e.id: e.topic for e in entries}
    examples = [(t, e.id) for e in entries for t in e.examples()]
    matcher = Matcher.train(examples, dense=dense)
    path = resources.files("knowledge_base") / "eval" / "heldout.csv"
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    hits = 0
    for row in rows:
        best = matcher.rank(row["text"], k=1)
        label = topic[best[0].label] if best and best[0].confidence >= 0.3 else "out_of_scope"
        hits += label == row["label"]
    return hits / len(rows)


def report(name: str, examples: list[tuple[str, str]], queries: list[str]) -> tuple[Matcher, dict[str, float]]:
    start = time.perf_counter()
    matcher = Matcher.train(examples)
    build = time.perf_counter() - start
    p50, p99 = timed_ranks(matcher, queries)
    label = examples[0][1]
    start = time.perf_counter()
    matcher.update({label: [examples[0][0], "一个全新的问法"]})
    update = time.perf_counter() - start
    mode = "centroid" if matcher._model.coef is None else "svm"
    print(f"{name:<28}{mode:>9}{len(examples):>8}{build:>9.1f}{p50:>8.2f}{p99:>8.2f}{update:>9.2f}")
    return matcher, {"build": build, "p50": p50, "p99": p99, "update": update}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--phrasings", type=int, default=5)
    args = parser.parse_args()
    bundled = [(t, e.id) for e in load_files() for t in e.examples()]
    big = generated(args.entries, args.phrasings)
    rng = random.Random(2)
    print(f"{'knowledge base':<28}{'mode':>9}{'rows':>8}{'build s':>9}{'p50 ms':>8}{'p99 ms':>8}{'update s':>9}")
    _, base = report("bundled (baseline)", bundled, [t for t, _ in rng.sample(bundled, 500)])
    sample = rng.sample(big, 500)
    big_matcher, large = report(f"generated, {args.entries} entries", big, [t for t, _ in sample])
    print(f"peak memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB")
    hits = sum(big_matcher.rank(text, k=1)[0].label == label for text, label in sample)
    print(f"stored phrasings finding their own entry (generated): {hits / len(sample):.3f}")
    for key in ("build", "p50", "p99", "update"):
        print(f"ratio generated / bundled, {key}: {large[key] / base[key]:.1f}")
    svm, centroid = heldout_accuracy(dense=True), heldout_accuracy(dense=False)
    print(f"held-out topic accuracy, bundled KB: svm {svm:.4f}, centroid {centroid:.4f}")


if __name__ == "__main__":
    main()
