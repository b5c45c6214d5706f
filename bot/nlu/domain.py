"""Is the message for this desk at all? The domain gate: a second opinion for out of scope.

The matcher answers "which of our entries is this nearest to?", and a question about a bank
card, a flight or another shop's refund is always near one of ours (密码, 到账, 理赔, 退款).
The gate answers the other question, "ours or the world's?", learnt from both sides: every
phrasing of the knowledge base's own entries against broad everyday questions (`general/`:
written for this product in Simplified and Traditional Chinese, Cantonese and English, plus
CLINC150's general-assistant queries, CC BY 3.0, see general/SOURCE.md) and the knowledge
base's out-of-scope phrasings. It is a logistic regression over the same word and character
n-grams as the matcher, so it costs one sparse dot product a message.

Pure: texts in, P(ours) out.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources
from typing import Self

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit
from sklearn.linear_model import LogisticRegression

from bot.nlu.features import Features
from core.text import normalize

_HAN = re.compile(r"[\u3400-\u9fff]")
GENERAL = "general"  # the folder of bundled everyday questions, one per line


def bundled_lines(folder: str, prefix: str = "") -> list[str]:
    """The non-empty lines of the bundled `folder`'s .txt files named `prefix`*, in file order."""
    texts: list[str] = []
    for item in sorted(resources.files("bot.nlu").joinpath(folder).iterdir(), key=lambda p: p.name):
        if item.name.startswith(prefix) and item.name.endswith(".txt"):
            texts.extend(line.strip() for line in item.read_text(encoding="utf-8").splitlines())
    return [t for t in texts if t]


@cache
def general_questions() -> tuple[str, ...]:
    """The bundled everyday questions (never this desk's), normalised, without repeats."""
    return tuple(dict.fromkeys(t for t in (normalize(x) for x in bundled_lines(GENERAL)) if t))


def _script(text: str) -> str:
    """Chinese when a Chinese character is in it, else Latin."""
    return "zh" if _HAN.search(text) else "latin"


class TwoSides:
    """P(a text is on the first side), from a logistic regression over the matcher's n-grams,
    learnt from examples of both sides. The domain gate ("ours or the world's?") and the
    request-for-a-person detector ("asks for a person now, or not?") are two of them."""

    def __init__(self, features: Features, coef: NDArray[np.float64], intercept: float) -> None:
        self._features = features
        self._coef = coef
        self._intercept = intercept

    @classmethod
    def train(cls, yes: Iterable[str], no: Iterable[str], *, c: float = 16.0) -> Self:
        """Fit on the first side's texts (`yes`) against the other's (`no`); both sides weigh
        the same however many rows each has."""
        mine = list(dict.fromkeys(t for t in (normalize(x) for x in yes) if t))
        known = set(mine)
        other = [t for t in dict.fromkeys(t for t in (normalize(x) for x in no) if t) if t not in known]
        if not mine or not other:
            raise ValueError(f"{cls.__name__} needs texts on both sides")
        texts = [*mine, *other]
        features, rows = Features.fit(texts)
        y = np.array([1] * len(mine) + [0] * len(other))
        # Each side weighs the same within each language: English everyday questions outnumber
        # the knowledge base's English phrasings, and must not teach that English is not ours.
        group = [(side, _script(t)) for side, t in zip(y.tolist(), texts, strict=True)]
        sizes = Counter(group)
        weight = np.array([len(texts) / (len(sizes) * sizes[g]) for g in group])
        model = LogisticRegression(C=c, max_iter=2000).fit(rows, y, sample_weight=weight)
        return cls(features, model.coef_[0].astype(np.float64), float(model.intercept_[0]))

    def probability(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """P(first side) for each of `texts` (normalised here)."""
        rows = self._features.transform([normalize(t) for t in texts])
        return np.asarray(expit(rows @ self._coef + self._intercept), dtype=np.float64)


class DomainGate(TwoSides):
    """P(a message is for this desk): the knowledge base's phrasings against the world's."""

    def ours(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """P(ours) for each of `texts` (normalised here)."""
        return self.probability(texts)
