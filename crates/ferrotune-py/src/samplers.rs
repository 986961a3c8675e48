//! Samplers as Python classes with Optuna's names and options.

use std::collections::BTreeMap;
use std::sync::Arc;

use ferrotune::core::Sampler;
use ferrotune::samplers::{GridSampler, RandomSampler};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::param_from_py;
use crate::errors::IntoPyResult;

/// Proposes parameter values. Samplers are implemented in the engine; pick
/// one of the subclasses.
#[pyclass(subclass, frozen, module = "ferrotune.samplers", name = "BaseSampler")]
pub(crate) struct PySampler {
    pub(crate) inner: Arc<dyn Sampler>,
}

#[pymethods]
impl PySampler {
    fn __repr__(&self) -> String {
        format!("<{} sampler>", self.inner.name())
    }
}

/// Independent uniform sampling (log-uniform on log scales): the baseline.
/// A seed makes a sequential study repeat exactly.
#[pyclass(extends = PySampler, frozen, module = "ferrotune.samplers", name = "RandomSampler")]
pub(crate) struct PyRandomSampler;

#[pymethods]
impl PyRandomSampler {
    #[new]
    #[pyo3(signature = (seed = None))]
    fn new(seed: Option<u64>) -> (Self, PySampler) {
        let sampler = seed.map_or_else(RandomSampler::new, RandomSampler::with_seed);
        (PyRandomSampler, PySampler { inner: Arc::new(sampler) })
    }
}

/// Every combination of the listed values, each exactly once (even across
/// processes sharing a storage), in a seeded random order; `optimize`
/// stops when the grid is exhausted.
#[pyclass(extends = PySampler, frozen, module = "ferrotune.samplers", name = "GridSampler")]
pub(crate) struct PyGridSampler;

#[pymethods]
impl PyGridSampler {
    #[new]
    #[pyo3(signature = (search_space, seed = None))]
    fn new(search_space: &Bound<'_, PyDict>, seed: Option<u64>) -> PyResult<(Self, PySampler)> {
        let mut grid = BTreeMap::new();
        for (k, values) in search_space.iter() {
            let name: String =
                k.extract().map_err(|_| PyTypeError::new_err("GridSampler: parameter names must be strings"))?;
            let values = values
                .try_iter()
                .map_err(|_| PyTypeError::new_err(format!("GridSampler: the values of '{name}' must be a sequence")))?
                .enumerate()
                .map(|(i, v)| param_from_py(&v?, &format!("GridSampler: value {i} of '{name}'")))
                .collect::<PyResult<Vec<_>>>()?;
            grid.insert(name, values);
        }
        let sampler = match seed {
            Some(seed) => GridSampler::with_seed(grid, seed),
            None => GridSampler::new(grid),
        }
        .py_err()?;
        Ok((PyGridSampler, PySampler { inner: Arc::new(sampler) }))
    }
}

/// The engine sampler for what the user passed (`None`: random).
pub(crate) fn resolve(sampler: Option<&Bound<'_, PyAny>>) -> PyResult<Arc<dyn Sampler>> {
    match sampler {
        Some(obj) if !obj.is_none() => match obj.cast::<PySampler>() {
            Ok(s) => Ok(s.get().inner.clone()),
            Err(_) => Err(PyTypeError::new_err(format!(
                "sampler must be one of ferrotune.samplers (RandomSampler, GridSampler, ...), got {}",
                obj.get_type().name()?
            ))),
        },
        _ => Ok(Arc::new(RandomSampler::new())),
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PySampler>()?;
    m.add_class::<PyRandomSampler>()?;
    m.add_class::<PyGridSampler>()?;
    Ok(())
}
