"""Chinese typed in toneless pinyin is read back into characters and matched like Chinese."""

import pytest

from bot.nlu.parser import NLU
from bot.nlu.pinyin import PinyinReader, looks_like_pinyin

PHRASINGS = ["怎么取消订单", "支付宝能用吗", "退款怎么申请", "什么时候发货", "我要转人工", "发票怎么开"]


def test_pinyin_is_read_with_the_knowledge_bases_own_characters() -> None:
    reader = PinyinReader(PHRASINGS)
    assert reader.read("zenme quxiao dingdan") == "怎么取消订单"
    assert reader.read("shen me shi hou fa huo") == "什么时候发货"
    assert reader.read("zhifubao neng yong ma") == "支付宝能用吗"


def test_a_syllable_the_phrasings_never_spell_means_it_is_not_pinyin() -> None:
    assert PinyinReader(PHRASINGS).read("can he go") is None


@pytest.mark.parametrize(
    "text",
    [
        "where is my order",
        "how do I return something",
        "tui kuan",
        "退款 tuikuan",
        "ok",
        "YX20261105001234 fa huo le ma",
    ],
)
def test_english_short_and_mixed_messages_are_not_taken_for_pinyin(text: str) -> None:
    assert not looks_like_pinyin(text)


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("zenme quxiao dingdan a zhaobudao anniu", "cancellation"),
        ("zhifubao neng yong ma", "payment_method"),
        ("huo kuan shen me shi hou dao zhang", "payment_arrival"),
        ("ke yi kai fa piao ma", "invoice"),
    ],
)
def test_the_product_understands_pinyin(nlu: NLU, text: str, topic: str) -> None:
    parse = nlu.parse(text)
    assert parse.topic == topic
    assert parse.language == "zh"  # answered in Chinese
    assert parse.text == text  # the customer's own words are what is kept
