"""The matcher on a small hand-made knowledge base: ranking, calibration, typos, no leakage of ids."""

import numpy as np
import pytest

from bot.nlu.match import Matcher
from tests.small_kb import rows

ROWS = rows("dispatch", "refund", "stock")


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher.train(ROWS)


def test_ranks_the_right_label_first_in_both_languages(matcher: Matcher) -> None:
    assert matcher.rank("下单以后多久能发货")[0].label == "dispatch"
    assert matcher.rank("how long does a refund take")[0].label == "refund"
    assert matcher.rank("黑色的还有货吗")[0].label == "stock"


def test_typos_and_traditional_characters_still_match(matcher: Matcher) -> None:
    assert matcher.rank("甚麼時候發貨")[0].label == "dispatch"
    assert matcher.rank("refnd how lnog")[0].label == "refund"


def test_confidences_are_probabilities_sorted_best_first(matcher: Matcher) -> None:
    ranked = matcher.rank("多久发货", k=3)
    assert ranked[0].label == "dispatch"
    assert all(0.0 <= c.confidence <= 1.0 for c in ranked)
    assert ranked == sorted(ranked, key=lambda c: -c.confidence)


def test_near_verbatim_question_is_more_confident_than_unrelated_text(matcher: Matcher) -> None:
    assert matcher.rank("多久发货")[0].confidence > matcher.rank("今天天气怎么样")[0].confidence


def test_candidate_explains_itself_with_the_closest_paraphrase(matcher: Matcher) -> None:
    top = matcher.rank("退款多久能到账")[0]
    assert top.example == "退款多久到账"
    assert {"svm", "nearest", "fuzz"} <= set(top.as_dict()["scores"])  # type: ignore[arg-type]


def test_a_single_label_knowledge_base_still_works() -> None:
    matcher = Matcher.train([("多久发货", "dispatch"), ("什么时候发货", "dispatch")])
    assert matcher.rank("发货")[0].label == "dispatch"


def test_training_without_examples_is_an_error() -> None:
    with pytest.raises(ValueError, match="without examples"):
        Matcher.train([])


def test_the_calibrator_scores_exactly_as_its_fitted_logistic_regression() -> None:
    from bot.nlu.match import _MonotoneCalibrator

    rng = np.random.default_rng(0)
    x = rng.random((400, 3))
    y = x @ np.array([1.0, 2.0, -0.5]) + rng.normal(0, 0.3, 400) > 1.4  # the third weight comes out negative
    calibrator = _MonotoneCalibrator(x, y)
    assert not calibrator.keep.all()  # the negative feature was dropped
    probe = rng.random((60, 3))
    expected = calibrator.model.predict_proba(probe[:, calibrator.keep])
    assert np.allclose(calibrator.predict_proba(probe), expected, rtol=0, atol=1e-12)
