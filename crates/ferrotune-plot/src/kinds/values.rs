//! Kinds of one value against trials: the optimization history, the
//! empirical distribution and the hypervolume history.

use ferrotune_analysis::plot::{Edf, History, HypervolumeHistory};

use super::{dot, extent, value_scale};
use crate::frame::{
    self, axes, begin, best_ring, legend, AxisTitles, Swatch, BEST_COLOR, INFEASIBLE_COLOR, MAIN_COLOR,
};
use crate::scale::{count, value_label, Scale};
use crate::svg::{points, Attrs};
use crate::{Error, RenderOptions};

const TITLE_HISTORY: &str = "Optimization History Plot";
const TITLE_EDF: &str = "Empirical Distribution Function Plot";
const TITLE_HYPERVOLUME: &str = "Hypervolume History Plot";

/// Each trial's value by number, the best-so-far line and the best trial.
pub fn history(data: &History, options: &RenderOptions) -> Result<String, Error> {
    let (Some((n0, n1)), Some((v0, v1))) = (
        extent(data.points.iter().map(|p| p.number as f64)),
        extent(data.points.iter().chain(&data.best).map(|p| p.value)),
    ) else {
        return Ok(frame::empty(options, TITLE_HISTORY, "no complete trials"));
    };
    let (mut svg, area) = begin(options, TITLE_HISTORY, &[frame::showing(data.points.len(), data.n_total, "trials")]);
    let plot = area.inset(64.0, 6.0, 150.0, 40.0);
    let xs = Scale::numeric(n0, n1, false, true, plot.xs(), 0.03);
    let ys = value_scale(v0, v1, options.log_value_axis, plot.ys(), 0.05)?;
    axes(&mut svg, plot, &xs, &ys, AxisTitles::new(Some("Trial"), Some(&data.target_name)));

    svg.open("g", Attrs::new().class("points").s("stroke", "white").n("stroke-width", 0.5));
    let mut any_infeasible = false;
    for p in &data.points {
        let (fill, extra) = if p.feasible {
            (MAIN_COLOR, Attrs::new())
        } else {
            any_infeasible = true;
            (INFEASIBLE_COLOR, Attrs::new().s("data-feasible", "false"))
        };
        dot(&mut svg, (xs.map(p.number as f64), ys.map(p.value)), 3.5, fill, p.number, p.value, extra);
    }
    svg.close("g");

    // The best so far holds until the next improvement: a step line.
    if let (Some(first), Some(_)) = (data.best.first(), data.best.last()) {
        let mut line = vec![(xs.map(first.number as f64), ys.map(first.value))];
        for pair in data.best.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            line.push((xs.map(b.number as f64), ys.map(a.value)));
            line.push((xs.map(b.number as f64), ys.map(b.value)));
        }
        svg.titled(
            "polyline",
            Attrs::new()
                .class("line")
                .s("data-role", "best-so-far")
                .s("points", &points(line))
                .s("fill", "none")
                .s("stroke", BEST_COLOR)
                .n("stroke-width", 1.5),
            "Best Value",
        );
    }
    if let Some(best) = data.best_trial {
        best_ring(
            &mut svg,
            (xs.map(best.number as f64), ys.map(best.value)),
            best.number,
            &format!("Best trial {}: {}", best.number, value_label(best.value)),
        );
    }
    let mut entries = vec![(data.target_name.clone(), MAIN_COLOR, Swatch::Point)];
    if !data.best.is_empty() {
        entries.push(("Best Value".to_owned(), BEST_COLOR, Swatch::Line));
    }
    if data.best_trial.is_some() {
        entries.push(("Best Trial".to_owned(), BEST_COLOR, Swatch::Ring));
    }
    if any_infeasible {
        entries.push(("Infeasible Trial".to_owned(), INFEASIBLE_COLOR, Swatch::Point));
    }
    legend(&mut svg, plot.right() + 14.0, plot.y, &entries);
    Ok(svg.finish())
}

/// The fraction of trials with a value at most x, as a step line.
pub fn edf(data: &Edf, options: &RenderOptions) -> Result<String, Error> {
    let Some((v0, v1)) = extent(data.points.iter().map(|p| p.0)) else {
        return Ok(frame::empty(options, TITLE_EDF, "no complete trials"));
    };
    let (mut svg, area) = begin(options, TITLE_EDF, &[format!("{} trials", count(data.n_total))]);
    let plot = area.inset(64.0, 6.0, 20.0, 40.0);
    let xs = value_scale(v0, v1, options.log_value_axis, plot.xs(), 0.03)?;
    let ys = Scale::numeric(0.0, 1.0, false, false, plot.ys(), 0.02);
    axes(&mut svg, plot, &xs, &ys, AxisTitles::new(Some(&data.target_name), Some("Cumulative Probability")));
    let mut line = Vec::with_capacity(data.points.len() * 2 + 1);
    let mut last_fraction = 0.0;
    for &(value, fraction) in &data.points {
        line.push((xs.map(value), ys.map(last_fraction)));
        line.push((xs.map(value), ys.map(fraction)));
        last_fraction = fraction;
    }
    svg.leaf(
        "polyline",
        Attrs::new()
            .class("line")
            .u("data-points", data.points.len() as u64)
            .s("points", &points(line))
            .s("fill", "none")
            .s("stroke", MAIN_COLOR)
            .n("stroke-width", 1.5),
    );
    Ok(svg.finish())
}

/// The front's hypervolume after each trial that changed it.
pub fn hypervolume(data: &HypervolumeHistory, options: &RenderOptions) -> Result<String, Error> {
    let (Some((n0, n1)), Some((v0, v1))) =
        (extent(data.points.iter().map(|p| p.0 as f64)), extent(data.points.iter().map(|p| p.1)))
    else {
        return Ok(frame::empty(options, TITLE_HYPERVOLUME, "no complete trials"));
    };
    let reference: Vec<String> = data.reference_point.iter().map(|v| value_label(*v)).collect();
    let subtitle = format!("{} feasible trials; reference point ({})", count(data.n_total), reference.join(", "));
    let (mut svg, area) = begin(options, TITLE_HYPERVOLUME, &[subtitle]);
    let plot = area.inset(64.0, 6.0, 20.0, 40.0);
    let xs = Scale::numeric(n0, n1, false, true, plot.xs(), 0.03);
    let lo = if options.log_value_axis { v0 } else { v0.min(0.0) };
    let ys = value_scale(lo, v1, options.log_value_axis, plot.ys(), 0.05)?;
    axes(&mut svg, plot, &xs, &ys, AxisTitles::new(Some("Trial"), Some("Hypervolume")));
    let mut line = Vec::new();
    for (i, &(number, hv)) in data.points.iter().enumerate() {
        if let Some(&(_, previous)) = i.checked_sub(1).and_then(|j| data.points.get(j)) {
            line.push((xs.map(number as f64), ys.map(previous)));
        }
        line.push((xs.map(number as f64), ys.map(hv)));
    }
    svg.leaf(
        "polyline",
        Attrs::new()
            .class("line")
            .s("points", &points(line))
            .s("fill", "none")
            .s("stroke", MAIN_COLOR)
            .n("stroke-width", 1.5),
    );
    svg.open("g", Attrs::new().class("points"));
    for &(number, hv) in &data.points {
        dot(&mut svg, (xs.map(number as f64), ys.map(hv)), 3.0, MAIN_COLOR, number, hv, Attrs::new());
    }
    svg.close("g");
    Ok(svg.finish())
}
