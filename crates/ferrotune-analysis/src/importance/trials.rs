//! What every importance evaluator does the same way: which trials count,
//! the score each is judged by, which parameters are assessed, and how the
//! importances are reported (sorted, normalized).
//!
//! Design decision: the evaluators share these steps rather than each
//! deciding, so switching evaluator never changes which trials or
//! parameters are looked at, only how they are judged.

use std::collections::BTreeSet;
use std::sync::Arc;

use ferrotune_core::{Error, FrozenTrial, Result, StudyDirection, TrialState};

/// A trial's score for importance, lower being better: a function of the
/// trial (one objective of several, negated to maximize; the duration).
pub type Target = Arc<dyn Fn(&FrozenTrial) -> f64 + Send + Sync>;

/// The complete trials of a study with a finite score, and the parameters
/// to assess.
pub(crate) struct Scored<'a> {
    /// Complete trials whose score is finite, in the order given.
    pub trials: Vec<&'a FrozenTrial>,
    /// Each trial's score, lower being better.
    pub losses: Vec<f64>,
    /// Each trial's objective values as losses (maximized ones negated),
    /// when a study of several objectives is judged without a target (by
    /// [`scored_by_pareto`]); empty otherwise.
    pub loss_vectors: Vec<Vec<f64>>,
    /// The parameters to assess, by name.
    pub params: Vec<String>,
}

/// The complete trials with a finite score and the parameters to assess.
///
/// The score is `target` when given (taken as it is, lower being better,
/// as Optuna does), else the objective value negated when maximized.
/// Several objectives need a `target`. Each parameter asked for must
/// appear in some complete trial; without `params`, every parameter of a
/// complete trial is assessed, conditional ones included, by name.
pub(crate) fn scored<'a>(
    trials: &'a [Arc<FrozenTrial>],
    directions: &[StudyDirection],
    params: Option<&[String]>,
    target: Option<&Target>,
) -> Result<Scored<'a>> {
    let Some(&direction) = directions.first() else {
        return Err(Error::InvalidArgument("importance needs the study's directions; none were given".into()));
    };
    if directions.len() > 1 && target.is_none() {
        return Err(Error::InvalidArgument(format!(
            "the study has {} objectives: pass a target saying which to judge by, e.g. the first objective \
             (|t| t.values[0], negated if it is maximized)",
            directions.len()
        )));
    }
    let complete: Vec<&FrozenTrial> =
        trials.iter().map(|t| t.as_ref()).filter(|t| t.state == TrialState::Complete).collect();
    let params = resolve_params(&complete, params)?;

    let sign = match (target, direction) {
        (None, StudyDirection::Maximize) => -1.0,
        _ => 1.0,
    };
    let mut scored = Vec::with_capacity(complete.len());
    let mut losses = Vec::with_capacity(complete.len());
    for trial in complete {
        let loss = match target {
            Some(target) => target(trial),
            None => match trial.values.as_deref() {
                Some(values @ [first, ..]) if values.iter().all(|v| v.is_finite()) => sign * first,
                _ => f64::NAN,
            },
        };
        if loss.is_finite() {
            scored.push(trial);
            losses.push(loss);
        }
    }
    Ok(Scored { trials: scored, losses, params, loss_vectors: Vec::new() })
}

/// As [`scored`], for a study of several objectives judged without a
/// target: the complete trials whose values are all finite, with their
/// values as losses in `loss_vectors` (`losses` left empty), so an
/// evaluator can rank them by Pareto dominance as Optuna 5's PED-ANOVA
/// does.
pub(crate) fn scored_by_pareto<'a>(
    trials: &'a [Arc<FrozenTrial>],
    directions: &[StudyDirection],
    params: Option<&[String]>,
) -> Result<Scored<'a>> {
    let complete: Vec<&FrozenTrial> =
        trials.iter().map(|t| t.as_ref()).filter(|t| t.state == TrialState::Complete).collect();
    let params = resolve_params(&complete, params)?;
    let mut scored = Vec::with_capacity(complete.len());
    let mut loss_vectors = Vec::with_capacity(complete.len());
    for trial in complete {
        if let Some(values) = trial.values.as_deref() {
            if values.len() == directions.len() && values.iter().all(|v| v.is_finite()) {
                scored.push(trial);
                loss_vectors.push(values.iter().zip(directions).map(|(&v, d)| d.as_loss(v)).collect());
            }
        }
    }
    Ok(Scored { trials: scored, losses: Vec::new(), params, loss_vectors })
}

/// The parameters to assess: the ones asked for, each of which must appear
/// in some complete trial, or every parameter of a complete trial, by name.
fn resolve_params(complete: &[&FrozenTrial], asked: Option<&[String]>) -> Result<Vec<String>> {
    let present: BTreeSet<&str> = complete.iter().flat_map(|t| t.params.keys().map(String::as_str)).collect();
    match asked {
        None => Ok(present.into_iter().map(str::to_owned).collect()),
        Some(asked) => {
            let missing: Vec<&str> = asked.iter().map(String::as_str).filter(|p| !present.contains(p)).collect();
            if missing.is_empty() {
                Ok(asked.to_vec())
            } else {
                Err(Error::InvalidArgument(format!(
                    "every parameter assessed must appear in a complete trial; missing: {}",
                    missing.join(", ")
                )))
            }
        }
    }
}

/// Importances highest first (ties by name), scaled to sum to one when
/// `normalize` (equal shares when every importance is zero).
pub(crate) fn report(mut importances: Vec<(String, f64)>, normalize: bool) -> Vec<(String, f64)> {
    importances.sort_by(|(a_name, a), (b_name, b)| b.total_cmp(a).then_with(|| a_name.cmp(b_name)));
    if normalize && !importances.is_empty() {
        let sum: f64 = importances.iter().map(|(_, v)| v).sum();
        let n = importances.len() as f64;
        for (_, v) in &mut importances {
            *v = if sum == 0.0 { 1.0 / n } else { *v / sum };
        }
    }
    importances
}
