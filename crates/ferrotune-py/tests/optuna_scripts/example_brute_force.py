"""Example: BruteForceSampler tries every value of a discrete space."""

import optuna


def objective(trial):
    c = trial.suggest_categorical("c", ["float", "int"])
    if c == "float":
        return trial.suggest_float("x", 1, 3, step=0.5)
    return trial.suggest_int("y", -1, 1)


study = optuna.create_study(sampler=optuna.samplers.BruteForceSampler(seed=0))
study.optimize(objective)
values = sorted(t.value for t in study.trials)
assert values == [-1, 0, 1, 1.0, 1.5, 2.0, 2.5, 3.0], values
