"""A tiny hand-made knowledge base for tests of the matcher and the evaluation command."""

from __future__ import annotations

SMALL_KB: dict[str, list[str]] = {
    "dispatch": [
        "多久发货",
        "什么时候发货",
        "啥时候发出",
        "when will you ship",
        "how soon do you dispatch",
        "发货时间",
    ],
    "refund": [
        "退款多久到账",
        "钱什么时候退回来",
        "refund how long",
        "when do I get my money back",
        "退款还没到",
        "退钱要几天",
    ],
    "stock": ["有货吗", "还有库存吗", "is it in stock", "M码还有吗", "sold out?", "什么时候补货"],
    "oos": ["今天天气怎么样", "讲个笑话", "what is the capital of france", "tell me a joke", "1+1等于几", "推荐部电影"],
}


def rows(*labels: str) -> list[tuple[str, str]]:
    """(text, label) rows of the named labels."""
    return [(text, label) for label in labels for text in SMALL_KB[label]]
