//! Pickle and `copy.deepcopy` of the native objects (joblib,
//! multiprocessing and checkpoints need them), with
//! `python/ferrotune/_pickling.py`, the functions pickles name to make the
//! objects again.
//!
//! Design decision: a built-in sampler, pruner or storage is pickled as the
//! keyword arguments its constructor takes (its recipe, which the
//! constructor records from the options it checked), never as engine
//! state: samplers and pruners keep no state (what they learn is in the
//! trials), so calling the constructor again gives the same component, and
//! a pickle stays readable by later versions as long as the options are.
//! A trial is pickled as the engine's trial in JSON, which keeps everything
//! (times, internal values, attributes) exactly.

use std::sync::Arc;

use ferrotune::FrozenTrial;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::trial::PyFrozenTrial;

/// `__reduce__` of a sampler, pruner or storage: `(rebuild, (class,
/// recipe))` for a built-in one with a recipe, a `TypeError` naming the
/// class for a built-in one without, and for a Python subclass (`builtin`
/// false) what Python does for its own classes: the class, made with no
/// arguments, then its attributes.
pub(crate) fn reduce<'py>(
    obj: &Bound<'py, PyAny>,
    builtin: bool,
    recipe: Option<&Py<PyDict>>,
) -> PyResult<Bound<'py, PyTuple>> {
    let py = obj.py();
    let class = obj.get_type().into_any();
    if let Some(recipe) = recipe {
        let rebuild = py.import("ferrotune._pickling")?.getattr("_rebuild")?;
        let args = PyTuple::new(py, [class, recipe.bind(py).copy()?.into_any()])?;
        return PyTuple::new(py, [rebuild, args.into_any()]);
    }
    if builtin {
        return Err(PyTypeError::new_err(format!(
            "cannot pickle this {}: it does not know the arguments that made it",
            obj.get_type().name()?
        )));
    }
    let newobj = py.import("copyreg")?.getattr("__newobj__")?;
    let state = obj.getattr("__dict__").unwrap_or_else(|_| py.None().into_bound(py));
    PyTuple::new(py, [newobj, PyTuple::new(py, [class])?.into_any(), state])
}

/// A trial as JSON, for its pickle.
pub(crate) fn trial_to_json(trial: &FrozenTrial) -> PyResult<String> {
    serde_json::to_string(trial).map_err(|e| PyValueError::new_err(format!("cannot pickle the trial: {e}")))
}

/// The trial a pickle holds: its JSON and the number and id Python saw
/// (those of a trial made by hand are -1).
#[pyfunction]
fn _frozen_trial_from_json(data: &str, number: i64, trial_id: i64) -> PyResult<PyFrozenTrial> {
    let trial: FrozenTrial = serde_json::from_str(data)
        .map_err(|e| PyValueError::new_err(format!("not a pickled ferrotune FrozenTrial: {e}")))?;
    Ok(PyFrozenTrial::restored(Arc::new(trial), number, trial_id))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_frozen_trial_from_json, m)?)?;
    Ok(())
}
