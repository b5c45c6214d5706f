"""Asking for a person, in any words, is recognised as such and handed over at once."""

from __future__ import annotations

import pytest

from bot.nlu.human import asks_for_person
from tests.conftest import Chat

ASKED = [
    "转人工",
    "人工",
    "人工人工人工",
    "我要找人工客服",
    "找客服小姐姐",
    "帮我转接一下人工客服，谢谢",
    "不要机器人 给我找个真人",
    "跟机器说不清楚，换个活人来",
    "唔該轉真人",
    "可唔可以搵個真人同我傾",
    "叫你哋客服出嚟",
    "有冇真人啊",
    "zhuan rengong",
    "wo yao zhuan ren gong",
    "转人公",
    "我要仁工",
    "帮我转个human",
    "我要real person",
    "human please",
    "humna pls",
    "agent",
    "is there anyone there I can talk to",
    "can i speak to an agent please",
    "let me talk to a real person, this bot doesn't get it",
    "you're just a bot, get me a human",
    "stop the bot",
    "get me someone who can actually help",
    "any of your people free to look at this for me",
    "pls escalate to ur team, this thing keeps looping",
    "can pass this to a proper officer handle?",
    "pls get somebody from your finance team to look at my COD",
    "真人客服 唔該 我趕時間",
]
NOT_ASKED = [
    "人工客服几点下班",
    "晚上十点以后还有人工吗",
    "客服电话多少",
    "怎么联系客服",
    "what are your customer service hours",
    "are you a real person?",
    "你是机器人吗",
    "你係真人定機械人？",
    "不用转人工了谢谢",
    "no need for an agent, thanks",
    "人工智能是什么",
    "人工费怎么算",
    "如何与家人共享花呗额度",
    "花呗找人代付可以吗",
    "我是客服小姐姐推荐来的",
    "i need someone to pick up my parcel",
    "谢谢",
    "有人吗",
    "我要退货",
    "one of your agents told me shipping was free",
    # where the way in is, work days, a person needed later, a complaint about one
    "人工客服的入口在哪里 我翻了半天没找到",
    "聯絡真人嘅掣喺邊度？",
    "星期日有没有客服开工",
    "if i ever need a real person later, how do i get one?",
    "the live agent earlier was so rude, I want to report him",
    "the chat agent said it ships today",
    "客服说帮我处理结果一直拖着 我要找你们领导投诉",
]


# Someone of a department, not the word 人工: the claims person, a specialist, someone from finance.
ASKED += [
    "先帮我转理赔的人",
    "回款的事给我安排个专人对接",
    "转给财务的同事处理一下",
    "can someone from finance settle it",
    "can pass me over to them?",
]
NOT_ASKED += [
    "转运中心的人说在路上",
    "转发给快递的人了",
    "找人帮忙代收快递可以吗",
    "can someone else receive the parcel for me",
]

# How or where to reach a person is asked about, not asked for; the answer carries the button.
# A verb of asking outside the "how" is still a request; 直接 ("directly") is no 接.
ASKED += [
    "怎么还不给我转人工",
    "rengong kefu pls",
    "能不能请专人给我回个电话",
    "could one of your staff check it for me",
    "can a live agent help sort this out",
    "订单的事别让我再跟机器人绕了",
    # Initials, the person on duty, "let someone call me", a human "around".
    "rg",
    "zrg rgkf",
    "叫个值班的同事来处理一下",
    "麻烦让个人给我打个电话",
    "is there an actual human around to chat with",
    # Round 13's kinds: a colleague, a CS lady, "get me somebody", enough of the bot, 给个 staff.
    "could i speak with one of your colleagues please",
    "any customer service lady i can chat with?",
    "enough automated replies, get me somebody real",
    "俾個真人我啦 唔好再自動回覆",
]
NOT_ASKED += [
    "人工客服在app哪里进去",
    "如何联络真人客服",
    "怎么才能找到在线的人工",
    "人工几点上班 有电话可以直接打吗",
    "how do i contact a human agent",
    "where is the live agent option",
    "请问你们的同事几点上班",
    "我个人觉得还行",
    "org chart",
]


@pytest.mark.parametrize("text", ASKED)
def test_a_request_for_a_person_is_recognised_in_any_words(text: str) -> None:
    assert asks_for_person(text)


@pytest.mark.parametrize("text", NOT_ASKED)
def test_questions_about_the_service_and_other_words_are_not_requests(text: str) -> None:
    assert not asks_for_person(text)


@pytest.mark.parametrize("text", ["找客服小姐姐", "zhuan rengong", "is there anyone there I can talk to", "转人公"])
def test_the_bot_hands_over_instead_of_explaining_how_to_reach_a_person(chat: Chat, text: str) -> None:
    chat.say(text)
    assert chat.handed_over, chat.text
    assert "转人工" not in chat.text or "正在" in chat.text  # never the instructions on how to ask


def test_a_question_about_the_hours_is_answered(chat: Chat) -> None:
    chat.say("人工客服几点下班")
    assert not chat.handed_over
    assert "22:00" in chat.text


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        # The matcher's "ask for a person" on a how / where question is the FAQ, and its "how to
        # reach a person" on a message that asks no how or when is a request.
        ("人工客服喺邊度搵 個掣喺邊", "service_info"),
        ("how do i reach a live agent if i need one later?", "service_info"),
        ("I'd like to chat with one of your colleagues directly", "human_request"),
        # 有人接 is "someone answers the phone", not 接 as in 接人工
        ("热线一直没人接 你们是不是已经下班了", "service_info"),
        ("till what time are your agents online? it's now 9pm", "service_info"),
    ],
)
def test_asking_how_to_reach_a_person_and_asking_for_one_are_told_apart(nlu, text: str, topic: str) -> None:  # type: ignore[no-untyped-def]
    assert nlu.parse(text).topic == topic


# Wordings the rules above do not know: the learnt half hears them (person.py). New sentences,
# in none of the phrasings it learns from.
IN_OTHER_WORDS = [
    "could a member of your support crew ring me",
    "有冇人可以幫我睇睇張單",
    "有冇職員得閒幫我跟進下",
    "想同返個職員講",
    "麻烦叫后台管事的出来说句话",
    "能不能换成人来回我 机器回的都是模板",
]
STILL_NOT_ASKED = [
    "u a bot or real person?",
    "真人定AI嚟㗎",
    "你们人工客服周末上班吗",
    "my colleague placed the order for me, where is it",
    "快递员说放驿站了 我没找到",
]


@pytest.mark.parametrize("text", IN_OTHER_WORDS)
def test_a_request_in_words_the_rules_do_not_know_is_heard_by_the_learnt_detector(nlu, text: str) -> None:  # type: ignore[no-untyped-def]
    assert not asks_for_person(text)  # the rules alone miss it
    assert nlu.parse(text).topic == "human_request"


@pytest.mark.parametrize("text", STILL_NOT_ASKED)
def test_the_learnt_detector_leaves_questions_about_people_alone(nlu, text: str) -> None:  # type: ignore[no-untyped-def]
    assert nlu.parse(text).topic != "human_request"
