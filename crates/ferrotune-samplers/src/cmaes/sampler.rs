//! [`CmaEsSampler`]: CMA-ES driven by the study's trials.
//!
//! The optimizer's state is never stored. Each trial drawn from it records
//! the generation it came from (a system attribute); the state for the next
//! trial is rebuilt by telling the optimizer, generation by generation, the
//! trials of that generation, and memoized so that each generation is told
//! once per process. Which trials make up a generation must be the same
//! whichever worker rebuilds it and whenever, so the rule only looks at
//! facts that never change once they hold: a generation is told once its
//! `population_size` lowest-numbered complete trials are known, i.e. no
//! trial of the generation numbered below the last of them is still running.
//! Trials tagged beyond those (parallel workers keep drawing from a
//! generation until it is told) are not used, as in Optuna.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use ferrotune_core::{
    AttrValue, Distribution, Error, FrozenTrial, Result, Sampler, SearchSpace, StudyDirection, StudyView, TrialState,
};

use super::optimizer::{CmaEs, CmaOptions, Restart};
use crate::space::{intersect_search_space, Axis};
use crate::{hash_str, random_seed, rng_for, RandomSampler};

/// System attribute holding `{"generation": g, "space": key, "x": point}`
/// for a trial CMA-ES sampled (`point`: the unrounded draw on the unit cube).
pub const CMAES_GENERATION_ATTR: &str = "cmaes:generation";

/// Covariance Matrix Adaptation Evolution Strategy, with Optuna's options:
/// restarts (IPOP, BIPOP), separable mode, the margin correction for
/// integer parameters, warm start from another study's trials, and
/// parameters outside the joint space (categorical or conditional ones)
/// sampled independently at random.
#[derive(Clone)]
pub struct CmaEsSampler {
    seed: u64,
    x0: Option<BTreeMap<String, f64>>,
    sigma0: Option<f64>,
    n_startup_trials: usize,
    population_size: Option<usize>,
    restart: Restart,
    inc_popsize: usize,
    separable: bool,
    with_margin: bool,
    consider_pruned_trials: bool,
    source_trials: Arc<Vec<Arc<FrozenTrial>>>,
    memo: Arc<Mutex<Memo>>,
}

impl std::fmt::Debug for CmaEsSampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CmaEsSampler")
            .field("seed", &self.seed)
            .field("x0", &self.x0)
            .field("sigma0", &self.sigma0)
            .field("n_startup_trials", &self.n_startup_trials)
            .field("population_size", &self.population_size)
            .field("restart", &self.restart)
            .field("inc_popsize", &self.inc_popsize)
            .field("separable", &self.separable)
            .field("with_margin", &self.with_margin)
            .field("consider_pruned_trials", &self.consider_pruned_trials)
            .field("source_trials", &self.source_trials.len())
            .finish()
    }
}

/// Options of a [`CmaEsSampler`], checked by [`CmaEsSamplerBuilder::build`].
#[derive(Debug, Clone)]
pub struct CmaEsSamplerBuilder {
    sampler: CmaEsSampler,
}

impl CmaEsSamplerBuilder {
    /// Seed: a seeded sequential study repeats exactly.
    pub fn seed(mut self, seed: u64) -> Self {
        self.sampler.seed = seed;
        self
    }
    /// Initial mean, as internal values by parameter name (default: the
    /// centre of the space). Parameters left out start at the centre.
    pub fn x0(mut self, x0: BTreeMap<String, f64>) -> Self {
        self.sampler.x0 = Some(x0);
        self
    }
    /// Initial step size on the unit cube every parameter is scaled to
    /// (default 1/6, as in Optuna).
    pub fn sigma0(mut self, sigma0: f64) -> Self {
        self.sampler.sigma0 = Some(sigma0);
        self
    }
    /// Trials sampled independently before CMA-ES starts (default 1, as in
    /// Optuna: the joint space is learnt from finished trials).
    pub fn n_startup_trials(mut self, n: usize) -> Self {
        self.sampler.n_startup_trials = n;
        self
    }
    /// Population size of the first run (default 4 + floor(3 ln n)).
    pub fn population_size(mut self, n: usize) -> Self {
        self.sampler.population_size = Some(n);
        self
    }
    /// Restart strategy when a run converges (default: none, as in Optuna).
    pub fn restart(mut self, restart: Restart) -> Self {
        self.sampler.restart = restart;
        self
    }
    /// Population growth per restart (default 2).
    pub fn inc_popsize(mut self, factor: usize) -> Self {
        self.sampler.inc_popsize = factor;
        self
    }
    /// Diagonal covariance (sep-CMA-ES), for many parameters.
    pub fn separable(mut self, on: bool) -> Self {
        self.sampler.separable = on;
        self
    }
    /// Keep integer and stepped parameters from freezing on one value
    /// (CMA-ES with margin).
    pub fn with_margin(mut self, on: bool) -> Self {
        self.sampler.with_margin = on;
        self
    }
    /// Tell the optimizer pruned trials too, by their last reported value.
    pub fn consider_pruned_trials(mut self, on: bool) -> Self {
        self.sampler.consider_pruned_trials = on;
        self
    }
    /// Warm start from the finished trials of an earlier, similar study:
    /// the first search distribution is fitted to its best trials.
    pub fn source_trials(mut self, trials: Vec<Arc<FrozenTrial>>) -> Self {
        self.sampler.source_trials = Arc::new(trials);
        self
    }

    /// Check the options.
    pub fn build(self) -> Result<CmaEsSampler> {
        let s = &self.sampler;
        let bad = |m: &str| Err(Error::InvalidArgument(m.to_owned()));
        if s.sigma0.is_some_and(|v| !(v > 0.0 && v.is_finite())) {
            return bad("sigma0 must be a positive number");
        }
        if s.population_size.is_some_and(|n| n < 2) {
            return bad("population_size must be at least 2");
        }
        if s.inc_popsize < 1 {
            return bad("inc_popsize must be at least 1");
        }
        if s.x0.is_some() && !s.source_trials.is_empty() {
            return bad("x0 and source_trials both set the initial distribution; give one of them");
        }
        if s.separable && s.with_margin {
            return bad("with_margin is not available with the separable covariance");
        }
        Ok(self.sampler)
    }
}

impl CmaEsSampler {
    /// Options with Optuna's defaults, unseeded.
    pub fn builder() -> CmaEsSamplerBuilder {
        CmaEsSamplerBuilder {
            sampler: CmaEsSampler {
                seed: random_seed(),
                x0: None,
                sigma0: None,
                n_startup_trials: 1,
                population_size: None,
                restart: Restart::None,
                inc_popsize: 2,
                separable: false,
                with_margin: false,
                consider_pruned_trials: false,
                source_trials: Arc::default(),
                memo: Arc::default(),
            },
        }
    }

    /// A sampler with the defaults, unseeded.
    pub fn new() -> Self {
        Self::builder().build().expect("the defaults are valid")
    }

    /// A sampler with the defaults and a seed.
    pub fn with_seed(seed: u64) -> Self {
        Self::builder().seed(seed).build().expect("the defaults are valid")
    }

    fn fallback(&self) -> RandomSampler {
        RandomSampler::with_seed(self.seed)
    }

    /// The value CMA-ES minimizes for a finished trial, if it is told.
    fn loss(&self, trial: &FrozenTrial, direction: StudyDirection) -> Option<f64> {
        let value = match trial.state {
            TrialState::Complete => trial.value()?,
            TrialState::Pruned if self.consider_pruned_trials => trial.last_intermediate()?.1,
            _ => return None,
        };
        let loss = if direction == StudyDirection::Maximize { -value } else { value };
        // NaN ranks worst rather than poisoning the update.
        Some(if loss.is_nan() { f64::INFINITY } else { loss })
    }

    fn options(&self, axes: &[Axis]) -> CmaOptions {
        CmaOptions {
            sigma0: self.sigma0,
            population_size: self.population_size,
            separable: self.separable,
            restart: self.restart,
            inc_popsize: self.inc_popsize,
            discrete_widths: if self.with_margin {
                axes.iter().map(Axis::discrete_width).collect()
            } else {
                vec![None; axes.len()]
            },
        }
    }

    /// The optimizer before any generation is told.
    fn initial(&self, axes: &[Axis], direction: StudyDirection) -> Result<CmaEs> {
        let bounds = vec![(0.0, 1.0); axes.len()];
        let seed = self.seed ^ hash_str(&fingerprint(axes));
        let options = self.options(axes);
        if !self.source_trials.is_empty() {
            let solutions: Vec<(Vec<f64>, f64)> = self
                .source_trials
                .iter()
                .filter_map(|t| {
                    let x = point_of(t, axes)?;
                    Some((x, self.loss(t, direction)?))
                })
                .collect();
            return CmaEs::warm_start(bounds, &solutions, options, seed);
        }
        let mean0 = self
            .x0
            .as_ref()
            .map(|x0| axes.iter().map(|a| x0.get(&a.name).map_or(0.5, |&v| a.position_of(v))).collect::<Vec<f64>>());
        CmaEs::new(bounds, mean0, options, seed)
    }
}

impl Default for CmaEsSampler {
    fn default() -> Self {
        Self::new()
    }
}

/// The axes CMA-ES models: the numeric, non-constant parameters of a
/// search space, in name order. Categorical parameters are left to the
/// independent sampler, as in Optuna.
fn axes(space: &SearchSpace) -> Vec<Axis> {
    space.iter().filter(|(_, d)| !d.is_single()).filter_map(|(name, d)| Axis::new(name, d)).collect()
}

/// A stable text key for a list of axes: trials sampled for another space
/// belong to another optimizer.
fn fingerprint(axes: &[Axis]) -> String {
    axes.iter().map(|a| format!("{}={}", a.name, a.distribution)).collect::<Vec<_>>().join(";")
}

/// A trial's point on the axes, if it has every one of them: the point
/// CMA-ES drew (recorded in the trial's tag) when the trial's values are
/// that point's, rounded — the margin correction wants the unrounded point —
/// and otherwise the values' own positions (a trial enqueued by hand, or
/// sampled for another space, in a warm start).
fn point_of(trial: &FrozenTrial, axes: &[Axis]) -> Option<Vec<f64>> {
    let values: Vec<f64> = axes
        .iter()
        .map(|a| trial.params.get(&a.name).filter(|p| p.distribution == a.distribution).map(|p| p.internal))
        .collect::<Option<_>>()?;
    let drawn: Option<Vec<f64>> = trial
        .system_attrs
        .get(CMAES_GENERATION_ATTR)
        .and_then(|tag| tag.get("x")?.as_array()?.iter().map(AttrValue::as_f64).collect());
    if let Some(drawn) = drawn.filter(|x| x.len() == axes.len()) {
        if axes.iter().zip(&drawn).zip(&values).all(|((a, &u), &v)| a.value_at(u) == v) {
            return Some(drawn);
        }
    }
    Some(axes.iter().zip(&values).map(|(a, &v)| a.position_of(v)).collect())
}

/// A trial's CMA-ES tag: (hash of the space's fingerprint, generation).
fn tag_of(trial: &FrozenTrial) -> Option<(u64, u64)> {
    let tag = trial.system_attrs.get(CMAES_GENERATION_ATTR)?;
    Some((hash_str(tag.get("space")?.as_str()?), tag.get("generation")?.as_u64()?))
}

/// The tell decisions a trial's tag records: (space hash, generation) ->
/// the trial numbers that generation was told with.
fn decisions_of(trial: &FrozenTrial) -> Vec<((u64, u64), Vec<u64>)> {
    let Some(tag) = trial.system_attrs.get(CMAES_GENERATION_ATTR) else { return Vec::new() };
    let (Some(space), Some(told)) = (tag.get("space").and_then(AttrValue::as_str), tag.get("told")) else {
        return Vec::new();
    };
    let Some(told) = told.as_object() else { return Vec::new() };
    told.iter()
        .filter_map(|(generation, numbers)| {
            let numbers = numbers.as_array()?.iter().map(AttrValue::as_u64).collect::<Option<Vec<u64>>>()?;
            Some(((hash_str(space), generation.parse().ok()?), numbers))
        })
        .collect()
}

/// What the sampler has learnt from the trials so far, for one view of
/// the study. It is memoization, nothing more: finished trials never
/// change and recorded decisions are followed, so what was learnt stays
/// true; the memo is dropped and rebuilt whenever the view it was built
/// from is not a prefix of the one given (another Hyperband bracket,
/// another study) or another process recorded a different decision first.
#[derive(Default)]
struct Memo {
    /// Trial numbers of the view's trials seen so far, in order.
    numbers: Vec<u64>,
    /// Index of the first trial that was unfinished when last looked at.
    unfinished_from: usize,
    /// Finished trials at or after `unfinished_from` already taken in.
    taken: HashSet<u64>,
    /// Intersection of the complete trials' search spaces.
    intersection: Option<SearchSpace>,
    n_complete: usize,
    /// Finished tagged trials by tag, as indices into the view (ascending).
    finished_by_tag: HashMap<(u64, u64), Vec<usize>>,
    /// Recorded decisions by tag: (number of the trial recording it, the
    /// trial numbers told). The lowest recording trial's decision stands.
    decisions: HashMap<(u64, u64), (u64, Vec<u64>)>,
    optimizer: Option<Optimizer>,
    /// The tag of the last relative sample, by trial number, for
    /// [`Sampler::relative_sample_attrs`].
    last_sample: Option<(u64, AttrValue)>,
}

/// The optimizer for one space, told up to `state.generation()`.
struct Optimizer {
    key: String,
    key_hash: u64,
    axes: Vec<Axis>,
    state: CmaEs,
    /// The trial numbers each generation was told with.
    told_with: Vec<Vec<u64>>,
}

impl Memo {
    /// Take in the trials of `study` finished since the last call, and the
    /// decisions recorded by any trial.
    fn sync(&mut self, study: &StudyView<'_>) {
        // A plain comparison of trial numbers: a few nanoseconds each.
        let same_prefix = self.numbers.len() <= study.trials.len()
            && self.numbers.iter().zip(study.trials.iter()).all(|(n, t)| *n == t.number);
        if !same_prefix {
            *self = Memo::default();
        }
        self.numbers.extend(study.trials[self.numbers.len()..].iter().map(|t| t.number));
        let mut first_unfinished = None;
        let mut new_decision = false;
        for (index, trial) in study.trials.iter().enumerate().skip(self.unfinished_from) {
            // Decisions are recorded when a trial is asked, so running
            // trials can hold them too.
            for (tag, numbers) in decisions_of(trial) {
                let slot = self.decisions.entry(tag).or_insert((trial.number, numbers.clone()));
                if trial.number < slot.0 {
                    *slot = (trial.number, numbers);
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
            if let Some(tag) = tag_of(trial) {
                self.finished_by_tag.entry(tag).or_default().push(index);
            }
            if trial.state == TrialState::Complete {
                self.n_complete += 1;
                intersect_search_space(&mut self.intersection, trial);
            }
        }
        let new_from = first_unfinished.unwrap_or(study.trials.len());
        if new_from > self.unfinished_from {
            let passed: HashSet<u64> = study.trials[self.unfinished_from..new_from].iter().map(|t| t.number).collect();
            self.taken.retain(|n| !passed.contains(n));
            self.unfinished_from = new_from;
        }
        // Another process told a generation differently, and recorded it
        // first: start over and follow the record.
        let contradicted = new_decision
            && self.optimizer.as_ref().is_some_and(|o| {
                o.told_with.iter().enumerate().any(|(generation, numbers)| {
                    self.decisions.get(&(o.key_hash, generation as u64)).is_some_and(|(_, d)| d != numbers)
                })
            });
        if contradicted {
            *self = Memo::default();
            self.sync(study);
        }
    }
}

impl CmaEsSampler {
    /// Tell the optimizer every generation it can: as recorded by a trial's
    /// tag if a decision was recorded, otherwise with the generation's
    /// `population_size` lowest-numbered complete trials, if there are that
    /// many (the decision is then returned, to be recorded on the trial
    /// being sampled).
    fn catch_up(&self, memo: &mut Memo, study: &StudyView<'_>) -> Result<BTreeMap<u64, Vec<u64>>> {
        let direction = study.directions[0];
        let mut made = BTreeMap::new();
        let Memo { optimizer: Some(optimizer), finished_by_tag, decisions, .. } = memo else {
            return Ok(made);
        };
        let by_number = |n: u64| study.trials.binary_search_by_key(&n, |t| t.number).ok().map(|i| &*study.trials[i]);
        loop {
            let generation = optimizer.state.generation();
            let needed = optimizer.state.population_size();
            let tag = (optimizer.key_hash, generation);
            let (numbers, solutions) = if let Some((_, recorded)) = decisions.get(&tag) {
                let solutions: Option<Vec<(Vec<f64>, f64)>> = recorded
                    .iter()
                    .map(|&n| {
                        let trial = by_number(n)?;
                        Some((point_of(trial, &optimizer.axes)?, self.loss(trial, direction)?))
                    })
                    .collect();
                match solutions {
                    Some(solutions) if solutions.len() == needed => (recorded.clone(), solutions),
                    // Not replayable from this view (a trial of it is hidden
                    // by a pruner's grouping): keep sampling from here.
                    _ => return Ok(made),
                }
            } else {
                let mut numbers = Vec::with_capacity(needed);
                let mut solutions = Vec::with_capacity(needed);
                for &index in finished_by_tag.get(&tag).map_or(&[][..], Vec::as_slice) {
                    let trial = &study.trials[index];
                    if let (Some(x), Some(loss)) = (point_of(trial, &optimizer.axes), self.loss(trial, direction)) {
                        numbers.push(trial.number);
                        solutions.push((x, loss));
                        if solutions.len() == needed {
                            break;
                        }
                    }
                }
                if solutions.len() < needed {
                    return Ok(made);
                }
                made.insert(generation, numbers.clone());
                (numbers, solutions)
            };
            optimizer.state.tell(&solutions)?;
            optimizer.told_with.push(numbers);
        }
    }
}

impl Sampler for CmaEsSampler {
    fn name(&self) -> &str {
        "cmaes"
    }

    fn check_directions(&self, directions: &[StudyDirection]) -> Result<()> {
        crate::single_objective("CMA-ES", directions)
    }

    fn infer_relative_search_space(&self, study: &StudyView<'_>, _trial: &FrozenTrial) -> SearchSpace {
        let mut memo = self.memo.lock().unwrap_or_else(|p| p.into_inner());
        memo.sync(study);
        let Some(common) = &memo.intersection else { return SearchSpace::new() };
        axes(common).into_iter().map(|a| (a.name, a.distribution)).collect()
    }

    fn sample_relative(
        &self,
        study: &StudyView<'_>,
        trial: &FrozenTrial,
        search_space: &SearchSpace,
    ) -> Result<BTreeMap<String, f64>> {
        if study.is_multi_objective() {
            crate::single_objective("CMA-ES", study.directions)?;
        }
        let space_axes = axes(search_space);
        let mut memo = self.memo.lock().unwrap_or_else(|p| p.into_inner());
        memo.sync(study);
        if space_axes.is_empty() || memo.n_complete < self.n_startup_trials {
            return Ok(BTreeMap::new());
        }
        let key = fingerprint(&space_axes);
        if memo.optimizer.as_ref().is_none_or(|o| o.key != key) {
            let state = self.initial(&space_axes, study.directions[0])?;
            memo.optimizer =
                Some(Optimizer { key_hash: hash_str(&key), key, axes: space_axes, state, told_with: Vec::new() });
        }
        let made = self.catch_up(&mut memo, study)?;
        let optimizer = memo.optimizer.as_ref().expect("just set");
        let x = optimizer.state.ask(&mut rng_for(self.seed, trial.number, "cmaes"));
        let sample: BTreeMap<String, f64> =
            optimizer.axes.iter().zip(&x).map(|(a, &u)| (a.name.clone(), a.value_at(u))).collect();
        let mut tag = serde_json::Map::new();
        tag.insert("generation".into(), AttrValue::from(optimizer.state.generation()));
        tag.insert("space".into(), AttrValue::from(optimizer.key.as_str()));
        tag.insert("x".into(), AttrValue::from(x));
        if !made.is_empty() {
            let told = made.into_iter().map(|(g, numbers)| (g.to_string(), AttrValue::from(numbers)));
            tag.insert("told".into(), AttrValue::Object(told.collect()));
        }
        memo.last_sample = Some((trial.number, AttrValue::Object(tag)));
        Ok(sample)
    }

    fn relative_sample_attrs(
        &self,
        _study: &StudyView<'_>,
        trial: &FrozenTrial,
        _sample: &BTreeMap<String, f64>,
    ) -> Result<BTreeMap<String, AttrValue>> {
        let memo = self.memo.lock().unwrap_or_else(|p| p.into_inner());
        Ok(match &memo.last_sample {
            Some((number, tag)) if *number == trial.number => {
                BTreeMap::from([(CMAES_GENERATION_ATTR.to_owned(), tag.clone())])
            }
            _ => BTreeMap::new(),
        })
    }

    fn sample_independent(
        &self,
        study: &StudyView<'_>,
        trial: &FrozenTrial,
        name: &str,
        distribution: &Distribution,
    ) -> Result<f64> {
        self.fallback().sample_independent(study, trial, name, distribution)
    }
}

#[cfg(test)]
mod tests {
    use ferrotune_core::{FloatDistribution, IntDistribution};

    use super::*;

    #[test]
    fn the_axes_are_the_numeric_non_constant_parameters_in_name_order() {
        let space: SearchSpace = [
            ("b".to_owned(), Distribution::Float(FloatDistribution::new(1e-4, 1.0, true, None).unwrap())),
            ("a".to_owned(), Distribution::Float(FloatDistribution::new(-2.0, 6.0, false, None).unwrap())),
            ("c".to_owned(), Distribution::Int(IntDistribution::new(0, 3, false, 1).unwrap())),
            ("d".to_owned(), Distribution::categorical(["x", "y"]).unwrap()),
            ("e".to_owned(), Distribution::Int(IntDistribution::new(2, 2, false, 1).unwrap())),
        ]
        .into_iter()
        .collect();
        let axes = axes(&space);
        assert_eq!(axes.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(), ["a", "b", "c"]);
        // The fingerprint names the space: the same axes give the same key,
        // another range another one.
        assert_eq!(fingerprint(&axes), fingerprint(&super::axes(&space.clone())));
        let mut wider = space;
        wider.insert("c".to_owned(), Distribution::Int(IntDistribution::new(0, 4, false, 1).unwrap()));
        assert_ne!(fingerprint(&axes), fingerprint(&super::axes(&wider)));
    }
}
