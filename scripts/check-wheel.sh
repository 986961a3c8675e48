#!/usr/bin/env bash
# Checks the wheel as a pip user without a Rust toolchain gets it: installed
# into a fresh virtualenv from the file alone (no index, nothing built), in
# an environment whose PATH has no cargo or rustc (checked), then the
# README's Python example run with a few trials on SQLite, the `ferrotune`
# command the wheel installs reading that same study, and its version line
# compared with the Python package's:
#   ferrotune --version  ==  "ferrotune {__version__} (commit {__commit__})"
# and, inside a git checkout, that commit is HEAD (a stale binary fails).
#
#   scripts/check-wheel.sh            builds the x86_64 wheel first (scripts/build-wheels.sh)
#   scripts/check-wheel.sh WHEEL      checks that wheel (CI passes the one it built)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
if [[ $# -ge 1 ]]; then
  wheel=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
else
  scripts/build-wheels.sh --no-sdist --out "$scratch/dist"
  wheel=$(ls "$scratch"/dist/ferrotune-*_x86_64.whl)
fi
echo "checking $wheel"

# A PATH of the current one's folders less any that holds cargo, rustc or
# rustup, and a clean environment (no CARGO_*, RUSTUP_*), as on a machine
# that never had Rust.
clean_path=""
IFS=: read -r -a dirs <<< "$PATH"
for dir in "${dirs[@]}"; do
  [[ -z $dir || -e $dir/cargo || -e $dir/rustc || -e $dir/rustup ]] && continue
  clean_path="${clean_path:+$clean_path:}$dir"
done
# The interpreter itself, not a version manager's shim that needs its own environment.
python=$(python3 -c 'import sys; print(sys.executable)')
bare() { env -i HOME="$scratch/home" LANG=C.UTF-8 PATH="$scratch/venv/bin:$clean_path" "$@"; }
mkdir -p "$scratch/home"
if bare sh -c 'command -v cargo || command -v rustc'; then
  echo "check-wheel.sh: cargo or rustc is still on the clean PATH" >&2; exit 1
fi

bare "$python" -m venv "$scratch/venv"
bare pip install --quiet --disable-pip-version-check --no-index "$wheel"
bare sh -c 'command -v cargo' && { echo "check-wheel.sh: cargo found inside the virtualenv's PATH" >&2; exit 1; }
# The command is the wheel's, not one from elsewhere on PATH.
[[ $(bare sh -c 'command -v ferrotune') == "$scratch/venv/bin/ferrotune" ]] \
  || { echo "check-wheel.sh: ferrotune is not the virtualenv's: $(bare sh -c 'command -v ferrotune')" >&2; exit 1; }

# The README's example ("From Python"), 20 trials, its SQLite file in the scratch folder.
mkdir -p "$scratch/run"
cat > "$scratch/run/quickstart.py" <<'EOF'
import math
import ferrotune as optuna

def objective(trial):
    x = trial.suggest_float("x", -10, 10)
    return (x - 2) ** 2

study = optuna.create_study(storage="sqlite:///example.db", study_name="quadratic", load_if_exists=True)
study.optimize(objective, n_trials=20, n_jobs=2)
print(study.best_params)
complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
assert len(complete) == 20, f"{len(complete)} complete trials, expected 20"
assert -10 <= study.best_params["x"] <= 10 and math.isfinite(study.best_value)
print(f"ferrotune {optuna.__version__} (commit {optuna.__commit__})")
EOF
(cd "$scratch/run" && bare python quickstart.py) | tee "$scratch/python.txt"
python_line=$(tail -n 1 "$scratch/python.txt")

# The CLI reads the study Python wrote: 20 complete trials.
n_cli=$(cd "$scratch/run" && bare ferrotune trials --storage sqlite:///example.db --study quadratic --format json \
  | bare python -c 'import json, sys; print(sum(t["state"] == "complete" for t in json.load(sys.stdin)))')
[[ $n_cli == 20 ]] || { echo "check-wheel.sh: the CLI sees $n_cli complete trials, expected 20" >&2; exit 1; }

cli_line=$(bare ferrotune --version)
echo "ferrotune --version:   $cli_line"
echo "ferrotune (Python):    $python_line"
[[ $cli_line == "$python_line" ]] || { echo "check-wheel.sh: the CLI and the Python package disagree" >&2; exit 1; }
if head=$(git -C "$repo" rev-parse HEAD 2>/dev/null); then
  [[ $cli_line == *"(commit $head)" ]] || { echo "check-wheel.sh: the wheel was not built from HEAD ($head)" >&2; exit 1; }
fi
echo "check-wheel.sh: the wheel installs and runs without a Rust toolchain"
