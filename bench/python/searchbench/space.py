"""Search spaces: a flat list of parameters, and the grid a grid sampler runs."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Param:
    """One hyperparameter. kind is "float", "int" or "cat"."""

    name: str
    kind: str
    low: float = 0.0
    high: float = 1.0
    log: bool = False
    choices: tuple[Any, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.kind not in ("float", "int", "cat"):
            raise ValueError(f"{self.name}: unknown kind {self.kind!r}")
        if self.kind == "cat" and not self.choices:
            raise ValueError(f"{self.name}: a categorical needs choices")
        if self.kind != "cat" and not self.low < self.high:
            raise ValueError(f"{self.name}: low must be below high")
        if self.log and self.low <= 0:
            raise ValueError(f"{self.name}: a log scale needs low > 0")


def Float(name: str, low: float, high: float, log: bool = False) -> Param:
    return Param(name, "float", float(low), float(high), log)


def Int(name: str, low: int, high: int, log: bool = False) -> Param:
    return Param(name, "int", int(low), int(high), log)


def Cat(name: str, choices: list[Any]) -> Param:
    return Param(name, "cat", choices=tuple(choices))


def is_continuous(space: list[Param]) -> bool:
    return all(p.kind == "float" for p in space)


def axis(p: Param, k: int) -> list[Any]:
    """At most k evenly spaced values of one parameter (on its log scale if
    it has one), endpoints included; every choice of a categorical."""
    if p.kind == "cat":
        return list(p.choices)
    if p.log:
        pts = np.geomspace(p.low, p.high, k)
    else:
        pts = np.linspace(p.low, p.high, k)
    if p.kind == "float":
        vals = [float(v) for v in pts]
        vals[0], vals[-1] = float(p.low), float(p.high)  # exact endpoints
        return vals
    out: list[int] = []
    for v in pts:
        iv = int(min(max(round(float(v)), p.low), p.high))
        if iv not in out:
            out.append(iv)
    return out


def grid_k(space: list[Param], budget: int) -> int:
    """Largest k >= 2 such that the grid with k values per numeric dimension
    (ints capped at their number of distinct values, categoricals at all their
    choices) has at most `budget` points; 2 if even k = 2 is larger.

    For a purely continuous space this is floor(budget ** (1 / d)), computed
    without floating-point rounding."""
    best = 2
    for k in range(3, budget + 1):
        if grid_size(space, k) > budget:
            break
        best = k
    return best


def grid_size(space: list[Param], k: int) -> int:
    return math.prod(len(axis(p, k)) for p in space)


def grid(space: list[Param], budget: int) -> dict[str, list[Any]]:
    """The grid for a budget: the same for every engine's grid sampler."""
    k = grid_k(space, budget)
    return {p.name: axis(p, k) for p in space}


def grid_at_least(space: list[Param], n: int) -> dict[str, list[Any]]:
    """The coarsest grid with at least n points (for overhead runs of N trials)."""
    k = 2
    while grid_size(space, k) < n:
        k += 1
    return {p.name: axis(p, k) for p in space}
