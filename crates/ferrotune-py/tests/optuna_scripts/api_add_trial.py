"""API docs: create_trial and Study.add_trial / add_trials, e.g. to seed a study with past results."""

import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution

study = optuna.create_study()
past = optuna.trial.create_trial(
    params={"x": 2.0, "kind": "b"},
    distributions={"x": FloatDistribution(0, 10), "kind": CategoricalDistribution(["a", "b"])},
    value=4.0,
    user_attrs={"from": "notebook"},
    intermediate_values={0: 9.0, 1: 5.0},
)
study.add_trial(past)
assert study.trials[0].params == {"x": 2.0, "kind": "b"}
assert study.trials[0].value == 4.0
assert study.trials[0].intermediate_values == {0: 9.0, 1: 5.0}
assert study.trials[0].user_attrs == {"from": "notebook"}
assert study.trials[0].state == optuna.trial.TrialState.COMPLETE

more = [
    optuna.trial.create_trial(params={"x": x}, distributions={"x": FloatDistribution(0, 10)}, value=(x - 3) ** 2)
    for x in (1.0, 3.0, 5.0)
]
study.add_trials(more)
assert len(study.trials) == 4
assert study.best_params == {"x": 3.0}
study.optimize(lambda t: (t.suggest_float("x", 0, 10) - 3) ** 2, n_trials=3)
assert [t.number for t in study.trials] == list(range(7))

try:
    optuna.trial.create_trial(params={"x": 20.0}, distributions={"x": FloatDistribution(0, 10)}, value=1.0)
except ValueError:
    pass
else:
    raise AssertionError("a param outside its distribution must be refused")

failed = optuna.trial.create_trial(state=optuna.trial.TrialState.FAIL)
study.add_trial(failed)
assert study.trials[-1].state == optuna.trial.TrialState.FAIL
