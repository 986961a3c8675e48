"""Example: Optuna's journal file storage, shared by two processes (as in
Optuna's docs for JournalStorage and JournalFileBackend)."""

import subprocess
import sys

import optuna
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock


def objective(trial):
    x = trial.suggest_float("x", -10, 10)
    if trial.suggest_categorical("kind", ["quad", "abs"]) == "quad":
        trial.set_user_attr("kind", "quadratic")
        return (x - 2) ** 2
    for step in range(3):
        trial.report(abs(x - 2) + 1 / (step + 1), step)
    return abs(x - 2)


storage = JournalStorage(JournalFileBackend("./optuna_journal_storage.log"))
study = optuna.create_study(study_name="journal", storage=storage)
study.optimize(objective, n_trials=12)

# A second process appends to the same file, with the other lock protocol.
child = f"""
import sys
sys.modules["optuna"] = __import__({optuna.__name__!r})
import optuna
from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock
path = "./optuna_journal_storage.log"
storage = optuna.storages.JournalStorage(JournalFileBackend(path, lock_obj=JournalFileOpenLock(path)))
study = optuna.load_study(study_name="journal", storage=storage)
study.optimize(lambda t: t.suggest_float("x", -10, 10) ** 2, n_trials=5)
print(len(study.trials))
"""
out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, check=True).stdout
assert out.strip().endswith("17"), out

reopened = JournalStorage(
    JournalFileBackend(
        "./optuna_journal_storage.log", lock_obj=JournalFileOpenLock("./optuna_journal_storage.log")
    )
)
loaded = optuna.load_study(study_name="journal", storage=reopened)
assert [t.number for t in loaded.trials] == list(range(17))
assert loaded.best_value == min(t.value for t in loaded.trials)
quadratic = [t for t in loaded.trials if t.params.get("kind") == "quad"]
assert all(t.user_attrs == {"kind": "quadratic"} for t in quadratic)
assert all(len(t.intermediate_values) == 3 for t in loaded.trials[:12] if t.params["kind"] == "abs")
assert optuna.get_all_study_names(storage=reopened) == ["journal"]
