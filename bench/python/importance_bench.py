"""Parameter importance, ferrotune next to Optuna, on the same trials.

For each study size (trials x parameters) a synthetic study is drawn once
(numpy, seeded) whose importance is known by construction: parameter k
contributes ``2**-(k/2)`` times a unit-variance term of its own (a
quadratic of a float, of log10 of a log-scaled float, of an int; a lookup
table of a categorical), plus a little noise, so the true ranking is
x00 > x01 > ... The study is written as JSON; ferrotune's evaluators are
timed by the ``importance`` binary on it (trials in memory, 3 runs, the
median reported) and Optuna's on the same trials added to an in-memory
study (``get_param_importances``; PED-ANOVA 3 runs, fANOVA once, in a
subprocess killed after ``--optuna-cap`` seconds, reported as "> cap").

Then agreement on real tuning studies: the bench's scikit-learn problems
(``searchbench.problems``, the search benchmark's), each run for a few
hundred random configurations; every evaluator of both engines on the same
trials, and the Spearman correlation of ferrotune's importances with
Optuna's (fANOVA, PED-ANOVA, mean decrease in impurity).

Usage:
  importance_bench.py run --bin target/release/importance --out results.jsonl [--quick] [--optuna-cap S]
      [--ferrotune-only] [--only timing|agreement]
  importance_bench.py report results.jsonl [more.jsonl ...]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SIZES_FULL = [(1000, 8), (1000, 32), (10000, 8), (10000, 32)]
SIZES_QUICK = [(200, 8), (200, 32)]
SKLEARN_FULL = ["sk-dt-breast_cancer", "sk-svm-wine", "sk-knn-digits", "sk-mlp-iris", "sk-ada-breast_cancer"]
SKLEARN_TRIALS_FULL = 300
SKLEARN_QUICK = ["sk-dt-breast_cancer"]
SKLEARN_TRIALS_QUICK = 30
KINDS = ["float", "log", "int", "categorical"]
CHOICES = ["a", "b", "c", "d"]


def weight(k: int) -> float:
    return 2.0 ** (-k / 2)


def make_study(n_trials: int, n_params: int, seed: int) -> dict:
    """A study whose parameter x{k} matters as weight(k), by construction."""
    rng = np.random.default_rng(seed)
    # Each term has unit variance under the sampling distribution.
    table = np.array([1.0, -1.0, 1.0, -1.0])  # categorical: two good, two bad
    params = []
    total = np.zeros(n_trials)
    for k in range(n_params):
        kind = KINDS[k % len(KINDS)]
        name = f"x{k:02d}"
        if kind == "float":
            x = rng.uniform(-2, 2, n_trials)
            term = x**2
            dist = {"type": "float", "low": -2.0, "high": 2.0, "log": False, "step": None}
            internal = x
        elif kind == "log":
            u = rng.uniform(np.log(1e-5), 0.0, n_trials)
            x = np.exp(u)
            term = (np.log10(x) + 3.0) ** 2
            dist = {"type": "float", "low": 1e-5, "high": 1.0, "log": True, "step": None}
            internal = x
        elif kind == "int":
            x = rng.integers(0, 21, n_trials)
            term = (x - 7.0) ** 2
            dist = {"type": "int", "low": 0, "high": 20, "log": False, "step": 1}
            internal = x.astype(float)
        else:
            x = rng.integers(0, len(CHOICES), n_trials)
            term = table[x]
            dist = {"type": "categorical", "choices": CHOICES}
            internal = x.astype(float)
        term = (term - term.mean()) / term.std()
        total += weight(k) * term
        params.append((name, dist, internal))
    total += 0.05 * rng.standard_normal(n_trials)
    trials = []
    for i in range(n_trials):
        trials.append(
            {
                "values": [float(total[i])],
                "params": {name: {"distribution": dist, "internal": float(v[i])} for name, dist, v in params},
            }
        )
    return {"directions": ["minimize"], "trials": trials}


def sklearn_study(pid: str, n_trials: int, seed: int) -> dict:
    """Random search on one of the search benchmark's scikit-learn problems."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from searchbench.problems import get_problem  # noqa: PLC0415

    problem = get_problem(pid)
    rng = np.random.default_rng(seed)
    dists = {}
    for p in problem.space:
        if p.kind == "float":
            dists[p.name] = {"type": "float", "low": p.low, "high": p.high, "log": p.log, "step": None}
        elif p.kind == "int":
            dists[p.name] = {"type": "int", "low": int(p.low), "high": int(p.high), "log": p.log, "step": 1}
        else:
            dists[p.name] = {"type": "categorical", "choices": list(p.choices)}
    trials = []
    for _ in range(n_trials):
        params, internal = {}, {}
        for p in problem.space:
            if p.kind == "cat":
                i = int(rng.integers(len(p.choices)))
                params[p.name], internal[p.name] = p.choices[i], float(i)
                continue
            if p.kind == "float":
                u = rng.uniform(math.log(p.low), math.log(p.high)) if p.log else rng.uniform(p.low, p.high)
                v = float(math.exp(u)) if p.log else float(u)
                v = min(max(v, p.low), p.high)
            elif p.log:  # log int, as Optuna draws it
                u = rng.uniform(math.log(p.low - 0.5), math.log(p.high + 0.5))
                v = int(min(max(round(math.exp(u)), p.low), p.high))
            else:
                v = int(rng.integers(int(p.low), int(p.high) + 1))
            params[p.name], internal[p.name] = v, float(v)
        value = problem.evaluate(params)
        trials.append(
            {
                "values": [value],
                "params": {n: {"distribution": dists[n], "internal": internal[n]} for n in params},
            }
        )
    return {"directions": ["minimize"], "trials": trials}


def optuna_study(study: dict):
    import optuna
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    optuna.logging.set_verbosity(optuna.logging.ERROR)

    def distribution(d):
        if d["type"] == "float":
            return FloatDistribution(d["low"], d["high"], log=d["log"], step=d["step"])
        if d["type"] == "int":
            return IntDistribution(d["low"], d["high"], log=d["log"], step=d["step"])
        return CategoricalDistribution(d["choices"])

    def external(d, internal):
        if d["type"] == "float":
            return internal
        if d["type"] == "int":
            return int(round(internal))
        return d["choices"][int(internal)]

    first = study["trials"][0]["params"]
    dists = {n: distribution(p["distribution"]) for n, p in first.items()}
    s = optuna.create_study(directions=study["directions"])
    s.add_trials(
        [
            optuna.trial.create_trial(
                params={n: external(p["distribution"], p["internal"]) for n, p in t["params"].items()},
                distributions=dists,
                values=t["values"],
            )
            for t in study["trials"]
        ]
    )
    return s


def optuna_cell(path: str, evaluator: str, repeat: int) -> dict:
    """Optuna's evaluator on the study at `path` (run in a subprocess)."""
    import warnings

    import optuna
    from optuna.importance import (
        FanovaImportanceEvaluator,
        MeanDecreaseImpurityImportanceEvaluator,
        PedAnovaImportanceEvaluator,
        get_param_importances,
    )

    warnings.simplefilter("ignore")
    study = json.loads(Path(path).read_text())
    s = optuna_study(study)
    seconds, importances = [], None
    for _ in range(repeat):
        ev = {
            "fanova": lambda: FanovaImportanceEvaluator(seed=0),
            "mdi": lambda: MeanDecreaseImpurityImportanceEvaluator(seed=0),
            "ped-anova": PedAnovaImportanceEvaluator,
        }[evaluator]()
        start = time.perf_counter()
        result = get_param_importances(s, evaluator=ev)
        seconds.append(time.perf_counter() - start)
        importances = importances or dict(result)
    return {
        "engine": "optuna",
        "version": optuna.__version__,
        "evaluator": evaluator,
        "n_trials": len(study["trials"]),
        "n_params": len(study["trials"][0]["params"]),
        "seconds": seconds,
        "importances": importances,
    }


def time_study(args, out, path: Path, label: str, evaluators: list[tuple[str, int]], extra: str = "") -> None:
    """Every evaluator of both engines on the study at `path` (ferrotune's
    `extra` ones too); rows tagged `label`."""
    names = ",".join([e for e, _ in evaluators] + ([extra] if extra else []))
    ours = subprocess.run(
        [args.bin, "--input", str(path), "--repeat", "3", "--evaluators", names],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for line in ours.splitlines():
        out.write(json.dumps({**json.loads(line), "study": label}) + "\n")
    for evaluator, repeat in evaluators if not args.ferrotune_only else []:
        command = [sys.executable, __file__, "optuna-cell", str(path), evaluator, str(repeat)]
        try:
            done = subprocess.run(command, check=True, capture_output=True, text=True, timeout=args.optuna_cap)
            row = json.loads(done.stdout)
        except subprocess.TimeoutExpired:
            row = {"engine": "optuna", "evaluator": evaluator, "seconds": None, "capped_at": args.optuna_cap}
        out.write(json.dumps({**row, "study": label}) + "\n")
        out.flush()


def run(args) -> None:
    sizes = SIZES_QUICK if args.quick else SIZES_FULL
    studies = SKLEARN_QUICK if args.quick else SKLEARN_FULL
    n_sklearn = SKLEARN_TRIALS_QUICK if args.quick else SKLEARN_TRIALS_FULL
    out = open(args.out, "a")
    if args.only == "agreement":
        sizes = []
    if args.only == "timing":
        studies = []
    with tempfile.TemporaryDirectory() as tmp:
        for n_trials, n_params in sizes:
            path = Path(tmp) / f"study-{n_trials}x{n_params}.json"
            path.write_text(json.dumps(make_study(n_trials, n_params, seed=n_trials + n_params)))
            print(f"timing: {n_trials} trials x {n_params} params", file=sys.stderr)
            time_study(args, out, path, f"synthetic-{n_trials}x{n_params}", [("ped-anova", 3), ("fanova", 1)])
        for pid in studies:
            print(f"agreement: {pid}, {n_sklearn} random trials", file=sys.stderr)
            path = Path(tmp) / f"{pid}.json"
            path.write_text(json.dumps(sklearn_study(pid, n_sklearn, seed=0)))
            time_study(args, out, path, pid, [("ped-anova", 1), ("fanova", 1), ("mdi", 1)], extra="fanova-linear")
    out.close()


def ranks(values: list[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    result = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in order[i : j + 1]:
            result[k] = (i + j) / 2
        i = j + 1
    return result


def spearman(a: list[float], b: list[float]) -> float:
    ra, rb = ranks(a), ranks(b)
    ma, mb = statistics.fmean(ra), statistics.fmean(rb)
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb))
    va = sum((x - ma) ** 2 for x in ra)
    vb = sum((y - mb) ** 2 for y in rb)
    return cov / math.sqrt(va * vb) if va > 0 and vb > 0 else float("nan")


def report(paths: list[str]) -> None:
    rows = [json.loads(line) for path in paths for line in open(path) if line.strip()]
    cells = {(r["study"], r["engine"], r["evaluator"]): r for r in rows}
    synthetic = sorted(
        {r["study"] for r in rows if r["study"].startswith("synthetic-")},
        key=lambda s: tuple(int(x) for x in s.split("-")[1].split("x")),
    )
    real = [s for s in dict.fromkeys(r["study"] for r in rows) if not s.startswith("synthetic-")]

    def seconds(r):
        if r is None or r.get("seconds") is None:
            return None
        return statistics.median(r["seconds"])

    def fmt(r):
        s = seconds(r)
        if s is None:
            return f"> {r['capped_at']:.0f}" if r and r.get("capped_at") else "-"
        return f"{s:.3f}" if s < 10 else f"{s:.1f}"

    def ratio(ours, theirs):
        a, b = seconds(ours), seconds(theirs)
        if a is None or a == 0:
            return "-"
        if b is None:
            return f"> {theirs['capped_at'] / a:.0f}x" if theirs and theirs.get("capped_at") else "-"
        return f"{b / a:.0f}x"

    def rho(a, b):
        if not a or not b or not a.get("importances") or not b.get("importances"):
            return "-"
        names = sorted(set(a["importances"]) & set(b["importances"]))
        return f"{spearman([a['importances'][n] for n in names], [b['importances'][n] for n in names]):.3f}"

    def truth(r):
        if not r or not r.get("importances"):
            return "-"
        names = sorted(r["importances"])
        return f"{spearman([r['importances'][n] for n in names], [weight(int(n[1:])) for n in names]):.3f}"

    def get(study, engine, evaluator):
        return cells.get((study, engine, evaluator))

    print("Seconds per evaluation (median of 3 runs for ferrotune and Optuna's PED-ANOVA, one run of Optuna's fANOVA)")
    print()
    print("| trials x params | ferrotune fANOVA | Optuna fANOVA | ratio | ferrotune PED-ANOVA | Optuna PED-ANOVA | ratio |")
    print("|---|---|---|---|---|---|---|")
    for study in synthetic:
        size = study.split("-")[1].replace("x", " x ")
        ff, of = get(study, "ferrotune", "fanova"), get(study, "optuna", "fanova")
        fp, op = get(study, "ferrotune", "ped-anova"), get(study, "optuna", "ped-anova")
        print(f"| {size} | {fmt(ff)} | {fmt(of)} | {ratio(ff, of)} | {fmt(fp)} | {fmt(op)} | {ratio(fp, op)} |")
    print()
    print("Spearman correlation with the construction's ranking (x00 > x01 > ...)")
    print()
    print("| trials x params | ferrotune fANOVA | Optuna fANOVA | ferrotune PED-ANOVA | Optuna PED-ANOVA |")
    print("|---|---|---|---|---|")
    for study in synthetic:
        size = study.split("-")[1].replace("x", " x ")
        ff, of = get(study, "ferrotune", "fanova"), get(study, "optuna", "fanova")
        fp, op = get(study, "ferrotune", "ped-anova"), get(study, "optuna", "ped-anova")
        print(f"| {size} | {truth(ff)} | {truth(of)} | {truth(fp)} | {truth(op)} |")
    if not real:
        return
    print()
    print("Spearman correlation of ferrotune's importances with Optuna's, same evaluator, same trials")
    print("(random search on the search benchmark's scikit-learn problems)")
    print()
    print("(fANOVA, linear: ferrotune's with log-scaled parameters measured on their linear scale, as Optuna does)")
    print()
    print(
        "| study | trials | params | fANOVA | fANOVA, linear | PED-ANOVA | mean decrease in impurity "
        "| top 3, ferrotune fANOVA | top 3, Optuna fANOVA |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for study in real:
        ff, of = get(study, "ferrotune", "fanova"), get(study, "optuna", "fanova")
        fp, op = get(study, "ferrotune", "ped-anova"), get(study, "optuna", "ped-anova")
        fm, om = get(study, "ferrotune", "mdi"), get(study, "optuna", "mdi")
        fl = get(study, "ferrotune", "fanova-linear")

        def top(r):
            if not r or not r.get("importances"):
                return "-"
            return ", ".join(sorted(r["importances"], key=lambda n: -r["importances"][n])[:3])

        n_trials = ff["n_trials"] if ff else "-"
        n_params = ff["n_params"] if ff else "-"
        print(
            f"| {study} | {n_trials} | {n_params} | {rho(ff, of)} | {rho(fl, of)} | {rho(fp, op)} | {rho(fm, om)} "
            f"| {top(ff)} | {top(of)} |"
        )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "optuna-cell":
        print(json.dumps(optuna_cell(sys.argv[2], sys.argv[3], int(sys.argv[4]))))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    r.add_argument("--bin", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--quick", action="store_true")
    r.add_argument("--optuna-cap", type=float, default=1800.0)
    r.add_argument("--ferrotune-only", action="store_true", help="time ferrotune alone (e.g. to re-time a new build)")
    r.add_argument("--only", choices=["timing", "agreement"], help="run one part (default: both)")
    p = sub.add_parser("report")
    p.add_argument("results", nargs="+", help="result files; a later row replaces an earlier one of the same cell")
    args = parser.parse_args()
    if args.command == "run":
        run(args)
    else:
        report(args.results)


if __name__ == "__main__":
    main()
