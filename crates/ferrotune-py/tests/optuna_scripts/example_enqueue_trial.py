"""Example: evaluate hand-picked configurations first with enqueue_trial."""

import optuna


def objective(trial):
    x = trial.suggest_float("x", 0, 10)
    y = trial.suggest_int("y", 0, 10)
    return (x - 3) ** 2 + (y - 7) ** 2


study = optuna.create_study()
study.enqueue_trial({"x": 3.0, "y": 7})
study.enqueue_trial({"x": 5.0}, user_attrs={"source": "colleague"})
study.optimize(objective, n_trials=5)

assert study.trials[0].params == {"x": 3.0, "y": 7}
assert study.trials[0].value == 0.0
assert study.trials[1].params["x"] == 5.0
assert study.trials[1].user_attrs["source"] == "colleague"
assert study.best_trial.number == 0

study.enqueue_trial({"x": 3.0, "y": 7}, skip_if_exists=True)
study.optimize(objective, n_trials=1)
assert study.trials[-1].params != {"x": 3.0, "y": 7}, "a configuration already evaluated is skipped"
