from core.text import normalize, strip_control


def test_full_width_becomes_half_width_and_lower_case() -> None:
    assert normalize("ＡＢＣ　ｄｅｆ１２３") == "abc def123"


def test_traditional_becomes_simplified() -> None:
    assert normalize("甚麼時候發貨") == "甚么时候发货"


def test_punctuation_and_emoji_are_dropped() -> None:
    assert normalize("退款！！到账了吗？😡😡") == "退款 到账了吗"


def test_identifiers_become_placeholders() -> None:
    text = normalize("YX20261105001234到哪了 SF1398765432101 13812345678")
    assert text == "qorderq 到哪了 qwaybillq qphoneq"


def test_control_characters_are_removed_but_newlines_kept() -> None:
    assert strip_control("a\x00b\x07c\nd\u200b") == "abc\nd"


def test_cantonese_words_become_the_mandarin_the_knowledge_base_uses() -> None:
    assert normalize("唔該，而家落單幾時可以收到？") == "请 现在下单什么时候可以收到"
    assert normalize("寄到香港要幾耐") == "寄到香港要多久"


def test_slang_and_pinyin_slips_become_the_words_the_knowledge_base_uses() -> None:
    assert normalize("肿么退 木有收到") == "怎么退 没有收到"
    assert normalize("物留一直不更新 回宽呢") == "物流一直不更新 回款呢"


def test_a_character_repeated_for_emphasis_is_cut_to_two() -> None:
    assert normalize("怎么还没发货啊啊啊啊") == normalize("怎么还没发货啊啊啊")
    assert normalize("哈哈哈哈哈") == "哈哈"
    assert normalize("谢谢 1111") == "谢谢 1111"


def test_pinyin_initials_beside_chinese_are_read_as_the_words() -> None:
    assert normalize("jf能抵现吗") == "积分能抵现吗"
    assert normalize("YHQ过期了") == "优惠券过期了"
    assert normalize("can ship by sf?") == "can ship by sf"  # English stays English
    assert normalize("jfk机场") == "jfk机场"  # only standing alone
