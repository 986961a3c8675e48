"""trial.params lists parameters in the order they were suggested."""

import optuna


def objective(trial):
    trial.suggest_float("zeta", 0, 1)
    trial.suggest_int("alpha", 0, 3)
    trial.suggest_categorical("mid", ["u", "v"])
    return 0.0


study = optuna.create_study()
study.optimize(objective, n_trials=2)
for trial in study.trials:
    assert list(trial.params) == ["zeta", "alpha", "mid"], list(trial.params)
