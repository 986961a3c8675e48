"""Markdown report and PNG plots from the raw JSONL rows of search_bench.py.

Normalized score: bayesmark's mean score. Per problem, every run's final
best is clipped at the median value of a single random-search evaluation
(pooled over every trial of the baseline methods, ferrotune-random and
optuna-random) and mapped to a loss in [0, 1]:
loss = (min(final, clip) - best_any) / (clip - best_any), where best_any is
the best final value any method reached in any run. A method's score for
one seed is 1 - (its mean loss over problems) / (random search's mean loss
over the same problems): 0 is random search, 1 is the best value found on
every problem. Clipping bounds what one failed run can cost, and the
division happens once over the whole suite, not per problem, so a problem
on which random search is already within a hair of the best cannot turn one
stuck run into a swing of the suite's mean (the per-problem ratio this
replaced, (random_mean - final) / (random_mean - best_any), scored one such
run -49; it is still reported beside the score). All values are minimized;
BBOB values are log10 of the regret (floored at 1e-8) before this,
scikit-learn losses are used as they are.

A problem here is a BBOB function in a dimension, whatever its instance: the
held-out split runs instance 2 + seed, so its instances are pooled as its
seeds are. Runs whose rows list several budgets are scored at each, from
their first trials (`at_budget`).
"""

from __future__ import annotations

import gzip
import json
import math
import os
from collections import defaultdict
from typing import Any

import numpy as np

from .problems import BBOB_NAMES, MODEL_NAMES, REGRET_FLOOR, parse_bbob_id, score_key

SUITE_TITLES = {
    "bbob": "BBOB noiseless functions",
    "bbob-large": "BBOB, large budget",
    "sklearn": "scikit-learn hyperparameter tuning (bayesmark-style)",
}
# Problems drawn as best-so-far curves, when they were run.
CURVE_PROBLEMS = {
    "bbob": ["bbob-f01-d05", "bbob-f03-d05", "bbob-f08-d10", "bbob-f10-d10", "bbob-f21-d05", "bbob-f17-d10"],
    "bbob-large": ["bbob-f01-d10", "bbob-f08-d10", "bbob-f10-d10", "bbob-f21-d10"],
    "sklearn": [
        "sk-svm-digits",
        "sk-dt-breast_cancer",
        "sk-knn-wine",
        "sk-linear-digits",
        "sk-mlp-diabetes",
        "sk-rf-wine",
    ],
    # the held-out split's (keys without the BBOB instance)
    "heldout-bbob": ["bbob-f01-d06", "bbob-f08-d06", "bbob-f10-d06", "bbob-f15-d06", "bbob-f21-d03", "bbob-f24-d06"],
    "heldout-sklearn": [
        "sk-svm-moons",
        "sk-knn-clf_multi",
        "sk-lasso-clf_noisy",
        "sk-svm-reg_sparse",
        "sk-dt-friedman1",
        "sk-linear-hastie",
    ],
}
SPLIT_TITLES = {"tuning": "tuning split", "heldout": "held-out split"}
BASELINE_METHODS = ("ferrotune-random", "optuna-random")
# Algorithms whose proposals depend on the run's total budget: a prefix of
# their run is not a run of the shorter budget (a grid's spacing comes from it).
BUDGET_DEPENDENT_ALGOS = ("grid",)
ENGINE_ORDER = {"ferrotune": 0, "optuna": 1, "rustuna": 2, "hyperopt": 3}
ALGO_ORDER = {"random": 0, "grid": 1, "qmc": 2, "tpe": 3, "cmaes": 4, "gp": 5}


def load(paths: list[str]) -> list[dict[str, Any]]:
    rows = []
    for path in paths:
        # Reports keep their raw runs gzipped.
        with (gzip.open(path, "rt") if path.endswith(".gz") else open(path)) as f:
            rows.extend(json.loads(line) for line in f if line.strip())
    # Rows written before the held-out split existed are the tuning split's.
    for r in rows:
        if r.get("kind") in ("search", "overhead"):
            r.setdefault("split", "tuning")
    return rows


def budgets_of(rows: list[dict[str, Any]]) -> list[int]:
    """The budgets the runs are scored at: the ones their rows list, and each
    run's own."""
    return sorted({b for r in rows for b in r.get("budgets") or ()} | {r["budget"] for r in rows})


def at_budget(rows: list[dict[str, Any]], budget: int) -> list[dict[str, Any]]:
    """The runs as runs of `budget` trials: each run of at least that many
    trials cut to its first `budget` values (its best recomputed). A sampler
    that does not know the study's total budget (random, TPE, CMA-ES, GP,
    QMC) proposes the same first trials whatever it is, so the cut run is the
    shorter run, trial for trial. Runs of budget-dependent samplers (grids)
    count only at their own budget; shorter runs are left out."""
    out = []
    for r in rows:
        if r["budget"] == budget:
            out.append(r)
        elif r["budget"] > budget and r.get("algo") not in BUDGET_DEPENDENT_ALGOS:
            values = r["values"][:budget]
            out.append({**r, "budget": budget, "values": values, "best": min(values), "n_trials": len(values)})
    return out


def method_key(name: str, engine: str = "", algo: str = "") -> tuple[int, int, str]:
    engine = engine or name.split("-", 1)[0]
    algo = algo or name.split("-", 1)[-1]
    return ENGINE_ORDER.get(engine, 9), ALGO_ORDER.get(algo, 9), name


def scale(problem: str, v: float) -> float:
    """The value that is compared and normalized: log10 regret for BBOB."""
    if problem.startswith("bbob"):
        return math.log10(max(v, REGRET_FLOOR))
    return v


def best_so_far(problem: str, values: list[float]) -> np.ndarray:
    return np.array([scale(problem, v) for v in np.minimum.accumulate(values)])


def problem_label(pid: str) -> str:
    parts = pid.split("-")
    if parts[0] == "bbob":
        f, d, instance = parse_bbob_id(pid)
        label = f"f{f} {BBOB_NAMES.get(f, '')} {d}-D"
        return label if instance == 1 else f"{label}, instance {instance}"
    if parts[0] == "sk":
        return f"{MODEL_NAMES.get(parts[1], parts[1]).split(' (')[0]} / {'-'.join(parts[2:])}"
    return pid


def fmt(x: float, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.{digits}f}"


def fmt_ms(x: float) -> str:
    if x >= 100:
        return f"{x:.0f}"
    if x >= 1:
        return f"{x:.2f}"
    return f"{x:.4f}"


def table(header: list[str], body: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in body]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- search quality


class Suite:
    def __init__(self, name: str, rows: list[dict[str, Any]], split: str = "tuning") -> None:
        self.name = name
        self.split = split
        self.rows = rows
        # problem (score_key: a BBOB problem without its instance) -> method -> seed -> final (scaled) best
        self.final: dict[str, dict[str, dict[int, float]]] = defaultdict(lambda: defaultdict(dict))
        self.curves: dict[str, dict[str, list[np.ndarray]]] = defaultdict(lambda: defaultdict(list))
        for r in rows:
            key = score_key(r["problem"])
            self.final[key][r["method"]][r["seed"]] = scale(r["problem"], r["best"])
            self.curves[key][r["method"]].append(best_so_far(r["problem"], r["values"]))
        self.problems = sorted(self.final)
        self.methods = sorted({r["method"] for r in rows}, key=method_key)
        self.budget = max(r["budget"] for r in rows)
        self.seeds = sorted({r["seed"] for r in rows})
        present = {m for p in self.final.values() for m in p}
        self.baseline = [m for m in BASELINE_METHODS if m in present]
        if not self.baseline:  # fall back to any random search
            self.baseline = sorted(m for m in present if m.endswith("-random"))
        # Every single evaluation of random search, scaled: their median is
        # the clip (the value a method is no worse than by doing anything).
        random_evaluations: dict[str, list[float]] = defaultdict(list)
        for r in rows:
            if r["method"] in self.baseline:
                random_evaluations[score_key(r["problem"])].extend(scale(r["problem"], v) for v in r["values"])
        self.excluded: list[str] = []
        # problem -> method -> seed -> clipped loss in [0, 1], and the same
        # for the per-problem ratio this score replaced
        self.losses: dict[str, dict[str, dict[int, float]]] = {}
        self.ratios: dict[str, dict[str, dict[int, float]]] = {}
        # problem -> the clip and the best final value: (value - best) / (clip - best) is the unclipped loss
        self.clip: dict[str, float] = {}
        self.best: dict[str, float] = {}
        for p in self.problems:
            base_vals = [v for m in self.baseline for v in self.final[p].get(m, {}).values()]
            all_vals = [v for m in self.final[p] for v in self.final[p][m].values()]
            if not base_vals:
                self.excluded.append(p)
                continue
            base, best = float(np.mean(base_vals)), min(all_vals)
            clip = float(np.median(random_evaluations[p]))
            if base - best <= 1e-12 * max(1.0, abs(base)):
                self.excluded.append(p)  # random search already found the best: no signal
                continue
            self.clip[p], self.best[p] = clip, best
            self.losses[p] = {
                m: {s: (min(v, clip) - best) / (clip - best) for s, v in by_seed.items()}
                for m, by_seed in self.final[p].items()
            }
            self.ratios[p] = {
                m: {s: (base - v) / (base - best) for s, v in by_seed.items()} for m, by_seed in self.final[p].items()
            }
        # Random search's expected loss per problem: the reference each
        # method's suite-wide loss is divided by.
        self.random_loss = {
            p: float(np.mean([v for m in self.baseline for v in by_method.get(m, {}).values()]))
            for p, by_method in self.losses.items()
        }

    @property
    def title(self) -> str:
        title = SUITE_TITLES.get(self.name, self.name)
        return title if self.split == "tuning" else f"{title}, {SPLIT_TITLES.get(self.split, self.split)}"

    @property
    def slug(self) -> str:
        """The suite in file names (the tuning split's keep their old names)."""
        return self.name if self.split == "tuning" else f"{self.split}-{self.name}"

    def seed_score(self, method: str, seed: int) -> float | None:
        """1 - the method's mean clipped loss over the problems it ran with
        this seed / random search's mean loss over the same problems."""
        ps = [p for p in self.losses if seed in self.losses[p].get(method, {})]
        reference = sum(self.random_loss[p] for p in ps)
        if not ps or reference <= 0.0:
            return None
        return 1.0 - sum(self.losses[p][method][seed] for p in ps) / reference

    def summary(self) -> list[dict[str, Any]]:
        from scipy.stats import rankdata  # noqa: PLC0415

        ranks: dict[str, list[float]] = defaultdict(list)
        for p in self.problems:
            ms = [m for m in self.methods if m in self.final[p]]
            means = [np.mean(list(self.final[p][m].values())) for m in ms]
            for m, rk in zip(ms, rankdata(means), strict=True):
                ranks[m].append(float(rk))
        out = []
        for m in self.methods:
            per_seed = [x for s in self.seeds if (x := self.seed_score(m, s)) is not None]
            ratio_per_seed = []
            for s in self.seeds:
                vals = [self.ratios[p][m][s] for p in self.ratios if s in self.ratios[p].get(m, {})]
                if vals:
                    ratio_per_seed.append(float(np.mean(vals)))
            mine = [r for r in self.rows if r["method"] == m]
            out.append(
                {
                    "method": m,
                    "version": mine[0].get("version", "?"),
                    "score": float(np.mean(per_seed)) if per_seed else float("nan"),
                    "se": float(np.std(per_seed, ddof=1) / math.sqrt(len(per_seed)))
                    if len(per_seed) > 1
                    else float("nan"),
                    "ratio": float(np.mean(ratio_per_seed)) if ratio_per_seed else float("nan"),
                    "rank": float(np.mean(ranks[m])) if ranks[m] else float("nan"),
                    "n_problems": len({score_key(r["problem"]) for r in mine}),
                    "sampler_ms": float(np.median([r["sampler_ms_per_trial"] for r in mine])),
                    "wall_s": float(sum(r["wall_s"] for r in mine)),
                }
            )
        out.sort(key=lambda d: (-d["score"] if not math.isnan(d["score"]) else math.inf, d["method"]))
        return out


def summary_table(summary: list[dict[str, Any]]) -> str:
    body = [
        [
            d["method"],
            d["version"],
            f"{fmt(d['score'])} ± {fmt(d['se'])}" if not math.isnan(d["se"]) else fmt(d["score"]),
            fmt(d["ratio"]),
            fmt(d["rank"], 2),
            str(d["n_problems"]),
            fmt_ms(d["sampler_ms"]),
        ]
        for d in summary
    ]
    header = ["method", "version", "normalized score", "per-problem ratio", "mean rank", "problems", "sampler ms/trial"]
    return table(header, body)


def budget_section(suite: Suite) -> str:
    """The scores at a budget below the runs' own, from their first trials."""
    out = [
        f"### {suite.title}: scored at {suite.budget} trials\n",
        f"From the first {suite.budget} trials of each run (a run of a sampler that does not know the total "
        f"budget; grids only at their own budget), normalized among these prefixes as above. Sampler ms/trial "
        f"is the whole run's.\n",
    ]
    if suite.excluded:
        out.append(f"Left out of the scores: {', '.join(suite.excluded)}.\n")
    out.append(summary_table(suite.summary()))
    return "\n".join(out)


def suite_section(suite: Suite, prefix: str, report_dir: str) -> str:
    out = [f"## {suite.title}: {suite.budget} trials\n"]
    first = suite.rows[0]["problem"]
    value = "log10 of regret (floored at -8)" if first.startswith("bbob") else "loss"
    out.append(
        f"{len(suite.problems)} problems, {len(suite.seeds)} seed(s) per method and problem. "
        f"Normalized score (bayesmark's mean score): each run's final {value} is clipped at the "
        f"median of a single random evaluation and scaled to a loss, 0 at the best value any method "
        f"found on that problem, 1 at the clip; score = 1 - mean loss over problems / random "
        f"search's ({', '.join(suite.baseline)}) mean loss over the same problems, so 0 = random "
        f"search, 1 = the best value on every problem; ± standard error over seeds. Per-problem "
        f"ratio (the score before 2026-11-24): (random search's mean final best - final best) / "
        f"(random search's mean - best value found), averaged over problems; unbounded below, so "
        f"one stuck run on a problem where random search is close to the best can dominate it. "
        f"Rank: by mean final best on each problem "
        f"(1 = best), averaged over problems. Sampler ms/trial: median over runs of "
        f"(wall time - time in the objective) / trials.\n"
    )
    instances = sorted({parse_bbob_id(r["problem"])[2] for r in suite.rows if r["problem"].startswith("bbob")})
    if instances and instances != [1]:
        out.append(
            f"BBOB instances {', '.join(map(str, instances))}: each seed runs its own instance (the same for "
            f"every method), and a problem (a function in a dimension) pools its instances as it pools its seeds.\n"
        )
    if suite.excluded:
        out.append(
            f"Left out of the scores (random search already matched the best value found): "
            f"{', '.join(suite.excluded)}.\n"
        )
    summary = suite.summary()
    out.append(summary_table(summary))
    png = f"{prefix}-scores-{suite.slug}.png"
    if plot_scores(suite, summary, os.path.join(report_dir, png)):
        out.append(f"\n![normalized scores, {suite.slug}]({png})\n")
    png = f"{prefix}-curves-{suite.slug}.png"
    if plot_curves(suite, os.path.join(report_dir, png)):
        out.append(f"\n![best-so-far curves, {suite.slug}]({png})\n")

    # Per-problem table: mean ± std of the final best
    digits = 2 if first.startswith("bbob") else 4
    out.append(f"\n### Final best per problem ({value}; mean ± std over seeds, best mean in bold)\n")
    header = ["problem"] + suite.methods
    body = []
    for p in suite.problems:
        cells = []
        means = {m: float(np.mean(list(v.values()))) for m, v in suite.final[p].items()}
        top = min(means.values())
        for m in suite.methods:
            if m not in suite.final[p]:
                cells.append("-")
                continue
            vals = list(suite.final[p][m].values())
            c = fmt(float(np.mean(vals)), digits)
            if len(vals) > 1:
                c += f" ± {fmt(float(np.std(vals, ddof=1)), digits)}"
            if means[m] <= top + 1e-12:
                c = f"**{c}**"
            cells.append(c)
        body.append([problem_label(p)] + cells)
    out.append(table(header, body))
    return "\n".join(out)


# ---------------------------------------------------------------- plots


def _plt() -> Any:
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    return plt


def method_style(m: str) -> dict[str, Any]:
    """Colour by algorithm, line style by engine: ferrotune's TPE and Optuna's
    share a colour, ferrotune is the thick solid line."""
    engine, _, algo = m.partition("-")
    colors = {
        "random": "#7f7f7f",
        "grid": "#8c564b",
        "qmc": "#bcbd22",
        "tpe": "#1f77b4",
        "cmaes": "#2ca02c",
        "gp": "#9467bd",
    }
    styles = {"ferrotune": "-", "optuna": "-", "rustuna": "--", "hyperopt": ":"}
    return {
        "color": colors.get(algo, "#d62728"),
        "linestyle": styles.get(engine, "-."),
        "linewidth": 3.0 if engine == "ferrotune" else 1.4,
        "alpha": 0.95 if engine == "ferrotune" else 0.85,
    }


def plot_curves(suite: Suite, path: str) -> bool:
    wanted = [p for p in CURVE_PROBLEMS.get(suite.slug, []) if p in suite.curves]
    if not wanted:
        wanted = suite.problems[:4]
    if not wanted:
        return False
    plt = _plt()
    ncols = min(3, len(wanted))
    nrows = math.ceil(len(wanted) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols, 3.8 * nrows), squeeze=False)
    for ax, p in zip(axes.flat, wanted, strict=False):
        lows, highs = [], []
        for m in suite.methods:
            runs = suite.curves[p].get(m)
            if not runs:
                continue
            n = min(len(c) for c in runs)
            med = np.median(np.stack([c[:n] for c in runs]), axis=0)
            ax.plot(np.arange(1, n + 1), med, label=m, **method_style(m))
            lows.append(med[-1])
            highs.append(med[min(n - 1, max(2, n // 10))])
        if not p.startswith("bbob") and lows:
            # Losses: the first few trials would squash the interesting range.
            lo, hi = min(lows), max(highs)
            pad = 0.05 * (hi - lo) if hi > lo else 0.01
            ax.set_ylim(lo - pad, hi + pad)
        ax.set_title(problem_label(p), fontsize=10)
        ax.set_xlabel("trial")
        ax.set_ylabel("log10 regret" if p.startswith("bbob") else "loss")
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(wanted) :]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(7, len(labels)), fontsize=8, frameon=False)
    fig.suptitle(f"{suite.title}: best so far, median over seeds")
    fig.tight_layout(rect=(0, 0.04 + 0.025 * math.ceil(len(labels) / 7), 1, 0.97))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def plot_scores(suite: Suite, summary: list[dict[str, Any]], path: str) -> bool:
    rows = [d for d in summary if not math.isnan(d["score"])]
    if not rows:
        return False
    plt = _plt()
    rows = rows[::-1]  # best at the top
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(rows) + 1.2))
    y = np.arange(len(rows))
    se = [0.0 if math.isnan(d["se"]) else d["se"] for d in rows]
    ax.barh(
        y,
        [d["score"] for d in rows],
        xerr=se,
        color=[method_style(d["method"])["color"] for d in rows],
        edgecolor="black",
        linewidth=[1.6 if d["method"].startswith("ferrotune-") else 0.0 for d in rows],
        alpha=0.85,
    )
    ax.set_yticks(y, [d["method"] for d in rows], fontsize=9)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.axvline(1, color="grey", linewidth=0.8, linestyle="--")
    ax.set_xlabel("normalized score (0 = random search, 1 = best found by any method on every problem)")
    ax.set_title(f"{suite.title}: {suite.budget} trials", fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def plot_overhead(by: dict[str, dict[int, dict[str, Any]]], path: str) -> bool:
    if not by:
        return False
    plt = _plt()
    fig, ax = plt.subplots(figsize=(9.0, 4.8))
    for m in sorted(by, key=method_key):
        ns = sorted(by[m])
        ax.plot(ns, [by[m][n]["ms_per_trial"] for n in ns], marker="o", label=m, **method_style(m))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("trials in the study (N)")
    ax.set_ylabel("ms per trial (whole run)")
    ax.set_title("Sampler overhead: ask + 10 x suggest_float + tell, trivial objective", fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


# ---------------------------------------------------------------- overhead


def overhead_section(rows: list[dict[str, Any]], prefix: str, report_dir: str) -> str:
    by: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)
    for r in rows:
        by[r["method"]][r["budget"]] = r
    ns = sorted({r["budget"] for r in rows})
    methods = sorted(by, key=method_key)
    algo = {r["method"]: r["algo"] for r in rows}
    out = ["## Sampler overhead\n"]
    out.append(
        "Time per trial of a fresh study of N trials on a trivial objective (sum of squares of ten "
        "`suggest_float(-5, 5)`), the loop of `bench/python/overhead.py` (Hyperopt: `fmin`), "
        "in memory, seed 0; ms per trial over the whole run. The grid samplers get the coarsest grid "
        "with more than N points. The overhead runs go before the search runs, two at a time on two cores; "
        "a run shorter than a second is repeated with a fresh study until a second has been timed (at most "
        "7 times) and the median is given.\n"
    )
    body = []
    for m in methods:
        version = next(iter(by[m].values())).get("version", "?")
        body.append([m, version] + [fmt_ms(by[m][n]["ms_per_trial"]) if n in by[m] else "-" for n in ns])
    out.append(table(["method", "version"] + [f"N={n}" for n in ns], body))
    png = f"{prefix}-overhead.png"
    if plot_overhead(by, os.path.join(report_dir, png)):
        out.append(f"\n![overhead]({png})\n")

    ours = [m for m in methods if m.startswith("ferrotune-")]
    if not ours:
        out.append("\nNo ferrotune method ran (is the ferrotune Python package installed?): no ratios.\n")
        return "\n".join(out)

    def ratio(a: str, b: str, n: int) -> str:
        if n in by[a] and n in by[b]:
            return f"{by[a][n]['ms_per_trial'] / by[b][n]['ms_per_trial']:.1f}x"
        return "-"

    anchors = [m for m in methods if not m.startswith("ferrotune-")]
    if "ferrotune-random" in by:
        out.append("\n### Each sampler's time per trial / ferrotune random's\n")
        out.append(
            table(
                ["sampler"] + [f"N={n}" for n in ns],
                [[a] + [ratio(a, "ferrotune-random", n) for n in ns] for a in anchors],
            )
        )
    out.append("\n### Anchor / ferrotune, same algorithm (above 1: ferrotune is faster)\n")
    body = []
    for f in ours:
        for a in anchors:
            if algo[a] == algo[f]:
                body.append([f"{a} / {f}"] + [ratio(a, f, n) for n in ns])
    if body:
        out.append(table(["comparison"] + [f"N={n}" for n in ns], body))
    else:
        out.append("(no anchor shares an algorithm with the ferrotune samplers that ran)\n")
    return "\n".join(out)


# ---------------------------------------------------------------- the report

SEARCH_SUITES = ("bbob", "bbob-large", "sklearn")


def search_groups(rows: list[dict[str, Any]]) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(split, suite, its rows) for every search suite in the rows, the
    tuning split first: each is scored on its own."""
    splits = sorted({r.get("split", "tuning") for r in rows}, key=lambda s: (s != "tuning", s))
    groups = []
    for split in splits:
        for name in SEARCH_SUITES:
            rs = [r for r in rows if r["suite"] == name and r.get("split", "tuning") == split]
            if rs:
                groups.append((split, name, rs))
    return groups


def write_report(paths: list[str], report_dir: str, prefix: str = "search") -> str:
    os.makedirs(report_dir, exist_ok=True)
    rows = load(paths)
    metas = [r for r in rows if r["kind"] == "meta"]
    ends = [r for r in rows if r["kind"] == "end"]
    ok = [r for r in rows if r["kind"] in ("search", "overhead") and not r.get("error")]
    failed = [r for r in rows if r["kind"] in ("search", "overhead") and r.get("error")]
    skips = {r["method"]: r["reason"] for r in rows if r["kind"] == "skip"}

    out = ["# Search quality and sampler overhead\n"]
    if metas:
        m = metas[-1]
        versions = ", ".join(f"{k} {v}" for k, v in sorted(m["versions"].items()))
        elapsed = f", {sum(e['elapsed_s'] for e in ends) / 60:.1f} min" if ends else ""
        out.append(
            f"`bench/search.sh` ({m['mode']} mode), started {m['started']}{elapsed}; "
            f"Python {m['python']} on {m['platform']}, {m['cpus']} CPUs, {m['workers']} worker processes. "
            f"Versions: {versions}.\n"
        )
        if m["mode"] != "full":
            out.append("**Smoke run (not a measurement): tiny budgets, one seed.**\n")
    if skips:
        out.append("Skipped methods: " + "; ".join(f"`{k}` ({v})" for k, v in sorted(skips.items())) + ".\n")
    if failed:
        out.append(
            f"**{len(failed)} run(s) failed** and are left out: "
            + ", ".join(f"{r['method']} on {r['problem']} (seed {r['seed']})" for r in failed[:20])
            + ".\n"
        )

    search = [r for r in ok if r["kind"] == "search"]
    for split, name, rs in search_groups(search):
        out.append(suite_section(Suite(name, rs, split), prefix, report_dir))
        top = max(r["budget"] for r in rs)
        for budget in budgets_of(rs):
            if budget < top:
                out.append(budget_section(Suite(name, at_budget(rs, budget), split)))
    over = [r for r in ok if r["kind"] == "overhead"]
    if over:
        out.append(overhead_section(over, prefix, report_dir))
    text = "\n".join(out)
    with open(os.path.join(report_dir, "report.md"), "w") as f:
        f.write(text)
    return text
