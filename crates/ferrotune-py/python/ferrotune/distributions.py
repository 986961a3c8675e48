"""Descriptions of a parameter's search space, as ``FrozenTrial.distributions``
returns them and ``Study.ask(fixed_distributions=...)`` takes them.

Plain values: the engine validates a distribution when it is used (low above
high, a step that does not divide the range, ...) and says what is wrong.
"""

from __future__ import annotations

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


class IntDistribution(BaseDistribution):
    """Integers in ``[low, high]``, every ``step``-th, or on a log scale."""

    def __init__(self, low: int, high: int, log: bool = False, step: int = 1) -> None:
        self.low = int(low)
        self.high = int(high)
        self.log = bool(log)
        self.step = int(step)

    def _key(self) -> tuple[Any, ...]:
        return (self.low, self.high, self.log, self.step)


class CategoricalDistribution(BaseDistribution):
    """One of ``choices`` (None, bool, int, float or str values)."""

    def __init__(self, choices: Sequence[CategoricalChoiceType]) -> None:
        self.choices = tuple(choices)

    def _key(self) -> tuple[Any, ...]:
        return self.choices


__all__ = [
    "BaseDistribution",
    "CategoricalChoiceType",
    "CategoricalDistribution",
    "FloatDistribution",
    "IntDistribution",
]
