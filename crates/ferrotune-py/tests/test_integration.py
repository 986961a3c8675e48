"""ferrotune.integration: Optuna's pruning callbacks for LightGBM, XGBoost
and PyTorch Lightning, and OptunaSearchCV, run against the real libraries
(each test skips when its library is not installed).

Every pruning test runs a study whose first trial is good and whose second
is hopeless (a learning rate of almost nothing), under a MedianPruner that
starts after one trial: the hopeless trial must end PRUNED mid-training
with the values the library itself computed at the steps reported (checked
against the same training run without the callback), and a good trial
must finish. Data sets are small and rounds few, so the file runs in well
under a minute.
"""

from __future__ import annotations

import types
import warnings

import numpy as np
import pytest

import ferrotune
from ferrotune.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from ferrotune.trial import TrialState

N_ROUNDS = 12


def classification_data():
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=240, n_features=8, n_informative=5, random_state=0)
    return X[:180], y[:180], X[180:], y[180:]


def pruning_study(direction: str = "minimize") -> ferrotune.Study:
    return ferrotune.create_study(
        direction=direction,
        pruner=ferrotune.pruners.MedianPruner(n_startup_trials=1, n_warmup_steps=2),
    )


def run_good_hopeless_good(study: ferrotune.Study, objective, good: float, hopeless: float) -> list:
    for learning_rate in (good, hopeless, good):
        study.enqueue_trial({"learning_rate": learning_rate})
    study.optimize(objective, n_trials=3)
    return study.trials


def assert_pruned_mid_training(trial, full_history: list[float], reported_steps: list[int]) -> None:
    assert trial.state == TrialState.PRUNED, trial
    steps = sorted(trial.intermediate_values)
    assert 0 < len(steps) < len(reported_steps), steps
    assert steps == reported_steps[: len(steps)]
    for step in steps:
        assert trial.intermediate_values[step] == pytest.approx(full_history[step], rel=1e-12), step


# --- the package --------------------------------------------------------


def test_names_are_looked_up_lazily_and_cached():
    import ferrotune.integration as integration

    assert ferrotune.integration is integration
    for name in ("LightGBMPruningCallback", "XGBoostPruningCallback", "PyTorchLightningPruningCallback", "OptunaSearchCV"):
        assert name in integration.__all__
        assert name in dir(integration)
    namespace: dict = {}
    exec("from ferrotune.integration import *", namespace)
    assert namespace["OptunaSearchCV"] is integration.OptunaSearchCV
    with pytest.raises(AttributeError, match="no attribute 'NoSuchCallback'"):
        integration.NoSuchCallback  # noqa: B018
    assert integration.OptunaSearchCV is integration.sklearn.OptunaSearchCV


def test_a_missing_library_is_an_import_error_naming_the_pip_package(monkeypatch):
    from ferrotune.integration import lightgbm as lightgbm_module

    monkeypatch.setattr(lightgbm_module, "_import_error", ImportError("No module named 'lightgbm'"))
    study = ferrotune.create_study()
    with pytest.raises(ImportError, match=r"pip install lightgbm"):
        lightgbm_module.LightGBMPruningCallback(study.ask(), "binary_logloss")


# --- LightGBM -----------------------------------------------------------


def lightgbm_params(learning_rate: float, metric: str = "binary_logloss") -> dict:
    return {
        "objective": "binary",
        "metric": metric,
        "learning_rate": learning_rate,
        "num_leaves": 7,
        "verbose": -1,
        "num_threads": 1,
        "deterministic": True,
        "seed": 0,
    }


def lightgbm_history(learning_rate: float) -> list[float]:
    import lightgbm as lgb

    X, y, X_valid, y_valid = classification_data()
    record: dict = {}
    lgb.train(
        lightgbm_params(learning_rate),
        lgb.Dataset(X, y),
        N_ROUNDS,
        valid_sets=[lgb.Dataset(X_valid, y_valid)],
        callbacks=[lgb.record_evaluation(record)],
    )
    return record["valid_0"]["binary_logloss"]


def test_lightgbm_prunes_a_hopeless_trial_and_lets_a_good_one_finish():
    lgb = pytest.importorskip("lightgbm")
    from ferrotune.integration import LightGBMPruningCallback

    X, y, X_valid, y_valid = classification_data()

    def objective(trial):
        learning_rate = trial.suggest_float("learning_rate", 1e-6, 1.0, log=True)
        booster = lgb.train(
            lightgbm_params(learning_rate),
            lgb.Dataset(X, y),
            N_ROUNDS,
            valid_sets=[lgb.Dataset(X_valid, y_valid)],
            callbacks=[LightGBMPruningCallback(trial, "binary_logloss")],
        )
        return booster.best_score["valid_0"]["binary_logloss"]

    good, pruned, good_again = run_good_hopeless_good(pruning_study(), objective, 0.3, 1e-6)
    every_round = list(range(N_ROUNDS))
    assert good.state == good_again.state == TrialState.COMPLETE
    assert sorted(good.intermediate_values) == every_round
    assert [good.intermediate_values[s] for s in every_round] == pytest.approx(lightgbm_history(0.3), rel=1e-12)
    assert_pruned_mid_training(pruned, lightgbm_history(1e-6), every_round)


def test_lightgbm_callback_runs_with_a_fixed_or_frozen_trial():
    lgb = pytest.importorskip("lightgbm")
    from ferrotune.integration import LightGBMPruningCallback

    X, y, X_valid, y_valid = classification_data()

    def objective(trial):
        booster = lgb.train(
            lightgbm_params(trial.suggest_float("learning_rate", 1e-6, 1.0, log=True)),
            lgb.Dataset(X, y),
            3,
            valid_sets=[lgb.Dataset(X_valid, y_valid)],
            callbacks=[LightGBMPruningCallback(trial, "binary_logloss")],
        )
        return booster.best_score["valid_0"]["binary_logloss"]

    # Re-running an objective outside the study, as Optuna's "re-use the
    # best trial" recipe does, trains to the end and reports nothing.
    study = ferrotune.create_study()
    study.optimize(objective, n_trials=1)
    assert objective(ferrotune.trial.FixedTrial({"learning_rate": 0.3})) == pytest.approx(lightgbm_history(0.3)[2])
    assert objective(study.best_trial) == pytest.approx(study.best_value)


def test_lightgbm_reports_every_report_interval_rounds_on_the_named_validation_set():
    lgb = pytest.importorskip("lightgbm")
    from ferrotune.integration import LightGBMPruningCallback

    X, y, X_valid, y_valid = classification_data()

    def objective(trial):
        booster = lgb.train(
            lightgbm_params(trial.suggest_float("learning_rate", 1e-6, 1.0, log=True)),
            lgb.Dataset(X, y),
            N_ROUNDS,
            # The training set first: the callback must read the one it is told.
            valid_sets=[lgb.Dataset(X, y), lgb.Dataset(X_valid, y_valid)],
            valid_names=["train", "holdout"],
            callbacks=[LightGBMPruningCallback(trial, "binary_logloss", valid_name="holdout", report_interval=3)],
        )
        return booster.best_score["holdout"]["binary_logloss"]

    good, pruned, _ = run_good_hopeless_good(pruning_study(), objective, 0.3, 1e-6)
    every_third = [2, 5, 8, 11]
    assert sorted(good.intermediate_values) == every_third
    for step in every_third:
        assert good.intermediate_values[step] == pytest.approx(lightgbm_history(0.3)[step], rel=1e-12)
    assert_pruned_mid_training(pruned, lightgbm_history(1e-6), every_third)


def test_lightgbm_cv_reports_the_mean_over_the_folds():
    lgb = pytest.importorskip("lightgbm")
    from ferrotune.integration import LightGBMPruningCallback

    X, y, _, _ = classification_data()
    results: dict[float, dict] = {}

    def objective(trial):
        learning_rate = trial.suggest_float("learning_rate", 1e-6, 1.0, log=True)
        result = lgb.cv(
            lightgbm_params(learning_rate),
            lgb.Dataset(X, y),
            N_ROUNDS,
            nfold=3,
            stratified=True,
            seed=0,
            eval_train_metric=True,  # a "train" entry before "valid": the callback must skip it
            callbacks=[LightGBMPruningCallback(trial, "binary_logloss", valid_name="ignored under cv")],
        )
        results[learning_rate] = result
        return result["valid binary_logloss-mean"][-1]

    good, pruned, _ = run_good_hopeless_good(pruning_study(), objective, 0.3, 1e-6)
    means = results[0.3]["valid binary_logloss-mean"]
    assert [good.intermediate_values[s] for s in range(N_ROUNDS)] == pytest.approx(means, rel=1e-12)
    assert pruned.state == TrialState.PRUNED
    assert 0 < len(pruned.intermediate_values) < N_ROUNDS


def test_lightgbm_names_a_missing_metric_and_a_wrong_direction():
    lgb = pytest.importorskip("lightgbm")
    from ferrotune.integration import LightGBMPruningCallback

    X, y, X_valid, y_valid = classification_data()

    def train(trial, metric: str, callback_metric: str, valid_name: str = "valid_0"):
        return lgb.train(
            lightgbm_params(0.3, metric=metric),
            lgb.Dataset(X, y),
            3,
            valid_sets=[lgb.Dataset(X_valid, y_valid)],
            callbacks=[LightGBMPruningCallback(trial, callback_metric, valid_name=valid_name)],
        )

    study = ferrotune.create_study()
    with pytest.raises(ValueError, match=r"no metric 'auc' on the validation set 'valid_0'.*'binary_logloss' on 'valid_0'"):
        study.optimize(lambda trial: train(trial, "binary_logloss", "auc") and 0.0, n_trials=1)
    with pytest.raises(ValueError, match=r"validation set 'valid_1'"):
        study.optimize(lambda trial: train(trial, "binary_logloss", "binary_logloss", "valid_1") and 0.0, n_trials=1)
    # AUC is better when higher: a minimizing study cannot prune on it.
    with pytest.raises(ValueError, match=r"'auc' is better when higher, but the study is set to minimize"):
        study.optimize(lambda trial: train(trial, "auc", "auc") and 0.0, n_trials=1)
    assert [t.state for t in study.trials] == [TrialState.FAIL] * 3
    with pytest.raises(ValueError, match="report_interval must be a positive integer"):
        LightGBMPruningCallback(study.ask(), "auc", report_interval=0)


# --- XGBoost ------------------------------------------------------------


def xgboost_params(learning_rate: float) -> dict:
    return {
        "objective": "binary:logistic",
        "eval_metric": "logloss",
        "eta": learning_rate,
        "max_depth": 3,
        "nthread": 1,
        "seed": 0,
    }


def xgboost_history(learning_rate: float) -> list[float]:
    import xgboost as xgb

    X, y, X_valid, y_valid = classification_data()
    record: dict = {}
    xgb.train(
        xgboost_params(learning_rate),
        xgb.DMatrix(X, label=y),
        N_ROUNDS,
        evals=[(xgb.DMatrix(X_valid, label=y_valid), "validation")],
        evals_result=record,
        verbose_eval=False,
    )
    return record["validation"]["logloss"]


def test_xgboost_prunes_a_hopeless_trial_and_lets_a_good_one_finish():
    xgb = pytest.importorskip("xgboost")
    from ferrotune.integration import XGBoostPruningCallback

    X, y, X_valid, y_valid = classification_data()

    def objective(trial):
        learning_rate = trial.suggest_float("learning_rate", 1e-6, 1.0, log=True)
        record: dict = {}
        xgb.train(
            xgboost_params(learning_rate),
            xgb.DMatrix(X, label=y),
            N_ROUNDS,
            evals=[(xgb.DMatrix(X, label=y), "train"), (xgb.DMatrix(X_valid, label=y_valid), "validation")],
            evals_result=record,
            verbose_eval=False,
            callbacks=[XGBoostPruningCallback(trial, "validation-logloss")],
        )
        return record["validation"]["logloss"][-1]

    good, pruned, good_again = run_good_hopeless_good(pruning_study(), objective, 0.3, 1e-6)
    every_round = list(range(N_ROUNDS))
    assert good.state == good_again.state == TrialState.COMPLETE
    assert [good.intermediate_values[s] for s in every_round] == pytest.approx(xgboost_history(0.3), rel=1e-12)
    assert_pruned_mid_training(pruned, xgboost_history(1e-6), every_round)


def test_xgboost_cv_and_the_scikit_learn_api_report_what_xgboost_logged():
    xgb = pytest.importorskip("xgboost")
    from ferrotune.integration import XGBoostPruningCallback

    X, y, X_valid, y_valid = classification_data()
    study = ferrotune.create_study()

    def cross_validated(trial):
        result = xgb.cv(
            xgboost_params(0.3),
            xgb.DMatrix(X, label=y),
            N_ROUNDS,
            nfold=3,
            seed=0,
            callbacks=[XGBoostPruningCallback(trial, "test-logloss", report_interval=4)],
        )
        trial.set_user_attr("means", list(result["test-logloss-mean"]))
        return result["test-logloss-mean"].iloc[-1]

    study.optimize(cross_validated, n_trials=1)
    trial = study.trials[0]
    assert sorted(trial.intermediate_values) == [3, 7, 11]
    for step, value in trial.intermediate_values.items():
        assert value == pytest.approx(trial.user_attrs["means"][step], rel=1e-12)

    def with_classifier(trial):
        model = xgb.XGBClassifier(
            n_estimators=4,
            max_depth=2,
            n_jobs=1,
            eval_metric="error",
            callbacks=[XGBoostPruningCallback(trial, "validation_0-error")],
        )
        model.fit(X, y, eval_set=[(X_valid, y_valid)], verbose=False)
        trial.set_user_attr("errors", model.evals_result()["validation_0"]["error"])
        return 0.0

    study.optimize(with_classifier, n_trials=1)
    trial = study.trials[1]
    assert [trial.intermediate_values[s] for s in range(4)] == pytest.approx(trial.user_attrs["errors"])


def test_xgboost_names_a_missing_observation_key():
    xgb = pytest.importorskip("xgboost")
    from ferrotune.integration import XGBoostPruningCallback

    X, y, X_valid, y_valid = classification_data()
    study = ferrotune.create_study()

    def objective(trial):
        xgb.train(
            xgboost_params(0.3),
            xgb.DMatrix(X, label=y),
            3,
            evals=[(xgb.DMatrix(X_valid, label=y_valid), "validation")],
            verbose_eval=False,
            callbacks=[XGBoostPruningCallback(trial, "validation-error")],
        )
        return 0.0

    with pytest.raises(ValueError, match=r"no 'validation-error' in the evaluation log; XGBoost logged 'validation-logloss'"):
        study.optimize(objective, n_trials=1)
    assert study.trials[0].state == TrialState.FAIL


# --- scikit-learn: OptunaSearchCV -----------------------------------------


def iris():
    from sklearn.datasets import load_iris
    from sklearn.preprocessing import StandardScaler

    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def sgd():
    from sklearn.linear_model import SGDClassifier

    return SGDClassifier(loss="log_loss", max_iter=30, tol=None, random_state=0)


def constant_step_sgd():
    return sgd().set_params(learning_rate="constant")


def test_optuna_search_cv_searches_refits_and_predicts():
    pytest.importorskip("sklearn")
    from sklearn.base import clone, is_classifier
    from sklearn.model_selection import cross_val_score

    from ferrotune.integration import OptunaSearchCV

    X, y = iris()
    search = OptunaSearchCV(
        sgd(),
        {
            "alpha": FloatDistribution(1e-5, 10.0, log=True),
            "penalty": CategoricalDistribution(["l2", "l1"]),
            "max_iter": IntDistribution(5, 30),
        },
        cv=3,
        n_trials=8,
        random_state=0,
        return_train_score=True,
    )
    assert search.fit(X, y) is search

    values = [t.value for t in search.trials_]
    assert search.n_trials_ == 8 and search.n_splits_ == 3
    assert search.best_score_ == max(values) > min(values)
    assert search.best_trial_.number == search.best_index_ == int(np.argmax(values))
    assert search.best_params_ == search.study_.best_params
    assert search.study_.direction == ferrotune.StudyDirection.MAXIMIZE

    # Each trial's attributes are its cross-validation, as scikit-learn computes it.
    best = search.best_trial_
    expected = cross_val_score(clone(sgd()).set_params(**best.params), X, y, cv=3)
    assert [best.user_attrs[f"split{i}_test_score"] for i in range(3)] == pytest.approx(list(expected))
    assert best.user_attrs["mean_test_score"] == pytest.approx(expected.mean()) == pytest.approx(best.value)
    assert best.user_attrs["std_test_score"] == pytest.approx(expected.std())
    for key in ("mean_fit_time", "std_fit_time", "mean_score_time", "std_score_time", "mean_train_score", "split2_train_score"):
        assert key in best.user_attrs
    assert search.cv_results_["mean_test_score"] == pytest.approx(values)

    # The refit: the best parameters, fitted on all the data.
    assert search.best_estimator_.get_params()["alpha"] == best.params["alpha"]
    assert search.refit_time_ >= 0.0
    assert is_classifier(search)
    assert list(search.classes_) == [0, 1, 2]
    assert (search.predict(X) == search.best_estimator_.predict(X)).all()
    assert search.predict_proba(X).shape == (150, 3)
    assert search.predict_log_proba(X).shape == (150, 3)
    assert search.decision_function(X).shape == (150, 3)
    assert search.score(X, y) == pytest.approx(search.best_estimator_.score(X, y))
    with pytest.raises(AttributeError, match="transform"):
        search.transform(X)  # SGDClassifier has none
    assert not hasattr(search, "score_samples")
    frame = search.trials_dataframe()
    assert list(frame["user_attrs_mean_test_score"]) == pytest.approx(values)
    search.set_user_attr("note", "kept")
    assert search.user_attrs_ == {"note": "kept"}
    assert list(search.sample_indices_) == list(range(150))


def test_optuna_search_cv_subsamples_uses_a_given_study_and_scoring():
    pytest.importorskip("sklearn")
    from sklearn.base import clone

    from ferrotune.integration import OptunaSearchCV

    X, y = iris()
    study = ferrotune.create_study(direction="maximize", sampler=ferrotune.samplers.RandomSampler(seed=1))
    calls: list[int] = []
    search = OptunaSearchCV(
        sgd(),
        {"alpha": FloatDistribution(1e-4, 1.0, log=True)},
        n_trials=3,
        subsample=0.5,
        random_state=0,
        scoring="balanced_accuracy",
        study=study,
        callbacks=[lambda study, trial: calls.append(trial.number)],
        refit=False,
    )
    search.fit(X, y)
    assert search.study_ is study and len(study.trials) == 3 == len(calls)
    assert len(search.sample_indices_) == 75 and len(set(search.sample_indices_)) == 75
    assert search.n_splits_ == 5  # cv=None: scikit-learn's 5 folds
    assert not hasattr(search, "best_estimator_")
    # clone() keeps the constructor's arguments, as every scikit-learn estimator must.
    assert clone(search).get_params()["subsample"] == 0.5


def test_optuna_search_cv_nests_in_cross_validation_and_pickles():
    pytest.importorskip("sklearn")
    import pickle

    from sklearn.model_selection import cross_val_score

    from ferrotune.integration import OptunaSearchCV

    X, y = iris()
    search = OptunaSearchCV(sgd(), {"alpha": FloatDistribution(1e-4, 1.0, log=True)}, n_trials=2, cv=2, random_state=0)
    # cross_val_score clones the search for each outer fold and scores it.
    outer = cross_val_score(search, X, y, cv=2)
    assert outer.shape == (2,) and ((0.0 <= outer) & (outer <= 1.0)).all()
    # A fitted search is a model people save: its study and refit come back.
    search.fit(X, y)
    restored = pickle.loads(pickle.dumps(search))
    assert (restored.predict(X) == search.predict(X)).all()
    assert restored.best_params_ == search.best_params_
    assert [t.value for t in restored.trials_] == [t.value for t in search.trials_]


def test_optuna_search_cv_delegates_a_transformers_methods():
    pytest.importorskip("sklearn")
    from sklearn.decomposition import PCA

    from ferrotune.integration import OptunaSearchCV

    X, _ = iris()
    # PCA's score is the data's average log-likelihood: no labels needed.
    search = OptunaSearchCV(PCA(), {"n_components": IntDistribution(1, 3)}, n_trials=3, cv=3, random_state=0)
    search.fit(X)
    reduced = search.transform(X)
    assert reduced.shape == (150, search.best_params_["n_components"])
    assert search.inverse_transform(reduced).shape == X.shape
    assert search.score_samples(X).shape == (150,)
    assert search.score(X) == pytest.approx(search.best_estimator_.score(X))


def test_optuna_search_cv_prunes_through_partial_fit():
    pytest.importorskip("sklearn")
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold

    from ferrotune.integration import OptunaSearchCV

    X, y = iris()
    max_iter = 8
    study = ferrotune.create_study(
        direction="maximize", pruner=ferrotune.pruners.MedianPruner(n_startup_trials=1, n_warmup_steps=2)
    )
    # Good, hopeless (a step size of almost nothing), good again.
    for eta0 in (0.05, 1e-9, 0.05):
        study.enqueue_trial({"eta0": eta0})
    search = OptunaSearchCV(
        constant_step_sgd(),
        {"eta0": FloatDistribution(1e-9, 1.0, log=True)},
        cv=3,
        enable_pruning=True,
        max_iter=max_iter,
        n_trials=3,
        study=study,
    )
    search.fit(X, y)
    good, pruned, good_again = search.trials_
    assert good.state == good_again.state == TrialState.COMPLETE
    assert sorted(good.intermediate_values) == list(range(max_iter))

    # What the estimator scores after each pass of partial_fit over every fold.
    def mean_scores(eta0: float) -> list[float]:
        folds = list(StratifiedKFold(3).split(X, y))
        models = [clone(constant_step_sgd()).set_params(eta0=eta0) for _ in folds]
        means = []
        for _ in range(max_iter):
            scores = []
            for model, (train, test) in zip(models, folds):
                model.partial_fit(X[train], y[train], classes=np.unique(y))
                scores.append(model.score(X[test], y[test]))
            means.append(float(np.mean(scores)))
        return means

    assert [good.intermediate_values[s] for s in range(max_iter)] == pytest.approx(mean_scores(0.05))
    assert good.value == pytest.approx(mean_scores(0.05)[-1])
    assert_pruned_mid_training(pruned, mean_scores(1e-9), list(range(max_iter)))
    # A pruned trial keeps the scores of its last step.
    assert pruned.user_attrs["mean_test_score"] == pytest.approx(pruned.intermediate_values[max(pruned.intermediate_values)])


def test_optuna_search_cv_names_bad_input():
    pytest.importorskip("sklearn")
    from sklearn.exceptions import NotFittedError
    from sklearn.svm import SVC

    from ferrotune.integration import OptunaSearchCV

    X, y = iris()
    with pytest.raises(TypeError, match="param_distributions must be a mapping"):
        OptunaSearchCV(sgd(), [("alpha", FloatDistribution(1e-4, 1.0))])
    with pytest.raises(ValueError, match=r"param_distributions\['alpha'\] must be a ferrotune distribution"):
        OptunaSearchCV(sgd(), {"alpha": (1e-4, 1.0)}).fit(X, y)
    with pytest.raises(ValueError, match="enable_pruning=True needs an estimator with partial_fit; SVC has none"):
        OptunaSearchCV(SVC(), {"C": FloatDistribution(0.1, 1.0)}, enable_pruning=True).fit(X, y)
    with pytest.raises(ValueError, match="max_iter must be > 0"):
        OptunaSearchCV(sgd(), {}, enable_pruning=True, max_iter=0).fit(X, y)
    with pytest.raises(ValueError, match="direction of study must be 'maximize'"):
        OptunaSearchCV(sgd(), {}, study=ferrotune.create_study()).fit(X, y)
    with pytest.raises(ValueError, match=r"subsample as a fraction must be in \(0, 1\]"):
        OptunaSearchCV(sgd(), {}, subsample=1.5).fit(X, y)
    with pytest.raises(NotFittedError):
        OptunaSearchCV(sgd(), {}).predict(X)


def test_optuna_search_cv_scores_a_failed_fit_with_error_score():
    pytest.importorskip("sklearn")
    from ferrotune.integration import OptunaSearchCV

    X, y = iris()
    # l1_ratio outside [0, 1] makes every fit fail.
    broken = {"l1_ratio": FloatDistribution(2.0, 3.0)}
    search = OptunaSearchCV(sgd().set_params(penalty="elasticnet"), broken, n_trials=1, cv=3, error_score=0.25, refit=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(X, y)
    trial = search.trials_[0]
    assert trial.value == 0.25 and trial.user_attrs["split1_test_score"] == 0.25
    raising = OptunaSearchCV(sgd().set_params(penalty="elasticnet"), broken, n_trials=1, cv=3, error_score="raise")
    with pytest.raises(ValueError, match="l1_ratio"):
        raising.fit(X, y)


# --- PyTorch Lightning ------------------------------------------------------


def lightning_objective(monitor: str, epochs: int = 6, package: str = "lightning.pytorch"):
    """An objective training a logistic regression with Lightning (from
    ``package``); it returns the modules it trained too, whose
    ``val_losses`` are what each computed."""
    torch = pytest.importorskip("torch")
    pl = pytest.importorskip(package)
    from torch.utils.data import DataLoader, TensorDataset

    from ferrotune.integration import PyTorchLightningPruningCallback

    X, y, X_valid, y_valid = classification_data()

    def loader(features, labels):
        dataset = TensorDataset(torch.tensor(features, dtype=torch.float32), torch.tensor(labels, dtype=torch.float32))
        return DataLoader(dataset, batch_size=60)

    class Logistic(pl.LightningModule):
        def __init__(self, learning_rate: float) -> None:
            super().__init__()
            self.learning_rate = learning_rate
            self.linear = torch.nn.Linear(X.shape[1], 1)
            self.val_losses: list[float] = []

        def loss(self, batch):
            features, labels = batch
            return torch.nn.functional.binary_cross_entropy_with_logits(self.linear(features).squeeze(1), labels)

        def training_step(self, batch, batch_index):
            return self.loss(batch)

        def validation_step(self, batch, batch_index):
            # One batch: the logged epoch value is this batch's loss.
            loss = self.loss(batch)
            self.log("val_loss", loss)
            if not self.trainer.sanity_checking:
                self.val_losses.append(float(loss))

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=self.learning_rate)

    modules = []

    def objective(trial):
        torch.manual_seed(0)
        module = Logistic(trial.suggest_float("learning_rate", 1e-9, 1.0, log=True))
        modules.append(module)
        trainer = pl.Trainer(
            max_epochs=epochs,
            accelerator="cpu",
            devices=1,
            logger=False,
            enable_checkpointing=False,
            enable_progress_bar=False,
            enable_model_summary=False,
            callbacks=[PyTorchLightningPruningCallback(trial, monitor=monitor)],
        )
        trainer.fit(module, loader(X, y), loader(X_valid, y_valid))
        return module.val_losses[-1]

    return objective, modules


def test_pytorch_lightning_prunes_a_hopeless_trial_and_lets_a_good_one_finish():
    objective, modules = lightning_objective("val_loss")
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    good, pruned, good_again = run_good_hopeless_good(pruning_study(), objective, 0.5, 1e-9)
    assert good.state == good_again.state == TrialState.COMPLETE
    assert [good.intermediate_values[e] for e in range(6)] == pytest.approx(modules[0].val_losses, rel=1e-6)
    assert pruned.state == TrialState.PRUNED
    steps = sorted(pruned.intermediate_values)
    assert 0 < len(steps) < 6 and steps == list(range(len(steps)))
    assert [pruned.intermediate_values[e] for e in steps] == pytest.approx(modules[1].val_losses, rel=1e-6)


# pytorch_lightning too: the callback derives from both packages' Callback,
# and a Trainer accepts only its own package's.
@pytest.mark.parametrize("package", ["lightning.pytorch", "pytorch_lightning"])
def test_pytorch_lightning_warns_then_raises_on_a_metric_never_logged(package: str):
    objective, _ = lightning_objective("val_accuracy", epochs=2, package=package)
    study = ferrotune.create_study()
    with pytest.warns(UserWarning, match=r"'val_accuracy' is not in the evaluation logs.*val_loss"):
        with pytest.raises(ValueError, match=r"'val_accuracy' was in none of the 2 validations.*'val_loss'"):
            study.optimize(objective, n_trials=1)
    assert study.trials[0].state == TrialState.FAIL


def test_pytorch_lightning_refuses_distributed_training():
    pytest.importorskip("lightning.pytorch")
    from ferrotune.integration import PyTorchLightningPruningCallback

    callback = PyTorchLightningPruningCallback(ferrotune.create_study().ask(), "val_loss")
    with pytest.raises(ValueError, match="does not support distributed training.*runs 2 processes"):
        callback.on_fit_start(types.SimpleNamespace(world_size=2), None)
    callback.check_pruned()  # Optuna's DDP hook: nothing to do in one process
