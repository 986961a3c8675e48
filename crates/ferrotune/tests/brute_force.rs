//! `BruteForceSampler` through a whole study (issue 24): every combination
//! of a define-by-run space once, then `optimize` stops by itself; with
//! parallel workers, every combination still tried and the study still
//! stopping; a float without a step fails its trial with the reason.

use std::collections::BTreeSet;
use std::sync::Arc;

use ferrotune::samplers::BruteForceSampler;
use ferrotune::storage::SqliteStorage;
use ferrotune::{Optimize, Study, Trial, TrialError, TrialState};

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
    // comes only from two workers choosing at the same moment, or from
    // asking while the others hold the last open combinations: 12 trials
    // is typical, 15 the most in 300 runs.
    assert!(tried.len() < 2 * 11, "{} trials: {tried:?}", tried.len());
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
