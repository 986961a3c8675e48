"""Handing Optuna's `GPSampler` another engine's history (the GP replay
scripts, bench/python/mo_gp_*replay.py)."""

from __future__ import annotations

from typing import Any

from .methods import _suggest


def optuna_gp_next(problem: Any, history: list[dict[str, Any]], k: int, seed: int, n_startup: int) -> None:
    """Optuna's GP with the first `k` trials of `history` (enqueued, then
    evaluated) asks for the next one and suggests every parameter, so that
    its sampler proposes: the caller's hook on `_optimize_acqf` sees the
    acquisition and the proposal."""
    import optuna  # noqa: PLC0415

    directions = ["minimize"] * problem.n_objectives
    study = optuna.create_study(
        directions=directions, sampler=optuna.samplers.GPSampler(seed=seed, n_startup_trials=n_startup)
    )
    for params in history[:k]:
        study.enqueue_trial(params)
    for _ in range(k):
        trial = study.ask()
        study.tell(trial, problem.evaluate([_suggest(trial, p) for p in problem.params]))
    trial = study.ask()
    for p in problem.params:  # Optuna samples lazily, on the first suggest
        _suggest(trial, p)
