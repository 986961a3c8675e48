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


class UpdateFinishedTrialError(FerrotuneError, RuntimeError):
    """A finished trial (complete, pruned or failed) was asked to change:
    a report, an attribute or a suggestion after it was told. A
    ``RuntimeError`` too, as in Optuna. (``Study.tell`` on a finished trial
    raises ``ValueError``, as Optuna's does.)"""


class CLIUsageError(FerrotuneError):
    """Optuna's command-line tool raises it for bad arguments. ferrotune's
    command-line tool is a separate program that reports them itself, so
    nothing in the package raises it; it exists so that code catching it
    runs."""


class ExperimentalWarning(Warning):
    """Optuna marks some features experimental with this warning; ferrotune
    raises none, and has it so that scripts that filter it keep working."""


__all__ = [
    "CLIUsageError",
    "DuplicatedStudyError",
    "ExperimentalWarning",
    "FerrotuneError",
    "OptunaError",
    "SearchSpaceExhausted",
    "StorageInternalError",
    "TrialPruned",
    "UpdateFinishedTrialError",
]
