#!/usr/bin/env bash
# Ask+tell overhead of random search: ferrotune next to Optuna and rustuna,
# same protocol, same machine, one script (see bench/README.md).
#
#   bench/overhead.sh            full mode: N = 1000 and 10000
#   bench/overhead.sh --quick    smoke mode for CI: N = 50 and 200 (not a measurement)
#   bench/overhead.sh [--quick] --sampler nsga2|nsga3|tpe [--objectives K] [--trials "1000 5000"]
#                                another sampler (with K > 1, tpe is
#                                multi-objective TPE); engines without it are skipped
#
# Creates its own virtualenv (bench/.venv, or $FERROTUNE_BENCH_VENV) with the
# pinned Optuna and rustuna from PyPI. Raw results go to bench/results/*.jsonl,
# the markdown report to stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

trials="1000 10000"
sampler=random
objectives=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) trials="50 200" ;;
    --sampler) sampler="$2"; shift ;;
    --objectives) objectives="$2"; shift ;;
    --trials) trials="$2"; shift ;;
    *) echo "unknown argument $1 (see the header of $0)" >&2; exit 2 ;;
  esac
  shift
done
pick=(--sampler "$sampler" --objectives "$objectives")
venv="${FERROTUNE_BENCH_VENV:-bench/.venv}"

if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r bench/python/requirements.txt

scripts/cargo-release.sh --quiet -p ferrotune-bench --bin overhead

mkdir -p bench/results
out="bench/results/overhead-$(date +%Y%m%d-%H%M%S).jsonl"
# Interleave the engines per N so that machine noise hits all of them alike.
for n in $trials; do
  ./target/release/overhead --trials "$n" "${pick[@]}" >>"$out"
  "$venv/bin/python" bench/python/overhead.py --trials "$n" "${pick[@]}" >>"$out"
done
echo "raw results: $out" >&2
"$venv/bin/python" bench/python/report_overhead.py "$out"
