#!/usr/bin/env bash
# Search quality and sampler overhead: ferrotune's samplers next to Optuna's,
# rustuna's and Hyperopt's on BBOB functions and scikit-learn tuning tasks,
# same budgets and seeds, plus time per trial at 100/1000/5000 trials
# (see bench/README.md).
#
#   bench/search.sh                  full mode (about an hour on 2 cores)
#   bench/search.sh --quick          smoke mode for CI: every code path, tiny budgets (not a measurement)
#   bench/search.sh [--quick] ARGS   extra ARGS go to `search_bench.py run` (e.g. --seeds 1);
#                                    such a run is not copied to bench/reports/
#
# Creates its own virtualenv (bench/.venv, or $FERROTUNE_BENCH_VENV) with the
# pinned packages of bench/python/requirements-search.txt, plus torch for
# Optuna's GPSampler (requirements-search-gp.txt) in full mode or with
# FERROTUNE_BENCH_GP=1, and installs the ferrotune Python package from
# crates/ferrotune-py (or the wheel $FERROTUNE_WHEEL names). Raw results go to bench/results/search-STAMP.jsonl, the
# report (markdown + PNG plots) to bench/results/search-STAMP/ and to stdout;
# a plain full run also copies it to bench/reports/search.md (+ plots).
# Exits non-zero if any run raised.
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
"${pip_install[@]}" -r bench/python/requirements-search.txt
if [[ "$mode" == full || "${FERROTUNE_BENCH_GP:-0}" == 1 ]]; then
  "${pip_install[@]}" -r bench/python/requirements-search-gp.txt
fi

require=()
if [[ -f crates/ferrotune-py/pyproject.toml ]]; then
  if [[ -n "${FERROTUNE_WHEEL:-}" ]]; then
    # A wheel of this checkout built already (CI passes scripts/build-wheels.sh's).
    echo "bench/search.sh: installing the ferrotune Python package from $FERROTUNE_WHEEL" >&2
    "${pip_install[@]}" --force-reinstall --no-deps "$FERROTUNE_WHEEL"
  else
    # maturin (PEP 517) compiles the extension in release mode: a few minutes the first time.
    echo "bench/search.sh: installing the ferrotune Python package from crates/ferrotune-py" >&2
    "${pip_install[@]}" ./crates/ferrotune-py
  fi
  require=(--require ferrotune)
else
  echo "bench/search.sh: crates/ferrotune-py/pyproject.toml not found, so the ferrotune" \
    "Python package cannot be installed: the ferrotune methods will be skipped" >&2
fi

stamp=$(date +%Y%m%d-%H%M%S)
mkdir -p bench/results
out="bench/results/search-$stamp.jsonl"
dir="bench/results/search-$stamp"
status=0
"$venv/bin/python" bench/python/search_bench.py run --mode "$mode" --out "$out" --report-dir "$dir" \
  ${require[@]+"${require[@]}"} ${extra[@]+"${extra[@]}"} || status=$?
echo "raw results: $out" >&2
if [[ -f "$dir/report.md" ]]; then
  echo "report: $dir/report.md" >&2
  cat "$dir/report.md"
fi
if [[ $status -ne 0 ]]; then
  echo "bench/search.sh: FAILED (exit $status): some runs raised, see the log above" >&2
  exit "$status"
fi
if [[ "$mode" == full && ${#extra[@]} -eq 0 ]]; then
  mkdir -p bench/reports
  rm -f bench/reports/search-*.png
  cp "$dir"/search-*.png bench/reports/
  cp "$dir/report.md" bench/reports/search.md
  echo "copied to bench/reports/search.md" >&2
fi
