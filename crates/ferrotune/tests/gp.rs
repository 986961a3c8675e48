//! The GP sampler through the study: search quality on small budgets, mixed
//! spaces, parallel workers, constraints, reproducibility.

use std::collections::BTreeSet;
use std::time::Duration;

use ferrotune::samplers::{GpSampler, RandomSampler};
use ferrotune::{Optimize, Study, StudyDirection, Trial, TrialError};

/// Branin on [-5, 10] x [0, 15]; minimum 0.397887 at three points.
fn branin(trial: &mut Trial) -> Result<f64, TrialError> {
    let x = trial.suggest_float("x", -5.0, 10.0)?;
    let y = trial.suggest_float("y", 0.0, 15.0)?;
    let pi = std::f64::consts::PI;
    let b = 5.1 / (4.0 * pi * pi);
    let c = 5.0 / pi;
    Ok((y - b * x * x + c * x - 6.0).powi(2) + 10.0 * (1.0 - 1.0 / (8.0 * pi)) * x.cos() + 10.0)
}

#[test]
fn gp_finds_brannins_minimum_in_forty_trials_where_random_search_does_not() {
    let (mut gp_total, mut random_total) = (0.0, 0.0);
    for seed in 0..3 {
        let gp = Study::builder().sampler(GpSampler::with_seed(seed)).create().unwrap();
        gp.optimize(40, branin).unwrap();
        let random = Study::builder().sampler(RandomSampler::with_seed(seed)).create().unwrap();
        random.optimize(40, branin).unwrap();
        let (g, r) = (gp.best_value().unwrap() - 0.397887, random.best_value().unwrap() - 0.397887);
        assert!(g < 0.05, "seed {seed}: GP regret {g}");
        gp_total += g;
        random_total += r;
    }
    assert!(gp_total * 10.0 < random_total, "mean regret: GP {gp_total} vs random {random_total}");
}

#[test]
fn a_seeded_sequential_gp_study_repeats_exactly() {
    let run = || {
        let study = Study::builder().sampler(GpSampler::with_seed(7)).create().unwrap();
        study.optimize(16, branin).unwrap();
        study.trials().unwrap().iter().map(|t| t.param_values()).collect::<Vec<_>>()
    };
    assert_eq!(run(), run());
}

#[test]
fn mixed_spaces_are_modelled_and_maximize_works() {
    // Maximize: best at lr = 1e-2, layers = 3, act = "relu".
    let study = Study::builder().direction(StudyDirection::Maximize).sampler(GpSampler::with_seed(3)).create().unwrap();
    study
        .optimize(40, |t| {
            let lr = t.suggest_float_log("lr", 1e-5, 1.0)?;
            let layers = t.suggest_int("layers", 1, 6)?;
            let act = t.suggest_categorical("act", &["tanh", "relu", "gelu"])?;
            let bonus = if act == "relu" { 1.0 } else { 0.0 };
            Ok(bonus - (lr.log10() + 2.0).powi(2) - 0.3 * ((layers - 3) as f64).powi(2))
        })
        .unwrap();
    let best = study.best_trial().unwrap().param_values();
    assert_eq!(best["act"].as_str(), Some("relu"));
    assert_eq!(best["layers"].as_i64(), Some(3));
    let lr = best["lr"].as_f64().unwrap();
    assert!((lr.log10() + 2.0).abs() < 0.5, "lr {lr}");
}

#[test]
fn parallel_workers_get_distinct_points_from_the_model() {
    let sampler = GpSampler::builder().seed(5).n_startup_trials(6).build().unwrap();
    let study = Study::builder().sampler(sampler).create().unwrap();
    study
        .optimize_with(Optimize::new().n_trials(18).n_jobs(3), |t| {
            let x = t.suggest_int("x", 0, 20)?;
            let y = t.suggest_int("y", 0, 20)?;
            std::thread::sleep(Duration::from_millis(30));
            Ok(((x - 7) * (x - 7) + (y - 13) * (y - 13)) as f64)
        })
        .unwrap();
    let modelled: Vec<(i64, i64)> = study
        .trials()
        .unwrap()
        .iter()
        .filter(|t| t.system_attrs.contains_key(ferrotune::core::RELATIVE_PARAMS_ATTR))
        .map(|t| (t.param_values()["x"].as_i64().unwrap(), t.param_values()["y"].as_i64().unwrap()))
        .collect();
    assert!(modelled.len() >= 9, "{modelled:?}");
    // Running trials are pending points: three workers asking at once
    // never get the same point.
    for window in modelled.windows(3) {
        let distinct: BTreeSet<_> = window.iter().collect();
        assert_eq!(distinct.len(), 3, "{modelled:?}");
    }
}

#[test]
fn constraints_steer_the_gp_to_the_feasible_region() {
    // Minimize x + y subject to x + y >= 1 on [0, 1]^2.
    let study = Study::builder().sampler(GpSampler::with_seed(2)).create().unwrap();
    study
        .optimize(30, |t| {
            let x = t.suggest_float("x", 0.0, 1.0)?;
            let y = t.suggest_float("y", 0.0, 1.0)?;
            t.set_constraint("sum_at_least_one", 1.0 - x - y)?;
            Ok(x + y)
        })
        .unwrap();
    let late = study.trials().unwrap()[15..].to_vec();
    // The optimum lies on the constraint's boundary: late trials hug it from
    // both sides, and the best feasible one is close to it.
    let near = late.iter().filter(|t| t.constraints()["sum_at_least_one"].abs() < 0.15).count();
    assert!(near * 3 >= late.len() * 2, "{near} of {} late trials near the boundary", late.len());
    let best_feasible = study
        .trials()
        .unwrap()
        .iter()
        .filter(|t| t.constraint_violation() <= 0.0)
        .filter_map(|t| t.value())
        .fold(f64::MAX, f64::min);
    assert!(best_feasible < 1.05, "best feasible {best_feasible}");
    // Without the constraint the same study runs to the infeasible corner.
    let free = Study::builder().sampler(GpSampler::with_seed(2)).create().unwrap();
    free.optimize(30, |t| Ok(t.suggest_float("x", 0.0, 1.0)? + t.suggest_float("y", 0.0, 1.0)?)).unwrap();
    assert!(free.best_value().unwrap() < 0.3);
}

#[test]
fn several_objectives_run_through_the_study_in_both_directions() {
    // Minimize x, maximize x (one front: every x); then a trade-off with a
    // maximized objective: all of the complete trials' values come back
    // as told, and the front is made of them.
    let study = Study::builder()
        .directions([StudyDirection::Minimize, StudyDirection::Maximize])
        .sampler(GpSampler::builder().seed(1).n_startup_trials(4).build().unwrap())
        .create()
        .unwrap();
    study
        .optimize(12, |t| {
            let x = t.suggest_float("x", 0.0, 1.0)?;
            Ok(vec![x * x, 1.0 - (x - 1.0) * (x - 1.0)])
        })
        .unwrap();
    let trials = study.trials().unwrap();
    assert_eq!(trials.iter().filter(|t| t.state == ferrotune::TrialState::Complete).count(), 12);
    let front = study.best_trials().unwrap();
    assert!(!front.is_empty());
    // On this problem both objectives improve together as x goes to 0 for
    // the first and 1 for the second: every x in [0, 1] is Pareto-optimal.
    assert_eq!(front.len(), 12);
}
