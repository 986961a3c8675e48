//! ferrotune: hyperparameter optimization with define-by-run trials.
//!
//! ```
//! use ferrotune::{Study, StudyDirection, samplers::RandomSampler};
//!
//! let study = Study::builder()
//!     .direction(StudyDirection::Minimize)
//!     .sampler(RandomSampler::with_seed(42))
//!     .create()?;
//! study.optimize(50, |trial| {
//!     let x = trial.suggest_float("x", -10.0, 10.0)?;
//!     // Conditional spaces are plain code.
//!     let y = match trial.suggest_categorical("kind", &["linear", "quadratic"])? {
//!         "linear" => trial.suggest_float("slope", 0.0, 1.0)? * x.abs(),
//!         _ => x * x,
//!     };
//!     Ok(y)
//! })?;
//! assert!(study.best_value()? < 5.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! This crate is the facade users depend on: it owns the study loop
//! ([`Study`], [`Trial`]) and re-exports the vocabulary from
//! `ferrotune-core`, samplers, pruners and storages. Design decision: the
//! study is the only place that talks to both the storage and the
//! sampler/pruner, so those two stay pure and storage backends stay
//! ignorant of sampling.

pub mod conformance;
mod heartbeat;
mod param_writer;
mod study;
mod trial;

pub use ferrotune_core::{
    AttrValue, CategoricalDistribution, Distribution, Error, FloatDistribution, FrozenTrial, IntDistribution,
    ParamValue, Result, StudyDirection, StudyInfo, TrialState,
};
/// The commit this crate was built from (`git rev-parse HEAD` at build
/// time, or `FERROTUNE_COMMIT` where there is no repository; "unknown"
/// when neither is there).
pub const BUILD_COMMIT: &str = env!("FERROTUNE_COMMIT");

pub use heartbeat::{RETRY_COUNT_ATTR, RETRY_HISTORY_ATTR};
pub use study::{Callback, EnqueueOptions, Optimize, Study, StudyBuilder, TrialOutcome, RETRY_OF_ATTR};
pub use trial::{ObjectiveValues, Trial, TrialError};

/// The extension seams, for writing your own sampler, pruner or storage.
pub mod core {
    pub use ferrotune_core::*;
}

/// Samplers: how parameter values are proposed.
pub mod samplers {
    pub use ferrotune_samplers::cmaes::{CmaEsSamplerBuilder, CMAES_GENERATION_ATTR};
    pub use ferrotune_samplers::gp::OutputTransform;
    pub use ferrotune_samplers::nsga::{
        Crossover, Crowding, GeneticSampler, GeneticSamplerBuilder, Mutation, Nsga2SamplerBuilder, Nsga3SamplerBuilder,
        ReferencePoints, NSGA2_GENERATION_ATTR, NSGA3_GENERATION_ATTR,
    };
    pub use ferrotune_samplers::tpe::{
        hyperopt_gamma, optuna_gamma, optuna_gamma_multi_objective, optuna_weights, TpeSamplerBuilder, TpeWeighting,
        DEFAULT_GAMMA_FRACTION,
    };
    /// Every sampler's options, described once for every face.
    pub use ferrotune_samplers::{cmaes_builder, intersection_search_space, sampler_spec, SamplerSpec, SAMPLERS};
    pub use ferrotune_samplers::{
        BruteForceSampler, CmaEsSampler, GpSampler, GpSamplerBuilder, GridSampler, Nsga2Sampler, Nsga3Sampler, QmcKind,
        QmcSampler, RandomSampler, Restart, TpeSampler,
    };
}

/// Pruners: when running trials stop early.
pub mod pruners {
    /// Every pruner's options, described once for every face.
    pub use ferrotune_pruners::{patient_builder, pruner_spec, PrunerSpec, PRUNERS};
    pub use ferrotune_pruners::{
        HyperbandPruner, HyperbandPrunerBuilder, MedianPruner, MedianPrunerBuilder, NopPruner, PatientPruner,
        PatientPrunerBuilder, PercentilePruner, PercentilePrunerBuilder, SuccessiveHalvingPruner,
        SuccessiveHalvingPrunerBuilder, ThresholdPruner, ThresholdPrunerBuilder, WilcoxonPruner, WilcoxonPrunerBuilder,
    };
}

/// Parameter importance: which parameters mattered (PED-ANOVA, fANOVA,
/// mean decrease in impurity).
pub mod importance {
    pub use ferrotune_analysis::importance::{
        fanova, mean_decrease_impurity, ped_anova, ForestOptions, PedAnovaOptions, Target,
    };
}

/// The numbers behind each plot kind (Optuna's `plot_*`), which the CLI's
/// `plot`, Python's `ferrotune.visualization` and the dashboard paint.
pub mod plot {
    pub use ferrotune_analysis::plot::*;
}

/// Several objectives: Pareto ranks, the exact hypervolume and its
/// contributions, crowding distances and hypervolume subset selection.
/// Everything is in loss space: negate the objectives a study maximizes.
///
/// ```
/// use ferrotune::pareto::{hypervolume, non_domination_ranks};
///
/// // Two trials of a study minimizing error and maximizing accuracy.
/// let values = [[0.2, 0.90], [0.1, 0.80]];
/// let losses: Vec<Vec<f64>> = values.iter().map(|v| vec![v[0], -v[1]]).collect();
/// assert_eq!(non_domination_ranks(&losses, None), [0, 0]);
/// // Reference: error 1, accuracy 0. The union of [0.2, 1] x [-0.9, 0] and
/// // [0.1, 1] x [-0.8, 0]: 0.8 * 0.9 + 0.1 * 0.8.
/// let volume = hypervolume(&losses, &[1.0, 0.0]);
/// assert!((volume - 0.8).abs() < 1e-12);
/// ```
pub mod pareto {
    pub use ferrotune_analysis::pareto::{
        best_subset, crowding_distances, hypervolume, hypervolume_contributions, hypervolume_subset,
        non_domination_ranks,
    };
}

/// What a study cost: compute time by state and the time pruning saved.
pub mod cost {
    pub use ferrotune_analysis::cost::*;
}

/// Storages: where studies live.
pub mod storage {
    /// Optuna's journal file: its options and lock protocols.
    pub use ferrotune_storage::journal;
    /// Copying studies from and to Optuna's RDB storage.
    pub use ferrotune_storage::optuna;
    pub use ferrotune_storage::sql::sqlite::Synchronous;
    pub use ferrotune_storage::{open, InMemoryStorage, JournalStorage, PostgresStorage, SqliteStorage};
}
