"""``ferrotune.importance``: Optuna's API over the engine's PED-ANOVA, checked
against a construction whose importance is known and against Optuna's own
evaluator on the same trials."""

from __future__ import annotations

import math

import pytest

import ferrotune
from ferrotune.importance import (
    FanovaImportanceEvaluator,
    PedAnovaImportanceEvaluator,
    get_param_importances,
)


def quadratic_study(n: int = 200) -> ferrotune.Study:
    study = ferrotune.create_study(sampler=ferrotune.samplers.RandomSampler(seed=11))
    study.optimize(
        lambda t: 10 * t.suggest_float("x0", -2, 2) ** 2 + t.suggest_float("x1", -2, 2) + 0.01 * t.suggest_float("x2", -2, 2),
        n_trials=n,
    )
    return study


def test_the_ranking_follows_the_construction_and_sums_to_one():
    importances = get_param_importances(quadratic_study())
    assert list(importances) == ["x0", "x1", "x2"]
    assert math.isclose(sum(importances.values()), 1.0)
    raw = PedAnovaImportanceEvaluator().evaluate(quadratic_study())
    assert list(raw) == ["x0", "x1", "x2"] and not math.isclose(sum(raw.values()), 1.0)
    subset = get_param_importances(quadratic_study(), params=["x1", "x2"])
    assert list(subset) == ["x1", "x2"]


def test_the_same_trials_give_optunas_importances():
    optuna = pytest.importorskip("optuna")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    ours = quadratic_study()
    theirs = optuna.create_study()
    space = {name: optuna.distributions.FloatDistribution(-2, 2) for name in ("x0", "x1", "x2")}
    theirs.add_trials(
        [optuna.trial.create_trial(params=t.params, distributions=space, value=t.value) for t in ours.trials]
    )
    for evaluator_args in ({}, {"target_quantile": 0.2}, {"evaluate_on_local": False}):
        expected = optuna.importance.get_param_importances(
            theirs, evaluator=optuna.importance.PedAnovaImportanceEvaluator(**evaluator_args)
        )
        got = get_param_importances(ours, evaluator=PedAnovaImportanceEvaluator(**evaluator_args))
        assert list(got) == list(expected), evaluator_args
        for name, value in expected.items():
            assert math.isclose(got[name], value, rel_tol=1e-9, abs_tol=1e-12), (evaluator_args, name)


def test_several_objectives_need_a_target():
    study = ferrotune.create_study(directions=["minimize", "maximize"], sampler=ferrotune.samplers.RandomSampler(seed=2))
    study.optimize(lambda t: (t.suggest_float("a", 0, 1) ** 2, t.suggest_float("b", 0, 1)), n_trials=60)
    with pytest.raises(ValueError, match="target"):
        get_param_importances(study)
    first = get_param_importances(study, target=lambda t: t.values[0])
    second = get_param_importances(study, target=lambda t: -t.values[1])
    assert list(first)[0] == "a" and list(second)[0] == "b"


def test_evaluators_not_written_yet_say_so():
    with pytest.raises(NotImplementedError, match="PedAnovaImportanceEvaluator"):
        FanovaImportanceEvaluator()
