# A sampler and a pruner of one's own, subclassing Optuna's base classes, as
# Optuna's "User-Defined Sampler" / "User-Defined Pruner" tutorials show, plus
# PartialFixedSampler and the intersection search space.
import numpy as np

import ferrotune as optuna
from ferrotune.trial import TrialState


class HillClimbingSampler(optuna.samplers.BaseSampler):
    """Moves from the best complete trial to a random neighbour, over the
    float parameters every complete trial shares."""

    def __init__(self, seed=None):
        self._rng = np.random.RandomState(seed)
        self._fallback = optuna.samplers.RandomSampler(seed=seed)

    def infer_relative_search_space(self, study, trial):
        space = optuna.search_space.intersection_search_space(study.get_trials(deepcopy=False))
        return {n: d for n, d in space.items() if isinstance(d, optuna.distributions.FloatDistribution)}

    def sample_relative(self, study, trial, search_space):
        complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if not search_space or not complete:
            return {}
        pick = min if study.direction == optuna.study.StudyDirection.MINIMIZE else max
        best = pick(complete, key=lambda t: t.value)
        params = {}
        for name, d in search_space.items():
            radius = 0.05 * (d.high - d.low)
            centre = best.params[name]
            params[name] = float(self._rng.uniform(max(d.low, centre - radius), min(d.high, centre + radius)))
        return params

    def sample_independent(self, study, trial, param_name, param_distribution):
        return self._fallback.sample_independent(study, trial, param_name, param_distribution)


def objective(trial):
    x = trial.suggest_float("x", -4, 4)
    y = trial.suggest_float("y", -4, 4)
    return (x - 1) ** 2 + (y + 2) ** 2


study = optuna.create_study(sampler=HillClimbingSampler(seed=3))
study.optimize(objective, n_trials=60)
print("hill climbing:", study.best_value, study.best_params)
assert study.best_value < 0.5

study = optuna.create_study(sampler=HillClimbingSampler(seed=3))
study.optimize(objective, n_trials=40, n_jobs=4)
assert len(study.trials) == 40


class SlowStarterPruner(optuna.pruners.BasePruner):
    """Stops a trial whose latest report is worse than every complete
    trial's report at the same step, once a few trials have completed."""

    def prune(self, study, trial):
        step = trial.last_step
        if step is None:
            return False
        complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        seen = [t.intermediate_values[step] for t in complete if step in t.intermediate_values]
        return len(seen) >= 3 and trial.intermediate_values[step] > max(seen)


def learning_curve(trial):
    rate = trial.suggest_float("rate", 0.01, 1.0, log=True)
    loss = 10.0
    for epoch in range(8):
        loss *= 1 - rate / 2
        trial.report(loss, epoch)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return loss


study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0), pruner=SlowStarterPruner())
study.optimize(learning_curve, n_trials=30)
pruned = [t for t in study.trials if t.state == TrialState.PRUNED]
print("pruned", len(pruned), "of", len(study.trials))
assert pruned

sampler = optuna.samplers.PartialFixedSampler({"y": -2.0}, optuna.samplers.TPESampler(seed=0))
study = optuna.create_study(sampler=sampler)
study.optimize(objective, n_trials=20)
assert {t.params["y"] for t in study.trials} == {-2.0}
space = optuna.search_space.intersection_search_space(study.trials)
assert sorted(space) == ["x", "y"]
