//! Contour plots: the value over a pair of parameters, as a grid.

use std::sync::Arc;

use ferrotune_core::{Error, FrozenTrial, Result, StudyDirection};

use super::{
    best_of, param_axis, param_names, thin, valued, Contour, ContourPanel, ParamAxis, ParamPoint, PlotOptions, Valuer,
};

/// [`super::PlotKind::Contour`]: one panel for two parameters, every pair
/// for more.
pub(crate) fn contour(
    trials: &[Arc<FrozenTrial>],
    directions: &[StudyDirection],
    options: &PlotOptions,
) -> Result<Contour> {
    let valuer = Valuer::new(directions, options)?;
    if options.grid_size < 2 {
        return Err(Error::InvalidArgument(format!("grid_size must be at least 2, not {}", options.grid_size)));
    }
    let valued = valued(trials, &valuer);
    let complete: Vec<&FrozenTrial> = valued.iter().map(|(t, _)| *t).collect();
    let params = param_names(&complete, options.params.as_deref())?;
    if params.len() < 2 {
        return Err(Error::InvalidArgument(format!(
            "a contour plot needs two parameters or more; the study's trials have {}",
            if params.is_empty() { "none".to_owned() } else { params.join(", ") }
        )));
    }
    let best = best_of(&valued, &valuer).map(|(t, _)| t.number);
    let mut panels = Vec::new();
    let mut range = (f64::INFINITY, f64::NEG_INFINITY);
    for (i, x_name) in params.iter().enumerate() {
        for y_name in &params[i + 1..] {
            let having: Vec<(&FrozenTrial, f64)> = valued
                .iter()
                .copied()
                .filter(|(t, _)| t.params.contains_key(x_name) && t.params.contains_key(y_name))
                .collect();
            let having_trials: Vec<&FrozenTrial> = having.iter().map(|(t, _)| *t).collect();
            let (x_axis, x_coords) = param_axis(x_name, &having_trials);
            let (y_axis, y_coords) = param_axis(y_name, &having_trials);
            let points: Vec<ParamPoint> = having
                .iter()
                .zip(x_coords.iter().zip(&y_coords))
                .filter_map(|((t, value), (x, y))| {
                    Some(ParamPoint { number: t.number, x: (*x)?, y: (*y)?, value: *value })
                })
                .collect();
            let (grid_x, grid_y, z) = grid(&x_axis, &y_axis, &points, options.grid_size);
            for v in z.iter().flatten().chain(points.iter().map(|p| &p.value)) {
                range = (range.0.min(*v), range.1.max(*v));
            }
            let best_point = best.and_then(|b| points.iter().find(|p| p.number == b).copied());
            let keep: Vec<usize> = best.and_then(|b| points.iter().position(|p| p.number == b)).into_iter().collect();
            let n_total = points.len();
            let points = thin(n_total, options.max_points, &keep).into_iter().map(|i| points[i]).collect();
            panels.push(ContourPanel { x: x_axis, y: y_axis, grid_x, grid_y, z, points, n_total, best: best_point });
        }
    }
    Ok(Contour {
        target_name: valuer.name.clone(),
        direction: valuer.direction,
        value_range: if range.0 <= range.1 { range } else { (0.0, 1.0) },
        params,
        panels,
    })
}

/// An axis's cell centres and a function from a coordinate to its cell:
/// one cell per category, or `size` equal cells on the axis's scale.
fn cells(axis: &ParamAxis, size: usize) -> (Vec<f64>, Box<dyn Fn(f64) -> usize>) {
    match axis {
        ParamAxis::Categorical { labels, .. } => {
            let n = labels.len().max(1);
            ((0..n).map(|i| i as f64).collect(), Box::new(move |x: f64| (x.max(0.0) as usize).min(n - 1)))
        }
        // An int parameter with fewer values than cells: a cell per value,
        // so the grid does not invent values between integers.
        ParamAxis::Numeric { min, max, log: false, int: true, .. } if max - min < size as f64 => {
            let (lo, n) = (*min, (max - min) as usize + 1);
            (
                (0..n).map(|i| lo + i as f64).collect(),
                Box::new(move |x: f64| ((x - lo).round().max(0.0) as usize).min(n - 1)),
            )
        }
        ParamAxis::Numeric { min, max, log, .. } => {
            let scale = move |x: f64| if *log { x.ln() } else { x };
            let unscale = move |u: f64| if *log { u.exp() } else { u };
            let (lo, hi) = (scale(*min), scale(*max));
            let width = if hi > lo { (hi - lo) / size as f64 } else { 1.0 };
            let centres = (0..size).map(|i| unscale(lo + (i as f64 + 0.5) * width)).collect();
            let log = *log;
            let to_cell = move |x: f64| {
                let u = if log { x.ln() } else { x };
                (((u - lo) / width).floor().max(0.0) as usize).min(size - 1)
            };
            (centres, Box::new(to_cell))
        }
    }
}

/// The grid of a panel: each cell's mean value where trials fell, filled
/// elsewhere by inverse-distance weighting (power 2, in cell units) of the
/// cells with trials. No cell has a value with fewer than two trials, as
/// one point says nothing of a surface.
fn grid(x: &ParamAxis, y: &ParamAxis, points: &[ParamPoint], size: usize) -> (Vec<f64>, Vec<f64>, Vec<Option<f64>>) {
    let (grid_x, x_cell) = cells(x, size);
    let (grid_y, y_cell) = cells(y, size);
    let (nx, ny) = (grid_x.len(), grid_y.len());
    let mut sum = vec![0.0; nx * ny];
    let mut count = vec![0usize; nx * ny];
    for p in points {
        let cell = y_cell(p.y) * nx + x_cell(p.x);
        sum[cell] += p.value;
        count[cell] += 1;
    }
    if points.len() < 2 {
        return (grid_x, grid_y, vec![None; nx * ny]);
    }
    let known: Vec<(f64, f64, f64)> = (0..nx * ny)
        .filter(|&c| count[c] > 0)
        .map(|c| ((c % nx) as f64, (c / nx) as f64, sum[c] / count[c] as f64))
        .collect();
    let z = (0..nx * ny)
        .map(|c| {
            if count[c] > 0 {
                return Some(sum[c] / count[c] as f64);
            }
            let (cx, cy) = ((c % nx) as f64, (c / nx) as f64);
            let (mut weighted, mut weights) = (0.0, 0.0);
            for &(kx, ky, v) in &known {
                let w = 1.0 / ((cx - kx).powi(2) + (cy - ky).powi(2));
                weighted += w * v;
                weights += w;
            }
            Some(weighted / weights)
        })
        .collect();
    (grid_x, grid_y, z)
}
