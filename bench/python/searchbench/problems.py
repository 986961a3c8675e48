"""Benchmark problems: BBOB noiseless functions (COCO's `cocoex`) and
hyperparameter tuning of scikit-learn models on scikit-learn's bundled data.

Every problem is minimized and is a deterministic function of its parameters,
so all methods are compared on the same function. Problems are named by a
string id and built inside the worker process that evaluates them (cocoex
problems cannot be pickled).
"""

from __future__ import annotations

import functools
import os
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .space import Cat, Float, Int, Param

BBOB_LOW, BBOB_HIGH = -5.0, 5.0
# Regret below this counts as solved; log10 of regret is floored here.
REGRET_FLOOR = 1e-8

BBOB_NAMES = {
    1: "sphere",
    2: "ellipsoid",
    3: "Rastrigin",
    6: "attractive sector",
    7: "step ellipsoid",
    8: "Rosenbrock",
    10: "ellipsoid (rotated)",
    12: "bent cigar",
    15: "Rastrigin (rotated)",
    17: "Schaffer F7",
    20: "Schwefel",
    21: "Gallagher 101 peaks",
    22: "Gallagher 21 peaks",
    23: "Katsuura",
    24: "Lunacek bi-Rastrigin",
}


@dataclass
class Problem:
    id: str
    family: str  # "bbob" | "sklearn" | "trivial"
    space: list[Param]
    evaluate: Callable[[dict[str, Any]], float]
    # How final values are put on a common scale before normalization:
    # "log10" (BBOB regret, floored at REGRET_FLOOR) or "identity".
    score_scale: str = "identity"
    description: str = ""

    @property
    def continuous(self) -> bool:
        return all(p.kind == "float" for p in self.space)


# ---------------------------------------------------------------- BBOB


def bbob_id(fid: int, dim: int) -> str:
    return f"bbob-f{fid:02d}-d{dim:02d}"


@functools.cache
def _bbob_suite() -> Any:
    import cocoex  # noqa: PLC0415

    return cocoex.Suite("bbob", "instances: 1", "")


def _bbob_fopt(problem: Any) -> float:
    """f at the optimum: cocoex writes the optimal x to a file in the current
    directory, so do it in a scratch one."""
    here = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="ftbench-bbob-") as tmp:
        os.chdir(tmp)
        try:
            problem._best_parameter("print")
            xopt = np.atleast_1d(np.loadtxt("._bbob_problem_best_parameter.txt"))
        finally:
            os.chdir(here)
    return float(problem(xopt))


def make_bbob(fid: int, dim: int) -> Problem:
    problem = _bbob_suite().get_problem_by_function_dimension_instance(fid, dim, 1)
    fopt = _bbob_fopt(problem)
    names = [f"x{i}" for i in range(dim)]

    def evaluate(params: dict[str, Any]) -> float:
        x = np.fromiter((params[n] for n in names), dtype=float, count=dim)
        return max(0.0, float(problem(x)) - fopt)

    return Problem(
        id=bbob_id(fid, dim),
        family="bbob",
        space=[Float(n, BBOB_LOW, BBOB_HIGH) for n in names],
        evaluate=evaluate,
        score_scale="log10",
        description=f"BBOB f{fid} {BBOB_NAMES.get(fid, '')}, {dim}-D, instance 1, regret f(x) - f_opt",
    )


# ---------------------------------------------------------------- scikit-learn

CLASSIFICATION = ("iris", "wine", "breast_cancer", "digits")
REGRESSION = ("diabetes",)
DATASETS = CLASSIFICATION + REGRESSION
MODELS = ("dt", "rf", "svm", "mlp", "knn", "lasso", "linear", "ada")
MODEL_NAMES = {
    "dt": "decision tree",
    "rf": "random forest",
    "svm": "SVM (RBF)",
    "mlp": "MLP (adam)",
    "knn": "k nearest neighbours",
    "lasso": "L1 linear (Lasso / L1 logistic)",
    "linear": "L2 linear (Ridge / L2 logistic)",
    "ada": "AdaBoost",
}
CV_FOLDS = 3
DIGITS_SUBSAMPLE = 600  # rows of digits kept (stratified, fixed), to keep a fit cheap
N_ESTIMATORS_MAX = 50
MLP_MAX_ITER = 40
REGRESSION_LOSS_CAP = 10.0


def sklearn_id(model: str, dataset: str) -> str:
    return f"sk-{model}-{dataset}"


@functools.cache
def _dataset(name: str) -> tuple[np.ndarray, np.ndarray]:
    from sklearn import datasets  # noqa: PLC0415

    loader = {
        "iris": datasets.load_iris,
        "wine": datasets.load_wine,
        "breast_cancer": datasets.load_breast_cancer,
        "digits": datasets.load_digits,
        "diabetes": datasets.load_diabetes,
    }[name]
    X, y = loader(return_X_y=True)
    X = X.astype(float)
    if name == "digits":
        from sklearn.model_selection import train_test_split  # noqa: PLC0415

        X, _, y, _ = train_test_split(X, y, train_size=DIGITS_SUBSAMPLE, stratify=y, random_state=0)
    if name in REGRESSION:
        # Standardized target: the loss (MSE) is then about 1 - R^2.
        y = (y - y.mean()) / y.std()
    return X, y


def _space(model: str, regression: bool) -> list[Param]:
    """Search spaces in the style of bayesmark's: log scales for scale-like
    parameters, ints for sizes, a categorical where the model has a natural one."""
    tree = [
        Int("max_depth", 1, 15),
        Float("min_samples_split", 0.01, 0.99),
        Float("min_samples_leaf", 0.01, 0.49),
        Float("max_features", 0.01, 1.0),
        Float("min_impurity_decrease", 0.0, 0.5),
    ]
    if model == "dt":
        return tree
    if model == "rf":
        return [Int("n_estimators", 10, N_ESTIMATORS_MAX), *tree]
    if model == "svm":
        s = [Float("C", 1e-2, 1e3, log=True), Float("gamma", 1e-4, 1e0, log=True), Float("tol", 1e-5, 1e-1, log=True)]
        if regression:
            s.append(Float("epsilon", 1e-3, 1.0, log=True))
        return s
    if model == "mlp":
        return [
            Int("hidden_layer_sizes", 16, 128, log=True),
            Float("alpha", 1e-5, 1e1, log=True),
            Int("batch_size", 16, 256, log=True),
            Float("learning_rate_init", 1e-4, 1e-1, log=True),
            Float("beta_1", 0.5, 0.99),
            Float("beta_2", 0.9, 0.9999),
            Cat("activation", ["relu", "tanh"]),
        ]
    if model == "knn":
        return [Int("n_neighbors", 1, 25), Int("p", 1, 4), Cat("weights", ["uniform", "distance"])]
    if model in ("lasso", "linear"):
        if regression:
            return [Float("alpha", 1e-4, 1e2, log=True), Cat("fit_intercept", ["yes", "no"])]
        return [Float("C", 1e-3, 1e3, log=True), Float("intercept_scaling", 1e-2, 1e2, log=True)]
    if model == "ada":
        return [Int("n_estimators", 10, N_ESTIMATORS_MAX), Float("learning_rate", 1e-3, 1e1, log=True)]
    raise KeyError(model)


def _estimator(model: str, regression: bool, p: dict[str, Any]) -> Any:
    from sklearn import ensemble, linear_model, neighbors, neural_network, svm, tree  # noqa: PLC0415
    from sklearn.multiclass import OneVsRestClassifier  # noqa: PLC0415
    from sklearn.pipeline import make_pipeline  # noqa: PLC0415
    from sklearn.preprocessing import StandardScaler  # noqa: PLC0415

    def scaled(est: Any) -> Any:
        return make_pipeline(StandardScaler(), est)

    if model in ("dt", "rf"):
        kw = dict(
            max_depth=int(p["max_depth"]),
            min_samples_split=float(p["min_samples_split"]),
            min_samples_leaf=float(p["min_samples_leaf"]),
            max_features=float(p["max_features"]),
            min_impurity_decrease=float(p["min_impurity_decrease"]),
            random_state=0,
        )
        if model == "dt":
            return (tree.DecisionTreeRegressor if regression else tree.DecisionTreeClassifier)(**kw)
        cls = ensemble.RandomForestRegressor if regression else ensemble.RandomForestClassifier
        return cls(n_estimators=int(p["n_estimators"]), n_jobs=1, **kw)
    if model == "svm":
        kw = dict(C=p["C"], gamma=p["gamma"], tol=p["tol"], kernel="rbf")
        if regression:
            return scaled(svm.SVR(epsilon=p["epsilon"], **kw))
        return scaled(svm.SVC(random_state=0, **kw))
    if model == "mlp":
        cls = neural_network.MLPRegressor if regression else neural_network.MLPClassifier
        return scaled(
            cls(
                hidden_layer_sizes=(int(p["hidden_layer_sizes"]),),
                alpha=p["alpha"],
                batch_size=int(p["batch_size"]),
                learning_rate_init=p["learning_rate_init"],
                beta_1=p["beta_1"],
                beta_2=p["beta_2"],
                activation=p["activation"],
                solver="adam",
                max_iter=MLP_MAX_ITER,
                random_state=0,
            )
        )
    if model == "knn":
        cls = neighbors.KNeighborsRegressor if regression else neighbors.KNeighborsClassifier
        return scaled(cls(n_neighbors=int(p["n_neighbors"]), p=int(p["p"]), weights=p["weights"]))
    if model in ("lasso", "linear"):
        if regression:
            cls = linear_model.Lasso if model == "lasso" else linear_model.Ridge
            return scaled(cls(alpha=p["alpha"], fit_intercept=p["fit_intercept"] == "yes", random_state=0))
        # liblinear (the solver that has intercept_scaling) is binary only:
        # one-vs-rest for the multiclass data sets.
        return scaled(
            OneVsRestClassifier(
                linear_model.LogisticRegression(
                    C=p["C"],
                    intercept_scaling=p["intercept_scaling"],
                    l1_ratio=1.0 if model == "lasso" else 0.0,
                    solver="liblinear",
                    random_state=0,
                )
            )
        )
    if model == "ada":
        cls = ensemble.AdaBoostRegressor if regression else ensemble.AdaBoostClassifier
        return cls(n_estimators=int(p["n_estimators"]), learning_rate=p["learning_rate"], random_state=0)
    raise KeyError(model)


def make_sklearn(model: str, dataset: str) -> Problem:
    from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score  # noqa: PLC0415

    regression = dataset in REGRESSION
    X, y = _dataset(dataset)
    cv = (KFold if regression else StratifiedKFold)(n_splits=CV_FOLDS, shuffle=True, random_state=0)
    scoring = "neg_mean_squared_error" if regression else "accuracy"

    def evaluate(params: dict[str, Any]) -> float:
        est = _estimator(model, regression, params)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scores = cross_val_score(est, X, y, cv=cv, scoring=scoring, error_score="raise")
        if regression:
            loss = -float(np.mean(scores))
            # A diverged fit (MLP with a large step) can give an astronomic or
            # non-finite MSE: cap it, deterministically.
            return loss if np.isfinite(loss) and loss < REGRESSION_LOSS_CAP else REGRESSION_LOSS_CAP
        return 1.0 - float(np.mean(scores))

    metric = "cross-validated MSE of the standardized target" if regression else "1 - cross-validated accuracy"
    return Problem(
        id=sklearn_id(model, dataset),
        family="sklearn",
        space=_space(model, regression),
        evaluate=evaluate,
        description=f"{MODEL_NAMES[model]} on {dataset}: {metric} ({CV_FOLDS}-fold)",
    )


# ---------------------------------------------------------------- trivial (overhead)

OVERHEAD_DIM = 10


def make_sumsq(dim: int = OVERHEAD_DIM) -> Problem:
    names = [f"x{i}" for i in range(dim)]

    def evaluate(params: dict[str, Any]) -> float:
        return sum(params[n] * params[n] for n in names)

    return Problem(
        id=f"sumsq-d{dim:02d}",
        family="trivial",
        space=[Float(n, -5.0, 5.0) for n in names],
        evaluate=evaluate,
        description=f"sum of squares of {dim} floats in [-5, 5]",
    )


# ---------------------------------------------------------------- by id


@functools.cache
def get_problem(pid: str) -> Problem:
    parts = pid.split("-")
    if parts[0] == "bbob":
        return make_bbob(int(parts[1][1:]), int(parts[2][1:]))
    if parts[0] == "sk":
        return make_sklearn(parts[1], "-".join(parts[2:]))
    if parts[0] == "sumsq":
        return make_sumsq(int(parts[1][1:]))
    raise KeyError(f"unknown problem {pid!r}")
