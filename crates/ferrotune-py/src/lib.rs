//! The native half of the `ferrotune` Python package (`ferrotune._ferrotune`).
//!
//! It exposes the engine — studies, trials, samplers, pruners, storages —
//! as Python classes; the pure-Python half (`python/ferrotune`) adds what is
//! easier to write and read in Python: the `optimize` loop with its
//! callbacks and `catch`, logging, enums, distributions and
//! `trials_dataframe`.
//!
//! Design decision: every call that enters the engine releases the GIL
//! (`py.detach`), so trials run with `n_jobs > 1` sample, prune and write to
//! storage in parallel while other threads run Python code, and Python
//! objects never cross into the engine: values are converted at this
//! boundary into the engine's plain data (`ParamValue`, JSON attributes).

use pyo3::prelude::*;

mod convert;
mod dashboard;
mod errors;
mod importance;
mod options;
mod pareto;
mod pickling;
mod pruners;
mod samplers;
mod storages;
mod study;
mod tensorboard;
mod trial;
mod user;
mod visualization;

/// The native module. Python code imports it through the `ferrotune`
/// package, never directly.
#[pymodule]
fn _ferrotune(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("__commit__", ferrotune::BUILD_COMMIT)?;
    errors::register(m)?;
    storages::register(m)?;
    samplers::register(m)?;
    pruners::register(m)?;
    trial::register(m)?;
    user::register(m)?;
    study::register(m)?;
    importance::register(m)?;
    pareto::register(m)?;
    visualization::register(m)?;
    dashboard::register(m)?;
    pickling::register(m)?;
    tensorboard::register(m)?;
    Ok(())
}
