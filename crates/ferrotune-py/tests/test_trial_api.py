"""Optuna's trial and study API beyond ask/tell, end to end: trials made by
hand (``create_trial``, the ``FrozenTrial`` constructor) and added to a study
(``add_trial``/``add_trials``), ``FrozenTrial.suggest_*``, ``FixedTrial``,
``Trial.relative_params``, ``Study.sampler``/``pruner``, metric names,
``MaxTrialsCallback``, ``get_all_study_summaries`` and ``copy_study``.

Where a behaviour is Optuna's, the same check also runs against Optuna
itself (the ``lib`` fixture), so a difference shows up as a failure of one
of the two.
"""

from __future__ import annotations

import datetime
import warnings

import pytest

import ferrotune
from ferrotune.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from ferrotune.exceptions import DuplicatedStudyError
from ferrotune.trial import TrialState

try:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
except ImportError:  # pragma: no cover - the test venv has it
    optuna = None


@pytest.fixture(params=["ferrotune", "optuna"])
def lib(request):
    """The package under test, or Optuna as the control."""
    if request.param == "optuna":
        if optuna is None:
            pytest.skip("optuna is not installed")
        return optuna
    return ferrotune


def space(lib):
    d = lib.distributions
    return {
        "x": d.FloatDistribution(0.0, 10.0),
        "n": d.IntDistribution(1, 9, step=2),
        "opt": d.CategoricalDistribution(["sgd", "adam"]),
    }


def objective(trial):
    x = trial.suggest_float("x", 0.0, 10.0)
    n = trial.suggest_int("n", 1, 9, step=2)
    opt = trial.suggest_categorical("opt", ["sgd", "adam"])
    return (x - 2) ** 2 + n + (0.5 if opt == "sgd" else 0.0)


# ---------------------------------------------------------------- create_trial


def test_create_trial_makes_a_complete_trial_outside_any_study(lib):
    before = datetime.datetime.now()
    trial = lib.trial.create_trial(
        params={"x": 2.5, "n": 3, "opt": "adam"},
        distributions=space(lib),
        value=1.25,
        user_attrs={"source": "notebook"},
        system_attrs={"k": [1, 2]},
        intermediate_values={0: 4.0, 3: 2.0},
    )
    assert isinstance(trial, lib.trial.FrozenTrial)
    assert (trial.number, trial.state, trial.value, trial.values) == (-1, TrialState.COMPLETE, 1.25, [1.25])
    assert trial.params == {"x": 2.5, "n": 3, "opt": "adam"}
    assert trial.distributions == space(lib)
    assert trial.user_attrs == {"source": "notebook"}
    assert trial.system_attrs == {"k": [1, 2]}
    assert trial.intermediate_values == {0: 4.0, 3: 2.0}
    assert before <= trial.datetime_start <= datetime.datetime.now()
    assert trial.datetime_complete == trial.datetime_start
    # The top-level name too, as Optuna exports it.
    assert lib.create_trial is lib.trial.create_trial


def test_create_trial_of_each_state(lib):
    waiting = lib.trial.create_trial(state=lib.trial.TrialState.WAITING)
    assert waiting.datetime_start is None and waiting.datetime_complete is None
    pruned = lib.trial.create_trial(state=lib.trial.TrialState.PRUNED, intermediate_values={2: 0.5})
    assert pruned.value is None and pruned.datetime_complete is not None
    failed = lib.trial.create_trial(state=lib.trial.TrialState.FAIL)
    assert failed.values is None
    both = lib.trial.create_trial(values=[1.0, 2.0])
    assert both.values == [1.0, 2.0]


def test_create_trial_keeps_constraints_where_samplers_read_them(lib):
    trial = lib.trial.create_trial(value=1.0, constraints={"c0": 0.5, "c1": -1.0})
    assert trial.constraints == {"c0": 0.5, "c1": -1.0}


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"value": 1.0, "values": [1.0]}, id="value and values"),
        pytest.param({}, id="complete without a value"),
        pytest.param({"value": float("nan")}, id="NaN value"),
        pytest.param({"state": TrialState.FAIL, "value": 1.0}, id="failed with a value"),
        pytest.param({"value": 1.0, "params": {"x": 11.0}, "dist": "x"}, id="value outside its distribution"),
        pytest.param({"value": 1.0, "params": {"n": 2}, "dist": "n"}, id="int off its step"),
        pytest.param({"value": 1.0, "params": {"opt": "rmsprop"}, "dist": "opt"}, id="not among the choices"),
        pytest.param({"value": 1.0, "params": {"x": 1.0}}, id="a parameter without distribution"),
        pytest.param({"value": 1.0, "params": {}, "dist": "x"}, id="a distribution without parameter"),
    ],
)
def test_create_trial_refuses_what_a_study_could_not_hold(lib, kwargs):
    kwargs = dict(kwargs)
    if "dist" in kwargs:
        name = kwargs.pop("dist")
        kwargs["distributions"] = {name: space(lib)[name]}
    if "state" in kwargs:
        kwargs["state"] = lib.trial.TrialState(int(kwargs["state"]))
    with pytest.raises(ValueError):
        lib.trial.create_trial(**kwargs)


# ---------------------------------------------------------------- FrozenTrial(...)


def test_the_frozen_trial_constructor_takes_optunas_arguments(lib):
    start = datetime.datetime(2026, 1, 2, 3, 4, 5, 678901)
    end = start + datetime.timedelta(seconds=90)
    trial = lib.trial.FrozenTrial(
        number=7,
        state=lib.trial.TrialState.COMPLETE,
        value=None,
        datetime_start=start,
        datetime_complete=end,
        params={"x": 1.5},
        distributions={"x": lib.distributions.FloatDistribution(0, 2)},
        user_attrs={"a": 1},
        system_attrs={},
        intermediate_values={1: 3.0},
        trial_id=70,
        values=[0.5, 0.25],
    )
    assert (trial.number, trial._trial_id, trial.values) == (7, 70, [0.5, 0.25])
    assert (trial.datetime_start, trial.datetime_complete) == (start, end)
    assert trial.duration == datetime.timedelta(seconds=90)
    with pytest.raises(ValueError):
        lib.trial.FrozenTrial(7, lib.trial.TrialState.COMPLETE, 1.0, start, end, {}, {}, {}, {}, {}, 70, values=[1.0])


def test_a_frozen_trial_needs_distributions_it_can_read():
    with pytest.raises(TypeError, match="'x'"):
        ferrotune.trial.FrozenTrial(0, TrialState.COMPLETE, 1.0, None, None, {"x": 1}, {"x": "float"}, {}, {}, {}, 0)
    with pytest.raises(ValueError, match="low"):
        ferrotune.trial.create_trial(value=1.0, params={"x": 1.0}, distributions={"x": FloatDistribution(2, 1)})
    with pytest.raises(TypeError, match="keys of params"):
        ferrotune.trial.create_trial(value=1.0, params={1: 1.0}, distributions={"x": FloatDistribution(0, 2)})
    with pytest.raises(TypeError, match="datetime"):
        ferrotune.trial.FrozenTrial(0, TrialState.COMPLETE, 1.0, "yesterday", None, {}, {}, {}, {}, {}, 0)


# ---------------------------------------------------------------- add_trial


def test_added_trials_join_the_study_and_keep_what_they_were_made_with(lib):
    study = lib.create_study()
    study.optimize(objective, n_trials=2)
    made = lib.trial.create_trial(
        params={"x": 2.0, "n": 1, "opt": "adam"},
        distributions=space(lib),
        value=1.0,
        user_attrs={"source": "paper"},
        intermediate_values={0: 3.0},
    )
    assert study.add_trial(made) is None
    added = study.trials[-1]
    assert (added.number, added.state, added.value) == (2, TrialState.COMPLETE, 1.0)
    assert added.params == made.params and added.distributions == made.distributions
    assert added.user_attrs == {"source": "paper"} and added.intermediate_values == {0: 3.0}
    assert (added.datetime_start, added.datetime_complete) == (made.datetime_start, made.datetime_complete)
    assert study.best_trial.number == 2 and study.best_params == made.params
    # The sampler learns from it as from any trial: the study goes on.
    study.optimize(objective, n_trials=2)
    assert [t.number for t in study.trials] == [0, 1, 2, 3, 4]


def test_add_trials_adds_each_in_order(lib):
    study = lib.create_study(directions=["minimize", "maximize"])
    trials = [
        lib.trial.create_trial(params={"x": float(i)}, distributions={"x": space(lib)["x"]}, values=[i, -i])
        for i in range(3)
    ]
    study.add_trials(trials)
    assert [t.values for t in study.trials] == [[0, 0], [1, -1], [2, -2]]
    assert [t.number for t in study.trials] == [0, 1, 2]


def test_add_trial_refuses_a_values_count_other_than_the_objectives(lib):
    study = lib.create_study(directions=["minimize", "minimize"])
    with pytest.raises(ValueError):
        study.add_trial(lib.trial.create_trial(value=1.0))
    assert study.trials == []


@pytest.mark.parametrize(
    "new",
    [
        pytest.param(lambda d: d.IntDistribution(0, 10), id="another kind"),
        pytest.param(lambda d: d.FloatDistribution(0.1, 10.0, log=True), id="another scale"),
    ],
)
def test_add_trial_refuses_a_distribution_earlier_trials_contradict(lib, new, tmp_path):
    # A database storage: Optuna's in-memory one checks suggested parameters only.
    study = lib.create_study(storage="sqlite:///" + str(tmp_path / "compatible.db"))
    study.add_trial(lib.trial.create_trial(params={"x": 1.0}, distributions={"x": space(lib)["x"]}, value=1.0))
    changed = lib.trial.create_trial(params={"x": 1}, distributions={"x": new(lib.distributions)}, value=2.0)
    with pytest.raises(ValueError):
        study.add_trial(changed)
    assert len(study.trials) == 1
    # New bounds are fine: only the kind, the scale and the choices must hold.
    wider = lib.distributions.FloatDistribution(0, 20)
    study.add_trial(lib.trial.create_trial(params={"x": 15.0}, distributions={"x": wider}, value=3.0))
    assert len(study.trials) == 2


def test_add_trial_refuses_a_running_trial_and_what_is_not_a_trial():
    study = ferrotune.create_study()
    running = ferrotune.trial.create_trial(state=TrialState.RUNNING)
    with pytest.raises(ValueError, match="RUNNING"):
        study.add_trial(running)
    with pytest.raises(TypeError, match="FrozenTrial"):
        study.add_trial({"x": 1.0})
    assert study.trials == []


def test_an_added_waiting_trial_is_asked_next_with_its_parameters(lib):
    study = lib.create_study()
    waiting = lib.trial.create_trial(
        state=lib.trial.TrialState.WAITING, params={"x": 7.5}, distributions={"x": space(lib)["x"]}
    )
    study.add_trial(waiting)
    trial = study.ask()
    assert trial.number == 0
    assert trial.suggest_float("x", 0.0, 10.0) == 7.5
    study.tell(trial, 1.0)
    assert study.trials[0].state == TrialState.COMPLETE


def test_added_trials_persist_in_sqlite(sqlite_url):
    study = ferrotune.create_study(storage=sqlite_url, study_name="s", directions=["minimize", "maximize"])
    start = datetime.datetime(2025, 6, 1, 12, 0, 0, 123456)
    made = ferrotune.trial.FrozenTrial(
        0,
        TrialState.COMPLETE,
        None,
        start,
        start + datetime.timedelta(minutes=5),
        {"x": 2.5, "opt": "sgd"},
        {"x": FloatDistribution(0, 10), "opt": CategoricalDistribution(["sgd", "adam"])},
        {"note": {"a": [1, "b"]}},
        {"origin": "import"},
        {0: 9.0, 5: 4.0},
        0,
        values=[1.5, -2.0],
    )
    pruned = ferrotune.trial.create_trial(state=TrialState.PRUNED, intermediate_values={1: 8.0})
    study.add_trials([made, pruned])
    again = ferrotune.load_study(study_name="s", storage=sqlite_url)
    first, second = again.trials
    assert (first.number, first.state, first.values) == (0, TrialState.COMPLETE, [1.5, -2.0])
    assert first.params == {"x": 2.5, "opt": "sgd"}
    assert first.distributions == made.distributions
    assert first.intermediate_values == {0: 9.0, 5: 4.0}
    assert (first.user_attrs, first.system_attrs) == ({"note": {"a": [1, "b"]}}, {"origin": "import"})
    assert (first.datetime_start, first.datetime_complete) == (start, start + datetime.timedelta(minutes=5))
    assert (second.number, second.state, second.intermediate_values) == (1, TrialState.PRUNED, {1: 8.0})


# ---------------------------------------------------------------- FrozenTrial.suggest_*


def test_a_best_trial_can_be_handed_to_the_objective(lib):
    study = lib.create_study(sampler=lib.samplers.RandomSampler(seed=1))
    study.optimize(objective, n_trials=10)
    best = study.best_trial
    assert objective(best) == pytest.approx(best.value)
    assert best.should_prune() is False
    assert best.report(1.0, 0) is None
    assert isinstance(best.suggest_int("n", 1, 9, step=2), int)


def test_frozen_trial_suggest_refuses_an_unknown_name_and_warns_outside_the_distribution(lib):
    trial = lib.trial.create_trial(params={"x": 2.5, "opt": "adam"}, distributions=space_of(lib, "x", "opt"), value=1.0)
    with pytest.raises(ValueError, match="'y'"):
        trial.suggest_float("y", 0, 1)
    with pytest.warns(UserWarning, match="'x'"):
        assert trial.suggest_float("x", 0.0, 1.0) == 2.5
    with pytest.raises(ValueError):
        trial.suggest_int("x", 0, 10)  # another kind of distribution for the same name
    with pytest.raises(ValueError):
        trial.suggest_categorical("opt", ["sgd", "rmsprop"])  # "adam" is not a choice any more
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert trial.suggest_categorical("opt", ["sgd", "adam"]) == "adam"


def space_of(lib, *names):
    return {name: space(lib)[name] for name in names}


# ---------------------------------------------------------------- FixedTrial


def test_fixed_trial_runs_an_objective_outside_a_study(lib):
    trial = lib.trial.FixedTrial({"x": 2.0, "n": 3, "opt": "adam", "unused": 1})
    assert objective(trial) == 3.0
    assert trial.params == {"x": 2.0, "n": 3, "opt": "adam"}
    assert trial.distributions == space(lib)
    assert trial.number == 0 and lib.trial.FixedTrial({}, number=4).number == 4
    assert trial.should_prune() is False
    trial.report(1.0, 0)
    trial.set_user_attr("k", "v")
    assert trial.user_attrs == {"k": "v"}
    assert isinstance(trial.datetime_start, datetime.datetime)


def test_fixed_trial_checks_as_optuna_does(lib):
    trial = lib.trial.FixedTrial({"x": 12.0, "n": 4.0, "opt": "rmsprop"})
    with pytest.raises(ValueError, match="'y'"):
        trial.suggest_float("y", 0, 1)
    with pytest.warns(UserWarning, match="'x'"):
        assert trial.suggest_float("x", 0.0, 10.0) == 12.0
    with pytest.raises(ValueError):
        trial.suggest_int("x", 0, 20)  # asked before as a float
    n = trial.suggest_int("n", 0, 10)
    assert n == 4 and isinstance(n, int)
    with pytest.raises(ValueError):
        trial.suggest_categorical("opt", ["sgd", "adam"])  # cannot be among the choices
    with pytest.raises(ValueError):
        trial.suggest_float("x", 10.0, 0.0)  # not a distribution at all


# ---------------------------------------------------------------- Trial.relative_params


def test_relative_params_are_what_the_sampler_proposed_jointly():
    sampler = ferrotune.samplers.TPESampler(seed=0, multivariate=True, n_startup_trials=3)
    study = ferrotune.create_study(sampler=sampler)
    study.optimize(objective, n_trials=3)
    trial = study.ask()
    proposed = trial.relative_params
    assert set(proposed) == {"x", "n", "opt"}
    assert objective(trial) is not None
    assert trial.params == proposed
    study.tell(trial, objective(ferrotune.trial.FixedTrial(trial.params)))
    # Still there once told; empty for a trial asked before any history.
    assert trial.relative_params == proposed
    assert ferrotune.create_study(sampler=sampler).ask().relative_params == {}


# ---------------------------------------------------------------- sampler, pruner


def test_the_study_hands_back_its_sampler_and_pruner(sqlite_url):
    sampler, pruner = ferrotune.samplers.RandomSampler(seed=3), ferrotune.pruners.NopPruner()
    study = ferrotune.create_study(storage=sqlite_url, study_name="s", sampler=sampler, pruner=pruner)
    assert study.sampler is sampler and study.pruner is pruner
    defaults = ferrotune.load_study(study_name="s", storage=sqlite_url)
    assert isinstance(defaults.sampler, ferrotune.samplers.TPESampler)
    assert isinstance(defaults.pruner, ferrotune.pruners.MedianPruner)
    # Reassigning them is test_pickle_and_setters.py's.


def test_the_sampler_handed_back_is_the_one_that_samples():
    study = ferrotune.create_study(sampler=ferrotune.samplers.RandomSampler(seed=5))
    study.optimize(objective, n_trials=5)
    again = ferrotune.create_study(sampler=ferrotune.samplers.RandomSampler(seed=5))
    again.optimize(objective, n_trials=5)
    assert [t.params for t in study.trials] == [t.params for t in again.trials]


# ---------------------------------------------------------------- metric names


def test_metric_names_are_kept_with_the_study(lib, tmp_path):
    url = "sqlite:///" + str(tmp_path / "metrics.db")
    study = lib.create_study(storage=url, study_name="s", directions=["minimize", "maximize"])
    assert study.metric_names is None
    study.set_metric_names(["loss", "accuracy"])
    assert study.metric_names == ["loss", "accuracy"]
    assert lib.load_study(study_name="s", storage=url).metric_names == ["loss", "accuracy"]
    with pytest.raises(ValueError):
        study.set_metric_names(["loss"])
    assert study.metric_names == ["loss", "accuracy"]


# ---------------------------------------------------------------- MaxTrialsCallback


def test_max_trials_callback_stops_at_n_complete_trials(lib):
    study = lib.create_study()

    def sometimes_pruned(trial):
        value = objective(trial)
        if trial.number % 2 == 1:
            raise lib.TrialPruned()
        return value

    study.optimize(sometimes_pruned, n_trials=30, callbacks=[lib.study.MaxTrialsCallback(3)])
    complete = study.get_trials(states=(TrialState.COMPLETE,))
    assert len(complete) == 3 and len(study.trials) == 5
    every_state = lib.study.MaxTrialsCallback(8, states=None)
    study.optimize(sometimes_pruned, n_trials=30, callbacks=[every_state])
    assert len(study.trials) == 8


def test_max_trials_callback_refuses_a_negative_count():
    with pytest.raises(ValueError, match="n_trials"):
        ferrotune.study.MaxTrialsCallback(-1)


# ---------------------------------------------------------------- summaries


def test_study_summaries_describe_every_study(lib, tmp_path):
    url = "sqlite:///" + str(tmp_path / "summaries.db")
    single = lib.create_study(storage=url, study_name="single", direction="maximize")
    single.set_user_attr("owner", "me")
    single.add_trial(lib.trial.create_trial(value=1.0))
    single.add_trial(lib.trial.create_trial(value=3.0))
    multi = lib.create_study(storage=url, study_name="multi", directions=["minimize", "minimize"])
    multi.add_trial(lib.trial.create_trial(values=[1.0, 2.0]))
    lib.create_study(storage=url, study_name="empty")

    summaries = lib.get_all_study_summaries(url)
    assert lib.study.get_all_study_summaries is lib.get_all_study_summaries
    assert [s.study_name for s in summaries] == ["single", "multi", "empty"]
    first, second, empty = summaries
    assert isinstance(first, lib.study.StudySummary)
    assert first.direction == lib.study.StudyDirection.MAXIMIZE
    assert first.best_trial.value == 3.0 and first.best_trial.number == 1
    assert first.user_attrs == {"owner": "me"} and first.n_trials == 2
    assert first.datetime_start == single.trials[0].datetime_start
    assert second.directions == [lib.study.StudyDirection.MINIMIZE] * 2 and second.best_trial is None
    with pytest.raises(RuntimeError):
        second.direction
    assert (empty.n_trials, empty.best_trial, empty.datetime_start) == (0, None, None)
    assert first < second < empty and first._study_id == single._study_id
    assert lib.get_all_study_summaries(url, include_best_trial=False)[0].best_trial is None


# ---------------------------------------------------------------- copy_study


def test_copy_study_copies_trials_and_attributes_between_storages(tmp_path):
    source_storage = ferrotune.storages.InMemoryStorage()
    source = ferrotune.create_study(storage=source_storage, study_name="src", directions=["minimize", "maximize"])
    source.set_user_attr("owner", "me")
    source.set_metric_names(["loss", "acc"])

    def two(trial):
        value = objective(trial)
        trial.report([value, -value], 0)
        trial.set_user_attr("v", value)
        if trial.number == 2:
            raise ferrotune.TrialPruned()
        if trial.number == 3:
            raise ValueError("boom")
        return value, -value

    source.optimize(two, n_trials=5, catch=(ValueError,))
    running = source.ask()
    running.suggest_float("x", 0, 10)
    source.enqueue_trial({"x": 1.0})

    url = "sqlite:///" + str(tmp_path / "copy.db")
    ferrotune.copy_study(from_study_name="src", from_storage=source_storage, to_storage=url, to_study_name="dst")
    copy = ferrotune.load_study(study_name="dst", storage=url)
    assert copy.directions == source.directions
    assert copy.user_attrs == {"owner": "me"} and copy.metric_names == ["loss", "acc"]
    originals, copies = source.trials, copy.trials
    assert [t.number for t in copies] == list(range(7))
    for original, copied in zip(originals[:5], copies[:5]):
        for attr in ("state", "values", "params", "distributions", "intermediate_values", "user_attrs",
                     "system_attrs", "datetime_start", "datetime_complete"):
            assert getattr(copied, attr) == getattr(original, attr), attr
    # Still running in the source: failed in the copy, saying why.
    assert copies[5].state == TrialState.FAIL and "still running" in copies[5].fail_reason
    assert copies[5].params == originals[5].params
    # Waiting: still waiting, and the copy's next ask runs it.
    assert copies[6].state == TrialState.WAITING
    assert copy.ask().suggest_float("x", 0, 10) == 1.0

    with pytest.raises(DuplicatedStudyError):
        ferrotune.copy_study(from_study_name="src", from_storage=source_storage, to_storage=url, to_study_name="dst")
    with pytest.raises(KeyError):
        ferrotune.copy_study(from_study_name="nope", from_storage=source_storage, to_storage=url)


def test_copy_study_keeps_the_name_by_default(lib, tmp_path):
    source_url = "sqlite:///" + str(tmp_path / "a.db")
    target_url = "sqlite:///" + str(tmp_path / "b.db")
    study = lib.create_study(storage=source_url, study_name="kept")
    study.optimize(objective, n_trials=3)
    lib.copy_study(from_study_name="kept", from_storage=source_url, to_storage=target_url)
    assert lib.study.copy_study is lib.copy_study
    copied = lib.load_study(study_name="kept", storage=target_url)
    assert [t.params for t in copied.trials] == [t.params for t in study.trials]
    assert [t.value for t in copied.trials] == [t.value for t in study.trials]


def test_metric_names_name_the_dataframe_columns(lib):
    pytest.importorskip("pandas")
    study = lib.create_study(directions=["minimize", "maximize"])
    study.add_trial(lib.trial.create_trial(values=[1.0, 2.0]))
    study.set_metric_names(["loss", "acc"])
    frame = study.trials_dataframe(attrs=("number", "values"))
    assert list(frame.columns) == ["number", "values_loss", "values_acc"]
    assert list(frame["values_acc"]) == [2.0]
    nested = study.trials_dataframe(attrs=("number", "values"), multi_index=True)
    assert list(nested["values"].columns) == ["loss", "acc"]
    single = lib.create_study()
    single.add_trial(lib.trial.create_trial(value=3.0))
    single.set_metric_names(["loss"])
    assert list(single.trials_dataframe(attrs=("number", "value")).columns) == ["number", "value_loss"]


def test_attributes_set_on_a_frozen_trial_change_that_object_only(lib):
    import copy

    study = lib.create_study()

    def timed(trial):
        trial.set_user_attr("run", "again" if isinstance(trial, lib.trial.FrozenTrial) else "first")
        return objective(trial)

    study.optimize(timed, n_trials=3)
    best = study.best_trial
    before = copy.deepcopy(best)
    assert copy.copy(best) == best and before == best
    timed(best)  # re-run on the best trial: Optuna's FrozenTrial takes the attribute
    assert best.user_attrs == {"run": "again"} and before.user_attrs == {"run": "first"}
    assert best != before
    assert study.best_trial.user_attrs == {"run": "first"}
    best.set_constraint("c", 2.0)
    assert best.constraints == {"c": 2.0} and before.constraints == {}
    # What was set travels with the trial into another study.
    other = lib.create_study()
    other.add_trial(best)
    assert other.trials[0].user_attrs == {"run": "again"} and other.trials[0].constraints == {"c": 2.0}


# ---------------------------------------------------------------- issue 24


@pytest.mark.parametrize("where", ["memory", "sqlite"])
def test_params_come_back_in_suggestion_order(lib, where, tmp_path):
    storage = None if where == "memory" else f"sqlite:///{tmp_path / 'order.db'}"

    def objective(trial):
        trial.suggest_float("zeta", 0, 1)
        if trial.suggest_categorical("branch", ["b", "a"]) == "a":
            trial.suggest_int("alpha", 0, 3)
        trial.suggest_float("mid", 0, 1, step=0.5)
        return trial.params["zeta"]

    study = lib.create_study(storage=storage, sampler=lib.samplers.RandomSampler(seed=0))
    study.enqueue_trial({"branch": "a", "zeta": 0.5})
    study.optimize(objective, n_trials=6)
    for trial in lib.load_study(study_name=study.study_name, storage=storage).trials if storage else study.trials:
        wanted = ["zeta", "branch"] + (["alpha"] if trial.params["branch"] == "a" else []) + ["mid"]
        assert list(trial.params) == wanted
        assert list(trial.distributions) == wanted
    assert list(study.best_params) == list(study.best_trial.params)


@pytest.mark.parametrize("where", ["memory", "sqlite"])
def test_non_finite_attributes_read_back_as_floats(lib, where, tmp_path):
    import math

    storage = None if where == "memory" else f"sqlite:///{tmp_path / 'attrs.db'}"
    study = lib.create_study(storage=storage)
    trial = study.ask()
    trial.set_user_attr("nan", float("nan"))
    trial.set_user_attr("inf", float("inf"))
    trial.set_user_attr("nested", {"values": [float("-inf"), 1.5, "NaN"]})
    study.tell(trial, 1.0)
    study.set_user_attr("study_inf", float("inf"))
    if storage:
        study = lib.load_study(study_name=study.study_name, storage=storage)
    attrs = study.trials[0].user_attrs
    assert math.isnan(attrs["nan"]) and attrs["inf"] == math.inf
    assert attrs["nested"] == {"values": [-math.inf, 1.5, "NaN"]}, "a string stays a string"
    assert study.user_attrs["study_inf"] == math.inf


def test_brute_force_tries_every_combination_once_and_stops(lib):
    tried = []

    def objective(trial):
        c = trial.suggest_categorical("c", ["float", "int"])
        if c == "float":
            x = trial.suggest_float("x", 1, 3, step=0.5)
            tried.append((c, x))
            return x
        a = trial.suggest_int("a", 1, 3)
        b = trial.suggest_int("b", a, 3)
        tried.append((c, a, b))
        return a + b

    study = lib.create_study(sampler=lib.samplers.BruteForceSampler(seed=1))
    study.optimize(objective, n_trials=100)
    assert len(tried) == len(set(tried)) == 11
    assert len(study.trials) == 11


def test_brute_force_refuses_a_float_without_a_step(lib):
    study = lib.create_study(sampler=lib.samplers.BruteForceSampler(avoid_premature_stop=True))
    with pytest.raises(ValueError, match="step"):
        study.optimize(lambda t: t.suggest_float("lr", 0, 1), n_trials=1)
