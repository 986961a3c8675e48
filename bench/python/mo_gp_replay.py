#!/usr/bin/env python3
"""ferrotune's multi-objective GP replayed against Optuna's `GPSampler`
(2026-12-07): run ferrotune's GP on a bench problem, then, at each trial
count K given, hand Optuna's GP the same first K trials and compare the
(K+1)-th proposals under Optuna's log expected hypervolume improvement.

Prints, per K, Optuna's acquisition at its own proposal and at
ferrotune's, each proposal's pattern over the (sorted) variables ("0" or
"1" within 1% of a bound, "." inside), and Optuna's fitted lengthscales.
Equal acquisition values mean both engines maximize the same function;
the test `crates/ferrotune-py/tests/test_gp_against_optuna.py` checks
this on small cases. Used to diagnose the GP's WFG3 trap (bench/README.md,
"The GP on WFG").

    bench/.venv/bin/python bench/python/mo_gp_replay.py wfg3-2obj 3 5,10,30,80 [--n-startup 5]
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mobench.methods import _suggest  # noqa: E402
from mobench.problems import get_problem  # noqa: E402
from mobench.replay import optuna_gp_next  # noqa: E402


def _pattern(z: np.ndarray) -> str:
    return "".join("0" if v < 0.01 else ("1" if v > 0.99 else ".") for v in z)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("problem")
    parser.add_argument("seed", type=int)
    parser.add_argument("ks", help="comma-separated trial counts")
    parser.add_argument("--n-startup", type=int, default=5)
    args = parser.parse_args(argv)
    import ferrotune  # noqa: PLC0415
    import optuna  # noqa: PLC0415
    from optuna.samplers._gp import sampler as optuna_gp  # noqa: PLC0415

    ferrotune.logging.set_verbosity(ferrotune.logging.WARNING)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    problem = get_problem(args.problem)
    directions = ["minimize"] * problem.n_objectives
    ks = sorted(int(k) for k in args.ks.split(","))

    ours = ferrotune.create_study(
        directions=directions, sampler=ferrotune.samplers.GPSampler(seed=args.seed, n_startup_trials=args.n_startup)
    )
    history = []
    for _ in range(ks[-1] + 1):
        trial = ours.ask()
        x = [_suggest(trial, p) for p in problem.params]
        ours.tell(trial, problem.evaluate(x))
        history.append(trial.params)

    # Optuna orders its internal space by name; its acquisition's hook is
    # `_optimize_acqf` (internal: written against optuna 5.0.0).
    ordered = sorted(problem.params, key=lambda p: p.name)
    captured = {}
    optimize = optuna_gp.GPSampler._optimize_acqf

    def capturing(self, acqf, best_params):  # type: ignore[no-untyped-def]
        x = optimize(self, acqf, best_params)
        captured["acqf"], captured["x"], captured["sampler"] = acqf, x, self
        return x

    optuna_gp.GPSampler._optimize_acqf = capturing
    for k in ks:
        if k < args.n_startup:
            continue
        optuna_gp_next(problem, history, k, args.seed, args.n_startup)
        acqf = captured["acqf"]
        theirs = np.asarray(captured["x"])
        mine = np.array([(history[k][p.name] - p.low) / (p.high - p.low) for p in ordered])
        at_theirs, at_mine = acqf.eval_acqf_no_grad(np.stack([theirs, mine]))
        lengthscales = [
            np.round(1 / np.sqrt(g.inverse_squared_lengthscales.detach().numpy()), 2).tolist()
            for g in captured["sampler"]._gprs_cache_list
        ]
        print(f"K={k}: Optuna's acquisition at its proposal {at_theirs:.3f} {_pattern(theirs)}, "
              f"at ferrotune's {at_mine:.3f} {_pattern(mine)}")
        print(f"  Optuna's lengthscales per objective: {lengthscales}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
