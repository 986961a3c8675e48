//! A request's query string: which trials (the filter every view shares,
//! so a selection in one chart narrows the others) and the options of a
//! plot or a page of the table. Every malformed value is an error that
//! names the parameter.

use std::collections::BTreeMap;
use std::sync::Arc;

use ferrotune::plot::{ImportanceEvaluator, PlotOptions};
use ferrotune::{FrozenTrial, ParamValue, TrialState};

/// A bad query: the message says which parameter and why.
#[derive(Debug)]
pub struct BadQuery(pub String);

type Pairs = [(String, String)];

fn get<'a>(pairs: &'a Pairs, key: &str) -> Option<&'a str> {
    pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn number<T: std::str::FromStr>(pairs: &Pairs, key: &str) -> Result<Option<T>, BadQuery> {
    get(pairs, key)
        .map(|v| v.trim().parse::<T>().map_err(|_| BadQuery(format!("{key}={v:?} is not a valid number"))))
        .transpose()
}

/// `LO:HI`, either side may be empty (unbounded).
fn range(key: &str, text: &str) -> Result<(f64, f64), BadQuery> {
    let (lo, hi) = text.split_once(':').ok_or_else(|| BadQuery(format!("{key}={text:?}: expected LO:HI")))?;
    let bound = |s: &str, default: f64| -> Result<f64, BadQuery> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(default);
        }
        match s.parse::<f64>() {
            Ok(v) if !v.is_nan() => Ok(v),
            _ => Err(BadQuery(format!("{key}={text:?}: {s:?} is not a number"))),
        }
    };
    let (lo, hi) = (bound(lo, f64::NEG_INFINITY)?, bound(hi, f64::INFINITY)?);
    if lo > hi {
        return Err(BadQuery(format!("{key}={text:?}: the low end is above the high end")));
    }
    Ok((lo, hi))
}

/// A parameter's condition: a numeric range, or a set of categorical
/// labels.
#[derive(Debug, Clone)]
enum ParamCondition {
    Range(f64, f64),
    Labels(Vec<String>),
}

/// Which trials a view shows.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    states: Option<Vec<TrialState>>,
    numbers: Option<(f64, f64)>,
    /// (objective, range) on the objective's value.
    value: Option<(usize, f64, f64)>,
    params: BTreeMap<String, ParamCondition>,
}

/// A categorical value as the plot data labels it.
fn label(value: &ParamValue) -> String {
    match value {
        ParamValue::Str(s) => s.clone(),
        ParamValue::Null => "None".into(),
        other => other.to_string(),
    }
}

impl Filter {
    /// Read `states=a,b`, `numbers=LO:HI`, `value=LO:HI` (with
    /// `value_objective=N`) and `p.NAME=LO:HI` or `p.NAME=label|label`.
    pub fn parse(pairs: &Pairs) -> Result<Filter, BadQuery> {
        let mut filter = Filter::default();
        if let Some(states) = get(pairs, "states").filter(|s| !s.trim().is_empty()) {
            let parsed: Result<Vec<TrialState>, _> =
                states.split(',').map(|s| s.trim().parse::<TrialState>()).collect();
            filter.states = Some(parsed.map_err(|e| BadQuery(format!("states={states:?}: {e}")))?);
        }
        if let Some(text) = get(pairs, "numbers") {
            filter.numbers = Some(range("numbers", text)?);
        }
        if let Some(text) = get(pairs, "value") {
            let objective = number::<usize>(pairs, "value_objective")?.unwrap_or(0);
            let (lo, hi) = range("value", text)?;
            filter.value = Some((objective, lo, hi));
        }
        for (key, text) in pairs {
            let Some(name) = key.strip_prefix("p.") else { continue };
            if name.is_empty() {
                return Err(BadQuery(format!("{key}: no parameter name after 'p.'")));
            }
            let condition = if text.contains(':') && !text.contains('|') && range(key, text).is_ok() {
                let (lo, hi) = range(key, text)?;
                ParamCondition::Range(lo, hi)
            } else {
                ParamCondition::Labels(text.split('|').map(str::to_owned).collect())
            };
            filter.params.insert(name.to_owned(), condition);
        }
        Ok(filter)
    }

    /// Whether the filter lets every trial through.
    pub fn is_empty(&self) -> bool {
        self.states.is_none() && self.numbers.is_none() && self.value.is_none() && self.params.is_empty()
    }

    /// Whether `trial` passes.
    pub fn accepts(&self, trial: &FrozenTrial) -> bool {
        if let Some(states) = &self.states {
            if !states.contains(&trial.state) {
                return false;
            }
        }
        if let Some((lo, hi)) = self.numbers {
            let n = trial.number as f64;
            if n < lo || n > hi {
                return false;
            }
        }
        if let Some((objective, lo, hi)) = self.value {
            match trial.values.as_deref().and_then(|v| v.get(objective)) {
                Some(&v) if v >= lo && v <= hi => {}
                _ => return false,
            }
        }
        for (name, condition) in &self.params {
            let Some(param) = trial.params.get(name) else { return false };
            let value = param.value();
            let ok = match condition {
                ParamCondition::Range(lo, hi) => value.as_f64().is_some_and(|v| v >= *lo && v <= *hi),
                ParamCondition::Labels(labels) => labels.contains(&label(&value)),
            };
            if !ok {
                return false;
            }
        }
        true
    }

    /// The trials that pass.
    pub fn apply(&self, trials: &[Arc<FrozenTrial>]) -> Vec<Arc<FrozenTrial>> {
        if self.is_empty() {
            return trials.to_vec();
        }
        trials.iter().filter(|t| self.accepts(t)).cloned().collect()
    }
}

/// The most points a plot may be asked to keep.
pub const MAX_PLOT_POINTS: usize = 20_000;
/// The most rows one page of the table may hold.
pub const MAX_PAGE: usize = 1_000;

/// A plot's options: `params=a,b`, `objective=N` (plot objective N of a
/// study of several), `objectives=0,2` (a Pareto front's),
/// `evaluator=ped-anova|fanova|mdi`, `max_points=N`, `grid_size=N`,
/// `reference_point=x,y`, `include_dominated=true|false`.
pub fn plot_options(pairs: &Pairs, n_objectives: usize, metric_names: &[String]) -> Result<PlotOptions, BadQuery> {
    let mut options = PlotOptions { seed: Some(0), ..PlotOptions::default() };
    if !metric_names.is_empty() {
        options.objective_names = Some(metric_names.to_vec());
    }
    if let Some(params) = get(pairs, "params").filter(|p| !p.trim().is_empty()) {
        options.params = Some(params.split(',').map(|p| p.trim().to_owned()).collect());
    }
    if let Some(objective) = number::<usize>(pairs, "objective")? {
        if objective >= n_objectives {
            return Err(BadQuery(format!(
                "objective={objective}: the study has {n_objectives} objective(s), numbered from 0"
            )));
        }
        if n_objectives > 1 {
            options.target = Some(Arc::new(move |t: &FrozenTrial| {
                t.values.as_deref().and_then(|v| v.get(objective)).copied().unwrap_or(f64::NAN)
            }));
            options.target_name =
                Some(metric_names.get(objective).cloned().unwrap_or_else(|| format!("Objective {objective}")));
        }
    }
    if let Some(text) = get(pairs, "objectives").filter(|p| !p.trim().is_empty()) {
        let parsed: Result<Vec<usize>, _> = text.split(',').map(|s| s.trim().parse::<usize>()).collect();
        options.objectives = Some(parsed.map_err(|_| BadQuery(format!("objectives={text:?}: expected N,N")))?);
    }
    if let Some(evaluator) = get(pairs, "evaluator") {
        options.evaluator =
            evaluator.parse::<ImportanceEvaluator>().map_err(|e| BadQuery(format!("evaluator: {e}")))?;
    }
    if let Some(max) = number::<usize>(pairs, "max_points")? {
        if !(2..=MAX_PLOT_POINTS).contains(&max) {
            return Err(BadQuery(format!("max_points={max}: must lie in 2..={MAX_PLOT_POINTS}")));
        }
        options.max_points = max;
    }
    if let Some(size) = number::<usize>(pairs, "grid_size")? {
        if !(2..=200).contains(&size) {
            return Err(BadQuery(format!("grid_size={size}: must lie in 2..=200")));
        }
        options.grid_size = size;
    }
    if let Some(text) = get(pairs, "reference_point").filter(|p| !p.trim().is_empty()) {
        let parsed: Result<Vec<f64>, _> = text.split(',').map(|s| s.trim().parse::<f64>()).collect();
        options.reference_point =
            Some(parsed.map_err(|_| BadQuery(format!("reference_point={text:?}: expected numbers, comma-separated")))?);
    }
    if let Some(text) = get(pairs, "include_dominated") {
        options.include_dominated = match text {
            "true" | "1" => true,
            "false" | "0" => false,
            other => return Err(BadQuery(format!("include_dominated={other:?}: expected true or false"))),
        };
    }
    Ok(options)
}

/// How the table is sorted: by `number`, `state`, `value` (objective
/// `sort_objective`), `duration` or `p.NAME`.
#[derive(Debug, Clone)]
pub enum SortKey {
    Number,
    State,
    Value(usize),
    Duration,
    Param(String),
}

/// One page of the table: `offset`, `limit` (at most [`MAX_PAGE`]),
/// `sort`, `order=asc|desc`, or `at=NUMBER` to start at a trial.
#[derive(Debug, Clone)]
pub struct Page {
    pub offset: usize,
    pub limit: usize,
    pub sort: SortKey,
    pub descending: bool,
    pub at: Option<u64>,
}

impl Page {
    pub fn parse(pairs: &Pairs) -> Result<Page, BadQuery> {
        let limit = number::<usize>(pairs, "limit")?.unwrap_or(100);
        if limit == 0 || limit > MAX_PAGE {
            return Err(BadQuery(format!("limit={limit}: must lie in 1..={MAX_PAGE}")));
        }
        let sort = match get(pairs, "sort").unwrap_or("number") {
            "number" => SortKey::Number,
            "state" => SortKey::State,
            "value" => SortKey::Value(number::<usize>(pairs, "sort_objective")?.unwrap_or(0)),
            "duration" => SortKey::Duration,
            other => match other.strip_prefix("p.") {
                Some(name) if !name.is_empty() => SortKey::Param(name.to_owned()),
                _ => {
                    return Err(BadQuery(format!("sort={other:?}: expected number, state, value, duration or p.PARAM")))
                }
            },
        };
        let descending = match get(pairs, "order").unwrap_or("asc") {
            "asc" => false,
            "desc" => true,
            other => return Err(BadQuery(format!("order={other:?}: expected asc or desc"))),
        };
        Ok(Page {
            offset: number::<usize>(pairs, "offset")?.unwrap_or(0),
            limit,
            sort,
            descending,
            at: number(pairs, "at")?,
        })
    }
}
