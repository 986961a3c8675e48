//! NSGA-III through the study, on DTLZ2 with three objectives: a seeded
//! study repeats exactly, four worker threads breed each generation from
//! the parents a sequential replay of the same trials rebuilds (the
//! niching's random tie-breaks included), it finds a front with more
//! hypervolume than random search, and the CLI's option table builds it.

use std::collections::BTreeMap;

use ferrotune::core::options::OptionValue;
use ferrotune::core::Sampler;
use ferrotune::pareto::hypervolume;
use ferrotune::samplers::{sampler_spec, Nsga3Sampler, RandomSampler, NSGA3_GENERATION_ATTR};
use ferrotune::{Study, StudyDirection, Trial, TrialError};

mod genetic;

const THREE: [StudyDirection; 3] = [StudyDirection::Minimize; 3];

/// DTLZ2 (Deb, Thiele, Laumanns & Zitzler 2002) in 6 variables: the front
/// is the positive eighth of the unit sphere, reached when x2..x5 = 0.5.
fn dtlz2(trial: &mut Trial) -> Result<Vec<f64>, TrialError> {
    let x: Vec<f64> =
        (0..6).map(|i| trial.suggest_float(&format!("x{i}"), 0.0, 1.0)).collect::<ferrotune::Result<_>>()?;
    let g: f64 = x[2..].iter().map(|v| (v - 0.5).powi(2)).sum();
    let (a, b) = (x[0] * std::f64::consts::FRAC_PI_2, x[1] * std::f64::consts::FRAC_PI_2);
    Ok(vec![(1.0 + g) * a.cos() * b.cos(), (1.0 + g) * a.cos() * b.sin(), (1.0 + g) * a.sin()])
}

fn nsga3(seed: u64, population_size: usize) -> Nsga3Sampler {
    Nsga3Sampler::builder().seed(seed).population_size(population_size).build().unwrap()
}

fn run(sampler: impl Sampler + 'static, n_trials: u64) -> Study {
    let study = Study::builder().directions(THREE).sampler(sampler).create().unwrap();
    study.optimize(n_trials, dtlz2).unwrap();
    study
}

#[test]
fn a_seeded_sequential_study_repeats_exactly() {
    let params = |s: &Study| s.trials().unwrap().iter().map(|t| t.param_values()).collect::<Vec<_>>();
    let a = run(nsga3(3, 12), 100);
    assert_eq!(params(&a), params(&run(nsga3(3, 12), 100)));
    assert_ne!(params(&a), params(&run(nsga3(4, 12), 100)));
    let bred = a.trials().unwrap().iter().filter(|t| genetic::tag_of(t, NSGA3_GENERATION_ATTR).is_some()).count();
    assert_eq!(bred, 100 - 12, "every trial after the random first generation is bred");
}

#[test]
fn four_workers_breed_each_generation_from_the_parents_a_sequential_replay_rebuilds() {
    genetic::four_workers_agree_with_a_sequential_replay(
        nsga3(7, 10),
        nsga3(0, 10),
        Nsga3Sampler::parents_for,
        NSGA3_GENERATION_ATTR,
        &THREE,
        dtlz2,
        10,
        200,
    );
}

fn front_hypervolume(study: &Study) -> f64 {
    let points: Vec<Vec<f64>> = study.trials().unwrap().iter().filter_map(|t| t.values.clone()).collect();
    hypervolume(&points, &[1.1, 1.1, 1.1])
}

#[test]
fn nsga3_beats_random_search_on_dtlz2_in_hypervolume() {
    // 600 trials, population 40. The reference point (1.1, 1.1, 1.1)
    // counts only points near the front; the true front's hypervolume
    // there is 1.1^3 - pi/6 = 0.807.
    let mut genetic = Vec::new();
    let mut random = Vec::new();
    for seed in 0..3 {
        genetic.push(front_hypervolume(&run(nsga3(seed, 40), 600)));
        random.push(front_hypervolume(&run(RandomSampler::with_seed(seed), 600)));
    }
    for (a, b) in genetic.iter().zip(&random) {
        assert!(*a > b + 0.1, "NSGA-III {genetic:?} against random {random:?}");
    }
}

#[test]
fn the_option_table_builds_the_sampler() {
    let spec = sampler_spec("nsga3").expect("nsga3 is listed");
    let row = |v: [f64; 3]| OptionValue::List(v.iter().map(|&x| OptionValue::Float(x)).collect());
    let options = BTreeMap::from([
        ("population_size".to_owned(), OptionValue::Int(6)),
        ("crossover".to_owned(), OptionValue::Str("sbx".into())),
        ("reference_points".to_owned(), OptionValue::List(vec![row([1.0, 0.0, 0.0]), row([0.0, 1.0, 1.0])])),
        ("seed".to_owned(), OptionValue::Int(1)),
    ]);
    let sampler = spec.build(options, None).unwrap();
    assert_eq!(sampler.name(), "nsga3");
    let study = Study::builder().directions(THREE).sampler_arc(sampler).create().unwrap();
    study.optimize(40, dtlz2).unwrap();
    let trials = study.trials().unwrap();
    assert!(trials.iter().filter(|t| genetic::tag_of(t, NSGA3_GENERATION_ATTR).is_some()).count() >= 30);
    // Reference points of two columns for three objectives: refused when
    // the study is made.
    let two = BTreeMap::from([("reference_points".to_owned(), OptionValue::List(vec![row([1.0, 0.0, 0.0])]))]);
    let sampler = spec.build(two, None).unwrap();
    let e = Study::builder().directions([StudyDirection::Minimize; 2]).sampler_arc(sampler).create().err().unwrap();
    assert!(e.to_string().contains("3 columns, but the study has 2 objectives"), "{e}");
}
