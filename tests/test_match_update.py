"""The matcher learns one edited entry without a rebuild, and carries a knowledge base too big
for a dense classifier."""

from __future__ import annotations

from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.nlu.features import Features, _tokens
from bot.nlu.match import Matcher
from tests.test_match import ROWS

UNSEEN = "嘀嘀嗒嗒哔哔叭叭"  # characters no row has: new columns in the feature space


def test_features_match_scikit_learn_exactly() -> None:
    texts = [t for t, _ in ROWS]
    features, rows = Features.fit(texts)
    words = TfidfVectorizer(
        tokenizer=_tokens, token_pattern=None, lowercase=False, ngram_range=(1, 2), sublinear_tf=True
    )
    chars = TfidfVectorizer(analyzer="char_wb", lowercase=False, ngram_range=(2, 4), sublinear_tf=True)
    reference = sparse.hstack([words.fit_transform(texts), chars.fit_transform(texts)])
    assert abs(reference - rows).max() < 1e-12
    assert abs(reference - features.transform(texts)).max() < 1e-12


def test_growing_the_features_keeps_old_columns_and_adds_the_new_terms() -> None:
    texts = [t for t, _ in ROWS]
    features, _ = Features.fit(texts)
    grown = features.grown([UNSEEN])
    assert grown.size > features.size
    assert features.transform([UNSEEN]).nnz == 0 and grown.transform([UNSEEN]).nnz > 0
    assert abs(grown.transform(texts)[:, : features.size] - features.transform(texts)).max() < 1e-12


def test_an_updated_label_answers_its_new_phrasing_and_the_rest_stay() -> None:
    matcher = Matcher.train(ROWS)
    label = ROWS[0][1]
    taught = [t for t, lab in ROWS if lab == label] + [UNSEEN]
    updated = matcher.update({label: taught})
    assert updated.rank(UNSEEN)[0].label == label
    for text, expected in ROWS:
        assert updated.rank(text)[0].label == expected


def test_a_removed_label_is_never_offered_and_a_new_one_is() -> None:
    matcher = Matcher.train(ROWS)
    gone = ROWS[0][1]
    updated = matcher.update({gone: [], "gift_wrap": ["可以礼品包装吗", "能帮我包成礼物吗", "do you gift wrap"]})
    assert all(c.label != gone for text, _ in ROWS for c in updated.rank(text))
    assert updated.rank("能不能包装成礼物")[0].label == "gift_wrap"
    assert updated.rank("gift wrap please")[0].label == "gift_wrap"


def test_centroid_mode_ranks_and_updates_like_the_svm() -> None:
    matcher = Matcher.train(ROWS, dense=False)
    assert matcher._model.coef is None and matcher._model.centroids is not None
    for text, expected in ROWS:
        assert matcher.rank(text)[0].label == expected
    label = ROWS[0][1]
    updated = matcher.update({label: [t for t, lab in ROWS if lab == label] + [UNSEEN]})
    assert updated.rank(UNSEEN)[0].label == label
