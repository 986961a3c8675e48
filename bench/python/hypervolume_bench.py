"""Exact hypervolume and non-dominated sorting: ferrotune next to Optuna
5.0.0 (``optuna._hypervolume.compute_hypervolume``, and the
``_fast_non_domination_rank`` its samplers use) and moocore, on the same
points.

Each case's points are drawn once (numpy, seeded) and written as raw
doubles; ferrotune's ``hypervolume`` binary and this script's ``anchor``
mode (one engine per process, killed after ``--cap`` seconds and reported
as "> cap") time the same call on them, ``repeat`` times, and report the
median. The results are checked against each other (hypervolumes within
1e-9 relative, the same number and sum of ranks).

Cases: 10,000 points in 3 objectives on the positive unit sphere (every
point on the front: the hard case) and uniform in the unit cube (few on
the front); 300 sphere points in 4 objectives (WFG against WFG);
non-dominated sorting of 100,000 uniform points in 2, 3 and 4 objectives; and
greedy hypervolume subset selection of a tenth of 2,000 sphere points in 2
objectives, of 1,000 in 3 and of 300 in 5 (Optuna's ``_solve_hssp``, MOTPE's good set;
moocore has none).
``--quick`` takes a tenth of the points and one repetition (a smoke run).

Usage:
  hypervolume_bench.py run --bin target/release/hypervolume --out results.jsonl [--quick] [--cap S]
  hypervolume_bench.py report results.jsonl
  hypervolume_bench.py anchor --engine optuna|moocore --task hypervolume|ranks --points F --objectives D
      [--reference R] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

# (task, objectives, points, shape, repeat)
CASES = [
    ("hypervolume", 3, 10_000, "sphere", 5),
    ("hypervolume", 3, 10_000, "uniform", 5),
    ("hypervolume", 4, 300, "sphere", 3),
    ("ranks", 2, 100_000, "uniform", 3),
    ("ranks", 3, 100_000, "uniform", 3),
    ("ranks", 4, 100_000, "uniform", 3),
    ("subset", 2, 2_000, "sphere", 3),
    ("subset", 3, 1_000, "sphere", 3),
    ("subset", 5, 300, "sphere", 3),
]
# How many points subset selection picks: a tenth, as MOTPE's good set.
SUBSET_FRACTION = 10
ENGINES = ["ferrotune", "optuna", "moocore"]


def draw(shape: str, n: int, d: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if shape == "sphere":
        x = np.abs(rng.normal(size=(n, d)))
        return x / np.linalg.norm(x, axis=1, keepdims=True)
    return rng.random((n, d))


def reference_for(shape: str, d: int) -> list[float]:
    return [1.1] * d if shape == "sphere" else [1.0] * d


def anchor(args: argparse.Namespace) -> None:
    points = np.fromfile(args.points, dtype="<f8").reshape(-1, args.objectives)
    reference = np.array([float(r) for r in args.reference.split(",")]) if args.reference else None
    if args.engine == "optuna":
        from optuna._hypervolume import compute_hypervolume
        from optuna.study._multi_objective import _fast_non_domination_rank

        from optuna._hypervolume import _solve_hssp

        hv = lambda: compute_hypervolume(points, reference)  # noqa: E731
        ranks = lambda: _fast_non_domination_rank(points)  # noqa: E731
        subset = lambda: _solve_hssp(points, np.arange(len(points)), args.k, reference)  # noqa: E731
    else:
        import moocore

        hv = lambda: moocore.hypervolume(points, ref=reference)  # noqa: E731
        ranks = lambda: moocore.pareto_rank(points)  # noqa: E731
        subset = None  # moocore has no subset selection
    seconds = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        out = {"hypervolume": hv, "ranks": ranks, "subset": subset}[args.task]()
        seconds.append(time.perf_counter() - start)
        # A call of many seconds is measured well enough once.
        if sum(seconds) > 10:
            break
    if args.task == "hypervolume":
        result = {"hypervolume": float(out)}
    elif args.task == "subset":
        result = {"selected": sorted(int(i) for i in out)}
    else:
        out = np.asarray(out)
        result = {"n_ranks": int(out.max()) + 1, "rank_sum": int(out.sum())}
    seconds.sort()
    print(json.dumps({"n": len(points), "median_seconds": seconds[len(seconds) // 2], "min_seconds": seconds[0],
                      "calls": len(seconds), "result": result}))


def run(args: argparse.Namespace) -> None:
    import moocore
    import optuna

    versions = {"ferrotune": "0.1.0", "optuna": optuna.__version__, "moocore": moocore.__version__}
    out = open(args.out, "w")
    with tempfile.TemporaryDirectory() as tmp:
        for seed, (task, d, n, shape, repeat) in enumerate(CASES):
            if args.quick:
                n, repeat = max(n // 10, 10), 1
            name = f"{task}, {d} objectives, {n:,} {'on a sphere' if shape == 'sphere' else 'uniform'}"
            points = draw(shape, n, d, seed)
            path = Path(tmp) / f"case{seed}.f64"
            points.astype("<f8").tofile(path)
            common = ["--task", task, "--points", str(path), "--objectives", str(d), "--repeat", str(repeat)]
            if task != "ranks":
                common += ["--reference", ",".join(repr(r) for r in reference_for(shape, d))]
            if task == "subset":
                common += ["--k", str(n // SUBSET_FRACTION)]
                name += f", {n // SUBSET_FRACTION:,} chosen"
            for engine in ENGINES:
                if engine == "moocore" and task == "subset":
                    continue
                if engine == "ferrotune":
                    command = [args.bin, *common]
                else:
                    command = [sys.executable, __file__, "anchor", "--engine", engine, *common]
                load = os.getloadavg()[0]
                try:
                    done = subprocess.run(command, capture_output=True, text=True, timeout=args.cap, check=True)
                    row = json.loads(done.stdout)
                except subprocess.TimeoutExpired:
                    row = {"n": n, "median_seconds": None, "capped_at": args.cap}
                row.setdefault("calls", repeat)
                row.update(case=name, task=task, engine=engine, version=versions[engine], repeat=repeat,
                           quick=args.quick, load_before=load)
                print(json.dumps(row), file=out, flush=True)
                print(f"{name}: {engine} {row.get('median_seconds')}", file=sys.stderr)
    out.close()


def report(args: argparse.Namespace) -> None:
    rows = [json.loads(line) for line in open(args.results)]
    cases = list(dict.fromkeys(r["case"] for r in rows))
    print("| case | ferrotune | Optuna | moocore | Optuna / ferrotune | moocore / ferrotune | results agree |")
    print("|---|---|---|---|---|---|---|")
    for case in cases:
        by = {r["engine"]: r for r in rows if r["case"] == case}

        def cell(engine: str) -> str:
            r = by.get(engine)
            if r is None:
                return "-"
            if r["median_seconds"] is None:
                return f"> {r['capped_at']} s"
            return f"{r['median_seconds'] * 1000:.2f} ms"

        def ratio(engine: str) -> str:
            r, f = by.get(engine), by.get("ferrotune")
            if r is None or f is None or f["median_seconds"] in (None, 0):
                return "-"
            if r["median_seconds"] is None:
                return f"> {r['capped_at'] / f['median_seconds']:.0f}x"
            return f"{r['median_seconds'] / f['median_seconds']:.1f}x"

        results = [r["result"] for r in by.values() if r.get("result")]
        if results and "hypervolume" in results[0]:
            values = [x["hypervolume"] for x in results]
            agree = max(values) - min(values) <= 1e-9 * max(abs(v) for v in values)
        else:
            agree = all(x == results[0] for x in results)
        print(f"| {case} | {cell('ferrotune')} | {cell('optuna')} | {cell('moocore')} | {ratio('optuna')} "
              f"| {ratio('moocore')} | {'yes' if agree else 'NO'} |")
    loads = [r["load_before"] for r in rows]
    print(f"\nmedian of up to {rows[0]['repeat']} timed calls per cell (one call when it takes over 10 s); "
          f"load average before the cells "
          f"{min(loads):.2f} to {max(loads):.2f}; {'quick (smoke) run' if rows[0]['quick'] else 'full run'}.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run")
    p.add_argument("--bin", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--cap", type=float, default=600.0)
    p = sub.add_parser("report")
    p.add_argument("results")
    p = sub.add_parser("anchor")
    p.add_argument("--engine", choices=["optuna", "moocore"], required=True)
    p.add_argument("--task", choices=["hypervolume", "ranks", "subset"], required=True)
    p.add_argument("--k", type=int)
    p.add_argument("--points", required=True)
    p.add_argument("--objectives", type=int, required=True)
    p.add_argument("--reference")
    p.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    {"run": run, "report": report, "anchor": anchor}[args.command](args)


if __name__ == "__main__":
    main()
