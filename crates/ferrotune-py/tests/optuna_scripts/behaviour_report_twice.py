"""Reporting a step twice keeps the first value, with a warning."""

import warnings

import optuna

study = optuna.create_study()
trial = study.ask()
trial.report(1.0, step=0)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    trial.report(2.0, step=0)
assert len(caught) == 1, [str(w.message) for w in caught]
trial.report(3.0, step=1)
study.tell(trial, 3.0)
assert study.trials[0].intermediate_values == {0: 1.0, 1: 3.0}
