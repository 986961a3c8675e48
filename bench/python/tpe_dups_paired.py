"""Paired before/after comparison of one method in two search_bench.py
results files (e.g. ferrotune-tpe built from two commits), by (problem,
seed), at several budgets.

    python bench/python/tpe_dups_paired.py BEFORE.jsonl AFTER.jsonl [--method ferrotune-tpe] [--budgets 20 40 100] [--only knn]

Per problem, a run's best of its first b trials is normalized as
(best - f*) / (clip - f*), f* the best value any run of either file reached
on that problem within b trials and clip the median over runs of the best of
the first 10 trials (the random startup, the same in both files). Printed per
budget: the mean over seeds of the per-seed mean normalized difference
(after - before; negative is better), its standard error, the runs won /
lost / tied on the raw best, the exact sign-flip permutation test on the
per-seed differences, and Wilcoxon's signed-rank test on the per-run
normalized differences (ties dropped).
"""

import argparse
import gzip
import itertools
import json
import statistics
from collections import defaultdict

from scipy.stats import wilcoxon


def load(path, method):
    runs = {}
    for line in (gzip.open(path, "rt") if path.endswith(".gz") else open(path)):
        r = json.loads(line)
        if r.get("kind") != "search" or r.get("method") != method or r.get("error"):
            continue
        runs[(r["problem"], r["seed"])] = r["values"]
    return runs


def main():
    p = argparse.ArgumentParser()
    p.add_argument("before")
    p.add_argument("after")
    p.add_argument("--method", default="ferrotune-tpe")
    p.add_argument("--budgets", type=int, nargs="+", default=[20, 40, 100])
    p.add_argument("--only", help="only problems whose id contains this")
    a = p.parse_args()
    before, after = load(a.before, a.method), load(a.after, a.method)
    keys = sorted(k for k in set(before) & set(after) if a.only is None or a.only in k[0])
    problems = sorted({k[0] for k in keys})
    seeds = sorted({k[1] for k in keys})
    identical = sum(before[k] == after[k] for k in keys)
    print(f"{a.method}: {len(keys)} paired runs, {len(problems)} problems, {len(seeds)} seeds; "
          f"{identical} runs identical trial for trial")
    for b in a.budgets:
        per_seed = defaultdict(list)
        per_run = []
        won = lost = tied = 0
        for prob in problems:
            ks = [k for k in keys if k[0] == prob]
            fstar = min(min(v[:b]) for k in ks for v in (before[k], after[k]))
            clip = statistics.median(min(v[:10]) for k in ks for v in (before[k], after[k]))
            scale = clip - fstar if clip > fstar else 1.0
            for k in ks:
                x, y = min(before[k][:b]), min(after[k][:b])
                d = (y - fstar) / scale - (x - fstar) / scale
                per_seed[k[1]].append(d)
                per_run.append(d)
                won += y < x
                lost += y > x
                tied += y == x
        diffs = [statistics.mean(per_seed[s]) for s in seeds]
        mean = statistics.mean(diffs)
        se = statistics.stdev(diffs) / len(diffs) ** 0.5 if len(diffs) > 1 else float("nan")
        obs = abs(sum(diffs))
        flips = list(itertools.product([1, -1], repeat=len(diffs)))
        p_perm = sum(abs(sum(s * d for s, d in zip(signs, diffs))) >= obs - 1e-15 for signs in flips) / len(flips)
        nz = [d for d in per_run if d != 0]
        p_w = wilcoxon(nz).pvalue if len(nz) > 0 else 1.0
        print(f"budget {b:4d}: after - before = {mean:+.4f} ± {se:.4f} (normalized, per seed); "
              f"runs won/lost/tied {won}/{lost}/{tied}; sign-flip p = {p_perm:.3f}; Wilcoxon p = {p_w:.3f} (n={len(nz)})")


if __name__ == "__main__":
    main()
