"""Example: save a study in SQLite and resume it from another process."""

import subprocess
import sys

import optuna

storage = "sqlite:///example.db"


def objective(trial):
    x = trial.suggest_float("x", -10, 10)
    return (x - 2) ** 2


study = optuna.create_study(study_name="distributed-example", storage=storage)
study.optimize(objective, n_trials=10)

resumed = optuna.create_study(study_name="distributed-example", storage=storage, load_if_exists=True)
resumed.optimize(objective, n_trials=10)
assert len(resumed.trials) == 20

loaded = optuna.load_study(study_name="distributed-example", storage=storage)
assert len(loaded.trials) == 20
assert loaded.best_value == min(t.value for t in loaded.trials)
assert "distributed-example" in optuna.get_all_study_names(storage=storage)

# Another process sees the same study (the script under test decides which
# package `optuna` is, so the child imports what this process imported).
child = f"""
import sys
sys.modules["optuna"] = __import__({optuna.__name__!r})
import optuna
s = optuna.load_study(study_name="distributed-example", storage={storage!r})
s.optimize(lambda t: t.suggest_float("x", -10, 10) ** 2, n_trials=3)
print(len(s.trials))
"""
out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, check=True).stdout
assert out.strip().endswith("23"), out
optuna.delete_study(study_name="distributed-example", storage=storage)
assert "distributed-example" not in optuna.get_all_study_names(storage=storage)
