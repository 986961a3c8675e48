"""API docs: name the objectives of a study."""

import optuna

study = optuna.create_study(directions=["minimize", "maximize"], storage="sqlite:///names.db", study_name="named")
study.set_metric_names(["loss", "accuracy"])
study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), n_trials=3)
assert study.metric_names == ["loss", "accuracy"]
assert optuna.load_study(study_name="named", storage="sqlite:///names.db").metric_names == ["loss", "accuracy"]
df = study.trials_dataframe(multi_index=True)
assert ("values", "loss") in df.columns and ("values", "accuracy") in df.columns
try:
    study.set_metric_names(["just-one"])
except ValueError:
    pass
else:
    raise AssertionError("one name per objective")
