#!/usr/bin/env bash
# Every test of the project: the Rust workspace, then the Python package,
# built as a wheel and installed into a fresh virtualenv, with pytest.
#
#   scripts/test.sh            everything
#   scripts/test.sh --python   only the Python package (builds the wheel)
#
# $FERROTUNE_TEST_VENV reuses a virtualenv between runs (default: a new one).
# $FERROTUNE_WHEEL tests that wheel instead of building one (.ci/run passes
# the one scripts/build-wheels.sh made, so CI builds the wheel once).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" != "--python" ]]; then
  # The CLI interop test (Python) runs target/debug/ferrotune, which `cargo
  # test` builds for the CLI's own tests. (A `cargo build -p ferrotune-cli`
  # after it selected other packages, so other dependency features, and
  # compiled 16 crates again.)
  cargo test --workspace
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
venv="${FERROTUNE_TEST_VENV:-$scratch/venv}"
if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r crates/ferrotune-py/tests/requirements.txt
if [[ -n "${FERROTUNE_WHEEL:-}" ]]; then
  wheel=$FERROTUNE_WHEEL
else
  "$venv/bin/maturin" build --quiet --release -m crates/ferrotune-py/Cargo.toml -o "$scratch/wheels"
  wheel=$(ls "$scratch"/wheels/ferrotune-*.whl)
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps "$wheel"
# Run from the tests folder so that the installed wheel, not the source tree, is imported.
cd crates/ferrotune-py/tests
FERROTUNE_CLI="$(pwd)/../../../target/debug/ferrotune" "$venv/bin/python" -m pytest -q -p no:cacheprovider
