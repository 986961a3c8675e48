//! Parameter importance for Python (`ferrotune.importance`): the engine's
//! PED-ANOVA on a study's trials. The Python half (evaluator classes,
//! `get_param_importances` with Optuna's signature) is
//! `python/ferrotune/importance.py`; this computes.

use std::collections::HashMap;
use std::sync::Arc;

use ferrotune::importance::{ped_anova, PedAnovaOptions};
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
        let target = target_values.map(|values| {
            let values = Arc::new(values);
            Arc::new(move |t: &FrozenTrial| values.get(&t.number).copied().unwrap_or(f64::NAN))
                as ferrotune::importance::Target
        });
        let options =
            PedAnovaOptions { target_quantile, region_quantile, evaluate_on_local, params, target, normalize };
        ped_anova(&trials, study.directions(), &options)
    })
    .py_err()
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_ped_anova, m)?)?;
    Ok(())
}
