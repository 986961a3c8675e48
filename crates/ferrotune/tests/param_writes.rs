//! Gathered parameter writes (issue 22): with a database storage a trial's
//! suggestions are stored with its next write (its tell: one write for the
//! parameters and the outcome) or by the study's writer thread within a few
//! milliseconds, so other workers still see a running trial's parameters.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ferrotune::core::{AttrScope, AttrValue, NewTrial, Storage, StudyDirection, StudyInfo, TrialChanges, TrialParam};
use ferrotune::samplers::RandomSampler;
use ferrotune::{Error, FrozenTrial, Study, TrialOutcome, TrialState};

/// A storage that records which writes reach it, and can fail the writer
/// thread's parameter writes.
struct Recording {
    inner: Arc<dyn Storage>,
    calls: Mutex<Vec<String>>,
    fail_param_writes: AtomicBool,
}

impl Recording {
    fn new() -> (Arc<Recording>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let inner = ferrotune::storage::open(&format!("sqlite:///{}", dir.path().join("p.db").display())).unwrap();
        (Arc::new(Recording { inner, calls: Mutex::default(), fail_param_writes: AtomicBool::new(false) }), dir)
    }

    fn note(&self, call: String) {
        self.calls.lock().unwrap().push(call);
    }

    fn take_calls(&self) -> Vec<String> {
        std::mem::take(&mut *self.calls.lock().unwrap())
    }
}

impl Storage for Recording {
    fn create_study(&self, name: &str, directions: &[StudyDirection]) -> ferrotune::Result<StudyInfo> {
        self.inner.create_study(name, directions)
    }
    fn study_by_name(&self, name: &str) -> ferrotune::Result<Option<StudyInfo>> {
        self.inner.study_by_name(name)
    }
    fn list_studies(&self) -> ferrotune::Result<Vec<StudyInfo>> {
        self.inner.list_studies()
    }
    fn delete_study(&self, study_id: i64) -> ferrotune::Result<()> {
        self.inner.delete_study(study_id)
    }
    fn set_study_attr(&self, study_id: i64, scope: AttrScope, key: &str, value: &AttrValue) -> ferrotune::Result<()> {
        self.inner.set_study_attr(study_id, scope, key, value)
    }
    fn create_trial(&self, study_id: i64, new: NewTrial) -> ferrotune::Result<Option<FrozenTrial>> {
        self.note("create_trial".into());
        self.inner.create_trial(study_id, new)
    }
    fn add_trial(&self, study_id: i64, trial: &FrozenTrial) -> ferrotune::Result<Arc<FrozenTrial>> {
        self.inner.add_trial(study_id, trial)
    }
    fn claim_waiting_trial(&self, study_id: i64) -> ferrotune::Result<Option<FrozenTrial>> {
        self.inner.claim_waiting_trial(study_id)
    }
    fn set_trial_param(&self, trial_id: i64, name: &str, param: &TrialParam) -> ferrotune::Result<()> {
        self.note(format!("set_trial_param {name}"));
        self.inner.set_trial_param(trial_id, name, param)
    }
    fn set_trial_params(&self, trial_id: i64, params: &[(String, TrialParam)]) -> ferrotune::Result<()> {
        self.note(format!("set_trial_params {}", params.len()));
        if self.fail_param_writes.load(Ordering::SeqCst) {
            return Err(Error::Storage("disk I/O error".into()));
        }
        self.inner.set_trial_params(trial_id, params)
    }
    fn gathers_param_writes(&self) -> bool {
        self.inner.gathers_param_writes()
    }
    fn set_trial_intermediate_value(&self, trial_id: i64, step: u64, value: f64) -> ferrotune::Result<()> {
        self.note("report".into());
        self.inner.set_trial_intermediate_value(trial_id, step, value)
    }
    fn set_trial_intermediate_values(&self, trial_id: i64, step: u64, values: &[f64]) -> ferrotune::Result<()> {
        self.inner.set_trial_intermediate_values(trial_id, step, values)
    }
    fn set_trial_attr(&self, trial_id: i64, scope: AttrScope, key: &str, value: &AttrValue) -> ferrotune::Result<()> {
        self.note(format!("set_trial_attr {key}"));
        self.inner.set_trial_attr(trial_id, scope, key, value)
    }
    fn finish_trial(
        &self,
        trial_id: i64,
        state: TrialState,
        values: Option<&[f64]>,
    ) -> ferrotune::Result<Arc<FrozenTrial>> {
        self.note("finish_trial".into());
        self.inner.finish_trial(trial_id, state, values)
    }
    fn finish_known_trial(
        &self,
        known: &FrozenTrial,
        unsaved: &[(String, TrialParam)],
        state: TrialState,
        values: Option<&[f64]>,
    ) -> ferrotune::Result<Arc<FrozenTrial>> {
        self.note(format!("finish_known_trial {}", unsaved.len()));
        self.inner.finish_known_trial(known, unsaved, state, values)
    }
    fn record_heartbeat(&self, trial_id: i64) -> ferrotune::Result<()> {
        self.inner.record_heartbeat(trial_id)
    }
    fn fail_stale_trials(&self, study_id: i64, grace: Duration) -> ferrotune::Result<Vec<Arc<FrozenTrial>>> {
        self.inner.fail_stale_trials(study_id, grace)
    }
    fn trial(&self, trial_id: i64) -> ferrotune::Result<FrozenTrial> {
        self.inner.trial(trial_id)
    }
    fn trials_changed_since(&self, study_id: i64, cursor: u64) -> ferrotune::Result<TrialChanges> {
        self.inner.trials_changed_since(study_id, cursor)
    }
}

/// The parameter writes among `calls` (the writer thread's and the
/// tell's), and how many parameters they carried in all.
fn param_writes(calls: &[String]) -> (usize, usize) {
    let counts: Vec<usize> = calls
        .iter()
        .filter_map(|c| c.strip_prefix("set_trial_params ").or_else(|| c.strip_prefix("finish_known_trial ")))
        .map(|n| n.parse().unwrap())
        .collect();
    (counts.len(), counts.iter().sum())
}

fn study(storage: &Arc<Recording>, seed: u64) -> Study {
    Study::builder()
        .name("gathered")
        .storage(storage.clone())
        .sampler(RandomSampler::with_seed(seed))
        .load_if_exists(true)
        .create()
        .unwrap()
}

fn suggest_ten(trial: &mut ferrotune::Trial) -> f64 {
    (0..10).map(|i| trial.suggest_float(&format!("x{i}"), -1.0, 1.0).unwrap()).sum()
}

/// A cheap trial's ten suggestions and its outcome are one write, and the
/// finished trial (built from what the worker knows, not read back) equals
/// the stored one.
#[test]
fn a_quick_trial_stores_its_parameters_with_its_tell() {
    let (storage, _dir) = Recording::new();
    let study = study(&storage, 1);
    let mut trial = study.ask().unwrap();
    let value = suggest_ten(&mut trial);
    let told = study.tell(trial, value).unwrap();
    let calls = storage.take_calls();
    // One write, unless the machine stalls for longer than the writer's
    // delay in the middle of the suggestions (then the writer takes what
    // is waiting, once per stall).
    assert_eq!(calls.first().map(String::as_str), Some("create_trial"), "{calls:?}");
    assert!(calls.last().unwrap().starts_with("finish_known_trial"), "{calls:?}");
    let (writes, params) = param_writes(&calls);
    assert_eq!(params, 10, "{calls:?}");
    assert!(writes <= 3, "{calls:?}");
    assert!(!calls.iter().any(|c| c.starts_with("set_trial_param ")), "{calls:?}");
    let stored = storage.inner.trial(told.trial_id).unwrap();
    assert_eq!(*told, stored);
    assert_eq!(stored.params.len(), 10);
    assert_eq!(stored.state, TrialState::Complete);
}

/// A trial that runs on without writing still shows its parameters to
/// other workers: the writer thread stores them within the delay.
#[test]
fn a_long_trial_shows_its_parameters_to_other_workers_while_it_runs() {
    let (storage, _dir) = Recording::new();
    let worker = study(&storage, 2);
    let other = study(&storage, 3);
    let mut trial = worker.ask().unwrap();
    let x = trial.suggest_float("x", 0.0, 1.0).unwrap();
    let started = Instant::now();
    let seen = loop {
        let running = other.trials().unwrap()[0].clone();
        if let Some(seen) = running.params.get("x") {
            break seen.internal;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "the running trial's parameter never reached the storage");
        std::thread::sleep(Duration::from_millis(2));
    };
    assert_eq!(seen, x);
    assert_eq!(other.trials().unwrap()[0].state, TrialState::Running);
    assert_eq!(storage.take_calls(), ["create_trial", "set_trial_params 1"]);
    worker.tell(trial, x).unwrap();
    assert_eq!(storage.take_calls(), ["finish_known_trial 0"]);
}

/// A report or an attribute writes the waiting suggestions before itself;
/// a trial told by its number while its `Trial` lives on, or dropped
/// untold, stores them too.
#[test]
fn other_writes_and_untold_trials_keep_every_suggestion() {
    let (storage, _dir) = Recording::new();
    let study = study(&storage, 4);

    let mut reported = study.ask().unwrap();
    suggest_ten(&mut reported);
    reported.report(0, 1.0).unwrap();
    reported.set_user_attr("note", "hi").unwrap();
    let calls = storage.take_calls();
    let reported_at = calls.iter().position(|c| c == "report").unwrap();
    assert_eq!(param_writes(&calls[..reported_at]).1, 10, "every suggestion is stored before the report: {calls:?}");
    assert_eq!(&calls[reported_at..], ["report", "set_trial_attr note"]);
    study.tell(reported, 1.0).unwrap();

    let mut by_number = study.ask().unwrap();
    let x = by_number.suggest_float("x", 0.0, 1.0).unwrap();
    let told = study.tell_number(by_number.number(), TrialOutcome::Complete(vec![x])).unwrap();
    assert_eq!(told.params["x"].internal, x, "told by number, the live trial's suggestion is stored first");

    let mut dropped = study.ask().unwrap();
    let y = dropped.suggest_float("y", 0.0, 1.0).unwrap();
    let number = dropped.number();
    drop(dropped);
    let stored = study.trials().unwrap()[number as usize].clone();
    assert_eq!(stored.state, TrialState::Running);
    assert_eq!(stored.params["y"].internal, y, "a dropped trial stores its suggestions");
}

/// A background write that fails is not lost silently: the trial's tell
/// returns the error and the trial is failed with the reason.
#[test]
fn a_failed_background_write_fails_the_trial() {
    let (storage, _dir) = Recording::new();
    let study = study(&storage, 5);
    storage.fail_param_writes.store(true, Ordering::SeqCst);
    let mut trial = study.ask().unwrap();
    let x = trial.suggest_float("x", 0.0, 1.0).unwrap();
    let number = trial.number();
    let started = Instant::now();
    while !storage.take_calls().iter().any(|c| c == "set_trial_params 1") {
        assert!(started.elapsed() < Duration::from_secs(5), "the writer thread never wrote");
        std::thread::sleep(Duration::from_millis(2));
    }
    storage.fail_param_writes.store(false, Ordering::SeqCst);
    let error = study.tell(trial, x).unwrap_err();
    assert!(error.to_string().contains("disk I/O error"), "{error}");
    let stored = study.trials().unwrap()[number as usize].clone();
    assert_eq!(stored.state, TrialState::Failed);
    assert!(stored.fail_reason().unwrap().contains("its parameters could not be stored"), "{:?}", stored.fail_reason());
}

/// `optimize` ends with the storage failure of a background write, after
/// failing the trial.
#[test]
fn optimize_ends_with_a_failed_background_write() {
    let (storage, _dir) = Recording::new();
    let study = study(&storage, 6);
    storage.fail_param_writes.store(true, Ordering::SeqCst);
    let error = study
        .optimize(3, |trial| {
            let x = trial.suggest_float("x", 0.0, 1.0)?;
            std::thread::sleep(Duration::from_millis(50));
            Ok(x)
        })
        .unwrap_err();
    assert!(matches!(error, Error::Storage(_)), "{error}");
    let trials = study.trials().unwrap();
    assert_eq!(trials.len(), 1, "the study stops at the failure");
    assert_eq!(trials[0].state, TrialState::Failed);
}
