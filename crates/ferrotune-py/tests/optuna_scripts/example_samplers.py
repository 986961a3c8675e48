"""Example: each built-in sampler on the same small problem."""

import optuna


def objective(trial):
    x = trial.suggest_float("x", -5, 5)
    y = trial.suggest_float("y", -5, 5)
    return (x - 1) ** 2 + (y + 2) ** 2


samplers = [
    optuna.samplers.RandomSampler(seed=0),
    optuna.samplers.TPESampler(seed=0, n_startup_trials=5, multivariate=True),
    optuna.samplers.CmaEsSampler(seed=0),
    optuna.samplers.QMCSampler(seed=0, qmc_type="sobol", scramble=True),
]
for sampler in samplers:
    study = optuna.create_study(sampler=sampler)
    study.optimize(objective, n_trials=25)
    print(type(sampler).__name__, study.best_value)
    assert study.best_value < 5.0, (type(sampler).__name__, study.best_value)

grid = optuna.samplers.GridSampler({"x": [-1, 0, 1], "y": [-2, 2]}, seed=0)
study = optuna.create_study(sampler=grid)
study.optimize(objective, n_trials=100)
assert len(study.trials) == 6
assert sorted((t.params["x"], t.params["y"]) for t in study.trials) == [
    (x, y) for x in (-1, 0, 1) for y in (-2, 2)
]
