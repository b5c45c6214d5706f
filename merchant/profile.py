"""The merchant's service rules (`merchant/merchant.yaml`): cut-off, carriers, transit, COD terms.

One file read by the actions (what the bot promises) and the demo data (what the orders show),
so the two always agree.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml


@cache
def rules() -> dict[str, Any]:
    raw = (resources.files("merchant") / "merchant.yaml").read_text(encoding="utf-8")
    return dict(yaml.safe_load(raw))
