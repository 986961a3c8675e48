#!/usr/bin/env python3
"""Per-trial ask+tell overhead of a sampler in Optuna and rustuna (and, on
request, ferrotune's own Python package: --engines ferrotune-py-memory, the
same face as theirs).

Protocol (identical for every engine, and mirrored by the Rust side of the
benchmark): one fresh study per (engine, N) with --objectives K objectives
(1 by default), all minimized, the --sampler (RandomSampler by default)
seeded with 0; each trial is created with study.ask(), suggests 10 floats
x0..x9 uniform in [-5, 5], and is finished with study.tell(...) with
objective j the squared distance to (j, ..., j) (the sum of squares when
K = 1). An engine without the sampler is skipped, saying so. The whole loop of
N trials is timed with time.perf_counter (study creation is not timed).

Output: one JSON object per (engine, N) on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import json
import math
import os
import shutil
import sys
import tempfile
import time
from typing import Any, Callable

N_PARAMS = 10
NAMES = [f"x{i}" for i in range(N_PARAMS)]
LOW, HIGH = -5.0, 5.0
SEED = 0

ENGINES = ["optuna-memory", "optuna-sqlite", "rustuna-memory", "rustuna-sqlite"]
# Not run unless asked for: the bench's virtualenv has no ferrotune wheel
# unless one is installed (pip install ./crates/ferrotune-py).
EXTRA_ENGINES = ["ferrotune-py-memory"]

# The sampler every engine uses (--sampler): random search unless told.
SAMPLERS = ["random", "nsga2", "nsga3", "tpe"]
SAMPLER = "random"
# Objectives per study (--objectives): objective j is the squared distance
# to (j, ..., j), all minimized; with one, the sum of squares.
OBJECTIVES = 1

SAMPLER_CLASSES = {
    "random": "RandomSampler",
    "nsga2": "NSGAIISampler",
    "nsga3": "NSGAIIISampler",
    "tpe": "TPESampler",
}


def make_sampler(module: Any) -> Any:
    # Optuna and rustuna name their samplers alike; an engine without the
    # sampler is skipped (see main).
    return getattr(module.samplers, SAMPLER_CLASSES[SAMPLER])(seed=SEED)


def has_sampler(package: str) -> bool:
    # An engine not installed (ferrotune's wheel, on request) is skipped too.
    try:
        module = importlib.import_module(package)
    except ImportError:
        return False
    return hasattr(module.samplers, SAMPLER_CLASSES[SAMPLER])


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def pkg_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


# ---------------------------------------------------------------- engines
# Each factory takes a scratch directory and returns (study, tell), where
# tell(study, trial, value) finishes the trial. The study is created before
# the timer starts.


def make_optuna(storage_kind: str, tmpdir: str) -> tuple[Any, Callable[..., Any]]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    optuna.logging.disable_default_handler()
    if storage_kind == "memory":
        storage: Any = None  # optuna.storages.InMemoryStorage
    else:
        # Plain URL, as a user would pass it: Optuna wraps RDBStorage in its
        # usual _CachedStorage layer.
        storage = "sqlite:///" + os.path.join(tmpdir, "optuna.db")
    study = optuna.create_study(
        storage=storage,
        sampler=make_sampler(optuna),
        directions=["minimize"] * OBJECTIVES,
    )

    def tell(study: Any, trial: Any, value: float) -> None:
        study.tell(trial, value)

    return study, tell


def make_rustuna(storage_kind: str, tmpdir: str) -> tuple[Any, Callable[..., Any]]:
    import rustuna

    if storage_kind == "memory":
        storage: Any = rustuna.storages.InMemoryStorage()
    else:
        storage = rustuna.storages.SQLite3Storage(
            os.path.join(tmpdir, "rustuna.db"), create_database=True
        )
    study = rustuna.create_study(
        storage=storage,
        sampler=make_sampler(rustuna),
        directions=["minimize"] * OBJECTIVES,
    )

    def tell(study: Any, trial: Any, value: float) -> None:
        # rustuna's Study.tell takes the trial *number*, not the Trial object.
        study.tell(trial.number, value)

    return study, tell


def make_ferrotune_py(storage_kind: str, tmpdir: str) -> tuple[Any, Callable[..., Any]]:
    import ferrotune

    assert storage_kind == "memory"
    study = ferrotune.create_study(sampler=make_sampler(ferrotune), directions=["minimize"] * OBJECTIVES)

    def tell(study: Any, trial: Any, value: float) -> None:
        study.tell(trial, value)

    return study, tell


FACTORIES: dict[str, tuple[str, Callable[[str, str], tuple[Any, Callable[..., Any]]], str]] = {
    "optuna-memory": ("optuna", make_optuna, "memory"),
    "optuna-sqlite": ("optuna", make_optuna, "sqlite"),
    "rustuna-memory": ("rustuna", make_rustuna, "memory"),
    "rustuna-sqlite": ("rustuna", make_rustuna, "sqlite"),
    "ferrotune-py-memory": ("ferrotune", make_ferrotune_py, "memory"),
}


# ---------------------------------------------------------------- run


def run_loop(study: Any, tell: Callable[..., Any], n_trials: int) -> tuple[float, float, float]:
    """Run n_trials ask/suggest/tell iterations.

    Returns (total seconds, seconds for the last 10% of trials, best value).
    Only two extra perf_counter reads happen inside the loop region (at the
    start of the last 10%), so timing overhead is negligible.
    """
    n_last = max(1, n_trials // 10)
    split = n_trials - n_last
    names = NAMES
    best = math.inf
    perf = time.perf_counter

    t0 = perf()
    t_split = t0
    for i in range(n_trials):
        if i == split:
            t_split = perf()
        trial = study.ask()
        if OBJECTIVES == 1:
            value = 0.0
            for name in names:
                x = trial.suggest_float(name, LOW, HIGH)
                value += x * x
            tell(study, trial, value)
        else:
            values = [0.0] * OBJECTIVES
            for name in names:
                x = trial.suggest_float(name, LOW, HIGH)
                for j in range(OBJECTIVES):
                    values[j] += (x - j) * (x - j)
            tell(study, trial, values)
            value = values[0]
        if value < best:
            best = value
    t_end = perf()
    return t_end - t0, t_end - t_split, best


def count_complete(study: Any) -> int:
    return sum(1 for t in study.trials if str(t.state).rsplit(".", 1)[-1].upper() == "COMPLETE")


def bench(engine: str, n_trials: int, check: bool) -> dict[str, Any]:
    package, factory, storage_kind = FACTORIES[engine]
    tmpdir = tempfile.mkdtemp(prefix=f"ftbench-{engine}-")
    try:
        study, tell = factory(storage_kind, tmpdir)
        total, last, best = run_loop(study, tell, n_trials)
        n_last = max(1, n_trials // 10)
        result: dict[str, Any] = {
            "engine": engine,
            "sampler": SAMPLER,
            "objectives": OBJECTIVES,
            "n_trials": n_trials,
            "ms_per_trial": total * 1e3 / n_trials,
            "ms_per_trial_last10pct": last * 1e3 / n_last,
            "total_s": total,
            "best_value": best,
            "version": pkg_version(package),
            "storage": storage_kind,
            "python": sys.version.split()[0],
        }
        if check:
            n_complete = count_complete(study)
            result["n_complete"] = n_complete
            if n_complete != n_trials:
                log(f"WARNING: {engine}: {n_complete} COMPLETE trials, expected {n_trials}")
        del study
        return result
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials", type=int, nargs="+", default=[1000], help="values of N (default: 1000)")
    ap.add_argument("--engines", nargs="+", default=ENGINES, choices=ENGINES + EXTRA_ENGINES, help="engines to run (default: all)")
    ap.add_argument("--sampler", default="random", choices=SAMPLERS, help="sampler of every engine (default: random)")
    ap.add_argument("--objectives", type=int, default=1, help="objectives per study, all minimized (default: 1)")
    ap.add_argument(
        "--no-check",
        action="store_true",
        help="skip the (untimed) post-run count of COMPLETE trials",
    )
    args = ap.parse_args(argv)
    global SAMPLER, OBJECTIVES
    SAMPLER = args.sampler
    OBJECTIVES = args.objectives
    if OBJECTIVES < 1:
        ap.error("--objectives must be positive")
    if any(n <= 0 for n in args.trials):
        ap.error("--trials values must be positive")

    for engine in args.engines:
        package = FACTORIES[engine][0]
        if not has_sampler(package):
            log(f"[ftbench] {engine}: skipped, {package} is not installed or has no {SAMPLER_CLASSES[SAMPLER]}")
            continue
        for n in args.trials:
            log(f"[ftbench] {engine} N={n} ...")
            res = bench(engine, n, check=not args.no_check)
            log(
                f"[ftbench] {engine} N={n}: {res['ms_per_trial']:.4f} ms/trial "
                f"(last 10%: {res['ms_per_trial_last10pct']:.4f} ms/trial)"
            )
            print(json.dumps(res), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
