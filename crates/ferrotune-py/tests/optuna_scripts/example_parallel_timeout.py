"""Example: parallel trials in threads, a timeout, garbage collection after each trial and catch."""

import time

import optuna


def objective(trial):
    x = trial.suggest_float("x", -1, 1)
    if x > 0.9:
        raise ArithmeticError("diverged")
    time.sleep(0.01)
    return x**2


study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=5))
study.optimize(objective, n_trials=40, n_jobs=2, gc_after_trial=True, catch=(ArithmeticError,))
assert len(study.trials) == 40
failed = [t for t in study.trials if t.state == optuna.trial.TrialState.FAIL]
assert all(t.params["x"] > 0.9 for t in failed)
assert sorted(t.number for t in study.trials) == list(range(40))

start = time.time()
study.optimize(objective, timeout=0.5, catch=(ArithmeticError,))
assert time.time() - start < 5
assert len(study.trials) > 40
