#!/usr/bin/env python3
"""Search quality and sampler overhead: ferrotune next to Optuna, rustuna and
Hyperopt, same problems, budgets and seeds (see bench/README.md).

    search_bench.py run --mode quick|full --out results.jsonl --report-dir DIR
    search_bench.py report results.jsonl --report-dir DIR

`run` executes every (method, problem, budget, seed) job over worker
processes, appends one JSON row per job to --out, then writes the report
(report.md and PNG plots) to --report-dir. It exits 1 if any run raised, or if
an engine named with --require cannot be imported; a method whose package is
missing is skipped with a note.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from searchbench import runner  # noqa: E402  (sets the thread-count environment first)
from searchbench.runner import Job, log  # noqa: E402

# ---------------------------------------------------------------- what each mode runs

# Katsuura (f23) and Lunacek (f24) are cheap to evaluate, but each function
# costs about 2 minutes of GPSampler per seed: left out to keep the full mode
# within the hour.
BBOB_FUNCTIONS_FULL = [1, 2, 3, 7, 8, 10, 12, 17, 20, 21, 22]
BBOB_DIMS_FULL = [2, 5, 10]
BBOB_LARGE_FUNCTIONS = [1, 8, 10, 21]  # sphere, Rosenbrock, rotated ellipsoid, Gallagher 101
BBOB_LARGE_DIM = 10

# bayesmark-style (model, data set) pairs: every model, every data set; the
# costlier fits (digits, ensembles, MLP) on fewer data sets.
SKLEARN_FULL = [
    ("dt", "iris"), ("dt", "wine"), ("dt", "breast_cancer"), ("dt", "digits"), ("dt", "diabetes"),
    ("svm", "iris"), ("svm", "wine"), ("svm", "breast_cancer"), ("svm", "digits"), ("svm", "diabetes"),
    ("knn", "iris"), ("knn", "wine"), ("knn", "breast_cancer"), ("knn", "diabetes"),
    ("lasso", "wine"), ("lasso", "breast_cancer"), ("lasso", "diabetes"),
    ("linear", "iris"), ("linear", "digits"), ("linear", "diabetes"),
    ("rf", "wine"), ("rf", "diabetes"),
    ("mlp", "iris"), ("mlp", "diabetes"),
    ("ada", "wine"), ("ada", "breast_cancer"),
]  # fmt: skip

MODES: dict[str, dict[str, Any]] = {
    "full": {
        "seeds": 5,
        "bbob": {"functions": BBOB_FUNCTIONS_FULL, "dims": BBOB_DIMS_FULL, "budget": 100},
        "bbob-large": {"functions": BBOB_LARGE_FUNCTIONS, "dims": [BBOB_LARGE_DIM], "budget": 1000, "seeds": 3},
        "sklearn": {"problems": SKLEARN_FULL, "budget": 50},
        "overhead": {"n": [100, 1000, 5000]},
    },
    # Smoke run for CI: every code path, tiny budgets, one seed. Not a measurement.
    "quick": {
        "seeds": 1,
        "bbob": {"functions": [1, 8], "dims": [2], "budget": 20},
        "bbob-large": {"functions": [1], "dims": [2], "budget": 40},
        "sklearn": {"problems": [("knn", "iris"), ("svm", "diabetes")], "budget": 12},
        "overhead": {"n": [20, 50]},
    },
}
SUITES = ("bbob", "bbob-large", "sklearn", "overhead")


def plan(
    mode: dict[str, Any], suites: list[str], methods: list[str], seeds: int | None, first_seed: int = 0
) -> list[Job]:
    from searchbench.methods import METHODS  # noqa: PLC0415
    from searchbench.problems import OVERHEAD_DIM, bbob_id, get_problem, sklearn_id  # noqa: PLC0415

    jobs: list[Job] = []
    for suite in suites:
        cfg = mode[suite]
        n_seeds = seeds if seeds is not None else cfg.get("seeds", mode["seeds"])
        if suite == "overhead":
            pid = f"sumsq-d{OVERHEAD_DIM:02d}"
            for n in cfg["n"]:
                for m in methods:
                    if METHODS[m].applies(get_problem(pid), n):
                        jobs.append(Job(suite, m, pid, n, 0))
            continue
        if suite == "sklearn":
            pids = [sklearn_id(model, data) for model, data in cfg["problems"]]
        else:
            pids = [bbob_id(f, d) for d in cfg["dims"] for f in cfg["functions"]]
        for pid in pids:
            problem = get_problem(pid)
            for m in methods:
                if not METHODS[m].applies(problem, cfg["budget"]):
                    continue
                for s in range(first_seed, first_seed + n_seeds):
                    jobs.append(Job(suite, m, pid, cfg["budget"], s))
    return jobs


# Per-trial costs (ms) measured on the 2-core machine, to order jobs longest
# first and to print an estimate.
EVAL_MS = {"dt": 6, "svm": 22, "knn": 24, "lasso": 20, "linear": 52, "rf": 75, "mlp": 85, "ada": 195}


def estimate(job: Job) -> float:
    from searchbench.methods import METHODS  # noqa: PLC0415

    m = METHODS[job.method]
    n = job.budget
    dim = int(job.problem.rsplit("-d", 1)[1]) if job.problem.startswith(("bbob", "sumsq")) else 6
    per = {
        ("optuna", "tpe"): 1.0 + 0.0045 * n,
        ("hyperopt", "tpe"): 3.0 + 0.0075 * n,
        ("optuna", "gp"): 35.0 if dim <= 2 else 65.0,  # with greenlet (batched L-BFGS-B)
        ("hebo", "gp"): 2000.0,
        ("optuna", "grid"): 1.0 + 0.022 * n,
        ("optuna", "cmaes"): 0.7,
        ("optuna", "qmc"): 0.7,
        ("optuna", "random"): 0.3,
        ("hyperopt", "random"): 0.4 + 0.0004 * n,
    }.get((m.engine, m.algo), 0.05)
    if job.problem.startswith("sk-"):
        per += EVAL_MS.get(job.problem.split("-")[1], 50)
    return n * per / 1e3


# ---------------------------------------------------------------- main


def cmd_run(args: argparse.Namespace) -> int:
    from searchbench.methods import METHODS  # noqa: PLC0415
    from searchbench.report import write_report  # noqa: PLC0415

    mode = MODES[args.mode]
    if args.bbob_functions:
        mode["bbob"]["functions"] = args.bbob_functions
    if args.bbob_dims:
        mode["bbob"]["dims"] = args.bbob_dims
    if args.bbob_large_functions:
        mode["bbob-large"]["functions"] = args.bbob_large_functions
    if args.bbob_large_dims:
        mode["bbob-large"]["dims"] = args.bbob_large_dims
    if args.overhead_n:
        mode["overhead"]["n"] = args.overhead_n
    if args.sklearn:
        mode["sklearn"]["problems"] = [tuple(p.split("-", 1)) for p in args.sklearn]
    methods = args.methods or [name for name, m in METHODS.items() if not m.opt_in]
    if args.dry_run:
        jobs = plan(mode, args.suites, methods, args.seeds, args.first_seed)
        for suite in args.suites:
            js = [j for j in jobs if j.suite == suite]
            log(f"[search] {suite}: {len(js)} runs, ~{sum(estimate(j) for j in js) / 60:.1f} core-minutes")
        log(f"[search] total ~{sum(estimate(j) for j in jobs) / args.workers / 60:.1f} min on {args.workers} workers")
        return 0
    pool = runner.Pool(args.workers)
    status = 0
    try:
        modules = {METHODS[m].engine for m in methods} | {r for m in methods for r in METHODS[m].requires}
        modules |= set(args.require)
        probed = pool.probe(modules)
        out = open(args.out, "a")

        def emit(row: dict[str, Any]) -> None:
            out.write(json.dumps(row) + "\n")
            out.flush()

        emit(
            {
                "kind": "meta",
                "mode": args.mode,
                "started": datetime.now(UTC).isoformat(timespec="seconds"),
                "python": sys.version.split()[0],
                "platform": platform.platform(),
                "cpus": os.cpu_count(),
                "workers": args.workers,
                "config": {s: mode[s] for s in args.suites},
                "seeds": args.seeds,
                "first_seed": args.first_seed,
                "versions": {m: info for m, (ok, info) in probed.items() if ok},
            }
        )
        for module, (ok, info) in sorted(probed.items()):
            if ok:
                log(f"[search] {module} {info}")
            else:
                log(f"[search] {module} cannot be imported: {info}")
                if module in args.require:
                    log(f"[search] ERROR: {module} is required (--require) but cannot be imported")
                    status = 1
        runnable = []
        for m in methods:
            missing = [r for r in (METHODS[m].engine, *METHODS[m].requires) if not probed[r][0]]
            if missing:
                reason = "; ".join(f"{r}: {probed[r][1]}" for r in missing)
                log(f"[search] skipping {m}: {reason}")
                emit({"kind": "skip", "method": m, "reason": reason})
            else:
                runnable.append(m)
        jobs = plan(mode, args.suites, runnable, args.seeds, args.first_seed)
        cost = {j: estimate(j) for j in jobs}
        minutes = sum(cost.values()) / args.workers / 60
        log(f"[search] {len(jobs)} runs on {args.workers} workers, estimated {minutes:.1f} min")
        t0 = time.monotonic()
        failures = 0
        # Overhead runs first, by themselves: timed next to each other only,
        # not next to scikit-learn fits or torch.
        phases = [[j for j in jobs if j.overhead], [j for j in jobs if not j.overhead]]
        for phase in phases:
            for row in pool.run(phase, {j: cost[j] for j in phase}):
                emit(row)
                if row.get("error"):
                    failures += 1
                    log(f"[search] FAILED {row['method']} on {row['problem']} (seed {row['seed']}):\n{row['error']}")
        emit({"kind": "end", "elapsed_s": time.monotonic() - t0, "failures": failures})
        out.close()
        log(f"[search] done in {time.monotonic() - t0:.0f}s, {failures} failed runs; raw results: {args.out}")
        if failures:
            status = 1
    finally:
        pool.close()
    if args.report_dir:
        write_report([args.out], args.report_dir)
        log(f"[search] report: {os.path.join(args.report_dir, 'report.md')}")
    return status


def cmd_report(args: argparse.Namespace) -> int:
    from searchbench.report import write_report  # noqa: PLC0415

    write_report(args.results, args.report_dir)
    log(f"[search] report: {os.path.join(args.report_dir, 'report.md')}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run the benchmark, then write the report")
    r.add_argument("--mode", choices=sorted(MODES), default="full")
    r.add_argument("--out", required=True, help="JSONL file to append raw results to")
    r.add_argument("--report-dir", help="where to write report.md and the plots")
    r.add_argument("--workers", type=int, default=2)
    r.add_argument("--suites", nargs="+", choices=SUITES, default=list(SUITES))
    r.add_argument("--methods", nargs="+", help="methods to run (default: all)")
    r.add_argument("--seeds", type=int, help="number of seeds (overrides the mode's)")
    r.add_argument(
        "--first-seed", type=int, default=0, help="seeds run from here (fresh seeds to confirm an earlier finding)"
    )
    r.add_argument("--require", nargs="*", default=[], help="modules whose import failure is an error")
    r.add_argument("--bbob-functions", type=int, nargs="+", help="override the mode's BBOB functions")
    r.add_argument("--bbob-dims", type=int, nargs="+", help="override the mode's BBOB dimensions")
    r.add_argument("--bbob-large-functions", type=int, nargs="+", help="the same for the large-budget BBOB suite")
    r.add_argument("--bbob-large-dims", type=int, nargs="+", help="the same for the large-budget BBOB suite")
    r.add_argument("--sklearn", nargs="+", help="override the mode's sklearn problems, as MODEL-DATASET")
    r.add_argument("--overhead-n", type=int, nargs="+", help="override the mode's overhead trial counts")
    r.add_argument("--dry-run", action="store_true", help="print the runs' estimated cost and exit")
    r.set_defaults(func=cmd_run)
    p = sub.add_parser("report", help="write the report from existing JSONL results")
    p.add_argument("results", nargs="+")
    p.add_argument("--report-dir", required=True)
    p.set_defaults(func=cmd_report)
    args = ap.parse_args(argv)
    if args.cmd == "run":
        from searchbench.methods import METHODS  # noqa: PLC0415

        unknown = [m for m in args.methods or [] if m not in METHODS]
        if unknown:
            ap.error(f"unknown methods {unknown}; known: {sorted(METHODS)}")
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
