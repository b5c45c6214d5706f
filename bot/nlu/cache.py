"""A trained NLU kept on disk, so an instance starting on a knowledge base it has seen loads
its model in a twentieth of a second instead of training it for ten.

The file is named by a digest of everything the model depends on: the entries, the thresholds,
the NLU's own source code, the library versions, and the sentence encoder and its settings. Any
change there is a different name, so a stale model is never loaded. The directory is the
instance's own (mode 0700, files 0600): a pickle runs code when loaded, so nobody else may be
able to write it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import pickle
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TypeVar

import numpy
import scipy
import sklearn
from filelock import FileLock

from bot.nlu import semantic
from bot.nlu.anger_model import AngerModel
from bot.nlu.encoder import kept_vectors, remember, shared_encoder
from bot.nlu.parser import NLU, Thresholds
from bot.nlu.semantic import Band
from bot.nlu.sentiment import warm_up
from knowledge_base.models import Entry

log = logging.getLogger(__name__)
T = TypeVar("T")
KEEP = 4  # models kept: the newest few knowledge-base versions
LOCK_PREFIX = "lock-"  # beside each model, the lock its first training held


@cache
def _code_digest() -> str:
    """The NLU's source and the versions of what it is built with."""
    digest = hashlib.sha256(f"{numpy.__version__} {scipy.__version__} {sklearn.__version__}".encode())
    # The NLU's own files, and the text normalisation it trains on (core/text.py and its dialect list).
    text = Path(str(resources.files("core")))
    # And the everyday questions the domain gate learns the other side from, and the phrasings
    # the request-for-a-person detector learns from.
    nlu = Path(__file__).parent
    for path in [
        *sorted(nlu.glob("*.py")),
        *sorted(nlu.glob("general/*.txt")),
        *sorted(nlu.glob("person/*.txt")),
        text / "text.py",
        text / "dialect.yaml",
    ]:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def model_key(
    entries: Sequence[Entry], thresholds: Thresholds, *, encoder: str | None = None, band: Band = semantic.BAND
) -> str:
    """The digest naming a trained NLU: its entries, thresholds and code, and the sentence
    encoder (`encoder`: its name and settings, by default this process's) and band it was
    trained with; the paraphrases' sentence vectors are kept in the model."""
    content = json.dumps(
        [
            [dataclasses.asdict(e) for e in entries],
            dataclasses.asdict(thresholds),
            _code_digest(),
            encoder if encoder is not None else shared_encoder().key,
            dataclasses.asdict(band),
        ],
        ensure_ascii=False,
        sort_keys=True,
    )
    return hashlib.sha256(content.encode()).hexdigest()[:32]


def build(entries: Sequence[Entry], thresholds: Thresholds, directory: Path | None) -> NLU:
    """The NLU for `entries`: from `directory` when it holds one, else trained and kept there."""
    if directory is None:
        return _train(entries, thresholds, None)
    return _load_or_train(
        directory, "nlu-", model_key(entries, thresholds), NLU, lambda: _train(entries, thresholds, directory), "NLU"
    )


# The phrasings' sentence vectors, kept apart from the models: a vector depends only on the text and
# the encoder, so a build after an edit of the knowledge base or of the NLU's code embeds only the
# phrasings it has not seen (the rest of a whole build's two minutes of encoding is read back).
VECTORS = "phrasing-vectors-{}.pickle"


def _vectors_path(directory: Path) -> Path:
    key = hashlib.sha256(shared_encoder().key.encode()).hexdigest()[:16]
    return directory / VECTORS.format(key)


def _train(entries: Sequence[Entry], thresholds: Thresholds, directory: Path | None) -> NLU:
    """A full build, said in the log as it goes (a first start takes a minute or two), with the
    phrasing vectors kept in `directory` read first and written after."""
    encoder = shared_encoder()
    phrasings = sum(len(e.examples()) for e in entries)
    if directory is not None:
        known = _load(_vectors_path(directory), dict, "phrasing vectors") or {}
        if known:
            texts = list(known)
            remember(encoder, texts, numpy.array([known[t] for t in texts], dtype=numpy.float32))
    log.info(
        "NLU: training on %d phrasings of %d entries (no model kept for this knowledge base and code)",
        phrasings,
        len(entries),
    )
    started = time.monotonic()
    nlu = NLU.build(entries, thresholds)
    log.info("NLU: trained in %.1f s", time.monotonic() - started)
    if directory is not None:
        try:
            _write(_vectors_path(directory), kept_vectors(encoder.key))
        except OSError:
            log.warning("phrasing vectors not written to %s", directory, exc_info=True)
    return nlu


def anger_key() -> str:
    """A digest of what the anger model learns from: our code and the bundled data files."""
    from knowledge_base.store import data_files

    digest = hashlib.sha256(_code_digest().encode())
    eval_dir = Path(str(resources.files("knowledge_base") / "eval"))
    for path in [*data_files(), *sorted(eval_dir.glob("*.csv"))]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


def warm_anger(directory: Path | None) -> None:
    """The anger model ready for the first message: from `directory` when it holds one for this
    code and data, else trained (a few seconds) and kept there."""
    if directory is None:
        warm_up()
        return
    warm_up(_load_or_train(directory, "anger-", anger_key(), AngerModel, warm_up, "anger model"))


def _load_or_train(directory: Path, prefix: str, key: str, kind: type[T], train: Callable[[], T], what: str) -> T:
    """The `kind` kept in `directory` under `key`, else `train()`'s, kept there for next time."""
    path = directory / f"{prefix}{key}.pickle"
    if (model := _load(path, kind, what)) is not None:
        return model
    # Instances (or test workers) starting together on one host train once: the others wait
    # here for the first one's file, then load it.
    lock: FileLock | contextlib.nullcontext[None]
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        lock = FileLock(directory / f"{LOCK_PREFIX}{prefix}{key}")
    except OSError:
        lock = contextlib.nullcontext()
    with lock:
        if (model := _load(path, kind, what)) is not None:
            return model
        model = train()
        try:
            _keep(directory, path, model, prefix)
        except OSError:
            log.warning("%s cache not written to %s", what, directory, exc_info=True)
    return model


def _load(path: Path, kind: type[T], what: str) -> T | None:
    """The model kept at `path`, or None when there is none (or it is unreadable)."""
    try:
        with path.open("rb") as f:
            model = pickle.load(f)
        if isinstance(model, kind):
            log.info("%s loaded from %s", what, path)
            return model
    except FileNotFoundError:
        pass
    except Exception:  # a truncated or foreign file: train again and replace it
        log.warning("%s cache %s unreadable; training", what, path, exc_info=True)
    return None


def _write(path: Path, value: object) -> None:
    """`value` pickled to `path`, written aside and renamed: an instance starting at the same moment
    reads a whole file or none."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, scratch = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(scratch, path)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise


def _keep(directory: Path, path: Path, model: object, prefix: str) -> None:
    _write(path, model)
    models = sorted(directory.glob(f"{prefix}*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in models[KEEP:]:
        old.unlink(missing_ok=True)
        (directory / f"{LOCK_PREFIX}{old.stem}").unlink(missing_ok=True)
