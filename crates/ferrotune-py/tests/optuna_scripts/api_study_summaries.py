"""API docs: list the studies of a storage with their summaries."""

import optuna

storage = "sqlite:///summaries.db"
a = optuna.create_study(study_name="a", storage=storage)
a.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
b = optuna.create_study(study_name="b", storage=storage, directions=["minimize", "maximize"])
b.set_user_attr("owner", "me")

summaries = {s.study_name: s for s in optuna.get_all_study_summaries(storage, include_best_trial=True)}
assert set(summaries) == {"a", "b"}
assert summaries["a"].n_trials == 3
assert summaries["a"].direction == optuna.study.StudyDirection.MINIMIZE
assert summaries["a"].best_trial.value == a.best_value
assert summaries["b"].directions == [optuna.study.StudyDirection.MINIMIZE, optuna.study.StudyDirection.MAXIMIZE]
assert summaries["b"].user_attrs == {"owner": "me"}
assert summaries["b"].best_trial is None
assert summaries["a"].datetime_start is not None
