use std::sync::Arc;

use ferrotune_core::{Error, FrozenTrial, Pruner, Result, StudyDirection, StudyView};

/// Waits for `patience` steps without improvement before consulting the
/// wrapped pruner (or pruning, if there is none) — Optuna's
/// `PatientPruner`. As in Optuna, a trial counts as stagnant when the best
/// of its last `patience + 1` reports is worse than the best before them by
/// more than `min_delta` (a tolerance for getting worse; equal is not
/// stagnant). NaN reports are ignored; a window of only NaN never prunes.
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

impl PatientPruner {
    /// Patience alone, or in front of another pruner.
    pub fn new(wrapped: Option<Arc<dyn Pruner>>, patience: usize, min_delta: f64) -> Result<Self> {
        if !(min_delta >= 0.0 && min_delta.is_finite()) {
            return Err(Error::InvalidArgument(format!("min_delta must be a non-negative number, got {min_delta}")));
        }
        Ok(PatientPruner { wrapped, patience, min_delta })
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
