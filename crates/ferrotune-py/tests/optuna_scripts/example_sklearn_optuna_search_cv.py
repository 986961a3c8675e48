"""Example: OptunaSearchCV, a scikit-learn estimator that searches an
estimator's hyperparameters by cross-validation (``optuna.integration``)."""

import optuna
from sklearn.datasets import load_iris
from sklearn.svm import SVC

if __name__ == "__main__":
    clf = SVC(gamma="auto")
    param_distributions = {
        "C": optuna.distributions.FloatDistribution(1e-10, 1e10, log=True),
        "kernel": optuna.distributions.CategoricalDistribution(["linear", "rbf"]),
    }
    optuna_search = optuna.integration.OptunaSearchCV(
        clf, param_distributions, n_trials=12, cv=3, random_state=0, timeout=120
    )
    X, y = load_iris(return_X_y=True)
    optuna_search.fit(X, y)
    y_pred = optuna_search.predict(X)

    print("Best trial:", optuna_search.best_trial_.number, optuna_search.best_params_)
    print("Best score:", optuna_search.best_score_)
    assert optuna_search.n_trials_ == 12
    assert optuna_search.n_splits_ == 3
    scores = [t.value for t in optuna_search.trials_ if t.value is not None]
    assert optuna_search.best_score_ == max(scores) > 0.9
    assert optuna_search.best_index_ == optuna_search.best_trial_.number
    best = optuna_search.best_trial_
    split_scores = [best.user_attrs["split{}_test_score".format(i)] for i in range(3)]
    assert abs(sum(split_scores) / 3 - best.user_attrs["mean_test_score"]) < 1e-12
    assert "mean_fit_time" in best.user_attrs and "std_test_score" in best.user_attrs
    assert optuna_search.best_estimator_.get_params()["C"] == optuna_search.best_params_["C"]
    assert y_pred.shape == (150,)
    assert list(optuna_search.classes_) == [0, 1, 2]
    assert optuna_search.score(X, y) > 0.9
    assert optuna_search.refit_time_ >= 0
    df = optuna_search.trials_dataframe()
    assert len(df) == 12 and "user_attrs_mean_test_score" in df.columns
    assert optuna_search.study_.direction == optuna.study.StudyDirection.MAXIMIZE
