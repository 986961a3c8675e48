use rand::Rng;

use super::acquisition::{log_ei_value, log_h, Acquisition};
use super::kernel::{Dim, KernelParams};
use super::model::{FitOptions, Gp, OutputTransform, MIN_NOISE};
use super::optimize::optimize_acquisition;
use crate::{rng_for, QmcSampler};

/// Matérn 5/2 written out from its textbook form in terms of the distance `r`.
fn matern_textbook(r: f64) -> f64 {
    let s5 = 5f64.sqrt();
    (1.0 + s5 * r + 5.0 * r * r / 3.0) * (-s5 * r).exp()
}

/// Solves a small dense system by Gaussian elimination with partial pivoting.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Vec<f64> {
    let n = b.len();
    for c in 0..n {
        let p = (c..n).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs())).unwrap();
        a.swap(c, p);
        b.swap(c, p);
        let pivot_row = a[c].clone();
        for r in c + 1..n {
            let f = a[r][c] / pivot_row[c];
            for (ark, ack) in a[r].iter_mut().zip(&pivot_row).skip(c) {
                *ark -= f * ack;
            }
            b[r] -= f * b[c];
        }
    }
    let mut x = vec![0.0; n];
    for r in (0..n).rev() {
        let s: f64 = (r + 1..n).map(|k| a[r][k] * x[k]).sum();
        x[r] = (b[r] - s) / a[r][r];
    }
    x
}

fn random_points(dims: &[Dim], n: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = rng_for(seed, 0, "gp-test:points");
    (0..n)
        .map(|_| {
            dims.iter()
                .map(|d| match d {
                    Dim::Categorical { n_choices } => rng.random_range(0..*n_choices) as f64,
                    _ => d.round(rng.random::<f64>()),
                })
                .collect()
        })
        .collect()
}

fn sobol_points(n: usize, d: usize, seed: u64) -> Vec<Vec<f64>> {
    let q = QmcSampler::with_seed(seed);
    (0..n).map(|i| (0..d).map(|j| q.unit(i as u64, j as u64)).collect()).collect()
}

fn rel_err(a: f64, b: f64) -> f64 {
    (a - b).abs() / a.abs().max(b.abs()).max(1e-3)
}

#[test]
fn posterior_matches_closed_form_1d() {
    let dims = [Dim::Continuous];
    let xs = [0.1, 0.5, 0.8];
    // Mean 0 and population standard deviation 1: standardization is the identity.
    let ys = [-1.5f64.sqrt(), 0.0, 1.5f64.sqrt()];
    let (rho, scale, noise) = (4.0, 1.5, 0.01);
    let params = KernelParams { inv_sq_lengthscales: vec![rho], scale, noise };
    let x: Vec<Vec<f64>> = xs.iter().map(|&v| vec![v]).collect();
    let gp = Gp::with_params(&dims, &x, &ys, &params, &FitOptions::default()).unwrap();

    let k = |a: f64, b: f64| scale * matern_textbook(rho.sqrt() * (a - b).abs());
    let kmat: Vec<Vec<f64>> =
        (0..3).map(|i| (0..3).map(|j| k(xs[i], xs[j]) + if i == j { noise } else { 0.0 }).collect()).collect();
    let alpha = solve(kmat.clone(), ys.to_vec());
    for xq in [0.0, 0.3, 0.5, 0.95] {
        let kx: Vec<f64> = xs.iter().map(|&xi| k(xq, xi)).collect();
        let mean: f64 = kx.iter().zip(&alpha).map(|(a, b)| a * b).sum();
        let v = solve(kmat.clone(), kx.clone());
        let var = scale - kx.iter().zip(&v).map(|(a, b)| a * b).sum::<f64>();
        let (m, s2) = gp.posterior(&[xq]);
        assert!((m - mean).abs() < 1e-10, "mean at {xq}: {m} vs {mean}");
        assert!((s2 - var).abs() < 1e-10, "var at {xq}: {s2} vs {var}");
        let (m2, s22) = gp.posterior_batch(&[vec![xq]])[0];
        assert!((m2 - mean).abs() < 1e-10 && (s22 - var).abs() < 1e-10);
    }
}

#[test]
fn posterior_variance_is_noise_at_data_and_prior_far_away() {
    let dims = [Dim::Continuous, Dim::Continuous];
    let x = sobol_points(12, 2, 3);
    let y: Vec<f64> = x.iter().map(|p| (5.0 * p[0]).sin() + p[1]).collect();
    let params = KernelParams { inv_sq_lengthscales: vec![3.0, 2.0], scale: 1.2, noise: 1e-4 };
    let gp = Gp::with_params(&dims, &x, &y, &params, &FitOptions::default()).unwrap();
    for (p, &v) in x.iter().zip(&y) {
        let (m, s2) = gp.posterior(p);
        assert!(s2 <= 1.0001 * params.noise && s2 > 0.0, "variance {s2} at a training point");
        assert!((m - gp.standardize(v)).abs() < 0.02, "mean {m} vs {}", gp.standardize(v));
    }
    let (m, s2) = gp.posterior(&[40.0, -40.0]);
    assert!(m.abs() < 1e-8 && (s2 - params.scale).abs() < 1e-8, "{m} {s2}");
}

#[test]
fn marginal_likelihood_gradient_matches_finite_differences() {
    let dims =
        [Dim::Continuous, Dim::Discrete { values: vec![0.0, 0.25, 0.5, 0.75, 1.0] }, Dim::Categorical { n_choices: 3 }];
    let x = random_points(&dims, 15, 1);
    let y: Vec<f64> = x.iter().map(|p| (4.0 * p[0]).sin() + p[1] * p[1] - 0.3 * p[2]).collect();
    let mut rng = rng_for(2, 0, "gp-test:params");
    for deterministic in [false, true] {
        for _ in 0..5 {
            let params = KernelParams {
                inv_sq_lengthscales: (0..3).map(|_| (rng.random::<f64>() * 6.0 - 3.0).exp()).collect(),
                scale: (rng.random::<f64>() * 2.0 - 1.0).exp(),
                noise: (rng.random::<f64>() * 6.0 - 7.0).exp(),
            };
            let (_, g) = Gp::log_marginal_likelihood_and_grad(&dims, &x, &y, &params, deterministic);
            // Perturb the log-parameters [ln ρ.., ln s, ln(σ² − MIN_NOISE)].
            let at = |j: usize, h: f64| {
                let mut p = params.clone();
                match j {
                    0..=2 => p.inv_sq_lengthscales[j] *= h.exp(),
                    3 => p.scale *= h.exp(),
                    _ => p.noise = MIN_NOISE + (params.noise - MIN_NOISE) * h.exp(),
                }
                Gp::log_marginal_likelihood_and_grad(&dims, &x, &y, &p, deterministic).0
            };
            for (j, gj) in g.iter().enumerate() {
                let h = 1e-5;
                let fd = (at(j, h) - at(j, -h)) / (2.0 * h);
                assert!(rel_err(*gj, fd) < 1e-4, "param {j} (deterministic {deterministic}): {gj} vs {fd}");
            }
            if deterministic {
                assert_eq!(g[4], 0.0);
            }
        }
    }
}

#[test]
fn log_ei_matches_naive_formula_and_stays_finite_far_below() {
    let naive = |mean: f64, var: f64, best: f64| {
        let s = var.sqrt();
        let z = (mean - best) / s;
        let cdf = 0.5 * libm::erfc(-z / 2f64.sqrt());
        let pdf = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
        (s * (pdf + z * cdf)).ln()
    };
    let var: f64 = 1.69;
    for i in 0..=60 {
        let z = -8.0 + 0.25 * i as f64;
        let mean = 0.2 + z * var.sqrt();
        let got = log_ei_value(mean, var, 0.2);
        let want = naive(mean, var, 0.2);
        assert!((got - want).abs() < 1e-9 * want.abs().max(1.0), "z = {z}: {got} vs {want}");
    }
    // z = −40: the naive formula underflows to EI = 0.
    assert_eq!(naive(-40.0, 1.0, 0.0), f64::NEG_INFINITY);
    let mut prev = f64::NEG_INFINITY;
    for i in 0..=400 {
        let z = -60.0 + 0.1 * i as f64;
        let v = log_ei_value(z, 1.0, 0.0);
        assert!(v.is_finite() && v > prev, "not finite/monotone at z = {z}: {v}");
        prev = v;
        // Asymptotically ln h(z) ≈ −z²/2 − ½ln(2π) − 2 ln|z|.
        if z < -30.0 {
            let asym = -0.5 * z * z - 0.5 * (2.0 * std::f64::consts::PI).ln() - 2.0 * (-z).ln();
            assert!((v - asym).abs() < 5.0 / (z * z), "z = {z}: {v} vs {asym}");
        }
    }
    // Derivative of ln h against finite differences, across every regime and at the switch points.
    for z in [3.0, 0.5, -0.99, -1.01, -5.0, -24.99, -25.01, -40.0, -300.0, -1e5] {
        let (_, d) = log_h(z);
        let h = 1e-6 * z.abs().max(1.0);
        let fd = (log_h(z + h).0 - log_h(z - h).0) / (2.0 * h);
        assert!(rel_err(d, fd) < 1e-6, "z = {z}: {d} vs {fd}");
    }
}

fn mixed_problem() -> (Vec<Dim>, impl Fn(&[f64]) -> f64) {
    let dims = vec![
        Dim::Continuous,
        Dim::Continuous,
        Dim::Discrete { values: (0..=10).map(|i| i as f64 / 10.0).collect() },
        Dim::Categorical { n_choices: 3 },
    ];
    let f = |p: &[f64]| {
        -((p[0] - 0.3).powi(2) + (p[1] - 0.7).powi(2)) * 4.0 - (p[2] - 0.6).powi(2) * 2.0
            + if p[3] == 1.0 { 0.5 } else { 0.0 }
    };
    (dims, f)
}

#[test]
fn acquisition_gradient_matches_finite_differences() {
    let (dims, f) = mixed_problem();
    let x = random_points(&dims, 25, 4);
    let y: Vec<f64> = x.iter().map(|p| f(p)).collect();
    let gp = Gp::fit(&dims, &x, &y, None, false).unwrap();
    let c: Vec<f64> = x.iter().map(|p| 0.5 - p[0] - 0.2 * p[1]).collect();
    let cons = [Gp::fit(&dims, &x, &c, None, false).unwrap()];
    let best = gp.best_observed_standardized();
    let plain = Acquisition::log_ei(&gp, best);
    let constrained = Acquisition::log_ei(&gp, best).with_constraints(&cons, Some(best));
    // Incumbent far above anything the model believes: EI underflows naively.
    let hopeless = Acquisition::log_ei(&gp, best + 60.0);
    let feasibility = Acquisition::log_ei(&gp, best).with_constraints(&cons, None);
    let probes = random_points(&dims, 6, 5);
    for acq in [&plain, &constrained, &hopeless, &feasibility] {
        for p in &probes {
            let (v, g) = acq.value_and_grad(p);
            assert!(v.is_finite(), "value {v} at {p:?}");
            assert!((v - acq.value(p)).abs() < 1e-9 * v.abs().max(1.0));
            let batched = acq.values(std::slice::from_ref(p))[0];
            // The batched path uses the explicit inverse: a few more digits lost.
            assert!((v - batched).abs() < 1e-6 * v.abs().max(1.0), "{v} vs batched {batched}");
            for j in 0..2 {
                // Not smaller: the variance k(x,x) − kᵀK⁻¹k cancels to ~1e-11
                // absolute accuracy near data, which finite differences amplify.
                let h = 1e-5;
                let (mut a, mut b) = (p.clone(), p.clone());
                a[j] += h;
                b[j] -= h;
                let fd = (acq.value(&a) - acq.value(&b)) / (2.0 * h);
                assert!(rel_err(g[j], fd) < 1e-4, "coordinate {j} at {p:?}: {} vs {fd} (value {v})", g[j]);
            }
            assert_eq!(g[3], 0.0);
        }
    }
    assert!(hopeless.value(&probes[0]) < -100.0);
}

#[test]
fn map_fit_shrinks_irrelevant_dimension() {
    let dims = [Dim::Continuous, Dim::Continuous];
    let x = sobol_points(40, 2, 7);
    let y: Vec<f64> = x.iter().map(|p| (6.0 * p[0]).sin() + 0.5 * (11.0 * p[0]).cos()).collect();
    let gp = Gp::fit(&dims, &x, &y, None, false).unwrap();
    let rho = &gp.params().inv_sq_lengthscales;
    assert!(rho[1] < rho[0] / 10.0, "inverse squared lengthscales {rho:?}");
    // A warm start from the result lands in the same place.
    let again = Gp::fit(&dims, &x, &y, Some(gp.params()), false).unwrap();
    assert!((again.params().inv_sq_lengthscales[0] / rho[0] - 1.0).abs() < 0.05);
    // Deterministic objectives keep the minimum noise.
    let det = Gp::fit(&dims, &x, &y, None, true).unwrap();
    assert_eq!(det.params().noise, MIN_NOISE);
}

#[test]
fn robust_transform_compresses_only_the_bad_tail() {
    let dims = [Dim::Continuous];
    let x: Vec<Vec<f64>> = (0..8).map(|i| vec![i as f64 / 7.0]).collect();
    let tame = [1.0, 2.0, 1.5, 3.0, 2.5, 2.0, 1.0, 3.0];
    let plain = FitOptions { output_transform: OutputTransform::Standardize, ..FitOptions::default() };
    let p = KernelParams::default_for(1);
    let a = Gp::with_params(&dims, &x, &tame, &p, &plain).unwrap();
    let b = Gp::with_params(&dims, &x, &tame, &p, &FitOptions::default()).unwrap();
    // No value below the lower fence: the robust map is plain standardization.
    for v in tame {
        assert!((a.standardize(v) - b.standardize(v)).abs() < 1e-12);
    }
    let wild = [1.0, 2.0, 1.5, 3.0, 2.5, 2.0, 1.0, -1e6];
    let b = Gp::with_params(&dims, &x, &wild, &p, &FitOptions::default()).unwrap();
    let a = Gp::with_params(&dims, &x, &wild, &p, &plain).unwrap();
    // The disaster stays the worst but no longer squashes the rest together.
    assert!(b.standardize(-1e6) < b.standardize(1.0));
    assert!(b.standardize(3.0) - b.standardize(1.0) > 0.3);
    assert!(a.standardize(3.0) - a.standardize(1.0) < 1e-4);
}

#[test]
fn fit_rejects_bad_inputs() {
    let dims = [Dim::Continuous];
    assert!(Gp::fit(&dims, &[], &[], None, false).is_err());
    assert!(Gp::fit(&dims, &[vec![0.5]], &[f64::NAN], None, false).is_err());
    assert!(Gp::fit(&dims, &[vec![0.5, 0.1]], &[1.0], None, false).is_err());
    // A single observation and duplicated inputs are fine.
    assert!(Gp::fit(&dims, &[vec![0.5]], &[1.0], None, false).is_ok());
    assert!(Gp::fit(&dims, &[vec![0.5], vec![0.5]], &[1.0, 1.0], None, true).is_ok());
}

#[test]
fn optimizer_finds_model_optimum_with_admissible_mixed_values() {
    let (dims, f) = mixed_problem();
    let x = random_points(&dims, 40, 8);
    let y: Vec<f64> = x.iter().map(|p| f(p)).collect();
    let gp = Gp::fit(&dims, &x, &y, None, false).unwrap();
    let acq = Acquisition::log_ei(&gp, gp.best_observed_standardized());
    let best_seen = x[(0..x.len()).max_by(|&a, &b| y[a].total_cmp(&y[b])).unwrap()].clone();
    let p = optimize_acquisition(&acq, &dims, 11, std::slice::from_ref(&best_seen));
    let q = optimize_acquisition(&acq, &dims, 11, std::slice::from_ref(&best_seen));
    assert_eq!(p, q, "same seed, same point");
    assert!(p.iter().zip(&dims).all(|(v, d)| d.round(*v) == *v), "inadmissible {p:?}");
    // The model's maximum of the mean, by brute force over a grid.
    let mut model_best = (f64::NEG_INFINITY, vec![]);
    for i in 0..=40 {
        for j in 0..=40 {
            for k in 0..=10 {
                for c in 0..3 {
                    let z = vec![i as f64 / 40.0, j as f64 / 40.0, k as f64 / 10.0, c as f64];
                    let m = gp.posterior(&z).0;
                    if m > model_best.0 {
                        model_best = (m, z);
                    }
                }
            }
        }
    }
    let mb = &model_best.1;
    let dist = ((p[0] - mb[0]).powi(2) + (p[1] - mb[1]).powi(2)).sqrt();
    assert!(dist < 0.1, "proposal {p:?}, model maximum {mb:?}");
    assert!((p[2] - mb[2]).abs() <= 0.1 + 1e-12 && p[3] == mb[3], "proposal {p:?}, model maximum {mb:?}");
    // And the true optimum region.
    assert!((p[0] - 0.3).abs() < 0.1 && (p[1] - 0.7).abs() < 0.1 && p[3] == 1.0, "{p:?}");
}

#[test]
fn constrained_proposal_is_feasible_under_the_model() {
    let dims = [Dim::Continuous, Dim::Continuous];
    let x = sobol_points(30, 2, 10);
    let f = |p: &[f64]| -((p[0] - 0.3).powi(2) + (p[1] - 0.7).powi(2));
    // Feasible where x0 >= 0.5: the unconstrained optimum (0.3, 0.7) is not.
    let cfun = |p: &[f64]| 0.5 - p[0];
    let y: Vec<f64> = x.iter().map(|p| f(p)).collect();
    let c: Vec<f64> = x.iter().map(|p| cfun(p)).collect();
    let gp = Gp::fit(&dims, &x, &y, None, false).unwrap();
    let cons = [Gp::fit(&dims, &x, &c, None, false).unwrap()];
    let best_feasible =
        x.iter().zip(&y).filter(|(p, _)| cfun(p) <= 0.0).map(|(_, v)| *v).fold(f64::NEG_INFINITY, f64::max);
    let acq = Acquisition::log_ei(&gp, gp.standardize(best_feasible))
        .with_constraints(&cons, Some(gp.standardize(best_feasible)));
    let p = optimize_acquisition(&acq, &dims, 3, &[]);
    assert!(cons[0].posterior(&p).0 <= cons[0].standardize(0.0), "{p:?} infeasible under the model");
    assert!(cfun(&p) <= 0.02 && (p[1] - 0.7).abs() < 0.15, "{p:?}");
    let unconstrained = optimize_acquisition(&Acquisition::log_ei(&gp, gp.best_observed_standardized()), &dims, 3, &[]);
    assert!(cfun(&unconstrained) > 0.0, "the constraint should matter: {unconstrained:?}");

    // No feasible observation: maximize the probability of feasibility.
    let c_bad: Vec<f64> = x.iter().map(|p| 1.2 - p[0]).collect();
    let cons_bad = [Gp::fit(&dims, &x, &c_bad, None, false).unwrap()];
    let acq = Acquisition::log_ei(&gp, 0.0).with_constraints(&cons_bad, None);
    let p = optimize_acquisition(&acq, &dims, 3, &[]);
    assert!(p[0] > 0.9, "{p:?}");
}

fn branin01(p: &[f64]) -> f64 {
    let (x1, x2) = (-5.0 + 15.0 * p[0], 15.0 * p[1]);
    let pi = std::f64::consts::PI;
    let (a, b, c, r, s, t) = (1.0, 5.1 / (4.0 * pi * pi), 5.0 / pi, 6.0, 10.0, 1.0 / (8.0 * pi));
    a * (x2 - b * x1 * x1 + c * x1 - r).powi(2) + s * (1.0 - t) * x1.cos() + s
}

/// Runs `iters` rounds of fit + propose from `n_init` Sobol points; returns the best value seen.
fn bo_loop(f: &dyn Fn(&[f64]) -> f64, d: usize, n_init: usize, iters: usize, seed: u64, options: &FitOptions) -> f64 {
    let dims = vec![Dim::Continuous; d];
    let mut x = sobol_points(n_init, d, seed);
    let mut vals: Vec<f64> = x.iter().map(|p| f(p)).collect();
    let mut warm: Option<KernelParams> = None;
    for it in 0..iters {
        // The GP maximizes: negate the minimized objective.
        let y: Vec<f64> = vals.iter().map(|v| -v).collect();
        let gp = Gp::fit_with_options(&dims, &x, &y, warm.as_ref(), options).unwrap();
        warm = Some(gp.params().clone());
        let ib = (0..y.len()).max_by(|&a, &b| y[a].total_cmp(&y[b])).unwrap();
        let acq = Acquisition::log_ei(&gp, gp.best_observed_standardized());
        let p = optimize_acquisition(&acq, &dims, seed.wrapping_mul(1000) + it as u64, std::slice::from_ref(&x[ib]));
        vals.push(f(&p));
        x.push(p);
    }
    vals.into_iter().fold(f64::INFINITY, f64::min)
}

#[test]
fn branin_end_to_end_beats_random_search() {
    const BRANIN_MIN: f64 = 0.397_887;
    let mut gp_hits = 0;
    let mut random_hits = 0;
    for seed in 0..3u64 {
        let gp_best = bo_loop(&branin01, 2, 5, 30, seed, &FitOptions::default());
        let mut rng = rng_for(seed, 0, "gp-test:random-search");
        let random_best =
            (0..35).map(|_| branin01(&[rng.random::<f64>(), rng.random::<f64>()])).fold(f64::INFINITY, f64::min);
        println!("seed {seed}: GP best {gp_best:.6}, random search best {random_best:.6}");
        gp_hits += usize::from(gp_best < BRANIN_MIN + 0.05);
        random_hits += usize::from(random_best < BRANIN_MIN + 0.05);
    }
    assert_eq!(gp_hits, 3, "GP-BO must reach the minimum on every seed");
    assert!(random_hits < gp_hits, "random search {random_hits} vs GP {gp_hits}");
}

/// Branin seen through exp(·/20): values from ~1 to ~5e6, a heavy tail
/// that plain standardization squashes the good region under.
fn heavy(p: &[f64]) -> f64 {
    (branin01(p) / 20.0).exp()
}

/// `heavy`'s value back on Branin's scale.
fn to_branin(v: f64) -> f64 {
    20.0 * v.ln()
}

/// The mean over six seeds of the best value a 25-evaluation BO loop on
/// `f` finds under `transform`, mapped by `back`.
fn mean_best(f: &dyn Fn(&[f64]) -> f64, transform: OutputTransform, back: &dyn Fn(f64) -> f64) -> f64 {
    let options = FitOptions { output_transform: transform, ..FitOptions::default() };
    (0..6u64).map(|seed| back(bo_loop(f, 2, 5, 25, seed, &options))).sum::<f64>() / 6.0
}

#[test]
fn the_robust_transform_helps_on_a_heavy_tail_and_costs_nothing_without_one() {
    let (heavy_robust, heavy_plain) = (
        mean_best(&heavy, OutputTransform::Robust, &to_branin),
        mean_best(&heavy, OutputTransform::Standardize, &to_branin),
    );
    assert!(heavy_robust < heavy_plain, "heavy tail: robust {heavy_robust} vs standardize {heavy_plain}");
    let id = |v: f64| v;
    let (robust, plain) =
        (mean_best(&branin01, OutputTransform::Robust, &id), mean_best(&branin01, OutputTransform::Standardize, &id));
    assert!(robust <= plain + 0.05, "plain Branin: robust {robust} vs standardize {plain}");
}

#[test]
fn the_power_transform_keeps_order_and_spreads_values_spanning_decades() {
    let dims = [Dim::Continuous];
    let x: Vec<Vec<f64>> = (0..10).map(|i| vec![i as f64 / 9.0]).collect();
    // Losses over ten decades (the GP sees them negated).
    let losses: Vec<f64> = (0..10).map(|i| 10f64.powi(i)).collect();
    let y: Vec<f64> = losses.iter().map(|l| -l).collect();
    let p = KernelParams::default_for(1);
    let power = FitOptions { output_transform: OutputTransform::Power, ..FitOptions::default() };
    let plain = FitOptions { output_transform: OutputTransform::Standardize, ..FitOptions::default() };
    let (a, b) =
        (Gp::with_params(&dims, &x, &y, &p, &plain).unwrap(), Gp::with_params(&dims, &x, &y, &p, &power).unwrap());
    let mapped: Vec<f64> = y.iter().map(|&v| b.standardize(v)).collect();
    assert!(mapped.windows(2).all(|w| w[0] > w[1]), "{mapped:?}");
    // Standardized, the best five are within 1e-4 of each other; warped,
    // they are spread about as far as the rest.
    assert!(a.standardize(-1.0) - a.standardize(-1e4) < 1e-4);
    let (good, all) = (mapped[0] - mapped[4], mapped[0] - mapped[9]);
    assert!(good > 0.3 * all, "best five span {good} of {all}");
}

#[test]
fn the_power_transform_helps_on_a_heavy_tail_and_still_finds_branins_minimum() {
    let (heavy_power, heavy_plain) = (
        mean_best(&heavy, OutputTransform::Power, &to_branin),
        mean_best(&heavy, OutputTransform::Standardize, &to_branin),
    );
    // Measured: 0.66 against 2.24.
    assert!(heavy_power < heavy_plain, "heavy tail: power {heavy_power} vs standardize {heavy_plain}");
    // Plain Branin (minimum 0.398): 0.74 against 0.66 standardized, over
    // six seeds; whether the transform pays overall is the benchmark's call
    // (bench/README.md), not this test's.
    let power = mean_best(&branin01, OutputTransform::Power, &|v| v);
    assert!(power < 0.398 + 0.5, "plain Branin: power {power}");
}
