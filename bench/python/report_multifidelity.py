#!/usr/bin/env python3
"""Markdown report from bench/multifidelity.sh's replay.jsonl."""

import json
import sys
from collections import defaultdict
from statistics import mean


def main(path):
    rows = [json.loads(l) for l in open(path) if l.strip()]
    by = defaultdict(dict)  # (file, pruner) -> engine -> row
    for r in rows:
        by[(r["file"], r["pruner"])][r["engine"]] = r
    files = sorted({r["file"] for r in rows})
    pruners = []
    for r in rows:
        if r["pruner"] not in pruners:
            pruners.append(r["pruner"])
    print(f"## Early stopping on digits-MLP learning curves ({len(files)} seed(s), "
          f"{rows[0]['trials']} configurations each, 20 epochs)\n")
    print("Epochs spent as a share of training every configuration to the end; best final validation")
    print("accuracy among trials that ran to the end (mean over seeds; 'none' is the run-everything baseline).\n")
    print("| pruner | ferrotune epochs | ferrotune best | Optuna epochs | Optuna best | same stopping step |")
    print("|---|---|---|---|---|---|")
    for p in pruners:
        cells = []
        agree, total = 0, 0
        for engine in ("ferrotune", "optuna"):
            rs = [by[(f, p)][engine] for f in files if engine in by[(f, p)]]
            if rs:
                cells.append(f"{mean(r['epochs'] / r['full_epochs'] for r in rs):.1%}")
                cells.append(f"{mean(r['best'] for r in rs):.4f}")
            else:
                cells += ["-", "-"]
        for f in files:
            pair = by[(f, p)]
            if "ferrotune" in pair and "optuna" in pair:
                a, b = pair["ferrotune"]["stopped_at"], pair["optuna"]["stopped_at"]
                agree += sum(x == y for x, y in zip(a, b))
                total += len(a)
        cells.append(f"{agree}/{total}" if total else "-")
        print(f"| {p} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1])
