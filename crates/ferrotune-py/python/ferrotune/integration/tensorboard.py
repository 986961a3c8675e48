"""Trials in TensorBoard's HPARAMS tab: Optuna's
``optuna_integration.TensorBoardCallback``, over the engine's writer.

The callback writes no TensorFlow: the event files are written by the
engine (the same writer as ``ferrotune export --format tensorboard`` and the
CLI's ``tensorboard_dir``), so neither TensorFlow nor TensorBoard is needed
to write them, only to look at them (``tensorboard --logdir DIRNAME``).
"""

from __future__ import annotations

import os
from typing import Any, Optional, Union

from ferrotune._ferrotune import FrozenTrial, _TensorBoardWriter

__all__ = ["TensorBoardCallback"]


class TensorBoardCallback:
    """Write each finished trial into ``dirname`` for TensorBoard's HPARAMS
    tab: a run folder ``trial-N`` per trial with its parameters, its value
    under ``metric_name`` and its status, and at the top the experiment (each
    parameter's range or choices, from the study's distributions).

    Pass it to ``Study.optimize(..., callbacks=[TensorBoardCallback(...)])``.
    With several objectives the metrics are named after the study's
    ``metric_names`` when it has them, else ``metric_name`` followed by
    ``_0``, ``_1``, ... Unlike Optuna's callback, pruned and failed trials
    are written too (status "failure"; a pruned trial with its last
    reported value), so that TensorBoard lists every trial the study ran.
    """

    def __init__(self, dirname: Union[str, "os.PathLike[str]"], metric_name: str) -> None:
        if not isinstance(metric_name, str):
            raise TypeError(f"metric_name must be a string, got {type(metric_name).__name__}")
        self._dirname = os.fspath(dirname)
        self._metric_name = metric_name
        self._writer: Optional[_TensorBoardWriter] = None

    def _metric_names(self, study: Any) -> list[str]:
        n_objectives = len(study.directions)
        if n_objectives == 1:
            return [self._metric_name]
        named = study.metric_names
        if named is not None and len(named) == n_objectives:
            return list(named)
        return [f"{self._metric_name}_{i}" for i in range(n_objectives)]

    def __call__(self, study: Any, trial: FrozenTrial) -> None:
        if self._writer is None:
            writer = _TensorBoardWriter(self._dirname, self._metric_names(study))
            # The parameters of the trials before this one too, as Optuna's
            # callback learns them on its first call, so a resumed study's
            # experiment lists its whole search space.
            writer.declare_trials(study.get_trials(deepcopy=False))
            self._writer = writer
        self._writer.write_trial(trial)
