"""XGBoost's pruning callback (Optuna's ``XGBoostPruningCallback``).

XGBoost wants a ``TrainingCallback`` subclass, so the base class is
XGBoost's own when it is installed (and a plain object otherwise, so the
name can be imported and fails only when used). After each boosting round
the callback reports the chosen metric to the trial and raises
``TrialPruned`` out of ``xgb.train`` / ``xgb.cv`` when the pruner says so.
"""

from __future__ import annotations

import importlib
from typing import Any, Optional

from ferrotune.exceptions import TrialPruned
from ferrotune.integration._imports import missing_library
from ferrotune.trial import Trial

_import_error: Optional[ImportError]
_TrainingCallback: Any
try:
    # Imported by name so that mypy does not follow it into XGBoost.
    _TrainingCallback = importlib.import_module("xgboost.callback").TrainingCallback
    _import_error = None
except ImportError as error:
    _TrainingCallback = object
    _import_error = error


class XGBoostPruningCallback(_TrainingCallback):  # type: ignore[misc]
    """Report ``observation_key`` to ``trial`` after every
    ``report_interval``-th boosting round (at step = the round's index,
    from 0) and prune the trial when its pruner says so.

    ``observation_key`` is ``"<data set>-<metric>"`` as XGBoost logs it:
    the name given with the data set in ``evals`` and the metric
    (``"validation-logloss"``); with the scikit-learn API the data sets are
    ``validation_0``, ``validation_1``, ... of ``eval_set``. Under
    ``xgb.cv`` the value reported is the mean over the folds (data sets
    ``train`` and ``test``).
    """

    def __init__(self, trial: Trial, observation_key: str, report_interval: int = 1) -> None:
        if _import_error is not None:
            raise missing_library("XGBoostPruningCallback", "xgboost", _import_error)
        if isinstance(report_interval, bool) or not isinstance(report_interval, int) or report_interval < 1:
            raise ValueError(f"report_interval must be a positive integer, got {report_interval!r}")
        super().__init__()
        self._trial = trial
        self._observation_key = observation_key
        self._report_interval = report_interval

    def after_iteration(self, model: Any, epoch: int, evals_log: dict[str, dict[str, list[Any]]]) -> bool:
        if (epoch + 1) % self._report_interval != 0:
            return False
        latest = {
            f"{data_name}-{metric}": history[-1]
            for data_name, metrics in evals_log.items()
            for metric, history in metrics.items()
        }
        if self._observation_key not in latest:
            if latest:
                detail = "XGBoost logged " + ", ".join(repr(key) for key in latest)
            else:
                detail = "XGBoost evaluated no data set: pass evals to xgb.train (eval_set to fit)"
            raise ValueError(f"XGBoostPruningCallback: no '{self._observation_key}' in the evaluation log; {detail}")
        value = latest[self._observation_key]
        # xgb.cv logs (mean over the folds, standard deviation) pairs.
        score = float(value[0] if isinstance(value, (tuple, list)) else value)
        self._trial.report(score, step=epoch)
        if self._trial.should_prune():
            raise TrialPruned(f"Trial was pruned at iteration {epoch}.")
        # False: the callback never asks XGBoost to stop by itself.
        return False
