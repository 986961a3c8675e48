"""Example: the study's trials as a pandas DataFrame."""

import optuna


def objective(trial):
    x = trial.suggest_float("x", -3, 3)
    k = trial.suggest_categorical("kind", ["a", "b"])
    trial.set_user_attr("note", f"x={x:.2f}")
    return x**2 + (1 if k == "a" else 0)


study = optuna.create_study()
study.optimize(objective, n_trials=8)
df = study.trials_dataframe()
print(df.head())
assert len(df) == 8
for column in ("number", "value", "datetime_start", "datetime_complete", "duration", "params_x", "params_kind",
               "user_attrs_note", "state"):
    assert column in df.columns, column
assert list(df["number"]) == list(range(8))
assert set(df["state"]) == {"COMPLETE"}
df2 = study.trials_dataframe(attrs=("number", "value", "params"), multi_index=True)
assert ("params", "x") in df2.columns
