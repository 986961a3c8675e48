"""Paired comparison of two methods that ran on the same problems and seeds.

The same seed gives both the same problem instance (and, for ask-and-tell
samplers, nothing else in common), so runs pair by (problem, seed). Two
tests, since they answer different questions:

- the sign-flip permutation test on the per-seed differences of the
  normalized score (the figure the report's mean ± standard error is about):
  exact over all 2^n sign patterns up to EXACT_MAX seeds, else Monte Carlo;
- Wilcoxon's signed-rank test on the per-run differences of the final
  value, each problem's differences divided by its (clip - best) so that the
  problems share a scale (the same normalization as the score, without the
  clip); ties dropped. Its sign is the sign of the run's win or loss.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from .report import Suite

EXACT_MAX = 16  # seeds up to which the sign-flip test enumerates every pattern
MONTE_CARLO_DRAWS = 100_000


def sign_flip_p(diffs: list[float], draws: int = MONTE_CARLO_DRAWS, seed: int = 0) -> float:
    """Two-sided p-value of the mean difference under random signs: exact
    over all 2^n flips for n <= EXACT_MAX, else from `draws` random sign
    patterns (seeded, so a report repeats), counting the observed one."""
    d = np.asarray(diffs, dtype=float)
    observed = abs(float(d.mean())) - 1e-15
    if len(d) <= EXACT_MAX:
        signs = np.array(list(itertools.product((1.0, -1.0), repeat=len(d))))
        return float(np.mean(np.abs(signs @ d / len(d)) >= observed))
    rng = np.random.default_rng(seed)
    hits = 0
    for start in range(0, draws, 10_000):
        signs = rng.choice((1.0, -1.0), size=(min(10_000, draws - start), len(d)))
        hits += int(np.sum(np.abs(signs @ d / len(d)) >= observed))
    return (hits + 1) / (draws + 1)


def sign_flip_kind(n: int) -> str:
    return "exact" if n <= EXACT_MAX else f"Monte Carlo, {MONTE_CARLO_DRAWS:,} draws"


def tied(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-12 * max(1.0, abs(b))


@dataclass
class Paired:
    method: str
    reference: str
    score: float  # mean over the paired seeds
    reference_score: float
    diff: float  # mean per-seed score difference, method - reference
    se: float  # its standard error over seeds
    n_seeds: int
    wins: int  # runs where the method's final value is lower
    losses: int
    ties: int
    sign_flip_p: float
    wilcoxon_p: float


def paired(suite: Suite, method: str, reference: str) -> Paired | None:
    """`method` against `reference` on the suite's scored problems (those
    left out of the scores, where random search already reached the best
    value, are left out here too); None if they share fewer than two seeds."""
    from scipy.stats import wilcoxon  # noqa: PLC0415

    seeds = [
        s for s in suite.seeds if suite.seed_score(method, s) is not None and suite.seed_score(reference, s) is not None
    ]
    if len(seeds) < 2:
        return None
    mine = [suite.seed_score(method, s) for s in seeds]
    theirs = [suite.seed_score(reference, s) for s in seeds]
    diffs = [a - b for a, b in zip(mine, theirs, strict=True)]
    wins = losses = ties = 0
    scaled: list[float] = []
    for p in suite.losses:
        a_runs, b_runs = suite.final[p].get(method, {}), suite.final[p].get(reference, {})
        for s in sorted(set(a_runs) & set(b_runs)):
            a, b = a_runs[s], b_runs[s]
            if tied(a, b):
                ties += 1
                continue
            wins += a < b
            losses += a > b
            scaled.append((a - b) / (suite.clip[p] - suite.best[p]))
    wilcoxon_p = float(wilcoxon(scaled).pvalue) if scaled else float("nan")
    return Paired(
        method=method,
        reference=reference,
        score=float(np.mean(mine)),
        reference_score=float(np.mean(theirs)),
        diff=float(np.mean(diffs)),
        se=float(np.std(diffs, ddof=1) / math.sqrt(len(diffs))),
        n_seeds=len(seeds),
        wins=wins,
        losses=losses,
        ties=ties,
        sign_flip_p=sign_flip_p(diffs),
        wilcoxon_p=wilcoxon_p,
    )
