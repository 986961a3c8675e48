//! `Trial` (the live trial an objective sees) and `FrozenTrial` (a
//! snapshot), with Optuna's attribute names.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use ferrotune::core::TrialParam;
use ferrotune::{
    AttrValue, CategoricalDistribution, Distribution, FloatDistribution, FrozenTrial, IntDistribution, ParamValue,
    TrialState,
};
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

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

/// A trial's parameters as a dict in the order they were suggested, as
/// Optuna's `trial.params` (not by name, as `FrozenTrial::param_values`).
pub(crate) fn suggested_params_to_py(py: Python<'_>, trial: &FrozenTrial) -> PyResult<Py<PyDict>> {
    let dict = PyDict::new(py);
    for (name, param) in &trial.params {
        dict.set_item(name, param_to_py(py, &param.value())?)?;
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
    /// What the sampler proposed jointly at ask time; fixed from then on,
    /// and kept so that it still answers once the trial is told.
    relative_params: BTreeMap<String, ParamValue>,
}

impl PyTrial {
    pub(crate) fn new(trial: ferrotune::Trial, study_key: (usize, i64), study: Py<PyAny>) -> Self {
        PyTrial {
            number: trial.number(),
            trial_id: trial.id(),
            study_key,
            study,
            relative_params: trial.relative_params(),
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
        // A Python sampler or pruner the engine calls receives the study.
        crate::user::in_study(py, &self.study, || {
            py.detach(|| {
                let mut slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
                match &mut *slot {
                    Slot::Live(trial) => Ok(f(trial)),
                    _ => Err(()),
                }
            })
        })
        .map_err(|()| {
            crate::errors::update_finished_trial_error(format!(
                "trial {number} is already finished: only a running trial can be changed"
            ))
        })?
        .py_err()
    }

    /// A read of whatever this handle knows of the trial. The slot is
    /// taken with the GIL held only when it is free: another thread may
    /// hold it while waiting for the GIL (a suggestion that calls a Python
    /// sampler or pruner), so a busy slot is waited for without the GIL.
    fn read<R>(&self, py: Python<'_>, f: impl FnOnce(&FrozenTrial) -> R) -> R {
        let slot = loop {
            match self.slot.try_lock() {
                Ok(slot) => break slot,
                Err(std::sync::TryLockError::Poisoned(p)) => break p.into_inner(),
                Err(std::sync::TryLockError::WouldBlock) => {
                    py.detach(|| drop(self.slot.lock().unwrap_or_else(|p| p.into_inner())));
                }
            }
        };
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
    ///
    /// A step reported again keeps its first value, with a warning, as in
    /// Optuna.
    fn report(&self, py: Python<'_>, value: &Bound<'_, PyAny>, step: &Bound<'_, PyAny>) -> PyResult<()> {
        let step = step_from_py(step)?;
        let recorded = if let Ok(v) = value.extract::<f64>() {
            self.with_live(py, |t| t.report(step, v))?
        } else {
            let values: Option<Vec<f64>> = (!value.is_instance_of::<pyo3::types::PyString>())
                .then(|| value.try_iter().ok()?.map(|item| item.ok()?.extract::<f64>().ok()).collect())
                .flatten();
            match values {
                Some(values) => self.with_live(py, |t| t.report_values(step, &values))?,
                None => {
                    return Err(PyTypeError::new_err(format!(
                        "report() takes a float (or one float per objective), got {}",
                        value.repr()?
                    )))
                }
            }
        };
        if !recorded {
            let message = format!("The value reported for step {step} is ignored: that step was already reported.");
            let message = std::ffi::CString::new(message).expect("no NUL in the message");
            PyErr::warn(py, &py.get_type::<pyo3::exceptions::PyUserWarning>(), &message, 1)?;
        }
        Ok(())
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
    fn constraints(&self, py: Python<'_>) -> BTreeMap<String, f64> {
        self.read(py, |t| t.constraints())
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
        self.read(py, |t| suggested_params_to_py(py, t))
    }

    /// What the sampler proposed for the study's joint search space when
    /// the trial was asked, by name (Optuna's `relative_params`): the value
    /// a `suggest_*` of that name returns when asked with the same
    /// distribution. Empty while the sampler has nothing joint to propose
    /// (its startup trials, or one that samples each parameter alone).
    #[getter]
    fn relative_params(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        params_to_py(py, &self.relative_params)
    }

    /// The distributions of the parameters suggested so far.
    #[getter]
    fn distributions(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        let trial = self.read(py, |t| t.clone());
        distributions_to_py(py, &trial)
    }

    #[getter]
    fn user_attrs(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        let attrs = self.read(py, |t| t.user_attrs.clone());
        attrs_to_py(py, &attrs)
    }

    #[getter]
    fn system_attrs(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        let attrs = self.read(py, |t| t.system_attrs.clone());
        attrs_to_py(py, &attrs)
    }

    /// When the trial started running.
    #[getter]
    fn datetime_start(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        datetime_from_us(py, self.read(py, |t| t.started_at_us))
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
    /// The number and id Python sees. They are the stored trial's, except
    /// for a trial made by hand (`create_trial`, the constructor), which
    /// belongs to no study yet: Optuna gives those -1, which the engine's
    /// unsigned number cannot hold.
    number: i64,
    trial_id: i64,
    /// The trial with the attributes set on this object since it was made
    /// (`set_user_attr`, `set_constraint`: Optuna's `FrozenTrial` is
    /// mutable, so that an objective re-run on a best trial can set them);
    /// `None` while nothing was set. The stored trial never changes.
    edited: Mutex<Option<FrozenTrial>>,
}

#[pymethods]
impl PyFrozenTrial {
    /// A trial made by hand, with Optuna's arguments. Give either `value` or
    /// `values`. Nothing is checked against a study here; `add_trial` (and
    /// `create_trial`) check the trial as a whole. Unlike Optuna's, every
    /// parameter needs its distribution and a value the distribution can
    /// represent (a categorical value among its choices, a number for a
    /// numeric one): the engine stores a parameter as the pair.
    #[new]
    #[pyo3(signature = (
        number, state, value, datetime_start, datetime_complete, params, distributions, user_attrs,
        system_attrs, intermediate_values, trial_id, *, values = None
    ))]
    // Optuna's constructor takes these eleven positionally; the signature
    // is the API.
    #[allow(clippy::too_many_arguments)]
    fn new(
        number: i64,
        state: &Bound<'_, PyAny>,
        value: Option<f64>,
        datetime_start: Option<&Bound<'_, PyAny>>,
        datetime_complete: Option<&Bound<'_, PyAny>>,
        params: &Bound<'_, PyDict>,
        distributions: &Bound<'_, PyDict>,
        user_attrs: &Bound<'_, PyDict>,
        system_attrs: &Bound<'_, PyDict>,
        intermediate_values: &Bound<'_, PyDict>,
        trial_id: i64,
        values: Option<Vec<f64>>,
    ) -> PyResult<Self> {
        let state = state_from_py(state)?;
        let values = match (value, values) {
            (Some(_), Some(_)) => {
                return Err(PyValueError::new_err("give a trial's objective as `value` or `values`, not both"))
            }
            (Some(v), None) => Some(vec![v]),
            (None, values) => values,
        };
        let mut trial = FrozenTrial::new(trial_id, u64::try_from(number).unwrap_or(0), state);
        trial.values = values;
        trial.started_at_us = datetime_start.filter(|d| !d.is_none()).map(datetime_to_us).transpose()?;
        trial.finished_at_us = datetime_complete.filter(|d| !d.is_none()).map(datetime_to_us).transpose()?;
        let names_of = |dict: &Bound<'_, PyDict>, what: &str| -> PyResult<Vec<String>> {
            dict.keys().extract().map_err(|_| PyTypeError::new_err(format!("the keys of {what} must be strings")))
        };
        let param_names = names_of(params, "params")?;
        let distribution_names = names_of(distributions, "distributions")?;
        let (mut a, mut b) = (param_names.clone(), distribution_names);
        a.sort();
        b.sort();
        if a != b {
            return Err(PyValueError::new_err(format!(
                "the parameters {a:?} and the distributions {b:?} name different parameters: each parameter needs its distribution"
            )));
        }
        for name in param_names {
            let distribution = distribution_from_py(&distributions.as_any().get_item(&name)?, &name)?;
            let value = param_from_py(&params.as_any().get_item(&name)?, &format!("the value of '{name}'"))?;
            let internal = representation(&name, &distribution, &value)?;
            trial.params.insert(name, TrialParam { distribution, internal });
        }
        for (k, v) in user_attrs.iter() {
            let key: String = k.extract().map_err(|_| PyTypeError::new_err("attribute keys must be strings"))?;
            trial.user_attrs.insert(key.clone(), attr_from_py(&v, &key)?);
        }
        for (k, v) in system_attrs.iter() {
            let key: String = k.extract().map_err(|_| PyTypeError::new_err("attribute keys must be strings"))?;
            trial.system_attrs.insert(key.clone(), attr_from_py(&v, &key)?);
        }
        for (k, v) in intermediate_values.iter() {
            let step = step_from_py(&k)?;
            let value: f64 = v.extract().map_err(|_| {
                PyTypeError::new_err(format!("the intermediate value at step {step} must be a float, got {v}"))
            })?;
            trial.intermediate_values.insert(step, value);
        }
        Ok(PyFrozenTrial { inner: Arc::new(trial), number, trial_id, edited: Mutex::new(None) })
    }

    /// Check the trial is one a study can hold, as Optuna's `add_trial` and
    /// `create_trial` do: a start time unless waiting, a completion time
    /// exactly when finished, values (without NaN) when complete and none
    /// when failed, and every parameter inside its distribution.
    fn _validate(&self) -> PyResult<()> {
        let t = &self.inner;
        let fail = |message: String| Err(PyValueError::new_err(message));
        if t.state != TrialState::Waiting && t.started_at_us.is_none() {
            return fail(format!(
                "a {} trial needs its datetime_start (only a waiting trial has none)",
                state_name(t.state)
            ));
        }
        match (t.state.is_finished(), t.finished_at_us.is_some()) {
            (true, false) => return fail(format!("a {} trial needs its datetime_complete", state_name(t.state))),
            (false, true) => {
                return fail(format!(
                    "a {} trial cannot have a datetime_complete: it has not finished",
                    state_name(t.state)
                ))
            }
            _ => {}
        }
        match (t.state, &t.values) {
            (TrialState::Failed, Some(values)) => {
                return fail(format!("a FAIL trial has no objective values, but {values:?} were given"))
            }
            (TrialState::Complete, None) => return fail("a COMPLETE trial needs its objective value(s)".into()),
            (TrialState::Complete, Some(values)) if values.iter().any(|v| v.is_nan()) => {
                return fail(format!("the objective values of a COMPLETE trial cannot be NaN: {values:?}"))
            }
            _ => {}
        }
        for (name, param) in &t.params {
            if !param.distribution.contains(param.internal) {
                return fail(format!(
                    "the value {} of parameter '{name}' is not in its distribution ({})",
                    param.value(),
                    param.distribution
                ));
            }
        }
        Ok(())
    }

    /// The recorded value of `name`, as `Trial.suggest_float` would have
    /// returned it: a `FrozenTrial` (a best trial, say) can be handed to
    /// the objective to re-run it. A name the trial has no value for is a
    /// `ValueError`; a value outside the distribution asked for is returned
    /// with a warning (as Optuna does).
    #[pyo3(signature = (name, low, high, *, step = None, log = false))]
    fn suggest_float(
        &self,
        py: Python<'_>,
        name: &str,
        low: f64,
        high: f64,
        step: Option<f64>,
        log: bool,
    ) -> PyResult<Py<PyAny>> {
        let distribution = FloatDistribution::new(low, high, log, step).py_err()?;
        self.recorded(py, name, Distribution::Float(distribution))
    }

    /// The recorded value of `name`, as `Trial.suggest_int` would have
    /// returned it (see `suggest_float`).
    #[pyo3(signature = (name, low, high, *, step = 1, log = false))]
    fn suggest_int(
        &self,
        py: Python<'_>,
        name: &str,
        low: i64,
        high: i64,
        step: i64,
        log: bool,
    ) -> PyResult<Py<PyAny>> {
        let distribution = IntDistribution::new(low, high, log, step).py_err()?;
        self.recorded(py, name, Distribution::Int(distribution))
    }

    /// The recorded value of `name`, as `Trial.suggest_categorical` would
    /// have returned it (see `suggest_float`).
    fn suggest_categorical(&self, py: Python<'_>, name: &str, choices: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let values = choices
            .try_iter()
            .map_err(|_| PyTypeError::new_err(format!("the choices of '{name}' must be a sequence")))?
            .enumerate()
            .map(|(i, c)| param_from_py(&c?, &format!("choice {i} of '{name}'")))
            .collect::<PyResult<Vec<_>>>()?;
        let distribution = CategoricalDistribution::new(values).py_err()?;
        self.recorded(py, name, Distribution::Categorical(distribution))
    }

    /// Does nothing: a finished trial takes no reports (Optuna's behaviour,
    /// so that an objective can run on a `FrozenTrial`).
    fn report(&self, value: &Bound<'_, PyAny>, step: &Bound<'_, PyAny>) -> PyResult<()> {
        let _ = (value, step_from_py(step)?);
        Ok(())
    }

    /// Always False: a finished trial is never pruned.
    fn should_prune(&self) -> bool {
        false
    }

    /// Set a user attribute on this object, as Optuna's `FrozenTrial`
    /// allows (an objective re-run on a best trial may set some); the trial
    /// in the storage is unchanged.
    fn set_user_attr(&self, key: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let value = attr_from_py(value, key)?;
        self.edit(|t| {
            t.user_attrs.insert(key.to_owned(), value);
        });
        Ok(())
    }

    /// Set a constraint value (satisfied when <= 0) on this object, where
    /// `Trial.set_constraint` records it; the stored trial is unchanged.
    fn set_constraint(&self, key: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let Ok(number) = value.extract::<f64>() else {
            return Err(PyTypeError::new_err(format!("constraint '{key}' must be a float, got {}", value.repr()?)));
        };
        if number.is_nan() {
            return Err(PyValueError::new_err(format!("constraint '{key}' is NaN; a constraint must be a number")));
        }
        let value = serde_json::Number::from_f64(number).map_or(AttrValue::Null, AttrValue::Number);
        self.edit(|t| {
            let entry = t
                .system_attrs
                .entry(ferrotune::core::CONSTRAINTS_ATTR.to_owned())
                .or_insert_with(|| AttrValue::Object(serde_json::Map::new()));
            if !entry.is_object() {
                *entry = AttrValue::Object(serde_json::Map::new());
            }
            if let AttrValue::Object(constraints) = entry {
                constraints.insert(key.to_owned(), value);
            }
        });
        Ok(())
    }

    /// A copy of this object (attributes set on it included). The data is
    /// immutable and shared, so a copy costs nothing.
    fn __copy__(&self) -> Self {
        self.duplicate()
    }

    /// As `__copy__`: nothing in a trial refers back to other objects.
    fn __deepcopy__(&self, memo: &Bound<'_, PyAny>) -> Self {
        let _ = memo;
        self.duplicate()
    }

    /// Pickle: the trial as this object shows it (attributes set on it
    /// included), with the number and id it shows.
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let restore = py.import("ferrotune._pickling")?.getattr("_frozen_trial")?;
        let data = crate::pickling::trial_to_json(&self.current())?;
        let args = (data, self.number, self.trial_id).into_pyobject(py)?;
        PyTuple::new(py, [restore, args.into_any()])
    }

    #[getter]
    fn number(&self) -> i64 {
        self.number
    }

    #[getter]
    fn _trial_id(&self) -> i64 {
        self.trial_id
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
        suggested_params_to_py(py, &self.inner)
    }

    #[getter]
    fn distributions(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        distributions_to_py(py, &self.inner)
    }

    #[getter]
    fn user_attrs(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        attrs_to_py(py, &self.current().user_attrs)
    }

    #[getter]
    fn system_attrs(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        attrs_to_py(py, &self.current().system_attrs)
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
        self.current().constraints()
    }

    /// Why the trial failed, if it did.
    #[getter]
    fn fail_reason(&self) -> Option<String> {
        self.current().fail_reason().map(str::to_owned)
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<PyFrozenTrial>().is_ok_and(|o| {
            let o = o.get();
            (o.number, o.trial_id) == (self.number, self.trial_id) && *o.current() == *self.current()
        })
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let params = suggested_params_to_py(py, &self.inner)?;
        let values = match &self.inner.values {
            Some(v) => PyList::new(py, v)?.into_any().repr()?.to_string(),
            None => "None".into(),
        };
        Ok(format!(
            "FrozenTrial(number={}, state={}, values={values}, params={})",
            self.number,
            self.inner.state.as_str().to_uppercase(),
            params.bind(py).repr()?
        ))
    }
}

impl PyFrozenTrial {
    pub(crate) fn from_arc(inner: Arc<FrozenTrial>) -> Self {
        let (number, trial_id) = (inner.number as i64, inner.trial_id);
        PyFrozenTrial { inner, number, trial_id, edited: Mutex::new(None) }
    }

    /// A trial made again from its pickle, with the number and id it showed.
    pub(crate) fn restored(inner: Arc<FrozenTrial>, number: i64, trial_id: i64) -> Self {
        PyFrozenTrial { inner, number, trial_id, edited: Mutex::new(None) }
    }

    pub(crate) fn list(py: Python<'_>, trials: Vec<Arc<FrozenTrial>>) -> PyResult<Py<PyList>> {
        let objects = trials.into_iter().map(|t| Py::new(py, Self::from_arc(t))).collect::<PyResult<Vec<_>>>()?;
        Ok(PyList::new(py, objects)?.unbind())
    }
}

impl PyFrozenTrial {
    /// The trial as this object shows it: the stored one, with the
    /// attributes set on the object since.
    pub(crate) fn current(&self) -> Arc<FrozenTrial> {
        let edited = self.edited.lock().unwrap_or_else(|p| p.into_inner());
        edited.as_ref().map_or_else(|| self.inner.clone(), |t| Arc::new(t.clone()))
    }

    fn edit(&self, f: impl FnOnce(&mut FrozenTrial)) {
        let mut edited = self.edited.lock().unwrap_or_else(|p| p.into_inner());
        f(edited.get_or_insert_with(|| (*self.inner).clone()));
    }

    fn duplicate(&self) -> Self {
        let edited = self.edited.lock().unwrap_or_else(|p| p.into_inner()).clone();
        PyFrozenTrial {
            inner: self.inner.clone(),
            number: self.number,
            trial_id: self.trial_id,
            edited: Mutex::new(edited),
        }
    }

    /// What `suggest_*` on a finished trial returns: the recorded value of
    /// `name`, checked against the `asked` distribution as Optuna checks it.
    fn recorded(&self, py: Python<'_>, name: &str, asked: Distribution) -> PyResult<Py<PyAny>> {
        let param = self.inner.params.get(name).ok_or_else(|| {
            PyValueError::new_err(format!(
                "trial {} has no value for the parameter '{name}' (it has {:?}); give it one when the trial is made",
                self.number,
                self.inner.params.keys().collect::<Vec<_>>()
            ))
        })?;
        param.distribution.check_compatible(name, &asked).py_err()?;
        let value = param.value();
        if !representation(name, &asked, &value).is_ok_and(|internal| asked.contains(internal)) {
            let message =
                format!("the value {value} of the parameter '{name}' is outside the distribution asked for ({asked})");
            let category = py.get_type::<pyo3::exceptions::PyUserWarning>();
            PyErr::warn(py, category.as_any(), &std::ffi::CString::new(message)?, 1)?;
        }
        param_to_py(py, &value)
    }
}

/// A state's name as Python shows it (`COMPLETE`, `FAIL`, ...).
fn state_name(state: TrialState) -> &'static str {
    match state {
        TrialState::Running => "RUNNING",
        TrialState::Waiting => "WAITING",
        TrialState::Complete => "COMPLETE",
        TrialState::Pruned => "PRUNED",
        TrialState::Failed => "FAIL",
    }
}

/// A `datetime.datetime` as Unix microseconds; a naive one is local time,
/// as `datetime_from_us` makes them (and Optuna's are). Exact: computed
/// from the difference to the epoch, not through a float.
pub(crate) fn datetime_to_us(obj: &Bound<'_, PyAny>) -> PyResult<i64> {
    let py = obj.py();
    let datetime = py.import("datetime")?;
    if !obj.is_instance(&datetime.getattr("datetime")?)? {
        return Err(PyTypeError::new_err(format!("expected a datetime.datetime, got {}", obj.repr()?)));
    }
    let aware = if obj.getattr("tzinfo")?.is_none() { obj.call_method0("astimezone")? } else { obj.clone() };
    let utc = datetime.getattr("timezone")?.getattr("utc")?;
    let epoch = datetime.getattr("datetime")?.call1((1970, 1, 1, 0, 0, 0, 0, utc))?;
    let delta = aware.call_method1("__sub__", (epoch,))?;
    let (days, seconds, micros): (i64, i64, i64) = (
        delta.getattr("days")?.extract()?,
        delta.getattr("seconds")?.extract()?,
        delta.getattr("microseconds")?.extract()?,
    );
    Ok((days * 86_400 + seconds) * 1_000_000 + micros)
}

/// A distribution object (`ferrotune.distributions`, or Optuna's classes
/// of the same names) as the engine's, checked by the engine.
pub(crate) fn distribution_from_py(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Distribution> {
    let kind = obj.get_type().name()?.to_string();
    let attr = |a: &str| obj.getattr(a);
    let wrong = |e: PyErr| {
        PyTypeError::new_err(format!("the distribution of '{name}' ({kind}) has an attribute of the wrong type: {e}"))
    };
    match kind.as_str() {
        "FloatDistribution" => {
            let step = attr("step")?;
            let step = if step.is_none() { None } else { Some(step.extract::<f64>().map_err(wrong)?) };
            let (low, high) = (attr("low")?.extract().map_err(wrong)?, attr("high")?.extract().map_err(wrong)?);
            let d = FloatDistribution::new(low, high, attr("log")?.is_truthy()?, step).py_err()?;
            Ok(Distribution::Float(d))
        }
        "IntDistribution" => {
            let (low, high) = (attr("low")?.extract().map_err(wrong)?, attr("high")?.extract().map_err(wrong)?);
            let step = attr("step")?.extract().map_err(wrong)?;
            Ok(Distribution::Int(IntDistribution::new(low, high, attr("log")?.is_truthy()?, step).py_err()?))
        }
        "CategoricalDistribution" => {
            let choices = attr("choices")?
                .try_iter()?
                .enumerate()
                .map(|(i, c)| param_from_py(&c?, &format!("choice {i} of '{name}'")))
                .collect::<PyResult<Vec<_>>>()?;
            Ok(Distribution::Categorical(CategoricalDistribution::new(choices).py_err()?))
        }
        _ => Err(PyTypeError::new_err(format!(
            "the distribution of '{name}' is a {kind}; expected a FloatDistribution, IntDistribution or \
             CategoricalDistribution from ferrotune.distributions"
        ))),
    }
}

/// A value's internal representation in a distribution, whether or not the
/// distribution contains it (a float outside the bounds has one); a
/// `ValueError` when it has none (a string for a float, a value that is
/// not among the choices).
fn representation(name: &str, distribution: &Distribution, value: &ParamValue) -> PyResult<f64> {
    let internal = match distribution {
        Distribution::Float(_) => value.as_f64(),
        Distribution::Int(_) => value.as_i64().map(|v| v as f64),
        Distribution::Categorical(d) => d.index_of(value).map(|i| i as f64),
    };
    internal.ok_or_else(|| {
        PyValueError::new_err(format!("the value {value} of parameter '{name}' cannot be a value of {distribution}"))
    })
}

/// Whether `value` lies in `distribution` (both Python objects): True or
/// False for a value the distribution can represent, a `ValueError` for one
/// it cannot (see `representation`). Used by `FixedTrial`.
#[pyfunction]
fn _param_in_distribution(name: &str, value: &Bound<'_, PyAny>, distribution: &Bound<'_, PyAny>) -> PyResult<bool> {
    let distribution = distribution_from_py(distribution, name)?;
    let value = param_from_py(value, &format!("the value of '{name}'"))?;
    Ok(distribution.contains(representation(name, &distribution, &value)?))
}

/// `ferrotune.distributions.check_distribution_compatibility`: a
/// `ValueError` unless a parameter recorded with `dist_old` may be
/// recorded with `dist_new` in another trial of the study. `name`, if
/// given, names the parameter in the error.
#[pyfunction]
#[pyo3(signature = (dist_old, dist_new, name = None))]
fn _check_distribution_compatibility(
    dist_old: &Bound<'_, PyAny>,
    dist_new: &Bound<'_, PyAny>,
    name: Option<&str>,
) -> PyResult<()> {
    let name = name.unwrap_or("unnamed");
    let old = distribution_from_py(dist_old, name)?;
    let new = distribution_from_py(dist_new, name)?;
    old.check_compatible(name, &new).py_err()
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyTrial>()?;
    m.add_class::<PyFrozenTrial>()?;
    m.add_function(wrap_pyfunction!(_param_in_distribution, m)?)?;
    m.add_function(wrap_pyfunction!(_check_distribution_compatibility, m)?)?;
    Ok(())
}
