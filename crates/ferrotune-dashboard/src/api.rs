//! The JSON API the page reads. Every answer is compact: plots come as the
//! engine's plot data (already thinned to what pixels can show), the table
//! as one page of columns, never one object per trial of the whole study.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use ferrotune::plot::{plot_data, PlotKind};
use ferrotune::{AttrValue, Error, FrozenTrial, TrialState};
use serde_json::{json, Value};

use crate::cache::Snapshot;
use crate::query::{plot_options, BadQuery, Filter, Page, SortKey};
use crate::AppState;

/// An answer that is not a success: a status and a message for the page.
pub struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

impl From<BadQuery> for ApiError {
    fn from(e: BadQuery) -> Self {
        ApiError(StatusCode::BAD_REQUEST, e.0)
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        match e {
            Error::StudyNotFound(m) => ApiError(StatusCode::NOT_FOUND, m),
            Error::InvalidArgument(_) | Error::InvalidOption { .. } => ApiError(StatusCode::BAD_REQUEST, e.to_string()),
            Error::Storage(m) => ApiError(StatusCode::SERVICE_UNAVAILABLE, format!("the storage cannot be read: {m}")),
            other => ApiError(StatusCode::INTERNAL_SERVER_ERROR, other.to_string()),
        }
    }
}

type ApiResult = Result<Response, ApiError>;
type QueryPairs = Query<Vec<(String, String)>>;

/// Run a blocking storage read off the async workers.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, format!("the request failed: {e}")))?
}

fn study_id(text: &str) -> Result<i64, ApiError> {
    text.parse::<i64>().map_err(|_| ApiError(StatusCode::BAD_REQUEST, format!("study id {text:?} is not a number")))
}

/// The objectives' names as stored: under Optuna's key (what
/// `set_metric_names` in Optuna or the Python package, and `ferrotune run`,
/// write), else a `metric_names` attribute user code set, if any.
fn stored_metric_names(snapshot: &Snapshot) -> Option<Vec<String>> {
    if let Some(names) = snapshot.info.metric_names() {
        return Some(names);
    }
    let names: Vec<String> = snapshot
        .info
        .system_attrs
        .get("metric_names")
        .or_else(|| snapshot.info.user_attrs.get("metric_names"))?
        .as_array()?
        .iter()
        .map(|n| n.as_str().map_or_else(|| n.to_string(), str::to_owned))
        .collect();
    (names.len() == snapshot.info.directions.len()).then_some(names)
}

/// The objectives' names for display: as stored, else Optuna's
/// "Objective Value" for one and "Objective N" for several.
fn metric_names(snapshot: &Snapshot) -> Vec<String> {
    stored_metric_names(snapshot).unwrap_or_else(|| match snapshot.info.directions.len() {
        1 => vec!["Objective Value".to_owned()],
        n => (0..n).map(|i| format!("Objective {i}")).collect(),
    })
}

/// The best feasible complete trial of a single-objective study.
fn best_trial(snapshot: &Snapshot) -> Option<&FrozenTrial> {
    let [direction] = snapshot.info.directions.as_slice() else { return None };
    snapshot
        .trials
        .iter()
        .filter(|t| t.state == TrialState::Complete && t.is_feasible())
        .filter_map(|t| t.value().filter(|v| v.is_finite()).map(|v| (t, v)))
        .reduce(|a, b| if direction.is_better(b.1, a.1) { b } else { a })
        .map(|(t, _)| t.as_ref())
}

fn summary(snapshot: &Snapshot) -> Value {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut last_activity: Option<i64> = None;
    for t in &snapshot.trials {
        *counts.entry(t.state.as_str()).or_default() += 1;
        let at = t.finished_at_us.or(t.started_at_us);
        last_activity = last_activity.max(at);
    }
    let best = best_trial(snapshot).map(|t| json!({ "number": t.number, "values": t.values }));
    let directions: Vec<&str> = snapshot.info.directions.iter().map(|d| d.as_str()).collect();
    json!({
        "id": snapshot.info.study_id,
        "name": snapshot.info.name,
        "directions": directions,
        "metric_names": metric_names(snapshot),
        "n_trials": snapshot.trials.len(),
        "counts": counts,
        "best": best,
        "last_activity_us": last_activity,
        "version": snapshot.version,
    })
}

/// `GET /api/studies`: every study with its counts and best value.
pub async fn studies(State(state): State<AppState>) -> ApiResult {
    let list = blocking(move || {
        let mut out = Vec::new();
        for info in state.cache.list_studies()? {
            let snapshot = state.cache.snapshot(info.study_id)?;
            out.push(summary(&snapshot));
        }
        Ok(out)
    })
    .await?;
    Ok(Json(json!({ "studies": list })).into_response())
}

/// `GET /api/studies/{id}`: the summary, the parameters and what the study
/// cost.
pub async fn study(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult {
    let id = study_id(&id)?;
    let body = blocking(move || {
        let snapshot = state.cache.snapshot(id)?;
        // The parameters and the front change only with the trials: kept
        // by version (the rest depends on the clock for running trials).
        let key = format!("{id}/{}/study", snapshot.version);
        let fixed: Value = match state.plots.get(&key).and_then(|hit| serde_json::from_str(&hit).ok()) {
            Some(fixed) => fixed,
            None => {
                let mut params: BTreeMap<&str, Value> = BTreeMap::new();
                for t in &snapshot.trials {
                    for (name, p) in &t.params {
                        if !params.contains_key(name.as_str()) {
                            params.insert(name.as_str(), json!(p.distribution));
                        }
                    }
                }
                let params: Vec<Value> =
                    params.into_iter().map(|(name, d)| json!({ "name": name, "distribution": d })).collect();
                let front: Vec<u64> = if snapshot.info.directions.len() > 1 {
                    ferrotune::core::pareto_front(
                        snapshot.trials.iter().map(|t| t.as_ref()).filter(|t| t.is_feasible()),
                        &snapshot.info.directions,
                    )
                    .iter()
                    .map(|t| t.number)
                    .collect()
                } else {
                    Vec::new()
                };
                let fixed = json!({ "params": params, "pareto_front": front });
                state.plots.put(key, Arc::new(fixed.to_string()));
                fixed
            }
        };
        let mut body = summary(&snapshot);
        body["params"] = fixed["params"].clone();
        body["pareto_front"] = fixed["pareto_front"].clone();
        body["cost"] = json!(ferrotune::cost::summarize(&snapshot.trials, Some(now_us())));
        Ok(body)
    })
    .await?;
    Ok(Json(body).into_response())
}

/// `GET /api/studies/{id}/version`: what the page polls to know when to
/// redraw (cheap: the refresh is throttled and incremental).
pub async fn version(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult {
    let id = study_id(&id)?;
    let body = blocking(move || {
        let snapshot = state.cache.snapshot(id)?;
        Ok(json!({ "version": snapshot.version, "n_trials": snapshot.trials.len() }))
    })
    .await?;
    Ok(Json(body).into_response())
}

fn now_us() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_micros() as i64)
}

/// `GET /api/studies/{id}/plot/{kind}`: the engine's plot data for the
/// filtered trials, as JSON.
pub async fn plot(
    State(state): State<AppState>,
    Path((id, kind)): Path<(String, String)>,
    Query(pairs): QueryPairs,
) -> ApiResult {
    let id = study_id(&id)?;
    let kind: PlotKind = kind.parse().map_err(|e: Error| ApiError(StatusCode::NOT_FOUND, e.to_string()))?;
    let body = blocking(move || plot_json(&state, id, kind, &pairs)).await?;
    Ok(([(axum::http::header::CONTENT_TYPE, "application/json")], body.as_ref().clone()).into_response())
}

/// A plot's JSON for `pairs` (filter and options), from the cache when
/// the study has not changed since it was computed.
pub(crate) fn plot_json(
    state: &AppState,
    id: i64,
    kind: PlotKind,
    pairs: &[(String, String)],
) -> Result<Arc<String>, ApiError> {
    let filter = Filter::parse(pairs)?;
    let snapshot = state.cache.snapshot(id)?;
    let key = format!("{id}/{}/{kind}/{pairs:?}", snapshot.version);
    if let Some(hit) = state.plots.get(&key) {
        return Ok(hit);
    }
    let options = plot_options(pairs, snapshot.info.directions.len(), &metric_names(&snapshot))?;
    let options = if stored_metric_names(&snapshot).is_none() && snapshot.info.directions.len() == 1 {
        ferrotune::plot::PlotOptions { objective_names: None, ..options }
    } else {
        options
    };
    let options = ferrotune::plot::PlotOptions { now_us: Some(now_us()), ..options };
    let trials = filter.apply(&snapshot.trials);
    let data = plot_data(kind, &trials, &snapshot.info.directions, &options)?;
    let json = Arc::new(serde_json::to_string(&data).map_err(|e| Error::Storage(e.to_string()))?);
    // The timeline depends on the clock for running trials: not cached.
    if kind != PlotKind::Timeline {
        state.plots.put(key, Arc::clone(&json));
    }
    Ok(json)
}

fn sort_value(t: &FrozenTrial, key: &SortKey) -> (u8, f64, String) {
    // (missing last, number, text) so rows without the key sort after.
    match key {
        SortKey::Number => (0, t.number as f64, String::new()),
        SortKey::State => (0, 0.0, t.state.as_str().to_owned()),
        SortKey::Value(i) => match t.values.as_deref().and_then(|v| v.get(*i)) {
            Some(v) if !v.is_nan() => (0, *v, String::new()),
            _ => (1, 0.0, String::new()),
        },
        SortKey::Duration => t.duration_secs().map_or((1, 0.0, String::new()), |d| (0, d, String::new())),
        SortKey::Param(name) => match t.params.get(name).map(|p| p.value()) {
            Some(v) => match v.as_f64() {
                Some(x) => (0, x, String::new()),
                None => (0, 0.0, v.to_string()),
            },
            None => (1, 0.0, String::new()),
        },
    }
}

/// `GET /api/studies/{id}/trials`: one page of the (filtered, sorted)
/// table, as columns.
pub async fn trials(State(state): State<AppState>, Path(id): Path<String>, Query(pairs): QueryPairs) -> ApiResult {
    let id = study_id(&id)?;
    let filter = Filter::parse(&pairs)?;
    let page = Page::parse(&pairs)?;
    let body = blocking(move || {
        let snapshot = state.cache.snapshot(id)?;
        let mut rows: Vec<&Arc<FrozenTrial>> = snapshot.trials.iter().filter(|t| filter.accepts(t)).collect();
        if !matches!(page.sort, SortKey::Number) {
            let keyed: Vec<((u8, f64, String), usize)> =
                rows.iter().enumerate().map(|(i, t)| (sort_value(t, &page.sort), i)).collect();
            let mut keyed = keyed;
            keyed.sort_by(|(a, i), (b, j)| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.cmp(&b.2)).then(i.cmp(j)));
            rows = keyed.into_iter().map(|(_, i)| rows[i]).collect();
        }
        if page.descending {
            // Missing values stay last.
            let split = rows.iter().position(|t| sort_value(t, &page.sort).0 == 1).unwrap_or(rows.len());
            rows[..split].reverse();
        }
        let total = rows.len();
        let offset = match page.at {
            Some(number) => rows.iter().position(|t| t.number == number).ok_or_else(|| {
                ApiError(
                    StatusCode::NOT_FOUND,
                    format!("trial {number} is not among the trials shown (check the filter)"),
                )
            })?,
            None => page.offset.min(total),
        };
        let shown = &rows[offset..(offset + page.limit).min(total)];
        let mut names: Vec<&str> = Vec::new();
        for t in shown {
            for name in t.params.keys() {
                if !names.contains(&name.as_str()) {
                    names.push(name);
                }
            }
        }
        names.sort_unstable();
        let n_objectives = snapshot.info.directions.len();
        let values: Vec<Vec<Option<f64>>> = (0..n_objectives)
            .map(|i| shown.iter().map(|t| t.values.as_deref().and_then(|v| v.get(i)).copied()).collect())
            .collect();
        let params: BTreeMap<&str, Vec<Value>> = names
            .iter()
            .map(|&name| {
                (name, shown.iter().map(|t| t.params.get(name).map_or(Value::Null, |p| json!(p.value()))).collect())
            })
            .collect();
        Ok(json!({
            "total": total,
            "offset": offset,
            "numbers": shown.iter().map(|t| t.number).collect::<Vec<_>>(),
            "states": shown.iter().map(|t| t.state.as_str()).collect::<Vec<_>>(),
            "values": values,
            "durations": shown.iter().map(|t| t.duration_secs()).collect::<Vec<_>>(),
            "params": params,
            "version": snapshot.version,
        }))
    })
    .await?;
    Ok(Json(body).into_response())
}

/// The last `n` lines of a file, reading at most its last 64 KiB.
fn tail(path: &str, n: usize) -> Option<Vec<String>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    let start = len.saturating_sub(64 * 1024);
    file.seek(SeekFrom::Start(start)).ok()?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text.lines().collect();
    // A read that began mid-line drops its first, partial line.
    let skip = usize::from(start > 0 && lines.len() > 1);
    let lines = &lines[skip..];
    Some(lines[lines.len().saturating_sub(n)..].iter().map(|l| (*l).to_owned()).collect())
}

/// `GET /api/studies/{id}/trials/{number}`: one trial in full, with the
/// last lines of the CLI's log of it when the file is readable here.
pub async fn trial(State(state): State<AppState>, Path((id, number)): Path<(String, String)>) -> ApiResult {
    let id = study_id(&id)?;
    let number: u64 = number
        .parse()
        .map_err(|_| ApiError(StatusCode::BAD_REQUEST, format!("trial number {number:?} is not a number")))?;
    let body = blocking(move || {
        let snapshot = state.cache.snapshot(id)?;
        let index = snapshot.trials.binary_search_by_key(&number, |t| t.number).map_err(|_| {
            ApiError(StatusCode::NOT_FOUND, format!("study {} has no trial {number}", snapshot.info.name))
        })?;
        let t = &snapshot.trials[index];
        let params: Vec<Value> = t
            .params
            .iter()
            .map(|(name, p)| json!({ "name": name, "value": p.value(), "distribution": p.distribution }))
            .collect();
        let log_file = t.system_attrs.get("log_file").and_then(AttrValue::as_str).map(str::to_owned);
        let log_tail = log_file.as_deref().and_then(|path| tail(path, 40));
        let directions: Vec<&str> = snapshot.info.directions.iter().map(|d| d.as_str()).collect();
        Ok(json!({
            "study": snapshot.info.name,
            "directions": directions,
            "metric_names": metric_names(&snapshot),
            "number": t.number,
            "state": t.state.as_str(),
            "values": t.values,
            "params": params,
            "intermediate_values": t.intermediate_values.iter().map(|(s, v)| json!([s, v])).collect::<Vec<_>>(),
            "user_attrs": t.user_attrs,
            "system_attrs": t.system_attrs,
            "fail_reason": t.system_attrs.get(ferrotune::core::FAIL_REASON_ATTR),
            "started_at_us": t.started_at_us,
            "finished_at_us": t.finished_at_us,
            "duration_s": t.duration_secs(),
            "feasible": t.is_feasible(),
            "log_file": log_file,
            "log_tail": log_tail,
        }))
    })
    .await?;
    Ok(Json(body).into_response())
}
