"""Plots of a study with Optuna's API (``optuna.visualization.matplotlib``),
as matplotlib ``Axes``: the same plots and the same engine numbers as
``ferrotune.visualization``, drawn with matplotlib, which is imported only
when a plot is drawn::

    pip install matplotlib

Each function returns the ``Axes`` it drew on, or, for a plot of several
panels (``plot_slice`` of several parameters, ``plot_contour`` and
``plot_rank`` of more than two), a numpy array of them, as Optuna's.
Titles and axis labels are Optuna's; log-scaled parameters get a log axis,
categorical ones their labels as ticks.
"""

from __future__ import annotations

import datetime
import importlib.util
import math
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence, Union

from ferrotune.visualization import _data
from ferrotune.visualization._data import PlotDict

if TYPE_CHECKING:
    from ferrotune.importance import BaseImportanceEvaluator
    from ferrotune.study import Study
    from ferrotune.trial import FrozenTrial

__all__ = [
    "is_available",
    "plot_contour",
    "plot_edf",
    "plot_hypervolume_history",
    "plot_intermediate_values",
    "plot_optimization_history",
    "plot_parallel_coordinate",
    "plot_param_importances",
    "plot_pareto_front",
    "plot_rank",
    "plot_slice",
    "plot_timeline",
]


def is_available() -> bool:
    """Whether matplotlib is installed, so the ``plot_*`` functions can draw."""
    return importlib.util.find_spec("matplotlib") is not None


def _plt() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ImportError(
            "ferrotune.visualization.matplotlib draws with matplotlib, which is not installed: "
            "`pip install matplotlib` (or use ferrotune.visualization with `pip install plotly`)"
        ) from e
    return plt


def _np() -> Any:
    import numpy as np

    return np


def _cmap(name: str, reverse: bool) -> Any:
    plt = _plt()
    return plt.get_cmap(name + ("_r" if reverse else ""))


def _reverse_scale(data: PlotDict, has_target: bool) -> bool:
    return has_target or data.get("direction") != "maximize"


def _coords(axis: PlotDict, coords: Sequence[float]) -> list[float]:
    """Coordinates on a matplotlib axis: numbers, or a categorical
    parameter's index (the axis gets its labels as ticks)."""
    return [float(c) for c in coords]


def _set_axis(ax: Any, axis: PlotDict, which: str, label: bool = True) -> None:
    """Scale, range, ticks and label of a parameter axis (``which`` "x" or "y")."""
    set_label = getattr(ax, f"set_{which}label")
    set_lim = getattr(ax, f"set_{which}lim")
    if label:
        set_label(axis["name"])
    if _data.is_categorical(axis):
        labels = axis["labels"]
        getattr(ax, f"set_{which}ticks")(list(range(len(labels))))
        getattr(ax, f"set_{which}ticklabels")(labels)
        set_lim(-0.5, len(labels) - 0.5)
        return
    if _data.is_log(axis):
        getattr(ax, f"set_{which}scale")("log")
    lim = _data.linear_range(axis)
    if lim is not None:
        set_lim(*lim)


# ---------------------------------------------------------------- history


def plot_optimization_history(
    study: Union["Study", Sequence["Study"]],
    *,
    target: Optional[Callable[["FrozenTrial"], float]] = None,
    target_name: str = "Objective Value",
    error_bar: bool = False,
) -> Any:
    """Each complete trial's value by trial number, with the best value so
    far (several studies: a pair each, or their mean with ``error_bar``)."""
    plt = _plt()
    studies = _data.studies_of(study)
    datas = [_data.plot_data(s, "optimization_history", target=target, target_name=target_name) for s in studies]
    _, ax = plt.subplots()
    ax.set_title("Optimization History Plot")
    ax.set_xlabel("Trial")
    ax.set_ylabel(target_name)
    if error_bar:
        values = _data.history_by_number(datas)
        numbers = sorted(n for n in values if values[n][0])
        np = _np()
        means = [float(np.mean(values[n][0])) for n in numbers]
        stds = [float(np.std(values[n][0])) for n in numbers]
        ax.errorbar(numbers, means, yerr=stds, fmt="o", capsize=2, label=target_name)
        best_numbers = sorted(n for n in values if values[n][1])
        if best_numbers:
            best_means = np.array([np.mean(values[n][1]) for n in best_numbers])
            best_stds = np.array([np.std(values[n][1]) for n in best_numbers])
            ax.plot(best_numbers, best_means, color="tab:red", label="Best Value")
            ax.fill_between(best_numbers, best_means - best_stds, best_means + best_stds, color="tab:red", alpha=0.2)
        ax.legend()
        return ax
    several = len(studies) > 1
    for s, data in zip(studies, datas):
        suffix = f" of {s.study_name}" if several else ""
        feasible = [p for p in data["points"] if p["feasible"]]
        infeasible = [p for p in data["points"] if not p["feasible"]]
        ax.scatter([p["number"] for p in feasible], [p["value"] for p in feasible], label=target_name + suffix)
        best = _data.best_so_far(data)
        if best:
            ax.plot(
                [n for n, _ in best],
                [v for _, v in best],
                label="Best Value" + suffix,
                color=None if several else "tab:red",
            )
        if infeasible:
            ax.scatter([p["number"] for p in infeasible], [p["value"] for p in infeasible], color="#cccccc")
    ax.legend()
    return ax


def plot_edf(
    study: Union["Study", Sequence["Study"]],
    *,
    target: Optional[Callable[["FrozenTrial"], float]] = None,
    target_name: str = "Objective Value",
) -> Any:
    """The empirical cumulative distribution of the complete trials' values:
    one line per study."""
    plt = _plt()
    _, ax = plt.subplots()
    ax.set_title("Empirical Distribution Function Plot")
    ax.set_xlabel(target_name)
    ax.set_ylabel("Cumulative Probability")
    ax.set_ylim(0, 1)
    studies = _data.studies_of(study)
    for s in studies:
        data = _data.plot_data(s, "edf", target=target, target_name=target_name)
        ax.step([p[0] for p in data["points"]], [p[1] for p in data["points"]], where="post", label=s.study_name)
    if len(studies) >= 2:
        ax.legend()
    return ax


def plot_intermediate_values(study: "Study") -> Any:
    """The values each trial reported, by step; pruned trials dotted, the
    best trial's curve wider."""
    plt = _plt()
    data = _data.plot_data(study, "intermediate_values")
    _, ax = plt.subplots()
    ax.set_title("Intermediate Values Plot")
    ax.set_xlabel("Step")
    ax.set_ylabel("Intermediate Value")
    best = data.get("best_trial")
    for curve in sorted(data["curves"], key=lambda c: c["number"]):
        ax.plot(
            [p[0] for p in curve["points"]],
            [p[1] for p in curve["points"]],
            marker=".",
            linestyle=":" if curve["state"] == "pruned" else "-",
            linewidth=3 if curve["number"] == best else 1,
            alpha=1.0 if curve["number"] == best else 0.6,
            label=f"Trial{curve['number']}",
        )
    if len(data["curves"]) >= 2:
        ax.legend(bbox_to_anchor=(1.05, 1), loc="upper left", borderaxespad=0.0)
    return ax


# ---------------------------------------------------------------- parameters


def plot_parallel_coordinate(
    study: "Study",
    params: Optional[list[str]] = None,
    *,
    target: Optional[Callable[["FrozenTrial"], float]] = None,
    target_name: str = "Objective Value",
) -> Any:
    """One line per complete trial across an axis per parameter (the value
    first), coloured by the value."""
    plt = _plt()
    from matplotlib.collections import LineCollection

    data = _data.plot_data(
        study, "parallel_coordinate", target=target, target_name=target_name, params=_data.sorted_params(params)
    )
    _, ax = plt.subplots()
    ax.set_title("Parallel Coordinate Plot")
    lines = data["lines"]
    if not lines:
        return ax
    axes = data["axes"]
    lo_v, hi_v = data["value_range"]
    columns: list[list[float]] = [[line["value"] for line in lines]]
    ranges: list[tuple[float, float]] = [(lo_v, hi_v)]
    for i, axis in enumerate(axes):
        coords = [line["coords"][i] for line in lines]
        if _data.is_categorical(axis):
            ranges.append((0.0, float(max(len(axis["labels"]) - 1, 1))))
        elif _data.is_log(axis):
            coords = [math.log10(c) for c in coords]
            ranges.append((math.log10(axis["min"]), math.log10(axis["max"])))
        else:
            ranges.append((axis["min"], axis["max"]))
        columns.append(coords)

    def norm(x: float, r: tuple[float, float]) -> float:
        return 0.5 if r[1] <= r[0] else (x - r[0]) / (r[1] - r[0])

    segments = [[(k, norm(columns[k][j], ranges[k])) for k in range(len(columns))] for j in range(len(lines))]
    cmap = _cmap("Blues", _reverse_scale(data, target is not None))
    collection = LineCollection(segments, cmap=cmap, linewidths=1.0)
    collection.set_array(_np().array(columns[0]))
    collection.set_clim(lo_v, hi_v)
    ax.add_collection(collection)
    colorbar = plt.colorbar(collection, ax=ax, pad=0.1)
    colorbar.set_label(data["target_name"])
    ax.set_xlim(-0.1, len(columns) - 0.9)
    ax.set_ylim(-0.05, 1.05)
    ax.set_xticks(list(range(len(columns))))
    ax.set_xticklabels([data["target_name"]] + [a["name"] for a in axes], rotation=30)
    ax.set_yticks([])
    for k in range(len(columns)):
        ax.axvline(k, color="grey", linewidth=0.8)
        axis = axes[k - 1] if k > 0 else None
        ticks: list[tuple[float, Optional[str]]]
        if axis is not None and _data.is_categorical(axis):
            ticks = [(float(i), str(label)) for i, label in enumerate(axis["labels"])]
        else:
            r = ranges[k]
            ticks = [(r[0], None), (r[1], None)]
        for pos, label in ticks:
            text = (
                label if label is not None else f"{(10**pos) if axis is not None and _data.is_log(axis) else pos:.3g}"
            )
            ax.text(k, norm(pos, ranges[k]), text, fontsize=8, ha="left", va="center")
    return ax


def plot_slice(
    study: "Study",
    params: Optional[list[str]] = None,
    *,
    target: Optional[Callable[["FrozenTrial"], float]] = None,
    target_name: str = "Objective Value",
) -> Any:
    """The value against each parameter, a panel per parameter, points
    coloured by trial number; the best trial starred."""
    plt = _plt()
    data = _data.plot_data(study, "slice", target=target, target_name=target_name, params=_data.sorted_params(params))
    panels = data["panels"]
    if len(panels) <= 1:
        fig, ax = plt.subplots()
        axs = [ax]
        ax.set_title("Slice Plot")
    else:
        fig, axs_array = plt.subplots(1, len(panels), sharey=True, figsize=(3.5 * len(panels), 4))
        axs = list(axs_array)
        fig.suptitle("Slice Plot")
    best = data.get("best_trial")
    infeasible = _data.infeasible_numbers(study)
    scatter = None
    for i, panel in enumerate(panels):
        ax = axs[i]
        axis = panel["axis"]
        points = [p for p in panel["points"] if p["number"] not in infeasible]
        rejected = [p for p in panel["points"] if p["number"] in infeasible]
        if rejected:
            ax.scatter(
                [p["x"] for p in rejected], [p["value"] for p in rejected], color="#cccccc", label="Infeasible Trial"
            )
        scatter = ax.scatter(
            _coords(axis, [p["x"] for p in points]),
            [p["value"] for p in points],
            c=[p["number"] for p in points],
            cmap="Blues",
            edgecolors="grey",
            linewidths=0.5,
            label="Feasible Trial",
        )
        for p in points:
            if p["number"] == best:
                ax.scatter(
                    [p["x"]], [p["value"]], marker="*", s=200, color="red", edgecolors="black", label="Best Trial"
                )
        _set_axis(ax, axis, "x")
        if i == 0:
            ax.set_ylabel(data["target_name"])
    if scatter is not None:
        colorbar = fig.colorbar(scatter, ax=axs)
        colorbar.set_label("Trial")
    if len(panels) <= 1:
        return axs[0]
    return axs_array


def _contour_panel(
    ax: Any, panel: PlotDict, data: PlotDict, reverse: bool, labels: tuple[bool, bool], infeasible: set[int]
) -> Any:
    np = _np()
    x_axis, y_axis = panel["x"], panel["y"]
    rows = _data.grid_matrix(panel)
    z = np.array([[np.nan if v is None else v for v in row] for row in rows], dtype=float)
    cmap = _cmap("Blues", reverse)
    mappable = None
    if np.isfinite(z).any():
        levels = np.linspace(data["value_range"][0], data["value_range"][1], 12)
        if levels[0] == levels[-1]:
            levels = None
        mappable = ax.contourf(panel["grid_x"], panel["grid_y"], z, levels=levels, cmap=cmap, extend="both")
    for name, color in (("Feasible Trial", "black"), ("Infeasible Trial", "#cccccc")):
        points = [p for p in panel["points"] if (p["number"] in infeasible) == (name == "Infeasible Trial")]
        if points or name == "Feasible Trial":
            ax.scatter(
                [p["x"] for p in points],
                [p["y"] for p in points],
                color=color,
                edgecolors="grey",
                linewidths=0.5,
                s=12,
                label=name,
            )
    best = panel.get("best")
    if best is not None:
        ax.scatter([best["x"]], [best["y"]], marker="*", s=200, color="red", edgecolors="black", label="Best Trial")
    _set_axis(ax, x_axis, "x", labels[0])
    _set_axis(ax, y_axis, "y", labels[1])
    return mappable


def plot_contour(
    study: "Study",
    params: Optional[list[str]] = None,
    *,
    target: Optional[Callable[["FrozenTrial"], float]] = None,
    target_name: str = "Objective Value",
) -> Any:
    """The value over two parameters (one ``Axes``), or over every pair of
    more (an n x n array of ``Axes``), the trials and the best one marked."""
    plt = _plt()
    data = _data.contour_data(study, params, target, target_name)
    if data is None:
        _, ax = plt.subplots()
        ax.set_title("Contour Plot")
        return ax
    names = data["params"]
    reverse = _reverse_scale(data, target is not None)
    infeasible = _data.infeasible_numbers(study)
    if len(names) == 2:
        fig, ax = plt.subplots()
        ax.set_title("Contour Plot")
        mappable = _contour_panel(ax, data["panels"][0], data, reverse, (True, True), infeasible)
        if mappable is not None:
            fig.colorbar(mappable, ax=ax).set_label(data["target_name"])
        return ax
    n = len(names)
    fig, axs = plt.subplots(n, n, figsize=(2.8 * n, 2.8 * n), squeeze=False)
    fig.suptitle("Contour Plot")
    mappable = None
    for xi, x_name in enumerate(names):
        for yi, y_name in enumerate(names):
            ax = axs[yi, xi]
            if xi == yi:
                ax.set_xlabel(x_name)
                ax.set_ylabel(y_name)
                ax.axis("off")
                continue
            panel, swap = _data.panel_for(data["panels"], x_name, y_name)
            if panel is None:
                continue
            if swap:
                panel = _data.swapped(panel)
            m = _contour_panel(ax, panel, data, reverse, (True, True), infeasible)  # Optuna labels every cell
            mappable = mappable or m
    if mappable is not None:
        fig.colorbar(mappable, ax=axs).set_label(data["target_name"])
    return axs


def plot_rank(
    study: "Study",
    params: Optional[list[str]] = None,
    *,
    target: Optional[Callable[["FrozenTrial"], float]] = None,
    target_name: str = "Objective Value",
) -> Any:
    """Each pair of parameters (an n x n array of ``Axes`` for more than
    two), trials coloured by the rank of their value (blue the best)."""
    plt = _plt()
    data = _data.plot_data(study, "rank", target=target, target_name=target_name, params=params)
    axes = data["axes"]
    points = data["points"]
    cmap = _cmap("RdYlBu", True)
    title = f"Rank ({data['target_name']})"

    def draw(ax: Any, xi: int, yi: Optional[int], labels: tuple[bool, bool]) -> Any:
        have = [p for p in points if _present(p["coords"][xi]) and (yi is None or _present(p["coords"][yi]))]
        ys = [p["value"] for p in have] if yi is None else [p["coords"][yi] for p in have]
        sc = ax.scatter(
            [p["coords"][xi] for p in have],
            ys,
            c=[p["rank"] for p in have],
            cmap=cmap,
            vmin=0.0,
            vmax=1.0,
            edgecolors="grey",
            linewidths=0.5,
        )
        _set_axis(ax, axes[xi], "x", labels[0])
        if yi is None:
            ax.set_ylabel(data["target_name"])
        else:
            _set_axis(ax, axes[yi], "y", labels[1])
        return sc

    if len(axes) <= 2:
        fig, ax = plt.subplots()
        ax.set_title(title)
        if axes and points:
            sc = draw(ax, 0, 1 if len(axes) == 2 else None, (True, True))
            _rank_colorbar(fig, sc, ax, data["target_name"])
        return ax
    n = len(axes)
    fig, axs = plt.subplots(n, n, figsize=(2.8 * n, 2.8 * n), squeeze=False)
    fig.suptitle(title)
    sc = None
    for xi in range(n):
        for yi in range(n):
            ax = axs[yi, xi]
            if xi == yi:
                ax.set_xlabel(axes[xi]["name"] if yi == n - 1 else "")
                ax.set_ylabel(axes[yi]["name"] if xi == 0 else "")
                ax.axis("off")
                continue
            sc = draw(ax, xi, yi, (yi == n - 1, xi == 0))
    if sc is not None:
        _rank_colorbar(fig, sc, axs, data["target_name"])
    return axs


def _rank_colorbar(fig: Any, mappable: Any, ax: Any, title: str) -> None:
    colorbar = fig.colorbar(mappable, ax=ax)
    colorbar.set_ticks([0.0, 0.5, 1.0])
    colorbar.set_ticklabels(["best", "median", "worst"])
    colorbar.set_label(title)


def _present(c: Optional[float]) -> bool:
    return c is not None and not (isinstance(c, float) and math.isnan(c))


def plot_param_importances(
    study: "Study",
    evaluator: Optional["BaseImportanceEvaluator"] = None,
    params: Optional[list[str]] = None,
    *,
    target: Optional[Callable[["FrozenTrial"], float]] = None,
    target_name: str = "Objective Value",
) -> Any:
    """Each parameter's importance as a horizontal bar, the most important
    on top (one group of bars per objective of a multi-objective study
    without ``target``)."""
    plt = _plt()
    data = _data.importances(study, evaluator, params, target, target_name)
    _, ax = plt.subplots()
    ax.set_title("Hyperparameter Importances", loc="left")
    ax.set_xlabel("Hyperparameter Importance")
    ax.set_ylabel("Hyperparameter")
    sets = data["sets"]
    if not sets:
        return ax
    order = [name for name, _ in reversed(sets[0]["importances"])]
    height = 0.8 / len(sets)
    for k, importance_set in enumerate(sets):
        values = dict(importance_set["importances"])
        ys = [i + (k - (len(sets) - 1) / 2) * height for i in range(len(order))]
        xs = [values.get(name, 0.0) for name in order]
        bars = ax.barh(ys, xs, height=height, label=importance_set["target_name"])
        ax.bar_label(bars, labels=[f"{v:.2f}" if v >= 0.01 else "<0.01" for v in xs], padding=2, fontsize=8)
    ax.set_yticks(list(range(len(order))))
    ax.set_yticklabels(order)
    ax.legend(loc="best")
    return ax


# ---------------------------------------------------------------- several objectives


def plot_pareto_front(
    study: "Study",
    *,
    target_names: Optional[list[str]] = None,
    include_dominated_trials: bool = True,
    axis_order: Optional[list[int]] = None,
    constraints_func: Optional[Callable[["FrozenTrial"], Sequence[float]]] = None,
    targets: Optional[Callable[["FrozenTrial"], Sequence[float]]] = None,
) -> Any:
    """The complete trials in objective space (two or three objectives), the
    Pareto front ("Best Trial") apart from dominated ("Trial") and
    infeasible ones."""
    plt = _plt()
    data = _data.pareto_data(study, target_names, include_dominated_trials, axis_order, constraints_func, targets)
    names = data["objective_names"]
    n = len(data["objectives"])
    if n not in (2, 3):
        raise ValueError(f"a Pareto front shows two or three objectives, not {n}")
    points = data["points"]
    if n == 2:
        _, ax = plt.subplots()
    else:
        fig = plt.figure()
        ax = fig.add_subplot(projection="3d")
        ax.set_zlabel(names[2])
    ax.set_title("Pareto-front Plot")
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])

    def draw(selected: list[PlotDict], **style: Any) -> None:
        if not selected:
            return
        columns = [[p["values"][i] for p in selected] for i in range(n)]
        ax.scatter(*columns, **style)

    draw([p for p in points if not p["feasible"]], color="#cccccc", label="Infeasible Trial")
    if include_dominated_trials:
        draw([p for p in points if p["feasible"] and not p["on_front"]], color="tab:blue", label="Trial")
    draw([p for p in points if p["on_front"]], color="tab:red", label="Best Trial")
    if points:
        ax.legend()
    return ax


def plot_hypervolume_history(study: "Study", reference_point: Sequence[float]) -> Any:
    """The hypervolume the Pareto front encloses with ``reference_point``
    after each trial."""
    plt = _plt()
    points = _data.hypervolume_steps(study, reference_point, "plot_hypervolume_history")
    _, ax = plt.subplots()
    ax.set_title("Hypervolume History Plot")
    ax.set_xlabel("Trial")
    ax.set_ylabel("Hypervolume")
    ax.step([p[0] for p in points], [p[1] for p in points], where="post", marker="o", label="Hypervolume")
    return ax


# ---------------------------------------------------------------- time


def plot_timeline(study: "Study", n_recent_trials: Optional[int] = None) -> Any:
    """Each trial's run from start to end, a bar per trial coloured by state
    (the last ``n_recent_trials`` only, when given)."""
    plt = _plt()
    import matplotlib.dates as mdates

    if n_recent_trials is not None and n_recent_trials <= 0:
        raise ValueError("n_recent_trials must be a positive integer or None")
    data = _data.plot_data(study, "timeline", now_us=_data.now_us())
    bars = _data.recent_bars(data["bars"], n_recent_trials)
    _, ax = plt.subplots()
    ax.set_title("Timeline Plot")
    ax.set_xlabel("Datetime")
    ax.set_ylabel("Trial")
    several = _data.merged(bars)
    rows = _data.bar_rows(bars)
    position = {label: i for i, label in enumerate(rows)}
    for state, name in _data.STATE_NAMES.items():
        selected = [b for b in bars if b["state"] == state]
        if not selected:
            continue
        starts = [mdates.date2num(datetime.datetime.fromtimestamp(b["start_us"] / 1e6)) for b in selected]
        widths = [(b["end_us"] - b["start_us"]) / 1e6 / 86400.0 for b in selected]
        ys = [position[_data.bar_label(b, several)] if several else b["numbers"][0] for b in selected]
        ax.barh(ys, widths, left=starts, color=_data.STATE_COLORS[name], label=name)
    ax.xaxis_date()
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    if several:
        ax.set_yticks(list(range(len(rows))))
        ax.set_yticklabels([str(r) for r in rows])
    if bars:
        ax.legend()
    return ax
