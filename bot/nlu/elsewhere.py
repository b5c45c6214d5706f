"""Is the message about another business's own orders and services, or everyday life? Then it is
out of scope, however many words it shares with our topics.

"淘宝买的衣服怎么退货", "韵达的理赔怎么申请", "my Amazon package is late", "极兔的代收货款",
"社保卡丢了怎么办" all read like our refund, claim, tracking, COD and claim questions to a
matcher of words; what makes them someone else's is the business they name. The names are a
maintained list (`elsewhere.yaml`, staff edit it), used as an entity, with guards that keep
ours in scope:

- our brand, or one of our order numbers, in the message: ours;
- asking us to ship with another courier ("能发韵达吗", "can you ship with DHL"): ours (which
  couriers we use is an FAQ);
- paying us with a payment app ("能用花呗分期吗", "支付宝付了还显示待付款"): ours; the app's own
  account (冻结, 提额, 还款, 逾期 …): theirs;
- our own couriers are ours, except their services to the public (寄个快递, 上门取件, 网点);
- everyday life words count only in a message about no order, parcel or money of ours.
Pure: text in, the business it names out (or None).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache, lru_cache
from importlib import resources

import yaml

from core.text import normalize

# Something of ours the message is about: then another name in it is context, not the subject.
_PLACEHOLDERS = ("qnumq", "qorderq", "qphoneq", "qwaybillq")
_OUR_NUMBER = re.compile(r"\byx\s?\d{6,}|\byxe\d+|qorderq", re.I)
# Speaking to us: 你们, 你哋, 贵店, "your shop / your app", "you guys".
_ADDRESSES_US = re.compile(
    r"你们|你哋|你家|您们|贵店|贵司|贵公司|(?<![a-z])(?:your|ur)\s+(?:own\s+)?(?:shop|store|app|site|website|company|platform"
    r"|warehouse|customer\s+service|cs|staff|team|agents?|courier|delivery)(?![a-z])|(?<![a-z])(?:you|u)\s+guys(?![a-z])",
    re.I,
)
# Said outright: bought somewhere else.
_NOT_OURS = re.compile(
    r"不是(?:在)?(?:你们|你家|你们家|你们店|贵店)(?:这里|这边)?(?:买|下单|订|发)的|"
    r"(?:别的|别|其他|另一)(?:店|家|平台|商家|网站)(?:里|上)?(?:买|发|下单|订)的|"
    r"\bnot\s+(?:bought\s+|ordered\s+)?from\s+(?:you|your)|"
    r"\b(?:bought|ordered|purchased|order)\s+(?:it\s+)?(?:from|on|at)\s+(?:another|other|a\s+different)\s+(?:shop|store|seller|website|site|platform)",
    re.I,
)
# Asking us to use a courier: 能发韵达吗, 可以改成DHL吗, ship with/via fedex, do you use yunda.
_ASK_US_TO_USE = re.compile(
    r"(?:能|可以|可不可以|能不能|可否|是否|会不会|支持|有没有)(?:帮我|给我)?(?:发|用|走|换|改|寄|指定)(?:成|用)?\s*$"
    r"|(?:你们|你们家|贵店)(?:用|发|走|是)(?:的)?(?:哪家|什么)?\s*$"
    r"|\b(?:ship|send|deliver)\s+(?:it\s+|my\s+order\s+)?(?:with|via|by|through)\s+$"
    r"|\b(?:do|can|could)\s+you\s+(?:use|ship\s+with|send\s+with|deliver\s+with)\s+$",
    re.I,
)
# Us compared with them: 你们比京东差远了, "you guys are slower than amazon": about us.
_COMPARED_WITH_US = re.compile(
    r"(?:你们|你家|贵店).{0,12}(?:比|不如|还不如|差|贵|慢|快)|(?:比|不如|还不如)(?:你们|你家)|"
    r"\b(?:you|your\s+shop|you\s+guys)\b.{0,30}\b(?:than|worse|better|slower|faster|cheaper)\b",
    re.I,
)
# Asking which courier we use ("一般走哪个快递 中通还是韵达", "which courier do you use"): ours.
_WHICH_COURIER = re.compile(
    r"(?:哪个|哪家|什么|啥)(?:快递|物流|快运)|(?:走|发|用)(?:哪个|哪家|什么|啥)|"
    r"\b(?:which|what)\s+(?:courier|delivery\s+company|shipping\s+company|logistics)",
    re.I,
)
# A brand as the measure of the customer's size ("i'm usually M in uniqlo", "平时穿优衣库L码"): ours.
_SIZE_HABIT = re.compile(
    r"平时(?:都)?(?:穿|买)|一般(?:穿|买)\S{0,6}码|我(?:都)?穿\S{0,6}(?:码|[smlx]{1,3}\b)"
    r"|\b(?:usually|normally|always)\s+(?:wear\s+|take\s+|a\s+|an\s+|size\s+)*(?:xxs|xs|s|m|l|xl|xxl|xxxl|\d{1,2})\b"
    r"|\bi\s+(?:wear|take)\s+(?:a\s+|size\s+)?(?:xxs|xs|s|m|l|xl|xxl|xxxl|\d{1,2})\b",
    re.I,
)
# A pickup point's or locker's own charges: 驿站乱收费, 快递柜超时费 (theirs, not our shipping fee).
_PICKUP_FEE = re.compile(
    r"(?:驿站|快递柜|丰巢|代收点|取件点|自提点|locker|pick[- ]?up\s+point).{0,12}(?:收费|收钱|要钱|超时费|保管费|乱收|收了|收我|扣了|扣我|charge|fee)"
    r"|(?:收费|超时费|保管费).{0,8}(?:驿站|快递柜|丰巢)",
    re.I,
)
_APP_ACCOUNT = re.compile(
    r"转错|盗刷|被盗|扣了两次|扣两次|重复扣|冻结|解冻|封号|被封|解封|限制|限额|密码|挂失|提额|额度.{0,4}(?:提升|提高|增加|调高)|还款|逾期|征信|实名|注销|人脸|"
    r"借钱|借款|贷款|提现|利率|年化|账单日|登录不上|登不上|登入不到|解锁|锁了|增值失败|换绑|改绑|绑定的?手机|销户|开户|回馈金|返现|返利|储值|充值(?:失败|不了|没到|不到)|信用分|申诉|身份验证|"
    r"\b(?:frozen|blocked|unblock|suspended|locked|limit\s+increase|repay|overdue|credit\s+score|withdraw|loan|password"
    r"|hold|on\s+hold|held|not\s+working\s+at|charged\s+twice|double\s+charged|dispute|stolen|wrong\s+(?:person|account|number)|limited|unlock|reverse|cash\s*in|cashback|not\s+reflect\w*"
    r"|cannot\s+log\s*in|can'?t\s+log\s*in|login|top\s*up|reload|kyc)\b",
    re.I,
)
_PUBLIC_SERVICE = re.compile(
    r"寄.{0,10}(?:快递|包裹|东西|箱子|文件|私人|件)|寄件|自己寄|寄给朋友|上门取件|取件码|网点|自己的客服|私人|官方客服|"
    r"快递员(?:的)?电话|会员|积分|小程序|月结|自己(?:用|拿|去)?\S{0,4}寄|"
    r"\b(?:send|ship)\s+(?:a|my\s+own)\s+(?:parcel|package|box)|\bdrop[- ]off\s+point|\bpick[- ]?up\s+point",
    re.I,
)
_PAYING_US = re.compile(
    r"付款|支付失败|付不了|付钱|俾钱|回款|货款|收款|扣款|代收|\bpay(?:ment)?\s+failed|\bcheckout|\bremit\w*|\bcod\b|\bpayout",
    re.I,
)
_RETURNS = re.compile(r"退货|退回|寄回|换货|退款|return|refund|exchange", re.I)
_OUR_DEALINGS = re.compile(
    r"订单|那单|这单|快递|包裹|发货|收货|送货|寄到|退货|退款|货款|回款|运费|下单|买的|商品|签收|物流|单号|延迟|延误|"
    r"留一件|留着|再拍|拍下|这件|那件|尺码|衣服|鞋|发票|专票|开票|"
    r"\b(?:order|parcel|package|delivery|deliver|ship|shipping|refund|return|shipment|tracking|arrive|boots?|item)\b",
    re.I,
)


@cache
def _raw() -> dict[str, list[object]]:
    """elsewhere.yaml as written, read once for the name lists and the numbers."""
    return dict(yaml.safe_load((resources.files("bot") / "nlu" / "elsewhere.yaml").read_text(encoding="utf-8")))


@cache
def _lists() -> dict[str, tuple[str, ...]]:
    return {
        key: tuple(sorted(set(_names(names)), key=len, reverse=True))
        for key, names in _raw().items()
        if key != "numbers"
    }


@cache
def _numbers() -> re.Pattern[str]:
    """Businesses known by their number, matched whole in the text as typed."""
    numbers = [str(n) for n in _raw().get("numbers") or []]
    if any(not n.isdigit() for n in numbers):
        raise ValueError("elsewhere.yaml: `numbers` holds numbers only")
    # Not an amount: "10086块", "¥95588" are money.
    return re.compile(
        rf"(?<![\d¥￥$.])(?:{'|'.join(numbers) or '(?!)'})(?![\d.,])(?!\s*(?:块|元|蚊|刀|万|rmb|yuan|hkd|usd|dollars?))",
        re.I,
    )


def _names(names: Iterable[object]) -> Iterable[str]:
    """The names as the messages are matched: normalised. A name that normalising turns into a
    placeholder (a hotline such as 10086 becomes the number placeholder) would match every
    message with a long number in it, so it is refused."""
    for name in names:
        norm = normalize(str(name))
        if not norm:
            continue
        if any(p in norm for p in _PLACEHOLDERS):
            raise ValueError(f"elsewhere.yaml: {name!r} reads as a placeholder ({norm!r}); name the business instead")
        yield norm


def _pattern(names: Iterable[str]) -> re.Pattern[str]:
    # Latin names are whole words (ups, not "ups and downs" inside "groups"); CJK names anywhere.
    parts = [rf"(?<![a-z0-9]){re.escape(n)}(?![a-z0-9])" if n.isascii() else re.escape(n) for n in names]
    return re.compile("|".join(parts))


@cache
def _patterns() -> dict[str, re.Pattern[str]]:
    return {key: _pattern(names) for key, names in _lists().items()}


def names_us(text: str) -> bool:
    """The message names us: our brand, one of our order numbers, or "你们 / your shop / you guys"."""
    norm = normalize(text[:500])
    return bool(_patterns()["ours"].search(norm) or _OUR_NUMBER.search(norm) or _ADDRESSES_US.search(norm))


def elsewhere(text: str) -> str | None:
    """The other business (or everyday matter) the message is about, or None when it may be ours."""
    return _verdict(text[:500])


@lru_cache(maxsize=4096)
def _verdict(text: str) -> str | None:
    norm = normalize(text)
    if not norm:
        return None
    p = _patterns()
    if p["ours"].search(norm) or _OUR_NUMBER.search(norm):
        return None
    if m := _NOT_OURS.search(norm):
        return m.group()
    if m := _numbers().search(text):
        return m.group()
    if _COMPARED_WITH_US.search(norm) or _SIZE_HABIT.search(norm):
        return None
    if m := _PICKUP_FEE.search(norm):
        return m.group()
    if m := p["life_always"].search(norm):
        return m.group()
    for kind in ("platforms", "other_couriers", "services"):
        for m in p[kind].finditer(norm):
            if kind == "other_couriers" and (_ASK_US_TO_USE.search(norm[: m.start()]) or _WHICH_COURIER.search(norm)):
                continue
            return m.group()
    if (m := p["payment_apps"].search(norm)) and _APP_ACCOUNT.search(norm):
        if _RETURNS.search(norm) or _PAYING_US.search(norm):
            return None
        return m.group()
    if (m := p["our_couriers"].search(norm)) and _PUBLIC_SERVICE.search(norm) and not _RETURNS.search(norm):
        return m.group()
    if (m := p["life"].search(norm)) and not _OUR_DEALINGS.search(norm):
        return m.group()
    return None
