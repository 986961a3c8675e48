"""Optuna's integrations (``optuna.integration``, the ``optuna-integration``
package) over ferrotune's trials: pruning callbacks for LightGBM, XGBoost
and PyTorch Lightning, and ``OptunaSearchCV`` for scikit-learn.

Each name is looked up lazily (module ``__getattr__``): ``import
ferrotune.integration`` imports no machine-learning library, and a name's
module, with the library it wraps, is imported the first time the name is
used. A class whose library is missing raises an ``ImportError`` naming
the pip package when it is instantiated, as Optuna's do, so
``from ferrotune.integration import XGBoostPruningCallback`` works without
XGBoost installed.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ferrotune.integration.lightgbm import LightGBMPruningCallback
    from ferrotune.integration.pytorch_lightning import PyTorchLightningPruningCallback
    from ferrotune.integration.sklearn import OptunaSearchCV
    from ferrotune.integration.xgboost import XGBoostPruningCallback

#: Each public name and the submodule that defines it. ``tensorboard`` is
#: another module's (TensorBoardCallback); it is listed here so the name
#: resolves once that module is part of the package.
_NAME_TO_MODULE = {
    "LightGBMPruningCallback": "lightgbm",
    "OptunaSearchCV": "sklearn",
    "PyTorchLightningPruningCallback": "pytorch_lightning",
    "TensorBoardCallback": "tensorboard",
    "XGBoostPruningCallback": "xgboost",
}

# Only the names whose module this installation has (found, not imported),
# so that `from ferrotune.integration import *` never trips on a missing one.
__all__ = sorted(
    name for name, module in _NAME_TO_MODULE.items() if importlib.util.find_spec(f"{__name__}.{module}") is not None
)


def __getattr__(name: str) -> Any:
    module_name = _NAME_TO_MODULE.get(name)
    if module_name is None:
        raise AttributeError(f"module 'ferrotune.integration' has no attribute '{name}'")
    qualified = f"{__name__}.{module_name}"
    try:
        module = importlib.import_module(qualified)
    except ModuleNotFoundError as error:
        if error.name != qualified:
            raise
        # A submodule this installation lacks: the name is missing, which
        # hasattr() and dir()-walkers expect as an AttributeError.
        raise AttributeError(f"module 'ferrotune.integration' has no attribute '{name}'") from error
    value = getattr(module, name)
    # Cached, so later look-ups skip __getattr__.
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
