"""What pickles of ferrotune objects name to make them again (``pickle``,
``copy.deepcopy``, and so joblib and multiprocessing).

A built-in sampler, pruner or storage pickles as its class and the keyword
arguments its constructor takes (``__reduce__`` in the native module). A
``Study`` on a database pickles as its name, storage, sampler and pruner,
and is loaded again from the database. A ``Study`` in memory has no
database to come back to, so, as Optuna's, it carries its trials: the
unpickled study lives in a new in-memory storage with the same name,
directions, attributes and trials (numbers, states, times, values), and
goes on optimizing from there; other studies of the same in-memory
storage are not carried. A trial still running when its study is pickled
is carried as FAIL with a ``fail_reason`` saying so: nothing would ever
finish it in the copy (Optuna carries it as running).
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, Callable

from ferrotune import _ferrotune

if TYPE_CHECKING:
    from ferrotune.pruners import BasePruner
    from ferrotune.samplers import BaseSampler
    from ferrotune.study import Study
    from ferrotune.trial import FrozenTrial

_RUNNING_WHEN_PICKLED = "the trial was still running when its in-memory study was pickled"


def _rebuild(cls: type, kwargs: dict[str, Any]) -> Any:
    """A built-in sampler, pruner or storage from its constructor's arguments."""
    if "constraints_func" not in kwargs:
        return cls(**kwargs)
    # TPE's deprecation warning was given when the user made the sampler;
    # a copy of it is no new use.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"TPESampler\(constraints_func", category=FutureWarning)
        return cls(**kwargs)


def _frozen_trial(data: str, number: int, trial_id: int) -> "FrozenTrial":
    """A trial from its pickle (the engine's trial, in JSON)."""
    return _ferrotune._frozen_trial_from_json(data, number, trial_id)


def _reduce_study(study: "Study") -> tuple[Callable[..., "Study"], tuple[Any, ...]]:
    storage = study._storage
    if isinstance(storage, _ferrotune.InMemoryStorage):
        contents = {
            "directions": list(study._direction_names),
            "user_attrs": study.user_attrs,
            "system_attrs": study._system_attrs(),
            "trials": study.trials,
        }
        return _in_memory_study, (study.study_name, contents, study.sampler, study.pruner)
    return _study_in, (study.study_name, storage, study.sampler, study.pruner)


def _study_in(name: str, storage: Any, sampler: "BaseSampler", pruner: "BasePruner") -> "Study":
    """A pickled study on a database: loaded again."""
    from ferrotune.study import Study

    return Study(name, storage, sampler, pruner)


def _in_memory_study(
    name: str, contents: dict[str, Any], sampler: "BaseSampler", pruner: "BasePruner"
) -> "Study":
    """A pickled in-memory study: made again, with its trials, in a new
    in-memory storage."""
    from ferrotune._study_tools import _failed_copy
    from ferrotune.study import Study
    from ferrotune.trial import TrialState

    storage = _ferrotune.InMemoryStorage()
    _ferrotune._create_study(storage, name, contents["directions"], False, sampler)
    study = Study(name, storage, sampler, pruner)
    for key, value in contents["system_attrs"].items():
        study._set_system_attr(key, value)
    for key, value in contents["user_attrs"].items():
        study.set_user_attr(key, value)
    for trial in contents["trials"]:
        if trial.state == TrialState.RUNNING:
            trial = _failed_copy(trial, _RUNNING_WHEN_PICKLED)
        study._add_trial(trial)
    return study
