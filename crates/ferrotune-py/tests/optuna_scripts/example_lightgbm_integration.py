"""Example: prune LightGBM boosting runs on their validation AUC with
LightGBMPruningCallback (through ``optuna.integration``)."""

import lightgbm as lgb
import numpy as np
import optuna
import sklearn.datasets
import sklearn.metrics
from sklearn.model_selection import train_test_split

N_ROUNDS = 30


def objective(trial):
    data, target = sklearn.datasets.load_breast_cancer(return_X_y=True)
    train_x, valid_x, train_y, valid_y = train_test_split(data, target, test_size=0.25, random_state=0)
    dtrain = lgb.Dataset(train_x, label=train_y)
    dvalid = lgb.Dataset(valid_x, label=valid_y)

    param = {
        "objective": "binary",
        "metric": "auc",
        "verbosity": -1,
        "num_threads": 1,
        "boosting_type": "gbdt",
        "learning_rate": trial.suggest_float("learning_rate", 1e-4, 0.5, log=True),
        "num_leaves": trial.suggest_int("num_leaves", 2, 64),
        "min_child_samples": trial.suggest_int("min_child_samples", 5, 100),
        "bagging_fraction": trial.suggest_float("bagging_fraction", 0.4, 1.0),
        "bagging_freq": 1,
    }

    # Add a callback for pruning.
    pruning_callback = optuna.integration.LightGBMPruningCallback(trial, "auc")
    gbm = lgb.train(param, dtrain, N_ROUNDS, valid_sets=[dvalid], callbacks=[pruning_callback])

    preds = gbm.predict(valid_x)
    return sklearn.metrics.roc_auc_score(valid_y, preds)


if __name__ == "__main__":
    study = optuna.create_study(
        pruner=optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=5),
        direction="maximize",
        sampler=optuna.samplers.TPESampler(seed=0),
    )
    # A hopeless learning rate, to be sure something is pruned.
    study.enqueue_trial({"learning_rate": 0.3, "num_leaves": 16, "min_child_samples": 10, "bagging_fraction": 0.9})
    study.enqueue_trial({"learning_rate": 0.3, "num_leaves": 16, "min_child_samples": 10, "bagging_fraction": 0.9})
    study.enqueue_trial({"learning_rate": 0.3, "num_leaves": 16, "min_child_samples": 10, "bagging_fraction": 0.9})
    study.enqueue_trial({"learning_rate": 1e-4, "num_leaves": 2, "min_child_samples": 100, "bagging_fraction": 0.4})
    study.optimize(objective, n_trials=15)

    pruned = study.get_trials(deepcopy=False, states=[optuna.trial.TrialState.PRUNED])
    complete = study.get_trials(deepcopy=False, states=[optuna.trial.TrialState.COMPLETE])
    print("Number of finished trials: {}".format(len(study.trials)))
    print("Best trial: value {}, params {}".format(study.best_value, study.best_params))
    assert len(pruned) + len(complete) == 15
    assert study.trials[3].state == optuna.trial.TrialState.PRUNED
    for trial in pruned:
        steps = sorted(trial.intermediate_values)
        assert steps == list(range(len(steps))) and 5 < len(steps) < N_ROUNDS
    for trial in complete:
        assert sorted(trial.intermediate_values) == list(range(N_ROUNDS))
        assert all(0.5 <= v <= 1.0 for v in trial.intermediate_values.values())
    assert study.best_value > 0.95
    assert np.isfinite(study.best_value)
