"""The exceptions ferrotune raises, with Optuna's names.

Bad arguments raise ``ValueError`` (an invalid distribution, a value outside
one, an unknown direction), a missing study ``KeyError``, and calls that do
not fit a trial's state ``RuntimeError``, as in Optuna.
"""

from ferrotune._ferrotune import (
    DuplicatedStudyError,
    FerrotuneError,
    SearchSpaceExhausted,
    StorageInternalError,
    TrialPruned,
)

#: Optuna's name for the base class, so ``except optuna.exceptions.OptunaError`` works.
OptunaError = FerrotuneError

__all__ = [
    "DuplicatedStudyError",
    "FerrotuneError",
    "OptunaError",
    "SearchSpaceExhausted",
    "StorageInternalError",
    "TrialPruned",
]
