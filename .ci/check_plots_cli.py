"""Every `ferrotune plot` kind on the study the README's main job made
(digits-mlp) and on a two-objective study, the SVG's content checked
against the study as `ferrotune trials` and `best` read it.

Usage: python3 .ci/check_plots_cli.py target/release/ferrotune examples/digits-mlp/tune.toml
(standard library only).
"""

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ferrotune, config = sys.argv[1], sys.argv[2]


def check(condition, message):
    if not condition:
        raise SystemExit(f"check_plots_cli: {message}")


def run(*args):
    return subprocess.run([ferrotune, *args], check=True, capture_output=True, text=True).stdout


def svg(kind, *args, target=("-c", config)):
    text = run("plot", kind, *target, "-o", "-", *args)
    check(text.lstrip().startswith("<svg") and text.rstrip().endswith("</svg>"), f"{kind}: not an SVG document")
    return text


def count(text, cls):
    return len(re.findall(rf'class="{cls}"', text))


def numbers(text, cls):
    return [int(n) for n in re.findall(rf'class="{cls}"[^>]*?data-number="(\d+)"', text)]


trials = json.loads(run("trials", "-c", config, "--format", "json"))
complete = [t for t in trials if t["state"] == "complete"]
best = json.loads(run("best", "-c", config, "--json"))
reported = [t for t in trials if t["intermediate_values"]]
started = [t for t in trials if t.get("duration_s") is not None or t["state"] in ("running",)]
check(len(complete) >= 10, f"the main job left {len(complete)} complete trials")

history = svg("optimization-history")
check(count(history, "point") == len(complete), f"history: {count(history, 'point')} points for {len(complete)} complete trials")
check(numbers(history, "best") == [best["number"]], f"history: best marked {numbers(history, 'best')}, `best` says {best['number']}")

sliced = svg("slice", "--params", "lr,dropout")
check(count(sliced, "point") == 2 * len(complete), "slice: not a point per complete trial in each panel")
check(set(numbers(sliced, "best")) == {best["number"]}, "slice: the best trial is not the one marked")

parallel = svg("parallel-coordinate", "--params", "lr,dropout,n_layers")
check(count(parallel, "line") == len(complete), "parallel coordinates: not a line per complete trial")
check(count(parallel, "axis") == 4, "parallel coordinates: not an axis for the value and each of 3 parameters")

contour = svg("contour", "--params", "lr,dropout")
check(count(contour, "point") == len(complete) and count(contour, "cell") > 0, "contour: points or cells missing")

importance = svg("param-importances")
names = {name for t in complete for name in t["params"]}
check(count(importance, "bar") == len(names), f"importances: {count(importance, 'bar')} bars for {len(names)} parameters")

curves = svg("intermediate-values")
check(count(curves, "curve") == len(reported), f"intermediate values: {count(curves, 'curve')} curves for {len(reported)} trials")

timeline = svg("timeline")
check(count(timeline, "bar") == len([t for t in trials if t.get("duration_s") is not None]), "timeline: not a bar per finished trial")

edf = svg("edf")
check(count(edf, "line") == 1, "edf: no line")

rank = svg("rank", "--params", "lr,dropout")
check(count(rank, "point") == len(complete), "rank: not a point per complete trial")

for fmt in ("png", "html"):
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / f"history.{fmt}"
        run("plot", "optimization-history", "-c", config, "-o", str(out))
        data = out.read_bytes()
        check(data.startswith(b"\x89PNG") if fmt == "png" else b"<svg" in data, f"{fmt}: not a {fmt} file")

# Two objectives, through `ferrotune ask`/`tell` on a study of its own.
with tempfile.TemporaryDirectory() as folder:
    toml = Path(folder) / "mo.toml"
    toml.write_text(
        '[study]\nname = "mo"\nstorage = "sqlite:///mo.db"\ndirections = ["minimize", "maximize"]\n'
        '[command]\nrun = "true"\n[metric]\nnames = ["loss", "acc"]\n'
        '[params]\nx = { type = "float", low = 0.0, high = 1.0 }\n'
    )
    for _ in range(30):
        trial = json.loads(run("ask", "-c", str(toml)))
        x = trial["params"]["x"]
        run("tell", "-c", str(toml), "--trial", str(trial["trial"]), "--value", str(x * x), "--value", str(x))
    front = json.loads(run("best", "-c", str(toml), "--json"))
    pareto = svg("pareto-front", target=("-c", str(toml)))
    check(len(re.findall(r'data-front="true"', pareto)) == len(front), "pareto front: the front is not what `best` says")
    check(count(pareto, "point") == 30, "pareto front: not a point per trial")
    hv = svg("hypervolume-history", "--reference-point", "1,0", target=("-c", str(toml)))
    check(count(hv, "line") >= 1, "hypervolume history: no line")

print(f"check_plots_cli: every plot kind checked on digits-mlp ({len(complete)} complete trials) and a two-objective study")
