use ferrotune_core::{Error, FrozenTrial, Pruner, Result, StudyView};

use crate::is_first_in_interval;

/// Prunes a trial whose latest intermediate value leaves `[lower, upper]`
/// or is NaN (Optuna's `ThresholdPruner`). Bounds are exclusive of pruning:
/// a value equal to a bound is kept. Direction plays no part.
#[derive(Debug, Clone)]
pub struct ThresholdPruner {
    lower: f64,
    upper: f64,
    n_warmup_steps: u64,
    interval_steps: u64,
}

impl ThresholdPruner {
    /// A pruner with the given bounds; at least one must be given.
    pub fn new(lower: Option<f64>, upper: Option<f64>) -> Result<Self> {
        if lower.is_none() && upper.is_none() {
            return Err(Error::InvalidArgument("a threshold pruner needs lower, upper or both".into()));
        }
        let (lower, upper) = (lower.unwrap_or(f64::NEG_INFINITY), upper.unwrap_or(f64::INFINITY));
        if lower.is_nan() || upper.is_nan() || lower > upper {
            return Err(Error::InvalidArgument(format!("lower ({lower}) must not be greater than upper ({upper})")));
        }
        Ok(ThresholdPruner { lower, upper, n_warmup_steps: 0, interval_steps: 1 })
    }

    /// Never prune before this step.
    pub fn n_warmup_steps(mut self, n: u64) -> Self {
        self.n_warmup_steps = n;
        self
    }

    /// Check only the first report at or after every this many steps.
    pub fn interval_steps(mut self, n: u64) -> Result<Self> {
        self.interval_steps = crate::at_least("interval_steps", n, 1)?;
        Ok(self)
    }
}

impl Pruner for ThresholdPruner {
    fn prune(&self, _study: &StudyView<'_>, trial: &FrozenTrial) -> Result<bool> {
        let Some((step, value)) = trial.last_intermediate() else { return Ok(false) };
        if !is_first_in_interval(step, trial, self.n_warmup_steps, self.interval_steps) {
            return Ok(false);
        }
        Ok(value.is_nan() || value < self.lower || value > self.upper)
    }
}
