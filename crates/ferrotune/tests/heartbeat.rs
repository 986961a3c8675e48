//! Heartbeats and retries (issue 22): a worker that dies mid-trial leaves a
//! trial that the next worker to ask fails as stale, with the reason, and
//! retries with the same parameters; a worker that is alive keeps its trial
//! however long it runs.

use std::sync::Arc;
use std::time::Duration;

use ferrotune::core::Storage;
use ferrotune::samplers::RandomSampler;
use ferrotune::{
    Error, Optimize, Study, StudyBuilder, TrialState, RETRY_COUNT_ATTR, RETRY_HISTORY_ATTR, RETRY_OF_ATTR,
};

const INTERVAL: Duration = Duration::from_millis(40);
const GRACE: Duration = Duration::from_millis(200);

fn sqlite() -> (Arc<dyn Storage>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let storage = ferrotune::storage::open(&format!("sqlite:///{}", dir.path().join("s.db").display())).unwrap();
    (storage, dir)
}

fn worker(storage: &Arc<dyn Storage>, seed: u64) -> StudyBuilder {
    Study::builder()
        .name("hb")
        .storage(storage.clone())
        .sampler(RandomSampler::with_seed(seed))
        .heartbeat_interval(INTERVAL)
        .grace_period(GRACE)
        .load_if_exists(true)
}

/// A worker thread that asks a trial, suggests its parameters and dies
/// (the thread ends without telling: its `Trial`, and so its heartbeat, is
/// gone). Returns the trial's number.
fn die_mid_trial(study: &Study) -> u64 {
    let study = study.clone();
    std::thread::spawn(move || {
        let mut trial = study.ask().unwrap();
        trial.suggest_float("x", -10.0, 10.0).unwrap();
        trial.suggest_int("n", 1, 100).unwrap();
        trial.number()
    })
    .join()
    .unwrap()
}

#[test]
fn a_dead_workers_trial_is_failed_and_retried_with_its_parameters() {
    let (storage, _dir) = sqlite();
    let dead = worker(&storage, 1).create().unwrap();
    let number = die_mid_trial(&dead);
    let original = dead.trials().unwrap()[number as usize].clone();
    assert_eq!(original.state, TrialState::Running);

    let alive = worker(&storage, 2).max_retries(2).create().unwrap();
    // Within the grace period the trial is left alone.
    assert!(alive.fail_stale_trials().unwrap().is_empty());
    std::thread::sleep(GRACE + INTERVAL * 2);
    alive
        .optimize(1, |trial| {
            let x = trial.suggest_float("x", -10.0, 10.0)?;
            let n = trial.suggest_int("n", 1, 100)?;
            Ok(x + n as f64)
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let trials = alive.trials().unwrap();
    let failed = &trials[number as usize];
    assert_eq!(failed.state, TrialState::Failed);
    let reason = failed.fail_reason().unwrap();
    assert!(reason.starts_with("heartbeat: no heartbeat for ") && reason.ends_with("(grace period 0.2 s)"), "{reason}");
    assert_eq!(trials.len(), 2, "one retry, run by the optimize call");
    let retry = &trials[1];
    assert_eq!(retry.state, TrialState::Complete);
    assert_eq!(retry.param_values(), original.param_values(), "the retry runs the same parameters");
    assert_eq!(retry.system_attrs[RETRY_OF_ATTR], serde_json::json!(number));
    assert_eq!(retry.system_attrs[RETRY_HISTORY_ATTR], serde_json::json!([number]));
    assert_eq!(retry.system_attrs[RETRY_COUNT_ATTR], serde_json::json!(1));
    assert!(!retry.system_attrs.contains_key("fail_reason"));
}

#[test]
fn retries_inherit_intermediate_values_when_asked() {
    for inherit in [false, true] {
        let (storage, _dir) = sqlite();
        let dead = worker(&storage, 8).create().unwrap();
        let study = dead.clone();
        std::thread::spawn(move || {
            let mut trial = study.ask().unwrap();
            trial.suggest_float("x", 0.0, 1.0).unwrap();
            trial.report(0, 0.5).unwrap();
            trial.report(1, 0.25).unwrap();
        })
        .join()
        .unwrap();
        let alive = worker(&storage, 9).max_retries(1).inherit_intermediate_values(inherit).create().unwrap();
        std::thread::sleep(GRACE + INTERVAL * 2);
        assert_eq!(alive.fail_stale_trials().unwrap().len(), 1);
        let retry = alive.trials().unwrap()[1].clone();
        assert_eq!(retry.state, TrialState::Waiting);
        let expected: Vec<(u64, f64)> = if inherit { vec![(0, 0.5), (1, 0.25)] } else { vec![] };
        assert_eq!(retry.intermediate_values.clone().into_iter().collect::<Vec<_>>(), expected, "inherit = {inherit}");
    }
}

#[test]
fn retries_stop_after_max_retries() {
    let (storage, _dir) = sqlite();
    let study = worker(&storage, 3).max_retries(1).create().unwrap();
    let first = die_mid_trial(&study);
    std::thread::sleep(GRACE + INTERVAL * 2);
    // This ask fails trial 0, enqueues its retry and claims it; the retry dies too.
    let second = die_mid_trial(&study);
    let trials = study.trials().unwrap();
    assert_eq!(trials[second as usize].system_attrs[RETRY_OF_ATTR], serde_json::json!(first));
    assert_eq!(trials[second as usize].param_values(), trials[first as usize].param_values());
    std::thread::sleep(GRACE + INTERVAL * 2);
    let failed = study.fail_stale_trials().unwrap();
    assert_eq!(failed.iter().map(|t| t.number).collect::<Vec<_>>(), vec![second]);
    let trials = study.trials().unwrap();
    assert_eq!(trials.len(), 2, "max_retries = 1: the retry of a retry is not enqueued");
    assert!(trials.iter().all(|t| t.state == TrialState::Failed));
}

#[test]
fn without_max_retries_a_stale_trial_is_failed_but_not_retried() {
    let (storage, _dir) = sqlite();
    let study = worker(&storage, 4).create().unwrap();
    die_mid_trial(&study);
    std::thread::sleep(GRACE + INTERVAL * 2);
    assert_eq!(study.fail_stale_trials().unwrap().len(), 1);
    assert_eq!(study.trials().unwrap().len(), 1);
}

#[test]
fn a_living_worker_keeps_its_trial_however_long_it_runs() {
    let (storage, _dir) = sqlite();
    let slow = worker(&storage, 5).create().unwrap();
    let other = worker(&storage, 6).max_retries(3).create().unwrap();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            slow.optimize(1, |trial| {
                let x = trial.suggest_float("x", 0.0, 1.0)?;
                std::thread::sleep(GRACE * 4);
                Ok(x)
            })
            .unwrap();
        });
        std::thread::sleep(INTERVAL);
        // Another worker asks (and so checks for stale trials) all along.
        other
            .optimize(12, |trial| {
                std::thread::sleep(GRACE / 4);
                Ok(trial.suggest_float("x", 0.0, 1.0)?)
            })
            .unwrap();
    });
    let trials = slow.trials().unwrap();
    assert_eq!(trials.len(), 13);
    assert!(
        trials.iter().all(|t| t.state == TrialState::Complete),
        "{:?}",
        trials.iter().map(|t| (t.number, t.state, t.fail_reason())).collect::<Vec<_>>()
    );
}

#[test]
fn trials_started_without_heartbeats_are_never_failed() {
    let (storage, _dir) = sqlite();
    let plain = Study::builder().name("hb").storage(storage.clone()).create().unwrap();
    die_mid_trial(&plain);
    let watching = worker(&storage, 7).max_retries(1).create().unwrap();
    std::thread::sleep(GRACE + INTERVAL * 2);
    assert!(watching.fail_stale_trials().unwrap().is_empty());
    assert_eq!(watching.trials().unwrap()[0].state, TrialState::Running);
    // And a study without heartbeats fails nothing.
    let _stale = die_mid_trial(&watching);
    std::thread::sleep(GRACE + INTERVAL * 2);
    assert!(plain.fail_stale_trials().unwrap().is_empty());
}

#[test]
fn heartbeat_settings_are_checked() {
    let bad = |builder: StudyBuilder, words: &str| match builder.create() {
        Err(Error::InvalidArgument(m)) => assert!(m.contains(words), "{m}"),
        other => panic!("expected a refusal mentioning {words}, got {other:?}"),
    };
    bad(Study::builder().grace_period(GRACE), "grace_period needs heartbeat_interval");
    bad(Study::builder().max_retries(3), "max_retries needs heartbeat_interval");
    bad(Study::builder().heartbeat_interval(Duration::ZERO), "heartbeat_interval must be positive");
    bad(Study::builder().heartbeat_interval(GRACE).grace_period(GRACE), "must be longer than heartbeat_interval");
    bad(Study::builder().heartbeat_interval(GRACE).inherit_intermediate_values(true), "needs max_retries");
    assert!(
        Study::builder().heartbeat_interval(INTERVAL).create().is_ok(),
        "grace_period defaults to twice the interval"
    );
}

/// With retries on, a worker that reaches the study's total of sampled
/// trials does not stop while another worker's trial still runs: that
/// worker dies, its trial goes stale, and the survivor runs the retry, so
/// the study ends with every sampled configuration complete once.
#[test]
fn the_total_reached_a_worker_waits_to_run_a_dead_workers_retry() {
    let (storage, _dir) = sqlite();
    let study = worker(&storage, 5).max_retries(3).create().unwrap();
    // The clock starts before the dead worker's last heartbeat, so however
    // slow the set-up on a loaded machine, finishing before the trial went
    // stale would show as less than the grace period.
    let started = std::time::Instant::now();
    let dead = die_mid_trial(&study);
    // A trial left running without a heartbeat is not waited for: nothing
    // would ever end it.
    let quiet = storage.create_trial(study.id(), Default::default()).unwrap().unwrap();
    study
        .optimize_with(Optimize::new().max_sampled_trials(5), |trial| {
            let x = trial.suggest_float("x", -10.0, 10.0)?;
            trial.suggest_int("n", 1, 100)?;
            Ok(x)
        })
        .unwrap();
    assert!(started.elapsed() >= GRACE, "it waited for the dead worker's trial to go stale");
    let trials = study.trials().unwrap();
    assert_eq!(trials.len(), 6);
    assert_eq!(trials[dead as usize].state, TrialState::Failed);
    assert_eq!(trials[quiet.number as usize].state, TrialState::Running);
    let retry = trials.iter().find(|t| t.system_attrs.contains_key(RETRY_OF_ATTR)).unwrap();
    assert_eq!(retry.state, TrialState::Complete);
    assert_eq!(retry.param_values(), trials[dead as usize].param_values());
    assert_eq!(trials.iter().filter(|t| t.state == TrialState::Complete).count(), 4);

    // Without retries nobody would run one: the worker stops at once.
    let (storage, _dir) = sqlite();
    let study = worker(&storage, 6).create().unwrap();
    die_mid_trial(&study);
    study
        .optimize_with(Optimize::new().max_sampled_trials(2), |trial| Ok(trial.suggest_float("x", 0.0, 1.0)?))
        .unwrap();
    // It did not wait for the dead trial to go stale: had it waited, it
    // would have failed that trial (a timing bound would be flaky on a
    // loaded machine; the state is not).
    assert_eq!(study.trials().unwrap().iter().filter(|t| t.state == TrialState::Running).count(), 1);
}
