//! Several objectives: the Pareto front and the hypervolume's history.

use std::sync::Arc;

use ferrotune_core::{pareto_front as front_of, Error, FrozenTrial, Result, StudyDirection, TrialState};

use super::{thin, HypervolumeHistory, ParetoFront, ParetoPoint, PlotOptions};
use crate::pareto::hypervolume;

/// The objectives shown: the ones asked for (each a valid index, no
/// repeats), or the first `max_shown`.
fn shown_objectives(directions: &[StudyDirection], asked: Option<&[usize]>, max_shown: usize) -> Result<Vec<usize>> {
    let n = directions.len();
    match asked {
        None => Ok((0..n.min(max_shown)).collect()),
        Some(asked) => {
            if let Some(bad) = asked.iter().find(|&&i| i >= n) {
                return Err(Error::InvalidArgument(format!(
                    "objective {bad} does not exist: the study has {n} (numbered from 0)"
                )));
            }
            let mut seen = asked.to_vec();
            seen.sort_unstable();
            seen.dedup();
            if seen.len() != asked.len() {
                return Err(Error::InvalidArgument(format!("objectives {asked:?} repeat one")));
            }
            Ok(asked.to_vec())
        }
    }
}

/// Complete trials whose values are all finite, in number order.
fn complete_finite(trials: &[Arc<FrozenTrial>], n_objectives: usize) -> Vec<&FrozenTrial> {
    let mut out: Vec<&FrozenTrial> = trials
        .iter()
        .map(|t| t.as_ref())
        .filter(|t| t.state == TrialState::Complete)
        .filter(|t| t.values.as_deref().is_some_and(|v| v.len() == n_objectives && v.iter().all(|x| x.is_finite())))
        .collect();
    out.sort_by_key(|t| t.number);
    out
}

/// [`super::PlotKind::ParetoFront`].
pub(crate) fn pareto_front(
    trials: &[Arc<FrozenTrial>],
    directions: &[StudyDirection],
    options: &PlotOptions,
) -> Result<ParetoFront> {
    if directions.len() < 2 {
        return Err(Error::InvalidArgument(
            "a Pareto front needs a study of two objectives or more; this one has one (plot its optimization-history)"
                .into(),
        ));
    }
    let objectives = shown_objectives(directions, options.objectives.as_deref(), 3)?;
    if !(2..=3).contains(&objectives.len()) {
        return Err(Error::InvalidArgument(format!(
            "a Pareto front shows two or three objectives, not {}",
            objectives.len()
        )));
    }
    let complete = complete_finite(trials, directions.len());
    let front: std::collections::BTreeSet<u64> =
        front_of(complete.iter().copied().filter(|t| t.is_feasible()), directions).iter().map(|t| t.number).collect();
    let points: Vec<ParetoPoint> = complete
        .iter()
        .filter(|t| options.include_dominated || front.contains(&t.number))
        .map(|t| {
            let values = t.values.as_deref().unwrap_or_default();
            ParetoPoint {
                number: t.number,
                values: objectives.iter().map(|&i| values[i]).collect(),
                on_front: front.contains(&t.number),
                feasible: t.is_feasible(),
            }
        })
        .collect();
    let keep: Vec<usize> = points.iter().enumerate().filter(|(_, p)| p.on_front).map(|(i, _)| i).collect();
    let n_front = keep.len();
    let points =
        thin(points.len(), options.max_points.max(n_front + 2), &keep).into_iter().map(|i| points[i].clone()).collect();
    let names = (0..directions.len()).map(|i| {
        options.objective_names.as_ref().and_then(|n| n.get(i).cloned()).unwrap_or_else(|| format!("Objective {i}"))
    });
    let names: Vec<String> = names.collect();
    Ok(ParetoFront {
        objective_names: objectives.iter().map(|&i| names[i].clone()).collect(),
        directions: objectives.iter().map(|&i| directions[i]).collect(),
        objectives,
        points,
        n_total: complete.len(),
        n_front,
    })
}

/// [`super::PlotKind::HypervolumeHistory`]: the hypervolume of the
/// feasible trials' front after each complete trial, as Optuna's plot.
pub(crate) fn hypervolume_history(
    trials: &[Arc<FrozenTrial>],
    directions: &[StudyDirection],
    options: &PlotOptions,
) -> Result<HypervolumeHistory> {
    if directions.len() < 2 {
        return Err(Error::InvalidArgument(
            "a hypervolume history needs a study of two objectives or more; this one has one".into(),
        ));
    }
    let objectives = shown_objectives(directions, options.objectives.as_deref(), directions.len())?;
    let complete: Vec<&FrozenTrial> =
        complete_finite(trials, directions.len()).into_iter().filter(|t| t.is_feasible()).collect();
    let shown = |t: &FrozenTrial| -> Vec<f64> {
        let values = t.values.as_deref().unwrap_or_default();
        objectives.iter().map(|&i| values[i]).collect()
    };
    let reference_point = match &options.reference_point {
        Some(r) if r.len() != objectives.len() => {
            return Err(Error::InvalidArgument(format!(
                "the reference point has {} values; the study's objectives shown are {}",
                r.len(),
                objectives.len()
            )))
        }
        Some(r) if r.iter().any(|v| !v.is_finite()) => {
            return Err(Error::InvalidArgument(format!("the reference point {r:?} must be finite")))
        }
        Some(r) => r.clone(),
        None => default_reference(&complete.iter().map(|t| shown(t)).collect::<Vec<_>>(), &objectives, directions),
    };
    // Everything below in loss space: lower is better in every objective.
    let to_loss =
        |v: &[f64]| -> Vec<f64> { v.iter().zip(&objectives).map(|(x, &i)| directions[i].as_loss(*x)).collect() };
    let reference = to_loss(&reference_point);
    let mut front: Vec<Vec<f64>> = Vec::new();
    let mut volume = 0.0;
    let mut points: Vec<(u64, f64)> = Vec::new();
    for t in &complete {
        let p = to_loss(&shown(t));
        let dominated_or_equal = front.iter().any(|f| f.iter().zip(&p).all(|(a, b)| a <= b));
        if !dominated_or_equal {
            front.retain(|f| !p.iter().zip(f).all(|(a, b)| a <= b));
            front.push(p);
            let new_volume = hypervolume(&front, &reference);
            if new_volume != volume || points.is_empty() {
                volume = new_volume;
                points.push((t.number, volume));
            }
        } else if points.is_empty() {
            points.push((t.number, volume));
        }
    }
    if let (Some(last), Some(&(n, _))) = (complete.last(), points.last()) {
        if n != last.number {
            points.push((last.number, volume));
        }
    }
    Ok(HypervolumeHistory { objectives, reference_point, points, n_total: complete.len() })
}

/// The worst value of each objective shown, pushed out by a tenth of its
/// range (of 1 when the range is empty).
fn default_reference(values: &[Vec<f64>], objectives: &[usize], directions: &[StudyDirection]) -> Vec<f64> {
    objectives
        .iter()
        .enumerate()
        .map(|(k, &i)| {
            let (lo, hi) =
                values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v[k]), hi.max(v[k])));
            if lo > hi {
                return if directions[i] == StudyDirection::Minimize { 1.0 } else { 0.0 };
            }
            let margin = if hi > lo { 0.1 * (hi - lo) } else { 1.0 };
            match directions[i] {
                StudyDirection::Minimize => hi + margin,
                StudyDirection::Maximize => lo - margin,
            }
        })
        .collect()
}
