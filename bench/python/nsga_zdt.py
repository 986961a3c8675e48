#!/usr/bin/env python3
"""NSGA-II on ZDT1 in Optuna: the same protocol as bench/src/bin/nsga_zdt.rs.

A fresh two-objective study per seed (both minimized), NSGAIISampler with
its defaults and the seed; each trial suggests x0..x{D-1} uniform in [0, 1]
and is told ZDT1's values. Prints one JSON object per seed with the exact
hypervolume of the complete trials against (1.1, 1.1).

Usage: nsga_zdt.py [--trials 1000] [--dims 30] [--seeds 5] [--sampler nsga2|random]
"""

from __future__ import annotations

import argparse
import json
import math
import time


def zdt1(x: list[float]) -> tuple[float, float]:
    g = 1.0 + 9.0 * sum(x[1:]) / (len(x) - 1)
    return x[0], g * (1.0 - math.sqrt(x[0] / g))


def hypervolume_2d(points: list[tuple[float, float]], reference: tuple[float, float]) -> float:
    volume, best_second = 0.0, reference[1]
    for a, b in sorted(points):
        if a < reference[0] and b < best_second:
            volume += (reference[0] - a) * (best_second - b)
            best_second = b
    return volume


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials", type=int, default=1000)
    ap.add_argument("--dims", type=int, default=30)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--sampler", choices=["nsga2", "random"], default="nsga2")
    args = ap.parse_args()
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    for seed in range(args.seeds):
        sampler = (
            optuna.samplers.NSGAIISampler(seed=seed)
            if args.sampler == "nsga2"
            else optuna.samplers.RandomSampler(seed=seed)
        )
        study = optuna.create_study(directions=["minimize", "minimize"], sampler=sampler)
        points = []
        start = time.perf_counter()
        for _ in range(args.trials):
            trial = study.ask()
            x = [trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(args.dims)]
            values = zdt1(x)
            points.append(values)
            study.tell(trial, values)
        seconds = time.perf_counter() - start
        print(json.dumps({"engine": "optuna", "version": optuna.__version__, "sampler": args.sampler,
                          "problem": "zdt1", "dims": args.dims, "n_trials": args.trials, "seed": seed,
                          "hypervolume": hypervolume_2d(points, (1.1, 1.1)), "seconds": seconds}), flush=True)


if __name__ == "__main__":
    main()
