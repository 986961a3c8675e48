"""What Optuna keeps beside ``Study``: ``MaxTrialsCallback``,
``StudySummary`` with ``get_all_study_summaries``, and ``copy_study``.
Exported from ``ferrotune.study`` (and the top-level package, for the two
functions), where Optuna has them; written against the ``Study`` API alone."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, Iterable, Optional, Sequence, Union

from ferrotune import _ferrotune
from ferrotune.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from ferrotune.storages import BaseStorage
    from ferrotune.study import Study, StudyDirection


class MaxTrialsCallback:
    """Stop ``optimize`` once the study holds ``n_trials`` trials in
    ``states`` (complete ones by default; ``None`` counts every state),
    counting the trials of every process sharing the study: give it as
    ``callbacks=[MaxTrialsCallback(100)]`` to workers that should stop
    together at 100 complete trials."""

    def __init__(self, n_trials: int, states: Optional[Iterable[TrialState]] = (TrialState.COMPLETE,)) -> None:
        if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 0:
            raise ValueError(f"n_trials must be a non-negative integer, got {n_trials!r}")
        self._n_trials = n_trials
        self._states = None if states is None else tuple(states)

    def __call__(self, study: "Study", trial: FrozenTrial) -> None:
        if len(study.get_trials(deepcopy=False, states=self._states)) >= self._n_trials:
            study.stop()


class StudySummary:
    """What :func:`get_all_study_summaries` tells of one study: its name,
    direction(s), best trial, attributes, number of trials and when its
    first trial started."""

    def __init__(
        self,
        study_name: str,
        direction: Optional["StudyDirection"],
        best_trial: Optional[FrozenTrial],
        user_attrs: dict[str, Any],
        n_trials: int,
        datetime_start: Optional[datetime.datetime],
        study_id: int,
        *,
        directions: Optional[Sequence["StudyDirection"]] = None,
        system_attrs: Optional[dict[str, Any]] = None,
    ) -> None:
        if direction is not None and directions is not None:
            raise ValueError("give a StudySummary `direction` or `directions`, not both")
        if direction is None and directions is None:
            raise ValueError("a StudySummary needs `direction` (one objective) or `directions` (several)")
        self.study_name = study_name
        self._directions = [direction] if direction is not None else list(directions or [])
        self.best_trial = best_trial
        self.user_attrs = user_attrs
        self.system_attrs = {} if system_attrs is None else system_attrs
        self.n_trials = n_trials
        self.datetime_start = datetime_start
        self._study_id = study_id

    @property
    def direction(self) -> "StudyDirection":
        """The direction of a single-objective study."""
        if len(self._directions) > 1:
            raise RuntimeError(
                "this study has several objectives: use `directions` (direction is for single-objective studies)"
            )
        return self._directions[0]

    @property
    def directions(self) -> list["StudyDirection"]:
        """One direction per objective."""
        return list(self._directions)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StudySummary):
            return NotImplemented
        return self.__dict__ == other.__dict__

    def __lt__(self, other: "StudySummary") -> bool:
        if not isinstance(other, StudySummary):
            return NotImplemented
        return self._study_id < other._study_id

    def __le__(self, other: "StudySummary") -> bool:
        if not isinstance(other, StudySummary):
            return NotImplemented
        return self._study_id <= other._study_id

    def __repr__(self) -> str:
        return f"StudySummary(study_name={self.study_name!r}, n_trials={self.n_trials})"


def get_all_study_summaries(
    storage: Union[str, "BaseStorage"], include_best_trial: bool = True
) -> list[StudySummary]:
    """A :class:`StudySummary` of every study in the storage, in the order
    the studies were created. ``best_trial`` is a single-objective study's
    best feasible trial (as ``Study.best_trial``; Optuna's summary ignores
    constraints here), or None: without complete trials, for several
    objectives, or with ``include_best_trial=False``."""
    from ferrotune.study import Study

    storage_obj = _ferrotune._resolve_storage(storage)
    summaries = []
    for name in _ferrotune._study_names(storage_obj):
        study = Study(name, storage_obj)
        trials = study.trials
        directions = study.directions
        best: Optional[FrozenTrial] = None
        if include_best_trial and len(directions) == 1:
            try:
                best = study.best_trial
            except ValueError:
                best = None
        starts = [t.datetime_start for t in trials if t.datetime_start is not None]
        summaries.append(
            StudySummary(
                study_name=name,
                direction=directions[0] if len(directions) == 1 else None,
                best_trial=best,
                user_attrs=study.user_attrs,
                n_trials=len(trials),
                datetime_start=min(starts, default=None),
                study_id=study._study_id,
                directions=directions if len(directions) > 1 else None,
                system_attrs=study._system_attrs(),
            )
        )
    return summaries


def copy_study(
    *,
    from_study_name: str,
    from_storage: Union[str, "BaseStorage"],
    to_storage: Union[str, "BaseStorage"],
    to_study_name: Optional[str] = None,
) -> None:
    """Copy a study into a new study of ``to_storage`` (named
    ``to_study_name``, by default the same name): its directions, user and
    system attributes, and every trial with its number, state, times,
    parameters, values, intermediate values and attributes. A study of that
    name already there is a ``DuplicatedStudyError``.

    A trial still running in the source is copied as FAIL, its
    ``fail_reason`` saying so (Optuna copies it as running; nothing would
    ever finish it in the copy), so that numbers match the source's.

    ``from_storage`` may also be an Optuna database's URL (Optuna's
    ``RDBStorage`` URL, which ferrotune only reads): the study is imported as
    :func:`ferrotune.storages.import_optuna` does it."""
    from ferrotune.study import create_study, load_study

    try:
        source = load_study(study_name=from_study_name, storage=from_storage)
    except ValueError as refused:
        # The engine refuses to open an Optuna database as a ferrotune
        # storage (its message names the import); copying from one is that
        # import, through a scratch in-memory storage so that the copy can
        # take another name.
        if not isinstance(from_storage, str) or "is an Optuna database" not in str(refused):
            raise
        from ferrotune.storages import InMemoryStorage, import_optuna

        scratch = InMemoryStorage()
        import_optuna(from_storage, scratch, [from_study_name])
        copy_study(
            from_study_name=from_study_name,
            from_storage=scratch,
            to_storage=to_storage,
            to_study_name=to_study_name,
        )
        return
    target = create_study(
        study_name=to_study_name or from_study_name,
        storage=to_storage,
        directions=source.directions,
        load_if_exists=False,
    )
    for key, value in source._system_attrs().items():
        target._set_system_attr(key, value)
    for key, value in source.user_attrs.items():
        target.set_user_attr(key, value)
    for trial in source.trials:
        if trial.state == TrialState.RUNNING:
            trial = _failed_copy(
                trial, "copy_study: the trial was still running in the source study when it was copied"
            )
        # Straight to the engine: a study's own trials are consistent, and
        # the engine's checks (states, value counts) still apply.
        target._add_trial(trial)


def _failed_copy(trial: FrozenTrial, reason: str) -> FrozenTrial:
    """A running trial as FAIL, finished now, with ``reason`` as its
    ``fail_reason`` (a copy of a study cannot have a trial nobody runs)."""
    system_attrs = dict(trial.system_attrs)
    system_attrs["fail_reason"] = reason
    return FrozenTrial(
        trial.number,
        TrialState.FAIL,
        None,
        trial.datetime_start,
        datetime.datetime.now(),
        trial.params,
        trial.distributions,
        trial.user_attrs,
        system_attrs,
        trial.intermediate_values,
        trial._trial_id,
    )
