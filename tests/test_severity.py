"""A major complaint is a threat to take it outside, or abuse past the ordinary; anger alone is not."""

from __future__ import annotations

import pytest

from bot.nlu.severity import major_complaint

MAJOR = [
    ("你们太垃圾了，再不处理我就找媒体曝光", "press"),
    ("報俾傳媒", "press"),
    ("我要打12315投诉你们", "regulator"),
    ("信不信我去邮政局投诉", "regulator"),
    ("I will report you to the consumer council", "regulator"),
    ("再不退款我就报警", "police"),
    ("我會報警", "police"),
    ("I will sue you", "lawyer"),
    ("再不处理我就去法院起诉你们", "lawyer"),
    ("I am going to file a chargeback with my bank", "chargeback"),
    ("call my bank and dispute the charge", "chargeback"),
    ("im gonna post this on twitter", "social_media"),
    ("再不解决我就发到网上让大家都知道", "social_media"),
    ("去死吧你们", "abuse"),
    # Round 10: a platform named in pinyin or English beside another, tagging, complaining to a regulator.
    ("no reply by tonight and I'm sharing this on rednote and linkedin", "social_media"),
    ("I'll tag you on instagram", "social_media"),
    ("enough, I'm complaining to the consumer council", "regulator"),
    # The place first, then what it will do to us.
    ("you will be hearing from my lawyer", "lawyer"),
    ("我的律师明天会联系你们", "lawyer"),
    ("my attorney is going to contact your company", "lawyer"),
    # "See you there": 消协见, 法院见.
    ("三天不发货 咱们消协见", "regulator"),
    ("不赔钱就法院见", "lawyer"),
    ("你哋呃錢 我寫信俾報社", "press"),
]
ORDINARY = [
    "等得我火大",
    "你们客服太慢了，气死我了",
    "12315管这种吗",
    "我朋友是律师说可以退",
    "how do I dispute a charge",
    "我的快递被警察拿走了吗",
    "我上次已经投诉过了",
    "网上买的东西怎么退",
    "媒体报道说你们双11发货慢，是真的吗",
    "can i pay with my bank card",
    "退款会退到我的银行卡吗",
    "快递员说要报警处理吗？",
    "should I file a police report too?",
    "I saw your shop on xiaohongshu",
    "how do I complain to 12315?",
    "my lawyer friend will call me tonight about it",
]


@pytest.mark.parametrize(("text", "kind"), MAJOR)
def test_a_threat_to_go_outside_makes_a_complaint_major(text: str, kind: str) -> None:
    assert major_complaint(text) == kind


@pytest.mark.parametrize("text", ORDINARY)
def test_anger_and_questions_about_those_places_are_not_major(text: str) -> None:
    assert major_complaint(text) is None
