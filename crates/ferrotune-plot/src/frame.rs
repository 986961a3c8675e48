//! What every plot kind draws around its marks: the title, the panels'
//! layout, axes with ticks, legends and the colour bar.

use crate::scale::{count, ColorScale, Scale};
use crate::svg::{Attrs, Svg};
use crate::RenderOptions;

/// A rectangle in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    /// Left.
    pub x: f64,
    /// Top.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

impl Rect {
    /// The right edge.
    pub fn right(&self) -> f64 {
        self.x + self.w
    }

    /// The bottom edge.
    pub fn bottom(&self) -> f64 {
        self.y + self.h
    }

    /// The rectangle less margins (never narrower than a few pixels).
    pub fn inset(&self, left: f64, top: f64, right: f64, bottom: f64) -> Rect {
        Rect {
            x: self.x + left,
            y: self.y + top,
            w: (self.w - left - right).max(4.0),
            h: (self.h - top - bottom).max(4.0),
        }
    }

    /// The horizontal pixel range, for an x scale.
    pub fn xs(&self) -> (f64, f64) {
        (self.x, self.right())
    }

    /// The vertical pixel range bottom to top, for a y scale.
    pub fn ys(&self) -> (f64, f64) {
        (self.bottom(), self.y)
    }
}

/// Colours of trial states, as in Optuna's timeline.
pub fn state_color(state: &str) -> &'static str {
    match state {
        "complete" => "#1f77b4",
        "pruned" => "#ff7f0e",
        "failed" => "#d62728",
        "running" => "#2ca02c",
        _ => "#7f7f7f",
    }
}

/// The colour of the best trial's marker.
pub const BEST_COLOR: &str = "#e8000b";
/// The colour of ordinary points and lines.
pub const MAIN_COLOR: &str = "#1f77b4";
/// The colour of infeasible trials.
pub const INFEASIBLE_COLOR: &str = "#b0b0b0";

/// Start a document: the title (the options' or the kind's) and lines of
/// subtitle under it; returns the area left for the plot.
pub fn begin(options: &RenderOptions, title: &str, subtitles: &[String]) -> (Svg, Rect) {
    let (w, h) = (options.width as f64, options.height as f64);
    let mut svg = Svg::new(w, h);
    let title = options.title.as_deref().unwrap_or(title);
    svg.text(w / 2.0, 24.0, title, Attrs::new().class("title").s("text-anchor", "middle").n("font-size", 16.0));
    let mut y = 24.0;
    for line in subtitles {
        y += 16.0;
        svg.text(w / 2.0, y, line, Attrs::new().class("subtitle").s("text-anchor", "middle").s("fill", "#555"));
    }
    let top = y + 14.0;
    (svg, Rect { x: 8.0, y: top, w: (w - 16.0).max(8.0), h: (h - top - 8.0).max(8.0) })
}

/// A whole document saying there is nothing to draw.
pub fn empty(options: &RenderOptions, title: &str, message: &str) -> String {
    let (mut svg, area) = begin(options, title, &[]);
    svg.text(
        area.x + area.w / 2.0,
        area.y + area.h / 2.0,
        message,
        Attrs::new().class("empty").s("text-anchor", "middle").n("font-size", 14.0).s("fill", "#555"),
    );
    svg.finish()
}

/// "showing 2,000 of 100,000 trials" when thinned, "12 trials" otherwise.
pub fn showing(shown: usize, total: usize, noun: &str) -> String {
    if shown < total {
        format!("showing {} of {} {noun}", count(shown), count(total))
    } else {
        format!("{} {noun}", count(total))
    }
}

/// `n` panels in `cols` columns over `area`, row by row, with gaps.
pub fn grid(area: Rect, n: usize, cols: usize, gap: f64) -> Vec<Rect> {
    let cols = cols.clamp(1, n.max(1));
    let rows = n.div_ceil(cols).max(1);
    let w = (area.w - gap * (cols - 1) as f64) / cols as f64;
    let h = (area.h - gap * (rows - 1) as f64) / rows as f64;
    (0..n)
        .map(|i| Rect { x: area.x + (i % cols) as f64 * (w + gap), y: area.y + (i / cols) as f64 * (h + gap), w, h })
        .collect()
}

/// Text cut to about `max_px` pixels at 11 px (an ellipsis marks the cut).
pub fn fit(text: &str, max_px: f64) -> String {
    let max_chars = (max_px / 6.5).floor().max(3.0) as usize;
    if text.chars().count() <= max_chars {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(max_chars.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

/// What [`axes`] draws.
pub struct AxisTitles<'a> {
    /// Under the x axis (None: no title).
    pub x: Option<&'a str>,
    /// Left of the y axis.
    pub y: Option<&'a str>,
    /// Light grid lines at the ticks (off where cells cover the plot).
    pub grid: bool,
    /// Room for the y ticks' labels, in pixels (longer ones are cut).
    pub y_tick_width: f64,
}

impl<'a> AxisTitles<'a> {
    /// Titles, grid lines on, 60 pixels for y tick labels.
    pub fn new(x: Option<&'a str>, y: Option<&'a str>) -> Self {
        AxisTitles { x, y, grid: true, y_tick_width: 60.0 }
    }
}

/// A plot's frame, grid lines, ticks with labels, and axis titles.
pub fn axes(svg: &mut Svg, plot: Rect, xs: &Scale, ys: &Scale, titles: AxisTitles<'_>) {
    let xticks = xs.ticks(70.0);
    let yticks = ys.ticks(45.0);
    svg.open("g", Attrs::new().class("axes").s("stroke-width", "1"));
    if titles.grid {
        for (v, _) in &xticks {
            let x = xs.map(*v);
            svg.line((x, plot.y), (x, plot.bottom()), "#e5e5e5", Attrs::new());
        }
        for (v, _) in &yticks {
            let y = ys.map(*v);
            svg.line((plot.x, y), (plot.right(), y), "#e5e5e5", Attrs::new());
        }
    }
    svg.leaf(
        "rect",
        Attrs::new()
            .n("x", plot.x)
            .n("y", plot.y)
            .n("width", plot.w)
            .n("height", plot.h)
            .s("fill", "none")
            .s("stroke", "#888"),
    );
    let spacing = if xticks.len() > 1 { plot.w / xticks.len() as f64 } else { plot.w };
    for (v, label) in &xticks {
        let x = xs.map(*v);
        svg.line((x, plot.bottom()), (x, plot.bottom() + 4.0), "#888", Attrs::new());
        svg.text(
            x,
            plot.bottom() + 15.0,
            &fit(label, spacing.max(40.0)),
            Attrs::new().class("tick x-tick").s("text-anchor", "middle").s("data-value", label),
        );
    }
    let mut label_width: f64 = 0.0;
    for (v, label) in &yticks {
        let y = ys.map(*v);
        let shown = fit(label, titles.y_tick_width);
        label_width = label_width.max(shown.chars().count() as f64 * 6.5);
        svg.line((plot.x - 4.0, y), (plot.x, y), "#888", Attrs::new());
        svg.text(
            plot.x - 6.0,
            y + 4.0,
            &shown,
            Attrs::new().class("tick y-tick").s("text-anchor", "end").s("data-value", label),
        );
    }
    if let Some(title) = titles.x {
        svg.text(
            plot.x + plot.w / 2.0,
            plot.bottom() + 32.0,
            &fit(title, plot.w),
            Attrs::new().class("axis-title x-title").s("text-anchor", "middle").n("font-size", 12.0),
        );
    }
    if let Some(title) = titles.y {
        let (x, y) = (plot.x - label_width - 14.0, plot.y + plot.h / 2.0);
        svg.text(
            x,
            y,
            &fit(title, plot.h),
            Attrs::new()
                .class("axis-title y-title")
                .s("text-anchor", "middle")
                .n("font-size", 12.0)
                .s("transform", &format!("rotate(-90 {} {})", crate::svg::num(x), crate::svg::num(y))),
        );
    }
    svg.close("g");
}

/// A vertical colour bar at `rect` for `colors`, labelled at its ends and
/// with `title` beside it; `low`/`high` replace the end labels.
pub fn color_bar(svg: &mut Svg, rect: Rect, colors: &ColorScale, title: &str, ends: Option<(&str, &str)>) {
    const STEPS: usize = 32;
    svg.open("g", Attrs::new().class("legend color-bar"));
    let h = rect.h / STEPS as f64;
    for i in 0..STEPS {
        // Top is the high end of the range.
        let t = 1.0 - (i as f64 + 0.5) / STEPS as f64;
        let v = if colors.log {
            10f64.powf(colors.lo.log10() + t * (colors.hi.log10() - colors.lo.log10()))
        } else {
            colors.lo + t * (colors.hi - colors.lo)
        };
        svg.leaf(
            "rect",
            Attrs::new()
                .n("x", rect.x)
                .n("y", rect.y + i as f64 * h)
                .n("width", rect.w)
                .n("height", h + 0.5)
                .s("fill", &colors.color(v)),
        );
    }
    let (low, high) = match ends {
        Some((low, high)) => (low.to_owned(), high.to_owned()),
        None => (crate::scale::value_label(colors.lo), crate::scale::value_label(colors.hi)),
    };
    svg.text(rect.right() + 4.0, rect.y + 8.0, &high, Attrs::new().class("legend-label"));
    svg.text(rect.right() + 4.0, rect.bottom(), &low, Attrs::new().class("legend-label"));
    // Above the bar, starting at it: the room right of the plot.
    svg.text(rect.x - 4.0, rect.y - 8.0, &fit(title, 76.0), Attrs::new().class("legend-title"));
    svg.close("g");
}

/// How a legend entry's swatch looks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Swatch {
    /// A filled dot.
    Point,
    /// A line.
    Line,
    /// A filled square.
    Block,
    /// A ring (the best trial).
    Ring,
}

/// A legend: one row per entry, from (x, y) down.
pub fn legend(svg: &mut Svg, x: f64, y: f64, entries: &[(String, &str, Swatch)]) {
    svg.open("g", Attrs::new().class("legend"));
    for (i, (label, color, swatch)) in entries.iter().enumerate() {
        let cy = y + 8.0 + i as f64 * 18.0;
        match swatch {
            Swatch::Point => svg.leaf("circle", Attrs::new().n("cx", x + 8.0).n("cy", cy).n("r", 4.0).s("fill", color)),
            Swatch::Line => svg.line((x, cy), (x + 16.0, cy), color, Attrs::new().n("stroke-width", 2.0)),
            Swatch::Block => svg.leaf(
                "rect",
                Attrs::new().n("x", x + 2.0).n("y", cy - 5.0).n("width", 12.0).n("height", 10.0).s("fill", color),
            ),
            Swatch::Ring => svg.leaf(
                "circle",
                Attrs::new()
                    .n("cx", x + 8.0)
                    .n("cy", cy)
                    .n("r", 6.0)
                    .s("fill", "none")
                    .s("stroke", color)
                    .n("stroke-width", 2.0),
            ),
        }
        svg.text(x + 22.0, cy + 4.0, &fit(label, 130.0), Attrs::new().class("legend-label"));
    }
    svg.close("g");
}

/// The best trial's marker: a ring around its point, `class="best"`.
pub fn best_ring(svg: &mut Svg, (x, y): (f64, f64), number: u64, tooltip: &str) {
    svg.titled(
        "circle",
        Attrs::new()
            .class("best")
            .u("data-number", number)
            .n("cx", x)
            .n("cy", y)
            .n("r", 7.0)
            .s("fill", "none")
            .s("stroke", BEST_COLOR)
            .n("stroke-width", 2.0),
        tooltip,
    );
}
