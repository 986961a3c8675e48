"""Tutorial: a pruner of one's own (stop a trial that is worse than the last complete one at the same step)."""

import optuna
from optuna.trial import TrialState


class LastPlacePruner(optuna.pruners.BasePruner):
    def __init__(self, warmup_steps):
        self._warmup_steps = warmup_steps
        self.pruned = []

    def prune(self, study, trial):
        step = trial.last_step
        if step is None or step < self._warmup_steps:
            return False
        others = [
            t.intermediate_values[step]
            for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
            if step in t.intermediate_values
        ]
        if not others:
            return False
        if trial.intermediate_values[step] > max(others):
            self.pruned.append(trial.number)
            return True
        return False


def objective(trial):
    slope = trial.suggest_float("slope", 0.0, 1.0)
    for step in range(10):
        trial.report(1.0 - slope * step / 10, step)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return 1.0 - slope


pruner = LastPlacePruner(warmup_steps=2)
study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0), pruner=pruner)
study.optimize(objective, n_trials=30)
pruned = [t.number for t in study.trials if t.state == TrialState.PRUNED]
assert pruned == pruner.pruned and pruned, (pruned, pruner.pruned)
