"""What each part of the matcher adds, measured in one run on one trained model.

    python bench/ablation.py [--test knowledge_base/eval/dev.csv]
    python bench/ablation.py --train TRAIN.csv --test TEST.csv [--validation VAL.csv] [--threshold T]

Variants:
- rapidfuzz nearest paraphrase alone (`ratio` over normalised text),
- the linear SVM alone (its best label),
- words alone: SVM + nearest-row cosine + rapidfuzz, calibrated (the matcher before the encoder),
- the cascade as shipped: words, and the sentence encoder for the messages they are unsure of,
- meaning on every message (the encoder's band widened to all of them).
Each line gives the closed-set accuracy of the best label on the in-scope messages (topic on the
product's knowledge base, label with --train), and, through `NLU.parse` as `triage nlu evaluate`
runs it, accuracy, in-scope accuracy and out-of-scope recall at the out-of-scope threshold
(chosen on --validation by evaluate's rule, else --threshold, else the product's), parse
p50/p99/mean, the share of messages the encoder read and the calibration error (evaluate's).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from rapidfuzz import fuzz, process

from bot.nlu.encoder import Encoder, shared_encoder
from bot.nlu.evaluate import (
    apply_threshold,
    calibration_error,
    choose_threshold,
    entries_from_rows,
    metrics,
    predict,
    read_rows,
)
from bot.nlu.parser import NLU, OUT_OF_SCOPE, Thresholds
from bot.nlu.semantic import Band
from core.config import Settings
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--train")
    parser.add_argument("--test", default="knowledge_base/eval/dev.csv")
    parser.add_argument("--validation")
    parser.add_argument("--threshold", type=float)
    args = parser.parse_args()
    settings = Settings.from_env()
    entries = entries_from_rows(read_rows(args.train)) if args.train else load_files()
    by_topic = not args.train
    threshold = args.threshold if args.threshold is not None else settings.oos_threshold
    nlu = NLU.build(entries, Thresholds(oos=threshold), merchant_rules=not args.train)
    unit = {e.id: (e.topic if by_topic else e.id) for e in entries}
    texts = [(normalize(x), e.id) for e in entries for x in e.examples()]
    choices = [t for t, _ in texts]
    rows = read_rows(args.test)
    gold = [OUT_OF_SCOPE if label in ("oos", OUT_OF_SCOPE) else label for _, label in rows]
    in_scope = [(text, g) for (text, _), g in zip(rows, gold, strict=True) if g != OUT_OF_SCOPE]
    print(f"{len(rows)} messages ({len(in_scope)} in scope) from {args.test}; {len(entries)} entries")
    print(
        f"{'':34}{'closed':>8}{'acc':>8}{'in-scope':>9}{'OOS rec':>8}{'thresh':>7}{'p50 ms':>8}{'p99 ms':>8}{'mean':>7}{'read':>7}"
    )
    for name, pick in (
        (
            "rapidfuzz nearest paraphrase",
            lambda t: unit[texts[process.extractOne(normalize(t), choices, scorer=fuzz.ratio)[2]][1]],
        ),
        (
            "linear SVM alone",
            lambda t: unit[max(nlu.matcher.with_encoder(None).rank(t, k=5), key=lambda c: c.svm).label],
        ),
    ):
        closed = np.mean([pick(t) == g for t, g in in_scope])
        print(f"{name:34}{closed:8.1%}")
    counting = Counting(shared_encoder())
    base = nlu.matcher
    for name, matcher in (
        ("words alone (calibrated)", base.with_encoder(None)),
        ("cascade (as shipped)", base.with_encoder(counting)),
        ("meaning on every message", base.with_encoder(counting)),
    ):
        if name.startswith("meaning"):
            matcher.band = Band(low=0.0, high=1.01)
        nlu.matcher = matcher
        th = threshold
        if args.validation:
            th = choose_threshold(predict(nlu, read_rows(args.validation), by_topic=by_topic))
        counting.texts = 0
        p = predict(nlu, rows, by_topic=by_topic)
        m = metrics(p.gold, apply_threshold(p, th), p.latency_ms)
        closed = np.mean([b == g for b, g in zip(p.best, p.gold, strict=True) if g != OUT_OF_SCOPE])
        oos = f"{m['oos_recall']:8.1%}" if m["oos_recall"] is not None else f"{'-':>8}"
        print(
            f"{name:34}{closed:8.1%}{m['accuracy']:8.1%}{m['in_scope_accuracy']:9.1%}{oos}{th:7.2f}"
            f"{m['p50_ms']:8.2f}{m['p99_ms']:8.2f}{np.mean(p.latency_ms):7.2f}{counting.texts / len(rows):7.1%}{calibration_error(p) or 0:7.3f}"
        )


if __name__ == "__main__":
    main()
