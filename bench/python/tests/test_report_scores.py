"""The search report's normalized score on hand-made runs (no benchmark runs).

Run: python bench/python/tests/test_report_scores.py (from any directory);
.ci/run runs it in the bench virtualenv.
"""

from __future__ import annotations

import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from searchbench.report import Suite  # noqa: E402


def run(problem: str, method: str, seed: int, values: list[float]) -> dict:
    return {
        "problem": problem,
        "method": method,
        "seed": seed,
        "best": min(values),
        "values": values,
        "budget": len(values),
        "version": "test",
        "sampler_ms_per_trial": 0.0,
        "wall_s": 0.0,
    }


def scores(rows: list[dict]) -> dict[str, dict]:
    return {d["method"]: d for d in Suite("sklearn", rows).summary()}


def test_random_search_scores_zero_and_the_best_everywhere_scores_one() -> None:
    rows = [
        run("sk-a", "ferrotune-random", 0, [0.9, 0.5, 0.7, 0.3]),
        run("sk-b", "ferrotune-random", 0, [2.0, 1.0, 3.0, 1.5]),
        run("sk-a", "best-everywhere", 0, [0.9, 0.1]),
        run("sk-b", "best-everywhere", 0, [2.0, 0.2]),
        run("sk-a", "halfway", 0, [0.2]),
        run("sk-b", "halfway", 0, [0.6]),
    ]
    s = scores(rows)
    assert s["ferrotune-random"]["score"] == 0.0, s
    assert s["best-everywhere"]["score"] == 1.0, s
    # Clips: sk-a median of (0.9, 0.5, 0.7, 0.3) = 0.6, sk-b median of (2, 1, 3, 1.5) = 1.75.
    # Random losses: (0.3 - 0.1) / 0.5 = 0.4 and (1.0 - 0.2) / 1.55; halfway's: 0.2 and 0.4 / 1.55.
    random_loss = 0.4 + 0.8 / 1.55
    expected = 1.0 - (0.2 + 0.4 / 1.55) / random_loss
    assert math.isclose(s["halfway"]["score"], expected, rel_tol=1e-12), (s["halfway"], expected)


def test_a_run_worse_than_the_clip_costs_a_loss_of_one_at_most() -> None:
    # Random search is within 0.007 of the best on sk-easy: one stuck run of
    # "stuck" scored -46 there by the per-problem ratio; clipped, it costs
    # one problem's worth of loss, no more.
    rows = []
    for seed in range(4):
        rows.append(run("sk-easy", "ferrotune-random", seed, [0.68, 0.68, 0.68, 0.047]))
        rows.append(run("sk-hard", "ferrotune-random", seed, [1.0, 0.9, 0.8, 0.5]))
        rows.append(run("sk-easy", "stuck", seed, [0.373 if seed == 0 else 0.04]))
        rows.append(run("sk-easy", "worse-than-clip", seed, [5.0]))
        rows.append(run("sk-hard", "stuck", seed, [0.1]))
        rows.append(run("sk-hard", "worse-than-clip", seed, [0.1]))
    s = scores(rows)
    # The old score: -46.6 for that run, -4.9 for the method over 4 seeds.
    assert s["stuck"]["ratio"] < -4.0, s["stuck"]
    suite = Suite("sklearn", rows)
    assert suite.losses["sk-easy"]["worse-than-clip"][0] == 1.0
    assert math.isclose(suite.losses["sk-easy"]["stuck"][0], (0.373 - 0.04) / (0.68 - 0.04))
    # sk-hard is solved by both; random's loss there is (0.5 - 0.1) / (0.85 - 0.1).
    random_loss = (0.047 - 0.04) / (0.68 - 0.04) + (0.5 - 0.1) / (0.85 - 0.1)
    # Failing sk-easy on every seed is worse than random search, by one
    # problem's loss; failing it once out of four, a quarter of that.
    assert math.isclose(s["worse-than-clip"]["score"], 1.0 - 1.0 / random_loss), s
    seed0 = 1.0 - suite.losses["sk-easy"]["stuck"][0] / random_loss
    assert math.isclose(s["stuck"]["score"], (seed0 + 3.0) / 4.0), s
    assert s["stuck"]["score"] > 0.0 > s["worse-than-clip"]["score"], s


def test_a_problem_random_search_already_solves_is_left_out() -> None:
    rows = [
        run("sk-solved", "ferrotune-random", 0, [0.5, 0.0]),
        run("sk-solved", "other", 0, [0.0]),
        run("sk-open", "ferrotune-random", 0, [0.5, 0.4]),
        run("sk-open", "other", 0, [0.1]),
    ]
    suite = Suite("sklearn", rows)
    assert suite.excluded == ["sk-solved"]
    assert set(suite.losses) == {"sk-open"}


if __name__ == "__main__":
    for name, fn in list(globals().items()):
        if name.startswith("test_") and callable(fn):
            fn()
            print(f"ok {name}")
