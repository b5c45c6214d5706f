"""What the desk tells customers, in their language: the wording staff edit in lines.yaml."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml


@cache
def _lines() -> dict[str, dict[str, str]]:
    raw = (resources.files("handoff") / "lines.yaml").read_text(encoding="utf-8")
    return dict(yaml.safe_load(raw))


def line(key: str, lang: str, **values: Any) -> str:
    """A desk line (handoff/lines.yaml) in the customer's language."""
    return _lines()[key]["zh" if lang == "zh" else "en"].format(**values)
