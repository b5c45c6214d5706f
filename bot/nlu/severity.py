"""How serious a complaint is: a threat to take it outside, or abuse past the ordinary.

A major complaint goes to a supervisor. What makes one is not how angry the words sound
("等得我火大" is an ordinary annoyed customer) but where the customer says they will take it:
a regulator (12315, 消协, the postal bureau, a consumer council), the press, the police, a
lawyer or a court, their bank (a chargeback), or the internet (微博, 小红书, 抖音, "post it
everywhere"); or abuse past the ordinary (threats of violence, the worst insults). Any script
and dialect: the text is normalised first (報俾傳媒 reads 报给传媒).

Asking about those places is not a threat: "12315管这种吗", "how do I dispute a charge",
"我朋友是律师说…". Pure: text in, the kind of threat out (or None).
"""

from __future__ import annotations

import re
from functools import lru_cache

from core.text import normalize, to_simplified

# Where the customer says they will take it, by kind. Run on normalised text (Simplified, lower case).
_OUTSIDE: dict[str, re.Pattern[str]] = {
    "regulator": re.compile(
        r"12315|12345|消协|消费者协会|消保|消委会|消费者委员会|消基会|市场监管|工商局|工商部门|邮政局|邮政管理局|"
        r"国家邮政|质监|银保监|监管部门|有关部门|相关部门|(?<![a-z])(?:consumer (?:council|protection|association|affairs)"
        r"|regulator|trading standards|bbb|better business bureau|ftc)(?![a-z])"
    ),
    "press": re.compile(
        r"媒体|传媒|记者|电视台|报社|报料|爆料|上新闻|新闻热线|(?<![a-z])(?:media|press|journalist|newspaper|news (?:station|channel)|reporter)(?![a-z])"
    ),
    "police": re.compile(r"警察|派出所|公安|差人|(?<![0-9])110(?![0-9])|(?<![a-z])(?:police|cops?)(?![a-z])"),
    "lawyer": re.compile(r"律师|法院|法庭|(?<![a-z])(?:lawyers?|attorney|court|small claims)(?![a-z])"),
    "chargeback": re.compile(
        r"银行申诉|信用卡争议|(?:我的)?银行(?!卡|流水|账户|账号|转账)|(?<![a-z])(?:my (?:bank|credit card(?: company)?))(?![a-z])(?! (?:card|account|transfer|app))"
    ),
    "social_media": re.compile(
        r"微博|小红书|抖音|朋友圈|全网|黑猫投诉|大众点评|网上|让大家都知道|"
        r"(?<![a-z])(?:social media|twitter|facebook|instagram|tiktok|reddit|youtube|weibo|xiaohongshu|xhs|rednote|douyin"
        r"|threads|linkedin|wechat moments|go(?:ing)? viral|post (?:it |this |about (?:it|this|you) )?(?:online|everywhere)|review (?:sites|everywhere)|1[- ]star review)(?![a-z])"
    ),
}
# Acts that are threats in themselves: 报警, 起诉, "sue", a chargeback.
_ACTS: dict[str, re.Pattern[str]] = {
    # "咱消协见", "12315见", "法院见": see you there.
    "regulator": re.compile(r"(?:12315|消协|消委会|消费者协会|市场监管局?|工商局?)(?:那边|那里|那儿)?见"),
    "police": re.compile(r"报警|报案|(?<![a-z])call(?:ing)? (?:the )?(?:police|cops|911|999)(?![a-z])"),
    "lawyer": re.compile(
        r"起诉|告你们|告到|打官司|仲裁|律师函|诉讼|(?:法院|法庭)(?:那边|上)?见|(?<![a-z])(?:sue|suing|legal action|lawsuit|see you in court)(?![a-z])"
    ),
    "chargeback": re.compile(
        r"拒付|撤销(?:这笔)?(?:付款|交易)|(?<![a-z])(?:chargeback|charge back|dispute (?:the|this|it|a) (?:charge|payment|transaction))(?![a-z])"
    ),
}
# Said as a threat: a verb of taking it there just before the place (找媒体, 打12315, 报俾传媒,
# "go to the press", "post it on twitter"), by the customer (我 / I) or as an ultimatum (再不…就).
_VERB_BEFORE = re.compile(
    r"(?:找|去|打|拨|报给|报到|报俾|报料给|告|上|发|晒|挂|投诉到|反映到|举报到|曝光到|交给|请|等着收|写信(?:给|俾|畀)|投稿(?:给|到)?)\S{0,6}$|"
    r"(?<![a-z])(?:call|calling|contact|contacting|report(?:ing)? (?:you |this |it )?to|go(?:ing)? to|take (?:this|it|you) to|"
    r"file|filing|post(?:ing)?|share|sharing|put(?:ting)?|tell(?:ing)?|get(?:ting)?|tag(?:ging)?|complain(?:ing)?|escalat(?:e|ing))"
    r"(?: (?:the|a|my|this|it|you|about you|on|to|all|over))*\s*$"
)
# Or sent our way after it: "my lawyer will be contacting you", "我的律师会联系你们", "you'll hear from my lawyer".
_VERB_AFTER = re.compile(
    r"^\S{0,2}(?:会|将|马上|就)?(?:联系|找|打电话给|发函给|来找)(?:你们|你|贵司)|"
    r"^\s*(?:will|is going to|shall|'ll)\s+(?:be\s+)?(?:contact|call|reach|writ|be in touch|get in touch|send|follow up)"
)
_FROM_AFTER = re.compile(r"(?<![a-z])(?:hear from|hearing from|expect a (?:call|letter) from)\s+(?:my|our)\s+$")
_CUSTOMER_SAYS = re.compile(
    r"我|俺|咱|再不|不然|否则|要不然|信不信|等着|(?<![a-z])(?:i|i'?ll|i'?m|we|we'?ll|my|or else|otherwise|unless|until|if you don'?t)(?![a-z])"
)
_EXPOSE = re.compile(r"(?:要|会|就|去|把你们|给你们|帮你们|上网|网上)曝光|曝光(?:你们|你|这家|这件事)")
# Asking how those places work, or mentioning them without threatening: no threat.
_ASKING_ABOUT = re.compile(
    r"(?:12315|消协|律师|法院|仲裁)(?:那边)?(?:能|会|可以|是怎么|管不管)(?:管|受理|处理)|"
    r"(?:朋友|别人|有人|同事|家人|快递员|师傅|客服|对方|他|她)(?:是|说|要)\S{0,10}?(?:律师|记者|警察|报警|12315|消协)|"
    r"(?:怎么|如何|怎样|在哪)(?:\S{0,6}?)(?:投诉|申诉|报案|起诉|拒付)|"
    r"(?<![a-z])(?:how (?:do|can|should) (?:i|we)|how to|what is|is it legal|should i|if i want to|do i need to)(?![a-z])|"
    r"请问|问一下|问问|想先了解|想了解|是先|还是要|可以先|能不能先|我也不懂|"
    r"(?:之前|上次|已经)(?:\S{0,6}?)(?:投诉|报警|报案|起诉)(?:过|了)|"
    r"不会(?:去)?(?:投诉|报警|起诉|曝光)|(?<![a-z])(?:won'?t|not going to|never) (?:sue|call the police|go to the press|post)(?![a-z])"
)
# Abuse past the ordinary: violence and the worst insults (ordinary swearing is anger, not this).
_EXTREME_ABUSE = re.compile(
    r"弄死|砍死|打死你|杀了你|杀你全家|炸了你们|炸掉|烧了你们|去死吧|全家死|死全家|操你妈|草你妈|cnm|你妈死|"
    r"(?<![a-z])(?:kill you|i'?ll kill|burn (?:it|your \w+) down|bomb|die in a fire|f+u+c+k+ your (?:mother|mom|family))(?![a-z])"
)


def outside_threat(text: str) -> str | None:
    """The place the customer threatens to take the complaint (regulator, press, police, lawyer,
    chargeback, social_media), or None."""
    return _threat(text[:1000])


def extreme_abuse(text: str) -> bool:
    return bool(_EXTREME_ABUSE.search(normalize(text[:1000])))


@lru_cache(maxsize=4096)
def _threat(text: str) -> str | None:
    # Normalised (dialect read as Mandarin) and lightly (numbers kept: 12315 is a place).
    for norm in (normalize(text), to_simplified(text).lower()):
        if not norm or _ASKING_ABOUT.search(norm) or not (_CUSTOMER_SAYS.search(norm) or len(norm) <= 16):
            continue
        if _EXPOSE.search(norm):
            return "press"
        for kind, pattern in _ACTS.items():
            if pattern.search(norm):
                return kind
        for kind, pattern in _OUTSIDE.items():
            for m in pattern.finditer(norm):
                before = norm[max(0, m.start() - 24) : m.start()]
                if _VERB_BEFORE.search(before) or _FROM_AFTER.search(before):
                    return kind
                if kind in ("lawyer", "police", "press", "regulator") and _VERB_AFTER.search(
                    norm[m.end() : m.end() + 30]
                ):
                    return kind
    return None


def major_complaint(text: str) -> str | None:
    """Why a complaint is major (the threat's kind, or "abuse"), or None for an ordinary one."""
    return outside_threat(text) or ("abuse" if extreme_abuse(text) else None)
