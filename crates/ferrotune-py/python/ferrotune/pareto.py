"""Several objectives: the exact hypervolume, each point's contribution to
it, non-domination ranks and crowding distances, computed by the engine
(``ferrotune::pareto``), and a study's hypervolume after each trial.

Points are in loss space: every objective minimized (negate the ones a
study maximizes first; :func:`hypervolume_history` does it from the study's
directions). Points may be a list of lists or a 2-D numpy array; a point
with another number of values than the reference point's, or with NaN, is
a ``ValueError`` naming it.

Optuna keeps its hypervolume private (``optuna._hypervolume.compute_hypervolume``,
which ``ferrotune._hypervolume`` provides with its behaviour); these are
public. Two and three objectives take O(n log n), more the WFG algorithm;
10,000 points on a 3-objective front take a few milliseconds
(``bench/README.md``, "Hypervolume and non-dominated sorting").

::

    from ferrotune.pareto import hypervolume

    hypervolume([[1.0, 2.0], [2.0, 1.0]], reference_point=[3.0, 3.0])  # 3.0
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from ferrotune import _ferrotune
from ferrotune.trial import TrialState

if TYPE_CHECKING:
    from ferrotune.study import Study

__all__ = [
    "crowding_distances",
    "hypervolume",
    "hypervolume_contributions",
    "hypervolume_history",
    "non_domination_ranks",
]


def _rows(points: Any) -> list[list[float]]:
    # A numpy array converts far faster through tolist() than row by row.
    points = points.tolist() if hasattr(points, "tolist") else list(points)
    if points and not isinstance(points[0], (list, tuple)) and not hasattr(points[0], "__len__"):
        raise ValueError("points must be a sequence of points, each a sequence of one value per objective")
    return [[float(v) for v in point] for point in points]


def _reference(reference_point: Any) -> list[float]:
    if hasattr(reference_point, "tolist"):
        reference_point = reference_point.tolist()
    return [float(v) for v in reference_point]


def hypervolume(points: Any, reference_point: Sequence[float]) -> float:
    """The volume of the union of the boxes ``[p, reference_point]``, exactly.

    A point not strictly better than the reference in every objective adds
    nothing; the volume is infinite when a point inside has ``-inf`` or the
    reference ``+inf``. No points: 0."""
    return _ferrotune._hypervolume(_rows(points), _reference(reference_point))


def hypervolume_contributions(points: Any, reference_point: Sequence[float]) -> list[float]:
    """Each point's exclusive contribution: the hypervolume lost when it
    alone is removed. Dominated points, points outside the reference and
    equal copies of one point (each covers the other) contribute 0."""
    return _ferrotune._hypervolume_contributions(_rows(points), _reference(reference_point))


def non_domination_ranks(points: Any) -> list[int]:
    """Each point's non-domination rank: 0 on the Pareto front, 1 on the
    front once rank 0 is removed, and so on; equal points share a rank."""
    return _ferrotune._non_domination_ranks(_rows(points))


def crowding_distances(points: Any) -> list[float]:
    """NSGA-II's crowding distance of each point among ``points`` (one
    front): the sum over objectives of the gap between its neighbours,
    divided by the objective's range; the ends of each objective get
    ``inf``."""
    return _ferrotune._crowding_distances(_rows(points))


def hypervolume_history(study: "Study", reference_point: Sequence[float]) -> list[tuple[int, float]]:
    """``(trial number, hypervolume)`` after each complete trial of a study
    of several objectives, in trial order: the hypervolume of the front of
    the feasible complete trials so far (a trial that violates a constraint
    or has an infinite or NaN value leaves it as it was), with
    ``reference_point`` in the objectives' own terms (maximized ones are
    negated with it), as ``plot_hypervolume_history`` draws it."""
    from ferrotune.visualization import _data

    # The engine gives the steps (the trials that changed it); each complete
    # trial in between has the volume of the step before it.
    steps = dict(_data.hypervolume_steps(study, reference_point, "hypervolume_history"))
    history: list[tuple[int, float]] = []
    volume = 0.0
    for trial in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        volume = steps.get(trial.number, volume)
        history.append((trial.number, volume))
    return history
