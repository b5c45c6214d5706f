"""Quality review (handoff/quality.py, staff/quality_api.py): the score arithmetic, what a sample
may draw, checklist versions, and who sees which review."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.store import Conversation, Message
from core.db import Base, Database
from core.errors import Conflict, Invalid, Unprocessable
from handoff import quality
from handoff.desk import DESK_TZ
from handoff.models import HANDED_BACK, QUEUED, RESOLVED, Agent, Ticket
from handoff.quality import DEFAULT_ITEMS, NA, Item
from tests.backends import Backend, backend_fixture  # noqa: F401  (the `backend` fixture: each test runs on both)
from triage.wiring import Instance

PASSWORD = "quality-test-pw"
QUICK = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)  # logins in milliseconds
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=DESK_TZ)
WEEK = date(2026, 11, 23), date(2026, 11, 29)
ALL_MET = {"greeting": 2, "accuracy": 2, "policy": 2, "tone": 2, "resolution": 2}


@pytest.fixture
def db(backend: Backend) -> Database:
    """A migrated database: each test asking for it runs on SQLite and on PostgreSQL."""
    return backend.db


def person(db: Database, username: str, role: str = "agent") -> int:
    with db.session() as s:
        row = Agent(
            username=username,
            display_name=username.title(),
            password_hash=QUICK.hash(PASSWORD),
            role=role,
            skills=["general", "tracking"],
        )
        s.add(row)
        s.flush()
        return row.id


def chat_closed(
    db: Database,
    agent_id: int | None,
    *,
    queue: str = "general",
    at: datetime = MONDAY,
    status: str = RESOLVED,
    agent_wrote: bool = True,
) -> int:
    """A ticket over a chat of its own (the customer asked, an agent answered), closed at `at`."""
    with db.session() as s:
        conv = Conversation(sender_id=f"c-{uuid.uuid4().hex[:8]}", channel="rest", slots={}, meta={})
        s.add(conv)
        s.flush()
        s.add(Message(conversation_id=conv.id, direction="in", author="customer", text="我的快递三天没动了"))
        s.add(Message(conversation_id=conv.id, direction="out", author="bot", text="正在为您转接人工客服"))
        if agent_wrote:
            s.add(Message(conversation_id=conv.id, direction="out", author="agent", text="您好，我帮您查一下物流"))
        ticket = Ticket(
            conversation_id=conv.id,
            reason="human_request",
            queue=queue,
            status=status,
            agent_id=agent_id,
            created_at=at - timedelta(minutes=20),
            first_response_due=at - timedelta(minutes=17),
            closed_at=at if status in (RESOLVED, HANDED_BACK) else None,
        )
        s.add(ticket)
        s.flush()
        return ticket.id


def drawn(db: Database, boss: int, *, size: int = 10, seed: int = 7, **filters: object) -> list[int]:
    with db.session() as s:
        sample = quality.draw_sample(
            s,
            drawn_by=boss,
            date_from=WEEK[0],
            date_to=WEEK[1],
            size=size,
            seed=seed,
            **filters,  # type: ignore[arg-type]
        )
        return [r.ticket_id for r, _ in quality.reviews_of(s, [sample.id])]


# ---------------------------------------------------------------- arithmetic


def test_the_total_weighs_each_item_and_leaves_na_items_out() -> None:
    items = list(DEFAULT_ITEMS)  # weights: greeting 1, accuracy 3, policy 2, tone 2, resolution 2
    assert quality.weighted_total(items, ALL_MET) == 100.0
    assert quality.weighted_total(items, dict.fromkeys(ALL_MET, 0)) == 0.0
    # accuracy partly met: 100 × (1·2 + 3·1 + 2·2 + 2·2 + 2·2) / (2 · 10) = 85
    assert quality.weighted_total(items, {**ALL_MET, "accuracy": 1}) == 85.0
    # policy does not apply: out of the 8 weights left, greeting missed: 100 × (3·2+2·2+2·2) / 16 = 87.5
    assert quality.weighted_total(items, {**ALL_MET, "policy": NA, "greeting": 0}) == 87.5
    # one decimal: 100 × 2 / 6 = 33.3
    three = [Item("a", "甲", "A", 1), Item("b", "乙", "B", 1), Item("c", "丙", "C", 1)]
    assert quality.weighted_total(three, {"a": 2, "b": 0, "c": 0}) == 33.3
    assert quality.weighted_total(items, dict.fromkeys(ALL_MET, NA)) is None


def test_a_finished_review_scores_every_item_and_not_all_na() -> None:
    items = list(DEFAULT_ITEMS)
    quality.check_scores(items, {"greeting": 2}, complete=False)  # a draft may stop half way
    with pytest.raises(Invalid, match="missing: accuracy"):
        quality.check_scores(items, {"greeting": 2}, complete=True)
    with pytest.raises(Invalid, match="nothing to score"):
        quality.check_scores(items, dict.fromkeys(ALL_MET, NA), complete=True)
    with pytest.raises(Invalid, match="not on this review's checklist: speed"):
        quality.check_scores(items, {**ALL_MET, "speed": 2}, complete=False)
    with pytest.raises(Invalid, match="not so for tone"):
        quality.check_scores(items, {**ALL_MET, "tone": 3}, complete=False)


def test_the_same_seed_draws_the_same_tickets() -> None:
    pool = list(range(1, 101))
    assert quality.draw(pool, 5, seed=42) == quality.draw(list(reversed(pool)), 5, seed=42)
    assert quality.draw(pool, 5, seed=42) != quality.draw(pool, 5, seed=43)
    assert quality.draw([3, 1, 2], 10, seed=1) == [1, 2, 3]  # fewer than asked: all of them


# ---------------------------------------------------------------- sampling


def test_a_sample_draws_resolved_chats_people_handled_within_its_filters(db: Database) -> None:
    boss, wang, li = person(db, "boss", "supervisor"), person(db, "wang"), person(db, "li")
    wanted = chat_closed(db, wang)
    wanted_late = chat_closed(db, wang, at=MONDAY + timedelta(days=6, hours=13))  # Sunday 23:00 Shanghai
    others = [
        chat_closed(db, li),  # another agent
        chat_closed(db, wang, queue="tracking"),  # another queue
        chat_closed(db, wang, at=MONDAY - timedelta(days=1)),  # the week before
        chat_closed(db, wang, at=MONDAY + timedelta(days=7)),  # the week after
        chat_closed(db, wang, status=HANDED_BACK),  # given back to the bot, not resolved
        chat_closed(db, wang, status=QUEUED),  # still waiting
        chat_closed(db, wang, agent_wrote=False),  # nobody but the bot spoke
        chat_closed(db, None),  # no agent on it
    ]
    assert drawn(db, boss, agent_id=wang, queue="general") == [wanted, wanted_late]
    assert set(drawn(db, boss)) == {others[0], others[1]}  # what is left in the week, any agent or queue
    assert others


def test_a_ticket_drawn_once_is_never_drawn_again(db: Database) -> None:
    boss, wang = person(db, "boss", "supervisor"), person(db, "wang")
    tickets = [chat_closed(db, wang) for _ in range(5)]
    first = drawn(db, boss, size=3, seed=1)
    second = drawn(db, boss, size=3, seed=1)
    assert len(first) == 3 and len(second) == 2
    assert sorted(first + second) == tickets
    with pytest.raises(Unprocessable, match="no resolved chat"):
        drawn(db, boss)


def test_a_sample_records_who_drew_it_its_filters_and_seed(db: Database) -> None:
    boss, wang = person(db, "boss", "supervisor"), person(db, "wang")
    for _ in range(6):
        chat_closed(db, wang)
    again = drawn(db, boss, size=2, seed=99)
    with db.session() as s:
        sample = s.scalars(select(quality.QualitySample)).one()
        assert (sample.drawn_by, sample.agent_id, sample.size, sample.seed) == (boss, None, 2, 99)
        assert (sample.date_from, sample.date_to) == WEEK
        pool = again + quality.candidates(s, date_from=WEEK[0], date_to=WEEK[1])
    assert quality.draw(pool, 2, seed=99) == again  # the draw can be repeated from what was recorded


# ---------------------------------------------------------------- the checklist


def test_the_default_checklist_is_written_on_its_first_read(db: Database) -> None:
    with db.session() as s:
        first = quality.active_checklist(s)
        assert first.version == 1
        assert [(i.key, i.zh) for i in first.item_list()] == [
            ("greeting", "开场问候"),
            ("accuracy", "答复准确"),
            ("policy", "遵守流程"),
            ("tone", "服务态度"),
            ("resolution", "问题解决"),
        ]
    with db.session() as s:
        assert quality.active_checklist(s).version == 1
        assert len(s.scalars(select(quality.QualityChecklist)).all()) == 1


def test_editing_the_checklist_makes_a_version_and_old_reviews_keep_theirs(db: Database) -> None:
    boss, wang = person(db, "boss", "supervisor"), person(db, "wang")
    chat_closed(db, wang), chat_closed(db, wang)
    drawn(db, boss)
    with db.session() as s:
        old, fresh = (r.id for r, _ in quality.reviews_of(s, [1]))
        quality.save_review(s, old, reviewer_id=boss, scores=ALL_MET, comment="很好", done=True)
        shorter = [Item("greeting", "开场问候", "Greeting", 1), Item("empathy", "同理心", "Empathy", 4)]
        assert quality.edit_checklist(s, shorter, by=boss).version == 2
        assert quality.edit_checklist(s, shorter, by=boss).version == 2  # the same items again: no new version
    with db.session() as s:
        kept = quality.review(s, old)
        assert kept.checklist_version == 1 and kept.total == 100.0
        assert [i.key for i in quality.checklist_for(s, kept).item_list()][-1] == "resolution"
        # a review not saved yet is scored on the active version
        assert quality.checklist_for(s, quality.review(s, fresh)).version == 2
        with pytest.raises(Conflict, match="now version 2, not 1"):  # opened before the edit
            quality.save_review(s, fresh, reviewer_id=boss, scores={}, comment="", done=False, version=1)
        with pytest.raises(Invalid, match="not on this review's checklist: accuracy"):
            quality.save_review(s, fresh, reviewer_id=boss, scores=ALL_MET, comment="", done=True)
        saved = quality.save_review(
            s, fresh, reviewer_id=boss, scores={"greeting": 0, "empathy": 2}, comment="", done=True
        )
        assert (saved.checklist_version, saved.total) == (2, 80.0)
    with db.session() as s, pytest.raises(Invalid, match="repeated: tone"):
        quality.edit_checklist(s, [Item("tone", "语气", "Tone", 1), Item("tone", "态度", "Tone", 1)], by=boss)


# ---------------------------------------------------------------- weekly scores


def test_scores_average_finished_reviews_per_agent_per_week_of_the_chat(db: Database) -> None:
    boss, wang, li = person(db, "boss", "supervisor"), person(db, "wang"), person(db, "li")
    last_week = MONDAY - timedelta(days=3)
    scored = {
        chat_closed(db, wang, at=last_week): {**ALL_MET, "accuracy": 1},  # 85
        chat_closed(db, wang): ALL_MET,  # 100
        chat_closed(db, wang, at=MONDAY + timedelta(days=2)): {**ALL_MET, "policy": NA, "greeting": 0},  # 87.5
        chat_closed(db, li): dict.fromkeys(ALL_MET, 1),  # 50
    }
    draft = chat_closed(db, li)
    with db.session() as s:
        quality.draw_sample(s, drawn_by=boss, date_from=last_week.date(), date_to=WEEK[1], size=10, seed=3)
        reviews = {r.ticket_id: r.id for r, _ in quality.reviews_of(s, [1])}
        for ticket_id, scores in scored.items():
            quality.save_review(s, reviews[ticket_id], reviewer_id=boss, scores=scores, comment="", done=True)
        quality.save_review(
            s, reviews[draft], reviewer_id=boss, scores=dict.fromkeys(ALL_MET, 0), comment="", done=False
        )
    with db.session() as s:
        report = quality.weekly_scores(s, date_from=date(2026, 11, 1), date_to=date(2026, 11, 30))
        assert report == [
            {"agent_id": li, "display_name": "Li", "weeks": [{"week": "2026-11-23", "average": 50.0, "count": 1}]},
            {
                "agent_id": wang,
                "display_name": "Wang",
                "weeks": [
                    {"week": "2026-11-16", "average": 85.0, "count": 1},
                    {"week": "2026-11-23", "average": 93.8, "count": 2},  # (100 + 87.5) / 2 = 93.75
                ],
            },
        ]
        this_week = quality.weekly_scores(s, date_from=WEEK[0], date_to=WEEK[1])
        assert [a["weeks"][0]["count"] for a in this_week] == [1, 2]


# ---------------------------------------------------------------- the API


@pytest.fixture
def desk(client: TestClient, instance: Instance) -> dict[str, int]:
    """A supervisor and two agents, three chats each agent resolved this week."""
    ids = {
        name: person(instance.db, name, role)
        for name, role in (("chen", "supervisor"), ("wang", "agent"), ("li", "agent"))
    }
    for name in ("wang", "li"):
        for _ in range(3):
            chat_closed(instance.db, ids[name])
    return ids


def login(client: TestClient, username: str) -> dict[str, str]:
    response = client.post("/api/agent/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_a_review_cycle_over_the_api_and_each_agent_sees_only_their_own(
    client: TestClient, desk: dict[str, int]
) -> None:
    chen, wang, li = login(client, "chen"), login(client, "wang"), login(client, "li")
    ask = {"agent_id": desk["wang"], "queue": "general", "from": "2026-11-23", "to": "2026-11-29", "size": 2, "seed": 5}
    sample = client.post("/api/quality/samples", json=ask, headers=chen)
    assert sample.status_code == 201, sample.text
    body = sample.json()
    assert (body["agent_name"], body["drawn_by_name"], body["size"], body["seed"]) == ("Wang", "Chen", 2, 5)
    assert [r["agent_id"] for r in body["reviews"]] == [desk["wang"]] * 2
    assert client.get("/api/quality/samples", headers=chen).json()["samples"][0]["id"] == body["id"]
    first, second = (r["id"] for r in body["reviews"])

    opened = client.get(f"/api/quality/reviews/{first}", headers=chen).json()
    assert opened["checklist"]["items"][0]["key"] == "greeting"
    assert [m["author"] for m in opened["messages"]] == ["customer", "bot", "agent"]

    scores = {**ALL_MET, "tone": 1}
    half = client.put(f"/api/quality/reviews/{first}", json={"scores": {"greeting": 2}}, headers=chen)
    assert half.json()["status"] == "draft"
    refused = client.put(f"/api/quality/reviews/{first}", json={"scores": {"greeting": 2}, "done": True}, headers=chen)
    assert refused.status_code == 400 and "missing" in refused.json()["detail"]
    done = client.put(
        f"/api/quality/reviews/{first}",
        json={"scores": scores, "comment": " 语气可以更热情 ", "done": True},
        headers=chen,
    )
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["total"], done.json()["comment"]) == ("done", 90.0, "语气可以更热情")
    client.put(f"/api/quality/reviews/{second}", json={"scores": ALL_MET, "comment": "草稿"}, headers=chen)

    mine = client.get("/api/quality/mine", headers=wang).json()["reviews"]
    assert [(r["id"], r["total"], r["comment"], r["reviewer_name"]) for r in mine] == [
        (first, 90.0, "语气可以更热情", "Chen")
    ]
    assert mine[0]["scores"]["tone"] == 1 and mine[0]["checklist"]["version"] == 1
    assert "messages" not in mine[0]
    assert client.get("/api/quality/mine", headers=li).json() == {"reviews": []}

    week = client.get("/api/quality/scores?from=2026-11-01&to=2026-11-30", headers=chen).json()
    assert week["agents"] == [
        {
            "agent_id": desk["wang"],
            "display_name": "Wang",
            "weeks": [{"week": "2026-11-23", "average": 90.0, "count": 1}],
        }
    ]
    assert client.get("/api/quality/scores", headers=chen).json()["to"] == "2026-11-23"  # the desk's today


def test_quality_routes_want_a_login_and_supervisors_for_all_but_mine(client: TestClient, desk: dict[str, int]) -> None:
    wang = login(client, "wang")
    supervisors_only = [
        ("GET", "/api/quality/checklist"),
        ("PUT", "/api/quality/checklist"),
        ("POST", "/api/quality/samples"),
        ("GET", "/api/quality/samples"),
        ("GET", "/api/quality/reviews/1"),
        ("PUT", "/api/quality/reviews/1"),
        ("GET", "/api/quality/scores"),
    ]
    for method, path in [*supervisors_only, ("GET", "/api/quality/mine")]:
        assert client.request(method, path, json={}).status_code == 401, path
    for method, path in supervisors_only:
        assert client.request(method, path, json={}, headers=wang).status_code == 403, path
    assert client.get("/api/quality/mine", headers=wang).status_code == 200


def test_the_checklist_is_edited_over_the_api_and_bad_items_are_refused(
    client: TestClient, desk: dict[str, int]
) -> None:
    chen = login(client, "chen")
    assert client.get("/api/quality/checklist", headers=chen).json()["version"] == 1
    items = [
        {"key": "greeting", "zh": "问候", "en": "Greeting", "weight": 1},
        {"key": "empathy", "zh": "同理心", "en": "Empathy", "weight": 3},
    ]
    saved = client.put("/api/quality/checklist", json={"items": items}, headers=chen)
    assert saved.status_code == 200 and saved.json()["version"] == 2
    assert client.get("/api/quality/checklist", headers=chen).json()["items"] == items
    repeated = client.put("/api/quality/checklist", json={"items": items + items[:1]}, headers=chen)
    assert repeated.status_code == 400 and "repeated: greeting" in repeated.json()["detail"]
    weightless = client.put("/api/quality/checklist", json={"items": [{**items[0], "weight": 0}]}, headers=chen)
    assert weightless.status_code == 422 and weightless.json()["detail"].startswith("items.0.weight")
    assert client.put("/api/quality/checklist", json={"items": []}, headers=chen).status_code == 422


def test_a_sample_with_nothing_to_draw_or_bad_filters_is_refused(client: TestClient, desk: dict[str, int]) -> None:
    chen = login(client, "chen")
    ask = {"from": "2026-10-01", "to": "2026-10-31", "size": 5}
    assert client.post("/api/quality/samples", json=ask, headers=chen).status_code == 422
    assert client.post("/api/quality/samples", json={**ask, "to": "2026-09-01"}, headers=chen).status_code == 400
    assert client.post("/api/quality/samples", json={**ask, "queue": "nowhere"}, headers=chen).status_code == 422
    assert client.post("/api/quality/samples", json={**ask, "agent_id": 999}, headers=chen).status_code == 422
    assert client.post("/api/quality/samples", json={**ask, "size": 0}, headers=chen).status_code == 422
    assert client.get("/api/quality/reviews/999", headers=chen).status_code == 404


def test_the_migration_builds_the_quality_tables_the_models_describe(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'm.db'}")
    database.migrate()
    with database.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    database.engine.dispose()
    assert [d for d in diff if "quality" in repr(d)] == []
