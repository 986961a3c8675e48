//! Gaussian-process Bayesian optimization: [`GpSampler`], and its numerical
//! core, a Matérn 5/2 ARD GP over mixed continuous / discrete / categorical
//! coordinates with MAP hyperparameters, log expected improvement
//! (optionally constrained), and a mixed-space acquisition optimizer.

mod acquisition;
mod boxes;
mod kernel;
mod lbfgs;
mod linalg;
mod model;
mod optimize;
mod power;
mod sampler;
mod simd;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod ehvi_tests;

pub use model::OutputTransform;
pub use sampler::{GpSampler, GpSamplerBuilder};
