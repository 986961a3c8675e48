"""Storage URLs and database files from Python (issue 17): a URL is checked
strictly (an empty or malformed one is a ValueError, never a study silently
kept in memory or a file with a strange name), the ``.db`` file alone holds
every trial once the study is gone, and a read-only database can be read."""

from __future__ import annotations

import gc
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

import ferrotune


def objective(trial):
    return trial.suggest_float("x", 0.0, 1.0)


# ------------------------------------------------------------------ URLs


@pytest.mark.parametrize("url", ["", "   "])
def test_an_empty_storage_string_is_refused_not_taken_for_memory(url):
    with pytest.raises(ValueError, match=r"storage=None \(or \"memory\"\)"):
        ferrotune.create_study(storage=url)
    with pytest.raises(ValueError, match="empty string"):
        ferrotune.storages.RDBStorage(url)
    with pytest.raises(ValueError, match="empty string"):
        ferrotune.load_study(study_name="s", storage=url)


def test_none_and_memory_urls_are_still_in_memory():
    for storage in (None, "memory", ":memory:"):
        study = ferrotune.create_study(storage=storage)
        study.optimize(objective, n_trials=2)
        assert len(study.trials) == 2
    assert ferrotune.storages.RDBStorage("memory").url == "memory"


def test_a_sqlite_url_without_slashes_is_refused_and_creates_no_file(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=r"write sqlite:///x\.db for a path relative"):
        ferrotune.create_study(storage="sqlite:x.db")
    with pytest.raises(ValueError, match=r"write sqlite:////abs/x\.db for the absolute path"):
        ferrotune.create_study(storage="sqlite:/abs/x.db")
    assert list(tmp_path.iterdir()) == []


def test_unsupported_databases_say_so():
    with pytest.raises(ValueError, match=r"postgresql://user\[:password\]@host\[:port\]/database"):
        ferrotune.create_study(storage="postgresql://user:pw@localhost:port/optuna")
    with pytest.raises(ValueError, match="unsupported storage URL 'mysql://x'"):
        ferrotune.create_study(storage="mysql://x")
    with pytest.raises(ValueError, match="names no file"):
        ferrotune.create_study(storage="sqlite:///")


def test_the_url_forms_that_work(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for url in ("sqlite:///rel.db", f"sqlite:///{tmp_path / 'abs.db'}", "bare.db", "bare.sqlite3"):
        study = ferrotune.create_study(study_name="s", storage=url)
        study.optimize(objective, n_trials=1)
    names = {p.name for p in tmp_path.iterdir()}
    assert {"rel.db", "abs.db", "bare.db", "bare.sqlite3"} <= names


# ------------------------------------------------------------------ files


def test_the_db_file_alone_holds_every_trial_once_the_study_is_gone(tmp_path: Path):
    path = tmp_path / "study.db"
    study = ferrotune.create_study(
        study_name="s", storage=f"sqlite:///{path}", sampler=ferrotune.samplers.RandomSampler(seed=0)
    )
    # Another program that has read the file keeps it open, so SQLite's own
    # checkpoint when the last connection closes does not run.
    reader = sqlite3.connect(path)
    assert reader.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
    study.optimize(objective, n_trials=10)
    del study
    gc.collect()

    copy = tmp_path / "copy.db"
    shutil.copy(path, copy)
    reader.close()
    assert len(ferrotune.load_study(study_name="s", storage=f"sqlite:///{copy}").trials) == 10


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0,
    reason="root ignores permission bits (the Rust tests in crates/ferrotune-storage cover this case as root)",
)
def test_a_read_only_database_can_be_read_but_not_written(tmp_path: Path):
    path = tmp_path / "study.db"
    url = f"sqlite:///{path}"
    study = ferrotune.create_study(study_name="s", storage=url, sampler=ferrotune.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=3)
    values = [t.value for t in study.trials]
    del study
    gc.collect()
    os.chmod(path, 0o444)
    try:
        loaded = ferrotune.load_study(study_name="s", storage=url)
        assert [t.value for t in loaded.trials] == values
        assert loaded.best_value == min(values)
        assert ferrotune.get_all_study_names(url) == ["s"]
        with pytest.raises(ferrotune.exceptions.StorageInternalError, match=r"study\.db is read-only"):
            loaded.ask()
    finally:
        os.chmod(path, 0o644)
