//! What TPE reads from finished trials, remembered between proposals.
//!
//! Each proposal needs, for every finished trial, its parameter set (for
//! the joint search space), its parameters' internal values, and what the
//! split into good and bad trials ranks it by. Finished trials never
//! change, so these are computed once per trial and kept by trial number;
//! a proposal then reads plain arrays instead of following a pointer to
//! every trial. The leading trials that are all final ("settled") are
//! recognised in a view by one trial's number and id, and not looked at
//! again. From one proposal to the next only a few trials change sets, so
//! each column also keeps its last split of the value order into the two
//! sets and updates it.
//!
//! This is memoization, not state: the sampler's output is the same
//! function of the snapshot with or without it, which the tests check
//! (a fresh memo against a used one, over views with running, pruned,
//! failed and grouped trials, and over sets that change a little and a
//! lot). The memo belongs to one study at a time (name and trial ids are
//! checked) and starts over when that changes.

use std::collections::{BTreeMap, HashMap};

use ferrotune_core::{Distribution, FrozenTrial, SearchSpace, StudyDirection, StudyView, TrialState};

use super::buffers::Buffers;
use super::internal_value;

const FINISHED: [TrialState; 2] = [TrialState::Complete, TrialState::Pruned];

/// Values of one parameter (under one distribution) by trial number.
#[derive(Debug, Default)]
struct Column {
    values: Vec<f64>,
    /// The same values in the estimator's model space (their logarithm for
    /// a log-scale parameter), so a proposal takes no logarithm of a
    /// finished trial's value.
    model: Vec<f64>,
    computed: Vec<bool>,
    /// The numbers of the trials with a value, in `(value, number)` order:
    /// the bandwidth rule needs observations in value order, and filtering
    /// this list is linear where sorting each time is not.
    sorted: Vec<u32>,
    /// Every trial numbered below this has been read.
    read_below: u32,
    /// The last proposal's split of `sorted` into the good and bad sets.
    split: Option<SetLists>,
}

/// A column's finished trials split into two sets, each in value order:
/// memoized between proposals, since from one proposal to the next only a
/// few trials change sets (the new one, and one or two at the border of
/// the good set), and walking the whole column each time was a fifth of a
/// proposal at 5,000 trials.
#[derive(Debug, Default)]
struct SetLists {
    /// By trial number: the set the trial was in (0 or 1), or [`NO_SET`].
    set_of: Vec<u8>,
    /// Per set: trial numbers and model values in `(value, number)` order.
    numbers: [Vec<u32>; 2],
    values: [Vec<f64>; 2],
    /// Per set: the lists are lent to a proposal's estimator (moved, not
    /// copied) and not back yet; until they are, the split is made anew.
    lent: [bool; 2],
}

/// Not in either set.
const NO_SET: u8 = 2;

/// Past this many trials changing sets, the split is made anew.
const MAX_CHANGES: usize = 16;

impl Column {
    /// Reads the finished trials among `trials` (their numbers in
    /// `numbers`, [`RUNNING`] for the others; both in number order) not
    /// read yet. Each trial is read only the first time: following
    /// thousands of pointers to scattered trials cost more than the rest of
    /// reading the column. Newest first, so a proposal that follows one
    /// new trial looks at that one and stops.
    fn read(&mut self, numbers: &[u32], trials: &[&FrozenTrial], name: &str, distribution: &Distribution) {
        for (&number, trial) in numbers.iter().zip(trials).rev() {
            if number == RUNNING {
                continue;
            }
            if number < self.read_below {
                break;
            }
            if !self.computed.get(number as usize).copied().unwrap_or(false) {
                self.compute(trial, name, distribution);
            }
        }
        while self.computed.get(self.read_below as usize).copied().unwrap_or(false) {
            self.read_below += 1;
        }
    }

    /// The model-space value of a trial [`Column::read`] has read (NaN: the
    /// trial does not have the parameter, or is running).
    #[inline]
    fn model_value(&self, number: u32) -> f64 {
        self.model.get(number as usize).copied().unwrap_or(f64::NAN)
    }

    /// This column's finished trials split by `slots` (see [`SET_SHIFT`])
    /// into the two sets, each in value order: the last split, updated
    /// for the trials that changed sets, or made anew when many did. The
    /// same lists either way (a test checks).
    ///
    /// `set_of` is the set of each trial by number (see [`set_of_slots`]).
    fn split_sets(&mut self, slots: &[u32], set_of_now: &[u8]) -> &mut SetLists {
        let set_of = |number: usize| set_of_now.get(number).copied().unwrap_or(NO_SET);
        let n = self.values.len();
        let mut changed: Vec<(u32, u8, u8)> = Vec::new();
        if self.split.as_ref().is_some_and(|lists| lists.lent.contains(&true)) {
            self.split = None;
        }
        if let Some(lists) = &mut self.split {
            lists.set_of.resize(n, NO_SET);
            // Compared a chunk at a time (a memory comparison), number by
            // number only where a chunk differs.
            const CHUNK: usize = 64;
            for (c, old_chunk) in lists.set_of.chunks(CHUNK).enumerate() {
                let start = c * CHUNK;
                let same = match set_of_now.get(start..start + old_chunk.len()) {
                    Some(now) => now == old_chunk,
                    None => (start..start + old_chunk.len()).map(set_of).eq(old_chunk.iter().copied()),
                };
                if same {
                    continue;
                }
                for (number, &old) in (start..).zip(old_chunk) {
                    let new = set_of(number);
                    if new != old {
                        changed.push((number as u32, old, new));
                    }
                }
                if changed.len() > MAX_CHANGES {
                    break;
                }
            }
        }
        match &mut self.split {
            Some(lists) if changed.len() <= MAX_CHANGES => {
                let values = &self.values;
                for (number, old, new) in changed {
                    let key = values[number as usize];
                    let model = self.model[number as usize];
                    // Bisection over the list's own model values (they are
                    // in the same order, contiguous in memory), then the
                    // exact order among equal ones.
                    let position = |numbers: &[u32], models: &[f64]| {
                        let mut at = models.partition_point(|&v| v < model);
                        while at < numbers.len() && models[at] == model {
                            let m = numbers[at];
                            if values[m as usize].total_cmp(&key).then(m.cmp(&number)).is_ge() {
                                break;
                            }
                            at += 1;
                        }
                        at
                    };
                    if old != NO_SET {
                        let set = old as usize;
                        let at = position(&lists.numbers[set], &lists.values[set]);
                        debug_assert_eq!(lists.numbers[set][at], number);
                        lists.numbers[set].remove(at);
                        lists.values[set].remove(at);
                    }
                    if new != NO_SET {
                        let set = new as usize;
                        let at = position(&lists.numbers[set], &lists.values[set]);
                        lists.numbers[set].insert(at, number);
                        lists.values[set].insert(at, self.model[number as usize]);
                    }
                    lists.set_of[number as usize] = new;
                }
            }
            _ => {
                let mut lists = self.split.take().unwrap_or_default();
                lists.set_of.clear();
                lists.set_of.extend((0..n).map(set_of));
                split_in_value_order(&self.sorted, slots, &mut lists.numbers);
                for (numbers, values) in lists.numbers.iter().zip(&mut lists.values) {
                    values.clear();
                    values.extend(numbers.iter().map(|&number| self.model[number as usize]));
                }
                self.split = Some(lists);
            }
        }
        self.split.as_mut().expect("made above")
    }

    /// Reads a value not seen yet (once per trial and column).
    #[cold]
    fn compute(&mut self, trial: &FrozenTrial, name: &str, distribution: &Distribution) {
        let n = trial.number as usize;
        if self.values.len() <= n {
            self.values.resize(n + 1, f64::NAN);
            self.model.resize(n + 1, f64::NAN);
            self.computed.resize(n + 1, false);
        }
        let v = internal_value(trial, &BTreeMap::new(), name, distribution).unwrap_or(f64::NAN);
        self.values[n] = v;
        self.model[n] = to_model(distribution, v);
        self.computed[n] = true;
        if !v.is_nan() {
            let values = &self.values;
            let at =
                self.sorted.partition_point(|&m| values[m as usize].total_cmp(&v).then(m.cmp(&(n as u32))).is_lt());
            self.sorted.insert(at, n as u32);
        }
    }
}

/// Observations of a search space over some trials: per parameter one
/// value per row (a row per trial that has them all, in the order the
/// trials were given), in the estimator's model space (see
/// [`to_model`]); and per numeric parameter its rows in value order (ties
/// in row order) with their values.
#[derive(Debug, Default)]
pub(crate) struct Observations {
    pub(crate) columns: Vec<Vec<f64>>,
    /// Per parameter: rows and values in value order (both empty for a
    /// categorical parameter).
    pub(crate) sorted: Vec<(Vec<u32>, Vec<f64>)>,
    /// Which of the given trials made a row (those that have every
    /// parameter of the space); `None` when all did.
    pub(crate) kept: Option<Vec<bool>>,
}

/// A value in the estimator's model space: the logarithm for a log-scale
/// parameter, else the internal value times [`model_scale`] (itself, for
/// every range but the widest).
pub(crate) fn to_model(distribution: &Distribution, internal: f64) -> f64 {
    let log = match distribution {
        Distribution::Float(d) => d.log(),
        Distribution::Int(d) => d.log(),
        Distribution::Categorical(_) => false,
    };
    if log {
        internal.ln()
    } else {
        internal * model_scale(distribution)
    }
}

/// What a linear parameter's values are multiplied by in model space: 1,
/// or 1/4 for a float range whose width (widened by a step) passes
/// f64::MAX, such as [-1e308, 1e308]: there the bandwidths and the prior's
/// width, differences of values, would be infinite. A power of two, so the
/// scaling is exact; with 1 the arithmetic is the plain one. (Ints span at
/// most 2^64, and log scales are logarithms: always 1.)
pub(crate) fn model_scale(distribution: &Distribution) -> f64 {
    match distribution {
        Distribution::Float(d) if !d.log() && !(d.high() - d.low() + d.step().unwrap_or(0.0)).is_finite() => 0.25,
        _ => 1.0,
    }
}

/// What the split reads of a final trial.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Final {
    pub(crate) state: TrialState,
    /// The first objective value as a loss (lower is better), for a
    /// complete trial; NaN otherwise.
    pub(crate) loss: f64,
    /// For a pruned trial, how it ranks among pruned ones (see
    /// [`super::pruned_score`]).
    pub(crate) pruned_score: (f64, f64),
}

impl Final {
    /// A complete trial without values counts as failed: the split leaves
    /// it out.
    pub(crate) fn of(trial: &FrozenTrial, direction: StudyDirection) -> Self {
        let (state, loss) = match (&trial.state, trial.values.as_deref()) {
            (TrialState::Complete, Some(values)) => {
                (TrialState::Complete, values.first().map_or(f64::NAN, |&v| direction.as_loss(v)))
            }
            (TrialState::Complete, None) => (TrialState::Failed, f64::NAN),
            (state, _) => (*state, f64::NAN),
        };
        Final { state, loss, pruned_score: super::pruned_score(trial, direction) }
    }
}

/// See the module documentation.
#[derive(Debug, Default)]
pub(crate) struct Memo {
    study: String,
    /// By trial number: the id of the final trial remembered there.
    ids: Vec<Option<i64>>,
    /// By trial number: index of the trial's parameter set in `spaces`.
    space_of: Vec<usize>,
    /// By trial number: the finished trial's total constraint violation
    /// (read from a map of system attributes otherwise, on every split).
    violations: Vec<f64>,
    /// By trial number: what the split reads of a final trial (its state,
    /// first value, how far it got), so that a proposal ranks trials
    /// without following a pointer to each.
    finals: Vec<Option<Final>>,
    /// The first `settled` trials of the study (numbers `0..settled`) are
    /// all final (complete, pruned or failed) and remembered: a view that
    /// holds them at its start needs no look at them. `settled_id` is the
    /// id of the last of them, to recognise such a view.
    settled: usize,
    settled_id: i64,
    /// Among the settled trials: how many are complete or pruned, and
    /// their parameter sets in order of first appearance.
    settled_finished: usize,
    settled_spaces: Vec<usize>,
    /// Distinct parameter sets (names and distributions) of finished trials.
    spaces: Vec<SearchSpace>,
    /// By parameter name, then distribution (usually one per name).
    columns: HashMap<String, Vec<(Distribution, Column)>>,
    /// Arrays of the last proposal, for the next one (not memoized values).
    pub(crate) buffers: Buffers,
    /// The last multi-objective good set (see [`GoodSet`]).
    good_set: Option<GoodSet>,
    /// The hypervolume-contribution weights of the last multi-objective
    /// good set, by the numbers of its trials: each parameter of a trial
    /// sampled independently asks for them again.
    good_weights: Option<(Vec<u32>, Vec<f64>)>,
}

/// A multi-objective good set as the split chose it: among which complete
/// trials (their numbers, in the split's order), how many were asked for,
/// and which were chosen (positions in `among`). Choosing it ranks every
/// complete trial, and each parameter of a trial asks again for the same
/// one: at 5,000 trials this was over half of a proposal.
#[derive(Debug)]
struct GoodSet {
    among: Vec<u32>,
    k: usize,
    chosen: Vec<usize>,
}

impl Memo {
    /// Remember the finished trials of `study` not seen yet.
    pub(crate) fn sync(&mut self, study: &StudyView<'_>) {
        if self.study != study.study_name {
            *self = Memo { study: study.study_name.to_owned(), ..Memo::default() };
        }
        let prefix = self.settled_prefix(study);
        for t in &study.trials[prefix..] {
            if !matches!(t.state, TrialState::Complete | TrialState::Pruned | TrialState::Failed) {
                continue;
            }
            let n = t.number as usize;
            if n >= self.finals.len() {
                self.ids.resize(n + 1, None);
                self.space_of.resize(n + 1, 0);
                self.violations.resize(n + 1, 0.0);
                self.finals.resize(n + 1, None);
            }
            if self.finals[n].is_some() {
                // Remembered: the same trial, or another study of the same name.
                if self.ids[n] != Some(t.trial_id) {
                    *self = Memo { study: study.study_name.to_owned(), ..Memo::default() };
                    return self.sync(study);
                }
                continue;
            }
            self.finals[n] = Some(Final::of(t, study.directions[0]));
            self.ids[n] = Some(t.trial_id);
            self.violations[n] = t.constraint_violation();
            if FINISHED.contains(&t.state) {
                self.space_of[n] = self.intern(t);
            }
        }
        // Move the settled mark past the final trials that follow it, when
        // this view holds the settled trials (a Hyperband bracket does not).
        if prefix == self.settled {
            while let Some(t) = study.trials.get(self.settled) {
                let n = self.settled;
                let remembered = t.number as usize == n && self.finals.get(n).is_some_and(Option::is_some);
                if !remembered || !matches!(t.state, TrialState::Complete | TrialState::Pruned | TrialState::Failed) {
                    break;
                }
                if FINISHED.contains(&t.state) {
                    self.settled_finished += 1;
                    let space = self.space_of[n];
                    if !self.settled_spaces.contains(&space) {
                        self.settled_spaces.push(space);
                    }
                }
                self.settled += 1;
                self.settled_id = t.trial_id;
            }
        }
    }

    /// How many of the view's first trials are settled (see
    /// [`Memo::settled`]): the view holds trials `0..settled` there, each
    /// final, so what the memo remembers of them is what the view says.
    /// Zero for a view that does not start with them.
    pub(crate) fn settled_prefix(&self, study: &StudyView<'_>) -> usize {
        let n = self.settled;
        match n.checked_sub(1).and_then(|last| study.trials.get(last)) {
            Some(t) if t.number as usize == n - 1 && t.trial_id == self.settled_id => n,
            _ => 0,
        }
    }

    /// What the memo remembers of final trial `number` (see [`Final`]);
    /// `None` for one it has not seen.
    #[inline]
    pub(crate) fn final_trial(&self, number: usize) -> Option<&Final> {
        self.finals.get(number).and_then(Option::as_ref)
    }

    /// The good set last chosen among the complete trials numbered
    /// `among` (in this order) when `k` were asked for, if it was the last
    /// one chosen. A number stands for one trial while the memo lives (it
    /// starts over when a trial id changes), and a complete trial's values
    /// do not change, so the same numbers mean the same choice.
    pub(crate) fn good_set(&self, among: &[u32], k: usize) -> Option<&[usize]> {
        self.good_set.as_ref().filter(|g| g.k == k && g.among == among).map(|g| g.chosen.as_slice())
    }

    /// Remember a good set for [`Memo::good_set`].
    pub(crate) fn remember_good_set(&mut self, among: Vec<u32>, k: usize, chosen: Vec<usize>) {
        self.good_set = Some(GoodSet { among, k, chosen });
    }

    /// The weights last computed for the good trials numbered `good` (in
    /// this order), if they were the last ones (a finished trial's values
    /// and state do not change).
    pub(crate) fn good_weights(&self, good: &[u32]) -> Option<&[f64]> {
        self.good_weights.as_ref().filter(|(numbers, _)| numbers == good).map(|(_, w)| w.as_slice())
    }

    /// Remember the weights of a good set for [`Memo::good_weights`].
    pub(crate) fn remember_good_weights(&mut self, good: Vec<u32>, weights: Vec<f64>) {
        self.good_weights = Some((good, weights));
    }

    /// The total constraint violation of remembered final trial `number`.
    #[inline]
    pub(crate) fn violation_of(&self, number: usize) -> f64 {
        self.violations[number]
    }

    /// The complete and pruned trials of the view.
    pub(crate) fn n_finished(&self, study: &StudyView<'_>) -> usize {
        let prefix = self.settled_prefix(study);
        let settled = if prefix > 0 { self.settled_finished } else { 0 };
        settled + study.trials[prefix..].iter().filter(|t| FINISHED.contains(&t.state)).count()
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
        let prefix = self.settled_prefix(study);
        if prefix > 0 {
            for &i in &self.settled_spaces {
                seen[i] = true;
                order.push(i);
            }
        }
        for t in study.trials[prefix..].iter().filter(|t| FINISHED.contains(&t.state)) {
            let i = self.space_of[t.number as usize];
            if !seen[i] {
                seen[i] = true;
                order.push(i);
            }
        }
        order.into_iter().map(|i| &self.spaces[i]).collect()
    }

    /// The observations of `space` over two sets of trials, each in number
    /// order (running trials through the values recorded for them at ask
    /// time): TPE's good and bad sets.
    ///
    /// `numbers` holds, per set, each trial's number, or [`RUNNING`] for a
    /// running one: finished trials are read from the memo by number, not
    /// through their pointers.
    pub(crate) fn observations(
        &mut self,
        sets: [&[&FrozenTrial]; 2],
        numbers: [&[u32]; 2],
        space: &SearchSpace,
    ) -> ([Observations; 2], Rows) {
        let mut columns: Vec<Column> = space.iter().map(|(name, d)| self.take_column(name, d)).collect();
        let params: Vec<(&String, &Distribution)> = space.iter().collect();
        let mut numbers = numbers.map(|given| {
            let mut numbers = self.buffers.u32s();
            numbers.extend_from_slice(given);
            numbers
        });
        // The values recorded for running trials at ask time (they are few).
        let running: [Vec<(usize, BTreeMap<String, f64>)>; 2] = std::array::from_fn(|set| {
            let running = numbers[set].iter().enumerate().filter(|(_, &n)| n == RUNNING);
            running.map(|(row, _)| (row, sets[set][row].relative_params())).collect()
        });
        // Column by column, each set's model-space values in trial order (a
        // missing value, a parameter the trial did not have, is NaN).
        let mut out: [Vec<Vec<f64>>; 2] = [Vec::new(), Vec::new()];
        for (column, (name, distribution)) in columns.iter_mut().zip(&params) {
            for set in 0..2 {
                column.read(&numbers[set], sets[set], name, distribution);
            }
            for set in 0..2 {
                let mut values = self.buffers.f64s();
                values.extend(numbers[set].iter().map(|&number| column.model_value(number)));
                for (row, relative) in &running[set] {
                    let internal = internal_value(sets[set][*row], relative, name, distribution);
                    values[*row] = internal.map_or(f64::NAN, |v| to_model(distribution, v));
                }
                out[set].push(values);
            }
        }
        // A row counts only if the trial has every parameter of the space.
        let mut kept: [Option<Vec<bool>>; 2] = [None, None];
        for set in 0..2 {
            let mut complete = vec![true; sets[set].len()];
            let mut any_missing = false;
            for values in &out[set] {
                for (keep, v) in complete.iter_mut().zip(values) {
                    if v.is_nan() {
                        *keep = false;
                        any_missing = true;
                    }
                }
            }
            if any_missing {
                out[set].iter_mut().for_each(|values| keep_rows(values, &complete));
                keep_rows(&mut numbers[set], &complete);
                kept[set] = Some(complete);
            }
        }
        // The running trials' rows, once the rows are final.
        let running_rows: [Vec<u32>; 2] = std::array::from_fn(|set| {
            if running[set].is_empty() {
                return Vec::new();
            }
            numbers[set].iter().enumerate().filter(|(_, &n)| n == RUNNING).map(|(row, _)| row as u32).collect()
        });
        // Each finished trial's set and row, by number, for the walks below.
        let max_number = numbers.iter().flatten().copied().filter(|&n| n != RUNNING).max();
        let mut slots = self.buffers.u32s();
        slots.resize(max_number.map_or(0, |n| n as usize + 1), NO_SLOT);
        for (set, numbers) in numbers.iter().enumerate() {
            for (row, &number) in numbers.iter().enumerate() {
                if number != RUNNING {
                    slots[number as usize] = ((set as u32) << SET_SHIFT) | row as u32;
                }
            }
        }
        let set_of = set_of_slots(&slots);
        let mut sorted: [Vec<(Vec<u32>, Vec<f64>)>; 2] = [Vec::new(), Vec::new()];
        for (c, (column, (_, distribution))) in columns.iter_mut().zip(&params).enumerate() {
            let mut lists: [(Vec<u32>, Vec<f64>); 2] = Default::default();
            if !matches!(distribution, Distribution::Categorical(_)) {
                let split = column.split_sets(&slots, &set_of);
                for (set, (keys, values)) in lists.iter_mut().enumerate() {
                    if running_rows[set].is_empty() {
                        // Lent, and given back by `Memo::give_back`.
                        *keys = std::mem::take(&mut split.numbers[set]);
                        *values = std::mem::take(&mut split.values[set]);
                        split.lent[set] = true;
                    } else {
                        (*keys, *values) = (self.buffers.u32s(), self.buffers.f64s());
                        keys.extend_from_slice(&split.numbers[set]);
                        values.extend_from_slice(&split.values[set]);
                        merge_running(keys, values, &running_rows[set], &out[set][c], &slots);
                    }
                }
            }
            let [good, bad] = lists;
            sorted[0].push(good);
            sorted[1].push(bad);
        }
        for slot in slots.iter_mut() {
            *slot &= ROW_MASK;
        }
        let rows = Rows { row_of_number: slots };
        for ((name, distribution), column) in space.iter().zip(columns) {
            self.put_column(name, distribution, column);
        }
        let [n0, n1] = numbers;
        self.buffers.give_u32s(n0);
        self.buffers.give_u32s(n1);
        let [out0, out1] = out;
        let [sorted0, sorted1] = sorted;
        let [kept0, kept1] = kept;
        (
            [
                Observations { columns: out0, sorted: sorted0, kept: kept0 },
                Observations { columns: out1, sorted: sorted1, kept: kept1 },
            ],
            rows,
        )
    }

    /// Takes back the value orders [`Memo::observations`] gave for `space`
    /// (per set, per parameter): the lists it lent go back to their
    /// columns, the others to the buffers.
    pub(crate) fn give_back(&mut self, space: &SearchSpace, sorted: [Vec<(Vec<u32>, Vec<f64>)>; 2]) {
        let [good, bad] = sorted;
        for ((name, distribution), lists) in space.iter().zip(good.into_iter().zip(bad)) {
            let column = self
                .columns
                .get_mut(name)
                .and_then(|list| list.iter_mut().find(|(d, _)| d == distribution))
                .and_then(|(_, column)| column.split.as_mut());
            let mut column = column;
            for (set, (keys, values)) in <[_; 2]>::from(lists).into_iter().enumerate() {
                match column.as_deref_mut() {
                    Some(split) if split.lent[set] => {
                        (split.numbers[set], split.values[set]) = (keys, values);
                        split.lent[set] = false;
                    }
                    _ => {
                        self.buffers.give_u32s(keys);
                        self.buffers.give_f64s(values);
                    }
                }
            }
        }
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
pub(crate) const RUNNING: u32 = u32::MAX;

/// A slot holds a finished trial's set (0 or 1) above this bit and its row
/// below; [`NO_SLOT`] marks a trial in neither set.
const SET_SHIFT: u32 = 30;
const ROW_MASK: u32 = (1 << SET_SHIFT) - 1;
const NO_SLOT: u32 = u32::MAX;

/// Each trial's set (0 or 1, or [`NO_SET`]) by number, from its slot.
fn set_of_slots(slots: &[u32]) -> Vec<u8> {
    slots.iter().map(|&slot| if slot == NO_SLOT { NO_SET } else { (slot >> SET_SHIFT) as u8 }).collect()
}

/// Splits a column's finished trials, in the memo's `(value, number)`
/// order, into each set's trial numbers in value order. The sets are told
/// apart without a branch (a good set of 15% is a coin flip the branch
/// predictor loses at every trial): every trial number is written to both
/// lists and each list's end moves past it only if it belongs there.
fn split_in_value_order(sorted: &[u32], slots: &[u32], lists: &mut [Vec<u32>; 2]) {
    let n = sorted.len();
    let [good, bad] = lists;
    good.resize(n, 0);
    bad.resize(n, 0);
    let (mut good_end, mut bad_end) = (0, 0);
    for (i, &number) in sorted.iter().enumerate() {
        let set = slots.get(number as usize).copied().unwrap_or(NO_SLOT) >> SET_SHIFT;
        // (`end <= i`: in bounds.)
        good[good_end.min(i)] = number;
        bad[bad_end.min(i)] = number;
        good_end += usize::from(set == 0);
        bad_end += usize::from(set == 1);
    }
    good.truncate(good_end);
    bad.truncate(bad_end);
}

/// Merges running trials' rows (their values in `values_by_row`) into a
/// set's keys (see [`Rows::kernel`]) and values in value order, ties in
/// row order (`slots` gives the finished trials' rows).
fn merge_running(keys: &mut Vec<u32>, values: &mut Vec<f64>, running: &[u32], values_by_row: &[f64], slots: &[u32]) {
    if running.is_empty() {
        return;
    }
    let before = |a: (f64, u32), b: (f64, u32)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).is_lt();
    let mut running: Vec<(f64, u32)> = running.iter().map(|&r| (values_by_row[r as usize], r)).collect();
    running.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let finished: Vec<(f64, u32)> = values.iter().copied().zip(keys.iter().copied()).collect();
    keys.clear();
    values.clear();
    let mut running = running.into_iter().peekable();
    for (value, number) in finished {
        let row = slots[number as usize] & ROW_MASK;
        while let Some((v, row)) = running.next_if(|&r| before(r, (value, row))) {
            values.push(v);
            keys.push(ROW_KEY | row);
        }
        values.push(value);
        keys.push(number);
    }
    for (v, row) in running {
        values.push(v);
        keys.push(ROW_KEY | row);
    }
}

/// A key of a set's value order: a finished trial's number, or with this
/// bit a running trial's row.
pub(crate) const ROW_KEY: u32 = 1 << 31;

/// The rows of the trials in the sets of one proposal, by trial number.
#[derive(Debug, Default)]
pub(crate) struct Rows {
    row_of_number: Vec<u32>,
}

impl Rows {
    /// The row (kernel) of a key of a set's value order: [`ROW_KEY`] and a
    /// row, or a finished trial's number.
    #[inline]
    pub(crate) fn kernel(&self, key: u32) -> usize {
        if key & ROW_KEY != 0 {
            (key & !ROW_KEY) as usize
        } else {
            self.row_of_number[key as usize] as usize
        }
    }

    /// Hands the array back to `buffers`.
    pub(crate) fn recycle(self, buffers: &mut Buffers) {
        buffers.give_u32s(self.row_of_number);
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ferrotune_core::{FloatDistribution, StudyDirection, TrialParam, RELATIVE_PARAMS_ATTR};

    use super::*;

    #[test]
    fn memo_orders_equal_a_fresh_sort_with_ties_and_running_trials() {
        let d = Distribution::Float(FloatDistribution::new(0.0, 10.0, false, None).unwrap());
        let trials: Vec<Arc<FrozenTrial>> = (0..200u64)
            .map(|i| {
                // Coarse values, so that many tie; every seventh trial
                // running (with the value recorded at ask time).
                let v = ((i * 37) % 23) as f64 / 3.0;
                let state = if i % 7 == 3 { TrialState::Running } else { TrialState::Complete };
                let mut t = FrozenTrial::new(i as i64, i, state);
                t.values = (state == TrialState::Complete).then(|| vec![v]);
                if state == TrialState::Running {
                    t.system_attrs.insert(RELATIVE_PARAMS_ATTR.into(), serde_json::json!({ "x": v }));
                } else {
                    t.params.insert("x".into(), TrialParam { distribution: d.clone(), internal: v });
                }
                Arc::new(t)
            })
            .collect();
        let view = StudyView { study_name: "s", directions: &[StudyDirection::Minimize], trials: &trials };
        let space = SearchSpace::from([("x".to_string(), d.clone())]);
        let mut memo = Memo::default();
        memo.sync(&view);
        // Sets that change a little from one proposal to the next (the
        // memo's split is updated) and a lot (it is made anew), each
        // checked against a fresh sort and a memo that never saw a split.
        let mut in_set: Vec<u8> = (0..200).map(|n| (n % 3 == 0) as u8).collect();
        let mut state = 7u64;
        for step in 0..60 {
            let changes = if step % 10 == 9 { 80 } else { 1 + step % 4 };
            for _ in 0..changes {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                in_set[(state >> 33) as usize % 200] = ((state >> 20) % 3) as u8;
            }
            let sets: [Vec<&FrozenTrial>; 2] = std::array::from_fn(|set| {
                trials.iter().map(|t| &**t).filter(|t| in_set[t.number as usize] == set as u8).collect()
            });
            let numbers = sets.each_ref().map(|set| {
                set.iter()
                    .map(|t| if t.state == TrialState::Running { RUNNING } else { t.number as u32 })
                    .collect::<Vec<_>>()
            });
            let (observed, rows) = memo.observations([&sets[0], &sets[1]], [&numbers[0], &numbers[1]], &space);
            let (fresh, fresh_rows) = {
                let mut fresh = Memo::default();
                fresh.sync(&view);
                fresh.observations([&sets[0], &sets[1]], [&numbers[0], &numbers[1]], &space)
            };
            for (set, observed) in observed.iter().enumerate() {
                let values = &observed.columns[0];
                let expected_values: Vec<f64> = sets[set].iter().map(|t| ((t.number * 37) % 23) as f64 / 3.0).collect();
                assert_eq!(values, &expected_values);
                let mut expected: Vec<u32> = (0..values.len() as u32).collect();
                expected.sort_by(|&a, &b| values[a as usize].total_cmp(&values[b as usize]).then(a.cmp(&b)));
                let (keys, sorted_values) = &observed.sorted[0];
                let rows_in_order: Vec<u32> = keys.iter().map(|&k| rows.kernel(k) as u32).collect();
                assert_eq!(rows_in_order, expected, "step {step}, set {set}");
                let by_rows: Vec<f64> = expected.iter().map(|&r| values[r as usize]).collect();
                assert_eq!(sorted_values, &by_rows);
                let (fresh_keys, _) = &fresh[set].sorted[0];
                let fresh_rows: Vec<usize> = fresh_keys.iter().map(|&k| fresh_rows.kernel(k)).collect();
                assert_eq!(rows_in_order.iter().map(|&r| r as usize).collect::<Vec<_>>(), fresh_rows);
            }
            // As a proposal does once its estimators are built: the lists
            // lent go back, to be updated next time.
            let [good, bad] = observed;
            memo.give_back(&space, [good.sorted, bad.sorted]);
        }
        let column = &memo.columns["x"][0].1;
        assert!(column.split.as_ref().is_some_and(|split| !split.lent.contains(&true)));
    }
}
