#!/usr/bin/env python3
"""Multi-objective search quality: ferrotune's NSGA-II, NSGA-III, MOTPE and
GP next to Optuna's same samplers and rustuna's NSGA-II, on ZDT and DTLZ
problems and a real task (the main suite), or the WFG problems (`--suite
wfg`; bench/python/mobench/problems.py), same budgets and seeds (see
bench/README.md, "Multi-objective search").

    mo_bench.py run --out RESULTS.jsonl [--quick] [--methods M ...] [--suite main|wfg] [--problems P ...]
                    [--seeds N] [--budget 1000] [--gp-budget 200] [--jobs 2]
    mo_bench.py report RESULTS.jsonl [--budgets 200 1000] [--methods M ...] [--pair A B ...]
                       [--problems P ...] [--seeds N]
    mo_bench.py digits-table [--jobs 2]   (re)train the digits-MLP table (about half an hour)

`run` appends one JSON row per (method, problem, seed) to --out and skips
the ones already there, so an interrupted run resumes. Each run asks for
--budget trials (GP samplers: --gp-budget, their cost grows with the cube of
the trials) and the report scores every budget from the first trials of
the same runs. Exits 1 if a run raised or a --require'd method cannot run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import UTC, datetime
from typing import Any

# One thread per worker process (numpy, torch): workers are the parallelism.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mobench import methods as mo_methods  # noqa: E402
from mobench import problems  # noqa: E402
from mobench.problems import SUITES, get_problem  # noqa: E402
from mobench.report import report  # noqa: E402

QUICK_PROBLEMS = ["zdt1", "dtlz2-3obj"]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run_one(method_name: str, pid: str, seed: int, budget: int) -> dict[str, Any]:
    method = mo_methods.BY_NAME[method_name]
    row: dict[str, Any] = {
        "kind": "mo",
        "method": method_name,
        "engine": method.engine,
        "algo": method.algo,
        "problem": pid,
        "seed": seed,
        "budget": budget,
        "version": mo_methods.engine_version(method.engine),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    try:
        r = mo_methods.run(method, get_problem(pid), budget, seed)
        row.update(values=r.values, wall_s=r.wall_s, objective_s=r.objective_s)
    except Exception:  # noqa: BLE001 (a failed run is reported, not fatal to the others)
        row["error"] = traceback.format_exc()
    return row


def cmd_run(args: argparse.Namespace) -> int:
    quick = args.quick
    problems = args.problems or (QUICK_PROBLEMS if quick else SUITES[args.suite])
    seeds = range(args.seeds if args.seeds else (2 if quick else 10))
    budget = args.budget or (30 if quick else 1000)
    gp_budget = min(budget, args.gp_budget or (12 if quick else 200))
    wanted = args.methods or [m.name for m in mo_methods.METHODS]
    runnable = []
    failed = False
    for name in wanted:
        if name not in mo_methods.BY_NAME:
            log(f"unknown method {name}; known: {', '.join(mo_methods.BY_NAME)}")
            return 2
        ok, why = mo_methods.available(mo_methods.BY_NAME[name])
        if ok:
            runnable.append(name)
        else:
            log(f"[mo] skipping {name}: {why}")
            if name in (args.require or []):
                failed = True
    if failed:
        log("[mo] a required method cannot run")
        return 1
    done: set[tuple[str, str, int, int]] = set()
    if os.path.exists(args.out):
        with open(args.out) as f:
            for line in f:
                r = json.loads(line)
                if not r.get("error"):
                    done.add((r["method"], r["problem"], r["seed"], r["budget"]))
    jobs = []
    for name in runnable:
        b = gp_budget if mo_methods.BY_NAME[name].algo == "gp" else budget
        for pid in problems:
            for seed in seeds:
                if (name, pid, seed, b) not in done:
                    jobs.append((name, pid, seed, b))
    log(f"[mo] {len(jobs)} runs to do ({len(done)} already in {args.out}) on {args.jobs} worker(s)")
    errors = 0
    with ProcessPoolExecutor(max_workers=args.jobs) as pool, open(args.out, "a") as out:
        futures = [pool.submit(run_one, *job) for job in jobs]
        for i, fut in enumerate(as_completed(futures), 1):
            row = fut.result()
            out.write(json.dumps(row) + "\n")
            out.flush()
            if row.get("error"):
                errors += 1
                log(f"[mo] {row['method']} on {row['problem']} seed {row['seed']} raised:\n{row['error']}")
            else:
                log(f"[mo] {i}/{len(jobs)} {row['method']} {row['problem']} seed {row['seed']}: {row['wall_s']:.1f} s")
    return 1 if errors else 0


def cmd_digits_table(args: argparse.Namespace) -> int:
    """Train every configuration of the digits-MLP space once, into the
    committed table the digits-mlp problem reads."""
    import sklearn  # noqa: PLC0415

    configs = problems.digits_configs()
    runs = []
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for i, run in enumerate(pool.map(problems.train_digits_mlp, configs, chunksize=4), 1):
            runs.append(run)
            if i % 50 == 0:
                log(f"[mo] digits-mlp table: {i}/{len(configs)}")
    table = {
        "about": "digits-MLP (scikit-learn MLPClassifier, 40 epochs, 70/30 stratified split, seed 0): "
        "validation error and parameter count of every configuration, made by bench/python/mo_bench.py digits-table",
        "sklearn": sklearn.__version__,
        "runs": runs,
    }
    with open(problems.DIGITS_TABLE, "w") as f:
        json.dump(table, f, indent=0)
        f.write("\n")
    log(f"[mo] wrote {problems.DIGITS_TABLE}: {len(runs)} configurations, {sum(r['fit_s'] for r in runs):.0f} s of training")
    return 0


def load(path: str) -> list[dict[str, Any]]:
    with open(path) as f:
        return [r for line in f if (r := json.loads(line)).get("kind") == "mo" and not r.get("error")]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--out", required=True)
    r.add_argument("--quick", action="store_true")
    r.add_argument("--methods", nargs="+")
    r.add_argument("--require", nargs="+", help="methods whose absence is an error")
    r.add_argument("--suite", choices=sorted(SUITES), default="main", help="the problems when --problems is not given")
    r.add_argument("--problems", nargs="+")
    r.add_argument("--seeds", type=int)
    r.add_argument("--budget", type=int)
    r.add_argument("--gp-budget", type=int)
    r.add_argument("--jobs", type=int, default=2)
    p = sub.add_parser("report")
    p.add_argument("results")
    p.add_argument("--budgets", type=int, nargs="+")
    p.add_argument(
        "--methods",
        nargs="+",
        help="only these methods, on the problems where all of them ran the same seeds (a paired subset)",
    )
    p.add_argument(
        "--pair", nargs=2, action="append", default=[], metavar=("A", "B"), help="also compare A with B, paired by seed"
    )
    p.add_argument("--problems", nargs="+", help="only these problems")
    p.add_argument("--seeds", type=int, help="only seeds 0 to N - 1 (as `run --seeds N`): a loop still under way")
    t = sub.add_parser("digits-table")
    t.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    if args.cmd == "run":
        return cmd_run(args)
    if args.cmd == "digits-table":
        return cmd_digits_table(args)
    rows = load(args.results)
    if args.problems:
        unknown = sorted(set(args.problems) - {r["problem"] for r in rows})
        if unknown:
            log(f"[mo] report: no rows of {', '.join(unknown)} in {args.results}")
            return 2
        rows = [r for r in rows if r["problem"] in args.problems]
    if args.seeds is not None:
        if args.seeds < 1:
            log("[mo] report: --seeds must be at least 1")
            return 2
        rows = [r for r in rows if r["seed"] < args.seeds]
    if args.methods:
        rows = paired_subset(rows, args.methods)
    budgets = args.budgets or sorted({r["budget"] for r in rows} | {200} if rows else {200})
    print(report(rows, [b for b in budgets if any(len(r["values"]) >= b for r in rows)], [tuple(p) for p in args.pair]))
    return 0


def paired_subset(rows: list[dict[str, Any]], methods: list[str]) -> list[dict[str, Any]]:
    """The rows of `methods` on the problems where every one of them ran
    the same seeds (the others left out, saying so on stderr)."""
    rows = [r for r in rows if r["method"] in methods]
    seeds: dict[tuple[str, str], set[int]] = {}
    for r in rows:
        seeds.setdefault((r["problem"], r["method"]), set()).add(r["seed"])
    problems = sorted({r["problem"] for r in rows})
    kept = [p for p in problems if len({frozenset(seeds.get((p, m), ())) for m in methods}) == 1]
    print(f"[mo] report: {len(kept)} problems where {', '.join(methods)} ran the same seeds", file=sys.stderr)
    left_out = sorted(set(problems) - set(kept))
    if left_out:
        print(f"[mo] left out: {', '.join(left_out)}", file=sys.stderr)
    return [r for r in rows if r["problem"] in kept]


if __name__ == "__main__":
    sys.exit(main())
