//! Pruners: rules that stop unpromising trials early.
//!
//! Design decision: a pruner is a pure function of the study snapshot and
//! the running trial's intermediate values, like a sampler, so each rule is
//! tested on hand-made learning curves without running anything.

mod percentile;

pub use percentile::{MedianPruner, PercentilePruner};

use ferrotune_core::{FrozenTrial, Pruner, Result, StudyView};

/// Never prunes. The default.
#[derive(Debug, Clone, Copy, Default)]
pub struct NopPruner;

impl Pruner for NopPruner {
    fn prune(&self, _study: &StudyView<'_>, _trial: &FrozenTrial) -> Result<bool> {
        Ok(false)
    }
}
