"""Paired comparison of samplers that ran on the same problems and seeds:
per suite, each method's normalized score minus a reference method's, seed
by seed (the same seed gives the same startup trials), with the standard
error of that difference, a sign-flip permutation p-value, and on how many
problems each has the lower mean final value.

    bench/.venv/bin/python bench/python/paired.py RESULTS.jsonl[.gz] ... \\
        --reference ferrotune-tpe [--methods M ...]

The score is search_bench's (bayesmark's mean score), computed with every
method of the given files in the pool, so it is comparable only within one
invocation. Prints a Markdown table per suite (a held-out split's suites
apart from the tuning split's). heldout_report.py gives the same comparison
per budget, with wins per run and a second test.
"""

from __future__ import annotations

import argparse
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from searchbench.compare import sign_flip_p  # noqa: E402  (exact up to 16 seeds, else Monte Carlo)
from searchbench.report import Suite, load, search_groups  # noqa: E402


def compare(suite: Suite, reference: str, methods: list[str]) -> str:
    seeds = [s for s in suite.seeds if suite.seed_score(reference, s) is not None]
    ref_scores = {s: suite.seed_score(reference, s) for s in seeds}
    lines = [
        f"### {suite.slug}: {len(suite.losses)} problems, {len(seeds)} seeds, {suite.budget} trials\n",
        "| method | score | minus " + reference + " | SE | sign-flip p | lower mean final (it / reference / tie) |",
        "|---|---|---|---|---|---|",
    ]
    ref_mean = float(np.mean(list(ref_scores.values())))
    lines.append(f"| {reference} | {ref_mean:.3f} | | | | |")
    for m in methods:
        pairs = [(suite.seed_score(m, s), ref_scores[s]) for s in seeds]
        diffs = [a - b for a, b in pairs if a is not None]
        if len(diffs) < 2:
            lines.append(f"| {m} | (not run on these seeds) | | | | |")
            continue
        wins = losses = ties = 0
        for p in suite.losses:
            mine, theirs = suite.final[p].get(m), suite.final[p].get(reference)
            if not mine or not theirs:
                continue
            a, b = float(np.mean(list(mine.values()))), float(np.mean(list(theirs.values())))
            if abs(a - b) <= 1e-12 * max(1.0, abs(b)):
                ties += 1
            elif a < b:
                wins += 1
            else:
                losses += 1
        mean = float(np.mean(diffs))
        se = float(np.std(diffs, ddof=1) / math.sqrt(len(diffs)))
        score = float(np.mean([a for a, _ in pairs if a is not None]))
        lines.append(
            f"| {m} | {score:.3f} | {mean:+.3f} | {se:.3f} | {sign_flip_p(diffs):.3f} | {wins} / {losses} / {ties} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--reference", required=True)
    parser.add_argument("--methods", nargs="*", help="methods to compare (default: every other one)")
    args = parser.parse_args()
    rows = [r for r in load(args.paths) if r["kind"] == "search" and not r.get("error")]
    for split, name, rs in search_groups(rows):
        suite = Suite(name, rs, split)
        methods = args.methods or [m for m in suite.methods if m != args.reference]
        print(compare(suite, args.reference, methods))


if __name__ == "__main__":
    main()
