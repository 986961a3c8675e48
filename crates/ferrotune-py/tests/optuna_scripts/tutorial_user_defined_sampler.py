"""Tutorial: a sampler of one's own (simulated annealing on the intersection search space)."""

import numpy as np
import optuna


class AnnealingSampler(optuna.samplers.BaseSampler):
    def __init__(self, temperature=100, seed=None):
        self._rng = np.random.RandomState(seed)
        self._independent_sampler = optuna.samplers.RandomSampler(seed=seed)
        self._current_trial = None
        self._temperature = temperature
        self.relative_calls = 0

    def infer_relative_search_space(self, study, trial):
        return optuna.search_space.intersection_search_space(study.get_trials(deepcopy=False))

    def sample_relative(self, study, trial, search_space):
        if search_space == {}:
            return {}
        self.relative_calls += 1
        prev_trial = study.trials[-2]
        if self._current_trial is None or prev_trial.value <= self._current_trial.value:
            probability = 1.0
        else:
            probability = np.exp((self._current_trial.value - prev_trial.value) / self._temperature)
        self._temperature *= 0.9
        if self._rng.uniform(0, 1) < probability:
            self._current_trial = prev_trial
        params = {}
        for name, dist in search_space.items():
            current = self._current_trial.params[name]
            width = (dist.high - dist.low) * 0.1
            params[name] = float(min(dist.high, max(dist.low, self._rng.uniform(current - width, current + width))))
        return params

    def sample_independent(self, study, trial, param_name, param_distribution):
        return self._independent_sampler.sample_independent(study, trial, param_name, param_distribution)


def objective(trial):
    x = trial.suggest_float("x", -10, 10)
    y = trial.suggest_float("y", -5, 5)
    return x**2 + y


sampler = AnnealingSampler(seed=1)
study = optuna.create_study(sampler=sampler)
study.optimize(objective, n_trials=50)
assert sampler.relative_calls >= 48, sampler.relative_calls
print("Best trial:", study.best_trial.params, study.best_value)
assert study.best_value < 0
