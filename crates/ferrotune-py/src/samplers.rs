//! Samplers as Python classes with Optuna's names and options.
//!
//! Each constructor takes Optuna's arguments that the engine does not model
//! by name and handles them here; every other keyword goes through the
//! sampler's option description in the engine (`crate::options`), so an
//! option added there is a keyword here without a change to this file.

use std::collections::BTreeMap;
use std::sync::Arc;

use ferrotune::core::options::OptionValue;
use ferrotune::core::{FrozenTrial, Sampler};
use ferrotune::samplers::{TpeSampler, SAMPLERS};
use ferrotune::{Error, ParamValue};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::convert::param_from_py;
use crate::errors::IntoPyResult;
use crate::options::{describe, Face, KeywordInfo, Pinned, PyOptions};

/// Proposes parameter values: the built-in samplers are its subclasses,
/// and a Python subclass is a sampler of its own, as in Optuna. A subclass
/// implements `infer_relative_search_space(study, trial)`,
/// `sample_relative(study, trial, search_space)` and
/// `sample_independent(study, trial, param_name, param_distribution)`, and
/// may override `before_trial`, `after_trial` and `reseed_rng`. The engine
/// calls them with the user's `Study`, `FrozenTrial`s and
/// `ferrotune.distributions` objects, holding the GIL only during each
/// call; values are returned as the objective sees them (not Optuna's
/// internal representation of categorical choices: their value).
/// Differences from Optuna: a missing abstract method is reported when the
/// engine first calls it (NotImplementedError), not when the subclass is
/// instantiated; the relative search space is asked for when the trial
/// starts (in `ask`, right after `before_trial`), not at its first
/// suggestion.
#[pyclass(subclass, frozen, module = "ferrotune.samplers", name = "BaseSampler")]
pub(crate) struct PySampler {
    /// The engine's sampler; None for a Python subclass, whose adapter is
    /// made when a study takes it (it holds the Python object, which this
    /// object cannot hold without a reference cycle).
    pub(crate) inner: Option<Arc<dyn Sampler>>,
    /// The keyword arguments that make this sampler again, for pickle and
    /// `copy.deepcopy` (see `crate::pickling`); None for a Python subclass
    /// (pickled by its attributes) and for a built-in sampler that plain
    /// values cannot make again.
    recipe: Option<Py<PyDict>>,
}

impl PySampler {
    /// The base of a built-in sampler, which `recipe` (its class's
    /// keyword arguments) makes again.
    pub(crate) fn rebuildable(inner: Arc<dyn Sampler>, recipe: Bound<'_, PyDict>) -> PySampler {
        PySampler { inner: Some(inner), recipe: Some(recipe.unbind()) }
    }

    /// The engine sampler, or the error of an abstract method `method` a
    /// Python subclass did not implement.
    fn engine(slf: &Bound<'_, Self>, method: &str) -> PyResult<Arc<dyn Sampler>> {
        slf.get().inner.clone().ok_or_else(|| crate::user::not_implemented(slf.as_any(), "BaseSampler", method))
    }
}

#[pymethods]
impl PySampler {
    /// The base of a Python subclass; it takes (and leaves to the
    /// subclass's `__init__`) whatever arguments the subclass is given.
    #[new]
    #[pyo3(signature = (*args, **kwargs))]
    fn new(args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>) -> Self {
        let _ = (args, kwargs);
        PySampler { inner: None, recipe: None }
    }

    /// Pickle and `copy.deepcopy`: a built-in sampler is made again from
    /// its options (an unseeded one draws a new seed), a Python subclass
    /// from its class and attributes.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let this = slf.get();
        crate::pickling::reduce(slf.as_any(), this.inner.is_some(), this.recipe.as_ref())
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        Ok(match &slf.get().inner {
            Some(inner) => format!("<{} sampler>", inner.name()),
            None => format!("<{} sampler (Python)>", slf.get_type().name()?),
        })
    }

    /// The parameters to sample jointly for `trial` (a dict of names to
    /// distributions).
    fn infer_relative_search_space(
        slf: &Bound<'_, Self>,
        study: &Bound<'_, PyAny>,
        trial: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyDict>> {
        let sampler = Self::engine(slf, "infer_relative_search_space")?;
        crate::user::builtin_infer(&*sampler, study, trial)
    }

    /// Values, by name, for (a subset of) `search_space`.
    fn sample_relative(
        slf: &Bound<'_, Self>,
        study: &Bound<'_, PyAny>,
        trial: &Bound<'_, PyAny>,
        search_space: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyDict>> {
        let sampler = Self::engine(slf, "sample_relative")?;
        crate::user::builtin_sample_relative(&*sampler, study, trial, search_space)
    }

    /// A value for `param_name` from `param_distribution`.
    fn sample_independent(
        slf: &Bound<'_, Self>,
        study: &Bound<'_, PyAny>,
        trial: &Bound<'_, PyAny>,
        param_name: &str,
        param_distribution: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        let sampler = Self::engine(slf, "sample_independent")?;
        crate::user::builtin_sample_independent(&*sampler, study, trial, param_name, param_distribution)
    }

    /// Called when a trial starts, before its relative sample. Does nothing
    /// unless overridden.
    fn before_trial(&self, study: &Bound<'_, PyAny>, trial: &Bound<'_, PyAny>) {
        let _ = (study, trial);
    }

    /// Called when a trial is told, before it is stored as finished, with
    /// its final state and values (None unless complete). Does nothing
    /// unless overridden.
    fn after_trial(
        &self,
        study: &Bound<'_, PyAny>,
        trial: &Bound<'_, PyAny>,
        state: &Bound<'_, PyAny>,
        values: &Bound<'_, PyAny>,
    ) {
        let _ = (study, trial, state, values);
    }

    /// Called by each worker thread of `optimize(n_jobs > 1)` so that a
    /// sampler with a random generator of its own can give each worker a
    /// fresh one. Built-in samplers derive their randomness from the seed
    /// and the trial number, so it does nothing for them.
    fn reseed_rng(&self) {}
}

/// Every sampler's Python face, for `_sampler_options`.
static FACES: [&Face; 9] = [&RANDOM, &GRID, &BRUTE_FORCE, &TPE, &QMC, &CMAES, &GP, &NSGA2, &NSGA3];

static RANDOM: Face = Face { class: "RandomSampler", optuna_only: &[], renamed: &[], pinned: &[] };

/// Independent uniform sampling (log-uniform on log scales): the baseline.
/// A seed makes a sequential study repeat exactly.
#[pyclass(extends = PySampler, frozen, module = "ferrotune.samplers", name = "RandomSampler")]
pub(crate) struct PyRandomSampler;

#[pymethods]
impl PyRandomSampler {
    #[new]
    #[pyo3(signature = (seed = None, **options))]
    fn new(
        py: Python<'_>,
        seed: Option<&Bound<'_, PyAny>>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<(Self, PySampler)> {
        let mut options = PyOptions::new(&RANDOM, options)?;
        options.set("seed", seed);
        Ok((PyRandomSampler, PySampler::rebuildable(options.build()?, options.recipe(py)?)))
    }
}

/// Optuna passes the grid positionally as `search_space`; the description
/// calls it `values`.
static GRID: Face =
    Face { class: "GridSampler", optuna_only: &[], renamed: &[("values", "search_space")], pinned: &[] };

/// Every combination of the listed values, each exactly once (even across
/// processes sharing a storage), in a seeded random order; `optimize`
/// stops when the grid is exhausted.
#[pyclass(extends = PySampler, frozen, module = "ferrotune.samplers", name = "GridSampler")]
pub(crate) struct PyGridSampler;

#[pymethods]
impl PyGridSampler {
    #[new]
    #[pyo3(signature = (search_space, seed = None, **options))]
    fn new(
        py: Python<'_>,
        search_space: &Bound<'_, PyDict>,
        seed: Option<&Bound<'_, PyAny>>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<(Self, PySampler)> {
        let mut options = PyOptions::new(&GRID, options)?;
        options.set("seed", seed);
        let mut grid = BTreeMap::new();
        for (k, values) in search_space.iter() {
            let name: String =
                k.extract().map_err(|_| PyTypeError::new_err("GridSampler: parameter names must be strings"))?;
            let values = values
                .try_iter()
                .map_err(|_| PyTypeError::new_err(format!("GridSampler: the values of '{name}' must be a sequence")))?
                .enumerate()
                .map(|(i, v)| param_from_py(&v?, &format!("GridSampler: value {i} of '{name}'")))
                .collect::<PyResult<Vec<_>>>()?;
            grid.insert(name, values);
        }
        let listed: BTreeMap<String, OptionValue> = grid
            .iter()
            .map(|(name, values)| (name.clone(), OptionValue::List(values.iter().map(option_of_param).collect())))
            .collect();
        options.set_value("values", OptionValue::Map(listed));
        Ok((PyGridSampler, PySampler::rebuildable(options.build()?, options.recipe(py)?)))
    }

    /// Whether every grid point has a finished trial in `study` (complete,
    /// pruned or failed), as Optuna's `GridSampler.is_exhausted`.
    fn is_exhausted(slf: PyRef<'_, Self>, py: Python<'_>, study: PyRef<'_, crate::study::PyStudy>) -> PyResult<bool> {
        let sampler = slf.as_super().inner.clone().ok_or_else(|| PyTypeError::new_err("GridSampler has no engine"))?;
        let study = study.engine().clone();
        py.detach(move || {
            let trials = study.trials()?;
            let view = ferrotune::core::StudyView {
                study_name: study.name(),
                directions: study.directions(),
                trials: &trials,
            };
            sampler.is_exhausted(&view)
        })
        .py_err()
    }
}

static BRUTE_FORCE: Face = Face { class: "BruteForceSampler", optuna_only: &[], renamed: &[], pinned: &[] };

/// Every combination of a discrete search space (ints, categoricals,
/// floats with a step), conditional parameters included, each once;
/// `optimize` stops when all have been tried (Optuna's
/// `BruteForceSampler`).
#[pyclass(extends = PySampler, frozen, module = "ferrotune.samplers", name = "BruteForceSampler")]
pub(crate) struct PyBruteForceSampler;

#[pymethods]
impl PyBruteForceSampler {
    #[new]
    #[pyo3(signature = (seed = None, avoid_premature_stop = None, **options))]
    fn new(
        py: Python<'_>,
        seed: Option<&Bound<'_, PyAny>>,
        avoid_premature_stop: Option<&Bound<'_, PyAny>>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<(Self, PySampler)> {
        let mut options = PyOptions::new(&BRUTE_FORCE, options)?;
        options.set("seed", seed);
        options.set("avoid_premature_stop", avoid_premature_stop);
        Ok((PyBruteForceSampler, PySampler::rebuildable(options.build()?, options.recipe(py)?)))
    }
}

/// A grid value as an option value.
fn option_of_param(value: &ParamValue) -> OptionValue {
    match value {
        ParamValue::Null => OptionValue::Null,
        ParamValue::Bool(b) => OptionValue::Bool(*b),
        ParamValue::Int(i) => OptionValue::Int(*i),
        ParamValue::Float(x) => OptionValue::Float(*x),
        ParamValue::Str(s) => OptionValue::Str(s.clone()),
    }
}

static TPE: Face = Face {
    class: "TPESampler",
    optuna_only: &["consider_prior", "weights", "warn_independent_sampling", "constraints_func"],
    renamed: &[],
    // Nothing pinned: every default is the description's already, and a
    // pinned value would count as given and override a preset
    // (hyperopt_defaults sets 20 startup trials).
    pinned: &[],
};

/// The Tree-structured Parzen Estimator, with Optuna 5's options and
/// defaults (multivariate for one objective, constant liar on) but for one
/// objective's good set (the best 15%) and weights (by improvement), and
/// several objectives' weights (by hypervolume contribution), which
/// measured better; `optuna_defaults=True` restores Optuna's.
#[pyclass(extends = PySampler, frozen, module = "ferrotune.samplers", name = "TPESampler")]
pub(crate) struct PyTpeSampler {
    constraints_func: Option<Py<PyAny>>,
}

#[pymethods]
impl PyTpeSampler {
    #[new]
    #[pyo3(signature = (
        *,
        consider_prior = None,
        weights = None,
        warn_independent_sampling = None,
        constraints_func = None,
        **options,
    ))]
    fn new(
        py: Python<'_>,
        consider_prior: Option<bool>,
        weights: Option<&Bound<'_, PyAny>>,
        warn_independent_sampling: Option<bool>,
        constraints_func: Option<&Bound<'_, PyAny>>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<(Self, PySampler)> {
        let _ = warn_independent_sampling;
        let mut options = PyOptions::new(&TPE, options)?;
        if consider_prior == Some(false) {
            return Err(PyValueError::new_err(
                "consider_prior=False is not supported: the prior kernel is always used (as in Optuna 5)",
            ));
        }
        // A number for gamma is the good fraction (linear gamma); functions
        // stay in Python's reach only through Optuna.
        if let Some(gamma) = options.take("gamma") {
            if gamma.extract::<f64>().is_err() {
                return Err(PyTypeError::new_err(
                    "gamma must be a number, the fraction of trials that count as good (e.g. 0.15); a custom gamma function is not supported (Optuna deprecated it in 4.9)",
                ));
            }
            options.set("gamma", Some(&gamma));
        }
        if weights.is_some_and(|w| !w.is_none()) {
            return Err(PyTypeError::new_err(
                "a custom weights function is not supported (Optuna deprecated it in 4.9); choose weighting=\"recency\" (Optuna's) or \"expected_improvement\"",
            ));
        }
        let constraints_func = checked_constraints_func(constraints_func)?;
        if constraints_func.is_some() {
            // Optuna 5 deprecated it (for removal in 7) and says so with a
            // FutureWarning; it still works, as in Optuna.
            let message = c"TPESampler(constraints_func=...) is deprecated (as in Optuna 5.0, to be removed in \
                            Optuna 7.0): record constraints with trial.set_constraint(name, value) in the objective";
            PyErr::warn(py, &py.get_type::<pyo3::exceptions::PyFutureWarning>(), message, 1)?;
        }
        let sampler = options.build()?;
        let recipe = with_constraints_func(options.recipe(py)?, constraints_func.as_ref())?;
        Ok((PyTpeSampler { constraints_func }, PySampler::rebuildable(sampler, recipe)))
    }

    /// The `constraints_func` given, which `Study.tell` evaluates on each
    /// trial told complete and records with `trial.set_constraint`.
    #[getter]
    fn _constraints_func(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.constraints_func.as_ref().map(|f| f.clone_ref(py))
    }
}

/// Optuna's `constraints_func` argument: None, or a callable kept for
/// `Study.tell`, which evaluates it on each trial told complete.
fn checked_constraints_func(constraints_func: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Py<PyAny>>> {
    match constraints_func {
        Some(f) if !f.is_none() => {
            if !f.is_callable() {
                return Err(PyTypeError::new_err("constraints_func must be callable: trial -> sequence of floats"));
            }
            Ok(Some(f.clone().unbind()))
        }
        _ => Ok(None),
    }
}

/// A sampler's recipe with its `constraints_func`, if any.
fn with_constraints_func<'py>(
    recipe: Bound<'py, PyDict>,
    constraints_func: Option<&Py<PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    if let Some(f) = constraints_func {
        recipe.set_item("constraints_func", f.bind(recipe.py()))?;
    }
    Ok(recipe)
}

static QMC: Face = Face {
    class: "QMCSampler",
    optuna_only: &["independent_sampler", "warn_asynchronous_seeding", "warn_independent_sampling"],
    renamed: &[],
    pinned: &[("qmc_type", Pinned::Word("sobol")), ("scramble", Pinned::Flag(true))],
};

/// Quasi-Monte Carlo points (scrambled Sobol or Halton) that cover the
/// space evenly: trial n takes point n, each parameter the next axis in
/// the order the objective suggests them, so every parameter is sampled
/// from the sequence from the first trial on (no independent sampler).
#[pyclass(extends = PySampler, frozen, module = "ferrotune.samplers", name = "QMCSampler")]
pub(crate) struct PyQmcSampler;

#[pymethods]
impl PyQmcSampler {
    #[new]
    #[pyo3(signature = (
        *,
        independent_sampler = None,
        warn_asynchronous_seeding = true,
        warn_independent_sampling = true,
        **options,
    ))]
    fn new(
        py: Python<'_>,
        independent_sampler: Option<&Bound<'_, PyAny>>,
        warn_asynchronous_seeding: bool,
        warn_independent_sampling: bool,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<(Self, PySampler)> {
        // Neither warning applies: points are a pure function of the seed and
        // trial number, and no parameter is sampled independently.
        let _ = (warn_asynchronous_seeding, warn_independent_sampling);
        let options = PyOptions::new(&QMC, options)?;
        if independent_sampler.is_some_and(|s| !s.is_none()) {
            return Err(PyValueError::new_err(
                "independent_sampler is not used: every parameter, conditional ones included, takes an axis of the QMC sequence",
            ));
        }
        Ok((PyQmcSampler, PySampler::rebuildable(options.build()?, options.recipe(py)?)))
    }
}

static CMAES: Face = Face {
    class: "CmaEsSampler",
    optuna_only: &["independent_sampler", "warn_independent_sampling", "lr_adapt", "source_trials"],
    renamed: &[],
    pinned: &[
        ("n_startup_trials", Pinned::Count(1)),
        ("consider_pruned_trials", Pinned::Flag(false)),
        ("restart_strategy", Pinned::Word("none")),
        ("inc_popsize", Pinned::Count(2)),
        ("use_separable_cma", Pinned::Flag(false)),
        ("with_margin", Pinned::Flag(false)),
    ],
};

/// CMA-ES with Optuna's options: restarts (`restart_strategy="ipop"` or
/// `"bipop"`), separable covariance, the margin for integers, and a warm
/// start from another study's trials. Categorical and conditional
/// parameters are sampled independently at random.
#[pyclass(extends = PySampler, frozen, module = "ferrotune.samplers", name = "CmaEsSampler")]
pub(crate) struct PyCmaEsSampler;

#[pymethods]
impl PyCmaEsSampler {
    #[new]
    #[pyo3(signature = (
        x0 = None,
        sigma0 = None,
        n_startup_trials = None,
        independent_sampler = None,
        warn_independent_sampling = true,
        seed = None,
        *,
        lr_adapt = false,
        source_trials = None,
        **options,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        x0: Option<&Bound<'_, PyAny>>,
        sigma0: Option<&Bound<'_, PyAny>>,
        n_startup_trials: Option<&Bound<'_, PyAny>>,
        independent_sampler: Option<&Bound<'_, PyAny>>,
        warn_independent_sampling: bool,
        seed: Option<&Bound<'_, PyAny>>,
        lr_adapt: bool,
        source_trials: Option<Vec<PyRef<'_, crate::trial::PyFrozenTrial>>>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<(Self, PySampler)> {
        let _ = warn_independent_sampling;
        let mut options = PyOptions::new(&CMAES, options)?;
        // Optuna's positional arguments, in its order.
        options.set("x0", x0);
        options.set("sigma0", sigma0);
        options.set("n_startup_trials", n_startup_trials);
        options.set("seed", seed);
        if independent_sampler.is_some_and(|s| !s.is_none()) {
            return Err(PyValueError::new_err(
                "independent_sampler is not supported: parameters outside the joint space are sampled at random",
            ));
        }
        if lr_adapt {
            return Err(PyValueError::new_err("lr_adapt=True is not supported"));
        }
        // Optuna's -1 means "the default".
        if let Some(inc_popsize) = options.take("inc_popsize") {
            match inc_popsize.extract::<i64>() {
                Ok(-1) => {}
                Ok(n) if n < 0 => {
                    return Err(PyValueError::new_err("inc_popsize must be at least 1 (or -1 for the default)"))
                }
                _ => options.set("inc_popsize", Some(&inc_popsize)),
            }
        }
        let recipe = options.recipe(py)?;
        let sampler = match source_trials {
            Some(trials) if !trials.is_empty() => {
                let trials: Vec<Arc<FrozenTrial>> = trials.iter().map(|t| t.current()).collect();
                let objects = trials
                    .iter()
                    .map(|t| Py::new(py, crate::trial::PyFrozenTrial::from_arc(t.clone())))
                    .collect::<PyResult<Vec<_>>>()?;
                recipe.set_item("source_trials", objects)?;
                cmaes_with_source_trials(&options, trials)?
            }
            _ => options.build()?,
        };
        Ok((PyCmaEsSampler, PySampler::rebuildable(sampler, recipe)))
    }
}

/// CMA-ES warm-started from another study's trials. Option values cannot
/// carry trials, so the description builds the builder from the options
/// (every option, new ones included) and the trials are added to it here.
fn cmaes_with_source_trials(options: &PyOptions<'_>, trials: Vec<Arc<FrozenTrial>>) -> PyResult<Arc<dyn Sampler>> {
    let o = options.checked()?;
    if o.has("x0") {
        return Err(options.error(Error::InvalidArgument(
            "x0 and source_trials both set the initial distribution; give one of them".into(),
        )));
    }
    let built = ferrotune::samplers::cmaes_builder(&o).and_then(|b| b.source_trials(trials).build());
    Ok(Arc::new(built.map_err(|e| options.error(e))?))
}

/// `output_transform` is not pinned: `robust_output`, its shorthand, would
/// then be overridden. The engine's default is "robust", as the signature's
/// was.
static GP: Face = Face {
    class: "GPSampler",
    optuna_only: &["independent_sampler", "constraints_func", "warn_independent_sampling"],
    renamed: &[],
    // n_startup_trials is not pinned to Optuna's 10: the engine's 5 is a
    // deliberate difference (see GpSampler), the same on every face.
    pinned: &[("deterministic_objective", Pinned::Flag(false)), ("startup", Pinned::Word("sobol"))],
};

/// Gaussian-process Bayesian optimization with Optuna's options: a Matérn
/// 5/2 GP with MAP hyperparameters, log expected improvement, running
/// trials as pending points, and constraints from `trial.set_constraint`.
/// `startup` picks where the first `n_startup_trials` come from (Sobol
/// points by default; "random" as in Optuna).
#[pyclass(extends = PySampler, frozen, module = "ferrotune.samplers", name = "GPSampler")]
pub(crate) struct PyGpSampler {
    constraints_func: Option<Py<PyAny>>,
}

#[pymethods]
impl PyGpSampler {
    #[new]
    #[pyo3(signature = (
        *,
        independent_sampler = None,
        constraints_func = None,
        warn_independent_sampling = true,
        **options,
    ))]
    fn new(
        py: Python<'_>,
        independent_sampler: Option<&Bound<'_, PyAny>>,
        constraints_func: Option<&Bound<'_, PyAny>>,
        warn_independent_sampling: bool,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<(Self, PySampler)> {
        let _ = warn_independent_sampling;
        let options = PyOptions::new(&GP, options)?;
        if independent_sampler.is_some_and(|s| !s.is_none()) {
            return Err(PyValueError::new_err(
                "independent_sampler is not supported: use startup='random', 'sobol' or 'halton'",
            ));
        }
        let constraints_func = checked_constraints_func(constraints_func)?;
        let sampler = options.build()?;
        let recipe = with_constraints_func(options.recipe(py)?, constraints_func.as_ref())?;
        Ok((PyGpSampler { constraints_func }, PySampler::rebuildable(sampler, recipe)))
    }

    /// The `constraints_func` given, which `Study.tell` evaluates on each
    /// trial told complete and records with `trial.set_constraint`.
    #[getter]
    fn _constraints_func(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.constraints_func.as_ref().map(|f| f.clone_ref(py))
    }
}

/// Optuna's arguments of both genetic samplers that the engine's
/// description does not model: `constraints_func` is kept and evaluated by
/// `Study.tell`; the strategies are refused.
const GENETIC_OPTUNA_ONLY: &[&str] =
    &["constraints_func", "elite_population_selection_strategy", "child_generation_strategy", "after_trial_strategy"];

static NSGA2: Face = Face { class: "NSGAIISampler", optuna_only: GENETIC_OPTUNA_ONLY, renamed: &[], pinned: &[] };

static NSGA3: Face = Face { class: "NSGAIIISampler", optuna_only: GENETIC_OPTUNA_ONLY, renamed: &[], pinned: &[] };

/// What NSGA-II's and NSGA-III's constructors share: Optuna's strategies
/// refused, `crossover` as a name or an operator object, `constraints_func`
/// checked and kept. Returns the kept function and the engine sampler.
fn genetic(
    py: Python<'_>,
    face: &'static Face,
    algorithm: &str,
    constraints_func: Option<&Bound<'_, PyAny>>,
    strategies: [(&str, Option<&Bound<'_, PyAny>>); 3],
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<(Option<Py<PyAny>>, PySampler)> {
    let mut options = PyOptions::new(face, options)?;
    for (name, given) in strategies {
        if given.is_some_and(|g| !g.is_none()) {
            return Err(PyValueError::new_err(format!(
                "{name} is not supported: {algorithm}'s steps are the engine's (choose crossover, mutation and their \
                 probabilities instead)"
            )));
        }
    }
    if let Some(crossover) = options.take("crossover") {
        set_crossover(&mut options, &crossover)?;
    }
    if let Some(mutation) = options.take("mutation") {
        set_mutation(&mut options, &mutation)?;
    }
    let constraints_func = checked_constraints_func(constraints_func)?;
    let sampler = options.build()?;
    let recipe = with_constraints_func(options.recipe(py)?, constraints_func.as_ref())?;
    Ok((constraints_func, PySampler::rebuildable(sampler, recipe)))
}

/// A genetic sampler's class: its constructor takes Optuna's arguments
/// (the strategies, refused, and `constraints_func`, kept for `Study.tell`)
/// and its description's options, through [`genetic`].
macro_rules! genetic_class {
    ($(#[$doc:meta])* $rust:ident, $python:literal, $face:expr, $algorithm:literal) => {
        $(#[$doc])*
        #[pyclass(extends = PySampler, frozen, module = "ferrotune.samplers", name = $python)]
        pub(crate) struct $rust {
            constraints_func: Option<Py<PyAny>>,
        }

        #[pymethods]
        impl $rust {
            #[new]
            #[pyo3(signature = (
                *,
                constraints_func = None,
                elite_population_selection_strategy = None,
                child_generation_strategy = None,
                after_trial_strategy = None,
                **options,
            ))]
            fn new(
                py: Python<'_>,
                constraints_func: Option<&Bound<'_, PyAny>>,
                elite_population_selection_strategy: Option<&Bound<'_, PyAny>>,
                child_generation_strategy: Option<&Bound<'_, PyAny>>,
                after_trial_strategy: Option<&Bound<'_, PyAny>>,
                options: Option<&Bound<'_, PyDict>>,
            ) -> PyResult<(Self, PySampler)> {
                let strategies = [
                    ("elite_population_selection_strategy", elite_population_selection_strategy),
                    ("child_generation_strategy", child_generation_strategy),
                    ("after_trial_strategy", after_trial_strategy),
                ];
                let (constraints_func, sampler) = genetic(py, $face, $algorithm, constraints_func, strategies, options)?;
                Ok(($rust { constraints_func }, sampler))
            }

            /// The `constraints_func` given, which `Study.tell` evaluates on
            /// each trial told complete and records with
            /// `trial.set_constraint`.
            #[getter]
            fn _constraints_func(&self, py: Python<'_>) -> Option<Py<PyAny>> {
                self.constraints_func.as_ref().map(|f| f.clone_ref(py))
            }
        }
    };
}

genetic_class!(
    /// NSGA-II (Deb et al. 2002) with Optuna's options: generations of
    /// `population_size` trials, parents by non-domination rank and crowding
    /// distance, `crossover` (a name, or one of `ferrotune.samplers.nsgaii`'s
    /// operators, or Optuna's), mutation, and constrained domination from
    /// `trial.set_constraint` (or `constraints_func`, evaluated on each trial
    /// before it is told). With one objective it is a plain genetic algorithm.
    PyNsgaIISampler,
    "NSGAIISampler",
    &NSGA2,
    "NSGA-II"
);

genetic_class!(
    /// NSGA-III (Deb & Jain 2014) with Optuna's options: NSGA-II's, but the
    /// survivors of the front that fits only in part are chosen by niching
    /// on reference points, `reference_points` (a matrix, one column per
    /// objective: a list of lists or a numpy array) or the Das-Dennis points
    /// with `dividing_parameter` divisions (3). For three objectives and more.
    PyNsgaIIISampler,
    "NSGAIIISampler",
    &NSGA3,
    "NSGA-III"
);

/// The crossover operator's classes, Optuna's and `ferrotune.samplers.nsgaii`'s
/// (same names): the engine's operator and, per option, the attribute that
/// holds it (ours public, Optuna's with a leading underscore).
const CROSSOVER_CLASSES: &[(&str, &str, &[&str])] = &[
    ("UniformCrossover", "uniform", &["swapping_prob"]),
    ("BLXAlphaCrossover", "blxalpha", &["alpha"]),
    ("SBXCrossover", "sbx", &["eta", "uniform_crossover_prob", "use_child_gene_prob"]),
    ("VSBXCrossover", "vsbx", &["eta", "uniform_crossover_prob", "use_child_gene_prob"]),
    ("UNDXCrossover", "undx", &["sigma_xi", "sigma_eta"]),
    ("SPXCrossover", "spx", &["epsilon"]),
];

/// `crossover=`: a name, or an operator object whose parameters become the
/// options of the same names. A parameter also given as a keyword must
/// agree with the object's.
fn set_crossover(options: &mut PyOptions<'_>, crossover: &Bound<'_, PyAny>) -> PyResult<()> {
    if let Ok(name) = crossover.extract::<String>() {
        options.set_value("crossover", OptionValue::Str(name));
        return Ok(());
    }
    let class = crossover.get_type().name()?.to_string();
    let Some((_, name, parameters)) = CROSSOVER_CLASSES.iter().find(|(c, _, _)| *c == class) else {
        return Err(PyTypeError::new_err(format!(
            "crossover must be a name or one of {} (ferrotune.samplers.nsgaii or optuna.samplers.nsgaii), got {class}",
            CROSSOVER_CLASSES.iter().map(|c| c.0).collect::<Vec<_>>().join(", ")
        )));
    };
    options.set_value("crossover", OptionValue::Str((*name).to_owned()));
    for parameter in *parameters {
        let value = match crossover.getattr(*parameter) {
            Ok(v) => v,
            Err(_) => crossover.getattr(format!("_{parameter}").as_str())?,
        };
        if value.is_none() {
            continue;
        }
        let value: f64 = value.extract()?;
        if let Some(keyword) = options.take(parameter) {
            let given: f64 = keyword.extract()?;
            if given != value {
                return Err(PyValueError::new_err(format!(
                    "{parameter} is {given:?} but the crossover's is {value:?}: give it once"
                )));
            }
        }
        options.set_value(parameter, OptionValue::Float(value));
    }
    Ok(())
}

/// `mutation=`: a name (`"uniform"`, `"polynomial"`), `None` (Optuna's
/// default: a mutating parameter is drawn afresh, our `"uniform"`), or a
/// `PolynomialMutation` (ours or Optuna 5's), whose `eta` becomes
/// `mutation_eta`; a `mutation_eta` also given by keyword must agree.
fn set_mutation(options: &mut PyOptions<'_>, mutation: &Bound<'_, PyAny>) -> PyResult<()> {
    if mutation.is_none() {
        return Ok(());
    }
    if let Ok(name) = mutation.extract::<String>() {
        options.set_value("mutation", OptionValue::Str(name));
        return Ok(());
    }
    let class = mutation.get_type().name()?.to_string();
    if class != "PolynomialMutation" {
        return Err(PyTypeError::new_err(format!(
            "mutation must be None, a name (\"uniform\", \"polynomial\") or PolynomialMutation \
             (ferrotune.samplers.nsgaii or optuna.samplers.nsgaii), got {class}"
        )));
    }
    options.set_value("mutation", OptionValue::Str("polynomial".into()));
    let eta = match mutation.getattr("eta") {
        Ok(v) => v,
        Err(_) => mutation.getattr("_eta")?,
    };
    let eta: f64 = eta.extract()?;
    if let Some(keyword) = options.take("mutation_eta") {
        let given: f64 = keyword.extract()?;
        if given != eta {
            return Err(PyValueError::new_err(format!(
                "mutation_eta is {given:?} but the mutation's eta is {eta:?}: give it once"
            )));
        }
    }
    options.set_value("mutation_eta", OptionValue::Float(eta));
    Ok(())
}

/// Every sampler's options as its constructor takes them (for the stub
/// check in `tests/test_sampler_options.py`): class -> [(keyword,
/// annotation, the description's default as Python source, the default the
/// constructor pins if any, help)].
#[pyfunction]
fn _sampler_options() -> PyResult<BTreeMap<&'static str, Vec<KeywordInfo>>> {
    describe(&FACES)
}

/// The engine sampler for what the user passed (`None`: TPE, as Optuna's
/// `create_study` uses).
pub(crate) fn resolve(sampler: Option<&Bound<'_, PyAny>>) -> PyResult<Arc<dyn Sampler>> {
    match sampler {
        Some(obj) if !obj.is_none() => match obj.cast::<PySampler>() {
            Ok(s) => match &s.get().inner {
                Some(inner) => Ok(inner.clone()),
                None => crate::user::user_sampler(obj),
            },
            Err(_) => Err(PyTypeError::new_err(format!(
                "sampler must be one of ferrotune.samplers ({}) or a subclass of BaseSampler, got {}",
                SAMPLERS.iter().map(|s| s.python).collect::<Vec<_>>().join(", "),
                obj.get_type().name()?
            ))),
        },
        _ => Ok(Arc::new(TpeSampler::new())),
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PySampler>()?;
    m.add_class::<PyRandomSampler>()?;
    m.add_class::<PyGridSampler>()?;
    m.add_class::<PyBruteForceSampler>()?;
    m.add_class::<PyTpeSampler>()?;
    m.add_class::<PyQmcSampler>()?;
    m.add_class::<PyCmaEsSampler>()?;
    m.add_class::<PyGpSampler>()?;
    m.add_class::<PyNsgaIISampler>()?;
    m.add_class::<PyNsgaIIISampler>()?;
    m.add_function(wrap_pyfunction!(_sampler_options, m)?)?;
    Ok(())
}
