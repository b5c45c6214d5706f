"""The learned half of anger detection: character n-grams and logistic regression.

Rules catch insults and threats; many angry customers use neither ("我花钱买的是服务不是来受气的").
This model learns how angry messages are phrased from our own labelled customer-service
messages (`knowledge_base/eval/anger_train.csv`), with the knowledge base's paraphrases that
carry no anger signal as extra calm examples, so ordinary questions stay calm. It trains once
per process in well under a second (`bot.nlu.sentiment` holds the one instance). Scoring skips scikit-learn's per-call overhead: the
message's n-grams are looked up in a dict, so one message costs tens of microseconds.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np

from bot.nlu.normalize import normalize

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

# Complaints are not calm examples. Asking for a person is not anger in itself (the policy hands
# those over anyway); the rude ways to ask carry a rule signal and are filtered out by `is_calm`.
_NOT_CALM_TOPICS = frozenset({"complaint"})
# The knowledge base has ~6,500 calm paraphrases against ~700 labelled messages. At 0.3 each they
# teach "an ordinary question or request" (short ones especially: "人工客服", "客服在吗") without
# drowning the labelled set; 0.1 left bare requests for a person looking angry.
KB_CALM_WEIGHT = 0.3
# Angry examples carry half the training weight, so P = 0.5 reads "as likely angry as calm".
ANGRY_SHARE = 0.5
_C = 10.0  # inverse regularisation, chosen on knowledge_base/eval/anger.csv
_NGRAMS = (1, 3)  # character n-grams within words: Chinese has no spaces, typos stay partly matched
_DIGITS = re.compile(r"\d+")


def prepare(text: str) -> str:
    """The matching form (`normalize`), digit runs as one "0".

    Punctuation, emoji and case are left to the rules: the knowledge base's calm paraphrases
    are mostly typed without punctuation, so a model that saw it would learn "a comma is angry".
    """
    return _DIGITS.sub("0", normalize(text))


@dataclass(frozen=True)
class Example:
    """One training message; `weight` scales how much it counts."""

    text: str
    angry: bool
    weight: float = 1.0


@dataclass(frozen=True)
class AngerModel:
    """P(angry) of one message; `weights` maps an n-gram to its (idf, coefficient)."""

    analyzer: Callable[[str], list[str]]
    weights: dict[str, tuple[float, float]]
    intercept: float

    @classmethod
    def train(cls, examples: Sequence[Example]) -> AngerModel:
        """Fit TF-IDF (character 1-3-grams within words) and a logistic regression, weighted to `ANGRY_SHARE`."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        y = np.array([e.angry for e in examples], dtype=bool)
        if y.all() or not y.any():
            raise ValueError("anger training data needs both angry and calm examples")
        w = np.array([e.weight for e in examples], dtype=float)
        w[y] *= ANGRY_SHARE / (1 - ANGRY_SHARE) * w[~y].sum() / w[y].sum()
        vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=_NGRAMS, sublinear_tf=True, min_df=2, preprocessor=prepare
        )
        x = vectorizer.fit_transform([e.text for e in examples])
        clf = LogisticRegression(C=_C, solver="liblinear", dual=True, max_iter=1000).fit(x, y, sample_weight=w)
        return cls.from_fitted(vectorizer, clf)

    @classmethod
    def from_fitted(cls, vectorizer: TfidfVectorizer, clf: LogisticRegression) -> AngerModel:
        """Keep only what scoring needs: the analyzer and each n-gram's idf and coefficient."""
        idf, coef = vectorizer.idf_, clf.coef_[0]
        weights = {gram: (float(idf[i]), float(coef[i])) for gram, i in vectorizer.vocabulary_.items()}
        return cls(vectorizer.build_analyzer(), weights, float(clf.intercept_[0]))

    def probability(self, text: str) -> float:
        """The same number `predict_proba` gives (sublinear TF-IDF, L2-normalised), without sklearn."""
        counts = Counter(g for g in self.analyzer(text) if g in self.weights)
        norm2 = dot = 0.0
        for gram, n in counts.items():
            idf, coef = self.weights[gram]
            value = (1.0 + math.log(n)) * idf
            norm2 += value * value
            dot += value * coef
        z = self.intercept + (dot / math.sqrt(norm2) if norm2 else 0.0)
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)


def labelled_examples() -> list[Example]:
    """Our labelled customer-service messages: `knowledge_base/eval/anger_train.csv` (text,angry)."""
    raw = (resources.files("knowledge_base") / "eval" / "anger_train.csv").read_text(encoding="utf-8")
    return [Example(row["text"], row["angry"].strip() == "1") for row in csv.DictReader(io.StringIO(raw, newline=""))]


def knowledge_base_calm_examples(is_calm: Callable[[str], bool]) -> list[Example]:
    """Paraphrases from the bundled knowledge base files that `is_calm` accepts, as weighted calm examples."""
    from knowledge_base.store import data_files, load_file

    texts = [
        text
        for path in data_files()
        for entry in load_file(path)
        if entry.topic not in _NOT_CALM_TOPICS
        for text in entry.examples()
    ]
    return [Example(t, False, KB_CALM_WEIGHT) for t in dict.fromkeys(texts) if is_calm(t)]
