"""What staff see before they publish: what the bot would answer, and where entries collide.

Pure functions over the live NLU and policy: `try_message` explains one customer message,
`conflicts` finds the phrasings of an edited entry that another entry would win.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from rapidfuzz import fuzz, process

from bot.nlu.parser import NLU, OUT_OF_SCOPE
from bot.policy import Policy, State
from core.text import normalize
from knowledge_base.models import Entry

# A phrasing this close (rapidfuzz ratio, 0..100, after normalising) to another entry's is the
# same question asked twice: customers who write it get whichever entry happens to win.
OVERLAP_RATIO = 90.0
LANGS = ("zh", "en")


def _question(entries: Mapping[str, Entry], entry_id: str) -> dict[str, str]:
    entry = entries.get(entry_id)
    return dict(entry.question) if entry is not None else {"zh": entry_id, "en": entry_id}


def try_message(nlu: NLU, policy: Policy, text: str) -> dict[str, Any]:
    """What the bot would say to `text` as the first message of a conversation, and why."""
    parse = nlu.parse(text)
    decision = policy.decide(parse, State())
    top = parse.candidates[0] if parse.candidates else None
    th = nlu.thresholds
    if top is None:
        why = "Nothing is left to match once the text is normalised (only emoji or punctuation)."
    elif parse.topic == OUT_OF_SCOPE and top.confidence < th.oos:
        why = (
            f"Best guess {top.label} at confidence {top.confidence:.2f} is under the out-of-scope "
            f"threshold {th.oos:.2f}, so the bot treats it as something it does not know."
        )
    elif parse.topic == OUT_OF_SCOPE and decision.kind == "decline":
        why = (
            f"The closest entry, {top.label}, is itself an off-topic example, at {top.confidence:.2f} "
            f"(at least {th.answer:.2f}): surely not ours, so the bot declines it politely and does "
            "not count it as a miss."
        )
    elif parse.topic == OUT_OF_SCOPE:
        why = f"The closest entry, {top.label}, is itself an off-topic example (or nonsense), a miss."
    elif top.confidence < th.answer:
        why = (
            f"{top.label} leads at {top.confidence:.2f}, between the out-of-scope ({th.oos:.2f}) and "
            f"answer ({th.answer:.2f}) thresholds, so the bot asks which question was meant."
        )
    else:
        why = (
            f"{top.label} wins at {top.confidence:.2f} (at least {th.answer:.2f} answers outright); "
            f"closest taught phrasing: {top.example!r}."
        )
    if decision.action:
        why += f" With this topic the bot then runs {decision.action} to look the customer's data up."
    return {
        "text": text,
        "normalized": normalize(text),
        "language": parse.language,
        "intent": parse.intent,
        "topic": parse.topic,
        "faq_id": parse.faq_id,
        "confidence": round(parse.confidence, 4),
        "sentiment": parse.sentiment.as_dict(),
        "decision": {
            "kind": decision.kind,
            "action": decision.action,
            "handoff": decision.handoff,
            "replies": [{"text": r.text, "buttons": r.buttons or []} for r in decision.replies],
        },
        "candidates": [
            {**c.as_dict(), "question": _question(nlu.entries, c.label), "topic": _topic(nlu.entries, c.label)}
            for c in parse.candidates
        ],
        "why": why,
    }


def _topic(entries: Mapping[str, Entry], entry_id: str) -> str | None:
    entry = entries.get(entry_id)
    return entry.topic if entry is not None else None


def _phrasings(content: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(language, text) of an entry's question and paraphrases, each once."""
    out: dict[tuple[str, str], None] = {}
    for lang in LANGS:
        question = (content.get("question") or {}).get(lang)
        if question:
            out[(lang, str(question))] = None
        for text in (content.get("paraphrases") or {}).get(lang, []):
            out[(lang, str(text))] = None
    return list(out)


def conflicts(nlu: NLU, entry_id: str, content: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Warnings for an entry about to be published with `content`.

    - duplicate: a phrasing normalises to exactly another entry's phrasing;
    - overlap: a phrasing is nearly the same (rapidfuzz ratio >= OVERLAP_RATIO) as another's;
    - better_match: a new phrasing that another entry would win even with this entry published
      as it stands, scored held out (see `_better_matches`; often the sign of two entries for
      one question).
    """
    others = [(e.id, text) for e in nlu.entries.values() if e.id != entry_id for text in e.examples()]
    normalized = [normalize(t) for _, t in others]
    by_norm: dict[str, str] = {}
    for (other_id, _), norm in zip(others, normalized, strict=True):
        by_norm.setdefault(norm, other_id)
    live = nlu.entries.get(entry_id)
    taught = {normalize(t) for t in live.examples()} if live is not None else set()
    warnings: list[dict[str, Any]] = []
    fresh: list[tuple[str, str]] = []  # phrasings the live matcher has not learnt for this entry
    for lang, text in _phrasings(content):
        norm = normalize(text)
        if not norm:
            continue
        if norm in by_norm:
            other = by_norm[norm]
            warnings.append(_warning("duplicate", lang, text, nlu, other, 1.0, None))
            continue
        found = process.extractOne(norm, normalized, scorer=fuzz.ratio, score_cutoff=OVERLAP_RATIO)
        if found is not None:
            other = others[found[2]][0]
            warnings.append(_warning("overlap", lang, text, nlu, other, found[1] / 100.0, None))
            continue
        if norm in taught:
            continue  # the matcher already learnt this phrasing for this entry
        fresh.append((lang, text))
    warnings.extend(_better_matches(nlu, entry_id, content, fresh))
    if live is not None:
        warnings.extend(answers_drift(live.answer, content.get("answer") or {}))
    return warnings


# The figures an answer states: times (16:00), amounts and counts (¥199, 48 小时, 7 days).
_FIGURE = re.compile(r"\d+(?:[.:：]\d+)?")


def _figures(text: str) -> set[str]:
    return {f.replace("：", ":") for f in _FIGURE.findall(text)}


def answers_drift(live: Mapping[str, str], edited: Mapping[str, str]) -> list[dict[str, Any]]:
    """answers_differ: the edit changes a figure in one language's answer (16:00 → 15:00) while the
    other language's answer, its figures untouched, still states the old one."""
    warnings = []
    for lang, other in (("zh", "en"), ("en", "zh")):
        before, after = _figures(live.get(lang, "")), _figures(edited.get(lang, live.get(lang, "")))
        other_before = _figures(live.get(other, ""))
        other_after = _figures(edited.get(other, live.get(other, "")))
        stale = sorted((before - after) & other_after)
        if before == after or other_before != other_after or not stale:
            continue
        new = "、".join(sorted(after - before)) or "—"
        old = "、".join(stale)
        langs = {"zh": ("中文", "Chinese"), "en": ("英文", "English")}
        (zh_name, en_name), (zh_other, en_other) = langs[lang], langs[other]
        warnings.append(
            {
                "kind": "answers_differ",
                "lang": lang,
                "text": edited.get(lang, ""),
                "message": f"{zh_name}答案改成了 {new}，{zh_other}答案仍是 {old}"
                f" / The {en_name} answer now says {new}; the {en_other} answer still says {old}",
            }
        )
    return warnings


FOLDS = 5  # trial matchers per check: each new phrasing is scored by one taught without it


def _better_matches(
    nlu: NLU, entry_id: str, content: Mapping[str, Any], fresh: list[tuple[str, str]]
) -> list[dict[str, Any]]:
    """New phrasings that another entry would still win once this one is published.

    Each is scored by a trial matcher taught the entry as it would be published but without
    that phrasing (and the others of its fold): held out, as a customer's message is. A brand
    new entry so gets a real score of its own instead of none. The trial is the incremental
    update live reload uses (a few hundredths of a second each); the live matcher is untouched."""
    if not fresh:
        return []
    everything = [text for _, text in _phrasings(content)]
    found: list[dict[str, Any]] = []
    for fold in range(min(FOLDS, len(fresh))):
        held = fresh[fold::FOLDS]
        out = {text for _, text in held}
        trial = nlu.matcher.update({entry_id: [t for t in everything if t not in out]})
        for lang, text in held:
            ranked = trial.rank(text, k=5)
            own = next((c.confidence for c in ranked if c.label == entry_id), 0.0)
            best = next((c for c in ranked if c.label != entry_id and c.label in nlu.entries), None)
            if (
                best is not None
                and best.confidence > max(own, nlu.thresholds.oos)
                and nlu.entries[best.label].topic != OUT_OF_SCOPE
            ):
                found.append(_warning("better_match", lang, text, nlu, best.label, best.confidence, own))
    return found


_MESSAGES = {
    "duplicate": ("「{text}」与条目 {other} 的问法完全相同", "“{text}” is already a phrasing of {other}"),
    "overlap": ("「{text}」与条目 {other} 的问法几乎相同", "“{text}” is nearly the same as a phrasing of {other}"),
    "better_match": (
        "「{text}」更像条目 {other}（{score:.2f}），而不是本条（{own:.2f}）",
        "“{text}” would match {other} ({score:.2f}) better than this entry ({own:.2f})",
    ),
}


def _warning(kind: str, lang: str, text: str, nlu: NLU, other: str, score: float, own: float | None) -> dict[str, Any]:
    zh, en = _MESSAGES[kind]
    values = {"text": text, "other": other, "score": score, "own": own or 0.0}
    return {
        "kind": kind,
        "lang": lang,
        "text": text,
        "other_id": other,
        "other_question": _question(nlu.entries, other),
        "score": round(score, 4),
        "own_score": round(own, 4) if own is not None else None,
        "message": f"{zh.format(**values)} / {en.format(**values)}",
    }
