"""Methods (engine + sampler) and the adapters that drive them.

Adding a sampler is one entry in METHODS, e.g. for ferrotune's TPE:

    ask_tell("ferrotune-tpe", "tpe", lambda m, c: m.samplers.TPESampler(seed=c.seed)),

Every Optuna-shaped engine (optuna, ferrotune, rustuna) goes through the same
adapter, `ask_tell`: create_study(direction="minimize", sampler=...), then
study.ask() / trial.suggest_* / study.tell(...) for each trial. Hyperopt goes
through `fmin`.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .problems import Problem
from .space import Param, grid, grid_at_least


@dataclass
class Ctx:
    """What a sampler factory may use."""

    problem: Problem
    budget: int
    seed: int
    overhead: bool  # an overhead run (N trials on the trivial objective)

    @property
    def grid(self) -> dict[str, list[Any]]:
        if self.overhead:
            # one point more than N: the grid never runs out during the timed loop
            return grid_at_least(self.problem.space, self.budget + 1)
        return grid(self.problem.space, self.budget)


@dataclass
class RunResult:
    values: list[float]
    wall_s: float  # the whole loop, study creation excluded
    objective_s: float  # time inside the objective (0 for overhead runs)


@dataclass
class Method:
    name: str
    engine: str  # python module: ferrotune | optuna | rustuna | hyperopt | hebo
    algo: str  # random | grid | tpe | qmc | cmaes | gp
    run: Callable[[Method, Ctx], RunResult]
    make_sampler: Callable[[Any, Ctx], Any] | None = None
    continuous_only: bool = False  # run on the continuous benchmark (BBOB) only
    max_budget: int | None = None  # skipped above this many trials (slow samplers)
    max_overhead_n: int | None = None  # overhead runs: skipped above this N
    requires: tuple[str, ...] = ()  # extra modules it needs
    note: str = ""
    # Runs of baseline methods define 0 on the normalized score.
    baseline: bool = False
    tell_by_number: bool = False
    # Run only when named with --methods (ablations of one sampler's options).
    opt_in: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def n_trials(self, ctx: Ctx) -> int:
        if self.algo == "grid":
            g = ctx.grid
            return min(ctx.budget, math.prod(len(v) for v in g.values()))
        return ctx.budget

    def applies(self, problem: Problem, budget: int) -> bool:
        if self.continuous_only and problem.family not in ("bbob", "trivial"):
            return False
        if problem.family == "trivial":
            # Overhead runs have their own cap (the GP figures are at 500 trials).
            return self.max_overhead_n is None or budget <= self.max_overhead_n
        if self.max_budget is not None and budget > self.max_budget:
            return False
        return True


def engine_version(engine: str) -> str:
    dist = {"ferrotune": "ferrotune"}.get(engine, engine)
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        mod = importlib.import_module(engine)
        return str(getattr(mod, "__version__", "unknown"))


# ---------------------------------------------------------------- Optuna-shaped engines


def _suggest(trial: Any, p: Param) -> Any:
    if p.kind == "float":
        return trial.suggest_float(p.name, p.low, p.high, log=p.log)
    if p.kind == "int":
        return trial.suggest_int(p.name, int(p.low), int(p.high), log=p.log)
    return trial.suggest_categorical(p.name, list(p.choices))


def _quiet(mod: Any) -> None:
    """Optuna's (and ferrotune's) per-trial INFO lines off, as in overhead.py."""
    lg = getattr(mod, "logging", None)
    if lg is not None and hasattr(lg, "set_verbosity"):
        lg.set_verbosity(lg.WARNING)


def run_ask_tell(method: Method, ctx: Ctx) -> RunResult:
    mod = importlib.import_module(method.engine)
    _quiet(mod)
    assert method.make_sampler is not None
    sampler = method.make_sampler(mod, ctx)
    study = mod.create_study(direction="minimize", sampler=sampler)
    n = method.n_trials(ctx)
    by_number = method.tell_by_number
    perf = time.perf_counter
    values: list[float] = []

    if ctx.overhead:
        # The loop of bench/python/overhead.py: ten suggest_float, sum of squares.
        names = [p.name for p in ctx.problem.space]
        lo, hi = ctx.problem.space[0].low, ctx.problem.space[0].high
        t0 = perf()
        for _ in range(n):
            trial = study.ask()
            value = 0.0
            for name in names:
                x = trial.suggest_float(name, lo, hi)
                value += x * x
            study.tell(trial.number if by_number else trial, value)
            values.append(value)
        return RunResult(values, perf() - t0, 0.0)

    space = ctx.problem.space
    evaluate = ctx.problem.evaluate
    obj = 0.0

    if method.algo == "grid":
        # Optuna's GridSampler stops the study from tell() once the grid is
        # exhausted, which only optimize() allows: grids run through optimize().
        def objective(trial: Any) -> float:
            nonlocal obj
            params = {p.name: _suggest(trial, p) for p in space}
            t1 = perf()
            value = evaluate(params)
            obj += perf() - t1
            values.append(value)
            return value

        t0 = perf()
        study.optimize(objective, n_trials=n)
        wall = perf() - t0
    else:
        t0 = perf()
        for _ in range(n):
            trial = study.ask()
            params = {p.name: _suggest(trial, p) for p in space}
            t1 = perf()
            value = evaluate(params)
            obj += perf() - t1
            study.tell(trial.number if by_number else trial, value)
            values.append(value)
        wall = perf() - t0
    _check_recorded(method, study, values)
    return RunResult(values, wall, obj)


def _check_recorded(method: Method, study: Any, values: list[float]) -> None:
    """Every trial must be in the study as COMPLETE, with the value it was told."""
    trials = sorted(study.trials, key=lambda t: t.number)
    done = [t for t in trials if str(t.state).rsplit(".", 1)[-1].upper() == "COMPLETE"]
    if len(done) != len(values) or len(trials) != len(values):
        raise RuntimeError(f"{method.name}: {len(done)} COMPLETE trials of {len(trials)}, expected {len(values)}")
    if [t.value for t in done] != values:
        raise RuntimeError(f"{method.name}: the study's trial values differ from the values told")


def ask_tell(
    name: str,
    algo: str,
    make_sampler: Callable[[Any, Ctx], Any],
    *,
    engine: str | None = None,
    **kw: Any,
) -> Method:
    """A method driven through the Optuna-shaped API of module `engine`
    (default: the part of `name` before the first dash)."""
    engine = engine or name.split("-", 1)[0]
    return Method(
        name=name,
        engine=engine,
        algo=algo,
        run=run_ask_tell,
        make_sampler=make_sampler,
        tell_by_number=(engine == "rustuna"),  # rustuna's Study.tell takes the trial number
        **kw,
    )


# ---------------------------------------------------------------- Hyperopt


def _hp_space(space: list[Param]) -> dict[str, Any]:
    from hyperopt import hp  # noqa: PLC0415

    out: dict[str, Any] = {}
    for p in space:
        if p.kind == "cat":
            out[p.name] = hp.choice(p.name, list(p.choices))
        elif p.kind == "float":
            if p.log:
                out[p.name] = hp.loguniform(p.name, math.log(p.low), math.log(p.high))
            else:
                out[p.name] = hp.uniform(p.name, p.low, p.high)
        elif p.log:
            # exp(uniform) rounded to an integer, clipped to the range in the objective
            out[p.name] = hp.qloguniform(p.name, math.log(p.low), math.log(p.high), 1)
        else:
            out[p.name] = hp.uniformint(p.name, p.low, p.high)
    return out


def run_hyperopt(method: Method, ctx: Ctx) -> RunResult:
    import logging  # noqa: PLC0415

    import numpy as np  # noqa: PLC0415
    from hyperopt import STATUS_OK, Trials, fmin, rand, tpe  # noqa: PLC0415

    logging.getLogger("hyperopt").setLevel(logging.WARNING)
    algo = {"tpe": tpe.suggest, "random": rand.suggest}[method.algo]
    space = ctx.problem.space
    ints = [p for p in space if p.kind == "int"]
    evaluate = ctx.problem.evaluate
    perf = time.perf_counter
    obj = [0.0]

    if ctx.overhead:
        names = [p.name for p in space]

        def fn(params: dict[str, Any]) -> float:
            value = 0.0
            for name in names:
                x = params[name]
                value += x * x
            return value

    else:

        def fn(params: dict[str, Any]) -> dict[str, Any]:
            params = dict(params)
            for p in ints:
                params[p.name] = int(min(max(round(params[p.name]), p.low), p.high))
            t1 = perf()
            value = evaluate(params)
            obj[0] += perf() - t1
            return {"loss": value, "status": STATUS_OK}

    trials = Trials()
    hspace = _hp_space(space)
    t0 = perf()
    fmin(
        fn,
        hspace,
        algo=algo,
        max_evals=ctx.budget,
        trials=trials,
        rstate=np.random.default_rng(ctx.seed),
        show_progressbar=False,
        verbose=False,
    )
    wall = perf() - t0
    values = [float(v) for v in trials.losses()]
    if len(values) != ctx.budget or any(v is None for v in trials.losses()):
        raise RuntimeError(f"{method.name}: {len(values)} trials, expected {ctx.budget}")
    return RunResult(values, wall, obj[0])


def hyperopt(name: str, algo: str, **kw: Any) -> Method:
    return Method(name=name, engine="hyperopt", algo=algo, run=run_hyperopt, **kw)


# ---------------------------------------------------------------- HEBO


def run_hebo(method: Method, ctx: Ctx) -> RunResult:
    """HEBO's own suggest/observe loop, default settings (GP with input
    warping and output power transform, the MACE acquisition ensemble
    optimized by NSGA-II), one suggestion per step. Its random choices come
    from numpy's and torch's global generators, seeded here; the initial
    design from `scramble_seed`."""
    import numpy as np  # noqa: PLC0415
    import torch  # noqa: PLC0415
    from hebo.design_space.design_space import DesignSpace  # noqa: PLC0415
    from hebo.optimizers.hebo import HEBO  # noqa: PLC0415

    np.random.seed(ctx.seed)
    torch.manual_seed(ctx.seed)
    space = ctx.problem.space
    specs: list[dict[str, Any]] = []
    for p in space:
        if p.kind == "cat":
            # HEBO encodes categories itself; indices as labels keep any choice type (None, bool) intact.
            specs.append({"name": p.name, "type": "cat", "categories": [str(i) for i in range(len(p.choices))]})
        elif p.kind == "float":
            specs.append({"name": p.name, "type": "pow" if p.log else "num", "lb": p.low, "ub": p.high})
        else:
            specs.append({"name": p.name, "type": "pow_int" if p.log else "int", "lb": p.low, "ub": p.high})
    opt = HEBO(DesignSpace().parse(specs), scramble_seed=ctx.seed)
    evaluate = ctx.problem.evaluate
    perf = time.perf_counter
    values: list[float] = []
    objective_s = 0.0
    t0 = perf()
    for _ in range(ctx.budget):
        rec = opt.suggest(n_suggestions=1)
        row = rec.iloc[0]
        params: dict[str, Any] = {}
        for p in space:
            v = row[p.name]
            if p.kind == "cat":
                params[p.name] = p.choices[int(v)]
            elif p.kind == "int":
                params[p.name] = int(min(max(round(float(v)), p.low), p.high))
            else:
                params[p.name] = float(min(max(float(v), p.low), p.high))
        if ctx.overhead:
            value = sum(x * x for x in params.values())
        else:
            t1 = perf()
            value = float(evaluate(params))
            objective_s += perf() - t1
        opt.observe(rec, np.array([[value]]))
        values.append(value)
    return RunResult(values, perf() - t0, objective_s)


# ---------------------------------------------------------------- registry

GP_MAX_BUDGET = 100
# GP samplers' overhead is measured up to 500 trials (Optuna's takes about
# 1.6 s per trial there; 1,000 and 5,000 would take hours).
GP_MAX_OVERHEAD_N = 500

TPE_IMPROVEMENT = {"weighting": "expected_improvement"}
TPE_GAMMA = {"gamma": 0.15}
TPE_CLIP = {"min_bandwidth_factor": 0.03, "magic_clip_exponent": 2.0}
TPE_ENDPOINTS = {"consider_endpoints": True}
# Each on top of Optuna's defaults (the ablation of 2026-11-25); "ei-gamma15"
# is ferrotune's default since then, "optuna" the default before.
TPE_VARIANTS: dict[str, dict[str, Any]] = {
    name: {"optuna_defaults": True, **options}
    for name, options in {
        "optuna": {},
        "watanabe": {**TPE_IMPROVEMENT, **TPE_GAMMA, **TPE_CLIP, **TPE_ENDPOINTS},
        "ei": TPE_IMPROVEMENT,
        "gamma15": TPE_GAMMA,
        "clip": TPE_CLIP,
        "endpoints": TPE_ENDPOINTS,
        "ei-gamma15": {**TPE_IMPROVEMENT, **TPE_GAMMA},
    }.items()
}

# Independent sampling (several objectives' default) with and without
# passing over repeated configurations, checked on the held-out split's
# discrete tasks (ferrotune's defaults otherwise).
TPE_INDEPENDENT_VARIANTS: dict[str, dict[str, Any]] = {
    "independent": {"multivariate": False},
    "independent-repeats": {"multivariate": False, "avoid_repeats": False},
}

GP_VARIANTS: dict[str, dict[str, Any]] = {
    "startup10": {"n_startup_trials": 10},
    "standardize": {"output_transform": "standardize"},
    "power": {"output_transform": "power"},
}

METHODS: dict[str, Method] = {
    m.name: m
    for m in [
        # ferrotune (the Python package in crates/ferrotune-py)
        ask_tell("ferrotune-random", "random", lambda m, c: m.samplers.RandomSampler(seed=c.seed), baseline=True),
        ask_tell("ferrotune-grid", "grid", lambda m, c: m.samplers.GridSampler(c.grid, seed=c.seed)),
        ask_tell("ferrotune-tpe", "tpe", lambda m, c: m.samplers.TPESampler(seed=c.seed)),
        # Watanabe (2023)'s recommended TPE components, together and one at
        # a time on top of Optuna's defaults (bench/python/paired.py compares them).
        *[
            ask_tell(
                f"ferrotune-tpe-{variant}",
                "tpe",
                lambda m, c, o=options: m.samplers.TPESampler(seed=c.seed, **o),
                opt_in=True,
            )
            for variant, options in {**TPE_VARIANTS, **TPE_INDEPENDENT_VARIANTS}.items()
        ],
        ask_tell("ferrotune-qmc", "qmc", lambda m, c: m.samplers.QMCSampler(qmc_type="sobol", seed=c.seed)),
        ask_tell("ferrotune-cmaes", "cmaes", lambda m, c: m.samplers.CmaEsSampler(seed=c.seed), continuous_only=True),
        ask_tell(
            "ferrotune-gp",
            "gp",
            lambda m, c: m.samplers.GPSampler(seed=c.seed),
            max_budget=GP_MAX_BUDGET,
            max_overhead_n=GP_MAX_OVERHEAD_N,
        ),
        # Opt-in GP variants: the defaults before issue 19 (a design of 10
        # trials, as Optuna's) and without the tail compression of the outputs,
        # re-checked on the held-out split; HEBO's power transform.
        *[
            ask_tell(
                f"ferrotune-gp-{variant}",
                "gp",
                lambda m, c, o=options: m.samplers.GPSampler(seed=c.seed, **o),
                max_budget=GP_MAX_BUDGET,
                max_overhead_n=GP_MAX_OVERHEAD_N,
                opt_in=True,
            )
            for variant, options in GP_VARIANTS.items()
        ],
        # Optuna
        ask_tell("optuna-random", "random", lambda m, c: m.samplers.RandomSampler(seed=c.seed), baseline=True),
        ask_tell("optuna-tpe", "tpe", lambda m, c: m.samplers.TPESampler(seed=c.seed)),
        ask_tell(
            "optuna-qmc",
            "qmc",
            lambda m, c: m.samplers.QMCSampler(qmc_type="sobol", scramble=True, seed=c.seed),
            note="Sobol, scrambled (unscrambled Sobol ignores the seed)",
        ),
        ask_tell("optuna-cmaes", "cmaes", lambda m, c: m.samplers.CmaEsSampler(seed=c.seed), continuous_only=True),
        ask_tell(
            "optuna-gp",
            "gp",
            lambda m, c: m.samplers.GPSampler(seed=c.seed),
            max_budget=GP_MAX_BUDGET,
            max_overhead_n=GP_MAX_OVERHEAD_N,
            requires=("torch",),
        ),
        # Optuna's GridSampler reads every trial on each ask and tell: 5,000
        # trials would take over 10 minutes (about 150 ms per trial).
        ask_tell("optuna-grid", "grid", lambda m, c: m.samplers.GridSampler(c.grid, seed=c.seed), max_overhead_n=1000),
        # rustuna (the Optuna team's Rust port): no grid, QMC or GP sampler
        ask_tell("rustuna-random", "random", lambda m, c: m.samplers.RandomSampler(seed=c.seed)),
        ask_tell("rustuna-tpe", "tpe", lambda m, c: m.samplers.TPESampler(seed=c.seed)),
        ask_tell("rustuna-cmaes", "cmaes", lambda m, c: m.samplers.CmaEsSampler(seed=c.seed), continuous_only=True),
        # Hyperopt
        hyperopt("hyperopt-random", "random"),
        hyperopt("hyperopt-tpe", "tpe"),
        # HEBO (NeurIPS 2020 black-box optimization challenge winner): about
        # 2 s per suggestion on one core, so GP budgets only; it pins
        # numpy<1.25 and pymoo==0.6.0 (no CPython 3.11 wheel), so it lives in
        # its own virtualenv (bench/hebo.sh) and is skipped where it does not import.
        Method(
            name="hebo",
            engine="hebo",
            algo="gp",
            run=run_hebo,
            max_budget=GP_MAX_BUDGET,
            max_overhead_n=GP_MAX_BUDGET,
            requires=("torch",),
        ),
    ]
}

ENGINES = ("ferrotune", "optuna", "rustuna", "hyperopt", "hebo")


def probe(module: str) -> tuple[bool, str]:
    """Can this module be imported here? (ok, version or error)"""
    try:
        importlib.import_module(module)
    except Exception as e:  # noqa: BLE001 - any import failure skips the method
        return False, f"{type(e).__name__}: {e}"
    try:
        return True, engine_version(module)
    except Exception:  # noqa: BLE001
        return True, "unknown"
