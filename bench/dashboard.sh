#!/usr/bin/env bash
# The dashboard benchmark (issue 21): ferrotune's dashboard next to
# optuna-dashboard on the same trials, in the same headless chromium: first
# paint of the study page, the history and the parallel-coordinates views,
# API payload and latency, server memory (see bench/README.md).
#
#   bench/dashboard.sh            full mode: 10,000 and 100,000 trials (10 parameters, intermediate values)
#   bench/dashboard.sh --quick    smoke mode for CI: 500 trials, 2 loads a page (not a measurement)
#
# Installs Debian's chromium and chromedriver when missing, creates its own
# virtualenv (bench/.venv, or $FERROTUNE_BENCH_VENV) with the pins of
# bench/python/requirements-dashboard.txt. The studies (ferrotune's and the
# same trials in an Optuna storage) are kept in $FERROTUNE_DASH_CACHE
# (default bench/results/dashboard-studies) so a rerun does not write them
# again. Every wait is bounded by $FERROTUNE_DASH_CAP seconds (default 180);
# a dashboard that misses it is reported as failed, and a server is stopped
# when the machine's available memory falls under $FERROTUNE_DASH_MIN_FREE_GB
# (default 4; optuna-dashboard passes 15 GB at 100,000 trials). Raw results and the
# servers' logs go to bench/results/dashboard-*.json, the markdown report to
# stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=()
if [[ "${1:-}" == "--quick" ]]; then
  mode=(--quick)
fi
venv="${FERROTUNE_BENCH_VENV:-bench/.venv}"
target="${CARGO_TARGET_DIR:-target}"
cache="${FERROTUNE_DASH_CACHE:-bench/results/dashboard-studies}"

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  apt-get update -qq && apt-get install -y -qq chromium chromium-driver fonts-dejavu-core >/dev/null
fi
if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r bench/python/requirements-dashboard.txt

scripts/cargo-release.sh --quiet -p ferrotune-dashboard --bin ferrotune --example make_study

mkdir -p bench/results "$cache"
out="bench/results/dashboard-$(date +%Y%m%d-%H%M%S).json"
"$venv/bin/python" bench/python/dashboard_bench.py run --ferrotune "$target/release/ferrotune" \
  --make-study "$target/release/examples/make_study" --cache "$cache" --out "$out" "${mode[@]}" \
  --cap "${FERROTUNE_DASH_CAP:-180}"
echo "raw results: $out" >&2
"$venv/bin/python" bench/python/dashboard_bench.py report "$out"
