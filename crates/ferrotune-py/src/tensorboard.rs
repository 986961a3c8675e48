//! TensorBoard's HPARAMS tab from Python: the engine's writer
//! (`ferrotune-tensorboard`) behind `ferrotune.integration.tensorboard`'s
//! `TensorBoardCallback`, which only decides the metric names and when to
//! write.

use ferrotune_tensorboard::{TensorBoardError, TensorBoardWriter};
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;

use crate::trial::PyFrozenTrial;

fn to_py(error: TensorBoardError) -> PyErr {
    match error {
        TensorBoardError::Io { .. } => PyOSError::new_err(error.to_string()),
        TensorBoardError::InvalidArgument(message) => PyValueError::new_err(message),
    }
}

/// Writes a study's finished trials into a TensorBoard log folder.
#[pyclass(frozen, module = "ferrotune.integration.tensorboard", name = "_TensorBoardWriter")]
pub(crate) struct PyTensorBoardWriter {
    inner: TensorBoardWriter,
}

#[pymethods]
impl PyTensorBoardWriter {
    /// A writer into `dirname` (created if missing), one metric name per objective.
    #[new]
    fn new(py: Python<'_>, dirname: std::path::PathBuf, metric_names: Vec<String>) -> PyResult<Self> {
        let inner = py.detach(|| TensorBoardWriter::new(dirname, metric_names)).map_err(to_py)?;
        Ok(PyTensorBoardWriter { inner })
    }

    /// Declare the parameters of these trials in the experiment summary.
    fn declare_trials(&self, py: Python<'_>, trials: Vec<Bound<'_, PyFrozenTrial>>) -> PyResult<()> {
        let trials: Vec<_> = trials.iter().map(|t| t.get().inner.clone()).collect();
        let space = trials.iter().flat_map(|t| t.params.iter().map(|(name, p)| (name, &p.distribution)));
        py.detach(|| self.inner.declare_params(space)).map_err(to_py)
    }

    /// Write a finished trial as a run of its own; False for one still running or waiting.
    fn write_trial(&self, py: Python<'_>, trial: Bound<'_, PyFrozenTrial>) -> PyResult<bool> {
        let trial = trial.get().inner.clone();
        py.detach(|| self.inner.write_trial(&trial)).map_err(to_py)
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyTensorBoardWriter>()?;
    Ok(())
}
