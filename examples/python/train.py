#!/usr/bin/env python3
"""Softmax regression on the bundled UCI digits, in plain Python (no numpy).

It knows nothing of ferrotune: it reads its hyperparameters from the JSON
file named by $FERROTUNE_PARAMS_FILE (or flags), and prints one JSON line per
epoch, e.g. {"epoch": 3, "val_accuracy": 0.93}, which `ferrotune run` reads.
"""

import argparse
import json
import math
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))


def load():
    rows = []
    with open(os.path.join(HERE, "..", "data", "digits.csv")) as f:
        for line in f:
            if line.strip():
                values = [float(v) for v in line.split(",")]
                rows.append(([v / 16.0 for v in values[:-1]], int(values[-1])))
    random.Random(0).shuffle(rows)
    n_val = len(rows) // 5
    return rows[n_val:], rows[:n_val]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--l2", type=float, default=0.0)
    parser.add_argument("--batch_size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=8)
    args = parser.parse_args()
    params_file = os.environ.get("FERROTUNE_PARAMS_FILE")
    if params_file:
        with open(params_file) as f:
            for key, value in json.load(f).items():
                setattr(args, key, value)

    train, val = load()
    n_features, n_classes = len(train[0][0]), 10
    weights = [[0.0] * (n_features + 1) for _ in range(n_classes)]
    rng = random.Random(1)
    for epoch in range(args.epochs):
        rng.shuffle(train)
        for start in range(0, len(train), args.batch_size):
            batch = train[start : start + args.batch_size]
            grad = [[0.0] * (n_features + 1) for _ in range(n_classes)]
            for x, y in batch:
                logits = [w[-1] + sum(wi * xi for wi, xi in zip(w, x)) for w in weights]
                top = max(logits)
                exps = [math.exp(l - top) for l in logits]
                total = sum(exps)
                for c in range(n_classes):
                    g = exps[c] / total - (1.0 if c == y else 0.0)
                    row = grad[c]
                    for i, xi in enumerate(x):
                        row[i] += g * xi
                    row[-1] += g
            scale = args.lr / len(batch)
            for c in range(n_classes):
                w, g = weights[c], grad[c]
                for i in range(n_features + 1):
                    w[i] -= scale * g[i] + args.lr * args.l2 * w[i]
        correct = 0
        for x, y in val:
            logits = [w[-1] + sum(wi * xi for wi, xi in zip(w, x)) for w in weights]
            correct += int(max(range(n_classes), key=logits.__getitem__) == y)
        print(json.dumps({"epoch": epoch + 1, "val_accuracy": correct / len(val)}), flush=True)


if __name__ == "__main__":
    main()
