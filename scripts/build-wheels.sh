#!/usr/bin/env bash
# Builds what `pip install ferrotune` installs without a Rust toolchain: a
# manylinux2014 (glibc 2.17 and newer) abi3 wheel (one wheel for CPython 3.10
# and every later version) for x86_64, and the sdist, into one folder whose
# name it prints last.
#
#   scripts/build-wheels.sh                  dist/: x86_64 wheel + sdist
#   scripts/build-wheels.sh --out DIR        into DIR instead
#   scripts/build-wheels.sh --no-sdist       the wheel only (what CI tests)
#   scripts/build-wheels.sh --aarch64        also a manylinux2014 aarch64 wheel
#
# Why this way:
# - No docker here, so no manylinux container: zig (the `ziglang` package from
#   PyPI) is the C toolchain and linker, and links against glibc 2.17's
#   symbols from this machine. maturin drives it for the extension (`--zig`),
#   cargo-zigbuild for the CLI. The tools are pinned in
#   scripts/build-wheels-requirements.txt and installed into a virtualenv of
#   their own ($FERROTUNE_BUILD_VENV, default target/build-wheels-venv).
# - The wheel carries the `ferrotune` command: the CLI binary, built for the
#   same target and glibc, goes into the wheel's data folder (`scripts/`,
#   which pip installs into the environment's bin/ like any console script).
#   The alternative, a Python entry point into the extension, would put
#   Python's start-up in front of every command and run the CLI's process
#   groups, signal handlers and its guardian (which re-executes the running
#   program as `ferrotune __guard`) inside an interpreter; the binary costs
#   one more build (see the known cost below) and a few megabytes in the
#   wheel, and behaves as `cargo install`'s.
#   The binary is staged only while the wheel is built, in the folder maturin
#   takes a wheel's data from when it exists, crates/ferrotune-py/
#   ferrotune._ferrotune.data (the module's name + ".data"; gitignored): a
#   wheel built any other way (`pip install ./crates/ferrotune-py`, the
#   sdist) has the Python package without the command, which
#   `cargo install --locked --path crates/ferrotune-cli` gives.
# - Both are built with the `dist` profile (Cargo.toml: release without debug
#   information, stripped) to keep the wheel small.
# - `auditwheel show` must find each wheel consistent with manylinux_2_17
#   (it reads every ELF file in the wheel, the CLI's too), or the script fails.
# - aarch64 is opt-in: the script adds the target with rustup if needed
#   and cross-compiles with zig. Built on this workplace's machine
#   (2026-12-06: auditwheel accepts it as manylinux_2_17_aarch64, both
#   binaries are aarch64 ELF), but never installed: no aarch64 machine is
#   here. CI does not build it (it takes as long again as x86_64's).
# - The sdist holds the workspace's crates; building from it needs cargo and
#   gives the Python package without the CLI. With no git repository there,
#   its `__commit__` is "unknown" unless FERROTUNE_COMMIT is set at build time.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

out="$repo/dist"
sdist=1
targets=(x86_64-unknown-linux-gnu)
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) out=$(mkdir -p "$2" && cd "$2" && pwd); shift 2 ;;
    --no-sdist) sdist=0; shift ;;
    --aarch64) targets+=(aarch64-unknown-linux-gnu); shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-wheels.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"

# The pinned tools, in a virtualenv of their own.
venv="${FERROTUNE_BUILD_VENV:-$repo/target/build-wheels-venv}"
if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/build-wheels-requirements.txt
# maturin finds zig as `python -m ziglang` and cargo-zigbuild on PATH.
export PATH="$venv/bin:$PATH"

target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
staged=crates/ferrotune-py/ferrotune._ferrotune.data
trap 'rm -rf "$repo/$staged"' EXIT
rm -rf "$staged"

if [[ $sdist == 1 ]]; then
  # Before any binary is staged: the sdist is sources only.
  maturin sdist --manifest-path crates/ferrotune-py/Cargo.toml --out "$out"
fi

for target in "${targets[@]}"; do
  if [[ $target != x86_64-unknown-linux-gnu ]] && ! grep -qx "$target" <<<"$(rustup target list --installed)"; then
    rustup target add "$target"
  fi
  # The CLI, for glibc 2.17 like the extension, staged as the wheel's script.
  # (Known cost: this build and maturin's below do not reuse each other's
  # compiled crates, each recompiling the engine in place of the other's;
  # the setting that differs between the two tools is not found yet.)
  cargo zigbuild --locked --profile dist -p ferrotune-cli --target "$target.2.17"
  mkdir -p "$staged/scripts"
  cp "$target_dir/$target/dist/ferrotune" "$staged/scripts/ferrotune"
  # --out is a fresh folder so that the wheel just built is the one checked.
  built=$(mktemp -d)
  maturin build --locked --profile dist --zig --compatibility manylinux2014 --target "$target" \
    --manifest-path crates/ferrotune-py/Cargo.toml --out "$built"
  rm -rf "$staged"
  wheel=$(ls "$built"/ferrotune-*.whl)
  arch=${target%%-*}
  # The CLI is in the wheel, and every binary in it keeps to manylinux_2_17.
  # (The listing is read whole first: `grep -q` leaves at its first match,
  # and under pipefail the lister's broken pipe would fail the check.)
  listing=$(python3 -m zipfile -l "$wheel")
  grep -q "\.data/scripts/ferrotune " <<<"$listing" \
    || { echo "build-wheels.sh: $wheel has no ferrotune command" >&2; exit 1; }
  "$venv/bin/auditwheel" show "$wheel" | tee "$built/auditwheel.txt"
  # (auditwheel wraps its lines: read them as one.)
  grep -q "platform tag: \"manylinux_2_17_$arch\"" <<<"$(tr '\n' ' ' < "$built/auditwheel.txt")" \
    || { echo "build-wheels.sh: auditwheel does not find $wheel consistent with manylinux_2_17_$arch" >&2; exit 1; }
  mv "$wheel" "$out/"
  rm -rf "$built"
done

echo
ls -l "$out"
echo "Wheels and sdist in: $out"
