"""Example: pickle and deep-copy a study and its trials (joblib, multiprocessing and checkpoints need it)."""

import copy
import pickle

import optuna

study = optuna.create_study(study_name="pickled")
study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)

frozen = study.best_trial
again = pickle.loads(pickle.dumps(frozen))
assert again.params == frozen.params and again.value == frozen.value and again.number == frozen.number
assert copy.deepcopy(frozen).params == frozen.params

restored = pickle.loads(pickle.dumps(study))
assert restored.study_name == "pickled"
assert len(restored.trials) == 5
restored.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
assert len(restored.trials) == 6
