"""Example: PartialFixedSampler holds some parameters fixed while the base sampler tunes the rest."""

import optuna


def objective(trial):
    x = trial.suggest_float("x", -1, 1)
    y = trial.suggest_int("y", -1, 1)
    return x**2 + y


study = optuna.create_study()
study.optimize(objective, n_trials=10)
fixed_params = {"y": study.best_params["y"]}
partial_sampler = optuna.samplers.PartialFixedSampler(fixed_params, study.sampler)
study.sampler = partial_sampler
study.optimize(objective, n_trials=10)
assert all(t.params["y"] == fixed_params["y"] for t in study.trials[10:])
