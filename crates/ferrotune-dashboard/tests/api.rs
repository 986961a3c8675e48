//! The dashboard's API over HTTP, against a study the test makes in
//! memory: what each endpoint answers, bad requests (4xx with a message,
//! never a panic), and a storage that goes away (503, the server still
//! running, and answering again when it is back).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ferrotune::core::{AttrScope, NewTrial, Storage, TrialChanges};
use ferrotune::samplers::RandomSampler;
use ferrotune::storage::InMemoryStorage;
use ferrotune::{AttrValue, Error, FrozenTrial, Result, Study, StudyDirection, StudyInfo, TrialOutcome, TrialState};
use ferrotune_dashboard::{Dashboard, DashboardOptions};
use serde_json::Value;

/// An in-memory storage whose reads can be made to fail, as a database
/// that went away.
struct Flaky {
    inner: InMemoryStorage,
    down: AtomicBool,
}

impl Flaky {
    fn check(&self) -> Result<()> {
        if self.down.load(Ordering::SeqCst) {
            Err(Error::Storage("connection refused (the test took the database away)".into()))
        } else {
            Ok(())
        }
    }
}

impl Storage for Flaky {
    fn create_study(&self, name: &str, directions: &[StudyDirection]) -> Result<StudyInfo> {
        self.inner.create_study(name, directions)
    }
    fn study_by_name(&self, name: &str) -> Result<Option<StudyInfo>> {
        self.inner.study_by_name(name)
    }
    fn list_studies(&self) -> Result<Vec<StudyInfo>> {
        self.check()?;
        self.inner.list_studies()
    }
    fn delete_study(&self, study_id: i64) -> Result<()> {
        self.inner.delete_study(study_id)
    }
    fn set_study_attr(&self, study_id: i64, scope: AttrScope, key: &str, value: &AttrValue) -> Result<()> {
        self.inner.set_study_attr(study_id, scope, key, value)
    }
    fn create_trial(&self, study_id: i64, new: NewTrial) -> Result<Option<FrozenTrial>> {
        self.inner.create_trial(study_id, new)
    }
    fn add_trial(&self, study_id: i64, trial: &FrozenTrial) -> Result<Arc<FrozenTrial>> {
        self.inner.add_trial(study_id, trial)
    }
    fn claim_waiting_trial(&self, study_id: i64) -> Result<Option<FrozenTrial>> {
        self.inner.claim_waiting_trial(study_id)
    }
    fn set_trial_param(&self, trial_id: i64, name: &str, param: &ferrotune::core::TrialParam) -> Result<()> {
        self.inner.set_trial_param(trial_id, name, param)
    }
    fn set_trial_intermediate_value(&self, trial_id: i64, step: u64, value: f64) -> Result<()> {
        self.inner.set_trial_intermediate_value(trial_id, step, value)
    }
    fn set_trial_intermediate_values(&self, trial_id: i64, step: u64, values: &[f64]) -> Result<()> {
        self.inner.set_trial_intermediate_values(trial_id, step, values)
    }
    fn set_trial_attr(&self, trial_id: i64, scope: AttrScope, key: &str, value: &AttrValue) -> Result<()> {
        self.inner.set_trial_attr(trial_id, scope, key, value)
    }
    fn finish_trial(&self, trial_id: i64, state: TrialState, values: Option<&[f64]>) -> Result<Arc<FrozenTrial>> {
        self.inner.finish_trial(trial_id, state, values)
    }
    fn record_heartbeat(&self, trial_id: i64) -> Result<()> {
        self.inner.record_heartbeat(trial_id)
    }
    fn fail_stale_trials(&self, study_id: i64, grace_period: Duration) -> Result<Vec<Arc<FrozenTrial>>> {
        self.inner.fail_stale_trials(study_id, grace_period)
    }
    fn trial(&self, trial_id: i64) -> Result<FrozenTrial> {
        self.check()?;
        self.inner.trial(trial_id)
    }
    fn trials_changed_since(&self, study_id: i64, cursor: u64) -> Result<TrialChanges> {
        self.check()?;
        self.inner.trials_changed_since(study_id, cursor)
    }
}

/// A GET, answered as (status, JSON body).
fn get(dashboard: &Dashboard, path: &str) -> (u16, Value) {
    let mut stream = TcpStream::connect(dashboard.addr()).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status: u16 = response.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = response.split_once("\r\n\r\n").unwrap().1;
    // A chunked body (axum streams large ones): keep the JSON between the sizes.
    let json = if response.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        let mut out = String::new();
        let mut rest = body;
        while let Some((size, tail)) = rest.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16).unwrap();
            if n == 0 {
                break;
            }
            out.push_str(&tail[..n]);
            rest = &tail[n + 2..];
        }
        out
    } else {
        body.to_owned()
    };
    (status, serde_json::from_str(&json).unwrap_or_else(|e| panic!("{path}: {e}: {json}")))
}

/// 40 trials: every 5th pruned, every 7th failed, the rest complete.
fn study_on(storage: Arc<dyn Storage>) -> Study {
    let study = Study::builder().name("demo").storage(storage).sampler(RandomSampler::with_seed(3)).create().unwrap();
    for i in 0..40u64 {
        let mut trial = study.ask().unwrap();
        let x = trial.suggest_float("x", -2.0, 2.0).unwrap();
        let k = trial.suggest_categorical("kind", &["a", "b"]).unwrap();
        trial.report(0, x * x + 1.0).unwrap();
        let outcome = if i % 7 == 6 {
            TrialOutcome::Failed("boom".into())
        } else if i % 5 == 4 {
            TrialOutcome::Pruned
        } else {
            TrialOutcome::Complete(vec![x * x + if k == "a" { 0.0 } else { 0.5 }])
        };
        study.tell_outcome(trial, outcome).unwrap();
    }
    study
}

fn start(storage: Arc<dyn Storage>) -> Dashboard {
    let options =
        DashboardOptions { port: 0, refresh_interval: Duration::from_millis(10), ..DashboardOptions::default() };
    Dashboard::start(storage, &options).unwrap()
}

#[test]
fn endpoints_answer_what_the_storage_holds() {
    let storage: Arc<dyn Storage> = Arc::new(InMemoryStorage::new());
    let study = study_on(Arc::clone(&storage));
    let trials = study.trials().unwrap();
    let complete: Vec<_> = trials.iter().filter(|t| t.state == TrialState::Complete).collect();
    let best = study.best_trial().unwrap();
    // The objective's name as Optuna's `set_metric_names` and `ferrotune
    // run` store it.
    study.set_system_attr(ferrotune::core::METRIC_NAMES_ATTR, serde_json::json!(["val_loss"])).unwrap();
    let dashboard = start(storage);

    let (code, body) = get(&dashboard, "/api/studies");
    assert_eq!(code, 200);
    let summary = &body["studies"][0];
    assert_eq!(summary["metric_names"], serde_json::json!(["val_loss"]));
    assert_eq!(summary["n_trials"], 40);
    assert_eq!(summary["counts"]["complete"], complete.len());
    assert_eq!(summary["counts"]["failed"], trials.iter().filter(|t| t.state == TrialState::Failed).count());
    assert_eq!(summary["best"]["number"], best.number);

    let (_, history) = get(&dashboard, "/api/studies/1/plot/optimization-history");
    assert_eq!(history["points"].as_array().unwrap().len(), complete.len());
    assert_eq!(history["best_trial"]["number"], best.number);

    // The filter every view shares: trials 0 to 19, complete ones.
    let (_, filtered) = get(&dashboard, "/api/studies/1/plot/optimization-history?numbers=0:19");
    let expected = complete.iter().filter(|t| t.number <= 19).count();
    assert_eq!(filtered["n_total"], expected);
    let (_, by_kind) = get(&dashboard, "/api/studies/1/plot/slice?p.kind=a");
    let kind_a = complete.iter().filter(|t| t.param_values()["kind"] == ferrotune::ParamValue::Str("a".into())).count();
    assert!(by_kind["panels"].as_array().unwrap().iter().all(|p| p["n_total"] == kind_a));

    // The table: sorted by value, a page at a time, jump to a number.
    let (_, page) = get(&dashboard, "/api/studies/1/trials?sort=value&limit=5");
    assert_eq!(page["total"], 40);
    assert_eq!(page["numbers"][0], best.number);
    let (_, jumped) = get(&dashboard, "/api/studies/1/trials?at=33&limit=3");
    assert_eq!(jumped["offset"], 33);
    assert_eq!(jumped["numbers"], serde_json::json!([33, 34, 35]));
    let (_, pruned) = get(&dashboard, "/api/studies/1/trials?states=pruned&limit=100");
    assert_eq!(pruned["total"], trials.iter().filter(|t| t.state == TrialState::Pruned).count());

    // One trial in full.
    let (code, trial) = get(&dashboard, "/api/studies/1/trials/6");
    assert_eq!(code, 200);
    assert_eq!(trial["state"], "failed");
    assert_eq!(trial["fail_reason"], "boom");
    assert_eq!(trial["intermediate_values"].as_array().unwrap().len(), 1);

    // New trials appear.
    let mut trial = study.ask().unwrap();
    trial.suggest_float("x", -2.0, 2.0).unwrap();
    study.tell(trial, 0.0).unwrap();
    std::thread::sleep(Duration::from_millis(30));
    let (_, version) = get(&dashboard, "/api/studies/1/version");
    assert_eq!(version["n_trials"], 41);
}

#[test]
fn bad_requests_get_a_4xx_that_says_why() {
    let storage: Arc<dyn Storage> = Arc::new(InMemoryStorage::new());
    study_on(Arc::clone(&storage));
    let dashboard = start(storage);
    for (path, status, words) in [
        ("/api/studies/7", 404, "no study"),
        ("/api/studies/-1/trials", 404, "no study"),
        ("/api/studies/x", 400, "not a number"),
        ("/api/studies/99999999999999999999999", 400, "not a number"),
        ("/api/studies/1/plot/histogram", 404, "unknown plot kind"),
        ("/api/studies/1/plot/pareto-front", 400, "two objectives"),
        ("/api/studies/1/plot/contour?params=x", 400, "two parameters"),
        ("/api/studies/1/plot/slice?max_points=1", 400, "max_points"),
        ("/api/studies/1/plot/contour?grid_size=100000", 400, "grid_size"),
        ("/api/studies/1/plot/slice?value=2:1", 400, "low end"),
        ("/api/studies/1/plot/slice?p.=1:2", 400, "no parameter name"),
        ("/api/studies/1/plot/param-importances?evaluator=shap", 400, "evaluator"),
        ("/api/studies/1/trials?limit=0", 400, "limit"),
        ("/api/studies/1/trials?limit=18446744073709551616", 400, "not a valid number"),
        ("/api/studies/1/trials?sort=p.", 400, "sort"),
        ("/api/studies/1/trials/abc", 400, "not a number"),
        ("/api/studies/1/trials/40", 404, "no trial 40"),
        ("/nothing/here", 404, "no such page"),
    ] {
        let (code, body) = get(&dashboard, path);
        assert_eq!(code, status, "{path}: {body}");
        let message = body["error"].as_str().unwrap_or_default();
        assert!(message.contains(words), "{path}: {message}");
    }
    assert_eq!(get(&dashboard, "/api/studies").0, 200);
}

#[test]
fn a_storage_that_goes_away_is_a_503_and_the_server_carries_on() {
    let flaky = Arc::new(Flaky { inner: InMemoryStorage::new(), down: AtomicBool::new(false) });
    let storage: Arc<dyn Storage> = flaky.clone();
    study_on(Arc::clone(&storage));
    let dashboard = start(storage);
    assert_eq!(get(&dashboard, "/api/studies/1").0, 200);
    flaky.down.store(true, Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(20));
    for path in ["/api/studies", "/api/studies/1/version"] {
        let (code, body) = get(&dashboard, path);
        assert_eq!(code, 503, "{path}: {body}");
        assert!(body["error"].as_str().unwrap().contains("connection refused"), "{body}");
    }
    flaky.down.store(false, Ordering::SeqCst);
    let (code, body) = get(&dashboard, "/api/studies/1/version");
    assert_eq!((code, body["n_trials"].as_u64()), (200, Some(40)));
}

#[test]
fn the_page_and_its_assets_are_served() {
    let dashboard = start(Arc::new(InMemoryStorage::new()));
    let mut stream = TcpStream::connect(dashboard.addr()).unwrap();
    write!(stream, "GET /app.js HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"));
    assert!(response.contains("text/javascript") && response.contains("function route()"));
    let (code, body) = get(&dashboard, "/api/studies");
    assert_eq!((code, body["studies"].as_array().map(Vec::len)), (200, Some(0)));
}
