//! Plots of the values alone: the optimization history and the empirical
//! distribution.

use std::sync::Arc;

use ferrotune_core::{FrozenTrial, Result, StudyDirection};

use super::{best_of, thin, thin_extremes, valued, Edf, History, PlotOptions, ValuePoint, Valuer};

/// [`super::PlotKind::OptimizationHistory`].
pub(crate) fn history(
    trials: &[Arc<FrozenTrial>],
    directions: &[StudyDirection],
    options: &PlotOptions,
) -> Result<History> {
    let valuer = Valuer::new(directions, options)?;
    let valued = valued(trials, &valuer);
    let point = |&(t, v): &(&FrozenTrial, f64)| ValuePoint { number: t.number, value: v, feasible: t.is_feasible() };

    // The best-so-far line: a point where it improves, and one at the end
    // so the line runs to the last trial.
    let mut best: Vec<ValuePoint> = Vec::new();
    if valuer.direction.is_some() {
        let mut current: Option<f64> = None;
        for entry @ &(t, v) in &valued {
            if t.is_feasible() && current.is_none_or(|c| valuer.is_better(v, c)) {
                current = Some(v);
                best.push(point(entry));
            }
        }
        if let (Some(value), Some(&(last, _))) = (current, valued.last()) {
            if best.last().is_some_and(|b| b.number != last.number) {
                best.push(ValuePoint { number: last.number, value, feasible: true });
            }
        }
        if best.len() > options.max_points {
            let last = best.len() - 1;
            best = thin(best.len(), options.max_points, &[last]).into_iter().map(|i| best[i]).collect();
        }
    }
    let best_trial = if valuer.direction.is_some() { best_of(&valued, &valuer).map(|e| point(&e)) } else { None };

    let values: Vec<f64> = valued.iter().map(|(_, v)| *v).collect();
    let keep: Vec<usize> =
        best_trial.and_then(|b| valued.iter().position(|(t, _)| t.number == b.number)).into_iter().collect();
    let points = thin_extremes(&values, options.max_points, &keep).into_iter().map(|i| point(&valued[i])).collect();
    Ok(History {
        target_name: valuer.name.clone(),
        direction: valuer.direction,
        points,
        best,
        best_trial,
        n_total: valued.len(),
    })
}

/// [`super::PlotKind::Edf`]: the value at evenly spaced ranks, with the
/// fraction of trials at or below it.
pub(crate) fn edf(trials: &[Arc<FrozenTrial>], directions: &[StudyDirection], options: &PlotOptions) -> Result<Edf> {
    let valuer = Valuer::new(directions, options)?;
    let mut values: Vec<f64> = valued(trials, &valuer).into_iter().map(|(_, v)| v).collect();
    values.sort_by(f64::total_cmp);
    let n = values.len();
    // A step function: the fraction at a value counts every trial equal to
    // it, so ties share the top of their step.
    let mut points: Vec<(f64, f64)> = Vec::new();
    for i in thin(n, options.max_points, &[]) {
        let at_most = values.partition_point(|&v| v <= values[i]);
        points.push((values[i], at_most as f64 / n as f64));
    }
    points.dedup_by(|a, b| a.0 == b.0);
    Ok(Edf { target_name: valuer.name, points, n_total: n })
}
