//! Gaussian-process Bayesian optimization: [`GpSampler`], and its numerical
//! core, a Matérn 5/2 ARD GP over mixed continuous / discrete / categorical
//! coordinates with MAP hyperparameters, log expected improvement
//! (optionally constrained), and a mixed-space acquisition optimizer.
//!
//! With several objectives the sampler fits one GP per objective on the
//! same inputs (each standardized, each with its own hyperparameters) and
//! maximizes the log expected hypervolume improvement, LogEHVI, as Optuna's
//! `GPSampler` does: a quasi-Monte Carlo mean over fixed Sobol normal
//! samples of the improvement over the boxes of the region the feasible
//! observations' front does not dominate (`boxes.rs`). Design decision: the
//! objectives' GPs stay independent rather than one multi-output GP, so the
//! single-objective model, its fit and its warm starts serve unchanged;
//! the fixed samples make the acquisition a smooth function the same
//! L-BFGS-based optimizer climbs, with an analytic gradient.

mod acquisition;
mod boxes;
#[cfg(test)]
mod ehvi_tests;
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

pub use model::OutputTransform;
pub use sampler::{GpSampler, GpSamplerBuilder};
