//! The body NSGA-II and NSGA-III share: [`GeneticSampler`], generic over
//! the survivor cut, the one step where the two differ (`nsga2` and
//! `nsga3` each give theirs, as a [`SurvivorCut`]).
//!
//! A child is bred at ask time, from the parents of the newest closed
//! generation: with probability `crossover_prob`, parents picked by binary
//! tournaments on rank and crowding distance (Deb's crowded comparison;
//! Optuna's tournament looks at domination only) are crossed on the unit
//! cube, categorical parameters inherited from the first or the last
//! parent; otherwise one parent, drawn uniformly, is copied. Each parameter
//! then mutates with probability `mutation_prob`: drawn afresh, uniformly
//! (Optuna's default), or moved by polynomial mutation. The first
//! generation, before any closed, is random.
//!
//! Every draw of a trial comes from one generator seeded by `(seed, trial
//! number)`, so a seeded study repeats exactly and parallel workers never
//! share a stream (optuna#3162: workers under joblib reused one seed).
//!
//! Design decision: the cut is a type parameter rather than a boxed
//! strategy (Optuna's `elite_population_selection_strategy`): each sampler
//! is a type of its own for users (`Nsga2Sampler`, `Nsga3Sampler`, type
//! aliases of [`GeneticSampler`]) while the options, their checks, the
//! breeding and the tags are written once.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use ferrotune_core::{
    AttrValue, Distribution, Error, FrozenTrial, Result, Sampler, SearchSpace, StudyDirection, StudyView,
};
use rand::{Rng, RngCore};

use super::crossover::{polynomial_mutation, Crossover};
use super::generations::{Generations, TagKey};
use super::known::Known;
use super::selection::Candidate;
use crate::random::sample_uniformly;
use crate::space::Axis;
use crate::{random_seed, rng_for, RandomSampler};

/// The step where NSGA-II and NSGA-III differ: who of a generation's pool
/// survives to be the next parents. Implemented by [`super::Crowding`] and
/// [`super::ReferencePoints`] only.
pub trait SurvivorCut: Clone + std::fmt::Debug + Send + Sync + 'static {
    /// The sampler's name ([`Sampler::name`], and the key of its draws).
    const NAME: &'static str;
    /// The system attribute key of its tags (`nsga2:generation`).
    const TAG: &'static str;
    /// The survivors among `candidates` (indices), `size` of them or all
    /// if fewer. `tie_break` is the generator for random choices: a pure
    /// function of the generation and its members' trial numbers, so every
    /// worker that rebuilds the generation draws the same.
    fn survivors(&self, candidates: &[Candidate], size: usize, tie_break: &mut dyn RngCore) -> Vec<usize>;
    /// Check the cut's own options, at build time (the message names the
    /// option).
    fn check(&self) -> std::result::Result<(), String>;
    /// Check the cut against the study it serves (its number of objectives).
    fn check_study(&self, n_objectives: usize) -> Result<()>;
}

/// How many times a crossover whose child leaves the box is tried again
/// with new parents (Optuna retries until one fits) before the last child
/// is clipped to the box; enough that clipping is rare, few enough that a
/// pathological operator setting cannot hang an ask.
const MAX_CROSSOVER_ATTEMPTS: usize = 100;

/// How many times a child repeating a known trial has a parameter drawn
/// again before it is let through (a small discrete space may hold no
/// new configuration).
const MAX_REDRAWS: usize = 32;

/// What happens to a parameter chosen for mutation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mutation {
    /// Drawn afresh, uniformly from its distribution (Optuna's default,
    /// `mutation=None`).
    Uniform,
    /// Numeric parameters moved by polynomial mutation with distribution
    /// index `eta` (Optuna 5's `PolynomialMutation`, default 20);
    /// categorical ones drawn afresh.
    Polynomial {
        /// Larger keeps the mutated value nearer the original.
        eta: f64,
    },
}

/// A genetic algorithm with Optuna's options and the survivor cut `C`:
/// [`super::Nsga2Sampler`] and [`super::Nsga3Sampler`].
#[derive(Clone)]
pub struct GeneticSampler<C> {
    pub(super) cut: C,
    seed: u64,
    population_size: usize,
    mutation_prob: Option<f64>,
    mutation: Mutation,
    crossover: Crossover,
    crossover_prob: f64,
    swapping_prob: f64,
    memo: Arc<Mutex<Memo>>,
}

impl<C: SurvivorCut> std::fmt::Debug for GeneticSampler<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct(C::NAME)
            .field("cut", &self.cut)
            .field("seed", &self.seed)
            .field("population_size", &self.population_size)
            .field("mutation_prob", &self.mutation_prob)
            .field("mutation", &self.mutation)
            .field("crossover", &self.crossover)
            .field("crossover_prob", &self.crossover_prob)
            .field("swapping_prob", &self.swapping_prob)
            .finish()
    }
}

#[derive(Default)]
struct Memo {
    generations: Generations,
    known: Known,
    /// The tag of the last relative sample, by trial number, for
    /// [`Sampler::relative_sample_attrs`].
    last_sample: Option<(u64, AttrValue)>,
}

/// Options of a [`GeneticSampler`], checked by [`GeneticSamplerBuilder::build`].
#[derive(Clone)]
pub struct GeneticSamplerBuilder<C> {
    pub(super) sampler: GeneticSampler<C>,
}

impl<C: SurvivorCut> std::fmt::Debug for GeneticSamplerBuilder<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneticSamplerBuilder").field("sampler", &self.sampler).finish()
    }
}

impl<C: SurvivorCut> GeneticSamplerBuilder<C> {
    /// Seed: a seeded sequential study repeats exactly.
    pub fn seed(mut self, seed: u64) -> Self {
        self.sampler.seed = seed;
        self
    }
    /// Trials per generation, and parents kept (default 50).
    pub fn population_size(mut self, n: usize) -> Self {
        self.sampler.population_size = n;
        self
    }
    /// Probability that each parameter mutates (default 1 / the number of
    /// parameters bred jointly).
    pub fn mutation_prob(mut self, p: f64) -> Self {
        self.sampler.mutation_prob = Some(p);
        self
    }
    /// What a mutation does (default: a fresh uniform draw).
    pub fn mutation(mut self, mutation: Mutation) -> Self {
        self.sampler.mutation = mutation;
        self
    }
    /// The crossover operator (default: uniform).
    pub fn crossover(mut self, crossover: Crossover) -> Self {
        self.sampler.crossover = crossover;
        self
    }
    /// Probability that a child is crossed rather than copied from one
    /// parent (default 0.9).
    pub fn crossover_prob(mut self, p: f64) -> Self {
        self.sampler.crossover_prob = p;
        self
    }
    /// Probability that a parameter the operator does not cross (all of
    /// them for uniform crossover, categorical ones for the others) comes
    /// from the second parent rather than the first (default 0.5).
    pub fn swapping_prob(mut self, p: f64) -> Self {
        self.sampler.swapping_prob = p;
        self
    }

    /// Check the options.
    pub fn build(self) -> Result<GeneticSampler<C>> {
        let s = &self.sampler;
        let bad = |m: String| Err(Error::InvalidArgument(m));
        let probability = |p: f64| (0.0..=1.0).contains(&p);
        if s.population_size < 2 {
            return bad(format!("population_size must be at least 2, got {}", s.population_size));
        }
        if s.population_size < s.crossover.n_parents() {
            return bad(format!(
                "population_size must be at least {} with {} crossover, which takes {} parents; got {}",
                s.crossover.n_parents(),
                s.crossover.name(),
                s.crossover.n_parents(),
                s.population_size
            ));
        }
        if let Some(p) = s.mutation_prob.filter(|&p| !probability(p)) {
            return bad(format!("mutation_prob must be a probability in [0, 1], got {p}"));
        }
        if !probability(s.crossover_prob) {
            return bad(format!("crossover_prob must be a probability in [0, 1], got {}", s.crossover_prob));
        }
        if !probability(s.swapping_prob) {
            return bad(format!("swapping_prob must be a probability in [0, 1], got {}", s.swapping_prob));
        }
        if let Mutation::Polynomial { eta } = s.mutation {
            if !(eta >= 0.0 && eta.is_finite()) {
                return bad(format!("mutation_eta must be a finite number >= 0, got {eta}"));
            }
        }
        s.crossover.check().map_err(Error::InvalidArgument)?;
        s.cut.check().map_err(Error::InvalidArgument)?;
        Ok(self.sampler)
    }
}

impl<C: SurvivorCut + Default> GeneticSampler<C> {
    /// Options with Optuna's defaults, unseeded.
    pub fn builder() -> GeneticSamplerBuilder<C> {
        GeneticSamplerBuilder {
            sampler: GeneticSampler {
                cut: C::default(),
                seed: random_seed(),
                population_size: 50,
                mutation_prob: None,
                mutation: Mutation::Uniform,
                crossover: Crossover::Uniform,
                crossover_prob: 0.9,
                swapping_prob: 0.5,
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
}

impl<C: SurvivorCut> GeneticSampler<C> {
    /// The parents of the generation now bred (trial numbers, ascending),
    /// as this process rebuilt them from `study`; empty while the first,
    /// random generation runs. For tests and diagnostics.
    pub fn parents_for(&self, study: &StudyView<'_>) -> (u64, Vec<u64>) {
        let mut memo = self.memo.lock().unwrap_or_else(|p| p.into_inner());
        self.close(&mut memo, study);
        let generation = memo.generations.closed.len() as u64;
        let parents = memo.generations.parents().map(|c| c.parents.iter().map(|t| t.number).collect());
        (generation, parents.unwrap_or_default())
    }

    /// Take in what changed in `study` and close every generation that can
    /// be, by this sampler's cut.
    fn close(&self, memo: &mut Memo, study: &StudyView<'_>) {
        let key = TagKey(C::TAG);
        memo.generations.sync(study, key);
        memo.generations.close(study, key, self.population_size, |candidates, size, tie_break| {
            self.cut.survivors(candidates, size, tie_break)
        });
    }

    /// A child's internal values for `space`, and the numbers of the
    /// parents it came from.
    fn breed(
        &self,
        space: &SearchSpace,
        parents: &super::generations::Closed,
        repeats: impl Fn(&BTreeMap<String, f64>) -> bool,
        multi_objective: bool,
        rng: &mut impl Rng,
    ) -> (BTreeMap<String, f64>, Vec<u64>) {
        let population = &parents.parents;
        // A parent population smaller than the operator needs can only come
        // from a generation recorded by a worker with another population
        // size: its children are copies, mutated.
        let crossed = rng.random::<f64>() < self.crossover_prob && population.len() >= self.crossover.n_parents();
        let (mut child, chosen) = if crossed {
            self.cross(space, parents, multi_objective, rng)
        } else {
            let p = rng.random_range(0..population.len());
            let copy = space.keys().filter_map(|name| Some((name.clone(), population[p].params.get(name)?.internal)));
            (copy.collect(), vec![p])
        };
        let mutation_prob = self.mutation_prob.unwrap_or(1.0 / (child.len().max(1) as f64));
        for (name, value) in child.iter_mut() {
            if rng.random::<f64>() >= mutation_prob {
                continue;
            }
            let distribution = &space[name];
            *value = match (self.mutation, Axis::new(name, distribution)) {
                (Mutation::Polynomial { eta }, Some(axis)) => {
                    axis.value_at(polynomial_mutation(axis.position_of(*value), eta, rng.random::<f64>()))
                }
                _ => sample_uniformly(distribution, rng),
            };
        }
        // A child equal to a trial the study already has (a copy that no
        // mutation touched, about 3% of children at the defaults, or the
        // same recombination twice once the parents have converged) would
        // spend a trial on a known value: one parameter, chosen at random,
        // is drawn again until the child is new. Optuna lets repeats through.
        for _ in 0..MAX_REDRAWS {
            if child.is_empty() || !repeats(&child) {
                break;
            }
            let index = rng.random_range(0..child.len());
            if let Some((name, value)) = child.iter_mut().nth(index) {
                *value = sample_uniformly(&space[name], rng);
            }
        }
        (child, chosen.iter().map(|&p| population[p].number).collect())
    }

    /// A crossed child: parents by tournament, numeric parameters by the
    /// operator on the unit cube, categorical ones from the first or the
    /// last parent. A child outside the cube is bred again from new
    /// parents, as Optuna does, at most `MAX_CROSSOVER_ATTEMPTS` times, and
    /// then clipped. Returns the child and its parents (indices).
    fn cross(
        &self,
        space: &SearchSpace,
        parents: &super::generations::Closed,
        multi_objective: bool,
        rng: &mut impl Rng,
    ) -> (BTreeMap<String, f64>, Vec<usize>) {
        let axes: Vec<Axis> = space.iter().filter_map(|(name, d)| Axis::new(name, d)).collect();
        let categorical: Vec<&String> =
            space.iter().filter(|(_, d)| matches!(d, Distribution::Categorical(_))).map(|(n, _)| n).collect();
        let internal = |p: usize, name: &str| parents.parents[p].params.get(name).map(|p| p.internal);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut taken = Vec::with_capacity(self.crossover.n_parents());
            for _ in 0..self.crossover.n_parents() {
                let pick = parents.ranked.tournament(&taken, rng);
                taken.push(pick);
            }
            // Every parent has every parameter of the space (it is the
            // intersection of the complete trials' spaces); 0.5 is never used.
            let points: Vec<Vec<f64>> = taken
                .iter()
                .map(|&p| axes.iter().map(|a| internal(p, &a.name).map_or(0.5, |v| a.position_of(v))).collect())
                .collect();
            let refs: Vec<&[f64]> = points.iter().map(Vec::as_slice).collect();
            let numeric = if axes.is_empty() {
                Vec::new()
            } else {
                self.crossover.child(&refs, self.swapping_prob, multi_objective, rng)
            };
            let inherited: Vec<usize> = categorical
                .iter()
                .map(|_| if rng.random::<f64>() < self.swapping_prob { taken[taken.len() - 1] } else { taken[0] })
                .collect();
            if attempt < MAX_CROSSOVER_ATTEMPTS && !numeric.iter().all(|u| (0.0..=1.0).contains(u)) {
                continue;
            }
            let mut child = BTreeMap::new();
            for (k, axis) in axes.iter().enumerate() {
                // An axis equal to a parent's position takes that parent's
                // value itself, not its round trip through the axis, so
                // inheritance is exact.
                let exact = taken.iter().zip(&points).find(|(_, point)| point[k] == numeric[k]);
                let value =
                    exact.and_then(|(&p, _)| internal(p, &axis.name)).unwrap_or_else(|| axis.value_at(numeric[k]));
                child.insert(axis.name.clone(), value);
            }
            for (name, &p) in categorical.iter().zip(&inherited) {
                if let Some(v) = internal(p, name) {
                    child.insert((*name).clone(), v);
                }
            }
            return (child, taken);
        }
    }
}

impl<C: SurvivorCut + Default> Default for GeneticSampler<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C: SurvivorCut> Sampler for GeneticSampler<C> {
    fn name(&self) -> &str {
        C::NAME
    }

    fn check_directions(&self, directions: &[StudyDirection]) -> Result<()> {
        self.cut.check_study(directions.len())
    }

    fn infer_relative_search_space(&self, study: &StudyView<'_>, _trial: &FrozenTrial) -> SearchSpace {
        let mut memo = self.memo.lock().unwrap_or_else(|p| p.into_inner());
        memo.generations.sync(study, TagKey(C::TAG));
        // Single-valued parameters have nothing to breed: the independent
        // sampler gives them their one value.
        let Some(common) = &memo.generations.intersection else { return SearchSpace::new() };
        common.iter().filter(|(_, d)| !d.is_single()).map(|(n, d)| (n.clone(), d.clone())).collect()
    }

    fn sample_relative(
        &self,
        study: &StudyView<'_>,
        trial: &FrozenTrial,
        search_space: &SearchSpace,
    ) -> Result<BTreeMap<String, f64>> {
        self.cut.check_study(study.directions.len())?;
        let mut memo = self.memo.lock().unwrap_or_else(|p| p.into_inner());
        self.close(&mut memo, study);
        let made = memo.generations.take_unrecorded();
        let generation = memo.generations.closed.len() as u64;
        // No parents yet (the random first generation), or none at all (a
        // generation recorded empty by hand): the independent sampler draws.
        if memo.generations.parents().is_none_or(|c| c.parents.is_empty()) || search_space.is_empty() {
            return Ok(BTreeMap::new());
        }
        memo.known.update(study, search_space);
        let Memo { generations, known, .. } = &*memo;
        let Some(parents) = generations.parents() else { return Ok(BTreeMap::new()) };
        let mut rng = rng_for(self.seed, trial.number, C::NAME);
        let repeats = |child: &BTreeMap<String, f64>| known.repeats(study, child);
        let (sample, parent_numbers) = self.breed(search_space, parents, repeats, study.is_multi_objective(), &mut rng);
        let mut tag = serde_json::Map::new();
        tag.insert("generation".into(), AttrValue::from(generation));
        tag.insert("parents".into(), AttrValue::from(parent_numbers));
        if !made.is_empty() {
            let closed = made.into_iter().map(|(g, numbers)| (g.to_string(), AttrValue::from(numbers)));
            tag.insert("closed".into(), AttrValue::Object(closed.collect()));
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
            Some((number, tag)) if *number == trial.number => BTreeMap::from([(C::TAG.to_owned(), tag.clone())]),
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
        RandomSampler::with_seed(self.seed).sample_independent(study, trial, name, distribution)
    }
}
