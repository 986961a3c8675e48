//! Parameter importance for Python (`ferrotune.importance`): the engine's
//! PED-ANOVA, fANOVA and mean decrease in impurity on a study's trials. The
//! Python half (evaluator classes, `get_param_importances` with Optuna's
//! signature) is `python/ferrotune/importance.py`; this computes.

use std::collections::HashMap;
use std::sync::Arc;

use ferrotune::importance::{fanova, mean_decrease_impurity, ped_anova, ForestOptions, PedAnovaOptions, Target};
use ferrotune::FrozenTrial;
use pyo3::prelude::*;

use crate::errors::IntoPyResult;
use crate::study::PyStudy;

/// PED-ANOVA importances of `study`'s parameters, most important first.
/// `target_values` maps trial numbers to the value of the user's `target`,
/// computed in Python beforehand (the engine then needs no callback into
/// Python).
#[pyfunction]
#[pyo3(signature = (study, target_quantile, region_quantile, evaluate_on_local, params, target_values, normalize))]
#[allow(clippy::too_many_arguments)]
fn _ped_anova(
    py: Python<'_>,
    study: &Bound<'_, PyStudy>,
    target_quantile: f64,
    region_quantile: f64,
    evaluate_on_local: bool,
    params: Option<Vec<String>>,
    target_values: Option<HashMap<u64, f64>>,
    normalize: bool,
) -> PyResult<Vec<(String, f64)>> {
    let study = study.get().engine().clone();
    py.detach(|| {
        let trials = study.trials()?;
        let target = target_values.map(target_from_values);
        let options =
            PedAnovaOptions { target_quantile, region_quantile, evaluate_on_local, params, target, normalize };
        ped_anova(&trials, study.directions(), &options)
    })
    .py_err()
}

/// fANOVA (`kind` "fanova") or mean decrease in impurity ("mdi")
/// importances of `study`'s parameters from a random forest, most important
/// first; `log_scale` as `ForestOptions::log_scale`; `target_values` as for
/// `_ped_anova`.
#[pyfunction]
#[pyo3(signature = (study, kind, n_trees, max_depth, seed, log_scale, params, target_values, normalize))]
#[allow(clippy::too_many_arguments)]
fn _forest_importance(
    py: Python<'_>,
    study: &Bound<'_, PyStudy>,
    kind: &str,
    n_trees: usize,
    max_depth: usize,
    seed: Option<u64>,
    log_scale: bool,
    params: Option<Vec<String>>,
    target_values: Option<HashMap<u64, f64>>,
    normalize: bool,
) -> PyResult<Vec<(String, f64)>> {
    let evaluate = match kind {
        "fanova" => fanova,
        "mdi" => mean_decrease_impurity,
        other => return Err(pyo3::exceptions::PyValueError::new_err(format!("unknown forest importance {other:?}"))),
    };
    let study = study.get().engine().clone();
    py.detach(|| {
        let trials = study.trials()?;
        let options = ForestOptions {
            n_trees,
            max_depth,
            seed,
            log_scale,
            params,
            target: target_values.map(target_from_values),
            normalize,
            ..ForestOptions::default()
        };
        evaluate(&trials, study.directions(), &options)
    })
    .py_err()
}

/// A target read from values computed in Python, by trial number (NaN,
/// so left out, for a trial without one).
fn target_from_values(values: HashMap<u64, f64>) -> Target {
    let values = Arc::new(values);
    Arc::new(move |t: &FrozenTrial| values.get(&t.number).copied().unwrap_or(f64::NAN))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_ped_anova, m)?)?;
    m.add_function(wrap_pyfunction!(_forest_importance, m)?)?;
    Ok(())
}
