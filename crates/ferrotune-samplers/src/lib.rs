//! Samplers: [`RandomSampler`], [`GridSampler`], [`QmcSampler`],
//! [`TpeSampler`], [`CmaEsSampler`], [`GpSampler`] and [`Nsga2Sampler`], with their options
//! described once for every face (`options`).
//!
//! Layout: each model-based sampler is a module of its own (`tpe`, `cmaes`,
//! `gp`, `nsga`) whose public items are the sampler, its builder and its option
//! types; the numerical machinery inside (`CmaEs`, `Gp`, the Parzen
//! estimators) is crate-private. What more than one sampler uses sits at
//! the top level, so that no sampler imports from another's module:
//! `numerics` (the normal distribution's CDF, log CDF and inverse, `erfcx`,
//! `log1mexp`), `space` (the unit cube CMA-ES and the GP search), `qmc`
//! (Sobol and Halton points, TPE's and the GP's startup designs), `random`
//! (uniform draws, every sampler's fallback), `simd` (the run-time CPU
//! dispatch) and the seeding helpers below.
//!
//! Design decision: randomness is derived, not stateful. Each draw seeds a
//! fresh generator from `(sampler seed, trial number, parameter name)`, so a
//! sampler holds no mutable state, a seeded study repeats exactly, and even
//! parallel workers draw the same value for the same trial number no matter
//! how threads interleave.

#[macro_use]
mod simd;

pub mod cmaes;
pub mod gp;
mod grid;
pub mod nsga;
mod numerics;
pub mod options;
mod qmc;
mod random;
mod space;
pub mod tpe;

pub use cmaes::{CmaEsSampler, CmaEsSamplerBuilder, Restart, CMAES_GENERATION_ATTR};
pub use gp::{GpSampler, GpSamplerBuilder};
pub use grid::GridSampler;
pub use nsga::{Crossover, Mutation, Nsga2Sampler, Nsga2SamplerBuilder, NSGA2_GENERATION_ATTR};
pub use options::{cmaes_builder, sampler_spec, SamplerSpec, SAMPLERS};
pub use qmc::{QmcKind, QmcSampler};
pub use random::RandomSampler;
pub use tpe::{TpeSampler, TpeWeighting};

use rand_xoshiro::rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// SplitMix64 finalizer: a cheap, well-mixed 64-bit hash step.
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a over a string: stable across Rust versions and platforms, unlike
/// `std`'s hasher, so seeds mean the same thing everywhere.
pub(crate) fn hash_str(s: &str) -> u64 {
    s.bytes().fold(0xCBF2_9CE4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3))
}

/// The generator for one draw: a pure function of its three keys.
pub(crate) fn rng_for(seed: u64, trial_number: u64, name: &str) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(mix64(mix64(seed ^ mix64(trial_number)) ^ hash_str(name)))
}

/// A seed from the operating system's randomness, for unseeded samplers.
pub fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    h.finish()
}

/// Refuse several objectives for a sampler that models one.
pub(crate) fn single_objective(
    sampler: &str,
    directions: &[ferrotune_core::StudyDirection],
) -> ferrotune_core::Result<()> {
    if directions.len() > 1 {
        return Err(ferrotune_core::Error::InvalidArgument(format!(
            "{sampler} optimizes a single objective, but the study has {} objectives; use TPE (the default), \
             random, QMC or grid search for several",
            directions.len()
        )));
    }
    Ok(())
}
