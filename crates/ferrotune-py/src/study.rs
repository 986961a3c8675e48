//! The native `Study`: create, load, ask, tell, enqueue, read. The Python
//! subclass (`ferrotune.study.Study`) adds `optimize` and the conveniences.

use std::collections::BTreeMap;
use std::sync::Arc;

use ferrotune::{EnqueueOptions, FrozenTrial, Study, StudyDirection, TrialOutcome, TrialState};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::convert::{attr_from_py, attrs_to_py, objective_values, params_from_py};
use crate::errors::IntoPyResult;
use crate::storages::{self, PyStorage};
use crate::trial::{state_from_py, suggested_params_to_py, PyFrozenTrial, PyTrial, Slot};
use crate::{pruners, samplers};

/// An optimization study: a named set of trials in a storage, with the
/// sampler and pruner this process uses on it. Create one with
/// `ferrotune.create_study`, or load one with `ferrotune.load_study`.
#[pyclass(subclass, frozen, module = "ferrotune.study", name = "Study")]
pub(crate) struct PyStudy {
    inner: Study,
    storage: Py<PyStorage>,
}

impl PyStudy {
    /// The engine's study, for the native functions that read it.
    pub(crate) fn engine(&self) -> &Study {
        &self.inner
    }
}

/// What a caller may pass as a trial to `tell`: the trial object or its
/// number.
enum TrialRef<'a, 'py> {
    Object(&'a Bound<'py, PyTrial>),
    Number(u64),
}

impl PyStudy {
    /// Identifies the study within this process: the storage object and the
    /// study's id in it (ids alone repeat across in-memory storages).
    fn key(&self) -> (usize, i64) {
        (Arc::as_ptr(self.inner.storage()) as *const () as usize, self.inner.id())
    }

    fn trial_ref<'a, 'py>(&self, trial: &'a Bound<'py, PyAny>) -> PyResult<TrialRef<'a, 'py>> {
        if let Ok(t) = trial.cast::<PyTrial>() {
            if t.get().study_key != self.key() {
                return Err(PyValueError::new_err(format!(
                    "trial {} belongs to another study (or was asked from another Study object), not to '{}'",
                    t.get().number,
                    self.inner.name()
                )));
            }
            return Ok(TrialRef::Object(t));
        }
        match trial.extract::<i64>() {
            Ok(n) if n >= 0 => Ok(TrialRef::Number(n as u64)),
            _ => Err(PyTypeError::new_err("tell() takes a Trial or a trial number")),
        }
    }

    /// Finish a trial with `outcome`, or return it untouched if it is
    /// already finished and `skip_if_finished` is set.
    fn finish(
        &self,
        py: Python<'_>,
        trial: TrialRef<'_, '_>,
        outcome: TrialOutcome,
        skip_if_finished: bool,
    ) -> PyResult<PyFrozenTrial> {
        let study = &self.inner;
        let finished = match trial {
            TrialRef::Object(handle) => {
                let handle = handle.get();
                py.detach(|| {
                    let mut slot = handle.slot.lock().unwrap_or_else(|p| p.into_inner());
                    match std::mem::replace(&mut *slot, Slot::Telling) {
                        Slot::Live(live) => {
                            let (id, number) = (live.frozen().trial_id, live.frozen().number);
                            let told = study.tell_outcome(*live, outcome);
                            // What the handle answers with afterwards: the
                            // told trial, or after an error the stored one
                            // (a copy of the live trial made before every
                            // tell, for the error's sake, cost a tenth of
                            // a trial's overhead from Python).
                            let kept = match &told {
                                Ok(frozen) => Arc::clone(frozen),
                                Err(_) => study
                                    .trials()
                                    .ok()
                                    .and_then(|trials| trials.into_iter().find(|t| t.trial_id == id))
                                    .unwrap_or_else(|| Arc::new(FrozenTrial::new(id, number, TrialState::Failed))),
                            };
                            *slot = Slot::Finished(kept);
                            told.map(Finish::Told)
                        }
                        Slot::Finished(frozen) => {
                            *slot = Slot::Finished(frozen.clone());
                            Ok(Finish::AlreadyFinished(frozen))
                        }
                        Slot::Telling => unreachable!("Telling is only seen under the lock"),
                    }
                })
            }
            TrialRef::Number(number) => py.detach(|| {
                let trials = study.trials()?;
                let current = trials.get(number as usize).ok_or_else(|| {
                    ferrotune::Error::InvalidArgument(format!("study '{}' has no trial number {number}", study.name()))
                })?;
                if current.state.is_finished() {
                    return Ok(Finish::AlreadyFinished(current.clone()));
                }
                study.tell_number(number, outcome).map(Finish::Told)
            }),
        };
        match finished.py_err()? {
            Finish::Told(frozen) => Ok(PyFrozenTrial::from_arc(frozen)),
            Finish::AlreadyFinished(frozen) if skip_if_finished => Ok(PyFrozenTrial::from_arc(frozen)),
            Finish::AlreadyFinished(frozen) => Err(crate::errors::update_finished_trial_error(format!(
                "trial {} is already finished ({}); pass skip_if_finished=True to ignore this",
                frozen.number,
                frozen.state.as_str().to_uppercase()
            ))),
        }
    }
}

/// What telling a trial came to.
enum Finish {
    /// The trial was finished now.
    Told(Arc<FrozenTrial>),
    /// It had been finished before; nothing changed.
    AlreadyFinished(Arc<FrozenTrial>),
}

/// The outcome `tell` records for the given values and state, as Optuna
/// decides it: values without a state mean complete; a pruned or failed
/// trial takes no values; values that are not numbers fail the trial.
fn outcome_for(values: Option<&Bound<'_, PyAny>>, state: Option<TrialState>) -> PyResult<TrialOutcome> {
    let values = values.filter(|v| !v.is_none());
    match (state, values) {
        (None | Some(TrialState::Complete), Some(values)) => Ok(match objective_values(values) {
            Ok(v) => TrialOutcome::Complete(v),
            Err(reason) => TrialOutcome::Failed(reason),
        }),
        (None | Some(TrialState::Complete), None) => {
            Err(PyValueError::new_err("no values were told: a complete trial needs its objective value(s)"))
        }
        (Some(TrialState::Pruned | TrialState::Failed), Some(_)) => Err(PyValueError::new_err(
            "values cannot be told with state PRUNED or FAIL (a pruned trial keeps its last reported value)",
        )),
        (Some(TrialState::Pruned), None) => Ok(TrialOutcome::Pruned),
        (Some(TrialState::Failed), None) => Ok(TrialOutcome::Failed("told as failed".into())),
        (Some(s), _) => Err(PyValueError::new_err(format!(
            "a trial can be told as COMPLETE, PRUNED or FAIL, not {}",
            s.as_str().to_uppercase()
        ))),
    }
}

#[pymethods]
impl PyStudy {
    /// Load the study `study_name` from `storage` (as Optuna's `Study`
    /// constructor does); to create one, use `ferrotune.create_study`.
    #[new]
    #[pyo3(signature = (study_name, storage, sampler = None, pruner = None))]
    fn new(
        py: Python<'_>,
        study_name: String,
        storage: Option<&Bound<'_, PyAny>>,
        sampler: Option<&Bound<'_, PyAny>>,
        pruner: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let storage = storages::resolve(py, storage)?;
        let engine_storage = storage.get().inner.clone();
        let (sampler, pruner) = (samplers::resolve(sampler)?, pruners::resolve(pruner)?);
        let builder = storage.get().with_heartbeat(Study::builder());
        let inner = py
            .detach(|| builder.name(study_name).storage(engine_storage).sampler_arc(sampler).pruner_arc(pruner).load())
            .py_err()?;
        Ok(PyStudy { inner, storage })
    }

    /// Use `sampler` for the trials asked from now on (`study.sampler =
    /// ...` in Python); running trials keep the one they were asked with.
    fn _set_sampler(&self, sampler: &Bound<'_, PyAny>) -> PyResult<()> {
        if sampler.is_none() {
            return Err(PyTypeError::new_err("study.sampler must be a sampler, got None"));
        }
        let sampler = samplers::resolve(Some(sampler))?;
        self.inner.set_sampler(sampler).py_err()
    }

    /// Use `pruner` from now on (`study.pruner = ...` in Python), running
    /// trials' next `should_prune` included.
    fn _set_pruner(&self, pruner: &Bound<'_, PyAny>) -> PyResult<()> {
        if pruner.is_none() {
            return Err(PyTypeError::new_err("study.pruner must be a pruner, got None"));
        }
        self.inner.set_pruner(pruners::resolve(Some(pruner))?);
        Ok(())
    }

    /// The study's name.
    #[getter]
    fn study_name(&self) -> &str {
        self.inner.name()
    }

    #[getter]
    fn _study_id(&self) -> i64 {
        self.inner.id()
    }

    /// The storage the study lives in.
    #[getter]
    fn _storage(&self, py: Python<'_>) -> Py<PyStorage> {
        self.storage.clone_ref(py)
    }

    /// Directions as lowercase names; `directions` turns them into
    /// `StudyDirection` values.
    #[getter]
    fn _direction_names(&self) -> Vec<&'static str> {
        self.inner.directions().iter().map(|d| d.as_str()).collect()
    }

    /// Start a new trial: an enqueued one if any is waiting, else one the
    /// sampler fills as its parameters are suggested.
    fn ask(slf: &Bound<'_, Self>) -> PyResult<PyTrial> {
        let py = slf.py();
        let this = slf.get();
        let study = slf.clone().into_any().unbind();
        // A Python sampler's methods receive this study object.
        let asked = crate::user::in_study(py, &study, || py.detach(|| this.inner.ask()));
        match (asked, crate::user::take_pending()) {
            (Ok(trial), None) => Ok(PyTrial::new(trial, this.key(), study)),
            (Err(e), None) => Err(crate::errors::to_py(e)),
            // A Python sampler's method raised and the engine failed the
            // trial: its exception is raised.
            (Err(_), Some((raised, _))) => Err(crate::user::failed_a_trial(py, raised)),
            // Its before_trial or infer_relative_search_space raised, which
            // the engine cannot hear: the trial fails here, as it would
            // have, had sampling it failed.
            (Ok(trial), Some((raised, reason))) => {
                let reason = format!("could not start the trial: {reason}");
                let _ = py.detach(|| this.inner.tell_outcome(trial, TrialOutcome::Failed(reason)));
                Err(crate::user::failed_a_trial(py, raised))
            }
        }
    }

    /// Fail the running trials whose heartbeat is older than the storage's
    /// grace period and retry them as its `RetryFailedTrialCallback` says
    /// (`ferrotune.storages.fail_stale_trials`); the trials failed.
    fn _fail_stale_trials(&self, py: Python<'_>) -> PyResult<Vec<PyFrozenTrial>> {
        let failed = py.detach(|| self.inner.fail_stale_trials()).py_err()?;
        Ok(failed.into_iter().map(PyFrozenTrial::from_arc).collect())
    }

    /// Finish a trial (the object from `ask`, or its number) with its
    /// objective value(s), or as pruned or failed with `state`.
    #[pyo3(signature = (trial, values = None, state = None, skip_if_finished = false))]
    fn tell(
        &self,
        py: Python<'_>,
        trial: &Bound<'_, PyAny>,
        values: Option<&Bound<'_, PyAny>>,
        state: Option<&Bound<'_, PyAny>>,
        skip_if_finished: bool,
    ) -> PyResult<PyFrozenTrial> {
        let state = state.filter(|s| !s.is_none()).map(state_from_py).transpose()?;
        let outcome = outcome_for(values, state)?;
        let trial = self.trial_ref(trial)?;
        self.finish(py, trial, outcome, skip_if_finished)
    }

    /// Fail a trial with a reason (what `optimize` records when the
    /// objective raises).
    fn _fail(&self, py: Python<'_>, trial: &Bound<'_, PyAny>, reason: String) -> PyResult<PyFrozenTrial> {
        let trial = self.trial_ref(trial)?;
        self.finish(py, trial, TrialOutcome::Failed(reason), false)
    }

    /// Queue hand-picked parameter values: the next `ask` gets them
    /// (parameters not listed are sampled as usual). With `skip_if_exists`,
    /// nothing is queued if a trial already stands for these values (an
    /// enqueued one by the values it was enqueued with, another by those it
    /// suggested), checked atomically by the storage.
    #[pyo3(signature = (params, user_attrs = None, skip_if_exists = false))]
    fn enqueue_trial(
        &self,
        py: Python<'_>,
        params: &Bound<'_, PyDict>,
        user_attrs: Option<&Bound<'_, PyDict>>,
        skip_if_exists: bool,
    ) -> PyResult<()> {
        let params = params_from_py(params, "enqueue_trial")?;
        let mut attrs = BTreeMap::new();
        if let Some(user_attrs) = user_attrs {
            for (k, v) in user_attrs.iter() {
                let key: String = k.extract().map_err(|_| PyTypeError::new_err("attribute keys must be strings"))?;
                let value = attr_from_py(&v, &key)?;
                attrs.insert(key, value);
            }
        }
        // skip_if_exists is the storage's check, made in the write that
        // would create the trial, so processes enqueueing the same
        // configuration at once queue it once.
        let options = EnqueueOptions { user_attrs: attrs, skip_if_exists };
        py.detach(|| self.inner.enqueue_trial_with(params, options).map(|_| ())).py_err()
    }

    /// Every trial, in number order.
    #[getter]
    fn trials(&self, py: Python<'_>) -> PyResult<Py<PyList>> {
        let trials = py.detach(|| self.inner.trials()).py_err()?;
        PyFrozenTrial::list(py, trials)
    }

    /// Trials, optionally only those in `states` (TrialState values);
    /// `get_trials` in Python (a getter named `trials` and a method named
    /// `get_trials` cannot both be native).
    #[pyo3(signature = (states = None))]
    fn _trials_in(&self, py: Python<'_>, states: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyList>> {
        let trials = match states.filter(|s| !s.is_none()) {
            None => py.detach(|| self.inner.trials()).py_err()?,
            Some(states) => {
                let states = states.try_iter()?.map(|s| state_from_py(&s?)).collect::<PyResult<Vec<_>>>()?;
                py.detach(|| self.inner.trials_in(&states)).py_err()?
            }
        };
        PyFrozenTrial::list(py, trials)
    }

    /// The best feasible complete trial (single-objective studies); as in
    /// Optuna, a trial violating a constraint is never the best, and
    /// `ValueError` says so when no complete trial is feasible.
    #[getter]
    fn best_trial(&self, py: Python<'_>) -> PyResult<PyFrozenTrial> {
        py.detach(|| self.inner.best_trial()).py_err().map(PyFrozenTrial::from_arc)
    }

    /// The best feasible objective value (single-objective studies).
    #[getter]
    fn best_value(&self, py: Python<'_>) -> PyResult<f64> {
        py.detach(|| self.inner.best_value()).py_err()
    }

    /// Whether the sampler has tried every configuration it can
    /// (`BruteForceSampler`): the optimize loop then starts no new trial,
    /// as Optuna's sampler stopping the study in `after_trial`.
    fn _sampler_is_exhausted(&self, py: Python<'_>) -> PyResult<bool> {
        py.detach(|| self.inner.sampler_is_exhausted()).py_err()
    }

    /// The parameters of the best feasible trial (single-objective studies).
    #[getter]
    fn best_params(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        let best = py.detach(|| self.inner.best_trial()).py_err()?;
        suggested_params_to_py(py, &best)
    }

    /// The Pareto-optimal feasible complete trials (infeasible ones are
    /// left out before the front is computed, as in Optuna).
    #[getter]
    fn best_trials(&self, py: Python<'_>) -> PyResult<Py<PyList>> {
        let trials = py.detach(|| self.inner.best_trials()).py_err()?;
        PyFrozenTrial::list(py, trials)
    }

    /// The study's user attributes.
    #[getter]
    fn user_attrs(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        let attrs = py.detach(|| self.inner.user_attrs()).py_err()?;
        attrs_to_py(py, &attrs)
    }

    /// Set a user attribute on the study (any JSON-serializable value).
    fn set_user_attr(&self, py: Python<'_>, key: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let value = attr_from_py(value, key)?;
        py.detach(|| self.inner.set_user_attr(key, value)).py_err()
    }

    /// Write a finished or waiting trial made elsewhere (`create_trial`, or
    /// another study's) with the study's next number, its times kept; the
    /// Python `add_trial` checks it as Optuna does first.
    fn _add_trial(&self, py: Python<'_>, trial: &Bound<'_, PyFrozenTrial>) -> PyResult<PyFrozenTrial> {
        let trial = trial.get().current();
        py.detach(|| self.inner.add_trial(&trial)).py_err().map(PyFrozenTrial::from_arc)
    }

    /// The study's system attributes, as stored now (other processes'
    /// writes included).
    fn _system_attrs(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        let attrs = py.detach(|| self.inner.system_attrs()).py_err()?;
        attrs_to_py(py, &attrs)
    }

    /// Set a system attribute on the study (any JSON-serializable value).
    fn _set_system_attr(&self, py: Python<'_>, key: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let value = attr_from_py(value, key)?;
        py.detach(|| self.inner.set_system_attr(key, value)).py_err()
    }
}

/// Create a study (or load it, with `load_if_exists`) and return its name.
#[pyfunction]
#[pyo3(signature = (storage, study_name, directions, load_if_exists, sampler = None))]
fn _create_study(
    py: Python<'_>,
    storage: &Bound<'_, PyStorage>,
    study_name: Option<String>,
    directions: Vec<String>,
    load_if_exists: bool,
    sampler: Option<&Bound<'_, PyAny>>,
) -> PyResult<String> {
    let directions =
        directions.iter().map(|d| d.parse::<StudyDirection>()).collect::<ferrotune::Result<Vec<_>>>().py_err()?;
    let engine_storage = storage.get().inner.clone();
    // The sampler comes along so that one refusing these directions refuses
    // before the study is written (Sampler::check_directions).
    let sampler = crate::samplers::resolve(sampler)?;
    py.detach(|| {
        let mut builder = Study::builder()
            .storage(engine_storage)
            .directions(directions)
            .load_if_exists(load_if_exists)
            .sampler_arc(sampler);
        if let Some(name) = study_name {
            builder = builder.name(name);
        }
        builder.create().map(|s| s.name().to_owned())
    })
    .py_err()
}

/// A storage object for `None`, a URL or a storage.
#[pyfunction]
#[pyo3(signature = (storage = None))]
fn _resolve_storage(py: Python<'_>, storage: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyStorage>> {
    storages::resolve(py, storage)
}

/// Names of every study in the storage.
#[pyfunction]
fn _study_names(py: Python<'_>, storage: &Bound<'_, PyStorage>) -> PyResult<Vec<String>> {
    let engine_storage = storage.get().inner.clone();
    py.detach(|| engine_storage.list_studies()).py_err().map(|v| v.into_iter().map(|s| s.name).collect())
}

/// Delete a study and its trials.
#[pyfunction]
fn _delete_study(py: Python<'_>, storage: &Bound<'_, PyStorage>, study_name: String) -> PyResult<()> {
    let engine_storage = storage.get().inner.clone();
    py.detach(|| {
        let info = engine_storage.study_by_name(&study_name)?.ok_or(ferrotune::Error::StudyNotFound(study_name))?;
        engine_storage.delete_study(info.study_id)
    })
    .py_err()
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyStudy>()?;
    m.add_function(wrap_pyfunction!(_create_study, m)?)?;
    m.add_function(wrap_pyfunction!(_resolve_storage, m)?)?;
    m.add_function(wrap_pyfunction!(_study_names, m)?)?;
    m.add_function(wrap_pyfunction!(_delete_study, m)?)?;
    Ok(())
}
