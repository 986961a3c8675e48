"""An objective may return inf (a diverged run): the trial is complete, and the worst."""

import math

import optuna


def objective(trial):
    x = trial.suggest_float("x", -1, 1)
    if x > 0.5:
        return float("inf")
    return x**2


study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
study.optimize(objective, n_trials=30)
infinite = [t for t in study.trials if t.value is not None and math.isinf(t.value)]
assert infinite, "some trials diverged"
assert all(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
assert math.isfinite(study.best_value)

nan_study = optuna.create_study()
nan_study.optimize(lambda t: float("nan"), n_trials=1)
assert nan_study.trials[0].state == optuna.trial.TrialState.FAIL
