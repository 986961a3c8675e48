#!/usr/bin/env python3
"""Do two search runs of one sampler follow the same trials?

A change meant to make a sampler faster without changing what it proposes
is checked by running the same seeds again and comparing every trial's
objective value with the earlier run's (raw JSONL from search_bench.py, gzip
or not). Runs are matched by (suite, problem, seed).

    same_runs.py OLD.jsonl[.gz] OLD_METHOD NEW.jsonl[.gz] NEW_METHOD [--tolerance 1e-9]

Prints how many runs are identical to the bit, how many differ beyond the
relative tolerance, and the largest relative difference; exits 1 if any run
differs beyond the tolerance or no run is in both files.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from typing import Any


def load(path: str, method: str) -> dict[tuple[str, str, int], list[float]]:
    opener: Any = gzip.open if path.endswith(".gz") else open
    runs = {}
    with opener(path, "rt") as f:
        for line in f:
            row = json.loads(line)
            if row.get("kind") == "search" and row.get("method") == method and not row.get("error"):
                runs[(row["suite"], row["problem"], row["seed"])] = row["values"]
    return runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("old")
    parser.add_argument("old_method")
    parser.add_argument("new")
    parser.add_argument("new_method")
    parser.add_argument("--tolerance", type=float, default=1e-9, help="relative difference that counts as the same")
    args = parser.parse_args()
    old, new = load(args.old, args.old_method), load(args.new, args.new_method)
    common = sorted(set(old) & set(new))
    worst, differ, identical = 0.0, [], 0
    for key in common:
        a, b = old[key], new[key]
        if len(a) != len(b):
            differ.append(key)
            continue
        gap = max((abs(x - y) / max(1.0, abs(x)) for x, y in zip(a, b)), default=0.0)
        worst = max(worst, gap)
        identical += a == b
        if gap > args.tolerance:
            differ.append(key)
    print(
        f"{len(common)} runs in both ({len(old)} old, {len(new)} new): {identical} identical to the bit, "
        f"{len(differ)} differ beyond {args.tolerance:g} relative; largest relative difference {worst:.2e}"
    )
    for key in differ[:10]:
        print("  differs:", *key)
    return 1 if differ or not common else 0


if __name__ == "__main__":
    sys.exit(main())
