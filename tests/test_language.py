import pytest

from bot.nlu.language import detect_language, reply_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("下单后多久发货", "zh"),
        ("甚麼時候發貨", "zh"),
        ("is the black one in stock", "en"),
        ("YX20261105001234到哪了", "zh"),
        ("SF快递到哪了", "zh"),
        ("我的order什么时候ship啊 please check", "mixed"),
        ("12345 ???", "unknown"),
        ("😀", "unknown"),
    ],
)
def test_detects_the_language_customers_write_in(text: str, expected: str) -> None:
    assert detect_language(text) == expected


def test_reply_language_is_chinese_first_and_sticky() -> None:
    assert reply_language("mixed", "en") == "zh"
    assert reply_language("unknown", "en") == "en"
    assert reply_language("unknown", None) == "zh"
    assert reply_language("en", "zh") == "en"
