//! The web dashboard from Python (`ferrotune.dashboard`): the engine's
//! dashboard server on a storage object or URL. The Python half
//! (`python/ferrotune/dashboard.py`) adds the blocking `run` and Optuna
//! dashboard's `run_server` name.

use std::sync::Mutex;

use ferrotune_dashboard::{open_storage, Dashboard, DashboardOptions};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use crate::errors::IntoPyResult;
use crate::storages::PyStorage;

/// A running dashboard; `stop()` (or the process ending) stops it.
#[pyclass(frozen, module = "ferrotune.dashboard", name = "DashboardServer")]
pub(crate) struct PyDashboard {
    inner: Mutex<Option<Dashboard>>,
    url: String,
}

#[pymethods]
impl PyDashboard {
    /// The address to open, with the token when there is one.
    #[getter]
    fn url(&self) -> &str {
        &self.url
    }

    /// Stop serving (waits for the server's thread).
    fn stop(&self, py: Python<'_>) {
        let dashboard = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
        py.detach(move || drop(dashboard));
    }

    fn __repr__(&self) -> String {
        format!("<DashboardServer {}>", self.url)
    }
}

/// Start the dashboard on `storage` (a storage object, whose studies it
/// then reads through the same handle, in-memory ones included; or a URL,
/// opened read-only for SQLite) and return at once.
#[pyfunction]
#[pyo3(signature = (storage, host, port, token))]
fn _start_dashboard(
    py: Python<'_>,
    storage: &Bound<'_, PyAny>,
    host: String,
    port: u16,
    token: Option<String>,
) -> PyResult<PyDashboard> {
    let inner = if let Ok(storage) = storage.cast::<PyStorage>() {
        storage.get().inner.clone()
    } else if let Ok(url) = storage.extract::<String>() {
        py.detach(|| open_storage(&url)).py_err()?
    } else {
        return Err(PyTypeError::new_err(format!(
            "storage must be a URL string such as 'sqlite:///study.db' or a storage object; got {}",
            storage.get_type().name()?
        )));
    };
    let options = DashboardOptions { host, port, token: token.clone(), ..DashboardOptions::default() };
    let dashboard = py.detach(|| Dashboard::start(inner, &options)).py_err()?;
    let url = match &token {
        Some(t) => format!("{}?token={t}", dashboard.url()),
        None => dashboard.url(),
    };
    Ok(PyDashboard { inner: Mutex::new(Some(dashboard)), url })
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyDashboard>()?;
    m.add_function(wrap_pyfunction!(_start_dashboard, m)?)?;
    Ok(())
}
