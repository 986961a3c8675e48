#!/usr/bin/env bash
# The dashboard's browser tests: installs Debian's chromium and chromedriver
# when missing, builds the binaries, and runs test_dashboard.py with pytest
# in a virtualenv of its own. Screenshots go to $SCREENSHOTS (default: a
# temporary folder). Usage: crates/ferrotune-dashboard/tests/browser/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
cd "$root"
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  apt-get update -qq && apt-get install -y -qq chromium chromium-driver fonts-dejavu-core >/dev/null
fi
scripts/cargo-release.sh -q -p ferrotune-dashboard --bin ferrotune --example make_study
venv="${FERROTUNE_BROWSER_VENV:-$(mktemp -d)/venv}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q -r "$here/requirements.txt"
export FERROTUNE_BIN="$root/target/release/ferrotune" MAKE_STUDY_BIN="$root/target/release/examples/make_study"
export SCREENSHOTS="${SCREENSHOTS:-$(mktemp -d)}"
"$venv/bin/python" -m pytest -q -p no:cacheprovider "$here/test_dashboard.py" "$@"
echo "screenshots in $SCREENSHOTS"
