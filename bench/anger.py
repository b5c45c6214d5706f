"""How well the anger scorer finds angry customers, on public emotion data and our own messages.

    python bench/anger.py [--datasets ../shared/datasets]
    python bench/anger.py --cv

Runs `bot.nlu.sentiment.score_anger(text)` (no conversation history) over every message of:
  - SMP2020-EWECT usual_eval_labeled and virus_eval_labeled (Chinese Weibo; `angry` vs the other five emotions),
  - GoEmotions original test split (English Reddit; anger or annoyance among the labels vs the rest),
  - knowledge_base/eval/anger_heldout7.csv (or --heldout PATH): our HELD-OUT customer-service messages,
    written before the scorer was last changed and never tuned or trained on,
  - our tuning messages, all of them also the model's training messages (in-sample, sanity checks only):
    anger_heldout.csv to anger_heldout6.csv (the held-out sets of rounds 1-6, each measured once and then used
    for tuning; round 4's was lost), anger_dev5.csv (written for tuning), anger.csv (the rules were first tuned
    on it) and anger_train.csv,
  (`angry` = 1 when a supervisor would hand the customer to a person because they are angry or frustrated).
None of the public sets is trained on. For each set prints n, positives, precision, recall and F1 of
the `angry` verdict, then the best F1 reachable by moving the threshold on the `anger` score (predict
angry when anger >= threshold) and that threshold: on the held-out set that column is hindsight, not
a setting to adopt. Prints how long the model took to train, and ends with the scoring time per
message, p50/p99 over all messages. No network.

`--cv` instead cross-validates over the tuning messages (5 folds, 3 shuffles: each message scored by
a model trained without it, the rules unchanged) and prints precision, recall and F1 by threshold:
the shipped threshold is the one with the best F1 there. It never reads the held-out set.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.nlu.anger_model import TRAINING_FILES, Example
from bot.nlu.sentiment import ANGRY_THRESHOLD, message_anger, score_anger, train_model, warm_up

REPO = Path(__file__).resolve().parents[1]
DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
EVAL = REPO / "knowledge_base" / "eval"
HELDOUT_CSV = EVAL / "anger_heldout7.csv"
GOEMOTIONS_POSITIVE = ("anger", "annoyance")
# Our own sets besides the held-out one, with how the bench labels them; all are training files.
TUNING = {
    "anger_dev5.csv": "tuning anger_dev5",
    "anger_heldout6.csv": "round-6 held-out, now tuning",
    "anger_heldout5.csv": "round-5 held-out, now tuning",
    "anger_heldout3.csv": "round-3 held-out, now tuning",
    "anger_heldout2.csv": "round-2 held-out, now tuning",
    "anger_heldout.csv": "former held-out, now tuning",
    "anger.csv": "tuning anger.csv",
    "anger_train.csv": "in-sample anger_train",
}
CV_FOLDS, CV_SHUFFLES = 5, 3
CV_THRESHOLDS = np.round(np.arange(0.30, 0.66, 0.05), 2)


@dataclass(frozen=True)
class Result:
    name: str
    n: int
    positives: int
    precision: float
    recall: float
    f1: float
    best_f1: float
    best_threshold: float


def load_smp(path: Path) -> list[tuple[str, bool]]:
    """SMP2020-EWECT file: a JSON list of {id, content, label}; positive when label is `angry`."""
    items = json.loads(path.read_text(encoding="utf-8"))
    return [(str(item["content"]), item["label"] == "angry") for item in items]


def load_goemotions(folder: Path, split: str = "test") -> list[tuple[str, bool]]:
    """GoEmotions tsv (text, comma-separated label ids, id); positive when anger or annoyance is among the labels."""
    names = (folder / "labels.txt").read_text(encoding="utf-8").split()
    positive = {str(names.index(label)) for label in GOEMOTIONS_POSITIVE}
    rows = []
    for line in (folder / f"{split}.tsv").read_text(encoding="utf-8").splitlines():
        text, ids, _ = line.split("\t")
        rows.append((text, bool(positive & set(ids.split(",")))))
    return rows


def load_own(path: Path) -> list[tuple[str, bool]]:
    """Our customer-service messages: CSV with header `text,angry`, angry = 1 or 0."""
    with path.open(encoding="utf-8", newline="") as f:
        return [(r["text"], r["angry"].strip() == "1") for r in csv.DictReader(f)]


def prf(predicted: np.ndarray, gold: np.ndarray) -> tuple[float, float, float]:
    """Precision, recall and F1 of boolean predictions against boolean gold labels (0 when undefined)."""
    tp = int(np.sum(predicted & gold))
    p = tp / int(predicted.sum()) if predicted.any() else 0.0
    r = tp / int(gold.sum()) if gold.any() else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def best_threshold(scores: np.ndarray, gold: np.ndarray) -> tuple[float, float]:
    """Best F1 over thresholds at every distinct positive score (predict angry when score >= t), and that t."""
    best_f, best_t = 0.0, 1.0
    for t in np.unique(scores[scores > 0]):
        _, _, f = prf(scores >= t, gold)
        if f > best_f:
            best_f, best_t = f, float(t)
    return best_f, best_t


def evaluate(name: str, rows: list[tuple[str, bool]], timings_us: list[float]) -> Result:
    """Score every message once, appending each message's scoring time (microseconds) to `timings_us`."""
    scores, verdicts = [], []
    for text, _ in rows:
        start = time.perf_counter()
        s = score_anger(text)
        timings_us.append((time.perf_counter() - start) * 1e6)
        scores.append(s.anger)
        verdicts.append(s.angry)
    gold = np.array([label for _, label in rows], dtype=bool)
    p, r, f = prf(np.array(verdicts, dtype=bool), gold)
    bf, bt = best_threshold(np.array(scores, dtype=float), gold)
    return Result(name, len(rows), int(gold.sum()), p, r, f, bf, bt)


def cross_validate(rows: list[tuple[str, bool]], folds: int = CV_FOLDS, shuffles: int = CV_SHUFFLES) -> np.ndarray:
    """Each message's anger from models trained without it: out-of-fold, averaged over `shuffles` shuffles."""
    scores = np.zeros(len(rows))
    for seed in range(shuffles):
        order = np.random.default_rng(seed).permutation(len(rows))
        for k in range(folds):
            held = {int(i) for i in order[k::folds]}
            model = train_model([Example(text, angry) for i, (text, angry) in enumerate(rows) if i not in held])
            for i in held:
                scores[i] += message_anger(rows[i][0], model)
    return scores / shuffles


def print_cross_validation() -> None:
    """Precision, recall and F1 by threshold, out of fold over the tuning messages (the training files)."""
    rows = [row for name in TRAINING_FILES for row in load_own(EVAL / name)]
    start = time.perf_counter()
    scores = cross_validate(rows)
    gold = np.array([label for _, label in rows], dtype=bool)
    print(f"cross-validation over {', '.join(TRAINING_FILES)}: {len(rows)} messages, {int(gold.sum())} angry,")
    print(
        f"{CV_FOLDS} folds x {CV_SHUFFLES} shuffles, out-of-fold anger averaged ({time.perf_counter() - start:.0f} s)"
    )
    results = {float(t): prf(scores >= t, gold) for t in CV_THRESHOLDS}
    best = max(results, key=lambda t: results[t][2])
    print(f"{'thr':>5}{'P':>7}{'R':>7}{'F1':>7}")
    for t, (p, r, f) in results.items():
        notes = [note for note, hit in (("best F1", t == best), ("shipped", abs(t - ANGRY_THRESHOLD) < 1e-9)) if hit]
        print(f"{t:5.2f}{p:7.3f}{r:7.3f}{f:7.3f}  {', '.join(notes)}".rstrip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=Path, default=DATASETS, help="folder holding smp2020_ewect/ and goemotions/")
    parser.add_argument("--cv", action="store_true", help="cross-validate over the tuning messages instead")
    parser.add_argument("--heldout", type=Path, default=HELDOUT_CSV, help="the held-out CSV (text,angry)")
    args = parser.parse_args()
    if args.cv:
        print_cross_validation()
        return
    datasets: Path = args.datasets
    sets = {
        "SMP2020 usual_eval": load_smp(datasets / "smp2020_ewect" / "usual_eval_labeled.txt"),
        "SMP2020 virus_eval": load_smp(datasets / "smp2020_ewect" / "virus_eval_labeled.txt"),
        "GoEmotions test": load_goemotions(datasets / "goemotions" / "original"),
        f"HELD-OUT {args.heldout.stem}": load_own(args.heldout),
        **{label: load_own(EVAL / name) for name, label in TUNING.items()},
    }
    start = time.perf_counter()
    warm_up()
    trained_s = time.perf_counter() - start
    for text in ("warm up", "预热一下正则", "still warming up"):  # regex caches, OpenCC, lazy imports
        score_anger(text)
    timings_us: list[float] = []
    results = [evaluate(name, rows, timings_us) for name, rows in sets.items()]
    print(f"threshold {ANGRY_THRESHOLD}; our tuning sets below the held-out one are also training data")
    print(f"{'set':28}{'n':>7}{'pos':>7}{'P':>7}{'R':>7}{'F1':>7}{'bestF1':>8}{'@thr':>7}")
    for res in results:
        print(
            f"{res.name:28}{res.n:7d}{res.positives:7d}{res.precision:7.3f}{res.recall:7.3f}{res.f1:7.3f}"
            f"{res.best_f1:8.3f}{res.best_threshold:7.3f}"
        )
    print(f"model training (once per process): {trained_s:.2f} s")
    t = np.array(timings_us)
    p50, p99 = np.percentile(t, [50, 99])
    print(f"score_anger time per message ({len(t)} messages): p50 {p50:.1f} us, p99 {p99:.1f} us")


if __name__ == "__main__":
    main()
