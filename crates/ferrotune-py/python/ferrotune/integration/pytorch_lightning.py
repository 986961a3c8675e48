"""PyTorch Lightning's pruning callback (Optuna's
``PyTorchLightningPruningCallback``).

Lightning accepts only subclasses of its ``Callback``, and ships it twice:
``lightning.pytorch`` (the ``lightning`` package) and ``pytorch_lightning``
(the older package, also installed by ``lightning``). The callback derives
from each of the two that is installed, so a Trainer from either accepts
it (Optuna's works with ``lightning.pytorch`` only).
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any, Optional

from ferrotune.exceptions import TrialPruned
from ferrotune.integration._imports import missing_library
from ferrotune.trial import Trial

_callback_bases: list[Any] = []
_import_error: Optional[ImportError] = None
# Imported by name, so that mypy does not follow them into Lightning and torch.
try:
    _callback_bases.append(importlib.import_module("lightning.pytorch").Callback)
except ImportError as error:
    _import_error = error
try:
    _callback_bases.append(importlib.import_module("pytorch_lightning").Callback)
except ImportError:
    pass
_Callbacks: Any = type("_Callbacks", tuple(_callback_bases) or (object,), {})


class PyTorchLightningPruningCallback(_Callbacks):  # type: ignore[misc]
    """Report the logged metric ``monitor`` (``"val_loss"``, ``"val_acc"``,
    ...: a name given to ``self.log`` in the LightningModule) to ``trial``
    at the end of each validation, at step = the current epoch, and prune
    the trial when its pruner says so: ``TrialPruned`` is raised out of
    ``Trainer.fit``.

    A validation that lacks ``monitor`` warns, as Optuna's does (a metric
    logged by the training loop only reaches the validation after the
    first epoch); a fit whose validations never had it raises a
    ``ValueError`` naming the metrics that were logged, since then nothing
    was ever reported.

    Training over several processes (DDP, ``world_size > 1``) is not
    supported: ``Trainer.fit`` raises a ``ValueError`` (Optuna's callback
    supports it on an RDB storage, with ``check_pruned()`` after the fit).
    """

    def __init__(self, trial: Trial, monitor: str) -> None:
        if not _callback_bases:
            raise missing_library("PyTorchLightningPruningCallback", "lightning", _import_error)
        super().__init__()
        self._trial = trial
        self.monitor = monitor
        self.is_ddp_backend = False
        self._validations_seen = 0
        self._reports = 0
        self._logged_names: set[str] = set()

    def on_fit_start(self, trainer: Any, pl_module: Any) -> None:
        self.is_ddp_backend = trainer.world_size > 1
        if self.is_ddp_backend:
            raise ValueError(
                "PyTorchLightningPruningCallback does not support distributed training in ferrotune "
                f"(this Trainer runs {trainer.world_size} processes); train on one device, or prune "
                "from the objective after each Trainer.fit"
            )

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        # Lightning also calls this after its sanity check, before training:
        # that epoch 0 is not a real one and must not be reported.
        if trainer.sanity_checking:
            return
        self._validations_seen += 1
        metrics = trainer.callback_metrics
        self._logged_names.update(metrics)
        value = metrics.get(self.monitor)
        if value is None:
            warnings.warn(
                f"The metric '{self.monitor}' is not in the evaluation logs for pruning "
                f"(logged: {sorted(metrics) or 'nothing'}); check the name given to self.log",
                stacklevel=2,
            )
            return
        epoch = pl_module.current_epoch
        self._trial.report(float(value), step=epoch)
        self._reports += 1
        if self._trial.should_prune():
            raise TrialPruned(f"Trial was pruned at epoch {epoch}.")

    def on_fit_end(self, trainer: Any, pl_module: Any) -> None:
        if self._validations_seen > 0 and self._reports == 0:
            raise ValueError(
                f"PyTorchLightningPruningCallback: the metric '{self.monitor}' was in none of the "
                f"{self._validations_seen} validations, so nothing was reported for pruning; "
                f"the LightningModule logged {sorted(self._logged_names) or 'nothing'}"
            )

    def check_pruned(self) -> None:
        """Optuna's hook for distributed training, where the pruning decision
        is read back after the fit. Without distributed training the prune
        has already been raised from ``Trainer.fit``, so there is nothing to do."""
