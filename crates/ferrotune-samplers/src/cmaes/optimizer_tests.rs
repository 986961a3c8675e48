use super::*;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

fn seeded(seed: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed)
}

/// Runs ask/tell generations until `budget` evaluations are spent or the best
/// value drops below `target`; returns (evaluations used, best value).
fn optimize(es: &mut CmaEs, f: &dyn Fn(&[f64]) -> f64, budget: usize, target: f64, seed: u64) -> (usize, f64) {
    let mut rng = seeded(seed);
    let mut evaluations = 0;
    let mut best = f64::INFINITY;
    while evaluations < budget {
        let generation: Vec<(Vec<f64>, f64)> = (0..es.population_size())
            .map(|_| {
                let x = es.ask(&mut rng);
                let v = f(&x);
                (x, v)
            })
            .collect();
        evaluations += generation.len();
        best = generation.iter().map(|s| s.1).fold(best, f64::min);
        es.tell(&generation).unwrap();
        if best < target {
            break;
        }
    }
    (evaluations, best)
}

fn sphere(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v).sum()
}

fn ellipsoid_weights(n: usize) -> Vec<f64> {
    (0..n).map(|i| 1e6f64.powf(i as f64 / (n - 1) as f64)).collect()
}

/// A random orthogonal matrix: Gram-Schmidt (QR) of a Gaussian matrix.
fn random_rotation(n: usize, seed: u64) -> DMatrix<f64> {
    let mut rng = seeded(seed);
    let gaussian = DMatrix::from_fn(n, n, |_, _| rng.sample::<f64, _>(StandardNormal));
    gaussian.qr().q()
}

#[test]
fn strategy_constants_match_the_tutorial() {
    for n in [2usize, 10, 40] {
        let nf = n as f64;
        let lambda = 4 + (3.0 * nf.ln()).floor() as usize;
        let es = CmaEs::new(vec![(0.0, 1.0); n], None, CmaOptions::default(), 0).unwrap();
        let s = &es.run.strategy;
        assert_eq!(es.population_size(), lambda);
        assert_eq!(s.mu, lambda / 2);

        // Tutorial (49)-(58), computed independently of Strategy::new.
        let mu = lambda / 2;
        let prime: Vec<f64> = (1..=lambda).map(|i| ((lambda as f64 + 1.0) / 2.0).ln() - (i as f64).ln()).collect();
        let pos: f64 = prime[..mu].iter().sum();
        let mu_eff = pos.powi(2) / prime[..mu].iter().map(|w| w * w).sum::<f64>();
        let neg: f64 = prime[mu..].iter().map(|w| -w).sum();
        let mu_eff_neg = neg.powi(2) / prime[mu..].iter().map(|w| w * w).sum::<f64>();
        let c_sigma = (mu_eff + 2.0) / (nf + mu_eff + 5.0);
        let d_sigma = 1.0 + 2.0 * f64::max(0.0, ((mu_eff - 1.0) / (nf + 1.0)).sqrt() - 1.0) + c_sigma;
        let c_c = (4.0 + mu_eff / nf) / (nf + 4.0 + 2.0 * mu_eff / nf);
        let c_1 = 2.0 / ((nf + 1.3).powi(2) + mu_eff);
        let c_mu = f64::min(1.0 - c_1, 2.0 * (mu_eff - 2.0 + 1.0 / mu_eff) / ((nf + 2.0).powi(2) + mu_eff));
        let neg_scale = f64::min(
            f64::min(1.0 + c_1 / c_mu, 1.0 + 2.0 * mu_eff_neg / (mu_eff + 2.0)),
            (1.0 - c_1 - c_mu) / (nf * c_mu),
        );
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1.0);
        assert!(close(s.mu_eff, mu_eff), "n={n} mu_eff {} vs {mu_eff}", s.mu_eff);
        assert!(close(s.c_sigma, c_sigma));
        assert!(close(s.d_sigma, d_sigma));
        assert!(close(s.c_c, c_c));
        assert!(close(s.c_1, c_1));
        assert!(close(s.c_mu, c_mu));
        let expected_chi = nf.sqrt() * (1.0 - 1.0 / (4.0 * nf) + 1.0 / (21.0 * nf * nf));
        assert!(close(s.chi_n, expected_chi));

        let positive = &s.weights[..mu];
        assert!(close(positive.iter().sum::<f64>(), 1.0), "positive weights sum to one");
        assert!(positive.windows(2).all(|w| w[0] > w[1]), "positive weights decrease");
        assert!(s.weights.windows(2).all(|w| w[0] >= w[1]), "all weights are non-increasing");
        for (i, &w) in s.weights.iter().enumerate().skip(mu) {
            assert!(close(w, neg_scale * prime[i] / neg), "negative weight {i}");
        }
        // Tutorial's sanity bound: the negative weights never outweigh 1 + c_1/c_mu.
        assert!(-s.weights[mu..].iter().sum::<f64>() <= 1.0 + c_1 / c_mu + 1e-12);

        // Separable: Ros & Hansen 2008.
        let sep = CmaEs::new(vec![(0.0, 1.0); n], None, CmaOptions { separable: true, ..Default::default() }, 0)
            .unwrap()
            .run
            .strategy;
        let c_cov = (1.0 / mu_eff) * 2.0 / (nf + 2f64.sqrt()).powi(2)
            + (1.0 - 1.0 / mu_eff) * f64::min(1.0, (2.0 * mu_eff - 1.0) / ((nf + 2.0).powi(2) + mu_eff));
        let c_cov_sep = (nf + 2.0) / 3.0 * c_cov;
        assert!(close(sep.c_1, c_cov_sep / mu_eff));
        assert!(close(sep.c_mu, c_cov_sep * (1.0 - 1.0 / mu_eff)));
        assert!(close(sep.c_c, 4.0 / (nf + 4.0)));
        assert!(close(sep.c_sigma, (mu_eff + 2.0) / (nf + mu_eff + 3.0)));
        assert!(sep.weights[mu..].iter().all(|&w| w == 0.0));
    }
}

#[test]
fn sphere_converges_mean_approaches_and_sigma_shrinks() {
    let n = 5;
    let optimum = [0.3, -1.2, 2.0, 0.0, -0.7];
    let f = |x: &[f64]| x.iter().zip(&optimum).map(|(a, b)| (a - b).powi(2)).sum::<f64>();
    let mut es = CmaEs::new(vec![(-5.0, 5.0); n], None, CmaOptions::default(), 1).unwrap();
    let sigma0 = es.sigma();
    let start_distance = f(es.mean()).sqrt();
    let (evaluations, best) = optimize(&mut es, &f, 5000, 1e-10, 7);
    assert!(best < 1e-10, "best {best} after {evaluations} evaluations");
    assert!(evaluations < 2500, "sphere n=5 took {evaluations} evaluations");
    assert!(f(es.mean()).sqrt() < 1e-3 * start_distance, "mean moved to the optimum");
    assert!(es.sigma() < 1e-3 * sigma0, "sigma shrank: {} vs {sigma0}", es.sigma());
    assert!(es.generation() as usize * es.population_size() == evaluations);
}

/// f(x) = Σ 10^{6 i/(n-1)} (R (x - x*))_i², condition 1e6.
fn rotated_ellipsoid(n: usize, seed: u64) -> impl Fn(&[f64]) -> f64 {
    let rotation = random_rotation(n, seed);
    let weights = ellipsoid_weights(n);
    let mut r = seeded(seed ^ 0xABCD);
    let optimum: Vec<f64> = (0..n).map(|_| r.random_range(-2.0..2.0)).collect();
    move |x: &[f64]| {
        let d = DVector::from_iterator(n, x.iter().zip(&optimum).map(|(a, b)| a - b));
        let rotated = &rotation * d;
        rotated.iter().zip(&weights).map(|(v, w)| w * v * v).sum()
    }
}

#[test]
fn rotated_ellipsoid_needs_the_covariance_and_gets_it() {
    let n = 10;
    let budget = 15_000;
    let (mut used, mut separable_best) = (Vec::new(), Vec::new());
    for seed in 0..3 {
        let f = rotated_ellipsoid(n, 100 + seed);
        let mut full = CmaEs::new(vec![(-5.0, 5.0); n], None, CmaOptions::default(), seed).unwrap();
        let (evaluations, best) = optimize(&mut full, &f, budget, 1e-8, seed);
        assert!(best < 1e-8, "full CMA-ES reached {best} in {evaluations} evaluations");
        used.push(evaluations);

        // Without covariance learning the rotated problem stays ill-conditioned.
        let options = CmaOptions { separable: true, ..Default::default() };
        let mut sep = CmaEs::new(vec![(-5.0, 5.0); n], None, options, seed).unwrap();
        let (_, sep_best) = optimize(&mut sep, &f, budget, 1e-8, seed);
        assert!(sep_best > 1e-4, "separable mode should stall on the rotated ellipsoid, got {sep_best}");
        separable_best.push(sep_best);
    }
    eprintln!("rotated ellipsoid n=10: full CMA-ES evaluations to 1e-8 {used:?}; separable best at {budget}: {separable_best:?}");
}

#[test]
fn separable_mode_solves_a_40_dimensional_axis_aligned_ellipsoid() {
    let n = 40;
    let weights = ellipsoid_weights(n);
    let f = |x: &[f64]| x.iter().zip(&weights).map(|(v, w)| w * (v - 1.0).powi(2)).sum::<f64>();
    let options = CmaOptions { separable: true, ..Default::default() };
    let mut es = CmaEs::new(vec![(-5.0, 5.0); n], None, options, 3).unwrap();
    assert!(matches!(es.run.cov, Covariance::Diagonal { .. }), "separable state holds no n×n matrix");
    let (evaluations, best) = optimize(&mut es, &f, 60_000, 1e-8, 3);
    eprintln!("sep-CMA-ES, axis-aligned ellipsoid n=40: {best:e} after {evaluations} evaluations");
    assert!(best < 1e-8, "best {best} after {evaluations}");
    assert!(matches!(es.run.cov, Covariance::Diagonal { .. }));
}

#[test]
fn asks_stay_in_the_box_and_a_bound_optimum_is_reached() {
    let n = 6;
    // Half the coordinates' optimum sits on a bound, one beyond it.
    let optimum = [5.0, -5.0, 7.0, 1.0, 0.0, -2.0];
    let f = |x: &[f64]| x.iter().zip(&optimum).map(|(a, b)| (a - b).powi(2)).sum::<f64>();
    let best_feasible = [5.0, -5.0, 5.0, 1.0, 0.0, -2.0];
    let mut es = CmaEs::new(vec![(-5.0, 5.0); n], None, CmaOptions::default(), 5).unwrap();
    let mut rng = seeded(5);
    for _ in 0..400 {
        let generation: Vec<(Vec<f64>, f64)> = (0..es.population_size())
            .map(|_| {
                let x = es.ask(&mut rng);
                assert!(x.iter().all(|c| (-5.0..=5.0).contains(c)), "ask left the box: {x:?}");
                let v = f(&x);
                (x, v)
            })
            .collect();
        es.tell(&generation).unwrap();
    }
    let distance: f64 = es.mean().iter().zip(&best_feasible).map(|(a, b)| (a - b).powi(2)).sum::<f64>().sqrt();
    assert!(distance < 1e-4, "mean {:?} should sit at the bound optimum", es.mean());
    assert!(es.mean().iter().all(|c| (-5.0..=5.0).contains(c)));
}

fn rastrigin(x: &[f64]) -> f64 {
    10.0 * x.len() as f64 + x.iter().map(|v| v * v - 10.0 * (2.0 * std::f64::consts::PI * v).cos()).sum::<f64>()
}

#[test]
fn ipop_restarts_double_the_population_and_beat_a_single_run() {
    let n = 5;
    let budget = 30_000;
    let (mut ipop_total, mut plain_total) = (0.0, 0.0);
    for seed in 0..5 {
        let options = CmaOptions { restart: Restart::Ipop, ..Default::default() };
        let mut es = CmaEs::new(vec![(-5.12, 5.12); n], Some(vec![3.0; n]), options, seed).unwrap();
        let lambda0 = es.population_size();
        let mut rng = seeded(seed);
        let mut evaluations = 0;
        let mut best = f64::INFINITY;
        let mut seen_restarts = 0;
        while evaluations < budget {
            let generation: Vec<(Vec<f64>, f64)> = (0..es.population_size())
                .map(|_| {
                    let x = es.ask(&mut rng);
                    let v = rastrigin(&x);
                    (x, v)
                })
                .collect();
            evaluations += generation.len();
            best = generation.iter().map(|s| s.1).fold(best, f64::min);
            es.tell(&generation).unwrap();
            if es.restarts() > seen_restarts {
                seen_restarts = es.restarts();
                assert_eq!(es.population_size(), lambda0 << seen_restarts, "λ doubles at every restart");
                assert_eq!(es.run.generation, 0);
            }
        }
        assert!(es.restarts() >= 2, "seed {seed}: only {} restarts", es.restarts());

        let mut plain = CmaEs::new(vec![(-5.12, 5.12); n], Some(vec![3.0; n]), CmaOptions::default(), seed).unwrap();
        let (_, plain_best) = optimize(&mut plain, &rastrigin, budget, f64::NEG_INFINITY, seed);
        assert_eq!(plain.restarts(), 0);
        eprintln!("Rastrigin n=5 seed {seed}: IPOP {best:.3} ({} restarts), no restart {plain_best:.3}", es.restarts());
        ipop_total += best;
        plain_total += plain_best;
    }
    assert!(ipop_total < 0.5 * plain_total, "IPOP {ipop_total} vs single run {plain_total}");
}

#[test]
fn bipop_runs_both_regimes() {
    let n = 5;
    let options = CmaOptions { restart: Restart::Bipop, ..Default::default() };
    let mut es = CmaEs::new(vec![(-5.12, 5.12); n], None, options, 11).unwrap();
    let lambda_default = es.population_size();
    let mut rng = seeded(11);
    let mut regimes = Vec::new();
    let mut seen_restarts = 0;
    for _ in 0..3000 {
        let generation: Vec<(Vec<f64>, f64)> = (0..es.population_size())
            .map(|_| {
                let x = es.ask(&mut rng);
                let v = rastrigin(&x);
                (x, v)
            })
            .collect();
        es.tell(&generation).unwrap();
        if es.restarts() > seen_restarts {
            seen_restarts = es.restarts();
            regimes.push((es.run.regime, es.population_size(), es.sigma()));
        }
    }
    let large: Vec<_> = regimes.iter().filter(|r| r.0 == Regime::Large).collect();
    let small: Vec<_> = regimes.iter().filter(|r| r.0 == Regime::Small).collect();
    assert!(large.len() >= 2 && small.len() >= 2, "regimes: {regimes:?}");
    for (k, run) in large.iter().enumerate() {
        assert_eq!(run.1, lambda_default << (k + 1), "large runs double λ");
        assert_eq!(run.2, es.sigma0);
    }
    for run in &small {
        assert!(run.1 <= large.last().unwrap().1 / 2, "small runs have smaller populations: {regimes:?}");
        assert!(run.2 <= es.sigma0 && run.2 >= es.sigma0 / 100.0);
    }
    // The evaluation budgets of the two regimes stay balanced.
    let (l, s) = (es.large_evaluations as f64, es.small_evaluations as f64);
    assert!(s > 0.3 * l && l > 0.3 * s, "large {l} vs small {s}");
}

/// Probability under the current Gaussian that coordinate `j` encodes to a
/// different cell than its mean.
fn leaving_probability(es: &CmaEs, j: usize) -> f64 {
    let run = &es.run;
    let cells = es.cells[j].unwrap();
    let sd = run.sigma * run.margin_scale[j] * run.cov.diagonal_entry(j).sqrt();
    let m = run.mean[j];
    let k = cells.index_of(m);
    let below = if k > 0 { ndtr((cells.threshold(k) - m) / sd) } else { 0.0 };
    let above = if k + 1 < cells.count { ndtr((m - cells.threshold(k + 1)) / sd) } else { 0.0 };
    below + above
}

/// Runs one margin experiment on a mixed problem: the first `integers`
/// coordinates are rounded, the rest are continuous with weight 100 (so they
/// dominate the ranking), all in [-10.5, 10.5] and started at 6. Returns the
/// best value and the final optimizer.
fn mixed_integer_run(
    n: usize,
    integers: usize,
    margin: bool,
    seed: u64,
    budget: usize,
    on_generation: &mut dyn FnMut(&CmaEs),
) -> (f64, CmaEs) {
    let f = |x: &[f64]| {
        x.iter().enumerate().map(|(i, v)| if i < integers { v.round().powi(2) } else { 100.0 * v * v }).sum::<f64>()
    };
    let discrete_widths = if margin { (0..n).map(|i| (i < integers).then_some(1.0)).collect() } else { vec![None; n] };
    let options = CmaOptions { discrete_widths, ..Default::default() };
    let mut es = CmaEs::new(vec![(-10.5, 10.5); n], Some(vec![6.0; n]), options, seed).unwrap();
    let mut rng = seeded(seed);
    let mut best = f64::INFINITY;
    let mut evaluations = 0;
    while evaluations < budget && best > 1e-10 {
        let generation: Vec<(Vec<f64>, f64)> = (0..es.population_size())
            .map(|_| {
                let x = es.ask(&mut rng);
                let v = f(&x);
                (x, v)
            })
            .collect();
        evaluations += generation.len();
        best = generation.iter().map(|s| s.1).fold(best, f64::min);
        es.tell(&generation).unwrap();
        on_generation(&es);
    }
    (best, es)
}

#[test]
fn margin_keeps_integer_coordinates_from_freezing() {
    // Pure integer sphere: the margin bound holds after every update, in the
    // model and in the actual draws, and the optimum (all zeros) is found.
    let n = 5;
    for seed in 0..5 {
        let mut check = |es: &CmaEs| {
            let alpha = es.run.margin;
            assert!((alpha - 1.0 / (n * es.population_size()) as f64).abs() < 1e-15);
            for j in 0..n {
                let p = leaving_probability(es, j);
                assert!(p >= alpha * (1.0 - 1e-6), "seed {seed} coordinate {j}: P(leave) = {p} < α = {alpha}");
            }
        };
        let (best, es) = mixed_integer_run(n, n, true, seed, 3000, &mut check);
        assert_eq!(best, 0.0, "seed {seed}: integer sphere not solved");
        // The draws honour the margin too (resampling into the box included).
        let alpha = es.run.margin;
        let mut probe = seeded(99);
        let draws = 20_000;
        for j in 0..n {
            let current = es.mean()[j].round();
            let moved = (0..draws).filter(|_| es.ask(&mut probe)[j].round() != current).count();
            assert!(moved as f64 >= 0.7 * alpha * draws as f64, "coordinate {j}: {moved} of {draws} moved");
        }
    }

    // Mixed problem: the continuous coordinates drive σ down, which freezes
    // integer coordinates that are still wrong unless the margin keeps them moving.
    let (n, integers, budget) = (10, 5, 10_000);
    let (mut with_margin, mut without_margin) = (0, 0);
    for seed in 0..10 {
        with_margin += usize::from(mixed_integer_run(n, integers, true, seed, budget, &mut |_| {}).0 <= 1e-10);
        without_margin += usize::from(mixed_integer_run(n, integers, false, seed, budget, &mut |_| {}).0 <= 1e-10);
    }
    eprintln!("mixed-integer sphere solved: with margin {with_margin}/10, without {without_margin}/10");
    assert!(with_margin >= 9, "with margin solved {with_margin}/10");
    assert!(without_margin + 4 <= with_margin, "without margin solved {without_margin}/10");
}

#[test]
fn warm_start_begins_near_the_source_optimum_and_beats_a_cold_start() {
    let n = 4;
    let bounds = vec![(0.0, 1.0); n];
    let source_optimum = [0.8, 0.75, 0.85, 0.8];
    let target_optimum = [0.82, 0.73, 0.86, 0.79];
    let source = |x: &[f64]| x.iter().zip(&source_optimum).map(|(a, b)| (a - b).powi(2)).sum::<f64>();
    let target = |x: &[f64]| x.iter().zip(&target_optimum).map(|(a, b)| (a - b).powi(2)).sum::<f64>();

    // The source study: 20 generations of a cold run on the source task.
    let mut source_run = CmaEs::new(bounds.clone(), None, CmaOptions::default(), 1).unwrap();
    let mut r = seeded(1);
    let mut solutions: Vec<(Vec<f64>, f64)> = Vec::new();
    for _ in 0..20 {
        let generation: Vec<(Vec<f64>, f64)> = (0..source_run.population_size())
            .map(|_| {
                let x = source_run.ask(&mut r);
                let v = source(&x);
                (x, v)
            })
            .collect();
        source_run.tell(&generation).unwrap();
        solutions.extend(generation);
    }
    let warm = CmaEs::warm_start(bounds.clone(), &solutions, CmaOptions::default(), 0).unwrap();
    let distance = source(warm.mean()).sqrt();
    assert!(distance < 0.05, "warm mean {:?} is {distance} from the source optimum", warm.mean());
    assert!(warm.sigma() < 1.0 / 6.0, "the warm step size is tighter than the default");

    let (mut warm_total, mut cold_total) = (0.0, 0.0);
    for seed in 0..10 {
        let mut warm = CmaEs::warm_start(bounds.clone(), &solutions, CmaOptions::default(), seed).unwrap();
        let mut cold = CmaEs::new(bounds.clone(), None, CmaOptions::default(), seed).unwrap();
        let budget = 3 * warm.population_size();
        warm_total += optimize(&mut warm, &target, budget, f64::NEG_INFINITY, seed).1;
        cold_total += optimize(&mut cold, &target, budget, f64::NEG_INFINITY, seed).1;
    }
    assert!(warm_total < 0.3 * cold_total, "first generations: warm {warm_total} vs cold {cold_total}");

    let too_few = &solutions[..9];
    let error = CmaEs::warm_start(bounds.clone(), too_few, CmaOptions::default(), 0).unwrap_err();
    assert!(error.to_string().contains("at least 10 solutions"), "{error}");
    let separable = CmaOptions { separable: true, ..Default::default() };
    let warm_sep = CmaEs::warm_start(bounds, &solutions, separable, 0).unwrap();
    assert!(matches!(warm_sep.run.cov, Covariance::Diagonal { .. }));
}

#[test]
fn same_seed_same_state_different_seed_different_restarts() {
    let n = 3;
    let flat = |_: &[f64]| 1.0;
    let run = |seed: u64| {
        let options = CmaOptions { restart: Restart::Ipop, ..Default::default() };
        let mut es = CmaEs::new(vec![(0.0, 1.0); n], None, options, seed).unwrap();
        // Equal values everywhere: TolFun fires once its window is full.
        let mut rng = seeded(42);
        while es.restarts() == 0 {
            let generation: Vec<(Vec<f64>, f64)> =
                (0..es.population_size()).map(|_| (es.ask(&mut rng), flat(&[]))).collect();
            es.tell(&generation).unwrap();
        }
        es
    };
    let (a, b, c) = (run(1), run(1), run(2));
    assert_eq!(format!("{a:?}"), format!("{b:?}"), "same seed and tells give the same state");
    assert_eq!(a.ask(&mut seeded(5)), b.ask(&mut seeded(5)));
    assert_ne!(a.mean(), c.mean(), "restart means depend on the seed");
    assert_eq!(a.generation(), c.generation(), "the flat run stops after the TolFun window either way");

    // Told order does not matter when values differ.
    let mut x = CmaEs::new(vec![(0.0, 1.0); n], None, CmaOptions::default(), 0).unwrap();
    let mut y = x.clone();
    let mut r = seeded(3);
    let generation: Vec<(Vec<f64>, f64)> = (0..x.population_size())
        .map(|_| {
            let p = x.ask(&mut r);
            let v = sphere(&p);
            (p, v)
        })
        .collect();
    let mut reversed = generation.clone();
    reversed.reverse();
    x.tell(&generation).unwrap();
    y.tell(&reversed).unwrap();
    assert_eq!(format!("{x:?}"), format!("{y:?}"));
}

/// NaN ranks last and infinities in their order: -inf first, +inf (a
/// diverged run, which Optuna completes) last among values.
#[test]
fn nan_ranks_last_and_infinities_in_order() {
    let n = 2;
    let mut es = CmaEs::new(vec![(-1.0, 1.0); n], None, CmaOptions::default(), 0).unwrap();
    let mut r = seeded(0);
    let mut generation: Vec<(Vec<f64>, f64)> = (0..es.population_size()).map(|_| (es.ask(&mut r), 0.0)).collect();
    for (k, s) in generation.iter_mut().enumerate() {
        s.1 = match k {
            0 => f64::NAN,
            1 => f64::NEG_INFINITY,
            2 => f64::INFINITY,
            _ => sphere(&s.0),
        };
    }
    let mut expected = es.clone();
    // The same generation told with finite stand-ins in the same order:
    // -inf below every value, NaN and +inf above (NaN ranked after +inf).
    let mut reordered = generation.clone();
    let low = generation[3..].iter().map(|s| s.1).fold(f64::INFINITY, f64::min) - 1.0;
    let high = generation[3..].iter().map(|s| s.1).fold(f64::NEG_INFINITY, f64::max) + 1.0;
    let nan = reordered.remove(0);
    reordered.push((nan.0, high + 1.0));
    reordered[0].1 = low;
    reordered[1].1 = high;
    es.tell(&generation).unwrap();
    expected.tell(&reordered).unwrap();
    assert_eq!(es.mean(), expected.mean());
    // A generation of infinities only: no NaN reaches the state, and the
    // run goes on (ranges of inf - inf stop nothing).
    let all_inf: Vec<(Vec<f64>, f64)> = (0..es.population_size())
        .map(|k| (es.ask(&mut r), if k % 2 == 0 { f64::INFINITY } else { f64::NEG_INFINITY }))
        .collect();
    es.tell(&all_inf).unwrap();
    assert!(es.mean().iter().all(|m| m.is_finite()));
    assert!(es.ask(&mut r).iter().all(|c| c.is_finite()));
}

#[test]
fn invalid_inputs_are_rejected() {
    let ok = CmaOptions::default;
    assert!(CmaEs::new(vec![], None, ok(), 0).is_err());
    assert!(CmaEs::new(vec![(1.0, 1.0)], None, ok(), 0).is_err());
    assert!(CmaEs::new(vec![(0.0, f64::INFINITY)], None, ok(), 0).is_err());
    assert!(CmaEs::new(vec![(0.0, 1.0)], Some(vec![2.0]), ok(), 0).is_err());
    assert!(CmaEs::new(vec![(0.0, 1.0)], Some(vec![0.5, 0.5]), ok(), 0).is_err());
    assert!(CmaEs::new(vec![(0.0, 1.0)], None, CmaOptions { sigma0: Some(0.0), ..ok() }, 0).is_err());
    assert!(CmaEs::new(vec![(0.0, 1.0)], None, CmaOptions { population_size: Some(1), ..ok() }, 0).is_err());
    assert!(CmaEs::new(vec![(0.0, 1.0)], None, CmaOptions { inc_popsize: 0, ..ok() }, 0).is_err());
    assert!(CmaEs::new(vec![(0.0, 1.0)], None, CmaOptions { discrete_widths: vec![None, None], ..ok() }, 0).is_err());
    assert!(CmaEs::new(vec![(0.0, 1.0)], None, CmaOptions { discrete_widths: vec![Some(-1.0)], ..ok() }, 0).is_err());

    let mut es = CmaEs::new(vec![(0.0, 1.0); 2], None, ok(), 0).unwrap();
    let lambda = es.population_size();
    assert!(es.tell(&vec![(vec![0.5, 0.5], 1.0); lambda - 1]).is_err());
    assert!(es.tell(&vec![(vec![0.5], 1.0); lambda]).is_err());
    assert!(es.tell(&vec![(vec![0.5, f64::NAN], 1.0); lambda]).is_err());
    assert_eq!(es.generation(), 0, "a rejected tell changes nothing");
}
