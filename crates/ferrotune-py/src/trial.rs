//! `Trial` (the live trial an objective sees) and `FrozenTrial` (a
//! snapshot), with Optuna's attribute names.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use ferrotune::{
    CategoricalDistribution, Distribution, FloatDistribution, FrozenTrial, IntDistribution, ParamValue, TrialState,
};
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::convert::{attr_from_py, attrs_to_py, datetime_from_us, param_from_py, param_to_py, step_from_py};
use crate::errors::IntoPyResult;

/// Optuna's numbering of trial states, which `ferrotune.trial.TrialState`
/// (an `IntEnum`) keeps so that code comparing states works unchanged.
pub(crate) fn state_code(state: TrialState) -> u8 {
    match state {
        TrialState::Running => 0,
        TrialState::Complete => 1,
        TrialState::Pruned => 2,
        TrialState::Failed => 3,
        TrialState::Waiting => 4,
    }
}

/// The state for an Optuna state number or name.
pub(crate) fn state_from_py(obj: &Bound<'_, PyAny>) -> PyResult<TrialState> {
    if let Ok(code) = obj.extract::<i64>() {
        return match code {
            0 => Ok(TrialState::Running),
            1 => Ok(TrialState::Complete),
            2 => Ok(TrialState::Pruned),
            3 => Ok(TrialState::Failed),
            4 => Ok(TrialState::Waiting),
            _ => Err(PyTypeError::new_err(format!("{code} is not a TrialState"))),
        };
    }
    let name: String = obj.extract().map_err(|_| PyTypeError::new_err("state must be a TrialState"))?;
    match name.to_ascii_uppercase().as_str() {
        "FAIL" => Ok(TrialState::Failed),
        other => other.parse().map_err(|e: ferrotune::Error| PyTypeError::new_err(e.to_string())),
    }
}

fn state_to_py(py: Python<'_>, state: TrialState) -> PyResult<Py<PyAny>> {
    let enum_type = py.import("ferrotune.trial")?.getattr("TrialState")?;
    Ok(enum_type.call1((state_code(state),))?.unbind())
}

/// A distribution as a `ferrotune.distributions` object.
pub(crate) fn distribution_to_py(py: Python<'_>, distribution: &Distribution) -> PyResult<Py<PyAny>> {
    let module = py.import("ferrotune.distributions")?;
    let obj = match distribution {
        Distribution::Float(d) => module.getattr("FloatDistribution")?.call1((d.low(), d.high(), d.log(), d.step()))?,
        Distribution::Int(d) => module.getattr("IntDistribution")?.call1((d.low(), d.high(), d.log(), d.step()))?,
        Distribution::Categorical(d) => {
            let choices = d.choices().iter().map(|c| param_to_py(py, c)).collect::<PyResult<Vec<_>>>()?;
            module.getattr("CategoricalDistribution")?.call1((choices,))?
        }
    };
    Ok(obj.unbind())
}

fn params_to_py(py: Python<'_>, params: &BTreeMap<String, ParamValue>) -> PyResult<Py<PyDict>> {
    let dict = PyDict::new(py);
    for (k, v) in params {
        dict.set_item(k, param_to_py(py, v)?)?;
    }
    Ok(dict.unbind())
}

fn distributions_to_py(py: Python<'_>, trial: &FrozenTrial) -> PyResult<Py<PyDict>> {
    let dict = PyDict::new(py);
    for (k, p) in &trial.params {
        dict.set_item(k, distribution_to_py(py, &p.distribution)?)?;
    }
    Ok(dict.unbind())
}

/// Where a live trial is in its life, from this handle's point of view.
pub(crate) enum Slot {
    /// Being evaluated: suggestions and reports go to storage.
    Live(Box<ferrotune::Trial>),
    /// Being told (momentarily).
    Telling,
    /// Told; kept so that `params` and friends still answer.
    Finished(Arc<FrozenTrial>),
}

/// A trial being evaluated: suggest parameters, report intermediate values,
/// ask whether to prune. Handed to the objective by `Study.optimize`, or
/// returned by `Study.ask`.
#[pyclass(frozen, module = "ferrotune.trial", name = "Trial")]
pub(crate) struct PyTrial {
    pub(crate) slot: Mutex<Slot>,
    pub(crate) number: u64,
    pub(crate) trial_id: i64,
    /// Which study (storage and id) the trial belongs to; see `PyStudy::key`.
    pub(crate) study_key: (usize, i64),
    pub(crate) study: Py<PyAny>,
}

impl PyTrial {
    pub(crate) fn new(trial: ferrotune::Trial, study_key: (usize, i64), study: Py<PyAny>) -> Self {
        PyTrial {
            number: trial.number(),
            trial_id: trial.id(),
            study_key,
            study,
            slot: Mutex::new(Slot::Live(Box::new(trial))),
        }
    }

    /// Run `f` on the live trial without the GIL.
    fn with_live<R: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut ferrotune::Trial) -> ferrotune::Result<R> + Send,
    ) -> PyResult<R> {
        let number = self.number;
        py.detach(|| {
            let mut slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
            match &mut *slot {
                Slot::Live(trial) => Ok(f(trial)),
                _ => Err(()),
            }
        })
        .map_err(|()| {
            PyRuntimeError::new_err(format!("trial {number} is already finished: only a running trial can be changed"))
        })?
        .py_err()
    }

    /// A read of whatever this handle knows of the trial.
    fn read<R>(&self, f: impl FnOnce(&FrozenTrial) -> R) -> R {
        let slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        match &*slot {
            Slot::Live(trial) => f(trial.frozen()),
            Slot::Finished(frozen) => f(frozen),
            Slot::Telling => unreachable!("the slot is only Telling while the tell holds the lock"),
        }
    }
}

#[pymethods]
impl PyTrial {
    /// 0-based number of the trial within its study.
    #[getter]
    fn number(&self) -> u64 {
        self.number
    }

    #[getter]
    fn _trial_id(&self) -> i64 {
        self.trial_id
    }

    /// The study the trial belongs to.
    #[getter]
    fn study(&self, py: Python<'_>) -> Py<PyAny> {
        self.study.clone_ref(py)
    }

    /// A float in `[low, high]`; `log=True` for a log scale, `step` for a
    /// grid `low, low + step, ..., high`.
    #[pyo3(signature = (name, low, high, *, step = None, log = false))]
    fn suggest_float(
        &self,
        py: Python<'_>,
        name: &str,
        low: f64,
        high: f64,
        step: Option<f64>,
        log: bool,
    ) -> PyResult<f64> {
        let distribution = FloatDistribution::new(low, high, log, step).py_err()?;
        let value = self.with_live(py, |t| t.suggest(name, Distribution::Float(distribution)))?;
        Ok(value.as_f64().expect("float distributions give floats"))
    }

    /// An int in `[low, high]`; `step` for every `step`-th value, `log=True`
    /// for a log scale.
    #[pyo3(signature = (name, low, high, *, step = 1, log = false))]
    fn suggest_int(&self, py: Python<'_>, name: &str, low: i64, high: i64, step: i64, log: bool) -> PyResult<i64> {
        let distribution = IntDistribution::new(low, high, log, step).py_err()?;
        let value = self.with_live(py, |t| t.suggest(name, Distribution::Int(distribution)))?;
        Ok(value.as_i64().expect("int distributions give ints"))
    }

    /// One of `choices` (None, bool, int, float or str values), returned as
    /// the object given.
    fn suggest_categorical(&self, py: Python<'_>, name: &str, choices: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let objects: Vec<Bound<'_, PyAny>> = choices
            .try_iter()
            .map_err(|_| PyTypeError::new_err(format!("the choices of '{name}' must be a sequence")))?
            .collect::<PyResult<_>>()?;
        let values = objects
            .iter()
            .enumerate()
            .map(|(i, c)| param_from_py(c, &format!("choice {i} of '{name}'")))
            .collect::<PyResult<Vec<_>>>()?;
        let distribution = CategoricalDistribution::new(values.clone()).py_err()?;
        let chosen = self.with_live(py, |t| t.suggest(name, Distribution::Categorical(distribution)))?;
        let index = values.iter().position(|v| *v == chosen).expect("the choice comes from the list");
        Ok(objects[index].clone().unbind())
    }

    /// Report an intermediate objective value at `step` (an epoch, a fold)
    /// for pruning and learning curves; in a multi-objective study, a
    /// sequence of one value per objective.
    fn report(&self, py: Python<'_>, value: &Bound<'_, PyAny>, step: &Bound<'_, PyAny>) -> PyResult<()> {
        let step = step_from_py(step)?;
        if let Ok(v) = value.extract::<f64>() {
            return self.with_live(py, |t| t.report(step, v));
        }
        let values: Option<Vec<f64>> = (!value.is_instance_of::<pyo3::types::PyString>())
            .then(|| value.try_iter().ok()?.map(|item| item.ok()?.extract::<f64>().ok()).collect())
            .flatten();
        match values {
            Some(values) => self.with_live(py, |t| t.report_values(step, &values)),
            None => Err(PyTypeError::new_err(format!(
                "report() takes a float (or one float per objective), got {}",
                value.repr()?
            ))),
        }
    }

    /// Whether the study's pruner says this trial should stop now; if so,
    /// raise `ferrotune.TrialPruned`.
    fn should_prune(&self, py: Python<'_>) -> PyResult<bool> {
        self.with_live(py, |t| t.should_prune())
    }

    /// Record a constraint value; the trial is feasible when every
    /// constraint is zero or less (TPE and GP rank infeasible trials lower,
    /// and `best_trial` / `best_trials` return feasible trials only).
    fn set_constraint(&self, py: Python<'_>, key: &str, value: f64) -> PyResult<()> {
        self.with_live(py, |t| t.set_constraint(key, value))
    }

    /// The constraint values set so far.
    #[getter]
    fn constraints(&self) -> BTreeMap<String, f64> {
        self.read(|t| t.constraints())
    }

    /// Attach a user attribute (any JSON-serializable value).
    fn set_user_attr(&self, py: Python<'_>, key: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let value = attr_from_py(value, key)?;
        self.with_live(py, |t| t.set_user_attr(key, value))
    }

    /// Attach an engine-level attribute (prefer `set_user_attr`).
    fn set_system_attr(&self, py: Python<'_>, key: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let value = attr_from_py(value, key)?;
        self.with_live(py, |t| t.set_system_attr(key, value))
    }

    /// The parameters suggested so far.
    #[getter]
    fn params(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        let params = self.read(|t| t.param_values());
        params_to_py(py, &params)
    }

    /// The distributions of the parameters suggested so far.
    #[getter]
    fn distributions(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        let trial = self.read(|t| t.clone());
        distributions_to_py(py, &trial)
    }

    #[getter]
    fn user_attrs(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        let attrs = self.read(|t| t.user_attrs.clone());
        attrs_to_py(py, &attrs)
    }

    #[getter]
    fn system_attrs(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        let attrs = self.read(|t| t.system_attrs.clone());
        attrs_to_py(py, &attrs)
    }

    /// When the trial started running.
    #[getter]
    fn datetime_start(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        datetime_from_us(py, self.read(|t| t.started_at_us))
    }

    fn __repr__(&self) -> String {
        format!("Trial(number={})", self.number)
    }
}

/// A snapshot of a trial: its state, values, parameters, intermediate
/// values and attributes. Finished trials never change.
#[pyclass(frozen, module = "ferrotune.trial", name = "FrozenTrial")]
pub(crate) struct PyFrozenTrial {
    pub(crate) inner: Arc<FrozenTrial>,
}

#[pymethods]
impl PyFrozenTrial {
    #[getter]
    fn number(&self) -> u64 {
        self.inner.number
    }

    #[getter]
    fn _trial_id(&self) -> i64 {
        self.inner.trial_id
    }

    /// A `ferrotune.trial.TrialState`.
    #[getter]
    fn state(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        state_to_py(py, self.inner.state)
    }

    /// The objective value (single-objective studies); None until complete.
    #[getter]
    fn value(&self) -> PyResult<Option<f64>> {
        match self.inner.values.as_deref() {
            None => Ok(None),
            Some([v]) => Ok(Some(*v)),
            Some(_) => Err(PyRuntimeError::new_err(
                "this trial has several objective values: use `values` (value is for single-objective studies)",
            )),
        }
    }

    /// The objective values, one per direction; None until complete.
    #[getter]
    fn values(&self) -> Option<Vec<f64>> {
        self.inner.values.clone()
    }

    #[getter]
    fn params(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        params_to_py(py, &self.inner.param_values())
    }

    #[getter]
    fn distributions(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        distributions_to_py(py, &self.inner)
    }

    #[getter]
    fn user_attrs(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        attrs_to_py(py, &self.inner.user_attrs)
    }

    #[getter]
    fn system_attrs(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        attrs_to_py(py, &self.inner.system_attrs)
    }

    /// Intermediate values by step.
    #[getter]
    fn intermediate_values(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        let dict = PyDict::new(py);
        for (step, value) in &self.inner.intermediate_values {
            dict.set_item(step, value)?;
        }
        Ok(dict.unbind())
    }

    /// Intermediate values of every objective by step (multi-objective
    /// studies that report one value per objective).
    #[getter]
    fn intermediate_vectors(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        let dict = PyDict::new(py);
        for (step, values) in &self.inner.intermediate_vectors {
            dict.set_item(step, values.clone())?;
        }
        Ok(dict.unbind())
    }

    /// The last step reported, if any.
    #[getter]
    fn last_step(&self) -> Option<u64> {
        self.inner.last_intermediate().map(|(s, _)| s)
    }

    #[getter]
    fn datetime_start(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        datetime_from_us(py, self.inner.started_at_us)
    }

    #[getter]
    fn datetime_complete(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        datetime_from_us(py, self.inner.finished_at_us)
    }

    /// Wall-clock duration as a `datetime.timedelta`, once finished.
    #[getter]
    fn duration(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        match self.inner.duration_secs() {
            None => Ok(py.None()),
            Some(secs) => {
                let timedelta = py.import("datetime")?.getattr("timedelta")?;
                let kwargs = PyDict::new(py);
                kwargs.set_item("seconds", secs)?;
                Ok(timedelta.call((), Some(&kwargs))?.unbind())
            }
        }
    }

    /// Constraint values, `{name: value}` (feasible when all are <= 0).
    #[getter]
    fn constraints(&self) -> BTreeMap<String, f64> {
        self.inner.constraints()
    }

    /// Why the trial failed, if it did.
    #[getter]
    fn fail_reason(&self) -> Option<&str> {
        self.inner.fail_reason()
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<PyFrozenTrial>().is_ok_and(|o| *o.get().inner == *self.inner)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let params = params_to_py(py, &self.inner.param_values())?;
        let values = match &self.inner.values {
            Some(v) => PyList::new(py, v)?.into_any().repr()?.to_string(),
            None => "None".into(),
        };
        Ok(format!(
            "FrozenTrial(number={}, state={}, values={values}, params={})",
            self.inner.number,
            self.inner.state.as_str().to_uppercase(),
            params.bind(py).repr()?
        ))
    }
}

impl PyFrozenTrial {
    pub(crate) fn from_arc(inner: Arc<FrozenTrial>) -> Self {
        PyFrozenTrial { inner }
    }

    pub(crate) fn list(py: Python<'_>, trials: Vec<Arc<FrozenTrial>>) -> PyResult<Py<PyList>> {
        let objects = trials.into_iter().map(|t| Py::new(py, Self::from_arc(t))).collect::<PyResult<Vec<_>>>()?;
        Ok(PyList::new(py, objects)?.unbind())
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyTrial>()?;
    m.add_class::<PyFrozenTrial>()?;
    Ok(())
}
