"""The numbers behind the plots, from the engine, shared by the plotly and
the matplotlib painters.

The engine (``ferrotune::plot``) chooses the trials, computes bests, fronts,
contour grids, ranks and importances, and thins large studies; this module
asks it for one plot's data (a dict, the engine's JSON) and offers the small
conversions both painters need (axis values, labels).
"""

from __future__ import annotations

import json
import math
import time
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence

from ferrotune import _ferrotune
from ferrotune import logging as _ft_logging
from ferrotune.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from ferrotune.study import Study

PlotDict = dict[str, Any]

_logger = _ft_logging.get_logger("ferrotune.visualization")

# Optuna's names of the trial states, for legends (the engine's are lowercase).
STATE_NAMES = {
    "complete": "COMPLETE",
    "pruned": "PRUNED",
    "failed": "FAIL",
    "running": "RUNNING",
    "waiting": "WAITING",
}
STATE_COLORS = {
    "COMPLETE": "blue",
    "FAIL": "red",
    "PRUNED": "orange",
    "RUNNING": "green",
    "WAITING": "gray",
}


def target_values(study: "Study", target: Optional[Callable[[FrozenTrial], float]]) -> Optional[dict[int, float]]:
    """The user's ``target`` evaluated here, once per complete trial, so the
    engine needs no callback into Python."""
    if target is None:
        return None
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    return {t.number: float(target(t)) for t in complete}


def metric_names(study: "Study") -> Optional[list[str]]:
    """The objectives' names, where the study has them (Optuna's
    ``set_metric_names``)."""
    names = getattr(study, "metric_names", None)
    return list(names) if names else None


def plot_data(
    study: "Study",
    kind: str,
    *,
    target: Optional[Callable[[FrozenTrial], float]] = None,
    target_name: Optional[str] = None,
    **options: Any,
) -> PlotDict:
    """The engine's data for one plot of ``study``; ``options`` as the
    engine's ``PlotOptions`` (``params``, ``objectives``, ...)."""
    if target is None and len(study.directions) > 1 and kind not in _MULTI_OBJECTIVE_KINDS:
        raise ValueError("If the `study` is being used for multi-objective optimization, please specify the `target`.")
    if target_name is not None:
        options["target_name"] = target_name
    if "objective_names" not in options:
        options["objective_names"] = metric_names(study)
    if "params" in options and options["params"] is not None:
        options["params"] = [str(p) for p in options["params"]]
    text = _ferrotune._plot_data(study, kind, json.dumps(options), target_values(study, target))
    data: PlotDict = json.loads(text)
    if target is not None:
        _forget_best(data)
    return data


def _forget_best(data: PlotDict) -> None:
    # As Optuna: no best value for a user's target, since which way it is
    # better is unknown (it need not follow the study's direction).
    if "best" in data and isinstance(data["best"], list):
        data["best"] = []
    if "best_trial" in data:
        data["best_trial"] = None
    for panel in data.get("panels", []):
        if "best" in panel:
            panel["best"] = None


def sorted_params(params: Optional[Sequence[str]]) -> Optional[list[str]]:
    """The parameters asked for, by name, as Optuna's slice, contour and
    parallel-coordinate plots order them (its rank plot keeps the order
    given)."""
    return None if params is None else sorted(set(params))


def infeasible_numbers(study: "Study") -> set[int]:
    """The complete trials that violate a constraint (the engine's slice
    and contour points do not say)."""
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    return {t.number for t in complete if any(c > 0.0 for c in t.constraints.values())}


def contour_data(
    study: "Study",
    params: Optional[list[str]],
    target: Optional[Callable[[FrozenTrial], float]],
    target_name: str,
) -> Optional[PlotDict]:
    """The contour's data, or None (with Optuna's warning) where there is
    nothing to draw: fewer than two parameters among the complete trials."""
    if params is None or len(params) >= 2:
        try:
            return plot_data(study, "contour", target=target, target_name=target_name, params=sorted_params(params))
        except ValueError as e:
            if "two parameters or more" not in str(e):
                raise
    _logger.warning("Your study has only completed trials with less than 2 parameters: the contour plot is empty.")
    return None


_MULTI_OBJECTIVE_KINDS = {"pareto_front", "hypervolume_history", "timeline", "intermediate_values", "param_importances"}


def now_us() -> int:
    """Now, in Unix microseconds (where running trials end on a timeline)."""
    return int(time.time() * 1e6)


def is_log(axis: PlotDict) -> bool:
    return axis["type"] == "numeric" and bool(axis["log"])


def is_categorical(axis: PlotDict) -> bool:
    return axis["type"] == "categorical"


def axis_values(axis: PlotDict, coords: Sequence[Optional[float]]) -> list[Any]:
    """Coordinates as a figure shows them: numbers, or a categorical
    parameter's labels (None where a trial lacks the parameter)."""
    if not is_categorical(axis):
        return [None if c is None else c for c in coords]
    labels = axis["labels"]
    return [None if c is None or (isinstance(c, float) and math.isnan(c)) else labels[int(c)] for c in coords]


def padded_range(axis: PlotDict, pad: float = 0.05) -> Optional[tuple[float, float]]:
    """A numeric axis's range with ``pad`` of its width on each side (in
    log10 space for a log axis, as plotly takes it); None for a
    categorical one."""
    if is_categorical(axis):
        return None
    lo, hi = float(axis["min"]), float(axis["max"])
    if is_log(axis):
        lo, hi = math.log10(lo), math.log10(hi)
    width = hi - lo if hi > lo else (abs(lo) * 0.1 or 1.0)
    return lo - pad * width, hi + pad * width


def linear_range(axis: PlotDict, pad: float = 0.05) -> Optional[tuple[float, float]]:
    """``padded_range`` in the parameter's own units (for matplotlib)."""
    r = padded_range(axis, pad)
    if r is None:
        return None
    return (10 ** r[0], 10 ** r[1]) if is_log(axis) else r


def grid_matrix(panel: PlotDict) -> list[list[Optional[float]]]:
    """A contour panel's cell values as rows (one per ``grid_y``)."""
    nx = len(panel["grid_x"])
    z = panel["z"]
    return [z[row * nx : (row + 1) * nx] for row in range(len(panel["grid_y"]))]


def panel_for(panels: Sequence[PlotDict], x: str, y: str) -> tuple[Optional[PlotDict], bool]:
    """The contour (or rank) panel of the pair ``x`` across, ``y`` up, and
    whether it is stored the other way round (then swap its axes)."""
    for panel in panels:
        if panel["x"]["name"] == x and panel["y"]["name"] == y:
            return panel, False
        if panel["x"]["name"] == y and panel["y"]["name"] == x:
            return panel, True
    return None, False


def swapped(panel: PlotDict) -> PlotDict:
    """A contour panel with its axes exchanged (grid transposed)."""
    rows = grid_matrix(panel)
    transposed = [list(col) for col in zip(*rows)] if rows else []
    points = [dict(p, x=p["y"], y=p["x"]) for p in panel["points"]]
    best = panel.get("best")
    return dict(
        panel,
        x=panel["y"],
        y=panel["x"],
        grid_x=panel["grid_y"],
        grid_y=panel["grid_x"],
        z=[v for row in transposed for v in row],
        points=points,
        best=None if best is None else dict(best, x=best["y"], y=best["x"]),
    )


def studies_of(study: Any) -> list["Study"]:
    """One study or a sequence of them (``plot_optimization_history`` and
    ``plot_edf`` take either)."""
    from ferrotune.study import Study

    if isinstance(study, Study):
        return [study]
    studies = list(study)
    if not all(isinstance(s, Study) for s in studies):
        raise TypeError("study must be a Study or a sequence of Study objects")
    return studies


def importance_options(evaluator: Any) -> Optional[dict[str, Any]]:
    """The engine options for ``evaluator`` when the engine's plot can
    compute its importances itself (an engine evaluator with the settings
    the plot's evaluator takes); None when the evaluator has to be called
    (custom settings, or a user's evaluator)."""
    from ferrotune import importance as imp

    if evaluator is None:
        return {"evaluator": "ped_anova"}
    if type(evaluator) is imp.PedAnovaImportanceEvaluator:
        defaults = (0.1, 1.0, True)
        settings = (evaluator._target_quantile, evaluator._region_quantile, evaluator._evaluate_on_local)
        return {"evaluator": "ped_anova"} if settings == defaults else None
    if type(evaluator) in (imp.FanovaImportanceEvaluator, imp.MeanDecreaseImpurityImportanceEvaluator):
        if (evaluator._n_trees, evaluator._max_depth, evaluator._log_scale) != (64, 64, True):
            return None
        kind = "fanova" if isinstance(evaluator, imp.FanovaImportanceEvaluator) else "mdi"
        return {"evaluator": kind, "seed": evaluator._seed}
    return None


def importances(
    study: "Study",
    evaluator: Any,
    params: Optional[list[str]],
    target: Optional[Callable[[FrozenTrial], float]],
    target_name: str,
) -> PlotDict:
    """Importance sets in the engine's shape (``{"sets": [{"target_name",
    "importances": [[name, value], ...]}]}``), from the engine's plot data,
    or from ``get_param_importances`` with the user's evaluator."""
    n = len(study.directions)
    # Optuna's names: each objective's metric name, or "Objective Value 0", ...
    names = metric_names(study) or [f"{target_name} {i}" for i in range(n)]
    options = importance_options(evaluator)
    if options is not None:
        if target is None and n > 1:
            options["objective_names"] = names
        if target is not None:
            # A target is judged as get_param_importances judges it: lower is
            # better, whatever the study's direction (as Optuna's).
            options["target_direction"] = "minimize"
        return plot_data(study, "param_importances", target=target, target_name=target_name, params=params, **options)
    from ferrotune.importance import get_param_importances

    if target is not None or n == 1:
        judged: list[tuple[str, Optional[Callable[[FrozenTrial], float]]]] = [(target_name, target)]
    else:
        judged = [(names[i], _objective_loss(i, d)) for i, d in enumerate(study.directions)]
    sets: list[PlotDict] = []
    for name, judged_target in judged:
        values = get_param_importances(study, evaluator=evaluator, params=params, target=judged_target)
        ranked = sorted(values.items(), key=lambda kv: -kv[1])
        sets.append({"target_name": name, "importances": [list(kv) for kv in ranked]})
    return {"kind": "param_importances", "sets": sets}


def _objective_loss(i: int, direction: Any) -> Callable[[FrozenTrial], float]:
    """Objective ``i`` as a loss (lower better), how a target is judged
    in a study of several objectives."""
    from ferrotune.study import StudyDirection

    sign = -1.0 if direction == StudyDirection.MAXIMIZE else 1.0

    def value(t: FrozenTrial) -> float:
        values = t.values
        assert values is not None  # complete trials have values
        return sign * float(values[i])

    return value


def dominates(a: Sequence[float], b: Sequence[float], signs: Sequence[float]) -> bool:
    """Whether ``a`` dominates ``b`` (``signs``: +1 to minimize, -1 to maximize)."""
    no_worse = all(s * x <= s * y for x, y, s in zip(a, b, signs))
    return no_worse and any(s * x < s * y for x, y, s in zip(a, b, signs))


def pareto_in_python(
    study: "Study",
    target_names: Optional[list[str]],
    include_dominated_trials: bool,
    axis_order: Optional[list[int]],
    constraints_func: Optional[Callable[[FrozenTrial], Sequence[float]]],
    targets: Optional[Callable[[FrozenTrial], Sequence[float]]],
) -> PlotDict:
    """A Pareto front computed here, in the engine's shape, for what the
    engine cannot take: ``targets`` (several values per trial from Python)
    and ``constraints_func`` (feasibility from Python). Not thinned."""
    from ferrotune.study import StudyDirection

    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    rows: list[tuple[int, list[float], bool]] = []
    for t in trials:
        raw = targets(t) if targets is not None else t.values
        values = [float(v) for v in (raw if raw is not None else ())]
        if not all(math.isfinite(v) for v in values):
            continue
        if constraints_func is not None:
            feasible = all(float(c) <= 0.0 for c in constraints_func(t))
        else:
            feasible = all(float(c) <= 0.0 for c in t.constraints.values())
        rows.append((t.number, values, feasible))
    n = len(rows[0][1]) if rows else (len(study.directions) if targets is None else 2)
    if targets is None:
        signs = [1.0 if d == StudyDirection.MINIMIZE else -1.0 for d in study.directions]
    elif len(study.directions) == n:
        signs = [1.0 if d == StudyDirection.MINIMIZE else -1.0 for d in study.directions]
    else:
        signs = [1.0] * n
    feasible_rows = [r for r in rows if r[2]]
    points: list[PlotDict] = []
    for number, values, feasible in rows:
        on_front = feasible and not any(dominates(o[1], values, signs) for o in feasible_rows)
        if on_front or include_dominated_trials:
            points.append({"number": number, "values": values, "on_front": on_front, "feasible": feasible})
    objectives = list(axis_order) if axis_order is not None else list(range(min(n, 3)))
    names = target_names or metric_names(study) or [f"Objective {i}" for i in range(n)]
    for p in points:
        p["values"] = [p["values"][i] for i in objectives]
    return {
        "kind": "pareto_front",
        "objectives": objectives,
        "objective_names": [names[i] for i in objectives],
        "directions": ["minimize" if signs[i] > 0 else "maximize" for i in objectives],
        "points": points,
        "n_total": len(rows),
        "n_front": sum(p["on_front"] for p in points),
    }


def pareto_data(
    study: "Study",
    target_names: Optional[list[str]],
    include_dominated_trials: bool,
    axis_order: Optional[list[int]],
    constraints_func: Optional[Callable[[FrozenTrial], Sequence[float]]],
    targets: Optional[Callable[[FrozenTrial], Sequence[float]]],
) -> PlotDict:
    """The Pareto front's data: the engine's, or computed here for
    ``targets`` and ``constraints_func``."""
    if targets is not None or constraints_func is not None:
        return pareto_in_python(study, target_names, include_dominated_trials, axis_order, constraints_func, targets)
    n = len(study.directions)
    if n == 1:
        raise ValueError("`plot_pareto_front` needs a study of two or three objectives (or `targets`)")
    if axis_order is not None:
        if sorted(axis_order) != list(range(n)) or n > 3:
            raise ValueError(f"axis_order must be a permutation of range({n}), got {axis_order!r}")
    if target_names is not None and len(target_names) != n:
        raise ValueError(f"target_names must have one name per objective ({n}), got {len(target_names)}")
    return plot_data(
        study,
        "pareto_front",
        objectives=list(axis_order) if axis_order is not None else None,
        include_dominated=include_dominated_trials,
        objective_names=target_names if target_names is not None else metric_names(study),
    )


def history_by_number(datas: Sequence[PlotDict]) -> dict[int, tuple[list[float], list[float]]]:
    """For error bars over several studies' histories: per trial number,
    the studies' values and their best values so far."""
    out: dict[int, tuple[list[float], list[float]]] = {}
    for data in datas:
        best_line = sorted((p["number"], p["value"]) for p in data["best"])
        k, best = 0, None
        for p in sorted(data["points"], key=lambda p: p["number"]):
            while k < len(best_line) and best_line[k][0] <= p["number"]:
                best = best_line[k][1]
                k += 1
            values, bests = out.setdefault(p["number"], ([], []))
            if p["feasible"]:
                values.append(p["value"])
            if best is not None:
                bests.append(best)
    return out


def best_so_far(data: PlotDict) -> list[tuple[int, float]]:
    """The optimization history's best value at each trial shown, from the
    first feasible one on (the engine gives the line's corners: each
    improvement and the last trial)."""
    corners = sorted((p["number"], p["value"]) for p in data["best"])
    if not corners:
        return []
    numbers = sorted({p["number"] for p in data["points"]} | {n for n, _ in corners})
    out: list[tuple[int, float]] = []
    k, best = 0, None
    for n in numbers:
        while k < len(corners) and corners[k][0] <= n:
            best = corners[k][1]
            k += 1
        if best is not None:
            out.append((n, best))
    return out


def hypervolume_steps(study: "Study", reference_point: Any, caller: str) -> list[tuple[int, float]]:
    """The hypervolume history's steps: ``(trial number, hypervolume)`` for
    each trial that changed the front's hypervolume with ``reference_point``
    (in the objectives' own terms), in trial order. ``caller`` names the
    function in the errors for a study of one objective or a reference of
    another width."""
    if len(study.directions) < 2:
        raise ValueError(f"`{caller}` needs a study of several objectives")
    if hasattr(reference_point, "tolist"):
        reference_point = reference_point.tolist()
    reference = [float(v) for v in reference_point]
    if len(reference) != len(study.directions):
        raise ValueError(
            f"reference_point must have one value per objective ({len(study.directions)}), got {len(reference)}"
        )
    data = plot_data(study, "hypervolume_history", reference_point=reference, objectives=list(range(len(reference))))
    return [(int(number), float(volume)) for number, volume in data["points"]]


def recent_bars(bars: Sequence[PlotDict], n_recent_trials: Optional[int]) -> list[PlotDict]:
    """The timeline's bars of the last ``n_recent_trials`` trials (all with None)."""
    if n_recent_trials is None or not bars:
        return list(bars)
    last = max(b["numbers"][1] for b in bars)
    return [b for b in bars if b["numbers"][1] > last - n_recent_trials]


def merged(bars: Sequence[PlotDict]) -> bool:
    """Whether some timeline bar stands for several trials (a thinned study)."""
    return any(b["numbers"][0] != b["numbers"][1] for b in bars)


def bar_label(bar: PlotDict, several: bool) -> Any:
    """A timeline bar's place on the trial axis: its trial number, or the
    run of trials a row of a thinned study holds."""
    first, last = bar["numbers"]
    if not several:
        return first
    return f"{first}" if first == last else f"{first}-{last}"


def bar_rows(bars: Sequence[PlotDict]) -> list[Any]:
    """The labels of the timeline's rows, in order."""
    several = merged(bars)
    rows: dict[int, Any] = {}
    for b in bars:
        rows.setdefault(b["row"], bar_label(b, several))
    return [rows[r] for r in sorted(rows)]


def bar_text(bar: PlotDict, state_name: str) -> str:
    first, last = bar["numbers"]
    who = f"Trial {first}" if first == last else f"Trials {first}-{last}"
    return f"{who}: {state_name}, {(bar['end_us'] - bar['start_us']) / 1e6:.3g} s"
