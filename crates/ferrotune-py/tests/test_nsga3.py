"""NSGAIIISampler with Optuna's signature: reference points given as a
list of lists or a numpy array (checked, with errors naming the option),
Das-Dennis points by ``dividing_parameter``, Optuna's ``constraints_func``
recorded with ``trial.set_constraint``, seeded runs that repeat, and a
search that gets nearer DTLZ2's front than random search with three
objectives."""

from __future__ import annotations

import math

import pytest

import ferrotune
from ferrotune.samplers import NSGAIIISampler, NSGAIISampler
from ferrotune.samplers.nsgaii import SBXCrossover

THREE = ["minimize", "minimize", "minimize"]


def dtlz2(trial):
    """DTLZ2 on 6 variables, three objectives: the front is the unit
    sphere's positive octant, where x2..x5 are 0.5."""
    x = [trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(6)]
    g = sum((v - 0.5) ** 2 for v in x[2:])
    a, b = x[0] * math.pi / 2, x[1] * math.pi / 2
    return (1 + g) * math.cos(a) * math.cos(b), (1 + g) * math.cos(a) * math.sin(b), (1 + g) * math.sin(a)


def run(sampler, n_trials=300):
    study = ferrotune.create_study(directions=THREE, sampler=sampler)
    study.optimize(dtlz2, n_trials=n_trials)
    return study


def mean_front_distance(study):
    """How far the non-dominated trials lie outside the unit sphere (0 on the front)."""
    return sum(math.sqrt(sum(v * v for v in t.values)) - 1 for t in study.best_trials) / len(study.best_trials)


def test_a_seeded_study_repeats_and_gets_nearer_the_front_than_random_search():
    first = run(NSGAIIISampler(seed=3, population_size=20))
    again = run(NSGAIIISampler(seed=3, population_size=20))
    assert [t.values for t in first.trials] == [t.values for t in again.trials]
    ours = [mean_front_distance(run(NSGAIIISampler(seed=s, population_size=20))) for s in range(3)]
    randoms = [mean_front_distance(run(ferrotune.samplers.RandomSampler(seed=s))) for s in range(3)]
    assert max(ours) < min(randoms), (ours, randoms)


def test_later_generations_are_bred_and_tagged_as_nsga3():
    study = run(NSGAIIISampler(seed=0, population_size=10), n_trials=30)
    generations = [t.system_attrs.get("nsga3:generation") for t in study.trials]
    assert all(g is None for g in generations[:10])  # the random start
    assert [g["generation"] for g in generations[10:]] == [1] * 10 + [2] * 10
    assert all("nsga2:generation" not in t.system_attrs for t in study.trials)
    assert isinstance(NSGAIIISampler(), ferrotune.samplers.BaseSampler)
    assert not isinstance(NSGAIIISampler(), NSGAIISampler)


def test_reference_points_as_lists_or_numpy_and_checked():
    points = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1, 1, 1]]
    assert len(run(NSGAIIISampler(seed=1, population_size=8, reference_points=points), n_trials=40).trials) == 40
    np = pytest.importorskip("numpy")
    sampler = NSGAIIISampler(seed=1, population_size=8, reference_points=np.array(points))
    assert len(run(sampler, n_trials=24).trials) == 24
    with pytest.raises(ValueError, match="reference_points.*row 1 has 2 numbers"):
        NSGAIIISampler(reference_points=[[1.0, 0.0, 0.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match="reference_points.*all zeros"):
        NSGAIIISampler(reference_points=[[0.0, 0.0, 0.0]])
    with pytest.raises(ValueError, match="reference_points.*numbers only"):
        NSGAIIISampler(reference_points=[["a", "b", "c"]])
    with pytest.raises(ValueError, match="dividing_parameter must be at least 1"):
        NSGAIIISampler(dividing_parameter=0)
    # Columns for another number of objectives: refused when the study is made.
    with pytest.raises(ValueError, match="2 columns, but the study has 3 objectives"):
        ferrotune.create_study(directions=THREE, sampler=NSGAIIISampler(reference_points=[[1, 0], [0, 1]]))


def test_dividing_parameter_and_optunas_options():
    sampler = NSGAIIISampler(
        seed=2,
        population_size=12,
        dividing_parameter=4,
        mutation_prob=0.2,
        crossover=SBXCrossover(eta=10.0),
        crossover_prob=0.8,
        swapping_prob=0.4,
    )
    study = run(sampler, n_trials=48)
    assert sum("nsga3:generation" in t.system_attrs for t in study.trials) == 36


def test_one_and_two_objectives_run_too():
    one = ferrotune.create_study(sampler=NSGAIIISampler(seed=0, population_size=6))
    one.optimize(lambda t: (t.suggest_float("x", -2, 2) - 1) ** 2, n_trials=40)
    assert one.best_value < 0.05
    two = ferrotune.create_study(directions=["minimize", "maximize"], sampler=NSGAIIISampler(seed=0, population_size=6))
    two.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), n_trials=30)
    assert len(two.trials) == 30


def test_constraints_func_is_recorded_as_constraints():
    def objective(trial):
        x = trial.suggest_float("x", 0.0, 1.0)
        y = trial.suggest_float("y", 0.0, 1.0)
        trial.set_user_attr("c", 0.5 - x)
        return x, y, 2.0 - x - y

    seen = []

    def constraints(trial):
        seen.append(trial.number)
        return [trial.user_attrs["c"]]

    study = ferrotune.create_study(
        directions=THREE, sampler=NSGAIIISampler(seed=0, population_size=6, constraints_func=constraints)
    )
    study.optimize(objective, n_trials=18)
    assert seen == list(range(18))
    for t in study.trials:
        assert t.constraints == {"0": pytest.approx(t.user_attrs["c"])}
    assert all(t.user_attrs["c"] <= 0 for t in study.best_trials)
    with pytest.raises(TypeError, match="constraints_func must be callable"):
        NSGAIIISampler(constraints_func=3)


def test_strategies_are_refused_with_the_reason():
    with pytest.raises(ValueError, match="elite_population_selection_strategy is not supported: NSGA-III"):
        NSGAIIISampler(elite_population_selection_strategy=lambda study, population: population)
