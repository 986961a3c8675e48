//! Genetic algorithms: [`Nsga2Sampler`] (NSGA-II) and [`Nsga3Sampler`]
//! (NSGA-III), one sampler body with two survivor cuts.
//!
//! - `crossover`: the operators that make a child's numeric parameters from
//!   its parents' (uniform, BLX-alpha, SBX, vSBX, UNDX, SPX) and polynomial
//!   mutation, on the unit cube of the crate's `space` module.
//! - `selection`: ranks (constrained domination when trials carry
//!   constraints), crowding distance, the elitist cut, the tournament.
//! - `generations`: the generations rebuilt from tagged trials, so parallel
//!   workers and resumed studies agree without shared state.
//! - `known`: the configurations the study holds, so no child repeats one.
//! - `sampler`: [`GeneticSampler`], the body both share (options, breeding,
//!   tags), generic over the survivor cut.
//! - `nsga2`: NSGA-II's cut (crowding distance) and its names.
//! - `niching`: NSGA-III's cut (reference points, normalization, niching).
//! - `nsga3`: NSGA-III's names and options.
//!
//! Design decision: a genetic sampler keeps no population of its own; the
//! trials are the population. Each trial it breeds records its generation
//! (a system attribute), and the parents of every generation are derived
//! again from the trials, memoized per process, as CMA-ES rebuilds its
//! state.

mod crossover;
mod generations;
mod known;
mod niching;
mod nsga2;
mod nsga3;
mod sampler;
mod selection;
#[cfg(test)]
mod tests;

pub use crossover::Crossover;
pub use nsga2::{Crowding, Nsga2Sampler, Nsga2SamplerBuilder, NSGA2_GENERATION_ATTR};
pub use nsga3::{Nsga3Sampler, Nsga3SamplerBuilder, ReferencePoints, NSGA3_GENERATION_ATTR};
pub(crate) use sampler::SurvivorCut;
pub use sampler::{GeneticSampler, GeneticSamplerBuilder, Mutation};
