"""The sentence encoder and the matcher's second look by meaning: read only when the words are
unsure, the same answer every time, and right where the words share nothing with ours."""

from __future__ import annotations

import pickle
from collections.abc import Sequence

import numpy as np
import pytest
from numpy.typing import NDArray

from bot.nlu import encoder as encoder_module
from bot.nlu.encoder import Encoder, shared_encoder
from bot.nlu.match import Matcher
from bot.nlu.semantic import Band, ChoiceModel
from core.text import normalize
from tests.small_kb import rows

ROWS = rows("dispatch", "refund", "stock", "oos")


class Counting:
    """The real encoder, counting the texts it is asked for."""

    def __init__(self, inner: Encoder) -> None:
        self.inner = inner
        self.key = f"{inner.key}/counted-{id(self)}"  # its own: nothing embedded before is reused
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        self.texts.extend(texts)
        return self.inner.embed(texts)


@pytest.fixture(scope="module")
def counting() -> Counting:
    return Counting(shared_encoder())


@pytest.fixture(scope="module")
def matcher(counting: Counting) -> Matcher:
    return Matcher.train(ROWS, encoder=counting)


def test_sentences_become_unit_vectors_the_same_alone_or_in_a_batch() -> None:
    encoder = shared_encoder()
    texts = ["多久发货", "when will you ship", "甚麼時候發貨"]
    together = encoder.embed(texts)
    assert together.shape == (3, 384) and together.dtype == np.float32
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(together, np.vstack([encoder.embed([t]) for t in texts]))
    same, other = encoder.embed(["什么时候发货", "讲个笑话"])
    assert float(together[0] @ same) > float(together[0] @ other)


def test_a_whole_knowledge_base_spread_over_engines_gets_the_vectors_one_engine_would(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    texts = [f"{question} {n}" for n in range(40) for question in ("下单后多久发货", "where is my parcel")]
    alone = shared_encoder().embed(texts)
    monkeypatch.setattr(encoder_module, "BUILD_THREADS", 3)
    monkeypatch.setattr(encoder_module, "_MANY", 64)
    assert np.array_equal(encoder_module._embed_many(shared_encoder(), texts), alone)


def test_a_second_build_asks_the_encoder_only_for_new_phrasings() -> None:
    counting = Counting(shared_encoder())
    first = Matcher.train(ROWS, encoder=counting)
    asked = len(counting.texts)
    again = Matcher.train([*ROWS, ("几时能发出", "dispatch")], encoder=counting)
    assert counting.texts[asked:] == [normalize("几时能发出")]
    text = "what day will my order go out"
    assert again.rank(text)[0].label == first.rank(text)[0].label


def test_a_process_that_loaded_its_model_rebuilds_embedding_only_new_phrasings() -> None:
    trained = Matcher.train(ROWS, encoder=Counting(shared_encoder()))
    loaded = pickle.loads(pickle.dumps(trained))  # as a start from the model cache has it
    counting = Counting(shared_encoder())
    loaded = loaded.with_encoder(counting)
    loaded.remember_meanings()
    Matcher.train([*ROWS, ("几时能发出", "dispatch")], encoder=counting)
    assert counting.texts == [normalize("几时能发出")]


def test_a_knowledge_base_too_large_to_embed_at_start_is_matched_by_words(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.nlu import match

    monkeypatch.setattr(match, "MAX_PHRASINGS", len(ROWS) - 1)
    words = Matcher.train(ROWS)
    assert all(c.meaning is None for c in words.rank("what day will my order go out"))


def test_turns_embedding_at_once_get_the_vectors_they_would_alone() -> None:
    from concurrent.futures import ThreadPoolExecutor

    encoder = shared_encoder()
    texts = ["多久发货", "refund how long", "M码还有吗", "what day will my order go out"] * 3
    alone = [encoder.embed([t])[0] for t in texts]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda t: encoder.embed([t])[0], texts))
    assert all(np.array_equal(a, b) for a, b in zip(alone, together, strict=True))


def test_a_long_message_is_read_up_to_the_token_limit() -> None:
    encoder = shared_encoder()
    start = "我上个月在你们店里买的那件羊毛大衣颜色不太合适"
    assert np.array_equal(encoder.embed([start + "想问问能不能退"]), encoder.embed([start + "运费谁出呢"]))


def test_the_encoder_is_pickled_as_a_reference_to_this_process_engine() -> None:
    assert pickle.loads(pickle.dumps(shared_encoder())) is shared_encoder()


def test_training_embeds_each_distinct_paraphrase_once() -> None:
    counting = Counting(shared_encoder())
    Matcher.train([*ROWS, ("多久发货", "dispatch"), ("多久發貨", "dispatch")], encoder=counting)
    assert len(counting.texts) == len(set(counting.texts)) == len({normalize(t) for t, _ in ROWS})


def test_the_encoder_reads_a_message_exactly_when_the_words_are_unsure(counting: Counting) -> None:
    band = Band(low=0.05, high=0.612)  # splits this small knowledge base's messages
    split = Matcher.train(ROWS, encoder=counting, band=band)
    words = split.with_encoder(None)
    texts = [
        "多久发货",
        "什么时候发货",
        "退款多久到账",
        "有货吗",
        "when will you ship",
        "讲个笑话",
        "M码还有吗",
        "发货时间",
    ]
    read = []
    for text in texts:
        counting.texts.clear()
        ranked = split.rank(text)
        unsure = band.unsure(words.rank(text)[0].confidence)
        assert counting.texts == ([text] if unsure else [])
        assert all((c.meaning is not None) == unsure for c in ranked)
        read.append(unsure)
    assert any(read) and not all(read)


def test_an_unsure_message_shows_how_near_in_meaning_each_candidate_is(matcher: Matcher) -> None:
    ranked = matcher.rank("what day will my order go out")
    assert all(c.meaning is not None and -1.0 <= c.meaning <= 1.0 for c in ranked)
    assert "meaning" in ranked[0].as_dict()["scores"]  # type: ignore[operator]


def test_outside_the_band_the_encoder_is_never_asked(counting: Counting) -> None:
    never = Matcher.train(ROWS, encoder=counting, band=Band(low=1.0, high=1.0))
    counting.texts.clear()
    for text in ("多久发货", "what day will my order go out", "讲个笑话", "火星上有没有快递"):
        assert never.rank(text)[0].meaning is None
    assert counting.texts == []


def test_the_same_message_gets_the_same_answer(matcher: Matcher) -> None:
    text = "what day will my order go out"
    first = matcher.rank(text)
    assert matcher.rank(text) == first
    again = Matcher.train(ROWS)  # trained anew, with this process's encoder
    assert again.rank(text) == first


def test_words_alone_get_it_wrong_and_meaning_gets_it_right(matcher: Matcher) -> None:
    # Shares no word with the dispatch phrasings ("when will you ship", "多久发货" ...).
    text = "what day will my order go out"
    assert matcher.with_encoder(None).rank(text)[0].label != "dispatch"
    assert matcher.rank(text)[0].label == "dispatch"


def test_the_choice_model_prefers_what_the_evidence_favours_and_keeps_a_share_for_none() -> None:
    rng = np.random.default_rng(0)
    groups, gold = [], []
    for _ in range(300):
        x = rng.random((4, 5))
        right = int(np.argmax(x[:, 3] + 0.2 * rng.standard_normal(4)))
        groups.append(x)
        gold.append(right)
    model = ChoiceModel.fit(groups, gold)
    assert (model.weights >= 0).all() and model.weights[3] == model.weights.max()
    p = model.probabilities(np.array([[0.5, 0.5, 0.5, 0.9, 0.0], [0.5, 0.5, 0.5, 0.1, 0.0]]))
    assert 0.0 < p[1] < p[0] < 1.0
