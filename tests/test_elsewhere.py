"""Other businesses' own orders and services, and everyday life, are out of scope: ours stay in."""

from __future__ import annotations

import pytest

from bot.nlu.elsewhere import _names, elsewhere
from tests.conftest import Chat

THEIRS = [
    "我在淘宝买的衣服怎么退货",
    "京东白条额度怎么提高",
    "韵达的理赔怎么申请",
    "极兔的代收货款什么时候到账",
    "快手物流怎么查",
    "my Amazon package says delivered but it's not here",
    "how do I change the address on my shopee order",
    "香港郵政的包裹怎麼查",
    "支付宝账号被冻结了怎么解冻",
    "顺丰寄一个10公斤的箱子到北京多少钱",
    "中通的网点电话多少 我要寄个件",
    "不是在你们家买的 是别的店发的中通 能帮我查吗",
    "社保卡丢了怎么补办",
    "物业停水了去哪投诉",
    "my visa application got rejected what do i do",
]
OURS = [
    "YX20261121000001 到哪了",
    "能发韵达吗",
    "can you ship with DHL instead",
    "能用花呗分期吗",
    "支付宝已经付了钱 订单状态还是待付款",
    "花呗付的 refund 成功了 额度怎么还没恢复",
    "付款一直失败 提示银行卡超限额",
    "退货寄回用顺丰可以吗",
    "你们比京东慢多了",
    "台风天广东这边是不是都要延迟几天",
    "能帮我留一件吗 我发工资了就买",
    "下周要去上海出差，昨天下的那单能不能直接寄到酒店",
    "优选速运的代收货款什么时候到",
]


# Money apps' own transfers, subscriptions, pickup points' own fees, tax and insurance: not ours.
THEIRS += [
    "转数快转错账户了怎么追回",
    "spotify 又扣费了怎么退订",
    "菜鸟驿站的保管费怎么收的",
    "my revolut card got charged twice",
    "房东不退押金怎么办",
    "交个税在哪个app上弄",
    "哪家保险公司的意外险便宜",
]
# ...while paying us by card or transfer, our invoices (VAT included) and parcels at a pickup point stay ours.
OURS += ["可以用信用卡付款吗", "能开增值税专用发票吗", "快递放驿站了我找不到", "can i pay by bank transfer"]
# Tickets, parks, coffee chains, tolls, school, clinics, the app's own phone binding, our own
# couriers' business accounts and a parcel one sends oneself: theirs.
THEIRS += [
    "高铁票退票手续费怎么算",
    "海洋公园年卡有冇生日优惠",
    "瑞幸的优惠券过期了还能用吗",
    "过路费被多扣了一次找谁",
    "the school fee invoice has the wrong name",
    "can the clinic refund my consultation deposit",
    "微信支付怎么换绑手机号",
    "12306买的票怎么退",
    "打了10086也没人解决",
    "农业银行的对公账户怎么销户",
    "GrabPay cash in not reflecting yet",
    "公司营业执照年报在哪里填报",
    "顺丰月结客户的对账单在哪看",
    "我自己拿中通寄了点特产回老家 怎么还没到",
]
# Asking which courier we use, a brand as the measure of one's size, holding an item till payday,
# and a travel site's name that is also an everyday phrase: ours.
OURS += [
    "你们发什么快递 申通还是圆通",
    "which courier do you use, J&T or ninja van?",
    "平时穿优衣库L码 你们家的外套我该拍哪个码",
    "i normally wear 38 in zara, which size for your boots",
    "那件红的帮我留着 下个月发工资再拍",
    "发票去哪儿能下载",
    "my cod payout is on hold, the bank says the account name is wrong",
]
# A bank's own channels and products, and government services in every market we sell to: theirs.
THEIRS += [
    "手机银行登录不上 提示证书过期",
    "网银U盾插上没反应",
    "ATM吞卡了怎么办",
    "my online banking token expired, how to reset",
    "港澳通行证续签要带什么",
    "换身份证要多久能拿",
    "打12333问社保转移 一直占线",
    "how to pay road tax online",
    "CPF statement not updated this month",
    "入境處預約換證 改唔到時間",
]
# Wallets' own top-ups, scores and identity checks, and India's everyday apps: theirs.
THEIRS += [
    "街口支付儲值失敗怎麼辦",
    "支付宝芝麻分突然降了 怎么申诉",
    "my Zomato refund not credited",
    "paytm wallet kyc still pending",
]
OURS += ["可以用paytm付款吗"]
# ...while our own payment and account questions with a bank's words stay ours.
OURS += ["银行卡付款失败怎么办", "转账给你们之后多久确认", "my bank card payment failed at checkout"]


@pytest.mark.parametrize("text", THEIRS)
def test_another_business_or_everyday_life_is_named(text: str) -> None:
    assert elsewhere(text) is not None


@pytest.mark.parametrize("text", OURS)
def test_our_own_business_is_not_taken_for_another(text: str) -> None:
    assert elsewhere(text) is None


@pytest.mark.parametrize("text", ["我在淘宝买的衣服怎么退货", "韵达的理赔怎么申请", "社保卡丢了怎么补办"])
def test_the_bot_says_it_cannot_help_instead_of_answering_with_our_faq(chat: Chat, text: str) -> None:
    chat.say(text)
    state = chat.state()
    assert state["messages"][0]["topic"] == "out_of_scope", state["messages"][0]
    assert not chat.handed_over


def test_a_threat_to_post_it_on_another_platform_is_about_us(nlu) -> None:  # type: ignore[no-untyped-def]
    assert nlu.parse("再不退款我就发抖音曝光你们").topic != "out_of_scope"


def test_a_long_number_in_a_message_names_no_business() -> None:
    # A hotline in the lists (12306) once normalised to the number placeholder and so matched
    # every message with five digits or more: amounts, a regulator's number, a waybill.
    amounts = ["等了15天 10000块的货款还没到", "货款10086元怎么少了", "COD total was 95588.00 and remittance is short"]
    for text in ["if this is not solved today I'm going straight to 12315", *amounts]:
        assert elsewhere(text) is None, text
    with pytest.raises(ValueError, match="placeholder"):
        list(_names(["10086"]))
