"""Example: callbacks that see each finished trial and stop the study."""

import optuna


def objective(trial):
    return trial.suggest_float("x", 0, 1)


seen = []


def record(study, trial):
    seen.append((trial.number, trial.state))


def stop_when_good(study, trial):
    if trial.value is not None and trial.value < 0.1:
        study.stop()


study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=4))
study.optimize(objective, n_trials=500, callbacks=[record, stop_when_good])
assert study.trials[-1].value < 0.1
assert len(study.trials) < 500
assert [n for n, _ in seen] == [t.number for t in study.trials]
assert all(state == optuna.trial.TrialState.COMPLETE for _, state in seen)
