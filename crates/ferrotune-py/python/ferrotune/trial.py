"""Trials: the live ``Trial`` an objective receives, ``FrozenTrial``
snapshots, and ``TrialState``."""

from __future__ import annotations

import enum

from ferrotune._ferrotune import FrozenTrial, Trial


class TrialState(enum.IntEnum):
    """Where a trial is in its life; Optuna's names and numbers."""

    RUNNING = 0
    COMPLETE = 1
    PRUNED = 2
    FAIL = 3
    WAITING = 4

    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self.name}"

    __str__ = __repr__

    def is_finished(self) -> bool:
        """Whether the state is final (complete, pruned or failed)."""
        return self not in (TrialState.RUNNING, TrialState.WAITING)


__all__ = ["FrozenTrial", "Trial", "TrialState"]
