"""ferrotune.pareto: the engine's exact hypervolume, contributions, ranks
and crowding distances from Python, checked on hand-worked cases and
against Optuna's own hypervolume on random fronts in 2 to 5 objectives;
bad input is a ValueError naming the point; a study's hypervolume
history; and ferrotune._hypervolume.compute_hypervolume, Optuna's private
function, with its behaviour."""

from __future__ import annotations

import math
import random

import pytest

import ferrotune
from ferrotune._hypervolume import compute_hypervolume
from ferrotune.pareto import (
    crowding_distances,
    hypervolume,
    hypervolume_contributions,
    hypervolume_history,
    non_domination_ranks,
)


def test_hand_worked_hypervolumes():
    # Two boxes [1,3]x[2,3] and [2,3]x[1,3] (area 2 each) overlapping in [2,3]x[2,3].
    assert hypervolume([[1.0, 2.0], [2.0, 1.0]], [3.0, 3.0]) == 3.0
    # In 3 objectives the overlap is a unit cube; (3, 3, 3) lies on the reference.
    assert hypervolume([[1, 2, 2], [2, 1, 2], [3, 3, 3]], [3, 3, 3]) == 3.0
    # A point outside the reference adds nothing; no points, nothing.
    assert hypervolume([[0.0, 5.0]], [1.0, 1.0]) == 0.0
    assert hypervolume([], [1.0, 1.0]) == 0.0
    # -inf inside, or +inf in the reference: infinite.
    assert hypervolume([[-math.inf, 0.0]], [1.0, 1.0]) == math.inf
    assert hypervolume([[0.0, 0.0]], [math.inf, 1.0]) == math.inf


def test_contributions_ranks_and_crowding_on_hand_worked_cases():
    points = [[1.0, 3.0], [2.0, 2.0], [3.0, 1.0], [3.0, 3.0]]
    # (2, 2) alone covers [2, 3] x [2, 3]; (3, 3) is dominated.
    assert hypervolume_contributions(points, [4.0, 4.0]) == [1.0, 1.0, 1.0, 0.0]
    assert non_domination_ranks([[1, 2], [2, 1], [2, 2], [2, 2], [3, 3]]) == [0, 0, 1, 1, 2]
    # Point 1: (3 - 0) / 4 + (4 - 1) / 4; point 2: (4 - 1) / 4 + (2 - 0) / 4.
    assert crowding_distances([[0, 4], [1, 2], [3, 1], [4, 0]]) == [math.inf, 1.5, 1.25, math.inf]


def random_front(rng, n, m):
    """n points on the positive unit sphere in m objectives (all on the front)."""
    points = []
    for _ in range(n):
        x = [abs(rng.gauss(0.0, 1.0)) + 1e-9 for _ in range(m)]
        norm = math.sqrt(sum(v * v for v in x))
        points.append([v / norm for v in x])
    return points


@pytest.mark.parametrize("m", [2, 3, 4, 5])
def test_the_hypervolume_is_optunas_on_random_fronts(m):
    np = pytest.importorskip("numpy")
    optuna_hv = pytest.importorskip("optuna._hypervolume")
    rng = random.Random(m)
    for n in [1, 7, 40]:
        # Fronts, and fronts mixed with dominated points.
        points = random_front(rng, n, m) + [[rng.uniform(0.5, 1.2) for _ in range(m)] for _ in range(n // 2)]
        reference = [1.1] * m
        inside = np.array([p for p in points if all(v <= r for v, r in zip(p, reference))])
        expected = optuna_hv.compute_hypervolume(inside.reshape(-1, m), np.array(reference))
        ours = hypervolume(points, reference)
        assert ours == pytest.approx(expected, rel=1e-12, abs=0.0), (m, n)
        # A numpy array is taken as a list of points.
        assert hypervolume(np.array(points), np.array(reference)) == ours
        # Contributions: the volume lost without each point.
        contributions = hypervolume_contributions(points, reference)
        for i in rng.sample(range(len(points)), min(5, len(points))):
            without = hypervolume(points[:i] + points[i + 1 :], reference)
            assert contributions[i] == pytest.approx(ours - without, rel=1e-9, abs=1e-12)


def test_ranks_agree_with_a_brute_force_definition():
    rng = random.Random(5)
    points = [[float(rng.randint(0, 6)) for _ in range(3)] for _ in range(200)]
    ranks = non_domination_ranks(points)

    def dominates(a, b):
        return all(x <= y for x, y in zip(a, b)) and a != b

    for i, p in enumerate(points):
        # A point's rank is one more than the highest rank of a point dominating it.
        above = [ranks[j] for j, q in enumerate(points) if dominates(q, p)]
        assert ranks[i] == (max(above) + 1 if above else 0)


def test_bad_points_are_a_value_error_naming_them():
    with pytest.raises(ValueError, match="point 1 has 3 values, but reference_point has 2"):
        hypervolume([[1.0, 2.0], [1.0, 2.0, 3.0]], [3.0, 3.0])
    with pytest.raises(ValueError, match="point 0 has NaN in objective 1"):
        hypervolume([[1.0, math.nan]], [3.0, 3.0])
    with pytest.raises(ValueError, match="reference_point has NaN in objective 0"):
        hypervolume([[1.0, 1.0]], [math.nan, 3.0])
    with pytest.raises(ValueError, match="reference_point must have one value per objective"):
        hypervolume([], [])
    with pytest.raises(ValueError, match="point 2 has 1 values, but point 0 has 2"):
        non_domination_ranks([[1, 2], [2, 1], [3]])
    with pytest.raises(ValueError, match="point 0 has no values"):
        crowding_distances([[]])
    with pytest.raises(ValueError, match="sequence of points"):
        hypervolume([1.0, 2.0], [3.0, 3.0])
    with pytest.raises((TypeError, ValueError)):
        hypervolume([["a", 1.0]], [3.0, 3.0])


def test_a_studys_hypervolume_history_follows_its_front():
    ferrotune.logging.set_verbosity(ferrotune.logging.WARNING)
    study = ferrotune.create_study(
        directions=["minimize", "maximize"], sampler=ferrotune.samplers.RandomSampler(seed=3)
    )
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), n_trials=30)
    study.tell(study.ask(), state=ferrotune.trial.TrialState.FAIL)
    history = hypervolume_history(study, reference_point=[1.0, 0.0])
    # One step per complete trial: after each, the volume of the trials so far
    # (the maximized objective negated).
    complete = [t for t in study.trials if t.state == ferrotune.trial.TrialState.COMPLETE]
    assert len(complete) == 30
    assert [number for number, _ in history] == [t.number for t in complete]
    for k, (_, volume) in enumerate(history):
        losses = [[t.values[0], -t.values[1]] for t in complete[: k + 1]]
        assert volume == pytest.approx(hypervolume(losses, [1.0, 0.0]), rel=1e-12)
    assert history[-1][1] > history[0][1]
    # An infeasible trial is listed, and leaves the volume as it was.
    constrained = ferrotune.create_study(
        directions=["minimize", "minimize"], sampler=ferrotune.samplers.RandomSampler(seed=4)
    )

    def objective(trial):
        x, y = trial.suggest_float("x", 0, 1), trial.suggest_float("y", 0, 1)
        trial.set_constraint("x_at_most_half", x - 0.5)
        return x, y

    constrained.optimize(objective, n_trials=30)
    history = hypervolume_history(constrained, reference_point=[1.0, 1.0])
    assert len(history) == 30
    infeasible = 0
    for k, (number, volume) in enumerate(history):
        feasible = [t.values for t in constrained.trials[: k + 1] if t.params["x"] <= 0.5]
        infeasible += constrained.trials[k].params["x"] > 0.5
        assert volume == pytest.approx(hypervolume(feasible, [1.0, 1.0]), rel=1e-12, abs=0.0)
    assert infeasible > 5
    with pytest.raises(ValueError, match="one value per objective"):
        hypervolume_history(study, reference_point=[1.0])
    single = ferrotune.create_study()
    with pytest.raises(ValueError, match="several objectives"):
        hypervolume_history(single, reference_point=[1.0])


def test_hypervolume_history_checks_as_its_plots_do():
    # One check for the function and both plots, each naming itself; a
    # numpy reference point is taken as a list.
    np = pytest.importorskip("numpy")
    pytest.importorskip("plotly")
    from ferrotune.visualization import plot_hypervolume_history

    study = ferrotune.create_study(
        directions=["minimize", "minimize"], sampler=ferrotune.samplers.RandomSampler(seed=1)
    )
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), n_trials=10)
    assert hypervolume_history(study, np.array([1.0, 1.0])) == hypervolume_history(study, [1.0, 1.0])
    figure = plot_hypervolume_history(study, np.array([1.0, 1.0]))
    history = hypervolume_history(study, [1.0, 1.0])
    steps = list(zip(figure.data[0].x, figure.data[0].y))
    assert steps and all(step in history for step in steps)
    assert {v for _, v in steps} == {v for _, v in history}
    single = ferrotune.create_study()
    for function, name in (
        (hypervolume_history, "hypervolume_history"),
        (plot_hypervolume_history, "plot_hypervolume_history"),
    ):
        with pytest.raises(ValueError, match=f"`{name}` needs a study of several objectives"):
            function(single, [1.0])
        with pytest.raises(ValueError, match=r"one value per objective \(2\), got 3"):
            function(study, [1.0, 1.0, 1.0])


def test_compute_hypervolume_behaves_as_optunas():
    np = pytest.importorskip("numpy")
    optuna_hv = pytest.importorskip("optuna._hypervolume")
    points = np.array([[0.2, 0.5, 0.1], [0.4, 0.1, 0.3], [0.9, 0.9, 0.9]])
    reference = np.array([1.0, 1.0, 1.0])
    assert compute_hypervolume(points, reference) == pytest.approx(
        optuna_hv.compute_hypervolume(points, reference), rel=1e-12
    )
    assert compute_hypervolume(points, reference, assume_pareto=True) == compute_hypervolume(points, reference)
    # A point beyond the reference is an error in both.
    beyond = np.array([[0.2, 1.5, 0.1]])
    with pytest.raises(ValueError):
        optuna_hv.compute_hypervolume(beyond, reference)
    with pytest.raises(ValueError, match="point 0"):
        compute_hypervolume(beyond, reference)
    with pytest.raises(ValueError, match="point 0 has 2 values, but reference_point has 3"):
        compute_hypervolume([[0.1, 0.1]], reference)
    # An infinite reference: infinite in both.
    infinite = np.array([1.0, math.inf, 1.0])
    assert compute_hypervolume(points, infinite) == optuna_hv.compute_hypervolume(points, infinite) == math.inf
