#!/usr/bin/env bash
# Ask+tell overhead of random search: ferrotune next to Optuna and rustuna,
# same protocol, same machine, one script (see bench/README.md).
#
#   bench/overhead.sh            full mode: N = 1000 and 10000
#   bench/overhead.sh --quick    smoke mode for CI: N = 50 and 200 (not a measurement)
#
# Creates its own virtualenv (bench/.venv, or $FERROTUNE_BENCH_VENV) with the
# pinned Optuna and rustuna from PyPI. Raw results go to bench/results/*.jsonl,
# the markdown report to stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

trials="1000 10000"
if [[ "${1:-}" == "--quick" ]]; then
  trials="50 200"
fi
venv="${FERROTUNE_BENCH_VENV:-bench/.venv}"

if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r bench/python/requirements.txt

cargo build --quiet --release -p ferrotune-bench

mkdir -p bench/results
out="bench/results/overhead-$(date +%Y%m%d-%H%M%S).jsonl"
# Interleave the engines per N so that machine noise hits all of them alike.
for n in $trials; do
  ./target/release/overhead --trials "$n" >>"$out"
  "$venv/bin/python" bench/python/overhead.py --trials "$n" >>"$out"
done
echo "raw results: $out" >&2
"$venv/bin/python" bench/python/report_overhead.py "$out"
