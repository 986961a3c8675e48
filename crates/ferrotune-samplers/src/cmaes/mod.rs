//! CMA-ES: [`CmaEsSampler`], the sampler that drives the optimizer core
//! (`optimizer`) from a study's trials.

mod optimizer;
mod sampler;

pub use optimizer::Restart;
pub use sampler::{CmaEsSampler, CmaEsSamplerBuilder, CMAES_GENERATION_ATTR};
