"""Samplers and pruners written in Python (issue 24): subclasses of
``BaseSampler`` and ``BasePruner`` in the form of Optuna's "User-Defined
Sampler" and "User-Defined Pruner" tutorials, run by the engine,
sequentially and on four threads; an exception in a user's method failing
its trial only; ``PartialFixedSampler``; ``intersection_search_space``
against Optuna's; and the GIL released while a user's method waits."""

from __future__ import annotations

import math
import random
import subprocess
import sys
import threading
import time
import warnings

import pytest

import ferrotune as optuna
from ferrotune.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from ferrotune.trial import TrialState


def mixed_objective(trial):
    x = trial.suggest_float("x", -5.0, 5.0)
    n = trial.suggest_int("n", 1, 9)
    kind = trial.suggest_categorical("kind", ["a", "b", None])
    return x * x + n + (0.5 if kind == "a" else 0.0)


class RecordingRandomSampler(optuna.samplers.BaseSampler):
    """Uniform sampling written in Python, recording what the engine asked
    for and with what arguments."""

    def __init__(self, seed: int = 0) -> None:
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.calls: list[tuple] = []
        self.sampled: dict[tuple[int, str], object] = {}
        self.told: dict[int, tuple] = {}
        self.started: list[int] = []
        self.reseeds = 0

    def infer_relative_search_space(self, study, trial):
        return {}

    def sample_relative(self, study, trial, search_space):
        return {}

    def sample_independent(self, study, trial, param_name, param_distribution):
        if isinstance(param_distribution, FloatDistribution):
            value = self._rng.uniform(param_distribution.low, param_distribution.high)
        elif isinstance(param_distribution, IntDistribution):
            value = self._rng.randint(param_distribution.low, param_distribution.high)
        else:
            value = self._rng.choice(param_distribution.choices)
        with self._lock:
            self.calls.append((study, type(trial), trial.state, type(param_distribution)))
            self.sampled[(trial.number, param_name)] = value
        return value

    def before_trial(self, study, trial):
        with self._lock:
            self.started.append(trial.number)

    def after_trial(self, study, trial, state, values):
        with self._lock:
            self.told[trial.number] = (state, values, trial.state, dict(trial.params))

    def reseed_rng(self):
        with self._lock:
            self.reseeds += 1
            self._rng = random.Random(self._rng.random())


@pytest.mark.parametrize("n_jobs", [1, 4])
def test_every_parameter_comes_from_the_python_sampler(n_jobs):
    sampler = RecordingRandomSampler()
    study = optuna.create_study(sampler=sampler)
    study.optimize(mixed_objective, n_trials=24, n_jobs=n_jobs)

    trials = study.trials
    assert len(trials) == 24 and all(t.state == TrialState.COMPLETE for t in trials)
    for t in trials:
        for name, value in t.params.items():
            assert sampler.sampled[(t.number, name)] == value
    assert len(sampler.sampled) == 24 * 3
    # The methods received the user's study, a FrozenTrial of the running
    # trial, and ferrotune's distribution classes.
    assert all(call[0] is study for call in sampler.calls)
    assert {call[1] for call in sampler.calls} == {optuna.trial.FrozenTrial}
    assert {call[2] for call in sampler.calls} == {TrialState.RUNNING}
    assert {call[3] for call in sampler.calls} == {FloatDistribution, IntDistribution, CategoricalDistribution}
    # The hooks: before_trial once per trial; after_trial with the state and
    # values the trial was then stored with, while it still ran.
    assert sorted(sampler.started) == list(range(24))
    for t in trials:
        state, values, state_then, params_then = sampler.told[t.number]
        assert state == TrialState.COMPLETE and values == t.values
        assert state_then == TrialState.RUNNING and params_then == t.params
    # As in Optuna, each worker thread reseeds the sampler.
    assert sampler.reseeds == (0 if n_jobs == 1 else n_jobs)


def test_after_trial_hears_pruned_and_failed_trials():
    sampler = RecordingRandomSampler()
    study = optuna.create_study(sampler=sampler)

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        if trial.number == 1:
            raise optuna.TrialPruned()
        if trial.number == 2:
            raise RuntimeError("boom")
        if trial.number == 3:
            return float("nan")
        return x

    study.optimize(objective, n_trials=4, catch=(RuntimeError,))
    assert sampler.told[0][:2] == (TrialState.COMPLETE, [study.trials[0].value])
    assert sampler.told[1][:2] == (TrialState.PRUNED, None)
    assert sampler.told[2][:2] == (TrialState.FAIL, None)
    assert sampler.told[3][:2] == (TrialState.FAIL, None)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL, TrialState.FAIL]


def test_an_exception_in_after_trial_still_finishes_the_trial():
    class Grumpy(RecordingRandomSampler):
        def after_trial(self, study, trial, state, values):
            raise LookupError(f"not today, trial {trial.number}")

    study = optuna.create_study(sampler=Grumpy())
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    # As in Optuna: the trial is stored as told, then the exception is raised.
    with pytest.raises(LookupError, match="not today, trial 0"):
        study.tell(trial, 0.25)
    assert study.trials[0].state == TrialState.COMPLETE and study.trials[0].value == 0.25
    with pytest.raises(LookupError, match="not today, trial 1"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2


class AnnealingSampler(optuna.samplers.BaseSampler):
    """Simulated annealing over the float parameters every finished trial
    shares: each trial moves the current point to a random neighbour (a
    tenth of the range), and a worse neighbour becomes the current point
    with probability exp(-worsening / temperature). Parameters outside the
    joint space come from a built-in RandomSampler."""

    def __init__(self, temperature: float = 10.0, seed: int = 1) -> None:
        self._rng = random.Random(seed)
        self._temperature = temperature
        self._lock = threading.Lock()
        self._current = None  # the accepted trial
        self.relative: dict[int, dict] = {}
        self.fallback = optuna.samplers.RandomSampler(seed=seed)

    def infer_relative_search_space(self, study, trial):
        space = optuna.search_space.intersection_search_space(study.get_trials(deepcopy=False))
        return {k: d for k, d in space.items() if isinstance(d, FloatDistribution) and not d.log}

    def sample_relative(self, study, trial, search_space):
        if not search_space:
            return {}
        complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        sign = 1.0 if study.direction == optuna.study.StudyDirection.MINIMIZE else -1.0
        with self._lock:
            latest = complete[-1]
            if self._current is None or sign * latest.value <= sign * self._current.value:
                self._current = latest
            else:
                worsening = sign * (latest.value - self._current.value)
                if self._rng.random() < math.exp(-worsening / self._temperature):
                    self._current = latest
            self._temperature *= 0.9
            params = {}
            for name, d in search_space.items():
                width = (d.high - d.low) * 0.1
                centre = self._current.params[name]
                params[name] = self._rng.uniform(max(d.low, centre - width), min(d.high, centre + width))
            self.relative[trial.number] = dict(params)
        return params

    def sample_independent(self, study, trial, param_name, param_distribution):
        # Delegating to a built-in sampler, as Optuna's tutorial does.
        return self.fallback.sample_independent(study, trial, param_name, param_distribution)


def sphere(trial):
    x = trial.suggest_float("x", -10.0, 10.0)
    y = trial.suggest_float("y", -10.0, 10.0)
    return x * x + y * y


@pytest.mark.parametrize("n_jobs", [1, 4])
def test_a_simulated_annealing_sampler_samples_the_joint_space(n_jobs):
    sampler = AnnealingSampler()
    study = optuna.create_study(sampler=sampler)
    study.optimize(sphere, n_trials=40, n_jobs=n_jobs)

    trials = study.trials
    assert all(t.state == TrialState.COMPLETE for t in trials)
    # Trial 0 has no finished trial to share a space with: sampled by the
    # built-in fallback. Every trial sampled relatively took the sampler's
    # values for both parameters.
    assert 0 not in sampler.relative
    assert len(sampler.relative) >= 40 - n_jobs
    for number, params in sampler.relative.items():
        assert trials[number].params == pytest.approx(params)
    first = trials[0].value
    assert study.best_value < first or first < 1.0


def test_the_relative_sample_is_recorded_before_the_objective_runs():
    """The engine draws the relative sample in ask (after before_trial), so
    asking and telling by hand works with a Python sampler too."""
    sampler = AnnealingSampler()
    study = optuna.create_study(sampler=sampler)
    for _ in range(5):
        trial = study.ask()
        study.tell(trial, sphere(trial))
    assert sorted(sampler.relative) == [1, 2, 3, 4]
    for number, params in sampler.relative.items():
        assert study.trials[number].params == pytest.approx(params)


class EveryThirdPruner(optuna.pruners.BasePruner):
    """Prunes trials whose number is a multiple of 3 once they have reported
    step 2, recording each decision."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.decisions: list[tuple[int, int, bool]] = []
        self.studies: set[int] = set()

    def prune(self, study, trial):
        step = trial.last_step
        decision = trial.number % 3 == 0 and step is not None and step >= 2
        with self._lock:
            self.decisions.append((trial.number, step, decision))
            self.studies.add(id(study))
        return decision


def curve(trial):
    x = trial.suggest_float("x", 0.0, 1.0)
    for step in range(5):
        trial.report(x + step, step)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return x


@pytest.mark.parametrize("n_jobs", [1, 4])
def test_a_python_pruner_prunes_exactly_the_trials_it_said(n_jobs):
    pruner = EveryThirdPruner()
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0), pruner=pruner)
    study.optimize(curve, n_trials=12, n_jobs=n_jobs)

    said = {number for number, _, decision in pruner.decisions if decision}
    assert said == {0, 3, 6, 9}
    pruned = {t.number for t in study.trials if t.state == TrialState.PRUNED}
    assert pruned == said
    # Each pruned trial stopped at the step the pruner said so.
    for t in study.trials:
        assert t.last_step == (2 if t.number in said else 4)
    assert pruner.studies == {id(study)}


class FlakySampler(RecordingRandomSampler):
    """Raises in the method named, for trial 2."""

    def __init__(self, method: str) -> None:
        super().__init__()
        self.method = method

    def _maybe_raise(self, where, trial):
        if where == self.method and trial.number == 2:
            raise ZeroDivisionError(f"{where} failed on purpose")

    def before_trial(self, study, trial):
        self._maybe_raise("before_trial", trial)

    def infer_relative_search_space(self, study, trial):
        self._maybe_raise("infer_relative_search_space", trial)
        return {"x": FloatDistribution(-5.0, 5.0)} if trial.number > 0 else {}

    def sample_relative(self, study, trial, search_space):
        self._maybe_raise("sample_relative", trial)
        return {"x": 1.0} if search_space else {}

    def sample_independent(self, study, trial, param_name, param_distribution):
        self._maybe_raise("sample_independent", trial)
        return super().sample_independent(study, trial, param_name, param_distribution)


@pytest.mark.parametrize(
    "method", ["before_trial", "infer_relative_search_space", "sample_relative", "sample_independent"]
)
def test_an_exception_in_a_sampler_method_fails_only_its_trial(method, caplog):
    study = optuna.create_study(sampler=FlakySampler(method))
    study.optimize(mixed_objective, n_trials=6, catch=(ZeroDivisionError,))

    states = [t.state for t in study.trials]
    assert states[2] == TrialState.FAIL
    assert states[:2] + states[3:] == [TrialState.COMPLETE] * 5
    # The reason holds the user's traceback; the warning logged carries it.
    reason = study.trials[2].fail_reason
    assert f"{method} failed on purpose" in reason and "Traceback" in reason and "_maybe_raise" in reason
    warned = [r for r in caplog.records if r.levelname == "WARNING" and r.exc_info]
    assert any(f"{method} failed on purpose" in str(r.exc_info[1]) for r in warned)


@pytest.mark.parametrize("method", ["infer_relative_search_space", "sample_independent"])
def test_an_uncaught_sampler_exception_is_raised_with_its_type_and_the_study_goes_on(method, caplog):
    study = optuna.create_study(sampler=FlakySampler(method))
    with pytest.raises(ZeroDivisionError, match="failed on purpose"):
        study.optimize(mixed_objective, n_trials=6)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2 + [TrialState.FAIL]
    assert "Traceback" in study.trials[2].fail_reason
    warned = [r for r in caplog.records if r.levelname == "WARNING" and r.exc_info]
    assert [type(r.exc_info[1]) for r in warned] == [ZeroDivisionError]
    # Nothing is left running or locked: the study carries on.
    study.optimize(mixed_objective, n_trials=2)
    assert [t.state for t in study.trials][3:] == [TrialState.COMPLETE] * 2


@pytest.mark.parametrize("n_jobs", [1, 4])
def test_an_exception_in_a_pruner_fails_only_its_trial(n_jobs):
    class FlakyPruner(optuna.pruners.BasePruner):
        def prune(self, study, trial):
            if trial.number == 1:
                raise KeyError("no such rung")
            return False

    study = optuna.create_study(pruner=FlakyPruner(), sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(curve, n_trials=5, n_jobs=n_jobs, catch=(KeyError,))
    states = {t.number: t.state for t in study.trials}
    assert states.pop(1) == TrialState.FAIL
    assert set(states.values()) == {TrialState.COMPLETE}
    assert "no such rung" in study.trials[1].fail_reason


def test_a_value_outside_the_distribution_names_the_parameter():
    class Outside(RecordingRandomSampler):
        def sample_independent(self, study, trial, param_name, param_distribution):
            return 12.5 if param_name == "x" else super().sample_independent(
                study, trial, param_name, param_distribution
            )

    study = optuna.create_study(sampler=Outside())
    with pytest.raises(ValueError, match=r"Outside.sample_independent returned 12.5 for parameter 'x'.*outside"):
        study.optimize(mixed_objective, n_trials=1)
    assert study.trials[0].state == TrialState.FAIL

    class NotAChoice(RecordingRandomSampler):
        def sample_independent(self, study, trial, param_name, param_distribution):
            return "z" if param_name == "kind" else super().sample_independent(
                study, trial, param_name, param_distribution
            )

    study = optuna.create_study(sampler=NotAChoice())
    with pytest.raises(ValueError, match="'kind'"):
        study.optimize(mixed_objective, n_trials=1)

    class BadRelative(RecordingRandomSampler):
        def infer_relative_search_space(self, study, trial):
            return {"x": FloatDistribution(-5.0, 5.0)}

        def sample_relative(self, study, trial, search_space):
            return {"x": -7}

    study = optuna.create_study(sampler=BadRelative())
    with pytest.raises(ValueError, match="BadRelative.sample_relative returned -7 for parameter 'x'"):
        study.ask()
    assert study.trials[0].state == TrialState.FAIL


def test_a_missing_abstract_method_is_named():
    class Incomplete(optuna.samplers.BaseSampler):
        def infer_relative_search_space(self, study, trial):
            return {}

        def sample_relative(self, study, trial, search_space):
            return {}

    study = optuna.create_study(sampler=Incomplete())
    with pytest.raises(NotImplementedError, match="Incomplete must implement sample_independent"):
        study.optimize(mixed_objective, n_trials=1)

    class NoPrune(optuna.pruners.BasePruner):
        pass

    study = optuna.create_study(pruner=NoPrune())
    with pytest.raises(NotImplementedError, match="NoPrune must implement prune"):
        study.optimize(curve, n_trials=1)


def test_a_python_pruner_can_wrap_a_built_in_one():
    """A user's pruner delegating to a built-in one, and a built-in one
    (PatientPruner) wrapping a user's."""

    class Logged(optuna.pruners.BasePruner):
        def __init__(self):
            self.inner = optuna.pruners.ThresholdPruner(upper=2.5)
            self.seen = []

        def prune(self, study, trial):
            decision = self.inner.prune(study, trial)
            self.seen.append((trial.number, trial.last_step, decision))
            return decision

    logged = Logged()
    study = optuna.create_study(pruner=logged, sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(curve, n_trials=3)
    # x + step passes 2.5 at step 2 or 3, whatever x in [0, 1] is.
    assert all(t.state == TrialState.PRUNED and t.last_step in (2, 3) for t in study.trials)
    assert [d for _, _, d in logged.seen].count(True) == 3

    for direction, pruned in [("minimize", {0, 3}), ("maximize", set())]:
        wrapped = EveryThirdPruner()
        patient = optuna.pruners.PatientPruner(wrapped, patience=0)
        study = optuna.create_study(
            direction=direction, pruner=patient, sampler=optuna.samplers.RandomSampler(seed=0)
        )
        study.optimize(curve, n_trials=4)
        # The curve rises: minimizing, no step improves and the wrapped
        # pruner decides; maximizing, every step improves and it is never
        # asked.
        assert {t.number for t in study.trials if t.state == TrialState.PRUNED} == pruned
        assert bool(wrapped.decisions) == bool(pruned)


# ------------------------------------------------------------ PartialFixedSampler


@pytest.mark.parametrize("base", ["builtin", "python"])
@pytest.mark.parametrize("n_jobs", [1, 4])
def test_partial_fixed_sampler_fixes_some_and_samples_the_rest(base, n_jobs):
    base_sampler = optuna.samplers.TPESampler(seed=0) if base == "builtin" else RecordingRandomSampler()
    sampler = optuna.samplers.PartialFixedSampler({"n": 4, "kind": None}, base_sampler)
    study = optuna.create_study(sampler=sampler)
    study.optimize(mixed_objective, n_trials=16, n_jobs=n_jobs)

    trials = study.trials
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert {t.params["n"] for t in trials} == {4}
    assert {t.params["kind"] for t in trials} == {None}
    assert len({t.params["x"] for t in trials}) == 16
    if base == "python":
        # x came from the Python base sampler, which never saw n or kind;
        # its after_trial hook was passed on.
        assert {name for _, name in base_sampler.sampled} == {"x"}
        for t in trials:
            assert base_sampler.sampled[(t.number, "x")] == t.params["x"]
        assert sorted(base_sampler.told) == list(range(16))


def test_a_python_sampler_can_delegate_to_a_partial_fixed_sampler_over_a_python_one():
    """Built-in samplers called from a user's method: a PartialFixedSampler
    whose base is itself a Python sampler, which then receives the study."""
    inner = RecordingRandomSampler(seed=5)

    class Delegating(optuna.samplers.BaseSampler):
        def __init__(self):
            self.partial = optuna.samplers.PartialFixedSampler({"n": 3}, inner)

        def infer_relative_search_space(self, study, trial):
            return self.partial.infer_relative_search_space(study, trial)

        def sample_relative(self, study, trial, search_space):
            return self.partial.sample_relative(study, trial, search_space)

        def sample_independent(self, study, trial, param_name, param_distribution):
            return self.partial.sample_independent(study, trial, param_name, param_distribution)

    study = optuna.create_study(sampler=Delegating())
    study.optimize(mixed_objective, n_trials=6, n_jobs=2)
    assert {t.params["n"] for t in study.trials} == {3}
    for t in study.trials:
        assert inner.sampled[(t.number, "x")] == t.params["x"]
        assert inner.sampled[(t.number, "kind")] == t.params["kind"]
    assert {call[0] for call in inner.calls} == {study}
    with pytest.raises(TypeError, match="study must be a ferrotune Study"):
        optuna.samplers.RandomSampler().sample_independent(object(), study.trials[0], "x", FloatDistribution(0, 1))


def test_partial_fixed_sampler_warns_about_a_value_out_of_range():
    sampler = optuna.samplers.PartialFixedSampler({"x": 7.5, "n": 0}, optuna.samplers.RandomSampler(seed=0))
    study = optuna.create_study(sampler=sampler)
    with pytest.warns(UserWarning) as warned:
        study.optimize(mixed_objective, n_trials=1)
    messages = sorted(str(w.message) for w in warned)
    assert len(messages) == 2
    assert messages[0].startswith("Fixed parameter 'n' with value 0 is out of range for distribution int in [1, 9]")
    assert messages[1].startswith("Fixed parameter 'x' with value 7.5 is out of range for distribution float in [-5, 5]")
    # ferrotune keeps values inside their distribution: the nearest one.
    assert study.trials[0].params["x"] == 5.0 and study.trials[0].params["n"] == 1

    sampler = optuna.samplers.PartialFixedSampler({"kind": "z"}, optuna.samplers.RandomSampler(seed=0))
    study = optuna.create_study(sampler=sampler)
    with pytest.raises(ValueError, match="kind"):
        study.optimize(mixed_objective, n_trials=1)

    with pytest.raises(TypeError, match="base_sampler"):
        optuna.samplers.PartialFixedSampler({"x": 1.0}, None)


def test_partial_fixed_sampler_in_range_is_silent():
    sampler = optuna.samplers.PartialFixedSampler({"x": 2.0}, optuna.samplers.RandomSampler(seed=0))
    study = optuna.create_study(sampler=sampler)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        study.optimize(mixed_objective, n_trials=3)
    assert {t.params["x"] for t in study.trials} == {2.0}


# ------------------------------------------------------------ search space


def _run_same_trials(module):
    """The same trials in ferrotune or Optuna: dynamic ranges, a conditional
    parameter, a pruned and a failed trial."""
    module.logging.set_verbosity(module.logging.ERROR)
    study = module.create_study(sampler=module.samplers.RandomSampler(seed=0))
    plans = [
        ("complete", {"x": (0.0, 1.0), "n": (1, 5), "c": ["a", "b"]}),
        ("complete", {"x": (0.0, 1.0), "n": (1, 5), "c": ["a", "b"], "extra": (0.0, 2.0)}),
        ("pruned", {"x": (0.0, 1.0), "n": (1, 5)}),
        ("failed", {"x": (0.0, 1.0)}),
        ("complete", {"x": (0.0, 1.0), "n": (1, 6), "c": ["a", "b"], "log": (1e-3, 1.0)}),
        ("running", {"x": (0.0, 1.0)}),
    ]
    for state, params in plans:
        trial = study.ask()
        for name, spec in params.items():
            if isinstance(spec, list):
                trial.suggest_categorical(name, spec)
            elif isinstance(spec[0], int):
                trial.suggest_int(name, *spec)
            else:
                trial.suggest_float(name, *spec, log=name == "log")
        if state == "complete":
            study.tell(trial, 1.0)
        elif state == "pruned":
            trial.report(0.5, 0)
            study.tell(trial, state=module.trial.TrialState.PRUNED)
        elif state == "failed":
            study.tell(trial, state=module.trial.TrialState.FAIL)
    return study


def _described(space):
    return {
        name: (type(d).__name__, tuple(sorted((k, v) for k, v in vars(d).items() if not k.startswith("_"))))
        for name, d in space.items()
    }


@pytest.mark.parametrize("include_pruned", [False, True])
def test_intersection_search_space_agrees_with_optuna(include_pruned):
    real_optuna = pytest.importorskip("optuna")
    ours = _run_same_trials(optuna)
    theirs = _run_same_trials(real_optuna)
    mine = optuna.search_space.intersection_search_space(ours.get_trials(deepcopy=False), include_pruned=include_pruned)
    expected = real_optuna.search_space.intersection_search_space(
        theirs.get_trials(deepcopy=False), include_pruned=include_pruned
    )
    assert list(mine) == list(expected)  # sorted by name, as Optuna's
    assert _described(mine) == _described(expected)
    assert set(mine) == ({"c", "x"} if not include_pruned else {"x"})
    calculated = optuna.search_space.IntersectionSearchSpace(include_pruned=include_pruned).calculate(ours)
    assert _described(calculated) == _described(expected)


def test_intersection_search_space_edge_cases():
    assert optuna.search_space.intersection_search_space([]) == {}
    with pytest.raises(TypeError, match=r"trials\[0\] is not a ferrotune FrozenTrial"):
        optuna.search_space.intersection_search_space([object()])
    space = optuna.search_space.IntersectionSearchSpace()
    first, second = optuna.create_study(), optuna.create_study()
    space.calculate(first)
    with pytest.raises(ValueError, match="one study"):
        space.calculate(second)


# ------------------------------------------------------------ the GIL


def test_other_python_threads_run_while_a_user_sampler_waits():
    """While a user's sampler is inside its method (in an engine call, on
    one thread), other threads run Python and call the engine: the engine
    holds the GIL only for the duration of the Python call, and no engine
    lock another thread needs is held across it."""
    inside = threading.Event()
    release = threading.Event()

    class Waiting(RecordingRandomSampler):
        def sample_independent(self, study, trial, param_name, param_distribution):
            if trial.number == 0:
                inside.set()
                # Sleeps (and does a little Python work) until released.
                deadline = time.monotonic() + 30
                while not release.is_set() and time.monotonic() < deadline:
                    sum(range(1000))
                    time.sleep(0.005)
            return super().sample_independent(study, trial, param_name, param_distribution)

    study = optuna.create_study(sampler=Waiting())
    worker = threading.Thread(target=lambda: study.optimize(mixed_objective, n_trials=1))
    worker.start()
    assert inside.wait(10)
    # Meanwhile: plain Python, the same study read through the engine, and
    # another study optimized from this thread.
    ticks = sum(1 for _ in range(100_000))
    running = [t.state for t in study.trials]
    other = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    other.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
    assert ticks == 100_000 and running == [TrialState.RUNNING] and len(other.trials) == 5
    assert worker.is_alive()  # still inside the sampler
    release.set()
    worker.join(10)
    assert not worker.is_alive()
    assert study.trials[0].state == TrialState.COMPLETE


def test_a_python_sampler_runs_on_four_threads_at_once():
    """With n_jobs=4, four trials are inside the user's sample_independent
    at the same time: a barrier of four in it is passed (it would time out
    if the engine serialized the calls or held the GIL across them)."""
    barrier = threading.Barrier(4, timeout=20)

    class Meeting(RecordingRandomSampler):
        def sample_independent(self, study, trial, param_name, param_distribution):
            if trial.number < 4:
                barrier.wait()
            return super().sample_independent(study, trial, param_name, param_distribution)

    study = optuna.create_study(sampler=Meeting())
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=8, n_jobs=4)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 8
    assert not barrier.broken


# Thread A suggests on a trial and the engine calls A's Python sampler,
# which sleeps (so A waits for the GIL with the trial's slot held); thread B
# reads `trial.params` meanwhile. B used to take the GIL and then wait for
# the slot: a deadlock. Run in a child process so that a regression fails
# on the timeout instead of hanging the test run.
_READ_WHILE_SUGGESTING = """
import threading, time
import ferrotune as optuna
inside = threading.Event()
class Slow(optuna.samplers.BaseSampler):
    def infer_relative_search_space(self, study, trial):
        return {}
    def sample_relative(self, study, trial, search_space):
        return {}
    def sample_independent(self, study, trial, name, distribution):
        inside.set()
        time.sleep(0.3)
        return 0.5
study = optuna.create_study(sampler=Slow())
trial = study.ask()
seen = []
def read():
    inside.wait()
    seen.append(dict(trial.params))
reader = threading.Thread(target=read)
reader.start()
x = trial.suggest_float("x", 0.0, 1.0)
reader.join()
print(x, seen)
"""


def test_reading_a_trial_while_a_python_sampler_suggests_for_it_does_not_deadlock():
    done = subprocess.run([sys.executable, "-c", _READ_WHILE_SUGGESTING], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0.5 [{'x': 0.5}]"
