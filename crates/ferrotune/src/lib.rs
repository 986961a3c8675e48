//! ferrotune: hyperparameter optimization with define-by-run trials.
//!
//! One engine with three faces, which read and write the same studies:
//!
//! - **this crate**, for Rust programs: a [`Study`] runs your objective, a
//!   sampler proposes each trial's parameters as your code asks for them,
//!   a pruner stops unpromising trials, a storage keeps everything;
//! - **the `ferrotune` command** (crate `ferrotune-cli`), which tunes any
//!   program from a TOML file, each trial a subprocess (see
//!   [The command line](#the-command-line));
//! - **the Python package** `ferrotune`, with Optuna's API (see
//!   [Python](#python)).
//!
//! A study one face started, another can continue, inspect or plot: they
//! share the storages (memory, SQLite, PostgreSQL, Optuna's journal file).
//!
//! # A first study
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
//! Without a sampler the study uses TPE ([`samplers::TpeSampler`]); a
//! seeded sampler makes a sequential study repeat exactly. An objective
//! that returns an error, panics or returns NaN fails its own trial, and
//! the study goes on.
//!
//! # Pruning
//!
//! A trial reports intermediate values (a validation score per epoch, say);
//! the study's pruner compares them with the other trials' at the same step
//! and [`Trial::should_prune`] says whether to stop. Return
//! [`TrialError::Pruned`] to stop:
//!
//! ```
//! use ferrotune::{Study, TrialError, pruners::MedianPruner, samplers::TpeSampler};
//!
//! let study = Study::builder()
//!     .sampler(TpeSampler::with_seed(7))
//!     .pruner(MedianPruner::builder().n_startup_trials(3).n_warmup_steps(2).build()?)
//!     .create()?;
//! study.optimize(20, |trial| {
//!     let lr = trial.suggest_float_log("lr", 1e-4, 1.0)?;
//!     let mut loss = 1.0;
//!     for epoch in 0..10 {
//!         loss *= 1.0 - lr.min(0.5); // a stand-in for one epoch of training
//!         trial.report(epoch, loss)?;
//!         if trial.should_prune()? {
//!             return Err(TrialError::Pruned);
//!         }
//!     }
//!     Ok(loss)
//! })?;
//! let pruned = study.trials_in(&[ferrotune::TrialState::Pruned])?.len();
//! println!("{pruned} of 20 trials were stopped early");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Ask and tell
//!
//! When the loop is yours (a training framework's callback, trials run
//! elsewhere), ask for a trial and tell its result:
//!
//! ```
//! use ferrotune::{Study, TrialOutcome};
//!
//! let study = Study::builder().create()?;
//! // A configuration you want tried first.
//! study.enqueue_trial([("units", 64)])?;
//! for _ in 0..5 {
//!     let mut trial = study.ask()?;
//!     let units = trial.suggest_int("units", 8, 256)?;
//!     if units > 200 {
//!         // Too big for this machine: record why instead of a value.
//!         study.tell_outcome(trial, TrialOutcome::Failed("out of memory".into()))?;
//!         continue;
//!     }
//!     study.tell(trial, 1.0 / units as f64)?;
//! }
//! assert_eq!(study.trials()?[0].params["units"].value(), ferrotune::ParamValue::Int(64));
//! # Ok::<(), ferrotune::Error>(())
//! ```
//!
//! # Several objectives, parallel trials, a database
//!
//! Give one direction per objective and return as many values; the
//! [`best_trials`](Study::best_trials) are the Pareto front. `n_jobs` runs
//! trials on threads, and a storage URL puts the study in a database that
//! other processes (or machines, with PostgreSQL) work on at the same time.
//!
//! ```
//! use ferrotune::{Optimize, Study, StudyDirection, samplers::Nsga2Sampler};
//!
//! let dir = tempfile::tempdir()?;
//! let study = Study::builder()
//!     .name("accuracy-vs-size")
//!     .storage_url(format!("sqlite:///{}", dir.path().join("study.db").display()))
//!     .directions([StudyDirection::Maximize, StudyDirection::Minimize])
//!     .sampler(Nsga2Sampler::builder().population_size(10).seed(1).build()?)
//!     .create()?;
//! study.optimize_with(Optimize::new().n_trials(40).n_jobs(2), |trial| {
//!     let width = trial.suggest_int("width", 1, 100)? as f64;
//!     let accuracy = 1.0 - 1.0 / (1.0 + width / 10.0); // wider is better...
//!     Ok((accuracy, width)) // ...and bigger
//! })?;
//! for best in study.best_trials()? {
//!     println!("trial {}: {:?} with {:?}", best.number, best.values, best.params);
//! }
//! // Another process opens the same study by its name and storage.
//! let again = Study::builder()
//!     .name("accuracy-vs-size")
//!     .storage_url(format!("sqlite:///{}", dir.path().join("study.db").display()))
//!     .load()?;
//! assert_eq!(again.trials()?.len(), 40);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The command line
//!
//! `ferrotune` (`cargo install ferrotune-cli`, or with the Python wheel)
//! runs any program as the objective. Parameters reach it as arguments; it
//! prints its metric (and, for pruning, one line per step); a pruned trial's
//! process is stopped. A study file:
//!
//! ```toml
//! [study]
//! name = "my-model"
//! storage = "sqlite:///my-model.db"
//! direction = "maximize"
//! n_trials = 40
//! n_jobs = 2
//!
//! [pruner]
//! type = "median"
//!
//! [command]
//! run = ["python", "train.py", "{args}"]   # --lr 0.01 --layers 2 ...
//!
//! [metric]
//! name = "val_accuracy"   # read from lines like "epoch=3 val_accuracy=0.94"
//! step = "epoch"
//!
//! [params]
//! lr = { type = "float", low = 1e-4, high = 0.3, log = true }
//! layers = { type = "int", low = 1, high = 3 }
//! ```
//!
//! ```sh
//! ferrotune run tune.toml          # Ctrl-C, then the same command resumes
//! ferrotune best -c tune.toml
//! ferrotune plot optimization-history -c tune.toml -o history.png
//! ferrotune dashboard -c tune.toml    # then open http://127.0.0.1:8080/
//! ```
//!
//! The repository's README and `docs/options.md` list every option.
//!
//! # Python
//!
//! The `ferrotune` wheel speaks Optuna's API, so an Optuna script changes
//! one import:
//!
//! ```python
//! import ferrotune as optuna
//!
//! def objective(trial):
//!     x = trial.suggest_float("x", -10, 10)
//!     return (x - 2) ** 2
//!
//! study = optuna.create_study(storage="sqlite:///my.db", study_name="quad", load_if_exists=True)
//! study.optimize(objective, n_trials=100)
//! print(study.best_params)
//! ```
//!
//! # Crates
//!
//! This crate is the facade users depend on: it owns the study loop
//! ([`Study`], [`Trial`]) and re-exports the rest. `ferrotune-core` holds
//! the vocabulary and the [`Sampler`](core::Sampler),
//! [`Pruner`](core::Pruner) and [`Storage`](core::Storage) traits (the
//! seams for your own); `ferrotune-samplers`, `ferrotune-pruners`,
//! `ferrotune-storage` and `ferrotune-analysis` (importance, Pareto
//! fronts, plot data) implement them. Design decision: the study is the
//! only place that talks to both the storage and the sampler or pruner, so
//! those two stay pure functions of the study's trials and storage backends
//! stay ignorant of sampling.

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
        hyperopt_gamma, optuna_gamma, optuna_gamma_multi_objective, optuna_weights, MultiObjectiveWeighting,
        TpeSamplerBuilder, TpeWeighting, DEFAULT_GAMMA_FRACTION,
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
