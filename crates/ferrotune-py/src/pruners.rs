//! Pruners as Python classes with Optuna's names, options and defaults.
//! Each constructor fills the engine pruner's builder, whose `build` checks
//! the options (its errors become `ValueError`).

use std::sync::Arc;

use ferrotune::core::Pruner;
use ferrotune::pruners::{
    HyperbandPruner, MedianPruner, NopPruner, PatientPruner, PercentilePruner, SuccessiveHalvingPruner,
    ThresholdPruner, WilcoxonPruner,
};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

use crate::errors::IntoPyResult;

/// Decides whether a running trial stops early. Pruners are implemented in
/// the engine; pick one of the subclasses.
#[pyclass(subclass, frozen, module = "ferrotune.pruners", name = "BasePruner")]
pub(crate) struct PyPruner {
    pub(crate) inner: Arc<dyn Pruner>,
    name: &'static str,
}

#[pymethods]
impl PyPruner {
    fn __repr__(&self) -> String {
        format!("<{}>", self.name)
    }
}

fn base(name: &'static str, pruner: impl Pruner + 'static) -> PyPruner {
    PyPruner { inner: Arc::new(pruner), name }
}

/// An int option given as `'auto'` or a positive int.
fn auto_or_int(option: &str, value: &Bound<'_, PyAny>) -> PyResult<Option<u64>> {
    if let Ok(s) = value.extract::<String>() {
        if s == "auto" {
            return Ok(None);
        }
        return Err(PyValueError::new_err(format!("{option} must be 'auto' or a positive int, got '{s}'")));
    }
    let n: i64 =
        value.extract().map_err(|_| PyTypeError::new_err(format!("{option} must be 'auto' or a positive int")))?;
    u64::try_from(n).map(Some).map_err(|_| PyValueError::new_err(format!("{option} must be positive, got {n}")))
}

/// Never prunes.
#[pyclass(extends = PyPruner, frozen, module = "ferrotune.pruners", name = "NopPruner")]
pub(crate) struct PyNopPruner;

#[pymethods]
impl PyNopPruner {
    #[new]
    fn new() -> (Self, PyPruner) {
        (PyNopPruner, base("NopPruner", NopPruner))
    }
}

/// Prunes a trial whose best value so far is worse than the median of the
/// completed trials' values at the same step.
#[pyclass(extends = PyPruner, frozen, module = "ferrotune.pruners", name = "MedianPruner")]
pub(crate) struct PyMedianPruner;

#[pymethods]
impl PyMedianPruner {
    #[new]
    #[pyo3(signature = (n_startup_trials = 5, n_warmup_steps = 0, interval_steps = 1, *, n_min_trials = 1))]
    fn new(
        n_startup_trials: usize,
        n_warmup_steps: u64,
        interval_steps: u64,
        n_min_trials: usize,
    ) -> PyResult<(Self, PyPruner)> {
        let pruner = MedianPruner::builder()
            .n_startup_trials(n_startup_trials)
            .n_warmup_steps(n_warmup_steps)
            .interval_steps(interval_steps)
            .n_min_trials(n_min_trials)
            .build()
            .py_err()?;
        Ok((PyMedianPruner, base("MedianPruner", pruner)))
    }
}

/// Prunes a trial whose best value so far is worse than the given
/// percentile (25: keep the best quarter) of the completed trials.
#[pyclass(extends = PyPruner, frozen, module = "ferrotune.pruners", name = "PercentilePruner")]
pub(crate) struct PyPercentilePruner;

#[pymethods]
impl PyPercentilePruner {
    #[new]
    #[pyo3(signature = (percentile, n_startup_trials = 5, n_warmup_steps = 0, interval_steps = 1, *, n_min_trials = 1))]
    fn new(
        percentile: f64,
        n_startup_trials: usize,
        n_warmup_steps: u64,
        interval_steps: u64,
        n_min_trials: usize,
    ) -> PyResult<(Self, PyPruner)> {
        let pruner = PercentilePruner::builder()
            .percentile(percentile)
            .n_startup_trials(n_startup_trials)
            .n_warmup_steps(n_warmup_steps)
            .interval_steps(interval_steps)
            .n_min_trials(n_min_trials)
            .build()
            .py_err()?;
        Ok((PyPercentilePruner, base("PercentilePruner", pruner)))
    }
}

/// Asynchronous successive halving (ASHA): at each rung, only the top
/// `1 / reduction_factor` of the trials that reached it go on.
#[pyclass(extends = PyPruner, frozen, module = "ferrotune.pruners", name = "SuccessiveHalvingPruner")]
pub(crate) struct PySuccessiveHalvingPruner;

#[pymethods]
impl PySuccessiveHalvingPruner {
    #[new]
    #[pyo3(signature = (min_resource = None, reduction_factor = 4, min_early_stopping_rate = 0, bootstrap_count = 0))]
    fn new(
        min_resource: Option<&Bound<'_, PyAny>>,
        reduction_factor: u64,
        min_early_stopping_rate: u32,
        bootstrap_count: usize,
    ) -> PyResult<(Self, PyPruner)> {
        let min_resource = match min_resource {
            Some(v) => auto_or_int("min_resource", v)?,
            None => None,
        };
        let pruner = SuccessiveHalvingPruner::builder()
            .min_resource(min_resource)
            .reduction_factor(reduction_factor)
            .min_early_stopping_rate(min_early_stopping_rate)
            .bootstrap_count(bootstrap_count)
            .build()
            .py_err()?;
        Ok((PySuccessiveHalvingPruner, base("SuccessiveHalvingPruner", pruner)))
    }
}

/// Hyperband: several successive-halving brackets with different budgets;
/// samplers learn only from the trials of their own bracket.
#[pyclass(extends = PyPruner, frozen, module = "ferrotune.pruners", name = "HyperbandPruner")]
pub(crate) struct PyHyperbandPruner;

#[pymethods]
impl PyHyperbandPruner {
    #[new]
    #[pyo3(signature = (min_resource = 1, max_resource = None, reduction_factor = 3, bootstrap_count = 0))]
    fn new(
        min_resource: u64,
        max_resource: Option<&Bound<'_, PyAny>>,
        reduction_factor: u64,
        bootstrap_count: usize,
    ) -> PyResult<(Self, PyPruner)> {
        let max_resource = match max_resource {
            Some(v) => auto_or_int("max_resource", v)?,
            None => None,
        };
        let pruner = HyperbandPruner::builder()
            .min_resource(min_resource)
            .max_resource(max_resource)
            .reduction_factor(reduction_factor)
            .bootstrap_count(bootstrap_count)
            .build()
            .py_err()?;
        Ok((PyHyperbandPruner, base("HyperbandPruner", pruner)))
    }
}

/// Prunes a trial whose latest value leaves `[lower, upper]` or is NaN.
#[pyclass(extends = PyPruner, frozen, module = "ferrotune.pruners", name = "ThresholdPruner")]
pub(crate) struct PyThresholdPruner;

#[pymethods]
impl PyThresholdPruner {
    #[new]
    #[pyo3(signature = (lower = None, upper = None, n_warmup_steps = 0, interval_steps = 1))]
    fn new(
        lower: Option<f64>,
        upper: Option<f64>,
        n_warmup_steps: u64,
        interval_steps: u64,
    ) -> PyResult<(Self, PyPruner)> {
        let pruner = ThresholdPruner::builder()
            .lower(lower)
            .upper(upper)
            .n_warmup_steps(n_warmup_steps)
            .interval_steps(interval_steps)
            .build()
            .py_err()?;
        Ok((PyThresholdPruner, base("ThresholdPruner", pruner)))
    }
}

/// Waits `patience` steps without improvement before asking the wrapped
/// pruner (or pruning, when `wrapped_pruner` is None).
#[pyclass(extends = PyPruner, frozen, module = "ferrotune.pruners", name = "PatientPruner")]
pub(crate) struct PyPatientPruner;

#[pymethods]
impl PyPatientPruner {
    #[new]
    #[pyo3(signature = (wrapped_pruner, patience, min_delta = 0.0))]
    fn new(wrapped_pruner: Option<&Bound<'_, PyAny>>, patience: usize, min_delta: f64) -> PyResult<(Self, PyPruner)> {
        let mut builder = PatientPruner::builder().patience(patience).min_delta(min_delta);
        if let Some(obj) = wrapped_pruner.filter(|obj| !obj.is_none()) {
            builder = builder.wrapped_pruner_arc(resolve(Some(obj))?);
        }
        let pruner = builder.build().py_err()?;
        Ok((PyPatientPruner, base("PatientPruner", pruner)))
    }
}

/// A one-sided Wilcoxon signed-rank test against the best trial, step by
/// step, for objectives evaluated over instances or folds.
#[pyclass(extends = PyPruner, frozen, module = "ferrotune.pruners", name = "WilcoxonPruner")]
pub(crate) struct PyWilcoxonPruner;

#[pymethods]
impl PyWilcoxonPruner {
    #[new]
    #[pyo3(signature = (*, p_threshold = 0.1, n_startup_steps = 2))]
    fn new(p_threshold: f64, n_startup_steps: usize) -> PyResult<(Self, PyPruner)> {
        let pruner =
            WilcoxonPruner::builder().p_threshold(p_threshold).n_startup_steps(n_startup_steps).build().py_err()?;
        Ok((PyWilcoxonPruner, base("WilcoxonPruner", pruner)))
    }
}

/// The engine pruner for what the user passed (`None`: the median rule, as
/// Optuna's `create_study` does).
pub(crate) fn resolve(pruner: Option<&Bound<'_, PyAny>>) -> PyResult<Arc<dyn Pruner>> {
    match pruner {
        Some(obj) if !obj.is_none() => match obj.cast::<PyPruner>() {
            Ok(p) => Ok(p.get().inner.clone()),
            Err(_) => Err(PyTypeError::new_err(format!(
                "pruner must be one of ferrotune.pruners (MedianPruner, HyperbandPruner, ...), got {}",
                obj.get_type().name()?
            ))),
        },
        _ => Ok(Arc::new(MedianPruner::new())),
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPruner>()?;
    m.add_class::<PyNopPruner>()?;
    m.add_class::<PyMedianPruner>()?;
    m.add_class::<PyPercentilePruner>()?;
    m.add_class::<PySuccessiveHalvingPruner>()?;
    m.add_class::<PyHyperbandPruner>()?;
    m.add_class::<PyThresholdPruner>()?;
    m.add_class::<PyPatientPruner>()?;
    m.add_class::<PyWilcoxonPruner>()?;
    Ok(())
}
