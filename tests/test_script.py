"""A customer who writes Traditional Chinese is answered in Traditional (Hong Kong's or Taiwan's)."""

from __future__ import annotations

import re

import pytest

from bot.script import in_script, written_in
from tests.conftest import Chat

SIMPLIFIED_ONLY = re.compile(r"[货发运费预计时间这个们说钱]")


@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("請問下單後多久發貨", "hant_tw"),
        ("我嘅包裹幾時到呀", "hant_hk"),
        ("請問運費幾多錢，寄去香港要幾耐", "hant_hk"),
        ("请问下单后多久发货", "hans"),
        ("YX20261120000001", None),
        ("how long does shipping take", None),
        ("你好", None),  # the same in both scripts
    ],
)
def test_the_script_is_read_from_the_characters_only_when_they_tell(text: str, script: str | None) -> None:
    assert written_in(text) == script


def test_hong_kong_and_taiwan_get_their_own_forms_and_words() -> None:
    assert in_script("软件里可以查看物流信息", "hant_tw") == "軟體裡可以檢視物流資訊"
    assert in_script("软件里可以查看物流信息", "hant_hk") == "軟件裏可以查看物流信息"
    assert in_script("软件里可以查看物流信息", "hans") == "软件里可以查看物流信息"


def test_a_traditional_question_gets_a_traditional_answer_and_buttons(chat: Chat) -> None:
    chat.say("請問下單後多久發貨")
    assert "發貨" in chat.text and not SIMPLIFIED_ONLY.search(chat.text)
    chat.say("咕嚕咕嚕 巴拉巴拉")  # not understood: the suggestions' titles are Traditional too
    titles = " ".join(b["title"] for b in chat.buttons)
    assert titles and not SIMPLIFIED_ONLY.search(titles)
    assert all(b["payload"].startswith("/") for b in chat.buttons)  # payloads untouched


def test_a_cantonese_customer_is_answered_in_hong_kong_characters(chat: Chat) -> None:
    chat.say("寄去香港幾多錢運費")
    assert chat.text and not SIMPLIFIED_ONLY.search(chat.text)


def test_a_message_without_telling_characters_keeps_the_conversations_script(chat: Chat) -> None:
    chat.say("我的訂單到哪了")
    chat.say("YX20261120000001")
    assert not SIMPLIFIED_ONLY.search(chat.text)
    chat.say("请问下单后多久发货")  # back to Simplified
    assert "发货" in chat.text


def test_english_stays_english(chat: Chat) -> None:
    chat.say("請問下單後多久發貨")
    chat.say("how long does shipping take after I order?")
    assert chat.in_english
