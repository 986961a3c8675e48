"""The multi-objective bench's problems and scores (no benchmark runs):
points of each problem's Pareto-optimal set land on its known front, every
front point dominates the reference point, and the normalized score puts
the random searches' mean at 0 and the best run at 1.

Run: python -m pytest bench/python/tests, or python bench/python/tests/test_mo_problems.py.
"""

from __future__ import annotations

import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from mobench.problems import SYNTHETIC_IDS, UF_IDS, WFG_IDS, WFG_K, front_bound, get_problem, uf_optimal_set, wfg_front  # noqa: E402
from mobench.report import Scores, hypervolume  # noqa: E402


def optimal_points(pid: str, n: int = 50) -> np.ndarray:
    """Points of the Pareto-optimal set: free position variables, the
    distance variables where g is smallest."""
    p = get_problem(pid)
    rng = np.random.default_rng(7)
    xs = p.lower + rng.random((n, p.dim)) * (p.upper - p.lower)
    if pid.startswith("zdt"):
        xs[:, 1:] = 0.0
        return xs
    m = p.n_objectives
    number = int(pid[4:].split("-")[0])
    xs[:, m - 1 :] = 0.0 if number in (6, 7) else 0.5
    return xs


def test_uf_optimal_points_are_on_the_known_fronts_and_others_are_not() -> None:
    rng = np.random.default_rng(3)
    for pid in UF_IDS:
        p = get_problem(pid)
        assert p.n_objectives == 3 and p.dim == (10 if pid.endswith("-10var") else 30), pid
        x12 = rng.random((200, 2))
        if pid.startswith("uf9"):
            # The two parts of UF9's front: x1 outside (1/4, 3/4).
            x12[:, 0] = np.where(x12[:, 0] < 0.5, x12[:, 0] / 2, 0.5 + x12[:, 0] / 2)
        f = p.evaluate_many(uf_optimal_set(pid, x12))
        if pid.startswith("uf9"):
            np.testing.assert_allclose(f.sum(axis=1), 1.0, atol=1e-12)
            # f1 in [0, (1 - f3) / 4] or [3 (1 - f3) / 4, 1 - f3]: a gap.
            share = f[:, 0] / (1.0 - f[:, 2])
            assert np.all((share <= 0.25 + 1e-12) | (share >= 0.75 - 1e-12)), pid
            # Between the parts (x1 in (1/4, 3/4)), the points lie behind the plane.
            between = uf_optimal_set(pid, np.column_stack([np.full(5, 0.5), rng.random(5)]))
            assert np.all(p.evaluate_many(between).sum(axis=1) > 1.0), pid
        else:  # UF8, UF10: the unit sphere's octant
            np.testing.assert_allclose((f**2).sum(axis=1), 1.0, atol=1e-12)
        assert np.all(f >= -1e-12) and np.all(f <= front_bound(pid, 3) + 1e-12), pid
        assert np.all(f < p.reference), pid
        # Off the optimal set, each group of distance variables adds to its
        # own objective: moving one variable of group J3 (x_3, x_6, ...)
        # raises f3 only.
        x = uf_optimal_set(pid, x12[:1])[0]
        x[5] += 0.3  # x_6, in J3 (1-based j = 6)
        g = np.asarray(p.evaluate(x))
        np.testing.assert_allclose(g[:2], f[0, :2], atol=1e-12)
        assert g[2] > f[0, 2] + 1e-3, pid


def test_optimal_points_are_on_the_known_fronts() -> None:
    for pid in SYNTHETIC_IDS:
        p = get_problem(pid)
        f = p.evaluate_many(optimal_points(pid))
        if pid in ("zdt1", "zdt4"):
            np.testing.assert_allclose(f[:, 1], 1 - np.sqrt(f[:, 0]), atol=1e-12)
        elif pid in ("zdt2", "zdt6"):
            np.testing.assert_allclose(f[:, 1], 1 - f[:, 0] ** 2, atol=1e-12)
        elif pid == "zdt3":
            np.testing.assert_allclose(f[:, 1], 1 - np.sqrt(f[:, 0]) - f[:, 0] * np.sin(10 * math.pi * f[:, 0]), atol=1e-12)
        elif pid.startswith("dtlz1"):
            np.testing.assert_allclose(f.sum(axis=1), 0.5, atol=1e-12)
        elif pid.startswith("dtlz7"):
            m = p.n_objectives
            h = m - np.sum(f[:, :-1] / 2 * (1 + np.sin(3 * math.pi * f[:, :-1])), axis=1)
            np.testing.assert_allclose(f[:, -1], 2 * h, atol=1e-12)
        else:  # DTLZ2-6: the unit sphere
            np.testing.assert_allclose((f**2).sum(axis=1), 1.0, atol=1e-12)
        # The whole front counts: every optimal point dominates the reference.
        assert np.all(f < p.reference), pid
        assert np.all(f <= front_bound(pid, p.n_objectives) + 1e-12), pid


def test_wfg_problems_have_their_papers_fronts_and_references() -> None:
    # Huband et al. 2006: a WFG4-7 solution is Pareto optimal when every
    # distance variable is 0.35 of its range (z_i = 0.35 * 2i); the front
    # is then the concave sphere sum((f_m / 2m)^2) = 1 with free positions.
    rng = np.random.default_rng(3)
    for pid in WFG_IDS:
        p = get_problem(pid)
        m = p.n_objectives
        xs = p.lower + rng.random((20, p.dim)) * (p.upper - p.lower)
        # One point at a time (the runs) and all at once (the reference) agree.
        np.testing.assert_allclose(p.evaluate_many(xs), np.array([p.evaluate(x) for x in xs]), rtol=1e-14)
        number = int(pid[3:].split("-")[0])
        if 4 <= number <= 7:
            xs[:, WFG_K:] = 0.35 * p.upper[WFG_K:]
            f = p.evaluate_many(xs)
            scale = 2.0 * np.arange(1, m + 1)
            np.testing.assert_allclose(((f / scale) ** 2).sum(axis=1), 1.0, atol=1e-9)
        # The whole front counts.
        front = wfg_front(pid)
        assert np.all(front < p.reference), pid
        assert np.all(front <= front_bound(pid, m) + 1e-12), pid


def test_reference_points_do_not_depend_on_anything_but_the_problem() -> None:
    a = get_problem("zdt1").reference.copy()
    from mobench import problems  # noqa: PLC0415

    problems._CACHE.clear()
    np.testing.assert_array_equal(get_problem("zdt1").reference, a)


def test_hypervolume_of_hand_worked_fronts() -> None:
    ref = np.array([1.0, 1.0])
    # Two points: 0.5 * 0.8 + 0.3 * 0.2 (the second adds the strip below the first).
    pts = np.array([[0.5, 0.2], [0.2, 0.7], [2.0, 0.0]])  # the last does not dominate the reference
    assert math.isclose(hypervolume(pts, ref), 0.5 * 0.8 + 0.3 * 0.3, rel_tol=1e-12)
    assert hypervolume(np.array([[1.5, 1.5]]), ref) == 0.0


def test_normalized_score_spans_random_to_best() -> None:
    rows = []
    # zdt1's reference is (1.1, 3.875...): one point each, hypervolumes known.
    for method, point in (("optuna-random", [0.6, 3.0]), ("ferrotune-random", [0.6, 3.0]), ("ferrotune-nsga2", [0.1, 1.0])):
        rows.append({"method": method, "problem": "zdt1", "seed": 0, "budget": 1, "values": [point], "wall_s": 0.0, "objective_s": 0.0})
    sc = Scores(rows, 1)
    assert sc.seed_score("ferrotune-nsga2", 0) == 1.0
    assert sc.seed_score("optuna-random", 0) == 0.0


if __name__ == "__main__":
    for name, fn in list(globals().items()):
        if name.startswith("test_"):
            fn()
            print("ok", name)
