"""Multi-objective test problems, written from their definitions:

- ZDT1, ZDT2, ZDT3, ZDT4, ZDT6: Zitzler, Deb & Thiele, "Comparison of
  multiobjective evolutionary algorithms: empirical results", Evolutionary
  Computation 8(2), 2000 (30 variables for ZDT1-3, 10 for ZDT4 and ZDT6).
- DTLZ1-7 with 2 and 3 objectives: Deb, Thiele, Laumanns & Zitzler,
  "Scalable test problems for evolutionary multiobjective optimization",
  2005 (k = 5 distance variables for DTLZ1, 10 for DTLZ2-6, 20 for DTLZ7).
- WFG1-9 with 2 and 3 objectives (a suite of its own, `WFG_IDS`): Huband,
  Hingston, Barone & While, "A review of multiobjective test problems and a
  scalable test problem toolkit", IEEE TEVC 10(5), 2006, evaluated by
  pymoo's implementation (k = 4 position and l = 10 distance variables,
  x_i in [0, 2i]).
- UF8, UF9 and UF10 (a suite of their own, `UF_IDS`): the 3-objective
  unconstrained problems of Zhang, Zhou, Zhao, Suganthan, Liu & Tiwari,
  "Multiobjective optimization test instances for the CEC 2009 special
  session and competition", tech. report CES-487, 2008, with n = 30
  variables as there (`ufN`) and n = 10 (`ufN-10var`): x1, x2 in [0, 1],
  the rest in [-2, 2]. The distance variables are tied to the position
  ones (x_j is optimal at 2 x2 sin(2 pi x1 + j pi / n)), UF9's front is in
  two parts and UF10's distance is multimodal: traits of WFG that DTLZ
  lacks, in a split of problems apart from WFG.

All objectives are minimized. Each problem has a fixed hypervolume reference
point that depends on no method: in each objective, the larger of the median
over 10,000 points drawn uniformly from the box (numpy seed 0) and 1.1 times
a bound of the Pareto front in that objective. The median makes a random
search of 200 trials cover part of the box (so the normalized score, which
puts the random search's mean at 0, is defined); the front's bound makes the
whole front count (DTLZ4's median is 0 in all but the first objective).
"""

from __future__ import annotations

import itertools
import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Vector = np.ndarray


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # "float" | "int" | "categorical"
    low: float = 0.0
    high: float = 1.0
    choices: tuple[str, ...] = ()


@dataclass
class MoProblem:
    name: str
    n_objectives: int
    lower: Vector
    upper: Vector
    evaluate: Callable[[Vector], list[float]]
    reference: Vector = field(default_factory=lambda: np.zeros(0))
    # The parameters as suggested (default: one float per box axis, x0, x1, ...).
    params: list[Param] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.params:
            self.params = [Param(f"x{i}", "float", float(lo), float(hi)) for i, (lo, hi) in enumerate(zip(self.lower, self.upper))]

    @property
    def dim(self) -> int:
        return len(self.lower)

    def evaluate_many(self, xs: Vector) -> Vector:
        return np.array([self.evaluate(x) for x in xs])


# ---------------------------------------------------------------- ZDT


def _zdt(name: str, n: int) -> MoProblem:
    lower = np.zeros(n)
    upper = np.ones(n)
    if name == "zdt4":
        lower[1:] = -5.0
        upper[1:] = 5.0

    def evaluate(x: Vector) -> list[float]:
        x = np.asarray(x, dtype=float)
        rest = x[1:]
        if name == "zdt4":
            g = 1.0 + 10.0 * (n - 1) + float(np.sum(rest**2 - 10.0 * np.cos(4.0 * math.pi * rest)))
        elif name == "zdt6":
            g = 1.0 + 9.0 * (float(np.sum(rest)) / (n - 1)) ** 0.25
        else:
            g = 1.0 + 9.0 * float(np.sum(rest)) / (n - 1)
        if name == "zdt6":
            f1 = 1.0 - math.exp(-4.0 * x[0]) * math.sin(6.0 * math.pi * x[0]) ** 6
        else:
            f1 = float(x[0])
        r = f1 / g
        if name in ("zdt1", "zdt4"):
            h = 1.0 - math.sqrt(r)
        elif name in ("zdt2", "zdt6"):
            h = 1.0 - r * r
        else:  # zdt3
            h = 1.0 - math.sqrt(r) - r * math.sin(10.0 * math.pi * f1)
        return [f1, g * h]

    return MoProblem(name, 2, lower, upper, evaluate)


# ---------------------------------------------------------------- DTLZ

DTLZ_K = {1: 5, 2: 10, 3: 10, 4: 10, 5: 10, 6: 10, 7: 20}


def _g_rastrigin(xm: Vector) -> float:
    """DTLZ1's and DTLZ3's distance function (many local fronts)."""
    return 100.0 * (len(xm) + float(np.sum((xm - 0.5) ** 2 - np.cos(20.0 * math.pi * (xm - 0.5)))))


def _spherical(angles: Vector, radius: float, m: int) -> list[float]:
    """Objectives on the sphere of `radius` in the positive orthant, from the
    M-1 position angles (DTLZ2-6)."""
    f = []
    for i in range(m):
        v = radius
        for j in range(m - 1 - i):
            v *= math.cos(angles[j])
        if i > 0:
            v *= math.sin(angles[m - 1 - i])
        f.append(v)
    return f


def _dtlz(number: int, m: int) -> MoProblem:
    k = DTLZ_K[number]
    n = m + k - 1

    def evaluate(x: Vector) -> list[float]:
        x = np.asarray(x, dtype=float)
        xp, xm = x[: m - 1], x[m - 1 :]
        if number == 1:
            g = _g_rastrigin(xm)
            f = []
            for i in range(m):
                v = 0.5 * (1.0 + g)
                v *= float(np.prod(xp[: m - 1 - i]))
                if i > 0:
                    v *= 1.0 - xp[m - 1 - i]
                f.append(v)
            return f
        if number in (2, 3, 4):
            g = _g_rastrigin(xm) if number == 3 else float(np.sum((xm - 0.5) ** 2))
            positions = xp**100.0 if number == 4 else xp
            return _spherical(positions * (math.pi / 2.0), 1.0 + g, m)
        if number in (5, 6):
            g = float(np.sum((xm - 0.5) ** 2)) if number == 5 else float(np.sum(xm**0.1))
            angles = np.empty(m - 1)
            angles[0] = xp[0] * math.pi / 2.0
            angles[1:] = math.pi / (4.0 * (1.0 + g)) * (1.0 + 2.0 * g * xp[1:])
            return _spherical(angles, 1.0 + g, m)
        # DTLZ7: a disconnected front.
        g = 1.0 + 9.0 / k * float(np.sum(xm))
        f = [float(v) for v in xp]
        h = m - sum(fi / (1.0 + g) * (1.0 + math.sin(3.0 * math.pi * fi)) for fi in f)
        return f + [(1.0 + g) * h]

    return MoProblem(f"dtlz{number}-{m}obj", m, np.zeros(n), np.ones(n), evaluate)


# ---------------------------------------------------------------- digits-MLP

# A real task: a scikit-learn MLP on the digits data set, validation error
# against parameter count. Every configuration of this discrete space was
# trained once (fixed split and seed) by `mo_bench.py digits-table`, into a
# committed table, so a run costs lookups and every method meets the same
# (noise-free) numbers.
DIGITS_PARAMS = [
    Param("layers", "int", 1, 3),
    Param("log2_units", "int", 3, 7),
    Param("log10_alpha", "int", -6, -1),
    Param("log10_learning_rate", "int", -4, -1),
    Param("activation", "categorical", choices=("relu", "tanh")),
]
DIGITS_TABLE = os.path.join(os.path.dirname(__file__), "..", "..", "reports", "mo-digits-mlp-table.json")


def digits_key(config: dict[str, Any]) -> str:
    return ",".join(str(config[p.name]) for p in DIGITS_PARAMS)


def digits_configs() -> list[dict[str, Any]]:
    grids = [
        list(p.choices) if p.kind == "categorical" else list(range(int(p.low), int(p.high) + 1)) for p in DIGITS_PARAMS
    ]
    return [dict(zip((p.name for p in DIGITS_PARAMS), combo)) for combo in itertools.product(*grids)]


def digits_parameter_count(config: dict[str, Any]) -> int:
    widths = [64] + [2 ** int(config["log2_units"])] * int(config["layers"]) + [10]
    return sum(a * b + b for a, b in zip(widths, widths[1:]))


def train_digits_mlp(config: dict[str, Any]) -> dict[str, Any]:
    """One training run: validation error, parameter count, seconds."""
    import time  # noqa: PLC0415
    import warnings  # noqa: PLC0415

    from sklearn.datasets import load_digits  # noqa: PLC0415
    from sklearn.model_selection import train_test_split  # noqa: PLC0415
    from sklearn.neural_network import MLPClassifier  # noqa: PLC0415
    from sklearn.preprocessing import StandardScaler  # noqa: PLC0415

    x, y = load_digits(return_X_y=True)
    x_train, x_valid, y_train, y_valid = train_test_split(x, y, test_size=0.3, random_state=0, stratify=y)
    scaler = StandardScaler().fit(x_train)
    model = MLPClassifier(
        hidden_layer_sizes=(2 ** int(config["log2_units"]),) * int(config["layers"]),
        activation=config["activation"],
        alpha=10.0 ** int(config["log10_alpha"]),
        learning_rate_init=10.0 ** int(config["log10_learning_rate"]),
        max_iter=40,
        random_state=0,
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # not converged in 40 epochs: part of the trade-off
        model.fit(scaler.transform(x_train), y_train)
    seconds = time.perf_counter() - start
    error = 1.0 - float(model.score(scaler.transform(x_valid), y_valid))
    return {"config": config, "error": error, "n_params": digits_parameter_count(config), "fit_s": seconds}


def _digits_problem() -> MoProblem:
    with open(DIGITS_TABLE) as f:
        table = {digits_key(r["config"]): (r["error"], float(r["n_params"])) for r in json.load(f)["runs"]}
    names = [p.name for p in DIGITS_PARAMS]

    def evaluate(x: Vector) -> list[float]:
        return list(table[digits_key(dict(zip(names, x)))])

    n = len(DIGITS_PARAMS)
    p = MoProblem("digits-mlp", 2, np.zeros(n), np.ones(n), evaluate, params=list(DIGITS_PARAMS))
    # The synthetic problems' rule, exact here since the table holds every
    # configuration: per objective, the larger of the median over all of
    # them and 1.1 times the Pareto front's worst value.
    points = np.array(sorted(set(table.values())))
    front = points[[not np.any(np.all(points <= q, axis=1) & np.any(points < q, axis=1)) for q in points]]
    p.reference = np.maximum(np.median(np.array(list(table.values())), axis=0), 1.1 * front.max(axis=0))
    return p


# ---------------------------------------------------------------- WFG

# Position (k) and distance (l) variables: pymoo's smallest k (it asks for
# k >= 4, a multiple of M - 1) and an even l (WFG2 and WFG3 pair them).
WFG_K = 4
WFG_L = 10


def _pymoo_wfg(number: int, m: int) -> Any:
    from pymoo.problems import get_problem as pymoo_problem  # noqa: PLC0415 (only the WFG suite needs pymoo)

    return pymoo_problem(f"wfg{number}", n_var=WFG_K + WFG_L, n_obj=m, k=WFG_K)


def _wfg(number: int, m: int) -> MoProblem:
    inner = _pymoo_wfg(number, m)

    def evaluate(x: Vector) -> list[float]:
        return [float(v) for v in inner.evaluate(np.asarray(x, dtype=float)[None, :])[0]]

    p = MoProblem(f"wfg{number}-{m}obj", m, np.asarray(inner.xl, float), np.asarray(inner.xu, float), evaluate)
    p.evaluate_many = lambda xs: np.asarray(inner.evaluate(np.asarray(xs, dtype=float)), dtype=float)  # type: ignore[method-assign]
    return p


def wfg_front(pid: str) -> Vector:
    """Points of a WFG problem's Pareto front (pymoo's)."""
    number, m = pid[3:-3].split("-")
    return np.asarray(_pymoo_wfg(int(number), int(m)).pareto_front(), dtype=float)


def _uf(number: int, n: int) -> MoProblem:
    """CEC 2009's UF8 (the unit sphere's octant), UF9 (a plane, two parts)
    or UF10 (UF8's front, Rastrigin-like distance), with n variables."""
    j = np.arange(3, n + 1)
    groups = [(j - 1) % 3 == 0, (j - 2) % 3 == 0, j % 3 == 0]
    eps = 0.1

    def evaluate(x: Vector) -> list[float]:
        x = np.asarray(x, dtype=float)
        x1, x2 = x[0], x[1]
        y = x[2:] - 2.0 * x2 * np.sin(2.0 * math.pi * x1 + j * math.pi / n)
        h = y**2 if number != 10 else 4.0 * y**2 - np.cos(8.0 * math.pi * y) + 1.0
        distance = [2.0 * float(np.mean(h[g])) for g in groups]
        if number == 9:
            bump = max(0.0, (1.0 + eps) * (1.0 - 4.0 * (2.0 * x1 - 1.0) ** 2))
            position = [0.5 * (bump + 2.0 * x1) * x2, 0.5 * (bump - 2.0 * x1 + 2.0) * x2, 1.0 - x2]
        else:
            a, b = 0.5 * math.pi * x1, 0.5 * math.pi * x2
            position = [math.cos(a) * math.cos(b), math.cos(a) * math.sin(b), math.sin(a)]
        return [p + d for p, d in zip(position, distance, strict=True)]

    lower = np.concatenate([np.zeros(2), np.full(n - 2, -2.0)])
    upper = np.concatenate([np.ones(2), np.full(n - 2, 2.0)])
    suffix = "" if n == 30 else f"-{n}var"
    return MoProblem(f"uf{number}{suffix}", 3, lower, upper, evaluate)


def uf_optimal_set(pid: str, x12: Vector) -> Vector:
    """Points of a UF problem's Pareto-optimal set with the given (x1, x2)
    (UF9's also needs x1 <= 1/4 or x1 >= 3/4)."""
    p = get_problem(pid)
    n = p.dim
    j = np.arange(3, n + 1)
    rest = 2.0 * x12[:, 1:2] * np.sin(2.0 * math.pi * x12[:, 0:1] + j * math.pi / n)
    return np.hstack([x12, rest])


# ---------------------------------------------------------------- registry

ZDT = {"zdt1": 30, "zdt2": 30, "zdt3": 30, "zdt4": 10, "zdt6": 10}
SYNTHETIC_IDS = list(ZDT) + [f"dtlz{i}-{m}obj" for m in (2, 3) for i in range(1, 8)]
PROBLEM_IDS = SYNTHETIC_IDS + ["digits-mlp"]
# A second suite, run and reported as a pool of its own (`mo_bench.py run
# --suite wfg`): adding it to the first would change that pool's scores.
WFG_IDS = [f"wfg{i}-{m}obj" for m in (2, 3) for i in range(1, 10)]
UF_IDS = [f"uf{i}{suffix}" for suffix in ("", "-10var") for i in (8, 9, 10)]
SUITES = {"main": PROBLEM_IDS, "wfg": WFG_IDS, "uf": UF_IDS}


def front_bound(pid: str, m: int) -> Vector:
    """An upper bound of each objective on the Pareto front (the ideal
    points' worst values, from the definitions: ZDT's f1 and f2 lie in
    [0, 1]; DTLZ1's front is the simplex summing to 0.5; DTLZ2-6's lie in the
    unit sphere; DTLZ7's first objectives are positions in [0, 1] and the
    last is (1 + g) h <= 2M). WFG: the largest value of pymoo's front
    points (each objective m is at most 2m there; WFG1's sampled front
    reaches slightly past it). UF8-10: [0, 1] (the unit sphere's octant,
    UF9's plane f1 + f2 + f3 = 1)."""
    if pid.startswith("wfg"):
        return np.maximum(wfg_front(pid).max(axis=0), 2.0 * np.arange(1, m + 1))
    if pid.startswith("zdt"):
        return np.ones(2)
    if pid.startswith("uf"):
        return np.ones(3)
    number = int(pid[4:].split("-")[0])
    if number == 1:
        return np.full(m, 0.5)
    if number == 7:
        return np.array([1.0] * (m - 1) + [2.0 * m])
    return np.ones(m)


def reference_point(pid: str, problem: MoProblem, n: int = 10_000, seed: int = 0) -> Vector:
    rng = np.random.default_rng(seed)
    xs = problem.lower + rng.random((n, problem.dim)) * (problem.upper - problem.lower)
    median = np.median(problem.evaluate_many(xs), axis=0)
    return np.maximum(median, 1.1 * front_bound(pid, problem.n_objectives))


_CACHE: dict[str, MoProblem] = {}


def get_problem(pid: str) -> MoProblem:
    if pid in _CACHE:
        return _CACHE[pid]
    if pid == "digits-mlp":
        p = _digits_problem()
        _CACHE[pid] = p
        return p
    if pid in ZDT:
        p = _zdt(pid, ZDT[pid])
    elif pid.startswith("dtlz") and pid.endswith("obj"):
        number, m = pid[4:-3].split("-")
        p = _dtlz(int(number), int(m))
    elif pid in WFG_IDS:
        number, m = pid[3:-3].split("-")
        p = _wfg(int(number), int(m))
    elif pid in UF_IDS:
        number, _, n = pid[2:].partition("-")
        p = _uf(int(number), int(n.removesuffix("var") or 30))
    else:
        raise KeyError(f"unknown problem {pid!r}; known: {', '.join(PROBLEM_IDS + WFG_IDS + UF_IDS)}")
    p.reference = reference_point(pid, p)
    _CACHE[pid] = p
    return p
