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

use std::collections::{BTreeMap, HashMap};

use ferrotune_core::{Distribution, FrozenTrial, SearchSpace, StudyView, TrialState};

use super::buffers::Buffers;
use super::internal_value;

const FINISHED: [TrialState; 2] = [TrialState::Complete, TrialState::Pruned];

/// Values of one parameter (under one distribution) by trial number.
#[derive(Debug, Default)]
struct Column {
    values: Vec<f64>,
    computed: Vec<bool>,
    /// The numbers of the trials with a value, in `(value, number)` order:
    /// the bandwidth rule needs observations in value order, and filtering
    /// this list is linear where sorting each time is not.
    sorted: Vec<u32>,
    /// Every trial numbered below this has been read.
    read_below: u32,
}

impl Column {
    /// Reads the finished trials among `trials` (their numbers in
    /// `numbers`, [`RUNNING`] for the others, and `max_number` the largest
    /// finished one) not read yet. Each trial is read only the first time:
    /// following thousands of pointers to scattered trials cost more than
    /// the rest of reading the column.
    fn read(
        &mut self,
        numbers: &[u32],
        max_number: Option<u32>,
        trials: &[&FrozenTrial],
        name: &str,
        distribution: &Distribution,
    ) {
        if max_number.is_none_or(|max| max < self.read_below) {
            return;
        }
        for (&number, trial) in numbers.iter().zip(trials) {
            let unread = number != RUNNING
                && number >= self.read_below
                && !self.computed.get(number as usize).copied().unwrap_or(false);
            if unread {
                self.compute(trial, name, distribution);
            }
        }
        while self.computed.get(self.read_below as usize).copied().unwrap_or(false) {
            self.read_below += 1;
        }
    }

    /// The value of a trial [`Column::read`] has read (NaN: the trial does
    /// not have the parameter, or is running).
    #[inline]
    fn value(&self, number: u32) -> f64 {
        self.values.get(number as usize).copied().unwrap_or(f64::NAN)
    }

    /// Reads a value not seen yet (once per trial and column).
    #[cold]
    fn compute(&mut self, trial: &FrozenTrial, name: &str, distribution: &Distribution) {
        let n = trial.number as usize;
        if self.values.len() <= n {
            self.values.resize(n + 1, f64::NAN);
            self.computed.resize(n + 1, false);
        }
        let v = internal_value(trial, &BTreeMap::new(), name, distribution).unwrap_or(f64::NAN);
        self.values[n] = v;
        self.computed[n] = true;
        if !v.is_nan() {
            let values = &self.values;
            let at =
                self.sorted.partition_point(|&m| values[m as usize].total_cmp(&v).then(m.cmp(&(n as u32))).is_lt());
            self.sorted.insert(at, n as u32);
        }
    }
}

/// Observations of a search space over some trials: one column of internal
/// values per parameter (a row per trial that has them all, in the order
/// the trials were given), and per column its rows in value order (ties in
/// row order).
#[derive(Debug, Default)]
pub(crate) struct Observations {
    pub(crate) columns: Vec<Vec<f64>>,
    pub(crate) orders: Vec<Vec<u32>>,
    /// Which of the given trials made a row (those that have every
    /// parameter of the space); `None` when all did.
    pub(crate) kept: Option<Vec<bool>>,
}

impl Observations {
    /// Hands the arrays back to `buffers`.
    pub(crate) fn recycle(self, buffers: &mut Buffers) {
        self.columns.into_iter().for_each(|c| buffers.give_f64s(c));
        self.orders.into_iter().for_each(|o| buffers.give_u32s(o));
    }
}

/// Below this many rows, sorting is cheaper than filtering the memo's order.
const SMALL: usize = 64;

/// See the module documentation.
#[derive(Debug, Default)]
pub(crate) struct Memo {
    study: String,
    /// By trial number: the id of the finished trial remembered there.
    ids: Vec<Option<i64>>,
    /// By trial number: index of the trial's parameter set in `spaces`.
    space_of: Vec<usize>,
    /// By trial number: the finished trial's total constraint violation
    /// (read from a map of system attributes otherwise, on every split).
    violations: Vec<f64>,
    /// Distinct parameter sets (names and distributions) of finished trials.
    spaces: Vec<SearchSpace>,
    /// By parameter name, then distribution (usually one per name).
    columns: HashMap<String, Vec<(Distribution, Column)>>,
    /// Arrays of the last proposal, for the next one (not memoized values).
    pub(crate) buffers: Buffers,
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
                self.violations.resize(n + 1, 0.0);
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
                    self.violations[n] = t.constraint_violation();
                }
            }
        }
    }

    /// The total constraint violation of a finished trial of the synced
    /// study (computed here for one that is not remembered).
    pub(crate) fn violation(&self, trial: &FrozenTrial) -> f64 {
        match self.ids.get(trial.number as usize) {
            Some(Some(id)) if *id == trial.trial_id => self.violations[trial.number as usize],
            _ => trial.constraint_violation(),
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

    /// The observations of `space` over `trials` (running trials through
    /// the values recorded for them at ask time).
    pub(crate) fn observations(&mut self, trials: &[&FrozenTrial], space: &SearchSpace) -> Observations {
        let mut columns: Vec<Column> = space.iter().map(|(name, d)| self.take_column(name, d)).collect();
        let params: Vec<(&String, &Distribution)> = space.iter().collect();
        let mut out: Vec<Vec<f64>> = params.iter().map(|_| self.buffers.f64s()).collect();
        // Each trial is read once here: its number, or RUNNING and its
        // recorded values (running trials are few).
        let mut numbers = self.buffers.u32s();
        let mut running: Vec<(usize, BTreeMap<String, f64>)> = Vec::new();
        for (row, t) in trials.iter().enumerate() {
            if FINISHED.contains(&t.state) {
                numbers.push(t.number as u32);
            } else {
                numbers.push(RUNNING);
                running.push((row, t.relative_params()));
            }
        }
        // Column by column: each memo column is read in trial order, and a
        // missing value (a parameter the trial did not have) is NaN here.
        let max_number = numbers.iter().copied().filter(|&n| n != RUNNING).max();
        for ((values, column), (name, distribution)) in out.iter_mut().zip(&mut columns).zip(&params) {
            column.read(&numbers, max_number, trials, name, distribution);
            values.extend(numbers.iter().map(|&number| column.value(number)));
            for (row, relative) in &running {
                values[*row] = internal_value(trials[*row], relative, name, distribution).unwrap_or(f64::NAN);
            }
        }
        // A row counts only if the trial has every parameter of the space.
        let mut complete = vec![true; trials.len()];
        let mut any_missing = false;
        for values in &out {
            for (keep, v) in complete.iter_mut().zip(values) {
                if v.is_nan() {
                    *keep = false;
                    any_missing = true;
                }
            }
        }
        if any_missing {
            out.iter_mut().for_each(|values| keep_rows(values, &complete));
            keep_rows(&mut numbers, &complete);
        }
        let kept = any_missing.then_some(complete);
        // `numbers` now has one entry per row: the trial number, or RUNNING.
        let rows = RowIndex::new(&numbers);
        self.buffers.give_u32s(numbers);
        let orders = out
            .iter()
            .zip(&columns)
            .map(|(values, column)| {
                let mut order = self.buffers.u32s();
                value_order(values, &rows, column, &mut order);
                order
            })
            .collect();
        for ((name, distribution), column) in space.iter().zip(columns) {
            self.put_column(name, distribution, column);
        }
        Observations { columns: out, orders, kept }
    }

    /// The memo's column of a parameter, taken out (empty if none yet);
    /// hand it back with [`Memo::put_column`].
    fn take_column(&mut self, name: &str, distribution: &Distribution) -> Column {
        self.columns
            .get_mut(name)
            .and_then(|list| list.iter_mut().find(|(d, _)| d == distribution))
            .map(|(_, column)| std::mem::take(column))
            .unwrap_or_default()
    }

    fn put_column(&mut self, name: &str, distribution: &Distribution, column: Column) {
        let Some(list) = self.columns.get_mut(name) else {
            self.columns.insert(name.to_owned(), vec![(distribution.clone(), column)]);
            return;
        };
        match list.iter_mut().find(|(d, _)| d == distribution) {
            Some((_, slot)) => *slot = column,
            None => list.push((distribution.clone(), column)),
        }
    }
}

/// Keeps the entries of `rows` whose `keep` is true.
fn keep_rows<T>(rows: &mut Vec<T>, keep: &[bool]) {
    let mut keep = keep.iter();
    rows.retain(|_| *keep.next().unwrap_or(&false));
}

/// The trial number that marks a running trial's row.
const RUNNING: u32 = u32::MAX;

/// Where each finished trial's row is, and which rows are running trials.
struct RowIndex {
    row_of_number: Vec<u32>,
    running: Vec<u32>,
    n_rows: usize,
}

impl RowIndex {
    /// `row_numbers`: per row, the trial number or [`RUNNING`].
    fn new(row_numbers: &[u32]) -> Self {
        let n_rows = row_numbers.len();
        if n_rows < SMALL {
            return RowIndex { row_of_number: Vec::new(), running: Vec::new(), n_rows };
        }
        let max_number = row_numbers.iter().filter(|&&n| n != RUNNING).max().map_or(0, |&n| n as usize);
        let mut row_of_number = vec![u32::MAX; max_number + 1];
        let mut running = Vec::new();
        for (r, &number) in row_numbers.iter().enumerate() {
            match number {
                RUNNING => running.push(r as u32),
                n => row_of_number[n as usize] = r as u32,
            }
        }
        RowIndex { row_of_number, running, n_rows }
    }
}

/// The rows of `values` in value order, ties in row order, into `merged`
/// (empty).
fn value_order(values: &[f64], rows: &RowIndex, column: &Column, merged: &mut Vec<u32>) {
    let by_value = |a: &u32, b: &u32| values[*a as usize].total_cmp(&values[*b as usize]).then(a.cmp(b));
    if rows.n_rows < SMALL {
        merged.extend(0..values.len() as u32);
        merged.sort_unstable_by(by_value);
        return;
    }
    // Finished rows come in trial order, so the memo's (value, number)
    // order restricted to them is their (value, row) order.
    let row_of = &rows.row_of_number;
    // Branch-free: every trial's row is written and the end moves past it
    // only if the trial is one of these rows. A good set of 15% is a coin
    // flip the branch predictor loses at every trial (a third of this
    // function's time went to the filter's mispredicted branch).
    merged.resize(column.sorted.len(), 0);
    let out = merged.as_mut_slice();
    let mut end = 0;
    for (i, &number) in column.sorted.iter().enumerate() {
        let row = row_of.get(number as usize).copied().unwrap_or(u32::MAX);
        // (`end <= i`: in bounds.)
        out[end.min(i)] = row;
        end += usize::from(row != u32::MAX);
    }
    merged.truncate(end);
    if rows.running.is_empty() {
        return;
    }
    let finished_rows = std::mem::take(merged);
    let mut running = rows.running.clone();
    running.sort_unstable_by(by_value);
    let mut running = running.into_iter().peekable();
    merged.reserve(values.len());
    for &r in &finished_rows {
        while let Some(&q) = running.peek() {
            if by_value(&q, &r).is_lt() {
                merged.push(q);
                running.next();
            } else {
                break;
            }
        }
        merged.push(r);
    }
    merged.extend(running);
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ferrotune_core::{FloatDistribution, StudyDirection, TrialParam};

    use super::*;

    #[test]
    fn memo_orders_equal_a_fresh_sort_with_ties_and_running_trials() {
        let d = Distribution::Float(FloatDistribution::new(0.0, 10.0, false, None).unwrap());
        let trials: Vec<Arc<FrozenTrial>> = (0..200u64)
            .map(|i| {
                // Coarse values, so that many tie; every seventh trial running.
                let v = ((i * 37) % 23) as f64 / 3.0;
                let state = if i % 7 == 3 { TrialState::Running } else { TrialState::Complete };
                let mut t = FrozenTrial::new(i as i64, i, state);
                t.values = (state == TrialState::Complete).then(|| vec![v]);
                t.params.insert("x".into(), TrialParam { distribution: d.clone(), internal: v });
                Arc::new(t)
            })
            .collect();
        let view = StudyView { study_name: "s", directions: &[StudyDirection::Minimize], trials: &trials };
        let space = SearchSpace::from([("x".to_string(), d.clone())]);
        let mut memo = Memo::default();
        memo.sync(&view);
        // Every other trial, and all of them, twice (the second time from memory).
        let subset: Vec<&FrozenTrial> = trials.iter().map(|t| &**t).filter(|t| t.number % 2 == 0).collect();
        let all: Vec<&FrozenTrial> = trials.iter().map(|t| &**t).collect();
        for list in [&subset, &all, &subset, &all] {
            let observed = memo.observations(list, &space);
            let values = &observed.columns[0];
            let mut expected: Vec<u32> = (0..values.len() as u32).collect();
            expected.sort_by(|&a, &b| values[a as usize].total_cmp(&values[b as usize]).then(a.cmp(&b)));
            assert_eq!(observed.orders[0], expected);
            assert!(values.len() >= SMALL, "the test must exercise the memo's order");
        }
    }
}
