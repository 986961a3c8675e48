//! Conversions between Python objects and the engine's plain data.

use std::collections::BTreeMap;

use ferrotune::{AttrValue, ParamValue};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyList, PyString, PyTuple};
use pyo3::IntoPyObjectExt;

/// A parameter value for Python: `None`, `bool`, `int`, `float` or `str`.
pub(crate) fn param_to_py(py: Python<'_>, value: &ParamValue) -> PyResult<Py<PyAny>> {
    match value {
        ParamValue::Null => Ok(py.None()),
        ParamValue::Bool(b) => b.into_py_any(py),
        ParamValue::Int(i) => i.into_py_any(py),
        ParamValue::Float(f) => f.into_py_any(py),
        ParamValue::Str(s) => s.into_py_any(py),
    }
}

/// A Python value as a parameter value. `what` names it in the error
/// ("choice 3 of 'optimizer'").
pub(crate) fn param_from_py(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<ParamValue> {
    if obj.is_none() {
        return Ok(ParamValue::Null);
    }
    // bool before int: Python's bool is an int.
    if obj.is_instance_of::<PyBool>() {
        return Ok(ParamValue::Bool(obj.extract()?));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(ParamValue::Str(s.to_cow()?.into_owned()));
    }
    if obj.is_instance_of::<PyFloat>() {
        return Ok(ParamValue::Float(obj.extract()?));
    }
    // Python ints and anything with __index__ (numpy integers).
    if let Ok(i) = obj.extract::<i64>() {
        return Ok(ParamValue::Int(i));
    }
    if let Ok(f) = obj.extract::<f64>() {
        return Ok(ParamValue::Float(f));
    }
    Err(PyTypeError::new_err(format!(
        "{what} is a {}; parameter values must be None, bool, int, float or str",
        obj.get_type().name()?
    )))
}

/// A dict of parameter values (`enqueue_trial`, grids).
pub(crate) fn params_from_py(dict: &Bound<'_, PyDict>, what: &str) -> PyResult<BTreeMap<String, ParamValue>> {
    let mut params = BTreeMap::new();
    for (k, v) in dict.iter() {
        let name: String =
            k.extract().map_err(|_| PyTypeError::new_err(format!("{what}: parameter names must be strings")))?;
        let value = param_from_py(&v, &format!("{what}: the value of '{name}'"))?;
        params.insert(name, value);
    }
    Ok(params)
}

/// A JSON attribute value for Python (dicts, lists, numbers, strings).
pub(crate) fn attr_to_py(py: Python<'_>, value: &AttrValue) -> PyResult<Py<PyAny>> {
    if let Some(float) = ferrotune::core::non_finite_float(value) {
        return float.into_py_any(py);
    }
    Ok(match value {
        AttrValue::Null => py.None(),
        AttrValue::Bool(b) => b.into_py_any(py)?,
        AttrValue::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_py_any(py)?,
            (None, Some(u)) => u.into_py_any(py)?,
            _ => n.as_f64().unwrap_or(f64::NAN).into_py_any(py)?,
        },
        AttrValue::String(s) => s.into_py_any(py)?,
        AttrValue::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(attr_to_py(py, item)?)?;
            }
            list.into_any().unbind()
        }
        AttrValue::Object(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, attr_to_py(py, v)?)?;
            }
            dict.into_any().unbind()
        }
    })
}

/// A Python value as a JSON attribute value. Attributes are stored as JSON
/// so that every storage, the CLI and other languages can read them.
pub(crate) fn attr_from_py(obj: &Bound<'_, PyAny>, key: &str) -> PyResult<AttrValue> {
    if obj.is_none() {
        return Ok(AttrValue::Null);
    }
    if obj.is_instance_of::<PyBool>() {
        return Ok(AttrValue::Bool(obj.extract()?));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(AttrValue::String(s.to_cow()?.into_owned()));
    }
    if obj.is_instance_of::<PyFloat>() {
        let f: f64 = obj.extract()?;
        // NaN and the infinities, which JSON lacks, as the engine's one
        // encoding of them, so they read back as floats.
        return Ok(ferrotune::core::float_attr(f));
    }
    if let Ok(i) = obj.extract::<i64>() {
        return Ok(AttrValue::from(i));
    }
    if let Ok(f) = obj.extract::<f64>() {
        return Ok(ferrotune::core::float_attr(f));
    }
    if let Ok(dict) = obj.cast::<PyDict>() {
        let mut map = serde_json::Map::new();
        for (k, v) in dict.iter() {
            let k: String = k.extract().map_err(|_| {
                PyTypeError::new_err(format!("attribute '{key}': dict keys must be strings (as in JSON)"))
            })?;
            let value = attr_from_py(&v, key)?;
            map.insert(k, value);
        }
        return Ok(AttrValue::Object(map));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let items = obj.try_iter()?.map(|item| attr_from_py(&item?, key)).collect::<PyResult<Vec<_>>>()?;
        return Ok(AttrValue::Array(items));
    }
    Err(PyTypeError::new_err(format!(
        "attribute '{key}' is a {}; attributes must be JSON-serializable (None, bool, int, float, str, list, dict)",
        obj.get_type().name()?
    )))
}

pub(crate) fn attrs_to_py(py: Python<'_>, attrs: &BTreeMap<String, AttrValue>) -> PyResult<Py<PyDict>> {
    let dict = PyDict::new(py);
    for (k, v) in attrs {
        dict.set_item(k, attr_to_py(py, v)?)?;
    }
    Ok(dict.unbind())
}

/// What an objective returned, as objective values, or the reason it
/// cannot be one (the trial then fails with that reason, as in Optuna).
pub(crate) fn objective_values(obj: &Bound<'_, PyAny>) -> Result<Vec<f64>, String> {
    let describe = || obj.repr().map(|r| r.to_string()).unwrap_or_else(|_| "<unprintable>".into());
    if obj.is_none() {
        return Err("the objective returned None; it must return a number (or one per objective)".into());
    }
    if obj.is_instance_of::<PyString>() {
        return Err(format!("the objective returned the string {}; it must return a number", describe()));
    }
    if let Ok(v) = obj.extract::<f64>() {
        return Ok(vec![v]);
    }
    if let Ok(iter) = obj.try_iter() {
        let mut values = Vec::new();
        for item in iter {
            let item = item.map_err(|e| e.to_string())?;
            match item.extract::<f64>() {
                Ok(v) if !item.is_instance_of::<PyString>() => values.push(v),
                _ => return Err(format!("the objective returned {}, which is not a sequence of numbers", describe())),
            }
        }
        return Ok(values);
    }
    Err(format!("the objective returned {}, which is not a number", describe()))
}

/// A `datetime.datetime` (naive, local time, as Optuna's) from Unix
/// microseconds.
pub(crate) fn datetime_from_us(py: Python<'_>, us: Option<i64>) -> PyResult<Py<PyAny>> {
    match us {
        None => Ok(py.None()),
        Some(us) => {
            let datetime = py.import("datetime")?.getattr("datetime")?;
            Ok(datetime.call_method1("fromtimestamp", (us as f64 / 1e6,))?.unbind())
        }
    }
}

/// A step for `report`: a non-negative integer.
pub(crate) fn step_from_py(obj: &Bound<'_, PyAny>) -> PyResult<u64> {
    if obj.is_instance_of::<PyFloat>() || obj.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(format!("step must be an int, got {}", obj.repr()?)));
    }
    let step: i64 = obj.extract().map_err(|_| PyTypeError::new_err("step must be an int"))?;
    u64::try_from(step).map_err(|_| PyValueError::new_err(format!("step must be non-negative, got {step}")))
}
