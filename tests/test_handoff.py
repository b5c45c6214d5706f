"""The human desk, embedded: tickets, routing, ownership, the queue, service levels, ratings."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from core.runtime import customer_channel
from handoff.agents import hash_password
from handoff.desk import Case, load_desk, route
from handoff.models import Agent, EscalationKeyword, Rating, Ticket, TicketEvent
from tests import merchant
from tests.conftest import Chat
from triage.wiring import Instance

PASSWORD = "correct horse battery"


@pytest.fixture
def desk_instance(instance: Instance) -> Instance:
    with instance.db.session() as s:
        s.add_all(
            [
                Agent(
                    username="wang",
                    display_name="王芳",
                    password_hash=hash_password(PASSWORD),
                    skills=["tracking", "general"],
                ),
                Agent(
                    username="li",
                    display_name="李军",
                    password_hash=hash_password(PASSWORD),
                    skills=["payments", "general"],
                    max_chats=1,
                ),
                Agent(
                    username="chen",
                    display_name="陈磊",
                    password_hash=hash_password(PASSWORD),
                    role="supervisor",
                    skills=["supervisor", "general", "claims", "tracking", "payments"],
                ),
            ]
        )
    merchant.load(instance.db)
    return instance


@pytest.fixture
def api(client: TestClient, desk_instance: Instance) -> TestClient:
    return client


def login(api: TestClient, username: str) -> dict[str, str]:
    response = api.post("/api/agent/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def tickets(instance: Instance) -> list[Ticket]:
    with instance.db.session() as s:
        return list(s.scalars(select(Ticket).order_by(Ticket.id)))


@pytest.fixture
def two_agents(api: TestClient) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    yield login(api, "wang"), login(api, "li")


def test_second_fallback_hands_over_with_the_transcript(api: TestClient, desk_instance: Instance) -> None:
    chat = Chat(api, "lost")
    chat.say("咕噜咕噜 巴拉巴拉")
    chat.say("锟斤拷烫烫烫 zxcv")
    assert chat.handed_over
    (ticket,) = tickets(desk_instance)
    assert ticket.reason == "fallback" and ticket.status == "queued"
    assert [t["text"] for t in ticket.context["turns"]] == ["咕噜咕噜 巴拉巴拉", "锟斤拷烫烫烫 zxcv"]
    assert "连续两次没听懂" in ticket.summary and "咕噜咕噜" in ticket.summary
    assert "前面" in chat.text or "下一位" in chat.text  # told their place in the queue


def test_routing_by_reason_topic_anger_and_value() -> None:
    desk = load_desk()
    assert route(desk, Case(reason="claim")).queue == "claims"
    assert route(desk, Case(reason="human_request", topic="payment_arrival")).queue == "payments"
    assert route(desk, Case(reason="fallback")).queue == "general"
    major = route(desk, Case(reason="complaint", text="再不处理我就去12315投诉", anger=0.7))
    assert major.queue == "supervisor" and "major_complaint" in major.labels
    calm, angry = route(desk, Case(reason="human_request")), route(desk, Case(reason="anger", anger=0.8))
    assert angry.priority > calm.priority
    rising = route(desk, Case(reason="human_request", anger=0.45, anger_history=[0.0, 0.1, 0.6]))
    assert "anger" in rising.labels
    vip = route(desk, Case(reason="human_request", customer_tier="vip", order_total=2999))
    assert {"vip", "high_value"} <= set(vip.labels) and vip.priority > calm.priority


def test_angry_customer_jumps_the_queue(api: TestClient, desk_instance: Instance) -> None:
    Chat(api, "calm").say("转人工")
    angry = Chat(api, "angry")
    angry.say("你们什么垃圾服务！！！到底什么时候发货！！！")
    assert angry.handed_over
    calm_ticket, angry_ticket = tickets(desk_instance)
    assert angry_ticket.priority > calm_ticket.priority
    assert desk_instance.desk is not None
    assert angry_ticket.queue == "tracking"  # ordinary anger keeps the desk of what it is about (发货)
    order = [t for _, t in desk_instance.desk.queue.waiting(["general", "tracking"])]
    assert order.index(angry_ticket.id) < order.index(calm_ticket.id)


def test_claim_is_exclusive_and_the_bot_goes_silent(api: TestClient, desk_instance: Instance, two_agents: Any) -> None:
    wang, li = two_agents
    chat = Chat(api, "c1")
    chat.say("转人工")
    (ticket,) = tickets(desk_instance)
    assert api.post(f"/api/agent/tickets/{ticket.id}/claim", headers=wang).status_code == 200
    refused = api.post(f"/api/agent/tickets/{ticket.id}/claim", headers=li)
    assert refused.status_code == 409
    assert chat.state()["state"] == "human"
    chat.say("下单后多久发货")  # a question the bot knows: a person owns the chat, so it says nothing
    assert chat.replies == []
    authors = [m["author"] for m in chat.state()["messages"]]
    assert authors[-1] == "customer" and authors[-2] == "agent"  # the agent's greeting came last


def test_agent_reply_first_response_and_the_transcript(
    api: TestClient, desk_instance: Instance, two_agents: Any
) -> None:
    wang, _ = two_agents
    Chat(api, "c2").say("转人工")
    (ticket,) = tickets(desk_instance)
    api.post(f"/api/agent/tickets/{ticket.id}/claim", headers=wang)
    response = api.post(
        f"/api/agent/tickets/{ticket.id}/reply", headers=wang, json={"text": "您好，请问订单号是多少？"}
    )
    assert response.status_code == 200 and response.json()["first_response_at"]
    assert not response.json()["sla_breached"]
    detail = api.get(f"/api/agent/tickets/{ticket.id}", headers=wang).json()
    assert detail["messages"][-1]["author"] == "agent" and detail["messages"][-1]["text"] == "您好，请问订单号是多少？"
    other = api.post(f"/api/agent/tickets/{ticket.id}/reply", headers=login(api, "chen"), json={"text": "x"})
    assert other.status_code == 409  # only the owner replies


def test_capacity_is_respected(api: TestClient, desk_instance: Instance, two_agents: Any) -> None:
    _, li = two_agents  # 李军 takes one chat at a time
    Chat(api, "p1").say("转人工")
    Chat(api, "p2").say("转人工")
    first, second = tickets(desk_instance)
    assert api.post(f"/api/agent/tickets/{first.id}/claim", headers=li).status_code == 200
    busy = api.post(f"/api/agent/tickets/{second.id}/claim", headers=li)
    assert busy.status_code == 409 and "chats open" in busy.json()["detail"]


def test_resolve_asks_for_a_rating_and_stores_it_per_agent_and_queue(
    api: TestClient, desk_instance: Instance, two_agents: Any
) -> None:
    wang, _ = two_agents
    chat = Chat(api, "c3")
    chat.say("转人工")
    (ticket,) = tickets(desk_instance)
    api.post(f"/api/agent/tickets/{ticket.id}/claim", headers=wang)
    api.post(f"/api/agent/tickets/{ticket.id}/resolve", headers=wang)
    state = chat.state()
    assert state["state"] == "bot"
    survey = state["messages"][-1]
    assert len(survey["buttons"]) == 5
    chat.say(survey["buttons"][4]["payload"])
    with desk_instance.db.session() as s:
        rating = s.scalars(select(Rating)).one()
        assert rating.score == 5 and rating.ticket_id == ticket.id and rating.queue == ticket.queue
        assert rating.agent_id is not None and s.get_one(Ticket, ticket.id).csat == 5


def test_hand_back_has_no_survey_and_a_later_handoff_opens_a_fresh_ticket(
    api: TestClient, desk_instance: Instance, two_agents: Any
) -> None:
    wang, _ = two_agents
    chat = Chat(api, "c4")
    chat.say("转人工")
    (first,) = tickets(desk_instance)
    api.post(f"/api/agent/tickets/{first.id}/claim", headers=wang)
    api.post(f"/api/agent/tickets/{first.id}/handback", headers=wang)
    messages = chat.state()["messages"]
    assert not messages[-1]["buttons"] and "智能助手" in messages[-1]["text"]
    chat.say("下单后多久发货")
    assert "48小时" in chat.text  # the bot answers again
    chat.say("转人工")
    assert [t.status for t in tickets(desk_instance)] == ["handed_back", "queued"]


def test_a_question_asked_while_the_person_had_the_chat_is_answered_when_it_is_handed_back(
    api: TestClient, desk_instance: Instance, two_agents: Any
) -> None:
    wang, _ = two_agents
    chat = Chat(api, "c4b")
    chat.say("转人工")
    (ticket,) = tickets(desk_instance)
    api.post(f"/api/agent/tickets/{ticket.id}/claim", headers=wang)
    assert chat.say("对了，下单后多久发货？") == []  # the person has the chat: the bot keeps quiet
    api.post(f"/api/agent/tickets/{ticket.id}/handback", headers=wang)
    messages = chat.state()["messages"]
    assert "48小时" in messages[-1]["text"] and messages[-1]["author"] == "bot"  # taken up, not asked again
    assert [m["text"] for m in messages if m["direction"] == "in"] == ["转人工", "对了，下单后多久发货？"]


def test_an_english_customer_sees_the_agent_labelled_in_english(
    api: TestClient, desk_instance: Instance, two_agents: Any
) -> None:
    wang, _ = two_agents
    chat = Chat(api, "en-1")
    chat.say("I want to talk to a human please")
    (ticket,) = tickets(desk_instance)
    api.post(f"/api/agent/tickets/{ticket.id}/claim", headers=wang)
    api.post(f"/api/agent/tickets/{ticket.id}/reply", headers=wang, json={"text": "Hi, how can I help?"})
    labels = {m["custom"]["agent_label"] for m in chat.state()["messages"] if m["author"] == "agent"}
    assert labels == {"Agent"}


def test_the_agent_is_offered_the_knowledge_bases_answers_to_the_latest_question(
    api: TestClient, desk_instance: Instance, two_agents: Any
) -> None:
    wang, _ = two_agents
    zh, en = Chat(api, "assist-zh"), Chat(api, "assist-en")
    zh.say("转人工")
    en.say("I need a human")
    first, second = tickets(desk_instance)
    assert api.get(f"/api/agent/tickets/{first.id}/suggestions", headers=wang).json()["suggestions"] == []
    zh.say("下单以后一般几天发货啊")
    found = api.get(f"/api/agent/tickets/{first.id}/suggestions", headers=wang).json()
    assert found["question"] == "下单以后一般几天发货啊" and found["language"] == "zh"
    (best, *_) = found["suggestions"]
    assert best["entry_id"] == "shipping_dispatch_time" and "16:00" in best["answer"]
    en.say("how long until my order ships?")
    english = api.get(f"/api/agent/tickets/{second.id}/suggestions", headers=wang).json()["suggestions"]
    assert english and english[0]["answer"].startswith("In-stock orders")  # in the customer's language
    assert api.get(f"/api/agent/tickets/{first.id}/suggestions").status_code == 401


def test_a_question_the_person_answered_is_not_answered_again_after_hand_back(
    api: TestClient, desk_instance: Instance, two_agents: Any
) -> None:
    wang, _ = two_agents
    chat = Chat(api, "c4c")
    chat.say("转人工")
    (ticket,) = tickets(desk_instance)
    api.post(f"/api/agent/tickets/{ticket.id}/claim", headers=wang)
    chat.say("下单后多久发货？")
    api.post(f"/api/agent/tickets/{ticket.id}/reply", headers=wang, json={"text": "一般48小时内发货"})
    api.post(f"/api/agent/tickets/{ticket.id}/handback", headers=wang)
    bot_replies = [m for m in chat.state()["messages"] if m["author"] == "bot"]
    assert not any("48小时" in m["text"] for m in bot_replies[1:])


def test_messages_while_waiting_join_the_ticket_and_get_no_second_handoff(
    api: TestClient, desk_instance: Instance
) -> None:
    chat = Chat(api, "c5")
    chat.say("转人工")
    chat.say("我的订单号是 YX20261120000001")
    assert len(tickets(desk_instance)) == 1
    (ticket,) = tickets(desk_instance)
    with desk_instance.db.session() as s:
        from bot.store import transcript

        texts = [m.text for m in transcript(s, conversation_id=ticket.conversation_id) if m.direction == "in"]
    assert texts[-1] == "我的订单号是 YX20261120000001"


def test_position_updates_when_someone_ahead_is_picked_up(
    api: TestClient, desk_instance: Instance, two_agents: Any
) -> None:
    wang, _ = two_agents
    first = Chat(api, "q1")
    first.say("转人工")
    assert re.search(r"您是下一位，预计约 \d+ 分钟内接入", first.text)  # next in line, and about when
    second = Chat(api, "q2")
    second.say("转人工")
    assert "前面还有 1 位" in second.text
    first_ticket = tickets(desk_instance)[0]
    pushed: list[Any] = []
    desk_instance.runtime.publish = lambda channel, message: pushed.append((channel, message.get("text")))  # type: ignore[method-assign]
    api.post(f"/api/agent/tickets/{first_ticket.id}/claim", headers=wang)
    assert any(
        channel == customer_channel("q2") and text.startswith("马上就到您了，预计约") for channel, text in pushed
    )


def test_staff_keyword_always_goes_to_a_person(api: TestClient, desk_instance: Instance) -> None:
    with desk_instance.db.session() as s:
        s.add(EscalationKeyword(keyword="律师", queue="supervisor"))
    chat = Chat(api, "k1")
    chat.say("我已经找了律师，请问退货运费谁出")
    assert chat.handed_over
    (ticket,) = tickets(desk_instance)
    assert ticket.reason == "keyword" and ticket.queue == "supervisor"


def test_only_supervisors_change_keywords(api: TestClient, desk_instance: Instance, two_agents: Any) -> None:
    wang, _ = two_agents
    assert api.post("/api/agent/keywords", headers=wang, json={"keyword": "召回"}).status_code == 403
    chen = login(api, "chen")
    assert (
        api.post("/api/agent/keywords", headers=chen, json={"keyword": "召回", "queue": "general"}).status_code == 200
    )
    assert any(k["keyword"] == "召回" for k in api.get("/api/agent/keywords", headers=wang).json())


def test_sweep_overflows_long_waits_and_records_missed_first_responses(
    api: TestClient, desk_instance: Instance
) -> None:
    Chat(api, "s1").say(f"物流好几天没动了 {merchant.STUCK}")
    Chat(api, "s1").say("1234")  # stuck parcel -> tracking queue
    (ticket,) = tickets(desk_instance)
    assert ticket.queue == "tracking"
    desk = desk_instance.desk
    assert desk is not None
    with desk_instance.db.session() as s:
        desk.sweep(s, now=ticket.created_at + timedelta(minutes=5))
    (ticket,) = tickets(desk_instance)
    assert ticket.queue == "general" and ticket.sla_breached
    with desk_instance.db.session() as s:
        kinds = [e.kind for e in s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id))]
    assert "overflow" in kinds and "sla_breached" in kinds
    assert [t for _, t in desk.queue.waiting(["general"])] == [ticket.id]


def test_outside_business_hours_the_bot_takes_a_message(api: TestClient, desk_instance: Instance) -> None:
    desk = desk_instance.desk
    assert desk is not None
    night = tickets(desk_instance)  # none yet
    assert night == []
    real_now = desk.now
    desk.now = lambda: real_now() + timedelta(hours=13)  # 23:00 in China
    chat = Chat(api, "night")
    chat.say("转人工")
    assert "非工作时间" in chat.text and "联系电话" in chat.text
    (ticket,) = tickets(desk_instance)
    assert ticket.status == "offline"
    chat.say("我的电话 13800001234，明天联系我")
    assert "已记下您的联系电话" in chat.text and "非工作时间" not in chat.text
    assert len(tickets(desk_instance)) == 1


def test_queue_is_rebuilt_from_sql_after_redis_loses_it(api: TestClient, desk_instance: Instance) -> None:
    for sender in ("r1", "r2", "r3"):
        Chat(api, sender).say("转人工")
    desk = desk_instance.desk
    assert desk is not None
    before = desk.queue.waiting(desk.desk.queues)
    desk_instance.runtime.sync.flushall()
    assert desk.queue.waiting(desk.desk.queues) == []
    with desk_instance.db.session() as s:
        desk.reconcile(s)
    assert desk.queue.waiting(desk.desk.queues) == before


def test_bad_agent_requests_are_clear(api: TestClient, desk_instance: Instance, two_agents: Any) -> None:
    wang, _ = two_agents
    assert api.get("/api/agent/queue").status_code == 401
    assert api.get("/api/agent/queue", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert api.post("/api/agent/login", json={"username": "wang", "password": "wrong"}).status_code == 401
    assert api.post("/api/agent/tickets/999/claim", headers=wang).status_code == 409  # waiting nowhere
    assert api.get("/api/agent/tickets/999", headers=wang).status_code == 404
    bad = api.post("/api/agent/tickets/1/reply", headers=wang, content=b"{oops")
    assert bad.status_code == 400


def test_repair_never_drops_a_ticket_whose_handoff_is_still_committing(desk_instance: Instance) -> None:
    from bot.engine import InboundMessage

    desk_instance.engine.handle(InboundMessage("m1", "转人工"))  # no app running: no sweeper racing the test
    desk = desk_instance.desk
    assert desk is not None
    (ticket,) = tickets(desk_instance)
    with desk_instance.db.session() as s:
        desk.reconcile(s)  # Redis holds the queues (as after start-up)
    desk.queue.push(99999, "general", 0, ticket.created_at)  # pushed, its transaction not committed yet
    desk.queue.take(ticket.id)  # and a committed ticket Redis lost
    with desk_instance.db.session() as s:
        desk.reconcile(s)
    waiting = {t for _, t in desk.queue.waiting(["general"])}
    assert waiting == {ticket.id, 99999}  # the lost one is back; the unknown one is given time
    with desk_instance.db.session() as s:
        desk.reconcile(s)
    assert {t for _, t in desk.queue.waiting(["general"])} == {ticket.id}  # still unknown: a ghost


def test_a_customer_who_gets_angry_while_waiting_moves_up(api: TestClient, desk_instance: Instance) -> None:
    Chat(api, "w1").say("转人工")
    second = Chat(api, "w2")
    second.say("转人工")
    second.say("到底还要等多久！！！你们这什么垃圾服务！！！")
    first_ticket, second_ticket = tickets(desk_instance)
    assert "anger" in second_ticket.labels and second_ticket.priority > first_ticket.priority
    assert desk_instance.desk is not None
    assert next(t for _, t in desk_instance.desk.queue.waiting(["general"])) == second_ticket.id


def test_transfer_needs_an_online_colleague_and_a_ticket_is_rated_once(
    api: TestClient, desk_instance: Instance, two_agents: Any
) -> None:
    wang, _ = two_agents
    chat = Chat(api, "t1")
    chat.say("转人工")
    (ticket,) = tickets(desk_instance)
    api.post(f"/api/agent/tickets/{ticket.id}/claim", headers=wang)
    with desk_instance.db.session() as s:
        chen = s.scalars(select(Agent).where(Agent.username == "chen")).one()
        chen_id = chen.id
    offline = api.post(f"/api/agent/tickets/{ticket.id}/transfer", headers=wang, json={"agent_id": chen_id})
    assert offline.status_code == 409 and "offline" in offline.json()["detail"]
    api.post(f"/api/agent/tickets/{ticket.id}/resolve", headers=wang)
    chat.say(f'/csat{{"score":4,"ticket":{ticket.id}}}')
    chat.say(f'/csat{{"score":1,"ticket":{ticket.id}}}')
    with desk_instance.db.session() as s:
        assert s.get_one(Ticket, ticket.id).csat == 4
        assert [r.agent_id is not None for r in s.scalars(select(Rating).order_by(Rating.id))] == [True]


def test_agents_are_created_from_the_command_line(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    from core.config import Settings
    from core.db import Database
    from handoff.agents import check_password
    from triage.cli import main

    monkeypatch.setenv("TRIAGE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password\n"))
    assert main(["agent", "add", "wang", "--name", "王芳", "--skills", "tracking,general", "--password-stdin"]) == 0
    assert "/console" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("another-long-password\n"))
    assert main(["agent", "add", "editor", "--name", "小编", "--role", "kb_editor", "--password-stdin"]) == 0
    told = capsys.readouterr().out
    assert "/kb" in told and "/console" not in told  # an editor works on the knowledge-base page
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password\n"))
    assert main(["agent", "add", "wang", "--name", "王芳", "--password-stdin"]) == 2  # taken
    # No --password-stdin and no terminal to ask on (a script, CI): a clear message, not a traceback.
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["agent", "add", "li", "--name", "李", "--skills", "general"]) == 2
    assert "--password-stdin" in capsys.readouterr().err
    db = Database(Settings.from_env().database_url)
    with db.session() as s:
        agent = s.scalars(select(Agent).where(Agent.username == "wang")).one()
        assert agent.skills == ["tracking", "general"] and check_password("a-long-password", agent.password_hash)
        assert s.scalars(select(Agent).where(Agent.username == "editor")).one().role == "kb_editor"
    db.engine.dispose()


def test_asking_for_a_person_after_a_payment_question_goes_to_payments(
    api: TestClient, desk_instance: Instance
) -> None:
    chat = Chat(api, "pay")
    chat.say("货已经签收了，货款怎么还没到账")
    chat.say("算了，转人工")
    (ticket,) = tickets(desk_instance)
    assert ticket.reason == "human_request" and ticket.queue == "payments"


def test_a_new_ticket_is_offered_to_the_least_loaded_online_agent_of_its_queue(
    api: TestClient, desk_instance: Instance
) -> None:
    headers = {"wang": login(api, "wang"), "chen": login(api, "chen")}  # both online, both serve general
    with desk_instance.db.session() as s:
        name_of = {a.id: a.username for a in s.scalars(select(Agent))}
    Chat(api, "o1").say("转人工")
    (first,) = tickets(desk_instance)
    assert first.offered_to is not None
    taker = name_of[first.offered_to]
    assert api.post(f"/api/agent/tickets/{first.id}/claim", headers=headers[taker]).status_code == 200
    Chat(api, "o2").say("转人工")
    second = tickets(desk_instance)[1]
    assert second.offered_to is not None and name_of[second.offered_to] != taker  # the one with free seats
    queue = api.get("/api/agent/queue", headers=headers["wang"]).json()["waiting"]
    assert queue[0]["offered_to"] == second.offered_to


def test_auto_assignment_gives_the_chat_to_a_person_at_once(api: TestClient, desk_instance: Instance) -> None:
    from dataclasses import replace as dc_replace

    desk = desk_instance.desk
    assert desk is not None
    desk.desk = dc_replace(desk.desk, auto_assign=True)
    login(api, "wang")
    chat = Chat(api, "auto")
    chat.say("转人工")
    assert "王芳" in chat.text and chat.state()["state"] == "human"
    (ticket,) = tickets(desk_instance)
    assert ticket.status == "assigned"


def test_closed_on_public_holidays_when_the_desk_says_so(api: TestClient, desk_instance: Instance) -> None:
    from dataclasses import replace as dc_replace

    desk = desk_instance.desk
    assert desk is not None
    desk.desk = dc_replace(desk.desk, closed_on_holidays=True)
    desk.is_holiday = lambda day: True
    chat = Chat(api, "holiday")
    chat.say("转人工")
    assert "非工作时间" in chat.text
    assert tickets(desk_instance)[0].status == "offline"


def test_a_vip_gets_a_person_on_the_first_miss(api: TestClient, desk_instance: Instance) -> None:
    from merchant.models import Customer

    with desk_instance.db.session() as s:
        s.scalars(select(Customer).where(Customer.external_id == "C-ALICE")).one().tier = "vip"
    chat = Chat(api, "vip")
    chat.say(f"我的订单到哪了 {merchant.IN_TRANSIT}")
    chat.say("1234")
    chat.say("咕噜咕噜 巴拉巴拉")
    assert chat.handed_over and chat.state()["handoff_reason"] == "high_value"
    (ticket,) = tickets(desk_instance)
    assert "vip" in ticket.labels and ticket.context["customer"]["tier"] == "vip"


def test_asking_for_a_person_in_the_middle_of_a_remittance_lookup_goes_to_payments(
    api: TestClient, desk_instance: Instance
) -> None:
    chat = Chat(api, "pay2")
    chat.say("货已经签收了，货款怎么还没到账")
    chat.say(merchant.HELD)
    chat.say("2468")
    chat.say("太慢了，转人工")
    (ticket,) = tickets(desk_instance)
    assert ticket.queue == "payments"


def test_metrics_liveness_and_readiness(api: TestClient, desk_instance: Instance) -> None:
    Chat(api, "metrics").say("转人工")
    desk = desk_instance.desk
    assert desk is not None
    with desk_instance.db.session() as s:
        desk.sweep(s)
    body = api.get("/metrics").text
    assert 'triage_handoffs_total{reason="human_request"}' in body
    assert 'triage_queue_length{queue="general"} 1.0' in body
    assert "triage_reply_seconds_bucket" in body
    assert api.get("/livez").json() == {"status": "alive"}
    assert api.get("/readyz").status_code == 200


def test_an_absurd_ticket_id_is_a_clear_422_not_a_500(
    api: TestClient, desk_instance: Instance, two_agents: Any
) -> None:
    wang, _ = two_agents
    assert api.get("/api/agent/tickets/43348143229554011406336", headers=wang).status_code == 422
    assert api.post("/api/agent/tickets/0/claim", headers=wang).status_code == 422


def _waiting_tickets(instance: Instance, count: int, queue: str = "general") -> list[int]:
    """`count` tickets waiting in `queue`, in SQL and in the Redis queue, without a chat each."""
    from bot.store import Conversation

    desk = instance.desk
    assert desk is not None
    now = desk.now()
    with instance.db.session() as s:
        convs = [Conversation(sender_id=f"w{i}", channel="rest", slots={}, meta={}) for i in range(count)]
        s.add_all(convs)
        s.flush()
        rows = [
            Ticket(
                conversation_id=c.id,
                reason="human_request",
                queue=queue,
                created_at=now + timedelta(microseconds=i),
                first_response_due=now + timedelta(minutes=3),
            )
            for i, c in enumerate(convs)
        ]
        s.add_all(rows)
        s.flush()
        ids = [t.id for t in rows]
        for t in rows:
            desk.queue.push(t.id, queue, 0, t.created_at)
    return ids


def test_max_chats_holds_for_simultaneous_claims_through_two_instances_on_one_store(
    tmp_path: Any, desk_instance: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eight claims at once by an agent with two seats, from threads of two instances sharing the
    embedded store (each its own instance, so its own session turns): two chats, never more. The
    count of open chats is slowed down, so every claim has counted before the first commits
    unless the count is made inside the claim's write (an agent-row lock)."""
    import threading

    from core.db import Database
    from handoff import seats
    from handoff.errors import Conflict

    desk = desk_instance.desk
    assert desk is not None
    ids = _waiting_tickets(desk_instance, 8)
    with desk_instance.db.session() as s:
        me = s.scalars(select(Agent).where(Agent.username == "wang")).one()
        me.max_chats = 2
        s.flush()
        s.expunge(me)
    counted = seats.open_chats

    def slow_count(session: Any, agent_id: int) -> int:
        busy = counted(session, agent_id)
        time.sleep(0.3)
        return busy

    monkeypatch.setattr(seats, "open_chats", slow_count)
    instances = [desk_instance.db, Database(desk_instance.db.url)]
    start = threading.Barrier(len(ids))
    won: list[int] = []

    def click(i: int, ticket_id: int) -> None:
        start.wait()
        try:
            with instances[i % 2].session() as s:
                desk.claim(s, ticket_id, me)
        except Conflict:
            return
        won.append(ticket_id)

    threads = [threading.Thread(target=click, args=(i, t)) for i, t in enumerate(ids)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    instances[1].engine.dispose()
    assert len(won) == 2
    with desk_instance.db.session() as s:
        assert desk.open_chats(s, me.id) == 2
        waiting = s.scalars(select(Ticket.id).where(Ticket.status == "queued")).all()
    assert sorted(waiting) == sorted(set(ids) - set(won))
    assert sorted(t for _, t in desk.queue.waiting(["general"])) == sorted(waiting)  # the refused are back


def test_a_rating_sent_while_a_person_owns_the_chat_is_kept_and_the_bot_says_nothing(
    api: TestClient, desk_instance: Instance, two_agents: Any
) -> None:
    wang, _ = two_agents
    chat = Chat(api, "own")
    chat.say("转人工")
    (ticket,) = tickets(desk_instance)
    api.post(f"/api/agent/tickets/{ticket.id}/claim", headers=wang)
    payload = f'/csat{{"score":1,"ticket":{ticket.id}}}'
    chat.say(payload)
    assert chat.replies == []  # a person owns the chat: the bot says nothing, this included
    last = chat.state()["messages"][-1]
    assert (last["author"], last["text"]) == ("customer", payload)  # kept like any customer message
    with desk_instance.db.session() as s:
        assert s.scalars(select(Rating)).all() == []
        assert s.get_one(Ticket, ticket.id).csat is None


def test_each_survey_counts_its_first_rating_and_thanks_again_for_the_rest(
    api: TestClient, desk_instance: Instance, two_agents: Any
) -> None:
    wang, _ = two_agents
    chat = Chat(api, "rater")
    chat.say("转人工")
    (ticket,) = tickets(desk_instance)
    api.post(f"/api/agent/tickets/{ticket.id}/claim", headers=wang)
    api.post(f"/api/agent/tickets/{ticket.id}/resolve", headers=wang)
    chat.say(f'/csat{{"score":4,"ticket":{ticket.id}}}')
    assert chat.text == "感谢您的评价！"
    for score in (1, 2, 5, 3):
        chat.say(f'/csat{{"score":{score},"ticket":{ticket.id}}}')
        assert chat.text == "您已经评过分了，感谢！"
    chat.say("谢谢")  # the bot's own survey, once per conversation
    assert '/csat{"score":5}' in [b["payload"] for b in chat.buttons]
    for score in (2, 5, 5, 1, 3):
        chat.say(f'/csat{{"score":{score}}}')
    assert chat.text == "您已经评过分了，感谢！"
    with desk_instance.db.session() as s:
        rows = [(r.ticket_id, r.score) for r in s.scalars(select(Rating).order_by(Rating.id))]
        assert rows == [(ticket.id, 4), (None, 2)]
        assert s.get_one(Ticket, ticket.id).csat == 4


def _supervisor_ticket(api: TestClient, desk_instance: Instance, sender: str = "lawyer") -> Ticket:
    """A customer threatening a lawyer: a staff keyword sends them to the supervisors."""
    with desk_instance.db.session() as s:
        if s.scalars(select(EscalationKeyword).where(EscalationKeyword.keyword == "律师")).first() is None:
            s.add(EscalationKeyword(keyword="律师", queue="supervisor"))
    Chat(api, sender).say("我已经找了律师，你们看着办")
    ticket = tickets(desk_instance)[-1]
    assert ticket.queue == "supervisor"
    return ticket


def test_an_agent_cannot_see_or_touch_a_ticket_outside_their_queues(
    api: TestClient, desk_instance: Instance, two_agents: Any
) -> None:
    wang, _ = two_agents  # tracking and general
    ticket = _supervisor_ticket(api, desk_instance)
    base = f"/api/agent/tickets/{ticket.id}"
    missing = api.get("/api/agent/tickets/999", headers=wang)
    assert missing.status_code == 404
    hidden = api.get(base, headers=wang)
    assert hidden.status_code == 404 and hidden.json()["detail"] == f"no ticket {ticket.id}"  # as if it did not exist
    assert api.post(f"{base}/notes", headers=wang, json={"text": "偷看"}).status_code == 404
    assert api.post(f"{base}/claim", headers=wang).status_code == 404
    for action, body in (("reply", {"text": "x"}), ("transfer", {"queue": "general"}), ("resolve", None)):
        assert api.post(f"{base}/{action}", headers=wang, json=body).status_code == 404
    assert api.post(f"{base}/handback", headers=wang).status_code == 404
    assert ticket.id not in [t["id"] for t in api.get("/api/agent/queue", headers=wang).json()["waiting"]]
    assert (
        desk_instance.desk is not None and desk_instance.desk.queue.position(ticket.id, "supervisor") == 1
    )  # untouched
    with desk_instance.db.session() as s:
        kinds = s.scalars(select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket.id)).all()
    assert "note" not in kinds


def test_a_supervisor_sees_every_ticket_and_one_passed_on_stays_visible_to_who_had_it(
    api: TestClient, desk_instance: Instance, two_agents: Any
) -> None:
    wang, li = two_agents
    chen = login(api, "chen")
    ticket = _supervisor_ticket(api, desk_instance)
    base = f"/api/agent/tickets/{ticket.id}"
    assert ticket.id in [t["id"] for t in api.get("/api/agent/queue", headers=chen).json()["waiting"]]
    assert api.get(base, headers=chen).status_code == 200
    assert api.post(f"{base}/claim", headers=chen).status_code == 200
    with desk_instance.db.session() as s:
        wang_id = s.scalars(select(Agent.id).where(Agent.username == "wang")).one()
    assert api.post(f"{base}/transfer", headers=chen, json={"agent_id": wang_id}).status_code == 200
    assert api.get(base, headers=wang).status_code == 200  # passed to her: hers to work
    assert api.post(f"{base}/reply", headers=wang, json={"text": "您好，我来跟进"}).status_code == 200
    assert api.post(f"{base}/transfer", headers=wang, json={"queue": "supervisor"}).status_code == 200
    assert api.get(base, headers=wang).status_code == 200  # back with the supervisors: she still reads it
    assert api.post(f"{base}/notes", headers=wang, json={"text": "客户提到律师"}).status_code == 200
    assert api.get(base, headers=li).status_code == 404  # never his
    assert api.post(f"{base}/claim", headers=li).status_code == 404
    assert api.post(f"{base}/claim", headers=wang).status_code == 200  # hers before: hers to take back


def test_the_agent_socket_pushes_only_the_tickets_an_agent_may_see(
    api: TestClient, desk_instance: Instance, two_agents: Any
) -> None:
    import threading

    wang, _ = two_agents
    token = wang["Authorization"].removeprefix("Bearer ")
    seen: list[dict[str, Any]] = []
    with api.websocket_connect(f"/ws/agent?token={token}") as ws:
        assert ws.receive_json()["type"] == "hello"
        hidden = _supervisor_ticket(api, desk_instance)
        general = Chat(api, "plain")
        general.say("转人工")
        shown = tickets(desk_instance)[-1]
        general.say("还在吗")  # once the ticket is known, its customer's messages reach the console

        def read() -> None:
            while True:
                event = ws.receive_json()
                seen.append(event)
                if event.get("type") == "message" and event.get("conversation_id") == shown.conversation_id:
                    return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout=10)
        assert not reader.is_alive(), f"the general ticket's events never came: {seen}"
    assert any(e.get("type") == "ticket_queued" and e.get("ticket_id") == shown.id for e in seen)
    assert not [
        e for e in seen if e.get("ticket_id") == hidden.id or e.get("conversation_id") == hidden.conversation_id
    ]


def test_a_console_connecting_later_hears_the_customers_of_the_tickets_it_may_see(
    api: TestClient, desk_instance: Instance, two_agents: Any
) -> None:
    import threading

    wang, _ = two_agents
    chen = login(api, "chen")
    waiting = Chat(api, "waiting")
    waiting.say("转人工")  # general: hers to see
    passed = _supervisor_ticket(api, desk_instance, "passed")
    api.post(f"/api/agent/tickets/{passed.id}/claim", headers=chen)
    with desk_instance.db.session() as s:
        wang_id = s.scalars(select(Agent.id).where(Agent.username == "wang")).one()
    api.post(f"/api/agent/tickets/{passed.id}/transfer", headers=chen, json={"agent_id": wang_id})
    hidden = _supervisor_ticket(api, desk_instance, "hidden")
    conversations = {t.sender: t for t in (waiting, Chat(api, "passed"), Chat(api, "hidden"))}
    ids = {t.id: t.conversation_id for t in tickets(desk_instance)}
    token = wang["Authorization"].removeprefix("Bearer ")
    heard: list[str] = []
    with api.websocket_connect(f"/ws/agent?token={token}") as ws:
        assert ws.receive_json()["type"] == "hello"
        for sender in ("hidden", "passed", "waiting"):
            conversations[sender].say("还在吗")
        expected = {ids[passed.id], next(c for i, c in ids.items() if i not in (passed.id, hidden.id))}

        def read() -> None:
            while not expected <= set(heard):
                event = ws.receive_json()
                if event.get("type") == "message":
                    heard.append(event["conversation_id"])

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout=10)
        assert not reader.is_alive(), f"heard only {heard}"
    assert ids[hidden.id] not in heard


def test_ordinary_anger_keeps_its_topic_queue_and_a_threat_goes_to_a_supervisor() -> None:
    desk = load_desk()
    annoyed = route(desk, Case(reason="anger", topic="order_status", anger=0.95, text="等得我火大"))
    assert annoyed.queue == "tracking" and "anger" in annoyed.labels and "major_complaint" not in annoyed.labels
    threat = route(desk, Case(reason="human_request", topic="payment_arrival", major="press"))
    assert threat.queue == "supervisor" and "major_complaint" in threat.labels


def test_the_queue_follows_the_latest_subject_not_the_last_lookup() -> None:
    desk = load_desk()
    later = route(desk, Case(reason="human_request", topic="refund", last_action="action_order_status"))
    assert later.queue == "general"
    nothing_said = route(desk, Case(reason="human_request", topic="human_request", last_action="action_payment_status"))
    assert nothing_said.queue == "payments"


def test_a_threat_while_waiting_moves_the_ticket_to_a_supervisor_first_in_line(
    chat: Chat, desk_instance: Instance
) -> None:
    chat.say("我的货款怎么还没到账，转人工")
    (ticket,) = tickets(desk_instance)
    assert ticket.queue != "supervisor"
    before = ticket.priority
    chat.say("再不处理我就去12315投诉，还要找媒体曝光你们")
    (ticket,) = tickets(desk_instance)
    assert ticket.queue == "supervisor" and "major_complaint" in ticket.labels and ticket.priority > before
    assert not chat.handed_over or "前面" in chat.text or "下一位" in chat.text or "稍候" in chat.text


def test_a_threat_in_the_first_message_is_a_major_complaint(chat: Chat, desk_instance: Instance) -> None:
    chat.say("報俾傳媒！你哋搞到我啲貨唔見咗")
    assert chat.handed_over
    (ticket,) = tickets(desk_instance)
    assert ticket.queue == "supervisor" and "major_complaint" in ticket.labels
