//! What TPE reads from finished trials, remembered between proposals.
//!
//! Each proposal needs, for every finished trial, its parameter set (for
//! the joint search space) and its parameters' internal values. Finished
//! trials never change, so these are computed once per trial and kept by
//! trial number; a proposal then reads plain arrays instead of looking
//! names up in every trial's map. This is memoization, not state: the
//! sampler's output is the same function of the snapshot with or without
//! it, which the tests check. The memo belongs to one study at a time
//! (name and trial ids are checked) and starts over when that changes.

use std::collections::HashMap;

use ferrotune_core::{Distribution, FrozenTrial, SearchSpace, StudyView, TrialState};

use super::internal_value;

const FINISHED: [TrialState; 2] = [TrialState::Complete, TrialState::Pruned];

/// Values of one parameter (under one distribution) by trial number.
#[derive(Debug, Default)]
struct Column {
    values: Vec<f64>,
    computed: Vec<bool>,
}

/// See the module documentation.
#[derive(Debug, Default)]
pub(crate) struct Memo {
    study: String,
    /// By trial number: the id of the finished trial remembered there.
    ids: Vec<Option<i64>>,
    /// By trial number: index of the trial's parameter set in `spaces`.
    space_of: Vec<usize>,
    /// Distinct parameter sets (names and distributions) of finished trials.
    spaces: Vec<SearchSpace>,
    /// By parameter name and distribution (its display form, which is exact).
    columns: HashMap<(String, String), Column>,
}

impl Memo {
    /// Remember the finished trials of `study` not seen yet.
    pub(crate) fn sync(&mut self, study: &StudyView<'_>) {
        if self.study != study.study_name {
            *self = Memo { study: study.study_name.to_owned(), ..Memo::default() };
        }
        for t in study.trials_in(&FINISHED) {
            let n = t.number as usize;
            if n >= self.ids.len() {
                self.ids.resize(n + 1, None);
                self.space_of.resize(n + 1, 0);
            }
            match self.ids[n] {
                Some(id) if id == t.trial_id => {}
                Some(_) => {
                    // Another study of the same name: start over.
                    *self = Memo { study: study.study_name.to_owned(), ..Memo::default() };
                    return self.sync(study);
                }
                None => {
                    self.ids[n] = Some(t.trial_id);
                    self.space_of[n] = self.intern(t);
                }
            }
        }
    }

    fn intern(&mut self, trial: &FrozenTrial) -> usize {
        let same = |space: &SearchSpace| {
            space.len() == trial.params.len()
                && space.iter().zip(&trial.params).all(|((n1, d1), (n2, p))| n1 == n2 && *d1 == p.distribution)
        };
        if let Some(i) = self.spaces.iter().position(same) {
            return i;
        }
        self.spaces.push(trial.params.iter().map(|(k, p)| (k.clone(), p.distribution.clone())).collect());
        self.spaces.len() - 1
    }

    /// The distinct parameter sets of the finished trials in `study` (which
    /// may be a subset, a Hyperband bracket), in order of first appearance.
    pub(crate) fn finished_spaces(&self, study: &StudyView<'_>) -> Vec<&SearchSpace> {
        let mut seen = vec![false; self.spaces.len()];
        let mut order = Vec::new();
        for t in study.trials_in(&FINISHED) {
            let i = self.space_of[t.number as usize];
            if !seen[i] {
                seen[i] = true;
                order.push(i);
            }
        }
        order.into_iter().map(|i| &self.spaces[i]).collect()
    }

    /// One column of internal values per parameter of `space`, over the
    /// trials that have all of them (running trials through the values
    /// recorded for them at ask time).
    pub(crate) fn observations(&mut self, trials: &[&FrozenTrial], space: &SearchSpace) -> Vec<Vec<f64>> {
        let keys: Vec<(String, String)> = space.iter().map(|(n, d)| (n.clone(), d.to_string())).collect();
        let mut columns: Vec<Column> = keys.iter().map(|k| self.columns.remove(k).unwrap_or_default()).collect();
        let params: Vec<(&String, &Distribution)> = space.iter().collect();
        let mut out = vec![Vec::with_capacity(trials.len()); params.len()];
        let mut row = Vec::with_capacity(params.len());
        let none = std::collections::BTreeMap::new();
        for t in trials {
            row.clear();
            if FINISHED.contains(&t.state) {
                let n = t.number as usize;
                for (column, (name, distribution)) in columns.iter_mut().zip(&params) {
                    if column.values.len() <= n {
                        column.values.resize(n + 1, f64::NAN);
                        column.computed.resize(n + 1, false);
                    }
                    if !column.computed[n] {
                        column.values[n] = internal_value(t, &none, name, distribution).unwrap_or(f64::NAN);
                        column.computed[n] = true;
                    }
                    let v = column.values[n];
                    if v.is_nan() {
                        break;
                    }
                    row.push(v);
                }
            } else {
                let relative = t.relative_params();
                for (name, distribution) in &params {
                    match internal_value(t, &relative, name, distribution) {
                        Some(v) => row.push(v),
                        None => break,
                    }
                }
            }
            if row.len() == params.len() {
                for (column, &v) in out.iter_mut().zip(&row) {
                    column.push(v);
                }
            }
        }
        for (key, column) in keys.into_iter().zip(columns) {
            self.columns.insert(key, column);
        }
        out
    }
}

/// The parameters (with identical distributions) common to all `spaces`.
pub(crate) fn intersection(spaces: &[&SearchSpace]) -> SearchSpace {
    let Some((first, rest)) = spaces.split_first() else { return SearchSpace::new() };
    let mut common = (*first).clone();
    for space in rest {
        common.retain(|name, d| space.get(name) == Some(d));
    }
    common
}

/// Groups of parameters that always appear together: the coarsest
/// partition of all parameters seen such that each parameter set is a
/// union of groups (Optuna's group decomposition).
pub(crate) fn groups(spaces: &[&SearchSpace]) -> Vec<SearchSpace> {
    let mut groups: Vec<SearchSpace> = Vec::new();
    for space in spaces {
        let mut unseen: SearchSpace = (*space).clone();
        let mut next = Vec::with_capacity(groups.len() * 2 + 1);
        for group in groups {
            let (inside, outside): (SearchSpace, SearchSpace) =
                group.into_iter().partition(|(name, _)| space.contains_key(name));
            for name in inside.keys() {
                unseen.remove(name);
            }
            next.push(inside);
            next.push(outside);
        }
        next.push(unseen);
        next.retain(|g: &SearchSpace| !g.is_empty());
        groups = next;
    }
    groups
}
