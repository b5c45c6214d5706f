"""Before publishing: drafts that leave the live answer alone, "try it", and conflict warnings."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from bot.nlu.parser import NLU
from tests.test_kb_api import PASSWORD, SEEDED, api, editable, editor, hook_calls, login
from triage.kb_reload import rebuild
from triage.wiring import Instance

__all__ = ["PASSWORD", "api", "editor", "hook_calls"]  # fixtures used here by name

NEW_WAY = "寄出来要等几个日头"  # a phrasing of "how soon do you ship" nobody taught the bot


def entry(api: TestClient, headers: dict[str, str], entry_id: str = SEEDED) -> dict[str, Any]:
    response = api.get(f"/api/kb/entries/{entry_id}", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_draft_keeps_the_live_answer_until_it_is_published(
    api: TestClient, editor: dict[str, str], instance: Instance, hook_calls: list[str]
) -> None:
    live = entry(api, editor)
    body = editable(live)
    body["answer"]["zh"] = "新答案：下单后 12 小时内发货。"
    body["paraphrases"]["zh"].append(NEW_WAY)

    saved = api.put(f"/api/kb/entries/{SEEDED}/draft", json=body, headers=editor)
    assert saved.status_code == 200, saved.text
    assert saved.json()["has_draft"] and saved.json()["draft"]["answer"]["zh"].startswith("新答案")
    assert saved.json()["answer"]["zh"] == live["answer"]["zh"]  # what customers get is unchanged
    assert saved.json()["version"] == live["version"] and hook_calls == []  # nothing to reload

    published = api.post(f"/api/kb/entries/{SEEDED}/publish", headers=editor).json()
    assert published["answer"]["zh"].startswith("新答案") and not published["has_draft"]
    assert published["version"] == live["version"] + 1 and hook_calls == [SEEDED]
    history = api.get(f"/api/kb/entries/{SEEDED}/history", headers=editor).json()["versions"]
    assert {"answer.zh", "paraphrases.zh"} <= set(history[-1]["changed"])
    rebuild(instance, quick=True)
    assert instance.knowledge.nlu.parse(NEW_WAY).faq_id == SEEDED


def test_a_discarded_draft_leaves_nothing_pending(api: TestClient, editor: dict[str, str]) -> None:
    body = editable(entry(api, editor))
    body["answer"]["en"] = "Draft answer"
    api.put(f"/api/kb/entries/{SEEDED}/draft", json=body, headers=editor)
    listed = api.get("/api/kb/entries", params={"q": "Draft answer"}, headers=editor).json()
    assert listed["total"] == 0  # search reads the live content
    discarded = api.delete(f"/api/kb/entries/{SEEDED}/draft", headers=editor).json()
    assert discarded["draft"] is None and not discarded["has_draft"]


def test_an_agent_reads_but_cannot_draft(api: TestClient, editor: dict[str, str]) -> None:
    body = editable(entry(api, editor))
    agent = login(api, "wang")
    assert api.put(f"/api/kb/entries/{SEEDED}/draft", json=body, headers=agent).status_code == 403
    assert api.delete(f"/api/kb/entries/{SEEDED}/draft", headers=agent).status_code == 403
    assert api.post("/api/kb/try", json={"text": "hi"}, headers=agent).status_code == 200
    assert api.post("/api/kb/try", json={"text": "hi"}).status_code == 401
    assert api.get("/api/kb/topics").status_code == 401


def test_try_it_shows_the_answer_the_candidates_and_why(api: TestClient, editor: dict[str, str]) -> None:
    tried = api.post("/api/kb/try", json={"text": "下单后多久发货"}, headers=editor).json()
    assert tried["faq_id"] == SEEDED and tried["decision"]["kind"] == "answer"
    assert tried["decision"]["replies"][0]["text"]
    top = tried["candidates"][0]
    assert top["label"] == SEEDED and top["question"]["zh"] and set(top["scores"]) == {"svm", "nearest", "fuzz"}
    assert SEEDED in tried["why"]

    unknown = api.post("/api/kb/try", json={"text": "火星上今天天气怎么样"}, headers=editor).json()
    assert unknown["topic"] == "out_of_scope" and unknown["decision"]["kind"] == "decline"  # not ours, no miss
    assert unknown["why"]


def test_try_it_refuses_an_empty_message(api: TestClient, editor: dict[str, str]) -> None:
    response = api.post("/api/kb/try", json={"text": "   "}, headers=editor)
    assert response.status_code == 422


def test_a_phrasing_that_belongs_to_another_entry_is_warned_about(api: TestClient, editor: dict[str, str]) -> None:
    body = editable(entry(api, editor, "refund_processing_time"))
    shipping = entry(api, editor)
    body["paraphrases"]["zh"] += [shipping["paraphrases"]["zh"][0], "你们一般下单以后几天能发出来啊"]
    warnings = api.post("/api/kb/check", json={"id": "refund_processing_time", **body}, headers=editor).json()
    by_text = {w["text"]: w for w in warnings["warnings"]}
    duplicate = by_text[shipping["paraphrases"]["zh"][0]]
    assert duplicate["kind"] == "duplicate" and duplicate["other_id"] == SEEDED
    better = by_text["你们一般下单以后几天能发出来啊"]
    assert better["kind"] in ("better_match", "overlap") and better["other_id"] == SEEDED
    assert better["message"]


def test_changing_a_time_in_one_language_only_warns_that_the_answers_disagree(
    api: TestClient, editor: dict[str, str]
) -> None:
    body = editable(entry(api, editor))  # SEEDED: dispatch before 16:00 in both answers
    body["answer"]["zh"] = body["answer"]["zh"].replace("16:00", "15:00")
    warnings = api.post("/api/kb/check", json={"id": SEEDED, **body}, headers=editor).json()["warnings"]
    (drift,) = [w for w in warnings if w["kind"] == "answers_differ"]
    assert "15:00" in drift["message"] and "16:00" in drift["message"] and drift["lang"] == "zh"
    body["answer"]["en"] = body["answer"]["en"].replace("16:00", "15:00")  # both changed: they agree
    warnings = api.post("/api/kb/check", json={"id": SEEDED, **body}, headers=editor).json()["warnings"]
    assert [w for w in warnings if w["kind"] == "answers_differ"] == []


def test_an_entry_as_published_has_no_warnings(api: TestClient, editor: dict[str, str]) -> None:
    body = editable(entry(api, editor))
    warnings = api.post("/api/kb/check", json={"id": SEEDED, **body}, headers=editor).json()["warnings"]
    assert [w for w in warnings if w["kind"] != "overlap"] == []


def test_a_new_entrys_own_phrasings_are_scored_held_out_not_against_the_live_bot(nlu: NLU) -> None:
    from learning.checks import conflicts

    gift = {
        "topic": "product_info",
        "question": {"zh": "可以礼品包装吗？", "en": "Can you gift-wrap my order?"},
        "paraphrases": {
            "zh": ["有礼品包装吗", "礼品包装怎么弄", "能包装成礼物吗"],
            "en": ["do you offer gift wrapping"],
        },
    }
    # The live bot knows nothing of gift wrapping ("…my order?" goes to where-is-my-order), but
    # once published the entry answers its own phrasings: nothing to warn about.
    assert conflicts(nlu, "gift_wrapping", gift) == []
    gift["paraphrases"]["zh"].append("退款多久能到账")  # another entry's question, by mistake
    (warning,) = conflicts(nlu, "gift_wrapping", gift)
    assert (warning["kind"], warning["other_id"]) == ("better_match", "refund_processing_time")
    assert warning["score"] > warning["own_score"]
