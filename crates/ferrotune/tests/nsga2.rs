//! NSGA-II through the study: four worker threads breed each generation
//! from the parents a sequential replay of the same trials rebuilds, a
//! study resumed by a fresh sampler (a new process) continues exactly as
//! an uninterrupted one, and the CLI's option table builds it.

use std::collections::BTreeMap;
use std::sync::Arc;

use ferrotune::core::StudyView;
use ferrotune::samplers::{sampler_spec, Nsga2Sampler, NSGA2_GENERATION_ATTR};
use ferrotune::storage::InMemoryStorage;
use ferrotune::{FrozenTrial, Optimize, Study, StudyDirection, Trial, TrialError};

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
    let tag = trial.system_attrs.get(NSGA2_GENERATION_ATTR)?;
    let parents = tag["parents"].as_array()?.iter().map(|v| v.as_u64()).collect::<Option<_>>()?;
    Some((tag["generation"].as_u64()?, parents))
}

#[test]
fn four_workers_breed_each_generation_from_the_parents_a_sequential_replay_rebuilds() {
    let population_size = 10;
    let sampler = Nsga2Sampler::builder().seed(7).population_size(population_size).build().unwrap();
    let study = Study::builder().directions(BOTH).sampler(sampler).create().unwrap();
    study.optimize_with(Optimize::new().n_trials(200).n_jobs(4), objective).unwrap();
    let trials = study.trials().unwrap();
    // The parents of each generation, as a fresh sampler rebuilds them from
    // the trials shown one at a time (a sequential run of the same trials),
    // the last word on each generation kept.
    let replay = Nsga2Sampler::builder().seed(0).population_size(population_size).build().unwrap();
    let mut parents_of: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for end in 0..=trials.len() {
        let view = StudyView { study_name: "replay", directions: &BOTH, trials: &trials[..end] };
        let (generation, parents) = replay.parents_for(&view);
        parents_of.insert(generation, parents);
    }
    let mut bred = 0;
    for trial in &trials {
        let Some((generation, parents)) = tag_of(trial) else { continue };
        bred += 1;
        let expected = &parents_of[&generation];
        assert_eq!(expected.len(), population_size);
        for parent in parents {
            assert!(expected.contains(&parent), "trial {}: parent {parent} not among {expected:?}", trial.number);
        }
    }
    assert!(bred >= 150, "only {bred} of 200 trials bred");
    assert!(parents_of.len() >= 10, "only {} generations", parents_of.len());
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
