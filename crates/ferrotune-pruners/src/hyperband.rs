use std::sync::{Arc, Mutex};

use ferrotune_core::{FrozenTrial, Pruner, Result, StudyView, TrialState};

use crate::SuccessiveHalvingPruner;

/// Hyperband (Li et al. 2018) as Optuna runs it: several successive-halving
/// brackets with different first rungs, each trial assigned to one bracket
/// by a hash of the study name and trial number, each bracket judging its
/// trials only against its own. Through [`Pruner::trial_group`], samplers
/// also see only the trials of the same bracket, so their models are not
/// mixed across budgets; combined with TPE this is a BOHB-style search.
///
/// Made by [`HyperbandPruner::builder`] (or `new()` for Optuna's
/// defaults). With `max_resource` "auto", nothing is pruned until a
/// completed trial has reached `min_resource` steps (before that there is
/// no bracket).
#[derive(Debug)]
pub struct HyperbandPruner {
    min_resource: u64,
    /// `None` = "auto": the longest completed trial's last step + 1.
    max_resource: Option<u64>,
    reduction_factor: u64,
    bootstrap_count: usize,
    brackets: Mutex<Option<Arc<Brackets>>>,
}

#[derive(Debug)]
struct Brackets {
    budgets: Vec<u64>,
    total: u64,
    pruners: Vec<SuccessiveHalvingPruner>,
}

/// Options of a [`HyperbandPruner`], checked by
/// [`HyperbandPrunerBuilder::build`].
#[derive(Debug, Clone)]
pub struct HyperbandPrunerBuilder {
    min_resource: u64,
    max_resource: Option<u64>,
    reduction_factor: u64,
    bootstrap_count: usize,
}

impl HyperbandPruner {
    /// Optuna's defaults: min_resource 1, max_resource "auto", reduction
    /// factor 3, no bootstrap.
    pub fn builder() -> HyperbandPrunerBuilder {
        HyperbandPrunerBuilder { min_resource: 1, max_resource: None, reduction_factor: 3, bootstrap_count: 0 }
    }

    /// A pruner with Optuna's defaults.
    pub fn new() -> Self {
        Self::builder().build().expect("the defaults are valid")
    }
}

impl HyperbandPrunerBuilder {
    /// Steps before the most aggressive bracket's first rung (default 1, at
    /// least 1).
    pub fn min_resource(mut self, steps: u64) -> Self {
        self.min_resource = steps;
        self
    }

    /// The number of steps of a full trial, at least `min_resource`; `None`
    /// (the default, Optuna's "auto") learns it from the first completed
    /// trial.
    pub fn max_resource(mut self, steps: Option<u64>) -> Self {
        self.max_resource = steps;
        self
    }

    /// Keep the top `1 / factor` at each rung (default 3, at least 2).
    pub fn reduction_factor(mut self, factor: u64) -> Self {
        self.reduction_factor = factor;
        self
    }

    /// Passed to each bracket's successive halving (default 0; more needs
    /// an explicit `max_resource`).
    pub fn bootstrap_count(mut self, count: usize) -> Self {
        self.bootstrap_count = count;
        self
    }

    /// Check the options and make the pruner.
    pub fn build(self) -> Result<HyperbandPruner> {
        crate::at_least("min_resource", self.min_resource, 1)?;
        if let Some(max) = self.max_resource {
            crate::at_least("max_resource", max, 1)?;
            // With max below min there would be no bracket, and nothing would
            // ever be pruned.
            if max < self.min_resource {
                return Err(crate::invalid(
                    "max_resource",
                    format_args!(
                        "({max}) is below min_resource ({}): a trial's full budget must be at least its first rung",
                        self.min_resource
                    ),
                ));
            }
        }
        crate::at_least("reduction_factor", self.reduction_factor, 2)?;
        if self.bootstrap_count > 0 && self.max_resource.is_none() {
            return Err(crate::invalid("bootstrap_count", "needs an explicit max_resource, not auto"));
        }
        Ok(HyperbandPruner {
            min_resource: self.min_resource,
            max_resource: self.max_resource,
            reduction_factor: self.reduction_factor,
            bootstrap_count: self.bootstrap_count,
            brackets: Mutex::new(None),
        })
    }
}

impl HyperbandPruner {
    /// The brackets, built once max_resource is known.
    fn brackets(&self, study: &StudyView<'_>) -> Result<Option<Arc<Brackets>>> {
        let mut slot = self.brackets.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(b) = slot.as_ref() {
            return Ok(Some(b.clone()));
        }
        let max_resource = match self.max_resource {
            Some(m) => m,
            None => match study
                .trials_in(&[TrialState::Complete])
                .filter_map(|t| t.last_intermediate())
                .map(|(s, _)| s)
                .max()
            {
                Some(longest) => longest + 1,
                None => return Ok(None),
            },
        };
        let ratio = max_resource as f64 / self.min_resource as f64;
        let n = ((ratio.ln() / (self.reduction_factor as f64).ln()).floor() + 1.0).max(0.0) as usize;
        if n == 0 {
            return Ok(None);
        }
        let mut budgets = Vec::with_capacity(n);
        let mut pruners = Vec::with_capacity(n);
        for b in 0..n {
            let s = (n - 1 - b) as i32;
            budgets.push((n as f64 * (self.reduction_factor as f64).powi(s) / f64::from(s + 1)).ceil() as u64);
            pruners.push(
                SuccessiveHalvingPruner::builder()
                    .min_resource(Some(self.min_resource))
                    .reduction_factor(self.reduction_factor)
                    .min_early_stopping_rate(b as u32)
                    .bootstrap_count(self.bootstrap_count)
                    .build()?,
            );
        }
        let brackets = Arc::new(Brackets { total: budgets.iter().sum(), budgets, pruners });
        *slot = Some(brackets.clone());
        Ok(Some(brackets))
    }

    /// Number of brackets, once known.
    pub fn n_brackets(&self, study: &StudyView<'_>) -> Result<Option<usize>> {
        Ok(self.brackets(study)?.map(|b| b.budgets.len()))
    }

    fn bracket_of(brackets: &Brackets, study_name: &str, number: u64) -> usize {
        let mut rest = u64::from(crc32fast::hash(format!("{study_name}_{number}").as_bytes())) % brackets.total;
        for (b, &budget) in brackets.budgets.iter().enumerate() {
            if rest < budget {
                return b;
            }
            rest -= budget;
        }
        brackets.budgets.len() - 1
    }
}

impl Default for HyperbandPruner {
    fn default() -> Self {
        Self::new()
    }
}

impl Pruner for HyperbandPruner {
    fn prune(&self, study: &StudyView<'_>, trial: &FrozenTrial) -> Result<bool> {
        let Some(brackets) = self.brackets(study)? else { return Ok(false) };
        let bracket = Self::bracket_of(&brackets, study.study_name, trial.number);
        let same_bracket: Vec<Arc<FrozenTrial>> = study
            .trials
            .iter()
            .filter(|t| Self::bracket_of(&brackets, study.study_name, t.number) == bracket)
            .cloned()
            .collect();
        let view = StudyView { trials: &same_bracket, ..*study };
        brackets.pruners[bracket].prune(&view, trial)
    }

    fn trial_group(&self, study: &StudyView<'_>, trial_number: u64) -> Result<Option<u64>> {
        Ok(self.brackets(study)?.map(|b| Self::bracket_of(&b, study.study_name, trial_number) as u64))
    }
}
