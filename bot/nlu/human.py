"""Does the customer ask for a person? A detector of its own, not one FAQ entry among many.

Answering "转人工" with instructions on how to reach a person is what customers hate most in
service bots, and a matcher that learnt a few phrasings misses the rest: 找客服小姐姐, 搵個真人,
"is there anyone there I can talk to", zhuan rengong, 转人公. So the request is recognised by
what it is made of, in any script, dialect, pinyin and typo:

- someone to talk to: 人工 / 真人 / 活人 / 客服 with a verb of asking (找, 要, 转, 接, 叫 …), or
  "human / real person / agent / operator / representative / staff" asked for in English;
- away from the bot: 不要机器人, 别让机器人回, 跟机器说不清, "stop the bot", "not a bot";
- 人工 heard rather than spelt: the message's pinyin holds "ren gong" (转人公, 仁工, rengong).

It stays out of the way of what only sounds like it: a question about the service (客服几点上班,
"what are your agents' hours", the hotline) is an FAQ; asking whether the bot is a person is
small talk; 不用转人工 / "no need for an agent" declines; 人工智能 and 人工费 are other words.
Pure: text in, a verdict out.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pypinyin import lazy_pinyin

from core.text import normalize

# --- Chinese, after normalise() (Simplified, Cantonese words in Mandarin, lower case) -----------
_PERSON_ZH = (
    r"(?:人工|真人|活人|真的人|客服|工作人员|服务员|小姐姐|小哥哥|专员|坐席|经理|主管|负责人"
    # A bare 人 only where it ends the ask (找个人跟我说, 换个人来), not 找人代付, 要人脸识别, 申请人.
    r"|human|agent|real ?person|person|staff|人(?=$|来|跟|和|同|吧|啊|呀|出来|帮我|聊|说|讲|处理))"
)
_ASK_ZH = r"(?:转|转接|接|找|要|叫|喊|换|给我|给(?:个|一个)|帮我转|帮我接|请|让|来|派|安排|接通|连线)"
_ZH_REQUEST = re.compile(
    # 转人工, 找个真人, 帮我接一下人工客服, 叫你们客服出来, 给我换个人来
    rf"{_ASK_ZH}\s*(?:一下|一个|个|下|位|你们的|你们|你哋|你们家)*\s*(?:真正的|真|活)?{_PERSON_ZH}"
    # 我要跟客服本人说话, 让代收专员直接联系我
    r"|(?:跟|和|同)(?:客服|人工|真人|活人)(?:本人)?(?:说|讲|聊|谈|沟通)"
    r"|(?:让|请|叫).{0,8}(?:专员|专人|客服|工作人员|人工|真人|(?:个|一个)人(?=给|来|帮|跟|联系|打)).{0,6}"
    r"(?:(?:联系|打电话给|打给|回电话给|回电)我|给我(?:回|打)(?:个|一个)?电话)"
    # 人工客服, 人工服务, 真人客服, 客服小姐姐, a bare 人工 / 真人 (checked whole-message below)
    r"|人工(?:客服|服务|坐席|接待|回复)|真人(?:客服|回复|服务)|活人|客服(?:小姐姐|小哥哥|妹妹|美女|mm|姐姐)?(?:在吗|在不在)"
    # 有没有真人, 有真人吗, 有没有人可以跟我说
    r"|有没有(?:真人|活人|人工|客服)|有(?:真人|人工)吗|有没有人(?:可以|能)?(?:跟|和|同)我(?:说|聊|讲|谈|倾)"
    # away from the bot
    r"|(?:不要|别|不想|不想要|不用|不需要|不好)(?:再)?(?:让我)?(?:再)?(?:跟|和|同)?(?:你|这个|这)?"
    r"(?:机器人|机器|ai|robot|bot|自动回复|auto ?reply)"
    r"|(?:跟|和|同)(?:你|机器人|机器|ai)(?:说|讲|聊)(?:不清|不明白|不通)"
    r"|机器人(?:听不懂|看不懂|答不了|回答不了|解决不了|说不清|没用)"
    r"|(?:换|找)(?:一个|个)?(?:人|真人|活人)(?:来|跟我|和我|吧)"
    # someone of a department: 先帮我转理赔的人, 转给财务的同事, 安排个专人对接, 找负责的人
    r"|(?:转(?!运|账|帐|发|寄|卖|让|单|交|告|达|述)|转给|转到|转接|帮我转|找|安排|派|叫|喊|(?<!申)请(?!问))"
    r"(?:一下|一个|个|给|到)?.{0,6}?"
    r"(?:的人|的同事|的专员|的负责人|专人|同事|负责的人)(?!脸|员工资)"
    r"|专人(?:对接|跟进|处理|负责|联系|来)"
)
# 不用转人工 / 不需要人工了: declined, not asked for.
_ZH_DECLINED = re.compile(r"(?:不用|不需要|不必|没必要|无需|先不)(?:帮我)?(?:转|找|接)?(?:人工|真人|客服)")
# Questions about the service, not a request for it: when, which number, how long.
_ZH_ABOUT = re.compile(
    r"几点|什么时候|(?<![赶没费])时间|上班|下班|回工|返工|开工|电话|热线|号码|邮箱|多久|多长时间|营业|工作日|周末|节假日"
    r"|礼拜[六日天]|星期[六日天]|在线时间|服务时间"
    r"|晚上|半夜|凌晨|早上|夜里|[0-9一二三四五六七八九十两]+点|怎么联系|如何联系|怎样联系"
)
# Where the way in is (转人工的按钮在哪, 个掣在哪里㩒, 入口找不到): about the service, whatever verb it names.
_ZH_WAY_IN = re.compile(
    r"(?:按钮|按键|掣|入口|选项|链接|图标)(?:在|喺)?(?:哪|边)|(?:找不到|没看到|看不到|冇)(?:那个|个)?(?:按钮|掣|入口|选项)"
)
# How to reach a person, with the verb it governs (怎么找人工, 从哪里进去找, 如何联络真人客服).
_ZH_HOW = re.compile(
    r"(?:怎么|怎样|如何|咋|点样|点先|从哪里?|从哪儿|在哪里?|哪里|哪儿|去哪|入口)"
    r"(?:才能|才可以|可以|能|要|去|进去|进|样|先)?(?:找到?|联系|联络|接通|转到?|进入?|点|打|搵到?)?"
)
# Asking now: a verb of asking, or urgency (直接 is "directly", 有人接 "someone answers", not 接).
_ZH_ASKING_NOW = re.compile(r"转|(?<![直人])接|找(?!到|不到)|叫|给我|帮我|马上|现在|立刻|赶紧")
# Asking whether the bot is a person: small talk.
_ZH_IS_BOT = re.compile(
    r"(?:你|你们|这)(?:是|系)(?:不是)?(?:真人|机器人|机械人|人工|人|ai|机器)"
    # 真人定机器人, 係AI定真人: which of the two, asked
    r"|(?:真人|人工|活人)(?:还是|定|或者)(?:机器人|机械人|机器|ai)|(?:机器人|机械人|机器|ai)(?:还是|定|或者)(?:真人|人工|活人)"
)
_ZH_PERSON_WORD = re.compile(r"人工|客服|真人|human|agent|real person")
_PERSON_WORD_EN = re.compile(
    r"\b(?:human|agent|real person|live person|person|representative|operator|staff|someone|somebody|colleagues?|cs|lady)\b"
)
# Nothing but asking: 人工 / 人工人工人工 / human 人工 人工!!! / 真人 please.
_ZH_ONLY_ASKING = re.compile(
    r"(?:人工|客服|人工客服|真人|真人客服|human|agent|real person|pls|plz|please|请|快|快点|赶紧|马上|啊|呀|吧|谢谢|\s)+"
)
# 人工 in other words.
_ZH_OTHER_WORDS = re.compile(r"人工智能|人工费|人工成本|人工合成|人工降雨|人工湖|人工草|人工呼吸|人工授精")

# --- English, lower case ---------------------------------------------------------------------
_PERSON_EN = (
    r"(?:a\s+|an\s+|the\s+|some\s+|your\s+|real\s+|live\s+|actual\s+|human\s+|one\s+of\s+)*"
    r"(?:human(?:\s+being)?|humna|huamn|hooman|person|people|agent|operator|representative|rep|staff|someone|somebody|colleagues?"
    r"|cs\s+(?:lady|girl|guy|staff|person|agent|officer|rep)"
    r"|anyone|anybody|customer\s+service(?:\s+(?:person|agent|rep|representative|officer))?|cs|supervisor|manager)"
)
_STRONG_PERSON_EN = (
    r"(?:a\s+|an\s+|the\s+|some\s+|your\s+|real\s+|live\s+|actual\s+)*"
    r"(?:human|humna|huamn|hooman|real\s+person|agent|operator|representative|rep|staff|manager|supervisor"
    r"|customer\s+service\s+(?:person|agent|rep|representative|officer))"
)
_EN_REQUEST = re.compile(
    rf"\b(?:talk|speak|connect|transfer)(?:\s+(?:me|us|to|with|through|over|in|on|for|it))*\s+{_PERSON_EN}\b"
    rf"|\bchat(?:\s+(?:me|us|it))*(?:\s+(?:to|with))+\s+{_PERSON_EN}\b"
    # "need someone from your team to reissue", "get somebody on your side to check"
    r"|\b(?:need|want|get|have|send)\s+(?:some(?:one|body)|a\s+person|a\s+staff|staff|an?\s+agent)\s+"
    r"(?:from|on|at)\s+(?:your|ur|the)\s+(?:team|side|end|company|office|department|finance|support|cs)\b"
    rf"|\b(?:put|get|give|let|bring|want|need|like|prefer|escalate|switch|pass)"
    rf"(?:\s+(?:me|us|to|with|through|over|in|on|for|it))*\s+{_STRONG_PERSON_EN}\b"
    r"|\b(?:human|real\s+person|real\s+human|live\s+(?:agent|person|chat|support)|agent|operator|representative"
    r"|humna|huamn|hooman|real\s+people|someone\s+real|somebody\s+real|actual\s+(?:person|human))"
    r"\s*(?:pls|plz|please|pleaseee*|now|asap|thx|thanks|!|\?|$)"
    r"|\b(?:stop|no\s+more|enough(?:\s+(?:of|with))?)\s+(?:the\s+|this\s+|your\s+)?(?:bot|robot|machine|auto\s*reply|automated)"
    r"|\bget\s+me\s+(?:some(?:one|body)|a\s+person|a\s+colleague)\b"
    r"|\b(?:not|no)\s+(?:a\s+|the\s+|this\s+)?(?:bot|robot|machine)\b(?!\?)"
    r"|\bis\s+there\s+(?:any|some)(?:one|body)\s+(?:there\s+|real\s+)?(?:i|we)\s+can\s+(?:talk|speak|chat)"
    # "is there a breathing human around?", "any real person here"
    r"|\b(?:is\s+there|are\s+there|any)\s+(?:a\s+|an\s+)?(?:\w+\s+)?(?:human|humans|real\s+person|real\s+people|live\s+agent"
    r"|cs\s+(?:lady|girl|guy|staff|person|agent)|customer\s+service\s+(?:lady|girl|guy|staff|person|agent))\b"
    r"|\b(?:is\s+there|are\s+there)\s+(?:a\s+|an\s+|any\s+)?(?:\w+\s+)?(?:person|agent|staff|operator)s?\s+"
    r"(?:(?:i|we)\s+can\s+|to\s+)(?:talk|chat|speak)"
    r"|\b(?:anyone|anybody|someone|somebody)\s+(?:real|human|alive)\b"
    r"|\b(?:someone|somebody|a\s+person)\s+(?:who|that)\s+(?:can|could|will)\s+(?:actually\s+|really\s+)?help"
    # "can a real person help push it", "could one of your staff check"
    r"|\b(?:can|could|would|will)\s+(?:a|an|one\s+of\s+your|some|your)\s+(?:real\s+|live\s+|actual\s+|human\s+)?"
    r"(?:person|human|agent|staff|colleague|officer|representative|rep)s?\s+(?:please\s+|pls\s+)?"
    r"(?:help|check|look|call|contact|handle|push|follow|sort|chase|settle|take)"
    # someone of a department, or someone to look: "can someone from finance settle it", "pls get
    # someone to check", "could you have somebody look"; "pass me to your colleague"
    r"|\b(?:can|could|pls|please|let)\s+(?:(?:you\s+)?(?:get|have|ask)\s+)?(?:someone|somebody|anyone|a\s+colleague)"
    r"\s+(?:from\s+(?:your\s+|the\s+)?\w+(?:\s+team)?\s+)?(?:to\s+)?"
    r"(?:settle|help|handle|call|contact|check|look|sort|fix|follow|take\s+over|deal)"
    # "any of your people free to look", "anyone from ur team around"
    r"|\bany\s+of\s+(?:your|ur)\s+(?:people|staff|team|colleagues|agents|officers)\b"
    r"|\b(?:pass|transfer|hand|put|escalate)\s+(?:me\s+|this\s+|it\s+)?(?:over\s+|up\s+)?(?:to|through\s+to)\s+"
    r"(?:one\s+of\s+)?(?:your\s+|ur\s+|a\s+|the\s+|them)"
    r"(?:colleagues?|team|finance|claims?\s+(?:team|department|person)|department|them)?"
)
# Complaining about someone: "I want to report her", "lodge a complaint against your agent".
_EN_COMPLAINT = re.compile(r"\b(?:complain|complaint|report\s+(?:her|him|them|this\s+(?:agent|staff|person)))\b")
_EN_DECLINED = re.compile(
    r"\b(?:no\s+need|don'?t\s+need|do\s+not\s+need|not\s+necessary|won'?t\s+need)\s+(?:for\s+|of\s+|to\s+\w+\s+(?:to|with)\s+)?"
    r"(?:a\s+|an\s+|the\s+)?(?:human|person|agent|staff|operator)"
)
_EN_ABOUT = re.compile(
    r"\b(?:when|what\s+time|hours?|open|opening|available|availability|hotline|phone|call|number|email"
    r"|how\s+long|weekend|holiday|how\s+(?:to|do|does|can|could|should)|where)\b"
)
_EN_HOW_FIRST = re.compile(r"\s*(?:how|where|when|what\s+time|which)\b")
_EN_CALL_ME = re.compile(r"\b(?:call|contact|ring|phone|text)\s+me\b")
_EN_ASKING_NOW = re.compile(
    r"\b(?:now(?!\s*(?:is\s+)?\d)|asap|pls|plz|please|right\s+away|immediately|(?<!if\s)i\s+want|(?<!if\s)i\s+need|let\s+me)\b"
)
_EN_IS_BOT = re.compile(
    r"\b(?:are\s+(?:you|u)|r\s+u|(?:could|can|would)\s+(?:you|u)\s+be|is\s+this|if\s+(?:you|u)\s+(?:are|r)"
    r"|am\s+i\s+(?:talking|chatting|speaking)\s+(?:to|with))\s+(?:a\s+|an\s+|someone\s+|somebody\s+)?"
    r"(?:actual|real|live|human|bot|robot|machine|ai|person|computer)"
    # "u real person or AI?", "human or bot ah": which of the two, asked
    r"|^\s*(?:u|you|ya)\s+(?:a\s+)?(?:real|human|bot|robot|ai|machine)\b"
    r"|\b(?:person|human|people)\s+or\s+(?:an?\s+)?(?:ai|bot|robot|machine)\b"
    r"|\b(?:ai|bot|robot|machine)\s+or\s+(?:an?\s+)?(?:real\s+)?(?:person|human)\b"
)

# --- 人工 heard: the message's pinyin, and pinyin typed as such --------------------------------
# Asked for (zhuan rengong, 转人公) or said alone (rengong kefu); not 家人共享 (jia ren gong xiang).
_PINYIN_REQUEST = re.compile(
    r"\b(?:zhuan|jie|zhao|yao|qing|gei\s*wo)\s*(?:jie\s*|ge\s*|yi\s*ge\s*|xia\s*)?ren\s*gong\b"
    r"|^\s*ren\s*gong(?:\s*ke\s*fu)?(?:\s*ren\s*gong)*\s*(?:pls|plz|please|ah|a|la|lah|le|ya|kuai\s*dian)?\s*$"
    r"|\bzhuan\s*(?:jie\s*)?(?:zhen\s*ren|ke\s*fu)\b|\bzhen\s*ren\s*ke\s*fu\b"
    # the initials: rg, zrg, rgkf (转人工, 人工客服) typed alone
    r"|^(?:\s*(?:z\s*)?rg(?:\s*kf)?)+(?:\s*(?:pls|plz|please|ah|a|la))?\s*[!?！？。.]*\s*$"
)
_CJK = re.compile(r"[\u4e00-\u9fff]+")


def asks_for_person(text: str) -> bool:
    """The customer wants to talk to a person now (not: asks about the service, or whether we are one)."""
    return _verdict(text[:500])


def _forms(text: str) -> tuple[str, str]:
    """The message as the Chinese rules read it (normalised) and as the English ones do."""
    return normalize(text[:500]), " ".join(text[:500].lower().split())


def refuses(text: str) -> bool:
    """The rules rule a request for a person out, whatever else hears one: the message asks
    whether the bot is a person, declines a person, complains (handled as a complaint, with
    its queue and priority) or asks about the service (how, where, when, which number)."""
    return _ruled_out(*_forms(text)) or about_service(text)


def is_bot_question(text: str) -> bool:
    """The customer asks whether the bot is a person ("u real person or AI?", 你係真人定機械人)."""
    return _is_bot(*_forms(text))


def _is_bot(zh: str, en: str) -> bool:
    return bool(_ZH_IS_BOT.search(zh) or _EN_IS_BOT.search(en))


def _ruled_out(zh: str, en: str) -> bool:
    if _is_bot(zh, en):
        return True
    if _ZH_DECLINED.search(zh) or _EN_DECLINED.search(en):
        return True
    # A complaint asks for a person too, and is handled as one (its queue, its priority).
    return "投诉" in _ZH_OTHER_WORDS.sub("", zh) or bool(_EN_COMPLAINT.search(en))


@lru_cache(maxsize=4096)
def _verdict(text: str) -> bool:
    zh = normalize(text)
    en = " ".join(text.lower().split())
    if _ruled_out(zh, en):
        return False
    plain = _ZH_OTHER_WORDS.sub("", zh)
    if _ZH_ONLY_ASKING.fullmatch(plain) and _ZH_PERSON_WORD.search(plain):
        return True
    if _ZH_REQUEST.search(plain):
        return not _about_service_zh(plain)
    if _EN_REQUEST.search(en):
        return not (_EN_ABOUT.search(en) and not _EN_ASKING_NOW.search(en))
    return _heard(plain, en)


def mentions_person(text: str) -> bool:
    """The message is about reaching a person (人工, 真人, "a live agent"), asked for or asked about."""
    return bool(_ZH_PERSON_WORD.search(normalize(text[:500])) or _PERSON_WORD_EN.search(text[:500].lower()))


def about_service(text: str) -> bool:
    """The message asks about the service (how, where, when, which number), not for it now."""
    zh, en = _forms(text)
    if _about_service_zh(zh):
        return True
    if not _EN_ABOUT.search(en) or _EN_CALL_ME.search(en):
        return False
    return bool(_EN_HOW_FIRST.match(en)) or not _EN_ASKING_NOW.search(en)


def without_request(text: str) -> str:
    """What else the message says once the asking for a person is taken out (normalised):
    "我的货款一直没到 帮我转人工" -> "我的货款一直没到", the subject the desk should know of."""
    zh = normalize(text[:500])
    rest = _EN_REQUEST.sub(" ", _ZH_REQUEST.sub(" ", zh))
    return " ".join(rest.split())


def _about_service_zh(zh: str) -> bool:
    """客服几点上班 / 人工客服电话多少 / 人工客服要从哪里进去找: about the service. 现在转人工 /
    转人工谢谢 / 怎么还不给我转人工 is still a request: a verb of asking outside the "how"."""
    if _ZH_WAY_IN.search(zh):
        return True
    if not (_ZH_ABOUT.search(zh) or _ZH_HOW.search(zh)):
        return False
    return not _ZH_ASKING_NOW.search(_ZH_HOW.sub(" ", zh))


def _heard(zh: str, en: str) -> bool:
    """人工 typed in pinyin (zhuan rengong) or by a homophone (转人公, 仁工)."""
    if _PINYIN_REQUEST.search(en):
        return True
    cjk = "".join(_CJK.findall(zh))
    if not cjk or "人工" in cjk:  # spelt right, and the rules above did not take it: another 人工
        return False
    return bool(_PINYIN_REQUEST.search(" ".join(lazy_pinyin(cjk))))
