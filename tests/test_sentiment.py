import pytest

from bot.nlu.sentiment import score_anger


@pytest.mark.parametrize(
    "text",
    [
        "你们这什么垃圾服务！！！",
        "再不给我解决我就去12315投诉你们",
        "到底什么时候发货？？？等了一个星期了，说好的48小时呢",
        "THIS IS RIDICULOUS, WHERE IS MY PARCEL",
        "you guys are scammers, I'm filing a chargeback",
        "骗子！退钱😡",
    ],
)
def test_angry_messages_are_angry(text: str) -> None:
    assert score_anger(text).angry


@pytest.mark.parametrize(
    "text",
    ["下单后多久发货", "is the black one in stock", "谢谢你！", "好的，我再等等", "How do I return an item?"],
)
def test_calm_messages_are_calm(text: str) -> None:
    assert not score_anger(text).angry


def test_asking_the_same_thing_again_is_noted_but_is_not_anger() -> None:
    first = score_anger("我的退款什么时候到账")
    again = score_anger("我的退款什么时候到账", ["我的退款什么时候到账", "我的退款什么时候到账"])
    assert again.anger == first.anger and not again.angry
    assert "repeated_ask" in again.signals


@pytest.mark.parametrize("text", ["我要complain你们", "这个bot真的useless，垃圾"])
def test_english_words_count_when_glued_to_chinese(text: str) -> None:
    assert score_anger(text).signals


@pytest.mark.parametrize(
    "text",
    [
        "转人工转人工转人工！！",
        "黑店！骗钱！",
        "are you kidding me?? third time asking!!",
        "这是第三次问了，到底怎么回事",
    ],
)
def test_common_frustration_markers_are_angry(text: str) -> None:
    assert score_anger(text).angry


@pytest.mark.parametrize(
    "text", ["哈哈哈哈哈哈哈", "谢谢谢谢谢谢", "第二次买了，很喜欢", "can you send the link again?"]
)
def test_laughter_thanks_and_repeat_customers_are_not_angry(text: str) -> None:
    assert not score_anger(text).angry


@pytest.mark.parametrize(
    "text",
    [
        "买的东西到现在都没发，你们是打算让我等到过年吗",
        "我付钱是来买东西的，不是来看你们推卸责任的",
        "Three emails, two calls, zero answers. I expect better than this.",
        "花了三百块买了个寂寞",
    ],
)
def test_anger_without_insults_or_threats_is_found(text: str) -> None:
    result = score_anger(text)
    assert result.angry
    assert "angry_phrasing" in result.signals


@pytest.mark.parametrize(
    "text",
    [
        "物流慢一点没关系，我不急，就是问问大概哪天到",
        "颜色和图片有点不一样，有点失望，不过还能接受",
        "The parcel is a couple of days late, no worries, just checking.",
        "I'm not complaining, just wondering when the refund will arrive",
        "人工客服在吗",
        "你们是正规的品牌店吗",
        "我是发货商家，上周五签收的那批货款哪天到账",
    ],
)
def test_calm_messages_with_negative_words_stay_calm(text: str) -> None:
    assert not score_anger(text).angry


def test_reassurance_softens_frustration_but_not_insults() -> None:
    plain = score_anger("等了一个星期了")
    reassured = score_anger("等了一个星期了，没关系")
    assert reassured.anger < plain.anger
    assert "reassured" in reassured.signals
    assert score_anger("没关系，反正你们就是骗子").angry


def test_a_third_identical_ask_is_no_angrier_than_the_first() -> None:
    """Asking again says the answer did not help; the policy offers a person (tests/test_conversation.py)."""
    ask = "我的退款什么时候到账"
    third = score_anger(ask, [ask, ask])
    assert third.anger == score_anger(ask).anger and not third.angry


def test_staying_annoyed_message_after_message_adds_up() -> None:
    history = ["物流怎么这么慢，等了一个星期了"]
    alone = score_anger("还要等多久啊")
    after = score_anger("还要等多久啊", history)
    assert "still_upset" in after.signals
    assert after.anger > alone.anger


def test_calm_history_does_not_make_a_calm_message_angry() -> None:
    history = ["下单后多久发货", "好的，谢谢"]
    assert score_anger("那顺丰要加钱吗", history).signals == ()


def test_empty_and_emoji_only_messages_have_no_phrasing_evidence() -> None:
    assert score_anger("").anger == 0
    assert score_anger("👍").anger == 0
    assert score_anger("😡😡").signals == ("angry_emoji", "bare_reaction")


@pytest.mark.parametrize("text", ["😡😡😡", "🙄", "💢", "？？？", "???"])
def test_a_message_of_nothing_but_an_angry_reaction_is_angry(text: str) -> None:
    assert score_anger(text).angry


@pytest.mark.parametrize(
    "text",
    [
        "抖音直播间买的能在这里查吗",
        "律师事务所采购办公用品可以开专票吗",
        "Is this the worst-case delivery time, or the typical one?",
        "yyds 这个床单太舒服了",
        "扫地机器人保修期内坏了，是上门修还是寄修",
        "Sorry to bother you again, any news on the exchange?",
    ],
)
def test_platforms_trades_and_everyday_words_that_contain_a_signal_are_calm(text: str) -> None:
    assert not score_anger(text).angry


@pytest.mark.parametrize("analyzer", ["char", "char_wb"])
def test_the_fast_scorer_matches_scikit_learn(analyzer: str) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from bot.nlu.anger_model import AngerModel, prepare

    texts = [
        "where is my parcel",
        "you people are useless",
        "谢谢，收到了",
        "垃圾服务，退钱",
        "我的退款到了吗",
        "thanks!",
    ]
    labels = [False, True, False, True, False, False]
    vectorizer = TfidfVectorizer(analyzer=analyzer, ngram_range=(1, 3), sublinear_tf=True, preprocessor=prepare)
    clf = LogisticRegression(C=10.0).fit(vectorizer.fit_transform(texts), labels)
    model = AngerModel.from_fitted(vectorizer, clf)
    for text in [*texts, "useless parcel??", "退款退款", "完全没见过的字"]:
        expected = clf.predict_proba(vectorizer.transform([text]))[0, 1]
        assert model.probability(text) == pytest.approx(expected, abs=1e-9)


def test_training_needs_both_classes() -> None:
    from bot.nlu.anger_model import AngerModel, Example

    with pytest.raises(ValueError, match="both angry and calm"):
        AngerModel.train([Example("hello", False), Example("hi there", False)])


@pytest.mark.parametrize("text", ["谢谢！！！超级快！！", "THANK YOU SO MUCH!", "超喜欢！！！", "好的好的好的，谢谢"])
def test_thanks_and_praise_are_not_read_as_shouting(text: str) -> None:
    result = score_anger(text)
    assert not result.angry
    assert "polite" in result.signals


@pytest.mark.parametrize("text", ["Thanks for nothing.", "Oh great, another delay. Thanks so much."])
def test_sarcastic_thanks_stay_angry(text: str) -> None:
    assert score_anger(text).angry


def test_the_shops_own_words_in_scare_quotes_are_frustration() -> None:
    assert "scare_quotes" in score_anger("我不想再听“请耐心等待”了").signals
    assert "scare_quotes" in score_anger('Your "customer care" is a joke').signals


@pytest.mark.parametrize("text", ["到底选M码还是L码好呢", "到底是选白色还是米色好"])
def test_choosing_between_two_things_is_not_frustration(text: str) -> None:
    assert "frustration" not in score_anger(text).signals


@pytest.mark.parametrize("text", ["转人工", "人工客服", "human please", "不用转人工，你告诉我就行"])
def test_a_bare_request_for_a_person_is_not_anger(text: str) -> None:
    assert not score_anger(text).angry


@pytest.mark.parametrize("text", ["离谱", "unbelievable"])
def test_a_frustration_word_on_its_own_counts_more(text: str) -> None:
    assert score_anger(text).angry


def test_a_phrase_typed_again_and_again_reads_once_to_the_model() -> None:
    from bot.nlu.anger_model import prepare

    assert prepare("转人工转人工转人工") == prepare("转人工")
    assert prepare("人工！人工！人工！") == prepare("人工")
    assert prepare("哈哈哈哈哈哈") == "哈哈"


def test_angry_examples_that_read_like_calm_ones_do_not_teach_the_model() -> None:
    from bot.nlu.anger_model import AngerModel, Example

    examples = [
        Example("转人工！！！", True),
        Example("转人工", False),
        Example("垃圾服务", True),
        Example("谢谢", False),
    ]
    examples += [Example("垃圾客服", True), Example("谢谢你", False), Example("转人工吧", False)]
    assert AngerModel.train(examples).probability("转人工") < 0.5


def test_cross_validation_scores_a_message_with_the_model_it_is_given() -> None:
    from bot.nlu.anger_model import Example
    from bot.nlu.sentiment import message_anger, train_model

    model = train_model([Example("你们这服务太烂了，浪费我时间", True), Example("请问什么时候发货", False)])
    text = "这双鞋有四十码吗"  # no rule reads anything in it: its anger is the model's
    assert message_anger(text, model) == pytest.approx(model.probability(text))


@pytest.mark.parametrize("text", ["tell me a joke", "讲个笑话听听", "你会讲笑话吗"])
def test_asking_for_a_joke_is_not_calling_the_service_one(text: str) -> None:
    assert not score_anger(text).angry
    assert score_anger("your service is a joke").angry


@pytest.mark.parametrize(
    "text",
    [
        "你好，请问如果我想投诉快递员，应该在哪里提交呢？",
        "上次的投诉已经处理好了，想撤销那个投诉可以吗",
        "差评可以修改吗？上次手滑点错了",
        "How do I file a complaint about a courier?",
        "OMG the quality is AMAZING!!! Ordering two more!!!",
        "超快！！！昨天下午下单今天就到了",
    ],
)
def test_asking_how_complaints_work_and_delight_are_calm(text: str) -> None:
    assert not score_anger(text).angry


@pytest.mark.parametrize(
    "text", ["我要投诉你们！！！", "再不退款我就打12315", "I will file a complaint about you today."]
)
def test_a_threat_to_complain_is_still_one(text: str) -> None:
    assert score_anger(text).angry


@pytest.mark.parametrize(
    "text",
    [
        "请问垃圾袋有没有加厚款 厨房用的",
        "物流停了好几天有点慌😭 里面是给我妈的生日礼物",
        "刚接到一个电话说是你们客服，说我快递丢了要理赔，让我加QQ，这是骗子吧？怎么辨别真假",
        "Got a call from someone claiming to be YX Express asking for my bank OTP, is that a scam?",
        "我上周投诉的那个件有结果了吗 单号在订单里",
        "之前给了差评，后来客服帮我解决了，想改成好评，在哪里改",
        "My cousin's a lawyer and said to keep photos of the box for a damage claim, is that what you need?",
        "OMG the bedsheets are SO SOFT!!! Buying another set 😍",
    ],
)
def test_words_shared_with_anger_in_calm_messages_are_calm(text: str) -> None:
    assert not score_anger(text).angry


@pytest.mark.parametrize(
    "text",
    [
        "转人工 转人工 转人工",
        "痴線 又寄錯size 第二次喇",
        "已读不回,挺好",
        "Where the f*** is my order",
        "你们就是骗子，收了钱不发货",
    ],
)
def test_cold_cantonese_spaced_and_starred_anger_is_anger(text: str) -> None:
    assert score_anger(text).angry


@pytest.mark.parametrize("text", ["行 那我等着", "好 我等着", "ok 那我等着吧"])
def test_agreeing_to_wait_is_no_threat(text: str) -> None:
    assert "frustration" not in score_anger(text).signals


def test_an_ultimatum_to_wait_still_is() -> None:
    assert "frustration" in score_anger("不给个说法 我等着！").signals
