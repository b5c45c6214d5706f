"""Dialogue policy: what the bot says next. Pure: plain data in, a decision out, no I/O."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.cues import about_own_order, another_order, asks_progress, gives_last4, only_urges, says_dont_know
from bot.nlu.human import mentions_person
from bot.nlu.language import reply_language
from bot.nlu.parser import OUT_OF_SCOPE, PHRASING_ONLY, SERVICE, Parse, Thresholds
from bot.store import BOT, HUMAN, PENDING_HANDOFF
from core.numerals import spelled_digits
from core.text import normalize
from knowledge_base.models import Entry

ORDER_STATUS = "action_order_status"
CLAIM_INTAKE = "action_claim_intake"
# With an order number in hand, the lookup each topic calls for.
TOPIC_ACTIONS = {
    "order_status": ORDER_STATUS,
    "shipping_speed": ORDER_STATUS,  # "when will YX… ship / arrive" is about that order
    "payment_arrival": "action_payment_status",
    "refund": "action_refund_status",
    "claim": "action_claim_intake",
}
# Asked how an order of their own is getting on, without its number: the lookup that tells (a claim's
# progress is not a new claim, so it is not here).
PROGRESS_ACTIONS = {topic: action for topic, action in TOPIC_ACTIONS.items() if topic != "claim"}
# Words that say which lookup a message with an order number wants, checked in this order.
LOOKUP_CUES = (
    (
        "action_claim_intake",
        re.compile(
            r"破损|摔坏|坏了|压坏|压扁|烂|碎了|碎咗|裂了|崩了|凹了|变形|丢件|丢了|少件|缺件|漏发|错发|理赔"
            r"|damaged|broken|smashed|cracked|dented|crushed|shattered|lost|missing|claim"
        ),
    ),
    ("action_refund_status", re.compile(r"退款|退钱|退货|refund|money back|return")),
    ("action_payment_status", re.compile(r"货款|回款|打款|到账|代收|查款|付款|扣款|cod|remit|payment|paid|payout")),
)
# What is left of "那这一单呢 YX…" / "and this one? YX…" once the number is taken out.
_FOLLOW_UP_FILLER = re.compile(
    r"qorderq|qwaybillq|那|这|一|单|个|呢|吗|还有|呀|啊|的|帮我|再|也|查一下|查下|查|订单|and|this|one|what|about|too|also|the|order|please|check"
)
_FOUR_DIGITS = re.compile(r"(?<!\d)\d{4}(?!\d)")
_SOME_DIGITS = re.compile(r"\d{4,}")
# Damage words that are not a report of damage: asking whether, or how, a claim works.
_ASKS_ABOUT_CLAIMS = re.compile(
    r"(?:如果|万一|要是|怎么|如何|能不能|可以)(?:\S{0,6})?(?:理赔|赔)|(?<![a-z])(?:if|what if|how (?:do|to|can))(?![a-z])"
)
# The parcel coming to the customer: arrive, be delivered, be received.
_ARRIVAL = re.compile(r"(?<!补)到(?!货通知|货提醒)|送来|收到|(?<![a-z])(?:arrive|deliver|reach|come|receive)")
# A message that points back at the order already looked up: "这单", "那个包裹", "it", "that order".
_REFERS_BACK = re.compile(
    r"(?:这|那|该|同一|刚才|上面|刚刚)(?:个|一)?(?:订单|单|包裹|件|笔|货)|它|"
    r"(?<![a-z])(?:it|this one|that one|(?:this|that|the same|same) (?:order|parcel|package|one|shipment))(?![a-z])"
)
# Angry from here up, with insults or a threat, a person takes over at once even from a lookup the
# customer asked for; impatience alone ("到底", "都一个礼拜了", capitals) is helped by the lookup.
STRONG_ANGER = 0.7
HOSTILE = frozenset({"insult", "threat_to_complain"})
# How many recently answered entries a conversation remembers (to notice a question asked again).
ASKED_KEPT = 5
# A short follow-up ("那退款呢", "and the refund?") carries on with the same order; a question this
# long stands on its own, and without a number or a pointer back it is a new subject.
_FOLLOW_UP_CHARS = 10
HANDOFF_INTENTS = {"human_request": "human_request", "complaint": "complaint"}
SMALL_TALK = ("greeting", "goodbye", "thanks", "bot_identity", "affirm")
# Answers to these questions are free text (a product, an item): only a clear change of subject
# ends the question, an FAQ of another topic matched at least this surely ("which item?" —
# "退款多久能到账" is a new question, not a product). Order numbers and phone digits look like
# nothing else, so any confident FAQ match while asking for them means the customer moved on.
FREE_TEXT_SLOTS = ("product", "claim_item")
NEW_SUBJECT_CONFIDENCE = 0.8
# What the bot asks before it shows an order: its number, and the last four digits of its phone.
NUMBER_SLOTS = ("order_id", "phone_last4")
# The question in progress: the action asking, what it asks for, and the tries so far.
QUESTION_SLOTS = ("active_loop", "requested_slot", "attempts")


@dataclass(frozen=True)
class State:
    """What the policy needs to know about the conversation so far."""

    state: str = BOT
    language: str | None = None
    fallback_count: int = 0
    slots: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: list[dict[str, str]] | None = None
    custom: dict[str, Any] | None = None


@dataclass(frozen=True)
class Decision:
    """Replies to send, the conversation's new bookkeeping, and a handoff if one is due."""

    replies: list[Reply]
    language: str
    fallback_count: int
    slots: dict[str, Any]
    handoff: str | None = None
    handoff_context: dict[str, Any] = field(default_factory=dict)
    kind: str = "answer"  # answer | clarify | fallback | decline | handoff | action | silent | queued
    action: str | None = None  # the action server answers this turn (kind "action")


class Policy:
    def __init__(
        self,
        entries: Mapping[str, Entry],
        responses: Mapping[str, Mapping[str, str]],
        thresholds: Thresholds | None = None,
        suggestions: tuple[str, ...] = (),
        high_value_total: float = 2000.0,
    ) -> None:
        self.entries = entries
        self.responses = responses
        self.thresholds = thresholds or Thresholds()
        self.suggestions = suggestions  # entry ids offered when nothing matched
        self.high_value_total = high_value_total  # an order worth this much gets a person sooner

    def decide(self, parse: Parse, state: State, keyword: str | None = None) -> Decision:
        """`keyword`: a word staff marked as always needing a person was in the message."""
        asked = parse.payload.get("lang")  # a button's payload names it; anything else is ignored
        lang = asked if asked in ("zh", "en") else reply_language(parse.language, state.language)
        turn = _Turn(self, parse, state, str(lang))
        if state.state == HUMAN:
            return turn.silent()
        if state.state == PENDING_HANDOFF:
            return turn.while_queued()
        if keyword is not None:
            return turn.handoff("keyword", [Reply(self.say("handoff", str(lang)))], {"keyword": keyword})
        return turn.run()

    def say(self, key: str, lang: str, **values: str) -> str:
        return self.responses[key][lang].format(**values)

    def photo(self, state: State) -> Decision:
        """A photo (or file) sent without words. A claim opened in this conversation gets it; a
        claim being taken down takes it as the answer (the claims desk reads the photos); in the
        queue it is acknowledged for the person; otherwise the bot asks what it shows, offering
        the claims a photo usually starts. The photos are kept in the `photos` slot either way."""
        lang = state.language or "zh"
        slots = dict(state.slots)

        def made(replies: list[Reply], kind: str, action: str | None = None) -> Decision:
            return Decision(replies, lang, state.fallback_count, slots, kind=kind, action=action)

        claim = (slots.get("lookup") or {}).get("claim") or {}
        if state.state == HUMAN:
            return made([], "silent")
        if claim.get("claim_no"):
            return made([], "action", "action_claim_photos")
        if state.state == BOT and slots.get("active_loop") == CLAIM_INTAKE:
            return made([], "action", CLAIM_INTAKE)
        if state.state == PENDING_HANDOFF:
            return made([Reply(self.say("photo_queued", lang), custom={"handoff": True})], "queued")
        buttons = [
            self.button(self.entries[faq], lang)
            for faq in ("claim_damaged_on_arrival", "claim_missing_or_wrong_item")
            if faq in self.entries
        ]
        buttons.append({"title": "转人工" if lang == "zh" else "Talk to a person", "payload": "/human_request"})
        return made([Reply(self.say("photo_received", lang), buttons)], "clarify")

    def button(self, entry: Entry, lang: str) -> dict[str, str]:
        if entry.kind == "faq":
            payload = "/faq" + json.dumps({"id": entry.id, "lang": lang}, separators=(",", ":"))
        else:
            payload = f"/{entry.id}"
        return {"title": entry.question[lang], "payload": payload}


class _Turn:
    """One decision; keeps the arguments in one place so each rule reads as a sentence."""

    def __init__(self, policy: Policy, parse: Parse, state: State, lang: str) -> None:
        self.p, self.parse, self.state, self.lang = policy, parse, state, lang
        self.slots = dict(state.slots)

    def decision(
        self,
        replies: list[Reply],
        *,
        kind: str,
        fallback_count: int = 0,
        handoff: str | None = None,
        context: dict[str, Any] | None = None,
        action: str | None = None,
    ) -> Decision:
        return Decision(replies, self.lang, fallback_count, self.slots, handoff, context or {}, kind, action)

    def silent(self) -> Decision:
        return self.decision([], kind="silent", fallback_count=self.state.fallback_count)

    def while_queued(self) -> Decision:
        replies = []
        entry = self.confident_entry()
        if entry is not None and entry.kind == "faq":
            replies.append(self.answer(entry))
        if self.slots.get("left_message"):
            # Outside desk hours: the message is kept for the morning; a phone number is noted.
            key = "message_taken_phone" if any(e.entity == "phone" for e in self.parse.entities) else "message_taken"
            replies.append(Reply(self.p.say(key, self.lang), custom={"handoff": True, "offline": True}))
        else:
            replies.append(Reply(self.p.say("still_queued", self.lang), custom={"handoff": True}))
        return self.decision(replies, kind="queued")

    def run(self) -> Decision:
        parse = self.parse
        if parse.major and "complaint" in self.p.entries:
            # A threat to take it outside (12315, the press, the police, a lawyer …): a complaint, whatever
            # else the message asks; the desk sends it to a supervisor.
            return self.handoff("complaint", [Reply(self.p.entries["complaint"].answer[self.lang])])
        loop = self.slots.get("active_loop")
        if loop and self.slots.get("requested_slot") == "phone_last4" and gives_last4(parse.text):
            # "last 4 is 7606", "我是林晓雯 尾号5601": the answer asked for, whatever the matcher or the
            # anger model make of the few words around the digits.
            return self.run_action(str(loop))
        asked = self.slots.get("requested_slot")
        if loop and asked in NUMBER_SLOTS and only_urges(parse.text):
            # "快啲啦，我好急㗎" while the number is asked: hurrying the question along, neither an
            # answer (no failed attempt) nor a new question; asked again, kindly.
            reply = Reply(self.p.say(f"urged_{asked}", self.lang))
            return self.decision([reply], kind="clarify", fallback_count=self.state.fallback_count)
        if not loop and gives_last4(parse.text):
            # The last four, with nothing asking for them (after an answer about an order): no
            # order is waiting to be checked; say so instead of "I can't help with that".
            reply = Reply(self.p.say("digits_unasked", self.lang))
            return self.decision([reply], kind="answer", fallback_count=self.state.fallback_count)
        if parse.intent in HANDOFF_INTENTS:
            entry = self.p.entries[parse.intent]
            return self.handoff(HANDOFF_INTENTS[parse.intent], [Reply(entry.answer[self.lang])])
        if parse.sentiment.angry and not (self.looks_up_first() or self.calm_enough_to_answer()):
            matched = self.confident_entry()
            replies = [self.answer(matched)] if matched is not None and matched.kind == "faq" else []
            return self.handoff("anger", [*replies, Reply(self.p.say("handoff_anger", self.lang))])
        if loop:
            if self.continues(str(loop)):
                return self.run_action(self.answered_with(str(loop)))
            self.forget_question()
        if parse.intent == "deny":
            return self.decision(
                [Reply(self.p.entries["deny"].answer[self.lang])],
                kind="answer",
                fallback_count=self.state.fallback_count,
            )
        if parse.intent in SMALL_TALK:
            return self.decision([Reply(self.p.entries[parse.intent].answer[self.lang])], kind="answer")
        close = self.close_candidates()
        lookup = self.lookup_for_number(close) or self.own_order_lookup(close)
        if lookup is not None:
            return self.run_action(lookup)
        if parse.faq_id is not None and not close:
            entry = self.p.entries[parse.faq_id]
            if entry.action:
                return self.run_action(entry.action)
            return self.answer_faq(entry)
        if len(close) > 1 and close[0].action and close[1].action in (None, close[0].action):
            return self.run_action(close[0].action)  # the likeliest questions call for the same lookup
        if close:
            buttons = [self.p.button(e, self.lang) for e in close]
            return self.decision(
                [Reply(self.p.say("clarify", self.lang), buttons)],
                kind="clarify",
                fallback_count=self.state.fallback_count,
            )
        return self.fallback()

    def answer_faq(self, entry: Entry) -> Decision:
        """The entry's answer. Asked again (in any words), the answer may not have helped: it comes
        with the offer of a person, a button the customer may press. Never a handoff of its own
        accord: three questions on the service hours in a row are usually three questions."""
        asked = dict(self.slots.get("asked") or {})
        times = int(asked.pop(entry.id, 0)) + 1
        self.slots["asked"] = dict(list(asked.items())[-(ASKED_KEPT - 1) :]) | {entry.id: times}
        if times >= 2:
            return self.decision(
                [self.answer(entry), Reply(self.p.say("asked_again", self.lang), [self.person_button()])], kind="answer"
            )
        if entry.topic == SERVICE and mentions_person(self.parse.text):
            # Asked how to reach a person ("人工客服从哪里进去", "how to contact a live agent"): the
            # answer, and the way in right under it.
            answer = self.answer(entry)
            return self.decision([Reply(answer.text, [self.person_button()], answer.custom)], kind="answer")
        return self.decision([self.answer(entry)], kind="answer")

    def person_button(self) -> dict[str, str]:
        return {"title": "转人工" if self.lang == "zh" else "Talk to a person", "payload": "/human_request"}

    def looks_up_first(self) -> bool:
        """An impatient customer asking about their own order ("都好几天了", "still nothing") is
        helped fastest by the lookup, which a person would do first too; they are handed over
        (with the anger on the ticket) only when really angry, or when the lookup cannot help."""
        if self.parse.sentiment.anger >= STRONG_ANGER and self.hostile():
            return False
        loop = self.slots.get("active_loop")
        if loop and self.continues(str(loop)):
            return True
        close = self.close_candidates()
        if self.lookup_for_number(close) is not None:
            return True  # the number says "look it up", however impatiently it is given
        if close or self.parse.confidence < self.p.thresholds.answer:
            return self.own_order_lookup(close) is not None
        entry = self.confident_entry()
        return entry is not None and (bool(entry.action) or self.own_progress_lookup() is not None)

    def hostile(self) -> bool:
        """Insults or a threat to complain: anger at us, which a person answers, not a lookup."""
        return bool(HOSTILE & set(self.parse.sentiment.signals))

    def calm_enough_to_answer(self) -> bool:
        """Anger that is not at us: another business's matter ("淘宝退款一个礼拜都没到 急死了") is
        declined as any other, and small talk ("你们这是机器人回复吧") answered, unless there are
        insults or threats; small talk and a message the bot could not read ("last 4 is 5601" with
        nothing asked) are angry only when a rule, not the phrasing model alone, hears it."""
        if self.hostile():
            return False
        if self.surely_not_ours():
            return True
        rules = set(self.parse.sentiment.signals) - PHRASING_ONLY
        return self.parse.intent in (*SMALL_TALK, OUT_OF_SCOPE) and not rules

    def confident_entry(self) -> Entry | None:
        if self.parse.faq_id is not None:
            return self.p.entries[self.parse.faq_id]
        if self.parse.intent in self.p.entries:
            return self.p.entries[self.parse.intent]
        return None

    def answer(self, entry: Entry) -> Reply:
        return Reply(entry.answer[self.lang], custom={"faq_id": entry.id, "topic": entry.topic})

    def close_candidates(self) -> list[Entry]:
        """Entries to offer as "did you mean": rivals of a confident match, or the best guesses
        when none is confident enough to answer outright. Empty when the answer is clear."""
        t = self.p.thresholds
        if self.off_topic_first():
            return []  # off-topic is likelier than any entry: offering entries would be noise
        cands = [
            c for c in self.parse.candidates if c.label in self.p.entries and self.p.entries[c.label].kind == "faq"
        ]
        if not cands or cands[0].confidence < t.oos:
            return []
        top = cands[0].confidence
        if top >= t.answer:
            rivals = [c for c in cands[1:3] if c.confidence >= 0.8 * top]
            picked = [cands[0], *rivals] if rivals else []
        else:
            picked = [c for c in cands[:3] if c.confidence >= max(t.oos / 2, 0.4 * top)]
        return [self.p.entries[c.label] for c in picked]

    def run_action(self, name: str) -> Decision:
        """The action server answers: it may ask for an order number, verify, look up, hand over."""
        if self.new_subject(name):
            self.slots.pop("order_id", None)  # which order is this about? the action asks
        self.slots["language"] = self.lang
        self.slots["last_action"] = name
        return self.decision([], kind="action", action=name)

    def own_order_lookup(self, close: list[Entry]) -> str | None:
        """The customer asks about their own order, with no number: unsure between entries ("我那单
        发了没", "my order ship already or not?"), the lookup among them answers it, not a choice of
        FAQs; sure of a general one, see own_progress_lookup."""
        if not close:
            return self.own_progress_lookup() or self.progress_by_words()
        if not about_own_order(self.parse.text):
            return None
        if asks_progress(self.parse.text):
            # "我喺你哋度買咗對波鞋，幾時先到呀": how their order is getting on, whichever entries came close.
            progress = next((PROGRESS_ACTIONS[e.topic] for e in close if e.topic in PROGRESS_ACTIONS), None)
            if progress is None and _ARRIVAL.search(normalize(self.parse.text)):
                progress = ORDER_STATUS
            if progress is not None:
                return progress
        return next((e.action for e in close if e.action), None)

    def progress_by_words(self) -> str | None:
        """Unsure of every entry, but plainly asking how an order of their own is getting on ("and
        my refund for the boots i returned, where is it??", "我喺你哋度買咗件外套，幾時先到呀"): the
        lookup the words call for (refund, money), else the order's status."""
        text = self.parse.text
        if self.parse.faq_id is not None or self.surely_not_ours():
            return None
        if not (about_own_order(text) and asks_progress(text)):
            return None
        norm = normalize(text)
        return next(
            (action for action, cue in LOOKUP_CUES if action in PROGRESS_ACTIONS.values() and cue.search(norm)),
            ORDER_STATUS,
        )

    def own_progress_lookup(self) -> str | None:
        """A general FAQ matched ("多久发货", "退款多久到账"), but the customer asks how one order of
        their own is getting on ("那我前天下的那单咋还没发货", "I return the shoes one week already,
        refund 几时到账?"): the lookup, which asks for the order number, answers that, not the FAQ."""
        entry = self.p.entries.get(self.parse.faq_id) if self.parse.faq_id else None
        if entry is None or entry.action or entry.topic not in PROGRESS_ACTIONS:
            return None
        if not (about_own_order(self.parse.text) and asks_progress(self.parse.text)):
            return None
        return PROGRESS_ACTIONS[entry.topic]

    def answered_with(self, loop: str) -> str:
        """The lookup an answer to "which order?" calls for: the one that asked, unless the number
        came with words that call for another ("杯子摔坏了 YX…" when asked which parcel to track is
        a claim on it; "YX… 的退款呢" a refund's progress)."""
        if self.slots.get("requested_slot") != "order_id":
            return loop
        if not any(e.entity in ("order_id", "waybill") for e in self.parse.entities):
            return loop
        text = normalize(self.parse.text)
        claim, damage = LOOKUP_CUES[0]
        if damage.search(text) and not _ASKS_ABOUT_CLAIMS.search(text):
            return claim
        return next((action for action, cue in LOOKUP_CUES[1:] if cue.search(text)), loop)

    def lookup_for_number(self, close: list[Entry]) -> str | None:
        """An order or waybill number means "look this up", unless it came with a clear question
        the knowledge base answers without one. Which lookup: the matched entry's; else the one
        the message's words call for (款, refund, 破损…); else the one this conversation used last
        ("and this one?"); else the best-ranked topic's; else order status."""
        if not any(e.entity in ("order_id", "waybill") for e in self.parse.entities):
            return None
        if self.surely_not_ours():
            return None  # "my DHL shipment, waybill 4829103847": another courier's number, not ours to look up
        if self.slots.get("last_action") and not _FOLLOW_UP_FILLER.sub("", normalize(self.parse.text)).strip():
            return str(self.slots["last_action"])  # nothing but a number: the same lookup again
        text = normalize(self.parse.text)
        claim, damage = LOOKUP_CUES[0]
        if damage.search(text) and not _ASKS_ABOUT_CLAIMS.search(text):
            return claim  # "YX… 昨天收到 里面的东西都烂了": damage said outright is a claim, whatever matched
        if self.parse.faq_id is not None and not close:
            matched = self.p.entries[self.parse.faq_id]
            return matched.action or TOPIC_ACTIONS.get(matched.topic)
        for action, cue in LOOKUP_CUES:
            if cue.search(text):
                return action
        if self.slots.get("last_action"):
            return str(self.slots["last_action"])
        for c in self.parse.candidates[:3]:
            ranked = self.p.entries.get(c.label)
            if ranked is not None and c.confidence >= self.p.thresholds.oos and ranked.topic in TOPIC_ACTIONS:
                return TOPIC_ACTIONS[ranked.topic]
        return ORDER_STATUS

    def new_subject(self, action: str) -> bool:
        """A different lookup, asked as a question of its own with no number and no pointer back
        at the order already looked up: it is about another order until the customer says which
        ("货已经签收了，货款怎么还没到账" after a tracking lookup is about a shipper's COD parcel), and
        so is one that says it is about another order ("那另一单呢")."""
        last = self.slots.get("last_action")
        if not self.slots.get("order_id") or self.slots.get("active_loop"):
            return False
        if any(e.entity in ("order_id", "waybill") for e in self.parse.entities):
            return False
        if another_order(self.parse.text):
            return True  # "那我另外一票件的钱呢": not the order in hand, whichever lookup
        if last in (None, action) or action == CLAIM_INTAKE:
            return False  # damage found on opening it ("打开一看摔坏了") is about the order just looked up
        text = normalize(self.parse.text)
        return not _REFERS_BACK.search(text) and len(text.replace(" ", "")) > _FOLLOW_UP_CHARS

    def continues(self, loop: str) -> bool:
        """Is this message an answer to the question the action asked (rather than a new subject)?"""
        parse = self.parse
        if any(e.entity in ("order_id", "waybill", "phone") for e in parse.entities):
            return True
        asked = self.slots.get("requested_slot")
        if asked == "phone_last4" and _FOUR_DIGITS.search(spelled_digits(parse.text)):
            return True
        if asked == "order_id" and _SOME_DIGITS.search(spelled_digits(parse.text)):
            return True  # a wrong number, or the phone's digits: an attempt at the answer, whatever "88" reads as
        if parse.intent == "deny" or (asked in NUMBER_SLOTS and says_dont_know(parse.text)):
            return asked in NUMBER_SLOTS  # "不记得了" is an answer; a person can look it up
        if asked == "order_id" and self.surely_not_ours() and not re.search(r"\d", parse.text):
            return False  # "是京东买的 京东的单号": another business's order, not an attempt at ours
        if parse.intent in SMALL_TALK and parse.intent != "affirm":
            return False
        entry = self.p.entries.get(parse.faq_id) if parse.faq_id else None
        if entry is None:
            return True
        if self.slots.get("requested_slot") in FREE_TEXT_SLOTS:
            own = entry.topic == "stock" if loop == "action_check_stock" else TOPIC_ACTIONS.get(entry.topic) == loop
            return own or entry.action == loop or parse.confidence < NEW_SUBJECT_CONFIDENCE
        if entry.action:
            return entry.action == loop
        return parse.confidence < self.p.thresholds.answer

    def fallback(self) -> Decision:
        """Not answered. A message surely not ours (another business's affairs, everyday life) is
        declined politely: the bot understood it, so it is no miss. The second real miss in a row
        (a message it could not read) hands over."""
        if self.surely_not_ours():
            return self.decline()
        misses = self.state.fallback_count + 1
        if misses >= 2:
            return self.handoff("fallback", [Reply(self.p.say("handoff", self.lang))])
        if self.high_value():
            # A VIP, or an order worth a lot: no second try at guessing, a person takes it now.
            return self.handoff("high_value", [Reply(self.p.say("handoff", self.lang))])
        # A recognisably off-topic ask gets told what the bot does; a garbled one, to rephrase.
        oos = self.p.entries.get(OUT_OF_SCOPE)
        text = oos.answer[self.lang] if oos and self.off_topic_first() else self.p.say("rephrase", self.lang)
        return self.decision([Reply(text, self.fallback_buttons())], kind="fallback", fallback_count=misses)

    def decline(self) -> Decision:
        """Not ours, and surely so: told what the bot does, with the same buttons, the misses kept as they were."""
        oos = self.p.entries[OUT_OF_SCOPE]
        reply = Reply(oos.answer[self.lang], self.fallback_buttons())
        return self.decision([reply], kind="decline", fallback_count=self.state.fallback_count)

    def fallback_buttons(self) -> list[dict[str, str]]:
        """The likeliest entries (or the usual suggestions), then a person."""
        ids = [
            c.label
            for c in self.parse.candidates
            if c.label in self.p.entries and self.p.entries[c.label].kind == "faq" and c.confidence >= 0.1
        ][:3]
        ids = ids or [i for i in self.p.suggestions if i in self.p.entries][:3]
        return [*(self.p.button(self.p.entries[i], self.lang) for i in ids), self.person_button()]

    def handoff(self, reason: str, replies: list[Reply], context: dict[str, Any] | None = None) -> Decision:
        self.forget_question()  # a person takes it from here
        marked = [
            *replies[:-1],
            Reply(
                replies[-1].text, replies[-1].buttons, {**(replies[-1].custom or {}), "handoff": True, "reason": reason}
            ),
        ]
        return self.decision(marked, kind="handoff", handoff=reason, context=context)

    def high_value(self) -> bool:
        total = self.slots.get("order_total")
        vip = self.slots.get("customer_tier") == "vip"
        return vip or (isinstance(total, int | float) and total >= self.p.high_value_total)

    def surely_not_ours(self) -> bool:
        """Out of scope, surely: a detector's verdict (another business, everyday life) or the
        out-of-scope examples ranked first as surely as an answer would need."""
        top = self.parse.candidates[0] if self.parse.candidates else None
        return (
            self.parse.intent == OUT_OF_SCOPE
            and OUT_OF_SCOPE in self.p.entries
            and top is not None
            and top.label == OUT_OF_SCOPE
            and top.confidence >= self.p.thresholds.answer
        )

    def off_topic_first(self) -> bool:
        """The knowledge base's own out-of-scope examples outrank every entry."""
        return bool(self.parse.candidates) and self.parse.candidates[0].label == OUT_OF_SCOPE

    def forget_question(self) -> None:
        """Drop the question being asked (the action's loop, its slot and the attempts at it)."""
        for key in QUESTION_SLOTS:
            self.slots.pop(key, None)
