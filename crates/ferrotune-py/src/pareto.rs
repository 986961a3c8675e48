//! The engine's Pareto tools for Python (`ferrotune.pareto`): the exact
//! hypervolume and each point's contribution, non-domination ranks and
//! crowding distances. The shapes and values are checked here, so that no
//! input reaches the engine's functions in a form they do not take; the
//! Python half (`python/ferrotune/pareto.py`) documents them and turns
//! arrays into lists.

use ferrotune::pareto::{crowding_distances, hypervolume, hypervolume_contributions, non_domination_ranks};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// Every point has `width` numbers (the reference point's, or the first
/// point's), and none is NaN.
fn check_points(points: &[Vec<f64>], width: usize, width_of: &str) -> PyResult<()> {
    for (i, point) in points.iter().enumerate() {
        if point.len() != width {
            return Err(PyValueError::new_err(format!(
                "point {i} has {} values, but {width_of} has {width}: every point needs one value per objective",
                point.len()
            )));
        }
        if let Some(j) = point.iter().position(|v| v.is_nan()) {
            return Err(PyValueError::new_err(format!("point {i} has NaN in objective {j}")));
        }
    }
    Ok(())
}

/// A reference point of at least one number, none NaN, and points of its width.
fn check_reference(points: &[Vec<f64>], reference: &[f64]) -> PyResult<()> {
    if reference.is_empty() {
        return Err(PyValueError::new_err("reference_point must have one value per objective, got none"));
    }
    if let Some(j) = reference.iter().position(|v| v.is_nan()) {
        return Err(PyValueError::new_err(format!("reference_point has NaN in objective {j}")));
    }
    check_points(points, reference.len(), "reference_point")
}

/// Points of one width (the first's), none NaN.
fn check_rows(points: &[Vec<f64>]) -> PyResult<()> {
    match points.first() {
        Some(first) if first.is_empty() => Err(PyValueError::new_err("point 0 has no values")),
        Some(first) => check_points(points, first.len(), "point 0"),
        None => Ok(()),
    }
}

#[pyfunction]
fn _hypervolume(py: Python<'_>, points: Vec<Vec<f64>>, reference_point: Vec<f64>) -> PyResult<f64> {
    check_reference(&points, &reference_point)?;
    Ok(py.detach(|| hypervolume(&points, &reference_point)))
}

#[pyfunction]
fn _hypervolume_contributions(py: Python<'_>, points: Vec<Vec<f64>>, reference_point: Vec<f64>) -> PyResult<Vec<f64>> {
    check_reference(&points, &reference_point)?;
    Ok(py.detach(|| hypervolume_contributions(&points, &reference_point)))
}

#[pyfunction]
fn _non_domination_ranks(py: Python<'_>, points: Vec<Vec<f64>>) -> PyResult<Vec<usize>> {
    check_rows(&points)?;
    Ok(py.detach(|| non_domination_ranks(&points, None)))
}

#[pyfunction]
fn _crowding_distances(py: Python<'_>, points: Vec<Vec<f64>>) -> PyResult<Vec<f64>> {
    check_rows(&points)?;
    Ok(py.detach(|| crowding_distances(&points)))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_hypervolume, m)?)?;
    m.add_function(wrap_pyfunction!(_hypervolume_contributions, m)?)?;
    m.add_function(wrap_pyfunction!(_non_domination_ranks, m)?)?;
    m.add_function(wrap_pyfunction!(_crowding_distances, m)?)?;
    Ok(())
}
