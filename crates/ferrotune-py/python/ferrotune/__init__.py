"""ferrotune: hyperparameter optimization with Optuna's API over a Rust engine.

Switching from Optuna is a change of import::

    import ferrotune as optuna

    def objective(trial):
        x = trial.suggest_float("x", -10, 10)
        return (x - 2) ** 2

    study = optuna.create_study()
    study.optimize(objective, n_trials=100)
    print(study.best_params)

Studies live in memory or in a SQLite file (``storage="sqlite:///study.db"``)
that the ``ferrotune`` command-line tool and other processes share.
"""

from ferrotune import (
    dashboard,
    distributions,
    exceptions,
    importance,
    logging,
    pruners,
    samplers,
    storages,
    study,
    trial,
    visualization,
)
from ferrotune._ferrotune import __version__
from ferrotune.exceptions import TrialPruned
from ferrotune.study import (
    Study,
    StudyDirection,
    create_study,
    delete_study,
    get_all_study_names,
    load_study,
)
from ferrotune.trial import FrozenTrial, Trial, TrialState

__all__ = [
    "FrozenTrial",
    "Study",
    "StudyDirection",
    "Trial",
    "TrialPruned",
    "TrialState",
    "__version__",
    "create_study",
    "dashboard",
    "delete_study",
    "distributions",
    "exceptions",
    "get_all_study_names",
    "load_study",
    "logging",
    "pruners",
    "samplers",
    "storages",
    "study",
    "trial",
    "visualization",
]
