"""Studies written from Python and from the CLI are the same studies."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import ferrotune
from conftest import find_cli


@pytest.fixture
def cli() -> Path:
    path = find_cli()
    if path is None:
        pytest.skip("the ferrotune CLI is not built (cargo build -p ferrotune-cli, or set FERROTUNE_CLI)")
    return path


def test_python_and_cli_share_one_sqlite_study(cli: Path, tmp_path: Path):
    url = "sqlite:///" + str(tmp_path / "shared.db")
    study = ferrotune.create_study(study_name="shared", storage=url, sampler=ferrotune.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: (t.suggest_float("x", -10, 10) - 2) ** 2, n_trials=5)

    # The CLI reads what Python wrote.
    listed = subprocess.run(
        [str(cli), "trials", "--storage", url, "--study", "shared", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    trials = json.loads(listed.stdout)
    assert [t["number"] for t in trials] == list(range(5))
    assert [t["params"]["x"] for t in trials] == [t.params["x"] for t in study.trials]

    # The CLI runs three more trials of the same study (n_trials is the study's total)...
    config = tmp_path / "tune.toml"
    config.write_text(
        f"""
[study]
name = "shared"
storage = "{url}"
direction = "minimize"
n_trials = 8

[command]
run = ["{sys.executable}", "-c", "import os; x = float(os.environ['FERROTUNE_PARAM_X']); print('loss=' + repr((x - 2) ** 2))"]

[metric]
name = "loss"

[params]
x = {{ type = "float", low = -10.0, high = 10.0 }}
"""
    )
    subprocess.run([str(cli), "run", str(config), "--quiet"], check=True, cwd=tmp_path, timeout=120)

    # ...and Python sees them, with the values the program printed.
    loaded = ferrotune.load_study(study_name="shared", storage=url)
    assert [t.number for t in loaded.trials] == list(range(8))
    for t in loaded.trials[5:]:
        assert t.state == ferrotune.TrialState.COMPLETE
        assert t.value == pytest.approx((t.params["x"] - 2) ** 2)
    best = subprocess.run(
        [str(cli), "best", "--storage", url, "--study", "shared", "--json"], capture_output=True, text=True, check=True
    )
    assert json.loads(best.stdout)["number"] == loaded.best_trial.number


def test_the_cli_and_the_package_name_the_same_version_and_commit(cli: Path):
    printed = subprocess.run([str(cli), "--version"], capture_output=True, text=True, check=True).stdout.strip()
    assert printed == f"ferrotune {ferrotune.__version__} (commit {ferrotune.__commit__})"
    # Built in this repository, both know the commit.
    assert len(ferrotune.__commit__) == 40 and int(ferrotune.__commit__, 16) >= 0, ferrotune.__commit__
