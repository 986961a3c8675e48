"""ferrotune.visualization (plotly) and ferrotune.visualization.matplotlib:
every plot kind from a single-objective study (float, log, int and
categorical parameters, intermediate values, pruned trials) and from
multi-objective ones, checked by content: the points in the traces, axis
types and ranges, the best trial marked."""

from __future__ import annotations

import json
import math
import sys

import pytest

import ferrotune
from ferrotune import _ferrotune
from ferrotune.trial import TrialState

go = pytest.importorskip("plotly.graph_objects")
mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ferrotune import visualization as vis  # noqa: E402
from ferrotune.visualization import matplotlib as vmpl  # noqa: E402

CHOICES = {"a": 0.0, "b": 1.0, "c": 2.0}
PARAMS = ["c", "lr", "n", "x"]  # the engine shows parameters by name


def single_objective(trial: ferrotune.Trial) -> float:
    x = trial.suggest_float("x", -10, 10)
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    n = trial.suggest_int("n", 1, 10)
    c = trial.suggest_categorical("c", ["a", "b", "c"])
    value = (x - 2) ** 2 + (math.log10(lr) + 3) ** 2 + 0.1 * n + CHOICES[c]
    for step in range(5):
        trial.report(value + 5.0 / (step + 1), step)
        if trial.number % 4 == 3 and step == 2:
            raise ferrotune.TrialPruned()
    return value


@pytest.fixture(scope="module")
def study() -> ferrotune.Study:
    ferrotune.logging.set_verbosity(ferrotune.logging.WARNING)
    s = ferrotune.create_study(study_name="single", sampler=ferrotune.samplers.RandomSampler(seed=1))
    s.optimize(single_objective, n_trials=40)
    return s


@pytest.fixture(scope="module")
def multi() -> ferrotune.Study:
    ferrotune.logging.set_verbosity(ferrotune.logging.WARNING)
    s = ferrotune.create_study(directions=["minimize", "minimize"], sampler=ferrotune.samplers.RandomSampler(seed=2))

    def objective(trial: ferrotune.Trial) -> tuple[float, float]:
        x = trial.suggest_float("x", 0, 1)
        y = trial.suggest_float("y", 0, 1)
        return x, (1 - x) ** 2 + y

    s.optimize(objective, n_trials=40)
    return s


@pytest.fixture(scope="module")
def multi3() -> ferrotune.Study:
    ferrotune.logging.set_verbosity(ferrotune.logging.WARNING)
    s = ferrotune.create_study(directions=["minimize"] * 3, sampler=ferrotune.samplers.RandomSampler(seed=3))

    def objective(trial: ferrotune.Trial) -> tuple[float, float, float]:
        x = trial.suggest_float("x", 0, 1)
        y = trial.suggest_float("y", 0, 1)
        return x, y, 2 - x - y

    s.optimize(objective, n_trials=25)
    return s


def complete(study: ferrotune.Study) -> list[ferrotune.FrozenTrial]:
    return study.get_trials(states=(TrialState.COMPLETE,))


def pruned(study: ferrotune.Study) -> list[ferrotune.FrozenTrial]:
    return study.get_trials(states=(TrialState.PRUNED,))


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# ---------------------------------------------------------------- the binding


def test_the_study_has_what_the_plots_need(study):
    assert len(complete(study)) == 30 and len(pruned(study)) == 10


def test_plot_data_is_the_engines_json_and_takes_a_dict_or_json(study):
    as_dict = json.loads(_ferrotune._plot_data(study, "optimization_history", {"target_name": "Loss"}))
    as_json = json.loads(_ferrotune._plot_data(study, "history", json.dumps({"target_name": "Loss"})))
    assert as_dict == as_json
    assert as_dict["kind"] == "optimization_history" and as_dict["target_name"] == "Loss"
    assert as_dict["n_total"] == 30 and as_dict["direction"] == "minimize"


def test_plot_data_refuses_unknown_kinds_and_options(study):
    with pytest.raises(ValueError, match="unknown plot kind"):
        _ferrotune._plot_data(study, "pie_chart")
    with pytest.raises(ValueError, match="unknown plot option"):
        _ferrotune._plot_data(study, "slice", {"max_pionts": 10})
    with pytest.raises(TypeError, match="max_points"):
        _ferrotune._plot_data(study, "slice", {"max_points": "many"})


def test_large_studies_are_thinned_by_the_engine_keeping_the_best():
    s = ferrotune.create_study(sampler=ferrotune.samplers.RandomSampler(seed=0))
    for i in range(2600):
        t = s.ask()
        x = t.suggest_float("x", -1, 1)
        s.tell(t, x * x + (0.0 if i != 1777 else -1.0))
    fig = vis.plot_optimization_history(s)
    assert len(fig.data[0].x) <= 2000
    assert 1777 in fig.data[0].x
    assert min(fig.data[1].y) == s.trials[1777].value == s.best_value
    fig = vis.plot_parallel_coordinate(s)
    assert len(fig.data[0].dimensions[0].values) <= 2000 and s.best_value in fig.data[0].dimensions[0].values
    fig = vis.plot_slice(s)
    assert len(fig.data[0].x) <= 2000 and fig.data[1].name == "Best Trial" and fig.data[1].y[0] == s.best_value
    data = json.loads(_ferrotune._plot_data(s, "slice", {"max_points": 100}))
    assert data["panels"][0]["n_total"] == 2600 and len(data["panels"][0]["points"]) <= 100


# ---------------------------------------------------------------- plotly


def test_is_available():
    assert vis.is_available() and vmpl.is_available()


def test_a_missing_plotly_says_how_to_install_it(study, monkeypatch):
    for name in [m for m in sys.modules if m == "plotly" or m.startswith("plotly.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "plotly", None)
    monkeypatch.setitem(sys.modules, "plotly.graph_objects", None)
    with pytest.raises(ImportError, match="pip install plotly"):
        vis.plot_optimization_history(study)


def test_a_missing_matplotlib_says_how_to_install_it(study, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        vmpl.plot_optimization_history(study)


def test_optimization_history(study):
    fig = vis.plot_optimization_history(study)
    assert fig.layout.title.text == "Optimization History Plot"
    assert fig.layout.xaxis.title.text == "Trial" and fig.layout.yaxis.title.text == "Objective Value"
    values, best = fig.data[0], fig.data[1]
    assert values.name == "Objective Value" and best.name == "Best Value"
    assert list(values.x) == [t.number for t in complete(study)]
    assert list(values.y) == [t.value for t in complete(study)]
    assert min(best.y) == study.best_value and best.y[-1] == study.best_value
    assert all(a >= b for a, b in zip(best.y, best.y[1:]))  # the best so far only improves
    assert best.x[-1] == complete(study)[-1].number  # and runs to the last trial


def test_optimization_history_of_several_studies_and_error_bars(study):
    other = ferrotune.create_study(study_name="other", sampler=ferrotune.samplers.RandomSampler(seed=5))
    other.optimize(single_objective, n_trials=20)
    fig = vis.plot_optimization_history([study, other])
    names = [t.name for t in fig.data]
    assert names == [
        "Objective Value of single",
        "Best Value of single",
        "Infeasible Trial",
        "Objective Value of other",
        "Best Value of other",
        "Infeasible Trial",
    ]
    fig = vis.plot_optimization_history([study, other], error_bar=True)
    assert fig.data[0].error_y.array is not None and fig.data[1].name == "Best Value"
    # trial numbers both studies have: mean of two values
    assert len(fig.data[0].x) == len(set(t.number for t in complete(study)) | set(t.number for t in complete(other)))


def test_optimization_history_with_a_target(study, multi):
    fig = vis.plot_optimization_history(study, target=lambda t: t.params["x"], target_name="x")
    assert fig.layout.yaxis.title.text == "x" and fig.data[0].name == "x"
    assert list(fig.data[0].y) == [t.params["x"] for t in complete(study)]
    # as Optuna: no best value of a target, whose better side is unknown
    assert [t.name for t in fig.data] == ["x", "Infeasible Trial"]
    fig = vis.plot_slice(study, params=["x"], target=lambda t: t.params["x"])
    assert [t.name for t in fig.data] == ["Feasible Trial"]
    with pytest.raises(ValueError, match="target"):
        vis.plot_optimization_history(multi)
    fig = vis.plot_optimization_history(multi, target=lambda t: t.values[0])
    assert len(fig.data[0].x) == 40


def test_intermediate_values(study):
    fig = vis.plot_intermediate_values(study)
    assert fig.layout.title.text == "Intermediate Values Plot"
    assert fig.layout.xaxis.title.text == "Step" and fig.layout.yaxis.title.text == "Intermediate Value"
    by_name = {t.name: t for t in fig.data}
    assert len(by_name) == 40  # complete and pruned trials
    for t in complete(study):
        assert list(by_name[f"Trial{t.number}"].x) == [0, 1, 2, 3, 4]
        assert by_name[f"Trial{t.number}"].line.dash is None
    for t in pruned(study):
        assert list(by_name[f"Trial{t.number}"].x) == [0, 1, 2]
        assert by_name[f"Trial{t.number}"].line.dash == "dot"
    best = by_name[f"Trial{study.best_trial.number}"]
    assert best.line.width == 3 and all(t.line.width is None for t in fig.data if t is not best)
    assert [t.name for t in fig.data] == [f"Trial{n}" for n in range(40)]  # by number, as Optuna
    assert list(best.y) == [study.best_trial.intermediate_values[s] for s in range(5)]


def test_parallel_coordinate(study):
    fig = vis.plot_parallel_coordinate(study)
    assert fig.layout.title.text == "Parallel Coordinate Plot"
    (trace,) = fig.data
    assert isinstance(trace, go.Parcoords)
    dims = {d.label: d for d in trace.dimensions}
    assert [d.label for d in trace.dimensions] == ["Objective Value"] + PARAMS
    values = sorted(t.value for t in complete(study))
    assert sorted(dims["Objective Value"].values) == values
    assert tuple(dims["Objective Value"].range) == (values[0], values[-1])
    lrs = sorted(t.params["lr"] for t in complete(study))
    assert sorted(dims["lr"].values) == pytest.approx([math.log10(v) for v in lrs])  # log axis in log10
    assert "0.0001" in dims["lr"].ticktext or "1e-04" in dims["lr"].ticktext
    assert list(dims["c"].ticktext) == ["a", "b", "c"] and list(dims["c"].tickvals) == [0, 1, 2]
    assert trace.line.reversescale is True and trace.line.colorbar.title.text == "Objective Value"
    # the lines are drawn worst first, so the best is on top
    assert dims["Objective Value"].values[-1] == study.best_value
    fig = vis.plot_parallel_coordinate(study, params=["x", "n"])
    assert [d.label for d in fig.data[0].dimensions] == ["Objective Value", "n", "x"]  # by name, as Optuna


def test_slice(study):
    fig = vis.plot_slice(study)
    assert fig.layout.title.text == "Slice Plot"
    feasible = [t for t in fig.data if t.name == "Feasible Trial"]
    assert len(feasible) == 4 and all(len(t.x) == 30 for t in feasible)
    assert fig.layout.xaxis.title.text == "c" and fig.layout.xaxis.type == "category"
    assert fig.layout.xaxis2.title.text == "lr" and fig.layout.xaxis2.type == "log"
    assert fig.layout.xaxis3.title.text == "n" and fig.layout.xaxis4.title.text == "x"
    assert fig.layout.yaxis.title.text == "Objective Value"
    assert set(feasible[0].x) <= {"a", "b", "c"}
    lr = [t.params["lr"] for t in complete(study)]
    lo, hi = fig.layout.xaxis2.range
    assert lo < math.log10(min(lr)) and hi > math.log10(max(lr))  # log axes take log10 ranges
    best = [t for t in fig.data if t.name == "Best Trial"]
    assert len(best) == 4
    assert best[1].x[0] == study.best_params["lr"] and best[1].y[0] == study.best_value
    assert best[0].x[0] == study.best_params["c"]
    fig = vis.plot_slice(study, params=["lr"])
    assert fig.layout.xaxis.type == "log" and len(fig.data[0].x) == 30


def test_contour_of_two_parameters(study):
    fig = vis.plot_contour(study, params=["x", "lr"])
    assert fig.layout.title.text == "Contour Plot"
    contour, points, infeasible, best = fig.data
    assert isinstance(contour, go.Contour) and contour.colorbar.title.text == "Objective Value"
    assert points.name == "Feasible Trial" and len(points.x) == 30
    assert infeasible.name == "Infeasible Trial" and len(infeasible.x) == 0
    z = np.array(contour.z, dtype=float)
    assert z.shape == (len(contour.y), len(contour.x)) and np.isfinite(z).all()
    # parameters by name, as Optuna: lr across (log), x up
    assert fig.layout.xaxis.title.text == "lr" and fig.layout.xaxis.type == "log"
    assert fig.layout.yaxis.title.text == "x" and fig.layout.yaxis.type in (None, "-", "linear")
    xs = [t.params["x"] for t in complete(study)]
    assert fig.layout.yaxis.range[0] < min(xs) and fig.layout.yaxis.range[1] > max(xs)
    assert best.name == "Best Trial"
    assert (best.x[0], best.y[0]) == (study.best_params["lr"], study.best_params["x"])
    fig = vis.plot_contour(study, params=["c", "n"])
    assert fig.layout.xaxis.type == "category" and set(fig.data[1].x) <= {"a", "b", "c"}


def test_contour_matrix(study):
    fig = vis.plot_contour(study, params=["x", "lr", "n"])
    contours = [t for t in fig.data if isinstance(t, go.Contour)]
    assert len(contours) == 6  # every ordered pair off the diagonal
    assert sum(bool(t.showscale) for t in contours) == 1
    # by name, as Optuna: lr, n, x; cells are numbered row by row, axis k
    # in row (k-1)//3, column (k-1)%3
    # as Optuna's: x titles on the bottom row, y titles on the first column,
    # each column's and row's scale on every cell, the diagonal's too
    assert [getattr(fig.layout, f"xaxis{k}").title.text for k in (7, 8, 9)] == ["lr", "n", "x"]
    assert [getattr(fig.layout, f"yaxis{k}").title.text for k in ("", 4, 7)] == ["lr", "n", "x"]
    assert fig.layout.xaxis5.title.text is None and fig.layout.yaxis5.title.text is None
    assert [getattr(fig.layout, f"xaxis{k}").type for k in ("", 4, 7)] == ["log"] * 3
    assert [getattr(fig.layout, f"yaxis{k}").type for k in ("", 2, 3)] == ["log"] * 3
    assert fig.layout.xaxis2.type != "log" and fig.layout.yaxis4.type != "log"
    # the panel of column x, row lr has the trials at (x, lr)
    (points,) = [t for t in fig.data if t.name == "Feasible Trial" and t.xaxis == "x3"]
    assert sorted(zip(points.x, points.y)) == sorted((t.params["x"], t.params["lr"]) for t in complete(study))


def test_rank(study):
    fig = vis.plot_rank(study, params=["x", "lr"])
    assert fig.layout.title.text == "Rank (Objective Value)"
    (trace,) = fig.data
    assert len(trace.x) == 30 and fig.layout.yaxis.type == "log"
    ranks = list(trace.marker.color)
    assert min(ranks) == 0.0 and max(ranks) == 1.0
    best_index = ranks.index(0.0)
    assert trace.x[best_index] == study.best_params["x"]
    fig = vis.plot_rank(study)
    assert len([t for t in fig.data if len(t.x or []) > 0]) == 12  # 4 x 4 minus the diagonal


def test_param_importances(study):
    fig = vis.plot_param_importances(study)
    assert fig.layout.title.text == "Hyperparameter Importances"
    assert fig.layout.xaxis.title.text == "Hyperparameter Importance"
    assert fig.layout.yaxis.title.text == "Hyperparameter"
    (bars,) = fig.data
    assert bars.orientation == "h" and bars.name == "Objective Value"
    expected = ferrotune.importance.get_param_importances(study)
    assert list(bars.y) == list(reversed(list(expected)))  # the most important on top
    assert list(bars.x) == pytest.approx(list(reversed(list(expected.values()))))
    assert sum(bars.x) == pytest.approx(1.0)


def test_param_importances_with_a_target_judge_it_as_get_param_importances_does():
    s = ferrotune.create_study(direction="maximize", sampler=ferrotune.samplers.RandomSampler(seed=0))
    s.optimize(lambda t: -((t.suggest_float("x", 0, 1) - 0.2) ** 2) - 0.01 * t.suggest_float("y", 0, 1), n_trials=60)
    for target in (None, lambda t: t.value, lambda t: -t.value):
        fig = vis.plot_param_importances(s, target=target)
        expected = ferrotune.importance.get_param_importances(s, target=target)
        assert dict(zip(fig.data[0].y, fig.data[0].x)) == pytest.approx(expected)


def test_param_importances_with_an_evaluator_and_params(study):
    evaluator = ferrotune.importance.FanovaImportanceEvaluator(seed=0)
    fig = vis.plot_param_importances(study, evaluator=evaluator, params=["x", "lr"])
    expected = ferrotune.importance.get_param_importances(
        study, evaluator=ferrotune.importance.FanovaImportanceEvaluator(seed=0), params=["x", "lr"]
    )
    assert set(fig.data[0].y) == {"x", "lr"}
    assert dict(zip(fig.data[0].y, fig.data[0].x)) == pytest.approx(expected)
    # settings the engine's plot does not take: the evaluator itself is asked
    evaluator = ferrotune.importance.PedAnovaImportanceEvaluator(target_quantile=0.2)
    fig = vis.plot_param_importances(study, evaluator=evaluator)
    expected = ferrotune.importance.get_param_importances(study, evaluator=evaluator)
    assert dict(zip(fig.data[0].y, fig.data[0].x)) == pytest.approx(expected)


def test_param_importances_of_several_objectives(multi):
    fig = vis.plot_param_importances(multi, evaluator=ferrotune.importance.FanovaImportanceEvaluator(seed=0))
    assert [t.name for t in fig.data] == ["Objective Value 0", "Objective Value 1"]
    fig = vis.plot_param_importances(multi, target=lambda t: t.values[1], target_name="second")
    assert [t.name for t in fig.data] == ["second"]


def test_edf(study):
    fig = vis.plot_edf(study)
    assert fig.layout.title.text == "Empirical Distribution Function Plot"
    assert fig.layout.xaxis.title.text == "Objective Value"
    assert fig.layout.yaxis.title.text == "Cumulative Probability"
    (line,) = fig.data
    assert line.name == "single"
    assert list(line.x) == sorted(t.value for t in complete(study))
    assert line.y[-1] == 1.0 and line.y[0] == pytest.approx(1 / 30)
    assert list(line.y) == sorted(line.y)
    other = ferrotune.create_study(study_name="other-edf")
    other.optimize(single_objective, n_trials=8)
    fig = vis.plot_edf([study, other])
    assert [t.name for t in fig.data] == ["single", "other-edf"]


def test_timeline(study):
    fig = vis.plot_timeline(study)
    assert fig.layout.title.text == "Timeline Plot"
    assert fig.layout.xaxis.type == "date"
    by_state = {t.name: t for t in fig.data}
    assert set(by_state) == {"COMPLETE", "PRUNED"}
    assert sorted(by_state["COMPLETE"].y) == [t.number for t in complete(study)]
    assert sorted(by_state["PRUNED"].y) == [t.number for t in pruned(study)]
    assert all(x >= 0 for x in by_state["COMPLETE"].x)
    fig = vis.plot_timeline(study, n_recent_trials=5)
    assert sorted(y for t in fig.data for y in t.y) == [35, 36, 37, 38, 39]


def test_pareto_front(multi):
    fig = vis.plot_pareto_front(multi)
    assert fig.layout.title.text == "Pareto-front Plot"
    assert fig.layout.xaxis.title.text == "Objective 0" and fig.layout.yaxis.title.text == "Objective 1"
    dominated, front = fig.data
    assert dominated.name == "Trial" and front.name == "Best Trial"
    best = {t.number for t in multi.best_trials}
    assert len(front.x) == len(best) and len(front.x) + len(dominated.x) == 40
    assert sorted(front.x) == sorted(t.values[0] for t in multi.best_trials)
    fig = vis.plot_pareto_front(multi, include_dominated_trials=False, target_names=["f", "g"])
    assert len(fig.data[0].x) == 0 and len(fig.data[1].x) == len(best)
    assert fig.layout.xaxis.title.text == "f"
    fig = vis.plot_pareto_front(multi, axis_order=[1, 0])
    assert fig.layout.xaxis.title.text == "Objective 1"
    assert sorted(fig.data[1].x) == sorted(t.values[1] for t in multi.best_trials)


def test_pareto_front_with_targets_and_constraints(multi, multi3):
    fig = vis.plot_pareto_front(multi, targets=lambda t: (t.params["x"], t.params["y"]), target_names=["x", "y"])
    assert len(fig.data[0].x) + len(fig.data[1].x) == 40
    assert fig.layout.xaxis.title.text == "x"
    fig = vis.plot_pareto_front(multi, constraints_func=lambda t: (t.params["x"] - 0.5,))
    infeasible, dominated, front = fig.data
    assert infeasible.name == "Infeasible Trial"
    assert len(infeasible.x) == sum(t.params["x"] > 0.5 for t in multi.trials)
    assert all(x <= 0.5 for x in front.x)
    fig = vis.plot_pareto_front(multi3)
    assert all(isinstance(t, go.Scatter3d) for t in fig.data)
    assert fig.layout.scene.zaxis.title.text == "Objective 2"
    assert len(fig.data[0].x) + len(fig.data[1].x) == 25


def hypervolume_2d(points: list[tuple[float, float]], reference: tuple[float, float]) -> float:
    front = sorted(p for p in points if p[0] < reference[0] and p[1] < reference[1])
    volume, best_y = 0.0, reference[1]
    for x, y in front:
        if y < best_y:
            volume += (reference[0] - x) * (best_y - y)
            best_y = y
    return volume


def test_hypervolume_history(multi):
    fig = vis.plot_hypervolume_history(multi, reference_point=[1.5, 2.5])
    assert fig.layout.title.text == "Hypervolume History Plot"
    assert fig.layout.xaxis.title.text == "Trial" and fig.layout.yaxis.title.text == "Hypervolume"
    (trace,) = fig.data
    assert list(trace.y) == sorted(trace.y)  # a front only grows
    expected = hypervolume_2d([tuple(t.values) for t in complete(multi)], (1.5, 2.5))
    assert trace.y[-1] == pytest.approx(expected)
    first = complete(multi)[0]
    assert trace.x[0] == first.number
    assert trace.y[0] == pytest.approx((1.5 - first.values[0]) * (2.5 - first.values[1]))
    with pytest.raises(ValueError):
        vis.plot_hypervolume_history(multi, reference_point=[1.0])


def test_studies_without_trials_give_empty_figures(multi):
    empty = ferrotune.create_study()
    one = ferrotune.create_study()
    one.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    kinds = ["optimization_history", "intermediate_values", "parallel_coordinate", "slice", "contour", "rank", "edf"]
    for s in (empty, one):
        for kind in kinds + ["timeline", "param_importances"]:
            fig = getattr(vis, "plot_" + kind)(s)
            assert isinstance(fig, go.Figure)
            getattr(vmpl, "plot_" + kind)(s)
            plt.close("all")
    for kind in kinds:
        fig = getattr(vis, "plot_" + kind)(empty)
        assert all(len(getattr(t, "x", None) or []) == 0 for t in fig.data), kind
    assert vis.plot_contour(one).data == ()
    assert len(vis.plot_slice(one).data[0].x) == 3
    empty_multi = ferrotune.create_study(directions=["minimize", "maximize"])
    assert all(len(t.x) == 0 for t in vis.plot_pareto_front(empty_multi).data)
    assert len(vis.plot_hypervolume_history(empty_multi, [1.0, 0.0]).data[0].x) == 0


# ---------------------------------------------------------------- matplotlib


def n_offsets(ax) -> int:
    return sum(len(c.get_offsets()) for c in ax.collections)


def test_matplotlib_optimization_history(study):
    ax = vmpl.plot_optimization_history(study)
    assert isinstance(ax, mpl.axes.Axes)
    assert ax.get_title() == "Optimization History Plot"
    assert ax.get_xlabel() == "Trial" and ax.get_ylabel() == "Objective Value"
    assert len(ax.collections[0].get_offsets()) == 30
    (best,) = [line for line in ax.get_lines() if line.get_label() == "Best Value"]
    assert min(best.get_ydata()) == study.best_value
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["Objective Value", "Best Value"]


def test_matplotlib_intermediate_values_and_edf(study):
    ax = vmpl.plot_intermediate_values(study)
    assert ax.get_title() == "Intermediate Values Plot" and len(ax.get_lines()) == 40
    (best,) = [line for line in ax.get_lines() if line.get_label() == f"Trial{study.best_trial.number}"]
    assert best.get_linewidth() == 3 and best.get_linestyle() == "-"
    assert sum(line.get_linestyle() == ":" for line in ax.get_lines()) == 10  # the pruned trials
    ax = vmpl.plot_edf(study)
    assert ax.get_title() == "Empirical Distribution Function Plot"
    (line,) = ax.get_lines()
    assert line.get_ydata()[-1] == 1.0 and len(line.get_xdata()) == 30


def test_matplotlib_slice(study):
    axs = vmpl.plot_slice(study)
    assert isinstance(axs, np.ndarray) and axs.shape == (4,)
    assert [ax.get_xlabel() for ax in axs] == PARAMS
    assert axs[1].get_xscale() == "log" and axs[3].get_xscale() == "linear"
    assert [t.get_text() for t in axs[0].get_xticklabels()] == ["a", "b", "c"]
    assert len(axs[2].collections[0].get_offsets()) == 30
    # the best trial starred in every panel
    assert all(len(ax.collections) == 2 for ax in axs)
    assert tuple(axs[3].collections[1].get_offsets()[0]) == (study.best_params["x"], study.best_value)
    ax = vmpl.plot_slice(study, params=["lr"])
    assert isinstance(ax, mpl.axes.Axes) and ax.get_title() == "Slice Plot" and ax.get_xscale() == "log"


def test_matplotlib_contour_and_rank(study):
    ax = vmpl.plot_contour(study, params=["x", "lr"])
    assert isinstance(ax, mpl.axes.Axes) and ax.get_title() == "Contour Plot"
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "lr" and ax.get_ylabel() == "x"
    points = [c for c in ax.collections if c.get_label() == "Feasible Trial"]
    assert len(points[0].get_offsets()) == 30
    axs = vmpl.plot_contour(study, params=["x", "lr", "n"])
    assert axs.shape == (3, 3) and axs[1, 0].get_xscale() == "log" and axs[0, 1].get_xscale() == "linear"
    ax = vmpl.plot_rank(study, params=["lr", "x"])
    assert ax.get_title() == "Rank (Objective Value)" and ax.get_xscale() == "log"
    assert len(ax.collections[0].get_offsets()) == 30
    axs = vmpl.plot_rank(study)
    assert axs.shape == (4, 4)


def test_matplotlib_parallel_coordinate_and_importances(study):
    ax = vmpl.plot_parallel_coordinate(study)
    assert ax.get_title() == "Parallel Coordinate Plot"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Objective Value"] + PARAMS
    assert len(ax.collections[0].get_segments()) == 30
    ax = vmpl.plot_param_importances(study)
    assert ax.get_title(loc="left") == "Hyperparameter Importances"
    assert ax.get_xlabel() == "Hyperparameter Importance"
    expected = ferrotune.importance.get_param_importances(study)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(reversed(list(expected)))
    assert sum(p.get_width() for p in ax.patches) == pytest.approx(1.0)


def test_matplotlib_multi_objective_and_timeline(study, multi, multi3):
    ax = vmpl.plot_pareto_front(multi)
    assert ax.get_title() == "Pareto-front Plot" and ax.get_xlabel() == "Objective 0"
    assert n_offsets(ax) == 40
    front = [c for c in ax.collections if c.get_label() == "Best Trial"]
    assert len(front[0].get_offsets()) == len(multi.best_trials)
    ax = vmpl.plot_pareto_front(multi3)
    assert ax.name == "3d" and ax.get_zlabel() == "Objective 2"
    ax = vmpl.plot_hypervolume_history(multi, reference_point=[1.5, 2.5])
    assert ax.get_title() == "Hypervolume History Plot" and ax.get_ylabel() == "Hypervolume"
    ax = vmpl.plot_timeline(study)
    assert ax.get_title() == "Timeline Plot" and ax.get_xlabel() == "Datetime"
    assert len(ax.patches) == 40
    assert sorted(t.get_text() for t in ax.get_legend().get_texts()) == ["COMPLETE", "PRUNED"]


def test_param_importances_with_a_users_evaluator(study, multi):
    class Fixed(ferrotune.importance.BaseImportanceEvaluator):
        def __init__(self):
            self.calls = []

        def evaluate(self, study, params=None, *, target=None):
            self.calls.append(None if target is None else [target(t) for t in complete(study)])
            return {"x": 3.0, "y": 1.0}

    evaluator = Fixed()
    fig = vis.plot_param_importances(study, evaluator=evaluator)
    assert list(fig.data[0].y) == ["y", "x"] and list(fig.data[0].x) == [0.25, 0.75]
    assert evaluator.calls == [None]
    # several objectives: one set per objective, each judged as a loss
    evaluator = Fixed()
    fig = vis.plot_param_importances(multi, evaluator=evaluator)
    assert [t.name for t in fig.data] == ["Objective Value 0", "Objective Value 1"]
    assert evaluator.calls == [[t.values[i] for t in complete(multi)] for i in range(2)]
    ax = vmpl.plot_param_importances(multi, evaluator=Fixed())
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Objective Value 0", "Objective Value 1"]


def test_infeasible_trials_are_drawn_apart_and_never_best():
    s = ferrotune.create_study(sampler=ferrotune.samplers.RandomSampler(seed=0))
    for x in [0.9, 0.1, 0.6, 0.3, 0.55]:
        s.enqueue_trial({"x": x})

    def objective(trial: ferrotune.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        trial.set_constraint("x_at_least_half", 0.5 - x)
        return x

    s.optimize(objective, n_trials=5)
    fig = vis.plot_optimization_history(s)
    values, best, infeasible = fig.data
    assert list(values.x) == [0, 2, 4] and infeasible.name == "Infeasible Trial" and list(infeasible.x) == [1, 3]
    # steps at each feasible improvement: 0.1 and 0.3 are better but infeasible
    assert (list(best.x), list(best.y)) == ([0, 1, 2, 3, 4], [0.9, 0.9, 0.6, 0.6, 0.55])  # at each trial, as Optuna
    ax = vmpl.plot_optimization_history(s)
    assert n_offsets(ax) == 5
    fig = vis.plot_slice(s)
    assert [t.name for t in fig.data] == ["Feasible Trial", "Infeasible Trial", "Best Trial"]
    assert sorted(fig.data[0].x) == [0.55, 0.6, 0.9] and sorted(fig.data[1].x) == [0.1, 0.3]
    assert fig.data[2].x[0] == 0.55
    ax = vmpl.plot_slice(s)
    assert [c.get_label() for c in ax.collections] == ["Infeasible Trial", "Feasible Trial", "Best Trial"]

    m = ferrotune.create_study(directions=["minimize", "minimize"], sampler=ferrotune.samplers.RandomSampler(seed=0))
    for x in [0.9, 0.1, 0.6, 0.3]:
        m.enqueue_trial({"x": x})

    def two(trial: ferrotune.Trial) -> tuple[float, float]:
        x = trial.suggest_float("x", 0.0, 1.0)
        trial.set_constraint("x_at_least_half", 0.5 - x)
        return x, 1 - x

    m.optimize(two, n_trials=4)
    fig = vis.plot_pareto_front(m)
    infeasible, dominated, front = fig.data
    assert sorted(infeasible.x) == [0.1, 0.3] and sorted(front.x) == [0.6, 0.9] and len(dominated.x) == 0


# ---------------------------------------------------------------- against Optuna's figures


def as_optuna_study(ft_study: ferrotune.Study, optuna):
    """The same trials in an Optuna study."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    def distribution(d):
        if isinstance(d, ferrotune.distributions.FloatDistribution):
            return FloatDistribution(d.low, d.high, log=d.log, step=d.step)
        if isinstance(d, ferrotune.distributions.IntDistribution):
            return IntDistribution(d.low, d.high, log=d.log, step=d.step)
        return CategoricalDistribution(d.choices)

    directions = [d.name.lower() for d in ft_study.directions]
    op_study = optuna.create_study(study_name=ft_study.study_name, directions=directions)
    for t in ft_study.trials:
        complete = t.state == TrialState.COMPLETE
        op_study.add_trial(
            optuna.trial.create_trial(
                params=t.params,
                distributions={k: distribution(d) for k, d in t.distributions.items()},
                values=t.values if complete else None,
                state=optuna.trial.TrialState[t.state.name],
                intermediate_values=t.intermediate_values,
            )
        )
    return op_study


def layout_of(fig) -> tuple:
    """What code that pokes at a figure reads: the title, each axis's
    title and type, and the traces' kinds and names (without ferrotune's
    extra "Best Trial" markers)."""
    axes = {
        k: (v.get("title", {}).get("text"), v.get("type"))
        for k, v in fig.layout.to_plotly_json().items()
        if k.startswith(("xaxis", "yaxis"))
    }
    traces = [(type(t).__name__, t.name) for t in fig.data if t.name != "Best Trial"]
    return fig.layout.title.text, axes, traces


@pytest.mark.filterwarnings("ignore")  # Optuna's experimental-feature and target warnings
@pytest.mark.parametrize(
    "kind, kwargs",
    [
        ("optimization_history", {}),
        ("intermediate_values", {}),
        ("slice", {}),
        ("slice", {"params": ["lr"]}),
        ("contour", {"params": ["x", "lr"]}),
        ("contour", {"params": ["c", "n"]}),
        ("param_importances", {}),
        ("edf", {}),
        ("timeline", {}),
    ],
)
def test_figures_are_laid_out_as_optunas(study, kind, kwargs):
    optuna = pytest.importorskip("optuna")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    ours = getattr(vis, "plot_" + kind)(study, **kwargs)
    theirs = getattr(optuna.visualization, "plot_" + kind)(as_optuna_study(study, optuna), **kwargs)
    assert layout_of(ours) == layout_of(theirs)


@pytest.mark.filterwarnings("ignore")  # Optuna's experimental-feature and target warnings
@pytest.mark.parametrize("kind", ["contour", "rank", "parallel_coordinate"])
def test_matrices_and_parallel_coordinates_have_optunas_titles_and_axes(study, kind):
    optuna = pytest.importorskip("optuna")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    ours = layout_of(getattr(vis, "plot_" + kind)(study))
    theirs = layout_of(getattr(optuna.visualization, "plot_" + kind)(as_optuna_study(study, optuna)))
    assert ours[0] == theirs[0]
    if kind != "parallel_coordinate":  # one Parcoords trace where Optuna 5 draws lines on axes
        assert ours[1] == theirs[1]


@pytest.mark.filterwarnings("ignore")  # Optuna's experimental-feature and target warnings
def test_multi_objective_figures_are_laid_out_as_optunas(multi):
    optuna = pytest.importorskip("optuna")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    theirs_study = as_optuna_study(multi, optuna)
    for kind, kwargs in [
        ("pareto_front", {}),
        ("pareto_front", {"include_dominated_trials": False}),
        ("param_importances", {}),
        ("hypervolume_history", {"reference_point": [1.5, 2.5]}),
        ("optimization_history", {"target": lambda t: t.values[0]}),
    ]:
        ours = getattr(vis, "plot_" + kind)(multi, **kwargs)
        theirs = getattr(optuna.visualization, "plot_" + kind)(theirs_study, **kwargs)
        assert layout_of(ours)[:2] == layout_of(theirs)[:2], kind
        assert [len(t.x) for t in ours.data if kind == "pareto_front"] == [
            len(t.x) for t in theirs.data if kind == "pareto_front"
        ]
        if kind == "hypervolume_history":
            assert ours.data[0].y[-1] == pytest.approx(theirs.data[0].y[-1])
        if kind == "param_importances":
            assert [t.name for t in ours.data] == [t.name for t in theirs.data]


def axes_of(result) -> tuple:
    """What code that pokes at Optuna's matplotlib plots reads: the kind
    of result, titles, axis labels and scales, the legend."""
    if isinstance(result, np.ndarray):
        fig = result.flat[0].figure
        suptitle = fig._suptitle.get_text() if fig._suptitle else None
        return (
            "array",
            result.shape,
            suptitle,
            [a.get_xlabel() for a in result.flat],
            [a.get_ylabel() for a in result.flat],
        )
    legend = result.get_legend()
    return (
        "axes",
        result.get_title(),
        result.get_title(loc="left"),
        result.get_xlabel(),
        result.get_ylabel(),
        result.get_xscale(),
        result.get_yscale(),
        [t.get_text() for t in legend.get_texts()] if legend else None,
    )


@pytest.mark.filterwarnings("ignore")  # Optuna's experimental-feature and target warnings
def test_matplotlib_plots_are_laid_out_as_optunas(study, multi):
    optuna = pytest.importorskip("optuna")
    pytest.importorskip("scipy")  # Optuna's matplotlib contour interpolates with it
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    cases = [
        (study, "optimization_history", {}),
        (study, "intermediate_values", {}),
        (study, "slice", {}),
        (study, "slice", {"params": ["lr"]}),
        (study, "contour", {"params": ["x", "lr"]}),
        (study, "contour", {}),
        (study, "rank", {"params": ["x", "lr"]}),
        (study, "rank", {}),
        (study, "param_importances", {}),
        (study, "edf", {}),
        (study, "timeline", {}),
        (study, "parallel_coordinate", {}),
        (multi, "pareto_front", {}),
        (multi, "hypervolume_history", {"reference_point": [1.5, 2.5]}),
    ]
    theirs_of = {id(study): as_optuna_study(study, optuna), id(multi): as_optuna_study(multi, optuna)}
    for s, kind, kwargs in cases:
        ours = axes_of(getattr(vmpl, "plot_" + kind)(s, **kwargs))
        theirs = axes_of(getattr(optuna.visualization.matplotlib, "plot_" + kind)(theirs_of[id(s)], **kwargs))
        assert ours == theirs, (kind, kwargs)
        plt.close("all")
