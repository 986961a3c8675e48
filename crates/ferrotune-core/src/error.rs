use crate::TrialState;

/// Everything that can go wrong inside the engine. Messages are written for
/// the person reading them: they name the parameter, study or trial involved.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A distribution's bounds, step or choices make no sense.
    #[error("invalid distribution: {0}")]
    InvalidDistribution(String),
    /// An argument other than a distribution was rejected.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A sampler's or pruner's option was unknown or had a bad value; the
    /// faces point at `option` their own way (a TOML key, a keyword).
    #[error("option '{option}': {message}")]
    InvalidOption {
        /// The option (`x0.lr` for an entry of a table option).
        option: String,
        /// What is wrong with it.
        message: String,
    },
    /// No study of that name exists in the storage.
    #[error("no study named '{0}' in this storage")]
    StudyNotFound(String),
    /// `create` was asked for a name that is taken (use `load_if_exists`).
    #[error("a study named '{0}' already exists in this storage (load it, or pass load_if_exists)")]
    DuplicateStudy(String),
    /// The study has a different number or kind of objectives than asked for.
    #[error("study '{name}' optimizes {existing}, but {requested} was asked for")]
    DirectionMismatch {
        /// Study name.
        name: String,
        /// Directions stored with the study.
        existing: String,
        /// Directions the caller asked for.
        requested: String,
    },
    /// No trial with that storage id.
    #[error("trial with id {0} not found")]
    TrialNotFound(i64),
    /// A finished or waiting trial was asked to change.
    #[error("trial {number} is {state}, not running: only running trials can be changed")]
    TrialNotRunning {
        /// Trial number within its study.
        number: u64,
        /// The state it is in.
        state: TrialState,
    },
    /// A parameter name was suggested twice with different distributions.
    #[error("parameter '{name}' was suggested as {existing} and now as {requested}; one name must keep one distribution within a trial")]
    IncompatibleDistribution {
        /// Parameter name.
        name: String,
        /// Distribution already recorded.
        existing: String,
        /// Distribution asked for now.
        requested: String,
    },
    /// A parameter was suggested or recorded with a distribution of another
    /// kind, log scale or set of categorical choices than the study's
    /// earlier trials have (ranges may change; Optuna's rule).
    #[error("parameter '{name}' was recorded as {earlier} in this study and cannot be {requested}: the {differs} differs, and a parameter keeps its kind, its log scale and its categorical choices across a study's trials (a categorical space cannot be dynamic); give the new one another name")]
    ChangedDistribution {
        /// Parameter name.
        name: String,
        /// The distribution the study's earlier trials recorded.
        earlier: String,
        /// Distribution asked for now.
        requested: String,
        /// What differs: `kind`, `log scale` or `choices`.
        differs: &'static str,
    },
    /// A value handed in for a parameter (enqueued, grid, told) is not in its distribution.
    #[error("value {value} for parameter '{name}' is outside {distribution}")]
    ValueOutsideDistribution {
        /// Parameter name.
        name: String,
        /// The offending value.
        value: String,
        /// The distribution it should lie in.
        distribution: String,
    },
    /// A sampler with a finite search space (grid) has produced every point.
    #[error("the sampler's search space is exhausted: every point has been tried")]
    SearchSpaceExhausted,
    /// `best_trial` and friends on a study with no complete trial.
    #[error("study '{0}' has no complete trial yet")]
    NoCompletedTrials(String),
    /// `best_trial` and friends on a study whose complete trials all
    /// violate a constraint (Optuna: "No feasible trials are completed
    /// yet."). Distinct from [`Error::NoCompletedTrials`]: the trials ran,
    /// and the message says how many.
    #[error("{}", no_feasible_message(name, *complete))]
    NoFeasibleTrials {
        /// Study name.
        name: String,
        /// How many complete trials there are (all infeasible).
        complete: usize,
    },
    /// A single-objective accessor was used on a multi-objective study.
    #[error("study '{0}' has several objectives: use best_trials (the Pareto front) instead")]
    MultiObjective(String),
    /// A sampler could not produce a value.
    #[error("sampler error: {0}")]
    Sampler(String),
    /// The storage backend failed (I/O, SQL, corrupt data).
    #[error("storage error: {0}")]
    Storage(String),
}

fn no_feasible_message(name: &str, complete: usize) -> String {
    let rule = "a trial is feasible when every constraint value is <= 0";
    match complete {
        1 => format!("study '{name}': 1 trial completed, but it is not feasible (it violates a constraint; {rule})"),
        n => format!("study '{name}': {n} trials completed, but none is feasible (each violates a constraint; {rule})"),
    }
}

/// Result with the engine's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
