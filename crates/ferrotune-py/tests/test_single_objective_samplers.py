"""Single-objective samplers refuse several objectives when the study is
made, before any trial runs (not after their startup trials)."""

from __future__ import annotations

import pytest

import ferrotune


@pytest.mark.parametrize(
    "make",
    [lambda: ferrotune.samplers.GPSampler(seed=1), lambda: ferrotune.samplers.CmaEsSampler(seed=1)],
    ids=["gp", "cmaes"],
)
def test_two_objectives_are_refused_when_the_study_is_made(make):
    with pytest.raises(ValueError, match="optimizes a single objective"):
        ferrotune.create_study(directions=["minimize", "maximize"], sampler=make())
