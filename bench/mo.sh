#!/usr/bin/env bash
# Multi-objective search quality: ferrotune's NSGA-II, NSGA-III, MOTPE and GP
# next to Optuna's same samplers and rustuna's NSGA-II on ZDT1-4, 6 and
# DTLZ1-7 with 2 and 3 objectives, 10 seeds, scored at 200 and 1,000 trials
# (see bench/README.md, "Multi-objective search").
#
#   bench/mo.sh                  full mode (hours: resumable, rerun the same command to go on)
#   bench/mo.sh --quick          smoke mode for CI: every method that is installed, tiny budgets (not a measurement)
#   bench/mo.sh [--quick] ARGS   extra ARGS go to `mo_bench.py run` (e.g. --methods ferrotune-nsga2 optuna-nsga2)
#
# Creates its own virtualenv (bench/.venv, or $FERROTUNE_BENCH_VENV) with the
# pinned packages of requirements-search.txt and requirements-mo.txt (plus
# torch for Optuna's GPSampler in full mode or with FERROTUNE_BENCH_GP=1),
# and installs the ferrotune Python package from crates/ferrotune-py. Full
# runs append to bench/results/mo-full.jsonl (delete it to start over) and
# write the report to bench/reports/mo.md; quick runs use a fresh file under
# bench/results/. Exits non-zero if any run raised.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=full
if [[ "${1:-}" == "--quick" ]]; then
  mode=quick
  shift
fi
extra=("$@")
venv="${FERROTUNE_BENCH_VENV:-bench/.venv}"

if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
pip_install=("$venv/bin/pip" install --quiet --disable-pip-version-check)
"${pip_install[@]}" -r bench/python/requirements-search.txt -r bench/python/requirements-mo.txt
if [[ "$mode" == full || "${FERROTUNE_BENCH_GP:-0}" == 1 ]]; then
  "${pip_install[@]}" -r bench/python/requirements-search-gp.txt
fi
# FERROTUNE_BENCH_REUSE_FERROTUNE=1: the virtualenv already has this checkout's package (CI installs it
# for bench/search.sh just before), so it is not compiled a second time.
if [[ "${FERROTUNE_BENCH_REUSE_FERROTUNE:-0}" == 1 ]] && "$venv/bin/python" -c "import ferrotune" 2>/dev/null; then
  echo "bench/mo.sh: reusing the installed ferrotune Python package" >&2
else
  echo "bench/mo.sh: installing the ferrotune Python package from crates/ferrotune-py" >&2
  "${pip_install[@]}" ./crates/ferrotune-py
fi

mkdir -p bench/results
if [[ "$mode" == quick ]]; then
  out="bench/results/mo-quick-$(date +%Y%m%d-%H%M%S).jsonl"
  flags=(--quick --require ferrotune-nsga2 ferrotune-tpe ferrotune-random)
else
  out="bench/results/mo-full.jsonl"
  flags=()
fi
status=0
"$venv/bin/python" bench/python/mo_bench.py run --out "$out" "${flags[@]}" ${extra[@]+"${extra[@]}"} || status=$?
echo "raw results: $out" >&2
if [[ "$mode" == quick ]]; then
  "$venv/bin/python" bench/python/mo_bench.py report "$out" --budgets 20 30
else
  mkdir -p bench/reports
  "$venv/bin/python" bench/python/mo_bench.py report "$out" --budgets 200 1000 | tee bench/reports/mo.md
fi
if [[ $status -ne 0 ]]; then
  echo "bench/mo.sh: FAILED (exit $status): some runs raised, see the log above" >&2
  exit "$status"
fi
