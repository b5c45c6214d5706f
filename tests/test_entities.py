from bot.nlu.entities import extract_entities


def values(text: str) -> list[tuple[str, str]]:
    return [(e.entity, e.value) for e in extract_entities(text)]


def test_finds_order_waybill_and_phone_numbers() -> None:
    text = "订单YX20261105001234，运单SF1398765432101，电话138-1234-5678"
    assert values(text) == [
        ("order_id", "YX20261105001234"),
        ("waybill", "SF1398765432101"),
        ("phone", "13812345678"),
    ]


def test_full_width_and_lower_case_order_numbers_count() -> None:
    assert values("ｙｘ２０２６１１０５００１２３４") == [("order_id", "YX20261105001234")]


def test_bare_digits_need_a_cue_word() -> None:
    assert values("我买了12345678901234件") == []
    assert values("订单号：20261105001234") == [("order_id", "20261105001234")]
    assert values("运单号 773450912345") == [("waybill", "773450912345")]


def test_spans_point_into_the_original_text() -> None:
    text = "查下 YX20261105001234 谢谢"
    (entity,) = extract_entities(text)
    assert text[entity.start : entity.end] == "YX20261105001234"
