//! Plots for Python (`ferrotune.visualization`): the engine's numbers
//! behind each of Optuna's `plot_*` (`ferrotune::plot`), handed to Python as
//! JSON. The Python half (`python/ferrotune/visualization/`) paints them
//! with plotly or matplotlib; this computes.
//!
//! Design decision: the data crosses as one JSON string (the engine's
//! `PlotData`, tagged by `kind`), not as Python objects built here, so the
//! binding stays a few lines whatever the plot kinds grow, and the CLI and
//! the dashboard read the very same document.

use std::collections::HashMap;
use std::sync::Arc;

use ferrotune::plot::{plot_data, ImportanceEvaluator, PlotKind, PlotOptions, PlotTarget};
use ferrotune::{FrozenTrial, StudyDirection};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyString;
use serde_json::Value;

use crate::errors::IntoPyResult;
use crate::study::PyStudy;

/// The numbers behind the plot `kind` (`"optimization_history"`, ... as
/// `PlotKind` reads them) of `study`'s trials, as JSON. `options` is a dict
/// or a JSON object with any of the keys of [`options_from_json`];
/// `target_values` maps trial numbers to the value of the user's `target`,
/// computed in Python beforehand (the engine then needs no callback into
/// Python).
#[pyfunction]
#[pyo3(signature = (study, kind, options = None, target_values = None))]
fn _plot_data(
    py: Python<'_>,
    study: &Bound<'_, PyStudy>,
    kind: &str,
    options: Option<&Bound<'_, PyAny>>,
    target_values: Option<HashMap<u64, f64>>,
) -> PyResult<String> {
    let kind: PlotKind = kind.parse().py_err()?;
    let json = match options {
        None => Value::Object(Default::default()),
        Some(o) if o.is_none() => Value::Object(Default::default()),
        Some(o) => {
            let text: String = if o.is_instance_of::<PyString>() {
                o.extract()?
            } else {
                py.import("json")?.call_method1("dumps", (o,))?.extract()?
            };
            serde_json::from_str(&text).map_err(|e| PyValueError::new_err(format!("plot options: {e}")))?
        }
    };
    let mut options = options_from_json(&json)?;
    options.target = target_values.map(target_from_values);
    let study = study.get().engine().clone();
    let data = py.detach(|| {
        let trials = study.trials()?;
        plot_data(kind, &trials, study.directions(), &options)
    });
    let data = data.py_err()?;
    serde_json::to_string(&data).map_err(|e| PyValueError::new_err(format!("plot data: {e}")))
}

/// `PlotOptions` from a JSON object with the keys `params`, `target_name`,
/// `target_direction` ("minimize" or "maximize"), `objective_names`,
/// `max_points`, `grid_size`, `evaluator` ("ped_anova", "fanova", "mdi"),
/// `seed`, `objectives`, `include_dominated`, `reference_point` and
/// `now_us`; null or absent keeps the default, and an unknown key is an
/// error (a misspelt option must not pass silently).
fn options_from_json(json: &Value) -> PyResult<PlotOptions> {
    let Value::Object(map) = json else {
        return Err(PyTypeError::new_err("plot options must be a dict or a JSON object"));
    };
    let mut options = PlotOptions::default();
    for (key, value) in map {
        if value.is_null() {
            continue;
        }
        let wrong = |expected: &str| PyTypeError::new_err(format!("plot option {key} must be {expected}, got {value}"));
        let strings = || -> PyResult<Vec<String>> {
            value
                .as_array()
                .and_then(|a| a.iter().map(|v| v.as_str().map(str::to_owned)).collect::<Option<Vec<_>>>())
                .ok_or_else(|| wrong("a list of strings"))
        };
        let count = || value.as_u64().map(|n| n as usize).ok_or_else(|| wrong("a non-negative int"));
        match key.as_str() {
            "params" => options.params = Some(strings()?),
            "target_name" => options.target_name = Some(value.as_str().ok_or_else(|| wrong("a string"))?.to_owned()),
            "target_direction" => {
                options.target_direction = Some(match value.as_str().map(str::to_ascii_lowercase).as_deref() {
                    Some("minimize") => StudyDirection::Minimize,
                    Some("maximize") => StudyDirection::Maximize,
                    _ => return Err(wrong("'minimize' or 'maximize'")),
                })
            }
            "objective_names" => options.objective_names = Some(strings()?),
            "max_points" => options.max_points = count()?,
            "grid_size" => options.grid_size = count()?,
            "evaluator" => {
                options.evaluator =
                    value.as_str().ok_or_else(|| wrong("a string"))?.parse::<ImportanceEvaluator>().py_err()?
            }
            "seed" => options.seed = Some(value.as_u64().ok_or_else(|| wrong("an int in [0, 2**64)"))?),
            "objectives" => {
                options.objectives = Some(
                    value
                        .as_array()
                        .and_then(|a| a.iter().map(|v| v.as_u64().map(|n| n as usize)).collect::<Option<Vec<_>>>())
                        .ok_or_else(|| wrong("a list of objective indices"))?,
                )
            }
            "include_dominated" => options.include_dominated = value.as_bool().ok_or_else(|| wrong("a bool"))?,
            "reference_point" => {
                options.reference_point = Some(
                    value
                        .as_array()
                        .and_then(|a| a.iter().map(Value::as_f64).collect::<Option<Vec<_>>>())
                        .ok_or_else(|| wrong("a list of numbers"))?,
                )
            }
            "now_us" => options.now_us = Some(value.as_i64().ok_or_else(|| wrong("an int"))?),
            other => {
                return Err(PyValueError::new_err(format!(
                    "unknown plot option {other:?} (expected params, target_name, target_direction, \
                     objective_names, max_points, grid_size, evaluator, seed, objectives, include_dominated, \
                     reference_point or now_us)"
                )))
            }
        }
    }
    Ok(options)
}

/// A target read from values computed in Python, by trial number (NaN,
/// so left out, for a trial without one).
fn target_from_values(values: HashMap<u64, f64>) -> PlotTarget {
    let values = Arc::new(values);
    Arc::new(move |t: &FrozenTrial| values.get(&t.number).copied().unwrap_or(f64::NAN))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_plot_data, m)?)?;
    Ok(())
}
