"""Telling a finished trial again raises ValueError; changing it raises UpdateFinishedTrialError."""

import optuna

study = optuna.create_study()
trial = study.ask()
trial.suggest_float("x", 0, 1)
study.tell(trial, 1.0)
try:
    study.tell(trial, 2.0)
except ValueError:
    pass
else:
    raise AssertionError("tell on a finished trial must raise")
frozen = study.tell(trial, 2.0, skip_if_finished=True)
assert frozen.value == 1.0
try:
    trial.set_user_attr("late", 1)
except optuna.exceptions.UpdateFinishedTrialError as e:
    assert isinstance(e, RuntimeError)
else:
    raise AssertionError("a finished trial cannot change")
