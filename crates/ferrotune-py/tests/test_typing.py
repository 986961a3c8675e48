"""The type stubs match the native module, and typed user code checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mypy")


def mypy(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, timeout=600)


def test_stubs_match_the_native_module():
    result = mypy("mypy.stubtest", "ferrotune._ferrotune")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_package_and_typed_user_code_type_check():
    example = Path(__file__).with_name("typed_usage.py")
    result = mypy("mypy", "--ignore-missing-imports", "--no-incremental", "-p", "ferrotune")
    assert result.returncode == 0, result.stdout + result.stderr
    result = mypy("mypy", "--strict", "--ignore-missing-imports", "--no-incremental", str(example))
    assert result.returncode == 0, result.stdout + result.stderr
