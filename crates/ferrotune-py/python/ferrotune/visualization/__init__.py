"""Plots of a study with Optuna's API (``optuna.visualization``), as plotly
figures; ``ferrotune.visualization.matplotlib`` draws the same plots with
matplotlib.

The numbers come from the engine (``ferrotune::plot``, the same data the
command line's plots and the dashboard draw): which trials count, best values, Pareto
fronts, contour grids, ranks and importances. Large studies are thinned
there to at most 2,000 points per plot (keeping the best trial, every
improvement, the front and each stretch's extremes), so a figure of 100,000
trials stays small. plotly is imported only when a plot is drawn::

    pip install plotly

The figures follow Optuna's layout (titles, trace names such as
"Objective Value", "Best Value" and "Infeasible Trial", parameters in name
order, log axes for log-scaled parameters, category axes for categorical
ones, the cells of a contour matrix), so code that reads or restyles
Optuna's figures keeps working; a test compares them with Optuna's on the
same trials. Deliberate differences:

* ``plot_parallel_coordinate`` draws one ``go.Parcoords`` trace (as Optuna
  before 5.0; Optuna 5 draws a line trace per trial);
* ``plot_contour`` fills its grid with binned means of the trials (the
  engine's, cheap at any study size) rather than Optuna's interpolation;
* ``plot_slice`` and ``plot_contour`` add a "Best Trial" marker trace (none
  for a user's ``target``), and ``plot_intermediate_values`` draws the best
  trial's curve wider and pruned trials' curves dotted;
* ``plot_edf`` steps at each value (Optuna samples 100 points), and
  ``plot_hypervolume_history`` steps through the trials that changed it;
* ``plot_param_importances`` of several objectives judges each in its own
  direction (Optuna ranks every objective as if minimized);
* ``plot_rank`` carries its colour bar on the points' trace;
* ``plot_pareto_front`` with ``targets`` or ``constraints_func`` computes
  the front here, in Python (not thinned); it also takes ``axis_order``
  (Optuna before 5.0).
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
    "matplotlib",
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

# plotly's sequential Blues, as Optuna colours trials.
COLOR_SCALE = [
    [0.0, "rgb(247,251,255)"],
    [0.125, "rgb(222,235,247)"],
    [0.25, "rgb(198,219,239)"],
    [0.375, "rgb(158,202,225)"],
    [0.5, "rgb(107,174,214)"],
    [0.625, "rgb(66,146,198)"],
    [0.75, "rgb(33,113,181)"],
    [0.875, "rgb(8,81,156)"],
    [1.0, "rgb(8,48,107)"],
]
BEST_MARKER = {"symbol": "star", "size": 14, "color": "red", "line": {"width": 1, "color": "black"}}


def is_available() -> bool:
    """Whether plotly is installed, so the ``plot_*`` functions can draw."""
    return importlib.util.find_spec("plotly") is not None


def _go() -> Any:
    try:
        import plotly.graph_objects as go
    except ImportError as e:
        raise ImportError(
            "ferrotune.visualization draws with plotly, which is not installed: `pip install plotly` "
            "(or use ferrotune.visualization.matplotlib with `pip install matplotlib`)"
        ) from e
    return go


def _make_subplots(**kwargs: Any) -> Any:
    _go()
    from plotly.subplots import make_subplots

    return make_subplots(**kwargs)


def _reverse_scale(data: PlotDict, has_target: bool) -> bool:
    # Optuna's convention: the colour scale is reversed for a target or a
    # minimized objective, so the best trials are the darkest.
    return has_target or data.get("direction") != "maximize"


def _axis_update(axis: PlotDict) -> dict[str, Any]:
    """plotly axis settings for a parameter axis: title, type, range."""
    update: dict[str, Any] = {"title_text": axis["name"]}
    if _data.is_categorical(axis):
        update["type"] = "category"
    else:
        update["range"] = _data.padded_range(axis)
        if _data.is_log(axis):
            update["type"] = "log"
    return update


# ---------------------------------------------------------------- history


def plot_optimization_history(
    study: Union["Study", Sequence["Study"]],
    *,
    target: Optional[Callable[["FrozenTrial"], float]] = None,
    target_name: str = "Objective Value",
    error_bar: bool = False,
) -> Any:
    """Each complete trial's value by trial number, with the best value so
    far. ``study`` may be a list of studies: one pair of traces each, or with
    ``error_bar`` their mean and standard deviation."""
    go = _go()
    studies = _data.studies_of(study)
    layout = go.Layout(title="Optimization History Plot", xaxis={"title": "Trial"}, yaxis={"title": target_name})
    datas = [_data.plot_data(s, "optimization_history", target=target, target_name=target_name) for s in studies]
    figure = go.Figure(layout=layout)
    if error_bar:
        _history_error_bar(go, figure, datas, target_name)
        return figure
    several = len(studies) > 1
    for s, data in zip(studies, datas):
        suffix = f" of {s.study_name}" if several else ""
        feasible = [p for p in data["points"] if p["feasible"]]
        infeasible = [p for p in data["points"] if not p["feasible"]]
        figure.add_trace(
            go.Scatter(
                x=[p["number"] for p in feasible],
                y=[p["value"] for p in feasible],
                mode="markers",
                name=target_name + suffix,
            )
        )
        best = _data.best_so_far(data)
        if best:
            figure.add_trace(
                go.Scatter(x=[n for n, _ in best], y=[v for _, v in best], mode="lines", name="Best Value" + suffix)
            )
        figure.add_trace(
            go.Scatter(
                x=[p["number"] for p in infeasible],
                y=[p["value"] for p in infeasible],
                mode="markers",
                name="Infeasible Trial",
                marker={"color": "#cccccc"},
                showlegend=False,
            )
        )
    figure.update_layout(showlegend=True)
    return figure


def _history_error_bar(go: Any, figure: Any, datas: list[PlotDict], target_name: str) -> None:
    values = _data.history_by_number(datas)
    numbers = sorted(n for n in values if values[n][0])
    means = [_mean(values[n][0]) for n in numbers]
    stds = [_std(values[n][0]) for n in numbers]
    figure.add_trace(
        go.Scatter(
            x=numbers,
            y=means,
            error_y={"type": "data", "array": stds, "visible": True},
            mode="markers",
            name=target_name,
        )
    )
    best_numbers = sorted(n for n in values if values[n][1])
    if best_numbers:
        best_means = [_mean(values[n][1]) for n in best_numbers]
        best_stds = [_std(values[n][1]) for n in best_numbers]
        figure.add_trace(go.Scatter(x=best_numbers, y=best_means, mode="lines", name="Best Value"))
        figure.add_trace(
            go.Scatter(
                x=best_numbers,
                y=[m + s for m, s in zip(best_means, best_stds)],
                mode="lines",
                line={"color": "rgba(255,255,255,0)"},
                showlegend=False,
            )
        )
        figure.add_trace(
            go.Scatter(
                x=best_numbers,
                y=[m - s for m, s in zip(best_means, best_stds)],
                mode="none",
                fill="tonexty",
                fillcolor="rgba(255,0,0,0.2)",
                showlegend=False,
            )
        )
    figure.update_layout(showlegend=True)


def _mean(xs: Sequence[float]) -> float:
    return sum(xs) / len(xs)


def _std(xs: Sequence[float]) -> float:
    m = _mean(xs)
    return math.sqrt(sum((x - m) ** 2 for x in xs) / len(xs))


def plot_edf(
    study: Union["Study", Sequence["Study"]],
    *,
    target: Optional[Callable[["FrozenTrial"], float]] = None,
    target_name: str = "Objective Value",
) -> Any:
    """The empirical cumulative distribution of the complete trials' values:
    one line per study."""
    go = _go()
    studies = _data.studies_of(study)
    layout = go.Layout(
        title="Empirical Distribution Function Plot",
        xaxis={"title": target_name},
        yaxis={"title": "Cumulative Probability"},
    )
    traces = []
    for s in studies:
        data = _data.plot_data(s, "edf", target=target, target_name=target_name)
        points = data["points"]
        traces.append(
            go.Scatter(
                x=[p[0] for p in points], y=[p[1] for p in points], name=s.study_name, mode="lines", line_shape="hv"
            )
        )
    return go.Figure(data=traces, layout=layout)


def plot_intermediate_values(study: "Study") -> Any:
    """The values each trial reported, by step (learning curves); pruned
    trials' curves dotted, the best trial's wider."""
    go = _go()
    data = _data.plot_data(study, "intermediate_values")
    layout = go.Layout(
        title="Intermediate Values Plot",
        xaxis={"title": "Step"},
        yaxis={"title": "Intermediate Value"},
        showlegend=False,
    )
    best = data.get("best_trial")
    curves = sorted(data["curves"], key=lambda c: c["number"])  # Optuna's order: fig.data[i] is a trial's
    traces = []
    for curve in curves:
        line: dict[str, Any] = {}
        if curve["state"] == "pruned":
            line["dash"] = "dot"
        if curve["number"] == best:
            line["width"] = 3
        traces.append(
            go.Scatter(
                x=[p[0] for p in curve["points"]],
                y=[p[1] for p in curve["points"]],
                mode="lines+markers",
                marker={"maxdisplayed": 10},
                line=line,
                name=f"Trial{curve['number']}",
            )
        )
    return go.Figure(data=traces, layout=layout)


# ---------------------------------------------------------------- parameters


def plot_parallel_coordinate(
    study: "Study",
    params: Optional[list[str]] = None,
    *,
    target: Optional[Callable[["FrozenTrial"], float]] = None,
    target_name: str = "Objective Value",
) -> Any:
    """One line per complete trial across an axis per parameter, coloured by
    its value (the first axis)."""
    go = _go()
    data = _data.plot_data(
        study, "parallel_coordinate", target=target, target_name=target_name, params=_data.sorted_params(params)
    )
    layout = go.Layout(title="Parallel Coordinate Plot")
    lines = data["lines"]
    if not lines:
        return go.Figure(data=[], layout=layout)
    values = [line["value"] for line in lines]
    dimensions = [{"label": data["target_name"], "values": values, "range": tuple(data["value_range"])}]
    for i, axis in enumerate(data["axes"]):
        coords = [line["coords"][i] for line in lines]
        if _data.is_categorical(axis):
            labels = axis["labels"]
            dimensions.append(
                {
                    "label": axis["name"],
                    "values": coords,
                    "range": (0, max(len(labels) - 1, 0)),
                    "tickvals": list(range(len(labels))),
                    "ticktext": labels,
                }
            )
        elif _data.is_log(axis):
            logs = [math.log10(c) for c in coords]
            lo, hi = math.log10(axis["min"]), math.log10(axis["max"])
            ticks: list[float] = [float(t) for t in range(math.ceil(lo), math.floor(hi) + 1)]
            ticks = ([lo] if lo not in ticks else []) + ticks + ([hi] if hi not in ticks else [])
            dimensions.append(
                {
                    "label": axis["name"],
                    "values": logs,
                    "range": (lo, hi),
                    "tickvals": ticks,
                    "ticktext": [f"{10**t:.3g}" for t in ticks],
                }
            )
        else:
            dimensions.append({"label": axis["name"], "values": coords, "range": (axis["min"], axis["max"])})
    trace = go.Parcoords(
        dimensions=dimensions,
        labelangle=30,
        labelside="bottom",
        line={
            "color": values,
            "colorscale": COLOR_SCALE,
            "colorbar": {"title": data["target_name"]},
            "showscale": True,
            "reversescale": _reverse_scale(data, target is not None),
        },
    )
    return go.Figure(data=[trace], layout=layout)


def plot_slice(
    study: "Study",
    params: Optional[list[str]] = None,
    *,
    target: Optional[Callable[["FrozenTrial"], float]] = None,
    target_name: str = "Objective Value",
) -> Any:
    """The value against each parameter, a panel per parameter, points
    coloured by trial number; the best trial starred."""
    go = _go()
    data = _data.plot_data(study, "slice", target=target, target_name=target_name, params=_data.sorted_params(params))
    layout = go.Layout(title="Slice Plot")
    panels = data["panels"]
    if not panels:
        return go.Figure(data=[], layout=layout)
    best = data.get("best_trial")
    infeasible = _data.infeasible_numbers(study)
    if len(panels) == 1:
        figure = go.Figure(layout=layout)
    else:
        figure = _make_subplots(rows=1, cols=len(panels), shared_yaxes=True)
        figure.update_layout(layout)
    for i, panel in enumerate(panels):
        axis = panel["axis"]
        points = [p for p in panel["points"] if p["number"] not in infeasible]
        where = {} if len(panels) == 1 else {"row": 1, "col": i + 1}
        figure.add_trace(
            go.Scatter(
                x=_data.axis_values(axis, [p["x"] for p in points]),
                y=[p["value"] for p in points],
                mode="markers",
                name="Feasible Trial",
                marker={
                    "line": {"width": 0.5, "color": "Grey"},
                    "color": [p["number"] for p in points],
                    "colorscale": COLOR_SCALE,
                    "colorbar": {"title": "Trial", "x": 1.0, "xpad": 40},
                    "showscale": i == len(panels) - 1,
                },
                showlegend=False,
            ),
            **where,
        )
        rejected = [p for p in panel["points"] if p["number"] in infeasible]
        if rejected:
            figure.add_trace(
                go.Scatter(
                    x=_data.axis_values(axis, [p["x"] for p in rejected]),
                    y=[p["value"] for p in rejected],
                    mode="markers",
                    name="Infeasible Trial",
                    marker={"color": "#cccccc"},
                    showlegend=False,
                ),
                **where,
            )
        best_points = [p for p in points if p["number"] == best]
        if best_points:
            figure.add_trace(
                go.Scatter(
                    x=_data.axis_values(axis, [best_points[0]["x"]]),
                    y=[best_points[0]["value"]],
                    mode="markers",
                    name="Best Trial",
                    marker=BEST_MARKER,
                    showlegend=False,
                ),
                **where,
            )
        figure.update_xaxes(**_axis_update(axis), **where)
        if i == 0:
            figure.update_yaxes(title_text=data["target_name"], **where)
    return figure


def _contour_traces(
    go: Any, panel: PlotDict, data: PlotDict, reverse: bool, showscale: bool, infeasible: set[int]
) -> list[Any]:
    x_axis, y_axis = panel["x"], panel["y"]
    rows = _data.grid_matrix(panel)
    contour = go.Contour(
        x=_data.axis_values(x_axis, panel["grid_x"]),
        y=_data.axis_values(y_axis, panel["grid_y"]),
        z=rows,
        colorbar={"title": data["target_name"]},
        colorscale=COLOR_SCALE,
        connectgaps=True,
        contours_coloring="heatmap",
        hoverinfo="none",
        line_smoothing=1.3,
        reversescale=reverse,
        zmin=data["value_range"][0],
        zmax=data["value_range"][1],
        showscale=showscale,
    )
    traces = [contour]
    for name, color in (("Feasible Trial", "black"), ("Infeasible Trial", "#cccccc")):
        points = [p for p in panel["points"] if (p["number"] in infeasible) == (name == "Infeasible Trial")]
        traces.append(
            go.Scatter(
                x=_data.axis_values(x_axis, [p["x"] for p in points]),
                y=_data.axis_values(y_axis, [p["y"] for p in points]),
                marker={"line": {"width": 2.0, "color": "Grey"}, "color": color},
                mode="markers",
                name=name,
                showlegend=False,
            )
        )
    best = panel.get("best")
    if best is not None:
        traces.append(
            go.Scatter(
                x=_data.axis_values(x_axis, [best["x"]]),
                y=_data.axis_values(y_axis, [best["y"]]),
                mode="markers",
                name="Best Trial",
                marker=BEST_MARKER,
                showlegend=False,
            )
        )
    return traces


def plot_contour(
    study: "Study",
    params: Optional[list[str]] = None,
    *,
    target: Optional[Callable[["FrozenTrial"], float]] = None,
    target_name: str = "Objective Value",
) -> Any:
    """The value over two parameters (one panel), or over every pair of more
    (a matrix of panels), with the trials and the best one marked."""
    go = _go()
    layout = go.Layout(title="Contour Plot")
    data = _data.contour_data(study, params, target, target_name)
    if data is None:
        return go.Figure(data=[], layout=layout)
    names = data["params"]
    reverse = _reverse_scale(data, target is not None)
    infeasible = _data.infeasible_numbers(study)
    if len(names) == 2:
        panel = data["panels"][0]
        figure = go.Figure(data=_contour_traces(go, panel, data, reverse, True, infeasible), layout=layout)
        figure.update_xaxes(**_axis_update(panel["x"]))
        figure.update_yaxes(**_axis_update(panel["y"]))
        return figure
    n = len(names)
    figure = _make_subplots(rows=n, cols=n, shared_xaxes=True, shared_yaxes=True)
    figure.update_layout(layout)
    axis_of = {a["name"]: a for panel in data["panels"] for a in (panel["x"], panel["y"])}
    showscale = True
    for xi, x_name in enumerate(names):
        for yi, y_name in enumerate(names):
            where = {"row": yi + 1, "col": xi + 1}
            panel, swap = _data.panel_for(data["panels"], x_name, y_name)
            if xi == yi or panel is None:
                figure.add_trace(go.Scatter(), **where)
            else:
                if swap:
                    panel = _data.swapped(panel)
                for trace in _contour_traces(go, panel, data, reverse, showscale, infeasible):
                    figure.add_trace(trace, **where)
                showscale = False
            _matrix_axes(figure, axis_of.get(x_name), axis_of.get(y_name), xi, yi, n)
    return figure


def _matrix_axes(figure: Any, x_axis: Optional[PlotDict], y_axis: Optional[PlotDict], xi: int, yi: int, n: int) -> None:
    """A matrix cell's axes as Optuna sets them: every cell (the diagonal's
    too) gets its column's and row's scale and range, the bottom row the
    x titles, the first column the y titles."""
    where = {"row": yi + 1, "col": xi + 1}
    if x_axis is not None:
        x_update = _axis_update(x_axis)
        if yi != n - 1:
            x_update.pop("title_text")
        figure.update_xaxes(**x_update, **where)
    if y_axis is not None:
        y_update = _axis_update(y_axis)
        if xi != 0:
            y_update.pop("title_text")
        figure.update_yaxes(**y_update, **where)


def _rank_colorscale() -> list[list[Any]]:
    # RdYlBu reversed: the best (rank 0) blue, the worst red, as Optuna's.
    colors = [
        "rgb(49,54,149)",
        "rgb(69,117,180)",
        "rgb(116,173,209)",
        "rgb(171,217,233)",
        "rgb(224,243,248)",
        "rgb(254,224,144)",
        "rgb(253,174,97)",
        "rgb(244,109,67)",
        "rgb(215,48,39)",
        "rgb(165,0,38)",
    ]
    return [[i / (len(colors) - 1), c] for i, c in enumerate(colors)]


def plot_rank(
    study: "Study",
    params: Optional[list[str]] = None,
    *,
    target: Optional[Callable[["FrozenTrial"], float]] = None,
    target_name: str = "Objective Value",
) -> Any:
    """Each pair of parameters (every pair of more than two), trials
    coloured by the rank of their value (blue the best)."""
    go = _go()
    data = _data.plot_data(study, "rank", target=target, target_name=target_name, params=params)
    layout = go.Layout(title=f"Rank ({data['target_name']})")
    axes = data["axes"]
    points = data["points"]
    if not axes or not points:
        return go.Figure(data=[], layout=layout)

    def scatter(xi: int, yi: Optional[int], showscale: bool) -> Any:
        have = [p for p in points if _present(p["coords"][xi]) and (yi is None or _present(p["coords"][yi]))]
        xs = _data.axis_values(axes[xi], [p["coords"][xi] for p in have])
        ys = [p["value"] for p in have] if yi is None else _data.axis_values(axes[yi], [p["coords"][yi] for p in have])
        return go.Scatter(
            x=xs,
            y=ys,
            mode="markers",
            showlegend=False,
            marker={
                "color": [p["rank"] for p in have],
                "colorscale": _rank_colorscale(),
                "cmin": 0.0,
                "cmax": 1.0,
                "line": {"width": 0.5, "color": "Grey"},
                "showscale": showscale,
                "colorbar": {
                    "title": data["target_name"],
                    "tickvals": [0, 0.5, 1],
                    "ticktext": ["best", "median", "worst"],
                },
            },
            text=[f"Trial #{p['number']}: {p['value']:.6g}" for p in have],
            hovertemplate="%{text}<extra></extra>",
        )

    if len(axes) == 1:
        figure = go.Figure(data=[scatter(0, None, True)], layout=layout)
        figure.update_xaxes(**_axis_update(axes[0]))
        figure.update_yaxes(title_text=data["target_name"])
        return figure
    if len(axes) == 2:
        figure = go.Figure(data=[scatter(0, 1, True)], layout=layout)
        figure.update_xaxes(**_axis_update(axes[0]))
        figure.update_yaxes(**_axis_update(axes[1]))
        return figure
    n = len(axes)
    figure = _make_subplots(rows=n, cols=n, shared_xaxes=True, shared_yaxes=True)
    figure.update_layout(layout)
    showscale = True
    for xi in range(n):
        for yi in range(n):
            where = {"row": yi + 1, "col": xi + 1}
            if xi == yi:
                figure.add_trace(go.Scatter(), **where)
            else:
                figure.add_trace(scatter(xi, yi, showscale), **where)
                showscale = False
            _matrix_axes(figure, axes[xi], axes[yi], xi, yi, n)
    return figure


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
    on top; one set of bars per objective of a multi-objective study without
    ``target``. ``evaluator`` as ``ferrotune.importance`` (PED-ANOVA by
    default, as Optuna 5's)."""
    go = _go()
    data = _data.importances(study, evaluator, params, target, target_name)
    layout = go.Layout(
        title="Hyperparameter Importances",
        xaxis={"title": "Hyperparameter Importance"},
        yaxis={"title": "Hyperparameter"},
    )
    traces = []
    for importance_set in data["sets"]:
        pairs = list(reversed(importance_set["importances"]))  # plotly stacks bars upward
        traces.append(
            go.Bar(
                x=[v for _, v in pairs],
                y=[name for name, _ in pairs],
                name=importance_set["target_name"],
                text=[f"{v:.2f}" if v >= 0.01 else "<0.01" for _, v in pairs],
                textposition="outside",
                cliponaxis=False,
                hovertemplate="%{y}: %{x}<extra></extra>",
                orientation="h",
            )
        )
    figure = go.Figure(data=traces, layout=layout)
    if len(traces) > 1:
        figure.update_layout(barmode="group")
    return figure


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
    Pareto front ("Best Trial") apart from the dominated ("Trial") and
    infeasible ones."""
    go = _go()
    data = _data.pareto_data(study, target_names, include_dominated_trials, axis_order, constraints_func, targets)
    names = data["objective_names"]
    points = data["points"]
    n = len(data["objectives"])
    if n not in (2, 3):
        raise ValueError(f"a Pareto front shows two or three objectives, not {n}")
    front = [p for p in points if p["on_front"]]
    dominated = [p for p in points if p["feasible"] and not p["on_front"]]
    infeasible = [p for p in points if not p["feasible"]]

    def scatter(selected: list[PlotDict], name: str, marker: dict[str, Any]) -> Any:
        columns = [[p["values"][i] for p in selected] for i in range(n)]
        text = [f"Trial #{p['number']}<br>Values: {p['values']}" for p in selected]
        common = {
            "mode": "markers",
            "name": name,
            "marker": marker,
            "text": text,
            "hovertemplate": "%{text}<extra>" + name + "</extra>",
            "showlegend": False,
        }
        if n == 2:
            return go.Scatter(x=columns[0], y=columns[1], **common)
        return go.Scatter3d(x=columns[0], y=columns[1], z=columns[2], **common)

    traces = []
    if infeasible:
        traces.append(scatter(infeasible, "Infeasible Trial", {"color": "#cccccc"}))
    traces.append(
        scatter(
            dominated if include_dominated_trials else [],
            "Trial",
            {
                "line": {"width": 0.5, "color": "Grey"},
                "color": [p["number"] for p in dominated] if include_dominated_trials else [],
                "colorscale": "Blues",
                "colorbar": {"title": "Trial"},
            },
        )
    )
    traces.append(
        scatter(
            front,
            "Best Trial",
            {
                "line": {"width": 0.5, "color": "Grey"},
                "color": [p["number"] for p in front],
                "colorscale": "Reds",
                "colorbar": {"title": "Best Trial", "x": 1.1 if include_dominated_trials else 1, "xpad": 40},
            },
        )
    )
    if n == 2:
        layout = go.Layout(title="Pareto-front Plot", xaxis_title=names[0], yaxis_title=names[1])
    else:
        layout = go.Layout(
            title="Pareto-front Plot",
            scene={"xaxis_title": names[0], "yaxis_title": names[1], "zaxis_title": names[2]},
        )
    return go.Figure(data=traces, layout=layout)


def plot_hypervolume_history(study: "Study", reference_point: Sequence[float]) -> Any:
    """The hypervolume the Pareto front encloses with ``reference_point``
    after each trial."""
    go = _go()
    points = _data.hypervolume_steps(study, reference_point, "plot_hypervolume_history")
    layout = go.Layout(title="Hypervolume History Plot", xaxis={"title": "Trial"}, yaxis={"title": "Hypervolume"})
    trace = go.Scatter(
        x=[p[0] for p in points], y=[p[1] for p in points], mode="lines+markers", line_shape="hv", name="Hypervolume"
    )
    return go.Figure(data=[trace], layout=layout)


# ---------------------------------------------------------------- time


def plot_timeline(study: "Study", n_recent_trials: Optional[int] = None) -> Any:
    """Each trial's run from start to end, a bar per trial coloured by state
    (the last ``n_recent_trials`` only, when given)."""
    go = _go()
    if n_recent_trials is not None and n_recent_trials <= 0:
        raise ValueError("n_recent_trials must be a positive integer or None")
    data = _data.plot_data(study, "timeline", now_us=_data.now_us())
    bars = _data.recent_bars(data["bars"], n_recent_trials)
    layout = go.Layout(title="Timeline Plot", xaxis={"title": "Datetime"}, yaxis={"title": "Trial"})
    figure = go.Figure(layout=layout)
    several = _data.merged(bars)
    for state, name in _data.STATE_NAMES.items():
        selected = [b for b in bars if b["state"] == state]
        if not selected:
            continue
        figure.add_trace(
            go.Bar(
                name=name,
                x=[(b["end_us"] - b["start_us"]) / 1000.0 for b in selected],
                y=[_data.bar_label(b, several) for b in selected],
                base=[_iso(b["start_us"]) for b in selected],
                text=[_data.bar_text(b, name) for b in selected],
                hovertemplate="%{text}<extra>" + name + "</extra>",
                orientation="h",
                marker={"color": _data.STATE_COLORS[name]},
                textposition="none",
            )
        )
    figure.update_xaxes(type="date")
    if several:
        figure.update_yaxes(type="category", categoryorder="array", categoryarray=_data.bar_rows(bars))
    figure.update_layout(showlegend=True)
    return figure


def _iso(us: int) -> str:
    return datetime.datetime.fromtimestamp(us / 1e6).isoformat()


from ferrotune.visualization import matplotlib  # noqa: E402  (a subpackage, imported for optuna.visualization.matplotlib)
