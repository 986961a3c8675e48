"""API docs: FixedTrial runs an objective on given parameters, outside any study."""

import optuna


def objective(trial):
    x = trial.suggest_float("x", -10, 10)
    n = trial.suggest_int("n", 1, 5)
    kind = trial.suggest_categorical("kind", ["sq", "abs"])
    return n * (x**2 if kind == "sq" else abs(x))


assert objective(optuna.trial.FixedTrial({"x": 2.0, "n": 3, "kind": "sq"})) == 12.0
assert objective(optuna.trial.FixedTrial({"x": -2.0, "n": 1, "kind": "abs"})) == 2.0

fixed = optuna.trial.FixedTrial({"x": 1.0})
try:
    fixed.suggest_float("y", 0, 1)
except ValueError:
    pass
else:
    raise AssertionError("a parameter not given must raise")

# Re-running the best trial of a study: a FrozenTrial suggests its own values.
study = optuna.create_study()
study.optimize(objective, n_trials=5)
best = study.best_trial
assert objective(best) == best.value
