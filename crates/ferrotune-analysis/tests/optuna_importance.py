"""Optuna's importance evaluators on the trials tests/optuna_agreement.rs wrote.

Usage: python optuna_importance.py CASES.json OUT.json [EVALUATOR]. Reads the
cases (trials with ferrotune's distributions and internal values, the
options), rebuilds each as an Optuna study, and writes Optuna's importances
by case. EVALUATOR is ped_anova (the default; the case's quantiles), fanova
or mdi (seeded with 0; these need scikit-learn). Exits 3 when Optuna 5 (or,
for the forests, scikit-learn) is not importable, so the test can skip.
"""

import json
import sys
import warnings

try:
    import optuna
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
    from optuna.importance import (
        FanovaImportanceEvaluator,
        MeanDecreaseImpurityImportanceEvaluator,
        PedAnovaImportanceEvaluator,
        get_param_importances,
    )
except ImportError as e:
    print(f"optuna not importable: {e}")
    sys.exit(3)
if int(optuna.__version__.split(".")[0]) < 5:
    print(f"optuna {optuna.__version__} is older than 5 (conditional PED-ANOVA)")
    sys.exit(3)

optuna.logging.set_verbosity(optuna.logging.ERROR)
warnings.simplefilter("ignore")


def distribution(d):
    if d["type"] == "float":
        return FloatDistribution(d["low"], d["high"], log=d["log"], step=d.get("step"))
    if d["type"] == "int":
        return IntDistribution(d["low"], d["high"], log=d["log"], step=d["step"])
    return CategoricalDistribution(d["choices"])


def external(d, internal):
    if d["type"] == "float":
        return internal
    if d["type"] == "int":
        return int(round(internal))
    return d["choices"][int(internal)]


def main():
    cases = json.load(open(sys.argv[1]))
    which = sys.argv[3] if len(sys.argv) > 3 else "ped_anova"
    if which != "ped_anova":
        try:
            import sklearn  # noqa: F401
        except ImportError as e:
            print(f"scikit-learn not importable: {e}")
            sys.exit(3)
    out = {}
    for case in cases:
        study = optuna.create_study(directions=case["directions"])
        trials = []
        for t in case["trials"]:
            params = {n: external(p["distribution"], p["internal"]) for n, p in t["params"].items()}
            dists = {n: distribution(p["distribution"]) for n, p in t["params"].items()}
            state = optuna.trial.TrialState[t["state"].upper()]
            values = t["values"] if state == optuna.trial.TrialState.COMPLETE else None
            trials.append(optuna.trial.create_trial(params=params, distributions=dists, values=values, state=state))
        study.add_trials(trials)
        target = None
        if case["target"] is not None:
            objective, sign = case["target"]["objective"], case["target"]["sign"]
            target = lambda t, o=objective, s=sign: s * t.values[o]  # noqa: E731
        if which == "fanova":
            evaluator = FanovaImportanceEvaluator(seed=0)
        elif which == "mdi":
            evaluator = MeanDecreaseImpurityImportanceEvaluator(seed=0)
        else:
            evaluator = PedAnovaImportanceEvaluator(
                target_quantile=case["target_quantile"],
                region_quantile=case["region_quantile"],
                evaluate_on_local=case["evaluate_on_local"],
            )
        params = case["params"]
        if which == "mdi" and params is not None:
            # Optuna 5.0.0's MeanDecreaseImpurityImportanceEvaluator names
            # its columns (sorted by name) in the order params were given:
            # params=["x1", "x0"] swaps the two importances. Sorted, the
            # names are right.
            params = sorted(params)
        out[case["name"]] = get_param_importances(
            study, evaluator=evaluator, params=params, target=target, normalize=case["normalize"]
        )
    json.dump(out, open(sys.argv[2], "w"))


main()
