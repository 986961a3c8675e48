#!/usr/bin/env python3
"""The multi-objective GP's startup design, measured (2026-12-07): ferrotune's
GPSampler with `n_startup_trials` given by a rule of the problem's number of
variables `d`, 200 trials, seeds 0-9, rows in `mo_bench.py`'s format (so
`mo_bench.py report` and the pools' rows compare with them). Used to check
the default of 5 against 10 and max(5, d + 1) on the main suite (the tuning
split) and on WFG (held-out); see bench/README.md, "The GP on WFG".

    bench/.venv/bin/python bench/python/mo_gp_startup.py OUT.jsonl ferrotune-gp-d1 "max(5, d + 1)" zdt1,dtlz2-3obj,...
    bench/.venv/bin/python bench/python/mo_gp_startup.py OUT.jsonl ferrotune-gp-s10 "10" wfg1-2obj,...

Resumable: (method, problem, seed) rows already in OUT are skipped.
"""

from __future__ import annotations

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mobench.methods import _suggest  # noqa: E402
from mobench.problems import get_problem  # noqa: E402

N_TRIALS = 200
SEEDS = range(10)


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    out, name, rule, problems = argv[0], argv[1], argv[2], argv[3].split(",")
    import ferrotune as ft  # noqa: PLC0415

    ft.logging.set_verbosity(ft.logging.WARNING)
    done = set()
    if os.path.exists(out):
        with open(out) as f:
            done = {(r["method"], r["problem"], r["seed"]) for r in map(json.loads, f)}
    for pid in problems:
        problem = get_problem(pid)
        # The rule is a Python expression of d, the number of variables.
        n_startup = int(eval(rule, {"__builtins__": {}, "d": len(problem.params), "max": max, "min": min}))
        for seed in SEEDS:
            if (name, pid, seed) in done:
                continue
            sampler = ft.samplers.GPSampler(seed=seed, n_startup_trials=n_startup)
            study = ft.create_study(directions=["minimize"] * problem.n_objectives, sampler=sampler)
            values: list[list[float]] = []
            objective_s = 0.0
            t0 = time.perf_counter()
            for _ in range(N_TRIALS):
                trial = study.ask()
                x = [_suggest(trial, p) for p in problem.params]
                t1 = time.perf_counter()
                v = problem.evaluate(x)
                objective_s += time.perf_counter() - t1
                study.tell(trial, v)
                values.append([float(y) for y in v])
            row = {
                "kind": "mo", "method": name, "engine": "ferrotune", "algo": "gp", "problem": pid, "seed": seed,
                "budget": N_TRIALS, "values": values, "wall_s": time.perf_counter() - t0,
                "objective_s": objective_s, "n_startup_trials": n_startup,
            }
            with open(out, "a") as f:
                f.write(json.dumps(row) + "\n")
        print(pid, "d =", len(problem.params), "startup", n_startup, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
