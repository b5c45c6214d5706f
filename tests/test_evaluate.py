"""`triage nlu evaluate` end to end on small CSVs, and its metric arithmetic."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from bot.nlu.evaluate import Predictions, choose_threshold, metrics, predict
from bot.nlu.parser import NLU
from tests.small_kb import rows
from triage.cli import main


def write(path: Path, data: list[tuple[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        w.writerows(data)
    return path


def test_evaluate_prints_all_metrics_as_json_on_the_last_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    train = write(tmp_path / "train.csv", rows("dispatch", "refund", "oos"))
    test = write(
        tmp_path / "test.csv", [("下单多久能发货", "dispatch"), ("退款几天到", "refund"), ("明天会下雨吗", "oos")]
    )
    assert main(["nlu", "evaluate", "--train", str(train), "--test", str(test), "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    keys = {"accuracy", "macro_f1", "in_scope_accuracy", "oos_precision", "oos_recall", "p50_ms", "p99_ms"}
    assert keys <= set(result)
    assert result["n"] == 3 and 0 <= result["accuracy"] <= 1 and result["p99_ms"] >= result["p50_ms"] > 0


def test_metrics_count_out_of_scope_as_its_own_class() -> None:
    m = metrics(["a", "b", "out_of_scope", "out_of_scope"], ["a", "out_of_scope", "out_of_scope", "a"], [1.0, 2.0])
    assert m["accuracy"] == 0.5
    assert m["in_scope_accuracy"] == 0.5
    assert m["oos_recall"] == 0.5
    assert m["oos_precision"] == 0.5


def test_threshold_is_chosen_with_a_margin_for_a_small_validation_set() -> None:
    # 10 out-of-scope rows with rising confidence, 10 in-scope rows all right at 0.9.
    gold = ["out_of_scope"] * 10 + ["a"] * 10
    conf = [0.1 * i for i in range(10)] + [0.95] * 10
    p = Predictions(gold, conf, ["a"] * 20, [])
    th = choose_threshold(p, target_oos_recall=0.8)
    recall = sum(c < th for c in conf[:10]) / 10
    assert recall >= 0.8 + (0.8 * 0.2 / 10) ** 0.5  # one standard error above the target


def test_calibration_error_is_zero_when_confidence_matches_the_hit_rate() -> None:
    from bot.nlu.evaluate import calibration_error

    gold = ["a", "a", "a", "a"]
    perfect = Predictions(gold, [1.0, 1.0, 0.0, 0.0], ["a", "a", "b", "b"], [])
    assert calibration_error(perfect) == 0.0
    overconfident = Predictions(gold, [0.9, 0.9, 0.9, 0.9], ["a", "b", "b", "b"], [])
    assert abs((calibration_error(overconfident) or 0) - 0.65) < 1e-9


def test_a_threat_to_go_outside_is_scored_as_the_complaint_the_parse_decides(nlu: NLU) -> None:
    # The ranking may lead with another entry (or out of scope); the product's decision is a
    # major complaint, and that is what a measurement scores.
    text = "if this is not solved today I'm going straight to 12315"
    assert nlu.parse(text).topic == "complaint"
    assert predict(nlu, [(text, "complaint")], by_topic=True).best == ["complaint"]
