//! Samplers as Python classes with Optuna's names and options.

use std::collections::BTreeMap;
use std::sync::Arc;

use ferrotune::core::Sampler;
use ferrotune::samplers::{
    CmaEsSampler, GpSampler, GridSampler, OutputTransform, QmcKind, QmcSampler, RandomSampler, Restart, TpeSampler,
    TpeWeighting,
};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::param_from_py;
use crate::errors::IntoPyResult;

/// Proposes parameter values. Samplers are implemented in the engine; pick
/// one of the subclasses.
#[pyclass(subclass, frozen, module = "ferrotune.samplers", name = "BaseSampler")]
pub(crate) struct PySampler {
    pub(crate) inner: Arc<dyn Sampler>,
}

#[pymethods]
impl PySampler {
    fn __repr__(&self) -> String {
        format!("<{} sampler>", self.inner.name())
    }
}

/// Independent uniform sampling (log-uniform on log scales): the baseline.
/// A seed makes a sequential study repeat exactly.
#[pyclass(extends = PySampler, frozen, module = "ferrotune.samplers", name = "RandomSampler")]
pub(crate) struct PyRandomSampler;

#[pymethods]
impl PyRandomSampler {
    #[new]
    #[pyo3(signature = (seed = None))]
    fn new(seed: Option<u64>) -> (Self, PySampler) {
        let sampler = seed.map_or_else(RandomSampler::new, RandomSampler::with_seed);
        (PyRandomSampler, PySampler { inner: Arc::new(sampler) })
    }
}

/// Every combination of the listed values, each exactly once (even across
/// processes sharing a storage), in a seeded random order; `optimize`
/// stops when the grid is exhausted.
#[pyclass(extends = PySampler, frozen, module = "ferrotune.samplers", name = "GridSampler")]
pub(crate) struct PyGridSampler;

#[pymethods]
impl PyGridSampler {
    #[new]
    #[pyo3(signature = (search_space, seed = None))]
    fn new(search_space: &Bound<'_, PyDict>, seed: Option<u64>) -> PyResult<(Self, PySampler)> {
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
        let sampler = match seed {
            Some(seed) => GridSampler::with_seed(grid, seed),
            None => GridSampler::new(grid),
        }
        .py_err()?;
        Ok((PyGridSampler, PySampler { inner: Arc::new(sampler) }))
    }
}

/// The Tree-structured Parzen Estimator, with Optuna 5's options and
/// defaults (multivariate for one objective, constant liar on) but for one
/// objective's good set (the best 15%) and weights (by improvement), which
/// measured better; `optuna_defaults=True` restores Optuna's.
#[pyclass(extends = PySampler, frozen, module = "ferrotune.samplers", name = "TPESampler")]
pub(crate) struct PyTpeSampler;

#[pymethods]
impl PyTpeSampler {
    #[new]
    #[pyo3(signature = (
        *,
        consider_prior = None,
        prior_weight = None,
        consider_magic_clip = None,
        consider_endpoints = None,
        n_startup_trials = 10,
        n_ei_candidates = 24,
        gamma = None,
        weights = None,
        seed = None,
        multivariate = None,
        group = false,
        warn_independent_sampling = None,
        constant_liar = true,
        constraints_func = None,
        startup = "random",
        weighting = None,
        optuna_defaults = false,
        min_bandwidth_factor = None,
        magic_clip_exponent = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        consider_prior: Option<bool>,
        prior_weight: Option<f64>,
        consider_magic_clip: Option<bool>,
        consider_endpoints: Option<bool>,
        n_startup_trials: usize,
        n_ei_candidates: usize,
        gamma: Option<&Bound<'_, PyAny>>,
        weights: Option<&Bound<'_, PyAny>>,
        seed: Option<u64>,
        multivariate: Option<bool>,
        group: bool,
        warn_independent_sampling: Option<bool>,
        constant_liar: bool,
        constraints_func: Option<&Bound<'_, PyAny>>,
        startup: &str,
        weighting: Option<&str>,
        optuna_defaults: bool,
        min_bandwidth_factor: Option<f64>,
        magic_clip_exponent: Option<f64>,
    ) -> PyResult<(Self, PySampler)> {
        let _ = warn_independent_sampling;
        if consider_prior == Some(false) {
            return Err(PyValueError::new_err(
                "consider_prior=False is not supported: the prior kernel is always used (as in Optuna 5)",
            ));
        }
        // A number for gamma is the good fraction (linear gamma); functions
        // stay in Python's reach only through Optuna.
        let gamma_fraction = match gamma {
            Some(g) if g.is_none() => None,
            Some(g) => Some(g.extract::<f64>().map_err(|_| {
                PyTypeError::new_err(
                    "gamma must be a number, the fraction of trials that count as good (e.g. 0.15); a custom gamma function is not supported (Optuna deprecated it in 4.9)",
                )
            })?),
            None => None,
        };
        if weights.is_some_and(|w| !w.is_none()) {
            return Err(PyTypeError::new_err(
                "a custom weights function is not supported (Optuna deprecated it in 4.9); choose weighting=\"recency\" (Optuna's) or \"expected_improvement\"",
            ));
        }
        let weighting = match weighting {
            None => None,
            Some("recency") => Some(TpeWeighting::Recency),
            Some("expected_improvement") => Some(TpeWeighting::ExpectedImprovement),
            Some(other) => {
                return Err(PyValueError::new_err(format!(
                    "weighting must be \"recency\" or \"expected_improvement\", got {other:?}"
                )))
            }
        };
        if constraints_func.is_some_and(|c| !c.is_none()) {
            return Err(PyTypeError::new_err(
                "constraints_func is not supported (Optuna deprecated it in 5.0): call trial.set_constraint(name, value) in the objective",
            ));
        }
        let startup_qmc = startup_design(startup)?;
        // Optuna's defaults first, so that options given beside them win.
        let mut builder = TpeSampler::builder();
        if optuna_defaults {
            builder = builder.optuna_defaults();
        }
        let mut builder = builder
            .n_startup_trials(n_startup_trials)
            .startup_qmc(startup_qmc)
            .n_ei_candidates(n_ei_candidates)
            .group(group)
            .constant_liar(constant_liar);
        if let Some(weighting) = weighting {
            builder = builder.weighting(weighting);
        }
        if let Some(fraction) = gamma_fraction {
            builder = builder.gamma_fraction(fraction);
        }
        if let Some(factor) = min_bandwidth_factor {
            builder = builder.min_bandwidth_factor(factor);
        }
        if let Some(exponent) = magic_clip_exponent {
            builder = builder.magic_clip_exponent(exponent);
        }
        if let Some(seed) = seed {
            builder = builder.seed(seed);
        }
        if let Some(m) = multivariate {
            builder = builder.multivariate(m);
        }
        if let Some(w) = prior_weight {
            builder = builder.prior_weight(w);
        }
        if let Some(on) = consider_magic_clip {
            builder = builder.consider_magic_clip(on);
        }
        if let Some(on) = consider_endpoints {
            builder = builder.consider_endpoints(on);
        }
        let sampler = builder.build().py_err()?;
        Ok((PyTpeSampler, PySampler { inner: Arc::new(sampler) }))
    }
}

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
        qmc_type = "sobol",
        scramble = true,
        seed = None,
        independent_sampler = None,
        warn_asynchronous_seeding = true,
        warn_independent_sampling = true,
    ))]
    fn new(
        qmc_type: &str,
        scramble: bool,
        seed: Option<u64>,
        independent_sampler: Option<&Bound<'_, PyAny>>,
        warn_asynchronous_seeding: bool,
        warn_independent_sampling: bool,
    ) -> PyResult<(Self, PySampler)> {
        // Neither warning applies: points are a pure function of the seed and
        // trial number, and no parameter is sampled independently.
        let _ = (warn_asynchronous_seeding, warn_independent_sampling);
        if independent_sampler.is_some_and(|s| !s.is_none()) {
            return Err(PyValueError::new_err(
                "independent_sampler is not used: every parameter, conditional ones included, takes an axis of the QMC sequence",
            ));
        }
        let kind: QmcKind = qmc_type.parse().py_err()?;
        let sampler =
            seed.map_or_else(QmcSampler::new, QmcSampler::with_seed).kind(kind).scramble(scramble).py_err()?;
        Ok((PyQmcSampler, PySampler { inner: Arc::new(sampler) }))
    }
}

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
        n_startup_trials = 1,
        independent_sampler = None,
        warn_independent_sampling = true,
        seed = None,
        *,
        consider_pruned_trials = false,
        restart_strategy = None,
        popsize = None,
        inc_popsize = 2,
        use_separable_cma = false,
        with_margin = false,
        lr_adapt = false,
        source_trials = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        x0: Option<BTreeMap<String, f64>>,
        sigma0: Option<f64>,
        n_startup_trials: usize,
        independent_sampler: Option<&Bound<'_, PyAny>>,
        warn_independent_sampling: bool,
        seed: Option<u64>,
        consider_pruned_trials: bool,
        restart_strategy: Option<&str>,
        popsize: Option<usize>,
        inc_popsize: i64,
        use_separable_cma: bool,
        with_margin: bool,
        lr_adapt: bool,
        source_trials: Option<Vec<PyRef<'_, crate::trial::PyFrozenTrial>>>,
    ) -> PyResult<(Self, PySampler)> {
        let _ = warn_independent_sampling;
        if independent_sampler.is_some_and(|s| !s.is_none()) {
            return Err(PyValueError::new_err(
                "independent_sampler is not supported: parameters outside the joint space are sampled at random",
            ));
        }
        if lr_adapt {
            return Err(PyValueError::new_err("lr_adapt=True is not supported"));
        }
        let restart = match restart_strategy {
            None => Restart::None,
            Some("ipop") => Restart::Ipop,
            Some("bipop") => Restart::Bipop,
            Some(other) => {
                return Err(PyValueError::new_err(format!(
                    "restart_strategy must be None, 'ipop' or 'bipop', got '{other}'"
                )))
            }
        };
        let mut builder = CmaEsSampler::builder()
            .n_startup_trials(n_startup_trials)
            .restart(restart)
            .consider_pruned_trials(consider_pruned_trials)
            .separable(use_separable_cma)
            .with_margin(with_margin);
        // Optuna's -1 means "the default", 2.
        if inc_popsize != -1 {
            let factor = usize::try_from(inc_popsize)
                .map_err(|_| PyValueError::new_err("inc_popsize must be at least 1 (or -1 for the default)"))?;
            builder = builder.inc_popsize(factor);
        }
        if let Some(seed) = seed {
            builder = builder.seed(seed);
        }
        if let Some(x0) = x0 {
            builder = builder.x0(x0);
        }
        if let Some(sigma0) = sigma0 {
            builder = builder.sigma0(sigma0);
        }
        if let Some(n) = popsize {
            builder = builder.population_size(n);
        }
        if let Some(trials) = source_trials {
            builder = builder.source_trials(trials.iter().map(|t| t.inner.clone()).collect());
        }
        let sampler = builder.build().py_err()?;
        Ok((PyCmaEsSampler, PySampler { inner: Arc::new(sampler) }))
    }
}

/// Gaussian-process Bayesian optimization with Optuna's options: a Matérn
/// 5/2 GP with MAP hyperparameters, log expected improvement, running
/// trials as pending points, and constraints from `trial.set_constraint`.
/// `startup` picks where the first `n_startup_trials` come from (Sobol
/// points by default; "random" as in Optuna).
#[pyclass(extends = PySampler, frozen, module = "ferrotune.samplers", name = "GPSampler")]
pub(crate) struct PyGpSampler;

#[pymethods]
impl PyGpSampler {
    #[new]
    #[pyo3(signature = (
        *,
        seed = None,
        independent_sampler = None,
        n_startup_trials = 10,
        deterministic_objective = false,
        constraints_func = None,
        warn_independent_sampling = true,
        startup = "sobol",
        output_transform = "robust",
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        seed: Option<u64>,
        independent_sampler: Option<&Bound<'_, PyAny>>,
        n_startup_trials: usize,
        deterministic_objective: bool,
        constraints_func: Option<&Bound<'_, PyAny>>,
        warn_independent_sampling: bool,
        startup: &str,
        output_transform: &str,
    ) -> PyResult<(Self, PySampler)> {
        let _ = warn_independent_sampling;
        let output_transform: OutputTransform =
            output_transform.parse().map_err(|e| PyValueError::new_err(format!("output_transform {e}")))?;
        if independent_sampler.is_some_and(|s| !s.is_none()) {
            return Err(PyValueError::new_err(
                "independent_sampler is not supported: use startup='random', 'sobol' or 'halton'",
            ));
        }
        if constraints_func.is_some_and(|c| !c.is_none()) {
            return Err(PyTypeError::new_err(
                "constraints_func is not supported: call trial.set_constraint(name, value) in the objective",
            ));
        }
        let startup_qmc = startup_design(startup)?;
        let mut builder = GpSampler::builder()
            .n_startup_trials(n_startup_trials)
            .deterministic_objective(deterministic_objective)
            .output_transform(output_transform)
            .startup_qmc(startup_qmc);
        if let Some(seed) = seed {
            builder = builder.seed(seed);
        }
        let sampler = builder.build().py_err()?;
        Ok((PyGpSampler, PySampler { inner: Arc::new(sampler) }))
    }
}

/// `startup="random" | "sobol" | "halton"`: where a model-based sampler's
/// first trials come from.
fn startup_design(startup: &str) -> PyResult<Option<QmcKind>> {
    match startup {
        "random" => Ok(None),
        other => other.parse::<QmcKind>().map(Some).map_err(|_| {
            PyValueError::new_err(format!("startup must be 'random', 'sobol' or 'halton', got '{other}'"))
        }),
    }
}

/// The engine sampler for what the user passed (`None`: TPE, as Optuna's
/// `create_study` uses).
pub(crate) fn resolve(sampler: Option<&Bound<'_, PyAny>>) -> PyResult<Arc<dyn Sampler>> {
    match sampler {
        Some(obj) if !obj.is_none() => match obj.cast::<PySampler>() {
            Ok(s) => Ok(s.get().inner.clone()),
            Err(_) => Err(PyTypeError::new_err(format!(
                "sampler must be one of ferrotune.samplers (RandomSampler, GridSampler, QMCSampler, TPESampler, CmaEsSampler, GPSampler), got {}",
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
    m.add_class::<PyTpeSampler>()?;
    m.add_class::<PyQmcSampler>()?;
    m.add_class::<PyCmaEsSampler>()?;
    m.add_class::<PyGpSampler>()?;
    Ok(())
}
