//! CMA-ES: the optimizer core ([`optimizer`]) and the sampler that drives it
//! from a study's trials.

pub mod optimizer;
mod sampler;
pub(crate) mod space;

pub use optimizer::{CmaEs, CmaOptions, Restart};
pub use sampler::{CmaEsSampler, CmaEsSamplerBuilder, CMAES_GENERATION_ATTR};
