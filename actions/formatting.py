"""Dates, times and money as customers read them, in Chinese or English, on a phone screen."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from merchant.store import local

_WEEKDAYS_ZH = "一二三四五六日"
_METHODS = {
    "wechat": ("微信", "WeChat Pay"),
    "alipay": ("支付宝", "Alipay"),
    "card": ("银行卡", "your bank card"),
    "huabei": ("花呗", "Huabei"),
    "cod": ("货到付款", "cash on delivery"),
    "bank_transfer": ("对公账户", "bank transfer"),
    "bank_account": ("您提供的银行账户", "the bank account you gave"),
}
_CARRIERS = {"ZTO": ("中通", "ZTO"), "SF": ("顺丰", "SF Express"), "YTO": ("圆通", "YTO"), "JD": ("京东", "JD")}


def day(d: date, lang: str, *, weekday: bool = False) -> str:
    if lang == "zh":
        text = f"{d.month}月{d.day}日"
        return f"{text}（周{_WEEKDAYS_ZH[d.weekday()]}）" if weekday else text
    text = d.strftime("%b %-d")
    return f"{d.strftime('%a')} {text}" if weekday else text


def moment(t: datetime, lang: str) -> str:
    t = local(t)
    return f"{day(t.date(), lang)} {t:%H:%M}"


def money(amount: Decimal | float) -> str:
    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{value:,.2f}".removesuffix(".00")


def method(name: str, lang: str) -> str:
    zh, en = _METHODS.get(name, (name, name))
    return zh if lang == "zh" else en


def carrier(code: str, lang: str) -> str:
    zh, en = _CARRIERS.get(code.upper(), ("优选速运", "YX Express") if code.upper() == "YX" else (code, code))
    return zh if lang == "zh" else en


def listing(items: list[str], lang: str) -> str:
    return "、".join(items) if lang == "zh" else ", ".join(items)
