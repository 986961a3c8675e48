"""Benchmark problems: BBOB noiseless functions (COCO's `cocoex`) and
hyperparameter tuning of scikit-learn models on scikit-learn's bundled data
and on data sets made by its generators.

Every problem is minimized and is a deterministic function of its parameters,
so all methods are compared on the same function. Problems are named by a
string id and built inside the worker process that evaluates them (cocoex
problems cannot be pickled).

Problems come in two splits. `tuning` is what the bench's defaults were
chosen on: BBOB instance 1 in 2, 5 and 10 dimensions, scikit-learn's bundled
data sets. `heldout` shares none of it, so a default chosen on the first can
be checked on the second: other BBOB instances (one per seed, never 1), other
dimensions (3 and 6), and data sets generated offline at a fixed random_state.
"""

from __future__ import annotations

import functools
import re
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
    4: "Bueche-Rastrigin",
    5: "linear slope",
    6: "attractive sector",
    7: "step ellipsoid",
    8: "Rosenbrock",
    9: "Rosenbrock (rotated)",
    10: "ellipsoid (rotated)",
    11: "discus",
    12: "bent cigar",
    13: "sharp ridge",
    14: "different powers",
    15: "Rastrigin (rotated)",
    16: "Weierstrass",
    17: "Schaffer F7",
    18: "Schaffer F7 (ill-conditioned)",
    19: "Griewank-Rosenbrock",
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

# BBOB's five groups of functions (Hansen et al., "Real-parameter black-box
# optimization benchmarking 2009: noiseless functions definitions").
BBOB_GROUPS = {
    "separable": (1, 2, 3, 4, 5),
    "low or moderate conditioning": (6, 7, 8, 9),
    "high conditioning, unimodal": (10, 11, 12, 13, 14),
    "multimodal, adequate global structure": (15, 16, 17, 18, 19),
    "multimodal, weak global structure": (20, 21, 22, 23, 24),
}
# The held-out split runs instance HELDOUT_INSTANCE_BASE + seed: every seed its
# own instance, the same for every method with that seed, never instance 1.
HELDOUT_INSTANCE_BASE = 2
_BBOB_ID = re.compile(r"bbob-f(\d+)-d(\d+)(?:-i(\d+))?$")


def bbob_id(fid: int, dim: int, instance: int = 1) -> str:
    """Instance 1 (the tuning split's, and every id before the held-out split
    existed) has no instance part: `bbob-f03-d05`; others do: `bbob-f03-d06-i05`."""
    base = f"bbob-f{fid:02d}-d{dim:02d}"
    return base if instance == 1 else f"{base}-i{instance:02d}"


def parse_bbob_id(pid: str) -> tuple[int, int, int]:
    """(function, dimension, instance) of a BBOB problem id."""
    m = _BBOB_ID.match(pid)
    if m is None:
        raise KeyError(f"not a BBOB problem id: {pid!r}")
    return int(m[1]), int(m[2]), int(m[3] or 1)


def heldout_instance(seed: int) -> int:
    return HELDOUT_INSTANCE_BASE + seed


def problem_dim(pid: str) -> int | None:
    """Number of parameters of a BBOB or sum-of-squares problem, from its id."""
    if pid.startswith("bbob"):
        return parse_bbob_id(pid)[1]
    if pid.startswith("sumsq"):
        return int(pid.split("-d", 1)[1])
    return None


def score_key(pid: str) -> str:
    """What the report normalizes over: the problem without its BBOB instance.
    The held-out split runs a different instance with every seed, so a
    function in a dimension is one problem there, its instances pooled as its
    seeds are (as COCO aggregates instances)."""
    return re.sub(r"-i\d+$", "", pid) if pid.startswith("bbob") else pid


def make_bbob(fid: int, dim: int, instance: int = 1) -> Problem:
    import cocoex  # noqa: PLC0415

    # BareProblem takes any dimension (the suite only 2, 3, 5, 10, 20, 40) and
    # evaluates exactly as the suite's problem does.
    problem = cocoex.BareProblem("bbob", fid, dim, instance)
    # f at the optimum, evaluated (not best_value()): the same regrets, to the
    # bit, as the suite's problems with their optimum read back from cocoex's file.
    fopt = float(problem(np.asarray(problem.best_parameter(), dtype=float)))
    names = [f"x{i}" for i in range(dim)]

    def evaluate(params: dict[str, Any]) -> float:
        x = np.fromiter((params[n] for n in names), dtype=float, count=dim)
        return max(0.0, float(problem(x)) - fopt)

    return Problem(
        id=bbob_id(fid, dim, instance),
        family="bbob",
        space=[Float(n, BBOB_LOW, BBOB_HIGH) for n in names],
        evaluate=evaluate,
        score_scale="log10",
        description=f"BBOB f{fid} {BBOB_NAMES.get(fid, '')}, {dim}-D, instance {instance}, regret f(x) - f_opt",
    )


# ---------------------------------------------------------------- scikit-learn

# scikit-learn's bundled data sets: the tuning split's.
CLASSIFICATION = ("iris", "wine", "breast_cancer", "digits")
REGRESSION = ("diabetes",)
DATASETS = CLASSIFICATION + REGRESSION
# Data sets of the held-out split, made by scikit-learn's generators at a
# fixed random_state (no download): (generator, its arguments). Each brings
# something the bundled ones lack: two interleaved half-moons (a nonlinear
# boundary in 2-D), 20 features of which 14 are noise or redundant, four
# classes of two clusters each, Hastie's 10-D sphere boundary (the classic
# case for boosting), Friedman's nonlinear regression with 5 noise inputs, a
# sparse linear regression (8 of 30 inputs matter).
GENERATED: dict[str, tuple[str, dict[str, Any]]] = {
    "moons": ("make_moons", {"n_samples": 400, "noise": 0.3, "random_state": 101}),
    "clf_noisy": (
        "make_classification",
        {
            "n_samples": 500,
            "n_features": 20,
            "n_informative": 6,
            "n_redundant": 4,
            "flip_y": 0.05,
            "class_sep": 0.8,
            "random_state": 102,
        },
    ),
    "clf_multi": (
        "make_classification",
        {
            "n_samples": 500,
            "n_features": 12,
            "n_informative": 8,
            "n_redundant": 2,
            "n_classes": 4,
            "n_clusters_per_class": 2,
            "random_state": 103,
        },
    ),
    "hastie": ("make_hastie_10_2", {"n_samples": 500, "random_state": 104}),
    "friedman1": ("make_friedman1", {"n_samples": 400, "n_features": 10, "noise": 1.0, "random_state": 105}),
    "reg_sparse": (
        "make_regression",
        {"n_samples": 300, "n_features": 30, "n_informative": 8, "noise": 20.0, "random_state": 106},
    ),
}
GENERATED_REGRESSION = ("friedman1", "reg_sparse")
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


def is_regression(dataset: str) -> bool:
    return dataset in REGRESSION or dataset in GENERATED_REGRESSION


@functools.cache
def _dataset(name: str) -> tuple[np.ndarray, np.ndarray]:
    from sklearn import datasets  # noqa: PLC0415

    if name in GENERATED:
        generator, kwargs = GENERATED[name]
        X, y = getattr(datasets, generator)(**kwargs)
    else:
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
    if is_regression(name):
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

    regression = is_regression(dataset)
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
        return make_bbob(*parse_bbob_id(pid))
    if parts[0] == "sk":
        return make_sklearn(parts[1], "-".join(parts[2:]))
    if parts[0] == "sumsq":
        return make_sumsq(int(parts[1][1:]))
    raise KeyError(f"unknown problem {pid!r}")
