"""scikit-learn's hyperparameter search over a ferrotune study (Optuna's
``OptunaSearchCV``).

``OptunaSearchCV`` is a scikit-learn estimator: ``fit`` runs a study whose
objective cross-validates a clone of the estimator with the trial's
parameters, then refits the best on all the data and delegates
``predict``, ``score`` and the rest to it. Each trial keeps its
cross-validation results as user attributes (``mean_test_score``,
``split0_test_score``, ``mean_fit_time``, ...). With ``enable_pruning``,
the estimator learns through ``partial_fit``, one pass over every fold per
step, and the mean test score is reported at each step, so the study's
pruner can stop a trial.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from numbers import Number
from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np

from ferrotune import logging as ferrotune_logging
from ferrotune.distributions import BaseDistribution
from ferrotune.exceptions import TrialPruned
from ferrotune.integration._imports import missing_library
from ferrotune.samplers import TPESampler
from ferrotune.study import Study, StudyDirection, _suggest, create_study
from ferrotune.trial import FrozenTrial, Trial

if TYPE_CHECKING:
    import pandas as pd

_import_error: Optional[ImportError]
_BaseEstimator: Any
try:
    import sklearn.base
    from sklearn.base import clone, is_classifier
    from sklearn.metrics import check_scoring
    from sklearn.model_selection import check_cv, cross_validate
    from sklearn.utils import _safe_indexing, check_random_state
    from sklearn.utils.metaestimators import _safe_split
    from sklearn.utils.validation import check_is_fitted

    _BaseEstimator = sklearn.base.BaseEstimator
    _import_error = None
except ImportError as error:
    _BaseEstimator = object
    _import_error = error

_logger = ferrotune_logging.get_logger(__name__)

# The keys of cross_validate's result that hold one score per split.
_SPLIT_SCORE_KEYS = ("test_score", "train_score")


def _num_samples(data: Any) -> int:
    shape = getattr(data, "shape", None)
    if shape is not None and len(shape) > 0:
        return int(shape[0])
    try:
        return len(data)
    except TypeError:
        raise TypeError(f"OptunaSearchCV: expected an array-like of samples, got {type(data).__name__}") from None


def _subset(data: Any, indices: np.ndarray) -> Any:
    return None if data is None else _safe_indexing(data, indices)


def _subset_fit_params(fit_params: dict[str, Any], n_samples: int, indices: np.ndarray) -> dict[str, Any]:
    """The fit parameters for the subsample: those with one entry per sample
    (sample_weight, ...) are cut like X, the rest pass unchanged."""
    subset = {}
    for key, value in fit_params.items():
        per_sample = hasattr(value, "__len__") or hasattr(value, "shape")
        if per_sample and not isinstance(value, (str, bytes)) and _num_samples(value) == n_samples:
            subset[key] = _safe_indexing(value, indices)
        else:
            subset[key] = value
    return subset


def _store_scores(trial: Trial, scores: Mapping[str, np.ndarray]) -> None:
    """Record cross-validation results as Optuna does: every split's test
    (and train) score, and the mean and standard deviation of each entry."""
    for key, per_split in scores.items():
        if key in _SPLIT_SCORE_KEYS:
            for split_index, score in enumerate(per_split):
                trial.set_user_attr(f"split{split_index}_{key}", float(score))
        trial.set_user_attr(f"mean_{key}", float(np.nanmean(per_split)))
        trial.set_user_attr(f"std_{key}", float(np.nanstd(per_split)))


class _CrossValidationObjective:
    """The objective ``OptunaSearchCV.fit`` optimizes: the mean test score
    of a cross-validation of the estimator with the trial's parameters."""

    def __init__(
        self,
        estimator: Any,
        param_distributions: Mapping[str, BaseDistribution],
        X: Any,
        y: Any,
        cv: Any,
        enable_pruning: bool,
        error_score: Union[float, str],
        fit_params: dict[str, Any],
        groups: Any,
        max_iter: int,
        return_train_score: bool,
        scorer: Callable[..., float],
    ) -> None:
        self.estimator = estimator
        self.param_distributions = param_distributions
        self.X = X
        self.y = y
        self.cv = cv
        self.enable_pruning = enable_pruning
        self.error_score = error_score
        self.fit_params = fit_params
        self.groups = groups
        self.max_iter = max_iter
        self.return_train_score = return_train_score
        self.scorer = scorer

    def __call__(self, trial: Trial) -> float:
        estimator = clone(self.estimator)
        params = {name: _suggest(trial, name, distribution) for name, distribution in self.param_distributions.items()}
        estimator.set_params(**params)
        if self.enable_pruning:
            scores = self._cross_validate_with_pruning(trial, estimator)
        else:
            scores = self._cross_validate(estimator)
        _store_scores(trial, scores)
        # A NaN mean (every split failed) fails the trial, as a NaN
        # objective does.
        return float(np.nanmean(scores["test_score"]))

    def _cross_validate(self, estimator: Any) -> dict[str, np.ndarray]:
        try:
            return dict(
                cross_validate(
                    estimator,
                    self.X,
                    self.y,
                    cv=self.cv,
                    error_score=self.error_score,
                    params=self.fit_params,
                    groups=self.groups,
                    return_train_score=self.return_train_score,
                    scoring=self.scorer,
                )
            )
        except ValueError:
            # scikit-learn raises when every fit failed; with a numeric
            # error_score that trial scores error_score on every split, as
            # in Optuna. With "raise" the error is the user's to see.
            if self.error_score == "raise":
                raise
            n_splits = self.cv.get_n_splits(self.X, self.y, self.groups)
            failed = np.full(n_splits, np.nan)
            return {
                "fit_time": failed,
                "score_time": failed,
                "test_score": np.full(n_splits, self.error_score, dtype=float),
            }

    def _cross_validate_with_pruning(self, trial: Trial, estimator: Any) -> dict[str, np.ndarray]:
        partial_fit_params = dict(self.fit_params)
        if is_classifier(estimator):
            # partial_fit must know every class on its first call, and a
            # fold may lack some.
            classes = np.unique(np.asarray(self.y)) if self.y is not None else np.array([None])
            partial_fit_params.setdefault("classes", classes)
        splits = list(self.cv.split(self.X, self.y, groups=self.groups))
        estimators = [clone(estimator) for _ in splits]
        scores = {
            "fit_time": np.zeros(len(splits)),
            "score_time": np.zeros(len(splits)),
            "test_score": np.empty(len(splits)),
        }
        if self.return_train_score:
            scores["train_score"] = np.empty(len(splits))
        for step in range(self.max_iter):
            for split_index, (train, test) in enumerate(splits):
                self._partial_fit_and_score(
                    estimators[split_index], train, test, partial_fit_params, scores, split_index
                )
            trial.report(float(np.nanmean(scores["test_score"])), step=step)
            if trial.should_prune():
                _store_scores(trial, scores)
                raise TrialPruned(f"trial was pruned at iteration {step}.")
        return scores

    def _partial_fit_and_score(
        self,
        estimator: Any,
        train: np.ndarray,
        test: np.ndarray,
        partial_fit_params: dict[str, Any],
        scores: dict[str, np.ndarray],
        split_index: int,
    ) -> None:
        X_train, y_train = _safe_split(estimator, self.X, self.y, train)
        X_test, y_test = _safe_split(estimator, self.X, self.y, test, train_indices=train)
        started = time.perf_counter()
        try:
            estimator.partial_fit(X_train, y_train, **partial_fit_params)
        except Exception as error:
            if self.error_score == "raise":
                raise
            if not isinstance(self.error_score, Number):
                raise ValueError(f"error_score must be 'raise' or a number, got {self.error_score!r}") from error
            scores["fit_time"][split_index] += time.perf_counter() - started
            scores["test_score"][split_index] = float(self.error_score)
            if self.return_train_score:
                scores["train_score"][split_index] = float(self.error_score)
            return
        fitted = time.perf_counter()
        scores["fit_time"][split_index] += fitted - started
        scores["test_score"][split_index] = self.scorer(estimator, X_test, y_test)
        scores["score_time"][split_index] += time.perf_counter() - fitted
        if self.return_train_score:
            scores["train_score"][split_index] = self.scorer(estimator, X_train, y_train)


class OptunaSearchCV(_BaseEstimator):  # type: ignore[misc]
    """Hyperparameter search with cross-validation, as a scikit-learn
    estimator (Optuna's ``OptunaSearchCV``).

    ``param_distributions`` maps the estimator's parameter names to
    ``ferrotune.distributions``. ``fit`` runs ``n_trials`` trials (or until
    ``timeout``) of a study that maximizes the mean cross-validated score
    (``scoring``, or the estimator's ``score``): a new study with a
    ``TPESampler`` seeded from ``random_state``, or ``study`` (whose
    direction must be maximize). ``cv`` is scikit-learn's (None: 5 folds,
    stratified for a classifier). ``subsample`` (a fraction, or a number of
    samples) searches on a random part of the data; the refit (``refit``)
    uses all of it. ``error_score`` is the score of a failed fit (``"raise"``
    raises). With ``enable_pruning`` the estimator must have
    ``partial_fit``, called up to ``max_iter`` times per fold. ``n_jobs``
    runs trials on threads; ``callbacks`` and ``catch`` go to
    ``Study.optimize``; ``verbose`` > 0 logs the search's progress.
    """

    _required_parameters = ["estimator", "param_distributions"]

    def __init__(
        self,
        estimator: Any,
        param_distributions: Mapping[str, BaseDistribution],
        *,
        cv: Any = None,
        enable_pruning: bool = False,
        error_score: Union[float, str] = np.nan,
        max_iter: int = 1000,
        n_jobs: Optional[int] = None,
        n_trials: Optional[int] = 10,
        random_state: Any = None,
        refit: bool = True,
        return_train_score: bool = False,
        scoring: Union[Callable[..., float], str, None] = None,
        study: Optional[Study] = None,
        subsample: Union[float, int] = 1.0,
        timeout: Optional[float] = None,
        verbose: int = 0,
        callbacks: Optional[list[Callable[[Study, FrozenTrial], None]]] = None,
        catch: Union[Iterable[type[Exception]], type[Exception]] = (),
    ) -> None:
        if _import_error is not None:
            raise missing_library("OptunaSearchCV", "scikit-learn", _import_error)
        if not isinstance(param_distributions, Mapping):
            raise TypeError(
                f"param_distributions must be a mapping of parameter names to ferrotune distributions, "
                f"got {type(param_distributions).__name__}"
            )
        # Kept as given, as scikit-learn's get_params / clone expect; checked in fit.
        self.estimator = estimator
        self.param_distributions = param_distributions
        self.cv = cv
        self.enable_pruning = enable_pruning
        self.error_score = error_score
        self.max_iter = max_iter
        self.n_jobs = n_jobs
        self.n_trials = n_trials
        self.random_state = random_state
        self.refit = refit
        self.return_train_score = return_train_score
        self.scoring = scoring
        self.study = study
        self.subsample = subsample
        self.timeout = timeout
        self.verbose = verbose
        self.callbacks = callbacks
        self.catch = catch

    # --- what scikit-learn asks of a meta-estimator ---------------------

    @property
    def _estimator_type(self) -> Optional[str]:
        return getattr(self.estimator, "_estimator_type", None)

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import get_tags

        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        # A classifier's search is a classifier (is_classifier, stratified
        # folds in an outer cross-validation), and so on.
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = inner.classifier_tags
        tags.regressor_tags = inner.regressor_tags
        tags.non_deterministic = True
        return tags

    def _check_is_fitted(self) -> None:
        attributes = ["n_splits_", "sample_indices_", "scorer_", "study_"]
        if self.refit:
            attributes += ["best_estimator_", "refit_time_"]
        check_is_fitted(self, attributes)

    def _check_params(self) -> None:
        if not hasattr(self.estimator, "fit"):
            raise ValueError(f"estimator must be a scikit-learn estimator (with fit), got {self.estimator!r}")
        for name, distribution in self.param_distributions.items():
            if not isinstance(distribution, BaseDistribution):
                raise ValueError(
                    f"param_distributions['{name}'] must be a ferrotune distribution "
                    f"(ferrotune.distributions.FloatDistribution, IntDistribution or "
                    f"CategoricalDistribution), got {distribution!r}"
                )
        if self.enable_pruning and not hasattr(self.estimator, "partial_fit"):
            raise ValueError(
                f"enable_pruning=True needs an estimator with partial_fit; {type(self.estimator).__name__} has none"
            )
        if isinstance(self.max_iter, bool) or not isinstance(self.max_iter, int) or self.max_iter <= 0:
            raise ValueError(f"max_iter must be > 0, got {self.max_iter!r}")
        if self.study is not None and self.study.direction != StudyDirection.MAXIMIZE:
            raise ValueError(
                "direction of study must be 'maximize': OptunaSearchCV maximizes the cross-validated "
                "score (scikit-learn's scorers are greater-is-better)"
            )
        subsample = self.subsample
        if isinstance(subsample, bool) or not isinstance(subsample, (int, float)):
            raise ValueError(f"subsample must be a float in (0, 1] or a positive int, got {subsample!r}")
        if isinstance(subsample, float) and not 0.0 < subsample <= 1.0:
            raise ValueError(f"subsample as a fraction must be in (0, 1], got {subsample}")
        if isinstance(subsample, int) and subsample < 1:
            raise ValueError(f"subsample as a number of samples must be positive, got {subsample}")

    # --- the search -----------------------------------------------------

    def fit(self, X: Any, y: Any = None, groups: Any = None, **fit_params: Any) -> "OptunaSearchCV":
        """Search the best parameters by cross-validation (``groups`` goes to
        the splitter, ``fit_params`` to the estimator's ``fit``), then refit
        the best on all of ``X`` if ``refit``."""
        self._check_params()
        random_state = check_random_state(self.random_state)
        n_samples = _num_samples(X)
        max_samples = int(self.subsample * n_samples) if isinstance(self.subsample, float) else self.subsample
        self.sample_indices_ = np.arange(n_samples)
        if max_samples < n_samples:
            self.sample_indices_ = np.sort(random_state.choice(self.sample_indices_, max_samples, replace=False))
        X_search = _subset(X, self.sample_indices_)
        y_search = _subset(y, self.sample_indices_)
        groups_search = _subset(groups, self.sample_indices_)
        fit_params_search = _subset_fit_params(fit_params, n_samples, self.sample_indices_)

        cv = check_cv(self.cv, y_search, classifier=is_classifier(self.estimator))
        self.n_splits_ = cv.get_n_splits(X_search, y_search, groups=groups_search)
        self.scorer_ = check_scoring(self.estimator, scoring=self.scoring)
        if self.study is None:
            seed = int(random_state.randint(0, np.iinfo("int32").max))
            self.study_ = create_study(direction="maximize", sampler=TPESampler(seed=seed))
        else:
            self.study_ = self.study

        objective = _CrossValidationObjective(
            self.estimator,
            self.param_distributions,
            X_search,
            y_search,
            cv,
            self.enable_pruning,
            self.error_score,
            fit_params_search,
            groups_search,
            self.max_iter,
            self.return_train_score,
            self.scorer_,
        )
        log = _logger.info if self.verbose > 0 else _logger.debug
        log(f"Searching the best hyperparameters using {len(self.sample_indices_)} samples...")
        self.study_.optimize(
            objective,
            n_trials=self.n_trials,
            timeout=self.timeout,
            n_jobs=self.n_jobs or 1,
            callbacks=self.callbacks,
            catch=self.catch,
        )
        log("Finished hyperparameter search!")
        if self.refit:
            self._refit(X, y, log, **fit_params)
        return self

    def _refit(self, X: Any, y: Any, log: Callable[[str], None], **fit_params: Any) -> None:
        self.best_estimator_ = clone(self.estimator)
        self.best_estimator_.set_params(**self.study_.best_params)
        log(f"Refitting the estimator using {_num_samples(X)} samples...")
        started = time.perf_counter()
        self.best_estimator_.fit(X, y, **fit_params)
        self.refit_time_ = time.perf_counter() - started
        log(f"Finished refitting! (elapsed time: {self.refit_time_:.3f} sec.)")

    # --- the results ----------------------------------------------------

    @property
    def best_index_(self) -> int:
        """The number of the best trial (``best_trial_.number``)."""
        return self.best_trial_.number

    @property
    def best_params_(self) -> dict[str, Any]:
        """The best trial's parameters."""
        self._check_is_fitted()
        return self.study_.best_params

    @property
    def best_score_(self) -> float:
        """The best trial's mean cross-validated score."""
        self._check_is_fitted()
        return self.study_.best_value

    @property
    def best_trial_(self) -> FrozenTrial:
        """The best trial of the study."""
        self._check_is_fitted()
        return self.study_.best_trial

    @property
    def classes_(self) -> Any:
        """The class labels of the refitted classifier."""
        self._check_is_fitted()
        return self.best_estimator_.classes_

    @property
    def cv_results_(self) -> dict[str, list[Any]]:
        """Each user attribute of the trials (``mean_test_score``, ...) as a
        list over the trials, in trial order."""
        attrs_per_trial = [trial.user_attrs for trial in self.trials_]
        if not attrs_per_trial:
            return {}
        return {key: [attrs.get(key) for attrs in attrs_per_trial] for key in attrs_per_trial[0]}

    @property
    def n_trials_(self) -> int:
        """How many trials the study has."""
        return len(self.trials_)

    @property
    def trials_(self) -> list[FrozenTrial]:
        """The study's trials."""
        self._check_is_fitted()
        return self.study_.trials

    @property
    def user_attrs_(self) -> dict[str, Any]:
        """The study's user attributes."""
        self._check_is_fitted()
        return self.study_.user_attrs

    @property
    def set_user_attr(self) -> Callable[[str, Any], None]:
        """The study's ``set_user_attr``."""
        self._check_is_fitted()
        return self.study_.set_user_attr

    @property
    def trials_dataframe(self) -> Callable[..., "pd.DataFrame"]:
        """The study's ``trials_dataframe``."""
        self._check_is_fitted()
        return self.study_.trials_dataframe

    # --- the refitted estimator's methods ---------------------------------
    # Extra arguments go through to the estimator's method, as in Optuna.

    @property
    def score_samples(self) -> Callable[..., Any]:
        """The refitted estimator's ``score_samples`` (a property, as in
        Optuna: ``hasattr`` is False when the estimator lacks it)."""
        self._check_is_fitted()
        return self.best_estimator_.score_samples

    def transform(self, X: Any, *args: Any, **kwargs: Any) -> Any:
        """The refitted estimator's ``transform``."""
        self._check_is_fitted()
        return self.best_estimator_.transform(X, *args, **kwargs)

    def inverse_transform(self, X: Any, *args: Any, **kwargs: Any) -> Any:
        """The refitted estimator's ``inverse_transform``."""
        self._check_is_fitted()
        return self.best_estimator_.inverse_transform(X, *args, **kwargs)

    def predict(self, X: Any, **kwargs: Any) -> Any:
        """The refitted estimator's prediction."""
        self._check_is_fitted()
        return self.best_estimator_.predict(X, **kwargs)

    def predict_proba(self, X: Any, **kwargs: Any) -> Any:
        """The refitted estimator's class probabilities."""
        self._check_is_fitted()
        return self.best_estimator_.predict_proba(X, **kwargs)

    def predict_log_proba(self, X: Any, **kwargs: Any) -> Any:
        """The refitted estimator's class log-probabilities."""
        self._check_is_fitted()
        return self.best_estimator_.predict_log_proba(X, **kwargs)

    def decision_function(self, X: Any, **kwargs: Any) -> Any:
        """The refitted estimator's decision function."""
        self._check_is_fitted()
        return self.best_estimator_.decision_function(X, **kwargs)

    def score(self, X: Any, y: Any = None) -> float:
        """The score (``scorer_``) of the refitted estimator on ``X``, ``y``."""
        self._check_is_fitted()
        return float(self.scorer_(self.best_estimator_, X, y))
