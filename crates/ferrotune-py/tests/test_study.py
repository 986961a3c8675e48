"""The Study API end to end: optimize, ask/tell, enqueue, best, storage, errors."""

from __future__ import annotations

import math
import threading
import time

import pytest

import ferrotune
from ferrotune.trial import TrialState


def quadratic(trial):
    x = trial.suggest_float("x", -10, 10)
    y = trial.suggest_int("y", -5, 5)
    return (x - 2) ** 2 + y**2


def test_optimize_finds_the_minimum_and_reports_the_best():
    study = ferrotune.create_study(sampler=ferrotune.samplers.RandomSampler(seed=0))
    study.optimize(quadratic, n_trials=200)
    assert len(study.trials) == 200
    values = [t.value for t in study.trials]
    assert study.best_value == min(values)
    assert study.best_trial.number == values.index(min(values))
    assert set(study.best_params) == {"x", "y"}
    assert study.direction == ferrotune.StudyDirection.MINIMIZE


def test_maximize():
    study = ferrotune.create_study(direction="maximize", sampler=ferrotune.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: -quadratic(t), n_trials=50)
    assert study.best_value == max(t.value for t in study.trials)
    assert study.direction == ferrotune.StudyDirection.MAXIMIZE


def test_a_seed_makes_a_sequential_study_repeat_exactly():
    def run():
        study = ferrotune.create_study(sampler=ferrotune.samplers.RandomSampler(seed=42))
        study.optimize(quadratic, n_trials=30)
        return [(t.params, t.value) for t in study.trials]

    assert run() == run()
    other = ferrotune.create_study(sampler=ferrotune.samplers.RandomSampler(seed=43))
    other.optimize(quadratic, n_trials=30)
    assert [(t.params, t.value) for t in other.trials] != run()


def test_suggested_values_lie_in_their_distributions():
    study = ferrotune.create_study(sampler=ferrotune.samplers.RandomSampler(seed=1))
    choices = [None, True, 3, 2.5, "relu"]

    def objective(trial):
        a = trial.suggest_float("a", 1e-5, 1e-1, log=True)
        b = trial.suggest_float("b", 0.0, 1.0, step=0.25)
        c = trial.suggest_int("c", 2, 1024, log=True)
        d = trial.suggest_int("d", 0, 10, step=5)
        e = trial.suggest_categorical("e", choices)
        assert 1e-5 <= a <= 1e-1 and isinstance(a, float)
        assert b in (0.0, 0.25, 0.5, 0.75, 1.0)
        assert 2 <= c <= 1024 and isinstance(c, int)
        assert d in (0, 5, 10)
        assert any(e is ch for ch in choices)
        # Suggesting again returns the same value.
        assert trial.suggest_float("a", 1e-5, 1e-1, log=True) == a
        return a

    study.optimize(objective, n_trials=100, catch=())
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    seen = {repr(t.params["e"]) for t in study.trials}
    assert seen == {repr(c) for c in choices}
    dists = study.trials[0].distributions
    assert dists["a"] == ferrotune.distributions.FloatDistribution(1e-5, 1e-1, log=True)
    assert dists["d"] == ferrotune.distributions.IntDistribution(0, 10, step=5)
    assert dists["e"] == ferrotune.distributions.CategoricalDistribution(choices)


def test_bad_distributions_raise_value_errors_that_say_what_is_wrong():
    study = ferrotune.create_study()
    trial = study.ask()
    with pytest.raises(ValueError, match="low .* must not be greater than high"):
        trial.suggest_float("x", 1.0, 0.0)
    with pytest.raises(ValueError, match="log-scale float needs low > 0"):
        trial.suggest_float("x", 0.0, 1.0, log=True)
    with pytest.raises(ValueError, match="does not divide"):
        trial.suggest_float("x", 0.0, 1.0, step=0.3)
    with pytest.raises(ValueError, match="at least one choice"):
        trial.suggest_categorical("c", [])
    with pytest.raises(TypeError, match="choice 1 of 'c' is a list"):
        trial.suggest_categorical("c", ["a", [1, 2]])
    trial.suggest_float("x", 0.0, 1.0)
    with pytest.raises(ValueError, match="parameter 'x' was suggested as"):
        trial.suggest_float("x", 0.0, 2.0)
    with pytest.raises(TypeError, match="step must be an int"):
        trial.report(0.5, 1.5)
    with pytest.raises(ValueError, match="non-negative"):
        trial.report(0.5, -1)
    with pytest.raises(TypeError, match="takes a float"):
        trial.report("high", 1)
    with pytest.raises(ValueError, match="1 objective\\(s\\) but 2 intermediate"):
        trial.report([0.5, 0.25], 1)


def test_an_exception_fails_its_trial_and_is_raised_unless_caught():
    study = ferrotune.create_study(sampler=ferrotune.samplers.RandomSampler(seed=0))

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        if trial.number % 2 == 1:
            raise ValueError(f"bad luck at {x:.3f}")
        return x

    with pytest.raises(ValueError, match="bad luck"):
        study.optimize(objective, n_trials=10)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE, TrialState.FAIL]
    assert study.trials[1].fail_reason.startswith("ValueError: bad luck")

    study.optimize(objective, n_trials=10, catch=(ValueError,))
    states = [t.state for t in study.trials]
    assert len(states) == 12
    assert states.count(TrialState.FAIL) == 6


def test_bad_return_values_fail_the_trial_and_the_study_goes_on():
    # inf is no bad value: as in Optuna, it completes its trial (issue 24).
    returns = iter([None, float("nan"), "0.5", [1.0, 2.0], float("inf"), 0.25])
    study = ferrotune.create_study()
    study.optimize(lambda t: next(returns), n_trials=6)
    states = [t.state for t in study.trials]
    assert states == [TrialState.FAIL] * 4 + [TrialState.COMPLETE] * 2
    reasons = [t.fail_reason for t in study.trials[:4]]
    assert "returned None" in reasons[0]
    assert "nan" in reasons[1].lower()
    assert "string" in reasons[2]
    assert "2 value(s)" in reasons[3]
    assert study.trials[4].value == float("inf")
    assert study.best_value == 0.25


def test_numpy_scalars_are_values():
    np = pytest.importorskip("numpy")
    study = ferrotune.create_study()
    study.optimize(lambda t: np.float32(t.suggest_int("n", 0, 3)) + np.int64(1), n_trials=3)
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    study.enqueue_trial({"n": np.int64(2)})
    study.optimize(lambda t: t.suggest_int("n", 0, 3), n_trials=1)
    assert study.trials[-1].params["n"] == 2


def test_pruning_end_to_end():
    study = ferrotune.create_study(
        direction="maximize",
        sampler=ferrotune.samplers.RandomSampler(seed=0),
        pruner=ferrotune.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=2),
    )

    def objective(trial):
        rate = trial.suggest_float("rate", 0.01, 1.0)
        accuracy = 0.0
        for step in range(10):
            accuracy = 1 - math.exp(-rate * (step + 1))
            trial.report(accuracy, step)
            if trial.should_prune():
                raise ferrotune.TrialPruned(f"accuracy {accuracy:.3f} at step {step}")
        return accuracy

    study.optimize(objective, n_trials=40)
    pruned = study.get_trials(states=(TrialState.PRUNED,))
    complete = study.get_trials(states=[TrialState.COMPLETE])
    assert len(pruned) + len(complete) == 40
    assert pruned, "the median rule should stop some slow learners"
    for t in pruned:
        assert t.last_step is not None and t.last_step >= 2
        # A pruned trial keeps its last reported value, as in Optuna.
        assert t.value == t.intermediate_values[t.last_step]
    # The pruned ones are the slow learners.
    assert max(t.params["rate"] for t in pruned) < max(t.params["rate"] for t in complete)


def test_every_pruner_is_constructible_with_optuna_options():
    p = ferrotune.pruners
    pruners = [
        p.NopPruner(),
        p.MedianPruner(n_startup_trials=2, n_warmup_steps=1, interval_steps=2, n_min_trials=2),
        p.PercentilePruner(25.0, n_startup_trials=2),
        p.SuccessiveHalvingPruner(min_resource="auto", reduction_factor=3),
        p.SuccessiveHalvingPruner(min_resource=2, reduction_factor=2, min_early_stopping_rate=1, bootstrap_count=1),
        p.HyperbandPruner(min_resource=1, max_resource=9, reduction_factor=3),
        p.HyperbandPruner(max_resource="auto"),
        p.ThresholdPruner(lower=0.1),
        p.PatientPruner(p.MedianPruner(), patience=2, min_delta=0.01),
        p.PatientPruner(None, patience=1),
        p.WilcoxonPruner(p_threshold=0.05, n_startup_steps=3),
    ]
    for pruner in pruners:
        study = ferrotune.create_study(pruner=pruner, sampler=ferrotune.samplers.RandomSampler(seed=0))

        def objective(trial):
            x = trial.suggest_float("x", 0, 1)
            for step in range(9):
                trial.report(x * (step + 1), step)
                if trial.should_prune():
                    raise ferrotune.TrialPruned()
            return x

        study.optimize(objective, n_trials=12)
        assert len(study.trials) == 12, pruner
    with pytest.raises(ValueError, match="percentile must be in"):
        p.PercentilePruner(150.0)
    with pytest.raises(ValueError, match="lower, upper or both"):
        p.ThresholdPruner()
    with pytest.raises(ValueError, match="reduction_factor must be at least 2"):
        p.SuccessiveHalvingPruner(reduction_factor=1)
    with pytest.raises(ValueError, match=r"'max_resource': must be a positive integer or \"auto\""):
        p.HyperbandPruner(max_resource="max")
    with pytest.raises(TypeError, match="pruner must be one of"):
        ferrotune.create_study(pruner="median")


def test_ask_tell_outcomes_and_their_errors():
    study = ferrotune.create_study()
    t0 = study.ask()
    t0.suggest_float("x", 0, 1)
    frozen = study.tell(t0, 0.5)
    assert frozen.state == TrialState.COMPLETE and frozen.value == 0.5
    with pytest.raises(RuntimeError, match="already finished"):
        study.tell(t0, 0.7)
    assert study.tell(t0, 0.7, skip_if_finished=True).value == 0.5
    with pytest.raises(RuntimeError, match="already finished"):
        t0.suggest_float("y", 0, 1)
    assert t0.params == {"x": frozen.params["x"]}

    t1 = study.ask()
    t1.report(0.9, 0)
    assert study.tell(t1, state=TrialState.PRUNED).values == [0.9]
    t2 = study.ask()
    with pytest.raises(ValueError, match="values cannot be told"):
        study.tell(t2, 1.0, state=TrialState.FAIL)
    with pytest.raises(ValueError, match="no values were told"):
        study.tell(t2)
    assert study.tell(t2.number, state=TrialState.FAIL).state == TrialState.FAIL
    t3 = study.ask()
    with pytest.raises(ValueError, match="no trial number 99"):
        study.tell(99, 1.0)
    other = ferrotune.create_study()
    with pytest.raises(ValueError, match="belongs to another study"):
        other.tell(t3, 1.0)
    assert study.tell(t3.number, 2.0).value == 2.0
    with pytest.raises(ValueError, match="no complete trial|several objectives"):
        ferrotune.create_study().best_trial


def test_ask_with_fixed_distributions():
    study = ferrotune.create_study()
    d = ferrotune.distributions
    trial = study.ask({"lr": d.FloatDistribution(1e-4, 1e-1, log=True), "act": d.CategoricalDistribution(["a", "b"])})
    assert set(trial.params) == {"lr", "act"}
    assert trial.distributions["lr"].log


def test_enqueued_trials_run_first_with_their_attributes():
    study = ferrotune.create_study()
    study.enqueue_trial({"x": 1.5, "kind": "b"}, user_attrs={"why": "hand-picked"})
    study.enqueue_trial({"x": 1.5, "kind": "b"}, skip_if_exists=True)
    study.enqueue_trial({"x": 2.5})

    def objective(trial):
        return trial.suggest_float("x", 0, 3) + len(trial.suggest_categorical("kind", ["a", "b"]))

    study.optimize(objective, n_trials=3)
    first, second = study.trials[0], study.trials[1]
    assert first.params == {"x": 1.5, "kind": "b"} and first.user_attrs == {"why": "hand-picked"}
    assert second.params["x"] == 2.5
    with pytest.raises(ValueError, match="outside"):
        study.enqueue_trial({"x": 7.0})
        study.optimize(objective, n_trials=1, catch=(ValueError,))
        raise ValueError(study.trials[-1].fail_reason)


def test_skip_if_exists_enqueues_once_across_threads_and_studies(tmp_path):
    # Workers opening one study at once, each enqueueing the same
    # configurations: the storage checks in the write that creates the
    # trial, so each is queued once, with the first one's user attributes.
    url = f"sqlite:///{tmp_path / 'enqueue.db'}"
    ferrotune.create_study(study_name="s", storage=url)
    barrier = threading.Barrier(6)

    def worker(i):
        study = ferrotune.load_study(study_name="s", storage=url)
        barrier.wait()
        for x in (0.5, 1.5, 2.5):
            study.enqueue_trial({"x": x}, user_attrs={"worker": i}, skip_if_exists=True)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    study = ferrotune.load_study(study_name="s", storage=url)
    assert [t.state for t in study.trials] == [TrialState.WAITING] * 3
    assert all("worker" in t.user_attrs for t in study.trials)
    study.optimize(lambda t: t.suggest_float("x", 0, 3), n_trials=4)
    assert sorted(t.params["x"] for t in study.trials[:3]) == [0.5, 1.5, 2.5]
    # A sampled trial that suggested exactly these values counts too;
    # without skip_if_exists, enqueueing always adds a trial.
    study.enqueue_trial(study.trials[3].params, skip_if_exists=True)
    study.enqueue_trial({"x": 0.5}, skip_if_exists=True)
    assert len(study.trials) == 4
    study.enqueue_trial({"x": 0.5})
    assert len(study.trials) == 5


def test_multi_objective_study():
    study = ferrotune.create_study(directions=["minimize", "maximize"], sampler=ferrotune.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), n_trials=40)
    front = study.best_trials
    assert front
    for a in front:
        for b in study.trials:
            dominated = b.values[0] <= a.values[0] and b.values[1] >= a.values[1] and b.values != a.values
            assert not dominated
    with pytest.raises(RuntimeError, match="several objectives"):
        study.best_trial
    with pytest.raises(RuntimeError):
        study.direction
    with pytest.raises(RuntimeError, match="values"):
        study.trials[0].value
    with pytest.raises(ValueError, match="either direction or directions"):
        ferrotune.create_study(direction="minimize", directions=["minimize"])
    with pytest.raises(ValueError, match="'minimize' or 'maximize'"):
        ferrotune.create_study(direction="down")


def test_parallel_jobs_share_the_study_and_run_at_once():
    active = 0
    most = 0
    lock = threading.Lock()

    def objective(trial):
        nonlocal active, most
        x = trial.suggest_float("x", -1, 1)
        with lock:
            active += 1
            most = max(most, active)
        time.sleep(0.02)  # Releases the GIL, like numerical libraries do.
        with lock:
            active -= 1
        return x * x

    study = ferrotune.create_study(sampler=ferrotune.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=40, n_jobs=4)
    assert len(study.trials) == 40
    assert sorted(t.number for t in study.trials) == list(range(40))
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    assert most > 1


def test_an_exception_in_a_parallel_job_stops_the_others_and_is_raised():
    def objective(trial):
        if trial.number == 5:
            raise KeyError("boom")
        return trial.suggest_float("x", 0, 1)

    study = ferrotune.create_study()
    with pytest.raises(KeyError, match="boom"):
        study.optimize(objective, n_trials=1000, n_jobs=3)
    assert len(study.trials) < 1000
    assert study.trials[5].state == TrialState.FAIL
    assert not [t for t in study.trials if t.state == TrialState.RUNNING]


def test_timeout_and_callbacks_and_stop():
    study = ferrotune.create_study()
    started = time.monotonic()
    study.optimize(lambda t: time.sleep(0.01) or t.suggest_float("x", 0, 1), timeout=0.2)
    assert 0.2 <= time.monotonic() - started < 5
    assert 1 <= len(study.trials) < 100

    seen = []

    def callback(s, frozen):
        seen.append(frozen.number)
        if len(seen) == 7:
            s.stop()

    study = ferrotune.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=100, callbacks=[callback])
    assert seen == list(range(7)) and len(study.trials) == 7
    # Stopping applies to that call only; the next one runs.
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    assert len(study.trials) == 10
    with pytest.raises(RuntimeError, match="inside `optimize`"):
        study.stop()


def test_grid_sampler_covers_each_point_once_and_stops():
    space = {"a": [1, 2, 3], "b": ["x", "y"], "c": [0.5]}
    sampler = ferrotune.samplers.GridSampler(space, seed=0)
    study = ferrotune.create_study(sampler=sampler)

    def objective(trial):
        return trial.suggest_int("a", 0, 5) + len(trial.suggest_categorical("b", ["x", "y", "z"])) + trial.suggest_float(
            "c", 0, 1
        )

    assert not sampler.is_exhausted(study)
    study.optimize(objective, n_trials=5)
    assert not sampler.is_exhausted(study), "5 of 6 points"
    study.optimize(objective, n_trials=100, n_jobs=3)
    assert sampler.is_exhausted(study)
    # Optuna's rule: a point is visited once its trial has finished, failed too.
    small = ferrotune.samplers.GridSampler({"a": [1, 2]}, seed=0)
    other = ferrotune.create_study(sampler=small)
    asked = other.ask()
    asked.suggest_int("a", 0, 5)
    other.tell(asked, state=ferrotune.trial.TrialState.FAIL)
    running = other.ask()
    running.suggest_int("a", 0, 5)
    assert not small.is_exhausted(other), "the second point's trial is running"
    other.tell(running, 1.0)
    assert small.is_exhausted(other)
    points = sorted((t.params["a"], t.params["b"]) for t in study.trials)
    assert points == sorted((a, b) for a in space["a"] for b in space["b"])
    with pytest.raises(ValueError, match="has no values"):
        ferrotune.samplers.GridSampler({"a": []})
    with pytest.raises(ferrotune.exceptions.SearchSpaceExhausted):
        study.ask()


def test_user_attributes_round_trip_as_json():
    study = ferrotune.create_study()
    study.set_user_attr("dataset", {"name": "digits", "rows": 1797, "split": [0.8, 0.2], "shuffled": True, "note": None})
    trial = study.ask()
    trial.set_user_attr("losses", [0.5, 0.25])
    trial.set_user_attr("nested", {"a": {"b": [1, "two", 3.0]}})
    with pytest.raises(TypeError, match="JSON-serializable"):
        trial.set_user_attr("bad", object())
    study.tell(trial, 1.0)
    assert study.user_attrs["dataset"] == {"name": "digits", "rows": 1797, "split": [0.8, 0.2], "shuffled": True, "note": None}
    assert study.trials[0].user_attrs == {"losses": [0.5, 0.25], "nested": {"a": {"b": [1, "two", 3.0]}}}


def test_frozen_trial_fields():
    import datetime

    study = ferrotune.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    t = study.trials[0]
    assert isinstance(t.datetime_start, datetime.datetime)
    assert isinstance(t.datetime_complete, datetime.datetime)
    assert isinstance(t.duration, datetime.timedelta)
    assert t.datetime_start <= t.datetime_complete
    assert t.state == TrialState.COMPLETE and t.state.is_finished() and str(t.state) == "TrialState.COMPLETE"
    assert t == study.trials[0]
    assert "FrozenTrial(number=0, state=COMPLETE" in repr(t)


def test_sqlite_studies_are_shared_and_loaded(sqlite_url):
    study = ferrotune.create_study(study_name="shared", storage=sqlite_url, sampler=ferrotune.samplers.RandomSampler(seed=0))
    study.optimize(quadratic, n_trials=10)
    with pytest.raises(ferrotune.exceptions.DuplicatedStudyError, match="already exists"):
        ferrotune.create_study(study_name="shared", storage=sqlite_url)
    again = ferrotune.create_study(study_name="shared", storage=sqlite_url, load_if_exists=True)
    again.optimize(quadratic, n_trials=5)
    loaded = ferrotune.load_study(study_name=None, storage=sqlite_url)
    assert [t.number for t in loaded.trials] == list(range(15))
    assert loaded.best_value == min(t.value for t in loaded.trials)
    with pytest.raises(ValueError, match="optimizes \\[minimize\\], but \\[maximize\\]"):
        ferrotune.create_study(study_name="shared", storage=sqlite_url, direction="maximize", load_if_exists=True)
    with pytest.raises(KeyError, match="no study named 'missing'"):
        ferrotune.load_study(study_name="missing", storage=sqlite_url)
    ferrotune.create_study(study_name="second", storage=ferrotune.storages.RDBStorage(sqlite_url))
    assert ferrotune.get_all_study_names(sqlite_url) == ["shared", "second"]
    with pytest.raises(ValueError, match="holds 2 studies"):
        ferrotune.load_study(study_name=None, storage=sqlite_url)
    ferrotune.delete_study(study_name="second", storage=sqlite_url)
    assert ferrotune.get_all_study_names(sqlite_url) == ["shared"]
    with pytest.raises(ValueError, match="unsupported storage URL"):
        ferrotune.create_study(storage="mongodb://x")
    with pytest.raises(TypeError, match="storage must be None, a URL"):
        ferrotune.create_study(storage=3)


def test_one_in_memory_storage_holds_several_studies():
    storage = ferrotune.storages.InMemoryStorage()
    a = ferrotune.create_study(study_name="a", storage=storage)
    ferrotune.create_study(study_name="b", storage=storage)
    a.optimize(quadratic, n_trials=2)
    assert ferrotune.get_all_study_names(storage) == ["a", "b"]
    assert len(ferrotune.load_study(study_name="a", storage=storage).trials) == 2


def test_trials_dataframe_has_optunas_columns():
    pd = pytest.importorskip("pandas")
    study = ferrotune.create_study()
    study.optimize(quadratic, n_trials=4)
    trial = study.ask()
    trial.set_user_attr("tag", "last")
    study.tell(trial, state=TrialState.FAIL)
    df = study.trials_dataframe()
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == [
        "number",
        "value",
        "datetime_start",
        "datetime_complete",
        "duration",
        "params_x",
        "params_y",
        "user_attrs_tag",
        "system_attrs_fail_reason",
        "state",
    ]
    assert list(df["state"]) == ["COMPLETE"] * 4 + ["FAIL"]
    multi = study.trials_dataframe(attrs=("number", "params"), multi_index=True)
    assert ("params", "x") in multi.columns


def test_logging_follows_optunas_verbosity(capfd):
    ferrotune.logging.set_verbosity(ferrotune.logging.INFO)
    study = ferrotune.create_study()
    capfd.readouterr()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    err = capfd.readouterr().err
    assert "Trial 1 finished with value:" in err and "Best is trial" in err
    ferrotune.logging.set_verbosity(ferrotune.logging.WARNING)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert "finished" not in capfd.readouterr().err
    assert ferrotune.logging.get_verbosity() == ferrotune.logging.WARNING


def test_every_optuna_sampler_is_there_and_an_unknown_name_is_an_attribute_error():
    for name in ["BruteForceSampler", "GridSampler", "QMCSampler", "NSGAIIISampler"]:
        assert getattr(ferrotune.samplers, name).__name__ == name
    with pytest.raises(AttributeError, match="NoSuchSampler"):
        ferrotune.samplers.NoSuchSampler


def test_tpe_sampler_beats_random_search():
    def sphere(trial):
        return sum((trial.suggest_float(f"x{i}", -5, 5) - 1.3) ** 2 for i in range(3))

    wins = 0
    for seed in range(4):
        tpe = ferrotune.create_study(sampler=ferrotune.samplers.TPESampler(seed=seed))
        tpe.optimize(sphere, n_trials=60)
        rnd = ferrotune.create_study(sampler=ferrotune.samplers.RandomSampler(seed=seed))
        rnd.optimize(sphere, n_trials=60)
        wins += tpe.best_value < rnd.best_value
    assert wins >= 3
    # Optuna's options are accepted; deprecated callables are refused with a pointer
    # (constraints_func works, with Optuna's FutureWarning).
    ferrotune.samplers.TPESampler(
        n_startup_trials=5, n_ei_candidates=48, multivariate=True, group=True, constant_liar=False, prior_weight=2.0
    )
    with pytest.raises(ValueError, match="group needs multivariate"):
        ferrotune.samplers.TPESampler(multivariate=False, group=True)
    with pytest.warns(FutureWarning, match="set_constraint"):
        ferrotune.samplers.TPESampler(constraints_func=lambda t: [0.0])
    with pytest.raises(TypeError, match="custom gamma"):
        ferrotune.samplers.TPESampler(gamma=lambda n: 1)
    # Watanabe (2023)'s recommended components, by name; bad values named.
    watanabe = ferrotune.samplers.TPESampler(
        seed=0,
        gamma=0.15,
        weighting="expected_improvement",
        min_bandwidth_factor=0.03,
        magic_clip_exponent=2.0,
        consider_endpoints=True,
    )
    study = ferrotune.create_study(sampler=watanabe)
    study.optimize(sphere, n_trials=40)
    assert study.best_value < 3.0
    with pytest.raises(ValueError, match="'weighting': must be"):
        ferrotune.samplers.TPESampler(weighting="ei")
    # Optuna's defaults differ from ours only in the good set and its
    # weights: giving ours back on top of them repeats the default exactly.
    def trajectory(**options):
        study = ferrotune.create_study(sampler=ferrotune.samplers.TPESampler(seed=3, **options))
        study.optimize(sphere, n_trials=30)
        return [t.params for t in study.trials]

    default = trajectory()
    assert trajectory(optuna_defaults=True, gamma=0.15, weighting="expected_improvement") == default
    assert trajectory(optuna_defaults=True) != default
    with pytest.raises(ValueError, match="'gamma': must be the fraction of trials that count as good, in"):
        ferrotune.samplers.TPESampler(gamma=1.5)
    with pytest.raises(ValueError, match="magic_clip_exponent"):
        ferrotune.samplers.TPESampler(magic_clip_exponent=-1.0)


def test_qmc_sampler_covers_the_space_evenly_from_the_first_trial():
    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        n = trial.suggest_int("n", 0, 7)
        kind = trial.suggest_categorical("kind", ["a", "b", "c", "d"])
        return x + n + "abcd".index(kind)

    study = ferrotune.create_study(sampler=ferrotune.samplers.QMCSampler(seed=2))
    study.optimize(objective, n_trials=32, n_jobs=2)
    params = [t.params for t in sorted(study.trials, key=lambda t: t.number)]
    # 32 scrambled Sobol points: one per 1/32 of x, 4 per int, 8 per choice.
    assert sorted(int(p["x"] * 32) for p in params) == list(range(32))
    assert sorted(p["n"] for p in params) == sorted(list(range(8)) * 4)
    assert sorted(p["kind"] for p in params) == sorted(list("abcd") * 8)
    # Seeded: the same points again, in any order of completion.
    again = ferrotune.create_study(sampler=ferrotune.samplers.QMCSampler(seed=2))
    again.optimize(objective, n_trials=32)
    assert [t.params for t in again.trials] == params
    halton = ferrotune.create_study(sampler=ferrotune.samplers.QMCSampler(qmc_type="halton", scramble=False))
    halton.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=4)
    assert [t.params["x"] for t in halton.trials] == [0.0, 0.5, 0.25, 0.75]
    with pytest.raises(ValueError, match="always scrambled"):
        ferrotune.samplers.QMCSampler(scramble=False)
    with pytest.raises(ValueError, match='"sobol" or "halton"'):
        ferrotune.samplers.QMCSampler(qmc_type="lhs")
    with pytest.raises(ValueError, match="independent_sampler is not used"):
        ferrotune.samplers.QMCSampler(independent_sampler=ferrotune.samplers.RandomSampler())
    # TPE can start from a Sobol design instead of random draws.
    tpe = ferrotune.create_study(sampler=ferrotune.samplers.TPESampler(seed=1, n_startup_trials=8, startup="sobol"))
    tpe.optimize(lambda t: t.suggest_int("n", 0, 7), n_trials=8)
    assert sorted(t.params["n"] for t in tpe.trials) == list(range(8))
    with pytest.raises(ValueError, match="'startup': must be"):
        ferrotune.samplers.TPESampler(startup="grid")


def test_cmaes_sampler_optimizes_and_takes_optunas_options():
    def ellipsoid(trial):
        x = trial.suggest_float("x", -2, 2)
        y = trial.suggest_float("y", -2, 2)
        n = trial.suggest_int("n", -5, 5)
        return (x - 0.5) ** 2 + 100 * (y + 0.3) ** 2 + (n - 2) ** 2

    cma = ferrotune.create_study(sampler=ferrotune.samplers.CmaEsSampler(seed=1, with_margin=True))
    cma.optimize(ellipsoid, n_trials=200)
    rnd = ferrotune.create_study(sampler=ferrotune.samplers.RandomSampler(seed=1))
    rnd.optimize(ellipsoid, n_trials=200)
    assert cma.best_value < 1e-3 < rnd.best_value
    assert cma.best_params["n"] == 2
    assert "cmaes:generation" in cma.trials[-1].system_attrs
    # Warm start from the study above, an initial point, IPOP, separable.
    warm = ferrotune.create_study(sampler=ferrotune.samplers.CmaEsSampler(seed=2, source_trials=cma.trials))
    warm.optimize(ellipsoid, n_trials=20)
    assert min(t.value for t in warm.trials[1:]) < 0.5
    for options in [
        dict(x0={"x": 0.5, "y": -0.3, "n": 2}, sigma0=0.05),
        dict(restart_strategy="ipop", popsize=8, inc_popsize=3),
        dict(use_separable_cma=True, consider_pruned_trials=True),
    ]:
        study = ferrotune.create_study(sampler=ferrotune.samplers.CmaEsSampler(seed=3, **options))
        study.optimize(ellipsoid, n_trials=30)
        assert len(study.trials) == 30
    with pytest.raises(ValueError, match="restart_strategy"):
        ferrotune.samplers.CmaEsSampler(restart_strategy="lipop")
    with pytest.raises(ValueError, match="x0 and source_trials"):
        ferrotune.samplers.CmaEsSampler(x0={"x": 0.0}, source_trials=cma.trials)
    with pytest.raises(ValueError, match="lr_adapt"):
        ferrotune.samplers.CmaEsSampler(lr_adapt=True)


def test_gp_sampler_beats_random_search_on_a_small_budget():
    def branin(trial):
        x = trial.suggest_float("x", -5, 10)
        y = trial.suggest_float("y", 0, 15)
        b, c = 5.1 / (4 * math.pi**2), 5 / math.pi
        return (y - b * x * x + c * x - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x) + 10

    gp_regret = random_regret = 0.0
    for seed in range(2):
        gp = ferrotune.create_study(sampler=ferrotune.samplers.GPSampler(seed=seed))
        gp.optimize(branin, n_trials=30)
        rnd = ferrotune.create_study(sampler=ferrotune.samplers.RandomSampler(seed=seed))
        rnd.optimize(branin, n_trials=30)
        gp_regret += gp.best_value - 0.397887
        random_regret += rnd.best_value - 0.397887
    assert gp_regret < 0.1 < random_regret
    # Optuna's options; mixed spaces; constraints through set_constraint.
    study = ferrotune.create_study(
        sampler=ferrotune.samplers.GPSampler(seed=1, n_startup_trials=5, deterministic_objective=True, startup="random")
    )

    def mixed(trial):
        n = trial.suggest_int("n", 1, 8)
        kind = trial.suggest_categorical("kind", ["a", "b"])
        lr = trial.suggest_float("lr", 1e-4, 1, log=True)
        trial.set_constraint("n_at_most_6", n - 6)
        return (n - 6) ** 2 + (0 if kind == "b" else 1) + (math.log10(lr) + 2) ** 2

    study.optimize(mixed, n_trials=25)
    assert study.best_params["kind"] == "b" and study.best_params["n"] == 6
    with pytest.raises(ValueError, match="'startup': must be"):
        ferrotune.samplers.GPSampler(startup="lhs")
    # HEBO's output warping, by name; a wrong name is refused with the choices.
    warped = ferrotune.create_study(sampler=ferrotune.samplers.GPSampler(seed=0, output_transform="power"))
    warped.optimize(branin, n_trials=30)
    assert warped.best_value < 0.397887 + 0.5
    with pytest.raises(ValueError, match='"standardize", "robust" or "power"'):
        ferrotune.samplers.GPSampler(output_transform="boxcox")


def test_constraints_are_recorded_and_steer_tpe():
    study = ferrotune.create_study(sampler=ferrotune.samplers.TPESampler(seed=4))

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        trial.set_constraint("x_at_least_0.6", 0.6 - x)
        return x

    study.optimize(objective, n_trials=60)
    assert study.trials[0].constraints == {"x_at_least_0.6": pytest.approx(0.6 - study.trials[0].params["x"])}
    late = [t.params["x"] for t in study.trials[30:]]
    assert 0.45 < sum(late) / len(late) < 0.8
    feasible = [t.value for t in study.trials if t.constraints["x_at_least_0.6"] <= 0]
    assert min(feasible) < 0.62


def test_an_interrupt_fails_the_running_trial_and_leaves_the_study_consistent(sqlite_url):
    study = ferrotune.create_study(study_name="interrupted", storage=sqlite_url)

    def objective(trial):
        trial.suggest_float("x", 0, 1)
        if trial.number == 3:
            raise KeyboardInterrupt
        return 1.0

    with pytest.raises(KeyboardInterrupt):
        study.optimize(objective, n_trials=10)
    loaded = ferrotune.load_study(study_name="interrupted", storage=sqlite_url)
    assert [t.state for t in loaded.trials] == [TrialState.COMPLETE] * 3 + [TrialState.FAIL]
    assert loaded.trials[3].fail_reason.startswith("KeyboardInterrupt")
    # And the study resumes.
    loaded.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert len(loaded.trials) == 6


def test_multi_objective_trials_are_pruned_when_the_median_dominates_them():
    study = ferrotune.create_study(
        directions=["minimize", "maximize"],
        sampler=ferrotune.samplers.RandomSampler(seed=0),
        pruner=ferrotune.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=1),
    )

    def objective(trial):
        quality = trial.suggest_float("quality", 0, 1)
        loss, accuracy = 1.0, 0.0
        for step in range(6):
            loss, accuracy = (1 - quality) / (step + 1), quality * (1 - 0.5 ** (step + 1))
            trial.report([loss, accuracy], step)
            if trial.should_prune():
                raise ferrotune.TrialPruned()
        return loss, accuracy

    study.optimize(objective, n_trials=30)
    pruned = study.get_trials(states=[TrialState.PRUNED])
    complete = study.get_trials(states=[TrialState.COMPLETE])
    assert pruned and complete
    assert all(len(v) == 2 for t in pruned for v in t.intermediate_vectors.values())
    # Low quality is worse in both objectives, so those are the ones stopped.
    assert max(t.params["quality"] for t in pruned) < max(t.params["quality"] for t in complete)


def test_brute_force_a_trial_still_choosing_keeps_its_branch_open_for_its_worker():
    # A regularizer off, or on with a strength k of 1 to 3: 4 combinations.
    # Two workers take the enqueued reg=on and reg=off trials; reg=on waits
    # before suggesting k until reg=off has finished and its worker has
    # asked whether the search is over. The running trial then counts for
    # its whole branch (as in Optuna), so that worker stops; the other must
    # go on with the strengths left. (Optuna's study.stop() ends both.)
    off_done = threading.Event()
    study = ferrotune.create_study(sampler=ferrotune.samplers.BruteForceSampler(seed=0))
    study.enqueue_trial({"reg": "on"})
    study.enqueue_trial({"reg": "off"})

    def objective(trial):
        if trial.suggest_categorical("reg", ["off", "on"]) == "off":
            return 0.0
        if trial.number == 0:
            off_done.wait(timeout=10)
            time.sleep(0.2)  # the callback runs just before the check
        return float(trial.suggest_int("k", 1, 3))

    def callback(study, trial):
        if trial.params.get("reg") == "off":
            off_done.set()

    study.optimize(objective, n_trials=100, n_jobs=2, callbacks=[callback])
    tried = [tuple(sorted(t.params.items())) for t in study.trials]
    assert off_done.is_set(), tried
    assert len(set(tried)) == 4, tried
    # One worker alone finishes the branch; a repeat only if the check came
    # late (a loaded machine) and both workers chose at once.
    assert len(tried) <= 6, tried
