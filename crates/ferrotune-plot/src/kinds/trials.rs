//! Kinds about trials as runs: learning curves, the Pareto front and the
//! timeline.

use ferrotune_analysis::plot::{IntermediateValues, ParetoFront, ParetoPoint, Timeline};
use ferrotune_core::{StudyDirection, TrialState};

use super::{extent, value_scale};
use crate::frame::{
    self, axes, begin, grid, legend, state_color, AxisTitles, Swatch, BEST_COLOR, INFEASIBLE_COLOR, MAIN_COLOR,
};
use crate::scale::{count, duration, value_label, Scale};
use crate::svg::{points, Attrs};
use crate::{Error, RenderOptions};

const TITLE_INTERMEDIATE: &str = "Intermediate Values Plot";
const TITLE_PARETO: &str = "Pareto-front Plot";
const TITLE_TIMELINE: &str = "Timeline Plot";

/// A state's name with a capital, for legends.
fn state_label(state: TrialState) -> String {
    let s = state.as_str();
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The states present, in a fixed order.
fn states_present(states: impl Iterator<Item = TrialState>) -> Vec<TrialState> {
    let present: Vec<TrialState> = states.collect();
    [TrialState::Complete, TrialState::Pruned, TrialState::Failed, TrialState::Running, TrialState::Waiting]
        .into_iter()
        .filter(|s| present.contains(s))
        .collect()
}

/// Learning curves: each trial's reported values by step, pruned and
/// complete ones in their own colours, the best trial's on top.
pub fn intermediate(data: &IntermediateValues, options: &RenderOptions) -> Result<String, Error> {
    let all = || data.curves.iter().flat_map(|c| &c.points);
    let (Some((s0, s1)), Some((v0, v1))) = (extent(all().map(|p| p.0 as f64)), extent(all().map(|p| p.1))) else {
        return Ok(frame::empty(options, TITLE_INTERMEDIATE, "no trial reported intermediate values"));
    };
    let (mut svg, area) =
        begin(options, TITLE_INTERMEDIATE, &[frame::showing(data.curves.len(), data.n_total, "trials")]);
    let plot = area.inset(64.0, 6.0, 140.0, 40.0);
    let xs = Scale::numeric(s0, s1, false, true, plot.xs(), 0.02);
    let ys = value_scale(v0, v1, options.log_value_axis, plot.ys(), 0.05)?;
    axes(&mut svg, plot, &xs, &ys, AxisTitles::new(Some("Step"), Some("Intermediate Value")));
    let opacity = if data.curves.len() > 300 { 0.4 } else { 0.8 };
    let curve_points =
        |c: &ferrotune_analysis::plot::Curve| points(c.points.iter().map(|&(s, v)| (xs.map(s as f64), ys.map(v))));
    svg.open("g", Attrs::new().class("curves").s("fill", "none").n("stroke-opacity", opacity).n("stroke-width", 1.2));
    // Complete curves under pruned ones under the rest, so the few stand out.
    let mut order: Vec<&ferrotune_analysis::plot::Curve> = data.curves.iter().collect();
    order.sort_by_key(|c| (c.state != TrialState::Complete, c.state != TrialState::Pruned, c.number));
    for curve in order {
        let color = state_color(curve.state.as_str());
        let last = curve.points.last().map_or(String::new(), |p| format!(": step {} value {}", p.0, value_label(p.1)));
        svg.titled(
            "polyline",
            Attrs::new()
                .class("curve")
                .u("data-number", curve.number)
                .s("data-state", curve.state.as_str())
                .u("data-points", curve.points.len() as u64)
                .s("points", &curve_points(curve))
                .s("stroke", color),
            &format!("Trial {} ({}){last}", curve.number, curve.state.as_str()),
        );
        // A curve of one report has no length to draw: a dot at its end.
        if let Some(&(step, value)) = curve.points.last() {
            svg.leaf(
                "circle",
                Attrs::new()
                    .class("end")
                    .n("cx", xs.map(step as f64))
                    .n("cy", ys.map(value))
                    .n("r", 1.8)
                    .s("fill", color)
                    .s("stroke", "none"),
            );
        }
    }
    svg.close("g");
    let best = data.curves.iter().find(|c| Some(c.number) == data.best_trial);
    if let Some(best) = best {
        svg.titled(
            "polyline",
            Attrs::new()
                .class("best")
                .u("data-number", best.number)
                .s("points", &curve_points(best))
                .s("fill", "none")
                .s("stroke", "#000")
                .n("stroke-width", 2.5),
            &format!("Best trial {}", best.number),
        );
    }
    let mut entries: Vec<(String, &str, Swatch)> = states_present(data.curves.iter().map(|c| c.state))
        .into_iter()
        .map(|s| (state_label(s), state_color(s.as_str()), Swatch::Line))
        .collect();
    if best.is_some() {
        entries.push(("Best Trial".to_owned(), "#000", Swatch::Line));
    }
    legend(&mut svg, plot.right() + 14.0, plot.y, &entries);
    Ok(svg.finish())
}

/// Trials in objective space, the front marked; three objectives as three
/// pairwise panels.
pub fn pareto(data: &ParetoFront, options: &RenderOptions) -> Result<String, Error> {
    let dims = data.objectives.len();
    if data.points.is_empty() || dims < 2 {
        return Ok(frame::empty(options, TITLE_PARETO, "no complete trials"));
    }
    let subtitle =
        format!("{} on the front; {}", count(data.n_front), frame::showing(data.points.len(), data.n_total, "trials"));
    let (mut svg, area) = begin(options, TITLE_PARETO, &[subtitle]);
    let pairs: Vec<(usize, usize)> = if dims == 2 { vec![(0, 1)] } else { vec![(0, 1), (0, 2), (1, 2)] };
    let panels_area = area.inset(0.0, 0.0, 150.0, 0.0);
    let rects = grid(panels_area, pairs.len(), pairs.len(), 16.0);
    let name = |k: usize| {
        data.objective_names
            .get(k)
            .cloned()
            .unwrap_or_else(|| format!("Objective {}", data.objectives.get(k).copied().unwrap_or(k)))
    };
    // Dominated first, the front on top.
    let mut order: Vec<&ParetoPoint> = data.points.iter().collect();
    order.sort_by_key(|p| (p.on_front && p.feasible, p.number));
    let any_infeasible = data.points.iter().any(|p| !p.feasible);
    for (&(a, b), rect) in pairs.iter().zip(&rects) {
        let value = |p: &ParetoPoint, k: usize| p.values.get(k).copied().unwrap_or(f64::NAN);
        let (Some((x0, x1)), Some((y0, y1))) =
            (extent(data.points.iter().map(|p| value(p, a))), extent(data.points.iter().map(|p| value(p, b))))
        else {
            continue;
        };
        let plot = rect.inset(70.0, 6.0, 8.0, 40.0);
        let xs = Scale::numeric(x0, x1, false, false, plot.xs(), 0.05);
        let ys = Scale::numeric(y0, y1, false, false, plot.ys(), 0.05);
        let (xname, yname) = (name(a), name(b));
        axes(&mut svg, plot, &xs, &ys, AxisTitles::new(Some(&xname), Some(&yname)));
        if dims == 2 {
            front_line(&mut svg, data, &xs, &ys);
        }
        svg.open(
            "g",
            Attrs::new()
                .class("panel")
                .s("data-x", &xname)
                .s("data-y", &yname)
                .s("stroke", "white")
                .n("stroke-width", 0.5),
        );
        for p in &order {
            let (x, y) = (value(p, a), value(p, b));
            if !(x.is_finite() && y.is_finite()) {
                continue;
            }
            let on_front = p.on_front && p.feasible;
            let fill = if !p.feasible {
                INFEASIBLE_COLOR
            } else if on_front {
                BEST_COLOR
            } else {
                MAIN_COLOR
            };
            let values: Vec<String> = p.values.iter().map(|v| value_label(*v)).collect();
            svg.titled(
                "circle",
                Attrs::new()
                    .class("point")
                    .u("data-number", p.number)
                    .s("data-front", if on_front { "true" } else { "false" })
                    .s("data-feasible", if p.feasible { "true" } else { "false" })
                    .n("cx", xs.map(x))
                    .n("cy", ys.map(y))
                    .n("r", if on_front { 4.5 } else { 3.5 })
                    .s("fill", fill)
                    .n("fill-opacity", if on_front { 1.0 } else { 0.6 }),
                &format!("Trial {}: ({})", p.number, values.join(", ")),
            );
        }
        svg.close("g");
    }
    let mut entries = vec![
        ("Trial".to_owned(), MAIN_COLOR, Swatch::Point),
        ("Best Trial (front)".to_owned(), BEST_COLOR, Swatch::Point),
    ];
    if any_infeasible {
        entries.push(("Infeasible Trial".to_owned(), INFEASIBLE_COLOR, Swatch::Point));
    }
    let directions: Vec<String> = (0..dims)
        .map(|k| {
            let d = data.directions.get(k).map_or("", |d| if *d == StudyDirection::Maximize { "max" } else { "min" });
            format!("{} ({d})", name(k))
        })
        .collect();
    let legend_x = area.right() - 150.0 + 12.0;
    legend(&mut svg, legend_x, area.y + 6.0, &entries);
    for (k, line) in directions.iter().enumerate() {
        svg.text(legend_x, area.y + 80.0 + k as f64 * 16.0, &frame::fit(line, 140.0), Attrs::new().class("direction"));
    }
    Ok(svg.finish())
}

/// The two-objective front as a staircase through its points: the edge
/// of what the front dominates, so its corners point away from the
/// dominated trials whichever way each objective goes.
fn front_line(svg: &mut crate::svg::Svg, data: &ParetoFront, xs: &Scale, ys: &Scale) {
    let mut front: Vec<(f64, f64)> = data
        .points
        .iter()
        .filter(|p| p.on_front && p.feasible)
        .filter_map(|p| Some((*p.values.first()?, *p.values.get(1)?)))
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect();
    if front.len() < 2 {
        return;
    }
    front.sort_by(|a, b| a.0.total_cmp(&b.0));
    let x_minimized = data.directions.first() != Some(&StudyDirection::Maximize);
    let mut line = Vec::with_capacity(front.len() * 2);
    for (k, &(x, y)) in front.iter().enumerate() {
        if let Some(&(previous_x, previous_y)) = k.checked_sub(1).and_then(|j| front.get(j)) {
            // Minimizing x, a point's reach runs right until the next
            // point; maximizing it, left from the point.
            let corner = if x_minimized { (x, previous_y) } else { (previous_x, y) };
            line.push((xs.map(corner.0), ys.map(corner.1)));
        }
        line.push((xs.map(x), ys.map(y)));
    }
    svg.leaf(
        "polyline",
        Attrs::new()
            .class("front")
            .s("points", &points(line))
            .s("fill", "none")
            .s("stroke", BEST_COLOR)
            .n("stroke-opacity", 0.5)
            .n("stroke-width", 1.2),
    );
}

/// Each trial's run as a bar from start to end, coloured by state, with
/// what the study cost.
pub fn timeline(data: &Timeline, options: &RenderOptions) -> Result<String, Error> {
    let Some((start, end)) = data.span_us.filter(|_| !data.bars.is_empty()) else {
        return Ok(frame::empty(options, TITLE_TIMELINE, "no trial has started"));
    };
    let cost = &data.cost;
    let mut by_state: Vec<String> =
        cost.compute_secs_by_state.iter().map(|(state, secs)| format!("{state} {}", duration(*secs))).collect();
    by_state.sort();
    let mut cost_line = format!("compute {}", duration(cost.compute_secs));
    if !by_state.is_empty() {
        cost_line.push_str(&format!(" ({})", by_state.join(", ")));
    }
    if let Some(saved) = cost.pruning_saved_secs {
        cost_line.push_str(&format!("; pruning saved about {}", duration(saved)));
        if let Some(steps) = cost.pruning_saved_steps {
            cost_line.push_str(&format!(" ({} steps)", count(steps.round().max(0.0) as usize)));
        }
    }
    let (mut svg, area) =
        begin(options, TITLE_TIMELINE, &[frame::showing(data.n_rows, data.n_total, "trials"), cost_line]);
    let plot = area.inset(64.0, 6.0, 120.0, 40.0);
    let span_secs = ((end - start) as f64 / 1e6).max(1e-6);
    let (unit, divisor) = if span_secs < 120.0 {
        ("s", 1.0)
    } else if span_secs < 7200.0 {
        ("min", 60.0)
    } else {
        ("h", 3600.0)
    };
    let xs = Scale::numeric(0.0, span_secs / divisor, false, false, plot.xs(), 0.01);
    // Rows top to bottom, labelled by their first trial's number.
    let mut labels = vec![String::new(); data.n_rows.max(1)];
    for bar in data.bars.iter().rev() {
        if let Some(label) = labels.get_mut(bar.row) {
            *label = bar.numbers.0.to_string();
        }
    }
    let ys = Scale::band(labels, (plot.y, plot.bottom()));
    let x_title = format!("Time since the first trial started ({unit})");
    axes(&mut svg, plot, &xs, &ys, AxisTitles::new(Some(&x_title), Some("Trial")));
    let band = plot.h / data.n_rows.max(1) as f64;
    let bar_h = (band * 0.8).max(0.5);
    let x_of = |us: i64| xs.map((us - start) as f64 / 1e6 / divisor);
    svg.open("g", Attrs::new().class("bars").s("shape-rendering", "crispEdges"));
    for bar in &data.bars {
        let (x0, x1) = (x_of(bar.start_us), x_of(bar.end_us.max(bar.start_us)));
        let secs = (bar.end_us - bar.start_us) as f64 / 1e6;
        let who = if bar.numbers.0 == bar.numbers.1 {
            format!("Trial {}", bar.numbers.0)
        } else {
            format!("Trials {} to {}", bar.numbers.0, bar.numbers.1)
        };
        svg.titled(
            "rect",
            Attrs::new()
                .class("bar")
                .u("data-number", bar.numbers.0)
                .u("data-last", bar.numbers.1)
                .s("data-state", bar.state.as_str())
                .n("x", x0)
                .n("y", ys.map(bar.row as f64) - bar_h / 2.0)
                .n("width", (x1 - x0).max(1.0))
                .n("height", bar_h)
                .s("fill", state_color(bar.state.as_str())),
            &format!("{who} ({}): {}", bar.state.as_str(), duration(secs)),
        );
    }
    svg.close("g");
    let entries: Vec<(String, &str, Swatch)> = states_present(data.bars.iter().map(|b| b.state))
        .into_iter()
        .map(|s| (state_label(s), state_color(s.as_str()), Swatch::Block))
        .collect();
    legend(&mut svg, plot.right() + 14.0, plot.y, &entries);
    Ok(svg.finish())
}
