"""The matcher's feature space: TF-IDF over word and character n-grams, which can grow.

Fitting is scikit-learn's (`TfidfVectorizer` for each view, side by side as a FeatureUnion
would lay them out). Afterwards the fitted vocabularies and IDF weights are held here, so that
a staff edit can bring in n-grams the knowledge base has never used without refitting: new
terms get the next free columns, in the view (words or characters) they belong to, and each
view stays unit length on its own, exactly as scikit-learn normalises it.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

_TOKEN = re.compile(r"[a-z0-9]+|[\u3400-\u4dbf\u4e00-\u9fff]")


def _tokens(text: str) -> list[str]:
    """English words and single Chinese characters: Chinese n-grams then come for free."""
    return _TOKEN.findall(text)


def _views() -> list[TfidfVectorizer]:
    return [
        TfidfVectorizer(tokenizer=_tokens, token_pattern=None, lowercase=False, ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", lowercase=False, ngram_range=(2, 4), sublinear_tf=True),
    ]


class Features:
    """Texts to unit-length-per-view TF-IDF rows (one view of words, one of characters)."""

    def __init__(
        self,
        analyzers: list[Callable[[str], list[str]]],
        vocab: list[dict[str, int]],
        idf: NDArray[np.float64],
        docs: int,
    ) -> None:
        self._analyzers = analyzers
        self._vocab = vocab  # per view: term -> column in the whole space
        self._idf = idf  # per column
        self._docs = docs  # rows the IDF was learnt from (for the IDF of terms added later)

    @classmethod
    def fit(cls, texts: Sequence[str]) -> tuple[Features, sparse.csr_matrix]:
        """Fit both views on `texts`; returns the feature space and the rows of `texts`."""
        views = _views()
        blocks = [sparse.csr_matrix(v.fit_transform(texts)) for v in views]
        vocab: list[dict[str, int]] = []
        offset = 0
        for v, block in zip(views, blocks, strict=True):
            vocab.append({term: int(col) + offset for term, col in v.vocabulary_.items()})
            offset += block.shape[1]
        idf = np.concatenate([v.idf_ for v in views]).astype(np.float64)
        analyzers = [v.build_analyzer() for v in views]
        return cls(analyzers, vocab, idf, len(texts)), sparse.csr_matrix(sparse.hstack(blocks))

    @property
    def size(self) -> int:
        return len(self._idf)

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """Rows for `texts` over the columns known now; terms never seen count for nothing."""
        indptr: list[int] = [0]
        indices: list[int] = []
        data: list[float] = []
        for text in texts:
            for analyze, vocab in zip(self._analyzers, self._vocab, strict=True):
                cols, weights = [], []
                for term, count in Counter(analyze(text)).items():
                    col = vocab.get(term)
                    if col is not None:
                        cols.append(col)
                        weights.append((1.0 + math.log(count)) * self._idf[col])
                norm = math.sqrt(sum(w * w for w in weights))
                if norm > 0:
                    indices.extend(cols)
                    data.extend(w / norm for w in weights)
            indptr.append(len(indices))
        return sparse.csr_matrix(
            (np.array(data, dtype=np.float64), np.array(indices, dtype=np.int32), np.array(indptr, dtype=np.int64)),
            shape=(len(texts), self.size),
        )

    def grown(self, texts: Sequence[str]) -> Features:
        """A copy that also knows the terms of `texts`, each in a new column at the end.

        A new term's IDF is scikit-learn's smoothed formula with the rows it was fitted on plus
        `texts` as the documents: rare, and so weighty, as a term only a new phrasing uses is."""
        docs = self._docs + len(texts)
        seen: list[Counter[str]] = [Counter() for _ in self._vocab]
        for text in texts:
            for view, analyze in enumerate(self._analyzers):
                known = self._vocab[view]  # a membership test each: `set - keys()` copies every key
                seen[view].update({term for term in set(analyze(text)) if term not in known})
        if not any(seen):
            return self
        vocab = [dict(v) for v in self._vocab]
        extra: list[float] = []
        column = self.size
        for view, terms in enumerate(seen):
            for term, df in terms.items():
                vocab[view][term] = column
                extra.append(math.log((1 + docs) / (1 + df)) + 1.0)
                column += 1
        return Features(self._analyzers, vocab, np.append(self._idf, extra), docs)
