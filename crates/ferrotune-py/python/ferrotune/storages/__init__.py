"""Storages: where studies live. A URL string works wherever a storage object
does; ``sqlite:///study.db`` is shared with the ``ferrotune`` CLI and any
number of other processes.

Heartbeats, as in Optuna: ``RDBStorage(url, heartbeat_interval=60,
grace_period=120, failed_trial_callback=RetryFailedTrialCallback(max_retry=3))``.
While a trial runs (in ``optimize``, or from ``ask`` until ``tell``), a thread
of the engine stamps its heartbeat every ``heartbeat_interval`` seconds; every
``ask`` first fails the trials silent for longer than ``grace_period`` (the
reason is in ``system_attrs["fail_reason"]``) and, with the callback, enqueues
their parameters again. The engine does the retrying itself, so the callback
must be a :class:`RetryFailedTrialCallback`.

Studies kept by Optuna's ``RDBStorage`` (SQLite or PostgreSQL) come in with
:func:`import_optuna`, and go out to a file Optuna reads with
:func:`export_optuna`; ferrotune does not open Optuna's database in place.
Optuna's journal file is different: ``JournalStorage(JournalFileBackend(path))``
(see :mod:`ferrotune.storages.journal`) reads and writes it in place, while
Optuna processes use it too.

``RDBStorage`` takes Optuna's whole signature. ``engine_kwargs`` is ignored
with a warning (no SQLAlchemy engine: connection settings go in the URL);
``skip_compatibility_check`` and ``skip_table_creation`` are accepted and do
nothing, because the engine checks and migrates its schema, and creates
missing tables, whenever a storage opens."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Optional, Sequence, Union

import warnings

from ferrotune._ferrotune import (
    BaseStorage,
    InMemoryStorage,
    JournalStorage,
    RDBStorage,
    _export_optuna,
    _import_optuna,
    _resolve_storage,
)
from ferrotune.storages import journal
from ferrotune.storages.journal import BaseJournalBackend, JournalFileBackend, JournalRedisBackend

if TYPE_CHECKING:
    from ferrotune.study import Study
    from ferrotune.trial import FrozenTrial

__all__ = [
    "BaseJournalLogStorage",
    "BaseStorage",
    "InMemoryStorage",
    "JournalFileOpenLock",
    "JournalFileStorage",
    "JournalFileSymlinkLock",
    "JournalRedisStorage",
    "JournalStorage",
    "RDBStorage",
    "RetryFailedTrialCallback",
    "RetryHeartbeatStaleTrialCallback",
    "export_optuna",
    "fail_stale_trials",
    "import_optuna",
]


class RetryHeartbeatStaleTrialCallback:
    """Retry a trial failed for a stale heartbeat, at most ``max_retry`` times
    (``None``: without limit), as Optuna's callback of this name. Give it to
    :class:`RDBStorage` as ``failed_trial_callback``; the engine enqueues the
    retry (same parameters and user attributes) with system attributes
    ``retry_of`` (the original trial's number), ``retry_history`` and
    ``retry_count``. Optuna's retry records the original as
    ``failed_trial``; read it with :meth:`retried_trial_number`. With
    ``inherit_intermediate_values=True`` the retry starts with the
    intermediate values the failed trial reported."""

    def __init__(self, max_retry: Optional[int] = None, inherit_intermediate_values: bool = False) -> None:
        if max_retry is not None and (isinstance(max_retry, bool) or not isinstance(max_retry, int) or max_retry < 0):
            raise ValueError(f"max_retry must be None or a non-negative integer, got {max_retry!r}")
        self._max_retry = max_retry
        self._inherit_intermediate_values = inherit_intermediate_values

    def __call__(self, study: "Study", trial: "FrozenTrial") -> None:
        raise RuntimeError(
            "the engine retries stale trials itself: pass this callback to RDBStorage(failed_trial_callback=...) "
            "and call ferrotune.storages.fail_stale_trials(study) instead of calling it"
        )

    @staticmethod
    def retried_trial_number(trial: "FrozenTrial") -> Optional[int]:
        """The number of the original trial this one retries (the first of the
        series), or None if it is no retry."""
        original: Any = trial.system_attrs.get("retry_of")
        return None if original is None else int(original)

    @staticmethod
    def retry_history(trial: "FrozenTrial") -> list[int]:
        """The numbers of the trials this one retries, the original first and
        the one it copies last; empty if it is no retry."""
        return [int(n) for n in trial.system_attrs.get("retry_history", [])]


class RetryFailedTrialCallback(RetryHeartbeatStaleTrialCallback):
    """Optuna's older name of :class:`RetryHeartbeatStaleTrialCallback`."""


def fail_stale_trials(study: "Study") -> None:
    """Fail the study's running trials whose heartbeat is older than the
    storage's grace period, and retry them as its
    :class:`RetryFailedTrialCallback` says. Every ``ask`` does this first;
    without heartbeats nothing happens (as in Optuna)."""
    study._fail_stale_trials()


def import_optuna(
    url: str, storage: Union[str, BaseStorage], study_names: Optional[Sequence[str]] = None
) -> dict[str, int]:
    """Copy studies from the Optuna database at ``url`` (``sqlite:///optuna.db``
    or ``postgresql://user@host/db``, as given to Optuna's ``RDBStorage``;
    Optuna 3.0 to 5.x) into ``storage``, with every trial: parameters and their
    distributions, values, intermediate values, attributes and states. Every
    study by default, or those in ``study_names``. The Optuna database is only
    read. A study whose name ``storage`` already has is refused with a
    ``ValueError`` before anything is written. Returns each imported study's
    number of trials by name. The CLI's ``ferrotune import`` does the same."""
    if isinstance(study_names, str):
        study_names = [study_names]
    target = _resolve_storage(storage)
    names = None if study_names is None else list(study_names)
    return dict(_import_optuna(url, target, names))


def export_optuna(
    storage: Union[str, BaseStorage],
    path: Union[str, "os.PathLike[str]"],
    study_names: Optional[Sequence[str]] = None,
) -> None:
    """Write the studies of ``storage`` (every one, or those in ``study_names``)
    into a new SQLite file at ``path`` in the schema of Optuna 5, which Optuna,
    optuna-dashboard and Optuna scripts open as their own
    (``optuna.load_study(study_name=..., storage="sqlite:///" + path)``). An
    existing file is never overwritten. The CLI's ``ferrotune export --format
    optuna`` does the same."""
    if isinstance(study_names, str):
        study_names = [study_names]
    source = _resolve_storage(storage)
    _export_optuna(source, path, None if study_names is None else list(study_names))


# Optuna's names from before ``optuna.storages.journal`` (4.0), which Optuna 5
# still exports with a deprecation warning.
BaseJournalLogStorage = BaseJournalBackend


class JournalFileStorage(JournalFileBackend):
    """Deprecated (Optuna 4.0): use :class:`ferrotune.storages.journal.JournalFileBackend`."""

    def __init__(self, file_path: "Union[str, os.PathLike[str]]", lock_obj: Any = None) -> None:
        warnings.warn(
            "JournalFileStorage has been deprecated in v4.0.0. Use JournalFileBackend instead.",
            FutureWarning,
            stacklevel=2,
        )
        super().__init__(file_path, lock_obj)


class JournalFileSymlinkLock(journal.JournalFileSymlinkLock):
    """Deprecated import path (Optuna 4.0): use ``ferrotune.storages.journal.JournalFileSymlinkLock``."""

    def __init__(self, filepath: "Union[str, os.PathLike[str]]", grace_period: Optional[int] = 30) -> None:
        warnings.warn(
            "The import path ferrotune.storages.JournalFileSymlinkLock has been deprecated in v4.0.0. "
            "Use ferrotune.storages.journal.JournalFileSymlinkLock instead.",
            FutureWarning,
            stacklevel=2,
        )
        super().__init__(filepath, grace_period)


class JournalFileOpenLock(journal.JournalFileOpenLock):
    """Deprecated import path (Optuna 4.0): use ``ferrotune.storages.journal.JournalFileOpenLock``."""

    def __init__(self, filepath: "Union[str, os.PathLike[str]]", grace_period: Optional[int] = 30) -> None:
        warnings.warn(
            "The import path ferrotune.storages.JournalFileOpenLock has been deprecated in v4.0.0. "
            "Use ferrotune.storages.journal.JournalFileOpenLock instead.",
            FutureWarning,
            stacklevel=2,
        )
        super().__init__(filepath, grace_period)


JournalRedisStorage = JournalRedisBackend
