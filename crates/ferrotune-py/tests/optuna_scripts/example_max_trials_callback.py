"""Example: MaxTrialsCallback caps the complete trials across workers."""

import optuna
from optuna.study import MaxTrialsCallback
from optuna.trial import TrialState


def objective(trial):
    x = trial.suggest_float("x", -1, 1)
    if x < -0.5:
        raise optuna.TrialPruned()
    return x**2


study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
study.optimize(objective, n_trials=100, callbacks=[MaxTrialsCallback(10, states=(TrialState.COMPLETE,))])
complete = study.get_trials(states=(TrialState.COMPLETE,))
assert len(complete) == 10, len(complete)
assert len(study.trials) < 100
