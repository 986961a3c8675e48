//! Pruners as Python classes with Optuna's names, options and defaults.
//!
//! Each constructor takes Optuna's positional arguments by name (in
//! Optuna's order) and Optuna's arguments the engine does not model
//! (`PatientPruner`'s `wrapped_pruner`), and every other keyword as
//! `**options`; all the options go through the pruner's description in the
//! engine (`crate::options`), which checks them and builds the pruner. So
//! an option added there is a keyword here without a change to this file.

use std::collections::BTreeMap;
use std::sync::Arc;

use ferrotune::core::Pruner;
use ferrotune::pruners::{MedianPruner, PRUNERS};
use ferrotune::Error;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::options::{describe, Face, KeywordInfo, Pinned, PyOptions};

/// Decides whether a running trial stops early: the built-in pruners are
/// its subclasses, and a Python subclass implementing
/// `prune(study, trial) -> bool` is a pruner of its own, as in Optuna. The
/// engine calls it from `trial.should_prune()` with the user's `Study` and
/// a `FrozenTrial` of the running trial, holding the GIL only during the
/// call; an exception it raises comes out of `should_prune`.
#[pyclass(subclass, frozen, module = "ferrotune.pruners", name = "BasePruner")]
pub(crate) struct PyPruner {
    /// The engine's pruner; None for a Python subclass, whose adapter is
    /// made when a study takes it.
    pub(crate) inner: Option<Arc<dyn Pruner>>,
    name: &'static str,
    /// The keyword arguments that make this pruner again, for pickle and
    /// `copy.deepcopy` (see `crate::pickling`); None for a Python subclass,
    /// pickled by its attributes.
    recipe: Option<Py<PyDict>>,
}

#[pymethods]
impl PyPruner {
    /// The base of a Python subclass; it takes (and leaves to the
    /// subclass's `__init__`) whatever arguments the subclass is given.
    #[new]
    #[pyo3(signature = (*args, **kwargs))]
    fn new(args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>) -> Self {
        let _ = (args, kwargs);
        PyPruner { inner: None, name: "BasePruner", recipe: None }
    }

    /// Pickle and `copy.deepcopy`: a built-in pruner is made again from its
    /// options, a Python subclass from its class and attributes.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let this = slf.get();
        crate::pickling::reduce(slf.as_any(), this.inner.is_some(), this.recipe.as_ref())
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        Ok(match &slf.get().inner {
            Some(_) => format!("<{}>", slf.get().name),
            None => format!("<{} (Python)>", slf.get_type().name()?),
        })
    }

    /// Whether `trial` (a FrozenTrial of a running trial of `study`) should
    /// stop now.
    fn prune(slf: &Bound<'_, Self>, study: &Bound<'_, PyAny>, trial: &Bound<'_, PyAny>) -> PyResult<bool> {
        match &slf.get().inner {
            Some(pruner) => crate::user::builtin_prune(&**pruner, study, trial),
            None => Err(crate::user::not_implemented(slf.as_any(), "BasePruner", "prune")),
        }
    }
}

/// The Python base of a pruner built through its description.
fn base(py: Python<'_>, options: &PyOptions<'_, dyn Pruner>, face: &Face) -> PyResult<PyPruner> {
    Ok(PyPruner { inner: Some(options.build()?), name: face.class, recipe: Some(options.recipe(py)?.unbind()) })
}

/// Every pruner's Python face, for `_pruner_options`.
static FACES: [&Face; 8] =
    [&NOP, &MEDIAN, &PERCENTILE, &SUCCESSIVE_HALVING, &HYPERBAND, &THRESHOLD, &PATIENT, &WILCOXON];

static NOP: Face = Face { class: "NopPruner", optuna_only: &[], renamed: &[], pinned: &[] };

/// Never prunes.
#[pyclass(extends = PyPruner, frozen, module = "ferrotune.pruners", name = "NopPruner")]
pub(crate) struct PyNopPruner;

#[pymethods]
impl PyNopPruner {
    #[new]
    #[pyo3(signature = (**options))]
    fn new(py: Python<'_>, options: Option<&Bound<'_, PyDict>>) -> PyResult<(Self, PyPruner)> {
        let options = PyOptions::new(&NOP, options)?;
        Ok((PyNopPruner, base(py, &options, &NOP)?))
    }
}

/// The defaults the percentile rules' signatures spelled out (Optuna's).
const PERCENTILE_PINNED: &[(&str, Pinned)] = &[
    ("n_startup_trials", Pinned::Count(5)),
    ("n_warmup_steps", Pinned::Count(0)),
    ("interval_steps", Pinned::Count(1)),
    ("n_min_trials", Pinned::Count(1)),
];

static MEDIAN: Face = Face { class: "MedianPruner", optuna_only: &[], renamed: &[], pinned: PERCENTILE_PINNED };

/// Prunes a trial whose best value so far is worse than the median of the
/// completed trials' values at the same step.
#[pyclass(extends = PyPruner, frozen, module = "ferrotune.pruners", name = "MedianPruner")]
pub(crate) struct PyMedianPruner;

#[pymethods]
impl PyMedianPruner {
    #[new]
    #[pyo3(signature = (n_startup_trials = None, n_warmup_steps = None, interval_steps = None, **options))]
    fn new(
        py: Python<'_>,
        n_startup_trials: Option<&Bound<'_, PyAny>>,
        n_warmup_steps: Option<&Bound<'_, PyAny>>,
        interval_steps: Option<&Bound<'_, PyAny>>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<(Self, PyPruner)> {
        let mut options = PyOptions::new(&MEDIAN, options)?;
        // Optuna's positional arguments, in its order.
        options.set("n_startup_trials", n_startup_trials);
        options.set("n_warmup_steps", n_warmup_steps);
        options.set("interval_steps", interval_steps);
        Ok((PyMedianPruner, base(py, &options, &MEDIAN)?))
    }
}

static PERCENTILE: Face = Face { class: "PercentilePruner", optuna_only: &[], renamed: &[], pinned: PERCENTILE_PINNED };

/// Prunes a trial whose best value so far is worse than the given
/// percentile (25: keep the best quarter) of the completed trials.
#[pyclass(extends = PyPruner, frozen, module = "ferrotune.pruners", name = "PercentilePruner")]
pub(crate) struct PyPercentilePruner;

#[pymethods]
impl PyPercentilePruner {
    #[new]
    #[pyo3(signature = (percentile, n_startup_trials = None, n_warmup_steps = None, interval_steps = None, **options))]
    fn new(
        py: Python<'_>,
        percentile: &Bound<'_, PyAny>,
        n_startup_trials: Option<&Bound<'_, PyAny>>,
        n_warmup_steps: Option<&Bound<'_, PyAny>>,
        interval_steps: Option<&Bound<'_, PyAny>>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<(Self, PyPruner)> {
        let mut options = PyOptions::new(&PERCENTILE, options)?;
        options.set("percentile", Some(percentile));
        options.set("n_startup_trials", n_startup_trials);
        options.set("n_warmup_steps", n_warmup_steps);
        options.set("interval_steps", interval_steps);
        Ok((PyPercentilePruner, base(py, &options, &PERCENTILE)?))
    }
}

/// `min_resource` is not pinned: `None` is the description's `"auto"`.
static SUCCESSIVE_HALVING: Face = Face {
    class: "SuccessiveHalvingPruner",
    optuna_only: &[],
    renamed: &[],
    pinned: &[
        ("reduction_factor", Pinned::Count(4)),
        ("min_early_stopping_rate", Pinned::Count(0)),
        ("bootstrap_count", Pinned::Count(0)),
    ],
};

/// Asynchronous successive halving (ASHA): at each rung, only the top
/// `1 / reduction_factor` of the trials that reached it go on.
#[pyclass(extends = PyPruner, frozen, module = "ferrotune.pruners", name = "SuccessiveHalvingPruner")]
pub(crate) struct PySuccessiveHalvingPruner;

#[pymethods]
impl PySuccessiveHalvingPruner {
    #[new]
    #[pyo3(signature = (
        min_resource = None,
        reduction_factor = None,
        min_early_stopping_rate = None,
        bootstrap_count = None,
        **options,
    ))]
    fn new(
        py: Python<'_>,
        min_resource: Option<&Bound<'_, PyAny>>,
        reduction_factor: Option<&Bound<'_, PyAny>>,
        min_early_stopping_rate: Option<&Bound<'_, PyAny>>,
        bootstrap_count: Option<&Bound<'_, PyAny>>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<(Self, PyPruner)> {
        let mut options = PyOptions::new(&SUCCESSIVE_HALVING, options)?;
        options.set("min_resource", min_resource);
        options.set("reduction_factor", reduction_factor);
        options.set("min_early_stopping_rate", min_early_stopping_rate);
        options.set("bootstrap_count", bootstrap_count);
        Ok((PySuccessiveHalvingPruner, base(py, &options, &SUCCESSIVE_HALVING)?))
    }
}

/// `max_resource` is not pinned: `None` is the description's `"auto"`.
static HYPERBAND: Face = Face {
    class: "HyperbandPruner",
    optuna_only: &[],
    renamed: &[],
    pinned: &[
        ("min_resource", Pinned::Count(1)),
        ("reduction_factor", Pinned::Count(3)),
        ("bootstrap_count", Pinned::Count(0)),
    ],
};

/// Hyperband: several successive-halving brackets with different budgets;
/// samplers learn only from the trials of their own bracket.
#[pyclass(extends = PyPruner, frozen, module = "ferrotune.pruners", name = "HyperbandPruner")]
pub(crate) struct PyHyperbandPruner;

#[pymethods]
impl PyHyperbandPruner {
    #[new]
    #[pyo3(signature = (
        min_resource = None,
        max_resource = None,
        reduction_factor = None,
        bootstrap_count = None,
        **options,
    ))]
    fn new(
        py: Python<'_>,
        min_resource: Option<&Bound<'_, PyAny>>,
        max_resource: Option<&Bound<'_, PyAny>>,
        reduction_factor: Option<&Bound<'_, PyAny>>,
        bootstrap_count: Option<&Bound<'_, PyAny>>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<(Self, PyPruner)> {
        let mut options = PyOptions::new(&HYPERBAND, options)?;
        options.set("min_resource", min_resource);
        options.set("max_resource", max_resource);
        options.set("reduction_factor", reduction_factor);
        options.set("bootstrap_count", bootstrap_count);
        Ok((PyHyperbandPruner, base(py, &options, &HYPERBAND)?))
    }
}

static THRESHOLD: Face = Face {
    class: "ThresholdPruner",
    optuna_only: &[],
    renamed: &[],
    pinned: &[("n_warmup_steps", Pinned::Count(0)), ("interval_steps", Pinned::Count(1))],
};

/// Prunes a trial whose latest value leaves `[lower, upper]` or is NaN.
#[pyclass(extends = PyPruner, frozen, module = "ferrotune.pruners", name = "ThresholdPruner")]
pub(crate) struct PyThresholdPruner;

#[pymethods]
impl PyThresholdPruner {
    #[new]
    #[pyo3(signature = (lower = None, upper = None, n_warmup_steps = None, interval_steps = None, **options))]
    fn new(
        py: Python<'_>,
        lower: Option<&Bound<'_, PyAny>>,
        upper: Option<&Bound<'_, PyAny>>,
        n_warmup_steps: Option<&Bound<'_, PyAny>>,
        interval_steps: Option<&Bound<'_, PyAny>>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<(Self, PyPruner)> {
        let mut options = PyOptions::new(&THRESHOLD, options)?;
        options.set("lower", lower);
        options.set("upper", upper);
        options.set("n_warmup_steps", n_warmup_steps);
        options.set("interval_steps", interval_steps);
        Ok((PyThresholdPruner, base(py, &options, &THRESHOLD)?))
    }
}

/// `patience` is required, as in Optuna, so it has no pinned default.
static PATIENT: Face = Face {
    class: "PatientPruner",
    optuna_only: &["wrapped_pruner"],
    renamed: &[],
    pinned: &[("min_delta", Pinned::Number(0.0))],
};

/// Waits `patience` steps without improvement before asking the wrapped
/// pruner (or pruning, when `wrapped_pruner` is None).
#[pyclass(extends = PyPruner, frozen, module = "ferrotune.pruners", name = "PatientPruner")]
pub(crate) struct PyPatientPruner;

#[pymethods]
impl PyPatientPruner {
    #[new]
    #[pyo3(signature = (wrapped_pruner, patience, min_delta = None, **options))]
    fn new(
        py: Python<'_>,
        wrapped_pruner: Option<&Bound<'_, PyAny>>,
        patience: &Bound<'_, PyAny>,
        min_delta: Option<&Bound<'_, PyAny>>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<(Self, PyPruner)> {
        let mut options = PyOptions::new(&PATIENT, options)?;
        if patience.is_none() {
            // The description's default is the CLI's; Optuna has none.
            return Err(options.error(Error::InvalidOption {
                option: "patience".into(),
                message: "is required (the number of reports without improvement to wait for)".into(),
            }));
        }
        options.set("patience", Some(patience));
        options.set("min_delta", min_delta);
        // The description checks every option (and builds the pruner when
        // there is nothing to wrap).
        let unwrapped = options.build()?;
        let inner = match wrapped_pruner.filter(|obj| !obj.is_none()) {
            Some(obj) => patient_wrapping(&options, resolve(Some(obj))?)?,
            None => unwrapped,
        };
        let recipe = options.recipe(py)?;
        recipe.set_item("wrapped_pruner", wrapped_pruner)?;
        Ok((PyPatientPruner, PyPruner { inner: Some(inner), name: PATIENT.class, recipe: Some(recipe.unbind()) }))
    }
}

/// A patient pruner around another. Option values cannot carry a pruner,
/// so the description builds the builder from the options (every option,
/// new ones included) and the wrapped pruner is added to it here.
fn patient_wrapping(options: &PyOptions<'_, dyn Pruner>, wrapped: Arc<dyn Pruner>) -> PyResult<Arc<dyn Pruner>> {
    let o = options.checked()?;
    let built = ferrotune::pruners::patient_builder(&o).and_then(|b| b.wrapped_pruner_arc(wrapped).build());
    Ok(Arc::new(built.map_err(|e| options.error(e))?))
}

/// Python keeps Optuna's `n_startup_steps` default (2); the engine's and
/// the CLI's is 0, as the description's default says.
static WILCOXON: Face = Face {
    class: "WilcoxonPruner",
    optuna_only: &[],
    renamed: &[],
    pinned: &[("p_threshold", Pinned::Number(0.1)), ("n_startup_steps", Pinned::Count(2))],
};

/// A one-sided Wilcoxon signed-rank test against the best trial, step by
/// step, for objectives evaluated over instances or folds.
#[pyclass(extends = PyPruner, frozen, module = "ferrotune.pruners", name = "WilcoxonPruner")]
pub(crate) struct PyWilcoxonPruner;

#[pymethods]
impl PyWilcoxonPruner {
    #[new]
    #[pyo3(signature = (**options))]
    fn new(py: Python<'_>, options: Option<&Bound<'_, PyDict>>) -> PyResult<(Self, PyPruner)> {
        let options = PyOptions::new(&WILCOXON, options)?;
        Ok((PyWilcoxonPruner, base(py, &options, &WILCOXON)?))
    }
}

/// Every pruner's options as its constructor takes them (for the stub
/// check in `tests/test_pruner_options.py`): class -> [(keyword,
/// annotation, the description's default for Python as Python source, the
/// default the constructor pins if any, help)].
#[pyfunction]
fn _pruner_options() -> PyResult<BTreeMap<&'static str, Vec<KeywordInfo>>> {
    describe(&FACES)
}

/// The engine pruner for what the user passed (`None`: the median rule, as
/// Optuna's `create_study` does).
pub(crate) fn resolve(pruner: Option<&Bound<'_, PyAny>>) -> PyResult<Arc<dyn Pruner>> {
    match pruner {
        Some(obj) if !obj.is_none() => match obj.cast::<PyPruner>() {
            Ok(p) => match &p.get().inner {
                Some(inner) => Ok(inner.clone()),
                None => Ok(Arc::new(crate::user::UserPruner::new(obj)?)),
            },
            Err(_) => Err(PyTypeError::new_err(format!(
                "pruner must be one of ferrotune.pruners ({}) or a subclass of BasePruner, got {}",
                PRUNERS.iter().map(|s| s.python).collect::<Vec<_>>().join(", "),
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
    m.add_function(wrap_pyfunction!(_pruner_options, m)?)?;
    Ok(())
}
