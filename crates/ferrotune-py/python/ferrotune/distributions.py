"""Descriptions of a parameter's search space, as ``FrozenTrial.distributions``
returns them and ``Study.ask(fixed_distributions=...)`` takes them.

Plain values: the engine validates a distribution when it is used (low above
high, a step that does not divide the range, ...) and says what is wrong.
"""

from __future__ import annotations

import decimal
import json
import math
from typing import Any, Optional, Sequence, Union

CategoricalChoiceType = Union[None, bool, int, float, str]


class BaseDistribution:
    """Base class of the three kinds of distribution."""

    def _key(self) -> tuple[Any, ...]:
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self._key() == other._key()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._key()))

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items())
        return f"{type(self).__name__}({fields})"

    # Optuna's storages keep every parameter as a float (a categorical one as
    # the index of its choice); these two convert, for code written against
    # that representation (a sampler of one's own, a storage's raw values).
    def to_internal_repr(self, param_value_in_external_repr: Any) -> float:
        """The value as Optuna's storages keep it: a float."""
        value = param_value_in_external_repr
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{value!r} is not a number, so not a value of {self!r}") from None
        if math.isnan(number):
            raise ValueError(f"NaN is not a value of {self!r}")
        return number

    def to_external_repr(self, param_value_in_internal_repr: float) -> Any:
        """The value as the objective sees it, from its float form."""
        return param_value_in_internal_repr

    def single(self) -> bool:
        """Whether the distribution has exactly one value."""
        raise NotImplementedError


class FloatDistribution(BaseDistribution):
    """Floats in ``[low, high]``, on a log scale with ``log``, or on the grid
    ``low, low + step, ..., high`` with ``step``."""

    def __init__(self, low: float, high: float, log: bool = False, step: Optional[float] = None) -> None:
        self.low = float(low)
        self.high = float(high)
        self.log = bool(log)
        self.step = None if step is None else float(step)

    def _key(self) -> tuple[Any, ...]:
        return (self.low, self.high, self.log, self.step)

    def to_external_repr(self, param_value_in_internal_repr: float) -> float:
        return float(param_value_in_internal_repr)

    def single(self) -> bool:
        if self.low == self.high or self.step is None:
            return self.low == self.high
        # Decimal, so that 0.1 steps over [0, 0.3] are not fooled by binary rounding.
        return decimal.Decimal(str(self.high)) - decimal.Decimal(str(self.low)) < decimal.Decimal(str(self.step))


class IntDistribution(BaseDistribution):
    """Integers in ``[low, high]``, every ``step``-th, or on a log scale."""

    def __init__(self, low: int, high: int, log: bool = False, step: int = 1) -> None:
        self.low = int(low)
        self.high = int(high)
        self.log = bool(log)
        self.step = int(step)

    def _key(self) -> tuple[Any, ...]:
        return (self.low, self.high, self.log, self.step)

    def to_external_repr(self, param_value_in_internal_repr: float) -> int:
        return int(param_value_in_internal_repr)

    def single(self) -> bool:
        return self.high - self.low < self.step


class CategoricalDistribution(BaseDistribution):
    """One of ``choices`` (None, bool, int, float or str values)."""

    def __init__(self, choices: Sequence[CategoricalChoiceType]) -> None:
        self.choices = tuple(choices)

    def _key(self) -> tuple[Any, ...]:
        return self.choices

    def to_internal_repr(self, param_value_in_external_repr: Any) -> float:
        """The index of the choice."""
        value = param_value_in_external_repr
        for index, choice in enumerate(self.choices):
            # True == 1 in Python; a choice matches only a value of its type.
            if type(choice) is type(value) and (choice == value or _both_nan(choice, value)):
                return float(index)
        raise ValueError(f"{value!r} is not one of the choices {list(self.choices)!r}")

    def to_external_repr(self, param_value_in_internal_repr: float) -> CategoricalChoiceType:
        """The choice at that index."""
        index = int(param_value_in_internal_repr)
        if not 0 <= index < len(self.choices):
            raise ValueError(f"{param_value_in_internal_repr!r} is no index of the {len(self.choices)} choices")
        return self.choices[index]

    def single(self) -> bool:
        return len(self.choices) == 1


def _both_nan(a: Any, b: Any) -> bool:
    return isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)


def distribution_to_json(dist: BaseDistribution) -> str:
    """The distribution in Optuna's JSON form (the one its RDB storage keeps):
    ``{"name": "FloatDistribution", "attributes": {...}}``."""
    # Attributes in the order Optuna writes them, so the strings are equal.
    if isinstance(dist, CategoricalDistribution):
        attributes: dict[str, Any] = {"choices": list(dist.choices)}
    elif isinstance(dist, FloatDistribution):
        attributes = {"step": dist.step, "low": dist.low, "high": dist.high, "log": dist.log}
    elif isinstance(dist, IntDistribution):
        attributes = {"log": dist.log, "step": dist.step, "low": dist.low, "high": dist.high}
    else:
        raise TypeError(f"not a distribution: {dist!r}")
    return json.dumps({"name": type(dist).__name__, "attributes": attributes})


# Optuna's deprecated kinds, as the distribution that replaces each (how
# Optuna 3 and later read them too); ferrotune has no classes of these names.
_DEPRECATED_KINDS = {
    "UniformDistribution": lambda a: FloatDistribution(a["low"], a["high"]),
    "LogUniformDistribution": lambda a: FloatDistribution(a["low"], a["high"], log=True),
    "DiscreteUniformDistribution": lambda a: FloatDistribution(a["low"], a["high"], step=a["q"]),
    "IntUniformDistribution": lambda a: IntDistribution(a["low"], a["high"], step=a.get("step", 1)),
    "IntLogUniformDistribution": lambda a: IntDistribution(a["low"], a["high"], log=True),
}


def json_to_distribution(json_str: str) -> BaseDistribution:
    """A distribution from Optuna's JSON form (:func:`distribution_to_json`).
    Optuna's deprecated kinds (``UniformDistribution``, ...) come back as the
    ``FloatDistribution`` or ``IntDistribution`` that replaces them."""
    try:
        loaded = json.loads(json_str)
        name, attributes = loaded["name"], loaded["attributes"]
    except (TypeError, ValueError, KeyError):
        raise ValueError(
            f"not a distribution in Optuna's JSON form ({{\"name\": ..., \"attributes\": ...}}): {json_str!r}"
        ) from None
    try:
        if name == "CategoricalDistribution":
            return CategoricalDistribution(attributes["choices"])
        if name == "FloatDistribution":
            return FloatDistribution(attributes["low"], attributes["high"], attributes["log"], attributes["step"])
        if name == "IntDistribution":
            return IntDistribution(attributes["low"], attributes["high"], attributes["log"], attributes["step"])
        if name in _DEPRECATED_KINDS:
            return _DEPRECATED_KINDS[name](attributes)
    except KeyError as missing:
        raise ValueError(f"the {name} in {json_str!r} has no attribute {missing}") from None
    raise ValueError(f"unknown distribution kind {name!r} in {json_str!r}")


__all__ = [
    "BaseDistribution",
    "CategoricalChoiceType",
    "CategoricalDistribution",
    "FloatDistribution",
    "IntDistribution",
    "check_distribution_compatibility",
    "distribution_to_json",
    "json_to_distribution",
]


def check_distribution_compatibility(
    dist_old: BaseDistribution, dist_new: BaseDistribution, *, name: Optional[str] = None
) -> None:
    """Raise ``ValueError`` unless a parameter recorded with ``dist_old`` may
    be recorded with ``dist_new`` in another trial of the same study: the
    same kind, the same scale (log or not) and, for a categorical one, the
    same choices; bounds and steps may change. ``name`` (ferrotune's
    addition) names the parameter in the error. The rule is the engine's."""
    from ferrotune import _ferrotune

    _ferrotune._check_distribution_compatibility(dist_old, dist_new, name)
