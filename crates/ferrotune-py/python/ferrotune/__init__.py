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
    artifacts,
    dashboard,
    distributions,
    exceptions,
    importance,
    integration,
    logging,
    pareto,
    pruners,
    samplers,
    search_space,
    storages,
    study,
    trial,
    version,
    visualization,
)
from ferrotune._ferrotune import __commit__, __version__
from ferrotune.exceptions import TrialPruned
from ferrotune.study import (
    Study,
    StudyDirection,
    copy_study,
    create_study,
    delete_study,
    get_all_study_names,
    get_all_study_summaries,
    load_study,
)
from ferrotune.trial import FrozenTrial, Trial, TrialState, create_trial

__all__ = [
    "FrozenTrial",
    "Study",
    "StudyDirection",
    "Trial",
    "TrialPruned",
    "TrialState",
    "__commit__",
    "__version__",
    "artifacts",
    "copy_study",
    "create_study",
    "create_trial",
    "dashboard",
    "delete_study",
    "distributions",
    "exceptions",
    "get_all_study_names",
    "get_all_study_summaries",
    "integration",
    "load_study",
    "logging",
    "pareto",
    "pruners",
    "samplers",
    "search_space",
    "storages",
    "study",
    "trial",
    "version",
    "visualization",
]
