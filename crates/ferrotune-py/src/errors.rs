//! Engine errors as the Python exceptions Optuna users already catch:
//! `ValueError` for bad arguments, `KeyError` for a study that is not
//! there, `RuntimeError` for calls that do not fit the study's state, and
//! ferrotune's own classes for the rest.

use ferrotune::Error;
use pyo3::exceptions::{PyException, PyKeyError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyType;

pyo3::create_exception!(
    ferrotune.exceptions,
    FerrotuneError,
    PyException,
    "Base class of the errors ferrotune raises itself."
);
pyo3::create_exception!(
    ferrotune.exceptions,
    TrialPruned,
    FerrotuneError,
    "Raise it from an objective to stop the trial as pruned (after `trial.should_prune()` said so)."
);
pyo3::create_exception!(
    ferrotune.exceptions,
    DuplicatedStudyError,
    FerrotuneError,
    "A study of that name already exists (pass `load_if_exists=True` to load it)."
);
pyo3::create_exception!(
    ferrotune.exceptions,
    StorageInternalError,
    FerrotuneError,
    "The storage backend failed (I/O, SQL, corrupt data)."
);
pyo3::create_exception!(
    ferrotune.exceptions,
    SearchSpaceExhausted,
    FerrotuneError,
    "A finite sampler (a grid) has handed out every point; `optimize` stops quietly on it."
);

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("FerrotuneError", py.get_type::<FerrotuneError>())?;
    m.add("TrialPruned", py.get_type::<TrialPruned>())?;
    m.add("DuplicatedStudyError", py.get_type::<DuplicatedStudyError>())?;
    m.add("StorageInternalError", py.get_type::<StorageInternalError>())?;
    m.add("SearchSpaceExhausted", py.get_type::<SearchSpaceExhausted>())?;
    Ok(())
}

/// The Python exception for an engine error; the message is the engine's,
/// which names the parameter, study or trial involved.
pub(crate) fn to_py(error: Error) -> PyErr {
    let message = error.to_string();
    match error {
        Error::InvalidDistribution(_)
        | Error::InvalidArgument(_)
        | Error::InvalidOption { .. }
        | Error::IncompatibleDistribution { .. }
        | Error::ChangedDistribution { .. }
        | Error::ValueOutsideDistribution { .. }
        | Error::DirectionMismatch { .. }
        | Error::NoCompletedTrials(_)
        | Error::NoFeasibleTrials { .. } => PyValueError::new_err(message),
        Error::StudyNotFound(_) => PyKeyError::new_err(message),
        Error::DuplicateStudy(_) => DuplicatedStudyError::new_err(message),
        Error::TrialNotRunning { .. } => update_finished_trial_error(message),
        Error::TrialNotFound(_) | Error::MultiObjective(_) | Error::Sampler(_) => PyRuntimeError::new_err(message),
        Error::SearchSpaceExhausted => SearchSpaceExhausted::new_err(message),
        Error::Storage(_) => StorageInternalError::new_err(message),
        _ => FerrotuneError::new_err(message),
    }
}

/// Optuna's `UpdateFinishedTrialError`, which is both an `OptunaError` and
/// a `RuntimeError`: a class with two bases, so it is defined in Python
/// (`ferrotune/exceptions.py`) and looked up here.
pub(crate) fn update_finished_trial_error(message: String) -> PyErr {
    Python::attach(|py| {
        let class = py
            .import("ferrotune.exceptions")
            .and_then(|module| module.getattr("UpdateFinishedTrialError"))
            .and_then(|class| class.cast_into::<PyType>().map_err(PyErr::from));
        match class {
            Ok(class) => PyErr::from_type(class, message),
            Err(_) => PyRuntimeError::new_err(message),
        }
    })
}

/// `Result` with the engine's error turned into a Python exception.
pub(crate) trait IntoPyResult<T> {
    fn py_err(self) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for ferrotune::Result<T> {
    /// An error that a Python sampler's or pruner's method caused is that
    /// method's exception, type and traceback kept (see `crate::user`).
    fn py_err(self) -> PyResult<T> {
        self.map_err(|e| match crate::user::take_pending() {
            Some((raised, _)) => raised,
            None => to_py(e),
        })
    }
}
