//! The configurations a study already holds, so a genetic sampler can tell
//! a child that repeats one (a repeat spends a trial on a known value).
//!
//! Design decision: finished trials are hashed once, in number order up to
//! the first unfinished one, and a child is looked up in the set; the few
//! trials from the first unfinished one on (running ones, and those that
//! finished out of order) are compared one by one, a running trial by its
//! relative sample (recorded at ask time, before its values are written).
//! Comparing every trial at every ask cost 0.3 ms per ask at 5,000 trials.
//! A hash collision only makes a child redraw a parameter it need not have.

use std::collections::{BTreeMap, HashSet};

use ferrotune_core::{FrozenTrial, SearchSpace, StudyView, RELATIVE_PARAMS_ATTR};

use crate::mix64;

#[derive(Default)]
pub(crate) struct Known {
    /// The parameter names configurations are keyed on (the relative
    /// search space's, in order).
    names: Vec<String>,
    /// Hashes of the finished trials' values on `names`, for the view's
    /// trials before `hashed_until`.
    hashes: HashSet<u64>,
    hashed_until: usize,
    /// The number of the trial at `hashed_until - 1`: a view whose trial
    /// there has another number is not the one hashed (another Hyperband
    /// bracket), and the set starts over.
    last_hashed: Option<u64>,
}

/// A hash of values in order; `None` if one is missing. `v + 0.0` makes
/// -0.0 hash as 0.0, which it equals (a grid value rounded from below zero).
fn hash_values<'a>(values: impl Iterator<Item = Option<f64>> + 'a) -> Option<u64> {
    values.into_iter().try_fold(0x243F_6A88_85A3_08D3, |h, v| Some(mix64(h ^ (v? + 0.0).to_bits())))
}

fn value_of(trial: &FrozenTrial, name: &str) -> Option<f64> {
    trial
        .params
        .get(name)
        .map(|p| p.internal)
        .or_else(|| trial.system_attrs.get(RELATIVE_PARAMS_ATTR)?.get(name)?.as_f64())
}

impl Known {
    /// Hash what finished since the last call, for configurations over `space`.
    pub fn update(&mut self, study: &StudyView<'_>, space: &SearchSpace) {
        let same_names = self.names.len() == space.len() && self.names.iter().zip(space.keys()).all(|(a, b)| a == b);
        let same_view = match self.last_hashed {
            None => true,
            Some(number) => study.trials.get(self.hashed_until - 1).is_some_and(|t| t.number == number),
        };
        if !same_names || !same_view {
            *self = Known { names: space.keys().cloned().collect(), ..Known::default() };
        }
        while let Some(trial) = study.trials.get(self.hashed_until).filter(|t| t.state.is_finished()) {
            if let Some(hash) = hash_values(self.names.iter().map(|n| trial.params.get(n).map(|p| p.internal))) {
                self.hashes.insert(hash);
            }
            self.last_hashed = Some(trial.number);
            self.hashed_until += 1;
        }
    }

    /// Whether `child` (values by name, over the space of the last
    /// `update`) repeats a trial of `study`.
    pub fn repeats(&self, study: &StudyView<'_>, child: &BTreeMap<String, f64>) -> bool {
        let keyed = child.len() == self.names.len() && child.keys().zip(&self.names).all(|(a, b)| a == b);
        if keyed && hash_values(child.values().map(|&v| Some(v))).is_some_and(|h| self.hashes.contains(&h)) {
            return true;
        }
        let start = if keyed { self.hashed_until.min(study.trials.len()) } else { 0 };
        study.trials[start..].iter().any(|t| child.iter().all(|(n, v)| value_of(t, n) == Some(*v)))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ferrotune_core::{Distribution, FloatDistribution, StudyDirection, TrialState};

    use super::*;

    #[test]
    fn finished_running_and_unhashed_trials_are_all_known() {
        let d = Distribution::Float(FloatDistribution::new(0.0, 1.0, false, None).unwrap());
        let space: SearchSpace = [("a".to_owned(), d.clone()), ("b".to_owned(), d.clone())].into_iter().collect();
        let complete = |n: u64, a: f64, b: f64| {
            Arc::new(FrozenTrial::builder(n).param("a", &d, a).param("b", &d, b).value(0.0).build())
        };
        let running = FrozenTrial::builder(2)
            .state(TrialState::Running)
            .system_attr(RELATIVE_PARAMS_ATTR, serde_json::json!({"a": 0.5, "b": 0.6}))
            .build();
        let trials = vec![complete(0, 0.1, 0.2), complete(1, 0.3, 0.4), Arc::new(running), complete(3, 0.7, 0.8)];
        let view = StudyView { study_name: "s", directions: &[StudyDirection::Minimize], trials: &trials };
        let mut known = Known::default();
        known.update(&view, &space);
        // Hashed up to the running trial; trial 3 finished after it and is
        // compared directly.
        assert_eq!(known.hashed_until, 2);
        let child = |a: f64, b: f64| BTreeMap::from([("a".to_owned(), a), ("b".to_owned(), b)]);
        for (a, b) in [(0.1, 0.2), (0.3, 0.4), (0.5, 0.6), (0.7, 0.8)] {
            assert!(known.repeats(&view, &child(a, b)), "({a}, {b})");
        }
        assert!(!known.repeats(&view, &child(0.1, 0.4)));
        assert_eq!(hash_values([Some(-0.0), Some(1.0)].into_iter()), hash_values([Some(0.0), Some(1.0)].into_iter()));
        // Another view (another bracket's trials) starts the set over.
        let other = vec![complete(5, 0.9, 0.9)];
        let view = StudyView { study_name: "s", directions: &[StudyDirection::Minimize], trials: &other };
        known.update(&view, &space);
        assert!(!known.repeats(&view, &child(0.1, 0.2)));
        assert!(known.repeats(&view, &child(0.9, 0.9)));
    }
}
