//! Samplers and pruners written in Python: subclasses of `BaseSampler` and
//! `BasePruner`, run by the engine through adapters that implement its
//! `Sampler` and `Pruner` traits; `PartialFixedSampler`; and the engine's
//! intersection search space for `ferrotune.search_space`.
//!
//! Design decision: the engine calls a user's method with the GIL released
//! everywhere else, and the adapter takes it only for the one Python call
//! (`Python::attach`), so parallel trials still sample and write without
//! it. The method receives the user's own Python `Study` (as in Optuna),
//! which the adapter cannot reach through the engine's `StudyView`: every
//! native call that may reach a user method (`Study.ask`, the live trial's
//! methods) records its Python study for its thread ([`in_study`]); the
//! engine calls samplers and pruners on the calling thread, so the adapter
//! finds it there. A Python exception cannot cross the engine either: the
//! adapter keeps it for the thread ([`take_pending`]) and hands the engine
//! an error carrying its traceback (which becomes the failed trial's
//! reason); the native call that started it then raises the original
//! exception, with its type and traceback, where the user can catch it.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::ffi::CString;
use std::sync::Arc;

use ferrotune::core::{Pruner, Sampler, SearchSpace, StudyView};
use ferrotune::{
    CategoricalDistribution, Distribution, Error, FloatDistribution, FrozenTrial, IntDistribution, ParamValue,
    StudyDirection,
};
use pyo3::exceptions::{PyNotImplementedError, PyRuntimeError, PyTypeError, PyUserWarning, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::{param_from_py, param_to_py, params_from_py};
use crate::errors::IntoPyResult;
use crate::samplers::PySampler;
use crate::study::PyStudy;
use crate::trial::{distribution_to_py, PyFrozenTrial, PyTrial, Slot};

thread_local! {
    /// The Python studies whose native calls are running on this thread,
    /// innermost last (a user's sampler may call into another study).
    static STUDIES: RefCell<Vec<Py<PyAny>>> = const { RefCell::new(Vec::new()) };
    /// The exception a user's method raised during the current native call,
    /// with the message the engine was given.
    static PENDING: RefCell<Option<(PyErr, String)>> = const { RefCell::new(None) };
}

/// Run `f` (a native call into the engine for `study`, the user's Python
/// study object) with `study` recorded for this thread, so that the user's
/// sampler and pruner methods the engine calls receive it.
pub(crate) fn in_study<R>(py: Python<'_>, study: &Py<PyAny>, f: impl FnOnce() -> R) -> R {
    /// Pops the study even if `f` unwinds.
    struct Pop;
    impl Drop for Pop {
        fn drop(&mut self) {
            STUDIES.with(|s| s.borrow_mut().pop());
        }
    }
    // An exception left over from an earlier call (one whose engine call
    // went on without failing) must not be raised by this one.
    PENDING.with(|p| p.borrow_mut().take());
    STUDIES.with(|s| s.borrow_mut().push(study.clone_ref(py)));
    let _pop = Pop;
    f()
}

/// The exception a user's method raised during the current native call on
/// this thread, and the message the engine recorded for it.
pub(crate) fn take_pending() -> Option<(PyErr, String)> {
    PENDING.with(|p| p.borrow_mut().take())
}

/// The exception of a user's sampler method that failed the trial `ask`
/// was starting, marked so (`_ferrotune_failed_trial`) for `optimize`,
/// which then treats it like an exception of the objective (`catch`
/// applies) rather than as a failure of the study.
pub(crate) fn failed_a_trial(py: Python<'_>, raised: PyErr) -> PyErr {
    // Every exception instance takes attributes; if one did not, the
    // exception is still raised, only without `catch` applying to it.
    let _ = raised.value(py).setattr("_ferrotune_failed_trial", true);
    raised
}

/// The user's Python study of the native call running on this thread.
fn current_study(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    STUDIES.with(|s| s.borrow().last().map(|study| study.bind(py).clone())).ok_or_else(|| {
        PyRuntimeError::new_err(
            "a Python sampler or pruner was called outside a study's ask, suggest or should_prune; \
             it can only be used through a study",
        )
    })
}

/// Run a call into the user's Python code with the GIL. An exception is
/// kept for the thread and the engine gets an error naming `what` (the
/// class and method) with the traceback.
fn call_python<T>(what: &str, f: impl FnOnce(Python<'_>) -> PyResult<T>) -> Result<T, Error> {
    Python::attach(|py| {
        f(py).map_err(|err| {
            let message = format!("{what} raised {}", format_exception(py, &err));
            PENDING.with(|p| *p.borrow_mut() = Some((err, message.clone())));
            Error::Sampler(message)
        })
    })
}

/// An exception with its traceback, as Python prints it.
fn format_exception(py: Python<'_>, err: &PyErr) -> String {
    let formatted = (|| -> PyResult<String> {
        let lines = py
            .import("traceback")?
            .call_method1("format_exception", (err.get_type(py), err.value(py), err.traceback(py)))?;
        Ok(lines.extract::<Vec<String>>()?.concat())
    })();
    formatted.map(|s| s.trim_end().to_owned()).unwrap_or_else(|_| err.to_string())
}

/// A trial as the Python `FrozenTrial` a user's method receives.
fn frozen_to_py(py: Python<'_>, trial: &FrozenTrial) -> PyResult<Py<PyFrozenTrial>> {
    Py::new(py, PyFrozenTrial::from_arc(Arc::new(trial.clone())))
}

/// A search space as a dict of `ferrotune.distributions` objects.
fn space_to_py(py: Python<'_>, space: &SearchSpace) -> PyResult<Py<PyDict>> {
    let dict = PyDict::new(py);
    for (name, distribution) in space {
        dict.set_item(name, distribution_to_py(py, distribution)?)?;
    }
    Ok(dict.unbind())
}

/// A `ferrotune.distributions` object (or Optuna's, which has the same
/// attributes) as the engine's distribution; `what` names it in errors.
pub(crate) fn distribution_from_py(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Distribution> {
    let class = obj.get_type().name()?.to_string();
    let bad = |e: Error| PyValueError::new_err(format!("{what}: {e}"));
    match class.as_str() {
        "FloatDistribution" => {
            let step: Option<f64> = obj.getattr("step")?.extract()?;
            FloatDistribution::new(
                obj.getattr("low")?.extract()?,
                obj.getattr("high")?.extract()?,
                obj.getattr("log")?.extract()?,
                step,
            )
            .map(Distribution::Float)
            .map_err(bad)
        }
        "IntDistribution" => IntDistribution::new(
            obj.getattr("low")?.extract()?,
            obj.getattr("high")?.extract()?,
            obj.getattr("log")?.extract()?,
            obj.getattr("step")?.extract()?,
        )
        .map(Distribution::Int)
        .map_err(bad),
        "CategoricalDistribution" => {
            let choices = obj
                .getattr("choices")?
                .try_iter()?
                .enumerate()
                .map(|(i, c)| param_from_py(&c?, &format!("{what}: choice {i}")))
                .collect::<PyResult<Vec<_>>>()?;
            CategoricalDistribution::new(choices).map(Distribution::Categorical).map_err(bad)
        }
        _ => Err(PyTypeError::new_err(format!(
            "{what} must be a FloatDistribution, IntDistribution or CategoricalDistribution, got {class}"
        ))),
    }
}

/// A dict of distributions as a search space; `what` names it in errors.
fn space_from_py(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<SearchSpace> {
    let dict = obj
        .cast::<PyDict>()
        .map_err(|_| PyTypeError::new_err(format!("{what} must return a dict of parameter names to distributions")))?;
    let mut space = SearchSpace::new();
    for (k, v) in dict.iter() {
        let name: String =
            k.extract().map_err(|_| PyTypeError::new_err(format!("{what}: parameter names must be strings")))?;
        let distribution = distribution_from_py(&v, &format!("{what}: the distribution of '{name}'"))?;
        space.insert(name, distribution);
    }
    Ok(space)
}

/// The internal value of `value`, which a sampler proposed for `name`; an
/// error names the method, the parameter, the value and the distribution
/// when the value does not belong to it.
fn internal_of(what: &str, name: &str, distribution: &Distribution, value: &Bound<'_, PyAny>) -> PyResult<f64> {
    let param = param_from_py(value, &format!("{what}: the value for '{name}'"))?;
    distribution.to_internal(name, &param).map_err(|_| {
        PyValueError::new_err(format!(
            "{what} returned {param} for parameter '{name}', which is outside its distribution ({distribution})"
        ))
    })
}

/// The engine's view of the user's Python study, for a built-in sampler or
/// pruner called from Python (a user's sampler delegating to one, as
/// Optuna's tutorial does with `RandomSampler().sample_independent`). The
/// call records the study for its thread too, so that a Python sampler
/// inside the built-in one (`PartialFixedSampler`'s base) receives it.
struct Snapshot {
    name: String,
    directions: Vec<StudyDirection>,
    trials: Vec<Arc<FrozenTrial>>,
}

impl Snapshot {
    fn of(study: &Bound<'_, PyAny>) -> PyResult<Snapshot> {
        let py = study.py();
        let study = study
            .cast::<PyStudy>()
            .map_err(|_| PyTypeError::new_err("study must be a ferrotune Study (the one the method was given)"))?
            .get();
        let engine = study.engine();
        let trials = py.detach(|| engine.trials()).py_err()?;
        Ok(Snapshot { name: engine.name().to_owned(), directions: engine.directions().to_vec(), trials })
    }

    fn view(&self) -> StudyView<'_> {
        StudyView { study_name: &self.name, directions: &self.directions, trials: &self.trials }
    }
}

/// A trial given to a built-in sampler's or pruner's method from Python:
/// the `FrozenTrial` the calling method was given, as in Optuna.
fn frozen_from_py(trial: &Bound<'_, PyAny>) -> PyResult<Arc<FrozenTrial>> {
    trial
        .extract::<PyRef<'_, PyFrozenTrial>>()
        .map(|t| t.inner.clone())
        .map_err(|_| PyTypeError::new_err("trial must be a FrozenTrial (the one the method was given)"))
}

/// The snapshot of a live trial (the object from `ask`) as a `FrozenTrial`,
/// for `Study.tell` to hand the sampler's `after_trial`.
#[pyfunction]
fn _live_frozen_trial(py: Python<'_>, trial: &Bound<'_, PyTrial>) -> PyFrozenTrial {
    let trial = trial.get();
    // Without the GIL: another thread may hold the slot while it waits for
    // the GIL (a suggestion calling a Python sampler).
    let frozen = py.detach(|| {
        let slot = trial.slot.lock().unwrap_or_else(|p| p.into_inner());
        match &*slot {
            Slot::Live(live) => Arc::new(live.frozen().clone()),
            Slot::Finished(frozen) => frozen.clone(),
            Slot::Telling => unreachable!("the slot is only Telling while the tell holds the lock"),
        }
    });
    PyFrozenTrial::from_arc(frozen)
}

// ------------------------------------------------------------ samplers

/// A Python subclass of `BaseSampler` as an engine sampler.
pub(crate) struct UserSampler {
    object: Py<PyAny>,
    class: String,
}

impl UserSampler {
    pub(crate) fn new(object: &Bound<'_, PyAny>) -> PyResult<UserSampler> {
        Ok(UserSampler { object: object.clone().unbind(), class: object.get_type().name()?.to_string() })
    }
}

impl Sampler for UserSampler {
    fn name(&self) -> &str {
        &self.class
    }

    /// Also calls `before_trial`: the engine asks for the relative space
    /// once per trial, right after creating it, where Optuna calls
    /// `before_trial`. An exception cannot be returned from here; it is kept
    /// and raised by `Study.ask`, which fails the trial.
    fn infer_relative_search_space(&self, _: &StudyView<'_>, trial: &FrozenTrial) -> SearchSpace {
        let before = format!("{}.before_trial", self.class);
        let infer = format!("{}.infer_relative_search_space", self.class);
        let object = &self.object;
        let result = call_python(&before, |py| {
            let study = current_study(py)?;
            let frozen = frozen_to_py(py, trial)?;
            object.bind(py).call_method1("before_trial", (&study, &frozen))?;
            Ok((study.unbind(), frozen))
        })
        .and_then(|(study, frozen)| {
            call_python(&infer, |py| {
                let space = object.bind(py).call_method1("infer_relative_search_space", (study, frozen))?;
                space_from_py(&space, &infer)
            })
        });
        result.unwrap_or_default()
    }

    fn sample_relative(
        &self,
        _: &StudyView<'_>,
        trial: &FrozenTrial,
        search_space: &SearchSpace,
    ) -> ferrotune::Result<BTreeMap<String, f64>> {
        let what = format!("{}.sample_relative", self.class);
        call_python(&what, |py| {
            let study = current_study(py)?;
            let args = (study, frozen_to_py(py, trial)?, space_to_py(py, search_space)?);
            let sample = self.object.bind(py).call_method1("sample_relative", args)?;
            let dict = sample
                .cast::<PyDict>()
                .map_err(|_| PyTypeError::new_err(format!("{what} must return a dict of parameter names to values")))?;
            let mut internal = BTreeMap::new();
            for (k, v) in dict.iter() {
                let name: String = k
                    .extract()
                    .map_err(|_| PyTypeError::new_err(format!("{what}: parameter names must be strings")))?;
                // As in Optuna, a parameter outside the relative space is
                // not used (the engine samples it independently).
                if let Some(distribution) = search_space.get(&name) {
                    internal.insert(name.clone(), internal_of(&what, &name, distribution, &v)?);
                }
            }
            Ok(internal)
        })
    }

    fn sample_independent(
        &self,
        _: &StudyView<'_>,
        trial: &FrozenTrial,
        name: &str,
        distribution: &Distribution,
    ) -> ferrotune::Result<f64> {
        let what = format!("{}.sample_independent", self.class);
        call_python(&what, |py| {
            let study = current_study(py)?;
            let args = (study, frozen_to_py(py, trial)?, name, distribution_to_py(py, distribution)?);
            let value = self.object.bind(py).call_method1("sample_independent", args)?;
            internal_of(&what, name, distribution, &value)
        })
    }
}

/// The engine sampler of a Python object that is a `BaseSampler`: a
/// built-in sampler's own, or an adapter for a Python subclass.
pub(crate) fn user_sampler(object: &Bound<'_, PyAny>) -> PyResult<Arc<dyn Sampler>> {
    Ok(Arc::new(UserSampler::new(object)?))
}

/// A built-in sampler's `infer_relative_search_space`, called from Python.
pub(crate) fn builtin_infer(
    sampler: &dyn Sampler,
    study: &Bound<'_, PyAny>,
    trial: &Bound<'_, PyAny>,
) -> PyResult<Py<PyDict>> {
    let py = study.py();
    let (snapshot, trial) = (Snapshot::of(study)?, frozen_from_py(trial)?);
    let space = in_study(py, &study.clone().unbind(), || {
        py.detach(|| sampler.infer_relative_search_space(&snapshot.view(), &trial))
    });
    space_to_py(py, &space)
}

/// A built-in sampler's `sample_relative`, called from Python: external
/// values by name.
pub(crate) fn builtin_sample_relative(
    sampler: &dyn Sampler,
    study: &Bound<'_, PyAny>,
    trial: &Bound<'_, PyAny>,
    search_space: &Bound<'_, PyAny>,
) -> PyResult<Py<PyDict>> {
    let py = study.py();
    let (snapshot, trial) = (Snapshot::of(study)?, frozen_from_py(trial)?);
    let space = space_from_py(search_space, "search_space")?;
    let sample = in_study(py, &study.clone().unbind(), || {
        py.detach(|| sampler.sample_relative(&snapshot.view(), &trial, &space))
    })
    .py_err()?;
    let dict = PyDict::new(py);
    for (name, internal) in sample {
        if let Some(distribution) = space.get(&name) {
            dict.set_item(&name, param_to_py(py, &distribution.to_external(internal))?)?;
        }
    }
    Ok(dict.unbind())
}

/// A built-in sampler's `sample_independent`, called from Python: the
/// external value.
pub(crate) fn builtin_sample_independent(
    sampler: &dyn Sampler,
    study: &Bound<'_, PyAny>,
    trial: &Bound<'_, PyAny>,
    param_name: &str,
    param_distribution: &Bound<'_, PyAny>,
) -> PyResult<Py<PyAny>> {
    let py = study.py();
    let (snapshot, trial) = (Snapshot::of(study)?, frozen_from_py(trial)?);
    let distribution = distribution_from_py(param_distribution, &format!("the distribution of '{param_name}'"))?;
    let internal = in_study(py, &study.clone().unbind(), || {
        py.detach(|| sampler.sample_independent(&snapshot.view(), &trial, param_name, &distribution))
    })
    .py_err()?;
    param_to_py(py, &distribution.to_external(internal))
}

/// The error of a method a Python subclass must implement.
pub(crate) fn not_implemented(object: &Bound<'_, PyAny>, base: &str, method: &str) -> PyErr {
    let class = object.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| base.to_owned());
    PyNotImplementedError::new_err(format!("{class} must implement {method} (an abstract method of {base})"))
}

// ------------------------------------------------------------ pruners

/// A Python subclass of `BasePruner` as an engine pruner.
pub(crate) struct UserPruner {
    object: Py<PyAny>,
    class: String,
}

impl UserPruner {
    pub(crate) fn new(object: &Bound<'_, PyAny>) -> PyResult<UserPruner> {
        Ok(UserPruner { object: object.clone().unbind(), class: object.get_type().name()?.to_string() })
    }
}

impl Pruner for UserPruner {
    fn prune(&self, _: &StudyView<'_>, trial: &FrozenTrial) -> ferrotune::Result<bool> {
        let what = format!("{}.prune", self.class);
        call_python(&what, |py| {
            let study = current_study(py)?;
            let decision = self.object.bind(py).call_method1("prune", (study, frozen_to_py(py, trial)?))?;
            // Truthiness, so numpy's bool_ works as in Optuna.
            decision.is_truthy()
        })
    }
}

/// A built-in pruner's `prune`, called from Python (a user's pruner
/// wrapping one).
pub(crate) fn builtin_prune(pruner: &dyn Pruner, study: &Bound<'_, PyAny>, trial: &Bound<'_, PyAny>) -> PyResult<bool> {
    let py = study.py();
    let (snapshot, trial) = (Snapshot::of(study)?, frozen_from_py(trial)?);
    in_study(py, &study.clone().unbind(), || py.detach(|| pruner.prune(&snapshot.view(), &trial))).py_err()
}

// ------------------------------------------------------------ PartialFixedSampler

/// The engine sampler behind `PartialFixedSampler`: fixed values for some
/// parameters, the base sampler for the rest.
struct PartialFixed {
    fixed: BTreeMap<String, ParamValue>,
    base: Arc<dyn Sampler>,
}

impl Sampler for PartialFixed {
    fn name(&self) -> &str {
        "partial_fixed"
    }

    fn check_directions(&self, directions: &[StudyDirection]) -> ferrotune::Result<()> {
        self.base.check_directions(directions)
    }

    fn infer_relative_search_space(&self, study: &StudyView<'_>, trial: &FrozenTrial) -> SearchSpace {
        let mut space = self.base.infer_relative_search_space(study, trial);
        space.retain(|name, _| !self.fixed.contains_key(name));
        space
    }

    fn sample_relative(
        &self,
        study: &StudyView<'_>,
        trial: &FrozenTrial,
        search_space: &SearchSpace,
    ) -> ferrotune::Result<BTreeMap<String, f64>> {
        self.base.sample_relative(study, trial, search_space)
    }

    fn relative_sample_attrs(
        &self,
        study: &StudyView<'_>,
        trial: &FrozenTrial,
        sample: &BTreeMap<String, f64>,
    ) -> ferrotune::Result<BTreeMap<String, ferrotune::AttrValue>> {
        self.base.relative_sample_attrs(study, trial, sample)
    }

    fn sample_independent(
        &self,
        study: &StudyView<'_>,
        trial: &FrozenTrial,
        name: &str,
        distribution: &Distribution,
    ) -> ferrotune::Result<f64> {
        let Some(value) = self.fixed.get(name) else {
            return self.base.sample_independent(study, trial, name, distribution);
        };
        if let Ok(internal) = distribution.to_internal(name, value) {
            return Ok(internal);
        }
        // Optuna warns and uses the value as given; the engine keeps every
        // value inside its distribution, so a number out of range becomes
        // the nearest admissible one, and the warning says which.
        let nearest = match distribution {
            Distribution::Float(d) => value.as_f64().filter(|v| !v.is_nan()).map(|v| {
                let clamped = v.clamp(d.low(), d.high());
                if d.step().is_some() {
                    d.round_to_grid(clamped)
                } else {
                    clamped
                }
            }),
            Distribution::Int(d) => value
                .as_f64()
                .filter(|v| !v.is_nan())
                .map(|v| d.nearest(v.clamp(d.low() as f64, d.high() as f64)) as f64),
            Distribution::Categorical(_) => None,
        };
        let Some(nearest) = nearest.filter(|v| distribution.contains(*v)) else {
            // Not a value of this distribution at all (a category that is
            // not a choice, a string for a number): Optuna raises too.
            return Err(Error::ValueOutsideDistribution {
                name: name.to_owned(),
                value: value.to_string(),
                distribution: distribution.to_string(),
            });
        };
        let message = format!(
            "Fixed parameter '{name}' with value {value} is out of range for distribution {distribution}; \
             the nearest value in range, {}, is used instead",
            distribution.to_external(nearest)
        );
        call_python("PartialFixedSampler", |py| {
            let message = CString::new(message).map_err(|e| PyValueError::new_err(e.to_string()))?;
            PyErr::warn(py, &py.get_type::<PyUserWarning>(), &message, 1)
        })?;
        Ok(nearest)
    }

    fn max_trials(&self) -> Option<u64> {
        self.base.max_trials()
    }
}

/// Fixes some parameters to given values and samples the rest with
/// `base_sampler` (a built-in sampler or a Python subclass of
/// `BaseSampler`). A fixed number outside the distribution the objective
/// asks for is replaced by the nearest value in range, with a warning
/// (Optuna warns and uses it as given: ferrotune keeps every value inside
/// its distribution).
#[pyclass(extends = PySampler, frozen, module = "ferrotune.samplers", name = "PartialFixedSampler")]
pub(crate) struct PyPartialFixedSampler {
    fixed_params: Py<PyDict>,
    base_sampler: Py<PyAny>,
}

#[pymethods]
impl PyPartialFixedSampler {
    #[new]
    fn new(fixed_params: &Bound<'_, PyDict>, base_sampler: &Bound<'_, PyAny>) -> PyResult<(Self, PySampler)> {
        let fixed = params_from_py(fixed_params, "PartialFixedSampler: fixed_params")?;
        if base_sampler.is_none() {
            return Err(PyTypeError::new_err("PartialFixedSampler: base_sampler must be a sampler, got None"));
        }
        let base = crate::samplers::resolve(Some(base_sampler))?;
        let inner: Arc<dyn Sampler> = Arc::new(PartialFixed { fixed, base });
        let recipe = PyDict::new(fixed_params.py());
        recipe.set_item("fixed_params", fixed_params.copy()?)?;
        recipe.set_item("base_sampler", base_sampler)?;
        let this = PyPartialFixedSampler {
            fixed_params: fixed_params.copy()?.unbind(),
            base_sampler: base_sampler.clone().unbind(),
        };
        Ok((this, PySampler::rebuildable(inner, recipe)))
    }

    /// The base sampler's `after_trial` (the engine calls its other hooks
    /// through this sampler).
    fn after_trial(
        &self,
        py: Python<'_>,
        study: &Bound<'_, PyAny>,
        trial: &Bound<'_, PyAny>,
        state: &Bound<'_, PyAny>,
        values: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        self.base_sampler.bind(py).call_method1("after_trial", (study, trial, state, values))?;
        Ok(())
    }

    /// The base sampler's `reseed_rng`.
    fn reseed_rng(&self, py: Python<'_>) -> PyResult<()> {
        self.base_sampler.bind(py).call_method0("reseed_rng")?;
        Ok(())
    }

    #[getter]
    fn _fixed_params(&self, py: Python<'_>) -> Py<PyDict> {
        self.fixed_params.clone_ref(py)
    }

    #[getter]
    fn _base_sampler(&self, py: Python<'_>) -> Py<PyAny> {
        self.base_sampler.clone_ref(py)
    }
}

// ------------------------------------------------------------ search space

/// The parameters every complete trial among `trials` has with the same
/// distribution (pruned ones too with `include_pruned`), sorted by name:
/// the engine's computation, which CMA-ES and NSGA-II sample.
#[pyfunction]
#[pyo3(signature = (trials, include_pruned = false))]
fn _intersection_search_space(py: Python<'_>, trials: &Bound<'_, PyAny>, include_pruned: bool) -> PyResult<Py<PyDict>> {
    let trials = trials
        .try_iter()
        .map_err(|_| PyTypeError::new_err("trials must be a list of FrozenTrial"))?
        .enumerate()
        .map(|(i, t)| {
            t?.extract::<PyRef<'_, PyFrozenTrial>>().map(|t| t.inner.clone()).map_err(|_| {
                PyTypeError::new_err(format!(
                    "trials[{i}] is not a ferrotune FrozenTrial (study.get_trials() gives them)"
                ))
            })
        })
        .collect::<PyResult<Vec<_>>>()?;
    let space = ferrotune::samplers::intersection_search_space(trials.iter().map(|t| &**t), include_pruned);
    space_to_py(py, &space)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPartialFixedSampler>()?;
    m.add_function(wrap_pyfunction!(_intersection_search_space, m)?)?;
    m.add_function(wrap_pyfunction!(_live_frozen_trial, m)?)?;
    Ok(())
}
