"""The demo merchant's fixed world: its catalogue, the places it ships to, the people in it.

The catalogue is data (`merchant/demo/catalogue.yaml`). People and addresses are derived from
a number by arithmetic, so customer 4711 always has the same name, phone and address, and a
million customers cost no memory. The transit-time groups come from the merchant's rules
(`merchant/merchant.yaml`), so the demo's delivery times agree with what the bot promises.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from importlib import resources
from random import Random
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from merchant import profile

SHANGHAI = ZoneInfo("Asia/Shanghai")
_M64 = (1 << 64) - 1


def mix(*parts: int) -> int:
    """A well-spread 64-bit hash of some integers (splitmix64), stable across runs and machines."""
    x = 0x9E3779B97F4A7C15
    for part in parts:
        x = (x ^ (part & _M64)) * 0xBF58476D1CE4E5B9 & _M64
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB & _M64
        x ^= x >> 31
    return x


def cents(yuan: Decimal | int | str) -> int:
    return int(Decimal(yuan) * 100)


def money(amount_cents: int) -> Decimal:
    return Decimal(amount_cents).scaleb(-2)


@dataclass(frozen=True)
class Place:
    province: str
    city: str
    city_en: str
    districts: tuple[str, ...]
    weight: int  # how many of the merchant's customers live there, relatively
    via: str | None = None  # the hub a long-haul route to a remote city passes through

    @property
    def hub(self) -> str:
        return f"{self.city.removesuffix('市')}转运中心"

    @property
    def hub_en(self) -> str:
        return f"the {self.city_en} hub"


PLACES: tuple[Place, ...] = (
    Place("浙江省", "杭州市", "Hangzhou", ("西湖区", "余杭区", "滨江区", "拱墅区"), 9),
    Place("浙江省", "宁波市", "Ningbo", ("鄞州区", "海曙区"), 4),
    Place("浙江省", "温州市", "Wenzhou", ("鹿城区", "瓯海区"), 3),
    Place("浙江省", "金华市", "Jinhua", ("婺城区", "义乌市"), 3),
    Place("江苏省", "南京市", "Nanjing", ("鼓楼区", "建邺区", "江宁区"), 5),
    Place("江苏省", "苏州市", "Suzhou", ("姑苏区", "工业园区", "吴中区"), 5),
    Place("江苏省", "无锡市", "Wuxi", ("梁溪区", "滨湖区"), 3),
    Place("上海市", "上海市", "Shanghai", ("浦东新区", "徐汇区", "静安区", "闵行区"), 9),
    Place("北京市", "北京市", "Beijing", ("朝阳区", "海淀区", "丰台区", "东城区"), 8),
    Place("天津市", "天津市", "Tianjin", ("和平区", "南开区"), 3),
    Place("广东省", "广州市", "Guangzhou", ("天河区", "越秀区", "白云区", "番禺区"), 7),
    Place("广东省", "深圳市", "Shenzhen", ("南山区", "福田区", "宝安区", "龙岗区"), 7),
    Place("广东省", "东莞市", "Dongguan", ("南城街道", "长安镇"), 3),
    Place("广东省", "佛山市", "Foshan", ("禅城区", "顺德区"), 3),
    Place("福建省", "福州市", "Fuzhou", ("鼓楼区", "仓山区"), 3),
    Place("福建省", "厦门市", "Xiamen", ("思明区", "湖里区"), 3),
    Place("福建省", "泉州市", "Quanzhou", ("丰泽区", "晋江市"), 2),
    Place("山东省", "济南市", "Jinan", ("历下区", "市中区"), 3),
    Place("山东省", "青岛市", "Qingdao", ("市南区", "崂山区"), 4),
    Place("河南省", "郑州市", "Zhengzhou", ("金水区", "二七区"), 4),
    Place("湖北省", "武汉市", "Wuhan", ("武昌区", "江汉区", "洪山区"), 5),
    Place("湖南省", "长沙市", "Changsha", ("岳麓区", "开福区"), 4),
    Place("四川省", "成都市", "Chengdu", ("武侯区", "锦江区", "高新区"), 6),
    Place("重庆市", "重庆市", "Chongqing", ("渝中区", "江北区", "沙坪坝区"), 5),
    Place("陕西省", "西安市", "Xi'an", ("雁塔区", "碑林区"), 4),
    Place("安徽省", "合肥市", "Hefei", ("蜀山区", "包河区"), 3),
    Place("江西省", "南昌市", "Nanchang", ("东湖区", "红谷滩区"), 2),
    Place("河北省", "石家庄市", "Shijiazhuang", ("长安区", "裕华区"), 2),
    Place("辽宁省", "沈阳市", "Shenyang", ("和平区", "浑南区"), 2),
    Place("辽宁省", "大连市", "Dalian", ("中山区", "甘井子区"), 2),
    Place("黑龙江省", "哈尔滨市", "Harbin", ("南岗区", "道里区"), 2),
    Place("吉林省", "长春市", "Changchun", ("朝阳区", "南关区"), 1),
    Place("山西省", "太原市", "Taiyuan", ("小店区", "迎泽区"), 1),
    Place("云南省", "昆明市", "Kunming", ("五华区", "盘龙区"), 2),
    Place("贵州省", "贵阳市", "Guiyang", ("云岩区", "观山湖区"), 1),
    Place("广西壮族自治区", "南宁市", "Nanning", ("青秀区", "西乡塘区"), 2),
    Place("海南省", "海口市", "Haikou", ("龙华区", "美兰区"), 1),
    Place("甘肃省", "兰州市", "Lanzhou", ("城关区", "七里河区"), 1),
    Place("宁夏回族自治区", "银川市", "Yinchuan", ("兴庆区", "金凤区"), 1),
    Place("新疆维吾尔自治区", "乌鲁木齐市", "Urumqi", ("天山区", "沙依巴克区"), 1, via="兰州市"),
    Place("西藏自治区", "拉萨市", "Lhasa", ("城关区", "堆龙德庆区"), 1, via="成都市"),
    Place("青海省", "西宁市", "Xining", ("城西区", "城中区"), 1, via="兰州市"),
    Place("内蒙古自治区", "呼和浩特市", "Hohhot", ("新城区", "赛罕区"), 1, via="北京市"),
)
BY_CITY = {p.city: p for p in PLACES}
WAREHOUSE = BY_CITY["杭州市"]  # the shop ships everything from Hangzhou
# Where the small sellers who ship through YX Express sit.
SHIPPER_CITIES = tuple(
    BY_CITY[c] for c in ("金华市", "广州市", "杭州市", "泉州市", "深圳市", "苏州市", "温州市", "东莞市")
)
_PLACE_POOL = tuple(p for p in PLACES for _ in range(p.weight))

# fmt: off
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆"
GIVEN_NAMES = (
    "子涵", "欣怡", "梓涵", "晨曦", "浩然", "宇轩", "俊杰", "思远", "雨桐", "佳怡", "志强", "建华", "秀英", "丽娟", "海燕", "晓东", "文博", "一鸣", "诗琪", "梦瑶",
    "嘉怡", "晓雯", "婷婷", "静怡", "明轩", "子豪", "浩宇", "欣然", "雅婷", "国强", "春梅", "玉兰", "建国", "立伟", "晓峰", "雪梅", "志刚", "慧敏", "丽华", "佳琪",
    "伟", "芳", "娜", "敏", "静", "磊", "军", "洋", "勇", "艳", "杰", "涛", "超", "霞", "刚", "平", "辉", "鹏", "斌", "丹",
    "琳", "颖", "鑫", "倩", "莉", "宁", "凯", "彬",
)
_ROADS = (
    "中山路", "人民路", "解放路", "建设路", "和平路", "新华路", "文化路", "长江路", "黄河路", "友谊路", "青年路", "胜利路", "朝阳路", "光明路", "学院路", "湖滨路",
)
_COMPOUNDS = (
    "阳光花园", "翠苑小区", "锦绣家园", "金色华庭", "御景湾", "幸福里", "桂花园", "碧水豪园", "城市花园", "明珠苑", "南苑新村", "东方名邸",
)
# Mobile prefixes of the three carriers; 138 is left out: the showcase customers use it alone.
_PHONE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "139", "150", "151", "152", "153", "155", "156", "157", "158", "159",
    "166", "173", "175", "176", "177", "178", "180", "181", "182", "183", "185", "186", "187", "188", "189", "191", "198", "199",
)
BANKS = ("中国工商银行", "中国建设银行", "中国农业银行", "中国银行", "招商银行", "交通银行", "浙商银行", "兴业银行")
_BRANDS = (
    "小鹿", "鹏程", "星耀", "云朵", "拾光", "木子", "青柠", "橙果", "盛达", "锦程", "合众", "优品", "悦己", "森屿", "暖阳", "初见",
)
_TRADES = (
    "服饰", "鞋业", "家居", "百货", "电子商务", "贸易", "日用品", "饰品",
)
_FORMS = ("商行", "经营部", "有限公司", "电子商务商行")
# fmt: on


def _shuffle32(h: int) -> int:
    """A bijection on 32-bit integers (an offset, then MurmurHash3's finaliser)."""
    h = (h + 0x9E3779B9) & 0xFFFFFFFF
    h = (h ^ (h >> 16)) * 0x85EBCA6B & 0xFFFFFFFF
    h = (h ^ (h >> 13)) * 0xC2B2AE35 & 0xFFFFFFFF
    return h ^ (h >> 16)


def phone_number(k: int) -> str:
    """The k-th mobile number: distinct k (below 3.6 billion) give distinct, unrelated-looking numbers."""
    n = len(_PHONE_PREFIXES)
    x = _shuffle32(k)
    while x >= n * 100_000_000:  # cycle-walk: a bijection on [0, 2**32) restricted to [0, n * 10**8)
        x = _shuffle32(x)
    return f"{_PHONE_PREFIXES[x % n]}{x // n:08d}"


# Phone-number spaces (the k of `phone_number`): buyers below the first, then shippers,
# recipients, showcase recipients; nobody shares a number by accident.
SHIPPER_K, RECIPIENT_K, SHOWCASE_K = 500_000_000, 1_000_000_000, 3_000_000_000


def name_of(h: int) -> str:
    return SURNAMES[h % len(SURNAMES)] + GIVEN_NAMES[(h >> 8) % len(GIVEN_NAMES)]


@dataclass(frozen=True)
class Person:
    name: str
    phone: str
    place: Place
    district: str
    address: str
    vip: bool


def _address(h: int, district: str) -> str:
    street = f"{_ROADS[(h >> 28) % len(_ROADS)]}{(h >> 32) % 300 + 1}号"
    home = f"{_COMPOUNDS[(h >> 41) % len(_COMPOUNDS)]}{(h >> 45) % 20 + 1}幢{(h >> 50) % 30 + 1}0{(h >> 55) % 4 + 1}室"
    return f"{district}{street}{home}"


def person(seed: int, k: int) -> Person:
    """Person number k of this data set (a buyer, or the recipient of a parcel); distinct k, distinct phones."""
    h = mix(seed, k, 1)
    place = _PLACE_POOL[(h >> 16) % len(_PLACE_POOL)]
    district = place.districts[(h >> 24) % len(place.districts)]
    return Person(name_of(h), phone_number(k), place, district, _address(h, district), (h >> 60) % 25 == 0)


@dataclass(frozen=True)
class Shipper:
    """A small seller shipping through YX Express; its COD money goes to the account on file."""

    contact: Person
    registered_name: str
    bank_name: str
    holder: str
    last4: str
    hold_reason: str | None = None  # account_mismatch | card_closed: remittances are held
    hold_days: int = 0  # ... for those due in the last `hold_days` days


def shipper(seed: int, k: int) -> Shipper:
    h = mix(seed, k, 2)
    place = SHIPPER_CITIES[(h >> 4) % len(SHIPPER_CITIES)]
    district = place.districts[(h >> 8) % len(place.districts)]
    contact = Person(name_of(h >> 1), phone_number(k), place, district, _address(h, district), (h >> 62) % 20 == 0)
    form = _FORMS[(h >> 12) % len(_FORMS)]
    where = place.city + (district if form != "有限公司" else "")
    registered = f"{where}{_BRANDS[(h >> 16) % len(_BRANDS)]}{_TRADES[(h >> 20) % len(_TRADES)]}{form}"
    problem = (h >> 24) % 40
    hold = "account_mismatch" if problem == 0 else "card_closed" if problem == 1 else None
    return Shipper(
        contact=contact,
        registered_name=registered,
        bank_name=BANKS[(h >> 32) % len(BANKS)],
        # The mismatch the bank refuses: a personal account for a registered business.
        holder=contact.name if hold == "account_mismatch" else registered,
        last4=f"{(h >> 40) % 10_000:04d}",
        hold_reason=hold,
        hold_days=(h >> 56) % 30 + 5 if hold else 0,
    )


@dataclass(frozen=True)
class SkuInfo:
    """What an order line needs to know about a SKU."""

    id: int
    code: str
    name_zh: str  # the product with its colour and size, as an order line shows it
    name_en: str
    price_cents: int
    presale_ship: date | None  # pre-sale SKUs ship on this day


@cache
def catalogue_data() -> dict[str, Any]:
    raw = (resources.files("merchant") / "demo" / "catalogue.yaml").read_text(encoding="utf-8")
    return dict(yaml.safe_load(raw))


def merchant_rules() -> dict[str, Any]:
    return profile.rules()


def transit_zone(province: str) -> str:
    """The merchant's transit-time group of a destination province: near | default | remote | hk_macau."""
    rules = merchant_rules()
    for group, zone in (("near_provinces", "near"), ("remote_provinces", "remote"), ("hk_macau_provinces", "hk_macau")):
        if any(province.startswith(p) for p in rules.get(group, ())):
            return zone
    return "default"


def catalogue_rows(
    rng: Random, today: date, *, product_id: int, sku_id: int, at: Any
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[SkuInfo]]:
    """Product and SKU rows (ids from `product_id` / `sku_id` on), and the SKUs orders draw from."""
    data = catalogue_data()
    products: list[tuple[Any, ...]] = []
    skus: list[tuple[Any, ...]] = []
    infos: list[SkuInfo] = []
    for pid, p in enumerate(data["products"], start=product_id):
        products.append((pid, p["id"], p["zh"], p["en"], p["category"], list(p["aliases"])))
        pinned, presale = p.get("pinned", {}), p.get("presale", {})
        for colour in p["colours"] or [None]:
            zh_colour, en_colour = data["colours"][colour] if colour else (None, None)
            for size in data["sizes"][p["sizes"]] or [None]:
                variant = "-".join(x for x in (colour, size) if x)
                code = f"{p['id']}-{variant}" if variant else p["id"]
                stock, restock = _stock(rng, today)
                pin = pinned.get(variant)
                if pin is not None:
                    stock = pin["stock"]
                    days = pin.get("restock_in_days")
                    restock = today + timedelta(days=days) if days is not None else None
                sale = presale.get(colour)
                ship = today + timedelta(days=sale["ship_in_days"]) if sale else None
                if sale:
                    stock, restock = 200, None  # the pre-sale quota
                price = cents(p["price"])
                skus.append(
                    (sku_id, code, pid, zh_colour, en_colour, size, money(price), stock, restock, bool(sale), ship, at)
                )
                zh = " ".join(x for x in (p["zh"], zh_colour, size) if x)
                en = ", ".join(x for x in (p["en"], en_colour, size) if x)
                infos.append(SkuInfo(sku_id, code, zh, en, price, ship))
                sku_id += 1
    return products, skus, infos


def _stock(rng: Random, today: date) -> tuple[int, date | None]:
    r = rng.random()
    if r < 0.05:
        return 0, today + timedelta(days=rng.randint(3, 20))
    if r < 0.07:
        return 0, None
    if r < 0.15:
        return rng.randint(1, 5), None
    return rng.randint(6, 320), None


# What small sellers send cash-on-delivery: (zh, en, lowest, highest price in yuan).
PARCEL_GOODS: tuple[tuple[str, str, int, int], ...] = (
    ("女装连衣裙", "women's dress", 79, 399),
    ("男士运动鞋", "men's trainers", 99, 599),
    ("手机壳", "phone case", 19, 59),
    ("蓝牙耳机", "Bluetooth earbuds", 89, 699),
    ("茶叶礼盒", "tea gift box", 128, 1288),
    ("儿童玩具", "children's toy", 39, 299),
    ("护肤套装", "skincare set", 159, 1599),
    ("床上四件套", "bedding set", 139, 699),
    ("坚果礼盒", "nut gift box", 69, 268),
    ("充电宝", "power bank", 79, 249),
    ("女士手提包", "handbag", 129, 1999),
    ("羊毛围巾", "wool scarf", 59, 359),
)

CARRIERS = {"ZTO": ("中通快递", "ZTO Express"), "SF": ("顺丰速运", "SF Express"), "YX": ("优选速运", "YX Express")}
# Who signed for a parcel, as the carrier records it (stored in Chinese), and the odds.
SIGNERS = (("本人", "the recipient", 0.62), ("家人", "a family member", 0.1), ("前台", "reception", 0.08),
           ("快递柜", "a parcel locker", 0.12), ("驿站", "a pick-up station", 0.08))  # fmt: skip
_SIGNER_EN = {zh: en for zh, en, _ in SIGNERS}
_WAYBILL = {"ZTO": ("ZT75", 10), "SF": ("SF14", 11), "YX": ("YXE6", 11)}  # prefix, digits after it
_SHOWCASE_WAYBILL = {"ZTO": "ZT78", "SF": "SF18", "YX": "YXE9"}

# A tracking event: (occurred_at, location, status, description_zh, description_en).
Event = tuple[datetime, str, str, str, str]


def waybill(carrier: str, shipment_id: int) -> str:
    """A carrier-style number the bot's extractor recognises; distinct ids, distinct numbers."""
    prefix, digits = _WAYBILL[carrier]
    return f"{prefix}{(shipment_id * 7919 + 1_234_567) % 10**digits:0{digits}d}"


def showcase_waybill(carrier: str, n: int) -> str:
    prefix = _SHOWCASE_WAYBILL[carrier]
    return f"{prefix}{n:0{_WAYBILL[carrier][1]}d}"


def picked_up(at: datetime, carrier: str, place: Place, site_zh: str, site_en: str) -> Event:
    zh, en = CARRIERS[carrier]
    return (at, place.city, "in_transit", f"【{place.city}】{zh} {site_zh} 已揽收", f"Picked up by {en} at {site_en}")


def arrived(at: datetime, hub: Place) -> Event:
    return (at, hub.city, "in_transit", f"【{hub.city}】快件已到达 {hub.hub}", f"Arrived at {hub.hub_en}")


def departed(at: datetime, hub: Place, to: Place | None, district: str) -> Event:
    """Leaving a hub for the next one, or (`to` None) for the delivery outlet in `district`."""
    to_zh, to_en = (to.hub, to.hub_en) if to else (f"{district}营业部", "the delivery outlet")
    return (
        at,
        hub.city,
        "in_transit",
        f"【{hub.city}】快件已离开 {hub.hub}，发往 {to_zh}",
        f"Left {hub.hub_en} for {to_en}",
    )


def out_for_delivery(at: datetime, place: Place, district: str, courier: str) -> Event:
    zh = f"【{place.city}】{district}营业部 派件员 {courier}师傅 正在为您派件，请保持电话畅通"
    return (at, place.city, "out_for_delivery", zh, f"Out for delivery in {place.city_en}")


def delivered(at: datetime, place: Place, carrier: str, signer: str) -> Event:
    zh = f"【{place.city}】快件已签收，签收人：{signer}。感谢使用{CARRIERS[carrier][0]}，期待再次为您服务"
    return (at, place.city, "delivered", zh, f"Delivered in {place.city_en}, signed for by {_SIGNER_EN[signer]}")
