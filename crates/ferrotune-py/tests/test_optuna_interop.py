"""Studies cross between Optuna's RDB storage and ferrotune: an Optuna study
imported with ``ferrotune import`` and exported back with ``ferrotune export
--format optuna`` is read by Optuna with the same trials (issue 24's round
trip), and ferrotune refuses to open an Optuna file as its own storage."""

from __future__ import annotations

import math
import os
import sqlite3
import subprocess
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest

import ferrotune
from conftest import find_cli

optuna = pytest.importorskip("optuna")


@pytest.fixture
def cli() -> Path:
    path = find_cli()
    if path is None:
        pytest.skip("the ferrotune CLI is not built (cargo build -p ferrotune-cli, or set FERROTUNE_CLI)")
    return path


def make_optuna_studies(url: str) -> None:
    """Two studies written by Optuna itself: one objective with conditional
    parameters, pruned, failed, infinite and waiting trials, NaN and
    infinite intermediate values and user attributes; and two objectives."""
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    single = optuna.create_study(
        study_name="single", storage=url, direction="minimize", sampler=optuna.samplers.RandomSampler(seed=1)
    )
    single.set_user_attr("owner", {"team": "ml", "tags": ["a", "b"]})
    for i in range(12):
        trial = single.ask()
        kind = trial.suggest_categorical("kind", ["svm", "forest", None, True, 2.5])
        if kind == "svm":
            trial.suggest_float("c", 1e-3, 1e3, log=True)
        elif kind == "forest":
            trial.suggest_int("depth", 2, 32, step=2)
            trial.suggest_int("trees", 1, 1024, log=True)
        lr = trial.suggest_float("lr", 0.0, 1.0, step=0.125)
        trial.set_user_attr("i", i)
        trial.set_user_attr("nested", {"list": [1, 2.5, None], "flag": i % 2 == 0})
        for step in range(3):
            value = lr + step
            if i == 3 and step == 1:
                value = float("nan")
            if i == 4 and step == 2:
                value = float("-inf")
            trial.report(value, step)
        if i % 4 == 1:
            single.tell(trial, state=optuna.trial.TrialState.PRUNED)
        elif i % 4 == 2:
            single.tell(trial, state=optuna.trial.TrialState.FAIL)
        elif i == 7:
            single.tell(trial, float("inf"))
        else:
            single.tell(trial, lr * 2 + i)
    single.enqueue_trial({"kind": "svm", "c": 1.0, "lr": 0.5}, user_attrs={"queued": True})

    multi = optuna.create_study(
        study_name="multi",
        storage=url,
        directions=["minimize", "maximize"],
        sampler=optuna.samplers.RandomSampler(seed=2),
    )
    for i in range(6):
        trial = multi.ask()
        x = trial.suggest_float("x", -5, 5)
        y = trial.suggest_int("y", 0, 10)
        trial.set_user_attr("note", f"trial {i}")
        if i == 4:
            multi.tell(trial, state=optuna.trial.TrialState.FAIL)
        else:
            multi.tell(trial, [x * x, float(y) - x])


def same_float(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def assert_same_trials(ours: list[Any], theirs: list[Any]) -> None:
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a.number == b.number
        assert a.state == b.state, a.number
        assert a.params == b.params, a.number
        assert a.distributions == b.distributions, a.number
        assert a.values == b.values, a.number
        assert sorted(a.intermediate_values) == sorted(b.intermediate_values), a.number
        for step, value in a.intermediate_values.items():
            assert same_float(value, b.intermediate_values[step]), (a.number, step)
        assert a.user_attrs == b.user_attrs, a.number
        assert a.system_attrs == b.system_attrs, a.number
        # The trial's own times, through the import and the export.
        assert a.datetime_start == b.datetime_start, a.number
        assert a.datetime_complete == b.datetime_complete, a.number


def test_an_optuna_study_imported_and_exported_back_reads_the_same_in_optuna(cli: Path, tmp_path: Path):
    source = "sqlite:///" + str(tmp_path / "optuna.db")
    make_optuna_studies(source)
    before = (tmp_path / "optuna.db").read_bytes()

    ours = "sqlite:///" + str(tmp_path / "ferrotune.db")
    done = subprocess.run(
        [str(cli), "import", source, "--storage", ours], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "imported study 'single' (13 trials)" in done.stdout
    assert "imported study 'multi' (6 trials)" in done.stdout
    assert (tmp_path / "optuna.db").read_bytes() == before, "an import must not change the Optuna file"

    # ferrotune reads the imported studies as its own.
    single = ferrotune.load_study(study_name="single", storage=ours)
    assert len(single.trials) == 13
    assert single.user_attrs["owner"] == {"team": "ml", "tags": ["a", "b"]}
    assert single.trials[7].value == float("inf")
    assert math.isnan(single.trials[3].intermediate_values[1])

    # A second import of the same study is refused, and changes nothing.
    again = subprocess.run(
        [str(cli), "import", source, "--study", "single", "--storage", ours], capture_output=True, text=True
    )
    assert again.returncode == 2
    assert "already has a study named 'single'" in again.stderr
    assert len(ferrotune.load_study(study_name="single", storage=ours).trials) == 13

    back = tmp_path / "back.db"
    done = subprocess.run(
        [str(cli), "export", "--storage", ours, "--format", "optuna", "--out", str(back)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    back_url = "sqlite:///" + str(back)
    for name in ["single", "multi"]:
        original = optuna.load_study(study_name=name, storage=source)
        returned = optuna.load_study(study_name=name, storage=back_url)
        assert returned.directions == original.directions
        assert returned.user_attrs == original.user_attrs
        assert_same_trials(returned.trials, original.trials)
    # Optuna's own analyses run on it.
    assert optuna.load_study(study_name="single", storage=back_url).best_trial.number == 0
    assert len(optuna.load_study(study_name="multi", storage=back_url).best_trials) >= 1

    # The export never overwrites a file.
    refused = subprocess.run(
        [str(cli), "export", "--storage", ours, "--format", "optuna", "--out", str(back)],
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 2 and "already exists" in refused.stderr


def test_the_export_of_one_study_needs_a_file(cli: Path, tmp_path: Path):
    url = "sqlite:///" + str(tmp_path / "ferrotune.db")
    study = ferrotune.create_study(study_name="mine", storage=url, sampler=ferrotune.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=4)
    ferrotune.create_study(study_name="other", storage=url)
    no_file = subprocess.run(
        [str(cli), "export", "--storage", url, "--study", "mine", "--format", "optuna"], capture_output=True, text=True
    )
    assert no_file.returncode == 2 and "--output FILE.db" in no_file.stderr
    out = tmp_path / "mine.db"
    done = subprocess.run(
        [str(cli), "export", "--storage", url, "--study", "mine", "--format", "optuna", "-o", str(out)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    names = [s.study_name for s in optuna.get_all_study_summaries("sqlite:///" + str(out))]
    assert names == ["mine"]
    trials = optuna.load_study(study_name="mine", storage="sqlite:///" + str(out)).trials
    assert [t.params["x"] for t in trials] == [t.params["x"] for t in study.trials]
    assert [t.value for t in trials] == [t.value for t in study.trials]

    # Optuna carries on with the study in the file, as with one of its own,
    # and finds nothing to migrate.
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    resumed = optuna.load_study(study_name="mine", storage="sqlite:///" + str(out))
    resumed.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert [t.number for t in resumed.trials] == list(range(6))
    assert resumed.trials[5].distributions == resumed.trials[0].distributions
    with sqlite3.connect(out) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [("v3.2.0.a",)]


def test_python_imports_and_exports_too(tmp_path: Path):
    source = "sqlite:///" + str(tmp_path / "optuna.db")
    make_optuna_studies(source)
    storage = ferrotune.storages.InMemoryStorage()
    imported = ferrotune.storages.import_optuna(source, storage, study_names=["multi"])
    assert imported == {"multi": 6}
    multi = ferrotune.load_study(study_name="multi", storage=storage)
    assert [d.name for d in multi.directions] == ["MINIMIZE", "MAXIMIZE"]
    with pytest.raises(ValueError, match="already has a study named 'multi'"):
        ferrotune.storages.import_optuna(source, storage)
    with pytest.raises(ValueError, match="no study named 'nope'"):
        ferrotune.storages.import_optuna(source, storage, study_names=["nope"])
    assert ferrotune.storages.import_optuna(source, storage, study_names="single") == {"single": 13}

    out = tmp_path / "out.db"
    ferrotune.storages.export_optuna(storage, out)
    for name in ["single", "multi"]:
        original = optuna.load_study(study_name=name, storage=source)
        returned = optuna.load_study(study_name=name, storage="sqlite:///" + str(out))
        assert_same_trials(returned.trials, original.trials)


def test_ferrotune_refuses_an_optuna_file_and_names_the_import(tmp_path: Path):
    path = tmp_path / "optuna.db"
    make_optuna_studies("sqlite:///" + str(path))
    before = path.read_bytes()
    with pytest.raises(ValueError, match="is an Optuna database") as raised:
        ferrotune.load_study(study_name="single", storage="sqlite:///" + str(path))
    assert "ferrotune import" in str(raised.value)
    assert "import_optuna" in str(raised.value)
    with pytest.raises(ValueError, match="is an Optuna database"):
        ferrotune.create_study(study_name="new", storage="sqlite:///" + str(path))
    assert path.read_bytes() == before, "ferrotune must not write into an Optuna file"


@pytest.fixture
def optuna_postgres_url() -> Iterator[str]:
    """A fresh schema on the test server (``FERROTUNE_TEST_POSTGRES``, as the
    Rust suite's), as a URL for Optuna (SQLAlchemy's ``+psycopg2`` form),
    dropped afterwards; skipped where no server answers or psycopg2 is
    missing, unless ``FERROTUNE_REQUIRE_POSTGRES=1``."""
    required = os.environ.get("FERROTUNE_REQUIRE_POSTGRES", "").strip() == "1"
    server = os.environ.get("FERROTUNE_TEST_POSTGRES", "").strip() or "postgresql://postgres@127.0.0.1:5432/test"
    try:
        import psycopg2  # type: ignore[import-untyped]

        connection = psycopg2.connect(server, connect_timeout=3)
    except Exception as e:  # no driver, or no server
        if required:
            raise
        pytest.skip(f"no PostgreSQL for Optuna at {server}: {e}")
    schema = "optuna_interop_" + uuid.uuid4().hex[:12]
    connection.autocommit = True
    connection.cursor().execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in server else "?"
    yield server.replace("postgresql://", "postgresql+psycopg2://", 1) + f"{separator}options=-csearch_path%3D{schema}"
    connection.cursor().execute(f"DROP SCHEMA {schema} CASCADE")
    connection.close()


def test_an_optuna_study_in_postgresql_imports_the_same(cli: Path, tmp_path: Path, optuna_postgres_url: str):
    source = optuna_postgres_url
    make_optuna_studies(source)
    ours = "sqlite:///" + str(tmp_path / "ferrotune.db")
    # The URL exactly as Optuna was given it, driver and all.
    done = subprocess.run(
        [str(cli), "import", source, "--storage", ours], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    back = tmp_path / "back.db"
    done = subprocess.run(
        [str(cli), "export", "--storage", ours, "--format", "optuna", "--out", str(back)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    for name in ["single", "multi"]:
        original = optuna.load_study(study_name=name, storage=source)
        returned = optuna.load_study(study_name=name, storage="sqlite:///" + str(back))
        assert returned.directions == original.directions
        assert returned.user_attrs == original.user_attrs
        assert_same_trials(returned.trials, original.trials)


def test_copy_study_from_an_optuna_database_imports_it(tmp_path: Path):
    source = "sqlite:///" + str(tmp_path / "optuna.db")
    make_optuna_studies(source)
    target = "sqlite:///" + str(tmp_path / "ours.db")
    ferrotune.copy_study(from_study_name="single", from_storage=source, to_storage=target, to_study_name="copied")
    original = optuna.load_study(study_name="single", storage=source)
    copied = ferrotune.load_study(study_name="copied", storage=target)
    assert [t.number for t in copied.trials] == [t.number for t in original.trials]
    assert [t.state.name for t in copied.trials] == [t.state.name for t in original.trials]
    assert [t.params for t in copied.trials] == [t.params for t in original.trials]
    assert copied.best_trial.number == original.best_trial.number
    # A study the Optuna database does not have is still an error, not an empty copy.
    with pytest.raises((KeyError, ValueError)):
        ferrotune.copy_study(from_study_name="absent", from_storage=source, to_storage=target)


def test_non_finite_attributes_cross_both_ways(tmp_path: Path):
    """NaN and infinite attributes (Python's JSON writes them as bare words)
    stay floats through the import from Optuna and the export back, in
    Optuna's RDB files and in a journal both of them read."""
    weird = {"nan": float("nan"), "inf": float("inf"), "nested": {"v": [float("-inf"), 1.5, "NaN"]}}

    def check(attrs: dict[str, Any]) -> None:
        assert math.isnan(attrs["nan"]) and attrs["inf"] == math.inf
        assert attrs["nested"] == {"v": [-math.inf, 1.5, "NaN"]}, "a string stays a string"

    source = "sqlite:///" + str(tmp_path / "optuna.db")
    theirs = optuna.create_study(study_name="s", storage=source)
    trial = theirs.ask()
    for key, value in weird.items():
        trial.set_user_attr(key, value)
    theirs.tell(trial, 1.0)
    ours = "sqlite:///" + str(tmp_path / "ours.db")
    ferrotune.storages.import_optuna(source, ours)
    check(ferrotune.load_study(study_name="s", storage=ours).trials[0].user_attrs)

    back = tmp_path / "back.db"
    ferrotune.storages.export_optuna(ours, back)
    check(optuna.load_study(study_name="s", storage="sqlite:///" + str(back)).trials[0].user_attrs)

    journal = str(tmp_path / "shared.log")
    written = ferrotune.create_study(study_name="j", storage=journal)
    trial = written.ask()
    for key, value in weird.items():
        trial.set_user_attr(key, value)
    written.tell(trial, 1.0)
    backend = optuna.storages.journal.JournalFileBackend(journal)
    read_by_optuna = optuna.load_study(study_name="j", storage=optuna.storages.JournalStorage(backend))
    check(read_by_optuna.trials[0].user_attrs)
    # And what Optuna writes there comes back the same.
    again = read_by_optuna.ask()
    for key, value in weird.items():
        again.set_user_attr(key, value)
    read_by_optuna.tell(again, 2.0)
    check(ferrotune.load_study(study_name="j", storage=journal).trials[1].user_attrs)
