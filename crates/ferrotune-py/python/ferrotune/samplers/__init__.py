"""Samplers: how parameter values are proposed. All run in the engine; a seed
makes a sequential study repeat exactly."""

from __future__ import annotations

from ferrotune._ferrotune import (
    BaseSampler,
    CmaEsSampler,
    GPSampler,
    GridSampler,
    NSGAIISampler,
    QMCSampler,
    RandomSampler,
    TPESampler,
)
from ferrotune.samplers import nsgaii

__all__ = [
    "BaseSampler",
    "CmaEsSampler",
    "GPSampler",
    "GridSampler",
    "NSGAIISampler",
    "QMCSampler",
    "RandomSampler",
    "TPESampler",
    "nsgaii",
]

_NOT_YET = {"NSGAIIISampler", "BruteForceSampler"}


def __getattr__(name: str) -> object:
    if name in _NOT_YET:
        raise AttributeError(
            f"ferrotune.samplers.{name} is not available yet; this version has {', '.join(n for n in __all__[1:] if n.endswith('Sampler'))}"
        )
    raise AttributeError(f"module 'ferrotune.samplers' has no attribute '{name}'")
