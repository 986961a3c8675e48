//! The web dashboard: watch and explore studies live, from any storage.
//!
//! `ferrotune dashboard` and Python's `ferrotune.dashboard.run` only start
//! it; this crate is a reader of [`Storage`] like any other:
//!
//! - `cache`: each study's trials kept current by the incremental read,
//!   on a read-only connection, so watching never slows or locks the
//!   study's writers;
//! - `api`: a small JSON API: studies, one study's summary and cost, the
//!   engine's plot data for any plot kind (thinned to what pixels can
//!   show), the table one page of columns at a time, one trial in full;
//!   every view takes the same filter, which is how a selection in one
//!   chart narrows the others;
//! - `web/`: the page, plain JavaScript drawing on canvas, embedded in the
//!   binary (no build step, no CDN, works offline).
//!
//! Design decision: the server computes, the page paints. The page never
//! holds the whole study: the plot data is already thinned by the engine
//! and the table comes a page at a time, so the first paint does not grow
//! with the study.

mod api;
mod cache;
mod query;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use ferrotune::core::Storage;
use ferrotune::plot::PlotKind;
use ferrotune::{Error, Result};

use cache::Cache;

/// Where and how the dashboard serves.
#[derive(Debug, Clone)]
pub struct DashboardOptions {
    /// The address to bind (127.0.0.1: this machine only).
    pub host: String,
    /// The port (8080; 0 picks a free one).
    pub port: u16,
    /// A token every request must carry (`?token=`, a cookie the first page
    /// sets, or `Authorization: Bearer`); None: no check.
    pub token: Option<String>,
    /// How often, at most, a study is asked for changes (250 ms).
    pub refresh_interval: Duration,
}

impl Default for DashboardOptions {
    fn default() -> Self {
        DashboardOptions {
            host: "127.0.0.1".into(),
            port: 8080,
            token: None,
            refresh_interval: Duration::from_millis(250),
        }
    }
}

/// Plot answers by study version and query: a view redrawn with nothing
/// new costs nothing. Small and cleared when full.
pub(crate) struct PlotCache(Mutex<HashMap<String, Arc<String>>>);

impl PlotCache {
    const CAPACITY: usize = 256;

    pub(crate) fn get(&self, key: &str) -> Option<Arc<String>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).get(key).cloned()
    }

    pub(crate) fn put(&self, key: String, value: Arc<String>) {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= Self::CAPACITY {
            map.clear();
        }
        map.insert(key, value);
    }
}

/// What every request handler shares.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) cache: Arc<Cache>,
    pub(crate) plots: Arc<PlotCache>,
    token: Option<Arc<str>>,
}

/// Open a storage URL for watching: SQLite read-only (the dashboard can
/// never take a write lock on a running study's file), anything else as
/// [`ferrotune::storage::open`] does.
pub fn open_storage(url: &str) -> Result<Arc<dyn Storage>> {
    let trimmed = url.trim();
    let sqlite_path = trimmed.strip_prefix("sqlite:///").or_else(|| trimmed.strip_prefix("sqlite://")).or_else(|| {
        (!trimmed.contains("://") && [".db", ".sqlite", ".sqlite3"].iter().any(|e| trimmed.ends_with(e)))
            .then_some(trimmed)
    });
    match sqlite_path {
        Some(path) if !path.is_empty() => {
            if !std::path::Path::new(path).exists() {
                return Err(Error::InvalidArgument(format!("no SQLite file at {path}: check the storage URL")));
            }
            Ok(Arc::new(ferrotune::storage::SqliteStorage::open_read_only(path)?))
        }
        _ => ferrotune::storage::open(url),
    }
}

/// A running dashboard; dropping it stops the server.
pub struct Dashboard {
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Dashboard {
    /// Bind and start serving `storage` on a thread of its own.
    pub fn start(storage: Arc<dyn Storage>, options: &DashboardOptions) -> Result<Dashboard> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .thread_name("ferrotune-dashboard")
            .build()
            .map_err(|e| Error::Storage(format!("cannot start the dashboard's runtime: {e}")))?;
        let addr = format!("{}:{}", options.host, options.port);
        let listener = runtime.block_on(tokio::net::TcpListener::bind(&addr)).map_err(|e| {
            let hint = match e.kind() {
                std::io::ErrorKind::AddrInUse => {
                    " (another program uses the port: choose another, or 0 for any free one)"
                }
                std::io::ErrorKind::PermissionDenied => " (ports below 1024 need privileges: choose another)",
                _ => " (check the host: an address of this machine, such as 127.0.0.1 or 0.0.0.0)",
            };
            Error::InvalidArgument(format!("cannot listen on {addr}: {e}{hint}"))
        })?;
        let addr = listener.local_addr().map_err(|e| Error::Storage(format!("cannot read the bound address: {e}")))?;
        let state = AppState {
            cache: Arc::new(Cache::new(storage, options.refresh_interval)),
            plots: Arc::new(PlotCache(Mutex::new(HashMap::new()))),
            token: options.token.as_deref().map(Arc::from),
        };
        // Read every study once now, in the background, and compute the
        // views a study page opens with, so the first page a user opens
        // waits for neither a large study's first read nor its first plots.
        let warm = state.clone();
        std::thread::Builder::new()
            .name("ferrotune-dashboard-warm".into())
            .spawn(move || {
                if let Ok(studies) = warm.cache.list_studies() {
                    for study in studies {
                        if warm.cache.snapshot(study.study_id).is_ok() && study.directions.len() == 1 {
                            for kind in [PlotKind::OptimizationHistory, PlotKind::ParallelCoordinate] {
                                let _ = api::plot_json(&warm, study.study_id, kind, &[]);
                            }
                        }
                    }
                }
            })
            .map_err(|e| Error::Storage(format!("cannot start the dashboard's thread: {e}")))?;
        let app = router(state);
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("ferrotune-dashboard".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                        let _ = stopped.await;
                    });
                    // A failed accept loop ends the server; the caller sees
                    // it by `wait` returning.
                    let _ = serve.await;
                });
            })
            .map_err(|e| Error::Storage(format!("cannot start the dashboard's thread: {e}")))?;
        Ok(Dashboard { addr, shutdown: Some(shutdown), thread: Some(thread) })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its URL, `http://127.0.0.1:8080/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Serve until the process is stopped.
    pub fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Dashboard {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/app.js", get(|| async { asset("text/javascript; charset=utf-8", APP_JS) }))
        .route("/style.css", get(|| async { asset("text/css; charset=utf-8", STYLE_CSS) }))
        .route("/api/studies", get(api::studies))
        .route("/api/studies/{id}", get(api::study))
        .route("/api/studies/{id}/version", get(api::version))
        .route("/api/studies/{id}/plot/{kind}", get(api::plot))
        .route("/api/studies/{id}/trials", get(api::trials))
        .route("/api/studies/{id}/trials/{number}", get(api::trial))
        .fallback(|| async { (StatusCode::NOT_FOUND, axum::Json(serde_json::json!({ "error": "no such page" }))) })
        .layer(middleware::from_fn_with_state(state.clone(), check_token))
        .with_state(state)
}

const INDEX_HTML: &str = include_str!("../web/index.html");
const APP_JS: &str = include_str!("../web/app.js");
const STYLE_CSS: &str = include_str!("../web/style.css");

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "no-cache")], body).into_response()
}

async fn index(State(state): State<AppState>, request_headers: HeaderMap, uri: axum::http::Uri) -> Response {
    let mut response = asset("text/html; charset=utf-8", INDEX_HTML);
    // A page opened with ?token= keeps it in a cookie, so its scripts and
    // API calls need not carry it.
    if let (Some(token), Some(query)) = (&state.token, uri.query()) {
        if query_token(query).is_some_and(|t| constant_time_eq(t.as_bytes(), token.as_bytes()))
            && cookie_token(&request_headers).is_none_or(|t| t != token.as_ref())
        {
            if let Ok(value) = format!("ferrotune_token={token}; HttpOnly; SameSite=Strict; Path=/").parse() {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
        }
    }
    response
}

fn query_token(query: &str) -> Option<String> {
    query.split('&').find_map(|pair| pair.strip_prefix("token=")).map(|t| t.replace("%2B", "+").replace("%2F", "/"))
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|cookies| {
        cookies.split(';').find_map(|c| c.trim().strip_prefix("ferrotune_token=").map(str::to_owned))
    })
}

/// Compare without an early exit, so the time taken says nothing of how
/// much of a guessed token was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn check_token(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(token) = &state.token else { return next.run(request).await };
    let headers = request.headers();
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let given = bearer.or_else(|| request.uri().query().and_then(query_token)).or_else(|| cookie_token(headers));
    if given.is_some_and(|g| constant_time_eq(g.as_bytes(), token.as_bytes())) {
        next.run(request).await
    } else {
        (
            StatusCode::UNAUTHORIZED,
            axum::Json(serde_json::json!({
                "error": "this dashboard needs its token: open the address it printed (with ?token=...)"
            })),
        )
            .into_response()
    }
}
