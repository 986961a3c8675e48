"""API docs: the Pareto front and hypervolume history of a two-objective study."""

import optuna


def objective(trial):
    x = trial.suggest_float("x", 0, 5)
    y = trial.suggest_float("y", 0, 3)
    return 4 * x**2 + 4 * y**2, (x - 5) ** 2 + (y - 5) ** 2


study = optuna.create_study(directions=["minimize", "minimize"], sampler=optuna.samplers.NSGAIISampler(seed=1))
study.optimize(objective, n_trials=60)
figure = optuna.visualization.plot_pareto_front(study, target_names=["f1", "f2"])
assert len(figure.data) >= 1
history = optuna.visualization.plot_hypervolume_history(study, reference_point=[150.0, 60.0])
ys = [y for trace in history.data for y in trace.y]
assert ys == sorted(ys), "the hypervolume never decreases"
assert ys[-1] > 0
single = optuna.visualization.plot_optimization_history(study, target=lambda t: t.values[0], target_name="f1")
assert len(single.data) >= 1
