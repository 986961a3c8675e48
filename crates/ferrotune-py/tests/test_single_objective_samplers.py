"""Single-objective samplers refuse several objectives when the study is
made, before any trial runs (not after their startup trials)."""

from __future__ import annotations

import pytest

import ferrotune


def test_two_objectives_are_refused_when_the_study_is_made():
    with pytest.raises(ValueError, match="optimizes a single objective"):
        ferrotune.create_study(directions=["minimize", "maximize"], sampler=ferrotune.samplers.CmaEsSampler(seed=1))


def test_the_gp_sampler_takes_two_objectives():
    # As Optuna's GPSampler: log expected hypervolume improvement.
    study = ferrotune.create_study(
        directions=["minimize", "maximize"], sampler=ferrotune.samplers.GPSampler(seed=1, n_startup_trials=3)
    )
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), n_trials=6)
    assert len(study.best_trials) >= 1


def test_a_refused_sampler_leaves_no_study_behind(tmp_path):
    storage = f"sqlite:///{tmp_path / 'a.db'}"
    with pytest.raises(ValueError, match="optimizes a single objective"):
        ferrotune.create_study(
            storage=storage, study_name="mo", directions=["minimize", "maximize"], sampler=ferrotune.samplers.CmaEsSampler()
        )
    # The same call with a sampler that takes two objectives makes the study.
    study = ferrotune.create_study(storage=storage, study_name="mo", directions=["minimize", "maximize"])
    assert study.study_name == "mo"


def _first_params(sampler, n):
    study = ferrotune.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", -3, 3) ** 2, n_trials=n)
    return [t.params["x"] for t in study.trials]


def test_hyperopt_defaults_keeps_its_twenty_startup_trials():
    # Hyperopt's settings start modelling after 20 trials; a default pinned
    # by the Python face once overrode them with 10.
    hyperopt = _first_params(ferrotune.samplers.TPESampler(seed=3, hyperopt_defaults=True), 20)
    twenty = _first_params(ferrotune.samplers.TPESampler(seed=3, n_startup_trials=20), 20)
    ten = _first_params(ferrotune.samplers.TPESampler(seed=3), 20)
    assert hyperopt == twenty
    assert hyperopt != ten


def test_seeds_use_all_64_bits():
    a = _first_params(ferrotune.samplers.RandomSampler(seed=2**64 - 1), 3)
    assert a == _first_params(ferrotune.samplers.RandomSampler(seed=2**64 - 1), 3)
    assert a != _first_params(ferrotune.samplers.RandomSampler(seed=2**63 - 1), 3)


def test_numpy_booleans_are_flags():
    np = pytest.importorskip("numpy")
    flagged = _first_params(ferrotune.samplers.TPESampler(seed=5, multivariate=np.True_, n_startup_trials=3), 8)
    plain = _first_params(ferrotune.samplers.TPESampler(seed=5, multivariate=True, n_startup_trials=3), 8)
    assert flagged == plain


def test_options_reach_samplers_and_pruners_built_around_what_options_cannot_carry():
    # A grid listing None, CMA-ES warm-started from trials and a patient
    # pruner around another all go through the description, so every option
    # (new ones included) reaches them, and a bad one is named.
    grid = ferrotune.samplers.GridSampler({"d": [None, 4, 8]}, seed=1)
    study = ferrotune.create_study(sampler=grid)
    study.optimize(lambda t: 0.0 if t.suggest_categorical("d", [None, 4, 8]) is None else 1.0, n_trials=3)
    assert sorted(str(t.params["d"]) for t in study.trials) == ["4", "8", "None"]
    with pytest.raises(TypeError, match="popsiz"):
        ferrotune.samplers.CmaEsSampler(source_trials=study.trials, popsiz=4)
    with pytest.raises(ValueError, match="min_delta"):
        ferrotune.pruners.PatientPruner(ferrotune.pruners.MedianPruner(), patience=2, min_delta=-1.0)
