use ferrotune_core::{FrozenTrial, Pruner, Result, StudyView};

use crate::is_first_in_interval;

/// Prunes a trial whose latest intermediate value leaves `[lower, upper]`
/// or is NaN (Optuna's `ThresholdPruner`). Bounds are exclusive of pruning:
/// a value equal to a bound is kept. Direction plays no part. Made by
/// [`ThresholdPruner::builder`].
#[derive(Debug, Clone)]
pub struct ThresholdPruner {
    lower: f64,
    upper: f64,
    n_warmup_steps: u64,
    interval_steps: u64,
}

/// Options of a [`ThresholdPruner`], checked by
/// [`ThresholdPrunerBuilder::build`].
#[derive(Debug, Clone)]
pub struct ThresholdPrunerBuilder {
    lower: Option<f64>,
    upper: Option<f64>,
    n_warmup_steps: u64,
    interval_steps: u64,
}

impl ThresholdPruner {
    /// Optuna's defaults: no warm-up, every step. No bound is set, and at
    /// least one must be.
    pub fn builder() -> ThresholdPrunerBuilder {
        ThresholdPrunerBuilder { lower: None, upper: None, n_warmup_steps: 0, interval_steps: 1 }
    }
}

impl ThresholdPrunerBuilder {
    /// Prune below this value (`None`, the default: no lower bound).
    pub fn lower(mut self, lower: impl Into<Option<f64>>) -> Self {
        self.lower = lower.into();
        self
    }

    /// Prune above this value (`None`, the default: no upper bound).
    pub fn upper(mut self, upper: impl Into<Option<f64>>) -> Self {
        self.upper = upper.into();
        self
    }

    /// Never prune before this step (default 0).
    pub fn n_warmup_steps(mut self, n: u64) -> Self {
        self.n_warmup_steps = n;
        self
    }

    /// Check only the first report at or after every this many steps
    /// (default 1, at least 1).
    pub fn interval_steps(mut self, n: u64) -> Self {
        self.interval_steps = n;
        self
    }

    /// Check the options and make the pruner.
    pub fn build(self) -> Result<ThresholdPruner> {
        if self.lower.is_none() && self.upper.is_none() {
            return Err(crate::invalid(
                "lower",
                "or upper must be given: a threshold pruner needs lower, upper or both",
            ));
        }
        if self.lower.is_some_and(f64::is_nan) {
            return Err(crate::invalid("lower", "must be a number, got NaN"));
        }
        if self.upper.is_some_and(f64::is_nan) {
            return Err(crate::invalid("upper", "must be a number, got NaN"));
        }
        let (lower, upper) = (self.lower.unwrap_or(f64::NEG_INFINITY), self.upper.unwrap_or(f64::INFINITY));
        if lower > upper {
            return Err(crate::invalid("lower", format_args!("({lower}) must not be greater than upper ({upper})")));
        }
        crate::at_least("interval_steps", self.interval_steps, 1)?;
        Ok(ThresholdPruner { lower, upper, n_warmup_steps: self.n_warmup_steps, interval_steps: self.interval_steps })
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
