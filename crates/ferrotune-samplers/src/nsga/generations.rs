//! Generations rebuilt from the study's trials, the way CMA-ES rebuilds
//! its state: nothing but the trials is stored, and every worker, and a
//! process resuming the study, derives the same generations from them.
//!
//! Each trial a genetic sampler breeds carries a tag (a system attribute)
//! naming the generation whose parents it was bred from; trials without a
//! tag (the random first generation, trials enqueued by hand) count as
//! generation 0. Generation `g` *closes* at the `population_size`-th
//! complete trial tagged `g`, in number order, once every candidate
//! numbered below it has finished; its *pool* is then the previous
//! parents plus every complete trial numbered up to there that no earlier
//! pool took (children of older generations that finished late
//! included), and the elitist cut of that pool is the next generation's
//! parents.
//!
//! Design decision: the rule waits for the running trials below the
//! closing one, so the members of a generation depend only on facts that
//! never change once true (a trial's tag, its final state): parallel workers
//! agree without talking, and replaying the same trials one at a time gives
//! the same parents. While a generation waits, workers keep breeding from
//! its parents, so nobody idles. A trial that runs forever (a worker died
//! without heartbeats) would hold evolution back, so once a generation has
//! twice `population_size` complete children it closes without the
//! stragglers (they join a later pool when they finish, and hold no later
//! generation back); that decision depends on timing, so it is recorded in
//! the tag of the trial being asked, as are all closing decisions, and a worker that decided otherwise
//! follows the record of the lower-numbered trial.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use ferrotune_core::{AttrValue, FrozenTrial, SearchSpace, StudyDirection, StudyView, TrialState, CONSTRAINTS_ATTR};

use rand::RngCore;

use super::selection::{Candidate, Ranked};
use crate::rng_for;
use crate::space::intersect_search_space;

/// A closed generation: who was in its pool, and the parents it gave.
#[derive(Debug, Clone)]
pub(crate) struct Closed {
    /// The trial numbers that joined the pool at this closing (ascending).
    pub members: Vec<u64>,
    /// The parents of the next generation, ascending by trial number.
    pub parents: Vec<Arc<FrozenTrial>>,
    /// Their ranks and crowding distances, for tournaments.
    pub ranked: Ranked,
}

/// What a genetic sampler has learnt from the trials so far: memoization,
/// nothing more, dropped and rebuilt when the view it was built from is not
/// a prefix of the one given or another worker's record contradicts it.
#[derive(Default)]
pub(crate) struct Generations {
    /// The study the view is of (a sampler may serve several in turn).
    study_name: String,
    /// Trial numbers of the view's trials seen so far, in order.
    numbers: Vec<u64>,
    /// Index of the first trial that was unfinished when last looked at.
    unfinished_from: usize,
    /// Finished trials at or after `unfinished_from` already taken in.
    taken: HashSet<u64>,
    /// Intersection of the complete trials' search spaces.
    pub intersection: Option<SearchSpace>,
    /// View indices of trials that may still join a pool: not a member
    /// yet, not finished other than complete.
    open: BTreeSet<usize>,
    /// Recorded closing decisions by generation: (number of the recording
    /// trial, the members). The lowest recording trial's stands.
    decisions: HashMap<u64, (u64, Vec<u64>)>,
    /// The closed generations, in order.
    pub closed: Vec<Closed>,
    /// View index of the last closed generation's highest-numbered member
    /// (its closing trial): a trial below it still running is a straggler
    /// that generation closed without, and holds no later one back.
    last_closing: Option<usize>,
    /// Closing decisions this process made and has not yet recorded on a
    /// trial (a look at the parents closes generations too).
    unrecorded: Vec<(u64, Vec<u64>)>,
    /// By view index, the generation a finished trial was bred for
    /// ([`UNREAD`] until it is taken in): the closing rule asks for the
    /// open trials' generations at every ask, and reading the tag is a
    /// string lookup in two maps.
    generation_of: Vec<u64>,
}

/// A trial whose generation [`Generations::generation_of`] has not read.
const UNREAD: u64 = u64::MAX;

/// The system attribute key of a sampler's tag is the sampler's own
/// (`nsga2:generation`), so two genetic samplers never read each other's.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TagKey(pub &'static str);

impl TagKey {
    /// The generation a trial was bred for (0 when untagged).
    fn generation(self, trial: &FrozenTrial) -> u64 {
        trial.system_attrs.get(self.0).and_then(|t| t.get("generation")?.as_u64()).unwrap_or(0)
    }

    /// The closing decisions a trial's tag records.
    fn decisions(self, trial: &FrozenTrial) -> Vec<(u64, Vec<u64>)> {
        let Some(closed) = trial.system_attrs.get(self.0).and_then(|t| t.get("closed")?.as_object()) else {
            return Vec::new();
        };
        closed
            .iter()
            .filter_map(|(generation, numbers)| {
                let numbers = numbers.as_array()?.iter().map(AttrValue::as_u64).collect::<Option<Vec<u64>>>()?;
                Some((generation.parse().ok()?, numbers))
            })
            .collect()
    }
}

/// A complete trial as the selection sees it.
pub(crate) fn candidate(trial: &FrozenTrial, directions: &[StudyDirection]) -> Candidate {
    let values = trial.values.as_deref().unwrap_or(&[]);
    let losses = directions
        .iter()
        .enumerate()
        .map(|(k, d)| {
            let v = values.get(k).copied().unwrap_or(f64::INFINITY);
            let loss = if *d == StudyDirection::Maximize { -v } else { v };
            if loss.is_nan() {
                f64::INFINITY
            } else {
                loss
            }
        })
        .collect();
    // A constraint that is not a number (NaN is stored as null; Optuna
    // refuses it) is the worst violation rather than none, as
    // `is_feasible` has it: `constraint_violation` sums the numbers only.
    let violation = trial.system_attrs.get(CONSTRAINTS_ATTR).map(|constraints| {
        let numbers =
            constraints.as_object().is_some_and(|c| c.values().all(|v| v.as_f64().is_some_and(f64::is_finite)));
        if numbers {
            trial.constraint_violation()
        } else {
            f64::INFINITY
        }
    });
    Candidate { number: trial.number, losses, violation }
}

/// Whether a trial can sit in a pool: complete, with one value per objective.
fn usable(trial: &FrozenTrial, directions: &[StudyDirection]) -> bool {
    trial.state == TrialState::Complete && trial.values.as_ref().is_some_and(|v| v.len() == directions.len())
}

impl Generations {
    /// Take in what changed in `study` since the last call.
    pub fn sync(&mut self, study: &StudyView<'_>, key: TagKey) {
        // Trial numbers are dense (0, 1, 2, ...) in a study's whole view, so
        // two dense views of one study are prefixes of each other: one look
        // at the last trial instead of reading every trial (a cache miss
        // each, 0.05 ms per ask at 5,000 trials). Views of a pruner's group
        // are not dense and are compared number by number.
        let dense = |n: usize, last: Option<u64>| last.is_none_or(|l| l + 1 == n as u64);
        let same_prefix = self.study_name == study.study_name
            && self.numbers.len() <= study.trials.len()
            && if dense(self.numbers.len(), self.numbers.last().copied())
                && dense(study.trials.len(), study.trials.last().map(|t| t.number))
            {
                true
            } else {
                self.numbers.iter().zip(study.trials.iter()).all(|(n, t)| *n == t.number)
            };
        if !same_prefix {
            *self = Generations { study_name: study.study_name.to_owned(), ..Generations::default() };
        }
        let first_new = self.numbers.len();
        self.numbers.extend(study.trials[first_new..].iter().map(|t| t.number));
        self.open.extend(first_new..study.trials.len());
        self.generation_of.resize(study.trials.len(), UNREAD);
        let mut first_unfinished = None;
        let mut new_decision = false;
        for (index, trial) in study.trials.iter().enumerate().skip(self.unfinished_from) {
            // A tag is written at ask time, after the trial was created:
            // running trials are read again at every call.
            for (generation, members) in key.decisions(trial) {
                let slot = self.decisions.entry(generation).or_insert((trial.number, members.clone()));
                if trial.number < slot.0 {
                    *slot = (trial.number, members);
                }
                new_decision = true;
            }
            if !trial.state.is_finished() {
                first_unfinished.get_or_insert(index);
                continue;
            }
            if !self.taken.insert(trial.number) {
                continue;
            }
            self.generation_of[index] = key.generation(trial);
            if !usable(trial, study.directions) {
                self.open.remove(&index);
            }
            if trial.state == TrialState::Complete {
                intersect_search_space(&mut self.intersection, trial);
            }
        }
        let new_from = first_unfinished.unwrap_or(study.trials.len());
        if new_from > self.unfinished_from {
            let passed: HashSet<u64> = study.trials[self.unfinished_from..new_from].iter().map(|t| t.number).collect();
            self.taken.retain(|n| !passed.contains(n));
            self.unfinished_from = new_from;
        }
        let contradicted = new_decision
            && self.closed.iter().enumerate().any(|(generation, closed)| {
                self.decisions.get(&(generation as u64)).is_some_and(|(_, members)| *members != closed.members)
            });
        if contradicted {
            *self = Generations { study_name: study.study_name.to_owned(), ..Generations::default() };
            self.sync(study, key);
        }
    }

    /// Close every generation that can be: as recorded if a trial recorded
    /// it, otherwise by the rule in the module's docs. `elites` is the
    /// sampler's cut (the indices of the survivors among the candidates;
    /// its generator, for ties it breaks at random, is seeded by the
    /// generation and its closing trial's number, facts every worker
    /// shares, and by neither the sampler's seed nor the clock, so unseeded
    /// workers agree too).
    /// Decisions made by the rule wait in [`Generations::take_unrecorded`].
    pub fn close(
        &mut self,
        study: &StudyView<'_>,
        key: TagKey,
        population_size: usize,
        elites: impl Fn(&[Candidate], usize, &mut dyn RngCore) -> Vec<usize>,
    ) {
        loop {
            let generation = self.closed.len() as u64;
            let member_indices: Vec<usize> = if let Some((_, recorded)) = self.decisions.get(&generation) {
                let indices: Option<Vec<usize>> = recorded
                    .iter()
                    .map(|&n| {
                        let index = study.trials.binary_search_by_key(&n, |t| t.number).ok()?;
                        usable(&study.trials[index], study.directions).then_some(index)
                    })
                    .collect();
                match indices {
                    Some(indices) => indices,
                    // Not replayable from this view (a trial of it is hidden
                    // by a pruner's grouping): keep breeding from here.
                    None => return,
                }
            } else {
                match self.by_rule(study, key, generation, population_size) {
                    Some(indices) => {
                        self.unrecorded.push((generation, indices.iter().map(|&i| study.trials[i].number).collect()));
                        indices
                    }
                    None => return,
                }
            };
            for index in &member_indices {
                self.open.remove(index);
            }
            if let Some(&highest) = member_indices.iter().max() {
                self.last_closing = Some(self.last_closing.map_or(highest, |last| last.max(highest)));
            }
            let previous = self.closed.last().map_or(&[][..], |c| c.parents.as_slice());
            let mut pool: Vec<Arc<FrozenTrial>> = previous.to_vec();
            pool.extend(member_indices.iter().map(|&i| Arc::clone(&study.trials[i])));
            let candidates: Vec<Candidate> = pool.iter().map(|t| candidate(t, study.directions)).collect();
            let closing = member_indices.iter().map(|&i| study.trials[i].number).max().unwrap_or(0);
            let mut tie_break = rng_for(generation, closing, key.0);
            let mut parents: Vec<Arc<FrozenTrial>> = elites(&candidates, population_size, &mut tie_break)
                .into_iter()
                .map(|i| Arc::clone(&pool[i]))
                .collect();
            parents.sort_by_key(|t| t.number);
            let ranked = Ranked::new(&parents.iter().map(|t| candidate(t, study.directions)).collect::<Vec<_>>());
            let members = member_indices.iter().map(|&i| study.trials[i].number).collect();
            self.closed.push(Closed { members, parents, ranked });
        }
    }

    /// The members of `generation` by the closing rule, if it closes now.
    fn by_rule(
        &self,
        study: &StudyView<'_>,
        key: TagKey,
        generation: u64,
        population_size: usize,
    ) -> Option<Vec<usize>> {
        let generation_of = |i: usize| match self.generation_of.get(i) {
            Some(&g) if g != UNREAD => g,
            _ => key.generation(&study.trials[i]),
        };
        let candidates: Vec<usize> = self.open.iter().copied().filter(|&i| generation_of(i) <= generation).collect();
        let is_child = |i: usize| usable(&study.trials[i], study.directions) && generation_of(i) == generation;
        let children: Vec<usize> = candidates.iter().copied().filter(|&i| is_child(i)).collect();
        let &closing = children.get(population_size.checked_sub(1)?)?;
        let below = candidates.iter().copied().take_while(|&i| i <= closing);
        // Only trials after the last closing count: one running below it
        // was already passed over (by the straggler rule, so recorded), and
        // waiting for it again would slow every later generation.
        let settled = below
            .clone()
            .filter(|&i| self.last_closing.is_none_or(|last| i > last))
            .all(|i| study.trials[i].state.is_finished());
        if !settled && children.len() < 2 * population_size {
            return None;
        }
        Some(below.filter(|&i| usable(&study.trials[i], study.directions)).collect())
    }

    /// The closing decisions made since the last call, by generation, for
    /// the tag of the trial being asked.
    pub fn take_unrecorded(&mut self) -> Vec<(u64, Vec<u64>)> {
        std::mem::take(&mut self.unrecorded)
    }

    /// The parents of the generation being bred, if one has closed.
    pub fn parents(&self) -> Option<&Closed> {
        self.closed.last()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_candidate_is_the_trial_in_loss_space_with_its_violation() {
        let directions = [StudyDirection::Minimize, StudyDirection::Maximize];
        let plain = FrozenTrial::builder(4).values(&[1.0, 2.0]).build();
        assert_eq!(candidate(&plain, &directions), Candidate { number: 4, losses: vec![1.0, -2.0], violation: None });
        let feasible = FrozenTrial::builder(5).values(&[1.0, 2.0]).constraint("a", -1.0).build();
        assert_eq!(candidate(&feasible, &directions).violation, Some(0.0));
        let infeasible = FrozenTrial::builder(6).values(&[1.0, 2.0]).constraint("a", 0.5).constraint("b", 2.0).build();
        assert_eq!(candidate(&infeasible, &directions).violation, Some(2.5));
        let nan = FrozenTrial::builder(7).values(&[1.0, 2.0]).constraint("a", f64::NAN).build();
        assert_eq!(candidate(&nan, &directions).violation, Some(f64::INFINITY));
    }
}
