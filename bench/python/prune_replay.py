#!/usr/bin/env python3
"""Replay recorded learning curves through Optuna's pruners.

The Python twin of bench/src/bin/prune_replay.rs: same files, same pruner
settings, same study name (Hyperband's bracket hash uses it), sequential
ask / report / should_prune / tell. One JSON line per (file, pruner).
"""

import json
import sys

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)


def pruners(n_steps):
    P = optuna.pruners
    return [
        ("none", P.NopPruner()),
        ("median", P.MedianPruner(n_startup_trials=5, n_warmup_steps=4)),
        ("asha", P.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)),
        ("hyperband", P.HyperbandPruner(min_resource=1, max_resource=n_steps, reduction_factor=3)),
    ]


def load(path):
    with open(path) as f:
        trials = json.load(f)
    curves = []
    for t in trials:
        if t["state"] != "complete":
            continue
        steps = sorted((int(s), v) for s, v in t["intermediate_values"].items())
        curves.append([v for _, v in steps])
    return curves


def main(paths):
    for path in paths:
        curves = load(path)
        n_steps = max(len(c) for c in curves)
        for name, pruner in pruners(n_steps):
            study = optuna.create_study(study_name="replay", direction="maximize", pruner=pruner)
            stopped_at = []
            for curve in curves:
                trial = study.ask()
                last = len(curve) - 1
                pruned = False
                for step, value in enumerate(curve):
                    trial.report(value, step)
                    if trial.should_prune():
                        pruned, last = True, step
                        break
                stopped_at.append(last)
                if pruned:
                    study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                else:
                    study.tell(trial, curve[-1])
            best = study.best_value if any(t.state.name == "COMPLETE" for t in study.trials) else float("nan")
            print(json.dumps({
                "engine": "optuna", "file": path, "pruner": name, "trials": len(curves),
                "epochs": sum(s + 1 for s in stopped_at), "full_epochs": sum(len(c) for c in curves),
                "best": best, "stopped_at": stopped_at, "version": optuna.__version__,
            }), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
