"""Categorical choices must not change between trials of one study."""

import optuna


def objective(trial):
    choices = ["a", "b"] if trial.number == 0 else ["a", "c"]
    trial.suggest_categorical("c", choices)
    return 1.0


study = optuna.create_study()
try:
    study.optimize(objective, n_trials=2)
except ValueError as e:
    assert "dynamic" in str(e) or "choices" in str(e), e
else:
    raise AssertionError("changing the choices must raise")
assert study.trials[1].state == optuna.trial.TrialState.FAIL
