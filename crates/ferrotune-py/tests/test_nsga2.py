"""NSGAIISampler with Optuna's signature: crossover names and operator
objects (ferrotune's and Optuna's classes of the same names), Optuna's
deprecated ``constraints_func`` recorded with ``trial.set_constraint``,
seeded runs that repeat, and a search that beats random on a two-objective
problem."""

from __future__ import annotations

import math

import pytest

import ferrotune
from ferrotune.samplers import NSGAIISampler
from ferrotune.samplers.nsgaii import (
    BLXAlphaCrossover,
    PolynomialMutation,
    SBXCrossover,
    SPXCrossover,
    UNDXCrossover,
    UniformCrossover,
    VSBXCrossover,
)


def zdt1(trial):
    """ZDT1 on 6 variables (Zitzler, Deb & Thiele 2000): front f2 = 1 - sqrt(f1)."""
    x = [trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(6)]
    g = 1.0 + 9.0 * sum(x[1:]) / 5.0
    return x[0], g * (1.0 - math.sqrt(x[0] / g))


def hypervolume_2d(points, reference=(1.1, 2.0)):
    """Exact, for a handful of points: sweep the front left to right."""
    front = sorted(p for p in points if p[0] < reference[0] and p[1] < reference[1])
    volume, ceiling = 0.0, reference[1]
    for i, (a, b) in enumerate(front):
        if b < ceiling:
            right = reference[0]
            volume += (right - a) * (ceiling - b)
            ceiling = b
    return volume


def values_of(study):
    return [tuple(t.values) for t in study.trials]


def run(sampler, n_trials=300):
    study = ferrotune.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(zdt1, n_trials=n_trials)
    return study


def test_a_seeded_study_repeats_and_beats_random_search():
    first = run(NSGAIISampler(seed=3, population_size=20))
    again = run(NSGAIISampler(seed=3, population_size=20))
    assert values_of(first) == values_of(again)
    ours = [hypervolume_2d(values_of(run(NSGAIISampler(seed=s, population_size=20)))) for s in range(3)]
    randoms = [hypervolume_2d(values_of(run(ferrotune.samplers.RandomSampler(seed=s)))) for s in range(3)]
    # Random search on ZDT1 stays far from the front (g near 5.5, so f2
    # mostly above the reference's 2); NSGA-II's generations pull g down.
    assert min(ours) > max(randoms) + 0.3, (ours, randoms)


def test_later_generations_are_bred_from_earlier_ones():
    study = run(NSGAIISampler(seed=0, population_size=10), n_trials=30)
    generations = [t.system_attrs.get("nsga2:generation") for t in study.trials]
    assert all(g is None for g in generations[:10])  # the random start
    assert all(g is not None for g in generations[10:])


@pytest.mark.parametrize(
    "crossover",
    [
        "blxalpha",
        UniformCrossover(),
        BLXAlphaCrossover(alpha=0.3),
        SBXCrossover(eta=15.0),
        VSBXCrossover(),
        UNDXCrossover(sigma_xi=0.4),
        SPXCrossover(epsilon=2.0),
    ],
)
def test_every_crossover_runs(crossover):
    study = run(NSGAIISampler(seed=1, population_size=8, crossover=crossover), n_trials=24)
    assert len(study.trials) == 24
    assert all(t.state == ferrotune.trial.TrialState.COMPLETE for t in study.trials)


def test_crossover_parameters_become_the_options():
    # The object's parameter must agree with the same option given by keyword.
    NSGAIISampler(crossover=BLXAlphaCrossover(alpha=0.3), alpha=0.3)
    with pytest.raises(ValueError, match="alpha is 0.2 but the crossover's is 0.3"):
        NSGAIISampler(crossover=BLXAlphaCrossover(alpha=0.3), alpha=0.2)
    # Options of another operator are errors naming them, as on every face.
    with pytest.raises(ValueError, match="alpha"):
        NSGAIISampler(crossover=SBXCrossover(), alpha=0.3)
    with pytest.raises(TypeError, match="crossover must be a name or one of"):
        NSGAIISampler(crossover=object())
    with pytest.raises(ValueError, match="must be in the range"):
        SBXCrossover(uniform_crossover_prob=1.5)


def test_optunas_crossover_objects_are_read_too():
    nsgaii = pytest.importorskip("optuna.samplers.nsgaii")
    sampler = NSGAIISampler(seed=1, population_size=8, crossover=nsgaii.SBXCrossover(eta=7.0))
    assert len(run(sampler, n_trials=16).trials) == 16
    with pytest.raises(ValueError, match="eta is 3.0 but the crossover's is 7.0"):
        NSGAIISampler(crossover=nsgaii.SBXCrossover(eta=7.0), eta=3.0)


def test_mutation_objects_become_the_options():
    # Polynomial mutation keeps a mutated value near its parent's: with a
    # mutation in every parameter and a very large eta, children stay next
    # to their parents, where uniform mutation draws them anywhere.
    def spread(mutation):
        sampler = NSGAIISampler(seed=2, population_size=8, mutation=mutation, mutation_prob=1.0, crossover_prob=0.0)
        study = run(sampler, n_trials=16)
        parents = [t.params["x0"] for t in study.trials[:8]]
        children = [t.params["x0"] for t in study.trials[8:]]
        return max(min(abs(c - p) for p in parents) for c in children)

    assert spread(PolynomialMutation(eta=1e6)) < 1e-3
    assert spread(None) > 0.01
    assert spread("polynomial") > 0.0
    NSGAIISampler(mutation=PolynomialMutation(eta=5.0), mutation_eta=5.0)
    with pytest.raises(ValueError, match="mutation_eta is 3.0 but the mutation's eta is 5.0"):
        NSGAIISampler(mutation=PolynomialMutation(eta=5.0), mutation_eta=3.0)
    with pytest.raises(ValueError, match="non-negative"):
        PolynomialMutation(eta=-1.0)
    with pytest.raises(TypeError, match="mutation must be None, a name"):
        NSGAIISampler(mutation=object())
    ferrotune.samplers.NSGAIIISampler(mutation=PolynomialMutation())
    optuna_nsgaii = pytest.importorskip("optuna.samplers.nsgaii")
    assert spread(optuna_nsgaii.PolynomialMutation(eta=1e6)) < 1e-3


def test_constraints_func_is_recorded_as_constraints():
    def objective(trial):
        x = trial.suggest_float("x", 0.0, 1.0)
        trial.set_user_attr("c", 0.5 - x)
        return x, 1.0 - x

    seen = []

    def constraints(trial):
        seen.append(trial.number)
        return [trial.user_attrs["c"]]

    study = ferrotune.create_study(
        directions=["minimize", "minimize"],
        sampler=NSGAIISampler(seed=0, population_size=6, constraints_func=constraints),
    )
    study.optimize(objective, n_trials=12)
    assert seen == list(range(12))
    for t in study.trials:
        assert t.constraints == {"0": pytest.approx(t.user_attrs["c"])}
    # Infeasible trials are never on the front.
    assert all(t.user_attrs["c"] <= 0 for t in study.best_trials)
    with pytest.raises(TypeError, match="constraints_func must be callable"):
        NSGAIISampler(constraints_func=3)


def test_a_failing_constraints_func_fails_its_trial_and_says_why():
    def broken(trial):
        return ["not a number"]

    study = ferrotune.create_study(
        directions=["minimize", "minimize"], sampler=NSGAIISampler(seed=0, constraints_func=broken)
    )
    with pytest.raises(ValueError, match="not a number"):
        study.optimize(lambda t: (t.suggest_float("x", 0.0, 1.0), 1.0), n_trials=3)
    (trial,) = study.trials
    assert trial.state == ferrotune.trial.TrialState.FAIL
    assert "constraints_func raised ValueError" in trial.system_attrs["fail_reason"]


def test_a_nan_constraint_fails_its_trial_and_the_study_goes_on():
    def constraints(trial):
        return [trial.params["x"] - 0.5, float("nan") if trial.params["x"] < 0.5 else 0.0]

    study = ferrotune.create_study(
        directions=["minimize", "minimize"], sampler=NSGAIISampler(seed=0, population_size=4, constraints_func=constraints)
    )
    study.optimize(lambda t: (t.suggest_float("x", 0.0, 1.0), 1.0), n_trials=12)
    assert len(study.trials) == 12
    failed = [t for t in study.trials if t.state == ferrotune.trial.TrialState.FAIL]
    assert failed and all(t.params["x"] < 0.5 for t in failed)
    assert all("NaN for constraint 1" in t.system_attrs["fail_reason"] for t in failed)
    complete = [t for t in study.trials if t.state == ferrotune.trial.TrialState.COMPLETE]
    assert complete and all(t.params["x"] >= 0.5 for t in complete)


def test_strategies_are_refused_with_the_reason():
    with pytest.raises(ValueError, match="child_generation_strategy is not supported"):
        NSGAIISampler(child_generation_strategy=lambda *a: {})
