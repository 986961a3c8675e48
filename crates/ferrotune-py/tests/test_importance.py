"""``ferrotune.importance``: Optuna's API over the engine's PED-ANOVA, fANOVA and
mean decrease in impurity, checked against constructions whose importance is
known and against Optuna's own evaluators on the same trials."""

from __future__ import annotations

import math

import pytest

import ferrotune
from ferrotune.importance import (
    BaseImportanceEvaluator,
    FanovaImportanceEvaluator,
    MeanDecreaseImpurityImportanceEvaluator,
    PedAnovaImportanceEvaluator,
    get_param_importances,
)

FORESTS = (FanovaImportanceEvaluator, MeanDecreaseImpurityImportanceEvaluator)


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


def test_several_objectives_by_pareto_rank_or_by_a_target():
    study = ferrotune.create_study(directions=["minimize", "maximize"], sampler=ferrotune.samplers.RandomSampler(seed=2))
    study.optimize(
        lambda t: (t.suggest_float("a", 0, 1) ** 2, t.suggest_float("b", 0, 1) + 0 * t.suggest_float("c", 0, 1)),
        n_trials=60,
    )
    # Without a target, PED-ANOVA judges by the Pareto front (low a, high b):
    # both matter, c does not.
    pareto = get_param_importances(study)
    assert list(pareto)[-1] == "c" and math.isclose(sum(pareto.values()), 1.0)
    first = get_param_importances(study, target=lambda t: t.values[0])
    second = get_param_importances(study, target=lambda t: -t.values[1])
    assert list(first)[0] == "a" and list(second)[0] == "b"


def test_the_forest_evaluators_rank_as_constructed():
    study = quadratic_study()
    for cls in FORESTS:
        importances = get_param_importances(study, evaluator=cls(seed=0))
        assert list(importances) == ["x0", "x1", "x2"], cls
        assert math.isclose(sum(importances.values()), 1.0)
        assert importances["x0"] > 0.9, (cls, importances)
    # Unnormalized fANOVA: each share of the forest's variance, summing to at
    # most one (nearly one here: the objective is additive).
    raw = FanovaImportanceEvaluator(seed=0).evaluate(study)
    assert list(raw) == ["x0", "x1", "x2"]
    assert 0.9 < sum(raw.values()) <= 1.0 + 1e-9
    # A subset is modelled alone (without x0, the forest could not tell x1
    # from x2 apart from x0's variance at 200 trials).
    subset = get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=0), params=["x1", "x0"])
    assert list(subset) == ["x0", "x1"]


def mixed_study(n: int = 300) -> ferrotune.Study:
    """An int, a log-scaled float, a categorical and a conditional parameter,
    in decreasing order of importance, and one that does not matter. (beta's
    main effect is a ninth of its effect among the trials with adam: it
    matters in a third of the space, where its marginal averages it in.)"""

    def objective(t: ferrotune.Trial) -> float:
        layers = t.suggest_int("layers", 1, 12)
        lr = t.suggest_float("lr", 1e-5, 1.0, log=True)
        optimizer = t.suggest_categorical("optimizer", ["sgd", "adam", "rmsprop"])
        t.suggest_float("noise", 0, 1)
        value = 0.4 * abs(layers - 6) + (math.log10(lr) + 3) ** 2 / 4
        value += 0.6 if optimizer == "sgd" else 0.0
        if optimizer == "adam":
            value += 1.5 * t.suggest_float("beta", 0, 1)
        return value

    study = ferrotune.create_study(sampler=ferrotune.samplers.RandomSampler(seed=5))
    study.optimize(objective, n_trials=n)
    return study


def test_ints_log_scales_categoricals_and_conditional_parameters():
    study = mixed_study()
    for cls in FORESTS:
        importances = get_param_importances(study, evaluator=cls(seed=1))
        assert set(importances) == {"layers", "lr", "optimizer", "noise", "beta"}, cls
        order = list(importances)
        assert order[:2] == ["layers", "lr"] and order[-1] == "noise", (cls, importances)
        if cls is FanovaImportanceEvaluator:
            # Impurity decreases count beta's splits among adam's trials in
            # full, so for them beta and optimizer come in either order.
            assert order.index("optimizer") < order.index("beta"), importances


def test_a_seed_fixes_the_forest():
    study = quadratic_study()
    for cls in FORESTS:
        assert cls(seed=3).evaluate(study) == cls(seed=3).evaluate(study)
        assert cls(seed=3).evaluate(study) != cls(seed=4).evaluate(study)
        # Unseeded, a new forest each time.
        assert cls().evaluate(study) != cls().evaluate(study)
        # Fewer, shallower trees: another forest, the same leader.
        small = cls(n_trees=4, max_depth=3, seed=3).evaluate(study)
        assert small != cls(seed=3).evaluate(study) and next(iter(small)) == "x0"


def test_forest_evaluators_take_optunas_arguments():
    for cls in FORESTS:
        assert isinstance(cls(), BaseImportanceEvaluator)
        cls(n_trees=8, max_depth=4, seed=2**63)
        with pytest.raises(TypeError):
            cls(64)  # keyword-only, as in Optuna
        with pytest.raises(ValueError, match="n_trees"):
            cls(n_trees=0)
        with pytest.raises(ValueError, match="max_depth"):
            cls(max_depth=0)
        with pytest.raises(TypeError, match="n_trees"):
            cls(n_trees=2.5)
        with pytest.raises(ValueError, match="seed"):
            cls(seed=-1)


def test_fanova_can_measure_log_parameters_on_their_linear_scale():
    # The learning rate matters below 1e-3 only: 40% of its log scale, a
    # thousandth of its linear one.
    def objective(t: ferrotune.Trial) -> float:
        lr = t.suggest_float("lr", 1e-5, 1.0, log=True)
        return max(0.0, -3.0 - math.log10(lr)) + 0.3 * t.suggest_float("x", 0, 1)

    study = ferrotune.create_study(sampler=ferrotune.samplers.RandomSampler(seed=8))
    study.optimize(objective, n_trials=300)
    assert list(FanovaImportanceEvaluator(seed=0).evaluate(study)) == ["lr", "x"]
    assert list(FanovaImportanceEvaluator(seed=0, log_scale=False).evaluate(study)) == ["x", "lr"]
    with pytest.raises(TypeError, match="log_scale"):
        FanovaImportanceEvaluator(log_scale="no")


def test_forest_evaluators_need_a_target_for_several_objectives():
    study = ferrotune.create_study(directions=["minimize", "maximize"], sampler=ferrotune.samplers.RandomSampler(seed=2))
    study.optimize(lambda t: (t.suggest_float("a", 0, 1) ** 2, t.suggest_float("b", 0, 1)), n_trials=60)
    for cls in FORESTS:
        with pytest.raises(ValueError, match="target"):
            get_param_importances(study, evaluator=cls(seed=0))
        assert list(get_param_importances(study, evaluator=cls(seed=0), target=lambda t: t.values[0]))[0] == "a"
        assert list(get_param_importances(study, evaluator=cls(seed=0), target=lambda t: t.values[1]))[0] == "b"


def test_too_few_trials_give_equal_shares():
    study = ferrotune.create_study()
    study.optimize(lambda t: t.suggest_float("a", 0, 1) + t.suggest_float("b", 0, 1), n_trials=1)
    for cls in FORESTS:
        assert get_param_importances(study, evaluator=cls(seed=0)) == {"a": 0.5, "b": 0.5}


def test_a_user_evaluator_is_normalized_here():
    class Constant(BaseImportanceEvaluator):
        def evaluate(self, study, params=None, *, target=None):
            return {"x0": 3.0, "x1": 1.0}

    assert get_param_importances(quadratic_study(20), evaluator=Constant()) == {"x0": 0.75, "x1": 0.25}


def spearman(a: list[float], b: list[float]) -> float:
    def ranks(values):
        order = sorted(range(len(values)), key=lambda i: values[i])
        r = [0.0] * len(values)
        for rank, i in enumerate(order):
            r[i] = float(rank)
        return r

    ra, rb = ranks(a), ranks(b)
    n = len(a)
    ma, mb = sum(ra) / n, sum(rb) / n
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb))
    return cov / math.sqrt(sum((x - ma) ** 2 for x in ra) * sum((y - mb) ** 2 for y in rb))


def as_optuna_study(optuna, ours: ferrotune.Study):
    theirs = optuna.create_study()
    theirs.add_trials(
        [
            optuna.trial.create_trial(
                params=t.params,
                distributions={n: optuna_distribution(optuna, d) for n, d in t.distributions.items()},
                value=t.value,
            )
            for t in ours.trials
        ]
    )
    return theirs


def optuna_distribution(optuna, d):
    kind = type(d).__name__
    if kind == "FloatDistribution":
        return optuna.distributions.FloatDistribution(d.low, d.high, log=d.log, step=d.step)
    if kind == "IntDistribution":
        return optuna.distributions.IntDistribution(d.low, d.high, log=d.log, step=d.step)
    return optuna.distributions.CategoricalDistribution(list(d.choices))


def additive_study(seed: int) -> ferrotune.Study:
    """Six parameters of decreasing weight, no conditional or log-scaled ones
    (where Optuna's forests assess otherwise by design)."""
    weights = [3.0, 2.0, 1.2, 0.7, 0.3, 0.0]

    def objective(t: ferrotune.Trial) -> float:
        x = [t.suggest_float("a", -1, 1), t.suggest_int("b", 0, 10) / 10, t.suggest_float("c", 0, 1)]
        x.append({"p": 0.0, "q": 1.0, "r": 0.5}[t.suggest_categorical("d", ["p", "q", "r"])])
        x += [t.suggest_float("e", -1, 1), t.suggest_float("f", 0, 1)]
        return sum(w * v * v for w, v in zip(weights, x))

    study = ferrotune.create_study(sampler=ferrotune.samplers.RandomSampler(seed=seed))
    study.optimize(objective, n_trials=300)
    return study


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_forests_rank_like_optunas_on_the_same_trials(seed):
    optuna = pytest.importorskip("optuna")
    pytest.importorskip("sklearn")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    ours = additive_study(seed)
    theirs = as_optuna_study(optuna, ours)
    pairs = [
        (FanovaImportanceEvaluator, optuna.importance.FanovaImportanceEvaluator),
        (MeanDecreaseImpurityImportanceEvaluator, optuna.importance.MeanDecreaseImpurityImportanceEvaluator),
    ]
    for mine, optunas in pairs:
        got = get_param_importances(ours, evaluator=mine(seed=0))
        expected = optuna.importance.get_param_importances(theirs, evaluator=optunas(seed=0))
        names = sorted(expected)
        assert sorted(got) == names
        rho = spearman([got[n] for n in names], [expected[n] for n in names])
        assert rho >= 0.9, (mine.__name__, rho, got, expected)
