"""Tutorial: Optuna's log messages, verbosity, and a handler of one's own."""

import logging
import sys

import optuna

records = []


class Keep(logging.Handler):
    def emit(self, record):
        records.append(record.getMessage())


optuna.logging.get_logger("optuna").addHandler(Keep())
optuna.logging.set_verbosity(optuna.logging.INFO)
study = optuna.create_study(study_name="logged")
study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
assert any("A new study created in memory with name: logged" in m for m in records), records
assert sum("Trial" in m and "finished with value" in m for m in records) == 2, records

records.clear()
optuna.logging.set_verbosity(optuna.logging.WARNING)
study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
assert records == [], records
assert optuna.logging.get_verbosity() == optuna.logging.WARNING

optuna.logging.set_verbosity(optuna.logging.INFO)
optuna.logging.disable_default_handler()
optuna.logging.enable_propagation()
optuna.logging.get_logger("optuna").addHandler(logging.StreamHandler(sys.stdout))
study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
assert len(records) == 1
