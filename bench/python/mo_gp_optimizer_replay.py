#!/usr/bin/env python3
"""Whose acquisition optimizer finds the higher point (2026-12-07, later
session): ferrotune's multi-objective GP and Optuna's `GPSampler` on the
same history, each proposal scored under both engines' acquisitions.

ferrotune's GP runs PROBLEM with SEED for 200 trials (or up to the largest
K); at each K Optuna's GP is handed the first K trials and proposes the
(K+1)-th. The same seeded ferrotune run is then repeated (it is
deterministic), and at each K it also evaluates its own acquisition at
Optuna's proposal. One JSON row per K: `ls_rel`, the largest relative
difference between the two engines' fitted lengthscales (below 0.1 the
models agree, and so do the acquisitions); `ours_own` and
`ours_at_theirs`, ferrotune's log EHVI at its proposal and at Optuna's;
`optuna_theirs` and `optuna_at_ours`, the same under Optuna's. Where the
models agree, `ours_own - ours_at_theirs < 0` means ferrotune's optimizer
missed a point its own acquisition rates higher.

ferrotune has no public hook for its acquisition, so this needs a build
with `bench/patches/gp-debug-acquisition.patch` applied (it prints the
acquisition at the points of the file FERROTUNE_GP_DEBUG names, on stderr):

    git apply bench/patches/gp-debug-acquisition.patch
    python3 -m venv /tmp/dbgvenv && /tmp/dbgvenv/bin/pip install maturin
    echo "$PWD/bench/.venv/lib/python3.11/site-packages" > /tmp/dbgvenv/lib/python3.11/site-packages/zz_bench.pth
    VIRTUAL_ENV=/tmp/dbgvenv /tmp/dbgvenv/bin/maturin develop --release -m crates/ferrotune-py/Cargo.toml
    /tmp/dbgvenv/bin/python bench/python/mo_gp_optimizer_replay.py wfg2-3obj 0 20,35,50,65,80 >> rows.jsonl
    bench/.venv/bin/python bench/python/mo_gp_optimizer_replay.py --summary rows.jsonl

(`git apply -R` afterwards.) Since commit a90956f ferrotune's optimizer
starts a local search from each of the (up to 5) front points it is given,
as Optuna's starts 5 from its Pareto front; the patch applies to that code
only. Rows made before it with `front_local_searches` "0" (or none)
climbed one front point, "5" five (through a patch since removed).
`--output-transform` sets
ferrotune's (`standardize`, the default here, is Optuna's; the sampler's
default `robust` fits other models, so the acquisitions differ by design).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mobench.methods import _suggest  # noqa: E402
from mobench.problems import get_problem  # noqa: E402
from mobench.replay import optuna_gp_next  # noqa: E402

_DEBUG_LINE = re.compile(r"GPDEBUG n=(\d+) acq_at_proposal=(\S+) probes=\[([^\]]*)\] ls=(.*) x=")


def summary(paths: list[str]) -> int:
    groups: dict[tuple[str, str], list[dict]] = {}
    for path in paths:
        with open(path) as f:
            for line in f:
                r = json.loads(line)
                key = (r["output_transform"], r.get("front_local_searches") or "0")
                groups.setdefault(key, []).append(r)
    for (transform, front), rows in sorted(groups.items()):
        label = f"output_transform={transform}, local searches from front points: {front}"
        agree = [r for r in rows if r["ls_rel"] < 0.1]
        if not agree:
            print(f"{label}: no proposal with agreeing models")
            continue
        under_ours = np.array([r["ours_own"] - r["ours_at_theirs"] for r in agree])
        under_optuna = np.array([r["optuna_at_ours"] - r["optuna_theirs"] for r in agree])
        print(
            f"{label}: {len(rows)} proposals, {len(agree)} with agreeing models. ferrotune's proposal - Optuna's: "
            f"under ferrotune's acquisition mean {under_ours.mean():+.3f} (lower by more than 0.05 at "
            f"{(under_ours < -0.05).sum()}, higher at {(under_ours > 0.05).sum()}); under Optuna's mean "
            f"{under_optuna.mean():+.3f} (lower at {(under_optuna < -0.05).sum()}, higher at {(under_optuna > 0.05).sum()})"
        )
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("problem", nargs="?")
    parser.add_argument("seed", type=int, nargs="?")
    parser.add_argument("ks", nargs="?", help="comma-separated trial counts")
    parser.add_argument("--output-transform", default="standardize")
    parser.add_argument("--summary", nargs="+", metavar="ROWS", help="summarize rows this script wrote")
    args = parser.parse_args(argv)
    if args.summary:
        return summary(args.summary)
    if args.problem is None or args.seed is None or not args.ks:
        parser.error("PROBLEM SEED KS are required without --summary")
    import ferrotune  # noqa: PLC0415
    import optuna  # noqa: PLC0415
    from optuna.samplers._gp import sampler as optuna_gp  # noqa: PLC0415

    ferrotune.logging.set_verbosity(ferrotune.logging.WARNING)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    problem = get_problem(args.problem)
    directions = ["minimize"] * problem.n_objectives
    try:
        ks = sorted(int(k) for k in args.ks.split(","))
    except ValueError:
        parser.error(f"KS must be comma-separated trial counts, got {args.ks!r}")
    if ks[0] < 5:
        parser.error("every K must be at least 5 (the startup trials)")
    # Optuna orders its internal space by name, as ferrotune's GP does.
    ordered = sorted(problem.params, key=lambda p: p.name)
    probe = f"/tmp/mo-gp-probe-{os.getpid()}.txt"
    log = f"/tmp/mo-gp-debug-{os.getpid()}.txt"
    open(probe, "w").close()
    os.environ["FERROTUNE_GP_DEBUG"] = probe

    def unit(params: dict) -> np.ndarray:
        return np.array([(params[p.name] - p.low) / (p.high - p.low) for p in ordered])

    def ferrotune_study():  # type: ignore[no-untyped-def]
        sampler = ferrotune.samplers.GPSampler(seed=args.seed, n_startup_trials=5, output_transform=args.output_transform)
        return ferrotune.create_study(directions=directions, sampler=sampler)

    def run_ferrotune(probes: dict[int, np.ndarray]) -> list[dict]:
        """The seeded run; the debug lines (one per proposal) go to `log`."""
        history = []
        saved = os.dup(2)
        out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(out, 2)
        try:
            study = ferrotune_study()
            for i in range(ks[-1] + 1):
                with open(probe, "w") as f:
                    if i in probes:
                        f.write(",".join(map(str, probes[i])) + "\n")
                trial = study.ask()
                study.tell(trial, problem.evaluate([_suggest(trial, p) for p in problem.params]))
                history.append(trial.params)
        finally:
            os.dup2(saved, 2)
            os.close(out)
        return history

    history = run_ferrotune({})
    captured = {}
    optimize = optuna_gp.GPSampler._optimize_acqf

    def capturing(self, acqf, best_params):  # type: ignore[no-untyped-def]
        x = optimize(self, acqf, best_params)
        captured.update(acqf=acqf, x=x, sampler=self)
        return x

    optuna_gp.GPSampler._optimize_acqf = capturing
    theirs = {}
    for k in ks:
        optuna_gp_next(problem, history, k, args.seed, 5)
        x = np.asarray(captured["x"])
        at = captured["acqf"].eval_acqf_no_grad(np.stack([x, unit(history[k])]))
        lengthscales = [
            (1 / np.sqrt(g.inverse_squared_lengthscales.detach().numpy())).tolist()
            for g in captured["sampler"]._gprs_cache_list
        ]
        theirs[k] = (x, at, lengthscales)

    again = run_ferrotune({k: t[0] for k, t in theirs.items()})
    if again != history:
        print("the repeated ferrotune run differs from the first: not deterministic?", file=sys.stderr)
        return 1
    ours = {}
    with open(log) as f:
        for line in f:
            m = _DEBUG_LINE.match(line)
            if m and int(m.group(1)) in theirs and m.group(3):
                ours[int(m.group(1))] = (float(m.group(2)), float(m.group(3)), json.loads(m.group(4)))
    if len(ours) != len(theirs):
        print("no debug lines from ferrotune: is the debug patch built in?", file=sys.stderr)
        return 1
    for k in ks:
        x, at, lengthscales = theirs[k]
        own, at_theirs, our_lengthscales = ours[k]
        rel = float(np.max(np.abs(np.array(our_lengthscales) - np.array(lengthscales)) / np.array(lengthscales)))
        row = dict(
            problem=args.problem,
            seed=args.seed,
            k=k,
            output_transform=args.output_transform,
            front_local_searches="5",  # the default since a90956f
            ls_rel=rel,
            ours_own=own,
            ours_at_theirs=at_theirs,
            optuna_theirs=float(at[0]),
            optuna_at_ours=float(at[1]),
        )
        print(json.dumps(row), flush=True)
    os.remove(probe)
    os.remove(log)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
