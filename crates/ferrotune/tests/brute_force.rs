//! `BruteForceSampler` through a whole study (issue 24): every combination
//! of a define-by-run space once, then `optimize` stops by itself; with
//! parallel workers, every combination still tried and the study still
//! stopping; a float without a step fails its trial with the reason.

use std::collections::BTreeSet;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use ferrotune::samplers::BruteForceSampler;
use ferrotune::storage::SqliteStorage;
use ferrotune::{Optimize, ParamValue, Study, Trial, TrialError, TrialState};

/// Optuna's example: `c` picks a stepped float `x` (5 values) or ints `a`
/// and `b >= a` (6 pairs): 11 combinations.
fn objective(trial: &mut Trial) -> Result<f64, TrialError> {
    if trial.suggest_categorical("c", &["float", "int"])? == "float" {
        Ok(trial.suggest_float_step("x", 1.0, 3.0, 0.5)?)
    } else {
        let a = trial.suggest_int("a", 1, 3)?;
        Ok((a + trial.suggest_int("b", a, 3)?) as f64)
    }
}

fn combinations(study: &Study) -> Vec<String> {
    study
        .trials()
        .unwrap()
        .iter()
        .map(|t| t.params.iter().map(|(n, p)| format!("{n}={}", p.value())).collect::<Vec<_>>().join(" "))
        .collect()
}

#[test]
fn every_combination_once_then_the_study_stops() {
    for seed in 0..5 {
        let study = Study::builder().sampler(BruteForceSampler::with_seed(seed)).create().unwrap();
        study.optimize(100, objective).unwrap();
        let tried = combinations(&study);
        assert_eq!(tried.len(), 11, "seed {seed}: {tried:?}");
        assert_eq!(tried.iter().collect::<BTreeSet<_>>().len(), 11, "seed {seed}: a repeat in {tried:?}");
        assert!(tried.iter().all(|c| c.starts_with("c=")), "parameters in suggestion order: {tried:?}");
    }
}

#[test]
fn a_second_optimize_on_a_finished_search_runs_one_trial_and_stops() {
    let dir = tempfile::tempdir().unwrap();
    let storage = SqliteStorage::open(dir.path().join("s.db")).unwrap();
    let study = Study::builder().storage(Arc::new(storage)).sampler(BruteForceSampler::with_seed(1)).create().unwrap();
    study.optimize(100, objective).unwrap();
    assert_eq!(study.trials().unwrap().len(), 11);
    // As Optuna: the search is over, so the next trial repeats some
    // combination and the study stops after it.
    study.optimize(100, objective).unwrap();
    assert_eq!(study.trials().unwrap().len(), 12);
}

#[test]
fn parallel_workers_try_everything_and_stop() {
    let study = Study::builder().sampler(BruteForceSampler::with_seed(2)).create().unwrap();
    // The objective takes a moment, as a real one does, so that workers
    // mostly choose while the others are training.
    let slow_objective = |trial: &mut Trial| {
        let value = objective(trial);
        std::thread::sleep(std::time::Duration::from_millis(2));
        value
    };
    study.optimize_with(Optimize::new().n_trials(100).n_jobs(3), slow_objective).unwrap();
    let tried = combinations(&study);
    assert_eq!(tried.iter().collect::<BTreeSet<_>>().len(), 11, "{tried:?}");
    // Workers steer clear of each other's running trials, so a repeat
    // comes only from two workers choosing at the same moment: 11 trials is
    // typical, 13 the most in 300 runs.
    assert!(tried.len() <= 11 + 5, "{} trials: {tried:?}", tried.len());
}

#[test]
fn a_trial_still_choosing_keeps_its_branch_open_for_its_worker() {
    // A regularizer off, or on with a strength k of 1 to 3: 4 combinations.
    // Two workers take the enqueued reg=on and reg=off trials; reg=on waits
    // before suggesting k until the reg=off trial has finished and its
    // worker has asked whether the search is over. Then the running trial
    // counts for its whole branch (as in Optuna), so that worker stops; the
    // other, once reg=on has its k, must go on with the two strengths left.
    let off_done = Arc::new((Mutex::new(false), Condvar::new()));
    let study = Study::builder().sampler(BruteForceSampler::with_seed(0)).create().unwrap();
    study.enqueue_trial([("reg", ParamValue::from("on"))]).unwrap();
    study.enqueue_trial([("reg", ParamValue::from("off"))]).unwrap();
    let objective = |trial: &mut Trial| {
        if trial.suggest_categorical("reg", &["off", "on"])? == "off" {
            return Ok(0.0);
        }
        if trial.number() == 0 {
            let (done, changed) = &*off_done;
            let guard = done.lock().unwrap();
            let _ = changed.wait_timeout_while(guard, Duration::from_secs(10), |done| !*done).unwrap();
            // The callback runs just before the exhaustion check.
            std::thread::sleep(Duration::from_millis(200));
        }
        Ok(trial.suggest_int("k", 1, 3)? as f64)
    };
    let signal = off_done.clone();
    let options = Optimize::new().n_trials(100).n_jobs(2).callback(move |_, trial| {
        if trial.params.get("reg").map(|p| p.value()) == Some(ParamValue::from("off")) {
            *signal.0.lock().unwrap() = true;
            signal.1.notify_all();
        }
    });
    study.optimize_with(options, objective).unwrap();
    let tried = combinations(&study);
    assert!(*off_done.0.lock().unwrap(), "the reg=off trial ran: {tried:?}");
    let distinct: BTreeSet<_> = tried.iter().collect();
    assert_eq!(distinct.len(), 4, "{tried:?}");
    // One worker alone finishes the branch; a repeat only if the check came
    // late (a loaded machine) and both workers chose at once.
    assert!(tried.len() <= 6, "{tried:?}");
}

#[test]
fn a_float_without_a_step_fails_its_trial_naming_the_parameter() {
    let study = Study::builder().sampler(BruteForceSampler::with_seed(0)).create().unwrap();
    study.optimize(1, |trial| Ok(trial.suggest_float("lr", 0.0, 1.0)?)).unwrap();
    let trial = &study.trials().unwrap()[0];
    assert_eq!(trial.state, TrialState::Failed);
    let reason = trial.fail_reason().unwrap_or_default();
    assert!(reason.contains("'lr'") && reason.contains("step"), "{reason}");
}
