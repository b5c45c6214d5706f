"""The unanswered-question inbox: customer messages the bot could not answer, grouped for staff.

`unanswered` reads them from the conversation store (the outcome the engine recorded says the
bot fell back, asked which entry was meant or handed over, and no one has dealt with them
yet); `group` clusters them, purely: TF-IDF over the matcher's own views (words and character
n-grams) with the knowledge base's phrasings setting the IDF, cosine distance, average
linkage cut at a distance per script. What staff then do with a group is in inbox_edits.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.preprocessing import normalize as unit_rows
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from bot.nlu.features import Features
from bot.nlu.parser import NLU, OUT_OF_SCOPE
from bot.store import Conversation, Message
from core.db import utcnow
from core.text import normalize
from knowledge_base.models import KBInboxMark

UNANSWERED = ("fallback", "clarify", "handoff", "out_of_scope", "declined")
LANGUAGES = ("zh", "en", "mixed")
# Topics whose messages are no gap in the knowledge base: small talk, and asking for a person.
NOT_QUESTIONS = ("greeting", "goodbye", "thanks", "human_request")
# Nothing but numbers once normalised: a rating, the last digits of a phone, an order number.
_ONLY_NUMBERS = re.compile(r"(?:\d+|qorderq|qwaybillq|qphoneq|qnumq)(?: (?:\d+|qorderq|qwaybillq|qphoneq|qnumq))*")
MAX_MESSAGES = 5000  # the newest this many are grouped; the answer says when there were more
MAX_CLUSTERS = 200  # groups listed, largest first (all are counted)
EXAMPLES = 5
# Average cosine distance under which two groups ask the same question, chosen for precision
# (a wrong merge teaches an entry a wrong phrasing; a split only lists a question twice) on
# simulated inboxes of real paraphrase groups. Pairwise precision / recall at the cut: the
# knowledge base's zh phrasings, one group per entry, 0.81 / 0.28; its en phrasings 0.77 /
# 0.25; BANKING77 queries 0.65 / 0.49; CLINC150 0.86 / 0.49. The same entries' phrasings
# share fewer n-grams in Chinese than in English, so Chinese (and mixed) text is cut further
# out; the two scripts share no n-grams and never meet anyway. rapidfuzz scored lower.
DISTANCE = {"zh": 0.90, "en": 0.80}
_CHUNK = 512  # rows of the distance matrix computed at once


@dataclass(frozen=True)
class Unanswered:
    """One customer message the bot did not answer, as the inbox shows it."""

    message_id: int
    text: str
    conversation_id: str
    sender_id: str
    at: datetime
    outcome: str
    topic: str | None
    confidence: float | None
    language: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "text": self.text,
            "conversation_id": self.conversation_id,
            "sender_id": self.sender_id,
            "at": self.at.isoformat(),
            "outcome": self.outcome,
            "topic": self.topic,
            "confidence": self.confidence,
        }


@dataclass(frozen=True)
class Selection:
    messages: list[Unanswered]  # newest first
    truncated: bool  # more than MAX_MESSAGES matched; the oldest were left out


@dataclass(frozen=True)
class Cluster:
    """Messages asking one question: one list per distinct (normalised) text, the most
    representative text first, each list newest first."""

    texts: list[list[Unanswered]]

    @property
    def messages(self) -> list[Unanswered]:
        return [m for same in self.texts for m in same]

    @property
    def key(self) -> str:
        """The same for the same messages, whatever order they come in."""
        ids = ",".join(str(i) for i in sorted(m.message_id for m in self.messages))
        return hashlib.sha1(ids.encode()).hexdigest()[:16]

    @property
    def latest(self) -> datetime:
        return max(same[0].at for same in self.texts)

    def as_dict(self, suggestion: dict[str, Any] | None) -> dict[str, Any]:
        messages = self.messages
        return {
            "key": self.key,
            "count": len(messages),
            "label": self.texts[0][0].text.strip(),
            "outcomes": {o: sum(m.outcome == o for m in messages) for o in UNANSWERED},
            "languages": {lang: sum(m.language == lang for m in messages) for lang in LANGUAGES},
            "message_ids": sorted(m.message_id for m in messages),
            "examples": [same[0].as_dict() for same in self.texts[:EXAMPLES]],
            "suggestion": suggestion,
        }


def is_question(text: str) -> bool:
    """Could this message be a question the knowledge base lacks (not a button, not a number)?"""
    norm = normalize(text)
    return bool(norm) and not text.lstrip().startswith("/") and not _ONLY_NUMBERS.fullmatch(norm)


def unanswered(
    session: Session, *, days: int, now: datetime | None = None, answered_from: float | None = None
) -> Selection:
    """The customer messages of the last `days` days the bot did not answer and staff have not
    dealt with, newest first, at most MAX_MESSAGES of them. Not among them: a button pressed
    (its payload is the text: "陶瓷马克杯 白色"), and, given `answered_from` (the matcher's answer
    threshold), a message the bot found its entry for surely and answered before handing over
    (asked again, or angry): the knowledge base has that question already."""
    since = (now or utcnow()) - timedelta(days=days)
    rows = session.execute(
        select(Message, Conversation.sender_id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            Message.direction == "in",
            Message.author == "customer",
            Message.created_at >= since,
            Message.outcome.in_(UNANSWERED),
            or_(Message.topic.is_(None), Message.topic.not_in(NOT_QUESTIONS)),
            ~Message.text.startswith("/"),
            ~exists().where(KBInboxMark.message_id == Message.id),
            *(
                [or_(Message.outcome != "handoff", Message.confidence.is_(None), Message.confidence < answered_from)]
                if answered_from is not None
                else []
            ),
        )
        .order_by(Message.id.desc())
        .limit(MAX_MESSAGES + 1)
    ).all()
    kept = [(m, sender) for m, sender in rows[:MAX_MESSAGES] if is_question(m.text)]
    pressed = _pressed(session, [m for m, _ in kept])
    found = [
        Unanswered(
            m.id, m.text, m.conversation_id, sender, m.created_at, str(m.outcome), m.topic, m.confidence, m.language
        )
        for m, sender in kept
        if m.id not in pressed
    ]
    return Selection(found, truncated=len(rows) > MAX_MESSAGES)


def _pressed(session: Session, messages: Sequence[Message]) -> set[int]:
    """The ids of `messages` that are a button pressed: the text is a payload of a button the bot
    offered in its last message before it."""
    if not messages:
        return set()
    offered = session.execute(
        select(Message.conversation_id, Message.id, Message.buttons)
        .where(
            Message.conversation_id.in_({m.conversation_id for m in messages}),
            Message.direction == "out",
            Message.id < max(m.id for m in messages),
        )
        .order_by(Message.conversation_id, Message.id)
    ).all()
    before: dict[str, list[tuple[int, set[str]]]] = {}
    for conversation_id, message_id, buttons in offered:
        payloads = {str(b.get("payload", "")) for b in buttons or [] if isinstance(b, dict)}
        before.setdefault(conversation_id, []).append((message_id, payloads))
    pressed = set()
    for m in messages:
        earlier = [payloads for message_id, payloads in before.get(m.conversation_id, []) if message_id < m.id]
        if earlier and m.text.strip() in earlier[-1]:
            pressed.add(m.id)
    return pressed


def phrasings_of(nlu: NLU) -> list[str]:
    """The live knowledge base's phrasings, normalised: fitted beside the messages, their IDF
    tells the everyday question words ("怎么", "can i") from the ones that carry a subject."""
    texts = dict.fromkeys(normalize(t) for e in nlu.entries.values() for t in e.examples())
    return [t for t in texts if t]


def group(messages: Sequence[Unanswered], background: Sequence[str]) -> list[Cluster]:
    """Cluster the messages, largest group first (then the most recent); `background` are
    normalised texts that only weigh the n-grams (phrasings_of the knowledge base)."""
    by_text: dict[tuple[str, str], list[Unanswered]] = {}
    for m in messages:
        by_text.setdefault(("en" if m.language == "en" else "zh", normalize(m.text)), []).append(m)
    keys = list(by_text)
    scripts = {script: [i for i, (s, _) in enumerate(keys) if s == script] for script in DISTANCE}
    rows = sparse.csr_matrix((len(keys), 0))
    if any(len(texts) > 1 for texts in scripts.values()):
        _, fitted = Features.fit([*background, *(text for _, text in keys)])
        rows = sparse.csr_matrix(unit_rows(fitted[len(background) :]))
    clusters: list[Cluster] = []
    for script, texts in scripts.items():
        if len(texts) == 1:
            clusters.append(Cluster([by_text[keys[texts[0]]]]))
        if len(texts) < 2:
            continue
        own = rows[texts]
        labels = fcluster(linkage(_distances(own), method="average"), DISTANCE[script], criterion="distance")
        for label in np.unique(labels):
            members = np.flatnonzero(labels == label)
            clusters.append(_ranked([by_text[keys[texts[i]]] for i in members], own[members]))
    return sorted(clusters, key=lambda c: (-len(c.messages), -c.latest.timestamp(), c.key))


def _distances(rows: sparse.csr_matrix) -> NDArray[np.float64]:
    """Cosine distances between unit rows as scipy's condensed vector, a block of rows at a
    time: what AgglomerativeClustering(metric="cosine", linkage="average") computes, without
    its square matrices (for 5,000 messages, several hundred megabytes more)."""
    n = rows.shape[0]
    out = np.empty(n * (n - 1) // 2, dtype=np.float64)
    at = 0
    columns = sparse.csc_matrix(rows.T)
    for start in range(0, n - 1, _CHUNK):
        block = (rows[start : start + _CHUNK] @ columns).toarray()
        for offset, similarity in enumerate(block):
            tail = similarity[start + offset + 1 :]
            out[at : at + len(tail)] = 1.0 - tail
            at += len(tail)
    return np.clip(out, 0.0, 1.0, out=out)


def _ranked(same: list[list[Unanswered]], rows: sparse.csr_matrix) -> Cluster:
    """The cluster with its texts ordered by how much of the cluster each resembles (a text
    sent often counts as often): the first is the label."""
    weights = np.array([len(s) for s in same], dtype=np.float64)
    closeness = (rows @ rows.T).toarray() @ weights
    return Cluster([same[i] for i in np.argsort(-closeness, kind="stable")])


def suggestion(nlu: NLU, cluster: Cluster, texts: int = 3) -> dict[str, Any] | None:
    """The FAQ entry the live matcher ranks highest for the cluster's leading texts (the
    ranking /api/kb/try shows), if its mean confidence clears the out-of-scope threshold:
    under it the bot itself would not think of that entry, and neither should staff."""
    leading = cluster.texts[:texts]
    weight = sum(len(same) for same in leading)
    scores: dict[str, float] = {}
    for same in leading:
        for c in nlu.matcher.rank(same[0].text, k=5):
            entry = nlu.entries.get(c.label)
            if entry is not None and entry.kind == "faq" and entry.topic != OUT_OF_SCOPE:
                scores[c.label] = scores.get(c.label, 0.0) + c.confidence * len(same)
    if not scores:
        return None
    best = max(scores, key=lambda label: scores[label])
    confidence = scores[best] / weight
    if confidence < nlu.thresholds.oos:
        return None
    return {"entry_id": best, "question": dict(nlu.entries[best].question), "confidence": round(confidence, 4)}


def report(selection: Selection, nlu: NLU, *, days: int) -> dict[str, Any]:
    """The inbox as the staff page shows it."""
    clusters = group(selection.messages, phrasings_of(nlu))
    return {
        "days": days,
        "total_messages": len(selection.messages),
        "open_clusters": len(clusters),
        "truncated": selection.truncated,
        "clusters": [c.as_dict(suggestion(nlu, c)) for c in clusters[:MAX_CLUSTERS]],
    }
