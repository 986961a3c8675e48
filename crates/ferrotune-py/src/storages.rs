//! Storages as Python objects. A URL string works wherever a storage does
//! (`"sqlite:///study.db"`), as in Optuna; the classes exist so that
//! several studies can share one in-memory storage.

use std::sync::Arc;

use ferrotune::core::Storage;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use crate::errors::IntoPyResult;

/// Where studies live. Use a subclass, or pass a URL string instead.
#[pyclass(subclass, frozen, module = "ferrotune.storages", name = "BaseStorage")]
pub(crate) struct PyStorage {
    pub(crate) inner: Arc<dyn Storage>,
    url: String,
}

#[pymethods]
impl PyStorage {
    fn __repr__(&self) -> String {
        format!("<storage {}>", self.url)
    }

    /// The URL the storage was opened from (`memory` for in-memory ones).
    #[getter]
    fn url(&self) -> &str {
        &self.url
    }
}

/// Studies kept in this process's memory; gone when the process exits.
#[pyclass(extends = PyStorage, frozen, module = "ferrotune.storages", name = "InMemoryStorage")]
pub(crate) struct PyInMemoryStorage;

#[pymethods]
impl PyInMemoryStorage {
    #[new]
    fn new() -> (Self, PyStorage) {
        (
            PyInMemoryStorage,
            PyStorage { inner: Arc::new(ferrotune::storage::InMemoryStorage::new()), url: "memory".into() },
        )
    }
}

/// A study database named by URL: `sqlite:///relative.db` or
/// `sqlite:////absolute/path.db`. Any number of processes can share one
/// SQLite file.
#[pyclass(extends = PyStorage, frozen, module = "ferrotune.storages", name = "RDBStorage")]
pub(crate) struct PyRdbStorage;

#[pymethods]
impl PyRdbStorage {
    #[new]
    fn new(py: Python<'_>, url: String) -> PyResult<(Self, PyStorage)> {
        let inner = py.detach(|| ferrotune::storage::open(&url)).py_err()?;
        Ok((PyRdbStorage, PyStorage { inner, url }))
    }
}

/// A storage from what a user passed: `None` (a fresh in-memory storage),
/// a URL, or a storage object.
pub(crate) fn resolve(py: Python<'_>, storage: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyStorage>> {
    match storage {
        None => Ok(Bound::new(py, PyInMemoryStorage::new())?.into_super().unbind()),
        Some(obj) if obj.is_none() => resolve(py, None),
        Some(obj) => {
            if let Ok(storage) = obj.cast::<PyStorage>() {
                return Ok(storage.clone().unbind());
            }
            if let Ok(url) = obj.extract::<String>() {
                return Ok(Bound::new(py, PyRdbStorage::new(py, url)?)?.into_super().unbind());
            }
            Err(PyTypeError::new_err(format!(
                "storage must be None, a URL string such as 'sqlite:///study.db', or a storage object; got {}",
                obj.get_type().name()?
            )))
        }
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyStorage>()?;
    m.add_class::<PyInMemoryStorage>()?;
    m.add_class::<PyRdbStorage>()?;
    Ok(())
}
