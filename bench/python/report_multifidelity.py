#!/usr/bin/env python3
"""Markdown report from bench/multifidelity.sh's replay.jsonl.

One table per curve source. A source is the curve file's name without its
seed: `curves-SEED.json` are the digits MLP's curves recorded by the CLI,
`sklearn-SOURCE-SEED.json` those of python/sklearn_curves.py (whose trials
carry the data set, the step unit and the validation size in user_attrs).
"""

import json
import math
import os
import re
import sys
from collections import defaultdict
from statistics import mean, pstdev

MODELS = {
    "sgd": "SGDClassifier (partial_fit)",
    "mlp": "MLPClassifier (partial_fit)",
    "gb": "GradientBoostingClassifier (warm_start)",
    "hgb": "HistGradientBoostingClassifier (warm_start)",
}


def source_of(path):
    """(source, seed) from a curve file's name."""
    m = re.fullmatch(r"(.+)-(\d+)\.json", os.path.basename(path))
    return (m.group(1), int(m.group(2))) if m else (os.path.basename(path), 0)


def describe(source, path):
    """(label, step unit, validation rows or None) of a source, from one of its curve files."""
    attrs = {}
    try:
        with open(path) as f:
            attrs = next((t.get("user_attrs") or {} for t in json.load(f) if t.get("user_attrs")), {})
    except (OSError, ValueError):
        pass
    if source == "curves":
        return "digits MLP (candle), trained by the CLI", "one epoch", 360
    if source.startswith("sklearn-"):
        model = source[len("sklearn-"):].split("-", 1)[0]
        label = f"{MODELS.get(model, model)} on {attrs.get('dataset', '?')}"
        return label, attrs.get("step", "one step"), attrs.get("n_val")
    return source, "one step", attrs.get("n_val")


def main(path):
    rows = [json.loads(l) for l in open(path) if l.strip()]
    for r in rows:
        # No trial ran to the end (a pruner stopped them all): the Rust replay
        # writes null for its NaN best, the Python one NaN.
        if r.get("best") is None:
            r["best"] = float("nan")
    by = defaultdict(dict)  # (file, pruner) -> engine -> row
    files_of = defaultdict(list)  # source -> files, in order of appearance
    pruners = []
    for r in rows:
        by[(r["file"], r["pruner"])][r["engine"]] = r
        src, _ = source_of(r["file"])
        if r["file"] not in files_of[src]:
            files_of[src].append(r["file"])
        if r["pruner"] not in pruners:
            pruners.append(r["pruner"])
    # The CLI's curves first, then the others as they came.
    sources = sorted(files_of, key=lambda s: s != "curves")

    print("## Early stopping on real learning curves\n")
    print("Epochs spent as a share of training every configuration to the end; best final validation")
    print("accuracy among trials that ran to the end (mean over seeds; 'none' is the run-everything")
    print("baseline); how many trials stopped at the same step in both engines.\n")
    summary = []
    for src in sources:
        files = files_of[src]
        label, unit, n_val = describe(src, files[0])
        any_row = next(iter(by[(files[0], pruners[0])].values()))
        n_conf = any_row["trials"]
        n_steps = round(any_row["full_epochs"] / n_conf) if n_conf else 0
        row_note = f"; {n_val} validation rows, so {1 / n_val:.4f} is one row" if n_val else ""
        print(f"### {label}\n")
        print(f"{len(files)} seed(s), {n_conf} configurations each, {n_steps} steps of {unit}{row_note}.\n")
        print("| pruner | ferrotune epochs | ferrotune best | Optuna epochs | Optuna best | same stopping step |")
        print("|---|---|---|---|---|---|")
        for p in pruners:
            cells = []
            agree, total = 0, 0
            for engine in ("ferrotune", "optuna"):
                rs = [by[(f, p)][engine] for f in files if engine in by[(f, p)]]
                if rs:
                    cells.append(f"{mean(r['epochs'] / r['full_epochs'] for r in rs):.1%}")
                    cells.append(f"{mean(r['best'] for r in rs):.4f}")
                else:
                    cells += ["-", "-"]
            for f in files:
                pair = by[(f, p)]
                if "ferrotune" in pair and "optuna" in pair:
                    a, b = pair["ferrotune"]["stopped_at"], pair["optuna"]["stopped_at"]
                    agree += sum(x == y for x, y in zip(a, b))
                    total += max(len(a), len(b))
            cells.append(f"{agree}/{total}" if total else "-")
            print(f"| {p} | " + " | ".join(cells) + " |")
        print()
        # ferrotune's shortfall against the run-everything baseline, seed by seed.
        base = {f: by[(f, "none")]["ferrotune"]["best"] for f in files if "ferrotune" in by[(f, "none")]}
        for p in pruners:
            if p == "none":
                continue
            rs = [(f, by[(f, p)]["ferrotune"]) for f in files if "ferrotune" in by[(f, p)] and f in base]
            if not rs:
                continue
            share = mean(r["epochs"] / r["full_epochs"] for _, r in rs)
            gaps = [base[f] - r["best"] for f, r in rs]
            # The standard error of an accuracy measured on n_val rows, at the
            # baseline's best: how far two equally good models' validation
            # accuracies typically differ by the luck of the split.
            acc = mean(base.values())
            se = math.sqrt(acc * (1 - acc) / n_val) if n_val else None
            summary.append((label, p, share, mean(gaps), max(gaps), pstdev(base.values()) if len(base) > 1 else None,
                            se, n_val))

    if not summary:
        return
    print("### Shortfall against running everything (ferrotune)\n")
    print("Best final accuracy of 'none' minus the pruner's, per seed (never negative: a pruned study's")
    print("finished trials are a subset of the baseline's); in validation rows where their number is known.")
    print("'seed spread' is the standard deviation over seeds of the baseline's best, for scale; 'SE' the")
    print("binomial standard error of a validation accuracy at that level, sqrt(p (1 - p) / n_val): the noise of")
    print("the measurement itself.\n")
    print("| source | pruner | epochs | mean shortfall | worst seed | seed spread | SE |")
    print("|---|---|---|---|---|---|---|")
    for label, p, share, gap, worst, spread, se, n_val in summary:
        def fmt(x):
            if x is None or math.isnan(x):
                return "-"
            return f"{x:.4f} ({x * n_val:.1f} rows)" if n_val else f"{x:.4f}"
        print(f"| {label} | {p} | {share:.1%} | {fmt(gap)} | {fmt(worst)} | {fmt(spread)} | {fmt(se)} |")


if __name__ == "__main__":
    main(sys.argv[1])
