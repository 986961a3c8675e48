"""The samplers the multi-objective bench compares, each driven through the
Optuna-shaped ask-and-tell API of its engine (ferrotune, optuna, rustuna).

A method whose engine lacks the sampler class is skipped with a note, so
the bench runs on what is installed; `--require` makes a missing one an
error."""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .problems import MoProblem, Param


@dataclass(frozen=True)
class MoMethod:
    name: str  # "ENGINE-ALGO"
    engine: str  # python module
    algo: str  # nsga2 | nsga3 | tpe | gp | random
    sampler_class: str
    # Extra constructor arguments beyond seed.
    kwargs: tuple[tuple[str, Any], ...] = ()

    def make_sampler(self, mod: Any, seed: int) -> Any:
        cls = getattr(mod.samplers, self.sampler_class)
        return cls(seed=seed, **dict(self.kwargs))


def _m(engine: str, algo: str, cls: str, variant: str = "", **kw: Any) -> MoMethod:
    name = f"{engine}-{algo}-{variant}" if variant else f"{engine}-{algo}"
    return MoMethod(name, engine, algo, cls, tuple(sorted(kw.items())))


METHODS: list[MoMethod] = [
    _m("ferrotune", "nsga2", "NSGAIISampler"),
    _m("ferrotune", "nsga3", "NSGAIIISampler"),
    _m("ferrotune", "tpe", "TPESampler"),
    # The TPE's two ways of modelling the parameters, whatever the default
    # (a default is chosen on the main suite and checked on WFG).
    _m("ferrotune", "tpe", "TPESampler", "independent", multivariate=False),
    _m("ferrotune", "tpe", "TPESampler", "multivariate", multivariate=True),
    # Repeated configurations allowed (the rule before 2026-12-06 for
    # independent sampling).
    _m("ferrotune", "tpe", "TPESampler", "repeats", avoid_repeats=False),
    # The good set weighted uniformly (Optuna 5's) rather than by
    # hypervolume contribution (the MOTPE paper's, the default since
    # 2026-12-07; ferrotune-tpe rows from before are this method's, and
    # were renamed so in bench/runs/).
    _m("ferrotune", "tpe", "TPESampler", "uniform", multi_objective_weighting="uniform"),
    _m("ferrotune", "gp", "GPSampler"),
    _m("ferrotune", "random", "RandomSampler"),
    _m("optuna", "nsga2", "NSGAIISampler"),
    _m("optuna", "nsga3", "NSGAIIISampler"),
    _m("optuna", "tpe", "TPESampler"),
    _m("optuna", "gp", "GPSampler"),
    _m("optuna", "random", "RandomSampler"),
    _m("rustuna", "nsga2", "NSGAIISampler"),
]
BY_NAME = {m.name: m for m in METHODS}


def available(method: MoMethod) -> tuple[bool, str]:
    """Whether the method can run here, and why not."""
    try:
        mod = importlib.import_module(method.engine)
    except Exception as e:  # noqa: BLE001 (any import failure means: not here)
        return False, f"{method.engine} not importable ({type(e).__name__}: {e})"
    if not hasattr(mod.samplers, method.sampler_class):
        return False, f"{method.engine} has no samplers.{method.sampler_class}"
    if method.engine == "optuna" and method.algo == "gp":
        try:
            importlib.import_module("torch")
        except ImportError:
            return False, "optuna's GPSampler needs torch (bench/python/requirements-search-gp.txt)"
    # A sampler class that takes one objective only says so when a study
    # with two is created.
    try:
        mod.create_study(directions=["minimize", "minimize"], sampler=method.make_sampler(mod, 0))
    except Exception as e:  # noqa: BLE001
        return False, f"{method.name} refuses two objectives ({type(e).__name__}: {e})"
    return True, ""


def engine_version(engine: str) -> str:
    try:
        return str(getattr(importlib.import_module(engine), "__version__", "?"))
    except Exception:  # noqa: BLE001
        return "?"


def _suggest(trial: Any, p: Param) -> Any:
    if p.kind == "float":
        return trial.suggest_float(p.name, p.low, p.high)
    if p.kind == "int":
        return trial.suggest_int(p.name, int(p.low), int(p.high))
    return trial.suggest_categorical(p.name, list(p.choices))


@dataclass
class MoRun:
    values: list[list[float]]
    wall_s: float
    objective_s: float


def run(method: MoMethod, problem: MoProblem, n_trials: int, seed: int) -> MoRun:
    """`n_trials` ask-and-tell trials of `method` on `problem`; every trial's
    objective values, in trial order."""
    mod = importlib.import_module(method.engine)
    lg = getattr(mod, "logging", None)
    if lg is not None and hasattr(lg, "set_verbosity"):
        lg.set_verbosity(lg.WARNING)
    sampler = method.make_sampler(mod, seed)
    study = mod.create_study(directions=["minimize"] * problem.n_objectives, sampler=sampler)
    by_number = method.engine == "rustuna"  # rustuna's Study.tell takes the trial number
    perf = time.perf_counter
    values: list[list[float]] = []
    objective_s = 0.0
    evaluate: Callable[[Any], list[float]] = problem.evaluate
    t0 = perf()
    for _ in range(n_trials):
        trial = study.ask()
        x = [_suggest(trial, p) for p in problem.params]
        t1 = perf()
        v = evaluate(x)
        objective_s += perf() - t1
        study.tell(trial.number if by_number else trial, v)
        values.append([float(y) for y in v])
    wall = perf() - t0
    done = [t for t in study.trials if str(t.state).rsplit(".", 1)[-1].upper() == "COMPLETE"]
    if len(done) != n_trials:
        raise RuntimeError(f"{method.name}: {len(done)} COMPLETE trials, expected {n_trials}")
    return MoRun(values, wall, objective_s)
