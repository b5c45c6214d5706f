"""How well the anger scorer finds angry customers, on public emotion data and our own messages.

    python bench/anger.py [--datasets ../shared/datasets]

Runs `bot.nlu.sentiment.score_anger(text)` (no conversation history) over every message of:
  - SMP2020-EWECT usual_eval_labeled and virus_eval_labeled (Chinese Weibo; `angry` vs the other five emotions),
  - GoEmotions original test split (English Reddit; anger or annoyance among the labels vs the rest),
  - knowledge_base/eval/anger.csv: our customer-service messages the rules and model were TUNED on,
  - knowledge_base/eval/anger_heldout.csv: our HELD-OUT customer-service messages, never tuned on,
  (`angry` = 1 when a supervisor would hand the customer to a person because they are angry or frustrated),
  - knowledge_base/eval/anger_train.csv: the model's own training messages (in-sample, a sanity check only).
None of the public sets is trained on. For each set prints n, positives, precision, recall and F1 of
the `angry` verdict, then the best F1 reachable by moving the threshold on the `anger` score (predict
angry when anger >= threshold) and that threshold: on the held-out set that column is hindsight, not
a setting to adopt. Prints how long the model took to train, and ends with the scoring time per
message, p50/p99 over all messages. No network.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.nlu.sentiment import score_anger, warm_up

REPO = Path(__file__).resolve().parents[1]
DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
EVAL = REPO / "knowledge_base" / "eval"
OWN_CSV = EVAL / "anger.csv"
HELDOUT_CSV = EVAL / "anger_heldout.csv"
TRAIN_CSV = EVAL / "anger_train.csv"
GOEMOTIONS_POSITIVE = ("anger", "annoyance")


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=Path, default=DATASETS, help="folder holding smp2020_ewect/ and goemotions/")
    args = parser.parse_args()
    datasets: Path = args.datasets
    sets = {
        "SMP2020 usual_eval": load_smp(datasets / "smp2020_ewect" / "usual_eval_labeled.txt"),
        "SMP2020 virus_eval": load_smp(datasets / "smp2020_ewect" / "virus_eval_labeled.txt"),
        "GoEmotions test": load_goemotions(datasets / "goemotions" / "original"),
        "tuning anger.csv": load_own(OWN_CSV),
        "HELD-OUT anger_heldout": load_own(HELDOUT_CSV),
        "in-sample anger_train": load_own(TRAIN_CSV),
    }
    start = time.perf_counter()
    warm_up()
    trained_s = time.perf_counter() - start
    for text in ("warm up", "预热一下正则", "still warming up"):  # regex caches, OpenCC, lazy imports
        score_anger(text)
    timings_us: list[float] = []
    results = [evaluate(name, rows, timings_us) for name, rows in sets.items()]
    print(f"{'set':24}{'n':>7}{'pos':>7}{'P':>7}{'R':>7}{'F1':>7}{'bestF1':>8}{'@thr':>7}")
    for res in results:
        print(
            f"{res.name:24}{res.n:7d}{res.positives:7d}{res.precision:7.3f}{res.recall:7.3f}{res.f1:7.3f}"
            f"{res.best_f1:8.3f}{res.best_threshold:7.3f}"
        )
    print(f"model training (once per process): {trained_s:.2f} s")
    t = np.array(timings_us)
    p50, p99 = np.percentile(t, [50, 99])
    print(f"score_anger time per message ({len(t)} messages): p50 {p50:.1f} us, p99 {p99:.1f} us")


if __name__ == "__main__":
    main()
