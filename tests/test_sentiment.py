import pytest

from bot.nlu.sentiment import score_anger


@pytest.mark.parametrize(
    "text",
    [
        "你们这什么垃圾服务！！！",
        "再不给我解决我就去12315投诉你们",
        "到底什么时候发货？？？等了一个星期了，说好的48小时呢",
        "THIS IS RIDICULOUS, WHERE IS MY PARCEL",
        "you guys are scammers, I'm filing a chargeback",
        "骗子！退钱😡",
    ],
)
def test_angry_messages_are_angry(text: str) -> None:
    assert score_anger(text).angry


@pytest.mark.parametrize(
    "text",
    ["下单后多久发货", "is the black one in stock", "谢谢你！", "好的，我再等等", "How do I return an item?"],
)
def test_calm_messages_are_calm(text: str) -> None:
    assert not score_anger(text).angry


def test_asking_the_same_thing_again_adds_frustration() -> None:
    first = score_anger("我的退款什么时候到账")
    again = score_anger("我的退款什么时候到账", ["我的退款什么时候到账"])
    assert again.anger > first.anger
    assert "repeated_ask" in again.signals


@pytest.mark.parametrize("text", ["我要complain你们", "这个bot真的useless，垃圾"])
def test_english_words_count_when_glued_to_chinese(text: str) -> None:
    assert score_anger(text).signals


@pytest.mark.parametrize(
    "text",
    [
        "转人工转人工转人工！！",
        "黑店！骗钱！",
        "are you kidding me?? third time asking!!",
        "这是第三次问了，到底怎么回事",
    ],
)
def test_common_frustration_markers_are_angry(text: str) -> None:
    assert score_anger(text).angry


@pytest.mark.parametrize(
    "text", ["哈哈哈哈哈哈哈", "谢谢谢谢谢谢", "第二次买了，很喜欢", "can you send the link again?"]
)
def test_laughter_thanks_and_repeat_customers_are_not_angry(text: str) -> None:
    assert not score_anger(text).angry
