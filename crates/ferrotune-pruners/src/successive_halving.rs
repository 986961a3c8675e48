use std::sync::Mutex;

use ferrotune_core::{FrozenTrial, Pruner, Result, StudyDirection, StudyView, TrialState};

/// Asynchronous successive halving (ASHA; Li et al. 2020), with Optuna's
/// `SuccessiveHalvingPruner` rule: rung `r` sits at step
/// `min_resource * reduction_factor^(min_early_stopping_rate + r)`; a trial
/// reaching a rung continues only if its value is in the top
/// `1 / reduction_factor` of all values recorded at that rung so far
/// (while fewer than `reduction_factor` exist, only the best continues).
///
/// Unlike Optuna, nothing is written to storage: a trial's value at a rung
/// is read off its intermediate values (the value at its first report at
/// or after the rung's step), which keeps the pruner pure. The two agree
/// except when one report jumps past several rungs at once.
///
/// Made by [`SuccessiveHalvingPruner::builder`] (or `new()` for Optuna's
/// defaults).
#[derive(Debug)]
pub struct SuccessiveHalvingPruner {
    /// `None` = "auto": 1% of the longest completed trial, at least 1.
    min_resource: Option<u64>,
    reduction_factor: u64,
    min_early_stopping_rate: u32,
    bootstrap_count: usize,
    /// "auto" resolves once, when the first trial completes, as in Optuna.
    resolved_min_resource: Mutex<Option<u64>>,
}

impl Clone for SuccessiveHalvingPruner {
    fn clone(&self) -> Self {
        SuccessiveHalvingPruner {
            min_resource: self.min_resource,
            reduction_factor: self.reduction_factor,
            min_early_stopping_rate: self.min_early_stopping_rate,
            bootstrap_count: self.bootstrap_count,
            resolved_min_resource: Mutex::new(*self.resolved_min_resource.lock().unwrap_or_else(|p| p.into_inner())),
        }
    }
}

/// Options of a [`SuccessiveHalvingPruner`], checked by
/// [`SuccessiveHalvingPrunerBuilder::build`].
#[derive(Debug, Clone)]
pub struct SuccessiveHalvingPrunerBuilder {
    min_resource: Option<u64>,
    reduction_factor: u64,
    min_early_stopping_rate: u32,
    bootstrap_count: usize,
}

impl SuccessiveHalvingPruner {
    /// Optuna's defaults: min_resource "auto", reduction factor 4, early
    /// stopping rate 0, no bootstrap.
    pub fn builder() -> SuccessiveHalvingPrunerBuilder {
        SuccessiveHalvingPrunerBuilder {
            min_resource: None,
            reduction_factor: 4,
            min_early_stopping_rate: 0,
            bootstrap_count: 0,
        }
    }

    /// A pruner with Optuna's defaults.
    pub fn new() -> Self {
        Self::builder().build().expect("the defaults are valid")
    }
}

impl SuccessiveHalvingPrunerBuilder {
    /// Steps before the first rung, at least 1; `None` (the default,
    /// Optuna's "auto") takes 1% of the longest trial once the first trial
    /// completes.
    pub fn min_resource(mut self, steps: Option<u64>) -> Self {
        self.min_resource = steps;
        self
    }

    /// Keep the top `1 / factor` at each rung (default 4, at least 2).
    pub fn reduction_factor(mut self, factor: u64) -> Self {
        self.reduction_factor = factor;
        self
    }

    /// Shift every rung up by this many powers of the reduction factor
    /// (default 0).
    pub fn min_early_stopping_rate(mut self, rate: u32) -> Self {
        self.min_early_stopping_rate = rate;
        self
    }

    /// Prune the first `count` trials to reach each rung: they only seed it
    /// (default 0; more needs an explicit `min_resource`).
    pub fn bootstrap_count(mut self, count: usize) -> Self {
        self.bootstrap_count = count;
        self
    }

    /// Check the options and make the pruner.
    pub fn build(self) -> Result<SuccessiveHalvingPruner> {
        if let Some(steps) = self.min_resource {
            crate::at_least("min_resource", steps, 1)?;
        }
        crate::at_least("reduction_factor", self.reduction_factor, 2)?;
        if self.bootstrap_count > 0 && self.min_resource.is_none() {
            return Err(crate::invalid("bootstrap_count", "needs an explicit min_resource, not auto"));
        }
        Ok(SuccessiveHalvingPruner {
            min_resource: self.min_resource,
            reduction_factor: self.reduction_factor,
            min_early_stopping_rate: self.min_early_stopping_rate,
            bootstrap_count: self.bootstrap_count,
            resolved_min_resource: Mutex::new(None),
        })
    }
}

impl SuccessiveHalvingPruner {
    fn resolve_min_resource(&self, study: &StudyView<'_>) -> Option<u64> {
        if let Some(m) = self.min_resource {
            return Some(m);
        }
        let mut resolved = self.resolved_min_resource.lock().unwrap_or_else(|p| p.into_inner());
        if resolved.is_none() {
            let longest =
                study.trials_in(&[TrialState::Complete]).filter_map(|t| t.last_intermediate()).map(|(s, _)| s).max()?;
            *resolved = Some((longest / 100).max(1));
        }
        *resolved
    }

    fn promotion_step(&self, min_resource: u64, rung: u32) -> u64 {
        let power =
            self.reduction_factor.checked_pow(self.min_early_stopping_rate.saturating_add(rung)).unwrap_or(u64::MAX);
        min_resource.saturating_mul(power)
    }
}

impl Default for SuccessiveHalvingPruner {
    fn default() -> Self {
        Self::new()
    }
}

/// The value `trial` recorded at the rung whose step is `promotion_step`.
fn rung_value(trial: &FrozenTrial, promotion_step: u64) -> Option<f64> {
    trial.intermediate_values.range(promotion_step..).next().map(|(_, v)| *v).filter(|v| !v.is_nan())
}

impl SuccessiveHalvingPruner {
    /// Whether `value` is in the top `1 / reduction_factor` of `competing`
    /// (which includes it).
    fn promotable(&self, value: f64, mut competing: Vec<f64>, direction: StudyDirection) -> bool {
        let k = (competing.len() / self.reduction_factor as usize).saturating_sub(1);
        competing.sort_by(f64::total_cmp);
        match direction {
            StudyDirection::Minimize => value <= competing[k],
            StudyDirection::Maximize => value >= competing[competing.len() - 1 - k],
        }
    }
}

impl Pruner for SuccessiveHalvingPruner {
    fn prune(&self, study: &StudyView<'_>, trial: &FrozenTrial) -> Result<bool> {
        let direction = crate::single_direction(study, "successive halving")?;
        let Some((step, value)) = trial.last_intermediate() else { return Ok(false) };
        let Some(min_resource) = self.resolve_min_resource(study) else { return Ok(false) };
        // Rungs an earlier report already passed were judged then.
        let mut rung = 0;
        while trial
            .intermediate_values
            .range(self.promotion_step(min_resource, rung)..)
            .next()
            .is_some_and(|(&first, _)| first < step)
        {
            rung += 1;
        }
        loop {
            let promotion_step = self.promotion_step(min_resource, rung);
            if step < promotion_step {
                return Ok(false);
            }
            if value.is_nan() {
                return Ok(true);
            }
            let mut competing: Vec<f64> = study
                .trials
                .iter()
                .filter(|t| t.number != trial.number)
                .filter_map(|t| rung_value(t, promotion_step))
                .collect();
            competing.push(value);
            if competing.len() <= self.bootstrap_count || !self.promotable(value, competing, direction) {
                return Ok(true);
            }
            rung += 1;
        }
    }
}
