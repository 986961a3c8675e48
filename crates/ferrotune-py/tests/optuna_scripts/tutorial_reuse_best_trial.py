"""Tutorial: re-use the best trial to compute more metrics with its parameters."""

import optuna
import sklearn.datasets
import sklearn.linear_model
import sklearn.metrics
import sklearn.model_selection


def objective(trial):
    x, y = sklearn.datasets.make_classification(n_features=10, random_state=0)
    x_train, x_valid, y_train, y_valid = sklearn.model_selection.train_test_split(x, y, random_state=0)
    c = trial.suggest_float("C", 1e-7, 10.0, log=True)
    clf = sklearn.linear_model.LogisticRegression(C=c)
    clf.fit(x_train, y_train)
    return clf.score(x_valid, y_valid)


study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=1))
study.optimize(objective, n_trials=10)


def detailed_objective(trial):
    x, y = sklearn.datasets.make_classification(n_features=10, random_state=0)
    x_train, x_valid, y_train, y_valid = sklearn.model_selection.train_test_split(x, y, random_state=0)
    c = trial.suggest_float("C", 1e-7, 10.0, log=True)
    clf = sklearn.linear_model.LogisticRegression(C=c)
    clf.fit(x_train, y_train)
    pred = clf.predict(x_valid)
    return (
        sklearn.metrics.accuracy_score(y_valid, pred),
        sklearn.metrics.precision_score(y_valid, pred),
        sklearn.metrics.recall_score(y_valid, pred),
    )


accuracy, precision, recall = detailed_objective(study.best_trial)
assert accuracy == study.best_value
assert 0 <= precision <= 1 and 0 <= recall <= 1
