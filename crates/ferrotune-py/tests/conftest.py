"""Shared fixtures for the Python package's tests.

The tests run against the installed wheel (``.ci/run`` builds it and installs
it into a fresh virtualenv), never against the source tree, so they see what
a user gets from ``pip install``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import ferrotune

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def quiet_logs():
    ferrotune.logging.set_verbosity(ferrotune.logging.WARNING)
    yield
    ferrotune.logging.set_verbosity(ferrotune.logging.INFO)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return "sqlite:///" + str(tmp_path / "study.db")


def find_cli() -> Path | None:
    """The ``ferrotune`` binary: $FERROTUNE_CLI, or one cargo built in this checkout."""
    env = os.environ.get("FERROTUNE_CLI")
    if env and Path(env).is_file():
        return Path(env)
    for profile in ("release", "debug"):
        candidate = REPO / "target" / profile / "ferrotune"
        if candidate.is_file():
            return candidate
    found = shutil.which("ferrotune")
    return Path(found) if found else None
