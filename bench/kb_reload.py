"""How long a knowledge-base change takes to be answered: incremental update, refit, full build.

    python bench/kb_reload.py [--repeat 5]

Adds one paraphrase (of characters the knowledge base has never used) to an entry of the
bundled knowledge base and times, on the same machine in the same run:
- `NLU.update`, what every instance swaps in first: the entry re-indexed, its classifier
  retrained, the vocabulary grown, the calibration kept;
- `NLU.refit`, the whole classifier and index refitted (what an import of many entries takes);
- `NLU.build`, the full build that follows, calibration included (the baseline).
Prints median and worst of each and the ratios, and checks the new phrasing is answered.
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
    incremental, quick, full = [], [], []
    for _ in range(args.repeat):
        start = time.perf_counter()
        updated = nlu.update(changed)
        incremental.append(time.perf_counter() - start)
        start = time.perf_counter()
        refitted = nlu.refit(changed)
        quick.append(time.perf_counter() - start)
        start = time.perf_counter()
        NLU.build(changed)
        full.append(time.perf_counter() - start)
    assert updated.parse(NEW_WAY).faq_id == "shipping_dispatch_time", "the updated NLU answers the change"
    assert refitted.parse(NEW_WAY).faq_id == "shipping_dispatch_time", "the refitted NLU answers the change"
    rows = sum(len(e.examples()) for e in changed)
    print(f"{len(changed)} entries, {rows} phrasings, {args.repeat} runs, seconds")
    print(f"{'':28}{'median':>8}{'worst':>8}")
    print(f"{'incremental (swapped first)':28}{statistics.median(incremental):8.3f}{max(incremental):8.3f}")
    print(f"{'refit (many entries)':28}{statistics.median(quick):8.3f}{max(quick):8.3f}")
    print(f"{'full build (follows)':28}{statistics.median(full):8.3f}{max(full):8.3f}")
    base = statistics.median(full)
    print(f"ratio incremental / full (median): {statistics.median(incremental) / base:.3f}")
    print(f"ratio refit / full (median): {statistics.median(quick) / base:.3f}")


if __name__ == "__main__":
    main()
