"""API docs: the suggest methods, and what a trial records."""

import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution


def objective(trial):
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    dropout = trial.suggest_float("dropout", 0.0, 0.5, step=0.1)
    units = trial.suggest_int("units", 16, 256, step=16)
    layers = trial.suggest_int("layers", 1, 8, log=True)
    activation = trial.suggest_categorical("activation", ["relu", None, 1, 2.5, True])
    assert 1e-5 <= lr <= 1e-1
    assert round(dropout * 10) == dropout * 10 or abs(dropout * 10 - round(dropout * 10)) < 1e-9
    assert units % 16 == 0 and isinstance(units, int)
    assert 1 <= layers <= 8
    assert activation in ["relu", None, 1, 2.5, True]
    return lr * units


study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=7))
study.optimize(objective, n_trials=20)
trial = study.trials[0]
assert trial.distributions == {
    "lr": FloatDistribution(1e-5, 1e-1, log=True),
    "dropout": FloatDistribution(0.0, 0.5, step=0.1),
    "units": IntDistribution(16, 256, step=16),
    "layers": IntDistribution(1, 8, log=True),
    "activation": CategoricalDistribution(["relu", None, 1, 2.5, True]),
}
assert trial.datetime_start <= trial.datetime_complete
assert trial.duration.total_seconds() >= 0
assert [t.number for t in study.trials] == list(range(20))
assert all(t.last_step is None for t in study.trials)
