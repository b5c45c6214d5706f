"""Turn the public benchmark sets in ../shared/datasets into text,label CSVs for `triage nlu evaluate`.

    python bench/datasets.py OUT_DIR
writes banking77_{train,test}.csv, clinc150_{train,val,test}.csv (label `oos` for out of
scope) and afqmc_{kb,queries}.csv (FAQ retrieval: the first question of each positive dev pair
is a knowledge-base entry, the second asks for it; accuracy is then Recall@1).
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


def write(path: Path, rows: list[tuple[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        w.writerows(rows)
    print(f"{path}: {len(rows)} rows")


def main(out: Path, datasets: Path = DATASETS) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for split in ("train", "test"):
        with (datasets / "banking77" / f"{split}.csv").open(encoding="utf-8") as f:
            write(out / f"banking77_{split}.csv", [(r["text"], r["category"]) for r in csv.DictReader(f)])
    clinc = json.loads((datasets / "clinc150" / "data_full.json").read_text(encoding="utf-8"))
    for split in ("train", "val", "test"):
        rows = [(t, label) for t, label in clinc[split]] + [(t, "oos") for t, _ in clinc[f"oos_{split}"]]
        write(out / f"clinc150_{split}.csv", rows)
    kb, queries = [], []
    for line in (datasets / "afqmc_atec" / "clue_afqmc_dev.json").read_text(encoding="utf-8").splitlines():
        pair = json.loads(line)
        if pair["label"] == "1":
            label = f"q{pair['idx']}"
            kb.append((pair["sentence1"], label))
            queries.append((pair["sentence2"], label))
    write(out / "afqmc_kb.csv", kb)
    write(out / "afqmc_queries.csv", queries)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "bench/data"))
