"""Parse latency of the product NLU, against a baseline measured in the same run.

    python bench/parse_latency.py [--repeat 3]

Sends every held-out customer message through `NLU.parse` (normalise, language, entities,
anger, matching, calibration) one at a time, and for scale times the plainest possible
matcher on the same messages and paraphrases: rapidfuzz `extractOne` with `ratio` over
every stored paraphrase. Prints p50/p99 of both and their ratio.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from rapidfuzz import fuzz, process

from bot.nlu.evaluate import product_heldout, read_rows
from bot.nlu.normalize import normalize
from bot.nlu.parser import NLU
from knowledge_base.store import load_files


def timed(fn, texts: list[str], repeat: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(repeat):
        for t in texts:
            start = time.perf_counter()
            fn(t)
            out.append((time.perf_counter() - start) * 1000)
    return np.array(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    entries = load_files()
    nlu = NLU.build(entries)
    texts = [t for t, _ in read_rows(product_heldout())]
    choices = [normalize(x) for e in entries for x in e.examples()]
    for t in texts[:50]:  # warm caches and allocators
        nlu.parse(t)
    ours = timed(nlu.parse, texts, args.repeat)
    base = timed(lambda t: process.extractOne(normalize(t), choices, scorer=fuzz.ratio), texts, args.repeat)
    print(f"messages: {len(texts)} x {args.repeat}, paraphrases: {len(choices)}")
    print(f"{'':24}{'p50 ms':>10}{'p99 ms':>10}")
    print(f"{'NLU.parse':24}{np.percentile(ours, 50):10.2f}{np.percentile(ours, 99):10.2f}")
    print(f"{'rapidfuzz extractOne':24}{np.percentile(base, 50):10.2f}{np.percentile(base, 99):10.2f}")
    print(f"ratio p99 (ours / baseline): {np.percentile(ours, 99) / np.percentile(base, 99):.2f}")


if __name__ == "__main__":
    main()
