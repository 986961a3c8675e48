"""API docs: a study's sampler and pruner, and a trial's relative params."""

import optuna

sampler = optuna.samplers.TPESampler(seed=0, multivariate=True, n_startup_trials=3)
pruner = optuna.pruners.MedianPruner()
study = optuna.create_study(sampler=sampler, pruner=pruner)
assert study.sampler is sampler
assert study.pruner is pruner
assert isinstance(optuna.create_study().sampler, optuna.samplers.TPESampler)


def objective(trial):
    x = trial.suggest_float("x", 0, 1)
    y = trial.suggest_float("y", 0, 1)
    if trial.number >= 3:
        assert set(trial.relative_params) == {"x", "y"}, trial.relative_params
        assert trial.relative_params["x"] == x
    return x + y


study.optimize(objective, n_trials=6)
