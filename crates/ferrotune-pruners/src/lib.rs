//! Pruners: rules that stop unpromising trials early.
//!
//! Design decision: a pruner is a pure function of the study snapshot and
//! the running trial's intermediate values, like a sampler, so each rule is
//! tested on hand-made learning curves without running anything. Where
//! Optuna's pruners write bookkeeping into trial attributes (successive
//! halving's rungs), ours recompute it from the intermediate values.
//!
//! Every pruner is made the way samplers are: `builder()`, plain setters
//! named after Optuna's arguments (each documents its default, Optuna's
//! unless it says otherwise), then `build()`, which checks all the options
//! at once. The order of the setters never matters, and only `build` can
//! fail. The message of a `build` error begins with the name of the option
//! at fault, so that each face (the CLI's TOML keys, Python's arguments)
//! can point at its own spelling of it. Pruners whose defaults are complete
//! also have an infallible `new()`.
//!
//! ```
//! use ferrotune_pruners::*;
//!
//! # fn main() -> ferrotune_core::Result<()> {
//! let median = MedianPruner::builder().n_startup_trials(5).n_warmup_steps(10).build()?;
//! let quarter = PercentilePruner::builder().percentile(25.0).interval_steps(2).build()?;
//! // bootstrap_count needs an explicit min_resource; either order is fine.
//! let asha = SuccessiveHalvingPruner::builder().bootstrap_count(2).min_resource(Some(4)).build()?;
//! let hyperband = HyperbandPruner::builder().min_resource(1).max_resource(Some(81)).reduction_factor(3).build()?;
//! let threshold = ThresholdPruner::builder().upper(10.0).n_warmup_steps(3).build()?;
//! let patient = PatientPruner::builder().patience(3).min_delta(0.01).wrapped_pruner(median).build()?;
//! let wilcoxon = WilcoxonPruner::builder().p_threshold(0.05).n_startup_steps(2).build()?;
//! let nop = NopPruner::builder().build()?;
//! # let _ = (quarter, asha, hyperband, threshold, patient, wilcoxon, nop);
//!
//! // Hyperband's full budget must reach its first rung.
//! let err = HyperbandPruner::builder().min_resource(10).max_resource(Some(3)).build().unwrap_err();
//! assert!(err.to_string().contains("max_resource (3) is below min_resource (10)"));
//! # Ok(())
//! # }
//! ```

mod hyperband;
pub mod options;
mod patient;
mod percentile;
mod successive_halving;
mod threshold;
mod wilcoxon;

pub use hyperband::{HyperbandPruner, HyperbandPrunerBuilder};
pub use options::{patient_builder, pruner_spec, PrunerSpec, PRUNERS};
pub use patient::{PatientPruner, PatientPrunerBuilder};
pub use percentile::{MedianPruner, MedianPrunerBuilder, PercentilePruner, PercentilePrunerBuilder};
pub use successive_halving::{SuccessiveHalvingPruner, SuccessiveHalvingPrunerBuilder};
pub use threshold::{ThresholdPruner, ThresholdPrunerBuilder};
pub use wilcoxon::{wilcoxon_p_value, Alternative, WilcoxonPruner, WilcoxonPrunerBuilder};

use ferrotune_core::{Error, FrozenTrial, Pruner, Result, StudyDirection, StudyView};

/// Never prunes. The default. It has no options: `NopPruner` itself is
/// the pruner, and [`NopPruner::builder`] exists so that every pruner is
/// made the same way.
#[derive(Debug, Clone, Copy, Default)]
pub struct NopPruner;

/// The (empty) options of a [`NopPruner`].
#[derive(Debug, Clone, Copy, Default)]
pub struct NopPrunerBuilder;

impl NopPruner {
    /// No options to set.
    pub fn builder() -> NopPrunerBuilder {
        NopPrunerBuilder
    }
}

impl NopPrunerBuilder {
    /// The pruner; never fails.
    pub fn build(self) -> Result<NopPruner> {
        Ok(NopPruner)
    }
}

impl Pruner for NopPruner {
    fn prune(&self, _study: &StudyView<'_>, _trial: &FrozenTrial) -> Result<bool> {
        Ok(false)
    }
}

/// The error for an invalid option: its message begins with the option's
/// name (faces map it to their own key by that name).
pub(crate) fn invalid(option: &str, problem: impl std::fmt::Display) -> Error {
    Error::InvalidArgument(format!("{option} {problem}"))
}

/// Ok if `value` is at least `min`, else an error naming the option.
pub(crate) fn at_least(option: &str, value: u64, min: u64) -> Result<()> {
    if value < min {
        return Err(invalid(option, format_args!("must be at least {min}, got {value}")));
    }
    Ok(())
}

/// The study's one direction, or a clear error for multi-objective studies.
pub(crate) fn single_direction(study: &StudyView<'_>, pruner: &str) -> Result<StudyDirection> {
    match study.directions {
        [d] => Ok(*d),
        _ => Err(Error::InvalidArgument(format!("the {pruner} pruner needs a single-objective study"))),
    }
}

/// Whether `step` is the first reported step at or after the latest
/// checkpoint `warmup + k * interval` (so a trial reporting every step with
/// `interval = 3` is judged at steps 0, 3, 6, ..., and a checkpoint with no
/// report is judged at the next report). False during the warm-up.
pub(crate) fn is_first_in_interval(step: u64, trial: &FrozenTrial, warmup: u64, interval: u64) -> bool {
    if step < warmup {
        return false;
    }
    let checkpoint = (step - warmup) / interval * interval + warmup;
    let previous = trial.intermediate_values.keys().copied().filter(|&s| s != step).max();
    previous.is_none_or(|p| p < checkpoint)
}
