use std::collections::BTreeMap;
use std::sync::Arc;

use ferrotune_core::{
    CategoricalDistribution, Distribution, FloatDistribution, FrozenTrial, IntDistribution, Sampler, SearchSpace,
    StudyDirection, StudyView, TrialParam, TrialState, CONSTRAINTS_ATTR, RELATIVE_PARAMS_ATTR,
};
use serde_json::json;

use super::parzen::{ParzenEstimator, ParzenOptions};
use super::*;
use crate::qmc::from_unit;
use crate::{QmcSampler, RandomSampler};

fn float(low: f64, high: f64) -> Distribution {
    Distribution::Float(FloatDistribution::new(low, high, false, None).unwrap())
}

fn trial(number: u64, state: TrialState, value: Option<f64>, params: &[(&str, &Distribution, f64)]) -> FrozenTrial {
    let mut t = FrozenTrial::new(number as i64, number, state);
    t.values = value.map(|v| vec![v]);
    t.params = params
        .iter()
        .map(|(n, d, v)| (n.to_string(), TrialParam { distribution: (*d).clone(), internal: *v }))
        .collect();
    t
}

fn view<'a>(trials: &'a [Arc<FrozenTrial>], directions: &'a [StudyDirection]) -> StudyView<'a> {
    StudyView { study_name: "s", directions, trials }
}

#[test]
fn gamma_and_weights_are_optunas() {
    assert_eq!((0..=30).map(optuna_gamma).collect::<Vec<_>>()[..12], [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2]);
    assert_eq!(optuna_gamma(1000), 25);
    assert_eq!(optuna_gamma_multi_objective(1000), 100);
    assert_eq!(hyperopt_gamma(100), 3);
    assert_eq!(optuna_weights(3), vec![1.0; 3]);
    // numpy.linspace(1/30, 1, 5) then 25 ones.
    let w = optuna_weights(30);
    assert_eq!(w.len(), 30);
    for (i, expected) in [1.0 / 30.0, 0.275, 0.516_666_666_666_666_7, 0.758_333_333_333_333_3, 1.0].iter().enumerate() {
        assert!((w[i] - expected).abs() < 1e-12, "{w:?}");
    }
    assert!(w[5..].iter().all(|&x| x == 1.0));
    assert_eq!(optuna_weights(26), [vec![1.0 / 26.0], vec![1.0; 25]].concat());
}

#[test]
fn parzen_log_densities_equal_optunas_on_a_mixed_space() {
    // Reference: optuna 5.0.0's _ParzenEstimator on the same observations,
    // weights and points, computed once with that package. No two
    // observations of a parameter are equal: Optuna orders ties by numpy's
    // unstable argsort, which changes which of two equal observations gets
    // which neighbour's bandwidth; ours orders them by trial (stable).
    let space: Vec<Distribution> = vec![
        float(-2.0, 3.0),
        Distribution::Float(FloatDistribution::new(1e-4, 1.0, true, None).unwrap()),
        Distribution::Int(IntDistribution::new(0, 10, false, 2).unwrap()),
        Distribution::Int(IntDistribution::new(1, 256, true, 1).unwrap()),
        Distribution::Categorical(CategoricalDistribution::new(vec!["x".into(), "y".into(), "z".into()]).unwrap()),
        Distribution::Float(FloatDistribution::new(0.0, 1.0, false, Some(0.1)).unwrap()),
    ];
    let observations = vec![
        vec![0.5, -1.5, 2.9, 0.4, 0.45],
        vec![1e-3, 0.5, 2e-4, 0.05, 0.9],
        vec![2.0, 4.0, 10.0, 0.0, 6.0],
        vec![4.0, 200.0, 16.0, 32.0, 1.0],
        vec![0.0, 2.0, 2.0, 1.0, 2.0],
        vec![0.1, 0.5, 0.6, 1.0, 0.0],
    ];
    let points = [[0.0, 0.01, 4.0, 8.0, 1.0, 0.3], [2.5, 1e-4, 0.0, 256.0, 2.0, 0.0], [-2.0, 0.7, 10.0, 1.0, 0.0, 1.0]];
    let weights = [1.0, 0.5, 2.0, 1.0, 0.25];
    let options = ParzenOptions::OPTUNA;
    let expected_joint = [-13.332_686_482_396_582, -18.230_073_847_202_7, -12.907_100_301_317_218];
    let expected_each = [
        [-1.519_011_768_427_598_8, -1.581_476_240_346_081_6, -2.116_995_615_957_939_5],
        [-2.568_623_292_802_354, -1.807_599_847_617_402, -2.385_020_736_478_685],
        [-1.765_803_719_631_646, -1.697_934_641_106_851_7, -1.899_473_005_298_410_6],
        [-3.622_252_959_721_402, -7.876_266_702_664_417, -2.282_375_571_102_038_6],
        [-1.325_385_608_032_898_5, -0.758_007_814_761_986_3, -1.325_385_608_032_898_5],
        [-2.394_208_841_989_659_7, -2.543_947_590_030_205_3, -2.534_784_991_434_791_3],
    ];
    let refs: Vec<&Distribution> = space.iter().collect();
    let joint = ParzenEstimator::new(&refs, &observations, &weights, &options);
    let pts: Vec<Vec<f64>> = points.iter().map(|p| p.to_vec()).collect();
    for (got, want) in joint.log_pdf(&pts).iter().zip(expected_joint) {
        assert!((got - want).abs() < 1e-9, "{got} vs {want}");
    }
    for (i, d) in space.iter().enumerate() {
        let one = ParzenEstimator::new(&[d], &observations[i..=i], &weights, &options);
        let pts: Vec<Vec<f64>> = points.iter().map(|p| vec![p[i]]).collect();
        for (got, want) in one.log_pdf(&pts).iter().zip(expected_each[i]) {
            assert!((got - want).abs() < 1e-9, "parameter {i}: {got} vs {want}");
        }
    }
}

#[test]
fn split_ranks_complete_then_pruned_then_infeasible_and_running_is_bad() {
    let x = float(0.0, 1.0);
    let mut trials: Vec<FrozenTrial> = Vec::new();
    // 0..9: complete with values 9, 8, ..., 0 (so trial 9 is best).
    for i in 0..10 {
        trials.push(trial(i, TrialState::Complete, Some(9.0 - i as f64), &[("x", &x, 0.1)]));
    }
    // 10, 11: pruned at step 5 (value 0.5) and step 7 (value 3.0): 11 got further.
    for (n, step, v) in [(10, 5, 0.5), (11, 7, 3.0)] {
        let mut t = trial(n, TrialState::Pruned, None, &[("x", &x, 0.2)]);
        t.intermediate_values.insert(step, v);
        trials.push(t);
    }
    // 12: complete but infeasible; 13: running.
    let mut t = trial(12, TrialState::Complete, Some(-100.0), &[("x", &x, 0.3)]);
    t.system_attrs.insert(CONSTRAINTS_ATTR.into(), json!({"memory": 2.0}));
    trials.push(t);
    trials.push(trial(13, TrialState::Running, None, &[("x", &x, 0.4)]));
    trials.push(trial(14, TrialState::Running, None, &[]));
    let trials: Vec<Arc<FrozenTrial>> = trials.into_iter().map(Arc::new).collect();
    let dirs = [StudyDirection::Minimize];
    let study = view(&trials, &dirs);
    let current = &trials[14];
    let numbers = |v: Vec<&FrozenTrial>| v.into_iter().map(|t| t.number).collect::<Vec<_>>();
    // The memo's remembered constraint violations (synced) must split as
    // the trials' own (a memo that has not seen them).
    let mut synced = Memo::default();
    synced.sync(&study);
    let mut split = |sampler: &TpeSampler| {
        let fresh = sampler.split(&study, current, &mut Memo::default()).unwrap();
        let remembered = sampler.split(&study, current, &mut synced).unwrap();
        assert_eq!(
            (numbers(fresh.below.clone()), numbers(fresh.above.clone()), &fresh.numbers, &fresh.losses),
            (numbers(remembered.below), numbers(remembered.above), &remembered.numbers, &remembered.losses)
        );
        // Running trials are marked, finished ones carry their number; only
        // complete, feasible trials have a loss.
        for (set, trials) in [&fresh.below, &fresh.above].into_iter().enumerate() {
            for (i, t) in trials.iter().enumerate() {
                let number = if t.state == TrialState::Running { memo::RUNNING } else { t.number as u32 };
                assert_eq!(fresh.numbers[set][i], number);
                let feasible_complete = t.state == TrialState::Complete && t.number != 12;
                assert_eq!(fresh.losses[set][i], feasible_complete.then(|| t.value().unwrap()));
            }
        }
        (fresh.below, fresh.above)
    };

    // n = 13 finished, gamma = 2: the two best complete trials.
    let sampler = TpeSampler::with_seed(0);
    let (below, above) = split(&sampler);
    assert_eq!(numbers(below), vec![8, 9]);
    assert_eq!(numbers(above), (0..8).chain(10..14).collect::<Vec<_>>());

    // gamma = 11: all 10 complete, then the pruned trial that got further.
    let sampler = TpeSampler::builder().gamma(|_| 11).build().unwrap();
    let (below, above) = split(&sampler);
    assert_eq!(numbers(below), (0..10).chain([11]).collect::<Vec<_>>());
    assert_eq!(numbers(above), vec![10, 12, 13]);

    // Without the constant liar, running trials are left out.
    let sampler = TpeSampler::builder().gamma(|_| 13).constant_liar(false).build().unwrap();
    let (below, above) = split(&sampler);
    assert_eq!(numbers(below), (0..13).collect::<Vec<_>>());
    assert!(above.is_empty());
}

#[test]
fn maximize_flips_the_ranking() {
    let x = float(0.0, 1.0);
    let trials: Vec<Arc<FrozenTrial>> =
        (0..10).map(|i| Arc::new(trial(i, TrialState::Complete, Some(i as f64), &[("x", &x, 0.5)]))).collect();
    let dirs = [StudyDirection::Maximize];
    let current = trial(10, TrialState::Running, None, &[]);
    let split = TpeSampler::builder()
        .gamma(|_| 3)
        .build()
        .unwrap()
        .split(&view(&trials, &dirs), &current, &mut Memo::default())
        .unwrap();
    assert_eq!(split.below.iter().map(|t| t.number).collect::<Vec<_>>(), vec![7, 8, 9]);
}

#[test]
fn a_multi_objective_good_set_is_chosen_by_hypervolume_as_optunas() {
    // Minimize the first value, maximize the second. Trials 0-3 form the
    // front, trial 4 is dominated by trial 0. Two good places: the front's
    // greedy hypervolume subset (reference: worst loss times 1.1, or 0.9
    // when negative: (11, -9)) takes trial 3 (box 5 x 8 = 40), then trial
    // 0 (adds 6 x 1 against trial 2's 1 x 5 and trial 1's 1 x 3). Crowding
    // distance would have taken the two ends, trials 0 and 1.
    let x = float(0.0, 1.0);
    let values = [[0.0, 10.0], [10.0, 20.0], [5.0, 14.0], [6.0, 17.0], [10.0, 5.0]];
    let trials: Vec<Arc<FrozenTrial>> = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let mut t = trial(i as u64, TrialState::Complete, None, &[("x", &x, 0.5)]);
            t.values = Some(v.to_vec());
            Arc::new(t)
        })
        .collect();
    let dirs = [StudyDirection::Minimize, StudyDirection::Maximize];
    let current = trial(5, TrialState::Running, None, &[]);
    let split = TpeSampler::builder()
        .gamma(|_| 2)
        .build()
        .unwrap()
        .split(&view(&trials, &dirs), &current, &mut Memo::default())
        .unwrap();
    assert_eq!(split.below.iter().map(|t| t.number).collect::<Vec<_>>(), vec![0, 3]);
    assert_eq!(split.above.iter().map(|t| t.number).collect::<Vec<_>>(), vec![1, 2, 4]);
}

#[test]
fn startup_trials_are_the_random_samplers_draws() {
    let x = float(-5.0, 5.0);
    let dirs = [StudyDirection::Minimize];
    let trials: Vec<Arc<FrozenTrial>> =
        (0..5).map(|i| Arc::new(trial(i, TrialState::Complete, Some(i as f64), &[("x", &x, 0.0)]))).collect();
    let current = trial(5, TrialState::Running, None, &[]);
    let study = view(&trials, &dirs);
    let tpe = TpeSampler::with_seed(11);
    assert!(tpe.sample_relative(&study, &current, &SearchSpace::from([("x".into(), x.clone())])).unwrap().is_empty());
    let from_tpe = tpe.sample_independent(&study, &current, "x", &x).unwrap();
    let from_random = RandomSampler::with_seed(11).sample_independent(&study, &current, "x", &x).unwrap();
    assert_eq!(from_tpe, from_random);
}

#[test]
fn qmc_startup_trials_are_a_balanced_sobol_design() {
    // 8 startup trials over two ints with 8 values each: Sobol puts every
    // value of each parameter in exactly one trial, and TPE then takes over.
    let k = Distribution::Int(IntDistribution::new(0, 7, false, 1).unwrap());
    let space = SearchSpace::from([("a".into(), k.clone()), ("b".into(), k.clone())]);
    let tpe = TpeSampler::builder().seed(4).n_startup_trials(8).startup_qmc(Some(QmcKind::Sobol)).build().unwrap();
    let trials = run(&tpe, 12, |p| p["a"] + p["b"], &space);
    for name in ["a", "b"] {
        let mut seen: Vec<f64> = trials[..8].iter().map(|t| t.params[name].internal).collect();
        seen.sort_by(f64::total_cmp);
        assert_eq!(seen, (0..8).map(f64::from).collect::<Vec<_>>(), "{name}");
    }
    let qmc = QmcSampler::with_seed(4);
    assert_eq!(trials[3].params["a"].internal, from_unit(&k, qmc.unit(3, 0)));
    // The default stays Optuna's: independent random startup draws.
    let plain = run(&TpeSampler::with_seed(4), 1, |p| p["a"], &space);
    let random = RandomSampler::with_seed(4);
    let t0 = trial(0, TrialState::Running, None, &[]);
    let dirs = [StudyDirection::Minimize];
    assert_eq!(plain[0].params["a"].internal, random.sample_independent(&view(&[], &dirs), &t0, "a", &k).unwrap());
}

#[test]
fn the_qmc_sampler_beats_random_search_on_a_smooth_function() {
    // Over several seeds, an evenly spread design finds a lower minimum of a
    // smooth bowl than independent draws at the same small budget.
    let space: SearchSpace = (0..3).map(|i| (format!("x{i}"), float(-5.0, 5.0))).collect();
    let bowl = |p: &BTreeMap<String, f64>| p.values().map(|v| (v - 0.7) * (v - 0.7)).sum::<f64>();
    let (mut qmc_total, mut random_total) = (0.0, 0.0);
    for seed in 0..20 {
        qmc_total += best(&run(&QmcSampler::with_seed(seed), 32, bowl, &space));
        random_total += best(&run(&RandomSampler::with_seed(seed), 32, bowl, &space));
    }
    assert!(qmc_total < random_total, "QMC mean best {} vs random {}", qmc_total / 20.0, random_total / 20.0);
}

/// Run a sequential study by hand: ask, sample, tell.
fn run(
    sampler: &dyn Sampler,
    n: u64,
    objective: impl Fn(&BTreeMap<String, f64>) -> f64,
    space: &SearchSpace,
) -> Vec<Arc<FrozenTrial>> {
    run_with_directions(sampler, n, |p| vec![objective(p)], space, &[StudyDirection::Minimize])
}

/// [`run`] with one value per direction.
fn run_with_directions(
    sampler: &dyn Sampler,
    n: u64,
    objective: impl Fn(&BTreeMap<String, f64>) -> Vec<f64>,
    space: &SearchSpace,
    dirs: &[StudyDirection],
) -> Vec<Arc<FrozenTrial>> {
    let mut trials: Vec<Arc<FrozenTrial>> = Vec::new();
    for number in 0..n {
        let mut current = trial(number, TrialState::Running, None, &[]);
        let study = view(&trials, dirs);
        let relative_space = sampler.infer_relative_search_space(&study, &current);
        let relative = sampler.sample_relative(&study, &current, &relative_space).unwrap();
        let mut values = BTreeMap::new();
        for (name, d) in space {
            let v = match relative.get(name) {
                Some(v) => *v,
                None => sampler.sample_independent(&study, &current, name, d).unwrap(),
            };
            assert!(d.contains(v), "{v} outside {d}");
            current.params.insert(name.clone(), TrialParam { distribution: d.clone(), internal: v });
            values.insert(name.clone(), v);
        }
        current.state = TrialState::Complete;
        current.values = Some(objective(&values));
        trials.push(Arc::new(current));
    }
    trials
}

fn best(trials: &[Arc<FrozenTrial>]) -> f64 {
    trials.iter().filter_map(|t| t.value()).fold(f64::INFINITY, f64::min)
}

#[test]
fn tpe_beats_random_search_on_a_shifted_sphere() {
    let space: SearchSpace = (0..4).map(|i| (format!("x{i}"), float(-5.0, 5.0))).collect();
    let sphere = |p: &BTreeMap<String, f64>| p.values().map(|v| (v - 1.3) * (v - 1.3)).sum::<f64>();
    let mut tpe_wins = 0;
    for seed in 0..5 {
        for multivariate in [true, false] {
            let tpe = TpeSampler::builder().seed(seed).multivariate(multivariate).build().unwrap();
            let t = best(&run(&tpe, 80, sphere, &space));
            let r = best(&run(&RandomSampler::with_seed(seed), 80, sphere, &space));
            tpe_wins += (t < r) as u32;
            assert!(t < 2.0, "seed {seed} multivariate {multivariate}: TPE best {t}");
        }
    }
    assert!(tpe_wins >= 9, "TPE beat random search in only {tpe_wins} of 10 runs");
}

#[test]
fn tpe_handles_every_kind_of_parameter() {
    let space: SearchSpace = [
        ("lr".to_string(), Distribution::Float(FloatDistribution::new(1e-5, 1.0, true, None).unwrap())),
        ("units".to_string(), Distribution::Int(IntDistribution::new(8, 512, true, 1).unwrap())),
        ("layers".to_string(), Distribution::Int(IntDistribution::new(1, 9, false, 2).unwrap())),
        ("dropout".to_string(), Distribution::Float(FloatDistribution::new(0.0, 0.5, false, Some(0.05)).unwrap())),
        ("act".to_string(), Distribution::categorical(["relu", "tanh", "gelu"]).unwrap()),
    ]
    .into_iter()
    .collect();
    // Best at lr = 1e-2, units = 128, layers = 3, dropout = 0.1, act = gelu.
    let objective = |p: &BTreeMap<String, f64>| {
        (p["lr"].log10() + 2.0).powi(2)
            + (p["units"].log2() - 7.0).powi(2)
            + (p["layers"] - 3.0).abs()
            + 10.0 * (p["dropout"] - 0.1).abs()
            + if p["act"] == 2.0 { 0.0 } else { 1.0 }
    };
    for multivariate in [true, false] {
        let tpe = TpeSampler::builder().seed(3).multivariate(multivariate).build().unwrap();
        let trials = run(&tpe, 120, objective, &space);
        let later: Vec<f64> = trials[60..].iter().filter_map(|t| t.value()).collect();
        let early: Vec<f64> = trials[..10].iter().filter_map(|t| t.value()).collect();
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        assert!(mean(&later) < mean(&early) / 2.0, "{} vs {}", mean(&later), mean(&early));
        assert!(best(&trials) < 1.5, "multivariate {multivariate}: best {}", best(&trials));
    }
}

#[test]
fn a_seed_makes_tpe_repeat_exactly() {
    let space: SearchSpace = (0..3).map(|i| (format!("x{i}"), float(-1.0, 1.0))).collect();
    let f = |p: &BTreeMap<String, f64>| p.values().map(|v| v.abs()).sum::<f64>();
    let a = run(&TpeSampler::with_seed(5), 40, f, &space);
    let b = run(&TpeSampler::with_seed(5), 40, f, &space);
    let c = run(&TpeSampler::with_seed(6), 40, f, &space);
    let params = |t: &[Arc<FrozenTrial>]| t.iter().map(|t| t.param_values()).collect::<Vec<_>>();
    assert_eq!(params(&a), params(&b));
    assert_ne!(params(&a), params(&c));
}

#[test]
fn running_trials_push_proposals_away_with_the_constant_liar() {
    // Ten finished trials on the integers 0..=9, best at 4; four proposals
    // are made while the earlier ones are still running. Without the liar
    // they pile onto the best value; with it, each running trial counts as
    // bad, so the batch spreads out.
    let x = Distribution::Int(IntDistribution::new(0, 9, false, 1).unwrap());
    let dirs = [StudyDirection::Minimize];
    let finished: Vec<Arc<FrozenTrial>> = (0..10)
        .map(|i| Arc::new(trial(i, TrialState::Complete, Some((i as f64 - 4.0).abs()), &[("x", &x, i as f64)])))
        .collect();
    let batch = |seed: u64, liar: bool, optuna: bool| {
        let builder = TpeSampler::builder().seed(seed).constant_liar(liar);
        let tpe = if optuna { builder.optuna_defaults() } else { builder }.build().unwrap();
        let mut trials = finished.clone();
        let mut proposed = std::collections::BTreeSet::new();
        for number in 10..14u64 {
            let current = trial(number, TrialState::Running, None, &[]);
            let v = tpe.sample_independent(&view(&trials, &dirs), &current, "x", &x).unwrap();
            proposed.insert(v as i64);
            trials.push(Arc::new(trial(number, TrialState::Running, None, &[("x", &x, v)])));
        }
        proposed.len()
    };
    // At least 3 distinct values in every batch, with Optuna's weights and
    // with the default's improvement weights. The latter put nearly all of
    // l(x) on the best trial (here one good trial gains 1, the other
    // nothing), which the liar alone did not always outweigh (2 distinct
    // values on one seed); a candidate identical to a running trial is now
    // passed over while another is left.
    for (optuna, at_least, total_at_least) in [(true, 3, 24), (false, 3, 24)] {
        let (mut with, mut without) = (0, 0);
        for seed in 0..8 {
            let spread = batch(seed, true, optuna);
            assert!(spread >= at_least, "optuna {optuna}, seed {seed}: only {spread} distinct values with the liar");
            with += spread;
            without += batch(seed, false, optuna);
        }
        assert!(
            with >= total_at_least && without < 20 && with > without,
            "optuna {optuna}: distinct values over 8 batches: {with} with the liar, {without} without"
        );
    }
}

/// Trials minus distinct configurations (by grid index, 0.1 steps).
fn repeats(trials: &[Arc<FrozenTrial>]) -> usize {
    let keys: std::collections::BTreeSet<Vec<i64>> =
        trials.iter().map(|t| t.params.values().map(|p| (p.internal * 10.0).round() as i64).collect()).collect();
    trials.len() - keys.len()
}

#[test]
fn finished_configurations_are_not_repeated_while_the_space_is_far_from_exhausted() {
    // Issue 22's "duplicates" phase: x, y = suggest_float(-5, 5, step=0.1)
    // (10,201 points), minimize x² + y². The default good set (the best
    // 15%, uncapped) grows with the trials and the magic clip's floor,
    // range / (n_good + 2), shrinks with it, so l(x) piles onto a few grid
    // points around the best: with repeats allowed (as before
    // `avoid_repeats`) 200 trials repeated a configuration 40 or 41 times on
    // each of these seeds, now none does. (At 400 trials, 20 seeds,
    // `bench/src/bin/tpe_dups.rs`: 198 before, 73 now, Optuna 5 78.)
    let step = Distribution::Float(FloatDistribution::new(-5.0, 5.0, false, Some(0.1)).unwrap());
    let space: SearchSpace = [("x".to_string(), step.clone()), ("y".to_string(), step)].into_iter().collect();
    let f = |p: &BTreeMap<String, f64>| p["x"] * p["x"] + p["y"] * p["y"];
    for seed in 0..3 {
        let trials = run(&TpeSampler::with_seed(seed), 200, f, &space);
        assert!(repeats(&trials) <= 5, "seed {seed}: {} repeated configurations in 200 trials", repeats(&trials));
        assert!(best(&trials) <= 0.02, "seed {seed}: best {}", best(&trials));
    }
    // The check fails without the rule.
    let allowed = TpeSampler::builder().seed(0).avoid_repeats(false).build().unwrap();
    assert!(repeats(&run(&allowed, 200, f, &space)) > 20);
}

#[test]
fn independent_sampling_passes_over_repeats_too() {
    // Several objectives sample each parameter independently (the default,
    // as Optuna's). The digits-MLP space of the multi-objective bench in
    // miniature: 3 x 5 x 4 x 2 = 120 configurations, two objectives at odds.
    let int = |low, high| Distribution::Int(IntDistribution::new(low, high, false, 1).unwrap());
    let space: SearchSpace = [
        ("layers".to_string(), int(1, 3)),
        ("units".to_string(), int(3, 7)),
        ("lr".to_string(), int(-4, -1)),
        ("act".to_string(), Distribution::categorical(["relu", "tanh"]).unwrap()),
    ]
    .into_iter()
    .collect();
    let f = |p: &BTreeMap<String, f64>| {
        let error = (p["lr"] + 2.5).powi(2) / (p["layers"] * p["units"]) + 0.1 * p["act"];
        vec![error, p["layers"] * 2f64.powf(p["units"])]
    };
    let dirs = [StudyDirection::Minimize, StudyDirection::Minimize];
    let params = |t: &[Arc<FrozenTrial>]| t.iter().map(|t| t.param_values()).collect::<Vec<_>>();
    for seed in 0..3 {
        let on = run_with_directions(&TpeSampler::with_seed(seed), 60, f, &space, &dirs);
        let off = run_with_directions(
            &TpeSampler::builder().seed(seed).avoid_repeats(false).build().unwrap(),
            60,
            f,
            &space,
            &dirs,
        );
        assert_eq!(repeats(&on), 0, "seed {seed}: {} repeats in 60 trials of 120 configurations", repeats(&on));
        assert!(repeats(&off) > 10, "seed {seed}: the check fails without the rule ({} repeats)", repeats(&off));
        // Up to the first repeat the rule changes nothing: each parameter
        // is drawn and scored as when sampled on its own.
        let first_repeat =
            (0..off.len()).find(|&i| off[..i].iter().any(|t| t.param_values() == off[i].param_values())).unwrap();
        assert_eq!(params(&on[..first_repeat]), params(&off[..first_repeat]), "seed {seed}");
    }
    // With a continuous parameter nothing changes, bit for bit.
    let mut mixed = space.clone();
    mixed.insert("wd".to_string(), float(0.0, 1.0));
    let g = |p: &BTreeMap<String, f64>| vec![f(p)[0] + p["wd"], f(p)[1]];
    let on = run_with_directions(&TpeSampler::with_seed(5), 40, g, &mixed, &dirs);
    let off =
        run_with_directions(&TpeSampler::builder().seed(5).avoid_repeats(false).build().unwrap(), 40, g, &mixed, &dirs);
    assert_eq!(params(&on), params(&off));
}

#[test]
fn known_configurations_are_the_finished_ones_and_with_the_liar_the_running_ones() {
    let n = Distribution::Int(IntDistribution::new(0, 9, false, 1).unwrap());
    let space: SearchSpace = [("n".to_string(), n.clone())].into_iter().collect();
    let finished = trial(0, TrialState::Complete, Some(1.0), &[("n", &n, 3.0)]);
    let failed = trial(1, TrialState::Failed, None, &[("n", &n, 4.0)]);
    // Running: proposed 5 at ask time (a relative parameter), not suggested yet.
    let mut running = trial(2, TrialState::Running, None, &[]);
    running.system_attrs.insert(RELATIVE_PARAMS_ATTR.to_string(), json!({"n": 5.0}));
    let current = trial(3, TrialState::Running, None, &[]);
    // A trial with another parameter too is another configuration.
    let x = float(0.0, 1.0);
    let wider = trial(4, TrialState::Complete, Some(1.0), &[("n", &n, 6.0), ("x", &x, 0.5)]);
    let trials = [&finished, &failed, &running, &current, &wider];
    let known = |liar: bool| {
        let mut k: Vec<Vec<i64>> = known_configurations(&space, trials.into_iter(), 3, liar).into_iter().collect();
        k.sort();
        k
    };
    assert_eq!(known(false), vec![vec![3]]);
    assert_eq!(known(true), vec![vec![3], vec![5]]);
}

#[test]
fn combinations_are_visited_in_decreasing_total_score() {
    // Two parameters, options in decreasing score: totals (a, b) are
    // a0+b0 = 5, a0+b1 = 4, a1+b0 = 3.5, a1+b1 = 2.5, a0+b2 = 1, ...
    let options = vec![vec![(0.0, 3.0), (1.0, 1.5)], vec![(0.0, 2.0), (1.0, 1.0), (2.0, -2.0)]];
    let order = std::cell::RefCell::new(Vec::new());
    let accept_after = |n: usize| {
        order.borrow_mut().clear();
        best_new_combination(&options, |c| {
            order.borrow_mut().push(c.to_vec());
            order.borrow().len() > n
        })
    };
    assert_eq!(accept_after(0), Some(vec![0, 0]));
    assert_eq!(accept_after(3), Some(vec![1, 1]));
    assert_eq!(*order.borrow(), [vec![0, 0], vec![0, 1], vec![1, 0], vec![1, 1]]);
    // Every combination refused: none.
    assert_eq!(accept_after(6), None);
    assert_eq!(order.borrow().len(), 6);
}

#[test]
fn repeats_are_avoided_only_on_a_wholly_discrete_space_and_not_once_exhausted() {
    // With a continuous parameter nothing changes, bit for bit.
    let mixed: SearchSpace = [
        ("x".to_string(), float(-1.0, 1.0)),
        ("n".to_string(), Distribution::Int(IntDistribution::new(0, 3, false, 1).unwrap())),
    ]
    .into_iter()
    .collect();
    let f = |p: &BTreeMap<String, f64>| p["x"].abs() + p["n"];
    let params = |t: &[Arc<FrozenTrial>]| t.iter().map(|t| t.param_values()).collect::<Vec<_>>();
    let on = run(&TpeSampler::with_seed(1), 40, f, &mixed);
    let off = run(&TpeSampler::builder().seed(1).avoid_repeats(false).build().unwrap(), 40, f, &mixed);
    assert_eq!(params(&on), params(&off));
    // Six configurations and 30 trials: once every candidate is a known
    // configuration, TPE still proposes (the best of them).
    let tiny: SearchSpace = [
        ("n".to_string(), Distribution::Int(IntDistribution::new(0, 2, false, 1).unwrap())),
        ("c".to_string(), Distribution::categorical(["a", "b"]).unwrap()),
    ]
    .into_iter()
    .collect();
    let g = |p: &BTreeMap<String, f64>| p["n"] + p["c"];
    let trials = run(&TpeSampler::with_seed(2), 30, g, &tiny);
    assert_eq!(repeats(&trials), 24);
    assert_eq!(best(&trials), 0.0);
}

#[test]
fn relative_params_of_running_trials_count_as_observations() {
    let x = float(0.0, 1.0);
    let space = SearchSpace::from([("x".to_string(), x.clone())]);
    let mut running = trial(3, TrialState::Running, None, &[]);
    running.system_attrs.insert(RELATIVE_PARAMS_ATTR.into(), json!({"x": 0.25}));
    let done = trial(1, TrialState::Complete, Some(1.0), &[("x", &x, 0.75)]);
    let ([observed, _], rows) =
        Memo::default().observations([&[&done, &running], &[]], [&[1, memo::RUNNING], &[]], &space);
    assert_eq!(observed.columns, vec![vec![0.75, 0.25]]);
    let (keys, values) = &observed.sorted[0];
    assert_eq!(keys.iter().map(|&k| rows.kernel(k)).collect::<Vec<_>>(), vec![1, 0]);
    assert_eq!(values, &vec![0.25, 0.75]);
}

#[test]
fn groups_follow_parameters_that_appear_together() {
    let d = float(0.0, 1.0);
    let dirs = [StudyDirection::Minimize];
    let trials: Vec<Arc<FrozenTrial>> = vec![
        Arc::new(trial(0, TrialState::Complete, Some(1.0), &[("kind", &d, 0.1), ("a1", &d, 0.1), ("a2", &d, 0.1)])),
        Arc::new(trial(1, TrialState::Complete, Some(1.0), &[("kind", &d, 0.9), ("b1", &d, 0.1)])),
        Arc::new(trial(2, TrialState::Complete, Some(1.0), &[("kind", &d, 0.2), ("a1", &d, 0.1), ("a2", &d, 0.1)])),
    ];
    let mut memo = Memo::default();
    memo.sync(&view(&trials, &dirs));
    let spaces = memo.finished_spaces(&view(&trials, &dirs));
    let mut groups: Vec<Vec<String>> = memo::groups(&spaces).into_iter().map(|g| g.into_keys().collect()).collect();
    groups.sort();
    assert_eq!(groups, vec![vec!["a1".to_string(), "a2".into()], vec!["b1".into()], vec!["kind".into()]]);
    let grouped = TpeSampler::builder().group(true).build().unwrap();
    let space = grouped.infer_relative_search_space(&view(&trials, &dirs), &trial(3, TrialState::Running, None, &[]));
    assert_eq!(space.len(), 4);
    let plain = TpeSampler::new();
    let space = plain.infer_relative_search_space(&view(&trials, &dirs), &trial(3, TrialState::Running, None, &[]));
    assert_eq!(space.into_keys().collect::<Vec<_>>(), vec!["kind".to_string()]);
}

#[test]
fn bad_options_are_refused_when_built() {
    let err = |b: TpeSamplerBuilder| b.build().unwrap_err().to_string();
    assert!(err(TpeSampler::builder().n_ei_candidates(0)).contains("n_ei_candidates"));
    assert!(err(TpeSampler::builder().prior_weight(-1.0)).contains("prior_weight"));
    assert!(err(TpeSampler::builder().multivariate(false).group(true)).contains("group needs multivariate"));
    assert!(err(TpeSampler::builder().gamma_fraction(0.0)).contains("gamma fraction"));
    assert!(err(TpeSampler::builder().gamma_fraction(1.5)).contains("gamma fraction"));
    assert!(err(TpeSampler::builder().min_bandwidth_factor(f64::NAN)).contains("min_bandwidth_factor"));
    assert!(err(TpeSampler::builder().magic_clip_exponent(0.0)).contains("magic_clip_exponent"));
}

#[test]
fn a_gamma_fraction_is_linear_and_uncapped() {
    let dirs = [StudyDirection::Minimize];
    let study = view(&[], &dirs);
    let tpe = TpeSampler::builder().gamma_fraction(0.15).build().unwrap();
    let good: Vec<usize> = [1, 10, 100, 1000].iter().map(|&n| tpe.gamma(&study, n)).collect();
    assert_eq!(good, [1, 2, 15, 150]);
    // Setting a gamma function afterwards replaces the fraction.
    let tpe = TpeSampler::builder().gamma_fraction(0.15).gamma(|_| 3).build().unwrap();
    assert_eq!(tpe.gamma(&study, 1000), 3);
}

#[test]
fn improvement_weights_follow_the_gain_over_the_best_bad_trial() {
    // Losses of the complete, feasible trials; None for pruned, infeasible
    // or running ones (the split gives these; see the split's test).
    // Minimizing, y* = 5: gains 4, 3, 1; the pruned trial weighs as the
    // worst complete one.
    let below = [Some(1.0), Some(2.0), Some(4.0), None];
    let above = [Some(5.0), Some(7.0), None];
    assert_eq!(improvement_weights(&below, &above), [4.0, 3.0, 1.0, 1.0]);
    // No good trial better than the best bad one: all weigh the same.
    assert_eq!(improvement_weights(&below[..2], &[Some(1.0)]), [1.0, 1.0]);
    // A good trial no better than the best bad one keeps a sliver of weight.
    assert_eq!(improvement_weights(&below[..2], &[Some(1.5)]), [0.5, 0.5e-12]);
    // Maximizing flips the values into losses: values 9 and 8 against a
    // best bad 7 (losses -9, -8, -7) gain 2 and 1.
    let high = [Some(-9.0), Some(-8.0)];
    assert_eq!(improvement_weights(&high, &[Some(-5.0), Some(-7.0), None]), [2.0, 1.0]);
    // Without the 7 (an infeasible bad trial has no loss), y* = 5.
    assert_eq!(improvement_weights(&high, &[Some(-5.0), None, None]), [4.0, 3.0]);
    // Nothing to improve on (no complete bad trial): all weigh the same.
    assert_eq!(improvement_weights(&below, &above[2..]), [1.0; 4]);
}

/// A sampler that forgets everything between proposals: a fresh memo each time.
struct Forgetful(TpeSamplerBuilder);

impl Sampler for Forgetful {
    fn name(&self) -> &str {
        "forgetful tpe"
    }
    fn infer_relative_search_space(&self, study: &StudyView<'_>, trial: &FrozenTrial) -> SearchSpace {
        self.0.clone().build().unwrap().infer_relative_search_space(study, trial)
    }
    fn sample_relative(
        &self,
        study: &StudyView<'_>,
        trial: &FrozenTrial,
        space: &SearchSpace,
    ) -> ferrotune_core::Result<BTreeMap<String, f64>> {
        self.0.clone().build().unwrap().sample_relative(study, trial, space)
    }
    fn sample_independent(
        &self,
        study: &StudyView<'_>,
        trial: &FrozenTrial,
        name: &str,
        d: &Distribution,
    ) -> ferrotune_core::Result<f64> {
        self.0.clone().build().unwrap().sample_independent(study, trial, name, d)
    }
}

#[test]
fn remembering_finished_trials_changes_no_proposal() {
    let space: SearchSpace = [
        ("a".to_string(), float(-1.0, 1.0)),
        ("b".to_string(), Distribution::Int(IntDistribution::new(1, 64, true, 1).unwrap())),
        ("c".to_string(), Distribution::categorical(["p", "q", "r"]).unwrap()),
    ]
    .into_iter()
    .collect();
    let f = |p: &BTreeMap<String, f64>| p["a"].abs() + (p["b"].log2() - 3.0).abs() + p["c"];
    for multivariate in [true, false] {
        let builder = TpeSampler::builder().seed(9).multivariate(multivariate);
        let remembering = run(&builder.clone().build().unwrap(), 50, f, &space);
        let forgetting = run(&Forgetful(builder), 50, f, &space);
        let params = |t: &[Arc<FrozenTrial>]| t.iter().map(|t| t.param_values()).collect::<Vec<_>>();
        assert_eq!(params(&remembering), params(&forgetting));
    }
}

#[test]
fn remembering_the_multi_objective_good_set_changes_no_proposal() {
    // Every parameter of a trial asks for the good set, and the memo
    // chooses it once per set of complete trials: the proposals must be a
    // forgetful sampler's, in two and three objectives, with a maximized one.
    let space: SearchSpace = ["a", "b", "c"].iter().map(|name| (name.to_string(), float(-1.0, 1.0))).collect();
    let f = |p: &BTreeMap<String, f64>| {
        vec![(p["a"] - 0.5).powi(2) + p["b"].powi(2), (p["a"] + 0.5).powi(2) + p["c"].abs(), p["b"] * p["c"]]
    };
    for dirs in [
        vec![StudyDirection::Minimize, StudyDirection::Maximize],
        vec![StudyDirection::Minimize, StudyDirection::Minimize, StudyDirection::Maximize],
    ] {
        let objective = |p: &BTreeMap<String, f64>| f(p)[..dirs.len()].to_vec();
        let builder = TpeSampler::builder().seed(4).n_startup_trials(5).gamma(|n| n / 3);
        let remembering = run_with_directions(&builder.clone().build().unwrap(), 60, objective, &space, &dirs);
        let forgetting = run_with_directions(&Forgetful(builder), 60, objective, &space, &dirs);
        let params = |t: &[Arc<FrozenTrial>]| t.iter().map(|t| t.param_values()).collect::<Vec<_>>();
        assert_eq!(params(&remembering), params(&forgetting));
    }
}

#[test]
fn a_remembered_multi_objective_good_set_follows_new_trials() {
    // Ten trials on a line of trade-offs, then one that dominates them
    // all: with the same number of good places (gamma), the good set must
    // take it in, as a memo that has not seen the first split says.
    let x = float(0.0, 1.0);
    let complete = |number: u64, values: [f64; 2]| {
        let mut t = trial(number, TrialState::Complete, None, &[("x", &x, 0.5)]);
        t.values = Some(values.to_vec());
        Arc::new(t)
    };
    let mut trials: Vec<Arc<FrozenTrial>> = (0..10).map(|i| complete(i, [i as f64, 10.0 - i as f64])).collect();
    let dirs = [StudyDirection::Minimize, StudyDirection::Minimize];
    let sampler = TpeSampler::builder().gamma(|n| n / 3).build().unwrap();
    let mut memo = Memo::default();
    let numbers = |v: &[&FrozenTrial]| v.iter().map(|t| t.number).collect::<Vec<_>>();
    for number in [10, 11] {
        let current = trial(number + 1, TrialState::Running, None, &[]);
        memo.sync(&view(&trials, &dirs));
        // Twice, as for two parameters of one trial: the second is the memo's.
        for _ in 0..2 {
            let remembered = sampler.split(&view(&trials, &dirs), &current, &mut memo).unwrap();
            let fresh = sampler.split(&view(&trials, &dirs), &current, &mut Memo::default()).unwrap();
            assert_eq!(numbers(&remembered.below), numbers(&fresh.below));
            assert_eq!(numbers(&remembered.above), numbers(&fresh.above));
        }
        trials.push(complete(number, [-1.0, -1.0]));
    }
    let last = sampler.split(&view(&trials, &dirs), &trial(12, TrialState::Running, None, &[]), &mut memo).unwrap();
    assert!(numbers(&last.below).contains(&11), "the dominating trial is good: {:?}", numbers(&last.below));
}

#[test]
fn improvement_weights_pull_proposals_to_the_better_good_trial() {
    // Two good trials, mirror images around the middle: x = 0.1 gains 10
    // on the best bad trial, x = 0.9 gains 0.01. The bad trials sit
    // symmetrically in the middle, so g cannot tell the two sides apart and
    // only the weights can.
    let x = float(0.0, 1.0);
    let mut trials = vec![
        trial(0, TrialState::Complete, Some(0.0), &[("x", &x, 0.1)]),
        trial(1, TrialState::Complete, Some(9.99), &[("x", &x, 0.9)]),
    ];
    for (i, at) in [0.4, 0.45, 0.5, 0.55, 0.6, 0.35, 0.65, 0.5].into_iter().enumerate() {
        trials.push(trial(2 + i as u64, TrialState::Complete, Some(10.0 + i as f64), &[("x", &x, at)]));
    }
    let trials: Vec<Arc<FrozenTrial>> = trials.into_iter().map(Arc::new).collect();
    let dirs = [StudyDirection::Minimize];
    let study = view(&trials, &dirs);
    let current = trial(10, TrialState::Running, None, &[]);
    let share_low = |weighting: TpeWeighting| {
        let low = (0..400)
            .filter(|&seed| {
                let tpe = TpeSampler::builder().seed(seed).gamma(|_| 2).weighting(weighting).build().unwrap();
                tpe.sample_independent(&study, &current, "x", &x).unwrap() < 0.5
            })
            .count();
        low as f64 / 400.0
    };
    let (recency, improvement) = (share_low(TpeWeighting::Recency), share_low(TpeWeighting::ExpectedImprovement));
    // Equal weights: either side about as often (binomial sd 0.025).
    assert!((0.4..0.6).contains(&recency), "{recency}");
    assert!(improvement > 0.9, "{improvement}");
}

#[test]
fn good_trials_weigh_the_same_with_several_objectives_under_optunas_defaults() {
    let x = float(0.0, 1.0);
    // 300 trials: the good set (10%, uncapped with several objectives) is
    // 30, beyond the 25 that Optuna's recency weights keep at one.
    let trials: Vec<Arc<FrozenTrial>> = (0..300)
        .map(|i| {
            let mut t = trial(i, TrialState::Complete, None, &[("x", &x, (i % 100) as f64 / 100.0)]);
            t.values = Some(vec![i as f64, -(i as f64)]);
            Arc::new(t)
        })
        .collect();
    let dirs = [StudyDirection::Minimize, StudyDirection::Minimize];
    let study = view(&trials, &dirs);
    let current = trial(300, TrialState::Running, None, &[]);
    let tpe = TpeSampler::with_seed(0);
    let optuna = TpeSampler::builder().optuna_defaults().build().unwrap();
    let split = optuna.split(&study, &current, &mut Memo::default()).unwrap();
    assert_eq!(split.below.len(), 30);
    assert_eq!(optuna.good_weights(&study, &split, &mut Memo::default()), Some(vec![1.0; 30]));
    let uniform = TpeSampler::builder().multi_objective_weighting(MultiObjectiveWeighting::Uniform).build().unwrap();
    assert_eq!(uniform.good_weights(&study, &split, &mut Memo::default()), Some(vec![1.0; 30]));
    // One objective: improvement weights by default (good: the best 15%,
    // trials 0-4; the best bad trial is 5), the weights function's (None
    // here) with Optuna's defaults.
    let one = [StudyDirection::Minimize];
    let single: Vec<Arc<FrozenTrial>> =
        (0..30).map(|i| Arc::new(trial(i, TrialState::Complete, Some(i as f64), &[("x", &x, 0.5)]))).collect();
    let study = view(&single, &one);
    let split = tpe.split(&study, &current, &mut Memo::default()).unwrap();
    assert_eq!(tpe.good_weights(&study, &split, &mut Memo::default()), Some(vec![5.0, 4.0, 3.0, 2.0, 1.0]));
    let split = optuna.split(&study, &current, &mut Memo::default()).unwrap();
    assert_eq!(split.below.len(), 3);
    assert_eq!(optuna.good_weights(&study, &split, &mut Memo::default()), None);
}

#[test]
fn good_trials_can_weigh_their_hypervolume_contribution_as_in_the_motpe_paper() {
    // By hand: the good set (1, 3), (2, 2), (3, 1), (3, 3) in losses (the
    // second objective maximized, so stored negated) against 1.1 times its
    // worst values, (3.3, 3.3). (2, 2) alone covers [2, 3] x [2, 3], area
    // 1; each end point alone a 1 x 0.3 strip; (3, 3) is dominated. A
    // pruned good trial and an infeasible one (which would dominate every
    // other) count for nothing and do not move the reference.
    let dirs = [StudyDirection::Minimize, StudyDirection::Maximize];
    let with_values = |number: u64, state: TrialState, values: [f64; 2]| {
        let mut t = trial(number, state, None, &[]);
        t.values = Some(values.to_vec());
        t
    };
    let good = [
        with_values(0, TrialState::Complete, [1.0, -3.0]),
        with_values(1, TrialState::Complete, [2.0, -2.0]),
        with_values(2, TrialState::Complete, [3.0, -1.0]),
        with_values(3, TrialState::Complete, [3.0, -3.0]),
        trial(4, TrialState::Pruned, None, &[]),
        with_values(5, TrialState::Complete, [0.0, 0.0]),
    ];
    let refs: Vec<&FrozenTrial> = good.iter().collect();
    let losses = [Some(1.0), Some(2.0), Some(3.0), Some(3.0), None, None];
    let weights = contribution_weights(&refs, &losses, &dirs);
    let expected = [0.3, 1.0, 0.3, 1e-12, 1e-12, 1e-12];
    for (w, e) in weights.iter().zip(expected) {
        assert!((w - e).abs() <= 1e-12 * e.max(1.0), "{weights:?}");
    }
    // An infinite hypervolume (a value of -inf) says nothing finer: all alike.
    let unbounded = [
        with_values(0, TrialState::Complete, [f64::NEG_INFINITY, -1.0]),
        with_values(1, TrialState::Complete, [1.0, -2.0]),
    ];
    let refs: Vec<&FrozenTrial> = unbounded.iter().collect();
    assert_eq!(contribution_weights(&refs, &[Some(0.0), Some(1.0)], &dirs), [1.0, 1.0]);

    // Through the sampler (the default): the split's good set is weighed
    // so, and the memo gives the same weights again.
    let x = float(0.0, 1.0);
    let trials: Vec<Arc<FrozenTrial>> = (0..300)
        .map(|i| {
            let mut t = trial(i, TrialState::Complete, None, &[("x", &x, (i % 100) as f64 / 100.0)]);
            let a = i as f64 / 300.0;
            t.values = Some(vec![a, 1.0 - a.sqrt()]);
            Arc::new(t)
        })
        .collect();
    let both_minimized = [StudyDirection::Minimize, StudyDirection::Minimize];
    let study = view(&trials, &both_minimized);
    let current = trial(300, TrialState::Running, None, &[]);
    let tpe = TpeSampler::with_seed(0);
    let mut memo = Memo::default();
    let split = tpe.split(&study, &current, &mut memo).unwrap();
    let weights = tpe.good_weights(&study, &split, &mut memo).unwrap();
    assert_eq!(weights, contribution_weights(&split.below, &split.losses[0], &both_minimized));
    assert_eq!(tpe.good_weights(&study, &split, &mut memo).unwrap(), weights);
    assert!(weights.iter().all(|&w| w > 0.0 && w <= 1.0) && weights.contains(&1.0), "{weights:?}");
    assert!(weights.iter().any(|&w| w < 0.99), "a convex front's points contribute unequally: {weights:?}");
    let optuna = TpeSampler::builder().optuna_defaults().build().unwrap();
    assert_eq!(optuna.good_weights(&study, &split, &mut Memo::default()), Some(vec![1.0; split.below.len()]));
}

#[test]
fn the_settled_trials_split_as_the_trials_say_in_any_view() {
    // Complete, pruned, failed and running trials mixed; the memo, synced
    // on some views, must split every view as a memo that never saw one.
    let x = float(0.0, 1.0);
    let make = |n: u64, id_offset: i64| {
        let mut t = match n % 5 {
            0 => trial(n, TrialState::Pruned, None, &[("x", &x, 0.5)]),
            1 => trial(n, TrialState::Failed, None, &[]),
            2 if n == 12 => trial(n, TrialState::Running, None, &[("x", &x, 0.25)]),
            _ => {
                // The other study's values differ, so a stale memo would show.
                let value = ((n * 7 + id_offset as u64 / 250) % 11) as f64;
                trial(n, TrialState::Complete, Some(value), &[("x", &x, (n % 10) as f64 / 10.0)])
            }
        };
        t.intermediate_values.insert(n % 3, n as f64);
        t.trial_id += id_offset;
        Arc::new(t)
    };
    let dirs = [StudyDirection::Minimize];
    let all: Vec<Arc<FrozenTrial>> = (0..40).map(|n| make(n, 0)).collect();
    let current = trial(40, TrialState::Running, None, &[]);
    let sampler = TpeSampler::builder().gamma(|n| n / 4).build().unwrap();
    let numbers = |v: &[&FrozenTrial]| v.iter().map(|t| t.number).collect::<Vec<_>>();
    let check = |memo: &mut Memo, trials: &[Arc<FrozenTrial>]| {
        let study = view(trials, &dirs);
        let fresh = sampler.split(&study, &current, &mut Memo::default()).unwrap();
        let remembered = sampler.split(&study, &current, memo).unwrap();
        assert_eq!(numbers(&fresh.below), numbers(&remembered.below));
        assert_eq!(numbers(&fresh.above), numbers(&remembered.above));
        assert_eq!((&fresh.numbers, &fresh.losses), (&remembered.numbers, &remembered.losses));
        assert_eq!(memo.n_finished(&study), Memo::default().n_finished(&study));
    };
    let mut memo = Memo::default();
    memo.sync(&view(&all, &dirs));
    // Trials 0..12 are final: those are settled; trial 12 is running.
    assert_eq!(memo.settled_prefix(&view(&all, &dirs)), 12);
    check(&mut memo, &all);
    // A Hyperband-like bracket: every third trial.
    let bracket: Vec<Arc<FrozenTrial>> = all.iter().filter(|t| t.number % 3 == 0).cloned().collect();
    assert_eq!(memo.settled_prefix(&view(&bracket, &dirs)), 0);
    check(&mut memo, &bracket);
    memo.sync(&view(&bracket, &dirs));
    check(&mut memo, &all);
    // Trial 12 finishes: the settled mark moves past it on the next sync.
    let mut finished = all.clone();
    let mut twelve = (*finished[12]).clone();
    twelve.state = TrialState::Complete;
    twelve.values = Some(vec![-1.0]);
    finished[12] = Arc::new(twelve);
    memo.sync(&view(&finished, &dirs));
    assert_eq!(memo.settled_prefix(&view(&finished, &dirs)), 40);
    check(&mut memo, &finished);
    // Another study of the same name (other trial ids): the memo starts over.
    let other: Vec<Arc<FrozenTrial>> = (0..40).map(|n| make(n, 1000)).collect();
    assert_eq!(memo.settled_prefix(&view(&other, &dirs)), 0);
    memo.sync(&view(&other, &dirs));
    check(&mut memo, &other);
}
