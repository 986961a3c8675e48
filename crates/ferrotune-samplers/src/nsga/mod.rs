//! Genetic algorithms: [`Nsga2Sampler`] (NSGA-II), written so that NSGA-III
//! can join it here and share all but its survivor cut.
//!
//! - `crossover`: the operators that make a child's numeric parameters from
//!   its parents' (uniform, BLX-alpha, SBX, vSBX, UNDX, SPX) and polynomial
//!   mutation, on the unit cube of [`crate::space`].
//! - `selection`: ranks (constrained domination when trials carry
//!   constraints), crowding distance, the elitist cut, the tournament.
//! - `generations`: the generations rebuilt from tagged trials, so parallel
//!   workers and resumed studies agree without shared state.
//! - `known`: the configurations the study holds, so no child repeats one.
//! - `nsga2`: the sampler.
//!
//! Design decision: a genetic sampler keeps no population of its own; the
//! trials are the population. Each trial it breeds records its generation
//! (a system attribute), and the parents of every generation are derived
//! again from the trials, memoized per process, as CMA-ES rebuilds its
//! state.

mod crossover;
mod generations;
mod known;
mod nsga2;
mod selection;
#[cfg(test)]
mod tests;

pub use crossover::Crossover;
pub use nsga2::{Mutation, Nsga2Sampler, Nsga2SamplerBuilder, NSGA2_GENERATION_ATTR};
