#!/bin/sh
# A stand-in for a training run (any program works): a few "epochs", each
# printing the loss so far. ferrotune passes the trial's parameters as
# arguments (see tune.toml) and reads the last `loss=` it prints.
#   objective.sh X Y
x=$1
y=$2
for epoch in 1 2 3; do
  sleep "${OBJECTIVE_SLEEP:-0.1}"
  awk -v x="$x" -v y="$y" -v e="$epoch" \
    'BEGIN { printf "epoch=%d loss=%.6f\n", e, (x - 1)^2 + (y + 2)^2 + 1 / e }'
done
