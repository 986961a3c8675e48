"""Checked by mypy in test_typing.py: typical typed user code must type-check
against the package's annotations and stubs."""

from __future__ import annotations

import ferrotune
from ferrotune.trial import FrozenTrial, TrialState


def objective(trial: ferrotune.Trial) -> float:
    lr: float = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    depth: int = trial.suggest_int("depth", 1, 8)
    kind = trial.suggest_categorical("kind", ["a", "b", None])
    trial.report(lr * depth, 0)
    if trial.should_prune():
        raise ferrotune.TrialPruned()
    return lr * depth + (0.0 if kind is None else 1.0)


def callback(study: ferrotune.Study, trial: FrozenTrial) -> None:
    if trial.state == TrialState.COMPLETE and (trial.value or 0.0) < 0.01:
        study.stop()


def main() -> float:
    study: ferrotune.Study = ferrotune.create_study(
        direction="minimize",
        sampler=ferrotune.samplers.RandomSampler(seed=0),
        pruner=ferrotune.pruners.HyperbandPruner(min_resource=1, max_resource=9),
        storage=ferrotune.storages.InMemoryStorage(),
    )
    study.enqueue_trial({"lr": 1e-3, "depth": 2})
    study.optimize(objective, n_trials=5, callbacks=[callback], catch=(ValueError,))
    best: FrozenTrial = study.best_trial
    values: list[float] | None = best.values
    assert values is not None
    if ferrotune.visualization.is_available():
        figure = ferrotune.visualization.plot_optimization_history([study], target_name="loss", error_bar=False)
        figure.update_layout(title="history")
        ferrotune.visualization.plot_contour(study, params=["lr", "depth"], target=lambda t: t.number)
    if ferrotune.visualization.matplotlib.is_available():
        ferrotune.visualization.matplotlib.plot_param_importances(study, params=["lr"]).set_xlabel("importance")
    return study.best_value


if __name__ == "__main__":
    main()
