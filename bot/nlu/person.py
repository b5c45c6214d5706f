"""The learnt half of the request-for-a-person detector.

The rules in human.py hear what a request is made of, and each new round of customers brings a
wording they do not know ("any of your people free to look at this", 有冇人可以睇下, "pls
escalate to ur team"). This half learns the request from many wordings instead: a logistic
regression over the matcher's n-grams (domain.TwoSides), with requests for a person now on one
side (`person/asks_*.txt`, written for this product in Simplified and Traditional Chinese,
Cantonese, English varieties, pinyin and typos, and the knowledge base's own request phrasings)
and on the other what only looks like one (`person/not_asks_*.txt`: questions about the service,
whether the bot is a person, declining a person, people named for other reasons), every other
entry's phrasings and the everyday questions the domain gate learns from.

It speaks only when sure (Thresholds.person) and where the rules do not rule a request out (a
question about the service, the bot, a complaint: human.refuses). Pure: texts in, P(asks) out.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from bot.nlu.domain import TwoSides, bundled_lines, general_questions
from knowledge_base.models import Entry

FOLDER = "person"  # the bundled phrasings, one per line: asks_*.txt and not_asks_*.txt


@cache
def bundled(kind: str) -> tuple[str, ...]:
    """The bundled phrasings of one kind ("asks" or "not_asks"), in file order."""
    return tuple(bundled_lines(FOLDER, f"{kind}_"))


class PersonModel(TwoSides):
    """P(the customer asks for a person now)."""

    @classmethod
    def for_entries(cls, entries: Sequence[Entry], person_entry: str) -> PersonModel:
        """Trained on the bundled phrasings and the knowledge base: the person entry's phrasings
        ask, every other entry's do not."""
        asks = [*bundled("asks"), *(t for e in entries if e.id == person_entry for t in e.examples())]
        others = [t for e in entries if e.id != person_entry for t in e.examples()]
        return cls.train(asks, [*bundled("not_asks"), *others, *general_questions()])

    def asks(self, text: str) -> float:
        return float(self.probability([text])[0])
