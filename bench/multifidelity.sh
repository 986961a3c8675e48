#!/usr/bin/env bash
# Early stopping on real learning curves: is it worth it, and do our
# pruners decide as Optuna's do?
#
#   bench/multifidelity.sh          3 seeds; digits MLP: 60 configurations x 20 epochs;
#                                   scikit-learn: 60 configurations x 20 steps per model
#   bench/multifidelity.sh --quick  1 seed; digits MLP: 12 configurations;
#                                   scikit-learn: 8 configurations x 8 steps (smoke run for CI)
#
# 1. The CLI trains the bundled digits MLP (examples/digits-mlp) for N random
#    configurations per seed, every one to the end (no pruner), and exports
#    the learning curves (validation accuracy per epoch).
# 2. python/sklearn_curves.py records curves of scikit-learn models trained
#    incrementally (partial_fit epochs, warm-started boosting stages) on
#    scikit-learn's bundled data sets, in the same JSON shape.
# 3. All curves are replayed through ferrotune's pruners (Rust) and Optuna's
#    (Python, bench/.venv) with the same settings.
# 4. The report gives, per curve source, epochs spent vs. best final
#    accuracy, and how many trials each engine stopped at the same step.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

n_trials=60
seeds="1 2 3"
sk_configs=60
sk_steps=20
if [[ "${1:-}" == "--quick" ]]; then
  n_trials=12
  seeds="1"
  sk_configs=8
  sk_steps=8
fi
# Other seeds, e.g. to confirm figures on curves not seen before:
# FERROTUNE_MF_SEEDS="4 5 6" bench/multifidelity.sh
seeds="${FERROTUNE_MF_SEEDS:-$seeds}"
# Another number of configurations per seed and curve source (digits MLP and
# each scikit-learn model), e.g. FERROTUNE_MF_CONFIGS=120 bench/multifidelity.sh
n_trials="${FERROTUNE_MF_CONFIGS:-$n_trials}"
sk_configs="${FERROTUNE_MF_CONFIGS:-$sk_configs}"
venv="${FERROTUNE_BENCH_VENV:-bench/.venv}"
if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r bench/python/requirements.txt

scripts/cargo-release.sh --quiet -p ferrotune-bench

stamp=$(date +%Y%m%d-%H%M%S)
work="bench/results/multifidelity-$stamp"
mkdir -p "$work"
curves=()
for seed in $seeds; do
  cat >"$work/curves-$seed.toml" <<TOML
[study]
name = "curves-$seed"
storage = "sqlite:///curves.db"
direction = "maximize"
n_trials = $n_trials
n_jobs = 2

[sampler]
type = "random"
seed = $seed

[command]
run = ["$root/target/release/digits-mlp", "--epochs", "20", "--seed", "$seed", "{args}"]

[metric]
name = "val_accuracy"
step = "epoch"

[params]
lr = { type = "float", low = 1e-4, high = 0.3, log = true }
batch_size = { type = "categorical", choices = [16, 32, 64, 128] }
n_layers = { type = "int", low = 1, high = 3 }
units_l0 = { type = "int", low = 16, high = 256, log = true }
units_l1 = { type = "int", low = 16, high = 256, log = true, when = { n_layers = [2, 3] } }
units_l2 = { type = "int", low = 16, high = 256, log = true, when = { n_layers = 3 } }
dropout = { type = "float", low = 0.0, high = 0.5 }
optimizer = { type = "categorical", choices = ["sgd", "adamw"] }
weight_decay = { type = "float", low = 1e-6, high = 1e-2, log = true, when = { optimizer = "adamw" } }
TOML
  target/release/ferrotune run "$work/curves-$seed.toml" --quiet >&2
  target/release/ferrotune export -c "$work/curves-$seed.toml" --format json -o "$work/curves-$seed.json"
  curves+=("$work/curves-$seed.json")
done
echo "digits MLP curves: ${SECONDS}s since start" >&2

# shellcheck disable=SC2086  # $seeds is a list
"$venv/bin/python" bench/python/sklearn_curves.py --out-dir "$work" --seeds $seeds \
  --configs "$sk_configs" --steps "$sk_steps" --jobs 2 >"$work/sklearn-curves.txt"
mapfile -t sk_curves <"$work/sklearn-curves.txt"
curves+=("${sk_curves[@]}")
echo "all curves recorded: ${SECONDS}s since start" >&2

target/release/prune_replay "${curves[@]}" >"$work/replay.jsonl"
"$venv/bin/python" bench/python/prune_replay.py "${curves[@]}" >>"$work/replay.jsonl"
echo "replays: ${SECONDS}s since start; raw results: $work" >&2
"$venv/bin/python" bench/python/report_multifidelity.py "$work/replay.jsonl"
