//! Storages as Python objects. A URL string works wherever a storage does
//! (`"sqlite:///study.db"`), as in Optuna; the classes exist so that
//! several studies can share one in-memory storage.

use std::sync::Arc;
use std::time::Duration;

use ferrotune::core::Storage;
use ferrotune::StudyBuilder;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::errors::IntoPyResult;

/// Where studies live. Use a subclass, or pass a URL string instead.
#[pyclass(subclass, frozen, module = "ferrotune.storages", name = "BaseStorage")]
pub(crate) struct PyStorage {
    pub(crate) inner: Arc<dyn Storage>,
    url: String,
    /// Heartbeat settings studies opened on this storage use (`RDBStorage`'s
    /// arguments; in Optuna they belong to the storage too).
    heartbeat: Option<Heartbeat>,
}

/// `RDBStorage(heartbeat_interval=, grace_period=, failed_trial_callback=)`
/// as the engine's study options.
#[derive(Clone, Copy)]
struct Heartbeat {
    interval: Duration,
    grace_period: Option<Duration>,
    /// `None` without a retry callback; `u64::MAX` for `max_retry=None`.
    max_retries: Option<u64>,
    inherit_intermediate_values: bool,
}

impl PyStorage {
    /// The study builder with this storage's heartbeat settings.
    pub(crate) fn with_heartbeat(&self, mut builder: StudyBuilder) -> StudyBuilder {
        if let Some(heartbeat) = self.heartbeat {
            builder = builder.heartbeat_interval(heartbeat.interval);
            if let Some(grace) = heartbeat.grace_period {
                builder = builder.grace_period(grace);
            }
            if let Some(max) = heartbeat.max_retries {
                builder = builder.max_retries(max).inherit_intermediate_values(heartbeat.inherit_intermediate_values);
            }
        }
        builder
    }
}

/// Seconds from Python, positive and finite, or a `ValueError` naming the
/// argument.
fn positive_seconds(name: &str, value: Option<f64>) -> PyResult<Option<Duration>> {
    match value {
        None => Ok(None),
        Some(s) if s.is_finite() && s > 0.0 && s < 1e9 => Ok(Some(Duration::from_secs_f64(s))),
        Some(s) => Err(PyValueError::new_err(format!("{name} must be a positive number of seconds, got {s}"))),
    }
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
            PyStorage {
                inner: Arc::new(ferrotune::storage::InMemoryStorage::new()),
                url: "memory".into(),
                heartbeat: None,
            },
        )
    }

    /// An in-memory storage is not pickled on its own: its studies are
    /// carried by a pickled `Study` (`ferrotune._pickling`).
    fn __reduce__(&self) -> PyResult<()> {
        Err(PyTypeError::new_err(
            "cannot pickle an InMemoryStorage on its own: pickle the study instead (an in-memory study carries \
             its trials), or use a database storage, which pickles as its URL",
        ))
    }
}

/// A study database named by URL: `sqlite:///relative.db` or
/// `sqlite:////absolute/path.db`. Any number of processes can share one
/// SQLite file. A file this process cannot write opens read-only.
///
/// With `heartbeat_interval` (seconds), a trial's worker stamps its
/// heartbeat that often while the trial runs, and every `ask` first fails
/// the trials silent for longer than `grace_period` (default twice the
/// interval). `failed_trial_callback=RetryFailedTrialCallback(max_retry=)`
/// then enqueues each one's parameters again, as in Optuna.
#[pyclass(extends = PyStorage, frozen, module = "ferrotune.storages", name = "RDBStorage")]
pub(crate) struct PyRdbStorage {
    heartbeat_interval: Option<f64>,
    grace_period: Option<f64>,
    failed_trial_callback: Option<Py<PyAny>>,
}

#[pymethods]
impl PyRdbStorage {
    #[new]
    #[pyo3(signature = (
        url, engine_kwargs = None, skip_compatibility_check = false, *, heartbeat_interval = None,
        grace_period = None, heartbeat_stale_trial_callback = None, failed_trial_callback = None,
        skip_table_creation = false
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        url: String,
        engine_kwargs: Option<Bound<'_, PyDict>>,
        skip_compatibility_check: bool,
        heartbeat_interval: Option<f64>,
        grace_period: Option<f64>,
        heartbeat_stale_trial_callback: Option<Bound<'_, PyAny>>,
        failed_trial_callback: Option<Bound<'_, PyAny>>,
        skip_table_creation: bool,
    ) -> PyResult<(Self, PyStorage)> {
        // No SQLAlchemy engine here: what Optuna passes to one has no
        // place to go, so it is said rather than dropped silently.
        if let Some(kwargs) = engine_kwargs.filter(|k| !k.is_empty()) {
            let keys: Vec<String> = kwargs.keys().iter().map(|k| k.to_string()).collect();
            let message = format!(
                "RDBStorage(engine_kwargs=...) is ignored: ferrotune opens SQLite and PostgreSQL without SQLAlchemy \
                 (ignored: {}); connection settings go in the URL",
                keys.join(", ")
            );
            PyErr::warn(py, &py.get_type::<pyo3::exceptions::PyUserWarning>(), &std::ffi::CString::new(message)?, 1)?;
        }
        // The schema is checked and migrated whenever a storage opens, and
        // tables are made when missing: neither can be skipped or needs to be.
        let _ = (skip_compatibility_check, skip_table_creation);
        let callback = match (failed_trial_callback, heartbeat_stale_trial_callback) {
            (Some(_), Some(_)) => {
                return Err(PyValueError::new_err(
                    "Specify only one of `heartbeat_stale_trial_callback` and `failed_trial_callback`.",
                ))
            }
            (a, b) => a.or(b).filter(|c| !c.is_none()),
        };
        let heartbeat = heartbeat_settings(py, heartbeat_interval, grace_period, callback.as_ref())?;
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
        Ok((
            PyRdbStorage {
                heartbeat_interval,
                grace_period: heartbeat.and_then(|h| h.grace_period).map(|g| g.as_secs_f64()),
                failed_trial_callback: callback.map(Bound::unbind),
            },
            PyStorage { inner, url, heartbeat },
        ))
    }

    /// Pickle and `copy.deepcopy`: the URL and the heartbeat settings,
    /// which open the same database again.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let this = slf.get();
        let recipe = PyDict::new(py);
        recipe.set_item("url", &slf.as_super().get().url)?;
        recipe.set_item("heartbeat_interval", this.heartbeat_interval)?;
        recipe.set_item("grace_period", this.grace_period)?;
        recipe.set_item("failed_trial_callback", this.failed_trial_callback.as_ref().map(|c| c.bind(py)))?;
        crate::pickling::reduce(slf.as_any(), true, Some(&recipe.unbind()))
    }

    /// Seconds between a running trial's heartbeats, or None (heartbeats off).
    #[getter]
    fn heartbeat_interval(&self) -> Option<f64> {
        self.heartbeat_interval
    }

    /// Seconds without a heartbeat after which a running trial is failed
    /// (as given; None means twice the interval).
    #[getter]
    fn grace_period(&self) -> Option<f64> {
        self.grace_period
    }

    /// The callback given for trials failed as stale.
    #[getter]
    fn failed_trial_callback(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.failed_trial_callback.as_ref().map(|c| c.clone_ref(py))
    }

    /// The callback for stale trials, as Optuna's
    /// `get_heartbeat_stale_trial_callback`.
    fn get_heartbeat_stale_trial_callback(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.failed_trial_callback(py)
    }
}

/// Optuna's journal file (`JournalStorage(JournalFileBackend(path))`),
/// shared with Optuna processes and other ferrotune ones. The backend
/// describes itself (`_ferrotune_journal_spec`: path, lock protocol and
/// lock grace period); backends of other kinds are refused.
#[pyclass(extends = PyStorage, frozen, module = "ferrotune.storages", name = "JournalStorage")]
pub(crate) struct PyJournalStorage {
    backend: Py<PyAny>,
}

#[pymethods]
impl PyJournalStorage {
    #[new]
    fn new(py: Python<'_>, log_storage: Bound<'_, PyAny>) -> PyResult<(Self, PyStorage)> {
        if !log_storage.hasattr("_ferrotune_journal_spec")? {
            return Err(PyTypeError::new_err(format!(
                "JournalStorage takes a ferrotune.storages.journal.JournalFileBackend (Optuna's journal file); got {}: \
                 other journal backends (Redis, subclasses of BaseJournalBackend) are not supported",
                log_storage.get_type().name()?
            )));
        }
        let (path, lock, grace): (std::path::PathBuf, String, Option<f64>) =
            log_storage.call_method0("_ferrotune_journal_spec")?.extract()?;
        let lock = match lock.as_str() {
            "symlink" => ferrotune::storage::journal::JournalLockKind::Symlink,
            "open" => ferrotune::storage::journal::JournalLockKind::Open,
            other => return Err(PyValueError::new_err(format!("unknown journal lock '{other}'"))),
        };
        let options = ferrotune::storage::journal::JournalOptions {
            lock,
            lock_grace_period: positive_seconds("grace_period", grace)?,
        };
        let url = format!("journal:///{}", path.display());
        let storage = py.detach(|| ferrotune::storage::JournalStorage::open_with(&path, options)).py_err()?;
        Ok((
            PyJournalStorage { backend: log_storage.unbind() },
            PyStorage { inner: Arc::new(storage), url, heartbeat: None },
        ))
    }

    /// Pickle and `copy.deepcopy`: the backend, which opens the same file.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let args = PyTuple::new(py, [slf.get().backend.bind(py)])?;
        PyTuple::new(py, [slf.get_type().into_any(), args.into_any()])
    }
}

/// `RDBStorage`'s heartbeat arguments, checked. The engine retries stale
/// trials itself, so the callback must be a `RetryFailedTrialCallback`
/// (whose settings it reads), not any function.
fn heartbeat_settings(
    py: Python<'_>,
    heartbeat_interval: Option<f64>,
    grace_period: Option<f64>,
    callback: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<Heartbeat>> {
    let interval = positive_seconds("heartbeat_interval", heartbeat_interval)?;
    let grace = positive_seconds("grace_period", grace_period)?;
    let Some(interval) = interval else {
        if grace.is_some() || callback.is_some() {
            let name = if grace.is_some() { "grace_period" } else { "failed_trial_callback" };
            return Err(PyValueError::new_err(format!(
                "{name} needs heartbeat_interval: stale trials are found by their heartbeats"
            )));
        }
        return Ok(None);
    };
    if let Some(grace) = grace.filter(|g| *g <= interval) {
        return Err(PyValueError::new_err(format!(
            "grace_period ({} s) must be longer than heartbeat_interval ({} s)",
            grace.as_secs_f64(),
            interval.as_secs_f64()
        )));
    }
    let mut inherit_intermediate_values = false;
    let max_retries = match callback {
        None => None,
        Some(callback) => {
            let retry_class = py.import("ferrotune.storages")?.getattr("RetryFailedTrialCallback")?;
            if !callback.is_instance(&retry_class)? {
                return Err(PyTypeError::new_err(format!(
                    "failed_trial_callback must be a ferrotune.storages.RetryFailedTrialCallback (the engine retries \
                     stale trials itself and calls no Python function), got {}",
                    callback.get_type().name()?
                )));
            }
            inherit_intermediate_values = callback.getattr("_inherit_intermediate_values")?.is_truthy()?;
            let max_retry = callback.getattr("_max_retry")?;
            if max_retry.is_none() {
                Some(u64::MAX)
            } else {
                Some(max_retry.extract::<u64>().map_err(|_| {
                    PyValueError::new_err(format!("max_retry must be None or a non-negative integer, got {max_retry}"))
                })?)
            }
        }
    };
    Ok(Some(Heartbeat { interval, grace_period: grace, max_retries, inherit_intermediate_values }))
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
                let storage = PyRdbStorage::new(py, url, None, false, None, None, None, None, false)?;
                return Ok(Bound::new(py, storage)?.into_super().unbind());
            }
            Err(PyTypeError::new_err(format!(
                "storage must be None, a URL string such as 'sqlite:///study.db', or a storage object; got {}",
                obj.get_type().name()?
            )))
        }
    }
}

/// Copy studies of an Optuna database into a storage; the name and trial
/// count of each study copied.
#[pyfunction]
#[pyo3(signature = (optuna_url, storage, study_names = None))]
fn _import_optuna(
    py: Python<'_>,
    optuna_url: String,
    storage: &Bound<'_, PyStorage>,
    study_names: Option<Vec<String>>,
) -> PyResult<Vec<(String, usize)>> {
    let target = storage.get().inner.clone();
    py.detach(|| ferrotune::storage::optuna::import_optuna(&optuna_url, target.as_ref(), study_names.as_deref()))
        .py_err()
        .map(|imported| imported.into_iter().map(|s| (s.name, s.n_trials)).collect())
}

/// Write studies of a storage into a new Optuna SQLite file; how many
/// studies and trials it wrote.
#[pyfunction]
#[pyo3(signature = (storage, path, study_names = None))]
fn _export_optuna(
    py: Python<'_>,
    storage: &Bound<'_, PyStorage>,
    path: std::path::PathBuf,
    study_names: Option<Vec<String>>,
) -> PyResult<(usize, usize)> {
    let source = storage.get().inner.clone();
    py.detach(|| ferrotune::storage::optuna::export_optuna_sqlite(source.as_ref(), study_names.as_deref(), &path))
        .py_err()
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyStorage>()?;
    m.add_class::<PyInMemoryStorage>()?;
    m.add_class::<PyRdbStorage>()?;
    m.add_class::<PyJournalStorage>()?;
    m.add_function(wrap_pyfunction!(_import_optuna, m)?)?;
    m.add_function(wrap_pyfunction!(_export_optuna, m)?)?;
    Ok(())
}
