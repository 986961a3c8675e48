#!/usr/bin/env bash
# Exact hypervolume and non-dominated sorting: ferrotune next to Optuna
# 5.0.0's compute_hypervolume / _fast_non_domination_rank and moocore, on the
# same points (see bench/README.md).
#
#   bench/hypervolume.sh           full mode: 10,000 points in 3 objectives (sphere, uniform), 300 in 4,
#                                  ranks of 100,000 in 2 and 3 (a few minutes, most of it Optuna)
#   bench/hypervolume.sh --quick   smoke mode for CI: a tenth of the points, one repetition (not a measurement)
#
# Uses the bench virtualenv (bench/.venv, or $FERROTUNE_BENCH_VENV) with the
# pinned packages of bench/python/requirements.txt and
# requirements-hypervolume.txt. A cell still running after
# $FERROTUNE_HV_CAP seconds (default 600) is stopped and reported as "> cap".
# Raw results go to bench/results/hypervolume-*.jsonl, the markdown report to stdout.
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
"$venv/bin/pip" install --quiet --disable-pip-version-check -r bench/python/requirements.txt \
  -r bench/python/requirements-hypervolume.txt

scripts/cargo-release.sh --quiet -p ferrotune-bench --bin hypervolume

mkdir -p bench/results
out="bench/results/hypervolume-$(date +%Y%m%d-%H%M%S).jsonl"
"$venv/bin/python" bench/python/hypervolume_bench.py run --bin "$target/release/hypervolume" --out "$out" \
  --cap "${FERROTUNE_HV_CAP:-600}" "${mode[@]}"
echo "raw results: $out" >&2
"$venv/bin/python" bench/python/hypervolume_bench.py report "$out"
