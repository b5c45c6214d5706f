"""The bot's side of the generated conversations: what each customer came about and how the bot
dealt with it, turn by turn, recorded as the engine records it (bot/engine.py, bot/policy.py).

A contact has a topic (查货 most, then 查款, refunds, claims, stock, shipping, complaints …) and a
path: answered from the knowledge base, a lookup (order number, the phone's last four digits,
the result), "did you mean", a fallback or a polite decline, or a handoff (asked for a person,
a complaint, anger, two misses, a claim, a stuck parcel, held COD money …) to the desk
(`DeskRun`). Some customers come back: within 24 hours to a conversation the bot closed (it was
not contained), within 72 hours after a person resolved it (not resolved at first contact).
"""

from __future__ import annotations

from random import Random

from bot.nlu.parser import OUT_OF_SCOPE
from triage.history_desk import DeskRun
from triage.history_story import PastCutoff, Story, pick
from triage.history_talk import Talk
from triage.history_turns import Turns

# What contacts are about, in shares of a hundred (Monday to Friday; shippers ask about their COD
# money less at weekends). The order: 查货, 查款, refunds, claims, stock, shipping, complaints.
TOPICS: tuple[tuple[str, float], ...] = (
    ("order_status", 30), ("payment_arrival", 14), ("refund", 11), ("claim", 8), ("stock", 7), ("shipping_speed", 4),
    ("shipping_fee", 2), ("complaint", 4), ("address_change", 3), ("cancellation", 3), ("product_info", 3),
    ("payment_method", 2), ("promotion", 2), ("service_info", 2), ("invoice", 1), ("account", 1), (OUT_OF_SCOPE, 3),
)  # fmt: skip
# How contacts about each topic go. Lookups' own handovers: stuck (查件), overdue/held/review (代收款),
# claim (理赔), not_found (two unknown numbers), unavailable (the order system down).
_FAQ_ONLY: tuple[tuple[str, float], ...] = (
    ("faq", 74),
    ("clarify", 12),
    ("human", 8),
    ("anger", 2),
    ("human_first", 4),
)
PATHS: dict[str, tuple[tuple[str, float], ...]] = {
    "order_status": (("lookup", 48), ("faq", 17), ("stuck", 7), ("human", 9), ("human_first", 4), ("anger", 3),
                     ("not_found", 2), ("unavailable", 1), ("clarify", 9)),
    "payment_arrival": (("lookup", 38), ("faq", 22), ("overdue", 7), ("held", 4), ("review", 2), ("human", 10),
                        ("anger", 5), ("clarify", 7), ("human_first", 3), ("unavailable", 2)),
    "refund": (("lookup", 37), ("faq", 33), ("human", 11), ("anger", 4), ("clarify", 11), ("human_first", 4)),
    "claim": (("claim", 66), ("faq", 20), ("human", 9), ("anger", 5)),
    "stock": (("lookup", 55), ("faq", 30), ("clarify", 10), ("human", 5)),
    "complaint": (("complaint", 86), ("faq", 14)),
    OUT_OF_SCOPE: (("declined", 55), ("oos", 25), ("fallback", 20)),
}  # fmt: skip
SCRIPTS = (("zh", 80), ("tw", 6), ("en", 10), ("mixed", 4))
CHANNELS = {"en": (("web", 50), ("widget", 20), ("telegram", 30)),
            "zh": (("web", 38), ("widget", 20), ("wechat", 37), ("telegram", 5))}  # fmt: skip
LOOKUP_PATHS = ("lookup", "stuck", "overdue", "held", "review", "not_found", "unavailable", "claim")
RETURN_NOT = ("human_first", "clarify", "complaint")  # how nobody comes back about the same matter
ANSWERED = (("shipping_speed", 3), ("refund", 3), ("stock", 2), ("product_info", 2), ("promotion", 1))
COME_BACK_AFTER_TICKET = 0.12  # resolved by a person, back within 72 h on the same matter
COME_BACK_AFTER_BOT = 0.08  # closed by the bot, back within 24 h on the same matter
MISREAD = 0.15  # contacts whose first question the bot cannot read (the unanswered-question inbox's)


class Bot:
    """Plays each contact along its path, turn by turn (`Turns`), handing over to `desk`."""

    def __init__(self, talk: Talk, desk: DeskRun) -> None:
        self.turns = turns = Turns(talk, desk)
        self.answers, self.lookups = turns.answers, turns.lookups

    def converse(self, story: Story, topic: str) -> None:
        """The customer's first visit and, for some, their coming back."""
        rng = story.rng
        try:
            asked = self.visit(story, topic, pick(rng, PATHS.get(topic, _FAQ_ONLY)))
            tickets = len(story.tickets)
            if tickets and story.tickets[-1]["status"] == "resolved" and rng.random() < COME_BACK_AFTER_TICKET:
                story.at(story.t + rng.uniform(3, 72) * 3600)
                path = pick(rng, PATHS.get(topic, _FAQ_ONLY))
                if rng.random() < 0.5 or path in RETURN_NOT:
                    self.visit(story, topic, "again", asked)
                else:
                    self.visit(story, topic, path)
            elif not tickets and topic != OUT_OF_SCOPE and rng.random() < COME_BACK_AFTER_BOT:
                story.at(story.t + rng.uniform(1, 23.5) * 3600)
                self.visit(story, topic, "again", asked)
        except PastCutoff:
            pass

    def visit(self, story: Story, topic: str, path: str, entry: str | None = None) -> str:
        """One visit: the customer's matter (`entry`, or one of the topic's), dealt with along
        `path`. The entry it was about; "again" asks it again."""
        rng, turns = story.rng, self.turns
        story.visits += 1
        if story.visits > 1 or rng.random() < 0.15:
            turns.small_talk(story, "greeting")
        entry = entry or self._entry(rng, topic, path)
        if path == "human_first":
            turns.human(story, None, entry)
        elif path == "complaint":
            turns.complaint(story)
        elif path == "anger":
            turns.anger(story, topic, entry)
        elif path == "fallback":
            turns.miss(story)
            turns.miss(story)
        else:
            self._helped(story, topic, path, entry)
        return entry

    def _helped(self, story: Story, topic: str, path: str, entry: str) -> None:
        """The bot answers, looks up, asks which was meant, declines; then a person, or goodbye."""
        rng, turns = story.rng, self.turns
        if path in ("faq", "lookup", "clarify") and rng.random() < MISREAD:
            turns.miss(story, topic)  # then says it in words the bot knows
        if path in LOOKUP_PATHS:
            if not turns.look_up(story, entry, path):
                return
        elif path == "clarify":
            turns.clarify(story, topic, entry)
        elif path in ("declined", "oos"):  # then, for some, a question the bot answers
            if path == "declined":
                turns.decline(story)
            else:
                turns.miss(story)
            if rng.random() < 0.4 and not turns.answer(story, self._entry(rng, pick(rng, ANSWERED), "faq")):
                return
        else:
            answered = turns.answer(story, entry)
            if answered and path == "faq" and rng.random() < 0.25:  # and another question
                answered = turns.answer(story, self._entry(rng, topic, "faq"))
            if not answered:
                return
        if path == "human" or (path == "again" and rng.random() < 0.45):
            story.typing(10.0)
            # asked again, an answer comes with the button for a person (bot/policy.py); a lookup's does not
            turns.human(story, topic, entry, pressed=path == "again" and not self.turns.talk.entries[entry].action)
            return
        if rng.random() < 0.35:
            turns.goodbye(story)

    def _entry(self, rng: Random, topic: str, path: str) -> str:
        if topic == OUT_OF_SCOPE:
            return OUT_OF_SCOPE
        lookups = self.lookups.get(topic, [])
        if path == "stuck":
            return "order_tracking_stuck"
        if path in LOOKUP_PATHS and lookups:
            return rng.choice(lookups)
        answers = self.answers.get(topic, [])
        if path in ("human", "again", "anger"):
            return rng.choice(answers + lookups)
        return rng.choice(answers or lookups)
