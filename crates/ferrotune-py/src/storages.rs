//! Storages as Python objects. A URL string works wherever a storage does
//! (`"sqlite:///study.db"`), as in Optuna; the classes exist so that
//! several studies can share one in-memory storage.

use std::sync::Arc;

use ferrotune::core::Storage;
use pyo3::exceptions::{PyTypeError, PyValueError};
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
/// SQLite file. A file this process cannot write opens read-only.
#[pyclass(extends = PyStorage, frozen, module = "ferrotune.storages", name = "RDBStorage")]
pub(crate) struct PyRdbStorage;

#[pymethods]
impl PyRdbStorage {
    #[new]
    fn new(py: Python<'_>, url: String) -> PyResult<(Self, PyStorage)> {
        // `storage=None` is in memory, as in Optuna; an empty string is
        // more likely an unset variable or config value than a wish to
        // lose the study at exit, so it is refused rather than read as
        // None. (The engine refuses it too; this says it in Python terms.)
        if url.trim().is_empty() {
            return Err(PyValueError::new_err(
                "storage is an empty string: pass storage=None (or \"memory\") for an in-memory study, which is \
                 lost when the process exits, or a URL such as 'sqlite:///study.db'",
            ));
        }
        // Malformed URLs (`sqlite:x.db`, an unknown scheme) are the
        // engine's InvalidArgument, which becomes ValueError.
        let inner = py.detach(|| ferrotune::storage::open(&url)).py_err()?;
        Ok((PyRdbStorage, PyStorage { inner, url }))
    }
}

/// A storage from what a user passed: `None` (a fresh in-memory storage),
/// a URL (checked strictly: an empty or malformed one is a `ValueError`,
/// never a silent in-memory storage), or a storage object.
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
