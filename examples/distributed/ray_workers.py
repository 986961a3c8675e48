"""Python workers as Ray tasks sharing one PostgreSQL study.

Ray schedules the workers (on a local Ray cluster here: ``ray.init()``; on
a real one, ``ray.init(address="auto")`` from a node of the cluster); the
study in PostgreSQL hands out the trials. Each task creates the study or
loads it (``load_if_exists=True``, so the first one to arrive creates it and
the others join) and optimizes its share of the trials. Then the script
checks the study: exactly ``--n-trials`` complete, trial numbers 0..n-1
each once, no two trials with the same parameters, every worker's trials
in it.

    python ray_workers.py --storage postgresql://postgres@127.0.0.1:5432/recipes --workers 4 --n-trials 40

Needs ``ray`` and the ferrotune wheel in the same environment (Ray's
workers import this file's functions, and so ferrotune, there). Exits 0
when every check passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import time

import ray

import ferrotune
from ferrotune.samplers import TPESampler
from ferrotune.storages import RDBStorage, RetryFailedTrialCallback
from ferrotune.trial import TrialState


def open_study(url: str, study_name: str) -> ferrotune.Study:
    """The shared study, as every worker opens it: heartbeats on, so a task
    Ray loses (node gone, worker killed) has its trial failed after the
    grace period and re-run by another task with the same parameters."""
    storage = RDBStorage(
        url,
        heartbeat_interval=2,
        grace_period=10,
        failed_trial_callback=RetryFailedTrialCallback(max_retry=3),
    )
    # The same seed in every worker is right: draws are seeded per trial number.
    return ferrotune.create_study(
        storage=storage,
        study_name=study_name,
        direction="minimize",
        sampler=TPESampler(seed=42),
        load_if_exists=True,
    )


@ray.remote
def worker(url: str, study_name: str, n_trials: int, index: int) -> dict:
    """One Ray task: join the study and run ``n_trials`` trials of it."""
    ferrotune.logging.set_verbosity(ferrotune.logging.WARNING)  # no line per trial in Ray's log
    study = open_study(url, study_name)
    me = f"{socket.gethostname()}:{os.getpid()}"

    def objective(trial: ferrotune.Trial) -> float:
        x = trial.suggest_float("x", -5.0, 5.0)
        y = trial.suggest_float("y", -5.0, 5.0)
        trial.set_user_attr("worker", index)
        trial.set_user_attr("process", me)
        time.sleep(0.05)  # a stand-in for training
        return (x - 1) ** 2 + (y + 2) ** 2

    started = time.monotonic()
    study.optimize(objective, n_trials=n_trials)
    return {"worker": index, "process": me, "trials": n_trials, "seconds": round(time.monotonic() - started, 2)}


def check(study: ferrotune.Study, n_trials: int, n_workers: int) -> list[str]:
    """What is wrong with the finished study (nothing: an empty list)."""
    problems = []
    trials = study.get_trials(deepcopy=False)
    numbers = sorted(t.number for t in trials)
    if numbers != list(range(len(trials))):
        problems.append(f"trial numbers are not 0..{len(trials) - 1} each once: {numbers}")
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    if len(complete) != n_trials:
        problems.append(f"{len(complete)} complete trials, expected {n_trials}")
    left = [t.number for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]
    if left:
        problems.append(f"trials left running or waiting: {left}")
    params = {tuple(sorted(t.params.items())) for t in complete}
    if len(params) != len(complete):
        problems.append(f"{len(complete) - len(params)} complete trials repeat another's parameters")
    workers = {t.user_attrs.get("worker") for t in complete}
    if workers != set(range(n_workers)):
        problems.append(f"trials came from workers {sorted(workers)}, expected 0..{n_workers - 1}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storage", default=os.environ.get("FERROTUNE_STORAGE", "postgresql://postgres@127.0.0.1:5432/recipes"))
    parser.add_argument("--study", default="ray-quadratic")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--n-trials", type=int, default=40, help="the study's total, split between the workers")
    args = parser.parse_args()

    started = time.monotonic()
    # A local cluster with a slot per worker, whatever the core count; no dashboard.
    ray.init(num_cpus=args.workers, include_dashboard=False, logging_level="warning")
    print(f"ray up in {time.monotonic() - started:.1f} s", flush=True)
    # Split n_trials between the workers: optimize's n_trials is per call, as in Optuna.
    shares = [args.n_trials // args.workers + (i < args.n_trials % args.workers) for i in range(args.workers)]
    tasks = [worker.remote(args.storage, args.study, n, i) for i, n in enumerate(shares)]
    for result in ray.get(tasks):
        print(f"worker {result['worker']} ({result['process']}): {result['trials']} trials in {result['seconds']} s")
    ray.shutdown()

    study = ferrotune.load_study(study_name=args.study, storage=args.storage)
    problems = check(study, args.n_trials, args.workers)
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    if not problems:
        print(f"ok: {args.n_trials} trials complete from {args.workers} Ray tasks, best value {study.best_value:.4f}")
    print(f"ray recipe in {time.monotonic() - started:.1f} s")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
