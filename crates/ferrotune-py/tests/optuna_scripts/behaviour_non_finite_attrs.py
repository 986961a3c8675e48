"""User attributes keep NaN and infinities as floats."""

import math

import optuna

study = optuna.create_study()
trial = study.ask()
trial.set_user_attr("nan", float("nan"))
trial.set_user_attr("inf", float("inf"))
trial.set_user_attr("ninf", float("-inf"))
study.tell(trial, 1.0)
attrs = study.trials[0].user_attrs
assert math.isnan(attrs["nan"])
assert attrs["inf"] == float("inf") and attrs["ninf"] == float("-inf")
