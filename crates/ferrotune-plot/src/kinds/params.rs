//! Kinds over the parameters: parallel coordinates, slice, contour, rank
//! and the importances.

use ferrotune_analysis::plot::{
    Contour, ContourPanel, ImportanceEvaluator, Importances, ParallelCoordinate, Rank, Slice,
};

use super::{better, dot, extent, high_is_better, value_scale};
use crate::frame::{self, axes, begin, best_ring, color_bar, fit, grid, AxisTitles, Rect, BEST_COLOR, MAIN_COLOR};
use crate::scale::{value_label, ColorScale, Scale};
use crate::svg::{points, Attrs, Svg};
use crate::{Error, RenderOptions};

const TITLE_PARALLEL: &str = "Parallel Coordinate Plot";
const TITLE_SLICE: &str = "Slice Plot";
const TITLE_CONTOUR: &str = "Contour Plot";
const TITLE_IMPORTANCES: &str = "Hyperparameter Importances";

/// Room at the right for a colour bar and its labels.
const BAR_ROOM: f64 = 100.0;

/// The colour bar in the room `BAR_ROOM` leaves right of `area`.
fn side_bar(svg: &mut Svg, area: Rect, colors: &ColorScale, title: &str, ends: Option<(&str, &str)>) {
    let rect = Rect { x: area.right() - BAR_ROOM + 30.0, y: area.y + 10.0, w: 14.0, h: (area.h - 50.0).max(20.0) };
    color_bar(svg, rect, colors, title, ends);
}

/// A colour scale over values, refusing log over values not all positive.
fn value_colors(
    (lo, hi): (f64, f64),
    log: bool,
    direction: Option<ferrotune_core::StudyDirection>,
) -> Result<ColorScale, Error> {
    if log && lo <= 0.0 {
        return Err(Error::LogAxis { min: lo });
    }
    Ok(ColorScale::new(lo, hi, log, high_is_better(direction)))
}

/// One line per trial across the value's axis and each parameter's.
pub fn parallel(data: &ParallelCoordinate, options: &RenderOptions) -> Result<String, Error> {
    if data.lines.is_empty() {
        return Ok(frame::empty(options, TITLE_PARALLEL, "no complete trials"));
    }
    let log = options.log_value_axis;
    let (mut svg, area) = begin(options, TITLE_PARALLEL, &[frame::showing(data.lines.len(), data.n_total, "trials")]);
    let plot = area.inset(60.0, 24.0, BAR_ROOM + 30.0, 20.0);
    let n_axes = data.axes.len() + 1;
    let x_at = |i: usize| {
        if n_axes == 1 {
            plot.x + plot.w / 2.0
        } else {
            plot.x + plot.w * i as f64 / (n_axes - 1) as f64
        }
    };
    let value_axis = value_scale(data.value_range.0, data.value_range.1, log, plot.ys(), 0.0)?;
    let scales: Vec<Scale> = data.axes.iter().map(|a| Scale::for_axis(a, plot.ys(), 0.0)).collect();
    let colors = value_colors(data.value_range, log, data.direction)?;
    let line_points = |line: &ferrotune_analysis::plot::Line| {
        let mut pts = vec![(x_at(0), value_axis.map(line.value))];
        pts.extend(scales.iter().zip(&line.coords).enumerate().map(|(i, (s, c))| (x_at(i + 1), s.map(*c))));
        pts
    };
    let opacity = if data.lines.len() > 500 { 0.35 } else { 0.7 };
    svg.open("g", Attrs::new().class("lines").s("fill", "none").n("stroke-width", 1.0).n("stroke-opacity", opacity));
    for line in &data.lines {
        svg.titled(
            "polyline",
            Attrs::new()
                .class("line")
                .u("data-number", line.number)
                .s("data-value", &format!("{}", line.value))
                .s("points", &points(line_points(line)))
                .s("stroke", &colors.color(line.value)),
            &format!("Trial {}: {}", line.number, value_label(line.value)),
        );
    }
    svg.close("g");
    let best = data.lines.iter().reduce(|a, b| if better(data.direction, b.value, a.value) { b } else { a });
    if let Some(best) = best {
        svg.titled(
            "polyline",
            Attrs::new()
                .class("best")
                .u("data-number", best.number)
                .s("points", &points(line_points(best)))
                .s("fill", "none")
                .s("stroke", BEST_COLOR)
                .n("stroke-width", 2.5),
            &format!("Best trial {}: {}", best.number, value_label(best.value)),
        );
    }
    let spacing = if n_axes > 1 { plot.w / (n_axes - 1) as f64 } else { plot.w };
    let draw_axis = |svg: &mut Svg, i: usize, name: &str, scale: &Scale| {
        let x = x_at(i);
        svg.open("g", Attrs::new().class("axis"));
        svg.line((x, plot.y), (x, plot.bottom()), "#444", Attrs::new());
        for (v, label) in scale.ticks(40.0) {
            let y = scale.map(v);
            svg.line((x - 3.0, y), (x, y), "#444", Attrs::new());
            svg.text(
                x - 5.0,
                y + 4.0,
                &fit(&label, (spacing - 10.0).clamp(30.0, 80.0)),
                Attrs::new()
                    .class("tick")
                    .s("text-anchor", "end")
                    .s("data-value", &label)
                    .s("stroke", "white")
                    .n("stroke-width", 3.0)
                    .s("paint-order", "stroke"),
            );
        }
        svg.text(
            x,
            plot.y - 10.0,
            &fit(name, spacing.max(40.0)),
            Attrs::new()
                .class("axis-title")
                .s("text-anchor", "middle")
                .n("font-size", 12.0)
                .s("stroke", "white")
                .n("stroke-width", 3.0)
                .s("paint-order", "stroke"),
        );
        svg.close("g");
    };
    draw_axis(&mut svg, 0, &data.target_name, &value_axis);
    for (i, (axis, scale)) in data.axes.iter().zip(&scales).enumerate() {
        draw_axis(&mut svg, i + 1, axis.name(), scale);
    }
    side_bar(&mut svg, area, &colors, &data.target_name, None);
    Ok(svg.finish())
}

/// The value against each parameter, a panel each, coloured by trial number.
pub fn slice(data: &Slice, options: &RenderOptions) -> Result<String, Error> {
    let all = || data.panels.iter().flat_map(|p| &p.points);
    let (Some((n0, n1)), Some((v0, v1))) = (extent(all().map(|p| p.number as f64)), extent(all().map(|p| p.value)))
    else {
        return Ok(frame::empty(options, TITLE_SLICE, "no complete trials"));
    };
    let shown = data.panels.iter().map(|p| p.points.len()).max().unwrap_or(0);
    let total = data.panels.iter().map(|p| p.n_total).max().unwrap_or(0);
    let (mut svg, area) = begin(options, TITLE_SLICE, &[frame::showing(shown, total, "trials")]);
    let colors = ColorScale::new(n0, n1, false, true);
    let panels_area = area.inset(0.0, 0.0, BAR_ROOM, 0.0);
    let cols = data.panels.len().min(if options.width >= 1200 { 5 } else { 4 });
    let rects = grid(panels_area, data.panels.len(), cols, 12.0);
    for (i, (panel, rect)) in data.panels.iter().zip(&rects).enumerate() {
        let first_column = i % cols.max(1) == 0;
        let plot = rect.inset(if first_column { 64.0 } else { 48.0 }, 4.0, 8.0, 40.0);
        let xs = Scale::for_axis(&panel.axis, plot.xs(), 0.05);
        let ys = value_scale(v0, v1, options.log_value_axis, plot.ys(), 0.05)?;
        let y_title = first_column.then_some(data.target_name.as_str());
        axes(
            &mut svg,
            plot,
            &xs,
            &ys,
            AxisTitles { y_tick_width: 40.0, ..AxisTitles::new(Some(panel.axis.name()), y_title) },
        );
        svg.open(
            "g",
            Attrs::new().class("panel").s("data-param", panel.axis.name()).s("stroke", "white").n("stroke-width", 0.5),
        );
        for p in &panel.points {
            dot(
                &mut svg,
                (xs.map(p.x), ys.map(p.value)),
                3.5,
                &colors.color(p.number as f64),
                p.number,
                p.value,
                Attrs::new(),
            );
        }
        svg.close("g");
        if let Some(best) = panel.points.iter().find(|p| Some(p.number) == data.best_trial) {
            best_ring(
                &mut svg,
                (xs.map(best.x), ys.map(best.value)),
                best.number,
                &format!("Best trial {}: {}", best.number, value_label(best.value)),
            );
        }
    }
    side_bar(&mut svg, area, &colors, "Trial", Some((&n0.to_string(), &n1.to_string())));
    Ok(svg.finish())
}

/// Panels for pairs of `n` parameters: one filling the area for two,
/// else the lower triangle of an (n-1)×(n-1) grid: the pair (i, j), i < j,
/// at column i and row j - 1, so the bottom row's x axes and the left
/// column's y axes name every parameter.
struct Matrix {
    n: usize,
    cells: Vec<Rect>,
}

impl Matrix {
    fn new(area: Rect, n: usize) -> Matrix {
        if n <= 2 {
            return Matrix { n, cells: vec![area] };
        }
        Matrix { n, cells: grid(area, (n - 1) * (n - 1), n - 1, 4.0) }
    }

    /// The panel of x = parameter `i`, y = parameter `j` (i < j), and
    /// whether it is in the left column and the bottom row (where axis
    /// titles go).
    fn panel(&self, i: usize, j: usize) -> Option<(Rect, bool, bool)> {
        if self.n <= 2 {
            return self.cells.first().map(|r| (*r, true, true));
        }
        let (col, row) = (i.min(j), i.max(j).checked_sub(1)?);
        self.cells.get(row * (self.n - 1) + col).map(|r| (*r, col == 0, row == self.n - 2))
    }

    /// The plot inside a panel, less room for ticks and titles.
    fn plot(&self, panel: Rect) -> Rect {
        if self.n <= 2 {
            panel.inset(76.0, 6.0, 10.0, 40.0)
        } else {
            panel.inset(66.0, 4.0, 4.0, 36.0)
        }
    }
}

/// The value over pairs of parameters: filled cells and the trials.
pub fn contour(data: &Contour, options: &RenderOptions) -> Result<String, Error> {
    if data.panels.iter().all(|p| p.points.is_empty() && p.z.iter().all(Option::is_none)) {
        return Ok(frame::empty(options, TITLE_CONTOUR, "no complete trials with two of the parameters"));
    }
    let shown: usize = data.panels.iter().map(|p| p.points.len()).max().unwrap_or(0);
    let total: usize = data.panels.iter().map(|p| p.n_total).max().unwrap_or(0);
    let (mut svg, area) = begin(options, TITLE_CONTOUR, &[frame::showing(shown, total, "trials")]);
    let colors = value_colors(data.value_range, options.log_value_axis, data.direction)?;
    let matrix = Matrix::new(area.inset(0.0, 0.0, BAR_ROOM, 0.0), data.params.len());
    let index = |name: &str| data.params.iter().position(|p| p == name);
    for panel in &data.panels {
        let (i, j) = (index(panel.x.name()).unwrap_or(0), index(panel.y.name()).unwrap_or(1));
        let Some((rect, left, bottom)) = matrix.panel(i, j) else { continue };
        contour_panel(&mut svg, panel, matrix.plot(rect), (left, bottom), &colors, &data.target_name);
    }
    side_bar(&mut svg, area, &colors, &data.target_name, None);
    Ok(svg.finish())
}

/// The pixel edges of cells centred at `centres` (already pixels): halfway
/// between neighbours, half a step beyond the ends, within `bounds`.
fn edges(centres: &[f64], bounds: (f64, f64)) -> Vec<f64> {
    let (lo, hi) = (bounds.0.min(bounds.1), bounds.0.max(bounds.1));
    let n = centres.len();
    let mut out = Vec::with_capacity(n + 1);
    for k in 0..=n {
        let e = match (k.checked_sub(1).and_then(|p| centres.get(p)), centres.get(k)) {
            (Some(a), Some(b)) => (a + b) / 2.0,
            (None, Some(b)) => b - centres.get(1).map_or(0.0, |c| (c - b) / 2.0),
            (Some(a), None) => a + k.checked_sub(2).and_then(|p| centres.get(p)).map_or(0.0, |c| (a - c) / 2.0),
            (None, None) => lo,
        };
        out.push(e.clamp(lo, hi));
    }
    out
}

fn contour_panel(
    svg: &mut Svg,
    panel: &ContourPanel,
    plot: Rect,
    (left, bottom): (bool, bool),
    colors: &ColorScale,
    value_name: &str,
) {
    let xs = Scale::for_axis(&panel.x, plot.xs(), 0.0);
    let ys = Scale::for_axis(&panel.y, plot.ys(), 0.0);
    let x_edges = edges(&panel.grid_x.iter().map(|v| xs.map(*v)).collect::<Vec<_>>(), plot.xs());
    let y_edges = edges(&panel.grid_y.iter().map(|v| ys.map(*v)).collect::<Vec<_>>(), plot.ys());
    let nx = panel.grid_x.len();
    svg.open(
        "g",
        Attrs::new()
            .class("panel")
            .s("data-x", panel.x.name())
            .s("data-y", panel.y.name())
            .s("shape-rendering", "crispEdges"),
    );
    for (k, z) in panel.z.iter().enumerate() {
        let Some(z) = z else { continue };
        let (col, row) = (k % nx.max(1), k / nx.max(1));
        let (Some(x0), Some(x1), Some(y0), Some(y1)) =
            (x_edges.get(col), x_edges.get(col + 1), y_edges.get(row), y_edges.get(row + 1))
        else {
            continue;
        };
        svg.leaf(
            "rect",
            Attrs::new()
                .class("cell")
                .s("data-value", &format!("{z}"))
                .n("x", x0.min(*x1))
                .n("y", y0.min(*y1))
                .n("width", (x1 - x0).abs())
                .n("height", (y1 - y0).abs())
                .s("fill", &colors.color(*z)),
        );
    }
    svg.close("g");
    let titles = AxisTitles {
        grid: false,
        y_tick_width: 40.0,
        ..AxisTitles::new(bottom.then_some(panel.x.name()), left.then_some(panel.y.name()))
    };
    axes(svg, plot, &xs, &ys, titles);
    svg.open("g", Attrs::new().class("points").s("stroke", "white").n("stroke-width", 0.6));
    for p in &panel.points {
        dot(svg, (xs.map(p.x), ys.map(p.y)), 2.5, "#222", p.number, p.value, Attrs::new());
    }
    svg.close("g");
    if let Some(best) = panel.best {
        best_ring(
            svg,
            (xs.map(best.x), ys.map(best.y)),
            best.number,
            &format!("Best trial {}: {value_name} {}", best.number, value_label(best.value)),
        );
    }
}

/// Each pair of parameters, trials coloured by the rank of their value.
pub fn rank(data: &Rank, options: &RenderOptions) -> Result<String, Error> {
    let title = format!("Rank ({})", data.target_name);
    if data.points.is_empty() || data.axes.is_empty() {
        return Ok(frame::empty(options, &title, "no complete trials"));
    }
    let (mut svg, area) = begin(options, &title, &[frame::showing(data.points.len(), data.n_total, "trials")]);
    let colors = ColorScale::new(0.0, 1.0, false, false);
    let best = data.points.iter().reduce(|a, b| if b.rank < a.rank { b } else { a });
    let panels_area = area.inset(0.0, 0.0, BAR_ROOM, 0.0);
    let draw = |svg: &mut Svg,
                xs: &Scale,
                ys: &Scale,
                coord: &dyn Fn(&ferrotune_analysis::plot::RankPoint) -> Option<(f64, f64)>| {
        svg.open("g", Attrs::new().class("panel").s("stroke", "white").n("stroke-width", 0.5));
        for p in &data.points {
            let Some((x, y)) = coord(p) else { continue };
            dot(
                svg,
                (xs.map(x), ys.map(y)),
                3.0,
                &colors.color(p.rank),
                p.number,
                p.value,
                Attrs::new().s("data-rank", &format!("{:.4}", p.rank)),
            );
        }
        svg.close("g");
        if let Some(b) = best {
            if let Some((x, y)) = coord(b) {
                best_ring(
                    svg,
                    (xs.map(x), ys.map(y)),
                    b.number,
                    &format!("Best trial {}: {}", b.number, value_label(b.value)),
                );
            }
        }
    };
    let finite = |x: f64, y: f64| (x.is_finite() && y.is_finite()).then_some((x, y));
    if let [axis] = data.axes.as_slice() {
        let Some((v0, v1)) = extent(data.points.iter().map(|p| p.value)) else {
            return Ok(frame::empty(options, &title, "no complete trials"));
        };
        let plot = panels_area.inset(70.0, 6.0, 10.0, 40.0);
        let xs = Scale::for_axis(axis, plot.xs(), 0.05);
        let ys = value_scale(v0, v1, options.log_value_axis, plot.ys(), 0.05)?;
        axes(&mut svg, plot, &xs, &ys, AxisTitles::new(Some(axis.name()), Some(&data.target_name)));
        draw(&mut svg, &xs, &ys, &|p| finite(p.coords.first().copied().unwrap_or(f64::NAN), p.value));
    } else {
        let matrix = Matrix::new(panels_area, data.axes.len());
        for i in 0..data.axes.len() {
            for j in (i + 1)..data.axes.len() {
                let (Some(ax), Some(ay)) = (data.axes.get(i), data.axes.get(j)) else { continue };
                let Some((rect, left, bottom)) = matrix.panel(i, j) else { continue };
                let plot = matrix.plot(rect);
                let xs = Scale::for_axis(ax, plot.xs(), 0.05);
                let ys = Scale::for_axis(ay, plot.ys(), 0.05);
                let titles = AxisTitles {
                    y_tick_width: 40.0,
                    ..AxisTitles::new(bottom.then_some(ax.name()), left.then_some(ay.name()))
                };
                axes(&mut svg, plot, &xs, &ys, titles);
                draw(&mut svg, &xs, &ys, &|p| {
                    finite(p.coords.get(i).copied().unwrap_or(f64::NAN), p.coords.get(j).copied().unwrap_or(f64::NAN))
                });
            }
        }
    }
    side_bar(&mut svg, area, &colors, "Rank", Some(("best", "worst")));
    Ok(svg.finish())
}

/// The evaluator's name as Optuna's classes say it.
fn evaluator_name(evaluator: ImportanceEvaluator) -> &'static str {
    match evaluator {
        ImportanceEvaluator::PedAnova => "PED-ANOVA",
        ImportanceEvaluator::Fanova => "fANOVA",
        ImportanceEvaluator::MeanDecreaseImpurity => "Mean Decrease Impurity",
    }
}

/// Importance bars, highest at the top; a panel per value judged.
pub fn importances(data: &Importances, options: &RenderOptions) -> Result<String, Error> {
    if data.sets.iter().all(|s| s.importances.is_empty()) {
        return Ok(frame::empty(options, TITLE_IMPORTANCES, "no parameter importances (too few complete trials)"));
    }
    let subtitle = format!("evaluator: {}", evaluator_name(data.evaluator));
    let (mut svg, area) = begin(options, TITLE_IMPORTANCES, &[subtitle]);
    let several = data.sets.len() > 1;
    let rects = grid(area, data.sets.len(), 1, 16.0);
    for (set, rect) in data.sets.iter().zip(&rects) {
        let names: Vec<String> = set.importances.iter().map(|(name, _)| name.clone()).collect();
        let longest = names.iter().map(|n| n.chars().count()).max().unwrap_or(4) as f64;
        let name_px = (longest * 6.5).clamp(40.0, (rect.w * 0.35).max(40.0));
        let plot = rect.inset(name_px + 14.0, if several { 20.0 } else { 4.0 }, 60.0, 40.0);
        if several {
            svg.text(plot.x, rect.y + 12.0, &set.target_name, Attrs::new().class("set-title").n("font-size", 12.0));
        }
        let max = set.importances.iter().map(|(_, v)| *v).fold(0.0f64, f64::max).max(1e-12);
        let xs = Scale::numeric(0.0, max * 1.05, false, false, plot.xs(), 0.0);
        let ys = Scale::band(names.clone(), (plot.y, plot.bottom()));
        let titles = AxisTitles { y_tick_width: name_px, ..AxisTitles::new(Some("Hyperparameter Importance"), None) };
        axes(&mut svg, plot, &xs, &ys, titles);
        let band = plot.h / names.len().max(1) as f64;
        svg.open("g", Attrs::new().class("bars").s("data-target", &set.target_name));
        for (k, (name, importance)) in set.importances.iter().enumerate() {
            let y = ys.map(k as f64) - band * 0.35;
            let w = (xs.map(*importance) - plot.x).max(0.0);
            let label =
                if *importance > 0.0 && *importance < 0.01 { "<0.01".to_owned() } else { format!("{importance:.2}") };
            svg.titled(
                "rect",
                Attrs::new()
                    .class("bar")
                    .s("data-param", name)
                    .s("data-importance", &format!("{importance}"))
                    .n("x", plot.x)
                    .n("y", y)
                    .n("width", w)
                    .n("height", band * 0.7)
                    .s("fill", MAIN_COLOR),
                &format!("{name}: {label}"),
            );
            svg.text(plot.x + w + 4.0, y + band * 0.35 + 4.0, &label, Attrs::new().class("bar-label"));
        }
        svg.close("g");
    }
    Ok(svg.finish())
}
