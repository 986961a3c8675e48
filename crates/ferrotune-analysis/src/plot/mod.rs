//! The data behind each plot: one function per plot kind, returning plain,
//! serializable numbers that every face paints its own way (the CLI's SVG,
//! PNG and HTML files, Python's plotly and matplotlib figures, the
//! dashboard's canvas).
//!
//! The kinds are Optuna's (`optuna.visualization.plot_*`): optimization
//! history, parallel coordinates, slice, contour, parameter importances,
//! intermediate values, Pareto front, timeline, empirical distribution
//! (EDF), rank and hypervolume history. Each follows Optuna's choice of
//! trials (complete ones with finite values; infeasible ones marked) so a
//! picture reads the same in either tool.
//!
//! Design decisions:
//! - Large studies are thinned here, once, not by each painter: a kind
//!   keeps at most [`PlotOptions::max_points`] points, lines or bars, and
//!   says how many there were (`n_total`), so a plot of 100,000 trials stays
//!   a few hundred kilobytes (Optuna's contour of 1,200 trials is a 70 MB
//!   page, optuna#3688). Thinning always keeps what a reader looks for: the
//!   best trial, every improvement of the best-so-far line, the Pareto
//!   front, the extremes of each stretch of trials.
//! - Parameter values are numbers on their axis: a number parameter's
//!   value, a categorical one's index into its axis's labels.
//! - Contours are a grid of binned means, filled between trials by inverse
//!   distance weighting: cheap at any study size, no interpolation library,
//!   and honest where trials are (a cell with trials shows their mean).

mod contour;
mod history;
mod params;
mod pareto;
mod timeline;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use ferrotune_core::{Distribution, Error, FrozenTrial, ParamValue, Result, StudyDirection, TrialParam, TrialState};
use serde::Serialize;

use crate::cost::CostSummary;

pub use crate::pareto::{hypervolume, hypervolume_2d};

/// A value to plot for a trial instead of its objective (Optuna's `target`),
/// shown as it is. Needed with several objectives.
pub type PlotTarget = Arc<dyn Fn(&FrozenTrial) -> f64 + Send + Sync>;

/// The plot kinds, with the names the CLI takes (`ferrotune plot KIND`) and
/// Optuna's function names after `plot_`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlotKind {
    /// Every trial's value by number, with the best-so-far line.
    OptimizationHistory,
    /// One vertical axis per parameter and one for the value; a line per trial.
    ParallelCoordinate,
    /// The value against each parameter, one panel per parameter.
    Slice,
    /// The value over a pair of parameters (or every pair).
    Contour,
    /// Parameter importances as bars.
    ParamImportances,
    /// Learning curves: the values trials reported by step.
    IntermediateValues,
    /// The trade-off between two or three objectives.
    ParetoFront,
    /// Each trial's start and end, by state.
    Timeline,
    /// The empirical cumulative distribution of the values.
    Edf,
    /// Each pair of parameters, trials coloured by the rank of their value.
    Rank,
    /// The hypervolume of the Pareto front as trials complete.
    HypervolumeHistory,
}

impl PlotKind {
    /// Every kind, in the order above.
    pub const ALL: [PlotKind; 11] = [
        PlotKind::OptimizationHistory,
        PlotKind::ParallelCoordinate,
        PlotKind::Slice,
        PlotKind::Contour,
        PlotKind::ParamImportances,
        PlotKind::IntermediateValues,
        PlotKind::ParetoFront,
        PlotKind::Timeline,
        PlotKind::Edf,
        PlotKind::Rank,
        PlotKind::HypervolumeHistory,
    ];

    /// The kind's name on the command line: `optimization-history`, ...
    pub fn name(self) -> &'static str {
        match self {
            PlotKind::OptimizationHistory => "optimization-history",
            PlotKind::ParallelCoordinate => "parallel-coordinate",
            PlotKind::Slice => "slice",
            PlotKind::Contour => "contour",
            PlotKind::ParamImportances => "param-importances",
            PlotKind::IntermediateValues => "intermediate-values",
            PlotKind::ParetoFront => "pareto-front",
            PlotKind::Timeline => "timeline",
            PlotKind::Edf => "edf",
            PlotKind::Rank => "rank",
            PlotKind::HypervolumeHistory => "hypervolume-history",
        }
    }
}

impl fmt::Display for PlotKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for PlotKind {
    type Err = Error;
    /// The CLI's names, Optuna's (`optimization_history`) and a few short
    /// ones (`history`, `importance`, `pareto`, `parallel`, `intermediate`).
    fn from_str(s: &str) -> Result<Self> {
        let key = s.trim().to_ascii_lowercase().replace('_', "-");
        let key = key.strip_prefix("plot-").unwrap_or(&key);
        let short = match key {
            "history" => Some(PlotKind::OptimizationHistory),
            "importance" | "importances" => Some(PlotKind::ParamImportances),
            "pareto" => Some(PlotKind::ParetoFront),
            "parallel" | "parallel-coordinates" => Some(PlotKind::ParallelCoordinate),
            "intermediate" | "learning-curves" => Some(PlotKind::IntermediateValues),
            "hypervolume" => Some(PlotKind::HypervolumeHistory),
            _ => None,
        };
        short.or_else(|| PlotKind::ALL.into_iter().find(|k| k.name() == key)).ok_or_else(|| {
            let names: Vec<&str> = PlotKind::ALL.iter().map(|k| k.name()).collect();
            Error::InvalidArgument(format!("unknown plot kind '{s}' (expected one of: {})", names.join(", ")))
        })
    }
}

/// The importance evaluator behind [`PlotKind::ParamImportances`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportanceEvaluator {
    /// PED-ANOVA, the default (as Optuna 5's).
    #[default]
    PedAnova,
    /// fANOVA on a random forest.
    Fanova,
    /// Mean decrease in impurity of the same forest.
    MeanDecreaseImpurity,
}

impl FromStr for ImportanceEvaluator {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().replace(['_', '-'], "").as_str() {
            "pedanova" => Ok(ImportanceEvaluator::PedAnova),
            "fanova" => Ok(ImportanceEvaluator::Fanova),
            "mdi" | "meandecreaseimpurity" => Ok(ImportanceEvaluator::MeanDecreaseImpurity),
            _ => Err(Error::InvalidArgument(format!(
                "unknown importance evaluator '{s}' (expected ped-anova, fanova or mdi)"
            ))),
        }
    }
}

/// What to plot and how much of it: one set of options for every kind (a
/// kind ignores what does not apply to it).
#[derive(Clone)]
pub struct PlotOptions {
    /// Plot this value instead of the objective (None: the objective; a
    /// study of several objectives needs it for the single-value kinds).
    pub target: Option<PlotTarget>,
    /// The direction in which the target is better (None: the study's, for
    /// one objective; no best-so-far line otherwise).
    pub target_direction: Option<StudyDirection>,
    /// The value's axis title (None: Optuna's "Objective Value", or the
    /// objective's name).
    pub target_name: Option<String>,
    /// The objectives' names (None: "Objective 0", "Objective 1", ...).
    pub objective_names: Option<Vec<String>>,
    /// The parameters to show (None: every parameter of a complete trial,
    /// sorted by name). For a contour, exactly two gives one panel;
    /// otherwise every pair.
    pub params: Option<Vec<String>>,
    /// The most points, lines or bars a plot keeps (2,000); see the module
    /// documentation for what thinning keeps.
    pub max_points: usize,
    /// Cells along each axis of a contour (40).
    pub grid_size: usize,
    /// The evaluator of `param_importances` (PED-ANOVA).
    pub evaluator: ImportanceEvaluator,
    /// The random forest's seed for fANOVA and MDI (None: 0, so plots repeat).
    pub seed: Option<u64>,
    /// Which objectives a Pareto front or hypervolume history shows (None:
    /// the first two or three).
    pub objectives: Option<Vec<usize>>,
    /// Keep dominated trials in a Pareto front (true, as Optuna's
    /// `include_dominated_trials`).
    pub include_dominated: bool,
    /// The hypervolume's reference point, one value per objective shown
    /// (None: the worst value of each objective, pushed out by 10% of its
    /// range).
    pub reference_point: Option<Vec<f64>>,
    /// "Now" for running trials, in Unix microseconds (None: their last
    /// known time, so the data does not depend on the clock).
    pub now_us: Option<i64>,
}

impl Default for PlotOptions {
    fn default() -> Self {
        PlotOptions {
            target: None,
            target_direction: None,
            target_name: None,
            objective_names: None,
            params: None,
            max_points: 2000,
            grid_size: 40,
            evaluator: ImportanceEvaluator::default(),
            seed: None,
            objectives: None,
            include_dominated: true,
            reference_point: None,
            now_us: None,
        }
    }
}

impl fmt::Debug for PlotOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlotOptions")
            .field("target", &self.target.as_ref().map(|_| "<fn>"))
            .field("target_direction", &self.target_direction)
            .field("target_name", &self.target_name)
            .field("params", &self.params)
            .field("max_points", &self.max_points)
            .field("grid_size", &self.grid_size)
            .field("evaluator", &self.evaluator)
            .finish_non_exhaustive()
    }
}

/// A parameter's axis: numbers (linear or log) or categories.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ParamAxis {
    /// A float or int parameter, over the range its trials took.
    Numeric {
        /// The parameter's name.
        name: String,
        /// The smallest value a shown trial took.
        min: f64,
        /// The largest.
        max: f64,
        /// Drawn on a log scale (the distribution was log-scaled).
        log: bool,
        /// Integer-valued.
        int: bool,
    },
    /// A categorical parameter; a trial's coordinate is an index into `labels`.
    Categorical {
        /// The parameter's name.
        name: String,
        /// The choices, as text, in the distribution's order.
        labels: Vec<String>,
    },
}

impl ParamAxis {
    /// The parameter's name.
    pub fn name(&self) -> &str {
        match self {
            ParamAxis::Numeric { name, .. } | ParamAxis::Categorical { name, .. } => name,
        }
    }
}

/// One plot's numbers, tagged by kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PlotData {
    /// [`PlotKind::OptimizationHistory`].
    OptimizationHistory(History),
    /// [`PlotKind::ParallelCoordinate`].
    ParallelCoordinate(ParallelCoordinate),
    /// [`PlotKind::Slice`].
    Slice(Slice),
    /// [`PlotKind::Contour`].
    Contour(Contour),
    /// [`PlotKind::ParamImportances`].
    ParamImportances(Importances),
    /// [`PlotKind::IntermediateValues`].
    IntermediateValues(IntermediateValues),
    /// [`PlotKind::ParetoFront`].
    ParetoFront(ParetoFront),
    /// [`PlotKind::Timeline`].
    Timeline(Timeline),
    /// [`PlotKind::Edf`].
    Edf(Edf),
    /// [`PlotKind::Rank`].
    Rank(Rank),
    /// [`PlotKind::HypervolumeHistory`].
    HypervolumeHistory(HypervolumeHistory),
}

/// A trial's value at its number.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ValuePoint {
    /// The trial's number.
    pub number: u64,
    /// Its value (the objective or the target).
    pub value: f64,
    /// Whether it satisfies its constraints.
    pub feasible: bool,
}

/// [`PlotKind::OptimizationHistory`]: each complete trial's value and the
/// best so far.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct History {
    /// The value axis's title.
    pub target_name: String,
    /// The direction in which the value is better (None: a target without
    /// one; then there is no best-so-far line).
    pub direction: Option<StudyDirection>,
    /// Complete trials with a finite value, thinned to the options' limit
    /// (each stretch's lowest and highest kept).
    pub points: Vec<ValuePoint>,
    /// The best-so-far line among feasible trials: a point at each trial
    /// that improved on it, then one at the last trial.
    pub best: Vec<ValuePoint>,
    /// The best feasible trial.
    pub best_trial: Option<ValuePoint>,
    /// Complete trials with a finite value before thinning.
    pub n_total: usize,
}

/// [`PlotKind::ParallelCoordinate`]: a line per trial across the
/// parameters' axes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParallelCoordinate {
    /// The value axis's title (drawn first, and the lines' colour).
    pub target_name: String,
    /// The direction in which the value is better.
    pub direction: Option<StudyDirection>,
    /// The smallest and largest value shown.
    pub value_range: (f64, f64),
    /// One axis per parameter.
    pub axes: Vec<ParamAxis>,
    /// Trials that have every parameter shown, worst first so the best are
    /// drawn on top.
    pub lines: Vec<Line>,
    /// Such trials before thinning.
    pub n_total: usize,
}

/// One trial across the axes of a parallel-coordinate plot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Line {
    /// The trial's number.
    pub number: u64,
    /// Its value.
    pub value: f64,
    /// Its coordinate on each axis, in the axes' order.
    pub coords: Vec<f64>,
}

/// [`PlotKind::Slice`]: the value against each parameter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Slice {
    /// The value axis's title.
    pub target_name: String,
    /// The direction in which the value is better.
    pub direction: Option<StudyDirection>,
    /// One panel per parameter.
    pub panels: Vec<SlicePanel>,
    /// The best feasible trial's number.
    pub best_trial: Option<u64>,
}

/// One parameter's panel of a slice plot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlicePanel {
    /// The parameter's axis.
    pub axis: ParamAxis,
    /// Trials that have the parameter: (number, coordinate, value).
    pub points: Vec<ParamPoint>,
    /// Such trials before thinning.
    pub n_total: usize,
}

/// A trial's value at its coordinate(s) on one or two parameter axes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ParamPoint {
    /// The trial's number.
    pub number: u64,
    /// Its coordinate on the (first) axis.
    pub x: f64,
    /// Its coordinate on the second axis (contour and rank; 0 in a slice).
    pub y: f64,
    /// Its value.
    pub value: f64,
}

/// [`PlotKind::Contour`]: the value over pairs of parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contour {
    /// The value axis's title.
    pub target_name: String,
    /// The direction in which the value is better.
    pub direction: Option<StudyDirection>,
    /// The smallest and largest value of any panel's cells and points.
    pub value_range: (f64, f64),
    /// The parameters, in the order of the matrix's rows and columns.
    pub params: Vec<String>,
    /// One panel per pair (x before y in `params`' order): one for a pair,
    /// n(n-1)/2 for a matrix.
    pub panels: Vec<ContourPanel>,
}

/// One pair's panel of a contour plot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContourPanel {
    /// The horizontal axis.
    pub x: ParamAxis,
    /// The vertical axis.
    pub y: ParamAxis,
    /// The centres of the grid's columns, as axis coordinates.
    pub grid_x: Vec<f64>,
    /// The centres of the grid's rows.
    pub grid_y: Vec<f64>,
    /// The value in each cell, row by row (`grid_y.len()` rows of
    /// `grid_x.len()`): the mean of its trials, or filled from its
    /// neighbours; None where no trial is (fewer than two trials).
    pub z: Vec<Option<f64>>,
    /// Trials that have both parameters (thinned).
    pub points: Vec<ParamPoint>,
    /// Such trials before thinning.
    pub n_total: usize,
    /// The best such trial.
    pub best: Option<ParamPoint>,
}

/// [`PlotKind::ParamImportances`]: importance bars, one set per objective
/// (or one for the target).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Importances {
    /// The evaluator that computed them.
    pub evaluator: ImportanceEvaluator,
    /// Per value judged (the target, or each objective): its name and the
    /// importances, highest first, summing to one.
    pub sets: Vec<ImportanceSet>,
}

/// The importances for one value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportanceSet {
    /// The value's name.
    pub target_name: String,
    /// (parameter, importance), highest first.
    pub importances: Vec<(String, f64)>,
}

/// [`PlotKind::IntermediateValues`]: learning curves.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IntermediateValues {
    /// Curves of trials that reported, thinned: the best complete trial's
    /// always kept, each curve's points thinned to keep its extremes.
    pub curves: Vec<Curve>,
    /// Trials that reported before thinning.
    pub n_total: usize,
    /// The best complete trial's number.
    pub best_trial: Option<u64>,
}

/// One trial's reported values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Curve {
    /// The trial's number.
    pub number: u64,
    /// Its state (pruned curves are drawn apart from complete ones).
    pub state: TrialState,
    /// (step, value) in step order.
    pub points: Vec<(u64, f64)>,
}

/// [`PlotKind::ParetoFront`]: trials in objective space.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParetoFront {
    /// The objectives shown (two or three), by index.
    pub objectives: Vec<usize>,
    /// Their names.
    pub objective_names: Vec<String>,
    /// Their directions.
    pub directions: Vec<StudyDirection>,
    /// The trials: the front's always, dominated and infeasible ones
    /// thinned.
    pub points: Vec<ParetoPoint>,
    /// Complete trials before thinning.
    pub n_total: usize,
    /// Trials on the front (of feasible trials).
    pub n_front: usize,
}

/// One trial in objective space.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParetoPoint {
    /// The trial's number.
    pub number: u64,
    /// Its values of the objectives shown.
    pub values: Vec<f64>,
    /// Whether no feasible trial dominates it (in every objective of the study).
    pub on_front: bool,
    /// Whether it satisfies its constraints.
    pub feasible: bool,
}

/// [`PlotKind::Timeline`]: when each trial ran, and what the study cost.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Timeline {
    /// Bars in trial order. With more trials than the limit, a row holds a
    /// run of consecutive trials and their bars of one state merge where
    /// they touch.
    pub bars: Vec<Bar>,
    /// Rows in the plot.
    pub n_rows: usize,
    /// Trials with a start time.
    pub n_total: usize,
    /// The earliest start and latest end (or now), in Unix microseconds.
    pub span_us: Option<(i64, i64)>,
    /// Compute time, by state, and the time pruning saved.
    pub cost: CostSummary,
    /// The workers that ran the trials, as `host:pid`, where the trials
    /// record them (the CLI's `worker_host` and `worker_pid` attributes),
    /// in order of first appearance; bars refer to them by index.
    pub workers: Vec<String>,
}

/// One bar of a timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bar {
    /// Its row (0 at the top).
    pub row: usize,
    /// The first and last trial number it stands for.
    pub numbers: (u64, u64),
    /// The state of its trials.
    pub state: TrialState,
    /// Start and end, Unix microseconds (a running trial ends now).
    pub start_us: i64,
    /// End.
    pub end_us: i64,
    /// The worker that ran its trials (an index into
    /// [`Timeline::workers`]), when they record it and it is one worker.
    pub worker: Option<usize>,
}

/// [`PlotKind::Edf`]: the fraction of trials whose value is at most x.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Edf {
    /// The value axis's title.
    pub target_name: String,
    /// (value, fraction of trials with a value at most it), ascending; at
    /// most the options' limit of points, at evenly spaced ranks.
    pub points: Vec<(f64, f64)>,
    /// Complete trials with a finite value.
    pub n_total: usize,
}

/// [`PlotKind::Rank`]: each pair of parameters, trials coloured by the
/// rank of their value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rank {
    /// The value's title.
    pub target_name: String,
    /// The direction in which the value is better.
    pub direction: Option<StudyDirection>,
    /// The parameters' axes.
    pub axes: Vec<ParamAxis>,
    /// Trials (thinned): coordinate per axis, value, and the value's rank
    /// among all complete trials as a fraction in [0, 1] (0 the best).
    pub points: Vec<RankPoint>,
    /// Complete trials before thinning.
    pub n_total: usize,
}

/// One trial of a rank plot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankPoint {
    /// The trial's number.
    pub number: u64,
    /// Its coordinate on each axis (NaN where it lacks the parameter).
    pub coords: Vec<f64>,
    /// Its value.
    pub value: f64,
    /// Its rank as a fraction, 0 the best.
    pub rank: f64,
}

/// [`PlotKind::HypervolumeHistory`]: the front's hypervolume after each
/// complete trial.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HypervolumeHistory {
    /// The objectives measured, by index.
    pub objectives: Vec<usize>,
    /// The reference point.
    pub reference_point: Vec<f64>,
    /// (trial number, hypervolume) at each trial that changed it, and the last.
    pub points: Vec<(u64, f64)>,
    /// Complete feasible trials.
    pub n_total: usize,
}

/// The numbers behind a plot of `kind`, from a study's trials and
/// directions.
pub fn plot_data(
    kind: PlotKind,
    trials: &[Arc<FrozenTrial>],
    directions: &[StudyDirection],
    options: &PlotOptions,
) -> Result<PlotData> {
    if directions.is_empty() {
        return Err(Error::InvalidArgument("a plot needs the study's directions; none were given".into()));
    }
    if options.max_points < 2 {
        return Err(Error::InvalidArgument(format!("max_points must be at least 2, not {}", options.max_points)));
    }
    Ok(match kind {
        PlotKind::OptimizationHistory => PlotData::OptimizationHistory(history::history(trials, directions, options)?),
        PlotKind::Edf => PlotData::Edf(history::edf(trials, directions, options)?),
        PlotKind::ParallelCoordinate => {
            PlotData::ParallelCoordinate(params::parallel_coordinate(trials, directions, options)?)
        }
        PlotKind::Slice => PlotData::Slice(params::slice(trials, directions, options)?),
        PlotKind::Rank => PlotData::Rank(params::rank(trials, directions, options)?),
        PlotKind::Contour => PlotData::Contour(contour::contour(trials, directions, options)?),
        PlotKind::ParamImportances => PlotData::ParamImportances(params::importances(trials, directions, options)?),
        PlotKind::IntermediateValues => {
            PlotData::IntermediateValues(timeline::intermediate_values(trials, directions[0], options))
        }
        PlotKind::Timeline => PlotData::Timeline(timeline::timeline(trials, options)),
        PlotKind::ParetoFront => PlotData::ParetoFront(pareto::pareto_front(trials, directions, options)?),
        PlotKind::HypervolumeHistory => {
            PlotData::HypervolumeHistory(pareto::hypervolume_history(trials, directions, options)?)
        }
    })
}

/// The single value each trial is plotted by: the objective (one
/// objective) or the target, with its title and direction.
pub(crate) struct Valuer<'a> {
    target: Option<&'a PlotTarget>,
    /// The value's title.
    pub name: String,
    /// The direction in which it is better.
    pub direction: Option<StudyDirection>,
}

impl<'a> Valuer<'a> {
    pub(crate) fn new(directions: &[StudyDirection], options: &'a PlotOptions) -> Result<Self> {
        let objective_name = options.objective_names.as_ref().and_then(|n| n.first().cloned());
        match (&options.target, directions) {
            (None, [direction]) => Ok(Valuer {
                target: None,
                name: options.target_name.clone().or(objective_name).unwrap_or_else(|| "Objective Value".into()),
                direction: Some(*direction),
            }),
            (None, _) => Err(Error::InvalidArgument(format!(
                "the study has {} objectives: give a target (the value to plot, e.g. the first objective), \
                 or plot the pareto-front",
                directions.len()
            ))),
            (Some(target), _) => Ok(Valuer {
                target: Some(target),
                name: options.target_name.clone().unwrap_or_else(|| "Objective Value".into()),
                direction: options.target_direction.or(if directions.len() == 1 { Some(directions[0]) } else { None }),
            }),
        }
    }

    /// The trial's value, if it is complete and the value is finite.
    pub(crate) fn value(&self, trial: &FrozenTrial) -> Option<f64> {
        if trial.state != TrialState::Complete {
            return None;
        }
        let value = match self.target {
            Some(target) => target(trial),
            None => *trial.values.as_deref()?.first()?,
        };
        value.is_finite().then_some(value)
    }

    /// Whether `a` is better than `b` (lower when there is no direction).
    pub(crate) fn is_better(&self, a: f64, b: f64) -> bool {
        self.direction.unwrap_or(StudyDirection::Minimize).is_better(a, b)
    }
}

/// Complete trials with a finite value, in number order, with the value.
pub(crate) fn valued<'t>(trials: &'t [Arc<FrozenTrial>], valuer: &Valuer<'_>) -> Vec<(&'t FrozenTrial, f64)> {
    let mut out: Vec<(&FrozenTrial, f64)> =
        trials.iter().filter_map(|t| valuer.value(t).map(|v| (t.as_ref(), v))).collect();
    out.sort_by_key(|(t, _)| t.number);
    out
}

/// The best feasible trial of `valued`, the first one on ties.
pub(crate) fn best_of<'t>(valued: &[(&'t FrozenTrial, f64)], valuer: &Valuer<'_>) -> Option<(&'t FrozenTrial, f64)> {
    let mut best: Option<(&FrozenTrial, f64)> = None;
    for &(t, v) in valued.iter().filter(|(t, _)| t.is_feasible()) {
        if best.is_none_or(|(_, b)| valuer.is_better(v, b)) {
            best = Some((t, v));
        }
    }
    best
}

/// The parameters to show: the ones asked for (each must appear in some
/// trial given), or every parameter of those trials, by name.
pub(crate) fn param_names(trials: &[&FrozenTrial], asked: Option<&[String]>) -> Result<Vec<String>> {
    // Hashed, not ordered: a lookup per parameter of every trial.
    let seen: std::collections::HashSet<&str> =
        trials.iter().flat_map(|t| t.params.keys().map(String::as_str)).collect();
    let present: std::collections::BTreeSet<&str> = seen.into_iter().collect();
    match asked {
        None => Ok(present.into_iter().map(str::to_owned).collect()),
        Some(asked) => {
            let missing: Vec<&str> = asked.iter().map(String::as_str).filter(|p| !present.contains(p)).collect();
            if missing.is_empty() {
                Ok(asked.to_vec())
            } else {
                let known: Vec<&str> = present.into_iter().collect();
                Err(Error::InvalidArgument(format!(
                    "no complete trial has the parameter(s) {} (the study's: {})",
                    missing.join(", "),
                    if known.is_empty() { "none".to_owned() } else { known.join(", ") }
                )))
            }
        }
    }
}

/// A parameter's axis over the trials that have it, and each trial's
/// coordinate on it, aligned with `trials` (None where it lacks the
/// parameter).
///
/// Design decision: one map lookup per trial, and categorical values
/// placed by their index into their distribution's choices rather than by
/// comparing values, so 100,000 trials take milliseconds.
pub(crate) fn param_axis(name: &str, trials: &[&FrozenTrial]) -> (ParamAxis, Vec<Option<f64>>) {
    let params: Vec<Option<&TrialParam>> = trials.iter().map(|t| t.params.get(name)).collect();
    let categorical = params.iter().flatten().any(|p| matches!(p.distribution, Distribution::Categorical(_)));
    if categorical {
        // Labels in the order of the first distribution seen, then any
        // choice other trials had (dynamic choices), in order of appearance.
        // Each distinct list of choices is mapped to label indices once.
        let mut labels: Vec<ParamValue> = Vec::new();
        let mut mappings: Vec<(&[ParamValue], Vec<usize>)> = Vec::new();
        let index_of = |labels: &mut Vec<ParamValue>, value: &ParamValue| match labels.iter().position(|l| l == value) {
            Some(i) => i,
            None => {
                labels.push(value.clone());
                labels.len() - 1
            }
        };
        let coords = params
            .iter()
            .map(|p| {
                let p = (*p)?;
                let Distribution::Categorical(c) = &p.distribution else { return None };
                let choices = c.choices();
                let mapping = match mappings.iter().position(|(known, _)| *known == choices) {
                    Some(m) => &mappings[m].1,
                    None => {
                        let map = choices.iter().map(|choice| index_of(&mut labels, choice)).collect();
                        mappings.push((choices, map));
                        &mappings[mappings.len() - 1].1
                    }
                };
                let k = p.internal;
                (k >= 0.0 && (k as usize) < mapping.len()).then(|| mapping[k as usize] as f64)
            })
            .collect();
        let labels = labels.iter().map(label).collect();
        (ParamAxis::Categorical { name: name.to_owned(), labels }, coords)
    } else {
        let (mut min, mut max, mut log, mut int) = (f64::INFINITY, f64::NEG_INFINITY, false, true);
        let coords: Vec<Option<f64>> = params
            .iter()
            .map(|p| {
                let p = (*p)?;
                let x = match &p.distribution {
                    Distribution::Float(d) => {
                        log |= d.log();
                        int = false;
                        p.internal
                    }
                    Distribution::Int(d) => {
                        log |= d.log();
                        d.nearest(p.internal) as f64
                    }
                    Distribution::Categorical(_) => return None,
                };
                if !x.is_finite() {
                    return None;
                }
                min = min.min(x);
                max = max.max(x);
                Some(x)
            })
            .collect();
        if min > max {
            (min, max) = (0.0, 1.0);
        }
        // A log axis needs positive values (log distributions have them).
        let log = log && min > 0.0;
        (ParamAxis::Numeric { name: name.to_owned(), min, max, log, int }, coords)
    }
}

/// A categorical choice as text: strings bare, others as written.
fn label(value: &ParamValue) -> String {
    match value {
        ParamValue::Str(s) => s.clone(),
        ParamValue::Null => "None".into(),
        other => other.to_string(),
    }
}

/// Indices `0..n` thinned to at most `max` at evenly spaced positions,
/// always with the first, the last and each of `keep`; ascending.
pub(crate) fn thin(n: usize, max: usize, keep: &[usize]) -> Vec<usize> {
    if n <= max {
        return (0..n).collect();
    }
    let mut chosen: std::collections::BTreeSet<usize> = keep.iter().copied().filter(|&i| i < n).collect();
    let room = max.saturating_sub(chosen.len()).max(2);
    for k in 0..room {
        chosen.insert(k * (n - 1) / (room - 1));
    }
    chosen.into_iter().collect()
}

/// Indices of `values` (in their order) thinned to about `max` by keeping,
/// in each of `max / 2` stretches, the lowest and the highest, plus `keep`:
/// the envelope of a noisy series survives, where evenly spaced picks would
/// lose its spikes.
pub(crate) fn thin_extremes(values: &[f64], max: usize, keep: &[usize]) -> Vec<usize> {
    let n = values.len();
    if n <= max {
        return (0..n).collect();
    }
    let stretches = (max / 2).max(1);
    let mut chosen: std::collections::BTreeSet<usize> = keep.iter().copied().filter(|&i| i < n).collect();
    for s in 0..stretches {
        let (lo, hi) = (s * n / stretches, ((s + 1) * n / stretches).max(s * n / stretches + 1));
        let range = lo..hi.min(n);
        if let Some(i) = range.clone().min_by(|&a, &b| values[a].total_cmp(&values[b])) {
            chosen.insert(i);
        }
        if let Some(i) = range.max_by(|&a, &b| values[a].total_cmp(&values[b])) {
            chosen.insert(i);
        }
    }
    chosen.into_iter().collect()
}

#[cfg(test)]
mod tests;
