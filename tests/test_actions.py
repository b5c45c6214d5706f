"""Lookups over the merchant's data, as a customer meets them in the chat (clock: conftest.NOW)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.action_client import ActionUnavailable
from bot.identity import sign
from merchant.models import Claim
from tests import merchant
from tests.conftest import Chat
from triage.wiring import Instance


def test_order_status_asks_for_verification_then_tells_where_it_is(alice: Chat) -> None:
    alice.say(f"帮我查下订单 {merchant.IN_TRANSIT}")
    assert "后四位" in alice.text and "南京" not in alice.text
    alice.say("1234")
    assert "到达南京转运中心" in alice.text and "11月22日 09:30" in alice.text
    assert "预计" in alice.text and not alice.handed_over


def test_order_status_in_english(alice: Chat) -> None:
    alice.say(f"where is my order {merchant.IN_TRANSIT}")
    assert alice.in_english and "last four digits" in alice.text
    alice.say("1234")
    assert alice.in_english and "Arrived at Nanjing hub" in alice.text and "Expected" in alice.text


def test_order_question_without_a_number_asks_for_it(alice: Chat) -> None:
    alice.say("我的订单到哪了")
    assert "订单号" in alice.text
    assert alice.state()["slots"]["requested_slot"] == "order_id"
    alice.say(merchant.IN_TRANSIT)
    assert "后四位" in alice.text
    alice.say("1234")
    assert "南京" in alice.text


def test_a_waybill_number_finds_the_order(alice: Chat) -> None:
    alice.say(f"查一下快递 {merchant.WAYBILL_IN_TRANSIT}")
    alice.say("1234")
    assert merchant.IN_TRANSIT in alice.text and "南京" in alice.text


def test_verified_customer_is_not_asked_again_for_their_own_orders(alice: Chat) -> None:
    alice.say(f"我的订单到哪了 {merchant.IN_TRANSIT}")
    alice.say("1234")
    alice.say(f"那这个订单呢 {merchant.STUCK}")
    assert "后四位" not in alice.text and "郑州" in alice.text


def test_another_customers_order_is_never_revealed(alice: Chat) -> None:
    alice.say(f"我的订单到哪了 {merchant.IN_TRANSIT}")
    alice.say("1234")  # Alice is verified for her own orders only
    alice.say(f"再查一下 {merchant.BOBS_ORDER}")
    assert "后四位" in alice.text and "上海" not in alice.text
    alice.say("1234")
    assert "不匹配" in alice.text and "上海" not in alice.text
    alice.say("9999")
    assert alice.handed_over and "上海" not in alice.text
    assert alice.state()["handoff_reason"] == "verification_failed"


def test_unknown_order_number_twice_hands_over(alice: Chat) -> None:
    alice.say("我的订单到哪了 YX20990101000000")
    assert "没有查到" in alice.text and not alice.handed_over
    alice.say("YX20990101000001")
    assert alice.handed_over
    assert alice.state()["handoff_reason"] == "order_not_found"


def test_two_invalid_order_numbers_hand_over(alice: Chat) -> None:
    alice.say("我的订单到哪了")
    alice.say("123")
    assert "YX" in alice.text and not alice.handed_over
    alice.say("不记得了 abc")
    assert alice.handed_over
    assert alice.state()["handoff_reason"] == "slot_failed"


def test_customer_may_change_the_subject_instead_of_giving_the_number(alice: Chat) -> None:
    alice.say("我的订单到哪了")
    alice.say("运费多少钱")
    assert alice.replies[0]["custom"]["topic"] == "shipping_fee"
    assert "requested_slot" not in alice.state()["slots"]


def test_stuck_parcel_is_told_honestly_and_goes_to_a_person(alice: Chat) -> None:
    alice.say(f"物流好几天没动了 {merchant.STUCK}")
    alice.say("1234")
    assert "4 天" in alice.text and "郑州" in alice.text
    assert alice.handed_over and alice.state()["handoff_reason"] == "tracking_stuck"


def test_held_remittance_says_why_and_what_to_do(shipper: Chat) -> None:
    shipper.say("货已经签收了，货款怎么还没到账")
    assert "订单号" in shipper.text
    shipper.say(merchant.HELD)
    shipper.say("2468")
    text = shipper.text
    assert "挂账" in text and "王小美" in text and "杭州小美服饰有限公司" in text
    assert "收款账户" in text and "¥368" in text


def test_held_remittance_in_english(shipper: Chat) -> None:
    shipper.say(f"the parcel was signed for, why hasn't my COD money arrived? {merchant.HELD}")
    shipper.say("my phone ends in 2468")
    assert shipper.in_english is False  # names stay as registered, in Chinese
    assert "on hold" in shipper.text and "Payout Account" in shipper.text


def test_remittance_delayed_by_a_holiday_names_it(shipper: Chat) -> None:
    shipper.say(f"查下这单的货款 {merchant.HOLIDAY}")
    shipper.say("2468")
    assert "10月9日" in shipper.text and "国庆节" in shipper.text and "¥364.32" in shipper.text


def test_pending_remittance_gives_the_t_plus_3_date(shipper: Chat) -> None:
    shipper.say(f"回款什么时候到 {merchant.PENDING}")
    shipper.say("2468")
    assert "11月25日" in shipper.text and "T+3" in shipper.text


def test_stock_in_english_gives_the_real_figure(alice: Chat) -> None:
    alice.say("is the black hoodie in size M in stock")
    assert alice.in_english and "23" in alice.text and "¥199" in alice.text


def test_out_of_stock_size_gives_the_restock_date(alice: Chat) -> None:
    alice.say("黑色卫衣L码有货吗")
    assert "缺货" in alice.text and "12月1日" in alice.text


def test_stock_without_a_product_asks_which(alice: Chat) -> None:
    alice.say("有货吗")
    assert "哪件商品" in alice.text
    alice.say("白色卫衣")
    assert "3" in alice.text and "连帽卫衣" in alice.text


def test_a_new_question_while_asked_which_product_is_answered_not_taken_for_a_product(alice: Chat) -> None:
    alice.say("有货吗")
    assert "哪件商品" in alice.text
    alice.say("退款多久能到账")
    assert "退款" in alice.text and "这件商品" not in alice.text and not alice.handed_over
    alice.say("有货吗")  # the stock question starts again from the top, and still takes a product
    alice.say("白色卫衣")
    assert "连帽卫衣" in alice.text


def test_refund_status_says_where_the_money_goes_and_when(alice: Chat) -> None:
    alice.say(f"我的退款到哪了 {merchant.REFUNDING}")
    alice.say("1234")
    assert "支付宝" in alice.text and "11月24日 15:00" in alice.text


def test_damage_claim_asks_which_item_records_it_and_hands_over(alice: Chat, shop: Instance) -> None:
    alice.say(f"收到的东西摔坏了 {merchant.DAMAGED}")
    alice.say("1234")
    assert "哪件商品" in alice.text and len(alice.buttons) == 2
    alice.say(alice.buttons[0]["payload"])
    assert "理赔单" in alice.text and "照片" in alice.text
    assert alice.handed_over and alice.state()["handoff_reason"] == "claim"
    with shop.db.session() as s:
        claim = s.scalars(select(Claim).where(Claim.conversation_sender == "alice")).one()
    assert claim.kind == "damage" and claim.item == "陶瓷马克杯" and claim.status == "awaiting_photos"
    assert alice.state()["slots"]["lookup"]["claim"]["claim_no"] == claim.claim_no


def test_a_claim_whose_item_is_not_named_is_opened_on_the_whole_order_without_asking_twice(
    alice: Chat, shop: Instance
) -> None:
    alice.say(f"收到的东西摔坏了 {merchant.DAMAGED}")
    alice.say("1234")
    alice.say("外箱和坏的那个都拍照了，现在怎么办")
    assert "理赔单" in alice.text and "整单" in alice.text
    assert alice.handed_over and alice.state()["handoff_reason"] == "claim"
    with shop.db.session() as s:
        claim = s.scalars(select(Claim).where(Claim.conversation_sender == "alice")).one()
    assert claim.item is None


@pytest.mark.parametrize(
    ("first", "answer", "expect"),
    [
        ("我的订单到哪了", f"杯子摔坏了 {merchant.DAMAGED}", "理赔单"),
        ("where is my parcel", f"{merchant.DAMAGED} arrived but the mug is cracked", "claim"),
        ("帮我查下快递", f"{merchant.REFUNDING} 的退款到哪了", "支付宝"),
    ],
)
def test_a_number_given_with_words_for_another_lookup_runs_that_lookup(
    alice: Chat, first: str, answer: str, expect: str
) -> None:
    alice.say(first)
    alice.say(answer)
    alice.say("1234")
    assert expect in alice.text


@pytest.mark.parametrize("identity_secret", ["s3cret-for-tests"])
def test_channel_verified_identity_skips_the_question(client: TestClient, shop: Instance) -> None:
    body = {
        "sender": "app-user",
        "message": "我的订单到哪了",
        "metadata": {
            "customer": {"phone": merchant.ALICE_PHONE, "signature": sign(merchant.ALICE_PHONE, "s3cret-for-tests")}
        },
    }
    replies = client.post("/webhooks/rest/webhook", json=body).json()
    assert merchant.IN_TRANSIT in str(replies)  # her recent orders, offered as buttons
    replies = client.post("/webhooks/rest/webhook", json={"sender": "app-user", "message": merchant.IN_TRANSIT}).json()
    assert "南京" in replies[0]["text"]


@pytest.mark.parametrize("identity_secret", ["s3cret-for-tests"])
def test_a_forged_identity_is_ignored(client: TestClient, shop: Instance) -> None:
    body = {
        "sender": "forger",
        "message": f"我的订单到哪了 {merchant.BOBS_ORDER}",
        "metadata": {"customer": {"phone": merchant.BOB_PHONE, "signature": "0" * 64}},
    }
    replies = client.post("/webhooks/rest/webhook", json=body).json()
    assert "后四位" in replies[0]["text"] and "上海" not in replies[0]["text"]


class Down:
    """An action server that cannot be reached."""

    def run(self, call: dict) -> dict:
        raise ActionUnavailable("connection refused")

    def close(self) -> None: ...


@pytest.mark.parametrize("action_runner", [Down()])
def test_lookup_failure_gives_the_general_answer_and_a_person(alice: Chat, shop: Instance) -> None:
    alice.say("货已经签收了，货款怎么还没到账")
    assert "T+3" in alice.replies[0]["text"]  # the FAQ's general answer
    assert alice.handed_over and alice.state()["handoff_reason"] == "lookup_unavailable"


def test_a_bare_follow_up_number_gets_the_same_lookup_again(shipper: Chat) -> None:
    shipper.say(f"查下这单的货款 {merchant.HOLIDAY}")
    shipper.say("2468")
    shipper.say(f"那这一单呢 {merchant.PENDING}")
    assert "11月25日" in shipper.text and "T+3" in shipper.text


def test_when_will_my_order_ship_with_a_number_looks_the_order_up(alice: Chat) -> None:
    alice.say(f"{merchant.IN_TRANSIT} 什么时候能到")
    assert "后四位" in alice.text
    alice.say("1234")
    assert "南京" in alice.text


def test_a_new_question_after_a_lookup_asks_which_order_instead_of_reusing_the_last(alice: Chat) -> None:
    """Tracking one order, then a COD-money question of its own: about another parcel until said."""
    alice.say(f"帮我查下订单 {merchant.IN_TRANSIT}")
    alice.say("1234")
    assert "南京" in alice.text
    alice.say("货已经签收了，货款怎么还没到账")
    assert alice.state()["slots"]["requested_slot"] == "order_id", alice.text
    assert "付款成功" not in alice.text


def test_a_short_follow_up_carries_on_with_the_same_order(alice: Chat) -> None:
    alice.say(f"我的退款到哪了 {merchant.REFUNDING}")
    alice.say("1234")
    alice.say("那这单现在物流到哪了")
    assert alice.state()["slots"].get("requested_slot") != "order_id", alice.text


def test_the_last_four_digits_given_with_the_number_verify_at_once(alice: Chat) -> None:
    alice.say(f"帮我查下订单 {merchant.IN_TRANSIT} 手机尾号1234")
    assert "到达南京转运中心" in alice.text and "后四位" not in alice.text


def test_wrong_digits_given_with_the_number_are_not_enough(alice: Chat) -> None:
    alice.say(f"where is {merchant.IN_TRANSIT}, last 4 digits 9999")
    assert "Nanjing" not in alice.text


def test_a_stock_summary_names_each_colour_once_with_its_sizes(alice: Chat) -> None:
    alice.say("连帽卫衣有货吗")
    in_stock = alice.text.split("缺货")[0]
    assert "有货 黑色 M码 23 件；白色 M码 3 件" in in_stock  # each colour once, its sizes and counts after it
