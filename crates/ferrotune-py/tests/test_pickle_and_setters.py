"""What Optuna scripts do with a study beyond asking and telling (issue 24):

- ``constraints_func`` on ``TPESampler`` (deprecated in Optuna 5, with its
  ``FutureWarning``) and ``GPSampler``, recorded with ``trial.set_constraint``
  on each trial told complete, as NSGA-II's;
- ``study.sampler = ...`` and ``study.pruner = ...`` (a running trial keeps
  the sampler it was asked with; the pruner is asked at each
  ``should_prune``);
- ``pickle`` and ``copy.deepcopy`` of trials, samplers, pruners, storages
  and studies: a study on a database is loaded again, an in-memory one
  carries its trials and goes on optimizing.
"""

from __future__ import annotations

import copy
import pickle
import warnings

import pytest

import ferrotune
from ferrotune.pruners import (
    HyperbandPruner,
    MedianPruner,
    NopPruner,
    PatientPruner,
    PercentilePruner,
    SuccessiveHalvingPruner,
    ThresholdPruner,
    WilcoxonPruner,
)
from ferrotune.samplers import (
    BaseSampler,
    CmaEsSampler,
    GPSampler,
    GridSampler,
    NSGAIIISampler,
    NSGAIISampler,
    PartialFixedSampler,
    QMCSampler,
    RandomSampler,
    TPESampler,
)
from ferrotune.samplers.nsgaii import SBXCrossover
from ferrotune.trial import TrialState


def objective(trial):
    x = trial.suggest_float("x", -3.0, 3.0)
    n = trial.suggest_int("n", 0, 4)
    return (x - 1) ** 2 + n


def x_at_most_one(trial):
    """A constraints function pickle can find by name."""
    return [trial.params["x"] - 1.0]


# ---------------------------------------------------------------- constraints_func


def test_tpe_constraints_func_is_recorded_and_warned_about_as_in_optuna():
    seen = []

    def constraints(trial):
        seen.append(trial.number)
        return [trial.params["x"] - 1.0]

    with pytest.warns(FutureWarning, match="set_constraint"):
        sampler = TPESampler(seed=0, n_startup_trials=5, constraints_func=constraints)
    assert sampler._constraints_func is constraints
    study = ferrotune.create_study(sampler=sampler)
    study.optimize(lambda t: -t.suggest_float("x", 0.0, 2.0), n_trials=20)
    assert seen == list(range(20))
    for t in study.trials:
        assert t.constraints == {"0": pytest.approx(t.params["x"] - 1.0)}
    # Minimizing -x under x <= 1: the best trial is feasible, and TPE, which
    # ranks infeasible trials last, finds the boundary.
    assert study.best_trial.params["x"] <= 1.0
    assert study.best_value < -0.8


def test_gp_constraints_func_is_current_api_and_not_warned_about():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sampler = GPSampler(seed=0, n_startup_trials=4, constraints_func=x_at_most_one)
    study = ferrotune.create_study(sampler=sampler)
    study.optimize(lambda t: -t.suggest_float("x", 0.0, 2.0), n_trials=8)
    assert all(t.constraints == {"0": pytest.approx(t.params["x"] - 1.0)} for t in study.trials)
    assert study.best_trial.params["x"] <= 1.0


def test_a_constraints_func_that_is_not_callable_is_refused():
    for make in (TPESampler, GPSampler):
        with pytest.raises(TypeError, match="constraints_func must be callable"):
            make(constraints_func=3)
    # None means none, without a warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert TPESampler(constraints_func=None)._constraints_func is None


# ---------------------------------------------------------------- study.sampler, study.pruner


def test_the_sampler_can_be_replaced_and_the_next_trials_use_it():
    study = ferrotune.create_study(sampler=RandomSampler(seed=0))
    study.optimize(objective, n_trials=4)
    fixed = PartialFixedSampler({"n": 3}, study.sampler)
    study.sampler = fixed
    assert study.sampler is fixed
    study.optimize(objective, n_trials=4)
    assert [t.params["n"] for t in study.trials[4:]] == [3, 3, 3, 3]
    # A Python sampler too.
    study.sampler = Always(0.5)
    study.optimize(objective, n_trials=1)
    assert study.trials[-1].params == {"x": 0.5, "n": 0}


def test_a_running_trial_keeps_the_sampler_it_was_asked_with():
    reference = ferrotune.create_study(sampler=RandomSampler(seed=7)).ask().suggest_int("n", 0, 1000)
    study = ferrotune.create_study(sampler=RandomSampler(seed=7))
    running = study.ask()
    fixed = 1000 if reference != 1000 else 999
    study.sampler = PartialFixedSampler({"n": fixed}, RandomSampler(seed=7))
    assert running.suggest_int("n", 0, 1000) == reference
    assert study.ask().suggest_int("n", 0, 1000) == fixed


def test_assigning_a_sampler_with_a_constraints_func_records_its_constraints():
    study = ferrotune.create_study(sampler=RandomSampler(seed=1))
    study.optimize(objective, n_trials=2)
    with pytest.warns(FutureWarning):
        study.sampler = TPESampler(seed=1, constraints_func=x_at_most_one)
    study.optimize(objective, n_trials=2)
    assert [t.constraints for t in study.trials[:2]] == [{}, {}]
    assert all(t.constraints == {"0": pytest.approx(t.params["x"] - 1.0)} for t in study.trials[2:])
    study.sampler = RandomSampler(seed=1)
    study.optimize(objective, n_trials=1)
    assert study.trials[-1].constraints == {}


def test_a_sampler_that_cannot_optimize_the_study_is_refused_and_the_old_one_kept():
    sampler = RandomSampler(seed=0)
    study = ferrotune.create_study(directions=["minimize", "minimize"], sampler=sampler)
    with pytest.raises(ValueError, match="CMA-ES optimizes a single objective"):
        study.sampler = CmaEsSampler(seed=0)
    assert study.sampler is sampler
    with pytest.raises(TypeError, match="sampler"):
        study.sampler = None  # type: ignore[assignment]
    with pytest.raises(TypeError, match="sampler must be"):
        study.sampler = "tpe"  # type: ignore[assignment]
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1.0), n_trials=1)


def test_the_pruner_can_be_replaced_even_for_a_running_trial():
    study = ferrotune.create_study(sampler=RandomSampler(seed=0), pruner=NopPruner())
    trial = study.ask()
    trial.report(1.0, step=0)
    assert not trial.should_prune()
    threshold = ThresholdPruner(upper=0.5)
    study.pruner = threshold
    assert study.pruner is threshold
    assert trial.should_prune()
    with pytest.raises(TypeError, match="pruner"):
        study.pruner = None  # type: ignore[assignment]


# ---------------------------------------------------------------- pickle: trials


def test_a_frozen_trial_pickles_and_deep_copies_with_everything_it_holds():
    study = ferrotune.create_study(sampler=RandomSampler(seed=2))
    trial = study.ask()
    trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    trial.suggest_categorical("kind", ["a", None, 3])
    trial.report(0.5, step=1)
    trial.set_user_attr("note", {"k": [1, 2]})
    trial.set_constraint("c", -1.0)
    frozen = study.tell(trial, 0.25)
    frozen.set_user_attr("added_to_the_object", True)
    for again in (pickle.loads(pickle.dumps(frozen)), copy.deepcopy(frozen)):
        assert again == frozen
        assert again.number == frozen.number and again._trial_id == frozen._trial_id
        assert again.params == frozen.params and again.distributions == frozen.distributions
        assert again.value == 0.25 and again.intermediate_values == {1: 0.5}
        assert again.user_attrs == {"note": {"k": [1, 2]}, "added_to_the_object": True}
        assert again.constraints == {"c": -1.0}
        assert (again.datetime_start, again.datetime_complete) == (frozen.datetime_start, frozen.datetime_complete)
        assert again.state == TrialState.COMPLETE


def test_a_trial_made_by_hand_pickles_and_can_still_be_added():
    made = ferrotune.trial.create_trial(
        params={"x": 2.0}, distributions={"x": ferrotune.distributions.FloatDistribution(0, 4)}, value=1.0
    )
    again = pickle.loads(pickle.dumps(made))
    assert again.number == -1 and again == made
    study = ferrotune.create_study()
    study.add_trial(again)
    assert study.trials[0].params == {"x": 2.0}


def test_an_unreadable_trial_pickle_is_a_value_error():
    from ferrotune import _pickling

    with pytest.raises(ValueError, match="not a pickled ferrotune FrozenTrial"):
        _pickling._frozen_trial("{}", 0, 0)


# ---------------------------------------------------------------- pickle: samplers, pruners


class Always(BaseSampler):
    """A Python sampler with an attribute, proposing one value."""

    def __init__(self, value: float) -> None:
        self.value = value

    def infer_relative_search_space(self, study, trial):
        return {}

    def sample_relative(self, study, trial, search_space):
        return {}

    def sample_independent(self, study, trial, param_name, param_distribution):
        if isinstance(param_distribution, ferrotune.distributions.IntDistribution):
            return param_distribution.low
        return self.value


SAMPLERS = {
    "random": (lambda: RandomSampler(seed=1), 1),
    "grid": (lambda: GridSampler({"x": [-1.0, 0.5, 2.0], "n": [0, 4]}, seed=1), 1),
    "tpe": (lambda: TPESampler(seed=1, n_startup_trials=3, gamma=0.2, multivariate=True), 1),
    "qmc": (lambda: QMCSampler(seed=1, qmc_type="halton"), 1),
    "cmaes": (lambda: CmaEsSampler(x0={"x": 0.5, "n": 2}, sigma0=0.5, seed=1, restart_strategy="ipop"), 1),
    "gp": (lambda: GPSampler(seed=1, n_startup_trials=3, output_transform="standardize"), 1),
    "nsga2": (lambda: NSGAIISampler(seed=1, population_size=4, crossover=SBXCrossover(eta=3.0)), 2),
    "nsga3": (lambda: NSGAIIISampler(seed=1, population_size=4, dividing_parameter=2), 2),
    "partial_fixed": (lambda: PartialFixedSampler({"n": 2}, TPESampler(seed=1, n_startup_trials=2)), 1),
    "python": (lambda: Always(0.75), 1),
}


def proposals(sampler, n_objectives: int, n_trials: int = 6) -> list[dict]:
    directions = ["minimize"] * n_objectives
    study = ferrotune.create_study(directions=directions, sampler=sampler)
    if n_objectives == 1:
        study.optimize(objective, n_trials=n_trials)
    else:
        study.optimize(lambda t: (objective(t), -t.params["x"]), n_trials=n_trials)
    return [t.params for t in study.trials]


@pytest.mark.parametrize("name", SAMPLERS)
@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_a_sampler_pickles_and_proposes_what_the_original_does(name, how):
    make, n_objectives = SAMPLERS[name]
    sampler = make()
    again = pickle.loads(pickle.dumps(sampler)) if how == "pickle" else copy.deepcopy(sampler)
    assert type(again) is type(sampler) and again is not sampler
    assert proposals(again, n_objectives) == proposals(make(), n_objectives)


def test_sampler_options_and_constraints_func_survive_the_pickle():
    with pytest.warns(FutureWarning):
        tpe = TPESampler(seed=3, constraints_func=x_at_most_one)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned about once, when made
        again = pickle.loads(pickle.dumps(tpe))
    assert again._constraints_func is x_at_most_one
    again = pickle.loads(pickle.dumps(NSGAIISampler(constraints_func=x_at_most_one)))
    assert again._constraints_func is x_at_most_one
    assert pickle.loads(pickle.dumps(Always(0.1))).value == 0.1
    partial = pickle.loads(pickle.dumps(PartialFixedSampler({"n": 1}, Always(0.2))))
    assert partial._fixed_params == {"n": 1} and partial._base_sampler.value == 0.2


def test_cmaes_warm_started_from_trials_pickles_with_them():
    source = ferrotune.create_study(sampler=RandomSampler(seed=4))
    source.optimize(lambda t: (t.suggest_float("x", -3, 3) - 1) ** 2, n_trials=12)

    def make():
        return CmaEsSampler(seed=2, source_trials=source.trials)

    again = pickle.loads(pickle.dumps(make()))

    def run(sampler):
        study = ferrotune.create_study(sampler=sampler)
        study.optimize(lambda t: (t.suggest_float("x", -3, 3) - 1) ** 2, n_trials=4)
        return [t.params for t in study.trials]

    assert run(again) == run(make())


PRUNERS = {
    "nop": lambda: NopPruner(),
    "median": lambda: MedianPruner(n_startup_trials=1, n_warmup_steps=1),
    "percentile": lambda: PercentilePruner(30.0, n_startup_trials=1),
    "asha": lambda: SuccessiveHalvingPruner(min_resource=1, reduction_factor=2),
    "hyperband": lambda: HyperbandPruner(min_resource=1, max_resource=8, reduction_factor=2),
    "threshold": lambda: ThresholdPruner(upper=2.0),
    "patient": lambda: PatientPruner(MedianPruner(n_startup_trials=1), patience=1),
    "patient_alone": lambda: PatientPruner(None, patience=2, min_delta=0.1),
    "wilcoxon": lambda: WilcoxonPruner(p_threshold=0.2),
}


def pruned(pruner) -> list[str]:
    # One name: Hyperband draws each trial's bracket from the study's name.
    study = ferrotune.create_study(study_name="pruned", sampler=RandomSampler(seed=5), pruner=pruner)

    def learning(trial):
        x = trial.suggest_float("x", 0.0, 4.0)
        for step in range(8):
            trial.report(x + 1.0 / (step + 1), step)
            if trial.should_prune():
                raise ferrotune.TrialPruned()
        return x

    study.optimize(learning, n_trials=12)
    return [t.state.name for t in study.trials]


@pytest.mark.parametrize("name", PRUNERS)
def test_a_pruner_pickles_and_prunes_as_the_original_does(name):
    pruner = PRUNERS[name]()
    again = pickle.loads(pickle.dumps(pruner))
    assert type(again) is type(pruner) and repr(again) == repr(pruner)
    assert pruned(again) == pruned(PRUNERS[name]())
    assert pruned(copy.deepcopy(pruner)) == pruned(PRUNERS[name]())


class Never(ferrotune.pruners.BasePruner):
    def __init__(self, tag: str) -> None:
        self.tag = tag

    def prune(self, study, trial):
        return False


def test_a_python_pruner_pickles_with_its_attributes():
    again = pickle.loads(pickle.dumps(Never("kept")))
    assert isinstance(again, Never) and again.tag == "kept"


# ---------------------------------------------------------------- pickle: studies


def test_an_in_memory_study_carries_its_trials_and_goes_on_as_the_original(tmp_path):
    study = ferrotune.create_study(study_name="pickled", sampler=TPESampler(seed=11, n_startup_trials=3))
    study.set_user_attr("owner", "me")
    study.set_metric_names(["loss"])
    study.optimize(objective, n_trials=6)
    pruned_trial = study.ask()
    pruned_trial.suggest_float("x", -3.0, 3.0)
    pruned_trial.report(5.0, step=2)
    study.tell(pruned_trial, state=TrialState.PRUNED)
    study.enqueue_trial({"x": 0.0, "n": 0})
    running = study.ask()  # the enqueued one
    running.suggest_float("x", -3.0, 3.0)

    for restored in (pickle.loads(pickle.dumps(study)), copy.deepcopy(study)):
        assert isinstance(restored, ferrotune.study.Study)
        assert restored.study_name == "pickled" and restored.directions == study.directions
        assert restored.user_attrs == {"owner": "me"} and restored.metric_names == ["loss"]
        assert isinstance(restored.sampler, TPESampler) and isinstance(restored.pruner, MedianPruner)
        before, after = study.trials, restored.trials
        assert [t.number for t in after] == [t.number for t in before]
        for old, new in zip(before[:-1], after[:-1]):
            assert (new.state, new.params, new.values, new.intermediate_values, new.user_attrs) == (
                old.state,
                old.params,
                old.values,
                old.intermediate_values,
                old.user_attrs,
            )
            assert (new.datetime_start, new.datetime_complete) == (old.datetime_start, old.datetime_complete)
        # The running trial: nothing would ever finish it in the copy.
        assert after[-1].state == TrialState.FAIL and "pickled" in after[-1].system_attrs["fail_reason"]
        assert after[-1].params == {"x": 0.0}
        assert restored.best_value == study.best_value
        # The copy is on its own storage: it goes on without touching the original.
        restored.optimize(objective, n_trials=2)
        assert len(restored.trials) == len(before) + 2
    assert len(study.trials) == len(before)


def test_a_seeded_in_memory_study_proposes_after_its_pickle_what_it_would_have():
    study = ferrotune.create_study(sampler=TPESampler(seed=5, n_startup_trials=3))
    study.optimize(objective, n_trials=8)
    restored = pickle.loads(pickle.dumps(study))
    study.optimize(objective, n_trials=3)
    restored.optimize(objective, n_trials=3)
    assert [t.params for t in restored.trials] == [t.params for t in study.trials]


def test_a_study_on_a_database_pickles_as_its_name_storage_sampler_and_pruner(sqlite_url):
    storage = ferrotune.storages.RDBStorage(sqlite_url, heartbeat_interval=30, grace_period=90)
    sampler, pruner = RandomSampler(seed=9), ThresholdPruner(lower=-1.0)
    study = ferrotune.create_study(study_name="db", storage=storage, sampler=sampler, pruner=pruner)
    study.optimize(objective, n_trials=3)
    restored = pickle.loads(pickle.dumps(study))
    assert restored.study_name == "db" and len(restored.trials) == 3
    assert restored._storage.url == sqlite_url
    assert (restored._storage.heartbeat_interval, restored._storage.grace_period) == (30, 90)
    assert isinstance(restored.sampler, RandomSampler) and isinstance(restored.pruner, ThresholdPruner)
    # The same study: what one writes, the other reads.
    restored.optimize(objective, n_trials=2)
    assert len(study.trials) == 5
    assert len(copy.deepcopy(study).trials) == 5


def test_a_storage_url_pickles_and_an_in_memory_storage_says_to_pickle_the_study(sqlite_url):
    storage = ferrotune.storages.RDBStorage(sqlite_url)
    assert pickle.loads(pickle.dumps(storage)).url == sqlite_url
    with pytest.raises(TypeError, match="pickle the study"):
        pickle.dumps(ferrotune.storages.InMemoryStorage())


def test_a_study_whose_sampler_cannot_pickle_says_so():
    study = ferrotune.create_study(sampler=GPSampler(constraints_func=lambda t: [0.0]))
    with pytest.raises((pickle.PicklingError, AttributeError), match="lambda"):
        pickle.dumps(study)


class Hearing(Always):
    """An ``Always`` that records what ``after_trial`` is told."""

    def __init__(self, value: float) -> None:
        super().__init__(value)
        self.heard: list[tuple[int, object, object]] = []

    def after_trial(self, study, trial, state, values):
        self.heard.append((trial.number, state, values))


def test_tell_calls_the_after_trial_hook_of_the_sampler_in_use():
    # tell skips the Python-side work when the sampler has no hook of its
    # own: assigning one with a hook, or going back, must be seen.
    study = ferrotune.create_study(sampler=RandomSampler(seed=0))
    study.tell(study.ask(), 1.0)
    hearing = Hearing(0.5)
    study.sampler = hearing
    study.tell(study.ask(), 2.0)
    study.tell(study.ask(), state=ferrotune.trial.TrialState.PRUNED)
    assert hearing.heard == [(1, ferrotune.trial.TrialState.COMPLETE, [2.0]), (2, ferrotune.trial.TrialState.PRUNED, None)]
    study.sampler = RandomSampler(seed=0)
    study.tell(study.ask(), 3.0)
    assert len(hearing.heard) == 2
    # Created with it, too.
    created = ferrotune.create_study(sampler=Hearing(0.5))
    created.tell(created.ask(), 4.0)
    assert created.sampler.heard == [(0, ferrotune.trial.TrialState.COMPLETE, [4.0])]
