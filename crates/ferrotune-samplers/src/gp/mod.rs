//! Numerical core of Gaussian-process Bayesian optimization: a Matérn 5/2
//! ARD GP over mixed continuous / discrete / categorical coordinates with
//! MAP hyperparameters, log expected improvement (optionally constrained),
//! Kriging-believer pending points, and a mixed-space acquisition optimizer.

pub mod acquisition;
pub mod kernel;
mod lbfgs;
mod linalg;
pub mod model;
pub mod optimize;
mod power;
mod sampler;
mod simd;
#[cfg(test)]
mod tests;

pub use acquisition::{log_ei_value, log_ei_with_grad, log_h, log_ndtr, Acquisition};
pub use kernel::{Dim, KernelParams};
pub use model::{FitOptions, Gp, OutputTransform, MIN_NOISE};
pub use optimize::{optimize_acquisition, optimize_acquisition_with, AcqOptimizerOptions};
pub use sampler::{GpSampler, GpSamplerBuilder};
