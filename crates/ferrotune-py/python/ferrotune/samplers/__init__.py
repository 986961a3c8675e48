"""Samplers: how parameter values are proposed. The built-in ones run in the
engine, where a seed makes a sequential study repeat exactly; a Python
subclass of ``BaseSampler`` is a sampler of its own, as in Optuna."""

from __future__ import annotations

from ferrotune._ferrotune import (
    BaseSampler,
    BruteForceSampler,
    CmaEsSampler,
    GPSampler,
    GridSampler,
    NSGAIIISampler,
    NSGAIISampler,
    PartialFixedSampler,
    QMCSampler,
    RandomSampler,
    TPESampler,
)
from ferrotune.samplers import nsgaii

__all__ = [
    "BaseSampler",
    "BruteForceSampler",
    "CmaEsSampler",
    "GPSampler",
    "GridSampler",
    "NSGAIIISampler",
    "NSGAIISampler",
    "PartialFixedSampler",
    "QMCSampler",
    "RandomSampler",
    "TPESampler",
    "nsgaii",
]
