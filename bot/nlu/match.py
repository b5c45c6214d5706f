"""The matcher: which knowledge-base entry (label) a message means, with a calibrated confidence.

Three views of similarity, each good at something the others miss:
- a linear SVM over TF-IDF word and character n-grams (generalises across phrasings),
- the cosine similarity to the nearest stored paraphrase (is this close to anything we know?),
- rapidfuzz's edit-distance ratio to the nearest paraphrase (typos, near-verbatim asks).
A logistic calibrator, trained on out-of-fold predictions of the training rows themselves,
turns them into P(the top label is right). Out-of-scope is that probability under a threshold,
so one threshold means the same thing for any knowledge base.

When that confidence says the matcher is unsure, a sentence encoder reads the message and a
second model, trained the same way, scores the candidates again by meaning (semantic.py): a
cascade, so the encoder's 13-20 ms a message are spent on the few that need them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
from numpy.typing import NDArray
from rapidfuzz import fuzz, process
from scipy import sparse
from scipy.special import expit
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from bot.nlu import semantic
from bot.nlu.encoder import Encoder, embed_phrasings, remember, shared_encoder
from bot.nlu.features import Features
from bot.nlu.semantic import Band, ChoiceModel
from core.text import normalize


@dataclass(frozen=True)
class Candidate:
    """One ranked label: calibrated confidence and the evidence behind it."""

    label: str
    confidence: float
    svm: float
    nearest: float
    fuzz: float
    example: str
    meaning: float | None = None  # cosine of the nearest paraphrase in meaning, when the encoder read it

    def as_dict(self) -> dict[str, object]:
        scores = {"svm": round(self.svm, 4), "nearest": round(self.nearest, 4), "fuzz": round(self.fuzz, 4)}
        if self.meaning is not None:
            scores["meaning"] = round(self.meaning, 4)
        return {"label": self.label, "confidence": round(self.confidence, 4), "scores": scores, "example": self.example}


# Above this many label x feature weights (400 MB as float32) a one-vs-rest SVM does not fit:
# 10,000 imported entries would need about 30 GB. The matcher then scores each label by the
# cosine to its centroid, a sparse matrix that grows with the rows, not labels x features.
DENSE_LIMIT = 100_000_000
_CHUNK = 512  # held-out rows scored at once while calibrating
_MIN_ROWS = 100  # held-out rows the choice model needs to learn from (unsure ones, else all)
# Past this many distinct phrasings the default matcher goes without the sentence encoder: the
# bundled knowledge base's 7,861 take two minutes of one core to embed at build time.
MAX_PHRASINGS = 20_000
log = logging.getLogger(__name__)


@dataclass
class _Model:
    vectorizer: Features
    coef: NDArray[np.float32] | None  # (labels, features): the SVM's weights; None in centroid mode
    intercept: NDArray[np.float32]
    rows: sparse.csr_matrix  # training rows, sorted by label
    postings: sparse.csr_matrix  # rows transposed (features x rows): an inverted index
    row_texts: list[str]
    starts: NDArray[np.int64]  # first row of each label in `rows`
    row_label: NDArray[np.int64]  # label of each row
    centroids: sparse.csr_matrix | None = None  # (features, labels) unit centroids, centroid mode
    meanings: NDArray[np.float32] | None = None  # each row's sentence vector (encoder.py), when kept

    def scores(self, q: sparse.csr_matrix) -> NDArray[np.float64]:
        """The classifier's score of every label for each row of `q` (rows x labels)."""
        if self.coef is not None:
            if q.shape[0] == 1:  # one query: walk only its own features' weights
                return (np.asarray(self.coef[:, q.indices] @ q.data, dtype=np.float64) + self.intercept)[None, :]
            return np.asarray(q @ self.coef.T, dtype=np.float64) + self.intercept
        assert self.centroids is not None
        # Rows are two unit-length views, so |q| is sqrt(2): this is the cosine.
        return np.asarray((q @ self.centroids).todense(), dtype=np.float64) / np.sqrt(2.0) + self.intercept


def _centroids(rows: sparse.csr_matrix, row_label: NDArray[np.int64], n_labels: int) -> sparse.csr_matrix:
    """Each label's rows summed and scaled to unit length, as features x labels."""
    member = sparse.csr_matrix(
        (np.ones(len(row_label)), (row_label, np.arange(len(row_label)))), shape=(n_labels, rows.shape[0])
    )
    sums = sparse.csr_matrix(member @ rows)
    norms = np.sqrt(np.asarray(sums.multiply(sums).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix((sparse.diags(1.0 / norms) @ sums).T)


def _fit(
    texts: Sequence[str],
    label_idx: NDArray[np.int64],
    n_labels: int,
    c: float,
    dense: bool | None = None,
    meanings: NDArray[np.float32] | None = None,
) -> _Model:
    """Fit the feature space, index and classifier; `dense` picks the SVM (True) or label
    centroids (False), by default the SVM whenever its weights fit under DENSE_LIMIT.
    `meanings`, the rows' sentence vectors, are kept in the same order as the rows."""
    order = np.argsort(label_idx, kind="stable")
    texts = [texts[i] for i in order]
    label_idx = label_idx[order]
    meanings = meanings[order] if meanings is not None else None
    vectorizer, rows = Features.fit(texts)
    present = np.unique(label_idx)
    starts = np.searchsorted(label_idx, np.arange(n_labels))
    intercept = np.full(n_labels, -10.0, dtype=np.float32)  # labels absent from a fold never win
    if dense is None:
        dense = n_labels * rows.shape[1] <= DENSE_LIMIT
    if not dense:
        intercept[present] = 0.0
        centroids = _centroids(rows, label_idx, n_labels)
        postings = sparse.csr_matrix(rows.T)
        return _Model(vectorizer, None, intercept, rows, postings, texts, starts, label_idx, centroids, meanings)
    coef = np.full((n_labels, rows.shape[1]), 0.0, dtype=np.float32)
    if len(present) == 1:
        coef[present[0]] = 0.0
        intercept[present[0]] = 1.0
    else:
        svm = LinearSVC(C=c, random_state=0).fit(rows, label_idx)
        weights = svm.coef_ if len(present) > 2 else np.vstack([-svm.coef_[0], svm.coef_[0]])
        bias = svm.intercept_ if len(present) > 2 else np.array([-svm.intercept_[0], svm.intercept_[0]])
        coef[present] = weights
        intercept[present] = bias
    postings = sparse.csr_matrix(rows.T)
    return _Model(vectorizer, coef, intercept, rows, postings, texts, starts, label_idx, meanings=meanings)


def _cosines(model: _Model, q: sparse.csr_matrix) -> NDArray[np.float64]:
    """Cosine of the query to every stored row (the two TF-IDF blocks are each unit length).

    Walks only the postings of the query's own features, so the cost follows the query.
    """
    return np.asarray((q @ model.postings).todense(), dtype=np.float64).ravel() / 2.0


def _evidence(
    model: _Model, query: str, labels: NDArray[np.int64], cos: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], list[str]]:
    """Nearest-row cosine, best rapidfuzz ratio (0..1) and that closest paraphrase (the "why"
    shown with a candidate) of `query` within each of `labels`.

    Only the rows of the shortlisted labels are edit-compared: that keeps a query's cost flat
    however large the knowledge base grows.
    """
    ends = np.append(model.starts[1:], len(model.row_texts))
    nearest = np.zeros(len(labels))
    best_fuzz = np.zeros(len(labels))
    closest = [""] * len(labels)
    for j, label in enumerate(labels):
        start, end = int(model.starts[label]), int(ends[label])
        if start == end:
            continue
        nearest[j] = float(cos[start:end].max())
        found = process.extractOne(query, model.row_texts[start:end], scorer=fuzz.ratio)
        if found:
            closest[j], best_fuzz[j] = found[0], found[1] / 100.0
    return nearest, best_fuzz, closest


def _stack(
    svm: NDArray[np.float64], nearest: NDArray[np.float64], best_fuzz: NDArray[np.float64]
) -> NDArray[np.float64]:
    return np.stack([svm, nearest, best_fuzz], axis=-1)


def _shortlist(model: _Model, svm: NDArray[np.float64], cos: NDArray[np.float64], k: int) -> NDArray[np.int64]:
    """The classifier's best labels plus the labels of the nearest stored rows, so a label with
    few paraphrases is still found by plain similarity."""
    near_rows = np.argpartition(-cos, min(k, len(cos) - 1))[:k] if len(cos) > k else np.arange(len(cos))
    top = np.array(list(dict.fromkeys([*np.argsort(-svm)[:k].tolist(), *model.row_label[near_rows].tolist()])))
    return top[np.isfinite(svm[top])]


def _meaning(model: _Model, vectors: NDArray[np.float32]) -> NDArray[np.float64]:
    """Each label's nearest row in meaning: the cosine of each of `vectors` to it (-inf for a
    label without rows), as (vectors x labels).

    One vector (a message) is compared in numpy's own loop: OpenBLAS splits a matrix-vector
    product by thread, and its sums then differ in the last bits with the thread count. A
    matrix product (the held-out rows while calibrating) comes out the same either way.
    """
    assert model.meanings is not None
    if len(vectors) == 1:
        sims = np.einsum("ij,j->i", model.meanings, vectors[0])[None, :]
    else:
        sims = vectors @ model.meanings.T
    ends = np.append(model.starts[1:], len(model.row_texts))
    filled = np.flatnonzero(ends > model.starts)
    out = np.full((len(vectors), len(model.starts)), -np.inf)
    if len(filled):
        out[:, filled] = np.maximum.reduceat(sims, model.starts[filled], axis=1)
    return out


def _by_meaning(meaning: NDArray[np.float64], shortlist: NDArray[np.int64]) -> NDArray[np.int64]:
    """`shortlist` plus the labels nearest in meaning that it lacks."""
    best = np.argsort(-meaning, kind="stable")[: semantic.MEANING_SHORTLIST]
    have = set(shortlist.tolist())
    extra = [int(i) for i in best if np.isfinite(meaning[i]) and int(i) not in have]
    return np.concatenate([shortlist, np.array(extra, dtype=np.int64)])


class Calibrator(Protocol):
    def predict_proba(self, x: NDArray[np.float64]) -> NDArray[np.float64]: ...


class _PriorCalibrator:
    """Used when the training rows cannot show a miss (one row per label, or too few rows):
    a fixed increasing function of the evidence, so ranking and thresholds still make sense."""

    weights = np.array([1.5, 6.0, 3.0])
    bias = -5.0

    def predict_proba(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        p = 1.0 / (1.0 + np.exp(-(x @ self.weights + self.bias)))
        return np.stack([1.0 - p, p], axis=-1)


_PRIOR = _PriorCalibrator()


class _MonotoneCalibrator:
    """Logistic regression whose weights are all non-negative: more similar never means less
    likely. The SVM score and the nearest-row cosine are correlated, and an unconstrained fit
    may give one a negative weight, which would rank a label with many loosely related rows
    (out-of-scope chit-chat) above the one the customer meant. A feature that comes out
    negative is dropped and the rest refitted."""

    def __init__(self, x: NDArray[np.float64], y: NDArray[np.bool_]) -> None:
        self.keep = np.ones(x.shape[1], dtype=bool)
        while True:
            self.model = LogisticRegression(C=1.0).fit(x[:, self.keep], y)
            negative = self.model.coef_[0] < 0
            if not negative.any() or self.keep.sum() == 1:
                break
            self.keep[np.flatnonzero(self.keep)[negative]] = False

    def predict_proba(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        # The model's own predict_proba for a binary problem, computed from its weights without
        # its input checks, which took a quarter of a parse.
        p = expit(x[:, self.keep] @ self.model.coef_[0] + self.model.intercept_[0])
        return np.stack([1.0 - p, p], axis=-1)


class Matcher:
    """Ranks labels for a message. Build with `Matcher.train(examples)`."""

    def __init__(
        self,
        labels: list[str],
        model: _Model,
        calibrator: Calibrator,
        *,
        calibrated: bool = False,
        choice: ChoiceModel | None = None,
        encoder: Encoder | None = None,
        band: Band = semantic.BAND,
    ) -> None:
        self.labels = labels
        self.calibrated = calibrated  # the calibrator was learnt on exactly these rows (by `train`)
        self._model = model
        self._calibrator = calibrator
        # The second look by meaning (semantic.py): used when all three are there.
        self._choice = choice
        self._encoder = encoder if model.meanings is not None else None
        self.band = band
        # A label left without rows (its entry archived by `update`) is never offered.
        ends = np.append(model.starts[1:], len(model.row_texts))
        self._dead = np.flatnonzero(ends <= model.starts)

    @classmethod
    def train(
        cls,
        examples: Sequence[tuple[str, str]],
        *,
        c: float = 0.5,
        folds: int = 5,
        seed: int = 0,
        dense: bool | None = None,
        encoder: Encoder | Literal["shared"] | None = "shared",
        band: Band = semantic.BAND,
    ) -> Matcher:
        """Fit on (text, label) rows; every label needs at least one row. `dense` forces the SVM
        (True) or label centroids (False); by default the SVM while it fits (DENSE_LIMIT).
        `encoder`: the sentence encoder for the unsure messages (by default this process's
        e5, encoder.py, up to MAX_PHRASINGS distinct phrasings); None matches by words alone."""
        if not examples:
            raise ValueError("cannot train a matcher without examples")
        texts = [normalize(t) for t, _ in examples]
        labels = sorted({label for _, label in examples})
        index = {label: i for i, label in enumerate(labels)}
        label_idx = np.array([index[label] for _, label in examples], dtype=np.int64)
        if encoder == "shared":
            encoder = shared_encoder()
            if len(set(texts)) > MAX_PHRASINGS:
                # Embedding them would take longer than a start may (~16 ms of one core each).
                log.info("%d phrasings: matching by words alone, without the sentence encoder", len(set(texts)))
                encoder = None
        meanings = embed_phrasings(encoder, texts) if encoder is not None else None
        model = _fit(texts, label_idx, len(labels), c, dense, meanings)
        dense = model.coef is not None
        calibrator, choice = cls._fit_calibrator(texts, label_idx, len(labels), c, folds, seed, dense, meanings, band)
        return cls(labels, model, calibrator, calibrated=True, choice=choice, encoder=encoder, band=band)

    def with_encoder(self, encoder: Encoder | None) -> Matcher:
        """This matcher reading unsure messages with `encoder` (None: by words alone, the cascade off)."""
        return Matcher(
            self.labels,
            self._model,
            self._calibrator,
            calibrated=self.calibrated,
            choice=self._choice,
            encoder=encoder,
            band=self.band,
        )

    def remember_meanings(self) -> None:
        """Offer this matcher's phrasing vectors to the next build in this process (a reload's full
        rebuild then embeds only new phrasings, on one engine, beside the live turns)."""
        if self._encoder is not None and self._model.meanings is not None:
            remember(self._encoder, self._model.row_texts, self._model.meanings)

    def _like_this(self, labels: list[str], model: _Model) -> Matcher:
        """A matcher over new rows that keeps this one's calibration, encoder and band."""
        return Matcher(labels, model, self._calibrator, choice=self._choice, encoder=self._encoder, band=self.band)

    def _meanings_of(self, texts: Sequence[str]) -> NDArray[np.float32] | None:
        """Sentence vectors of `texts`, reusing this matcher's for rows it already holds."""
        m = self._model
        if self._encoder is None or m.meanings is None:
            return None
        known = {t: i for i, t in enumerate(m.row_texts)}
        new = [t for t in dict.fromkeys(texts) if t not in known]
        fresh = dict(zip(new, embed_phrasings(self._encoder, new), strict=True)) if new else {}
        return np.array([m.meanings[known[t]] if t in known else fresh[t] for t in texts], dtype=np.float32).reshape(
            len(texts), -1
        )

    def refit(self, examples: Sequence[tuple[str, str]], *, c: float = 0.5) -> Matcher:
        """A matcher for changed `examples` that keeps this one's calibrator.

        The calibrator maps (SVM score, nearest cosine, fuzz ratio) to P(right); one edited
        entry barely moves that mapping, so it is reused and only the classifier and the
        index are fitted: about a fifth of `train`. `train` again later refreshes it. Only
        phrasings this matcher has not seen are given to the encoder."""
        if not examples:
            raise ValueError("cannot train a matcher without examples")
        texts = [normalize(t) for t, _ in examples]
        labels = sorted({label for _, label in examples})
        index = {label: i for i, label in enumerate(labels)}
        label_idx = np.array([index[label] for _, label in examples], dtype=np.int64)
        model = _fit(texts, label_idx, len(labels), c, meanings=self._meanings_of(texts))
        if (model.coef is None) != (self._model.coef is None):
            # The classifier changed kind (the knowledge base grew past DENSE_LIMIT, or shrank
            # back): the calibration learnt on the other kind's scores does not carry over.
            return Matcher.train(examples, c=c, encoder=self._encoder, band=self.band)
        return self._like_this(labels, model)

    def update(self, changed: Mapping[str, Sequence[str]], *, c: float = 0.5) -> Matcher:
        """This matcher with each label of `changed` taught exactly the given rows (none: the
        label is gone), everything else kept: the incremental index update for a staff edit.

        Only the changed labels' rows are vectorised (n-grams never seen before get new columns)
        and spliced into the index, and only their one-vs-rest classifiers are retrained (a
        linear SVM's classes are independent binary problems): about 1/labels of a full fit.
        The other classifiers keep weights learnt without the new rows as negatives until the
        next full `train`, which live reload runs straight after. In centroid mode the centroids
        are simply recomputed."""
        m = self._model
        labels = list(self.labels)
        for label in changed:
            if label not in labels:
                labels.append(label)
        index = {label: i for i, label in enumerate(labels)}
        taught = {label: [t for t in dict.fromkeys(normalize(x) for x in rows) if t] for label, rows in changed.items()}
        features = m.vectorizer.grown([t for texts in taught.values() for t in texts])
        rows, texts, row_label = self._spliced(labels, taught, features)
        meanings = self._meanings_of(texts)
        intercept = np.append(m.intercept, np.full(len(labels) - len(self.labels), -10.0, dtype=np.float32))
        starts = np.searchsorted(row_label, np.arange(len(labels)))
        postings = sparse.csr_matrix(rows.T)
        if m.coef is None:
            present = np.unique(row_label)
            intercept[:] = -10.0
            intercept[present] = 0.0
            centroids = _centroids(rows, row_label, len(labels))
            model = _Model(features, None, intercept, rows, postings, texts, starts, row_label, centroids, meanings)
            return self._like_this(labels, model)
        coef = np.zeros((len(labels), features.size), dtype=np.float32)
        coef[: m.coef.shape[0], : m.coef.shape[1]] = m.coef
        for label in changed:
            i = index[label]
            targets = row_label == i
            if targets.all() or not targets.any():  # the only label left, or gone
                coef[i], intercept[i] = 0.0, (1.0 if targets.any() else -10.0)
                continue
            svm = LinearSVC(C=c, random_state=0).fit(rows, targets)
            coef[i], intercept[i] = svm.coef_[0], svm.intercept_[0]
        model = _Model(features, coef, intercept, rows, postings, texts, starts, row_label, meanings=meanings)
        return self._like_this(labels, model)

    def _spliced(
        self, labels: list[str], taught: Mapping[str, list[str]], features: Features
    ) -> tuple[sparse.csr_matrix, list[str], NDArray[np.int64]]:
        """The index's rows with each label of `taught` given its new rows, still sorted by label."""
        m = self._model
        ends = np.append(m.starts[1:], len(m.row_texts))
        old_rows = sparse.csr_matrix(
            (m.rows.data, m.rows.indices, m.rows.indptr), shape=(m.rows.shape[0], features.size)
        )
        blocks: list[sparse.csr_matrix] = []
        texts: list[str] = []
        owner: list[int] = []
        for i, label in enumerate(labels):
            if label in taught:
                new = taught[label]
                block = features.transform(new) if new else None
            else:
                start, end = int(m.starts[i]), int(ends[i])
                new = m.row_texts[start:end]
                block = old_rows[start:end] if new else None
            if block is not None:
                blocks.append(block)
            texts.extend(new)
            owner.extend([i] * len(new))
        if not blocks:
            raise ValueError("cannot keep a matcher without examples")
        return sparse.csr_matrix(sparse.vstack(blocks)), texts, np.array(owner, dtype=np.int64)

    @staticmethod
    def _fit_calibrator(
        texts: list[str],
        label_idx: NDArray[np.int64],
        n_labels: int,
        c: float,
        folds: int,
        seed: int,
        dense: bool,
        meanings: NDArray[np.float32] | None,
        band: Band,
    ) -> tuple[Calibrator, ChoiceModel | None]:
        """Learn P(top label correct), and with `meanings` the choice model that scores the
        candidates again by meaning, from out-of-fold predictions of the training rows. The
        choice model learns from the rows the lexical calibrator is unsure of (`band`), the
        ones it will see, unless too few are.

        Only rows whose label keeps another row in training are held out: a label's only
        paraphrase cannot teach anything about recognising it.
        """
        prior = semantic.PRIOR if meanings is not None else None
        counts = np.bincount(label_idx, minlength=n_labels)
        multi = np.flatnonzero(counts[label_idx] >= 2)
        single = np.flatnonzero(counts[label_idx] < 2)
        if len(multi) < 2 * folds:
            return _PRIOR, prior
        feats: list[NDArray[np.float64]] = []
        hits: list[NDArray[np.bool_]] = []
        groups: list[NDArray[np.float64]] = []
        gold: list[int] = []
        k = int(min(folds, counts.max()))
        strata = np.where(counts[label_idx[multi]] >= k, label_idx[multi], -1)
        for train_part, held_part in StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(multi, strata):
            train = np.concatenate([multi[train_part], single])
            held = multi[held_part]
            part_meanings = meanings[train] if meanings is not None else None
            model = _fit([texts[i] for i in train], label_idx[train], n_labels, c, dense, part_meanings)
            for chunk in range(0, len(held), _CHUNK):
                part = held[chunk : chunk + _CHUNK]
                held_texts = [texts[i] for i in part]
                q = model.vectorizer.transform(held_texts)
                svm = model.scores(q)
                top = svm.argmax(axis=1)
                meaning = _meaning(model, meanings[part]) if meanings is not None else None
                for j in range(len(part)):
                    label = top[j : j + 1]
                    cos = _cosines(model, q[j])
                    nearest, best_fuzz, _ = _evidence(model, held_texts[j], label, cos)
                    feats.append(_stack(svm[j, label], nearest, best_fuzz))
                    if meaning is not None:
                        labels = _by_meaning(meaning[j], _shortlist(model, svm[j], cos, 5))
                        nearest, best_fuzz, _ = _evidence(model, held_texts[j], labels, cos)
                        groups.append(semantic.features(svm[j, labels], nearest, best_fuzz, meaning[j, labels]))
                        right = np.flatnonzero(labels == label_idx[part[j]])
                        gold.append(int(right[0]) if len(right) else -1)
                hits.append(top == label_idx[part])
        y = np.concatenate(hits)
        if y.all() or not y.any():  # too few rows to see both a hit and a miss
            return _PRIOR, prior
        calibrator = _MonotoneCalibrator(np.vstack(feats), y)
        if meanings is None:
            return calibrator, None
        unsure = [i for i, p in enumerate(calibrator.predict_proba(np.vstack(feats))[:, 1]) if band.unsure(p)]
        if len(unsure) < _MIN_ROWS:
            unsure = list(range(len(groups)))
        if len(unsure) < _MIN_ROWS:  # a handful of rows would teach it noise
            return calibrator, semantic.PRIOR
        return calibrator, ChoiceModel.fit([groups[i] for i in unsure], [gold[i] for i in unsure])

    def rank(self, text: str, k: int = 5) -> list[Candidate]:
        """The `k` most likely labels for `text`, best first."""
        m = self._model
        query = normalize(text)
        q = m.vectorizer.transform([query])
        svm = m.scores(q)[0]
        svm[self._dead] = -np.inf
        cos = _cosines(m, q)
        top = _shortlist(m, svm, cos, k)
        nearest, best_fuzz, closest = _evidence(m, query, top, cos)
        conf = self._calibrator.predict_proba(_stack(svm[top], nearest, best_fuzz))[:, 1]
        meaning: NDArray[np.float64] | None = None
        if self._encoder is not None and self._choice is not None and self.band.unsure(float(conf.max(initial=0.0))):
            # Unsure by words: read the message for its meaning and score the candidates again.
            by_label = _meaning(m, self._encoder.embed([query]))[0]
            top = _by_meaning(by_label, top)
            nearest, best_fuzz, closest = _evidence(m, query, top, cos)
            meaning = by_label[top]
            conf = self._choice.probabilities(semantic.features(svm[top], nearest, best_fuzz, meaning))
        candidates = [
            Candidate(
                self.labels[i],
                float(conf[j]),
                float(svm[i]),
                float(nearest[j]),
                float(best_fuzz[j]),
                closest[j],
                None if meaning is None else float(meaning[j]),
            )
            for j, i in enumerate(top)
        ]
        return sorted(candidates, key=lambda cand: -cand.confidence)[:k]
