import ferrotune as optuna


def objective(trial):
    x = trial.suggest_float("x", -10, 10)
    return (x - 2) ** 2


study = optuna.create_study()
study.optimize(objective, n_trials=100)

best_params = study.best_params
found_x = best_params["x"]
print("Found x: {}, (x - 2)^2: {}".format(found_x, (found_x - 2) ** 2))
assert abs(found_x - 2) < 1.0
assert len(study.trials) == 100
assert study.best_trial.number == min(study.trials, key=lambda t: t.value).number
