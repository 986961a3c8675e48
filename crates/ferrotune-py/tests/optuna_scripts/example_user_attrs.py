"""Example: user attributes on trials and on the study."""

import optuna


def objective(trial):
    x = trial.suggest_float("x", -3, 3)
    trial.set_user_attr("squared", x * x)
    trial.set_user_attr("tags", ["a", "b"])
    trial.set_user_attr("config", {"epochs": 3, "optimizer": "adam"})
    return x * x


study = optuna.create_study(storage="sqlite:///attrs.db", study_name="attrs")
study.set_user_attr("contributors", ["alice", "bob"])
study.set_user_attr("dataset", "MNIST")
study.optimize(objective, n_trials=5)

loaded = optuna.load_study(study_name="attrs", storage="sqlite:///attrs.db")
assert loaded.user_attrs == {"contributors": ["alice", "bob"], "dataset": "MNIST"}
for trial in loaded.trials:
    assert trial.user_attrs["squared"] == trial.value
    assert trial.user_attrs["tags"] == ["a", "b"]
    assert trial.user_attrs["config"] == {"epochs": 3, "optimizer": "adam"}
