"""The development harness that chose the GP's startup design (issue 19) on
the bench's tuning split: ferrotune GPSampler variants next to Optuna's on
BBOB instance 1 (2-D, 5-D, 10-D) and on scikit-learn tasks of the tuning
split, 100 trials per run, scored at 20, 40 and 100 trials from the first
trials of each run. The held-out check goes through search_bench.py.

    gp_startup_dev.py run OUT.jsonl --methods optuna-gp ferrotune-gp ft-s3 ft-s5 ft-s7 \
        optuna-random ferrotune-random --dims 2 5 --budget 100
    gp_startup_dev.py run OUT.jsonl --fids sk-dt-iris ... --dims 0 --instances 0 --seeds 0 5 ...
    gp_startup_dev.py report OUT.jsonl [--ref optuna-gp] [--budgets 20 40 100] [--per-problem]

Variants beyond the table below: GPEXP_EXTRA='name={"option": value};...'.
Scores: per problem, 0 = the mean of the random searches over seeds, 1 = the
best value any method reached (no clipping: a problem where random search is
already near the best gives large swings, as the scikit-learn table shows);
log10 regret for BBOB, the raw loss for scikit-learn. Paired: runs won /
lost / tied against --ref on the best value at the budget, and a Monte-Carlo
sign-flip test on the per-run score differences.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import json
import math
import multiprocessing as mp
import os
import sys
import time

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np

FLOOR = 1e-8


@functools.cache
def bbob(fid: int, dim: int, inst: int):
    """The bench's BBOB problem (its evaluate gives the regret)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from searchbench.problems import bbob_id, get_problem

    return get_problem(bbob_id(fid, dim, inst))


def gp_kw(**kw):
    return lambda m, s: m.samplers.GPSampler(seed=s, **kw)


METHODS = {
    "optuna-gp": ("optuna", gp_kw()),
    "optuna-random": ("optuna", lambda m, s: m.samplers.RandomSampler(seed=s)),
    "ferrotune-random": ("ferrotune", lambda m, s: m.samplers.RandomSampler(seed=s)),
    "ferrotune-gp": ("ferrotune", gp_kw()),
    "ft-gp-std": ("ferrotune", gp_kw(output_transform="standardize")),
    "ft-gp-rand": ("ferrotune", gp_kw(startup="random")),
    "ft-gp-std-rand": (
        "ferrotune",
        gp_kw(output_transform="standardize", startup="random"),
    ),
    "ft-s3": ("ferrotune", gp_kw(n_startup_trials=3)),
    "ft-s5": ("ferrotune", gp_kw(n_startup_trials=5)),
    "ft-s7": ("ferrotune", gp_kw(n_startup_trials=7)),
    "ft-s10": ("ferrotune", gp_kw(n_startup_trials=10)),
}
EXTRA = os.environ.get("GPEXP_EXTRA")  # name=json-kwargs;name2=...
if EXTRA:
    for part in EXTRA.split(";"):
        name, kw = part.split("=", 1)
        METHODS[name] = ("ferrotune", gp_kw(**json.loads(kw)))


def run_sk(job):
    method, pid, _, _, seed, budget = job
    import importlib
    import logging
    import warnings

    warnings.simplefilter("ignore")
    logging.getLogger("optuna").setLevel(logging.ERROR)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from searchbench.problems import get_problem

    engine, make = METHODS[method]
    mod = importlib.import_module(engine)
    if hasattr(mod, "logging") and hasattr(mod.logging, "set_verbosity"):
        mod.logging.set_verbosity(mod.logging.WARNING)
    prob = get_problem(pid)
    study = mod.create_study(direction="minimize", sampler=make(mod, seed))
    vals = []
    t0 = time.perf_counter()
    for _ in range(budget):
        t = study.ask()
        params = {}
        for p in prob.space:
            if p.kind == "float":
                params[p.name] = t.suggest_float(p.name, p.low, p.high, log=p.log)
            elif p.kind == "int":
                params[p.name] = t.suggest_int(
                    p.name, int(p.low), int(p.high), log=p.log
                )
            else:
                params[p.name] = t.suggest_categorical(p.name, list(p.choices))
        v = prob.evaluate(params)
        study.tell(t, v)
        vals.append(v)
    return {
        "method": method,
        "fid": pid,
        "dim": 0,
        "inst": 0,
        "seed": seed,
        "budget": budget,
        "values": vals,
        "wall": time.perf_counter() - t0,
    }


def run_one(job):
    if isinstance(job[1], str):
        return run_sk(job)
    method, fid, dim, inst, seed, budget = job
    import importlib
    import logging
    import warnings

    warnings.simplefilter("ignore")
    logging.getLogger("optuna").setLevel(logging.ERROR)
    engine, make = METHODS[method]
    mod = importlib.import_module(engine)
    if hasattr(mod, "logging") and hasattr(mod.logging, "set_verbosity"):
        mod.logging.set_verbosity(mod.logging.WARNING)
    prob = bbob(fid, dim, inst)
    study = mod.create_study(direction="minimize", sampler=make(mod, seed))
    vals = []
    t0 = time.perf_counter()
    for _ in range(budget):
        t = study.ask()
        v = prob.evaluate(
            {f"x{i}": t.suggest_float(f"x{i}", -5.0, 5.0) for i in range(dim)}
        )
        study.tell(t, v)
        vals.append(v)
    return {
        "method": method,
        "fid": fid,
        "dim": dim,
        "inst": inst,
        "seed": seed,
        "budget": budget,
        "values": vals,
        "wall": time.perf_counter() - t0,
    }


def cmd_run(a):
    done = set()
    if os.path.exists(a.out):
        with open(a.out) as f:
            for line in f:
                r = json.loads(line)
                done.add(
                    (r["method"], r["fid"], r["dim"], r["inst"], r["seed"], r["budget"])
                )
    jobs = [
        (m, f, d, i, s, a.budget)
        for m in a.methods
        for f in a.fids
        for d in a.dims
        for i in a.instances
        for s in range(a.seeds[0], a.seeds[1])
    ]
    jobs = [j for j in jobs if j not in done]
    jobs.sort(key=lambda j: (-("optuna-gp" in j[0]) * j[2], str(j[1])))
    t0 = time.time()
    with open(a.out, "a") as out, mp.get_context("spawn").Pool(a.workers) as pool:
        for k, r in enumerate(pool.imap_unordered(run_one, jobs), 1):
            out.write(json.dumps(r) + "\n")
            out.flush()
            if k % 20 == 0 or k == len(jobs):
                print(
                    f"{k}/{len(jobs)} {time.time() - t0:.0f}s",
                    file=sys.stderr,
                    flush=True,
                )


def score_at(vals, b):
    return math.log10(max(min(vals[:b]), FLOOR)) if SCALE == "log" else min(vals[:b])


SCALE = "log"


def cmd_report(a):
    global SCALE
    opener = gzip.open if a.out.endswith(".gz") else open
    with opener(a.out, "rt") as f:
        rows = [json.loads(line) for line in f]
    if any(isinstance(r["fid"], str) for r in rows):
        SCALE = "identity"
    by = {}
    for r in rows:
        by[(r["method"], r["fid"], r["dim"], r["inst"], r["seed"])] = r["values"]
    methods = sorted({k[0] for k in by})
    if a.methods:
        methods = [m for m in a.methods if m in methods]
    probs = sorted({k[1:4] for k in by})
    for b in a.budgets:
        print(f"\n## budget {b}")
        # normalized score per (problem): 0 = mean random over seeds, 1 = best found by any method
        rnd = [m for m in methods if m.endswith("random")]
        scores = {m: [] for m in methods}
        per_seed = {}
        for p in probs:
            seeds = sorted(
                {
                    k[4]
                    for k in by
                    if k[1:4] == p and all((m, *p, k[4]) in by for m in methods)
                }
            )
            if not seeds:
                continue
            v = {(m, s): score_at(by[(m, *p, s)], b) for m in methods for s in seeds}
            base = (
                np.mean([v[(m, s)] for m in rnd for s in seeds])
                if rnd
                else max(v.values())
            )
            best = min(v.values())
            span = base - best
            for m in methods:
                for s in seeds:
                    sc = (base - v[(m, s)]) / span if span > 0 else 0.0
                    per_seed[(m, p, s)] = (sc, v[(m, s)])
                scores[m].append(np.mean([per_seed[(m, p, s)][0] for s in seeds]))
        print(
            "| method | norm score | SE (over seeds) | wins/losses/ties vs "
            + a.ref
            + " | mean dlog10 | p (sign-flip MC) |"
        )
        print("|---|---|---|---|---|---|")
        for m in methods:
            keys = [k for k in per_seed if k[0] == m]
            seeds_all = sorted({k[2] for k in keys})
            # SE over seeds of the mean score across problems
            seed_means = [
                np.mean([per_seed[k][0] for k in keys if k[2] == s]) for s in seeds_all
            ]
            se = (
                np.std(seed_means, ddof=1) / math.sqrt(len(seed_means))
                if len(seed_means) > 1
                else float("nan")
            )
            w = l = t = 0
            diffs = []
            sdiffs = []
            for k in keys:
                rk = (a.ref, k[1], k[2])
                if rk not in per_seed:
                    continue
                d = per_seed[k][1] - per_seed[rk][1]
                diffs.append(d)
                sdiffs.append(per_seed[k][0] - per_seed[rk][0])
                if abs(d) < 1e-9:
                    t += 1
                elif d < 0:
                    w += 1
                else:
                    l += 1
            if diffs and m != a.ref:
                rng = np.random.default_rng(0)
                sd = np.array(sdiffs)
                obs = abs(sd.mean())
                flips = rng.choice([-1.0, 1.0], size=(20000, len(sd)))
                p = float(np.mean(np.abs((flips * sd).mean(axis=1)) >= obs - 1e-15))
            else:
                p = float("nan")
            print(
                f"| {m} | {np.mean(scores[m]):.3f} | {se:.3f} | {w}/{l}/{t} | {np.mean(diffs) if diffs else float('nan'):+.3f} | {p:.3f} |"
            )
        if a.per_problem:
            print("\nper problem: mean log10 regret")
            print("| problem | " + " | ".join(methods) + " |")
            for p in probs:
                cells = []
                for m in methods:
                    xs = [
                        per_seed[(m, p, s)][1]
                        for s in range(100)
                        if (m, p, s) in per_seed
                    ]
                    cells.append(f"{np.mean(xs):.2f}" if xs else "-")
                print(f"| f{p[0]} d{p[1]} i{p[2]} | " + " | ".join(cells) + " |")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("out")
    r.add_argument("--methods", nargs="+", required=True)
    r.add_argument(
        "--fids",
        nargs="+",
        type=lambda v: int(v) if v.isdigit() else v,
        default=[1, 2, 3, 7, 8, 10, 12, 17, 20, 21, 22],
    )
    r.add_argument("--dims", nargs="+", type=int, default=[2, 5])
    r.add_argument("--instances", nargs="+", type=int, default=[1])
    r.add_argument("--seeds", nargs=2, type=int, default=[0, 10])
    r.add_argument("--budget", type=int, default=40)
    r.add_argument("--workers", type=int, default=2)
    p = sub.add_parser("report")
    p.add_argument("out")
    p.add_argument("--ref", default="optuna-gp")
    p.add_argument("--budgets", nargs="+", type=int, default=[20, 40])
    p.add_argument("--methods", nargs="+")
    p.add_argument("--per-problem", action="store_true")
    a = ap.parse_args()
    cmd_run(a) if a.cmd == "run" else cmd_report(a)


if __name__ == "__main__":
    main()
