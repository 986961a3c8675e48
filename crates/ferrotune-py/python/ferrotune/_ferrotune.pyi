# Type stubs for the native module. Users import these names through
# ferrotune, ferrotune.samplers, ferrotune.pruners, ferrotune.storages,
# ferrotune.trial and ferrotune.study.

import datetime
import os
from typing import Any, Callable, Iterable, Literal, Optional, Sequence, Union, final

from typing_extensions import Self, disjoint_base

from ferrotune.distributions import BaseDistribution, CategoricalChoiceType
from ferrotune.samplers.nsgaii import BaseCrossover, BaseMutation
from ferrotune.trial import TrialState

__all__ = [
    "BasePruner",
    "BaseSampler",
    "BaseStorage",
    "BruteForceSampler",
    "CmaEsSampler",
    "DashboardServer",
    "DuplicatedStudyError",
    "FerrotuneError",
    "FrozenTrial",
    "GPSampler",
    "GridSampler",
    "HyperbandPruner",
    "InMemoryStorage",
    "JournalStorage",
    "MedianPruner",
    "NSGAIIISampler",
    "NSGAIISampler",
    "NopPruner",
    "PartialFixedSampler",
    "PatientPruner",
    "PercentilePruner",
    "QMCSampler",
    "RDBStorage",
    "RandomSampler",
    "SearchSpaceExhausted",
    "StorageInternalError",
    "Study",
    "SuccessiveHalvingPruner",
    "TPESampler",
    "ThresholdPruner",
    "Trial",
    "TrialPruned",
    "WilcoxonPruner",
    "_TensorBoardWriter",
    "__commit__",
    "__version__",
    "_check_distribution_compatibility",
    "_create_study",
    "_crowding_distances",
    "_delete_study",
    "_export_optuna",
    "_forest_importance",
    "_frozen_trial_from_json",
    "_hypervolume",
    "_hypervolume_contributions",
    "_import_optuna",
    "_intersection_search_space",
    "_live_frozen_trial",
    "_non_domination_ranks",
    "_param_in_distribution",
    "_ped_anova",
    "_plot_data",
    "_pruner_options",
    "_resolve_storage",
    "_sampler_options",
    "_start_dashboard",
    "_study_names",
]

__version__: str
#: The commit the extension was built from ("unknown" outside a repository).
__commit__: str

class FerrotuneError(Exception): ...
class TrialPruned(FerrotuneError): ...
class DuplicatedStudyError(FerrotuneError): ...
class StorageInternalError(FerrotuneError): ...
class SearchSpaceExhausted(FerrotuneError): ...

@disjoint_base
class BaseStorage:
    @property
    def url(self) -> str: ...

@final
class InMemoryStorage(BaseStorage):
    def __new__(cls) -> Self: ...
    def __reduce__(self) -> tuple[Any, ...]: ...  # raises TypeError: pickle the study

@final
class RDBStorage(BaseStorage):
    def __new__(
        cls,
        url: str,
        engine_kwargs: Optional[dict[str, Any]] = None,
        skip_compatibility_check: bool = False,
        *,
        heartbeat_interval: Optional[float] = None,
        grace_period: Optional[float] = None,
        heartbeat_stale_trial_callback: Optional[Any] = None,
        failed_trial_callback: Optional[Any] = None,
        skip_table_creation: bool = False,
    ) -> Self: ...
    @property
    def heartbeat_interval(self) -> Optional[float]: ...
    @property
    def grace_period(self) -> Optional[float]: ...
    @property
    def failed_trial_callback(self) -> Optional[Any]: ...
    def get_heartbeat_stale_trial_callback(self) -> Optional[Any]: ...
    def __reduce__(self) -> tuple[Any, ...]: ...

@final
class JournalStorage(BaseStorage):
    # `log_storage` is a ferrotune.storages.journal.JournalFileBackend.
    def __new__(cls, log_storage: Any) -> Self: ...
    def __reduce__(self) -> tuple[Any, ...]: ...

# `study` is the user's Study (a ferrotune.study.Study); typed Any so that a
# subclass may annotate it as that class without narrowing the override.
@disjoint_base
class BaseSampler:
    def __new__(cls, *args: Any, **kwargs: Any) -> Self: ...
    def infer_relative_search_space(self, study: Any, trial: FrozenTrial) -> dict[str, BaseDistribution]: ...
    def sample_relative(
        self, study: Any, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]: ...
    def sample_independent(
        self, study: Any, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution
    ) -> Any: ...
    def before_trial(self, study: Any, trial: FrozenTrial) -> None: ...
    def after_trial(
        self, study: Any, trial: FrozenTrial, state: TrialState, values: Optional[Sequence[float]]
    ) -> None: ...
    def reseed_rng(self) -> None: ...
    def __reduce__(self) -> tuple[Any, ...]: ...

@final
class PartialFixedSampler(BaseSampler):
    def __new__(cls, fixed_params: dict[str, Any], base_sampler: BaseSampler) -> Self: ...
    @property
    def _fixed_params(self) -> dict[str, Any]: ...
    @property
    def _base_sampler(self) -> BaseSampler: ...

# Each sampler's constructor: Optuna's arguments the engine does not model
# (and the options Optuna takes positionally) by hand, then the options of
# the sampler's description in the engine, generated; `None` for an option
# means its default. tests/test_sampler_options.py checks the generated
# lines against the descriptions (FERROTUNE_UPDATE_STUB=1 rewrites them).

@final
class RandomSampler(BaseSampler):
    def __new__(
        cls,
        seed: Optional[int] = None,
        # generated: the options from the engine's descriptions (tests/test_sampler_options.py)
        # end of the generated options
    ) -> Self: ...

@final
class GridSampler(BaseSampler):
    def __new__(
        cls,
        search_space: dict[str, Sequence[CategoricalChoiceType]],
        seed: Optional[int] = None,
        # generated: the options from the engine's descriptions (tests/test_sampler_options.py)
        # end of the generated options
    ) -> Self: ...
    def is_exhausted(self, study: Study) -> bool: ...

@final
class BruteForceSampler(BaseSampler):
    def __new__(
        cls,
        seed: Optional[int] = None,
        avoid_premature_stop: Optional[bool] = None,
        # generated: the options from the engine's descriptions (tests/test_sampler_options.py)
        # end of the generated options
    ) -> Self: ...

@final
class TPESampler(BaseSampler):
    def __new__(
        cls,
        *,
        consider_prior: Optional[bool] = None,
        weights: None = None,
        warn_independent_sampling: Optional[bool] = None,
        constraints_func: Optional[Callable[[Any], Sequence[float]]] = None,
        # generated: the options from the engine's descriptions (tests/test_sampler_options.py)
        seed: Optional[int] = None,
        n_startup_trials: Optional[int] = 10,
        startup: Optional[Literal["random", "sobol", "halton"]] = "random",
        n_ei_candidates: Optional[int] = 24,
        multivariate: Optional[bool] = None,
        group: Optional[bool] = False,
        constant_liar: Optional[bool] = True,
        avoid_repeats: Optional[bool] = None,
        prior_weight: Optional[float] = 1.0,
        consider_magic_clip: Optional[bool] = True,
        consider_endpoints: Optional[bool] = False,
        gamma: Optional[float] = None,
        weighting: Optional[Literal["recency", "expected_improvement"]] = None,
        multi_objective_weighting: Optional[Literal["uniform", "hypervolume_contribution"]] = "hypervolume_contribution",
        min_bandwidth_factor: Optional[float] = 0.01,
        magic_clip_exponent: Optional[float] = 1.0,
        optuna_defaults: Optional[bool] = False,
        hyperopt_defaults: Optional[bool] = False,
        # end of the generated options
    ) -> Self: ...
    @property
    def _constraints_func(self) -> Optional[Callable[[Any], Sequence[float]]]: ...

@final
class CmaEsSampler(BaseSampler):
    def __new__(
        cls,
        x0: Optional[dict[str, float]] = None,
        sigma0: Optional[float] = None,
        n_startup_trials: Optional[int] = None,
        independent_sampler: None = None,
        warn_independent_sampling: bool = True,
        seed: Optional[int] = None,
        *,
        lr_adapt: bool = False,
        source_trials: Optional[list[FrozenTrial]] = None,
        # generated: the options from the engine's descriptions (tests/test_sampler_options.py)
        popsize: Optional[int] = None,
        restart_strategy: Optional[Literal["ipop", "bipop", "none"]] = "none",
        inc_popsize: Optional[int] = 2,
        use_separable_cma: Optional[bool] = False,
        with_margin: Optional[bool] = False,
        consider_pruned_trials: Optional[bool] = False,
        # end of the generated options
    ) -> Self: ...

@final
class GPSampler(BaseSampler):
    def __new__(
        cls,
        *,
        independent_sampler: None = None,
        constraints_func: Optional[Callable[[Any], Sequence[float]]] = None,
        warn_independent_sampling: bool = True,
        # generated: the options from the engine's descriptions (tests/test_sampler_options.py)
        seed: Optional[int] = None,
        n_startup_trials: Optional[int] = 5,
        startup: Optional[Literal["random", "sobol", "halton"]] = "sobol",
        deterministic_objective: Optional[bool] = False,
        robust_output: Optional[bool] = True,
        output_transform: Optional[Literal["standardize", "robust", "power"]] = "robust",
        # end of the generated options
    ) -> Self: ...
    @property
    def _constraints_func(self) -> Optional[Callable[[Any], Sequence[float]]]: ...

@final
class NSGAIISampler(BaseSampler):
    def __new__(
        cls,
        *,
        constraints_func: Optional[Callable[[Any], Sequence[float]]] = None,
        elite_population_selection_strategy: None = None,
        child_generation_strategy: None = None,
        after_trial_strategy: None = None,
        # a name or an operator object (ferrotune.samplers.nsgaii's; Optuna's are taken too)
        crossover: Union[Literal["uniform", "blxalpha", "sbx", "vsbx", "undx", "spx"], BaseCrossover, None] = "uniform",
        mutation: Union[Literal["uniform", "polynomial"], BaseMutation, None] = "uniform",
        # generated: the options from the engine's descriptions (tests/test_sampler_options.py)
        seed: Optional[int] = None,
        population_size: Optional[int] = 50,
        crossover_prob: Optional[float] = 0.9,
        swapping_prob: Optional[float] = 0.5,
        mutation_prob: Optional[float] = None,
        mutation_eta: Optional[float] = 20,
        alpha: Optional[float] = 0.5,
        eta: Optional[float] = None,
        uniform_crossover_prob: Optional[float] = 0.5,
        use_child_gene_prob: Optional[float] = 0.5,
        sigma_xi: Optional[float] = 0.5,
        sigma_eta: Optional[float] = None,
        epsilon: Optional[float] = None,
        # end of the generated options
    ) -> Self: ...
    @property
    def _constraints_func(self) -> Optional[Callable[[Any], Sequence[float]]]: ...

@final
class NSGAIIISampler(BaseSampler):
    def __new__(
        cls,
        *,
        constraints_func: Optional[Callable[[Any], Sequence[float]]] = None,
        elite_population_selection_strategy: None = None,
        child_generation_strategy: None = None,
        after_trial_strategy: None = None,
        # a name or an operator object (ferrotune.samplers.nsgaii's; Optuna's are taken too)
        crossover: Union[Literal["uniform", "blxalpha", "sbx", "vsbx", "undx", "spx"], BaseCrossover, None] = "uniform",
        mutation: Union[Literal["uniform", "polynomial"], BaseMutation, None] = "uniform",
        # generated: the options from the engine's descriptions (tests/test_sampler_options.py)
        seed: Optional[int] = None,
        population_size: Optional[int] = 50,
        crossover_prob: Optional[float] = 0.9,
        swapping_prob: Optional[float] = 0.5,
        mutation_prob: Optional[float] = None,
        mutation_eta: Optional[float] = 20,
        alpha: Optional[float] = 0.5,
        eta: Optional[float] = None,
        uniform_crossover_prob: Optional[float] = 0.5,
        use_child_gene_prob: Optional[float] = 0.5,
        sigma_xi: Optional[float] = 0.5,
        sigma_eta: Optional[float] = None,
        epsilon: Optional[float] = None,
        reference_points: Optional[Sequence[Sequence[float]]] = None,
        dividing_parameter: Optional[int] = 3,
        # end of the generated options
    ) -> Self: ...
    @property
    def _constraints_func(self) -> Optional[Callable[[Any], Sequence[float]]]: ...

@final
class QMCSampler(BaseSampler):
    def __new__(
        cls,
        *,
        independent_sampler: None = None,
        warn_asynchronous_seeding: bool = True,
        warn_independent_sampling: bool = True,
        # generated: the options from the engine's descriptions (tests/test_sampler_options.py)
        seed: Optional[int] = None,
        qmc_type: Optional[Literal["sobol", "halton"]] = "sobol",
        scramble: Optional[bool] = True,
        # end of the generated options
    ) -> Self: ...

@disjoint_base
class BasePruner:
    def __new__(cls, *args: Any, **kwargs: Any) -> Self: ...
    def prune(self, study: Any, trial: FrozenTrial) -> bool: ...
    def __reduce__(self) -> tuple[Any, ...]: ...

# Each pruner's constructor: Optuna's positional arguments and the ones the
# engine does not model (PatientPruner's wrapped_pruner) by hand, then the
# options of the pruner's description in the engine, generated; `None` for
# an option means its default. tests/test_pruner_options.py checks the
# generated lines against the descriptions (FERROTUNE_UPDATE_STUB=1 rewrites
# them).

@final
class NopPruner(BasePruner):
    def __new__(
        cls,
        # generated: the options from the engine's descriptions (tests/test_pruner_options.py)
        # end of the generated options
    ) -> Self: ...

@final
class MedianPruner(BasePruner):
    def __new__(
        cls,
        n_startup_trials: Optional[int] = None,
        n_warmup_steps: Optional[int] = None,
        interval_steps: Optional[int] = None,
        # generated: the options from the engine's descriptions (tests/test_pruner_options.py)
        *,
        n_min_trials: Optional[int] = 1,
        # end of the generated options
    ) -> Self: ...

@final
class PercentilePruner(BasePruner):
    def __new__(
        cls,
        percentile: float,
        n_startup_trials: Optional[int] = None,
        n_warmup_steps: Optional[int] = None,
        interval_steps: Optional[int] = None,
        # generated: the options from the engine's descriptions (tests/test_pruner_options.py)
        *,
        n_min_trials: Optional[int] = 1,
        # end of the generated options
    ) -> Self: ...

@final
class SuccessiveHalvingPruner(BasePruner):
    def __new__(
        cls,
        min_resource: Union[int, Literal["auto"], None] = None,
        reduction_factor: Optional[int] = None,
        min_early_stopping_rate: Optional[int] = None,
        bootstrap_count: Optional[int] = None,
        # generated: the options from the engine's descriptions (tests/test_pruner_options.py)
        # end of the generated options
    ) -> Self: ...

@final
class HyperbandPruner(BasePruner):
    def __new__(
        cls,
        min_resource: Optional[int] = None,
        max_resource: Union[int, Literal["auto"], None] = None,
        reduction_factor: Optional[int] = None,
        bootstrap_count: Optional[int] = None,
        # generated: the options from the engine's descriptions (tests/test_pruner_options.py)
        # end of the generated options
    ) -> Self: ...

@final
class ThresholdPruner(BasePruner):
    def __new__(
        cls,
        lower: Optional[float] = None,
        upper: Optional[float] = None,
        n_warmup_steps: Optional[int] = None,
        interval_steps: Optional[int] = None,
        # generated: the options from the engine's descriptions (tests/test_pruner_options.py)
        # end of the generated options
    ) -> Self: ...

@final
class PatientPruner(BasePruner):
    def __new__(
        cls,
        wrapped_pruner: Optional[BasePruner],
        patience: int,
        min_delta: Optional[float] = None,
        # generated: the options from the engine's descriptions (tests/test_pruner_options.py)
        # end of the generated options
    ) -> Self: ...

@final
class WilcoxonPruner(BasePruner):
    def __new__(
        cls,
        # generated: the options from the engine's descriptions (tests/test_pruner_options.py)
        *,
        p_threshold: Optional[float] = 0.1,
        n_startup_steps: Optional[int] = 2,
        # end of the generated options
    ) -> Self: ...

@final
class Trial:
    @property
    def number(self) -> int: ...
    @property
    def _trial_id(self) -> int: ...
    @property
    def study(self) -> Any: ...
    @property
    def params(self) -> dict[str, Any]: ...
    @property
    def distributions(self) -> dict[str, BaseDistribution]: ...
    @property
    def user_attrs(self) -> dict[str, Any]: ...
    @property
    def system_attrs(self) -> dict[str, Any]: ...
    @property
    def datetime_start(self) -> Optional[datetime.datetime]: ...
    def suggest_float(
        self, name: str, low: float, high: float, *, step: Optional[float] = None, log: bool = False
    ) -> float: ...
    def suggest_int(self, name: str, low: int, high: int, *, step: int = 1, log: bool = False) -> int: ...
    def suggest_categorical(self, name: str, choices: Sequence[CategoricalChoiceType]) -> Any: ...
    def report(self, value: Union[float, Sequence[float]], step: int) -> None: ...
    def should_prune(self) -> bool: ...
    def set_user_attr(self, key: str, value: Any) -> None: ...
    def set_system_attr(self, key: str, value: Any) -> None: ...
    def set_constraint(self, key: str, value: float) -> None: ...
    @property
    def constraints(self) -> dict[str, float]: ...
    @property
    def relative_params(self) -> dict[str, Any]: ...

@final
class FrozenTrial:
    def __new__(
        cls,
        number: int,
        state: TrialState,
        value: Optional[float],
        datetime_start: Optional[datetime.datetime],
        datetime_complete: Optional[datetime.datetime],
        params: dict[str, Any],
        distributions: dict[str, BaseDistribution],
        user_attrs: dict[str, Any],
        system_attrs: dict[str, Any],
        intermediate_values: dict[int, float],
        trial_id: int,
        *,
        values: Optional[Sequence[float]] = None,
    ) -> Self: ...
    def _validate(self) -> None: ...
    def suggest_float(
        self, name: str, low: float, high: float, *, step: Optional[float] = None, log: bool = False
    ) -> float: ...
    def suggest_int(self, name: str, low: int, high: int, *, step: int = 1, log: bool = False) -> int: ...
    def suggest_categorical(self, name: str, choices: Sequence[CategoricalChoiceType]) -> Any: ...
    def report(self, value: Any, step: int) -> None: ...
    def should_prune(self) -> bool: ...
    def set_user_attr(self, key: str, value: Any) -> None: ...
    def set_constraint(self, key: str, value: float) -> None: ...
    def __copy__(self) -> FrozenTrial: ...
    def __deepcopy__(self, memo: Any) -> FrozenTrial: ...
    def __reduce__(self) -> tuple[Any, ...]: ...
    @property
    def number(self) -> int: ...
    @property
    def _trial_id(self) -> int: ...
    @property
    def state(self) -> TrialState: ...
    @property
    def value(self) -> Optional[float]: ...
    @property
    def values(self) -> Optional[list[float]]: ...
    @property
    def params(self) -> dict[str, Any]: ...
    @property
    def distributions(self) -> dict[str, BaseDistribution]: ...
    @property
    def user_attrs(self) -> dict[str, Any]: ...
    @property
    def system_attrs(self) -> dict[str, Any]: ...
    @property
    def intermediate_values(self) -> dict[int, float]: ...
    @property
    def intermediate_vectors(self) -> dict[int, list[float]]: ...
    @property
    def last_step(self) -> Optional[int]: ...
    @property
    def datetime_start(self) -> Optional[datetime.datetime]: ...
    @property
    def datetime_complete(self) -> Optional[datetime.datetime]: ...
    @property
    def duration(self) -> Optional[datetime.timedelta]: ...
    @property
    def fail_reason(self) -> Optional[str]: ...
    @property
    def constraints(self) -> dict[str, float]: ...

@disjoint_base
class Study:
    def __new__(
        cls,
        study_name: str,
        storage: Union[str, BaseStorage, None],
        sampler: Optional[BaseSampler] = None,
        pruner: Optional[BasePruner] = None,
    ) -> Self: ...
    @property
    def study_name(self) -> str: ...
    @property
    def _study_id(self) -> int: ...
    @property
    def _storage(self) -> BaseStorage: ...
    @property
    def _direction_names(self) -> list[str]: ...
    @property
    def trials(self) -> list[FrozenTrial]: ...
    @property
    def best_trial(self) -> FrozenTrial: ...
    @property
    def best_value(self) -> float: ...
    @property
    def best_params(self) -> dict[str, Any]: ...
    def _sampler_is_exhausted(self) -> bool: ...
    @property
    def best_trials(self) -> list[FrozenTrial]: ...
    @property
    def user_attrs(self) -> dict[str, Any]: ...
    def ask(self) -> Trial: ...
    def tell(
        self,
        trial: Union[Trial, int],
        values: Union[float, Sequence[float], None] = None,
        state: Optional[TrialState] = None,
        skip_if_finished: bool = False,
    ) -> FrozenTrial: ...
    def _fail(self, trial: Union[Trial, int], reason: str) -> FrozenTrial: ...
    def _trials_in(self, states: Optional[Iterable[TrialState]] = None) -> list[FrozenTrial]: ...
    def _fail_stale_trials(self) -> list[FrozenTrial]: ...
    def enqueue_trial(
        self, params: dict[str, Any], user_attrs: Optional[dict[str, Any]] = None, skip_if_exists: bool = False
    ) -> None: ...
    def set_user_attr(self, key: str, value: Any) -> None: ...
    def _add_trial(self, trial: FrozenTrial) -> FrozenTrial: ...
    def _system_attrs(self) -> dict[str, Any]: ...
    def _set_sampler(self, sampler: BaseSampler) -> None: ...
    def _set_pruner(self, pruner: BasePruner) -> None: ...
    def _set_system_attr(self, key: str, value: Any) -> None: ...

def _param_in_distribution(name: str, value: Any, distribution: BaseDistribution) -> bool: ...
def _check_distribution_compatibility(
    dist_old: BaseDistribution, dist_new: BaseDistribution, name: Optional[str] = None
) -> None: ...
def _create_study(
    storage: BaseStorage,
    study_name: Optional[str],
    directions: list[str],
    load_if_exists: bool,
    sampler: Optional[BaseSampler] = None,
) -> str: ...
def _resolve_storage(storage: Union[str, BaseStorage, None] = None) -> BaseStorage: ...
def _import_optuna(
    optuna_url: str, storage: BaseStorage, study_names: Optional[list[str]] = None
) -> list[tuple[str, int]]: ...
def _export_optuna(
    storage: BaseStorage, path: Union[str, os.PathLike[str]], study_names: Optional[list[str]] = None
) -> tuple[int, int]: ...
def _ped_anova(
    study: Study,
    target_quantile: float,
    region_quantile: float,
    evaluate_on_local: bool,
    params: Optional[list[str]],
    target_values: Optional[dict[int, float]],
    normalize: bool,
) -> list[tuple[str, float]]: ...
def _forest_importance(
    study: Study,
    kind: str,
    n_trees: int,
    max_depth: int,
    seed: Optional[int],
    log_scale: bool,
    params: Optional[list[str]],
    target_values: Optional[dict[int, float]],
    normalize: bool,
) -> list[tuple[str, float]]: ...
def _hypervolume(points: list[list[float]], reference_point: list[float]) -> float: ...
def _hypervolume_contributions(points: list[list[float]], reference_point: list[float]) -> list[float]: ...
def _non_domination_ranks(points: list[list[float]]) -> list[int]: ...
def _crowding_distances(points: list[list[float]]) -> list[float]: ...
def _plot_data(
    study: Study,
    kind: str,
    options: Union[str, dict[str, Any], None] = None,
    target_values: Optional[dict[int, float]] = None,
) -> str: ...
def _study_names(storage: BaseStorage) -> list[str]: ...

@final
class DashboardServer:
    @property
    def url(self) -> str: ...
    def stop(self) -> None: ...

def _start_dashboard(
    storage: Union[str, BaseStorage], host: str, port: int, token: Optional[str]
) -> DashboardServer: ...
def _delete_study(storage: BaseStorage, study_name: str) -> None: ...
def _sampler_options() -> dict[str, list[tuple[str, str, str, Optional[str], str]]]: ...
def _pruner_options() -> dict[str, list[tuple[str, str, str, Optional[str], str]]]: ...
def _intersection_search_space(
    trials: Iterable[FrozenTrial], include_pruned: bool = False
) -> dict[str, BaseDistribution]: ...
def _live_frozen_trial(trial: Trial) -> FrozenTrial: ...
def _frozen_trial_from_json(data: str, number: int, trial_id: int) -> FrozenTrial: ...

@final
class _TensorBoardWriter:
    def __new__(cls, dirname: Union[str, os.PathLike[str]], metric_names: Sequence[str]) -> Self: ...
    def declare_trials(self, trials: Sequence[FrozenTrial]) -> None: ...
    def write_trial(self, trial: FrozenTrial) -> bool: ...
