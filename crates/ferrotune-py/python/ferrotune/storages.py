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
must be a :class:`RetryFailedTrialCallback`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from ferrotune._ferrotune import BaseStorage, InMemoryStorage, RDBStorage

if TYPE_CHECKING:
    from ferrotune.study import Study
    from ferrotune.trial import FrozenTrial

__all__ = [
    "BaseStorage",
    "InMemoryStorage",
    "RDBStorage",
    "RetryFailedTrialCallback",
    "RetryHeartbeatStaleTrialCallback",
    "fail_stale_trials",
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
