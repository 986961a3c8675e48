#!/usr/bin/env python3
"""ferrotune's GPSampler and Optuna's on the same observations (issue 19).

Whole runs of two samplers part ways after their first different proposal,
so comparing final values mixes the model with luck. Here both see the same
history and propose one point each, step by step: the history is 10 random
points, then grows by Optuna's proposals (so it is the history Optuna's own
run would have). At every step each sampler gets a fresh study holding the
history (enqueued and told, no startup trials left), asks once, and the
proposal is scored by its regret. A model and acquisition optimizer that
match Optuna's propose the same points; where they differ, the regrets say
whose proposal was better.

    bench/.venv/bin/python bench/python/gp_same_history.py [--steps 20] [--seeds 3]

Prints a Markdown table per ferrotune variant: how often the two proposals
coincide (distance below 1% of the box's diagonal), and the mean log10
regret of each sampler's proposals. Needs torch (Optuna's GPSampler).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import warnings

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from searchbench.problems import BBOB_HIGH, BBOB_LOW, REGRET_FLOOR, get_problem  # noqa: E402

# Held-out problems (dimensions and instances the tuning split never runs):
# a smooth bowl, a valley, a multimodal landscape.
PROBLEMS = ["bbob-f01-d03", "bbob-f08-d03", "bbob-f21-d03", "bbob-f01-d06", "bbob-f08-d06", "bbob-f21-d06"]
VARIANTS = {
    "ferrotune-gp": {},
    "ferrotune-gp-standardize": {"output_transform": "standardize"},
}


def propose(mod, sampler, history, names):
    study = mod.create_study(direction="minimize", sampler=sampler)
    for x, value in history:
        study.enqueue_trial(dict(zip(names, map(float, x), strict=True)))
        trial = study.ask()
        for name in names:
            trial.suggest_float(name, BBOB_LOW, BBOB_HIGH)
        study.tell(trial, value)
    trial = study.ask()
    return np.array([trial.suggest_float(name, BBOB_LOW, BBOB_HIGH) for name in names])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=20, help="proposals after the 10 random points")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--problems", nargs="+", default=PROBLEMS)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    import ferrotune  # noqa: PLC0415
    import optuna  # noqa: PLC0415

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    ferrotune.logging.set_verbosity(ferrotune.logging.WARNING)

    def log_regret(v: float) -> float:
        return math.log10(max(v, REGRET_FLOOR))

    # variant -> list of (same point?, optuna's log regret, ferrotune's log regret)
    steps: dict[str, list[tuple[bool, float, float]]] = {v: [] for v in VARIANTS}
    for pid in args.problems:
        names = [p.name for p in get_problem(f"{pid}-i02").space]
        diagonal = (BBOB_HIGH - BBOB_LOW) * math.sqrt(len(names))
        for seed in range(args.seeds):
            problem = get_problem(f"{pid}-i{2 + seed:02d}")
            rng = np.random.default_rng(seed)
            history = []
            for _ in range(10):
                x = rng.uniform(BBOB_LOW, BBOB_HIGH, len(names))
                history.append((x, problem.evaluate(dict(zip(names, x, strict=True)))))
            for _ in range(args.steps):
                anchor = optuna.samplers.GPSampler(seed=seed, n_startup_trials=0)
                x_optuna = propose(optuna, anchor, history, names)
                v_optuna = problem.evaluate(dict(zip(names, x_optuna, strict=True)))
                for variant, options in VARIANTS.items():
                    sampler = ferrotune.samplers.GPSampler(seed=seed, n_startup_trials=0, **options)
                    x = propose(ferrotune, sampler, history, names)
                    v = problem.evaluate(dict(zip(names, x, strict=True)))
                    same = float(np.linalg.norm(x - x_optuna)) < 0.01 * diagonal
                    steps[variant].append((same, log_regret(v_optuna), log_regret(v)))
                history.append((x_optuna, v_optuna))
            print(f"[same-history] {pid} seed {seed} done", file=sys.stderr, flush=True)

    print(f"{len(args.problems)} problems x {args.seeds} seeds x {args.steps} steps; instance 2 + seed\n")
    print("| variant | same point as Optuna's | mean log10 regret of the proposals: Optuna / ferrotune | where they differ: ferrotune's better / worse |")
    print("|---|---|---|---|")
    for variant, rows in steps.items():
        same = sum(s for s, _, _ in rows)
        differ = [(o, f) for s, o, f in rows if not s]
        better = sum(f < o for o, f in differ)
        worse = sum(f > o for o, f in differ)
        mean_o = np.mean([o for _, o, _ in rows])
        mean_f = np.mean([f for _, _, f in rows])
        print(f"| {variant} | {same}/{len(rows)} | {mean_o:.3f} / {mean_f:.3f} | {better} / {worse} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
