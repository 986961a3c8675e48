//! Samplers: [`RandomSampler`], [`GridSampler`], [`BruteForceSampler`], [`QmcSampler`],
//! [`TpeSampler`], [`CmaEsSampler`], [`GpSampler`], [`Nsga2Sampler`] and [`Nsga3Sampler`], with their
//! options
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

mod brute_force;
pub mod cmaes;
pub mod gp;
mod grid;
pub mod nsga;
mod numerics;
pub mod options;
mod qmc;
mod random;
mod space;
#[cfg(test)]
mod test_problems;
pub mod tpe;

pub use brute_force::BruteForceSampler;
pub use cmaes::{CmaEsSampler, CmaEsSamplerBuilder, Restart, CMAES_GENERATION_ATTR};
pub use gp::{GpSampler, GpSamplerBuilder};
pub use grid::GridSampler;
pub use nsga::{
    Crossover, Mutation, Nsga2Sampler, Nsga2SamplerBuilder, Nsga3Sampler, Nsga3SamplerBuilder, NSGA2_GENERATION_ATTR,
    NSGA3_GENERATION_ATTR,
};
pub use options::{cmaes_builder, sampler_spec, SamplerSpec, SAMPLERS};
pub use qmc::{QmcKind, QmcSampler};
pub use random::RandomSampler;
pub use tpe::{TpeSampler, TpeWeighting};

use rand_xoshiro::rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The parameters, with their distributions, that every complete trial
/// among `trials` has in common (pruned ones too with `include_pruned`): a
/// parameter another such trial lacks, or has with another distribution, is
/// left out. Empty when no trial counts. What Optuna's
/// `intersection_search_space` computes, and the joint space CMA-ES and
/// NSGA-II sample; public for the faces (Python's
/// `ferrotune.search_space`), so one computation serves all.
pub fn intersection_search_space<'a>(
    trials: impl IntoIterator<Item = &'a ferrotune_core::FrozenTrial>,
    include_pruned: bool,
) -> ferrotune_core::SearchSpace {
    use ferrotune_core::TrialState;
    let mut common = None;
    for trial in trials {
        let counts = trial.state == TrialState::Complete || (include_pruned && trial.state == TrialState::Pruned);
        if counts {
            space::intersect_search_space(&mut common, trial);
        }
    }
    common.unwrap_or_default()
}

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

#[cfg(test)]
mod intersection_tests {
    use ferrotune_core::{Distribution, FrozenTrial, TrialState};

    use super::intersection_search_space;

    #[test]
    fn only_finished_trials_of_interest_count_and_distributions_must_match() {
        let x = Distribution::float(0.0, 1.0).unwrap();
        let n5 = Distribution::int(1, 5).unwrap();
        let n6 = Distribution::int(1, 6).unwrap();
        let c = Distribution::categorical(["a", "b"]).unwrap();
        let trials = [
            FrozenTrial::builder(0).param("x", &x, 0.5).param("n", &n5, 2.0).param("c", &c, 0.0).build(),
            FrozenTrial::builder(1).state(TrialState::Pruned).param("x", &x, 0.5).param("n", &n5, 2.0).build(),
            FrozenTrial::builder(2).state(TrialState::Failed).build(),
            FrozenTrial::builder(3).state(TrialState::Running).param("x", &x, 0.1).build(),
            FrozenTrial::builder(4).param("x", &x, 0.2).param("n", &n5, 3.0).param("c", &c, 1.0).build(),
        ];
        let names = |include_pruned| -> Vec<String> {
            intersection_search_space(trials.iter(), include_pruned).into_keys().collect()
        };
        assert_eq!(names(false), ["c", "n", "x"]);
        // The pruned trial lacks c.
        assert_eq!(names(true), ["n", "x"]);
        // A range that changed drops the parameter.
        let changed = FrozenTrial::builder(5).param("x", &x, 0.3).param("n", &n6, 3.0).param("c", &c, 0.0).build();
        let space = intersection_search_space(trials.iter().chain([&changed]), false);
        assert_eq!(space.into_keys().collect::<Vec<_>>(), ["c", "x"]);
        assert!(intersection_search_space(trials[2..4].iter(), true).is_empty());
    }
}
