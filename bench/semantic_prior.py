"""Fit the choice model's prior (bot/nlu/semantic.py PRIOR) on LCQMC, a public Chinese set.

    python bench/semantic_prior.py [--split dev]

A knowledge base with one phrasing per entry cannot teach the choice model anything out of
fold, so it uses fixed weights. They are learnt here on such a knowledge base made from
LCQMC's positive pairs (the first question of each pair an entry, the second asking for it:
the same construction as AFQMC in bench/datasets.py, on another data set, so that AFQMC stays
a test), by maximum likelihood over every query's candidates. Prints the weights, and
Recall@1 by words alone and with the second look on every query.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from bot.nlu import semantic
from bot.nlu.match import Matcher, _by_meaning, _cosines, _evidence, _meaning, _shortlist
from core.text import normalize

DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


def pairs(split: str) -> list[tuple[str, str]]:
    with (DATASETS / "lcqmc" / f"{split}.txt").open(encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f]
    seen: set[str] = set()
    out = []
    for first, second, label in rows:
        if label == "1" and first not in seen:  # one entry per distinct first question
            seen.add(first)
            out.append((first, second))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", default="dev")
    args = parser.parse_args()
    kb = pairs(args.split)
    matcher = Matcher.train([(entry, f"q{i}") for i, (entry, _) in enumerate(kb)])
    m = matcher._model
    encoder = matcher._encoder
    assert encoder is not None
    index = {label: i for i, label in enumerate(matcher.labels)}
    queries = [normalize(q) for _, q in kb]
    meanings = _meaning(m, encoder.embed(queries))
    groups, gold, lexical = [], [], 0
    for i, (query, by_label) in enumerate(zip(queries, meanings, strict=True)):
        q = m.vectorizer.transform([query])
        svm = m.scores(q)[0]
        cos = _cosines(m, q)
        words = _shortlist(m, svm, cos, 5)
        labels = _by_meaning(by_label, words)
        nearest, fuzz, _ = _evidence(m, query, labels, cos)
        groups.append(semantic.features(svm[labels], nearest, fuzz, by_label[labels]))
        right = np.flatnonzero(labels == index[f"q{i}"])
        gold.append(int(right[0]) if len(right) else -1)
        lexical += matcher.with_encoder(None).rank(query, k=1)[0].label == f"q{i}"
    choice = semantic.ChoiceModel.fit(groups, gold)
    second = sum(int(np.argmax(choice.probabilities(g)) == y) for g, y in zip(groups, gold, strict=True))
    print(f"LCQMC {args.split}: {len(kb)} entries")
    print("weights", dict(zip(semantic.FEATURES, np.round(choice.weights, 2).tolist(), strict=True)))
    print(f"bias {choice.bias:.2f}, Platt scale {choice.scale:.2f} shift {choice.shift:.2f}")
    print(
        f"Recall@1 by words {lexical / len(kb):.1%}, with the second look on every query {second / len(kb):.1%} (fitted on these)"
    )


if __name__ == "__main__":
    main()
