"""Optuna's private ``optuna._hypervolume.compute_hypervolume``, for code
that reached into it; ``ferrotune.pareto.hypervolume`` is the public one."""

from __future__ import annotations

import math
from typing import Any

from ferrotune.pareto import _reference, _rows, hypervolume

__all__ = ["compute_hypervolume"]


def compute_hypervolume(loss_vals: Any, reference_point: Any, assume_pareto: bool = False) -> float:
    """The hypervolume of ``loss_vals`` (every objective minimized) up to
    ``reference_point``. As Optuna's, every point must be no worse than the
    reference in every objective, and a reference with an infinite value
    gives ``inf``; ``assume_pareto`` changes nothing but speed in Optuna's
    and nothing at all here."""
    points = _rows(loss_vals)
    reference = _reference(reference_point)
    for i, point in enumerate(points):
        # (a point of another width is named by hypervolume() below)
        if len(point) == len(reference) and any(not v <= r for v, r in zip(point, reference)):
            raise ValueError(
                f"every point must be no worse than reference_point in every objective "
                f"(loss_vals[i] <= reference_point[i]); point {i}, {point}, is not (reference {reference})"
            )
    volume = hypervolume(points, reference)  # checks the shapes
    return volume if all(math.isfinite(r) for r in reference) else math.inf
