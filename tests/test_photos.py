"""Photos in a conversation: what the bot does with one, and the claim that records them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.engine import Attachment, InboundMessage, OutboundMessage
from bot.store import find, transcript
from merchant.models import Claim
from tests import merchant
from tests.conftest import Chat
from triage.wiring import Instance

PHOTO = Attachment("photo-1", "image/jpeg", "box.jpg")


def send_photo(shop: Instance, sender: str, *photos: Attachment, text: str = "") -> list[OutboundMessage]:
    return shop.engine.handle(InboundMessage(sender, text, "rest", attachments=photos or (PHOTO,)))


def claim_of(shop: Instance, sender: str) -> Claim:
    with shop.db.session() as s:
        claim = s.scalars(select(Claim).where(Claim.conversation_sender == sender)).one()
        s.expunge(claim)
        return claim


def test_a_photo_without_words_is_kept_and_the_bot_asks_what_it_shows(alice: Chat, shop: Instance) -> None:
    replies = send_photo(shop, "alice")
    assert "照片" in replies[0].text
    titles = [b["title"] for b in replies[0].buttons or []]
    assert "转人工" in titles and len(titles) == 3  # damage, missing or wrong, a person
    state = alice.state()
    assert state["slots"]["photos"] == ["photo-1"]
    customer = [m for m in state["messages"] if m["direction"] == "in"]
    assert customer[-1]["custom"]["attachments"][0]["media_id"] == "photo-1"


def test_photos_sent_before_the_claim_are_recorded_with_it(alice: Chat, shop: Instance) -> None:
    send_photo(shop, "alice", Attachment("box", "image/jpeg"), Attachment("mug", "image/png"))
    alice.say(f"杯子摔坏了 {merchant.DAMAGED}")
    alice.say("1234")
    assert "2 张照片" in alice.text and alice.handed_over
    claim = claim_of(shop, "alice")
    assert claim.photos == ["box", "mug"] and claim.status == "under_review"
    assert claim.item == "陶瓷马克杯"  # 杯子: what customers call the mug (its product's aliases)


def test_a_photo_answering_which_item_opens_the_claim_on_the_whole_order(alice: Chat, shop: Instance) -> None:
    alice.say(f"收到的东西摔坏了 {merchant.DAMAGED}")
    alice.say("1234")
    assert "哪件商品" in alice.text
    replies = send_photo(shop, "alice")
    assert any("整单" in r.text for r in replies)
    claim = claim_of(shop, "alice")
    assert claim.item is None and claim.photos == ["photo-1"]


def test_photos_sent_after_the_claim_was_opened_are_attached_to_it(alice: Chat, shop: Instance) -> None:
    alice.say(f"收到的东西摔坏了 {merchant.DAMAGED}")
    alice.say("1234")
    alice.say(alice.buttons[0]["payload"])
    assert claim_of(shop, "alice").status == "awaiting_photos"
    replies = send_photo(shop, "alice", Attachment("a", "image/jpeg"), Attachment("b", "image/jpeg"))
    assert "2 张照片" in replies[0].text and "理赔单" in replies[0].text
    claim = claim_of(shop, "alice")
    assert claim.photos == ["a", "b"] and claim.status == "under_review"
    send_photo(shop, "alice", Attachment("c", "image/jpeg"))
    assert claim_of(shop, "alice").photos == ["a", "b", "c"]


def test_a_photo_while_waiting_for_a_person_is_acknowledged_and_kept(alice: Chat, shop: Instance) -> None:
    alice.say("转人工")
    replies = send_photo(shop, "alice")
    assert "客服接入后" in replies[0].text
    assert alice.state()["slots"]["photos"] == ["photo-1"]


def test_a_photo_while_a_person_owns_the_chat_gets_no_bot_reply(shop: Instance) -> None:
    shop.engine.handle(InboundMessage("bob", "转人工"))
    with shop.db.session() as s:
        conv = find(s, sender_id="bob")
        assert conv is not None
        conv.state = "human"
    assert send_photo(shop, "bob") == []
    with shop.db.session() as s:
        conv = find(s, sender_id="bob")
        assert conv is not None
        last: Any = transcript(s, conversation_id=conv.id)[-1]
        assert last.direction == "in" and last.custom["attachments"][0]["media_id"] == "photo-1"


def test_a_photo_with_words_is_read_by_its_words(alice: Chat, shop: Instance) -> None:
    replies = send_photo(shop, "alice", text="下单后多久发货")
    assert "发货" in replies[0].text
    assert alice.state()["slots"]["photos"] == ["photo-1"]


def test_an_english_customer_is_asked_in_english(shop: Instance) -> None:
    shop.engine.handle(InboundMessage("eve", "hello, how long does shipping take?"))
    replies = send_photo(shop, "eve")
    assert "photo" in replies[0].text and "Talk to a person" in [b["title"] for b in replies[0].buttons or []]
