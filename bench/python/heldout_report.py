#!/usr/bin/env python3
"""Issue 19's tables: per split, suite and budget, each method's normalized
score, ferrotune's GP, TPE and CMA-ES against Optuna's paired seed by seed,
and ferrotune's TPE default and Watanabe's components against Optuna's
defaults. Markdown on stdout.

    bench/.venv/bin/python bench/python/heldout_report.py RESULTS.jsonl[.gz] ... \\
        [--split heldout] [--budgets 20 40 100]

Budgets: those the runs recorded (search_bench.py's --budgets, the held-out
split's 20, 40 and 100 by default) unless --budgets names others; a budget is
scored from the first trials of every run at least that long (report.at_budget).
The score is search_bench's (bayesmark's mean score) with every method of
the given files in the pool at that budget, so it is comparable only within
one invocation.
"""

from __future__ import annotations

import argparse
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from searchbench.compare import EXACT_MAX, MONTE_CARLO_DRAWS, Paired, paired  # noqa: E402
from searchbench.problems import parse_bbob_id  # noqa: E402
from searchbench.report import SPLIT_TITLES, Suite, at_budget, budgets_of, fmt, load, search_groups, table  # noqa: E402

# ferrotune-X against optuna-X
ALGOS = ("gp", "tpe", "cmaes")
TPE_REFERENCE = "ferrotune-tpe-optuna"  # ferrotune's TPE with Optuna's defaults


def score_cell(suite: Suite, method: str) -> str:
    scores = [x for s in suite.seeds if (x := suite.seed_score(method, s)) is not None]
    if not scores:
        return "-"
    if len(scores) == 1:
        return fmt(scores[0])
    return f"{fmt(float(np.mean(scores)))} ± {fmt(float(np.std(scores, ddof=1)) / math.sqrt(len(scores)))}"


def p_cell(p: float) -> str:
    if math.isnan(p):
        return "-"
    return f"{p:.3f}" if p >= 0.001 else f"{p:.1e}"


def paired_cells(c: Paired) -> list[str]:
    return [
        f"{c.diff:+.3f} ({c.se:.3f})",
        f"{c.wins} / {c.losses} / {c.ties}",
        p_cell(c.sign_flip_p),
        p_cell(c.wilcoxon_p),
    ]


NO_PAIRS = "(fewer than two seeds in common: no paired comparison)\n"
PAIRED_HEADER = ["difference (SE)", "runs won / lost / tied", "sign-flip p (seeds)", "Wilcoxon p (runs)"]


def section(split: str, name: str, rows: list[dict], budgets: list[int]) -> str:
    suites = {b: Suite(name, cut, split) for b in sorted(budgets) if (cut := at_budget(rows, b))}
    if not suites:
        return ""
    top = suites[max(suites)]
    out = [f"## {top.title}\n"]
    instances = sorted({parse_bbob_id(r["problem"])[2] for r in rows if r["problem"].startswith("bbob")})
    seeds = f"seed {top.seeds[0]}" if len(top.seeds) == 1 else f"seeds {top.seeds[0]}-{top.seeds[-1]}"
    out.append(
        f"{len(top.problems)} problems ({len(top.losses)} scored), {seeds}"
        + (f", BBOB instances {', '.join(map(str, instances))}" if instances else "")
        + f"; budgets {', '.join(map(str, suites))}, scored from the first trials of each run.\n"
    )
    if top.excluded:
        out.append(f"Left out of the scores at {top.budget} trials: {', '.join(top.excluded)}.\n")

    methods = top.methods
    out.append("### Normalized score (± standard error over seeds)\n")
    out.append(
        table(
            ["method"] + [f"{b} trials" for b in suites],
            [[m] + [score_cell(suites[b], m) for b in suites] for m in methods],
        )
    )

    pairs = [
        (f"ferrotune-{a}", f"optuna-{a}") for a in ALGOS if f"ferrotune-{a}" in methods and f"optuna-{a}" in methods
    ]
    if pairs:
        out.append("\n### ferrotune against Optuna, same algorithm, paired by seed\n")
        body = []
        for mine, theirs in pairs:
            for b, suite in suites.items():
                c = paired(suite, mine, theirs)
                if c is None:
                    continue
                body.append([f"{mine} vs {theirs}", str(b), fmt(c.score), fmt(c.reference_score), *paired_cells(c)])
        out.append(table(["comparison", "trials", "ferrotune", "Optuna", *PAIRED_HEADER], body) if body else NO_PAIRS)

    tpe = [m for m in methods if m.startswith("ferrotune-tpe") and m != TPE_REFERENCE] + (
        ["optuna-tpe"] if "optuna-tpe" in methods else []
    )
    if TPE_REFERENCE in methods and tpe:
        out.append(
            f"\n### TPE against ferrotune's TPE with Optuna's defaults ({TPE_REFERENCE}), paired by seed\n\n"
            "`ferrotune-tpe` is the default (improvement weights and gamma 0.15, chosen on the tuning split); "
            "`ferrotune-tpe-VARIANT` is one of Watanabe's components on top of Optuna's defaults.\n"
        )
        body = []
        for m in tpe:
            for b, suite in suites.items():
                c = paired(suite, m, TPE_REFERENCE)
                if c is None:
                    continue
                body.append([m, str(b), fmt(c.score), fmt(c.reference_score), *paired_cells(c)])
        out.append(table(["method", "trials", "score", TPE_REFERENCE, *PAIRED_HEADER], body) if body else NO_PAIRS)
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--split", default="heldout", help="split to report: tuning, heldout or all (default heldout)")
    parser.add_argument("--budgets", type=int, nargs="+", help="budgets to score (default: those the runs recorded)")
    args = parser.parse_args()
    rows = [r for r in load(args.paths) if r["kind"] == "search" and not r.get("error")]
    groups = [(split, name, rs) for split, name, rs in search_groups(rows) if args.split in ("all", split)]
    if not groups:
        sys.exit(f"no search runs of the {args.split} split in {', '.join(args.paths)}")
    print(f"# Search quality by budget: {', '.join(sorted({SPLIT_TITLES.get(g[0], g[0]) for g in groups}))}\n")
    print(
        "Normalized score: bayesmark's mean score (0 = random search, 1 = the best value any method in these "
        "files reached on every problem), at each budget among the runs cut to it. Paired comparisons, per "
        "budget: the difference of the normalized score seed by seed (mean, standard error over seeds); runs "
        "won / lost / tied on the final best value of each (problem, seed); sign-flip p: the permutation test "
        f"on the per-seed score differences (exact up to {EXACT_MAX} seeds, else {MONTE_CARLO_DRAWS:,} "
        "Monte Carlo draws); Wilcoxon p: scipy's signed-rank test on the per-run differences of the final "
        "value divided by the problem's (clip - best), ties dropped. Both two-sided.\n"
    )
    for split, name, rs in groups:
        text = section(split, name, rs, args.budgets or budgets_of(rs))
        if text:
            print(text)
    # A split's suites together: one problem set, scored and paired as one
    # suite (the score pools every problem's loss, so a suite weighs by its
    # number of problems), for budgets every suite recorded.
    for split in sorted({g[0] for g in groups}, key=lambda s: (s != "tuning", s)):
        parts = [rs for sp, _, rs in groups if sp == split]
        if len(parts) < 2:
            continue
        budgets = args.budgets or sorted(set.intersection(*(set(budgets_of(rs)) for rs in parts)))
        text = section(split, "all suites together", [r for rs in parts for r in rs], budgets)
        if text:
            print(text)


if __name__ == "__main__":
    main()
