#!/usr/bin/env bash
# Runs the recipes of docs/distributed.md on this machine, each against a
# fresh PostgreSQL database, and checks the study each leaves: exactly
# n_trials complete, trial numbers 0..n-1 each once, no parameters twice,
# nothing left running.
#
#   examples/distributed/test_recipes.sh            several runs, one with a worker killed, Slurm, Kubernetes
#                                                   (CI: 30 s to a minute on a 2-core machine)
#   examples/distributed/test_recipes.sh --ray      the same, then the Ray recipe (15 s with the virtualenv
#                                                   ready; the first time, pip install ray and a wheel build)
#   examples/distributed/test_recipes.sh --only-ray just the Ray recipe
#
# Environment:
#   FERROTUNE         the ferrotune binary (default: target/release/ferrotune)
#   PYTHON            a Python with PyYAML, for the manifest (default: python3)
#   RECIPES_POSTGRES  the server, as a URL without a database (default: postgresql://postgres@127.0.0.1:5432);
#                     the script creates and drops databases ferrotune_recipe_* there
#   FERROTUNE_REQUIRE_POSTGRES=1  fail, rather than skip, when no server answers
#   RECIPES_PARTS     which parts to run (default: "runs killed slurm k8s"; --ray adds ray)
#   RAY_VENV          for --ray: a virtualenv to use or create with ray and the ferrotune wheel
#                     (default: /tmp/ferrotune-ray-venv; kept, so later runs reuse it)
#   FERROTUNE_WHEEL   for --ray: a ferrotune wheel to install (default: built with maturin into /tmp/ferrotune-wheels)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
recipes=examples/distributed
ferrotune=${FERROTUNE:-target/release/ferrotune}
python=${PYTHON:-python3}
server=${RECIPES_POSTGRES:-postgresql://postgres@127.0.0.1:5432}
parts=${RECIPES_PARTS:-runs killed slurm k8s}
case "${1:-}" in
  --ray) parts="$parts ray" ;;
  --only-ray) parts=ray ;;
  "") ;;
  *) echo "usage: $0 [--ray | --only-ray]" >&2; exit 2 ;;
esac

[[ -x "$ferrotune" ]] || { echo "FAIL: no ferrotune binary at $ferrotune: cargo build --release -p ferrotune-cli, or set FERROTUNE" >&2; exit 2; }
ferrotune=$(realpath "$ferrotune")
"$python" -c 'import yaml' 2>/dev/null || { echo "FAIL: $python has no PyYAML (pip install pyyaml), needed for the manifest; set PYTHON" >&2; exit 2; }
if ! psql "$server/postgres" -qAtc 'select 1' >/dev/null 2>&1; then
  if [[ "${FERROTUNE_REQUIRE_POSTGRES:-}" == 1 ]]; then
    echo "FAIL: no PostgreSQL server answers at $server" >&2; exit 1
  fi
  echo "skipped: no PostgreSQL server answers at $server (FERROTUNE_REQUIRE_POSTGRES=1 makes this a failure)"
  exit 0
fi

export PGOPTIONS="-c client_min_messages=warning"
passed=0
failed=0
scratch=$(mktemp -d)
# Kept when a part fails (with its databases), to look at.
trap '[[ $failed == 0 ]] && rm -rf "$scratch"' EXIT
# The recipes call `ferrotune` by name, as on a cluster.
mkdir "$scratch/bin"
ln -s "$ferrotune" "$scratch/bin/ferrotune"
export PATH="$scratch/bin:$PATH"

# A fresh database for one recipe; prints its URL.
fresh_database() {
  psql "$server/postgres" -qAt -c "DROP DATABASE IF EXISTS ferrotune_recipe_$1 WITH (FORCE)" \
    -c "CREATE DATABASE ferrotune_recipe_$1" >/dev/null
  echo "$server/ferrotune_recipe_$1?reconnect_timeout=30"
}
# A folder with the recipe's tune.toml and objective, as they are: each part
# points the workers at its database with FERROTUNE_STORAGE, as on a cluster
# (a worker that ignored the variable would use the file's database, not the
# one the checks read).
workspace() {
  local dir="$scratch/$1"
  mkdir -p "$dir"
  cp "$recipes/objective.sh" "$recipes/tune.toml" "$dir/"
  echo "$dir"
}
# The study's name and n_trials, from tune.toml's [study] table.
study=$(grep -m 1 '^name = ' "$recipes/tune.toml" | sed 's/^name = "\(.*\)".*/\1/')
n_trials=$(grep -m 1 '^n_trials = ' "$recipes/tune.toml" | sed 's/^n_trials = \([0-9]*\).*/\1/')
# Run one part: its name, then the command; count it, say how long it took.
part() {
  local name=$1 started=$SECONDS
  shift
  echo "== $name"
  if "$@"; then
    echo "   ok ($((SECONDS - started)) s)"
    passed=$((passed + 1))
  else
    echo "   FAILED ($((SECONDS - started)) s)"
    failed=$((failed + 1))
  fi
}
show_logs() {
  for f in "$@"; do echo "--- $f"; tail -n 20 "$f"; done
}

# (a) several-runs.sh: 4 `ferrotune run` on one study.
several_runs() {
  local url dir
  url=$(fresh_database runs) || return 1
  dir=$(workspace runs)
  if ! FERROTUNE_STORAGE=$url timeout 120 "$recipes/several-runs.sh" "$dir/tune.toml" 4; then
    show_logs "$dir"/worker-*.log; return 1
  fi
  "$python" "$recipes/recipe_checks.py" workers "$n_trials" "$dir"/worker-*.log || return 1
  "$python" "$recipes/recipe_checks.py" study "$ferrotune" "$url" "$study" "$n_trials"
}

# (a') several-runs.sh again, one worker SIGKILLed mid-trial (a node lost):
# another fails its trial by heartbeat after grace_period and re-runs it.
several_runs_one_killed() {
  local url dir runs victim="" trial="" i started=$SECONDS
  url=$(fresh_database killed) || return 1
  dir=$(workspace killed)
  started=$SECONDS
  FERROTUNE_STORAGE=$url timeout 120 "$recipes/several-runs.sh" "$dir/tune.toml" 4 2>/dev/null &
  runs=$!
  # A worker (`ferrotune run` on this config) in the middle of a trial (its
  # objective, `sh objective.sh`, a child of the worker, itself running a
  # `sleep` or `awk`: an `sh` without a child may be one that has just
  # exited, not yet reaped, whose trial the worker may already have told),
  # after its first trials: killed at once.
  sleep 2
  for i in $(seq 200); do
    for victim in $(pgrep -f -x "ferrotune run $dir/tune.toml"); do
      trial=$(pgrep -P "$victim" -x sh | head -n 1)
      if [[ -n "$trial" ]] && pgrep -P "$trial" >/dev/null; then
        kill -KILL "$victim"
        break 2
      fi
      trial=""
    done
    sleep 0.02
  done
  [[ -n "$trial" ]] || { echo "no worker was running a trial"; wait "$runs"; return 1; }
  echo "  SIGKILLed worker $victim in the middle of a trial, $((SECONDS - started)) s after the start"
  # The script reports the killed worker; the others must finish the study.
  wait "$runs" && { echo "several-runs.sh did not report the killed worker"; return 1; }
  local finished
  finished=$(grep -l 'this run: ' "$dir"/worker-*.log | wc -l)
  [[ $finished == 3 ]] || { echo "$finished workers finished, expected 3"; show_logs "$dir"/worker-*.log; return 1; }
  "$python" "$recipes/recipe_checks.py" study "$ferrotune" "$url" "$study" "$n_trials" 1
}

# (b) slurm-array.sbatch as 4 array tasks on this machine (no sbatch here):
# each a background bash with the variables Slurm sets, its output where
# the script's --output line says.
slurm_array() {
  local url dir pids=() i ok=0
  url=$(fresh_database slurm) || return 1
  dir=$(workspace slurm)
  grep -q '^#SBATCH --array=0-7$' "$recipes/slurm-array.sbatch" || { echo "no #SBATCH --array=0-7"; return 1; }
  mkdir "$dir/slurm-logs"
  for i in 0 1 2 3; do
    # sbatch hands the submitting shell's environment (FERROTUNE_STORAGE
    # with it) to every task.
    (cd "$dir" && FERROTUNE_STORAGE=$url SLURM_ARRAY_JOB_ID=4242 SLURM_JOB_ID=$((4243 + i)) SLURM_ARRAY_TASK_ID=$i \
       SLURM_SUBMIT_DIR="$dir" timeout 120 bash "$repo/$recipes/slurm-array.sbatch" \
       > "slurm-logs/4242_$i.out" 2>&1) &
    pids+=("$!")
  done
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || { echo "array task $i failed"; ok=1; }
  done
  if [[ $ok != 0 ]]; then show_logs "$dir"/slurm-logs/*.out; return 1; fi
  "$python" "$recipes/recipe_checks.py" workers "$n_trials" "$dir"/slurm-logs/*.out || return 1
  "$python" "$recipes/recipe_checks.py" study "$ferrotune" "$url" "$study" "$n_trials"
}

# (c) k8s-job.yaml: parsed and checked, then each pod's containers run here,
# `parallelism` pods at once, with the Secret's variable set to the database.
k8s_job() {
  local url dir
  url=$(fresh_database k8s) || return 1
  dir="$scratch/k8s"
  mkdir -p "$dir"
  if ! "$python" "$recipes/recipe_checks.py" k8s "$recipes/k8s-job.yaml" "$dir" "$url"; then
    show_logs "$dir"/pod-*.log; return 1
  fi
  "$python" "$recipes/recipe_checks.py" workers "$n_trials" "$dir"/pod-*.log || return 1
  "$python" "$recipes/recipe_checks.py" study "$ferrotune" "$url" "$study" "$n_trials"
}

# (d) ray_workers.py: 4 Ray tasks on a local Ray cluster, in a virtualenv
# with ray and the ferrotune wheel.
ray_tasks() {
  local url venv=${RAY_VENV:-/tmp/ferrotune-ray-venv} wheel=${FERROTUNE_WHEEL:-}
  if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv" || return 1
  fi
  if ! "$venv/bin/python" -c 'import ray' 2>/dev/null; then
    "$venv/bin/pip" install --quiet --disable-pip-version-check ray==2.60.0 || return 1   # the version tested
  fi
  # The wheel: $FERROTUNE_WHEEL, else the one already in the virtualenv,
  # else one built now with maturin (slow: a release build of the package).
  if [[ -z "$wheel" ]] && ! "$venv/bin/python" -c 'import ferrotune' 2>/dev/null; then
    "$venv/bin/pip" install --quiet --disable-pip-version-check maturin==1.16.0 || return 1
    "$venv/bin/maturin" build --quiet --release -m crates/ferrotune-py/Cargo.toml -o /tmp/ferrotune-wheels || return 1
    wheel=$(ls -t /tmp/ferrotune-wheels/ferrotune-*.whl | head -n 1)
  fi
  if [[ -n "$wheel" ]]; then
    "$venv/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps "$wheel" || return 1
  fi
  url=$(fresh_database ray) || return 1
  timeout 300 "$venv/bin/python" "$recipes/ray_workers.py" --storage "$url" --study ray-quadratic \
    --workers 4 --n-trials "$n_trials" || return 1
  "$python" "$recipes/recipe_checks.py" study "$ferrotune" "$url" ray-quadratic "$n_trials"
}

want() { [[ " $parts " == *" $1 "* ]]; }
want runs && part "(a) several-runs.sh: 4 ferrotune run processes, one PostgreSQL study" several_runs
want killed && part "(a') several-runs.sh, one worker SIGKILLed mid-trial" several_runs_one_killed
want slurm && part "(b) slurm-array.sbatch: 4 array tasks as local bash processes (no sbatch here)" slurm_array
want k8s && part "(c) k8s-job.yaml: manifest checked, its containers run as 4 local pods" k8s_job
want ray && part "(d) ray_workers.py: 4 Ray tasks on a local Ray cluster" ray_tasks
if [[ $failed == 0 ]]; then
  for db in runs killed slurm k8s ray; do
    psql "$server/postgres" -qAt -c "DROP DATABASE IF EXISTS ferrotune_recipe_$db WITH (FORCE)" >/dev/null || true
  done
else
  echo "kept for a look: $scratch and the databases ferrotune_recipe_* at $server"
fi
echo "recipes: $passed passed, $failed failed"
[[ $failed == 0 ]]
