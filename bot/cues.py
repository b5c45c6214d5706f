"""What a message says about the customer's own affairs, read from its words: that it is about
their own order ("我前天下的那单", "I return the shoes one week already"), that it asks how that
order is getting on ("咋还没发货", "几时到账"), or that it answers "the last four digits of your
phone?" ("尾号5601", "last 4 is 7606"). Pure: normalised text in, a verdict out; the policy
decides what follows.
"""

from __future__ import annotations

import re

from core.numerals import spelled_digits
from core.text import normalize

# The customer's own order, parcel or money, not orders in general: a possessive ("我的订单",
# "my refund"), something they did ("我前天下的那单", "我上周买的", "I returned the shoes"), or
# one order pointed at ("那单", "这个包裹").
_OWN_ORDER = re.compile(
    r"我.{0,6}?(?:的|嘅|那|这|家)(?:个|一)?(?:订单|快递|包裹|货款|退款|回款|货|单|件|票|东西)|我(?:货款|退款|回款)"
    r"|我.{0,6}?(?:下|买|订|拍|寄|退|付款|付)(?:了|的|咗)|我.{0,6}?(?:寄回|退回|寄返)(?:去|来|了|咗)"
    r"|(?:那|这|另外|另)(?:一|个)?(?:单|订单|包裹|快递|件货|票货|票件|笔钱|笔款|笔退款)"
    r"|(?<![a-z])my\s+(?:last\s+|latest\s+|recent\s+)?(?:order|parcel|package|item|stuff|delivery|shipment|refund|cod|payment|return)"
    r"|(?<![a-z])(?<!if )(?<!can )(?<!could )(?<!should )(?<!to )(?<!do )(?<!will )(?<!would )(?<!may )"
    r"i\s+(?:already\s+|just\s+)?(?:ordered|order|bought|returned|return|sent|paid|placed)(?![a-z])"
)
# How it is getting on: not yet, still, where, when (not "how long does shipping take" in general).
_PROGRESS = re.compile(
    r"(?:还|都|一直|仍|仲|咋|怎么|为什么|为啥|点解)(?:是)?(?:没|未|不)(?:有)?.{0,3}?"
    r"(?:发|到|收|退|寄|动|出货|处理|更新|回|打款|消息|送|入[账帐])"
    r"|到哪|到边|在哪(?!里?(?:能|可以|看|查))|几时|什么时候|啥时候|何时|到现在"
    r"|(?:发|到|寄|退|到[账帐]|入[账帐]|处理)(?:了(?:吗|没|没有)|没|未|没有|咗未)|(?:钱|款|货|包裹|快递)呢"
    r"|(?<![a-z])(?:yet|still|already|where|when (?:will|can|does|do|is|are|'?ll)|not (?:arrived|received|shipped)"
    r"|haven'?t|hasn'?t|didn'?t|no news)(?![a-z])"
)
# Another order than the one in hand: "另外一票件的钱呢", "那另一单呢", "and my other parcel?".
_ANOTHER = re.compile(
    r"另外(?:一|的)?(?:单|票|个订单|个包裹|件|笔)|另一(?:单|票|个订单|个包裹|件|笔)|其他(?:的)?(?:单|订单|包裹)"
    r"|(?<![a-z])(?:another|(?:my|the) other|a different|a second)\s+(?:order|parcel|package|shipment|delivery)"
)
# The answer to "the last four digits of your phone?": four digits with at most the words that
# say so (尾号, 手机后四位, "last 4 is", "my number ends in") and who is writing (我是林晓雯).
_FOUR_DIGITS = re.compile(r"(?<!\d)\d{4}(?!\d)")
_LAST4_WORDS = re.compile(
    r"我是\S{0,4}|我叫\S{0,4}|本人\S{0,4}|手机|电话|号码|尾号|尾数|后四位|后4位|末四位|末4位|四位|是|为|系|啊|呀|哦|喔|吧|的|了|呢|嘅|㗎"
    r"|(?<![a-z])(?:this is \w+|i'?m \w+|i am \w+|it'?s|its|my|the|phone|number|mobile|no|last|four|4|digits?|is|are"
    r"|ending|ends?|in|with|of|ok|okay|pls|please|here|sure)(?![a-z])"
)


# The customer turns to something else: "另外", "还有个事", "对了", "btw", "one more thing".
_MOVES_ON = re.compile(
    r"另外|还有(?:个|一个|一)?(?:事|件事|问题)|另一件事|顺便|对了|"
    r"(?<![a-z])(?:another thing|one more thing|also|btw|by the way|separately|unrelated|on another note)(?![a-z])"
)


# Hurrying the bot along, and nothing else: "快啲啦，我好急㗎", "hurry up pls", "快点啊 急死了".
_URGING = re.compile(
    r"快点|快啲|快些|赶紧|赶快|麻利|搞快|急死|好急|很急|急用|急着|着急|等不了|快|急"
    r"|(?<![a-z])(?:hurry(?: up)?|faster|quick(?:ly)?|asap|urgent(?:ly)?|rush)(?![a-z])"
)
_URGING_FILLER = re.compile(
    r"啦|了|啊|呀|吧|我|好|很|㗎|嘅|的|呢|喔|哦|嘛|点|啲|真的|真系|真係|人|都|要"
    r"|(?<![a-z])(?:pls|please|plz|lah|la|leh|now|i'?m|i am|in a|up|very|so|need|it|la)(?![a-z])"
)


# "I don't remember / don't know" in answer to a question: an answer, however it reads by meaning
# (不记得了 is close to 忘记密码 for the encoder). Only when little else is said: 忘了密码怎么办 is a question.
_DONT_KNOW = re.compile(
    r"不记得了?|记不得了?|记不清了?|忘了|忘记了|不知道|找不到了?|没有单号|没单号|冇记得|唔记得|"
    r"(?<![a-z])(?:i )?(?:don'?\s?t|do not|can'?\s?t|cannot) (?:remember|recall|know|find (?:it|them))|forgot(?: it)?|no idea(?![a-z])"
)
_DONT_KNOW_FILLER = re.compile(r"[a-z啊呀了的吧呢哦]")


def _only(text: str, said: re.Pattern[str], filler: re.Pattern[str], slack: int = 0) -> bool:
    """`said` is in the message, and once it and the `filler` words are taken out at most `slack`
    characters are left."""
    norm = normalize(text)
    rest = said.sub("", norm)
    return rest != norm and len(re.sub(r"\s", "", filler.sub("", rest))) <= slack


def only_urges(text: str) -> bool:
    """The message hurries the bot along and says nothing else (no question, no answer)."""
    return _only(text, _URGING, _URGING_FILLER)


def says_dont_know(text: str) -> bool:
    """The message answers "I don't know / remember" and little else."""
    return _only(text, _DONT_KNOW, _DONT_KNOW_FILLER, slack=2)


def moves_on(text: str) -> bool:
    """The message turns to another matter than the one before it."""
    return bool(_MOVES_ON.search(normalize(text)))


def about_own_order(text: str) -> bool:
    """The message is about one order of the customer's own, not orders in general."""
    return bool(_OWN_ORDER.search(normalize(text)))


def asks_progress(text: str) -> bool:
    """The message asks how something is getting on (not yet, still, where, when)."""
    return bool(_PROGRESS.search(normalize(text)))


def gives_last4(text: str) -> bool:
    """The message is four digits and the words that give them as the phone's last four."""
    norm = normalize(spelled_digits(text))
    if len(_FOUR_DIGITS.findall(norm)) != 1 or re.search(r"\d{5,}", norm):
        return False
    rest = _LAST4_WORDS.sub(" ", _FOUR_DIGITS.sub(" ", norm))
    return len(rest.replace(" ", "")) <= 2


def another_order(text: str) -> bool:
    """The message is about another order than the one already in hand."""
    return bool(_ANOTHER.search(normalize(text)))
