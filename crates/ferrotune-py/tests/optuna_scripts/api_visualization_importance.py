"""API docs: plots and parameter importances of a finished study."""

import optuna


def objective(trial):
    x = trial.suggest_float("x", -4, 4)
    y = trial.suggest_int("y", -4, 4)
    z = trial.suggest_categorical("z", ["a", "b"])
    for step in range(3):
        trial.report(x**2 + step, step)
    return x**2 + 0.1 * y**2 + (0.0 if z == "a" else 0.01)


study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=2))
study.optimize(objective, n_trials=40)

importances = optuna.importance.get_param_importances(study)
assert list(importances)[0] == "x", importances
assert abs(sum(importances.values()) - 1.0) < 1e-9

from optuna.visualization import (  # noqa: E402
    plot_contour,
    plot_edf,
    plot_intermediate_values,
    plot_optimization_history,
    plot_parallel_coordinate,
    plot_param_importances,
    plot_rank,
    plot_slice,
    plot_timeline,
)

for plot in (plot_optimization_history, plot_intermediate_values, plot_parallel_coordinate, plot_contour,
             plot_slice, plot_param_importances, plot_edf, plot_rank, plot_timeline):
    figure = plot(study)
    assert len(figure.data) > 0, plot.__name__
assert optuna.visualization.is_available()
