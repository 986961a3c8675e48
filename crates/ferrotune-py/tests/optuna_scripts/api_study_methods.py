"""API docs: reading a study: trials by state, best trials, attributes; deleting it."""

import optuna
from optuna.trial import TrialState

storage = "sqlite:///methods.db"
study = optuna.create_study(study_name="methods", storage=storage, direction="maximize")


def objective(trial):
    x = trial.suggest_int("x", 0, 9)
    if trial.number == 0:
        raise optuna.TrialPruned()
    return x


study.enqueue_trial({"x": 0})
study.enqueue_trial({"x": 9})
study.optimize(objective, n_trials=6)
assert study.direction == optuna.study.StudyDirection.MAXIMIZE
assert study.get_trials(states=(TrialState.PRUNED,))[0].params == {"x": 0}
complete = study.get_trials(deepcopy=False, states=[TrialState.COMPLETE])
assert len(complete) == 5
assert study.best_value == 9 and study.best_trials[0].value == 9
study.set_user_attr("k", 1)
assert optuna.load_study(study_name="methods", storage=storage).user_attrs == {"k": 1}
optuna.delete_study(study_name="methods", storage=storage)
try:
    optuna.load_study(study_name="methods", storage=storage)
except KeyError:
    pass
else:
    raise AssertionError("a deleted study cannot be loaded")
