"""Samplers: how parameter values are proposed. All run in the engine; a seed
makes a sequential study repeat exactly."""

from __future__ import annotations

from ferrotune._ferrotune import (
    BaseSampler,
    CmaEsSampler,
    GPSampler,
    GridSampler,
    QMCSampler,
    RandomSampler,
    TPESampler,
)

__all__ = ["BaseSampler", "CmaEsSampler", "GPSampler", "GridSampler", "QMCSampler", "RandomSampler", "TPESampler"]

_NOT_YET = {"NSGAIISampler", "BruteForceSampler"}


def __getattr__(name: str) -> object:
    if name in _NOT_YET:
        raise AttributeError(
            f"ferrotune.samplers.{name} is not available yet; this version has {', '.join(__all__[1:])}"
        )
    raise AttributeError(f"module 'ferrotune.samplers' has no attribute '{name}'")
