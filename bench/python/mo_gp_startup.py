#!/usr/bin/env python3
"""The multi-objective GP's startup design, measured (2026-12-07): a GP
sampler with `n_startup_trials` given by a rule of the problem's number of
variables `d`, 200 trials, rows in `mo_bench.py`'s format (so
`mo_bench.py report` and the pools' rows compare with them).

Used to check the default of 5 against 10 and max(5, d + 1) on the main
suite (the tuning split) and on WFG (held-out), and to count how often a
5-trial design traps either engine's GP on WFG3 (see bench/README.md, "The
GP on WFG").

    bench/.venv/bin/python bench/python/mo_gp_startup.py OUT.jsonl ferrotune-gp-d1 "max(5, d + 1)" zdt1,dtlz2-3obj,...
    bench/.venv/bin/python bench/python/mo_gp_startup.py OUT.jsonl ferrotune-gp-s10 "10" wfg1-2obj,...
    bench/.venv/bin/python bench/python/mo_gp_startup.py OUT.jsonl optuna-gp-s5 "5" wfg3-2obj --engine optuna --seeds 0-29
    bench/.venv/bin/python bench/python/mo_gp_startup.py OUT.jsonl ferrotune-gp-random "5" wfg3-2obj --option startup=random

`--option KEY=VALUE` passes a constructor argument (a string; ints and
floats are converted). Resumable: (method, problem, seed) rows already in
OUT are skipped.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mobench.methods import _suggest  # noqa: E402
from mobench.problems import get_problem  # noqa: E402

N_TRIALS = 200


def _value(text: str) -> Any:
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text


def _seeds(text: str) -> list[int]:
    seeds = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        low, high = int(first), int(last or first)
        if high < low:
            raise argparse.ArgumentTypeError(f"seed range {part!r} is empty")
        seeds.extend(range(low, high + 1))
    return seeds


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("name", help="the method's name in the rows")
    parser.add_argument("rule", help="n_startup_trials as a Python expression of d")
    parser.add_argument("problems", help="comma-separated problem ids")
    parser.add_argument("--engine", choices=["ferrotune", "optuna"], default="ferrotune")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--seeds", type=_seeds, default=list(range(10)), help="ranges A-B (inclusive) or single seeds, comma-separated (default 0-9)")
    args = parser.parse_args(argv)
    if bad := [o for o in args.option if "=" not in o or not o.partition("=")[0]]:
        parser.error(f"--option wants KEY=VALUE, got {bad[0]!r}")
    options = {k: _value(v) for k, _, v in (o.partition("=") for o in args.option)}
    mod = importlib.import_module(args.engine)
    mod.logging.set_verbosity(mod.logging.WARNING)

    done = set()
    if os.path.exists(args.out):
        with open(args.out) as f:
            done = {(r["method"], r["problem"], r["seed"]) for r in map(json.loads, f)}
    for pid in args.problems.split(","):
        problem = get_problem(pid)
        # The rule is a Python expression of d, the number of variables.
        n_startup = int(eval(args.rule, {"__builtins__": {}, "d": len(problem.params), "max": max, "min": min}))
        for seed in args.seeds:
            if (args.name, pid, seed) in done:
                continue
            sampler = mod.samplers.GPSampler(seed=seed, n_startup_trials=n_startup, **options)
            study = mod.create_study(directions=["minimize"] * problem.n_objectives, sampler=sampler)
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
                "kind": "mo", "method": args.name, "engine": args.engine, "algo": "gp", "problem": pid,
                "seed": seed, "budget": N_TRIALS, "values": values, "wall_s": time.perf_counter() - t0,
                "objective_s": objective_s, "n_startup_trials": n_startup,
            }
            if options:
                row["options"] = options
            with open(args.out, "a") as f:
                f.write(json.dumps(row) + "\n")
        print(pid, "d =", len(problem.params), "startup", n_startup, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
