"""Runs jobs (one method on one problem with one budget and seed) in worker
processes and streams one JSON row per job."""

from __future__ import annotations

import multiprocessing as mp
import os
import statistics
import sys
import time
import traceback
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

# One thread per worker: two workers on two cores, no oversubscription by
# BLAS/OpenMP (numpy, scipy, scikit-learn, torch). Set before they are
# imported anywhere; spawned workers inherit the environment.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_var, "1")


OVERHEAD_MIN_TIMED_S = 1.0
OVERHEAD_MAX_REPS = 7


@dataclass(frozen=True)
class Job:
    suite: str  # "bbob", "bbob-large", "sklearn", "overhead"
    method: str
    problem: str
    budget: int  # trials asked for (N for overhead)
    seed: int
    split: str = "tuning"  # "tuning" | "heldout" (search_bench.SPLITS)
    # Budgets the report scores from this run's first trials (empty: its own).
    budgets: tuple[int, ...] = ()

    @property
    def overhead(self) -> bool:
        return self.suite == "overhead"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _worker_init() -> None:
    warnings.simplefilter("ignore")
    import logging  # noqa: PLC0415

    logging.getLogger("hyperopt").setLevel(logging.ERROR)
    logging.getLogger("optuna").setLevel(logging.ERROR)


def _probe(module: str) -> tuple[str, bool, str]:
    from .methods import probe  # noqa: PLC0415

    ok, info = probe(module)
    return module, ok, info


def _execute(job: Job) -> dict[str, Any]:
    from .methods import METHODS, Ctx, engine_version  # noqa: PLC0415
    from .problems import get_problem  # noqa: PLC0415

    row: dict[str, Any] = {"kind": "overhead" if job.overhead else "search", **asdict(job)}
    method = METHODS[job.method]
    row.update(engine=method.engine, algo=method.algo)
    try:
        problem = get_problem(job.problem)
        row["family"] = problem.family
        ctx = Ctx(problem=problem, budget=job.budget, seed=job.seed, overhead=job.overhead)
        res = method.run(method, ctx)
        n = len(res.values)
        row.update(
            version=engine_version(method.engine),
            n_trials=n,
            wall_s=res.wall_s,
            objective_s=res.objective_s,
            ms_per_trial=res.wall_s * 1e3 / n,
            sampler_ms_per_trial=(res.wall_s - res.objective_s) * 1e3 / n,
            best=min(res.values),
            error=None,
        )
        if job.overhead:
            # A short run is at the mercy of the machine's noise: repeat it (a
            # fresh study each time) until about a second has been timed, at most
            # OVERHEAD_MAX_REPS times, and report the median.
            reps = [res.wall_s]
            while sum(reps) < OVERHEAD_MIN_TIMED_S and len(reps) < OVERHEAD_MAX_REPS:
                reps.append(method.run(method, ctx).wall_s)
            wall = statistics.median(reps)
            row.update(wall_s=wall, ms_per_trial=wall * 1e3 / n, sampler_ms_per_trial=wall * 1e3 / n, reps_s=reps)
        else:
            row["values"] = res.values
    except Exception:  # noqa: BLE001 - reported, and fails the run at the end
        row["error"] = traceback.format_exc()
    return row


class Pool:
    """A spawn-context process pool (a fresh interpreter per worker: no state
    shared with the parent or forked from it)."""

    def __init__(self, workers: int) -> None:
        self._pool = mp.get_context("spawn").Pool(workers, initializer=_worker_init)

    def probe(self, modules: Iterable[str]) -> dict[str, tuple[bool, str]]:
        return {m: (ok, info) for m, ok, info in self._pool.map(_probe, sorted(set(modules)))}

    def run(self, jobs: list[Job], cost: dict[Job, float]) -> Iterator[dict[str, Any]]:
        """Longest jobs first (by estimated cost) so that the two workers end
        together; yields rows as they finish, with a progress line each."""
        order = sorted(jobs, key=lambda j: -cost[j])
        total = sum(cost.values()) or 1.0
        done_cost = 0.0
        t0 = time.monotonic()
        for i, row in enumerate(self._pool.imap_unordered(_execute, order, chunksize=1), 1):
            job = Job(
                row["suite"],
                row["method"],
                row["problem"],
                row["budget"],
                row["seed"],
                row["split"],
                tuple(row["budgets"]),
            )
            done_cost += cost[job]
            elapsed = time.monotonic() - t0
            eta = elapsed * (total - done_cost) / done_cost if done_cost > 0 else float("nan")
            status = "FAILED" if row.get("error") else f"{row['wall_s']:.1f}s"
            log(
                f"[search] {i}/{len(order)} {job.suite} {job.method} {job.problem} "
                f"B={job.budget} seed={job.seed}: {status} (elapsed {elapsed:.0f}s, eta ~{eta:.0f}s)"
            )
            yield row

    def close(self) -> None:
        self._pool.close()
        self._pool.join()
