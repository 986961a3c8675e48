#!/usr/bin/env bash
# `cargo build --release` with the README main job's packages (ferrotune-cli
# and digits-mlp) always among those selected, then the arguments: more
# packages (-p) and which targets to build (--bin, --example); without a
# target filter every selected package's binaries are built.
#
#   scripts/cargo-release.sh -q -p ferrotune-bench --bin hypervolume
#
# Why: cargo turns on a dependency's features from the packages one
# invocation selects, and digits-mlp's candle asks for more of them (rand's,
# serde's, bytemuck's) than the engine alone does. A release build selecting
# other packages gave those dependencies, and every crate of ours above them,
# other features, and compiled them again: after the main job, CI's builds
# of `-p ferrotune-cli`, `-p ferrotune --example knn_digits` and
# `-p ferrotune-dashboard --example make_study` compiled 55, 34 and 13
# crates (about five minutes on 2 cores, 2026-12-07). With the same packages
# selected they reuse the main job's build (7 s and 1 s for the two
# examples); a target filter keeps digits-mlp (candle) from being built
# when it is not asked for.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo build --release -p ferrotune-cli -p digits-mlp "$@"
