"""How long a knowledge-base change takes to be answered: quick refit against a full build.

    python bench/kb_reload.py [--repeat 5]

Adds one paraphrase to an entry of the bundled knowledge base and times, on the same
machine in the same run, `NLU.refit` (what every instance swaps in first: classifier and
index refitted, calibration kept) and `NLU.build` (the full build that follows, calibration
included). Prints median and worst of each and their ratio, and checks the new phrasing is
answered by the refitted NLU.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace

from bot.nlu.parser import NLU
from knowledge_base.store import load_files

NEW_WAY = "嘀嘀嗒嗒哔哔叭叭"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    entries = load_files()
    changed = [
        replace(e, paraphrases={**e.paraphrases, "zh": [*e.paraphrases.get("zh", []), NEW_WAY]})
        if e.id == "shipping_dispatch_time"
        else e
        for e in entries
    ]
    nlu = NLU.build(entries)
    quick, full = [], []
    for _ in range(args.repeat):
        start = time.perf_counter()
        refitted = nlu.refit(changed)
        quick.append(time.perf_counter() - start)
        start = time.perf_counter()
        NLU.build(changed)
        full.append(time.perf_counter() - start)
    assert refitted.parse(NEW_WAY).faq_id == "shipping_dispatch_time", "the refitted NLU answers the change"
    rows = sum(len(e.examples()) for e in changed)
    print(f"{len(changed)} entries, {rows} phrasings, {args.repeat} runs, seconds")
    print(f"{'':28}{'median':>8}{'worst':>8}")
    print(f"{'quick refit (swapped first)':28}{statistics.median(quick):8.2f}{max(quick):8.2f}")
    print(f"{'full build (follows)':28}{statistics.median(full):8.2f}{max(full):8.2f}")
    print(f"ratio quick / full (median): {statistics.median(quick) / statistics.median(full):.2f}")


if __name__ == "__main__":
    main()
