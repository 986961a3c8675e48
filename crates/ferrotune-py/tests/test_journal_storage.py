"""Optuna's journal file, read and written by both tools: what Optuna writes
ferrotune reads trial for trial, what ferrotune writes Optuna reads, processes
of both kinds optimize one file at once without losing or doubling a trial,
and a journal's studies copy into SQLite (issue 24)."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import ferrotune
from conftest import find_cli

optuna = pytest.importorskip("optuna")


def optuna_journal(path: Path) -> Any:
    return optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(path)))


def ferrotune_journal(path: Path) -> Any:
    return ferrotune.storages.JournalStorage(ferrotune.storages.journal.JournalFileBackend(str(path)))


def write_studies(module: Any, storage: Any) -> None:
    """Two studies written through `module` (Optuna or ferrotune): one
    objective with conditional parameters, pruned, failed, running and
    waiting trials, attributes and intermediate values; and two objectives."""
    single = module.create_study(
        study_name="single", storage=storage, sampler=module.samplers.RandomSampler(seed=3)
    )
    single.set_user_attr("owner", {"team": "ml"})

    def objective(trial: Any) -> float:
        kind = trial.suggest_categorical("kind", ["lin", "log", None])
        x = trial.suggest_float("x", -5, 5)
        if kind == "log":
            x += math.log(trial.suggest_float("lr", 1e-4, 1.0, log=True))
        else:
            x += trial.suggest_int("depth", 1, 9, step=2)
        trial.set_user_attr("kind", str(kind))
        if hasattr(trial, "set_system_attr"):
            trial.set_system_attr("sys", {"k": [1.5]})
        else:  # Optuna 5 keeps the method on its storage only
            trial.storage.set_trial_system_attr(trial._trial_id, "sys", {"k": [1.5]})
        for step in range(3):
            trial.report(x + step, step)
        if trial.number % 4 == 1:
            raise module.TrialPruned()
        if trial.number % 4 == 2:
            raise RuntimeError("boom")
        return x

    single.optimize(objective, n_trials=10, catch=(RuntimeError,))
    running = single.ask()
    running.suggest_float("x", -5, 5)
    running.report(float("inf"), 0)
    single.enqueue_trial({"kind": "lin", "x": 0.5, "depth": 3}, user_attrs={"queued": True})

    multi = module.create_study(
        study_name="multi", storage=storage, directions=["minimize", "maximize"],
        sampler=module.samplers.RandomSampler(seed=4),
    )
    multi.optimize(lambda t: (t.suggest_float("a", 0, 1), float("inf") if t.number == 2 else t.number), n_trials=4)


def same(a: Any, b: Any) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


def describe(distribution: Any) -> tuple:
    fields = ("low", "high", "log", "step", "choices")
    return (type(distribution).__name__, *(getattr(distribution, f, None) for f in fields))


def assert_same_trials(ours: list, theirs: list) -> None:
    assert len(ours) == len(theirs)
    for mine, other in zip(ours, theirs):
        where = f"trial {other.number}"
        assert mine.number == other.number, where
        assert mine.state.name == other.state.name, where
        assert mine.values == other.values, where
        assert mine.params == other.params, where
        assert {k: describe(d) for k, d in mine.distributions.items()} == {
            k: describe(d) for k, d in other.distributions.items()
        }, where
        assert mine.user_attrs == other.user_attrs, where
        # ferrotune's FrozenTrial keeps an enqueued trial's values apart
        # from its system attributes (Optuna's `fixed_params`); the journal
        # holds them where Optuna does, which the trial Optuna runs shows.
        def attrs(trial: Any) -> dict:
            return {k: v for k, v in trial.system_attrs.items() if not k.startswith("ferrotune:") and k != "fixed_params"}

        assert attrs(mine) == attrs(other), where
        assert mine.intermediate_values.keys() == other.intermediate_values.keys(), where
        assert all(same(mine.intermediate_values[s], other.intermediate_values[s]) for s in mine.intermediate_values)
        for ours_time, their_time in ((mine.datetime_start, other.datetime_start),
                                      (mine.datetime_complete, other.datetime_complete)):
            assert (ours_time is None) == (their_time is None), where
            if ours_time is not None:
                assert abs(ours_time.timestamp() - their_time.timestamp()) < 1e-3, where


def test_ferrotune_reads_what_optuna_wrote(tmp_path: Path) -> None:
    path = tmp_path / "optuna.log"
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    write_studies(optuna, optuna_journal(path))
    theirs = optuna_journal(path)
    ours = ferrotune_journal(path)
    assert sorted(ferrotune.get_all_study_names(storage=ours)) == ["multi", "single"]
    for name in ("single", "multi"):
        mine = ferrotune.load_study(study_name=name, storage=ours)
        other = optuna.load_study(study_name=name, storage=theirs)
        assert_same_trials(mine.trials, other.trials)
        assert [d.name for d in mine.directions] == [d.name for d in other.directions]
    single = ferrotune.load_study(study_name="single", storage=ours)
    assert single.user_attrs == {"owner": {"team": "ml"}}
    states = [t.state.name for t in single.trials]
    assert {"COMPLETE", "PRUNED", "FAIL", "WAITING", "RUNNING"} <= set(states)
    # The waiting trial is Optuna's enqueued one: ferrotune's next ask runs it.
    trial = single.ask()
    assert trial.number == 11 and trial.suggest_float("x", -5, 5) == 0.5
    single.tell(trial, 1.0)
    assert optuna.load_study(study_name="single", storage=optuna_journal(path)).trials[11].value == 1.0


def test_optuna_reads_what_ferrotune_wrote(tmp_path: Path) -> None:
    path = tmp_path / "ferrotune.log"
    write_studies(ferrotune, ferrotune_journal(path))
    theirs = optuna_journal(path)
    ours = ferrotune_journal(path)
    assert sorted(optuna.get_all_study_names(storage=theirs)) == ["multi", "single"]
    for name in ("single", "multi"):
        assert_same_trials(
            ferrotune.load_study(study_name=name, storage=ours).trials,
            optuna.load_study(study_name=name, storage=theirs).trials,
        )
    # Optuna continues the study where ferrotune left it, and runs the
    # trial ferrotune enqueued.
    study = optuna.load_study(study_name="single", storage=theirs)
    trial = study.ask()
    assert trial.number == 11 and trial.params == {}
    assert trial.suggest_float("x", -5, 5) == 0.5
    multi = optuna.load_study(study_name="multi", storage=theirs)
    assert multi.trials[2].values == [multi.trials[2].params["a"], float("inf")]


WORKER = """
import sys
sys.modules["optuna"] = __import__(sys.argv[1])
import optuna
optuna.logging.set_verbosity(optuna.logging.ERROR)
from optuna.storages.journal import JournalFileBackend
storage = optuna.storages.JournalStorage(JournalFileBackend(sys.argv[2]))
study = optuna.create_study(study_name="shared", storage=storage, load_if_exists=True)
study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=int(sys.argv[3]))
"""


@pytest.mark.parametrize("kinds", [("ferrotune", "ferrotune"), ("optuna", "ferrotune")])
def test_processes_share_one_journal(tmp_path: Path, kinds: tuple[str, str]) -> None:
    path = tmp_path / "shared.log"
    # Made first, so that both workers load it.
    ferrotune.create_study(study_name="shared", storage=ferrotune_journal(path))
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, kind, str(path), "25"], stderr=subprocess.PIPE, text=True)
        for kind in kinds
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=240)
        assert worker.returncode == 0, err
    for reader in (ferrotune.load_study(study_name="shared", storage=ferrotune_journal(path)),
                   optuna.load_study(study_name="shared", storage=optuna_journal(path))):
        numbers = [t.number for t in reader.trials]
        assert numbers == list(range(50))
        assert all(t.state.name == "COMPLETE" and t.value == t.params["x"] for t in reader.trials)
    assert not Path(str(path) + ".lock").exists()


def test_journal_studies_copy_into_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "optuna.log"
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    write_studies(optuna, optuna_journal(path))
    target = "sqlite:///" + str(tmp_path / "copy.db")
    ferrotune.copy_study(from_study_name="single", from_storage=ferrotune_journal(path), to_storage=target)
    copied = ferrotune.load_study(study_name="single", storage=target)
    original = optuna.load_study(study_name="single", storage=optuna_journal(path))
    assert [t.params for t in copied.trials] == [t.params for t in original.trials]
    assert [t.values for t in copied.trials] == [t.values for t in original.trials]

    imported = ferrotune.storages.import_optuna(str(path), "sqlite:///" + str(tmp_path / "imported.db"))
    assert imported == {"single": 12, "multi": 4}


def test_cli_imports_a_journal(tmp_path: Path) -> None:
    cli = find_cli()
    if cli is None:
        pytest.skip("the ferrotune CLI is not built (cargo build -p ferrotune-cli, or set FERROTUNE_CLI)")
    path = tmp_path / "optuna.log"
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    write_studies(optuna, optuna_journal(path))
    db = tmp_path / "tune.db"
    done = subprocess.run(
        [str(cli), "import", f"journal:///{path}", "--study", "multi", "--storage", f"sqlite:///{db}"],
        capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "imported study 'multi' (4 trials)" in done.stdout
    trials = ferrotune.load_study(study_name="multi", storage=f"sqlite:///{db}").trials
    assert [t.values for t in trials] == [
        t.values for t in optuna.load_study(study_name="multi", storage=optuna_journal(path)).trials
    ]
    # The CLI opens a journal as its storage too.
    listed = subprocess.run([str(cli), "export", "--storage", str(path), "--study", "multi", "--format", "json"],
                            capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.count('"number"') == 4


def test_bad_journal_arguments_are_clear_errors(tmp_path: Path) -> None:
    journal = ferrotune.storages.journal
    with pytest.raises(TypeError, match="JournalFileBackend"):
        ferrotune.storages.JournalStorage(object())
    with pytest.raises(ValueError, match="grace_period"):
        journal.JournalFileOpenLock(str(tmp_path / "x.log"), grace_period=0)
    with pytest.raises(ValueError, match="give the lock the journal's path"):
        journal.JournalFileBackend(str(tmp_path / "a.log"), lock_obj=journal.JournalFileOpenLock(str(tmp_path / "b.log")))
    with pytest.raises(NotImplementedError, match="Redis"):
        journal.JournalRedisBackend("redis://localhost")
    with pytest.warns(FutureWarning, match="JournalFileBackend"):
        ferrotune.storages.JournalFileStorage(str(tmp_path / "old.log"))
    broken = tmp_path / "broken.log"
    broken.write_text('{"op_code": 0, "worker_id": "w", "study_name": "s", "directions": [1]}\n{oops\n')
    with pytest.raises(Exception, match="line 2"):
        ferrotune_journal(broken)


def test_rdb_storage_takes_optunas_signature(tmp_path: Path) -> None:
    url = "sqlite:///" + str(tmp_path / "s.db")
    with pytest.warns(UserWarning, match="engine_kwargs.*pool_size"):
        ferrotune.storages.RDBStorage(url, engine_kwargs={"pool_size": 5})
    storage = ferrotune.storages.RDBStorage(
        url, None, True, heartbeat_interval=1, grace_period=3, skip_table_creation=True
    )
    assert storage.heartbeat_interval == 1
    study = ferrotune.create_study(storage=storage)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert len(study.trials) == 2
