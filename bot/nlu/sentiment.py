"""Anger and frustration scoring for customer-service messages, Chinese and English.

Two kinds of evidence, combined as independent probabilities (1 - prod(1 - w)): rules an agent
can read (insults, threats to complain, frustration phrases, demands, exclamation runs, angry
emoji, shouting) and a small learned model of how angry customers phrase things
(`bot/nlu/anger_model.py`), listed as `angry_phrasing` when it counts. "No rush" / "没关系"
halves the soft evidence; thanks, praise and apologies halve the enthusiasm-like signals. The
conversation adds evidence too: asking the same thing again, and staying annoyed message after
message. Measured by `python bench/anger.py`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache

from bot.nlu.anger_model import AngerModel, Example, knowledge_base_calm_examples, labelled_examples
from core.text import normalize, to_simplified

# Angry from here up: the threshold with the best out-of-fold F1 (5-fold cross-validation, three
# shuffles, 0.05 steps) over our tuning messages; `python bench/anger.py --cv` reproduces it.
# Every angry verdict hands the customer to a person, so precision matters as much as recall.
ANGRY_THRESHOLD = 0.45
# The model's probability is listed among the signals from here up (it always adds its weight).
PHRASING_SIGNAL = 0.3
# An earlier message (of the last three) and this one both at least this angry: still upset.
STILL_UPSET = 0.3

# Patterns run on Simplified, lower-cased text. English words are delimited by "not a letter"
# rather than \b, for which a Chinese character is a word character ("我要complain").
_INSULTS = re.compile(
    r"垃圾|废物|傻[逼bx比]|sb(?![a-z])|煞笔|脑残|智障|白痴|蠢|滚|(?<![我她俺咱])妈的|他妈|痴线|仆街|喂狗|谢谢你(?:们)?全家|tmd|nmd|cnm|尼玛|你妈|去死|混蛋|王八|狗屎|狗屁|骗子|坑人|黑心|无良|恶心|不要脸|扯淡|放屁|黑店|坑爹|诈骗|骗钱|装死|开什么玩笑|耍我|当我傻|有病|神经病|脑子(?:有问题|进水)|是死了吗|瞎了?吗|你个头|破玩意|没良心|良心(?:不会痛|不痛|被狗吃|何在|呢)|(?:有点|没有|没)职业道德|"
    r"(?<![a-z])(?:what the hell|are you kidding|kidding me|thanks for nothing|rip ?off|screw you|idiot|stupid|moron|scam(?:mer)?s?|fraud|liars?|lying|useless|pathetic|garbage|trash|crap|shit|damn|wtf|f+u+c+k\w*|f\*+(?:k|ing)?|sh\*+t|my ass|cheat(?:ing|ers?)|bullshit|ridiculous|disgusting|incompetent|clowns?|(?:is|was|what|such|are|you'?re) a (?:joke|farce)|joke of a|insult(?:ing)?|shameful|shameless|disgrace(?:ful)?)(?![a-z])"
)
_THREATS = re.compile(
    r"投诉|举报|12315|消协|消费者协会|消保|消基会|消委会|市场监管|工商|曝光|(?:发|上|挂|晒)(?:到|在)?(?:网上|媒体|微博|小红书|抖音)|黑猫|差评|报警|律师(?!事务所)|起诉|法院|法律|告你们|维权|拒付|找你们(?:领导|老板|经理|主管)|"
    r"(?<![a-z])(?:complain(?:t|ing)?|report(?:ing)? (?:you|this)|sue|lawyer|legal action|chargeback|disput(?:e|ing) (?:the|this|it)|(?:call|contact)(?:ing)? my (?:bank|credit card)|credit card company|regulator|consumer (?:council|protection|association)|bbb|bad review|review sites?|(?:post|put|share|expose)\w* (?:\w+ ){0,3}(?:on|to) (?:social media|twitter|facebook|tiktok|reddit)|1[- ]star|one star|never (?:buy|order|shop)\w*|worst(?![- ]case))(?![a-z])"
)
_FRUSTRATION = re.compile(
    r"到底(?!(?:是|要|该)?(?:选|买|哪))|究竟|怎么还没|怎么还不|还要等多久|等了\S{0,4}(?:天|周|个月|星期|小时|钟头)|说好的|一直|多少次|几次了|又是|再不|不耐烦|受够|气死|太差|太烂|搞什么|什么玩意|什么鬼|无语|失望|忽悠|敷衍|推卸|没人管|没人理|别再|第[二三四五2345]次(?:问|找|联系|催|说|打|来)|三番五次|说了(?:多少|几)[遍次]|问了(?:好)?几[遍次]|几遍了|呵呵|搞笑|离谱|"
    r"过分|有完没完|踢皮球|推来推去|糊弄|打发|耍人|欺负|受气|寒心|折腾|一拖再拖|凭什么|什么意思|什么道理|讲不讲理|还想不想|(?<![舒佩说克制征])服了|(?:是|简直|真是|像)(?:个|一个)?笑话|(?<![讲说来])个笑话(?!听|吧|给)|笑话(?:一样|似的)|复制粘贴|(?:跟|和|对着|又是|全是|都是|只有|只会)(?:个)?(?:机器人|自动回复)|(?:机器人|自动回复)(?:一样|似的|有(?:什么|啥)用)|活人|生气|火大|恼火|跟没\S{1,4}(?:有什么|一样|没)区别|这算什么(?=$|[？?，,！!。])|太扯|了个寂寞|"
    r"已读不回|(?:说|讲)(?:了|咗)等于(?:没|冇)(?:说|讲)|复制贴上|跑路|傻眼|心情(?:非常|很|特别|超)?(?:不好|差)|错的永远是|最后一次(?:在)?(?:你们|这)?(?:家)?(?:买|下单)|(?<!行 那)(?<!好 那)(?<!好的 )(?<!行 )(?<!好 )(?<!那)(?<!ok )我等着(?=$|[，。,.!！\s])|"
    r"(?:还|也|怎么)好意思|乱(?:扣|收)|白(?:交|等|跑|买|花)了|浪费(?:我的?)?时间|永远(?:打不通|占线|在?排队|没人|不回)|答非所问|急死(?:人|我)|比登天还难|(?:不|没有?)认账|还不认|办点?人事|"
    r"(?:真棒|真好|好极了|太好了|好得很)[，,]?又|"
    r"(?<![a-z])(?:still (?:not|no|nothing|waiting|haven)|again|how many times|fed up|sick of|(?:losing|lost|run(?:ning)? out of|testing) (?:my )?patience|(?:more than|very|extremely|so) patient|not happy|nightmare|just wow|(?:waited|waiting|been waiting)(?: for)? (?:over |more than )?(?:\d+|two|three|four|five|six|several|many) (?:minutes|hours|days|weeks)|unacceptable|terrible|awful|horrible|furious|angry|annoyed|frustrat\w*|ignored|nobody|no one (?:answers|replies)|waste of time|wasting my time|seriously|unbelievable|outrageous|absurd|(?:second|third|fourth|2nd|3rd|4th) time|(?:asked|told you|explained|said)(?: \w+){0,3} (?:twice|(?:two|three|four|five|several|multiple|many) times)|again and again|for the last time|are you serious|oh (?:great|wonderful|brilliant|perfect|lovely)|(?:automated|canned|copy[- ]?paste|same) (?:reply|replies|answer|response)|excuses|you people|i'?m done|last warning|enough|expect(?:ed)? better|zero (?:answers?|replies|response|help)|"
    r"do something|(?:going|go|goes|run(?:ning)?) (?:round )?in circles|on purpose|false advertising|hopeless|(?:doesn'?t|don'?t) (?:even )?care|why should i|who gave you|take responsibility|straight answer|"
    r"just (?:lovely|brilliant|great|perfect|wonderful|fantastic)|(?:great|fantastic|brilliant|wonderful|perfect|lovely),? another|"
    r"fine[.,!]? (?:whatever|cancel|keep)|whatever[.!]|not impressed|hung up on me|(?:have|had|need) to chase|what'?s the point|let me guess|stop sending|"
    r"last (?:time|order) i(?:'ll| will)? (?:ever )?(?:buy|order|place|shop)|outdid yourselves|not a bot)(?![a-z])"
)
# "I'm not complaining" / "不是投诉" is no threat, "不用转人工" no demand for a person, and asking
# for a joke ("tell me a joke", "讲个笑话") no word that the service is one: such mentions are
# blanked before the rules and the model read the message.
_NEGATED_THREAT = re.compile(
    # Asking how complaints work, or about one already made, is no threat to make one.
    r"(?:怎么|如何|怎样|在哪里?|哪里|去哪|请问|想问(?:一下)?|想了解(?:一下)?)(?:\S{0,8}?)(?:投诉|差评)|"
    r"(?:投诉|差评)(?:的)?(?:渠道|电话|方式|流程|处理流程|入口|进度|之后|一般|多久|要提供|需要提供|可以修改|能修改|怎么改|能改|可以改)|"
    r"(?:之前|上次|上回|撤销|撤回)(?:的|那个|那次)?投诉|投诉(?:係咪|系咪|系不系)|"
    r"(?<![a-z])(?:(?:how|where) (?:do|can|should|would|could) (?:i|we)|how to) (?:\w+ ){0,3}(?:complain\w*|dispute|投诉)(?![a-z])|"
    r"(?<![a-z])if i (?:want|need|wanted) to (?:dispute|complain|file a complaint)(?![a-z])|"
    r"(?:不是|并不是|不想|不会|没有?|无意)(?:要|想|来|在)?(?:投诉|举报|差评|曝光)|不(?:用|需要)转?人工|"
    r"(?:讲|说|来)(?:个|一个|几个)?笑话|"
    r"(?<![a-z])(?:tell|know|say|got|have)(?: me| us)?(?: a| any| some| another)?(?: good| funny)? jokes?(?![a-z])|"
    r"(?<![a-z])(?:not|never|no|dont|wont|[a-z]*n't)(?: [a-z]+){0,2} (?:complain\w*|report\w*|bad review)(?![a-z])|"
    # A complaint already made, a review being mended, 12315 or a lawyer asked about rather than
    # threatened: "我上周投诉的那个工单", "差评改成好评", "12315管这种吗", "our lawyer wants to read the contract".
    r"投诉过|(?:提交|提|发起|做|写)(?:了)?的(?:那个)?投诉|投诉(?:的)?(?:那个|那单|那件|工单|单号|编号|结果|记录)|投诉(?:有|现在)?(?:结果|进度|回复|更新|update)|"
    r"(?:之前|以前|上次|上周|昨天|前天)\S{0,6}?投诉(?:了|过)?|(?:之前|以前|上次|上周|昨天|前天)\S{0,4}?(?:给|写|打)(?:了|过)(?:个|一个)?差评|"
    r"(?:改|删|撤|追评)\S{0,4}?差评|差评\S{0,8}?(?:改成|改为|删|撤|追评|改一下)|(?:不会|不想|没有?)(?:给|打|写)?差评|差评我是不会|不是差评|"
    r"12315(?:那边)?(?:能|会|可以|是怎么)?(?:管|受理|处理)|(?:找|打)12315(?:有用|真的有用)|(?:消协|12315)(?:和|跟|与)(?:消协|12315)|"
    r"(?:朋友|别人|有人|同事)说\S{0,12}?(?:12315|消协|律师|投诉|报警)|律师朋友|(?:我们|公司)(?:的)?律师|(?:找|给|让)律师(?:先)?(?:看|审|过目)|法律程序|维权凭证|(?:是先|先)报警|消委会(?:会唔会|定系|还是)|"
    r"(?<![a-z])(?:lawyer friend|(?:my|our) (?:cousin|friend|brother|sister|dad|mum|mom)(?:'s| is) a lawyer|(?:a|our|my) lawyer (?:review|look|check|read)\w*|"
    r"(?:previous|earlier|last|old) (?:complaint|bad review)|complaint (?:i|we) (?:filed|made|submitted|lodged)|(?:filed|submitted|made|lodged) a complaint (?:last|yesterday|earlier|on)|"
    r"(?:edit|change|update|remove|delete) (?:my |the |it )?(?:\w+ )?(?:bad )?review|(?:how does|can|does|will) 12315|appeal process|was (?:gonna|going to) complain)(?![a-z])|"
    # Things that share a word with an insult: 垃圾袋 (bin bags), 垃圾分类.
    r"垃圾(?:袋|桶|箱|分类|收纳|清运|车|篓)|(?<![a-z])(?:garbage|trash|rubbish|bin) (?:bags?|cans?|bins?)(?![a-z])"
)
# A customer asking whether a call, text or link is a scam: "骗子" and "scam" name the caller, not us.
_SCAM_QUESTION = re.compile(
    r"冒充|假冒|自称|有人(?:打|发|加|给)|接到\S{0,6}?(?:电话|短信)|(?:打|来)电话(?:说|话)|短信说|(?:电话|短信|链接|连结|网站|qq)\S{0,10}?(?:骗子|诈骗)|(?:骗子|诈骗)(?:电话|短信|链接|连结)|怎么(?:分辨|辨别|识别|判断)|防骗|"
    r"(?<![a-z])(?:(?:someone|somebody) (?:called|texted|messaged|rang)|got a (?:\w+ )?(?:call|text|message)|claiming to be|pretending to be|scam (?:call|text|link|message)s?|"
    r"(?:is|was) (?:this|that|it) (?:real or )?(?:a )?scam|how (?:do|can) i tell)(?![a-z])"
)
_SCAM_WORDS = re.compile(r"骗子|诈骗|(?<![a-z])(?:scam(?:mer)?s?|fraud)(?![a-z])")
# Demands: an ultimatum, a deadline, "where is my money", asking for the boss.
_DEMAND = re.compile(
    r"马上|立刻|立即|今天(?:之内|内)?必须|必须给我|给(?:我)?(?:个|一个)?说法|给我(?:个|一个)?解释|钱呢|人呢|(?:叫|找|要)你们(?:的)?(?:领导|老板|经理|主管|负责人)|你们(?:的)?(?:领导|主管|负责人)(?:呢|出来|电话)|"
    r"(?<![a-z])(?:right now|immediately|pay me|owe me|(?:give|want) (?:me )?my money back|refund me|(?:speak|talk) to (?:your|a) (?:supervisor|manager|boss)|(?:get|want) (?:me )?(?:a|your) (?:supervisor|manager)|explain yourselves|fix (?:it|this)(?: now| today)?[.!]|by tomorrow|today[.!])(?![a-z])"
)
# Reassurance ("没关系", "no rush"): halves the soft evidence (frustration words, the model's
# phrasing), never an insult or a threat.
_REASSURED = re.compile(
    r"没关系|不急|不着急|不用急|没事|不要紧|慢慢来|能理解|我理解|还能接受|可以接受|能接受|不好意思(?:打扰|麻烦)|打扰(?:一下|了)|"
    r"(?:不是|并不是|没有?|不)(?:很|太)?(?:生气|嬲)|不(?:是)?怪你们|好奇|纯粹想了解|(?:就|只是|就是)问问|先了解|想了解清楚|"
    r"(?<![a-z])(?:not (?:angry|mad|upset|blaming)|just (?:curious|checking|asking|wondering)|asking for a friend|"
    r"no worries|no rush|no problem|no stress|take your time|(?:not a|no) big deal|(?:it'?s|that'?s) (?:fine|ok|okay|alright)|all good|never ?mind|oh well|i'?ll live with it|sorry (?:to bother|for bothering|to ask again|for the trouble))(?![a-z])"
)
# Thanks, praise, delight and apologies: a customer who writes them is rarely angry, so they halve the
# signals that also carry enthusiasm or haste (exclamation runs, caps, typed-again phrases, the
# model's phrasing), never insults, threats or frustration words, where sarcasm lives
# ("Oh great, another delay. Thanks so much.").
_POLITE = re.compile(
    r"谢谢|多谢|感谢|谢啦|辛苦(?:了|啦|你)|(?<!不)(?:喜欢|满意)|好评|不好意思|打扰|"
    r"(?<!不)(?:好看|开心|给力|惊喜|完美|点赞|太棒|感动)|超快|好快|爱了|爱住|划算|可爱|神仙|舒服|好软|超软|合身|太值|最值|回购|安利|表扬|好靓|漂亮|美哭|心都化|心动|绝绝子|yyds|"
    # Laughing at themselves or at a cat in a box, and the emoji of delight.
    r"哈哈|笑死|笑不活|[\U0001f60d\U0001f970\U0001f64c\u2b50\U0001f680\U0001f44d\u2764\U0001f495\U0001f602\U0001f923\U0001f97a]|"
    r"(?<![a-z])(?:thanks?|thx|ty|appreciate\w*|love (?:it|them|this|your|the)|sorry|amazing|awesome|excellent|impressed|obsessed|"
    r"you(?:'re| are) the best|best (?:\w+ )?ever|so (?:fast|happy|quick|soft|cute|excited)|softest|adorable|haha\w*|lmao+|(?:you guys|you) rock|10/10|five stars|"
    r"(?:was|is|are|were) (?:fantastic|perfect|wonderful|great))(?![a-z])"
)
# Scare quotes around the shop's own words: "“正在处理”", 'your "customer care"'.
_SCARE_QUOTES = re.compile(
    r'"[^"\n]{1,30}"|“[^”\n]{1,30}”|「[^」\n]{1,30}」|(?<![A-Za-z])\'[^\'\n]{1,30}\'(?![A-Za-z])'
)
# Waybill and order numbers ("ZT445566778801", "YX2026…"): capitals that are not shouting.
_CODES = re.compile(r"[A-Za-z]+\d+")
_NEGATIVE_EMOJI = re.compile(
    "[\U0001f644\U0001f612\U0001f620\U0001f621\U0001f624\U0001f92c\U0001f4a2\U0001f595\U0001f47f]"
)
_EXCLAIM_RUN = re.compile(r"[!！]{2,}|[?？]{3,}|[!！?？]{3,}")
# The same short phrase typed again and again in one message: "转人工转人工转人工".
# The unit must mix characters, so laughter (哈哈哈哈哈哈) and "嗯嗯嗯" do not count.
_STUTTER = re.compile(r"((\S)(?!\2)\S{1,5}?)(?:\s*\1){2,}")


@dataclass(frozen=True)
class Sentiment:
    """Anger score in [0, 1], the verdict, and the signals that produced it."""

    anger: float
    angry: bool
    signals: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, object]:
        return {"anger": round(self.anger, 3), "angry": self.angry, "signals": list(self.signals)}


def score_anger(text: str, previous_texts: Sequence[str] = ()) -> Sentiment:
    """Score `text`; `previous_texts` are the customer's earlier messages, oldest first."""
    evidence = _message_evidence(text)
    if previous_texts:
        recent = previous_texts[-3:]
        if _combine(evidence) >= STILL_UPSET and any(_message_anger(p) >= STILL_UPSET for p in recent):
            evidence.append(("still_upset", 0.25))
        if _repeats(text, previous_texts):
            # Noted, but no anger: asking again says the answer did not help (the policy offers a
            # person); it was read as anger and sent repeat-askers to the wrong desk.
            evidence.append(("repeated_ask", 0.0))
    anger = _combine(evidence)
    signals = tuple(name for name, w in evidence if name != "angry_phrasing" or w >= PHRASING_SIGNAL)
    return Sentiment(anger, anger >= ANGRY_THRESHOLD, signals)


def without_anger(text: str) -> str:
    """What an angry message is about once its insults, threats and demands are taken out
    ("你们到底什么时候打款 一群骗子" -> "你们到底什么时候打款 一群"): the subject under the anger."""
    simple = _simplify(text)
    for words in (_INSULTS, _THREATS, _DEMAND):
        simple = words.sub(" ", simple)
    return " ".join(simple.split())


def warm_up(model: AngerModel | None = None) -> AngerModel:
    """Have the shipped model ready before the first message: `model` (one trained earlier, from
    the model cache) or trained now (a few seconds). Returns it."""
    if model is not None:
        _SHIPPED["model"] = model
    return _model()


def train_model(labelled: Sequence[Example] | None = None) -> AngerModel:
    """The model on `labelled` (default: our training files) and the knowledge base's calm paraphrases.

    Knowledge-base paraphrases with any rule signal are not calm examples. The model learns from
    the form it reads when scoring (`_simplify`: negated threats blanked), not the raw text.
    """
    examples = [*(labelled_examples() if labelled is None else labelled), *_calm_examples()]
    return AngerModel.train([replace(e, text=_simplify(e.text)) for e in examples])


def message_anger(text: str, model: AngerModel) -> float:
    """One message's anger, no history, with `model` in place of the shipped one (cross-validation)."""
    return _combine(_message_evidence(text, model))


def _combine(evidence: Iterable[tuple[str, float]]) -> float:
    remaining = 1.0
    for _, weight in evidence:
        remaining *= 1.0 - weight
    return 1.0 - remaining


def _rule_evidence(text: str, simple: str | None = None) -> list[tuple[str, float]]:
    """What the rules see in one message, as (signal, weight) pairs; `simple` is `_simplify(text)`."""
    simple = _simplify(text) if simple is None else simple
    evidence: list[tuple[str, float]] = []
    if n := len(_INSULTS.findall(simple)):
        evidence.append(("insult", 0.75 if n == 1 else 0.9))
    if _THREATS.search(simple):
        evidence.append(("threat_to_complain", 0.6))
    if found := _FRUSTRATION.findall(simple):
        # Two phrases, or one that is the whole message ("离谱", "unbelievable"), count more.
        whole = len(found) == 1 and len(found[0]) >= 0.75 * len(normalize(simple))
        evidence.append(("frustration", 0.3 if len(found) == 1 and not whole else 0.5))
    if n := len(_DEMAND.findall(simple)):
        evidence.append(("demand", 0.3 if n == 1 else 0.5))
    if _NEGATIVE_EMOJI.search(text):
        evidence.append(("angry_emoji", 0.45))
    if _STUTTER.search(simple):
        evidence.append(("repeated_phrase", 0.45))
    if runs := _EXCLAIM_RUN.findall(text):
        longest = max(len(r) for r in runs)
        evidence.append(("exclamation_run", 0.3 if longest < 3 else 0.45))
    if _SCARE_QUOTES.search(text):
        evidence.append(("scare_quotes", 0.3))
    letters = [c for c in _CODES.sub("", text) if c.isascii() and c.isalpha()]
    if len(letters) >= 6 and sum(c.isupper() for c in letters) / len(letters) > 0.7:
        evidence.append(("shouting_caps", 0.45))
    return evidence


def _message_evidence(text: str, model: AngerModel | None = None) -> list[tuple[str, float]]:
    """The rules and the model on one message, softened when the customer says there is no hurry or thanks."""
    simple = _simplify(text)
    evidence = _rule_evidence(text, simple)
    if normalize(simple):
        evidence.append(("angry_phrasing", (model or _model()).probability(simple)))
    elif evidence:  # a message of nothing but "???" or 😡: the reaction is the whole message
        evidence.append(("bare_reaction", 0.2))
    if _REASSURED.search(simple):
        evidence = _halve(evidence, {"frustration", "angry_phrasing"})
        evidence.append(("reassured", 0.0))
    if _POLITE.search(simple):
        evidence = _halve(evidence, {"angry_phrasing", "exclamation_run", "shouting_caps", "repeated_phrase"})
        evidence.append(("polite", 0.0))
    return evidence


def _halve(evidence: list[tuple[str, float]], soft: set[str]) -> list[tuple[str, float]]:
    """`evidence` with the weights of the `soft` signals halved."""
    return [(name, w / 2 if name in soft else w) for name, w in evidence]


def _simplify(text: str) -> str:
    """Simplified, lower case, negated threats blanked: the form the rules and the model read."""
    simple = _NEGATED_THREAT.sub(" ", to_simplified(text).lower())
    return _SCAM_WORDS.sub(" ", simple) if _SCAM_QUESTION.search(simple) else simple


@lru_cache(maxsize=4096)
def _message_anger(text: str) -> float:
    """One earlier message's anger on its own (cached: the same history is re-read every turn)."""
    return _combine(_message_evidence(text))


_SHIPPED: dict[str, AngerModel] = {}


def _model() -> AngerModel:
    """The shipped model, trained once per process (or handed to `warm_up` from the cache)."""
    if "model" not in _SHIPPED:
        _SHIPPED["model"] = train_model()
    return _SHIPPED["model"]


@cache
def _calm_examples() -> tuple[Example, ...]:
    """The knowledge base's paraphrases that carry no rule signal (read once: cross-validation retrains)."""
    return tuple(knowledge_base_calm_examples(lambda t: not _rule_evidence(t)))


def _repeats(text: str, previous_texts: Sequence[str]) -> int:
    """How many of the last five earlier messages asked the same thing (0 when none)."""
    from rapidfuzz import fuzz

    current = normalize(text)
    if len(current) < 4:
        return 0
    return sum(fuzz.ratio(current, normalize(p)) >= 85 for p in previous_texts[-5:])
