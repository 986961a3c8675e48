//! One painter per plot kind; this routes and holds what painters share.

mod params;
mod trials;
mod values;

use ferrotune_analysis::plot::PlotData;
use ferrotune_core::StudyDirection;

use crate::scale::Scale;
use crate::svg::{Attrs, Svg};
use crate::{Error, RenderOptions};

/// The SVG document of `data`.
pub fn paint(data: &PlotData, options: &RenderOptions) -> Result<String, Error> {
    match data {
        PlotData::OptimizationHistory(d) => values::history(d, options),
        PlotData::Edf(d) => values::edf(d, options),
        PlotData::HypervolumeHistory(d) => values::hypervolume(d, options),
        PlotData::ParallelCoordinate(d) => params::parallel(d, options),
        PlotData::Slice(d) => params::slice(d, options),
        PlotData::Contour(d) => params::contour(d, options),
        PlotData::Rank(d) => params::rank(d, options),
        PlotData::ParamImportances(d) => params::importances(d, options),
        PlotData::IntermediateValues(d) => trials::intermediate(d, options),
        PlotData::ParetoFront(d) => trials::pareto(d, options),
        PlotData::Timeline(d) => trials::timeline(d, options),
    }
}

/// The plot's title: the options' or the kind's (Optuna's titles).
pub fn title(data: &PlotData, options: &RenderOptions) -> String {
    if let Some(title) = &options.title {
        return title.clone();
    }
    match data {
        PlotData::OptimizationHistory(_) => "Optimization History Plot".into(),
        PlotData::Edf(_) => "Empirical Distribution Function Plot".into(),
        PlotData::HypervolumeHistory(_) => "Hypervolume History Plot".into(),
        PlotData::ParallelCoordinate(_) => "Parallel Coordinate Plot".into(),
        PlotData::Slice(_) => "Slice Plot".into(),
        PlotData::Contour(_) => "Contour Plot".into(),
        PlotData::Rank(d) => format!("Rank ({})", d.target_name),
        PlotData::ParamImportances(_) => "Hyperparameter Importances".into(),
        PlotData::IntermediateValues(_) => "Intermediate Values Plot".into(),
        PlotData::ParetoFront(_) => "Pareto-front Plot".into(),
        PlotData::Timeline(_) => "Timeline Plot".into(),
    }
}

/// A scale for values, refusing a log scale over values that are not all
/// positive (the user asked for it: say so rather than draw something else).
pub fn value_scale(lo: f64, hi: f64, log: bool, range: (f64, f64), pad: f64) -> Result<Scale, Error> {
    if log && lo <= 0.0 {
        return Err(Error::LogAxis { min: lo });
    }
    Ok(Scale::numeric(lo, hi, log, false, range, pad))
}

/// The smallest and largest of some numbers (finite ones only).
pub fn extent(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values.into_iter().filter(|v| v.is_finite()).fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    })
}

/// Whether higher values are better (brighter on colour scales).
pub fn high_is_better(direction: Option<StudyDirection>) -> bool {
    direction == Some(StudyDirection::Maximize)
}

/// Whether `a` is better than `b` (lower without a direction).
pub fn better(direction: Option<StudyDirection>, a: f64, b: f64) -> bool {
    if high_is_better(direction) {
        a > b
    } else {
        a < b
    }
}

/// A trial's dot: `class="point"`, its number and value as data, a tooltip.
pub fn dot(svg: &mut Svg, (x, y): (f64, f64), radius: f64, fill: &str, number: u64, value: f64, extra: Attrs) {
    let tooltip = format!("Trial {number}: {}", crate::scale::value_label(value));
    svg.titled(
        "circle",
        extra
            .class("point")
            .u("data-number", number)
            .s("data-value", &format!("{value}"))
            .n("cx", x)
            .n("cy", y)
            .n("r", radius)
            .s("fill", fill),
        &tooltip,
    );
}
