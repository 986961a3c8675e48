use ferrotune_core::{dominates, Error, FrozenTrial, Pruner, Result, StudyDirection, StudyView, TrialState};

/// Prunes a trial whose best intermediate value so far is worse than the
/// given percentile of the completed trials' values at the same step.
///
/// The decision rule is Optuna's `PercentilePruner`: nothing is pruned
/// before `n_startup_trials` trials have completed, before step
/// `n_warmup_steps`, off the `interval_steps` grid, or when fewer than
/// `n_min_trials` completed trials reported at this step. A trial whose
/// values are all NaN is pruned. NaN values of other trials are ignored.
///
/// Multi-objective studies whose trials report one value per objective
/// ([`FrozenTrial::intermediate_vectors`]) are judged per objective the same
/// way — best so far, against the percentile of the completed trials at the
/// step — and a trial is pruned when that percentile point Pareto-dominates
/// it: at the 50th percentile, when it is dominated by the median.
///
/// Made by [`PercentilePruner::builder`]; [`MedianPruner`] is the same rule
/// at the 50th percentile.
#[derive(Debug, Clone)]
pub struct PercentilePruner {
    percentile: f64,
    n_startup_trials: usize,
    n_warmup_steps: u64,
    interval_steps: u64,
    n_min_trials: usize,
}

/// The median rule: [`PercentilePruner`] at the 50th percentile.
#[derive(Debug, Clone)]
pub struct MedianPruner(PercentilePruner);

/// Options of a [`PercentilePruner`], checked by
/// [`PercentilePrunerBuilder::build`].
#[derive(Debug, Clone)]
pub struct PercentilePrunerBuilder {
    percentile: Option<f64>,
    n_startup_trials: usize,
    n_warmup_steps: u64,
    interval_steps: u64,
    n_min_trials: usize,
}

impl PercentilePruner {
    /// Optuna's defaults (5 startup trials, no warm-up, every step, one
    /// trial needed at a step); the percentile has no default and must be
    /// set.
    pub fn builder() -> PercentilePrunerBuilder {
        PercentilePrunerBuilder {
            percentile: None,
            n_startup_trials: 5,
            n_warmup_steps: 0,
            interval_steps: 1,
            n_min_trials: 1,
        }
    }
}

impl PercentilePrunerBuilder {
    /// The percentile of the completed trials' values a trial must reach,
    /// in 0..=100 (25 keeps the best quarter). Required.
    pub fn percentile(mut self, percentile: f64) -> Self {
        self.percentile = Some(percentile);
        self
    }

    /// Never prune until this many trials have completed (default 5).
    pub fn n_startup_trials(mut self, n: usize) -> Self {
        self.n_startup_trials = n;
        self
    }

    /// Never prune before this step (default 0).
    pub fn n_warmup_steps(mut self, n: u64) -> Self {
        self.n_warmup_steps = n;
        self
    }

    /// Consider pruning only every this many steps after the warm-up
    /// (default 1, at least 1).
    pub fn interval_steps(mut self, n: u64) -> Self {
        self.interval_steps = n;
        self
    }

    /// Need at least this many completed trials with a value at the step
    /// (default 1, at least 1).
    pub fn n_min_trials(mut self, n: usize) -> Self {
        self.n_min_trials = n;
        self
    }

    /// Check the options and make the pruner.
    pub fn build(self) -> Result<PercentilePruner> {
        let Some(percentile) = self.percentile else {
            return Err(crate::invalid("percentile", "is missing (e.g. 25 keeps the best quarter)"));
        };
        if !(0.0..=100.0).contains(&percentile) {
            return Err(crate::invalid("percentile", format_args!("must be in [0, 100], got {percentile}")));
        }
        crate::at_least("interval_steps", self.interval_steps, 1)?;
        crate::at_least("n_min_trials", self.n_min_trials as u64, 1)?;
        Ok(PercentilePruner {
            percentile,
            n_startup_trials: self.n_startup_trials,
            n_warmup_steps: self.n_warmup_steps,
            interval_steps: self.interval_steps,
            n_min_trials: self.n_min_trials,
        })
    }
}

/// Linear-interpolation percentile (numpy's default) of non-empty values.
/// Infinite values (a diverged run, which completes its trial as in Optuna)
/// are values like any other: interpolating between two equal ones, or at
/// an exact rank, gives that value, not the NaN of `inf - inf`.
fn percentile_of(sorted: &[f64], q: f64) -> f64 {
    let rank = q / 100.0 * (sorted.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    let fraction = rank - lo as f64;
    if fraction == 0.0 || sorted[lo] == sorted[hi] {
        return sorted[lo];
    }
    sorted[lo] + (sorted[hi] - sorted[lo]) * fraction
}

impl PercentilePruner {
    /// The rule for several objectives: see the type's documentation.
    fn prune_multi_objective(&self, study: &StudyView<'_>, trial: &FrozenTrial) -> Result<bool> {
        let Some((&step, _)) = trial.intermediate_vectors.iter().next_back() else {
            if trial.intermediate_values.is_empty() {
                return Ok(false);
            }
            return Err(Error::InvalidArgument(
                "a multi-objective study is pruned on one intermediate value per objective: report them all \
                 (report_values in Rust, trial.report([v1, v2, ...], step) in Python)"
                    .into(),
            ));
        };
        let completed: Vec<&FrozenTrial> = study.trials_in(&[TrialState::Complete]).collect();
        if completed.is_empty() || completed.len() < self.n_startup_trials {
            return Ok(false);
        }
        if !crate::is_first_in_interval(step, trial, self.n_warmup_steps, self.interval_steps) {
            return Ok(false);
        }
        let mut own = Vec::with_capacity(study.directions.len());
        for (j, &direction) in study.directions.iter().enumerate() {
            let values = trial.intermediate_vectors.values().filter_map(|v| v.get(j).copied()).filter(|v| !v.is_nan());
            let best = match direction {
                StudyDirection::Minimize => values.fold(f64::NAN, f64::min),
                StudyDirection::Maximize => values.fold(f64::NAN, f64::max),
            };
            if best.is_nan() {
                return Ok(true);
            }
            own.push(best);
        }
        let others: Vec<&Vec<f64>> = completed.iter().filter_map(|t| t.intermediate_vectors.get(&step)).collect();
        if others.len() < self.n_min_trials {
            return Ok(false);
        }
        let mut reference = Vec::with_capacity(own.len());
        for (j, &direction) in study.directions.iter().enumerate() {
            let mut column: Vec<f64> =
                others.iter().filter_map(|v| v.get(j).copied()).filter(|v| !v.is_nan()).collect();
            if column.is_empty() {
                return Ok(false);
            }
            column.sort_by(f64::total_cmp);
            let q = match direction {
                StudyDirection::Minimize => self.percentile,
                StudyDirection::Maximize => 100.0 - self.percentile,
            };
            reference.push(percentile_of(&column, q));
        }
        Ok(dominates(&reference, &own, study.directions))
    }
}

impl Pruner for PercentilePruner {
    fn prune(&self, study: &StudyView<'_>, trial: &FrozenTrial) -> Result<bool> {
        if study.is_multi_objective() {
            return self.prune_multi_objective(study, trial);
        }
        let direction = crate::single_direction(study, "percentile (or median)")?;
        let Some((step, _)) = trial.last_intermediate() else { return Ok(false) };
        let completed: Vec<&FrozenTrial> = study.trials_in(&[TrialState::Complete]).collect();
        if completed.is_empty() || completed.len() < self.n_startup_trials {
            return Ok(false);
        }
        if !crate::is_first_in_interval(step, trial, self.n_warmup_steps, self.interval_steps) {
            return Ok(false);
        }
        let own = trial.intermediate_values.values().copied().filter(|v| !v.is_nan());
        let best = match direction {
            StudyDirection::Minimize => own.fold(f64::NAN, f64::min),
            StudyDirection::Maximize => own.fold(f64::NAN, f64::max),
        };
        if best.is_nan() {
            return Ok(true);
        }
        let mut others: Vec<f64> = completed.iter().filter_map(|t| t.intermediate_values.get(&step).copied()).collect();
        if others.len() < self.n_min_trials {
            return Ok(false);
        }
        others.retain(|v| !v.is_nan());
        if others.is_empty() {
            return Ok(false);
        }
        others.sort_by(f64::total_cmp);
        // For maximization the good side is the top, so mirror the percentile.
        let q = match direction {
            StudyDirection::Minimize => self.percentile,
            StudyDirection::Maximize => 100.0 - self.percentile,
        };
        let threshold = percentile_of(&others, q);
        Ok(direction.is_better(threshold, best))
    }
}

/// Options of a [`MedianPruner`]: those of [`PercentilePrunerBuilder`]
/// but the percentile, which is 50. Checked by
/// [`MedianPrunerBuilder::build`].
#[derive(Debug, Clone)]
pub struct MedianPrunerBuilder(PercentilePrunerBuilder);

impl MedianPruner {
    /// Optuna's defaults (5 startup trials, no warm-up, every step, one
    /// trial needed at a step).
    pub fn builder() -> MedianPrunerBuilder {
        MedianPrunerBuilder(PercentilePruner::builder().percentile(50.0))
    }

    /// The median rule with Optuna's defaults.
    pub fn new() -> Self {
        Self::builder().build().expect("the defaults are valid")
    }
}

impl MedianPrunerBuilder {
    /// Never prune until this many trials have completed (default 5).
    pub fn n_startup_trials(self, n: usize) -> Self {
        MedianPrunerBuilder(self.0.n_startup_trials(n))
    }

    /// Never prune before this step (default 0).
    pub fn n_warmup_steps(self, n: u64) -> Self {
        MedianPrunerBuilder(self.0.n_warmup_steps(n))
    }

    /// Consider pruning only every this many steps after the warm-up
    /// (default 1, at least 1).
    pub fn interval_steps(self, n: u64) -> Self {
        MedianPrunerBuilder(self.0.interval_steps(n))
    }

    /// Need at least this many completed trials with a value at the step
    /// (default 1, at least 1).
    pub fn n_min_trials(self, n: usize) -> Self {
        MedianPrunerBuilder(self.0.n_min_trials(n))
    }

    /// Check the options and make the pruner.
    pub fn build(self) -> Result<MedianPruner> {
        self.0.build().map(MedianPruner)
    }
}

impl Default for MedianPruner {
    fn default() -> Self {
        Self::new()
    }
}

impl Pruner for MedianPruner {
    fn prune(&self, study: &StudyView<'_>, trial: &FrozenTrial) -> Result<bool> {
        self.0.prune(study, trial)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn curve(number: u64, state: TrialState, values: &[(u64, f64)]) -> Arc<FrozenTrial> {
        let trial =
            values.iter().fold(FrozenTrial::builder(number).state(state), |t, &(step, v)| t.intermediate(step, v));
        Arc::new(trial.build())
    }

    /// Three completed curves: at step 1 they read 1.0, 2.0, 3.0 (median 2.0).
    fn history() -> Vec<Arc<FrozenTrial>> {
        vec![
            curve(0, TrialState::Complete, &[(0, 5.0), (1, 1.0), (2, 0.5)]),
            curve(1, TrialState::Complete, &[(0, 6.0), (1, 2.0), (2, f64::NAN)]),
            curve(2, TrialState::Complete, &[(0, 7.0), (1, 3.0)]),
            // Running and pruned trials never count as references.
            curve(3, TrialState::Running, &[(1, 100.0)]),
            curve(4, TrialState::Pruned, &[(1, -100.0)]),
        ]
    }

    fn decide(pruner: &impl Pruner, direction: StudyDirection, trial: &FrozenTrial) -> bool {
        let trials = history();
        let dirs = [direction];
        pruner.prune(&StudyView { study_name: "s", directions: &dirs, trials: &trials }, trial).unwrap()
    }

    #[test]
    fn median_rule_against_hand_made_curves() {
        let median = MedianPruner::builder().n_startup_trials(3).build().unwrap();
        let min = StudyDirection::Minimize;
        assert!(decide(&median, min, &curve(9, TrialState::Running, &[(0, 9.0), (1, 2.5)])));
        assert!(!decide(&median, min, &curve(9, TrialState::Running, &[(0, 9.0), (1, 1.5)])));
        // A tie with the median is not pruned.
        assert!(!decide(&median, min, &curve(9, TrialState::Running, &[(1, 2.0)])));
        // The trial's best value so far counts, not its last one.
        assert!(!decide(&median, min, &curve(9, TrialState::Running, &[(0, 0.1), (1, 2.5)])));
        // Maximizing flips the comparison.
        let max = StudyDirection::Maximize;
        assert!(decide(&median, max, &curve(9, TrialState::Running, &[(1, 1.5)])));
        assert!(!decide(&median, max, &curve(9, TrialState::Running, &[(1, 2.5)])));
    }

    /// Issue 24: infinite intermediate values of the references are values:
    /// most references at -inf make -inf the median, which prunes a finite
    /// loss (with NaN from `inf - inf` nothing was ever pruned); most at
    /// +inf make +inf the median, which prunes nothing.
    #[test]
    fn infinite_references_are_values() {
        let (inf, min) = (f64::INFINITY, StudyDirection::Minimize);
        let median = MedianPruner::builder().n_startup_trials(3).build().unwrap();
        let decide_with = |references: &[f64], own: f64| {
            let mut trials: Vec<Arc<FrozenTrial>> =
                references.iter().enumerate().map(|(i, &v)| curve(i as u64, TrialState::Complete, &[(1, v)])).collect();
            trials.push(curve(9, TrialState::Running, &[(1, own)]));
            let dirs = [min];
            median.prune(&StudyView { study_name: "s", directions: &dirs, trials: &trials }, &trials[trials.len() - 1])
        };
        assert!(decide_with(&[-inf, -inf, -inf, 1.0], 0.0).unwrap());
        assert!(!decide_with(&[-inf, 1.0, 2.0, 3.0], 1.4).unwrap());
        assert!(decide_with(&[-inf, 1.0, 2.0, 3.0], 1.6).unwrap());
        assert!(!decide_with(&[inf, inf, 1.0, inf], 1e300).unwrap());
        assert!(!decide_with(&[inf, inf, inf], inf).unwrap());
        assert_eq!(percentile_of(&[inf, inf], 50.0), inf);
        assert_eq!(percentile_of(&[1.0, inf], 50.0), inf);
        assert_eq!(percentile_of(&[-inf, -inf, 1.0], 50.0), -inf);
    }

    #[test]
    fn missing_steps_nan_and_guards() {
        let min = StudyDirection::Minimize;
        let median = MedianPruner::builder().n_startup_trials(3).build().unwrap();
        // Step 2: references are 0.5 and NaN; NaN is ignored, threshold 0.5.
        assert!(decide(&median, min, &curve(9, TrialState::Running, &[(2, 0.6)])));
        // A step no completed trial reported: no reference, no pruning.
        assert!(!decide(&median, min, &curve(9, TrialState::Running, &[(7, 1e9)])));
        // All-NaN own values are pruned.
        assert!(decide(&median, min, &curve(9, TrialState::Running, &[(1, f64::NAN)])));
        // No intermediate value yet: nothing to judge.
        assert!(!decide(&median, min, &curve(9, TrialState::Running, &[])));
        // Too few completed trials.
        assert!(!decide(
            &MedianPruner::builder().n_startup_trials(4).build().unwrap(),
            min,
            &curve(9, TrialState::Running, &[(1, 9.0)])
        ));
        // Warm-up.
        assert!(!decide(
            &MedianPruner::builder().n_startup_trials(3).n_warmup_steps(2).build().unwrap(),
            min,
            &curve(9, TrialState::Running, &[(1, 9.0)])
        ));
        // n_min_trials: only two trials reported at step 2.
        let strict = MedianPruner::builder().n_startup_trials(3).n_min_trials(3).build().unwrap();
        assert!(!decide(&strict, min, &curve(9, TrialState::Running, &[(2, 9.0)])));
    }

    #[test]
    fn interval_steps_judge_only_the_first_step_of_each_interval() {
        let min = StudyDirection::Minimize;
        let p = MedianPruner::builder().n_startup_trials(3).interval_steps(2).build().unwrap();
        // Step 1 is not on the grid 0, 2, 4 ... and step 0 was already judged.
        assert!(!decide(&p, min, &curve(9, TrialState::Running, &[(0, 9.0), (1, 9.0)])));
        // Step 2 is.
        assert!(decide(&p, min, &curve(9, TrialState::Running, &[(0, 9.0), (1, 9.0), (2, 9.0)])));
        // A first report at step 1 is the first in the interval [0, 2): judged.
        assert!(decide(&p, min, &curve(9, TrialState::Running, &[(1, 9.0)])));
    }

    #[test]
    fn percentiles_interpolate_like_numpy() {
        assert_eq!(percentile_of(&[1.0, 2.0, 3.0, 4.0], 50.0), 2.5);
        assert_eq!(percentile_of(&[1.0, 2.0, 3.0, 4.0], 25.0), 1.75);
        assert_eq!(percentile_of(&[5.0], 90.0), 5.0);
        assert!(PercentilePruner::builder().percentile(101.0).build().is_err());
        let quarter = PercentilePruner::builder().percentile(25.0).n_startup_trials(3).build().unwrap();
        // 25th percentile of 1, 2, 3 is 1.5 (minimize): 1.6 is pruned.
        assert!(decide(&quarter, StudyDirection::Minimize, &curve(9, TrialState::Running, &[(1, 1.6)])));
        assert!(!decide(&quarter, StudyDirection::Minimize, &curve(9, TrialState::Running, &[(1, 1.4)])));
    }

    fn vectors(number: u64, state: TrialState, steps: &[(u64, [f64; 2])]) -> Arc<FrozenTrial> {
        let mut t = FrozenTrial::new(number as i64, number, state);
        for (step, v) in steps {
            t.intermediate_values.insert(*step, v[0]);
            t.intermediate_vectors.insert(*step, v.to_vec());
        }
        Arc::new(t)
    }

    #[test]
    fn multi_objective_trials_dominated_by_the_median_are_pruned() {
        // Minimize the first objective, maximize the second. At step 1 the
        // completed trials read (1, 10), (2, 20), (3, 30): the median point
        // is (2, 20).
        let trials = vec![
            vectors(0, TrialState::Complete, &[(0, [5.0, 1.0]), (1, [1.0, 10.0])]),
            vectors(1, TrialState::Complete, &[(0, [6.0, 2.0]), (1, [2.0, 20.0])]),
            vectors(2, TrialState::Complete, &[(0, [7.0, 3.0]), (1, [3.0, 30.0])]),
            vectors(3, TrialState::Pruned, &[(1, [-9.0, 99.0])]),
        ];
        let dirs = [StudyDirection::Minimize, StudyDirection::Maximize];
        let view = StudyView { study_name: "s", directions: &dirs, trials: &trials };
        let median = MedianPruner::builder().n_startup_trials(3).build().unwrap();
        let decide = |steps: &[(u64, [f64; 2])]| median.prune(&view, &vectors(9, TrialState::Running, steps)).unwrap();
        // Worse than the median in both objectives: dominated, pruned.
        assert!(decide(&[(1, [2.5, 15.0])]));
        // Better in one objective: not dominated.
        assert!(!decide(&[(1, [2.5, 25.0])]));
        assert!(!decide(&[(1, [1.5, 15.0])]));
        // Equal to the median point: not dominated.
        assert!(!decide(&[(1, [2.0, 20.0])]));
        // Each objective's best so far counts: (1.0 at step 0, 15) is not dominated.
        assert!(!decide(&[(0, [1.0, 5.0]), (1, [2.5, 15.0])]));
        // An objective with only NaN is pruned; a step nobody completed reported is not judged.
        assert!(decide(&[(1, [f64::NAN, 25.0])]));
        assert!(!decide(&[(5, [9.0, 0.0])]));
        // Guards as for one objective.
        let patient = MedianPruner::builder().n_startup_trials(4).build().unwrap();
        assert!(!patient.prune(&view, &vectors(9, TrialState::Running, &[(1, [9.0, 0.0])])).unwrap());
        // The 25th percentile keeps only the best quarter in each objective:
        // reference (1.5, 25); (1.6, 24) is dominated.
        let quarter = PercentilePruner::builder().percentile(25.0).n_startup_trials(3).build().unwrap();
        assert!(quarter.prune(&view, &vectors(9, TrialState::Running, &[(1, [1.6, 24.0])])).unwrap());
        assert!(!quarter.prune(&view, &vectors(9, TrialState::Running, &[(1, [1.4, 24.0])])).unwrap());
    }

    #[test]
    fn multi_objective_trials_must_report_every_objective() {
        let trials = history();
        let dirs = [StudyDirection::Minimize, StudyDirection::Minimize];
        let view = StudyView { study_name: "s", directions: &dirs, trials: &trials };
        let err = MedianPruner::new().prune(&view, &curve(9, TrialState::Running, &[(1, 1.0)])).unwrap_err();
        assert!(err.to_string().contains("one intermediate value per objective"), "{err}");
        // A trial that reported nothing yet is not judged.
        assert!(!MedianPruner::new().prune(&view, &curve(9, TrialState::Running, &[])).unwrap());
    }
}
