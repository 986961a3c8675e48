"""The multi-objective report: final hypervolume at each budget, normalized
as the single-objective score is (per problem, the random searches' mean at
0 and the best any run reached at 1), ferrotune's samplers paired with
Optuna's (and rustuna's NSGA-II) seed by seed.

Hypervolumes here come from moocore (an independent implementation, not
ferrotune's) with each problem's fixed reference point (problems.py); a
point that does not dominate it adds nothing."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import numpy as np

from .methods import BY_NAME
from .problems import get_problem

# Each ferrotune sampler and the ones it is compared with.
PAIRS = [
    ("ferrotune-nsga2", "optuna-nsga2"),
    ("ferrotune-nsga2", "rustuna-nsga2"),
    ("ferrotune-nsga3", "optuna-nsga3"),
    ("ferrotune-tpe", "optuna-tpe"),
    ("ferrotune-tpe-multivariate", "ferrotune-tpe-independent"),
    ("ferrotune-tpe-multivariate", "optuna-tpe"),
    ("ferrotune-tpe", "ferrotune-tpe-repeats"),
    ("ferrotune-tpe", "ferrotune-tpe-uniform"),
    ("ferrotune-tpe-uniform", "optuna-tpe"),
    ("ferrotune-gp", "optuna-gp"),
    ("ferrotune-random", "optuna-random"),
]


def hypervolume(values: np.ndarray, reference: np.ndarray) -> float:
    import moocore  # noqa: PLC0415

    inside = values[np.all(values < reference, axis=1)]
    if len(inside) == 0:
        return 0.0
    return float(moocore.hypervolume(inside, ref=reference))


class Scores:
    """Per budget: problem -> method -> seed -> hypervolume, and the
    normalized score of each (method, seed) averaged over the problems."""

    def __init__(self, rows: list[dict[str, Any]], budget: int):
        self.budget = budget
        self.hv: dict[str, dict[str, dict[int, float]]] = defaultdict(lambda: defaultdict(dict))
        self.ms_per_trial: dict[str, list[float]] = defaultdict(list)
        for r in rows:
            if len(r["values"]) < budget:
                continue
            p = get_problem(r["problem"])
            v = np.asarray(r["values"][:budget], dtype=float)
            self.hv[r["problem"]][r["method"]][r["seed"]] = hypervolume(v, p.reference)
            if r["budget"] == budget:
                self.ms_per_trial[r["method"]].append(1000.0 * (r["wall_s"] - r["objective_s"]) / budget)
        self.problems = sorted(self.hv)
        self.methods = sorted({m for by in self.hv.values() for m in by}, key=_order)
        self.normalized: dict[str, dict[str, dict[int, float]]] = {}
        for p, by in self.hv.items():
            randoms = [h for m, hs in by.items() if m.endswith("-random") for h in hs.values()]
            best = max(h for hs in by.values() for h in hs.values())
            if not randoms:
                continue
            base = float(np.mean(randoms))
            span = best - base
            self.normalized[p] = {
                m: {s: ((h - base) / span if span > 0 else 0.0) for s, h in hs.items()} for m, hs in by.items()
            }

    def seed_score(self, method: str, seed: int) -> float | None:
        """Mean normalized score over the problems this (method, seed) ran;
        None unless it ran all of them."""
        got = [self.normalized[p][method][seed] for p in self.normalized if seed in self.normalized[p].get(method, {})]
        return float(np.mean(got)) if got and len(got) == len(self.normalized) else None

    def seeds(self, method: str) -> list[int]:
        return sorted({s for p in self.normalized for s in self.normalized[p].get(method, {})})


def _order(m: str) -> tuple[int, int, str]:
    engine, _, rest = m.partition("-")
    algo = rest.split("-")[0]
    algos = ["nsga2", "nsga3", "tpe", "gp", "random"]
    return ({"ferrotune": 0, "optuna": 1, "rustuna": 2}.get(engine, 9), algos.index(algo) if algo in algos else 9, m)


def _fmt(x: float | None, digits: int = 3) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def report(rows: list[dict[str, Any]], budgets: list[int], extra_pairs: list[tuple[str, str]] | None = None) -> str:
    """The tables at each budget; `extra_pairs` are compared by seed after
    the standard pairs."""
    from searchbench.compare import sign_flip_p  # noqa: PLC0415

    out = []
    for budget in budgets:
        sc = Scores(rows, budget)
        if not sc.normalized:
            continue
        out.append(f"## {budget} trials: {len(sc.normalized)} problems\n")
        out.append("| method | normalized hypervolume (mean ± SE over seeds) | seeds | sampler ms/trial |")
        out.append("|---|---|---|---|")
        for m in sc.methods:
            per_seed = [x for s in sc.seeds(m) if (x := sc.seed_score(m, s)) is not None]
            if not per_seed:
                continue
            se = float(np.std(per_seed, ddof=1) / math.sqrt(len(per_seed))) if len(per_seed) > 1 else float("nan")
            ms = sc.ms_per_trial.get(m)
            out.append(
                f"| {m} | {_fmt(float(np.mean(per_seed)))} ± {_fmt(se)} | {len(per_seed)} | "
                f"{_fmt(float(np.median(ms)), 2) if ms else '—'} |"
            )
        out.append("")
        out.append("| ferrotune | against | score diff (mean ± SE) | sign-flip p | problems higher mean HV (it / other / tie) |")
        out.append("|---|---|---|---|---|")
        for ours, theirs in PAIRS + list(extra_pairs or []):
            seeds = [s for s in sc.seeds(ours) if sc.seed_score(ours, s) is not None]
            diffs = [
                a - b for s in seeds if (a := sc.seed_score(ours, s)) is not None and (b := sc.seed_score(theirs, s)) is not None
            ]
            if len(diffs) < 2:
                continue
            wins = losses = ties = 0
            for p in sc.problems:
                a = sc.hv[p].get(ours)
                b = sc.hv[p].get(theirs)
                if not a or not b:
                    continue
                ma, mb = float(np.mean(list(a.values()))), float(np.mean(list(b.values())))
                if abs(ma - mb) <= 1e-12 * max(1.0, abs(mb)):
                    ties += 1
                elif ma > mb:
                    wins += 1
                else:
                    losses += 1
            se = float(np.std(diffs, ddof=1) / math.sqrt(len(diffs)))
            out.append(
                f"| {ours} | {theirs} | {np.mean(diffs):+.3f} ± {se:.3f} | {sign_flip_p(diffs):.3f} | "
                f"{wins} / {losses} / {ties} |"
            )
        out.append("")
        out.append("Per problem, mean normalized hypervolume over seeds:\n")
        header = [m for m in sc.methods if m in BY_NAME or True]
        out.append("| problem | " + " | ".join(header) + " |")
        out.append("|---|" + "---|" * len(header))
        for p in sc.problems:
            if p not in sc.normalized:
                continue
            cells = []
            for m in header:
                v = sc.normalized[p].get(m)
                cells.append(_fmt(float(np.mean(list(v.values())))) if v else "—")
            out.append(f"| {p} | " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out)
