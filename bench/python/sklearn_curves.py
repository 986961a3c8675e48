#!/usr/bin/env python3
"""Learning curves of scikit-learn models trained incrementally.

The second source of curves for bench/multifidelity.sh (the first is the
digits MLP run through the CLI). For each source (a model on one of
scikit-learn's bundled data sets), each seed and each of N random
configurations, the model is trained step by step to the end, with no
pruning, and its validation accuracy is recorded after every step:

  sgd-digits, sgd-breast_cancer   SGDClassifier, one partial_fit epoch per step
  mlp-digits                      MLPClassifier, one partial_fit epoch per step
  gb-breast_cancer                GradientBoostingClassifier (warm_start), 5 more trees per step
  hgb-digits                      HistGradientBoostingClassifier (warm_start), 2 more iterations per step

Each (source, seed) is written as DIR/sklearn-SOURCE-SEED.json in the shape
of `ferrotune export --format json` (a JSON array of trials with number,
state, values, params, intermediate_values keyed by step, user_attrs,
duration_s), so bench/src/bin/prune_replay.rs and python/prune_replay.py
replay them unchanged. The written paths are printed on stdout, one a line.

Reproducible: the configuration and every random number a fit uses come from
(seed, source, configuration index) only, so the curves do not depend on the
number of worker processes or on the order in which they finish. The
validation split is fixed (stratified, random_state 0) so every trial is
scored on the same rows; the seed varies the configurations, the
initialization and the order of the examples, as it does for the digits MLP.
"""

import os

# One thread per worker process: the workers are the parallelism.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import json
import math
import sys
import time
import warnings
import zlib
from concurrent.futures import ProcessPoolExecutor

import numpy as np


# --- data -----------------------------------------------------------------

# Share of each data set held out for validation (stratified, fixed).
# digits: 360 rows, the same number as the digits MLP's validation set.
VAL_SHARE = {"digits": 0.2, "breast_cancer": 0.3}

_DATA = {}


def data(name):
    """(X_train, X_val, y_train, y_val, classes), standardized on the training rows."""
    if name not in _DATA:
        from sklearn import datasets
        from sklearn.model_selection import train_test_split
        from sklearn.preprocessing import StandardScaler

        X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
        Xt, Xv, yt, yv = train_test_split(X, y, test_size=VAL_SHARE[name], stratify=y, random_state=0)
        scaler = StandardScaler().fit(Xt)
        _DATA[name] = (scaler.transform(Xt), scaler.transform(Xv), yt, yv, np.unique(y))
    return _DATA[name]


# --- search spaces ----------------------------------------------------------


def log_uniform(rng, low, high):
    return float(math.exp(rng.uniform(math.log(low), math.log(high))))


def log_int(rng, low, high):
    """An integer in [low, high], uniform on a log scale (as suggest_int(log=True))."""
    v = math.exp(rng.uniform(math.log(low - 0.5), math.log(high + 0.5)))
    return int(min(high, max(low, round(v))))


def choice(rng, options):
    return options[int(rng.integers(len(options)))]


def sgd_space(rng):
    p = {
        "loss": choice(rng, ["hinge", "log_loss", "modified_huber"]),
        "penalty": choice(rng, ["l2", "l1", "elasticnet"]),
        "alpha": log_uniform(rng, 1e-7, 1e-1),
        "learning_rate": choice(rng, ["optimal", "constant", "invscaling"]),
    }
    if p["learning_rate"] != "optimal":
        p["eta0"] = log_uniform(rng, 1e-4, 1.0)
    return p


def mlp_space(rng):
    n_layers = int(rng.integers(1, 3))
    p = {"n_layers": n_layers}
    for i in range(n_layers):
        p[f"units_l{i}"] = log_int(rng, 16, 256)
    p["solver"] = choice(rng, ["sgd", "adam"])
    p["learning_rate_init"] = log_uniform(rng, 1e-4, 0.3)
    p["alpha"] = log_uniform(rng, 1e-6, 1e-2)
    p["batch_size"] = choice(rng, [16, 32, 64, 128])
    return p


def gb_space(rng):
    return {
        "learning_rate": log_uniform(rng, 0.01, 1.0),
        "max_depth": int(rng.integers(1, 7)),
        "subsample": float(rng.uniform(0.3, 1.0)),
        "min_samples_leaf": log_int(rng, 1, 50),
        "max_features": float(rng.uniform(0.1, 1.0)),
    }


def hgb_space(rng):
    return {
        "learning_rate": log_uniform(rng, 0.01, 1.0),
        "max_leaf_nodes": log_int(rng, 4, 64),
        "min_samples_leaf": log_int(rng, 2, 100),
        "l2_regularization": log_uniform(rng, 1e-6, 10.0),
        "max_features": float(rng.uniform(0.2, 1.0)),
    }


# --- incremental training -----------------------------------------------------
# Each trainer takes the parameters, a numpy RandomState (the model's only
# source of randomness, so partial_fit shuffles differently every epoch) and
# the data, and yields the validation accuracy after each step.


def train_sgd(p, rs, d, n_steps):
    from sklearn.linear_model import SGDClassifier

    Xt, Xv, yt, yv, classes = d
    model = SGDClassifier(
        loss=p["loss"], penalty=p["penalty"], alpha=p["alpha"], learning_rate=p["learning_rate"],
        eta0=p.get("eta0", 0.01), random_state=rs,
    )
    for _ in range(n_steps):
        model.partial_fit(Xt, yt, classes=classes)
        yield model.score(Xv, yv)


def train_mlp(p, rs, d, n_steps):
    from sklearn.neural_network import MLPClassifier

    Xt, Xv, yt, yv, classes = d
    model = MLPClassifier(
        hidden_layer_sizes=tuple(p[f"units_l{i}"] for i in range(p["n_layers"])),
        solver=p["solver"], learning_rate_init=p["learning_rate_init"], alpha=p["alpha"],
        batch_size=p["batch_size"], random_state=rs,
    )
    for _ in range(n_steps):
        model.partial_fit(Xt, yt, classes=classes)
        yield model.score(Xv, yv)


GB_TREES_PER_STEP = 5


def train_gb(p, rs, d, n_steps):
    from sklearn.ensemble import GradientBoostingClassifier

    Xt, Xv, yt, yv, _ = d
    model = GradientBoostingClassifier(warm_start=True, random_state=rs, **p)
    for step in range(n_steps):
        model.set_params(n_estimators=GB_TREES_PER_STEP * (step + 1))
        model.fit(Xt, yt)
        yield model.score(Xv, yv)


HGB_ITERS_PER_STEP = 2


def train_hgb(p, rs, d, n_steps):
    from sklearn.ensemble import HistGradientBoostingClassifier

    Xt, Xv, yt, yv, _ = d
    model = HistGradientBoostingClassifier(warm_start=True, early_stopping=False, random_state=rs, **p)
    for step in range(n_steps):
        model.set_params(max_iter=HGB_ITERS_PER_STEP * (step + 1))
        model.fit(Xt, yt)
        yield model.score(Xv, yv)


# source -> (data set, space, trainer, what one step is)
SOURCES = {
    "sgd-digits": ("digits", sgd_space, train_sgd, "one partial_fit epoch"),
    "sgd-breast_cancer": ("breast_cancer", sgd_space, train_sgd, "one partial_fit epoch"),
    "mlp-digits": ("digits", mlp_space, train_mlp, "one partial_fit epoch"),
    "gb-breast_cancer": ("breast_cancer", gb_space, train_gb, f"{GB_TREES_PER_STEP} more trees"),
    "hgb-digits": ("digits", hgb_space, train_hgb, f"{HGB_ITERS_PER_STEP} more boosting iterations"),
}


def run_config(task):
    """One configuration trained to the end: a trial in `ferrotune export`'s JSON shape."""
    source, seed, number, n_steps = task
    dataset, space, trainer, step_unit = SOURCES[source]
    # Everything random about this trial comes from (seed, source, number).
    rng = np.random.default_rng([seed, zlib.crc32(source.encode()), number])
    params = space(rng)
    rs = np.random.RandomState(int(rng.integers(2**31 - 1)))
    d = data(dataset)
    trial = {"number": number, "params": params}
    t0 = time.perf_counter()
    curve = []
    try:
        with warnings.catch_warnings():
            # Diverging configurations overflow and fail to converge: that is
            # part of the curves, not something to print 1,000 times.
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                for acc in trainer(params, rs, d, n_steps):
                    curve.append(float(acc))
    except Exception as e:  # a configuration that cannot train fails its trial, as in the CLI
        trial["fail_reason"] = f"{type(e).__name__}: {e}"
    ok = len(curve) == n_steps and all(math.isfinite(v) for v in curve)
    trial.update({
        "state": "complete" if ok else "fail",
        "values": [curve[-1]] if ok else None,
        "intermediate_values": {str(s): v for s, v in enumerate(curve, start=1)},
        "user_attrs": {"source": source, "dataset": dataset, "step": step_unit, "n_val": int(len(d[3]))},
        "duration_s": time.perf_counter() - t0,
    })
    return source, seed, trial


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--configs", type=int, default=60, help="random configurations per (source, seed)")
    ap.add_argument("--steps", type=int, default=20, help="steps (epochs or stages) per configuration")
    ap.add_argument("--sources", nargs="+", default=list(SOURCES), choices=list(SOURCES))
    ap.add_argument("--jobs", type=int, default=2, help="worker processes")
    args = ap.parse_args(argv)

    tasks = [(s, seed, i, args.steps) for s in args.sources for seed in args.seeds for i in range(args.configs)]
    # Slow sources first, so the pool does not end on one long straggler.
    cost = {"hgb-digits": 0, "mlp-digits": 1, "gb-breast_cancer": 2}
    tasks.sort(key=lambda t: cost.get(t[0], 9))
    results = {}
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for source, seed, trial in pool.map(run_config, tasks, chunksize=1):
            results.setdefault((source, seed), []).append(trial)
    os.makedirs(args.out_dir, exist_ok=True)
    for source in args.sources:
        for seed in args.seeds:
            trials = sorted(results[(source, seed)], key=lambda t: t["number"])
            failed = sum(t["state"] != "complete" for t in trials)
            path = os.path.join(args.out_dir, f"sklearn-{source}-{seed}.json")
            with open(path, "w") as f:
                json.dump(trials, f, indent=1)
            spent = sum(t["duration_s"] for t in trials)
            print(f"{source} seed {seed}: {len(trials)} configurations x {args.steps} steps, "
                  f"{failed} failed, {spent:.1f} s of training", file=sys.stderr)
            print(path)
    print(f"scikit-learn curves: {time.perf_counter() - t0:.1f} s wall", file=sys.stderr)


if __name__ == "__main__":
    main()
