//! `ferrotune plot KIND`: a study's picture as an SVG, PNG or HTML file.
//!
//! Glue only: the numbers come from the library's plot data (which thins
//! large studies), the drawing from `ferrotune-plot`. What this file adds
//! is the flags, checked up front so that an error names the flag.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use ferrotune::plot::{plot_data, ImportanceEvaluator, PlotKind, PlotOptions};
use ferrotune::{FrozenTrial, TrialState};
use ferrotune_plot::{OutputFormat, RenderOptions};

use crate::output::{self, errln, outln};
use crate::{commands, CliError, Target};

/// The kinds that plot one value per trial: a study of several objectives
/// needs `--target-objective` for them.
const SINGLE_VALUE_KINDS: [PlotKind; 6] = [
    PlotKind::OptimizationHistory,
    PlotKind::ParallelCoordinate,
    PlotKind::Slice,
    PlotKind::Contour,
    PlotKind::Edf,
    PlotKind::Rank,
];

/// `ferrotune plot`'s arguments.
#[derive(Args)]
pub struct PlotArgs {
    /// The plot: optimization-history, parallel-coordinate, slice, contour,
    /// param-importances, intermediate-values, pareto-front, timeline, edf,
    /// rank, hypervolume-history.
    kind: String,
    #[command(flatten)]
    target: Target,
    /// Output file; its extension (.svg, .png, .html) gives the format.
    /// `-` writes to standard output (SVG unless --format says otherwise).
    #[arg(short, long, value_name = "OUT")]
    output: PathBuf,
    /// svg, png or html, whatever the output's extension.
    #[arg(long)]
    format: Option<String>,
    /// Only these parameters (comma-separated); two give one contour panel.
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    params: Vec<String>,
    /// Plot objective N (from 0) of a study of several objectives.
    #[arg(long, value_name = "N")]
    target_objective: Option<usize>,
    /// The objectives a Pareto front or hypervolume history shows (comma-separated, from 0).
    #[arg(long, value_delimiter = ',', value_name = "I,J")]
    objectives: Vec<usize>,
    /// A log scale for the value axis (the values must be positive).
    #[arg(long)]
    log: bool,
    /// The importance evaluator: ped-anova (default), fanova or mdi.
    #[arg(long)]
    evaluator: Option<String>,
    /// At most this many points, lines or bars (default 2000); larger
    /// studies are thinned, keeping the best trial and the front.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(2..=1_000_000))]
    max_points: Option<u64>,
    /// Width in pixels.
    #[arg(long, default_value_t = 900, value_parser = clap::value_parser!(u32).range(200..=8000))]
    width: u32,
    /// Height in pixels.
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u32).range(150..=8000))]
    height: u32,
    /// The hypervolume's reference point, one value per objective shown.
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true, value_parser = crate::parse_number, value_name = "X,Y")]
    reference_point: Vec<f64>,
    /// A title instead of the plot kind's.
    #[arg(long)]
    title: Option<String>,
}

/// Draw the plot and write it.
pub fn plot(args: PlotArgs) -> Result<ExitCode, CliError> {
    let kind: PlotKind = args.kind.parse().map_err(|e: ferrotune::Error| CliError::Usage(e.to_string()))?;
    let format = output_format(&args)?;
    let evaluator = match &args.evaluator {
        Some(e) => e.parse().map_err(|e: ferrotune::Error| CliError::Usage(format!("--evaluator: {e}")))?,
        None => ImportanceEvaluator::default(),
    };
    // The config's metric names name the objectives.
    let objective_names = match &args.target.config {
        Some(path) => Some(commands::load_config(path, &args.target.over)?.metric_names),
        None => None,
    };
    let study = commands::open_study(&args.target)?;
    let directions = study.directions().to_vec();
    let trials = study.trials()?;

    let mut options = PlotOptions { evaluator, objective_names: objective_names.clone(), ..PlotOptions::default() };
    if let Some(max) = args.max_points {
        options.max_points = usize::try_from(max).unwrap_or(usize::MAX);
    }
    if !args.params.is_empty() {
        check_params(&args.params, &trials)?;
        options.params = Some(args.params.clone());
    }
    if !args.objectives.is_empty() {
        options.objectives = Some(args.objectives.clone());
    }
    if !args.reference_point.is_empty() {
        options.reference_point = Some(args.reference_point.clone());
    }
    options.now_us = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_micros()).ok());
    match args.target_objective {
        Some(n) => {
            let direction = *directions.get(n).ok_or_else(|| {
                CliError::Usage(format!(
                    "--target-objective {n}: the study has {} objective(s), numbered from 0",
                    directions.len()
                ))
            })?;
            let name = objective_names.as_ref().and_then(|names| names.get(n).cloned());
            options.target = Some(Arc::new(move |t: &FrozenTrial| {
                t.values.as_deref().and_then(|v| v.get(n)).copied().unwrap_or(f64::NAN)
            }));
            options.target_direction = Some(direction);
            options.target_name = Some(name.unwrap_or_else(|| format!("Objective {n}")));
        }
        None if directions.len() > 1 && SINGLE_VALUE_KINDS.contains(&kind) => {
            return Err(CliError::Usage(format!(
                "the study has {} objectives: {kind} plots one value, so give --target-objective N (0 to {}), \
                 or plot pareto-front or hypervolume-history",
                directions.len(),
                directions.len() - 1
            )));
        }
        None => {}
    }

    let data = plot_data(kind, &trials, &directions, &options)?;
    let render_options =
        RenderOptions { width: args.width, height: args.height, log_value_axis: args.log, title: args.title.clone() };
    let bytes = ferrotune_plot::render(&data, format, &render_options).map_err(|e| match e {
        ferrotune_plot::Error::LogAxis { .. } => CliError::Usage(format!("--log: {e}")),
        ferrotune_plot::Error::InvalidOption(m) => CliError::Usage(m),
        e => CliError::Runtime(e.to_string()),
    })?;
    if format == OutputFormat::Png {
        if let Some(warning) = ferrotune_plot::png_font_warning() {
            errln!("warning: {warning}");
        }
    }
    if args.output.as_os_str() == "-" {
        output::to_stdout(|out| out.write_all(&bytes)).map_err(|e| CliError::Runtime(e.to_string()))?;
    } else {
        std::fs::write(&args.output, &bytes)
            .map_err(|e| CliError::Runtime(format!("cannot write {}: {e}", args.output.display())))?;
        outln!("wrote {} ({kind}, {format})", args.output.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// The format: `--format`, else the output's extension, else SVG for `-`.
fn output_format(args: &PlotArgs) -> Result<OutputFormat, CliError> {
    if let Some(format) = &args.format {
        return format.parse().map_err(|e: ferrotune_plot::Error| CliError::Usage(format!("--format: {e}")));
    }
    if args.output.as_os_str() == "-" {
        return Ok(OutputFormat::Svg);
    }
    OutputFormat::from_path(&args.output).ok_or_else(|| {
        CliError::Usage(format!(
            "--output {}: cannot tell the format from the name; end it in .svg, .png or .html, or give --format",
            args.output.display()
        ))
    })
}

/// Every parameter asked for must be some complete trial's.
fn check_params(asked: &[String], trials: &[Arc<FrozenTrial>]) -> Result<(), CliError> {
    let known: BTreeSet<&str> = trials
        .iter()
        .filter(|t| t.state == TrialState::Complete)
        .flat_map(|t| t.params.keys().map(String::as_str))
        .collect();
    let unknown: Vec<&str> = asked.iter().map(String::as_str).filter(|p| !known.contains(p)).collect();
    if unknown.is_empty() {
        return Ok(());
    }
    let known: Vec<&str> = known.into_iter().collect();
    Err(CliError::Usage(format!(
        "--params: no complete trial has the parameter(s) {} (the study's: {})",
        unknown.join(", "),
        if known.is_empty() { "none".to_owned() } else { known.join(", ") }
    )))
}
