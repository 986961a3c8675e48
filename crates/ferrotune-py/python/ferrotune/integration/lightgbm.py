"""LightGBM's pruning callback (Optuna's ``LightGBMPruningCallback``).

LightGBM calls a callback after each boosting round with the round's
evaluation results; the callback reports the chosen one to the trial and
stops training by raising ``TrialPruned``, which ``lgb.train`` and
``lgb.cv`` let through to the objective, so the trial ends PRUNED.
"""

from __future__ import annotations

import importlib
from typing import Any, Optional, Sequence

from ferrotune.exceptions import TrialPruned
from ferrotune.integration._imports import missing_library
from ferrotune.study import StudyDirection
from ferrotune.trial import Trial

_import_error: Optional[ImportError]
try:
    # Only to tell whether it is there; by name, so mypy does not follow it.
    importlib.import_module("lightgbm")

    _import_error = None
except ImportError as error:
    _import_error = error


def _is_cross_validated(entry: Sequence[Any]) -> bool:
    """Whether an evaluation result is lgb.cv's: it carries the standard
    deviation over the folds (LightGBM 4.7's EvalResult has the field
    always, None outside lgb.cv; before 4.7 lgb.cv's tuples had a fifth
    element and lgb.train's did not)."""
    if hasattr(entry, "metric_std_dev"):
        return entry.metric_std_dev is not None
    return len(entry) == 5


class LightGBMPruningCallback:
    """Report a LightGBM metric to ``trial`` after every ``report_interval``-th
    boosting round (at step = the round's index, from 0) and prune the trial
    when its pruner says so.

    ``metric`` is LightGBM's name for it (``binary_logloss``,
    ``multi_error``, ...), read from the validation set named
    ``valid_name`` (``valid_names`` of ``lgb.train``; ``valid_0`` is the
    first unnamed one). Under ``lgb.cv`` the value reported is the mean over
    the folds and ``valid_name`` is not used. The study's direction must
    agree with the metric's (maximize for a metric where higher is better).
    """

    def __init__(
        self,
        trial: Trial,
        metric: str,
        valid_name: str = "valid_0",
        report_interval: int = 1,
    ) -> None:
        if _import_error is not None:
            raise missing_library("LightGBMPruningCallback", "lightgbm", _import_error)
        if isinstance(report_interval, bool) or not isinstance(report_interval, int) or report_interval < 1:
            raise ValueError(f"report_interval must be a positive integer, got {report_interval!r}")
        self._trial = trial
        self._metric = metric
        self._valid_name = valid_name
        self._report_interval = report_interval

    def _find(self, results: Sequence[Sequence[Any]], cross_validated: bool) -> Optional[Sequence[Any]]:
        for entry in results:
            data_name, metric = entry[0], entry[1]
            if cross_validated:
                # lgb.cv names the held-out folds "valid" (LightGBM before
                # 4.7: data set "cv_agg", metric "valid <metric>").
                if (data_name == "valid" and metric == self._metric) or metric == "valid " + self._metric:
                    return entry
            elif data_name == self._valid_name and metric == self._metric:
                return entry
        return None

    def __call__(self, env: Any) -> None:
        if (env.iteration + 1) % self._report_interval != 0:
            return
        results = env.evaluation_result_list or []
        cross_validated = len(results) > 0 and _is_cross_validated(results[0])
        entry = self._find(results, cross_validated)
        if entry is None:
            if not results:
                raise ValueError(
                    f"LightGBMPruningCallback: LightGBM evaluated no validation data, so there is no "
                    f"'{self._metric}' to report; pass valid_sets to lgb.train"
                )
            available = ", ".join(f"{entry[1]!r} on {entry[0]!r}" for entry in results)
            where = "the cross-validation folds" if cross_validated else f"the validation set '{self._valid_name}'"
            raise ValueError(
                f"LightGBMPruningCallback: no metric '{self._metric}' on {where}; "
                f"LightGBM evaluated {available}"
            )
        score, higher_is_better = float(entry[2]), bool(entry[3])
        # A FixedTrial or a FrozenTrial (an objective re-run on the best
        # trial's parameters) has no study to agree with, and reports nothing.
        study = getattr(self._trial, "study", None)
        direction = study.direction if study is not None else None
        if direction is not None and higher_is_better != (direction == StudyDirection.MAXIMIZE):
            wanted_direction = "maximize" if higher_is_better else "minimize"
            raise ValueError(
                f"LightGBMPruningCallback: the metric '{self._metric}' is better when "
                f"{'higher' if higher_is_better else 'lower'}, but the study is set to "
                f"{direction.name.lower()}; create the study with direction='{wanted_direction}' "
                f"or prune on a metric that agrees with it"
            )
        self._trial.report(score, step=env.iteration)
        if self._trial.should_prune():
            raise TrialPruned(f"Trial was pruned at iteration {env.iteration}.")
