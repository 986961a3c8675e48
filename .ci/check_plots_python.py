"""Every Python plot on the study the README's main job made (the CLI tuning
digits-mlp, in examples/digits-mlp/digits-mlp.db) and on a two-objective
study: the figures' content against the study as ferrotune reads it.

Usage: python .ci/check_plots_python.py examples/digits-mlp/digits-mlp.db
(with the ferrotune wheel, plotly and matplotlib installed).
"""

import math
import sys

import matplotlib

matplotlib.use("Agg")

import ferrotune as optuna  # noqa: E402  (as an Optuna user would)
from ferrotune.trial import TrialState  # noqa: E402

vis = optuna.visualization
mpl = optuna.visualization.matplotlib


def check(condition, message):
    if not condition:
        raise SystemExit(f"check_plots_python: {message}")


def trace(figure, name):
    found = [t for t in figure.data if t.name == name]
    check(found, f"no trace named {name!r} in {[t.name for t in figure.data]}")
    return found[0]


study = optuna.load_study(study_name="digits-mlp", storage=f"sqlite:///{sys.argv[1]}")
complete = study.get_trials(states=(TrialState.COMPLETE,))
started = [t for t in study.trials if t.datetime_start is not None]
reported = [t for t in study.trials if t.intermediate_values]
best = study.best_trial
check(len(complete) >= 10, f"the main job left {len(complete)} complete trials")

history = vis.plot_optimization_history(study)
values = trace(history, "Objective Value")
check(len(values.x) == len(complete), f"history: {len(values.x)} points for {len(complete)} complete trials")
check(math.isclose(max(trace(history, "Best Value").y), best.value), "history: the best line does not reach the best value")

sliced = vis.plot_slice(study, params=["lr"])
points = [t for t in sliced.data if t.name != "Best Trial"]
check(all(len(t.x) == len(complete) for t in points), "slice: not one point per complete trial")
check(sliced.layout.xaxis.type == "log", "slice: lr's axis is not logarithmic")
star = trace(sliced, "Best Trial")
check(math.isclose(star.x[0], best.params["lr"]) and math.isclose(star.y[0], best.value), "slice: the best trial is not marked")

parallel = vis.plot_parallel_coordinate(study, params=["lr", "dropout", "n_layers"])
dimensions = parallel.data[0].dimensions
check(len(dimensions) == 4, f"parallel: {len(dimensions)} axes for the value and 3 parameters")
check(len(dimensions[0].values) == len(complete), "parallel: not one line per complete trial")

contour = vis.plot_contour(study, params=["lr", "dropout"])
scatter = [t for t in contour.data if t.type == "scatter" and t.name != "Best Trial"]
check(scatter and len(scatter[0].x) == len(complete), "contour: not one point per complete trial")

importances = vis.plot_param_importances(study)
bars = importances.data[0]
check(len(bars.x) == len(optuna.importance.get_param_importances(study)), "importances: not one bar per parameter")

curves = vis.plot_intermediate_values(study)
check(len(curves.data) == len(reported), f"intermediate values: {len(curves.data)} curves for {len(reported)} trials")

timeline = vis.plot_timeline(study)
check(sum(len(t.x) for t in timeline.data) == len(started), "timeline: not one bar per started trial")

edf = vis.plot_edf(study)
check(math.isclose(max(edf.data[0].y), 1.0), "edf: does not reach 1")

rank = vis.plot_rank(study, params=["lr", "dropout"])
check(len(rank.data[0].x) == len(complete), "rank: not one point per complete trial")

for name in ("plot_optimization_history", "plot_slice", "plot_contour", "plot_param_importances", "plot_intermediate_values", "plot_timeline", "plot_edf"):
    kwargs = {"params": ["lr", "dropout"]} if name in ("plot_slice", "plot_contour") else {}
    axes = getattr(mpl, name)(study, **kwargs)
    check(axes is not None, f"matplotlib {name} returned nothing")

# Two objectives: the Pareto front and the hypervolume.
multi = optuna.create_study(directions=["minimize", "maximize"], sampler=optuna.samplers.RandomSampler(seed=1))
multi.optimize(lambda t: (t.suggest_float("x", 0, 1) ** 2, t.suggest_float("y", 0, 1)), n_trials=60)
front = vis.plot_pareto_front(multi)
check(len(trace(front, "Best Trial").x) == len(multi.best_trials), "pareto: the front is not marked")
hv = vis.plot_hypervolume_history(multi, reference_point=[1.0, 0.0])
check(hv.data[0].y[-1] > 0, "hypervolume history: no volume")
mpl.plot_pareto_front(multi)

print(f"check_plots_python: every plot of digits-mlp ({len(complete)} complete trials) and a two-objective study checked")
