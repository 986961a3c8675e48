//! Static pictures of a study: each kind of [`PlotData`] (the numbers
//! `ferrotune-analysis` computes for Optuna's `plot_*` kinds) painted as an
//! SVG file, a PNG image or a self-contained HTML page.
//!
//! Design decisions:
//! - The SVG is written directly, element by element ([`svg`]): a plot
//!   here is a few hundred rectangles, circles and polylines, and writing
//!   them ourselves keeps every mark countable by tests (each data mark has
//!   a class: `point`, `line`, `bar`, `cell` or `curve`, and a
//!   `data-number` for its trial; the best trial's marker has
//!   `class="best"`) and costs no dependency. Plotting crates draw text
//!   through the system's font libraries or lay out their own charts.
//! - PNG is the same SVG rasterized by `resvg` (pure Rust, no C libraries)
//!   with the system's fonts; one drawing, three formats. It is the `png`
//!   feature, on by default, for what resvg costs to build.
//! - Painters never thin: the data layer hands at most `max_points` marks
//!   and the total, which the subtitle shows ("showing 2,000 of 100,000
//!   trials").

mod frame;
mod html;
mod kinds;
#[cfg(feature = "png")]
mod png;
mod scale;
pub mod svg;

use std::fmt;
use std::str::FromStr;

pub use ferrotune_analysis::plot::PlotData;

/// The file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// An SVG document.
    Svg,
    /// A PNG image (the SVG rasterized; needs the `png` feature).
    Png,
    /// An HTML page embedding the SVG (tooltips on the marks, no scripts).
    Html,
}

impl OutputFormat {
    /// The format a file name's extension says (`.svg`, `.png`, `.html`, `.htm`).
    pub fn from_path(path: &std::path::Path) -> Option<OutputFormat> {
        path.extension().and_then(|e| e.to_str()).and_then(|e| e.parse().ok())
    }

    /// The format's usual extension.
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Svg => "svg",
            OutputFormat::Png => "png",
            OutputFormat::Html => "html",
        }
    }
}

impl FromStr for OutputFormat {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "svg" => Ok(OutputFormat::Svg),
            "png" => Ok(OutputFormat::Png),
            "html" | "htm" => Ok(OutputFormat::Html),
            _ => Err(Error::InvalidOption(format!("unknown format '{s}' (expected svg, png or html)"))),
        }
    }
}

impl fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

/// How to draw: the picture's size and the value axis.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderOptions {
    /// Width in pixels (200 to 8,000; 900 by default).
    pub width: u32,
    /// Height in pixels (150 to 8,000; 600 by default).
    pub height: u32,
    /// Draw the value axis (or colour scale) on a log scale; the values
    /// must then be positive.
    pub log_value_axis: bool,
    /// A title instead of the kind's ("Optimization History Plot", ...).
    pub title: Option<String>,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions { width: 900, height: 600, log_value_axis: false, title: None }
    }
}

/// What can go wrong drawing a plot.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An option that cannot be used (a size out of range, an unknown format).
    #[error("{0}")]
    InvalidOption(String),
    /// A log value axis was asked for, but some value is not positive.
    #[error("a log value axis needs positive values, but the smallest value shown is {min}")]
    LogAxis {
        /// The smallest value.
        min: f64,
    },
    /// PNG output failed (or this build has no `png` feature).
    #[error("cannot write PNG: {0}")]
    Png(String),
}

/// The bounds of [`RenderOptions::width`] and [`RenderOptions::height`].
pub const MAX_SIZE: u32 = 8000;

/// Draw `data` in `format`: the bytes of an SVG document, a PNG image or
/// an HTML page.
pub fn render(data: &PlotData, format: OutputFormat, options: &RenderOptions) -> Result<Vec<u8>, Error> {
    if !(200..=MAX_SIZE).contains(&options.width) {
        return Err(Error::InvalidOption(format!("width must be 200 to {MAX_SIZE} pixels, not {}", options.width)));
    }
    if !(150..=MAX_SIZE).contains(&options.height) {
        return Err(Error::InvalidOption(format!("height must be 150 to {MAX_SIZE} pixels, not {}", options.height)));
    }
    let svg = kinds::paint(data, options)?;
    match format {
        OutputFormat::Svg => Ok(svg.into_bytes()),
        OutputFormat::Html => Ok(html::page(&svg, &kinds::title(data, options)).into_bytes()),
        #[cfg(feature = "png")]
        OutputFormat::Png => png::rasterize(&svg),
        #[cfg(not(feature = "png"))]
        OutputFormat::Png => Err(Error::Png("this build has no PNG support (the `png` feature)".into())),
    }
}

/// Why PNG text would be missing, if it would: `Some(message)` when no
/// system font was found (shapes still render, text does not). Loading
/// the system's fonts takes a moment; the answer is remembered.
pub fn png_font_warning() -> Option<String> {
    #[cfg(feature = "png")]
    {
        png::font_warning()
    }
    #[cfg(not(feature = "png"))]
    {
        None
    }
}
