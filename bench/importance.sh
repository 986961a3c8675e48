#!/usr/bin/env bash
# Parameter importance: ferrotune's fANOVA and PED-ANOVA next to Optuna's on
# the same trials, and agreement with Optuna's evaluators on random-search
# studies of the search benchmark's scikit-learn problems (see bench/README.md).
#
#   bench/importance.sh            full mode: 1,000 and 10,000 trials x 8 and 32 parameters
#                                  (Optuna's fANOVA takes minutes at 10,000 trials), 5 scikit-learn studies
#   bench/importance.sh --quick    smoke mode for CI: 200 trials, one small scikit-learn study (not a measurement)
#
# Creates its own virtualenv (bench/.venv, or $FERROTUNE_BENCH_VENV) with the
# pinned Optuna and scikit-learn of bench/python/requirements.txt. Optuna's
# slowest cells are stopped after $FERROTUNE_OPTUNA_CAP seconds (default 1800)
# and reported as "> cap". Raw results go to bench/results/importance-*.jsonl,
# the markdown report to stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=()
if [[ "${1:-}" == "--quick" ]]; then
  mode=(--quick)
fi
venv="${FERROTUNE_BENCH_VENV:-bench/.venv}"
target="${CARGO_TARGET_DIR:-target}"

if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r bench/python/requirements.txt

scripts/cargo-release.sh --quiet -p ferrotune-bench --bin importance

mkdir -p bench/results
out="bench/results/importance-$(date +%Y%m%d-%H%M%S).jsonl"
"$venv/bin/python" bench/python/importance_bench.py run --bin "$target/release/importance" --out "$out" \
  --optuna-cap "${FERROTUNE_OPTUNA_CAP:-1800}" "${mode[@]}"
echo "raw results: $out" >&2
"$venv/bin/python" bench/python/importance_bench.py report "$out"
