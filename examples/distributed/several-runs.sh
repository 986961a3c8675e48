#!/usr/bin/env bash
# Several `ferrotune run` processes on one study: start N workers on this
# machine (run the same line on other machines too: they all share the
# study through the PostgreSQL database the config names) and wait for all.
#
#   examples/distributed/several-runs.sh [CONFIG] [N]     (defaults: tune.toml beside this script, 4)
#
# Each worker runs trials until the study has n_trials done (the study's
# total, not each worker's), then exits; the script exits non-zero if any
# worker did. Each worker's output goes to worker-I.log beside the config.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
config=${1:-$here/tune.toml}
n=${2:-4}
logs=$(dirname "$config")

pids=()
for i in $(seq 1 "$n"); do
  ferrotune run "$config" > "$logs/worker-$i.log" 2>&1 &
  pids+=("$!")
done
# Ctrl-C (or a kill of this script) reaches every worker: each stops its
# running trial and enqueues it again, so the next run resumes the study.
trap 'kill -TERM "${pids[@]}" 2>/dev/null' INT TERM

failed=0
for i in "${!pids[@]}"; do
  if ! wait "${pids[$i]}"; then
    echo "worker $((i + 1)) failed; see $logs/worker-$((i + 1)).log" >&2
    failed=1
  fi
done
exit "$failed"
