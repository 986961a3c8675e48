"""Pruner constructors read the engine's option descriptions (issue 18).

As for the samplers (tests/test_sampler_options.py): Optuna's positional
arguments and the ones the engine does not model (PatientPruner's
``wrapped_pruner``) are taken by name, every option goes through the pruner's
description, unknown keywords are a TypeError listing the valid ones, bad
values a ValueError naming the option, and the type stub's option lines are
generated from the same descriptions (checked here;
``FERROTUNE_UPDATE_STUB=1`` rewrites them).
"""

from __future__ import annotations

import pytest
from test_sampler_options import check_stub, render_stub

import ferrotune
from ferrotune import pruners
from ferrotune._ferrotune import _pruner_options

# Arguments Optuna requires (and a threshold pruner's bound), with a value.
REQUIRED = {
    "PercentilePruner": {"percentile": 25.0},
    "PatientPruner": {"wrapped_pruner": None, "patience": 2},
    "ThresholdPruner": {"upper": 1.0},
}


def render_pruner_stub(text: str) -> str:
    return render_stub(text, _pruner_options, "BasePruner", "test_pruner_options.py")


def test_the_stub_lists_every_option_of_the_descriptions():
    check_stub(render_pruner_stub, "pruner")


def test_every_pruner_class_has_a_description():
    classes = {name for name in pruners.__all__ if name != "BasePruner"}
    assert set(_pruner_options()) == classes


def test_the_defaults_python_passes_are_the_descriptions():
    # Where the constructor's signature spelled a default out before it read
    # the descriptions, it still passes it; a description whose default moves
    # away from it must be a decision, made here. The description's default
    # for Python is its default, or the one it names for Python: Wilcoxon's
    # n_startup_steps is 0 in the engine and the CLI, and its description says
    # "0 (Python: 2, Optuna's)", so Python's pinned 2 agrees with it.
    for cls, options in _pruner_options().items():
        for name, _annotation, default, pinned, _help in options:
            if pinned is not None:
                assert pinned == default, f"{cls}({name}=...): Python passes {pinned}, the description says {default}"
    wilcoxon = {name: (default, pinned) for name, _a, default, pinned, _h in _pruner_options()["WilcoxonPruner"]}
    assert wilcoxon["n_startup_steps"] == ("2", "2")


def construct(cls: str, **options):
    return getattr(pruners, cls)(**{**REQUIRED.get(cls, {}), **options})


def test_every_option_is_a_keyword_and_takes_its_default_and_none():
    for cls, options in _pruner_options().items():
        for name, _annotation, default, pinned, _help in options:
            if name in REQUIRED.get(cls, {}):
                continue
            construct(cls, **{name: None})
            value = eval(pinned or default)  # a Python literal, or None
            if value is not None:
                construct(cls, **{name: value})


def test_an_unknown_keyword_is_a_type_error_listing_the_valid_ones():
    with pytest.raises(TypeError, match="unexpected keyword argument 'n_startup_trial'") as info:
        pruners.MedianPruner(n_startup_trial=3)
    for valid in ["n_startup_trials", "n_warmup_steps", "interval_steps", "n_min_trials"]:
        assert valid in str(info.value)
    with pytest.raises(TypeError, match=r"'patient'.*patience, min_delta, wrapped_pruner"):
        pruners.PatientPruner(None, 2, patient=3)
    with pytest.raises(TypeError, match=r"NopPruner\(\) got an unexpected keyword argument 'seed' \(valid: none\)"):
        pruners.NopPruner(seed=1)
    with pytest.raises(TypeError, match=r"'max_resource'.*min_resource, reduction_factor"):
        pruners.SuccessiveHalvingPruner(max_resource=9)
    for cls in _pruner_options():
        with pytest.raises(TypeError, match="unexpected keyword argument 'n_startup_step'"):
            construct(cls, n_startup_step=1)


def test_a_bad_value_is_a_value_error_naming_the_option():
    cases = [
        (lambda: pruners.MedianPruner(n_startup_trials=-1), "MedianPruner option 'n_startup_trials': must be a non"),
        (lambda: pruners.MedianPruner(2, "many"), "MedianPruner option 'n_warmup_steps'"),
        (lambda: pruners.MedianPruner(n_min_trials=0), "'n_min_trials'"),
        (lambda: pruners.PercentilePruner(150.0), "PercentilePruner option 'percentile': percentile must be in"),
        (lambda: pruners.PercentilePruner(None), "'percentile': missing"),
        (lambda: pruners.PercentilePruner("half"), "'percentile': must be a number"),
        (lambda: pruners.SuccessiveHalvingPruner(reduction_factor=1), "'reduction_factor'.*at least 2"),
        (lambda: pruners.SuccessiveHalvingPruner("some"), r"'min_resource': must be a positive integer or \"auto\""),
        (lambda: pruners.SuccessiveHalvingPruner(bootstrap_count=1.5), "'bootstrap_count'"),
        (lambda: pruners.HyperbandPruner(max_resource="max"), r"'max_resource': must be a positive integer or \"auto\""),
        (lambda: pruners.HyperbandPruner(10, 3), "HyperbandPruner option 'max_resource'"),
        (lambda: pruners.ThresholdPruner(), "ThresholdPruner option 'lower'.*lower, upper or both"),
        (lambda: pruners.ThresholdPruner(lower="low"), "'lower': must be a number"),
        (lambda: pruners.ThresholdPruner(0.0, interval_steps=True), "'interval_steps'"),
        (lambda: pruners.PatientPruner(None, -1), "PatientPruner option 'patience'"),
        (lambda: pruners.PatientPruner(None, None), "PatientPruner option 'patience': is required"),
        (lambda: pruners.PatientPruner(pruners.MedianPruner(), 2, -0.5), "PatientPruner option 'min_delta'"),
        (lambda: pruners.WilcoxonPruner(p_threshold="low"), "WilcoxonPruner option 'p_threshold'"),
        (lambda: pruners.WilcoxonPruner(n_startup_steps=-2), "WilcoxonPruner option 'n_startup_steps'"),
    ]
    for make, pattern in cases:
        with pytest.raises(ValueError, match=pattern):
            make()


def test_optunas_required_and_keyword_only_arguments_stay_so():
    with pytest.raises(TypeError, match="patience"):
        pruners.PatientPruner(None)
    with pytest.raises(TypeError, match="percentile"):
        pruners.PercentilePruner()
    with pytest.raises(TypeError):
        pruners.WilcoxonPruner(0.1)
    with pytest.raises(TypeError):
        pruners.MedianPruner(5, 0, 1, 1)
    with pytest.raises(TypeError, match="pruner must be one of ferrotune.pruners.*MedianPruner.*NopPruner"):
        ferrotune.create_study(pruner="median")


def history(pruner, n_trials: int = 24) -> list[tuple[str, int | None]]:
    # Hyperband assigns brackets by the study name: a fixed one repeats.
    study = ferrotune.create_study(
        study_name="pruner-options", pruner=pruner, sampler=ferrotune.samplers.RandomSampler(seed=0)
    )

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        for step in range(12):
            trial.report(x * (step + 1) + 0.1 * (step % 3), step)
            if trial.should_prune():
                raise ferrotune.TrialPruned()
        return x

    study.optimize(objective, n_trials=n_trials)
    return [(t.state.name, t.last_step) for t in study.trials]


def test_python_defaults_are_unchanged_and_positional_forms_work():
    median = history(pruners.MedianPruner())
    assert any(state == "PRUNED" for state, _ in median)
    assert history(pruners.MedianPruner(5, 0, 1, n_min_trials=1)) == median
    assert history(pruners.MedianPruner(None, None, None, n_min_trials=None)) == median
    assert history(pruners.PercentilePruner(50.0)) == median
    assert history(pruners.PercentilePruner(25.0, 2)) == history(pruners.PercentilePruner(25.0, n_startup_trials=2))
    asha = history(pruners.SuccessiveHalvingPruner())
    assert history(pruners.SuccessiveHalvingPruner("auto", 4, 0, 0)) == asha
    assert history(pruners.SuccessiveHalvingPruner(2, 3)) == history(
        pruners.SuccessiveHalvingPruner(min_resource=2, reduction_factor=3)
    )
    hyperband = history(pruners.HyperbandPruner())
    assert history(pruners.HyperbandPruner(1, "auto", 3, 0)) == hyperband
    assert history(pruners.HyperbandPruner(1, 12)) == history(pruners.HyperbandPruner(max_resource=12))
    threshold = history(pruners.ThresholdPruner(upper=5.0))
    assert any(state == "PRUNED" for state, _ in threshold)
    assert history(pruners.ThresholdPruner(None, 5.0, 0, 1)) == threshold
    assert history(pruners.ThresholdPruner(upper=5, n_warmup_steps=None)) == threshold
    patient = history(pruners.PatientPruner(None, 2))
    assert history(pruners.PatientPruner(None, 2, 0.0)) == patient
    assert history(pruners.PatientPruner(wrapped_pruner=None, patience=2, min_delta=None)) == patient
    wrapped = history(pruners.PatientPruner(pruners.MedianPruner(), 1))
    assert history(pruners.PatientPruner(pruners.MedianPruner(), patience=1, min_delta=0.0)) == wrapped
    wilcoxon = history(pruners.WilcoxonPruner())
    assert history(pruners.WilcoxonPruner(p_threshold=0.1, n_startup_steps=2)) == wilcoxon
    assert history(pruners.NopPruner()) == [("COMPLETE", 11)] * 24
    assert repr(pruners.PatientPruner(pruners.MedianPruner(), 1)) == "<PatientPruner>"
