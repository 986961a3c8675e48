"""Trials: the live ``Trial`` an objective receives, ``FrozenTrial``
snapshots, ``TrialState``, trials made by hand (``create_trial``, for
``Study.add_trial``), ``FixedTrial`` (an objective run outside a study) and
``BaseTrial``, the class all three kinds of trial are instances of."""

from __future__ import annotations

import abc
import datetime
import enum
import math
import warnings
from typing import Any, Optional, Sequence

from ferrotune import _ferrotune
from ferrotune._ferrotune import FrozenTrial, Trial
from ferrotune.distributions import (
    BaseDistribution,
    CategoricalChoiceType,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    check_distribution_compatibility,
)

# The system attribute the engine keeps a trial's constraints in, as
# {name: value}: `Trial.set_constraint` writes it, samplers and
# `best_trial` read it.
_CONSTRAINTS_ATTR = "constraints"


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


class BaseTrial(abc.ABC):
    """What every trial an objective can receive offers: ``Trial``,
    ``FrozenTrial`` and ``FixedTrial`` are all instances of it, as in Optuna,
    so ``isinstance(trial, BaseTrial)`` accepts any of them. ``Trial`` and
    ``FrozenTrial`` live in the engine and are registered as virtual
    subclasses; a Python class of your own can subclass it.

    Optuna's deprecated ``suggest_uniform``, ``suggest_loguniform`` and
    ``suggest_discrete_uniform`` are not part of it (use ``suggest_float``).
    """

    @abc.abstractmethod
    def suggest_float(
        self, name: str, low: float, high: float, *, step: Optional[float] = None, log: bool = False
    ) -> float: ...

    @abc.abstractmethod
    def suggest_int(self, name: str, low: int, high: int, *, step: int = 1, log: bool = False) -> int: ...

    @abc.abstractmethod
    def suggest_categorical(self, name: str, choices: Sequence[CategoricalChoiceType]) -> Any: ...

    @abc.abstractmethod
    def report(self, value: float, step: int) -> None: ...

    @abc.abstractmethod
    def should_prune(self) -> bool: ...

    @abc.abstractmethod
    def set_user_attr(self, key: str, value: Any) -> None: ...

    @abc.abstractmethod
    def set_constraint(self, key: str, value: float) -> None: ...

    @property
    @abc.abstractmethod
    def params(self) -> dict[str, Any]: ...

    @property
    @abc.abstractmethod
    def distributions(self) -> dict[str, BaseDistribution]: ...

    @property
    @abc.abstractmethod
    def user_attrs(self) -> dict[str, Any]: ...

    @property
    @abc.abstractmethod
    def datetime_start(self) -> Optional[datetime.datetime]: ...

    @property
    @abc.abstractmethod
    def number(self) -> int: ...

    @property
    @abc.abstractmethod
    def constraints(self) -> dict[str, float]: ...


# The engine's classes cannot inherit from a Python ABC; registering them
# makes isinstance and issubclass answer as Optuna's do.
BaseTrial.register(Trial)
BaseTrial.register(FrozenTrial)


def _constraint_value(key: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"constraint {key!r} must be a float, got {value!r}") from None
    if math.isnan(number):
        raise ValueError(f"constraint {key!r} is NaN; a constraint must be a number (<= 0 means satisfied)")
    return number


def create_trial(
    *,
    state: TrialState = TrialState.COMPLETE,
    value: Optional[float] = None,
    values: Optional[Sequence[float]] = None,
    params: Optional[dict[str, Any]] = None,
    distributions: Optional[dict[str, BaseDistribution]] = None,
    user_attrs: Optional[dict[str, Any]] = None,
    system_attrs: Optional[dict[str, Any]] = None,
    intermediate_values: Optional[dict[int, float]] = None,
    constraints: Optional[dict[str, float]] = None,
) -> FrozenTrial:
    """A trial made by hand, to give a study with :meth:`Study.add_trial`
    (results from elsewhere, a warm start).

    Checked as a study would hold it: a complete trial needs ``value`` (one
    objective) or ``values`` (several), never both and never NaN; a failed
    one has none; every parameter in ``params`` needs its distribution in
    ``distributions`` and must lie in it. The trial starts (and, when
    finished, completes) now; a waiting one has no times. Its number and id
    are -1 until a study adds it. ``constraints`` (``{name: value}``,
    satisfied when <= 0) are kept where ``Trial.set_constraint`` puts them.
    """
    attrs = dict(system_attrs or {})
    if constraints:
        recorded = dict(attrs.get(_CONSTRAINTS_ATTR) or {})
        recorded.update({str(k): _constraint_value(str(k), v) for k, v in constraints.items()})
        attrs[_CONSTRAINTS_ATTR] = recorded
    state = TrialState(state)
    start = None if state == TrialState.WAITING else datetime.datetime.now()
    trial = FrozenTrial(
        -1,
        state,
        value,
        start,
        start if state.is_finished() else None,
        dict(params or {}),
        dict(distributions or {}),
        dict(user_attrs or {}),
        attrs,
        dict(intermediate_values or {}),
        -1,
        values=None if values is None else list(values),
    )
    trial._validate()
    return trial


class FixedTrial(BaseTrial):
    """A trial whose parameters are given in advance, to run an objective
    outside any study (to check it, or to re-train with chosen values):
    ``objective(FixedTrial({"x": 1.0, "n": 3}))``.

    ``suggest_*`` return the value given for the name (a ``ValueError`` if
    there is none; a value outside the distribution asked for is returned
    with a warning, and a distribution incompatible with the one the same
    name was asked with before is a ``ValueError``, as in Optuna).
    ``report`` does nothing and ``should_prune`` is always False: nothing
    is recorded anywhere.
    """

    def __init__(self, params: dict[str, Any], number: int = 0) -> None:
        self._params = dict(params)
        self._suggested_params: dict[str, Any] = {}
        self._distributions: dict[str, BaseDistribution] = {}
        self._user_attrs: dict[str, Any] = {}
        self._system_attrs: dict[str, Any] = {}
        self._datetime_start = datetime.datetime.now()
        self._number = number

    def suggest_float(
        self, name: str, low: float, high: float, *, step: Optional[float] = None, log: bool = False
    ) -> float:
        """The value given for ``name``."""
        return self._suggest(name, FloatDistribution(low, high, log=log, step=step))

    def suggest_int(self, name: str, low: int, high: int, *, step: int = 1, log: bool = False) -> int:
        """The value given for ``name``, as an int."""
        return int(self._suggest(name, IntDistribution(low, high, log=log, step=step)))

    def suggest_categorical(self, name: str, choices: Sequence[CategoricalChoiceType]) -> CategoricalChoiceType:
        """The value given for ``name``."""
        return self._suggest(name, CategoricalDistribution(choices))

    def _suggest(self, name: str, distribution: BaseDistribution) -> Any:
        if name not in self._params:
            raise ValueError(
                f"FixedTrial has no value for the parameter '{name}' (it has {sorted(self._params)}); "
                "give one in the params it is made with"
            )
        value = self._params[name]
        # The engine checks the distribution itself (low above high, ...)
        # and whether the value can belong to it at all (a ValueError if not).
        if not _ferrotune._param_in_distribution(name, value, distribution):
            warnings.warn(
                f"the value {value!r} of the parameter '{name}' is outside the distribution asked for "
                f"({distribution!r})",
                stacklevel=3,
            )
        if name in self._distributions:
            check_distribution_compatibility(self._distributions[name], distribution, name=name)
        self._suggested_params[name] = value
        self._distributions[name] = distribution
        return value

    def report(self, value: float, step: int) -> None:
        """Does nothing: a fixed trial records nothing."""

    def should_prune(self) -> bool:
        """Always False: a fixed trial is never pruned."""
        return False

    def set_user_attr(self, key: str, value: Any) -> None:
        """Keep a user attribute on this object."""
        self._user_attrs[key] = value

    def set_system_attr(self, key: str, value: Any) -> None:
        """Keep a system attribute on this object."""
        self._system_attrs[key] = value

    def set_constraint(self, key: str, value: float) -> None:
        """Keep a constraint value (satisfied when <= 0) on this object."""
        recorded = dict(self._system_attrs.get(_CONSTRAINTS_ATTR) or {})
        recorded[key] = _constraint_value(key, value)
        self._system_attrs[_CONSTRAINTS_ATTR] = recorded

    @property
    def params(self) -> dict[str, Any]:
        """The parameters suggested so far (not every one given)."""
        return self._suggested_params

    @property
    def distributions(self) -> dict[str, BaseDistribution]:
        """The distributions the suggested parameters were asked with."""
        return self._distributions

    @property
    def user_attrs(self) -> dict[str, Any]:
        return self._user_attrs

    @property
    def system_attrs(self) -> dict[str, Any]:
        return self._system_attrs

    @property
    def constraints(self) -> dict[str, float]:
        """The constraint values set so far."""
        return dict(self._system_attrs.get(_CONSTRAINTS_ATTR) or {})

    @property
    def datetime_start(self) -> Optional[datetime.datetime]:
        """When the object was made."""
        return self._datetime_start

    @property
    def number(self) -> int:
        return self._number

    @property
    def relative_params(self) -> dict[str, Any]:
        """Empty: no sampler proposes anything for a fixed trial."""
        return {}


__all__ = ["BaseTrial", "FixedTrial", "FrozenTrial", "Trial", "TrialState", "create_trial"]
