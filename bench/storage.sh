#!/usr/bin/env bash
# Storage benchmark: ferrotune's PostgreSQL storage side by side with Optuna's
# RDBStorage on the same server (latency of ask+tell as a study grows,
# throughput of 1, 4 and 16 worker processes, duplicate configurations of TPE
# on 16 workers), and ferrotune's SQLite per-trial cost (see bench/README.md).
#
#   bench/storage.sh            full mode (about 40 minutes on the 2-core machine, most of it Optuna)
#   bench/storage.sh --quick    smoke mode for CI (about a minute; 1 and 4 workers, not a measurement)
#
# Needs PostgreSQL on 127.0.0.1:5432 with trust auth for user postgres (or
# $FERROTUNE_BENCH_PG, e.g. postgresql://postgres@127.0.0.1:5432); each
# measurement drops and re-creates the databases bench_storage_ferrotune and
# bench_storage_optuna. Creates its own virtualenv (bench/.venv, or
# $FERROTUNE_BENCH_VENV) with the pinned Optuna and psycopg2. Optuna's latency
# fill stops after $FERROTUNE_OPTUNA_CAP seconds (1800 by default), its
# throughput runs after $FERROTUNE_BENCH_OPTUNA_TRIALS trials (default: all
# 10,000); TPE runs $FERROTUNE_BENCH_TPE_TRIALS trials (1000). Raw results go
# to bench/reports/storage/storage-full-*.jsonl, the markdown report beside
# them (.md) and to stdout; --quick writes to bench/results/storage/.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=()
tag=full
if [[ "${1:-}" == "--quick" ]]; then
  mode=(--quick)
  tag=quick
fi
venv="${FERROTUNE_BENCH_VENV:-bench/.venv}"

if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r bench/python/requirements-storage.txt

scripts/cargo-release.sh --quiet -p ferrotune-bench --bin storage_bench
bin="${CARGO_TARGET_DIR:-target}/release/storage_bench"

# Full runs are kept (bench/reports/storage/); smoke runs are not (bench/results/, ignored by git).
outdir=bench/reports/storage
[[ "$tag" == quick ]] && outdir=bench/results/storage
mkdir -p "$outdir"
stamp="$(date -u +%Y%m%d-%H%M%S)"
raw="$outdir/storage-$tag-$stamp.jsonl"
{
  echo "# $(date -u +%FT%TZ) $(nproc) cores, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
} >&2
"$venv/bin/python" bench/python/storage_bench.py run --ft-bin "$bin" --out "$raw" "${mode[@]}"
echo "raw results: $raw" >&2
"$venv/bin/python" bench/python/storage_bench.py report "$raw" | tee "${raw%.jsonl}.md"
