"""The learned half of anger detection: character n-grams and logistic regression.

Rules catch insults and threats; many angry customers use neither ("我花钱买的是服务不是来受气的").
This model learns how angry messages are phrased from our own labelled customer-service
messages (`knowledge_base/eval/anger_train.csv`), with the knowledge base's paraphrases that
carry no anger signal as extra calm examples, so ordinary questions stay calm. It trains once
per process in well under a second. Scoring skips scikit-learn's per-call overhead: the
message's n-grams are looked up in a dict, so one message costs tens of microseconds.
"""

from __future__ import annotations

import csv
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np

from bot.nlu.normalize import to_simplified

# Topics whose paraphrases are complaints or demands for a person: not calm examples.
_NOT_CALM_TOPICS = frozenset({"complaint", "human_request"})
# The knowledge base has ~6,500 calm paraphrases against ~500 labelled messages: each counts
# for a tenth, enough to teach "an ordinary question" without drowning the labelled set.
KB_CALM_WEIGHT = 0.1
_C = 10.0
_NGRAMS = (1, 3)
_DIGITS = re.compile(r"\d+")


def prepare(text: str) -> str:
    """Full/half width folded, Simplified, lower case, digit runs as one "0"; punctuation kept."""
    return _DIGITS.sub("0", to_simplified(unicodedata.normalize("NFKC", text)).lower())


@dataclass(frozen=True)
class Example:
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
        """Fit TF-IDF (character 1-3-grams within words) and a class-balanced logistic regression."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=_NGRAMS, sublinear_tf=True, min_df=2, preprocessor=prepare
        )
        x = vectorizer.fit_transform([e.text for e in examples])
        y = np.array([e.angry for e in examples], dtype=bool)
        if y.all() or not y.any():
            raise ValueError("anger training data needs both angry and calm examples")
        w = np.array([e.weight for e in examples], dtype=float)
        w[y] *= w[~y].sum() / w[y].sum()  # balance the classes: P = 0.5 means "as likely angry as calm"
        clf = LogisticRegression(C=_C, solver="liblinear", max_iter=1000).fit(x, y, sample_weight=w)
        idf = vectorizer.idf_
        coef = clf.coef_[0]
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
        return 1.0 / (1.0 + math.exp(-z))


def labelled_examples() -> list[Example]:
    """Our labelled customer-service messages: `knowledge_base/eval/anger_train.csv` (text,angry)."""
    path = resources.files("knowledge_base") / "eval" / "anger_train.csv"
    with path.open(encoding="utf-8", newline="") as f:
        return [Example(row["text"], row["angry"].strip() == "1") for row in csv.DictReader(f)]


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
