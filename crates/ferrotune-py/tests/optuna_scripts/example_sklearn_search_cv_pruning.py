"""Example: OptunaSearchCV with enable_pruning, which trains the estimator
with partial_fit and lets the study's pruner stop poor trials
(``from optuna_integration import OptunaSearchCV``)."""

import numpy as np
import optuna
from optuna_integration import OptunaSearchCV
from sklearn.datasets import load_iris
from sklearn.linear_model import SGDClassifier
from sklearn.preprocessing import StandardScaler

if __name__ == "__main__":
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    study = optuna.create_study(
        direction="maximize",
        sampler=optuna.samplers.TPESampler(seed=0),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=2),
    )
    # Two sensible step sizes first, then one too small to learn anything.
    study.enqueue_trial({"eta0": 0.05})
    study.enqueue_trial({"eta0": 0.05})
    study.enqueue_trial({"eta0": 1e-9})
    search = OptunaSearchCV(
        SGDClassifier(learning_rate="constant", random_state=0),
        {"eta0": optuna.distributions.FloatDistribution(1e-9, 1.0, log=True)},
        cv=3,
        enable_pruning=True,
        max_iter=10,
        n_trials=10,
        study=study,
    )
    search.fit(X, y)

    states = [t.state for t in search.trials_]
    print("States:", states)
    print("Best:", search.best_params_, search.best_score_)
    assert states[2] == optuna.trial.TrialState.PRUNED
    for trial in search.trials_:
        if trial.state == optuna.trial.TrialState.COMPLETE:
            assert sorted(trial.intermediate_values) == list(range(10))
            assert trial.value == trial.intermediate_values[9]
        else:
            assert trial.state == optuna.trial.TrialState.PRUNED
            assert len(trial.intermediate_values) < 10
            # A pruned trial keeps the cross-validation of its last step.
            last = trial.intermediate_values[max(trial.intermediate_values)]
            assert np.isclose(trial.user_attrs["mean_test_score"], last)
    assert search.best_score_ > 0.8
    assert search.predict(X).shape == (150,)
