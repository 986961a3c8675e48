#!/usr/bin/env bash
# HEBO next to ferrotune's GP sampler: runs the `hebo` method of
# search_bench.py from its own virtualenv (bench/.venv-hebo, or
# $FERROTUNE_HEBO_VENV), because HEBO's pins clash with the main bench
# environment (see python/requirements-hebo.txt).
#
#   bench/hebo.sh --out hebo.jsonl --report-dir hebo [search_bench.py run ARGS]
#
# HEBO takes 2 to 5 s per suggestion on one core, so a run of 100 trials takes
# about 8 minutes: pick the problems (--bbob-dims, --bbob-functions,
# --sklearn, --seeds). Its JSON lines can be concatenated with a run of the
# other methods from bench/.venv and reported together with
# `search_bench.py report`.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${FERROTUNE_HEBO_VENV:-bench/.venv-hebo}"
if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
pip_install=("$venv/bin/pip" install --quiet --disable-pip-version-check)
"${pip_install[@]}" -r bench/python/requirements-search.txt -r bench/python/requirements-search-gp.txt
"${pip_install[@]}" --no-deps -r bench/python/requirements-hebo.txt
exec "$venv/bin/python" bench/python/search_bench.py run --mode full --methods hebo --require hebo "$@"
