"""Optuna-style quickstart scripts run unchanged with ``import ferrotune as optuna``.

Each script in ``quickstarts/`` starts with that import. When Optuna is
installed, the same script is also run with ``import optuna``, which shows
that the scripts are genuine Optuna code and not written to fit ferrotune.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = sorted((Path(__file__).parent / "quickstarts").glob("*.py"))
# Optuna may give one grid point to two parallel workers, which this script checks never happens.
FERROTUNE_ONLY = {"grid_and_callbacks.py"}


def run(source: str, tmp_path: Path) -> subprocess.CompletedProcess:
    script = tmp_path / "script.py"
    script.write_text(source)
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=300)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_runs_with_ferrotune_imported_as_optuna(script: Path, tmp_path: Path):
    source = script.read_text()
    assert "import ferrotune as optuna" in source
    result = run(source, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("script", [s for s in SCRIPTS if s.name not in FERROTUNE_ONLY], ids=lambda p: p.name)
def test_the_same_script_is_valid_optuna_code(script: Path, tmp_path: Path):
    pytest.importorskip("optuna")
    source = script.read_text().replace("import ferrotune as optuna", "import optuna")
    result = run(source, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
