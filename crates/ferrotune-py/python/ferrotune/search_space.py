"""The search space trials share: ``intersection_search_space`` and
``IntersectionSearchSpace``, as user-defined samplers use them to pick the
parameters they model jointly.

The intersection is the engine's (the one CMA-ES and NSGA-II sample), so
Python and the engine never disagree about it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Optional

from ferrotune import _ferrotune
from ferrotune.distributions import BaseDistribution
from ferrotune.trial import FrozenTrial

if TYPE_CHECKING:
    from ferrotune.study import Study


def intersection_search_space(
    trials: Iterable[FrozenTrial], include_pruned: bool = False
) -> dict[str, BaseDistribution]:
    """The parameters every complete trial among ``trials`` has with the same
    distribution (pruned ones count too with ``include_pruned``), sorted by
    name. A parameter some such trial lacks, or suggested with another
    distribution, is left out; running, waiting and failed trials do not
    count. Empty when no trial counts."""
    return _ferrotune._intersection_search_space(list(trials), include_pruned)


class IntersectionSearchSpace:
    """:func:`intersection_search_space` of one study's trials, as a class
    (Optuna's interface). ``calculate`` reads the study's trials each time;
    the engine's trial cache makes that cheap, so ``use_cache`` changes
    nothing. One instance serves one study, as in Optuna."""

    def __init__(self, include_pruned: bool = False) -> None:
        self._include_pruned = include_pruned
        self._study_key: Optional[tuple[Any, ...]] = None

    def calculate(self, study: "Study", use_cache: bool = False) -> dict[str, BaseDistribution]:
        """The intersection search space of ``study``'s trials, sorted by name."""
        del use_cache
        key = (id(study._storage), study._study_id)
        if self._study_key is None:
            self._study_key = key
        elif self._study_key != key:
            raise ValueError("an IntersectionSearchSpace serves one study; it was given another")
        return intersection_search_space(study.get_trials(deepcopy=False), self._include_pruned)


__all__ = ["IntersectionSearchSpace", "intersection_search_space"]
