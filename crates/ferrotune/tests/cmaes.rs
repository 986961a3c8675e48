//! CMA-ES through the study: generations rebuilt from the trials, parallel
//! workers, restarts, integers with margin, warm start, bad input.

use std::collections::BTreeMap;
use std::sync::Arc;

use ferrotune::core::{Sampler, StudyView};
use ferrotune::samplers::{CmaEsSampler, RandomSampler, Restart, CMAES_GENERATION_ATTR};
use ferrotune::{FrozenTrial, Optimize, Study, StudyDirection, Trial, TrialError, TrialState};

/// A rotated, ill-conditioned quadratic in 4 dimensions with its minimum
/// (0) at (0.3, -0.2, 0.1, 0.4): only a learnt covariance follows it.
fn rotated_ellipsoid(trial: &mut Trial) -> Result<f64, TrialError> {
    let x: Vec<f64> =
        (0..4).map(|i| trial.suggest_float(&format!("x{i}"), -1.0, 1.0)).collect::<ferrotune::Result<_>>()?;
    let d = [x[0] - 0.3, x[1] + 0.2, x[2] - 0.1, x[3] - 0.4];
    // Rotate by 45 degrees in the (0, 1) and (2, 3) planes.
    let r = std::f64::consts::FRAC_1_SQRT_2;
    let y = [r * (d[0] + d[1]), r * (d[0] - d[1]), r * (d[2] + d[3]), r * (d[2] - d[3])];
    Ok(y.iter().enumerate().map(|(i, v)| 100f64.powi(i as i32) * v * v).sum())
}

fn best(study: &Study) -> f64 {
    study.best_value().unwrap()
}

fn generation(trial: &FrozenTrial) -> Option<u64> {
    trial.system_attrs.get(CMAES_GENERATION_ATTR)?.get("generation")?.as_u64()
}

#[test]
fn cmaes_beats_random_search_on_a_rotated_ellipsoid_and_repeats_exactly() {
    let mut wins = 0;
    for seed in 0..3 {
        let cma = Study::builder().sampler(CmaEsSampler::with_seed(seed)).create().unwrap();
        cma.optimize(800, rotated_ellipsoid).unwrap();
        let random = Study::builder().sampler(RandomSampler::with_seed(seed)).create().unwrap();
        random.optimize(800, rotated_ellipsoid).unwrap();
        assert!(best(&cma) < 1e-3, "seed {seed}: CMA-ES best {}", best(&cma));
        wins += u32::from(best(&cma) < best(&random) / 100.0);
    }
    assert_eq!(wins, 3, "CMA-ES should beat random search by two orders of magnitude");
    let again = Study::builder().sampler(CmaEsSampler::with_seed(0)).create().unwrap();
    again.optimize(400, rotated_ellipsoid).unwrap();
    let first = Study::builder().sampler(CmaEsSampler::with_seed(0)).create().unwrap();
    first.optimize(400, rotated_ellipsoid).unwrap();
    let params = |s: &Study| s.trials().unwrap().iter().map(|t| t.param_values()).collect::<Vec<_>>();
    assert_eq!(params(&first), params(&again));
}

#[test]
fn a_sequential_study_tells_one_generation_per_population() {
    let study = Study::builder().sampler(CmaEsSampler::with_seed(5)).create().unwrap();
    study.optimize(81, rotated_ellipsoid).unwrap();
    let trials = study.trials().unwrap();
    // Trial 0 is the independent startup trial; then λ = 4 + floor(3 ln 4) = 8
    // trials per generation, in order.
    assert_eq!(generation(&trials[0]), None);
    for (i, t) in trials[1..].iter().enumerate() {
        assert_eq!(generation(t), Some(i as u64 / 8), "trial {}", t.number);
    }
}

#[test]
fn a_fresh_sampler_rebuilds_the_same_state_from_the_trials() {
    // Two workers share a study; a third process (a sampler with an empty
    // memo) must propose exactly what the first would for the next trial.
    let sampler = CmaEsSampler::with_seed(9);
    let study = Study::builder().sampler(sampler.clone()).create().unwrap();
    study.optimize_with(Optimize::new().n_trials(60).n_jobs(3), rotated_ellipsoid).unwrap();
    let trials = study.trials().unwrap();
    let tags: Vec<(u64, Option<u64>)> = trials.iter().map(|t| (t.number, generation(t))).collect();
    assert!(
        trials.iter().filter_map(|t| generation(t)).max().unwrap() >= 4,
        "generations advanced in parallel: {tags:?}"
    );
    let mut next = FrozenTrial::new(-1, 60, TrialState::Running);
    next.params.clear();
    let mut all: Vec<Arc<FrozenTrial>> = trials.clone();
    all.push(Arc::new(next.clone()));
    let view = StudyView { study_name: "s", directions: &[StudyDirection::Minimize], trials: &all };
    let propose = |s: &CmaEsSampler| {
        let space = s.infer_relative_search_space(&view, &next);
        s.sample_relative(&view, &next, &space).unwrap()
    };
    let warm = propose(&sampler);
    assert_eq!(warm.len(), 4);
    assert_eq!(warm, propose(&CmaEsSampler::with_seed(9)));
}

#[test]
fn maximize_is_minimizing_the_negation() {
    let study =
        Study::builder().direction(StudyDirection::Maximize).sampler(CmaEsSampler::with_seed(2)).create().unwrap();
    study.optimize(800, |t| Ok(-rotated_ellipsoid(t)?)).unwrap();
    assert!(best(&study) > -1e-3, "best {}", best(&study));
}

#[test]
fn ipop_restarts_grow_the_population() {
    // A narrow 2-D bowl converges fast; IPOP then restarts with twice the
    // population, which shows as generations of 12, then 24 trials.
    let sampler = CmaEsSampler::builder().seed(1).restart(Restart::Ipop).population_size(6).build().unwrap();
    let study = Study::builder().sampler(sampler).create().unwrap();
    study
        .optimize(1500, |t| {
            let x = t.suggest_float("x", -1.0, 1.0)?;
            let y = t.suggest_float("y", -1.0, 1.0)?;
            Ok(x * x + y * y)
        })
        .unwrap();
    let mut sizes: BTreeMap<u64, usize> = BTreeMap::new();
    for t in study.trials().unwrap() {
        if let Some(g) = generation(&t) {
            *sizes.entry(g).or_default() += 1;
        }
    }
    let distinct: Vec<usize> = {
        let mut v: Vec<usize> = sizes.values().copied().collect();
        v.dedup();
        v
    };
    assert!(distinct.starts_with(&[6, 12]), "generation sizes over time: {distinct:?}");
}

#[test]
fn integers_with_margin_find_the_optimum_and_categoricals_are_sampled_independently() {
    let sampler = CmaEsSampler::builder().seed(3).with_margin(true).build().unwrap();
    let study = Study::builder().sampler(sampler).create().unwrap();
    study
        .optimize(300, |t| {
            let a = t.suggest_int("a", -10, 10)?;
            let b = t.suggest_int("b", -10, 10)?;
            let c = t.suggest_float("c", -1.0, 1.0)?;
            let kind = t.suggest_categorical("kind", &["x", "y"])?;
            let penalty = if kind == "y" { 0.0 } else { 0.5 };
            Ok(((a - 3) * (a - 3) + (b + 4) * (b + 4)) as f64 + c * c + penalty)
        })
        .unwrap();
    let best = study.best_trial().unwrap().param_values();
    assert_eq!((best["a"].as_i64(), best["b"].as_i64()), (Some(3), Some(-4)));
    // The categorical is outside CMA-ES's space: never in a relative sample.
    assert!(study.trials().unwrap().iter().all(|t| !t.relative_params().contains_key("kind")));
    assert!(study.trials().unwrap().iter().any(|t| t.relative_params().contains_key("a")));
}

/// A sphere in 3 dimensions with its minimum at (0.6, -0.3, 0.2).
fn shifted_sphere(trial: &mut Trial) -> Result<f64, TrialError> {
    let centre = [0.6, -0.3, 0.2];
    let mut total = 0.0;
    for (i, c) in centre.iter().enumerate() {
        total += (trial.suggest_float(&format!("x{i}"), -1.0, 1.0)? - c).powi(2);
    }
    Ok(total)
}

#[test]
fn a_warm_start_begins_near_the_source_studys_optimum() {
    let source = Study::builder().sampler(CmaEsSampler::with_seed(4)).create().unwrap();
    source.optimize(150, shifted_sphere).unwrap();
    // Mean value of the first two generations after the startup trial
    // (λ = 7 for 3 parameters).
    let first_generations = |sampler: CmaEsSampler| {
        let study = Study::builder().sampler(sampler).create().unwrap();
        study.optimize(15, shifted_sphere).unwrap();
        let trials = study.trials().unwrap();
        trials[1..].iter().filter_map(|t| t.value()).sum::<f64>() / 14.0
    };
    let (mut warm_total, mut cold_total) = (0.0, 0.0);
    for seed in 0..5 {
        warm_total += first_generations(
            CmaEsSampler::builder().seed(seed).source_trials(source.trials().unwrap()).build().unwrap(),
        );
        cold_total += first_generations(CmaEsSampler::with_seed(seed));
    }
    // The source's best trials sit at the optimum, so the warm start's first
    // distribution is its prior alone: α = 0.1 of the unit cube per axis,
    // 0.2 on [-1, 1], an expected value of 3 * 0.2² = 0.12. A cold start
    // begins at the centre, 0.49 away before any spread.
    let (warm_mean, cold_mean) = (warm_total / 5.0, cold_total / 5.0);
    assert!(warm_mean < 0.24, "warm start's mean value {warm_mean}");
    assert!(warm_mean * 3.0 < cold_mean, "mean value, warm {warm_mean} vs cold {cold_mean}");
}

#[test]
fn bad_options_and_several_objectives_are_refused_clearly() {
    let err = |b: ferrotune::samplers::CmaEsSamplerBuilder| b.build().unwrap_err().to_string();
    assert!(err(CmaEsSampler::builder().sigma0(0.0)).contains("sigma0"));
    assert!(err(CmaEsSampler::builder().population_size(1)).contains("population_size"));
    assert!(err(CmaEsSampler::builder().separable(true).with_margin(true)).contains("separable"));
    // Refused when the study is made, before any trial runs.
    let e = Study::builder()
        .directions([StudyDirection::Minimize, StudyDirection::Minimize])
        .sampler(CmaEsSampler::with_seed(1))
        .create()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("single objective") && e.contains("2 objectives"), "{e}");
}
