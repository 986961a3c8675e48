#!/usr/bin/env python3
"""Runs that end below random search: per method, on one problem, the seeds
whose hypervolume after BUDGET trials is below the mean of the random
searches' runs (methods named *-random) in the same files, with the
methods' mean and median hypervolume. Used for the GP's WFG3 trap (see
bench/README.md, "The GP on WFG").

    bench/.venv/bin/python bench/python/mo_gp_trapped.py wfg3-2obj 200 bench/results/mo-wfg.jsonl bench/results/mo-gp-startup.jsonl
"""

from __future__ import annotations

import json
import os
import sys
from collections import defaultdict

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mobench.problems import get_problem  # noqa: E402
from mobench.report import hypervolume  # noqa: E402


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    pid, budget, paths = argv[0], int(argv[1]), argv[2:]
    problem = get_problem(pid)
    hv: dict[str, dict[int, float]] = defaultdict(dict)
    for path in paths:
        with open(path) as f:
            for r in map(json.loads, f):
                if r["problem"] == pid and len(r["values"]) >= budget and r["seed"] not in hv[r["method"]]:
                    hv[r["method"]][r["seed"]] = hypervolume(np.asarray(r["values"][:budget]), problem.reference)
    randoms = [h for m, by in hv.items() if m.endswith("-random") for h in by.values()]
    if not randoms:
        print(f"no random-search rows for {pid}", file=sys.stderr)
        return 1
    floor = float(np.mean(randoms))
    print(f"{pid}, {budget} trials: random search's mean hypervolume {floor:.3f}")
    print("| method | runs | below random (seeds) | mean | median |")
    print("|---|---|---|---|---|")
    for method in sorted(hv):
        if method.endswith("-random"):
            continue
        by = hv[method]
        values = np.array([by[s] for s in sorted(by)])
        below = [s for s in sorted(by) if by[s] < floor]
        print(f"| {method} | {len(by)} | {len(below)} ({', '.join(map(str, below)) or '-'}) "
              f"| {values.mean():.3f} | {np.median(values):.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
