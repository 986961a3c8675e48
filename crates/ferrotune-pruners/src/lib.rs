//! Pruners: rules that stop unpromising trials early.
//!
//! Design decision: a pruner is a pure function of the study snapshot and
//! the running trial's intermediate values, like a sampler, so each rule is
//! tested on hand-made learning curves without running anything. Where
//! Optuna's pruners write bookkeeping into trial attributes (successive
//! halving's rungs), ours recompute it from the intermediate values.

mod hyperband;
mod patient;
mod percentile;
mod successive_halving;
mod threshold;
mod wilcoxon;

pub use hyperband::HyperbandPruner;
pub use patient::PatientPruner;
pub use percentile::{MedianPruner, PercentilePruner};
pub use successive_halving::SuccessiveHalvingPruner;
pub use threshold::ThresholdPruner;
pub use wilcoxon::{wilcoxon_p_value, Alternative, WilcoxonPruner};

use ferrotune_core::{Error, FrozenTrial, Pruner, Result, StudyDirection, StudyView};

/// Never prunes. The default.
#[derive(Debug, Clone, Copy, Default)]
pub struct NopPruner;

impl Pruner for NopPruner {
    fn prune(&self, _study: &StudyView<'_>, _trial: &FrozenTrial) -> Result<bool> {
        Ok(false)
    }
}

/// `value` if it is at least `min`, else an error naming the option.
pub(crate) fn at_least(option: &str, value: u64, min: u64) -> Result<u64> {
    if value < min {
        return Err(Error::InvalidArgument(format!("{option} must be at least {min}, got {value}")));
    }
    Ok(value)
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
