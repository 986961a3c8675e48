//! NSGA-II through the study: four worker threads breed each generation
//! from the parents a sequential replay of the same trials rebuilds, a
//! study resumed by a fresh sampler (a new process) continues exactly as
//! an uninterrupted one, and the CLI's option table builds it.

use std::collections::BTreeMap;
use std::sync::Arc;

use ferrotune::core::StudyView;
use ferrotune::samplers::{sampler_spec, Nsga2Sampler, NSGA2_GENERATION_ATTR};
use ferrotune::storage::InMemoryStorage;
use ferrotune::{FrozenTrial, Study, StudyDirection, Trial, TrialError};

mod genetic;

const BOTH: [StudyDirection; 2] = [StudyDirection::Minimize, StudyDirection::Minimize];

/// ZDT1 in 4 dimensions, with an int and a categorical in the mix.
fn objective(trial: &mut Trial) -> Result<Vec<f64>, TrialError> {
    let x0 = trial.suggest_float("x0", 0.0, 1.0)?;
    let rest: Vec<f64> =
        (1..3).map(|i| trial.suggest_float(&format!("x{i}"), 0.0, 1.0)).collect::<ferrotune::Result<_>>()?;
    let steps = trial.suggest_int("steps", 0, 10)? as f64 / 10.0;
    let bias = if trial.suggest_categorical("kind", &["a", "b"])? == "a" { 0.0 } else { 0.5 };
    let g = 1.0 + 9.0 * (rest.iter().sum::<f64>() + steps) / 3.0 + bias;
    Ok(vec![x0, g * (1.0 - (x0 / g).sqrt())])
}

fn tag_of(trial: &FrozenTrial) -> Option<(u64, Vec<u64>)> {
    genetic::tag_of(trial, NSGA2_GENERATION_ATTR)
}

#[test]
fn four_workers_breed_each_generation_from_the_parents_a_sequential_replay_rebuilds() {
    let population_size = 10;
    let sampler = |seed| Nsga2Sampler::builder().seed(seed).population_size(population_size).build().unwrap();
    genetic::four_workers_agree_with_a_sequential_replay(
        sampler(7),
        sampler(0),
        Nsga2Sampler::parents_for,
        NSGA2_GENERATION_ATTR,
        &BOTH,
        objective,
        population_size,
        200,
    );
}

#[test]
fn a_resumed_study_continues_exactly_as_an_uninterrupted_one() {
    let sampler = || Nsga2Sampler::builder().seed(3).population_size(8).build().unwrap();
    let whole = Study::builder().directions(BOTH).sampler(sampler()).create().unwrap();
    whole.optimize(120, objective).unwrap();
    let storage: Arc<dyn ferrotune::core::Storage> = Arc::new(InMemoryStorage::new());
    let first =
        Study::builder().name("s").storage(storage.clone()).directions(BOTH).sampler(sampler()).create().unwrap();
    first.optimize(50, objective).unwrap();
    drop(first);
    let resumed = Study::builder().name("s").storage(storage).directions(BOTH).sampler(sampler()).load().unwrap();
    resumed.optimize(70, objective).unwrap();
    let params = |s: &Study| s.trials().unwrap().iter().map(|t| t.param_values()).collect::<Vec<_>>();
    assert_eq!(params(&whole), params(&resumed));
}

#[test]
fn the_option_table_builds_the_sampler() {
    use ferrotune::core::options::OptionValue;
    let spec = sampler_spec("nsga2").expect("nsga2 is listed");
    let options = BTreeMap::from([
        ("crossover".to_owned(), OptionValue::Str("spx".into())),
        ("epsilon".to_owned(), OptionValue::Float(1.5)),
        ("population_size".to_owned(), OptionValue::Int(6)),
        ("mutation".to_owned(), OptionValue::Str("polynomial".into())),
        ("seed".to_owned(), OptionValue::Int(1)),
    ]);
    let sampler = spec.build(options, None).unwrap();
    let study = Study::builder().directions(BOTH).sampler_arc(sampler).create().unwrap();
    study.optimize(40, objective).unwrap();
    assert!(study.trials().unwrap().iter().filter(|t| tag_of(t).is_some()).count() >= 20);
}

#[test]
fn constraints_set_by_the_objective_steer_the_parents_to_the_feasible_side() {
    // Minimize (x, y) subject to x + y >= 1, set through
    // trial.set_constraint; the feasible front is the segment x + y = 1.
    // Once a few generations have passed every parent is feasible (the
    // children, bred around the boundary, fall on both sides of it).
    let sampler = Nsga2Sampler::builder().seed(11).population_size(12).build().unwrap();
    let study = Study::builder().directions(BOTH).sampler(sampler.clone()).create().unwrap();
    study
        .optimize(300, |trial| {
            let x = trial.suggest_float("x", 0.0, 1.0)?;
            let y = trial.suggest_float("y", 0.0, 1.0)?;
            trial.set_constraint("sum_at_least_one", 1.0 - x - y)?;
            Ok(vec![x, y])
        })
        .unwrap();
    let trials = study.trials().unwrap();
    let view = StudyView { study_name: study.name(), directions: &BOTH, trials: &trials };
    let (generation, parents) = sampler.parents_for(&view);
    assert!(generation >= 20, "generation {generation}");
    for number in &parents {
        assert!(trials[*number as usize].is_feasible(), "parent {number} is infeasible");
    }
    // The front spreads along the segment: its sums lie just above 1.
    let best: Vec<f64> = study.best_trials().unwrap().iter().map(|t| t.values.as_ref().unwrap().iter().sum()).collect();
    let mean = best.iter().sum::<f64>() / best.len() as f64;
    assert!(best.len() >= 8 && mean < 1.05 && best.iter().all(|s| (1.0..1.2).contains(s)), "{best:?}");
}
