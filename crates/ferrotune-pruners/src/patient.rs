use std::sync::Arc;

use ferrotune_core::{FrozenTrial, Pruner, Result, StudyDirection, StudyView};

/// Waits for `patience` steps without improvement before consulting the
/// wrapped pruner (or pruning, if there is none) — Optuna's
/// `PatientPruner`. As in Optuna, a trial counts as stagnant when the best
/// of its last `patience + 1` reports is worse than the best before them by
/// more than `min_delta` (a tolerance for getting worse; equal is not
/// stagnant). NaN reports are ignored; a window of only NaN never prunes.
/// Made by [`PatientPruner::builder`].
#[derive(Clone)]
pub struct PatientPruner {
    wrapped: Option<Arc<dyn Pruner>>,
    patience: usize,
    min_delta: f64,
}

impl std::fmt::Debug for PatientPruner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PatientPruner")
            .field("wraps", &self.wrapped.is_some())
            .field("patience", &self.patience)
            .field("min_delta", &self.min_delta)
            .finish()
    }
}

/// Options of a [`PatientPruner`], checked by
/// [`PatientPrunerBuilder::build`].
#[derive(Clone)]
pub struct PatientPrunerBuilder {
    wrapped_pruner: Option<Arc<dyn Pruner>>,
    patience: Option<usize>,
    min_delta: f64,
}

impl std::fmt::Debug for PatientPrunerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PatientPrunerBuilder")
            .field("wraps", &self.wrapped_pruner.is_some())
            .field("patience", &self.patience)
            .field("min_delta", &self.min_delta)
            .finish()
    }
}

impl PatientPruner {
    /// No wrapped pruner, `min_delta` 0 (Optuna's default); `patience` has
    /// no default and must be set.
    pub fn builder() -> PatientPrunerBuilder {
        PatientPrunerBuilder { wrapped_pruner: None, patience: None, min_delta: 0.0 }
    }
}

impl PatientPrunerBuilder {
    /// The pruner to ask once the trial has stagnated (default: none, and a
    /// stagnant trial is pruned).
    pub fn wrapped_pruner(self, pruner: impl Pruner + 'static) -> Self {
        self.wrapped_pruner_arc(Arc::new(pruner))
    }

    /// [`PatientPrunerBuilder::wrapped_pruner`] for a pruner already shared.
    pub fn wrapped_pruner_arc(mut self, pruner: Arc<dyn Pruner>) -> Self {
        self.wrapped_pruner = Some(pruner);
        self
    }

    /// Reports without improvement to wait for. Required.
    pub fn patience(mut self, steps: usize) -> Self {
        self.patience = Some(steps);
        self
    }

    /// How much worse than the best before the window still counts as no
    /// worse (default 0, a non-negative number).
    pub fn min_delta(mut self, delta: f64) -> Self {
        self.min_delta = delta;
        self
    }

    /// Check the options and make the pruner.
    pub fn build(self) -> Result<PatientPruner> {
        let Some(patience) = self.patience else {
            return Err(crate::invalid(
                "patience",
                "is missing (the number of reports without improvement to wait for)",
            ));
        };
        if !(self.min_delta >= 0.0 && self.min_delta.is_finite()) {
            return Err(crate::invalid(
                "min_delta",
                format_args!("must be a non-negative number, got {}", self.min_delta),
            ));
        }
        Ok(PatientPruner { wrapped: self.wrapped_pruner, patience, min_delta: self.min_delta })
    }
}

fn best(values: impl Iterator<Item = f64>, direction: StudyDirection) -> f64 {
    let finite = values.filter(|v| !v.is_nan());
    match direction {
        StudyDirection::Minimize => finite.fold(f64::NAN, f64::min),
        StudyDirection::Maximize => finite.fold(f64::NAN, f64::max),
    }
}

impl Pruner for PatientPruner {
    fn prune(&self, study: &StudyView<'_>, trial: &FrozenTrial) -> Result<bool> {
        let direction = crate::single_direction(study, "patient")?;
        let values: Vec<f64> = trial.intermediate_values.values().copied().collect();
        if values.len() <= self.patience + 1 {
            return Ok(false);
        }
        let split = values.len() - (self.patience + 1);
        let (before, after) =
            (best(values[..split].iter().copied(), direction), best(values[split..].iter().copied(), direction));
        // NaN (a window of only NaN) makes both comparisons false.
        let stagnant = match direction {
            StudyDirection::Minimize => before + self.min_delta < after,
            StudyDirection::Maximize => before - self.min_delta > after,
        };
        match (&self.wrapped, stagnant) {
            (_, false) => Ok(false),
            (Some(inner), true) => inner.prune(study, trial),
            (None, true) => Ok(true),
        }
    }
}
