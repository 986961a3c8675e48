//! TPE through the study: parallel workers, pruned trials, constraints.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ferrotune::core::RELATIVE_PARAMS_ATTR;
use ferrotune::samplers::TpeSampler;
use ferrotune::{Optimize, Study, StudyDirection, TrialError};

/// The configurations of the first four trials TPE proposed (rather than
/// the random startup), with four workers evaluating at once. Those four
/// wait in their objective until all four have started, so each was asked
/// while the ones before it were running: without the wait, a loaded
/// machine can finish one before the next is asked, and TPE may then
/// propose the finished configuration again, which is no fault of the liar.
fn first_tpe_batch(seed: u64, constant_liar: bool) -> Vec<(i64, i64)> {
    const BATCH: usize = 4;
    let sampler = TpeSampler::builder().seed(seed).n_startup_trials(8).constant_liar(constant_liar).build().unwrap();
    let study = Study::builder().sampler(sampler).create().unwrap();
    let started = AtomicUsize::new(0);
    study
        .optimize_with(Optimize::new().n_trials(24).n_jobs(BATCH), |trial| {
            let x = trial.suggest_int("x", 0, 9)?;
            let y = trial.suggest_int("y", 0, 9)?;
            if trial.frozen().system_attrs.contains_key(RELATIVE_PARAMS_ATTR)
                && started.fetch_add(1, Ordering::SeqCst) < BATCH
            {
                let deadline = Instant::now() + Duration::from_secs(30);
                while started.load(Ordering::SeqCst) < BATCH && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
            std::thread::sleep(Duration::from_millis(20));
            Ok(((x - 3) * (x - 3) + (y - 6) * (y - 6)) as f64)
        })
        .unwrap();
    study
        .trials()
        .unwrap()
        .iter()
        .filter(|t| t.system_attrs.contains_key(RELATIVE_PARAMS_ATTR))
        .take(BATCH)
        .map(|t| {
            let p = t.param_values();
            (p["x"].as_i64().unwrap(), p["y"].as_i64().unwrap())
        })
        .collect()
}

#[test]
fn four_parallel_workers_get_distinct_configurations_after_startup() {
    let mut without_liar_duplicates = 0;
    for seed in 0..6 {
        let batch = first_tpe_batch(seed, true);
        assert_eq!(batch.len(), 4);
        let distinct: BTreeSet<_> = batch.iter().collect();
        assert_eq!(distinct.len(), 4, "seed {seed}: duplicate configurations in the first batch {batch:?}");
        let batch = first_tpe_batch(seed, false);
        without_liar_duplicates += 4 - batch.iter().collect::<BTreeSet<_>>().len();
    }
    // The control: the same runs without the liar do repeat configurations,
    // so the assertion above is one the constant liar earns.
    assert!(without_liar_duplicates > 0, "without the constant liar no configuration repeated");
}

#[test]
fn infeasible_trials_rank_below_feasible_ones() {
    // Minimize x on [0, 1] subject to x >= 0.6: the unconstrained optimum is
    // infeasible, so TPE must learn to stay right of 0.6.
    let study = Study::builder().sampler(TpeSampler::with_seed(4)).create().unwrap();
    study
        .optimize(60, |trial| {
            let x = trial.suggest_float("x", 0.0, 1.0)?;
            trial.set_constraint("x_at_least_0.6", 0.6 - x)?;
            Ok(x)
        })
        .unwrap();
    let trials = study.trials().unwrap();
    // Unconstrained, TPE would drive x towards 0; constrained, it works
    // along the boundary at 0.6.
    let late_mean = trials[30..].iter().filter_map(|t| t.param_values()["x"].as_f64()).sum::<f64>() / 30.0;
    assert!((0.45..0.8).contains(&late_mean), "mean of the last 30 proposals: {late_mean}");
    let best_feasible = trials
        .iter()
        .filter(|t| t.constraint_violation() == 0.0)
        .filter_map(|t| t.value())
        .fold(f64::INFINITY, f64::min);
    assert!(best_feasible < 0.62, "best feasible value {best_feasible}");
    assert!(study.trials().unwrap()[0].constraints().contains_key("x_at_least_0.6"));
}

#[test]
fn tpe_learns_from_pruned_trials_and_works_with_hyperband() {
    use ferrotune::pruners::HyperbandPruner;
    let study = Study::builder()
        .direction(StudyDirection::Maximize)
        .sampler(TpeSampler::with_seed(2))
        .pruner(HyperbandPruner::builder().max_resource(Some(9)).build().unwrap())
        .create()
        .unwrap();
    study
        .optimize(80, |trial| {
            let rate = trial.suggest_float("rate", 0.01, 1.0)?;
            let mut accuracy = 0.0;
            for step in 0..9 {
                accuracy = 1.0 - (-rate * (step + 1) as f64).exp();
                trial.report(step, accuracy)?;
                if trial.should_prune()? {
                    return Err(TrialError::Pruned);
                }
            }
            Ok(accuracy)
        })
        .unwrap();
    let trials = study.trials().unwrap();
    let pruned = trials.iter().filter(|t| t.state == ferrotune::TrialState::Pruned).count();
    assert!(pruned > 0, "Hyperband pruned nothing");
    // BOHB-style: the model (per bracket) still finds fast learners.
    let late_rate: f64 = trials[40..].iter().map(|t| t.param_values()["rate"].as_f64().unwrap()).sum::<f64>() / 40.0;
    assert!(late_rate > 0.6, "mean rate of the last 40 proposals: {late_rate}");
}
