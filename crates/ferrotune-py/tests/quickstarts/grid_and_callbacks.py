# Grid search, callbacks that stop the study, parallel trials.
import threading

import ferrotune as optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)

search_space = {"x": [-50, 0, 50], "y": [-99, 0, 99]}
study = optuna.create_study(sampler=optuna.samplers.GridSampler(search_space, seed=0))
study.optimize(lambda t: t.suggest_int("x", -100, 100) ** 2 + t.suggest_int("y", -100, 100) ** 2, n_jobs=2)
seen = sorted((t.params["x"], t.params["y"]) for t in study.trials)
assert seen == sorted((x, y) for x in search_space["x"] for y in search_space["y"]), seen
print("grid covered exactly once:", len(seen), "points")


def stop_when_good(study, trial):
    if trial.value is not None and trial.value < 1.0:
        study.stop()


threads = set()


def objective(trial):
    threads.add(threading.get_ident())
    x = trial.suggest_float("x", -10, 10)
    return (x - 2) ** 2


study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3))
study.optimize(objective, n_trials=1000, n_jobs=2, callbacks=[stop_when_good])
assert len(study.trials) < 1000 and study.best_value < 1.0
print("stopped after", len(study.trials), "trials; best", study.best_value, "threads", len(threads))
