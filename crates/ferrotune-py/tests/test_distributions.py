"""``ferrotune.distributions``: Optuna's JSON form of a distribution (the
one its RDB storage keeps) both ways, and the internal float representation
of values, compared with Optuna's own functions."""

from __future__ import annotations

import math
import warnings

import pytest

from ferrotune.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    distribution_to_json,
    json_to_distribution,
)

optuna = pytest.importorskip("optuna")

DISTRIBUTIONS = [
    FloatDistribution(0, 1),
    FloatDistribution(1e-5, 1, log=True),
    FloatDistribution(-1, 1, step=0.25),
    IntDistribution(1, 9, step=2),
    IntDistribution(1, 1024, log=True),
    CategoricalDistribution(["a", None, True, 1.5, 3]),
]


@pytest.mark.parametrize("dist", DISTRIBUTIONS, ids=repr)
def test_json_is_optunas_string_and_round_trips(dist):
    text = distribution_to_json(dist)
    theirs = optuna.distributions.json_to_distribution(text)
    assert optuna.distributions.distribution_to_json(theirs) == text
    assert json_to_distribution(text) == dist


def test_optunas_deprecated_kinds_read_as_their_replacements():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        old = [
            (optuna.distributions.UniformDistribution(0, 1), FloatDistribution(0, 1)),
            (optuna.distributions.LogUniformDistribution(1e-3, 1), FloatDistribution(1e-3, 1, log=True)),
            (optuna.distributions.DiscreteUniformDistribution(0, 1, 0.5), FloatDistribution(0, 1, step=0.5)),
            (optuna.distributions.IntUniformDistribution(0, 10, 2), IntDistribution(0, 10, step=2)),
            (optuna.distributions.IntLogUniformDistribution(1, 64), IntDistribution(1, 64, log=True)),
        ]
    for theirs, ours in old:
        assert json_to_distribution(optuna.distributions.distribution_to_json(theirs)) == ours


@pytest.mark.parametrize(
    "text, problem",
    [
        ("not json", "Optuna's JSON form"),
        ('{"name": "FloatDistribution"}', "Optuna's JSON form"),
        ('{"name": "BetaDistribution", "attributes": {}}', "unknown distribution kind 'BetaDistribution'"),
        ('{"name": "IntDistribution", "attributes": {"low": 1}}', "no attribute"),
    ],
)
def test_bad_json_names_the_problem(text, problem):
    with pytest.raises(ValueError, match=problem):
        json_to_distribution(text)


def test_internal_representation_matches_optunas():
    float_dist = FloatDistribution(0, 1)
    assert float_dist.to_internal_repr(0.5) == 0.5 and float_dist.to_external_repr(0.5) == 0.5
    int_dist = IntDistribution(0, 10)
    assert int_dist.to_internal_repr(3) == 3.0
    external = int_dist.to_external_repr(3.0)
    assert external == 3 and type(external) is int
    choices = ["a", None, 2.5]
    ours = CategoricalDistribution(choices)
    theirs = optuna.distributions.CategoricalDistribution(choices)
    for choice in choices:
        assert ours.to_internal_repr(choice) == theirs.to_internal_repr(choice)
        assert ours.to_external_repr(ours.to_internal_repr(choice)) == choice
    with pytest.raises(ValueError, match="not one of the choices"):
        ours.to_internal_repr("b")
    with pytest.raises(ValueError, match="no index"):
        ours.to_external_repr(3)
    with pytest.raises(ValueError, match="NaN"):
        float_dist.to_internal_repr(math.nan)
    with pytest.raises(ValueError, match="not a number"):
        int_dist.to_internal_repr("three")


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (FloatDistribution(1, 1), optuna.distributions.FloatDistribution(1, 1)),
        (FloatDistribution(0, 1), optuna.distributions.FloatDistribution(0, 1)),
        (FloatDistribution(0, 0.3, step=0.4), optuna.distributions.FloatDistribution(0, 0.3, step=0.4)),
        (FloatDistribution(0, 0.3, step=0.1), optuna.distributions.FloatDistribution(0, 0.3, step=0.1)),
        (IntDistribution(3, 3), optuna.distributions.IntDistribution(3, 3)),
        (IntDistribution(0, 2, step=2), optuna.distributions.IntDistribution(0, 2, step=2)),
        (CategoricalDistribution(["x"]), optuna.distributions.CategoricalDistribution(["x"])),
        (CategoricalDistribution(["x", "y"]), optuna.distributions.CategoricalDistribution(["x", "y"])),
    ],
    ids=repr,
)
def test_single_matches_optunas(ours, theirs):
    assert ours.single() == theirs.single()
