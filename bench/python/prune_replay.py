#!/usr/bin/env python3
"""Replay recorded learning curves through Optuna's pruners.

The Python twin of bench/src/bin/prune_replay.rs: same files, same pruner
settings, same study name (Hyperband's bracket hash uses it), sequential
ask / report / should_prune / tell. One JSON line per (file, pruner).
"""

import json
import os
import sys

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)


def pruners(max_step):
    P = optuna.pruners
    return [
        ("none", P.NopPruner()),
        ("median", P.MedianPruner(n_startup_trials=5, n_warmup_steps=4)),
        ("asha", P.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)),
        ("hyperband", P.HyperbandPruner(min_resource=1, max_resource=max_step, reduction_factor=3)),
        ("hyperband-b2", P.HyperbandPruner(min_resource=1, max_resource=max_step, reduction_factor=3, bootstrap_count=2)),
    ]


def load(path):
    with open(path) as f:
        trials = json.load(f)
    curves = []
    for t in trials:
        if t["state"] != "complete":
            continue
        # (step, value) in step order; the recorders number steps from 1.
        curves.append(sorted((int(s), v) for s, v in t["intermediate_values"].items()))
    return curves


def main(paths):
    for path in paths:
        curves = load(path)
        if not curves:
            print(f"{path}: no completed trial to replay", file=sys.stderr)
            continue
        max_step = max(c[-1][0] for c in curves)
        # Same study name as the Rust replay: it seeds Hyperband's brackets.
        study_name = "replay-" + os.path.splitext(os.path.basename(path))[0]
        for name, pruner in pruners(max_step):
            study = optuna.create_study(study_name=study_name, direction="maximize", pruner=pruner)
            stopped_at = []
            for curve in curves:
                trial = study.ask()
                last = len(curve) - 1
                pruned = False
                for position, (step, value) in enumerate(curve):
                    trial.report(value, step)
                    if trial.should_prune():
                        pruned, last = True, position
                        break
                stopped_at.append(last)
                if pruned:
                    study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                else:
                    study.tell(trial, curve[-1][1])
            best = study.best_value if any(t.state.name == "COMPLETE" for t in study.trials) else float("nan")
            print(json.dumps({
                "engine": "optuna", "file": path, "pruner": name, "trials": len(curves),
                "epochs": sum(s + 1 for s in stopped_at), "full_epochs": sum(len(c) for c in curves),
                "best": best, "stopped_at": stopped_at, "version": optuna.__version__,
            }), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
