//! Plots of the value against the parameters: parallel coordinates,
//! slices, rank, and the importance bars.

use std::sync::Arc;

use ferrotune_core::{FrozenTrial, Result, StudyDirection};

use super::{
    best_of, param_axis, param_names, thin, valued, ImportanceEvaluator, ImportanceSet, Importances, Line,
    ParallelCoordinate, ParamPoint, PlotOptions, Rank, RankPoint, Slice, SlicePanel, Valuer,
};
use crate::importance::{fanova, mean_decrease_impurity, ped_anova, ForestOptions, PedAnovaOptions, Target};

/// Ranks of `values` from best (0) to worst (n - 1) under `valuer`, ties
/// broken by position.
fn ranks(values: &[f64], valuer: &Valuer<'_>) -> Vec<usize> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    let sign = if valuer.direction == Some(StudyDirection::Maximize) { -1.0 } else { 1.0 };
    order.sort_by(|&a, &b| (sign * values[a]).total_cmp(&(sign * values[b])).then(a.cmp(&b)));
    let mut rank = vec![0; values.len()];
    for (r, i) in order.into_iter().enumerate() {
        rank[i] = r;
    }
    rank
}

/// [`super::PlotKind::ParallelCoordinate`].
pub(crate) fn parallel_coordinate(
    trials: &[Arc<FrozenTrial>],
    directions: &[StudyDirection],
    options: &PlotOptions,
) -> Result<ParallelCoordinate> {
    let valuer = Valuer::new(directions, options)?;
    let valued = valued(trials, &valuer);
    let complete: Vec<&FrozenTrial> = valued.iter().map(|(t, _)| *t).collect();
    let names = param_names(&complete, options.params.as_deref())?;
    // As Optuna: only trials that have every parameter shown.
    let full: Vec<(&FrozenTrial, f64)> =
        valued.iter().copied().filter(|(t, _)| names.iter().all(|n| t.params.contains_key(n))).collect();
    let full_trials: Vec<&FrozenTrial> = full.iter().map(|(t, _)| *t).collect();
    let axes_coords: Vec<_> = names.iter().map(|n| param_axis(n, &full_trials)).collect();

    let values: Vec<f64> = full.iter().map(|(_, v)| *v).collect();
    let rank = ranks(&values, &valuer);
    // Thinning keeps the best tenth of the limit by rank and spreads the
    // rest evenly over the ranks, so both the good region and the spread
    // of the whole study stay visible.
    let mut by_rank: Vec<usize> = (0..full.len()).collect();
    by_rank.sort_by_key(|&i| rank[i]);
    let keep: Vec<usize> = (0..(options.max_points / 10).min(by_rank.len())).collect();
    let chosen = thin(by_rank.len(), options.max_points, &keep);
    // Worst first, so the best are drawn last (on top).
    let lines = chosen
        .into_iter()
        .rev()
        .map(|r| {
            let (t, value) = full[by_rank[r]];
            let coords = axes_coords.iter().map(|(_, c)| c[by_rank[r]].unwrap_or(f64::NAN)).collect();
            Line { number: t.number, value, coords }
        })
        .collect();
    let value_range = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    Ok(ParallelCoordinate {
        target_name: valuer.name.clone(),
        direction: valuer.direction,
        value_range: if values.is_empty() { (0.0, 1.0) } else { value_range },
        axes: axes_coords.into_iter().map(|(a, _)| a).collect(),
        lines,
        n_total: full.len(),
    })
}

/// [`super::PlotKind::Slice`].
pub(crate) fn slice(
    trials: &[Arc<FrozenTrial>],
    directions: &[StudyDirection],
    options: &PlotOptions,
) -> Result<Slice> {
    let valuer = Valuer::new(directions, options)?;
    let valued = valued(trials, &valuer);
    let complete: Vec<&FrozenTrial> = valued.iter().map(|(t, _)| *t).collect();
    let names = param_names(&complete, options.params.as_deref())?;
    let best = best_of(&valued, &valuer).map(|(t, _)| t.number);
    let panels = names
        .iter()
        .map(|name| {
            let (axis, coords) = param_axis(name, &complete);
            let points: Vec<ParamPoint> = valued
                .iter()
                .zip(&coords)
                .filter_map(|((t, v), x)| x.map(|x| ParamPoint { number: t.number, x, y: 0.0, value: *v }))
                .collect();
            let keep: Vec<usize> = best.and_then(|b| points.iter().position(|p| p.number == b)).into_iter().collect();
            let n_total = points.len();
            let points = thin(n_total, options.max_points, &keep).into_iter().map(|i| points[i]).collect();
            SlicePanel { axis, points, n_total }
        })
        .collect();
    Ok(Slice { target_name: valuer.name.clone(), direction: valuer.direction, panels, best_trial: best })
}

/// [`super::PlotKind::Rank`].
pub(crate) fn rank(trials: &[Arc<FrozenTrial>], directions: &[StudyDirection], options: &PlotOptions) -> Result<Rank> {
    let valuer = Valuer::new(directions, options)?;
    let valued = valued(trials, &valuer);
    let complete: Vec<&FrozenTrial> = valued.iter().map(|(t, _)| *t).collect();
    let names = param_names(&complete, options.params.as_deref())?;
    let axes_coords: Vec<_> = names.iter().map(|n| param_axis(n, &complete)).collect();
    let values: Vec<f64> = valued.iter().map(|(_, v)| *v).collect();
    let rank = ranks(&values, &valuer);
    let denominator = values.len().saturating_sub(1).max(1) as f64;
    let best: Vec<usize> = rank.iter().position(|&r| r == 0).into_iter().collect();
    let points = thin(valued.len(), options.max_points, &best)
        .into_iter()
        .map(|i| {
            let (t, value) = valued[i];
            let coords = axes_coords.iter().map(|(_, c)| c[i].unwrap_or(f64::NAN)).collect();
            RankPoint { number: t.number, coords, value, rank: rank[i] as f64 / denominator }
        })
        .collect();
    Ok(Rank {
        target_name: valuer.name.clone(),
        direction: valuer.direction,
        axes: axes_coords.into_iter().map(|(a, _)| a).collect(),
        points,
        n_total: valued.len(),
    })
}

/// [`super::PlotKind::ParamImportances`]: one set for the target or a
/// single objective, one per objective otherwise (as Optuna's plot).
pub(crate) fn importances(
    trials: &[Arc<FrozenTrial>],
    directions: &[StudyDirection],
    options: &PlotOptions,
) -> Result<Importances> {
    // Each set judges by a loss (lower better), the importance module's
    // convention.
    let mut judged: Vec<(String, Option<Target>)> = Vec::new();
    if let Some(target) = &options.target {
        let valuer = Valuer::new(directions, options)?;
        let sign = if valuer.direction == Some(StudyDirection::Maximize) { -1.0 } else { 1.0 };
        let target = Arc::clone(target);
        judged.push((valuer.name, Some(Arc::new(move |t: &FrozenTrial| sign * target(t)))));
    } else if directions.len() == 1 {
        judged.push((Valuer::new(directions, options)?.name, None));
    } else {
        for (i, &direction) in directions.iter().enumerate() {
            let name = options
                .objective_names
                .as_ref()
                .and_then(|n| n.get(i).cloned())
                .unwrap_or_else(|| format!("Objective {i}"));
            let loss: Target = Arc::new(move |t: &FrozenTrial| {
                t.values.as_deref().and_then(|v| v.get(i)).map_or(f64::NAN, |&v| direction.as_loss(v))
            });
            judged.push((name, Some(loss)));
        }
    }
    let mut sets = Vec::new();
    for (target_name, target) in judged {
        let importances = match options.evaluator {
            ImportanceEvaluator::PedAnova => ped_anova(
                trials,
                directions,
                &PedAnovaOptions { params: options.params.clone(), target, ..PedAnovaOptions::default() },
            )?,
            kind => {
                let forest = ForestOptions {
                    params: options.params.clone(),
                    target,
                    seed: Some(options.seed.unwrap_or(0)),
                    ..ForestOptions::default()
                };
                if kind == ImportanceEvaluator::Fanova {
                    fanova(trials, directions, &forest)?
                } else {
                    mean_decrease_impurity(trials, directions, &forest)?
                }
            }
        };
        sets.push(ImportanceSet { target_name, importances });
    }
    Ok(Importances { evaluator: options.evaluator, sets })
}
