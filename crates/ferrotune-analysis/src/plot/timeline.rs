//! Plots of trials over time and steps: the timeline and the learning
//! curves.

use std::sync::Arc;

use ferrotune_core::{FrozenTrial, StudyDirection, TrialState};

use super::{thin, thin_extremes, Bar, Curve, IntermediateValues, PlotOptions, Timeline};
use crate::cost;

/// [`super::PlotKind::Timeline`]: a bar per trial that started, from its
/// start to its end (a running trial's to now, or to its start when no
/// "now" is given). Beyond the limit, each row holds a run of consecutive
/// trials, and bars of one state that touch (closer than a pixel of a
/// 2,000-pixel-wide plot) merge, so the size stays bounded while the
/// picture of which states ran when survives.
pub(crate) fn timeline(trials: &[Arc<FrozenTrial>], options: &PlotOptions) -> Timeline {
    let mut started: Vec<&FrozenTrial> =
        trials.iter().map(|t| t.as_ref()).filter(|t| t.started_at_us.is_some()).collect();
    started.sort_by_key(|t| t.number);
    let end_of = |t: &FrozenTrial| -> i64 {
        let start = t.started_at_us.unwrap_or_default();
        match t.finished_at_us {
            Some(end) => end.max(start),
            None => options.now_us.map_or(start, |now| now.max(start)),
        }
    };
    let span = started
        .iter()
        .map(|t| (t.started_at_us.unwrap_or_default(), end_of(t)))
        .reduce(|(a, b), (c, d)| (a.min(c), b.max(d)));
    let n = started.len();
    let n_rows = n.min(options.max_points);
    let per_row = n.div_ceil(n_rows.max(1)).max(1);
    let tolerance = span.map_or(0, |(a, b)| (b - a) / 2000);
    let mut bars: Vec<Bar> = Vec::new();
    let mut workers: Vec<String> = Vec::new();
    for (row, chunk) in started.chunks(per_row).enumerate() {
        let row_start = bars.len();
        for t in chunk {
            let (start, end) = (t.started_at_us.unwrap_or_default(), end_of(t));
            let worker = worker_of(t).map(|w| match workers.iter().position(|known| *known == w) {
                Some(i) => i,
                None => {
                    workers.push(w);
                    workers.len() - 1
                }
            });
            // Merge with the row's last bar of the same state if they touch.
            let mergeable = bars[row_start..].iter_mut().rev().find(|b| b.state == t.state);
            match mergeable {
                Some(bar) if per_row > 1 && start <= bar.end_us + tolerance && end >= bar.start_us - tolerance => {
                    bar.start_us = bar.start_us.min(start);
                    bar.end_us = bar.end_us.max(end);
                    bar.numbers.1 = t.number;
                    if bar.worker != worker {
                        bar.worker = None;
                    }
                }
                _ => bars.push(Bar {
                    row,
                    numbers: (t.number, t.number),
                    state: t.state,
                    start_us: start,
                    end_us: end,
                    worker,
                }),
            }
        }
    }
    Timeline {
        bars,
        n_rows: started.chunks(per_row).count(),
        n_total: n,
        span_us: span,
        cost: cost::summarize(trials, options.now_us),
        workers,
    }
}

/// The worker that ran a trial, `host:pid`, from the attributes the CLI
/// records (the library and Python record none).
fn worker_of(trial: &FrozenTrial) -> Option<String> {
    let host = trial.system_attrs.get("worker_host")?;
    let host = host.as_str().map_or_else(|| host.to_string(), str::to_owned);
    match trial.system_attrs.get("worker_pid") {
        Some(pid) => Some(format!("{host}:{pid}")),
        None => Some(host),
    }
}

/// [`super::PlotKind::IntermediateValues`]: the curves of trials that
/// reported, at most a tenth of the limit in curves and the limit in
/// points overall; the best complete trial's curve (by the first
/// objective) always kept.
pub(crate) fn intermediate_values(
    trials: &[Arc<FrozenTrial>],
    direction: StudyDirection,
    options: &PlotOptions,
) -> IntermediateValues {
    let mut reporting: Vec<&FrozenTrial> =
        trials.iter().map(|t| t.as_ref()).filter(|t| !t.intermediate_values.is_empty()).collect();
    reporting.sort_by_key(|t| t.number);
    let best_trial = trials
        .iter()
        .filter(|t| t.state == TrialState::Complete && t.is_feasible())
        .filter_map(|t| t.values.as_deref().and_then(|v| v.first()).filter(|v| v.is_finite()).map(|&v| (t.number, v)))
        .reduce(|a, b| if direction.is_better(b.1, a.1) || (b.1 == a.1 && b.0 < a.0) { b } else { a })
        .map(|(number, _)| number);
    let max_curves = (options.max_points / 10).max(2);
    let keep: Vec<usize> = best_trial.and_then(|b| reporting.iter().position(|t| t.number == b)).into_iter().collect();
    let chosen = thin(reporting.len(), max_curves, &keep);
    let per_curve = (options.max_points / chosen.len().max(1)).max(2);
    let curves = chosen
        .into_iter()
        .map(|i| {
            let t = reporting[i];
            let all: Vec<(u64, f64)> = t.intermediate_values.iter().map(|(&s, &v)| (s, v)).collect();
            let values: Vec<f64> = all.iter().map(|&(_, v)| v).collect();
            let last = all.len() - 1;
            let points = thin_extremes(&values, per_curve, &[0, last]).into_iter().map(|k| all[k]).collect();
            Curve { number: t.number, state: t.state, points }
        })
        .collect();
    IntermediateValues { curves, n_total: reporting.len(), best_trial }
}
