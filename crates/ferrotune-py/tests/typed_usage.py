"""Checked by mypy in test_typing.py: typical typed user code must type-check
against the package's annotations and stubs."""

from __future__ import annotations

from typing import Any, Optional, Sequence

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


class CoinSampler(ferrotune.samplers.BaseSampler):
    """A user-defined sampler, annotated as Optuna's tutorial annotates one."""

    def infer_relative_search_space(
        self, study: ferrotune.Study, trial: FrozenTrial
    ) -> dict[str, ferrotune.distributions.BaseDistribution]:
        return ferrotune.search_space.intersection_search_space(study.get_trials(deepcopy=False))

    def sample_relative(
        self,
        study: ferrotune.Study,
        trial: FrozenTrial,
        search_space: dict[str, ferrotune.distributions.BaseDistribution],
    ) -> dict[str, Any]:
        return {}

    def sample_independent(
        self,
        study: ferrotune.Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: ferrotune.distributions.BaseDistribution,
    ) -> Any:
        return ferrotune.samplers.RandomSampler().sample_independent(study, trial, param_name, param_distribution)

    def after_trial(
        self, study: ferrotune.Study, trial: FrozenTrial, state: TrialState, values: Optional[Sequence[float]]
    ) -> None:
        pass


class NeverPruner(ferrotune.pruners.BasePruner):
    def prune(self, study: ferrotune.Study, trial: FrozenTrial) -> bool:
        return trial.last_step is not None and trial.last_step > 100


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
    fixed = ferrotune.samplers.PartialFixedSampler({"depth": 3}, CoinSampler())
    ferrotune.create_study(sampler=fixed, pruner=NeverPruner()).optimize(objective, n_trials=2)
    # The genetic samplers take an operator by name or as Optuna's objects.
    from ferrotune.samplers.nsgaii import PolynomialMutation, SBXCrossover

    genetic = ferrotune.samplers.NSGAIISampler(
        population_size=4, crossover=SBXCrossover(eta=15.0), mutation=PolynomialMutation(eta=20.0), seed=1
    )
    ferrotune.create_study(sampler=genetic).optimize(objective, n_trials=6)
    ferrotune.samplers.NSGAIIISampler(crossover="blxalpha", mutation=None)
    if ferrotune.visualization.is_available():
        figure = ferrotune.visualization.plot_optimization_history([study], target_name="loss", error_bar=False)
        figure.update_layout(title="history")
        ferrotune.visualization.plot_contour(study, params=["lr", "depth"], target=lambda t: t.number)
    if ferrotune.visualization.matplotlib.is_available():
        ferrotune.visualization.matplotlib.plot_param_importances(study, params=["lr"]).set_xlabel("importance")
    uploaded_artifacts(study)
    return study.best_value


def uploaded_artifacts(study: ferrotune.Study) -> list[ferrotune.artifacts.ArtifactMeta]:
    import os
    import tempfile

    directory = tempfile.mkdtemp()
    store = ferrotune.artifacts.Backoff(ferrotune.artifacts.FileSystemArtifactStore(directory), max_retries=2)
    path = os.path.join(directory, "notes.txt")
    with open(path, "w") as f:
        f.write("typed")
    artifact_id: str = ferrotune.artifacts.upload_artifact(artifact_store=store, file_path=path, study_or_trial=study)
    trial: ferrotune.trial.BaseTrial = ferrotune.trial.FixedTrial({"x": 1.0})
    assert trial.suggest_float("x", 0, 2) == 1.0
    metas = ferrotune.artifacts.get_all_artifact_meta(study)
    assert [meta.artifact_id for meta in metas] == [artifact_id]
    return metas


if __name__ == "__main__":
    main()
