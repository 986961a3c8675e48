"""Example: Gaussian-process Bayesian optimization for an expensive objective."""

import optuna


def objective(trial):
    x = trial.suggest_float("x", -5, 5)
    y = trial.suggest_int("y", -3, 3)
    return (x - 1) ** 2 + (y + 2) ** 2


study = optuna.create_study(sampler=optuna.samplers.GPSampler(seed=0, n_startup_trials=5))
study.optimize(objective, n_trials=15)
print(study.best_params, study.best_value)
assert study.best_value < 2.0, study.best_value

mo = optuna.create_study(directions=["minimize", "minimize"], sampler=optuna.samplers.GPSampler(seed=0))
mo.optimize(lambda t: (t.suggest_float("x", 0, 1) ** 2, (t.suggest_float("y", 0, 1) - 1) ** 2), n_trials=12)
assert len(mo.best_trials) >= 1
