//! Tests of LogEHVI and of the GP sampler with several objectives.

use std::collections::BTreeMap;
use std::sync::Arc;

use ferrotune_core::{Distribution, FloatDistribution, FrozenTrial, Sampler, SearchSpace, StudyDirection, StudyView};
use rand::Rng;
use rand_distr::StandardNormal;

use super::acquisition::{Acquisition, LogEhvi, N_QMC_SAMPLES};
use super::kernel::Dim;
use super::model::Gp;
use super::GpSampler;
use crate::numerics::{ndtr, norm_pdf};
use crate::test_problems::dtlz2_three;
use crate::{rng_for, RandomSampler};

/// Hypervolume of 2-D loss points below `reference`, by a sweep over the
/// points sorted by the first objective (independent of `boxes.rs`).
fn hypervolume_2d(points: &[Vec<f64>], reference: [f64; 2]) -> f64 {
    let mut inside: Vec<&Vec<f64>> = points.iter().filter(|p| p[0] < reference[0] && p[1] < reference[1]).collect();
    inside.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    let mut volume = 0.0;
    let mut lowest_second = reference[1];
    for p in inside {
        if p[1] < lowest_second {
            volume += (reference[0] - p[0]) * (lowest_second - p[1]);
            lowest_second = p[1];
        }
    }
    volume
}

/// A small front in standardized loss space.
fn small_front() -> Vec<Vec<f64>> {
    vec![vec![-1.2, 0.9], vec![-0.4, 0.1], vec![0.3, -0.6], vec![1.0, -1.1], vec![0.5, 0.5]]
}

/// `E[max(0, a − L)]` for `L ~ N(mean, sd²)`: `sd·(φ(z) + zΦ(z))`, `z = (a − mean)/sd`.
fn expected_shortfall_below(a: f64, mean: f64, sd: f64) -> f64 {
    if a == f64::INFINITY {
        return f64::INFINITY;
    }
    if a == f64::NEG_INFINITY {
        return 0.0;
    }
    let z = (a - mean) / sd;
    sd * (norm_pdf(z) + z * ndtr(z))
}

/// The analytic EHVI of independent Gaussian losses in two objectives,
/// from the front sorted by the first loss: the non-dominated region is a
/// staircase of vertical strips, and within a strip `[l, u]` the improvement
/// factorizes, `E[Π_j max(0, u_j − max(l_j, L_j))] = Π_j (E[max(0, u_j − L_j)]
/// − E[max(0, l_j − L_j)])`.
fn analytic_ehvi_2d(front: &[Vec<f64>], reference: [f64; 2], loss_means: [f64; 2], loss_sds: [f64; 2]) -> f64 {
    let mut sorted: Vec<&Vec<f64>> = front.iter().collect();
    sorted.sort_by(|a, b| a[0].total_cmp(&b[0]));
    // Keep the staircase: each next point strictly lower in the second loss.
    let mut stairs: Vec<[f64; 2]> = Vec::new();
    for p in sorted {
        if p[0] < reference[0] && p[1] < reference[1] && stairs.last().is_none_or(|s| p[1] < s[1]) {
            stairs.push([p[0], p[1]]);
        }
    }
    let side = |lower: f64, upper: f64, j: usize| {
        expected_shortfall_below(upper, loss_means[j], loss_sds[j])
            - expected_shortfall_below(lower, loss_means[j], loss_sds[j])
    };
    // Strip k spans the first loss from stairs[k-1] (or −∞) to stairs[k]
    // (or the reference), the second loss from −∞ to the point before's.
    let mut total = 0.0;
    let mut first_lower = f64::NEG_INFINITY;
    let mut second_upper = reference[1];
    for s in stairs.iter().chain(std::iter::once(&[reference[0], f64::NEG_INFINITY])) {
        let first_upper = s[0];
        let first = if first_lower == f64::NEG_INFINITY {
            expected_shortfall_below(first_upper, loss_means[0], loss_sds[0])
        } else {
            side(first_lower, first_upper, 0)
        };
        total += first * expected_shortfall_below(second_upper, loss_means[1], loss_sds[1]);
        first_lower = first_upper;
        second_upper = s[1];
    }
    total
}

#[test]
fn log_ehvi_matches_a_brute_force_monte_carlo_estimate() {
    let front = small_front();
    let reference = [1.4, 1.3];
    let ehvi = LogEhvi::with_reference(&front, &reference, 4096, 11);
    // Four points on the front (one is dominated): five strips.
    assert_eq!(ehvi.n_boxes(), 5);
    let base = hypervolume_2d(&front, reference);
    let mut rng = rng_for(5, 0, "ehvi:brute-force");
    // (means, variances) of the maximized standardized values: loss = −value.
    for (means, vars) in [([0.3, 0.2], [0.25, 0.4]), ([1.0, -0.5], [0.01, 0.09]), ([-0.2, -0.3], [1.0, 1.0])] {
        let n = 400_000;
        let mut sum = 0.0;
        for _ in 0..n {
            let y: Vec<f64> =
                (0..2).map(|j| -(means[j] + f64::sqrt(vars[j]) * rng.sample::<f64, _>(StandardNormal))).collect();
            let mut with = front.clone();
            with.push(y);
            sum += hypervolume_2d(&with, reference) - base;
        }
        let brute_force = sum / n as f64;
        let estimate = ehvi.value(&means, &vars).exp();
        println!("means {means:?}: QMC {estimate:.6}, brute force {brute_force:.6}");
        assert!(brute_force > 1e-3);
        assert!((estimate - brute_force).abs() < 0.01 * brute_force, "{estimate} vs {brute_force}");
    }
}

#[test]
fn log_ehvi_agrees_with_the_analytic_two_objective_ehvi() {
    let front = small_front();
    let reference = [1.4, 1.3];
    let accurate = LogEhvi::with_reference(&front, &reference, 8192, 3);
    let default = LogEhvi::with_reference(&front, &reference, N_QMC_SAMPLES, 3);
    for (means, vars) in [([0.3, 0.2], [0.25f64, 0.4f64]), ([0.0, 0.0], [0.04, 0.04]), ([-1.5, 1.2], [0.5, 0.2])] {
        let sds = [vars[0].sqrt(), vars[1].sqrt()];
        let analytic = analytic_ehvi_2d(&front, reference, [-means[0], -means[1]], sds);
        let fine = accurate.value(&means, &vars).exp();
        let coarse = default.value(&means, &vars).exp();
        println!("means {means:?}: analytic {analytic:.6}, QMC 8192 {fine:.6}, QMC 128 {coarse:.6}");
        assert!((fine - analytic).abs() < 3e-3 * analytic, "{fine} vs {analytic}");
        // 128 Sobol samples: a few percent.
        assert!((coarse - analytic).abs() < 0.05 * analytic, "{coarse} vs {analytic}");
    }
}

#[test]
fn log_ehvi_stays_finite_and_ordered_far_from_the_front() {
    let front = small_front();
    let ehvi = LogEhvi::new(&front, N_QMC_SAMPLES, 1);
    // Far worse than every point (values to maximize very low): no sample
    // improves, and the floor keeps the logarithm finite.
    let far = ehvi.value(&[-40.0, -40.0], &[0.01, 0.01]);
    assert!(far.is_finite());
    // Better in the mean is better in the acquisition.
    let near = ehvi.value(&[-1.0, -1.0], &[0.01, 0.01]);
    let beyond = ehvi.value(&[2.0, 2.0], &[0.01, 0.01]);
    assert!(far < near && near < beyond, "{far} {near} {beyond}");
}

#[test]
fn log_ehvi_gradient_matches_finite_differences() {
    // In terms of posterior means and variances, in 2 and 3 objectives.
    for m in [2usize, 3] {
        let mut rng = rng_for(9, m as u64, "ehvi:front");
        let front: Vec<Vec<f64>> =
            (0..6).map(|_| (0..m).map(|_| rng.sample::<f64, _>(StandardNormal)).collect()).collect();
        let ehvi = LogEhvi::new(&front, N_QMC_SAMPLES, 4);
        for _ in 0..5 {
            let means: Vec<f64> = (0..m).map(|_| 0.5 * rng.sample::<f64, _>(StandardNormal)).collect();
            let vars: Vec<f64> = (0..m).map(|_| 0.05 + rng.random::<f64>()).collect();
            let (value, d_means, d_vars) = ehvi.value_and_grad(&means, &vars);
            assert!((value - ehvi.value(&means, &vars)).abs() < 1e-12);
            let h = 1e-6;
            for j in 0..m {
                let shifted = |dm: f64, dv: f64| {
                    let (mut a, mut b) = (means.clone(), vars.clone());
                    a[j] += dm;
                    b[j] += dv;
                    ehvi.value(&a, &b)
                };
                let fd_mean = (shifted(h, 0.0) - shifted(-h, 0.0)) / (2.0 * h);
                let fd_var = (shifted(0.0, h) - shifted(0.0, -h)) / (2.0 * h);
                assert!((fd_mean - d_means[j]).abs() < 1e-5 * (1.0 + fd_mean.abs()), "{fd_mean} vs {}", d_means[j]);
                assert!((fd_var - d_vars[j]).abs() < 1e-5 * (1.0 + fd_var.abs()), "{fd_var} vs {}", d_vars[j]);
            }
        }
    }
}

fn zdt1(x: &[f64]) -> [f64; 2] {
    let g = 1.0 + 9.0 * x[1..].iter().sum::<f64>() / (x.len() - 1) as f64;
    [x[0], g * (1.0 - (x[0] / g).sqrt())]
}

#[test]
fn acquisition_gradient_with_fitted_gps_matches_finite_differences() {
    let dims = vec![Dim::Continuous; 3];
    let mut rng = rng_for(2, 0, "ehvi:data");
    let xs: Vec<Vec<f64>> = (0..12).map(|_| (0..3).map(|_| rng.random::<f64>()).collect()).collect();
    let values: Vec<[f64; 2]> = xs.iter().map(|x| zdt1(x)).collect();
    let gps: Vec<Gp> = (0..2)
        .map(|j| {
            let y: Vec<f64> = values.iter().map(|v| -v[j]).collect();
            Gp::fit(&dims, &xs, &y, None, false).unwrap()
        })
        .collect();
    let losses: Vec<Vec<f64>> = values.iter().map(|v| (0..2).map(|j| -gps[j].standardize(-v[j])).collect()).collect();
    let acquisition = Acquisition::log_ehvi(&gps, Some(LogEhvi::new(&losses, N_QMC_SAMPLES, 8)));
    for _ in 0..6 {
        let x: Vec<f64> = (0..3).map(|_| 0.05 + 0.9 * rng.random::<f64>()).collect();
        let (value, grad) = acquisition.value_and_grad(&x);
        assert!((value - acquisition.value(&x)).abs() < 1e-9);
        let batch = acquisition.values(std::slice::from_ref(&x))[0];
        assert!((value - batch).abs() < 1e-6 * (1.0 + value.abs()), "{value} vs batched {batch}");
        for i in 0..3 {
            let h = 1e-6;
            let (mut up, mut down) = (x.clone(), x.clone());
            up[i] += h;
            down[i] -= h;
            let fd = (acquisition.value(&up) - acquisition.value(&down)) / (2.0 * h);
            assert!((fd - grad[i]).abs() < 1e-4 * (1.0 + fd.abs()), "coordinate {i}: {fd} vs {}", grad[i]);
        }
    }
}

/// A sequential study driven by hand: startup and fallback from the
/// sampler's independent draws, the rest from its relative proposals.
fn run_study(sampler: &dyn Sampler, n_trials: u64, n_variables: usize) -> Vec<Arc<FrozenTrial>> {
    run_constrained_study(sampler, n_trials, n_variables, None)
}

/// The objectives of a problem, all minimized.
type ObjectivesOf<'a> = &'a dyn Fn(&[f64]) -> Vec<f64>;

/// A constraint of the parameters, feasible where `<= 0`.
type ConstraintOf<'a> = &'a dyn Fn(&[f64]) -> f64;

/// [`run_study`] recording `constraint(x)`.
fn run_constrained_study(
    sampler: &dyn Sampler,
    n_trials: u64,
    n_variables: usize,
    constraint: Option<ConstraintOf<'_>>,
) -> Vec<Arc<FrozenTrial>> {
    run_problem(sampler, n_trials, n_variables, &|x: &[f64]| zdt1(x).to_vec(), 2, constraint)
}

/// A study of `n_objectives` minimized `objectives` over `[0, 1]^n_variables`.
fn run_problem(
    sampler: &dyn Sampler,
    n_trials: u64,
    n_variables: usize,
    objectives: ObjectivesOf<'_>,
    n_objectives: usize,
    constraint: Option<ConstraintOf<'_>>,
) -> Vec<Arc<FrozenTrial>> {
    let distribution = Distribution::Float(FloatDistribution::new(0.0, 1.0, false, None).unwrap());
    let names: Vec<String> = (0..n_variables).map(|i| format!("x{i}")).collect();
    let space: SearchSpace = names.iter().map(|n| (n.clone(), distribution.clone())).collect();
    let directions = vec![StudyDirection::Minimize; n_objectives];
    let mut trials: Vec<Arc<FrozenTrial>> = Vec::new();
    for number in 0..n_trials {
        let running = FrozenTrial::builder(number).state(ferrotune_core::TrialState::Running).build();
        let mut all = trials.clone();
        all.push(Arc::new(running.clone()));
        let view = StudyView { study_name: "zdt1", directions: &directions, trials: &all };
        let relative: BTreeMap<String, f64> = sampler.sample_relative(&view, &running, &space).unwrap();
        let mut builder = FrozenTrial::builder(number);
        let mut x = Vec::new();
        let mut partial = running.clone();
        for name in &names {
            let v = match relative.get(name) {
                Some(v) => *v,
                None => sampler.sample_independent(&view, &partial, name, &distribution).unwrap(),
            };
            partial
                .params
                .insert(name.clone(), ferrotune_core::TrialParam { distribution: distribution.clone(), internal: v });
            builder = builder.param(name, &distribution, v);
            x.push(v);
        }
        if let Some(constraint) = constraint {
            builder = builder.constraint("c", constraint(&x));
        }
        trials.push(Arc::new(builder.values(&objectives(&x)).build()));
    }
    trials
}

fn final_hypervolume(trials: &[Arc<FrozenTrial>]) -> f64 {
    let points: Vec<Vec<f64>> = trials.iter().filter_map(|t| t.values.clone()).collect();
    hypervolume_2d(&points, [1.1, 1.1])
}

#[test]
fn a_seeded_two_objective_study_repeats_exactly() {
    let first = run_study(&GpSampler::with_seed(17), 12, 3);
    let second = run_study(&GpSampler::with_seed(17), 12, 3);
    let values = |t: &[Arc<FrozenTrial>]| t.iter().map(|t| t.values.clone().unwrap()).collect::<Vec<_>>();
    assert_eq!(values(&first), values(&second));
    let other = run_study(&GpSampler::with_seed(18), 12, 3);
    assert_ne!(values(&first), values(&other));
}

#[test]
fn the_gp_beats_random_search_on_zdt1() {
    let (mut gp_total, mut random_total) = (0.0, 0.0);
    for seed in 0..3u64 {
        let gp = final_hypervolume(&run_study(&GpSampler::with_seed(seed), 40, 4));
        let random = final_hypervolume(&run_study(&RandomSampler::with_seed(seed), 40, 4));
        println!("seed {seed}: GP hypervolume {gp:.4}, random search {random:.4} (best possible 0.8767)");
        assert!(gp > random + 0.1, "seed {seed}: GP {gp} vs random {random}");
        gp_total += gp;
        random_total += random;
    }
    println!("mean: GP {:.4}, random {:.4}", gp_total / 3.0, random_total / 3.0);
}

#[test]
fn with_a_constraint_the_gp_proposes_mostly_feasible_points() {
    // Feasible only where x0 >= 0.6: 40% of the space. (With the
    // constraint model left out of the acquisition, none of the proposals
    // were feasible.)
    let constraint = |x: &[f64]| 0.6 - x[0];
    for seed in 0..2u64 {
        let trials = run_constrained_study(&GpSampler::with_seed(seed), 30, 3, Some(&constraint));
        let proposed = &trials[5..];
        let feasible = proposed.iter().filter(|t| t.is_feasible()).count();
        println!("seed {seed}: {feasible} of {} GP proposals feasible", proposed.len());
        assert!(feasible as f64 >= 0.7 * proposed.len() as f64, "{feasible} of {}", proposed.len());
        // And they spread along the feasible part of the front rather than
        // piling up: several distinct first objectives among good ones.
        let good: Vec<f64> = proposed
            .iter()
            .filter(|t| t.is_feasible())
            .filter_map(|t| t.values.clone())
            .filter(|v| v[1] < 1.0)
            .map(|v| v[0])
            .collect();
        let spread =
            good.iter().copied().fold(f64::NEG_INFINITY, f64::max) - good.iter().copied().fold(f64::INFINITY, f64::min);
        assert!(good.len() >= 5 && spread > 0.2, "{good:?}");
    }
}

#[test]
fn a_running_trial_turns_the_next_proposal_elsewhere() {
    let sampler = GpSampler::with_seed(4);
    let trials = run_study(&sampler, 15, 3);
    let distribution = Distribution::Float(FloatDistribution::new(0.0, 1.0, false, None).unwrap());
    let space: SearchSpace = (0..3).map(|i| (format!("x{i}"), distribution.clone())).collect();
    let directions = [StudyDirection::Minimize, StudyDirection::Minimize];
    let propose = |trials: &[Arc<FrozenTrial>], number: u64| -> Vec<f64> {
        let asking = FrozenTrial::builder(number).state(ferrotune_core::TrialState::Running).build();
        let mut all = trials.to_vec();
        all.push(Arc::new(asking.clone()));
        let view = StudyView { study_name: "zdt1", directions: &directions, trials: &all };
        sampler.sample_relative(&view, &asking, &space).unwrap().into_values().collect()
    };
    let distance = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f64>().sqrt();
    // Trial 16 with nothing running ...
    let alone = propose(&trials, 16);
    // ... and with trial 15 running at that point: the same trial number,
    // so the same optimizer seed, and the same model; only the running
    // trial's lie differs.
    let relative: serde_json::Map<String, serde_json::Value> =
        space.keys().zip(&alone).map(|(name, v)| (name.clone(), serde_json::json!(v))).collect();
    let running = FrozenTrial::builder(15)
        .state(ferrotune_core::TrialState::Running)
        .system_attr(ferrotune_core::RELATIVE_PARAMS_ATTR, serde_json::Value::Object(relative))
        .build();
    let mut with_running = trials.clone();
    with_running.push(Arc::new(running));
    let beside = propose(&with_running, 16);
    // Asked again without the running trial, it stays put (up to the warm
    // start of the kernel fit, which the sampler caches between calls).
    let again = propose(&trials, 16);
    assert!(distance(&alone, &again) < 1e-4, "alone {alone:?}, again {again:?}");
    assert!(distance(&alone, &beside) > 0.1, "alone {alone:?}, with the running trial {beside:?}");
}

#[test]
fn the_reference_point_is_optunas() {
    // Per objective the worst loss, 10% of its magnitude further out, and
    // one representable step beyond (so the worst point keeps a sliver).
    let losses = vec![vec![-1.0, 2.0, -3.0], vec![0.5, -3.0, -2.0], vec![0.0, 1.0, -4.0]];
    let reference = LogEhvi::reference_point(&losses);
    let expected = [0.55f64, 2.2, -1.8];
    for (r, e) in reference.iter().zip(expected) {
        assert!(*r > e && *r - e <= 2.0 * f64::EPSILON * e.abs(), "{reference:?}");
    }
    // A worst loss of exactly 0 still leaves a positive reference.
    assert!(LogEhvi::reference_point(&[vec![0.0], vec![-1.0]])[0] > 0.0);
}

#[test]
fn three_and_four_objectives_run_and_repeat_with_a_seed() {
    for n_objectives in [3usize, 4] {
        // Four objectives: DTLZ2's three and the distance from the centre.
        let objectives = |x: &[f64]| {
            let mut f = dtlz2_three(x);
            if n_objectives == 4 {
                f.push(x.iter().map(|v| (v - 0.5).powi(2)).sum::<f64>());
            }
            f
        };
        let first = run_problem(&GpSampler::with_seed(3), 14, 5, &objectives, n_objectives, None);
        let second = run_problem(&GpSampler::with_seed(3), 14, 5, &objectives, n_objectives, None);
        let values = |t: &[Arc<FrozenTrial>]| t.iter().map(|t| t.values.clone().unwrap()).collect::<Vec<_>>();
        assert_eq!(values(&first), values(&second));
        // The model's proposals are in range and not one point repeated.
        let proposed: Vec<Vec<f64>> =
            first[5..].iter().map(|t| t.params.values().map(|p| p.internal).collect()).collect();
        assert!(proposed.iter().flatten().all(|v| (0.0..=1.0).contains(v)));
        let distinct = proposed.iter().filter(|p| **p != proposed[0]).count();
        assert!(distinct >= proposed.len() - 1, "{proposed:?}");
    }
}

#[test]
fn a_constant_objective_leaves_a_finite_acquisition() {
    // Every observation ties on the second objective: its standardized
    // losses are all 0 and Optuna's reference sits one step above 0.
    let trials = run_problem(&GpSampler::with_seed(6), 12, 2, &|x: &[f64]| vec![x[0] + x[1], 1.0], 2, None);
    let proposed: Vec<f64> = trials[5..].iter().map(|t| t.values.as_ref().unwrap()[0]).collect();
    assert!(proposed.iter().all(|v| v.is_finite()));
    // The first objective still improves on the startup design's best.
    let startup_best = trials[..5].iter().map(|t| t.values.as_ref().unwrap()[0]).fold(f64::INFINITY, f64::min);
    let best = proposed.iter().copied().fold(f64::INFINITY, f64::min);
    assert!(best < startup_best, "{best} vs {startup_best}");
    let ehvi = LogEhvi::new(&[vec![-1.0, 0.0], vec![1.0, 0.0]], N_QMC_SAMPLES, 1);
    let (value, d_means, d_vars) = ehvi.value_and_grad(&[0.5, 0.0], &[0.1, 0.1]);
    assert!(value.is_finite() && d_means.iter().chain(&d_vars).all(|d| d.is_finite()));
}
