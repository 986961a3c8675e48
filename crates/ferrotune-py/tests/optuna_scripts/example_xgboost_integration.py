"""Example: prune XGBoost boosting runs on their validation AUC with
XGBoostPruningCallback (from ``optuna_integration``)."""

import numpy as np
import optuna
import optuna_integration
import sklearn.datasets
import sklearn.metrics
import xgboost as xgb
from sklearn.model_selection import train_test_split

N_ROUNDS = 25


def objective(trial):
    data, target = sklearn.datasets.load_breast_cancer(return_X_y=True)
    train_x, valid_x, train_y, valid_y = train_test_split(data, target, test_size=0.25, random_state=0)
    dtrain = xgb.DMatrix(train_x, label=train_y)
    dvalid = xgb.DMatrix(valid_x, label=valid_y)

    param = {
        "verbosity": 0,
        "objective": "binary:logistic",
        "eval_metric": "auc",
        "nthread": 1,
        "booster": "gbtree",
        "lambda": trial.suggest_float("lambda", 1e-8, 1.0, log=True),
        "max_depth": trial.suggest_int("max_depth", 1, 6),
        "eta": trial.suggest_float("eta", 1e-6, 1.0, log=True),
        "subsample": trial.suggest_float("subsample", 0.5, 1.0),
    }

    # Add a callback for pruning.
    pruning_callback = optuna_integration.XGBoostPruningCallback(trial, "validation-auc")
    bst = xgb.train(param, dtrain, N_ROUNDS, evals=[(dvalid, "validation")], callbacks=[pruning_callback], verbose_eval=False)
    preds = bst.predict(dvalid)
    return sklearn.metrics.roc_auc_score(valid_y, preds)


if __name__ == "__main__":
    study = optuna.create_study(
        pruner=optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=3),
        direction="maximize",
        sampler=optuna.samplers.TPESampler(seed=0),
    )
    good = {"lambda": 1e-3, "max_depth": 4, "eta": 0.3, "subsample": 0.9}
    for _ in range(3):
        study.enqueue_trial(good)
    # Stumps that barely move: hopeless against the trees above.
    study.enqueue_trial({"lambda": 1.0, "max_depth": 1, "eta": 1e-6, "subsample": 0.5})
    study.optimize(objective, n_trials=12)

    pruned = study.get_trials(deepcopy=False, states=[optuna.trial.TrialState.PRUNED])
    complete = study.get_trials(deepcopy=False, states=[optuna.trial.TrialState.COMPLETE])
    print("Number of finished trials: {}".format(len(study.trials)))
    print("Best trial: value {}, params {}".format(study.best_value, study.best_params))
    assert len(pruned) + len(complete) == 12
    assert study.trials[3].state == optuna.trial.TrialState.PRUNED
    for trial in pruned:
        assert 3 < len(trial.intermediate_values) < N_ROUNDS
    for trial in complete:
        assert len(trial.intermediate_values) == N_ROUNDS
    assert study.best_value > 0.95 and np.isfinite(study.best_value)
