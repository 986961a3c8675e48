//! NSGA-II driven through the `Sampler` trait on hand-made studies: a small
//! driver plays the study's part (ask: create the trial, sample relative
//! then independent values, record the tag; tell: complete it), so the
//! tests can interleave asks, resume with a fresh sampler, and replay a
//! study trial by trial.

use std::collections::BTreeMap;
use std::sync::Arc;

use ferrotune_analysis::pareto::hypervolume;
use ferrotune_core::{
    Distribution, FloatDistribution, FrozenTrial, IntDistribution, Sampler, SearchSpace, StudyDirection, StudyView,
    TrialParam, TrialState,
};
use rand::Rng;

use super::niching::{das_dennis, perpendicular_distance};
use super::sampler::SurvivorCut;
use super::*;
use crate::test_problems::dtlz2_three;
use crate::{rng_for, RandomSampler};

const STUDY: &str = "nsga";

/// A study in memory, asked and told by hand.
struct Driver<S: Sampler> {
    sampler: S,
    directions: Vec<StudyDirection>,
    space: Vec<(String, Distribution)>,
    trials: Vec<Arc<FrozenTrial>>,
}

impl<S: Sampler> Driver<S> {
    fn new(sampler: S, directions: &[StudyDirection], space: Vec<(String, Distribution)>) -> Self {
        Driver { sampler, directions: directions.to_vec(), space, trials: Vec::new() }
    }

    fn view(&self) -> StudyView<'_> {
        StudyView { study_name: STUDY, directions: &self.directions, trials: &self.trials }
    }

    /// Ask a trial: its number.
    fn ask(&mut self) -> usize {
        let number = self.trials.len();
        let mut trial = FrozenTrial::builder(number as u64).state(TrialState::Running).build();
        self.trials.push(Arc::new(trial.clone()));
        let view = self.view();
        let space = self.sampler.infer_relative_search_space(&view, &trial);
        let relative = self.sampler.sample_relative(&view, &trial, &space).unwrap();
        if !relative.is_empty() {
            trial.system_attrs.extend(self.sampler.relative_sample_attrs(&view, &trial, &relative).unwrap());
        }
        for (name, distribution) in &self.space {
            let internal = match relative.get(name) {
                Some(&v) => v,
                None => self.sampler.sample_independent(&view, &trial, name, distribution).unwrap(),
            };
            assert!(distribution.contains(internal), "{name} = {internal} outside {distribution}");
            trial.params.insert(name.clone(), TrialParam { distribution: distribution.clone(), internal });
        }
        self.trials[number] = Arc::new(trial);
        number
    }

    fn tell(&mut self, number: usize, values: Vec<f64>) {
        let mut trial = (*self.trials[number]).clone();
        trial.state = TrialState::Complete;
        trial.values = Some(values);
        self.trials[number] = Arc::new(trial);
    }

    fn point(&self, number: usize) -> Vec<f64> {
        self.space.iter().map(|(name, _)| self.trials[number].params[name].internal).collect()
    }
}

fn unit_floats(n: usize) -> Vec<(String, Distribution)> {
    (0..n)
        .map(|i| (format!("x{i}"), Distribution::Float(FloatDistribution::new(0.0, 1.0, false, None).unwrap())))
        .collect()
}

/// ZDT1 (Zitzler, Deb & Thiele 2000): a convex front at g = 1.
fn zdt1(x: &[f64]) -> Vec<f64> {
    let g = 1.0 + 9.0 * x[1..].iter().sum::<f64>() / (x.len() - 1) as f64;
    vec![x[0], g * (1.0 - (x[0] / g).sqrt())]
}

const BOTH: [StudyDirection; 2] = [StudyDirection::Minimize, StudyDirection::Minimize];

/// A sequential study of `n` trials on ZDT1 in `dims` dimensions.
fn sequential<S: Sampler>(sampler: S, dims: usize, n: usize) -> Driver<S> {
    let mut driver = Driver::new(sampler, &BOTH, unit_floats(dims));
    run_on(&mut driver, n);
    driver
}

fn run_on<S: Sampler>(driver: &mut Driver<S>, n: usize) {
    for _ in 0..n {
        let number = driver.ask();
        let values = zdt1(&driver.point(number));
        driver.tell(number, values);
    }
}

fn nsga2(seed: u64, population_size: usize) -> Nsga2Sampler {
    Nsga2Sampler::builder().seed(seed).population_size(population_size).build().unwrap()
}

fn nsga3(seed: u64, population_size: usize) -> Nsga3Sampler {
    Nsga3Sampler::builder().seed(seed).population_size(population_size).build().unwrap()
}

fn params_of<S: Sampler>(driver: &Driver<S>) -> Vec<BTreeMap<String, f64>> {
    driver.trials.iter().map(|t| t.params.iter().map(|(n, p)| (n.clone(), p.internal)).collect()).collect()
}

#[test]
fn a_seeded_sequential_study_repeats_exactly() {
    let a = sequential(nsga2(3, 10), 4, 80);
    let b = sequential(nsga2(3, 10), 4, 80);
    let c = sequential(nsga2(4, 10), 4, 80);
    assert_eq!(params_of(&a), params_of(&b));
    assert_ne!(params_of(&a), params_of(&c));
    // Bred trials carry their generation and parents.
    let tag = &a.trials[79].system_attrs[NSGA2_GENERATION_ATTR];
    assert!(tag["generation"].as_u64().unwrap() >= 6, "{tag}");
    assert_eq!(tag["parents"].as_array().unwrap().len(), 2, "{tag}");
    // Sequentially, generation g is trials [g P, (g + 1) P): the first
    // untagged (random), the rest tagged.
    for trial in &a.trials {
        let generation = trial.system_attrs.get(NSGA2_GENERATION_ATTR).map_or(0, |t| t["generation"].as_u64().unwrap());
        assert_eq!(generation, trial.number / 10, "trial {}", trial.number);
    }
    // No bred child repeats an earlier trial.
    let params = params_of(&a);
    for trial in a.trials.iter().filter(|t| t.system_attrs.contains_key(NSGA2_GENERATION_ATTR)) {
        let number = trial.number as usize;
        assert!(!params[..number].contains(&params[number]), "trial {number} repeats an earlier one");
    }
}

#[test]
fn a_resumed_study_continues_as_if_never_stopped() {
    let whole = sequential(nsga2(5, 10), 3, 90);
    // Stop after 45 trials, then a fresh sampler (a new process: nothing
    // memoized) continues on the stored trials.
    let mut first = sequential(nsga2(5, 10), 3, 45);
    let trials = std::mem::take(&mut first.trials);
    let mut resumed = Driver::new(nsga2(5, 10), &BOTH, unit_floats(3));
    resumed.trials = trials;
    run_on(&mut resumed, 45);
    assert_eq!(params_of(&whole), params_of(&resumed));
}

/// Each generation's parents, as a fresh sampler rebuilds them when the
/// trials are shown to it one at a time, each finished before the next
/// appears: a sequential run of the same trials. Also whether any
/// generation's parents changed on the way (a recorded decision
/// overruling the closing rule).
fn replayed_parents<C: SurvivorCut>(
    trials: &[Arc<FrozenTrial>],
    replay: GeneticSampler<C>,
) -> (BTreeMap<u64, Vec<u64>>, bool) {
    let mut seen = BTreeMap::new();
    let mut changed = false;
    for end in 0..=trials.len() {
        let view = StudyView { study_name: STUDY, directions: &BOTH, trials: &trials[..end] };
        let (generation, parents) = replay.parents_for(&view);
        if generation > 0 {
            let previous = seen.insert(generation, parents.clone());
            changed |= previous.is_some_and(|p| p != parents);
        }
    }
    (seen, changed)
}

/// `n` trials on ZDT1 by four workers: up to four trials run at once, and
/// each tell finishes one of the `told_from` oldest running ones, chosen
/// at random. Returns the study and each generation's parents as the
/// workers used them.
fn four_workers<C: SurvivorCut>(
    sampler: GeneticSampler<C>,
    n: usize,
    told_from: usize,
) -> (Driver<GeneticSampler<C>>, BTreeMap<u64, Vec<u64>>) {
    let mut driver = Driver::new(sampler.clone(), &BOTH, unit_floats(3));
    let mut running: Vec<usize> = Vec::new();
    let mut used: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    let mut order = rng_for(1, 0, "tell order");
    let mut asked = 0;
    while asked < n || !running.is_empty() {
        if asked < n && running.len() < 4 {
            let (generation, parents) = sampler.parents_for(&driver.view());
            if generation > 0 {
                let previous = used.insert(generation, parents.clone());
                assert!(previous.is_none_or(|p| p == parents), "generation {generation} changed while in use");
            }
            running.push(driver.ask());
            asked += 1;
            continue;
        }
        let number = running.remove(order.random_range(0..running.len().min(told_from)));
        let values = zdt1(&driver.point(number));
        driver.tell(number, values);
    }
    assert!(used.len() >= 10, "only {} generations bred", used.len());
    // Every bred trial's parents are among its generation's.
    for trial in &driver.trials {
        if let Some(tag) = trial.system_attrs.get(C::TAG) {
            let generation = tag["generation"].as_u64().unwrap();
            for parent in tag["parents"].as_array().unwrap() {
                assert!(used[&generation].contains(&parent.as_u64().unwrap()), "trial {}", trial.number);
            }
        }
    }
    (driver, used)
}

#[test]
fn interleaved_asks_breed_each_generation_from_the_parents_a_sequential_run_gets() {
    // Tells in a shuffled order among the two oldest running trials: no
    // trial lags far, so every generation closes by the waiting rule, and
    // a sequential replay of the same trials reaches the same parents at
    // every step without reading any recorded decision.
    interleaved_asks_agree_with_a_sequential_replay(|| nsga2(9, 8));
    // NSGA-III's cut breaks ties at random: the replay draws the same.
    interleaved_asks_agree_with_a_sequential_replay(|| nsga3(9, 8));
}

fn interleaved_asks_agree_with_a_sequential_replay<C: SurvivorCut>(sampler: impl Fn() -> GeneticSampler<C>) {
    let (driver, used) = four_workers(sampler(), 160, 2);
    let (replayed, changed) = replayed_parents(&driver.trials, sampler());
    assert!(!changed, "the replay had to follow a recorded decision");
    for (generation, parents) in &used {
        assert_eq!(replayed.get(generation), Some(parents), "generation {generation}");
    }
    // A worker joining late (a fresh process) agrees as well.
    let (generation, parents) = sampler().parents_for(&driver.view());
    assert_eq!(Some(&parents), replayed.get(&generation));
}

#[test]
fn with_stragglers_the_records_make_every_rebuild_agree() {
    // Tells in any order among four running trials: some trial lags past
    // twice the population, a generation closes without it, and a replay
    // of the trials follows that recorded decision to the same parents.
    let population_size = 8;
    let (driver, used) = four_workers(nsga2(9, population_size), 160, 4);
    let (replayed, changed) = replayed_parents(&driver.trials, nsga2(0, population_size));
    assert!(changed, "no generation closed without a straggler: this order no longer tests the records");
    // Rebuilt from scratch on the study up to each generation's first
    // child (which recorded how the previous one closed), every
    // generation the workers bred from has the parents they used.
    for (generation, parents) in &used {
        let first_child = driver
            .trials
            .iter()
            .position(|t| {
                t.system_attrs.get(NSGA2_GENERATION_ATTR).and_then(|tag| tag["generation"].as_u64())
                    == Some(*generation)
            })
            .expect("a child of every generation bred");
        let view = StudyView { study_name: STUDY, directions: &BOTH, trials: &driver.trials[..=first_child] };
        assert_eq!(nsga2(4, population_size).parents_for(&view), (*generation, parents.clone()));
    }
    let last = *used.keys().last().unwrap();
    assert_eq!(replayed.get(&last), used.get(&last));
}

#[test]
fn a_generation_waits_for_running_trials_below_its_closing_one_up_to_twice_the_population_then_not_again() {
    let population_size = 3;
    let sampler = nsga2(2, population_size);
    let mut driver = Driver::new(sampler.clone(), &BOTH, unit_floats(2));
    // Trial 0 keeps running; 1..=3 complete: three complete trials of
    // generation 0, but one below the third still runs.
    let stuck = driver.ask();
    for _ in 0..3 {
        let n = driver.ask();
        driver.tell(n, zdt1(&driver.point(n)));
    }
    assert_eq!(sampler.parents_for(&driver.view()).0, 0, "closed with trial 0 still running");
    // Two more complete (five): still waiting; the sixth closes it without trial 0.
    for _ in 0..2 {
        let n = driver.ask();
        driver.tell(n, zdt1(&driver.point(n)));
    }
    assert_eq!(sampler.parents_for(&driver.view()).0, 0);
    let n = driver.ask();
    driver.tell(n, zdt1(&driver.point(n)));
    let next = driver.ask();
    let tag = driver.trials[next].system_attrs[NSGA2_GENERATION_ATTR].clone();
    assert_eq!(tag["generation"].as_u64(), Some(1), "{tag}");
    assert_eq!(tag["closed"]["0"], serde_json::json!([1, 2, 3]), "{tag}");
    // Generation 1 does not wait for the straggler again: it closes at
    // its third complete child.
    driver.tell(next, zdt1(&driver.point(next)));
    for _ in 0..2 {
        let n = driver.ask();
        driver.tell(n, zdt1(&driver.point(n)));
    }
    assert_eq!(sampler.parents_for(&driver.view()).0, 2, "generation 1 waited for the straggler");
    // The straggler finishes and joins the next pool.
    driver.tell(stuck, vec![0.0, 0.0]);
    for _ in 0..4 {
        let n = driver.ask();
        driver.tell(n, zdt1(&driver.point(n)));
    }
    let closing = driver
        .trials
        .iter()
        .position(|t| {
            t.system_attrs
                .get(NSGA2_GENERATION_ATTR)
                .is_some_and(|tag| tag.get("closed").is_some_and(|c| c.get("2").is_some()))
        })
        .expect("generation 2 closed");
    let tag = &driver.trials[closing].system_attrs[NSGA2_GENERATION_ATTR];
    let members: Vec<u64> = tag["closed"]["2"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
    assert!(members.contains(&0), "the straggler joined no pool: {tag}");
    // (0, 0) dominates everything on ZDT1: it is a parent now.
    let (_, parents) = sampler.parents_for(&driver.view());
    assert!(parents.contains(&0), "{parents:?}");
    // Another process follows the recorded decisions.
    let fresh = nsga2(2, population_size);
    assert_eq!(fresh.parents_for(&driver.view()), sampler.parents_for(&driver.view()));
}

#[test]
fn a_recorded_decision_wins_over_the_rule() {
    // Generation 0 recorded as closed with trials {1, 2} only (as a worker
    // under the straggler rule might have), though trial 0 is complete.
    let population_size = 2;
    let space = unit_floats(1);
    let d = &space[0].1;
    let mut trials: Vec<Arc<FrozenTrial>> = (0..3)
        .map(|n| Arc::new(FrozenTrial::builder(n).param("x0", d, 0.1 * n as f64).values(&[n as f64, 0.0]).build()))
        .collect();
    let recording = FrozenTrial::builder(3)
        .state(TrialState::Running)
        .param("x0", d, 0.5)
        .system_attr(
            NSGA2_GENERATION_ATTR,
            serde_json::json!({"generation": 1, "parents": [1], "closed": {"0": [1, 2]}}),
        )
        .build();
    trials.push(Arc::new(recording));
    let sampler = nsga2(0, population_size);
    let view = StudyView { study_name: STUDY, directions: &BOTH, trials: &trials };
    assert_eq!(sampler.parents_for(&view), (1, vec![1, 2]));
    // Without the record, the rule takes trials 0 and 1 (0 dominates).
    let fresh = nsga2(0, population_size);
    let view = StudyView { study_name: STUDY, directions: &BOTH, trials: &trials[..3] };
    assert_eq!(fresh.parents_for(&view), (1, vec![0, 1]));
}

fn front_hypervolume<S: Sampler>(driver: &Driver<S>, reference: &[f64]) -> f64 {
    let points: Vec<Vec<f64>> = driver.trials.iter().filter_map(|t| t.values.clone()).collect();
    hypervolume(&points, reference)
}

#[test]
fn nsga2_beats_random_search_on_zdt1_at_equal_budget() {
    // 8 dimensions, 1,000 trials, population 40. The reference point
    // (1.1, 1.1) counts only points near the front (the true front's
    // hypervolume there is 1.1^2 - 1/3 = 0.877).
    let (dims, n, reference) = (8, 1000, [1.1, 1.1]);
    let mut nsga = Vec::new();
    let mut random = Vec::new();
    for seed in 0..3 {
        let sampler = Nsga2Sampler::builder().seed(seed).population_size(40).build().unwrap();
        nsga.push(front_hypervolume(&sequential(sampler, dims, n), &reference));
        random.push(front_hypervolume(&sequential(RandomSampler::with_seed(seed), dims, n), &reference));
    }
    for (a, b) in nsga.iter().zip(&random) {
        assert!(*a > b + 0.4, "NSGA-II {nsga:?} against random {random:?}");
    }
}

#[test]
fn one_objective_is_a_plain_genetic_algorithm() {
    // A sphere in 6 dimensions, ints and a log float among them.
    let space = vec![
        ("a".to_owned(), Distribution::Float(FloatDistribution::new(-5.0, 5.0, false, None).unwrap())),
        ("b".to_owned(), Distribution::Float(FloatDistribution::new(-5.0, 5.0, false, None).unwrap())),
        ("c".to_owned(), Distribution::Float(FloatDistribution::new(-5.0, 5.0, false, Some(0.5)).unwrap())),
        ("d".to_owned(), Distribution::Int(IntDistribution::new(-20, 20, false, 1).unwrap())),
        ("e".to_owned(), Distribution::Float(FloatDistribution::new(1e-3, 1e3, true, None).unwrap())),
        ("f".to_owned(), Distribution::categorical(["p", "q", "r"]).unwrap()),
    ];
    for crossover in ["uniform", "blxalpha", "sbx", "vsbx", "undx", "spx"] {
        let mut wins = 0;
        for seed in 0..3 {
            let sampler = Nsga2Sampler::builder()
                .seed(seed)
                .population_size(20)
                .crossover(Crossover::named(crossover).unwrap())
                .build()
                .unwrap();
            let genetic = best_on_sphere(sampler, &space);
            let random = best_on_sphere(RandomSampler::with_seed(seed), &space);
            wins += usize::from(genetic < random);
        }
        assert!(wins >= 2, "{crossover}: better than random in {wins} of 3 seeds");
    }
}

/// The best value of 400 trials on a shifted sphere over `space`'s
/// parameters (a, b, c, d numeric on a linear scale, e log, f categorical).
fn best_on_sphere<S: Sampler>(sampler: S, space: &[(String, Distribution)]) -> f64 {
    let objective = |t: &FrozenTrial| {
        let v = |n: &str| t.params[n].internal;
        v("a").powi(2)
            + (v("b") - 1.0).powi(2)
            + v("c").powi(2)
            + (v("d") / 4.0).powi(2)
            + v("e").ln().powi(2) / 4.0
            + if v("f") == 2.0 { 0.0 } else { 1.0 }
    };
    let mut driver = Driver::new(sampler, &[StudyDirection::Minimize], space.to_vec());
    for _ in 0..400 {
        let n = driver.ask();
        let value = objective(&driver.trials[n]);
        driver.tell(n, vec![value]);
    }
    driver.trials.iter().filter_map(|t| t.values.as_ref().map(|v| v[0])).fold(f64::INFINITY, f64::min)
}

#[test]
fn constrained_domination_breeds_from_feasible_trials() {
    // Minimize (x0, x1) subject to x0 + x1 >= 1: the front is the segment
    // x0 + x1 = 1. With constraints, late parents are all feasible.
    let population_size = 10;
    let sampler = nsga2(4, population_size);
    let mut driver = Driver::new(sampler.clone(), &BOTH, unit_floats(2));
    for _ in 0..200 {
        let n = driver.ask();
        let x = driver.point(n);
        let mut trial = (*driver.trials[n]).clone();
        trial
            .system_attrs
            .insert(ferrotune_core::CONSTRAINTS_ATTR.to_owned(), serde_json::json!({"sum": 1.0 - x[0] - x[1]}));
        driver.trials[n] = Arc::new(trial);
        driver.tell(n, x);
    }
    let (generation, parents) = sampler.parents_for(&driver.view());
    assert!(generation >= 10);
    for number in parents {
        let trial = &driver.trials[number as usize];
        assert!(trial.is_feasible(), "parent {number} infeasible: {:?}", trial.constraints());
    }
}

#[test]
fn options_are_checked() {
    let err = |b: Nsga2SamplerBuilder| b.build().unwrap_err().to_string();
    assert!(err(Nsga2Sampler::builder().population_size(1)).contains("population_size"));
    let spx = Nsga2Sampler::builder().population_size(2).crossover(Crossover::named("spx").unwrap());
    assert!(err(spx).contains("3 parents"));
    assert!(err(Nsga2Sampler::builder().crossover_prob(1.5)).contains("crossover_prob"));
    assert!(err(Nsga2Sampler::builder().mutation_prob(-0.1)).contains("mutation_prob"));
    assert!(err(Nsga2Sampler::builder().swapping_prob(2.0)).contains("swapping_prob"));
    assert!(err(Nsga2Sampler::builder().mutation(Mutation::Polynomial { eta: -1.0 })).contains("mutation_eta"));
}

#[test]
fn a_view_of_another_group_or_study_starts_over() {
    // A pruner's groups show the sampler views that are not prefixes of
    // each other (not dense); another study may share the sampler too.
    let whole = sequential(nsga2(6, 4), 2, 40);
    let odd: Vec<Arc<FrozenTrial>> = whole.trials.iter().filter(|t| t.number % 2 == 1).cloned().collect();
    let sampler = nsga2(6, 4);
    let full_view = whole.view();
    let odd_view = StudyView { study_name: STUDY, directions: &BOTH, trials: &odd };
    let other_study = StudyView { study_name: "other", directions: &BOTH, trials: &whole.trials[..20] };
    assert_eq!(sampler.parents_for(&full_view), nsga2(0, 4).parents_for(&full_view));
    assert_eq!(sampler.parents_for(&odd_view), nsga2(0, 4).parents_for(&odd_view));
    assert_eq!(sampler.parents_for(&other_study), nsga2(0, 4).parents_for(&other_study));
    assert_eq!(sampler.parents_for(&full_view), nsga2(0, 4).parents_for(&full_view));
}

#[test]
fn nsga3_repeats_with_a_seed_resumes_and_tags_under_its_own_key() {
    let a = sequential(nsga3(3, 10), 4, 80);
    let b = sequential(nsga3(3, 10), 4, 80);
    assert_eq!(params_of(&a), params_of(&b));
    assert_ne!(params_of(&a), params_of(&sequential(nsga3(4, 10), 4, 80)));
    for trial in &a.trials {
        assert!(!trial.system_attrs.contains_key(NSGA2_GENERATION_ATTR));
        let generation = trial.system_attrs.get(NSGA3_GENERATION_ATTR).map_or(0, |t| t["generation"].as_u64().unwrap());
        assert_eq!(generation, trial.number / 10, "trial {}", trial.number);
    }
    // NSGA-II does not read NSGA-III's tags: to it every trial is of the
    // random generation 0.
    let view = a.view();
    assert_eq!(nsga2(0, 10).parents_for(&view).0, 1);
    // A fresh sampler continues a stopped study as if never stopped.
    let mut first = sequential(nsga3(3, 10), 4, 45);
    let mut resumed = Driver::new(nsga3(3, 10), &BOTH, unit_floats(4));
    resumed.trials = std::mem::take(&mut first.trials);
    run_on(&mut resumed, 35);
    assert_eq!(params_of(&a), params_of(&resumed));
}

#[test]
fn nsga3_parents_depend_on_the_trials_not_on_the_seed() {
    // Unseeded workers (each process its own seed) must rebuild the same
    // parents: the cut's random tie-breaks come from the trial numbers.
    let study = sequential(nsga3(5, 8), 3, 120);
    let view = study.view();
    let parents = nsga3(1, 8).parents_for(&view);
    assert!(parents.0 >= 10);
    assert_eq!(parents, nsga3(2, 8).parents_for(&view));
    assert_eq!(parents, Nsga3Sampler::builder().population_size(8).build().unwrap().parents_for(&view));
}

#[test]
fn nsga3_options_are_checked() {
    let err = |b: Nsga3SamplerBuilder| b.build().unwrap_err().to_string();
    assert!(err(Nsga3Sampler::builder().dividing_parameter(0)).contains("dividing_parameter"));
    assert!(err(Nsga3Sampler::builder().reference_points(vec![])).contains("reference_points"));
    let ragged = vec![vec![1.0, 0.0], vec![1.0]];
    assert!(err(Nsga3Sampler::builder().reference_points(ragged)).contains("row 1 has 1 number,"));
    let zero = vec![vec![1.0, 0.0], vec![0.0, 0.0]];
    assert!(err(Nsga3Sampler::builder().reference_points(zero)).contains("row 1 is all zeros"));
    let nan = vec![vec![f64::NAN, 1.0]];
    assert!(err(Nsga3Sampler::builder().reference_points(nan)).contains("finite"));
    // The shared options are checked by the shared builder.
    assert!(err(Nsga3Sampler::builder().population_size(1)).contains("population_size"));
    // Another number of columns than objectives is refused at the first ask.
    let sampler = Nsga3Sampler::builder().reference_points(vec![vec![1.0, 0.0, 0.0]]).build().unwrap();
    let trials: Vec<Arc<FrozenTrial>> = Vec::new();
    let view = StudyView { study_name: STUDY, directions: &BOTH, trials: &trials };
    let trial = FrozenTrial::builder(0).state(TrialState::Running).build();
    let e = sampler.sample_relative(&view, &trial, &SearchSpace::new()).unwrap_err().to_string();
    assert!(e.contains("3 columns") && e.contains("2 objectives"), "{e}");
    let one_objective = [StudyDirection::Minimize];
    let single = StudyView { study_name: STUDY, directions: &one_objective, trials: &trials };
    let e = sampler.sample_relative(&single, &trial, &SearchSpace::new()).unwrap_err().to_string();
    assert!(e.contains("3 columns, but the study has 1 objective ("), "{e}");
    assert_eq!(sampler.name(), "nsga3");
    // So is a lattice too large to build (C(2001, 1) = 2,001 points is fine
    // for two objectives; 2 objectives at 200,000 divisions is not).
    let fine = Nsga3Sampler::builder().dividing_parameter(2000).build().unwrap();
    assert!(fine.sample_relative(&view, &trial, &SearchSpace::new()).is_ok());
    let huge = Nsga3Sampler::builder().dividing_parameter(200_000).build().unwrap();
    let e = huge.sample_relative(&view, &trial, &SearchSpace::new()).unwrap_err().to_string();
    assert!(e.contains("dividing_parameter 200000 with 2 objectives gives 200001 Das-Dennis"), "{e}");
}

#[test]
fn nsga3_spreads_over_the_dtlz2_front_with_three_objectives() {
    // One seed, 600 trials: the last parents cover the front (each of
    // the ten default reference directions has a parent near it) and
    // lie close to the sphere.
    let three = [StudyDirection::Minimize; 3];
    let mut driver = Driver::new(nsga3(0, 40), &three, unit_floats(6));
    for _ in 0..600 {
        let n = driver.ask();
        let values = dtlz2_three(&driver.point(n));
        driver.tell(n, values);
    }
    let (generation, parents) = driver.sampler.parents_for(&driver.view());
    assert!(generation >= 12, "generation {generation}");
    let values: Vec<Vec<f64>> = parents.iter().map(|&p| driver.trials[p as usize].values.clone().unwrap()).collect();
    let radius = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let mean_radius = values.iter().map(|v| radius(v)).sum::<f64>() / values.len() as f64;
    assert!(mean_radius < 1.15, "mean distance from the origin {mean_radius}");
    for w in das_dennis(3, 3) {
        let nearest = values
            .iter()
            .map(|v| perpendicular_distance(&v.iter().map(|x| x / radius(v)).collect::<Vec<_>>(), &w))
            .fold(f64::INFINITY, f64::min);
        assert!(nearest < 0.25, "no parent near the direction {w:?} ({nearest})");
    }
}
