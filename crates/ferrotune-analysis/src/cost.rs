//! What a study cost: how long its trials ran, in total and by state, and
//! how much compute pruning saved, so tuning can be judged by training time
//! and not only by the best value.
//!
//! Design decision: the saving is an estimate from the study's own complete
//! trials (what a pruned trial would have cost had it run to the end), not
//! a number any trial records. It needs nothing from the pruner or the
//! objective beyond the start and end times and the steps every trial
//! already has, so it works for every study, old ones included.

use std::collections::BTreeMap;
use std::sync::Arc;

use ferrotune_core::{FrozenTrial, TrialState};

/// A study's compute time and the time pruning saved; see [`summarize`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CostSummary {
    /// Every trial given, whatever its state.
    pub n_trials: usize,
    /// Trials per state (`"complete"`, `"pruned"`, ... as
    /// [`TrialState::as_str`]); only states that occur are keys.
    pub n_by_state: BTreeMap<String, usize>,
    /// The summed durations of the trials that have started (a running
    /// trial counts up to `now_us`), in seconds.
    pub compute_secs: f64,
    /// [`compute_secs`](Self::compute_secs) per state; only states with a
    /// timed trial are keys.
    pub compute_secs_by_state: BTreeMap<String, f64>,
    /// The mean duration of the complete trials with both times, in
    /// seconds.
    pub mean_complete_secs: Option<f64>,
    /// The seconds pruned trials did not spend, estimated from the complete
    /// trials (see [`summarize`]); `None` without pruned trials, or without
    /// complete trials to estimate from.
    pub pruning_saved_secs: Option<f64>,
    /// The same saving in steps (epochs); `None` where the pruned or the
    /// complete trials reported no steps.
    pub pruning_saved_steps: Option<f64>,
    /// The earliest start of any trial, in Unix microseconds.
    pub first_start_us: Option<i64>,
    /// The latest end of a trial counted in
    /// [`compute_secs`](Self::compute_secs) (`now_us` for a running one), in
    /// Unix microseconds: with `first_start_us`, the study's wall-clock span.
    pub last_end_us: Option<i64>,
}

/// Sum up what `trials` cost, counting running trials up to `now_us` (Unix
/// microseconds; `None` leaves running trials out of the times).
///
/// A trial's seconds are its end minus its start; a trial without both
/// (a waiting trial, a running one without `now_us`) has no seconds. A
/// trial's steps are its last reported step + 1, the steps it ran (the
/// last step rather than the number of reports, so a trial reporting every
/// fifth epoch still counts every epoch); a trial that reported nothing has
/// no steps.
///
/// **What pruning saved** is estimated per pruned trial from the complete
/// ones, which show what a trial costs when it runs to the end:
///
/// - steps saved = max(0, median steps of the complete trials that reported
///   steps − the pruned trial's steps);
/// - seconds saved = its steps saved × its own seconds per step (its
///   duration / its steps), when it has steps saved; otherwise max(0,
///   median duration of the complete trials − its duration).
///
/// Its own seconds per step, rather than the complete trials', because
/// the time a step takes depends on the parameters (a wider network, a
/// larger batch) and the pruned trial's own pace is the best guess of how
/// it would have gone on. Medians, because one complete trial that ran far
/// longer than the rest (a slow machine, a stall) would otherwise inflate
/// every estimate. A pruned trial without the data its rule needs adds
/// nothing, and the totals are `None` when no pruned trial could be
/// estimated.
///
/// ```
/// use std::sync::Arc;
/// use ferrotune_analysis::cost::summarize;
/// use ferrotune_core::{FrozenTrial, TrialState};
///
/// let complete = FrozenTrial::builder(0).value(1.0).times_us(Some(0), Some(10_000_000)).build();
/// let pruned =
///     FrozenTrial::builder(1).state(TrialState::Pruned).times_us(Some(0), Some(4_000_000)).build();
/// let summary = summarize(&[Arc::new(complete), Arc::new(pruned)], None);
/// assert_eq!(summary.compute_secs, 14.0);
/// assert_eq!(summary.pruning_saved_secs, Some(6.0)); // the median complete 10 s − its 4 s
/// assert_eq!(summary.pruning_saved_steps, None); // no trial reported steps
/// ```
pub fn summarize(trials: &[Arc<FrozenTrial>], now_us: Option<i64>) -> CostSummary {
    let mut n_by_state = BTreeMap::new();
    let mut compute_secs_by_state: BTreeMap<String, f64> = BTreeMap::new();
    let mut compute_secs = 0.0;
    let mut complete_secs = Vec::new();
    let mut complete_steps = Vec::new();
    let mut first_start_us: Option<i64> = None;
    let mut last_end_us: Option<i64> = None;
    for trial in trials {
        *n_by_state.entry(trial.state.as_str().to_owned()).or_insert(0) += 1;
        if let Some(start) = trial.started_at_us {
            first_start_us = Some(first_start_us.map_or(start, |first| first.min(start)));
        }
        if let Some((start, end)) = span_us(trial, now_us) {
            let secs = (end - start).max(0) as f64 / 1e6;
            compute_secs += secs;
            *compute_secs_by_state.entry(trial.state.as_str().to_owned()).or_insert(0.0) += secs;
            last_end_us = Some(last_end_us.map_or(end, |last| last.max(end)));
            if trial.state == TrialState::Complete {
                complete_secs.push(secs);
            }
        }
        if trial.state == TrialState::Complete {
            complete_steps.extend(steps(trial));
        }
    }
    let mean_complete_secs =
        (!complete_secs.is_empty()).then(|| complete_secs.iter().sum::<f64>() / complete_secs.len() as f64);
    let median_complete_secs = median(&mut complete_secs);
    let median_complete_steps = median(&mut complete_steps);

    let mut pruning_saved_secs: Option<f64> = None;
    let mut pruning_saved_steps: Option<f64> = None;
    for trial in trials.iter().filter(|t| t.state == TrialState::Pruned) {
        let own_secs = span_us(trial, now_us).map(|(start, end)| (end - start).max(0) as f64 / 1e6);
        let own_steps = steps(trial);
        let steps_saved = own_steps.zip(median_complete_steps).map(|(own, median)| (median - own).max(0.0));
        if let Some(saved) = steps_saved {
            *pruning_saved_steps.get_or_insert(0.0) += saved;
        }
        let secs_saved = match (steps_saved, own_steps, own_secs) {
            // own_steps >= 1: it is the last step + 1.
            (Some(saved), Some(own), Some(secs)) => Some(saved * secs / own),
            (None, _, Some(secs)) => median_complete_secs.map(|median| (median - secs).max(0.0)),
            _ => None,
        };
        if let Some(saved) = secs_saved {
            *pruning_saved_secs.get_or_insert(0.0) += saved;
        }
    }

    CostSummary {
        n_trials: trials.len(),
        n_by_state,
        compute_secs,
        compute_secs_by_state,
        mean_complete_secs,
        pruning_saved_secs,
        pruning_saved_steps,
        first_start_us,
        last_end_us,
    }
}

/// A trial's start and end in Unix microseconds: a running trial ends at
/// `now_us`; a trial without a start, or without an end to use, has none.
fn span_us(trial: &FrozenTrial, now_us: Option<i64>) -> Option<(i64, i64)> {
    let start = trial.started_at_us?;
    let end = match (trial.finished_at_us, trial.state) {
        (Some(end), _) => end,
        (None, TrialState::Running) => now_us?,
        (None, _) => return None,
    };
    Some((start, end))
}

/// The steps a trial ran: its last reported step + 1.
fn steps(trial: &FrozenTrial) -> Option<f64> {
    trial.last_intermediate().map(|(step, _)| step as f64 + 1.0)
}

/// The median (the mean of the middle two for an even count); sorts `xs`.
fn median(xs: &mut [f64]) -> Option<f64> {
    xs.sort_by(f64::total_cmp);
    let mid = xs.len() / 2;
    match xs.len() {
        0 => None,
        n if n % 2 == 1 => Some(xs[mid]),
        _ => Some((xs[mid - 1] + xs[mid]) / 2.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: i64 = 1_000_000;

    /// A trial in `state` that ran `secs` seconds from `start` seconds and
    /// reported steps `0..n_steps`.
    fn trial(number: u64, state: TrialState, start: i64, secs: i64, n_steps: u64) -> Arc<FrozenTrial> {
        let mut builder =
            FrozenTrial::builder(number).state(state).times_us(Some(start * SEC), Some((start + secs) * SEC));
        if state == TrialState::Complete {
            builder = builder.value(0.5);
        }
        for step in 0..n_steps {
            builder = builder.intermediate(step, 1.0 / (step + 1) as f64);
        }
        Arc::new(builder.build())
    }

    /// Three complete trials of 10 steps (10, 20 and 30 s), a pruned one
    /// after 3 steps (6 s), a pruned one that reported nothing (5 s), a
    /// failed one (4 s), a running one started at 100 s, and a waiting one.
    fn study() -> Vec<Arc<FrozenTrial>> {
        let running =
            FrozenTrial::builder(6).state(TrialState::Running).times_us(Some(100 * SEC), None).intermediate(0, 1.0);
        vec![
            trial(0, TrialState::Complete, 0, 10, 10),
            trial(1, TrialState::Complete, 10, 20, 10),
            trial(2, TrialState::Complete, 30, 30, 10),
            trial(3, TrialState::Pruned, 60, 6, 3),
            trial(4, TrialState::Pruned, 66, 5, 0),
            trial(5, TrialState::Failed, 71, 4, 0),
            Arc::new(running.build()),
            Arc::new(FrozenTrial::builder(7).state(TrialState::Waiting).build()),
        ]
    }

    fn by_state<T: Copy>(pairs: &[(&str, T)]) -> BTreeMap<String, T> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn totals_and_states_count_every_started_trial_and_running_ones_up_to_now() {
        let summary = summarize(&study(), Some(108 * SEC));
        assert_eq!(summary.n_trials, 8);
        assert_eq!(
            summary.n_by_state,
            by_state(&[("complete", 3), ("pruned", 2), ("failed", 1), ("running", 1), ("waiting", 1)])
        );
        // 10 + 20 + 30 + 6 + 5 + 4 + 8 (the running trial, 100 s to now).
        assert_eq!(summary.compute_secs, 83.0);
        assert_eq!(
            summary.compute_secs_by_state,
            by_state(&[("complete", 60.0), ("pruned", 11.0), ("failed", 4.0), ("running", 8.0)])
        );
        assert_eq!(summary.mean_complete_secs, Some(20.0));
        assert_eq!(summary.first_start_us, Some(0));
        assert_eq!(summary.last_end_us, Some(108 * SEC));
    }

    #[test]
    fn without_now_a_running_trial_has_no_time() {
        let summary = summarize(&study(), None);
        assert_eq!(summary.compute_secs, 75.0);
        assert!(!summary.compute_secs_by_state.contains_key("running"));
        assert_eq!(summary.last_end_us, Some(75 * SEC));
        assert_eq!(summary.first_start_us, Some(0));
    }

    #[test]
    fn a_pruned_trial_saves_the_median_steps_it_did_not_run_at_its_own_pace() {
        let summary = summarize(&study(), Some(108 * SEC));
        // Trial 3: 10 - 3 = 7 steps at 6 s / 3 steps = 14 s. Trial 4
        // reported no steps: the median complete 20 s - its 5 s = 15 s.
        assert_eq!(summary.pruning_saved_steps, Some(7.0));
        assert_eq!(summary.pruning_saved_secs, Some(29.0));
    }

    #[test]
    fn medians_keep_an_outlier_from_dominating() {
        let trials = vec![
            trial(0, TrialState::Complete, 0, 10, 10),
            trial(1, TrialState::Complete, 0, 10, 10),
            trial(2, TrialState::Complete, 0, 1000, 1000),
            trial(3, TrialState::Pruned, 0, 2, 2),
            trial(4, TrialState::Pruned, 0, 4, 0),
        ];
        let summary = summarize(&trials, None);
        assert_eq!(summary.pruning_saved_steps, Some(8.0));
        // 8 steps at 1 s, and 10 s - 4 s.
        assert_eq!(summary.pruning_saved_secs, Some(14.0));
        assert_eq!(summary.mean_complete_secs, Some(340.0));
    }

    #[test]
    fn a_pruned_trial_past_the_median_saves_nothing() {
        let trials = vec![trial(0, TrialState::Complete, 0, 10, 10), trial(1, TrialState::Pruned, 0, 24, 12)];
        let summary = summarize(&trials, None);
        assert_eq!(summary.pruning_saved_steps, Some(0.0));
        assert_eq!(summary.pruning_saved_secs, Some(0.0));
    }

    #[test]
    fn no_estimate_without_complete_or_pruned_trials() {
        let no_complete = vec![trial(0, TrialState::Pruned, 0, 6, 3), trial(1, TrialState::Failed, 0, 4, 0)];
        let summary = summarize(&no_complete, None);
        assert_eq!(summary.pruning_saved_secs, None);
        assert_eq!(summary.pruning_saved_steps, None);
        assert_eq!(summary.mean_complete_secs, None);
        assert_eq!(summary.compute_secs, 10.0);

        let no_pruned = vec![trial(0, TrialState::Complete, 0, 10, 10)];
        let summary = summarize(&no_pruned, None);
        assert_eq!(summary.pruning_saved_secs, None);
        assert_eq!(summary.pruning_saved_steps, None);
    }

    #[test]
    fn complete_trials_without_steps_estimate_seconds_but_not_steps() {
        let trials = vec![trial(0, TrialState::Complete, 0, 10, 0), trial(1, TrialState::Pruned, 0, 6, 3)];
        let summary = summarize(&trials, None);
        assert_eq!(summary.pruning_saved_steps, None);
        assert_eq!(summary.pruning_saved_secs, Some(4.0));
    }

    #[test]
    fn trials_without_times_count_but_cost_nothing() {
        let untimed = FrozenTrial::builder(0).value(1.0).intermediate(9, 1.0).build();
        let pruned = FrozenTrial::builder(1).state(TrialState::Pruned).intermediate(2, 1.0).build();
        let summary = summarize(&[Arc::new(untimed), Arc::new(pruned)], Some(SEC));
        assert_eq!(summary.n_trials, 2);
        assert_eq!(summary.compute_secs, 0.0);
        assert!(summary.compute_secs_by_state.is_empty());
        assert_eq!(summary.mean_complete_secs, None);
        // Steps need no times; seconds do.
        assert_eq!(summary.pruning_saved_steps, Some(7.0));
        assert_eq!(summary.pruning_saved_secs, None);
        assert_eq!((summary.first_start_us, summary.last_end_us), (None, None));
    }

    #[test]
    fn an_empty_study_costs_nothing() {
        let summary = summarize(&[], Some(SEC));
        assert_eq!(summary.n_trials, 0);
        assert!(summary.n_by_state.is_empty());
        assert_eq!(summary.compute_secs, 0.0);
        assert_eq!(summary.pruning_saved_secs, None);
    }

    #[test]
    fn the_summary_serializes_with_its_field_names() {
        let json = serde_json::to_value(summarize(&study(), None)).unwrap();
        assert_eq!(json["n_by_state"]["pruned"], 2);
        assert_eq!(json["pruning_saved_steps"], 7.0);
        assert_eq!(json["compute_secs"], 75.0);
    }
}
