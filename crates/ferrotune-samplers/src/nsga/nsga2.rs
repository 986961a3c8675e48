//! [`Nsga2Sampler`]: NSGA-II as Optuna 5's `NSGAIISampler` runs it, the
//! shared genetic sampler (`sampler`) with NSGA-II's survivor cut: whole
//! non-domination fronts, then the least crowded of the front that does
//! not fit (`selection::select_elites`).

use ferrotune_core::Result;
use rand::RngCore;

use super::sampler::{GeneticSampler, GeneticSamplerBuilder, SurvivorCut};
use super::selection::{select_elites, Candidate};

/// System attribute holding NSGA-II's tag of a trial it bred:
/// `{"generation": g, "parents": [numbers], "closed": {"g": [numbers]}}`
/// (`closed`: the generations whose closing this ask decided, with the
/// trials that joined their pools).
pub const NSGA2_GENERATION_ATTR: &str = "nsga2:generation";

/// NSGA-II's survivor cut: by crowding distance in the last front that
/// fits only in part. It has no options.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Crowding;

impl SurvivorCut for Crowding {
    const NAME: &'static str = "nsga2";
    const TAG: &'static str = NSGA2_GENERATION_ATTR;

    fn survivors(&self, candidates: &[Candidate], size: usize, _tie_break: &mut dyn RngCore) -> Vec<usize> {
        select_elites(candidates, size)
    }

    fn check(&self) -> std::result::Result<(), String> {
        Ok(())
    }

    fn check_study(&self, _n_objectives: usize) -> Result<()> {
        Ok(())
    }
}

/// NSGA-II (Deb et al. 2002): a genetic algorithm for one or several
/// objectives, with Optuna's options. Alias: Optuna's `NSGAIISampler`.
#[doc(alias = "NSGAIISampler")]
pub type Nsga2Sampler = GeneticSampler<Crowding>;

/// Options of an [`Nsga2Sampler`], checked by [`GeneticSamplerBuilder::build`].
pub type Nsga2SamplerBuilder = GeneticSamplerBuilder<Crowding>;
