"""The matcher's second look, by meaning, for the messages it is unsure of.

The lexical matcher (match.py) is fast and, when it is sure, right. When its best confidence
falls inside a band, or its best two are close, a sentence encoder (encoder.py) reads the
message, and every candidate entry, the lexical shortlist plus the entries of the paraphrases
nearest in meaning, is scored again by a choice model: P(candidate i is the one meant) =
exp(u_i) / (1 + sum_j exp(u_j)), u = w . features + b, where the 1 stands for "none of them".
So the same model reorders the candidates and says how sure the best one is, and a message
near nothing we know keeps a low confidence (out of scope). The weights are learnt like the
lexical calibrator's, on out-of-fold predictions of the knowledge base's own rows, and kept
non-negative: more similar never makes a candidate less likely.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.linear_model import LogisticRegression

# Per candidate: SVM score, nearest-row TF-IDF cosine, rapidfuzz ratio (the lexical evidence),
# cosine of the nearest paraphrase in meaning, and how far that leads the other candidates'.
FEATURES = ("svm", "nearest", "fuzz", "meaning", "meaning_lead")
MEANING_SHORTLIST = 5  # entries of the paraphrases nearest in meaning added to the candidates


@dataclass(frozen=True)
class Band:
    """Which messages the encoder reads: those whose best lexical confidence is in [low, high).

    Above `high` the words decide. Below `low` nothing we know is near in words either (on the
    product's knowledge base no message falls there: its out-of-scope entry takes chit-chat).
    `high` is set by the latency budget (at most 2 ms more a parse on average): 0.7 sends 7% of
    the product's tuning messages to the encoder and 8% of its held-out ones; 0.8 sent 13-14%
    and cost 3 ms a parse, for a larger gain on CLINC150 (README, Measured figures)."""

    low: float = 0.05
    high: float = 0.7

    def unsure(self, confidence: float) -> bool:
        return self.low <= confidence < self.high


BAND = Band()  # the product's


def features(
    svm: NDArray[np.float64], nearest: NDArray[np.float64], fuzz: NDArray[np.float64], meaning: NDArray[np.float64]
) -> NDArray[np.float64]:
    """The candidates' feature rows (candidates x FEATURES)."""
    if len(meaning) > 1:
        order = np.argsort(-meaning, kind="stable")
        best, second = meaning[order[0]], meaning[order[1]]
        lead = meaning - np.where(np.arange(len(meaning)) == order[0], second, best)
    else:
        lead = np.zeros_like(meaning)
    return np.stack([svm, nearest, fuzz, meaning, lead], axis=-1)


class ChoiceModel:
    """P(each candidate is the one meant), the rest of the probability on "none of them",
    recalibrated (Platt: sigma(scale * logit(p) + shift)) so that the best candidate's
    probability is the chance it is right, as the lexical calibrator's is."""

    def __init__(self, weights: NDArray[np.float64], bias: float, scale: float = 1.0, shift: float = 0.0) -> None:
        self.weights = weights
        self.bias = bias
        self.scale = scale
        self.shift = shift

    def _choice(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        u = x @ self.weights + self.bias
        top = max(0.0, float(u.max())) if len(u) else 0.0
        e = np.exp(u - top)
        return np.asarray(e / (np.exp(-top) + e.sum()), dtype=np.float64)

    def probabilities(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """`x`: one message's candidates (candidates x FEATURES)."""
        p = np.clip(self._choice(x), 1e-9, 1 - 1e-9)
        return np.asarray(expit(self.scale * np.log(p / (1 - p)) + self.shift), dtype=np.float64)

    @classmethod
    def fit(cls, groups: list[NDArray[np.float64]], gold: list[int], l2: float = 1.0) -> ChoiceModel:
        """Maximum likelihood over out-of-fold messages: `groups[m]` holds message m's candidate
        rows, `gold[m]` the index of the right one (-1: it was not among them). L2 on the weights,
        which are bounded at 0; L-BFGS-B from zero is deterministic. Then the Platt scaling of
        the best candidate's probability on the same messages (two parameters; the scale kept
        non-negative so the order of the candidates stays the model's)."""
        x = np.vstack(groups)
        sizes = np.array([len(g) for g in groups])
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        owner = np.repeat(np.arange(len(groups)), sizes)
        chosen = np.array([s + g for s, g in zip(starts, gold, strict=True) if g >= 0], dtype=np.int64)
        d = x.shape[1]

        def loss(p: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
            w, b = p[:d], p[d]
            u = x @ w + b
            top = np.maximum(0.0, np.maximum.reduceat(u, starts))
            e = np.exp(u - top[owner])
            z = np.exp(-top) + np.add.reduceat(e, starts)
            prob = e / z[owner]
            value = float((np.log(z) + top).sum() - u[chosen].sum() + 0.5 * l2 * w @ w)
            grad_w = prob @ x - x[chosen].sum(axis=0) + l2 * w
            grad_b = float(prob.sum()) - len(chosen)
            return value, np.append(grad_w, grad_b)

        bounds = [(0.0, None)] * d + [(None, None)]
        found = minimize(loss, np.zeros(d + 1), jac=True, method="L-BFGS-B", bounds=bounds)
        model = cls(found.x[:d], float(found.x[d]))
        best = [model._choice(g) for g in groups]
        right = np.array([int(np.argmax(p)) == g for p, g in zip(best, gold, strict=True)])
        if right.all() or not right.any():  # nothing to scale against
            return model
        p = np.clip(np.array([q.max() for q in best]), 1e-9, 1 - 1e-9)
        platt = LogisticRegression(C=1.0).fit(np.log(p / (1 - p))[:, None], right)
        model.scale, model.shift = max(0.0, float(platt.coef_[0, 0])), float(platt.intercept_[0])
        return model


# Where the knowledge base cannot teach the model (one phrasing per entry, or too few rows):
# the weights learnt as above on LCQMC's dev positive pairs made into such a knowledge base
# (the first question of each pair an entry, the second asking for it), bench/semantic_prior.py.
PRIOR = ChoiceModel(np.array([0.0, 0.0, 2.87, 13.75, 17.52]), -11.25, scale=0.84, shift=0.06)
