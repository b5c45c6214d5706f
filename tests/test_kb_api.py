"""The knowledge-base staff API, embedded: editing with history, diffs, rollback, and who may do what."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from core.config import Settings
from handoff.agents import hash_password
from handoff.models import Agent
from knowledge_base.store import published
from staff.kb_api import router
from triage.app import create_app
from triage.wiring import Instance

PASSWORD = "correct horse battery"
SEEDED = "shipping_dispatch_time"  # an entry of the bundled data files


@pytest.fixture
def hook_calls() -> list[str]:
    return []


@pytest.fixture
def api(tmp_path: Path, instance: Instance, hook_calls: list[str]) -> Iterator[TestClient]:
    with instance.db.session() as s:
        for username, role in (("mei", "kb_editor"), ("wang", "agent"), ("chen", "supervisor")):
            s.add(
                Agent(
                    username=username,
                    display_name=username,
                    password_hash=hash_password(PASSWORD),
                    role=role,
                    skills=["general"],
                )
            )
    app = create_app(Settings.from_env({}, data_dir=str(tmp_path)), instance=instance)
    if not any(getattr(r, "path", "") == "/api/kb/entries" for r in app.routes):
        app.include_router(router)
    with TestClient(app) as c:
        app.state.kb_changed = hook_calls.append  # after start-up, which may install the real one
        yield c


def login(api: TestClient, username: str) -> dict[str, str]:
    response = api.post("/api/agent/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


@pytest.fixture
def editor(api: TestClient) -> dict[str, str]:
    return login(api, "mei")


def new_entry(**changes: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": "gift_wrapping",
        "kind": "faq",
        "topic": "product_info",
        "tags": ["gift"],
        "question": {"zh": "可以包装成礼物吗", "en": "Can you gift-wrap my order?"},
        "answer": {
            "zh": "可以，下单时勾选礼品包装，加收 5 元。",
            "en": "Yes: tick gift wrapping at checkout, 5 yuan extra.",
        },
        "paraphrases": {"zh": ["能礼品包装吗", "送人的能包一下吗"], "en": ["gift wrap available?"]},
        "action": None,
        "status": "draft",
    }
    entry.update(changes)
    return entry


def editable(entry: dict[str, Any]) -> dict[str, Any]:
    """An entry as returned by the API, cut down to what PUT accepts."""
    return copy.deepcopy({k: entry[k] for k in ("topic", "tags", "question", "answer", "paraphrases", "action")})


def create(api: TestClient, headers: dict[str, str], **changes: Any) -> dict[str, Any]:
    response = api.post("/api/kb/entries", json=new_entry(**changes), headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_created_entry_is_found_by_its_paraphrase_topic_and_tag(api: TestClient, editor: dict[str, str]) -> None:
    created = create(api, editor)
    assert created["version"] == 1 and created["status"] == "draft"

    def ids(**params: str) -> list[str]:
        response = api.get("/api/kb/entries", params=params, headers=editor)
        assert response.status_code == 200, response.text
        return [e["id"] for e in response.json()["entries"]]

    assert ids(q="送人的能包") == ["gift_wrapping"]
    assert ids(q="GIFT WRAP", lang="en") == ["gift_wrapping"]
    assert ids(q="送人的能包", lang="en") == []
    assert "gift_wrapping" in ids(topic="product_info")
    assert ids(tag="gift") == ["gift_wrapping"]
    assert ids(status="draft") == ["gift_wrapping"]
    (listed,) = [e for e in api.get("/api/kb/entries", headers=editor).json()["entries"] if e["id"] == "gift_wrapping"]
    assert listed["question"]["zh"] == "可以包装成礼物吗" and listed["version"] == 1 and listed["updated_at"]

    full = api.get("/api/kb/entries/gift_wrapping", headers=editor).json()
    assert full["answer"]["en"].startswith("Yes: tick gift wrapping")
    assert full["paraphrases"]["zh"] == ["能礼品包装吗", "送人的能包一下吗"]


def test_editing_a_paraphrase_then_publishing_bumps_the_version_and_the_bot_answers_it(
    api: TestClient, editor: dict[str, str], instance: Instance
) -> None:
    entry = create(api, editor)
    body = editable(entry)
    body["paraphrases"]["zh"].append("礼盒包装怎么弄")

    edited = api.put("/api/kb/entries/gift_wrapping", json=body, headers=editor)
    assert edited.status_code == 200, edited.text
    assert edited.json()["version"] == 2 and edited.json()["status"] == "draft"
    assert "礼盒包装怎么弄" in edited.json()["paraphrases"]["zh"]

    published_now = api.post("/api/kb/entries/gift_wrapping/publish", headers=editor)
    assert published_now.status_code == 200, published_now.text
    assert published_now.json()["version"] == 3 and published_now.json()["status"] == "published"
    with instance.db.session() as s:
        assert "gift_wrapping" in {e.id for e in published(s)}


def test_saving_an_unchanged_entry_makes_no_new_version(
    api: TestClient, editor: dict[str, str], hook_calls: list[str]
) -> None:
    entry = create(api, editor)
    response = api.put("/api/kb/entries/gift_wrapping", json=editable(entry), headers=editor)
    assert response.json()["version"] == 1
    assert hook_calls == ["gift_wrapping"]  # the creation only


def test_history_lists_every_version_with_its_editor_and_what_changed(api: TestClient, editor: dict[str, str]) -> None:
    entry = create(api, editor)
    body = editable(entry)
    body["answer"]["en"] = "Yes, for 5 yuan."
    api.put("/api/kb/entries/gift_wrapping", json=body, headers=editor)
    api.post("/api/kb/entries/gift_wrapping/publish", headers=login(api, "chen"))

    response = api.get("/api/kb/entries/gift_wrapping/history", headers=login(api, "wang"))
    assert response.status_code == 200, response.text
    history = response.json()["versions"]
    assert [(v["version"], v["who"], v["note"]) for v in history] == [
        (1, "mei", "created"),
        (2, "mei", "edited"),
        (3, "chen", "published"),
    ]
    assert history[1]["changed"] == ["answer.en"]
    assert history[2]["changed"] == ["status"]
    assert all(v["when"] for v in history)


def test_diff_between_two_versions_shows_the_changed_answer(api: TestClient, editor: dict[str, str]) -> None:
    entry = create(api, editor)
    body = editable(entry)
    body["answer"]["en"] = "Yes, for 5 yuan."
    api.put("/api/kb/entries/gift_wrapping", json=body, headers=editor)

    response = api.get("/api/kb/entries/gift_wrapping/diff", params={"from": 1, "to": 2}, headers=editor)
    assert response.status_code == 200, response.text
    diff = response.json()["diff"]
    assert "--- gift_wrapping version 1" in diff and "+++ gift_wrapping version 2" in diff
    assert "-  en: 'Yes: tick gift wrapping at checkout, 5 yuan extra.'" in diff
    assert "+  en: Yes, for 5 yuan." in diff
    changed = [line for line in diff.splitlines()[2:] if line.startswith(("-", "+"))]
    assert len(changed) == 2  # the Chinese answer and everything else did not change
    missing = api.get("/api/kb/entries/gift_wrapping/diff", params={"from": 1, "to": 9}, headers=editor)
    assert missing.status_code == 404 and "version 9" in missing.json()["detail"]


def test_rollback_restores_the_old_answer_as_a_new_version(api: TestClient, editor: dict[str, str]) -> None:
    entry = create(api, editor)
    body = editable(entry)
    body["answer"]["en"] = "No gift wrapping, sorry."
    api.put("/api/kb/entries/gift_wrapping", json=body, headers=editor)

    response = api.post("/api/kb/entries/gift_wrapping/rollback", json={"version": 1}, headers=editor)
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 3
    assert response.json()["answer"]["en"] == entry["answer"]["en"]
    history = api.get("/api/kb/entries/gift_wrapping/history", headers=editor).json()["versions"]
    assert history[-1]["note"] == "rolled back to version 1" and history[-1]["changed"] == ["answer.en"]


def test_first_edit_of_a_seeded_entry_keeps_its_original_state_to_roll_back_to(
    api: TestClient, editor: dict[str, str]
) -> None:
    original = api.get(f"/api/kb/entries/{SEEDED}", headers=editor).json()
    body = editable(original)
    body["answer"]["en"] = "Changed."
    edited = api.put(f"/api/kb/entries/{SEEDED}", json=body, headers=editor).json()
    assert edited["version"] == original["version"] + 1 and edited["status"] == "published"

    history = api.get(f"/api/kb/entries/{SEEDED}/history", headers=editor).json()["versions"]
    assert [(v["version"], v["who"]) for v in history] == [(1, None), (2, "mei")]
    restored = api.post(f"/api/kb/entries/{SEEDED}/rollback", json={"version": 1}, headers=editor).json()
    assert restored["answer"] == original["answer"] and restored["version"] == 3


def test_delete_archives_the_entry_so_the_bot_stops_answering_it(
    api: TestClient, editor: dict[str, str], instance: Instance
) -> None:
    response = api.delete(f"/api/kb/entries/{SEEDED}", headers=editor)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "archived"
    with instance.db.session() as s:
        assert SEEDED not in {e.id for e in published(s)}
    listed = api.get("/api/kb/entries", params={"q": "发货"}, headers=editor).json()["entries"]
    assert SEEDED not in [e["id"] for e in listed]
    archived = api.get("/api/kb/entries", params={"status": "archived"}, headers=editor).json()["entries"]
    assert [e["id"] for e in archived] == [SEEDED]
    assert api.get(f"/api/kb/entries/{SEEDED}", headers=editor).status_code == 200


def test_every_write_announces_the_entry_to_the_bot(
    api: TestClient, editor: dict[str, str], hook_calls: list[str]
) -> None:
    entry = create(api, editor)
    body = editable(entry)
    body["tags"] = ["gift", "packaging"]
    api.put("/api/kb/entries/gift_wrapping", json=body, headers=editor)
    api.post("/api/kb/entries/gift_wrapping/publish", headers=editor)
    api.post("/api/kb/entries/gift_wrapping/rollback", json={"version": 1}, headers=editor)
    api.delete("/api/kb/entries/gift_wrapping", headers=editor)
    api.get("/api/kb/entries/gift_wrapping/history", headers=editor)
    assert hook_calls == ["gift_wrapping"] * 5


def test_an_agent_may_read_but_not_write(api: TestClient, editor: dict[str, str], hook_calls: list[str]) -> None:
    entry = create(api, editor)
    agent = login(api, "wang")
    assert api.get("/api/kb/entries", headers=agent).status_code == 200
    assert api.get("/api/kb/entries/gift_wrapping", headers=agent).status_code == 200
    assert api.get("/api/kb/entries/gift_wrapping/history", headers=agent).status_code == 200
    writes = [
        api.post("/api/kb/entries", json=new_entry(id="another_one"), headers=agent),
        api.put("/api/kb/entries/gift_wrapping", json=editable(entry), headers=agent),
        api.post("/api/kb/entries/gift_wrapping/publish", headers=agent),
        api.delete("/api/kb/entries/gift_wrapping", headers=agent),
        api.post("/api/kb/entries/gift_wrapping/rollback", json={"version": 1}, headers=agent),
    ]
    assert [r.status_code for r in writes] == [403] * 5
    assert api.get("/api/kb/entries/gift_wrapping", headers=agent).json()["version"] == 1
    assert hook_calls == ["gift_wrapping"]


def test_anonymous_and_unknown_tokens_are_refused(api: TestClient) -> None:
    assert api.get("/api/kb/entries").status_code == 401
    assert api.get(f"/api/kb/entries/{SEEDED}").status_code == 401
    assert api.post("/api/kb/entries", json=new_entry()).status_code == 401
    assert api.get("/api/kb/entries", headers={"Authorization": "Bearer nonsense"}).status_code == 401


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"topic": "weather"}, "topic"),
        ({"id": "Bad Id!"}, "id"),
        ({"id": "ab"}, "id"),
        ({"answer": {"zh": "可以"}}, "answer.en"),
        ({"question": {"zh": "  ", "en": "Gift wrap?"}}, "question.zh"),
        ({"status": "archived"}, "status"),
        ({"paraphrases": {"zh": "not a list"}}, "paraphrases.zh"),
    ],
)
def test_invalid_entries_are_refused_naming_the_field(
    api: TestClient, editor: dict[str, str], changes: dict[str, Any], field: str
) -> None:
    response = api.post("/api/kb/entries", json=new_entry(**changes), headers=editor)
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith(f"{field}:")


def test_an_edit_with_an_unknown_topic_is_refused_and_changes_nothing(api: TestClient, editor: dict[str, str]) -> None:
    entry = create(api, editor)
    response = api.put("/api/kb/entries/gift_wrapping", json={**editable(entry), "topic": "weather"}, headers=editor)
    assert response.status_code == 422 and "topic" in response.json()["detail"]
    assert api.get("/api/kb/entries/gift_wrapping", headers=editor).json()["version"] == 1


def test_malformed_json_is_a_400(api: TestClient, editor: dict[str, str]) -> None:
    headers = {**editor, "Content-Type": "application/json"}
    response = api.post("/api/kb/entries", content=b'{"id": "gift_wrapping",', headers=headers)
    assert response.status_code == 400 and "malformed JSON" in response.json()["detail"]


def test_unknown_entries_and_versions_are_404(api: TestClient, editor: dict[str, str]) -> None:
    assert api.get("/api/kb/entries/no_such_entry", headers=editor).status_code == 404
    assert api.put("/api/kb/entries/no_such_entry", json=editable(new_entry()), headers=editor).status_code == 404
    assert api.post("/api/kb/entries/no_such_entry/publish", headers=editor).status_code == 404
    assert api.get("/api/kb/entries/no_such_entry/history", headers=editor).status_code == 404
    create(api, editor)
    rollback = api.post("/api/kb/entries/gift_wrapping/rollback", json={"version": 7}, headers=editor)
    assert rollback.status_code == 404 and "version 7" in rollback.json()["detail"]


def test_creating_an_existing_id_is_a_conflict(api: TestClient, editor: dict[str, str]) -> None:
    response = api.post("/api/kb/entries", json=new_entry(id=SEEDED), headers=editor)
    assert response.status_code == 409
