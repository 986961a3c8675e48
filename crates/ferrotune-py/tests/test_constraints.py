"""Constraints and the best trial: ``best_trial``, ``best_value``,
``best_params`` and ``best_trials`` hold feasible trials only (every
constraint value <= 0), as in Optuna, and a study whose complete trials all
violate a constraint raises ``ValueError`` saying so.

Constraints reach ferrotune through ``trial.set_constraint``; a sampler's
``constraints_func`` (TPE's, deprecated in Optuna 5, GP's, NSGA-II's) is
recorded through it, see test_pickle_and_setters.py and test_nsga2.py."""

from __future__ import annotations

import pytest

import ferrotune


def bounded_below(trial):
    """The issue's repro: minimize x subject to x >= 0.5."""
    x = trial.suggest_float("x", 0.0, 1.0)
    trial.set_constraint("x_at_least_half", 0.5 - x)
    return x


def study_of(xs, directions=None):
    kwargs = {"directions": directions} if directions else {}
    study = ferrotune.create_study(sampler=ferrotune.samplers.RandomSampler(seed=0), **kwargs)
    for x in xs:
        study.enqueue_trial({"x": x})
    return study


def test_an_infeasible_trial_is_never_the_best():
    study = study_of([0.1, 0.7])
    study.optimize(bounded_below, n_trials=2)
    # x = 0.1 has the better value, but violates its constraint by 0.4.
    assert study.trials[0].constraints == {"x_at_least_half": pytest.approx(0.4)}
    assert study.best_trial.number == 1
    assert study.best_value == 0.7
    assert study.best_params == {"x": 0.7}
    assert [t.number for t in study.best_trials] == [1]


def test_a_trial_without_constraints_is_feasible():
    study = study_of([0.1, 0.7])
    study.optimize(bounded_below, n_trials=2)

    def unconstrained(trial):
        trial.suggest_float("x", 0.0, 1.0)
        return 0.3

    study.optimize(unconstrained, n_trials=1)
    assert study.best_trial.number == 2
    assert study.best_value == 0.3


def test_the_pareto_front_holds_feasible_trials_only():
    study = ferrotune.create_study(
        directions=["minimize", "minimize"], sampler=ferrotune.samplers.RandomSampler(seed=0)
    )
    # Trial 0 dominates every other one but is infeasible; among the
    # feasible ones, trial 3 is dominated by trial 1.
    for x, y in [(0.1, 0.1), (0.6, 0.3), (0.7, 0.2), (0.8, 0.4)]:
        study.enqueue_trial({"x": x, "y": y})

    def objective(trial):
        x = trial.suggest_float("x", 0.0, 1.0)
        y = trial.suggest_float("y", 0.0, 1.0)
        trial.set_constraint("x_at_least_half", 0.5 - x)
        return x, y

    study.optimize(objective, n_trials=4)
    assert [t.number for t in study.best_trials] == [1, 2]


def test_no_feasible_trial_raises_value_error_and_optimize_still_runs(capsys):
    # The per-trial log line reads the best trial; with none feasible it
    # must say so, not stop the loop.
    ferrotune.logging.set_verbosity(ferrotune.logging.INFO)
    study = study_of([0.1, 0.2])
    study.optimize(bounded_below, n_trials=2)
    assert [t.state for t in study.trials] == [ferrotune.trial.TrialState.COMPLETE] * 2
    assert "No feasible trial is completed yet." in capsys.readouterr().err

    for attribute in ("best_trial", "best_value", "best_params"):
        with pytest.raises(ValueError, match="2 trials completed, but none is feasible"):
            getattr(study, attribute)
    assert study.best_trials == []

    # Distinct from a study where nothing completed yet.
    with pytest.raises(ValueError, match="no complete trial"):
        ferrotune.create_study().best_trial

