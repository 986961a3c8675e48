"""Repeated configurations of Optuna's TPESampler (default settings) on the
discrete space of issue 22's "duplicates" phase, in memory and sequential:
x, y = suggest_float(-5, 5, step=0.1), minimize x² + y². The counterpart of
bench/src/bin/tpe_dups.rs; one JSON line per seed.

    python bench/python/tpe_dups.py [--seeds 10] [--trials 400]
"""

import argparse
import json

import optuna


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--trials", type=int, default=400)
    a = p.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    for seed in range(a.seeds):
        study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
        seen = set()
        repeats = 0
        best = float("inf")
        best_at = {}
        for n in range(1, a.trials + 1):
            t = study.ask()
            x = t.suggest_float("x", -5, 5, step=0.1)
            y = t.suggest_float("y", -5, 5, step=0.1)
            key = (round(x * 10), round(y * 10))
            repeats += key in seen
            seen.add(key)
            study.tell(t, x * x + y * y)
            best = min(best, x * x + y * y)
            if n in (25, 50, 100, 200):
                best_at[str(n)] = best
        print(json.dumps({"engine": "optuna", "variant": "default", "seed": seed, "trials": a.trials,
                          "repeats": repeats, "best": study.best_value, "best_at": best_at}), flush=True)


if __name__ == "__main__":
    main()
