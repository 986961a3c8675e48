#!/usr/bin/env python3
"""Turn overhead.jsonl (from bench/overhead.sh) into a markdown report.

Ratios are anchor time / ferrotune time per trial, from runs of the same
script on the same machine: above 1 means ferrotune is faster.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict

# (anchor engine, ferrotune engine, label)
RATIOS = [
    ("optuna-memory", "ferrotune-memory", "Optuna / ferrotune, in memory"),
    ("rustuna-memory", "ferrotune-memory", "rustuna / ferrotune, in memory"),
    ("optuna-sqlite", "ferrotune-sqlite", "Optuna / ferrotune, SQLite (ferrotune default: WAL, synchronous=NORMAL)"),
    ("optuna-sqlite", "ferrotune-sqlite-full", "Optuna / ferrotune, SQLite (ferrotune synchronous=FULL)"),
    ("rustuna-sqlite", "ferrotune-sqlite", "rustuna / ferrotune, SQLite"),
]


def main(path: str) -> int:
    rows = [json.loads(line) for line in open(path) if line.strip()]
    by = defaultdict(dict)  # n -> engine -> row
    for r in rows:
        by[r["n_trials"]][r["engine"]] = r
    engines = sorted({r["engine"] for r in rows})
    samplers = sorted({r.get("sampler", "random") for r in rows})
    objectives = sorted({r.get("objectives", 1) for r in rows})
    print(
        f"## Ask+tell overhead per trial ({', '.join(samplers)} sampler, "
        f"{', '.join(map(str, objectives))} objective(s), 10 float parameters)\n"
    )
    print("ms per trial over the whole run (last 10% of trials in parentheses).\n")
    print("| engine | version | " + " | ".join(f"N={n}" for n in sorted(by)) + " |")
    print("|---|---|" + "---|" * len(by))
    for e in engines:
        version = next(r["version"] for r in rows if r["engine"] == e)
        cells = []
        for n in sorted(by):
            r = by[n].get(e)
            cells.append(f"{r['ms_per_trial']:.4f} ({r['ms_per_trial_last10pct']:.4f})" if r else "-")
        print(f"| {e} | {version} | " + " | ".join(cells) + " |")
    print("\n## Ratios (anchor time / ferrotune time; higher is better for ferrotune)\n")
    print("| comparison | " + " | ".join(f"N={n}" for n in sorted(by)) + " |")
    print("|---|" + "---|" * len(by))
    for anchor, ours, label in RATIOS:
        cells = []
        for n in sorted(by):
            a, o = by[n].get(anchor), by[n].get(ours)
            cells.append(f"{a['ms_per_trial'] / o['ms_per_trial']:.1f}x" if a and o else "-")
        print(f"| {label} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
