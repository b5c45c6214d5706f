"""The bot's turns in the generated conversations, recorded as the engine records them
(bot/engine.py, bot/policy.py, the actions): the customer's message with what the NLU made of it,
the bot's replies, and, when the bot gives up, the handoff to the desk (`DeskRun`).
"""

from __future__ import annotations

from random import Random
from typing import Any

from bot.nlu.parser import OUT_OF_SCOPE
from handoff.desk import NOT_A_SUBJECT, Case
from triage.history_desk import DeskRun, Handover
from triage.history_lookups import HANDOVERS, Order, claim_opened, lookup, order_for, result
from triage.history_story import Story, local, pick
from triage.history_talk import Said, Talk, person_button, read

BOT_SCORES = ((1, 8), (2, 6), (3, 14), (4, 27), (5, 45))  # the bot's ratings
Reply = tuple[str, list[dict[str, str]] | None, dict[str, Any] | None]  # text, buttons, custom


def handing(text: str, reason: str) -> Reply:
    """The bot's last words before a person takes over, marked as the handoff (bot/policy.py handoff)."""
    return (text, None, {"handoff": True, "reason": reason})


class Turns:
    """Writes the bot's turns of a story, handing over to `desk`."""

    def __init__(self, talk: Talk, desk: DeskRun) -> None:
        self.talk, self.desk = talk, desk
        faq = [e for e in talk.entries.values() if e.kind == "faq"]
        topics = dict.fromkeys(e.topic for e in faq)
        self.answers = {t: [e.id for e in faq if e.topic == t and not e.action] for t in topics}
        self.lookups = {t: [e.id for e in faq if e.topic == t and e.action] for t in topics}

    def says(self, story: Story, entry_id: str, order_no: str | None = None) -> Said:
        story.typing(30.0 if not story.messages else 15.0)
        return self.talk.says(story.rng, entry_id, story.script, order_no)

    def small_talk(self, story: Story, intent: str) -> None:
        said = self.says(story, intent)
        story.customer(said, topic=intent, outcome="answer", confidence=story.rng.uniform(0.8, 1.0), intent=intent)
        story.bot(self.talk.answer(intent, story.lang))

    def answer(self, story: Story, entry_id: str) -> bool:
        """An FAQ answered; asked again, with the offer of a person (bot/policy.py answer_faq). An
        entry that calls for a lookup is looked up. False when the conversation went to a person."""
        rng, entry = story.rng, self.talk.entries[entry_id]
        if entry.action:
            return self.look_up(story, entry_id, "claim" if entry.topic == "claim" else "lookup")
        said = self.says(story, entry_id)
        c = rng.uniform(0.55, 0.99)
        story.customer(said, topic=entry.topic, outcome="answer", confidence=c, faq_id=entry_id,
                       ranking=self._ranking(rng, entry_id, c))  # fmt: skip
        asked = dict(story.slots.get("asked") or {})
        times = int(asked.pop(entry_id, 0)) + 1
        story.slots["asked"] = dict(list(asked.items())[-4:]) | {entry_id: times}
        story.fallback_count = 0
        story.bot(self.talk.answer(entry_id, story.lang), None, {"faq_id": entry_id, "topic": entry.topic})
        if times >= 2:
            story.bot(self.talk.say("asked_again", story.lang), [person_button(story.lang)])
        return True

    def _ranking(self, rng: Random, entry_id: str, c: float) -> list[tuple[str, float]]:
        topic = self.talk.entries[entry_id].topic
        rivals = [e for e in self.answers.get(topic, []) + self.lookups.get(topic, []) if e != entry_id]
        return [(entry_id, c)] + ([(rng.choice(rivals), c * rng.uniform(0.05, 0.5))] if rivals else [])

    def clarify(self, story: Story, topic: str, entry_id: str) -> None:
        """Unsure between entries: "did you mean" with their buttons; the customer presses one."""
        rng = story.rng
        others = [e for e in self.answers.get(topic, []) if e != entry_id]
        offered = [entry_id, *rng.sample(others, min(len(others), rng.choice((1, 2))))]
        rng.shuffle(offered)
        said = self.says(story, entry_id)
        c = rng.uniform(0.3, 0.5)
        ranking = [(e, c * (1.0 if e == entry_id else rng.uniform(0.6, 0.95))) for e in offered]
        story.customer(said, topic=topic, outcome="clarify", confidence=c, faq_id=entry_id,
                       ranking=sorted(ranking, key=lambda r: -r[1]))  # fmt: skip
        story.bot(self.talk.say("clarify", story.lang), [self.talk.button(e, story.lang) for e in offered])
        story.typing(6.0)
        story.pressed(entry_id)
        story.bot(self.talk.answer(entry_id, story.lang), None, {"faq_id": entry_id, "topic": topic})

    def miss(self, story: Story, topic: str | None = None) -> None:
        """Not understood (a question on `topic` in words the knowledge base lacks, or nothing one
        can read): asked to rephrase, with the usual questions; the second miss in a row hands over."""
        rng = story.rng
        unread = self.talk.unread(rng, topic, story.script) if topic else None
        if unread is not None:
            story.typing(30.0 if not story.messages else 15.0)
        said = unread or self.says(story, "nonsense")
        c = rng.uniform(0.02, 0.28)
        story.fallback_count += 1
        if story.fallback_count >= 2:
            story.customer(said, topic=OUT_OF_SCOPE, outcome="handoff", confidence=c, intent=OUT_OF_SCOPE)
            self.hand_over(
                story, "fallback", said, [handing(self.talk.say("handoff", story.lang), "fallback")], topic=None
            )
            return
        story.customer(said, topic=OUT_OF_SCOPE, outcome=OUT_OF_SCOPE, confidence=c, intent=OUT_OF_SCOPE)
        story.bot(self.talk.say("rephrase", story.lang), self.talk.suggestions(story.lang))

    def decline(self, story: Story) -> None:
        """Surely not ours (another business, everyday life): told what the bot does."""
        said = self.says(story, "out_of_scope")
        c = story.rng.uniform(0.55, 0.97)
        story.customer(said, topic=OUT_OF_SCOPE, outcome="declined", confidence=c, intent=OUT_OF_SCOPE)
        story.bot(self.talk.answer("out_of_scope", story.lang), self.talk.suggestions(story.lang))

    def goodbye(self, story: Story) -> None:
        """Thanks or goodbye: the bot asks once how it did; some answer (bot/engine.py _ask_rating)."""
        rng = story.rng
        intent = "thanks" if rng.random() < 0.6 else "goodbye"
        said = self.says(story, intent)
        story.customer(said, topic=intent, outcome="answer", confidence=rng.uniform(0.8, 1.0), intent=intent)
        story.bot(self.talk.answer(intent, story.lang))
        if story.meta.get("csat_asked"):
            return
        story.meta["csat_asked"] = True
        story.bot(self.talk.desk("csat_bot", story.lang), self.talk.rating_buttons(story.lang, None), {"csat": "bot"})
        if rng.random() < 0.45:
            story.typing(5.0)
            story.rates(pick(rng, BOT_SCORES), None, None, None)

    def look_up(self, story: Story, entry_id: str, path: str) -> bool:
        """A lookup: which order, the phone's last four, the result (bot/policy.py run_action, the
        actions). False when it handed over."""
        rng, talk = story.rng, self.talk
        entry = talk.entries[entry_id]
        topic, action = entry.topic, str(entry.action)
        order = order_for(rng, local(story.t), cod=topic == "payment_arrival")
        said = self.says(story, entry_id, order.order_no)
        c = rng.uniform(0.55, 0.99)
        failed = path == "unavailable"
        story.customer(said, topic=topic, outcome="handoff" if failed else "action", confidence=c, faq_id=entry_id,
                       ranking=self._ranking(rng, entry_id, c))  # fmt: skip
        story.slots.update(language=story.lang, last_action=action)
        story.fallback_count = 0
        if failed:
            self._unavailable(story, entry_id, action, said)
            return False
        if action == "action_check_stock":
            story.bot(talk.lookup("ask_product", story.lang))
            zh, en, _ = rng.choice(talk.products)
            story.typing(12.0)
            story.customer(read(zh if story.lang == "zh" else en), topic=topic, outcome="action",
                           confidence=rng.uniform(0.4, 0.8), faq_id=entry_id)  # fmt: skip
            self._found(story, action, result(rng, action), order)
            return True
        if not said.entities:
            story.bot(talk.lookup("ask_order_no", story.lang))
            story.typing(25.0)
            number = read(order.order_no)
            story.customer(number, topic=topic, outcome="action", confidence=rng.uniform(0.3, 0.6), faq_id=entry_id)
        if path == "not_found":
            self._not_found(story, entry_id, action, order)
            return False
        story.slots["order_id"] = order.order_no
        story.bot(talk.lookup("ask_phone_last4", story.lang, order_no=order.order_no))
        story.typing(15.0)
        hands = path in HANDOVERS
        last4 = read(order.last4)
        story.customer(last4, topic=OUT_OF_SCOPE, outcome="handoff" if hands else "action",
                       confidence=rng.uniform(0.05, 0.25), intent=OUT_OF_SCOPE)  # fmt: skip
        story.slots["verified_customer"] = order.customer  # the phone's last four matched (actions/access.py)
        if hands:
            self._handed(story, entry_id, action, path, order, last4)
            return False
        self._found(story, action, result(rng, action), order)
        return True

    def _unavailable(self, story: Story, entry_id: str, action: str, said: Said) -> None:
        """The order system did not answer: the entry's answer, and a person takes over."""
        reason, topic = "lookup_unavailable", self.talk.entries[entry_id].topic
        replies: list[Reply] = [
            (self.talk.answer(entry_id, story.lang), None, {"faq_id": entry_id, "topic": topic}),
            handing(self.talk.say(reason, story.lang), reason),
        ]
        context: dict[str, Any] = {"action": action, "error": "the merchant database failed"}
        self.hand_over(story, reason, said, replies, topic=topic, context=context, entry_id=entry_id)

    def _not_found(self, story: Story, entry_id: str, action: str, order: Order) -> None:
        """No such order, twice: a person checks it (actions/access.py resolve_order)."""
        rng, talk, topic = story.rng, self.talk, self.talk.entries[entry_id].topic
        story.bot(talk.lookup("unknown_order", story.lang, order_no=order.order_no))
        story.typing(30.0)
        again = read(f"YX{rng.randrange(10**13, 10**14)}")
        story.customer(again, topic=topic, outcome="handoff", confidence=rng.uniform(0.3, 0.6), faq_id=entry_id)
        reason, text = "order_not_found", talk.lookup("handoff_not_found", story.lang)
        context: dict[str, Any] = {"lookup": None, "action": action, "told": [text]}
        self.hand_over(story, reason, again, [handing(text, reason)], topic=topic, context=context, entry_id=entry_id)

    def _handed(self, story: Story, entry_id: str, action: str, path: str, order: Order, said: Said) -> None:
        """The lookup found what a person must see to (a claim opened, a stuck parcel, COD money
        overdue or held): it says so, and hands over."""
        rng, talk = story.rng, self.talk
        kept: dict[str, Any]
        if path == "claim":
            text, kind = claim_opened(talk, rng, entry_id, order, local(story.t), story.lang)
            lines, kept = [text], {"claim": {"kind": kind}}
            story.slots["claim_kind"] = kind
        else:
            lines, kept = lookup(talk, rng, action, path, order, local(story.t), story.lang)
        story.slots["lookup"] = kept
        reason = HANDOVERS[path]
        replies: list[Reply] = [(text, None, None) for text in lines[:-1]]
        replies.append(handing(lines[-1], reason))
        context: dict[str, Any] = {"lookup": kept, "action": action, "told": lines, "order_id": order.order_no}
        topic = talk.entries[entry_id].topic
        self.hand_over(story, reason, said, replies, topic=topic, context=context, entry_id=entry_id,
                       order_no=order.order_no)  # fmt: skip

    def _found(self, story: Story, action: str, outcome: str, order: Order) -> None:
        lines, kept = lookup(self.talk, story.rng, action, outcome, order, local(story.t), story.lang)
        story.slots["lookup"] = kept
        story.forget_question()
        for text in lines:
            story.bot(text)

    def human(self, story: Story, topic: str | None, entry_id: str, *, pressed: bool = False) -> None:
        """The customer asks for a person (typed, or the button): the desk of what it is about."""
        if pressed:
            said = Said("/human_request", "unknown", ())  # a button's payload names no language
            story.customer(said, topic="human_request", outcome="handoff", confidence=1.0, intent="human_request",
                           ranking=[])  # fmt: skip
        else:
            said = self.says(story, "human_request")
            story.customer(said, topic="human_request", outcome="handoff", confidence=1.0, intent="human_request",
                           ranking=[("human_request", 1.0)])  # fmt: skip
        reason = "human_request"
        replies = [handing(self.talk.answer(reason, story.lang), reason)]
        self.hand_over(story, reason, said, replies, topic=topic, entry_id=entry_id,
                       order_no=story.slots.get("order_id"), intent_topic="human_request")  # fmt: skip

    def complaint(self, story: Story) -> None:
        """A complaint: registered by a person; a threat to take it outside goes to a supervisor."""
        rng = story.rng
        said = self.says(story, "complaint")
        anger = rng.uniform(0.5, 0.9)
        story.customer(said, topic="complaint", outcome="handoff", confidence=rng.uniform(0.7, 1.0),
                       intent="complaint", anger=anger, signals=("threat_to_complain",))  # fmt: skip
        reason = "complaint"
        replies = [handing(self.talk.answer(reason, story.lang), reason)]
        self.hand_over(story, reason, said, replies, topic=None, anger=anger, intent_topic="complaint")

    def anger(self, story: Story, topic: str, entry_id: str) -> None:
        """Fed up ("都四天了", "怎么还没到"): a person, with priority, keeping the topic's desk."""
        rng, talk = story.rng, self.talk
        ids = [*self.answers.get(topic, []), *self.lookups.get(topic, [])]
        said = talk.fed_up(rng, ids, story.script) or talk.fed_up(rng, ids, "zh")
        if said is None:
            self.complaint(story)
            return
        story.typing(20.0)
        anger = rng.uniform(0.5, 0.9)
        c = rng.uniform(0.55, 0.95)
        story.customer(said, topic=topic, outcome="handoff", confidence=c, faq_id=entry_id, anger=anger,
                       signals=("frustration",))  # fmt: skip
        reason = "anger"
        replies: list[Reply] = []
        if not talk.entries[entry_id].action:
            replies.append((talk.answer(entry_id, story.lang), None, {"faq_id": entry_id, "topic": topic}))
        replies.append(handing(talk.say("handoff_anger", story.lang), reason))
        self.hand_over(story, reason, said, replies, topic=topic, anger=anger, entry_id=entry_id)

    def hand_over(
        self,
        story: Story,
        reason: str,
        said: Said,
        replies: list[Reply],
        *,
        topic: str | None,
        anger: float = 0.0,
        context: dict[str, Any] | None = None,
        entry_id: str | None = None,
        order_no: str | None = None,
        intent_topic: str | None = None,
    ) -> None:
        """The conversation goes to a person: the handoff's context as the engine builds it
        (bot/engine.py _conclude) and the case the desk routes (handoff/tickets.py)."""
        own = intent_topic or topic or OUT_OF_SCOPE
        major = said.major if own == "complaint" else None  # only a complaint can be major (parser.py)
        handoff_context = {
            **(context or {}),
            "topic": own,
            "subject": None,
            "anger": anger,
            "major": major,
            "last_message": said.text,
        }
        subject = topic if topic and topic not in NOT_A_SUBJECT else None
        case = Case(
            reason=reason,
            topic=subject,
            anger=anger,
            text=said.text,
            last_action=story.slots.get("last_action"),
            major=major,
        )
        story.fallback_count = 0
        self.desk.hand_over(story, Handover(reason, case, handoff_context, replies, entry_id, order_no))
