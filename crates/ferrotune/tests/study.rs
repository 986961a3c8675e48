//! The library's user-facing behaviour, end to end on in-memory and SQLite
//! storage.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ferrotune::core::{Distribution, Pruner, Sampler, StudyView};
use ferrotune::samplers::{CmaEsSampler, GridSampler, RandomSampler};
use ferrotune::storage::{InMemoryStorage, SqliteStorage};
use ferrotune::{
    Error, FrozenTrial, Optimize, ParamValue, Study, StudyDirection, TrialError, TrialOutcome, TrialState,
};

fn memory_study(seed: u64) -> Study {
    Study::builder().sampler(RandomSampler::with_seed(seed)).create().unwrap()
}

#[test]
fn define_by_run_suggestions_are_stable_and_checked() {
    let study = memory_study(1);
    let mut trial = study.ask().unwrap();
    let lr = trial.suggest_float_log("lr", 1e-5, 1e-1).unwrap();
    assert!((1e-5..=1e-1).contains(&lr));
    assert_eq!(trial.suggest_float_log("lr", 1e-5, 1e-1).unwrap(), lr, "same name, same value");
    let err = trial.suggest_float("lr", 0.0, 1.0).unwrap_err();
    assert!(matches!(err, Error::IncompatibleDistribution { .. }), "{err}");
    assert!(err.to_string().contains("'lr'"));
    let err = trial.suggest_int("n", 5, 1).unwrap_err();
    assert!(err.to_string().contains("low (5) must not be greater than high (1)"), "{err}");
    let units = trial.suggest_int_step("units", 16, 256, 16).unwrap();
    assert_eq!(units % 16, 0);
    let opt = trial.suggest_categorical("optimizer", &["sgd", "adam"]).unwrap();
    // A conditional parameter exists only on one branch.
    if opt == "sgd" {
        trial.suggest_float("momentum", 0.0, 0.99).unwrap();
    }
    let fixed = trial.suggest_float("constant", 2.0, 2.0).unwrap();
    assert_eq!(fixed, 2.0);
    let params = trial.params();
    let done = study.tell(trial, lr).unwrap();
    assert_eq!(done.state, TrialState::Complete);
    assert_eq!(done.param_values(), params);
    assert_eq!(params.contains_key("momentum"), opt == "sgd");
}

#[test]
fn network_architecture_search_is_plain_code() {
    let study = memory_study(2);
    study
        .optimize(30, |trial| {
            let layers = trial.suggest_int("n_layers", 1, 4)?;
            let mut cost = 0.0;
            for i in 0..layers {
                let width = trial.suggest_int_log(&format!("units_l{i}"), 8, 512)?;
                cost += (width as f64).ln();
            }
            Ok(cost)
        })
        .unwrap();
    for t in study.trials().unwrap() {
        let layers = t.param_values()["n_layers"].as_i64().unwrap();
        let widths = t.params.keys().filter(|k| k.starts_with("units_l")).count();
        assert_eq!(widths as i64, layers, "trial {} has one width per layer", t.number);
    }
}

#[test]
fn a_failing_objective_fails_only_its_trial() {
    let study = memory_study(3);
    let calls = AtomicU64::new(0);
    study
        .optimize(8, |trial| {
            let x = trial.suggest_float("x", 0.0, 1.0)?;
            match calls.fetch_add(1, Ordering::SeqCst) {
                0 => Err(TrialError::failed("out of memory")),
                1 => panic!("objective blew up"),
                2 => Ok(f64::NAN),
                3 => Err(TrialError::failed("diverged")),
                4 => Err(trial.suggest_int("x", 0, 1).unwrap_err().into()),
                _ => Ok(x),
            }
        })
        .unwrap();
    let trials = study.trials().unwrap();
    assert_eq!(trials.len(), 8);
    let reasons: Vec<&str> = trials.iter().take(5).map(|t| t.fail_reason().unwrap()).collect();
    assert_eq!(reasons[0], "out of memory");
    assert!(reasons[1].contains("panicked: objective blew up"), "{}", reasons[1]);
    assert!(reasons[2].contains("NaN"), "{}", reasons[2]);
    assert_eq!(reasons[3], "diverged");
    assert!(reasons[4].contains("'x'"), "{}", reasons[4]);
    assert!(trials[..5].iter().all(|t| t.state == TrialState::Failed && t.values.is_none()));
    assert!(trials[5..].iter().all(|t| t.state == TrialState::Complete));
    assert!(study.best_trial().unwrap().number >= 5);
}

/// Issue 24: as in Optuna, an infinite objective value completes its trial
/// (a diverged run is the worst observation, which samplers must see), and
/// only NaN fails it. An infinite loss is best only when nothing beats it.
#[test]
fn infinite_values_complete_their_trial_and_nan_fails_it() {
    let study = memory_study(5);
    let inf = f64::INFINITY;
    let told = |value: f64| study.tell(study.ask().unwrap(), value).unwrap();
    assert_eq!(told(inf).state, TrialState::Complete);
    assert_eq!(study.best_value().unwrap(), inf, "the only complete trial is the best");
    let nan = told(f64::NAN);
    assert_eq!((nan.state, nan.values.as_ref()), (TrialState::Failed, None));
    assert!(nan.fail_reason().unwrap().contains("NaN"));
    assert_eq!(told(3.0).state, TrialState::Complete);
    assert_eq!(study.best_value().unwrap(), 3.0, "a finite loss beats +inf");
    assert_eq!(told(-inf).values, Some(vec![-inf]));
    assert_eq!(study.best_trial().unwrap().number, 3, "-inf is the best loss");

    // Maximizing, -inf is the worst and +inf the best.
    let up = Study::builder().direction(StudyDirection::Maximize).create().unwrap();
    for v in [-inf, 1.0, inf, 2.0] {
        assert_eq!(up.tell(up.ask().unwrap(), v).unwrap().state, TrialState::Complete);
    }
    assert_eq!(up.best_trial().unwrap().number, 2);

    // Several objectives: infinities complete the trial, NaN in any fails it.
    let multi = Study::builder().directions([StudyDirection::Minimize, StudyDirection::Maximize]).create().unwrap();
    let done = multi.tell(multi.ask().unwrap(), vec![inf, -inf]).unwrap();
    assert_eq!((done.state, done.values.clone()), (TrialState::Complete, Some(vec![inf, -inf])));
    assert_eq!(multi.tell(multi.ask().unwrap(), vec![1.0, f64::NAN]).unwrap().state, TrialState::Failed);
    multi.tell(multi.ask().unwrap(), vec![1.0, 1.0]).unwrap();
    let front: Vec<u64> = multi.best_trials().unwrap().iter().map(|t| t.number).collect();
    assert_eq!(front, vec![2], "(1, 1) dominates (inf, -inf)");

    // A pruned trial keeps an infinite last intermediate value, not a NaN one.
    let mut trial = study.ask().unwrap();
    trial.report(0, inf).unwrap();
    assert_eq!(study.tell_outcome(trial, TrialOutcome::Pruned).unwrap().values, Some(vec![inf]));
    let mut trial = study.ask().unwrap();
    trial.report(0, f64::NAN).unwrap();
    assert_eq!(study.tell_outcome(trial, TrialOutcome::Pruned).unwrap().values, None);
}

#[test]
fn enqueued_trials_run_first_with_their_values() {
    let study = memory_study(4);
    study.enqueue_trial([("x", ParamValue::Float(0.5)), ("opt", "adam".into())]).unwrap();
    study.enqueue_trial([("x", 0.25)]).unwrap();
    study.enqueue_trial([("x", 7.0)]).unwrap(); // outside the range: that trial fails, clearly
    study
        .optimize(5, |trial| {
            let x = trial.suggest_float("x", 0.0, 1.0)?;
            let opt = trial.suggest_categorical("opt", &["sgd", "adam"])?;
            Ok(x + if opt == "adam" { 0.0 } else { 1.0 })
        })
        .unwrap();
    let trials = study.trials().unwrap();
    assert_eq!(trials.len(), 5);
    assert_eq!(trials[0].param_values()["x"], ParamValue::Float(0.5));
    assert_eq!(trials[0].param_values()["opt"], ParamValue::from("adam"));
    assert_eq!(trials[1].param_values()["x"], ParamValue::Float(0.25));
    assert!(trials[1].param_values().contains_key("opt"), "unlisted parameters are sampled");
    assert_eq!(trials[2].state, TrialState::Failed);
    assert!(trials[2].fail_reason().unwrap().contains("value 7 for parameter 'x' is outside"));
    assert!(trials[3..].iter().all(|t| !t.is_enqueued()));
}

#[test]
fn parallel_optimize_runs_exactly_n_trials() {
    let study = memory_study(5);
    study
        .optimize_with(Optimize::new().n_trials(200).n_jobs(4), |trial| {
            let x = trial.suggest_float("x", -1.0, 1.0)?;
            Ok(x * x)
        })
        .unwrap();
    let trials = study.trials().unwrap();
    let numbers: BTreeSet<u64> = trials.iter().map(|t| t.number).collect();
    assert_eq!(numbers, (0..200).collect());
    assert!(trials.iter().all(|t| t.state == TrialState::Complete));
}

#[test]
fn timeout_and_stop_end_the_loop() {
    let study = memory_study(6);
    // No trial limit: only the timeout can end this.
    study
        .optimize_with(Optimize::new().timeout(Duration::from_millis(200)).n_jobs(2), |trial| {
            std::thread::sleep(Duration::from_millis(5));
            Ok(trial.suggest_float("x", 0.0, 1.0)?)
        })
        .unwrap();
    assert!(!study.trials().unwrap().is_empty());

    let study = memory_study(7);
    let seen = Arc::new(AtomicU64::new(0));
    let counter = seen.clone();
    let options = Optimize::new().callback(move |study: &Study, trial: &FrozenTrial| {
        assert_eq!(trial.state, TrialState::Complete);
        if counter.fetch_add(1, Ordering::SeqCst) + 1 == 7 {
            study.stop();
        }
    });
    study.optimize_with(options, |trial| Ok(trial.suggest_float("x", 0.0, 1.0)?)).unwrap();
    assert_eq!(study.trials().unwrap().len(), 7);
    assert_eq!(seen.load(Ordering::SeqCst), 7);
    // stop() applied to that call only: the next one runs.
    study.optimize(3, |trial| Ok(trial.suggest_float("x", 0.0, 1.0)?)).unwrap();
    assert_eq!(study.trials().unwrap().len(), 10);
}

fn run_seeded(seed: u64) -> Vec<BTreeMap<String, ParamValue>> {
    let study = memory_study(seed);
    study
        .optimize(25, |trial| {
            let a = trial.suggest_float("a", -3.0, 3.0)?;
            let b = trial.suggest_int_log("b", 1, 1000)?;
            let c = trial.suggest_categorical("c", &[1, 2, 3])?;
            Ok(a + b as f64 + f64::from(c))
        })
        .unwrap();
    study.trials().unwrap().iter().map(|t| t.param_values()).collect()
}

#[test]
fn a_seed_makes_a_study_repeat_exactly() {
    assert_eq!(run_seeded(11), run_seeded(11));
    assert_ne!(run_seeded(11), run_seeded(12));
}

fn grid_sampler() -> GridSampler {
    let grid = BTreeMap::from([
        ("x".to_string(), (0..6).map(ParamValue::Int).collect()),
        ("y".to_string(), vec!["a".into(), "b".into(), "c".into()]),
    ]);
    GridSampler::with_seed(grid, 1).unwrap()
}

#[test]
fn grid_search_covers_each_point_once_then_stops() {
    let study = Study::builder().sampler(grid_sampler()).create().unwrap();
    study
        .optimize_with(Optimize::new().n_jobs(4), |trial| {
            let x = trial.suggest_int("x", 0, 5)?;
            let y = trial.suggest_categorical("y", &["a", "b", "c"])?;
            Ok(x as f64 + y.len() as f64)
        })
        .unwrap();
    let trials = study.trials().unwrap();
    assert_eq!(trials.len(), 18);
    let points: BTreeSet<String> = trials.iter().map(|t| format!("{:?}", t.param_values())).collect();
    assert_eq!(points.len(), 18);
    assert!(matches!(study.ask(), Err(Error::SearchSpaceExhausted)));
}

#[test]
fn multi_objective_studies_expose_the_pareto_front() {
    let study = Study::builder()
        .directions([StudyDirection::Minimize, StudyDirection::Maximize])
        .sampler(RandomSampler::with_seed(8))
        .create()
        .unwrap();
    study
        .optimize(60, |trial| {
            let x = trial.suggest_float("x", 0.0, 1.0)?;
            let y = trial.suggest_float("y", 0.0, 1.0)?;
            Ok((x + y, x - y * y))
        })
        .unwrap();
    assert!(matches!(study.best_trial(), Err(Error::MultiObjective(_))));
    let front = study.best_trials().unwrap();
    assert!(!front.is_empty());
    let all = study.trials().unwrap();
    for f in &front {
        let fv = f.values.as_ref().unwrap();
        for t in &all {
            let tv = t.values.as_ref().unwrap();
            assert!(
                !ferrotune::core::dominates(tv, fv, study.directions()),
                "trial {} dominates front member {}",
                t.number,
                f.number
            );
        }
    }
    // Wrong number of values fails the trial, with the reason.
    let trial = study.ask().unwrap();
    let failed = study.tell(trial, 1.0).unwrap();
    assert_eq!(failed.state, TrialState::Failed);
    assert!(failed.fail_reason().unwrap().contains("1 value(s) but the study has 2"));
}

/// Prunes once a reported value exceeds a threshold.
struct AboveThreshold(f64);

impl Pruner for AboveThreshold {
    fn prune(&self, _study: &StudyView<'_>, trial: &FrozenTrial) -> ferrotune::Result<bool> {
        Ok(trial.last_intermediate().is_some_and(|(_, v)| v > self.0))
    }
}

/// Proposes the same internal value for every parameter.
struct Constant(f64);

impl Sampler for Constant {
    fn name(&self) -> &str {
        "constant"
    }

    fn sample_independent(
        &self,
        _study: &StudyView<'_>,
        _trial: &FrozenTrial,
        _name: &str,
        _distribution: &Distribution,
    ) -> ferrotune::Result<f64> {
        Ok(self.0)
    }
}

/// Optuna's `study.sampler = ...` and `study.pruner = ...`.
#[test]
fn the_sampler_and_the_pruner_can_be_replaced() {
    let study = Study::builder().sampler(Constant(0.25)).create().unwrap();
    let mut running = study.ask().unwrap();
    study.set_sampler(Arc::new(Constant(0.75))).unwrap();
    // A running trial keeps the sampler it was asked with (all its
    // suggestions come from one sampler); the next trial takes the new one.
    assert_eq!(running.suggest_float("x", 0.0, 1.0).unwrap(), 0.25);
    let mut next = study.ask().unwrap();
    assert_eq!(next.suggest_float("x", 0.0, 1.0).unwrap(), 0.75);
    // A clone is the same study: it sees the change.
    assert_eq!(study.clone().ask().unwrap().suggest_float("x", 0.0, 1.0).unwrap(), 0.75);

    // The pruner is asked at each should_prune, running trials' included.
    running.report(0, 1.0).unwrap();
    assert!(!running.should_prune().unwrap(), "the default pruner never prunes");
    study.set_pruner(Arc::new(AboveThreshold(0.5)));
    assert!(running.should_prune().unwrap());

    // A sampler that cannot optimize the study's directions is refused,
    // and the study keeps its own.
    let two = Study::builder()
        .directions([StudyDirection::Minimize, StudyDirection::Minimize])
        .sampler(Constant(0.5))
        .create()
        .unwrap();
    assert!(two.set_sampler(Arc::new(CmaEsSampler::with_seed(1))).is_err());
    assert_eq!(two.ask().unwrap().suggest_float("x", 0.0, 1.0).unwrap(), 0.5);
}

#[test]
fn report_and_should_prune_record_pruned_trials() {
    let study = Study::builder().sampler(RandomSampler::with_seed(9)).pruner(AboveThreshold(0.5)).create().unwrap();
    study
        .optimize(20, |trial| {
            let x = trial.suggest_float("x", 0.0, 1.0)?;
            for step in 0..5 {
                let value = x * (1.0 + step as f64 * 0.1);
                trial.report(step, value)?;
                if trial.should_prune()? {
                    return Err(TrialError::Pruned);
                }
            }
            Ok(x)
        })
        .unwrap();
    let trials = study.trials().unwrap();
    let pruned: Vec<_> = trials.iter().filter(|t| t.state == TrialState::Pruned).collect();
    assert!(!pruned.is_empty() && pruned.len() < 20);
    for t in pruned {
        let (_, last) = t.last_intermediate().unwrap();
        assert!(last > 0.5);
        assert_eq!(t.value(), Some(last), "a pruned trial keeps its last intermediate value");
    }
}

#[test]
fn a_parameter_keeps_its_kind_log_scale_and_choices_across_trials() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:///{}", dir.path().join("s.db").display());
    let study = Study::builder().name("kinds").storage_url(&url).create().unwrap();
    let mut first = study.ask().unwrap();
    first.suggest_categorical("c", &["a", "b"]).unwrap();
    first.suggest_float("x", 0.0, 1.0).unwrap();
    first.suggest_int_log("n", 1, 64).unwrap();
    study.tell(first, 1.0).unwrap();

    // Another process (a handle of its own) learns the distributions from
    // the stored trials.
    let other = Study::builder().name("kinds").storage_url(&url).load().unwrap();
    let mut trial = other.ask().unwrap();
    let err = trial.suggest_categorical("c", &["a", "c"]).unwrap_err();
    assert!(matches!(err, Error::ChangedDistribution { .. }), "{err}");
    assert!(err.to_string().contains("'c'") && err.to_string().contains("choices"), "{err}");
    assert!(matches!(trial.suggest_int("x", 0, 1).unwrap_err(), Error::ChangedDistribution { .. }));
    assert!(matches!(trial.suggest_int("n", 1, 64).unwrap_err(), Error::ChangedDistribution { .. }));
    // A range may change, and the same choices in the same order pass.
    trial.suggest_categorical("c", &["a", "b"]).unwrap();
    trial.suggest_float("x", -1.0, 2.0).unwrap();
    trial.suggest_int_log("n", 2, 128).unwrap();
    other.tell(trial, 2.0).unwrap();

    // Within one process, a name's first suggestion binds the next trials
    // before any is told.
    let fresh = memory_study(3);
    let mut a = fresh.ask().unwrap();
    let mut b = fresh.ask().unwrap();
    a.suggest_categorical("k", &[1, 2]).unwrap();
    assert!(matches!(b.suggest_categorical("k", &[1, 2, 3]).unwrap_err(), Error::ChangedDistribution { .. }));
}

#[test]
fn a_step_reported_again_keeps_its_first_value() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:///{}", dir.path().join("s.db").display());
    let study = Study::builder().name("twice").storage_url(&url).create().unwrap();
    let mut trial = study.ask().unwrap();
    assert!(trial.report(0, 1.0).unwrap(), "a new step is recorded");
    assert!(!trial.report(0, 2.0).unwrap(), "a step reported again is not");
    assert!(trial.report(1, 3.0).unwrap());
    study.tell(trial, 3.0).unwrap();
    let stored = Study::builder().name("twice").storage_url(&url).load().unwrap().trials().unwrap();
    assert_eq!(stored[0].intermediate_values, BTreeMap::from([(0, 1.0), (1, 3.0)]));

    let both = Study::builder().directions([StudyDirection::Minimize, StudyDirection::Maximize]).create().unwrap();
    let mut trial = both.ask().unwrap();
    assert!(trial.report_values(4, &[1.0, 2.0]).unwrap());
    assert!(!trial.report_values(4, &[5.0, 6.0]).unwrap());
    let told = both.tell(trial, [1.0, 2.0]).unwrap();
    assert_eq!(told.intermediate_vectors[&4], vec![1.0, 2.0]);
}

#[test]
fn ask_tell_across_handles_and_by_number() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:///{}", dir.path().join("s.db").display());
    let study = Study::builder().name("at").storage_url(&url).create().unwrap();
    let mut trial = study.ask().unwrap();
    let x = trial.suggest_float("x", 0.0, 1.0).unwrap();
    let number = trial.number();
    drop(trial);
    // Another process (here: another handle) finishes it by number.
    let other = Study::builder().name("at").storage_url(&url).load().unwrap();
    let done = other.tell_number(number, TrialOutcome::Complete(vec![x])).unwrap();
    assert_eq!(done.value(), Some(x));
    let again = other.tell_number(number, TrialOutcome::Pruned).unwrap_err();
    assert!(matches!(again, Error::TrialNotRunning { number: 0, state: TrialState::Complete }), "{again}");
    assert!(other.tell_number(99, TrialOutcome::Pruned).unwrap_err().to_string().contains("no trial number 99"));
    assert_eq!(study.best_value().unwrap(), x);
}

#[test]
fn creating_and_loading_studies() {
    let storage: Arc<dyn ferrotune::core::Storage> = Arc::new(InMemoryStorage::new());
    let s = Study::builder().name("s").storage(storage.clone()).direction(StudyDirection::Maximize).create().unwrap();
    assert!(matches!(s.best_trial(), Err(Error::NoCompletedTrials(_))));
    let dup = Study::builder().name("s").storage(storage.clone()).direction(StudyDirection::Maximize).create();
    assert!(matches!(dup, Err(Error::DuplicateStudy(_))));
    let loaded = Study::builder().name("s").storage(storage.clone()).load_if_exists(true).create().unwrap();
    assert_eq!(loaded.directions(), [StudyDirection::Maximize]);
    let mismatch = Study::builder().name("s").storage(storage.clone()).direction(StudyDirection::Minimize).load();
    assert!(mismatch.unwrap_err().to_string().contains("optimizes [maximize], but [minimize]"));
    let missing = Study::builder().name("nope").storage(storage.clone()).load();
    assert!(matches!(missing, Err(Error::StudyNotFound(_))));
    let bad_url = Study::builder().storage_url("mysql://x").create().unwrap_err();
    assert!(bad_url.to_string().contains("unsupported storage URL"));
    s.set_user_attr("dataset", "digits").unwrap();
    assert_eq!(loaded.user_attrs().unwrap()["dataset"], "digits");
}

#[test]
fn sqlite_and_memory_give_the_same_seeded_study() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Arc::new(SqliteStorage::open(dir.path().join("a.db")).unwrap());
    let run = |study: Study| {
        study
            .optimize(30, |trial| {
                let x = trial.suggest_float("x", -2.0, 2.0)?;
                trial.report(0, x)?;
                Ok(x * x)
            })
            .unwrap();
        study
            .trials()
            .unwrap()
            .iter()
            .map(|t| (t.param_values(), t.values.clone(), t.intermediate_values.clone()))
            .collect::<Vec<_>>()
    };
    let a = run(Study::builder().sampler(RandomSampler::with_seed(3)).create().unwrap());
    let b = run(Study::builder().storage(sqlite).sampler(RandomSampler::with_seed(3)).create().unwrap());
    assert_eq!(a, b);
}

/// Records, for every draw, whether the sampler's view held only trials of
/// the drawing trial's Hyperband bracket.
struct BracketSpy {
    pruner: Arc<ferrotune::pruners::HyperbandPruner>,
    mixed_views: AtomicU64,
    filtered_views: AtomicU64,
}

impl ferrotune::core::Sampler for BracketSpy {
    fn name(&self) -> &str {
        "spy"
    }
    fn sample_independent(
        &self,
        study: &StudyView<'_>,
        trial: &FrozenTrial,
        _name: &str,
        _distribution: &ferrotune::Distribution,
    ) -> ferrotune::Result<f64> {
        let own = self.pruner.trial_group(study, trial.number)?;
        if own.is_some() {
            let all_same = study.trials.iter().all(|t| self.pruner.trial_group(study, t.number).unwrap() == own);
            let counter = if all_same { &self.filtered_views } else { &self.mixed_views };
            counter.fetch_add(1, Ordering::SeqCst);
        }
        // Spread the values so the curves differ and some trials lose.
        Ok((trial.number as f64 * 0.618_033_988_7).fract())
    }
}

#[test]
fn under_hyperband_samplers_see_only_their_bracket() {
    let pruner = Arc::new(
        ferrotune::pruners::HyperbandPruner::builder().min_resource(1).max_resource(Some(27)).build().unwrap(),
    );
    let spy = Arc::new(BracketSpy {
        pruner: pruner.clone(),
        mixed_views: AtomicU64::new(0),
        filtered_views: AtomicU64::new(0),
    });
    let study = Study::builder().sampler_arc(spy.clone()).pruner_arc(pruner).create().unwrap();
    study
        .optimize(60, |trial| {
            let x = trial.suggest_float("x", 0.0, 1.0)?;
            for step in 0..27 {
                trial.report(step, x + 1.0 / (step as f64 + 1.0))?;
                if trial.should_prune()? {
                    return Err(TrialError::Pruned);
                }
            }
            Ok(x)
        })
        .unwrap();
    assert_eq!(spy.mixed_views.load(Ordering::SeqCst), 0, "a sampler saw trials of another bracket");
    assert!(spy.filtered_views.load(Ordering::SeqCst) >= 59);
    let pruned = study.trials_in(&[TrialState::Pruned]).unwrap().len();
    assert!(pruned > 0, "worse curves are stopped at their bracket's rungs");
}

/// Issue 17, case 9: a trial finished by someone else while its objective
/// runs (`ferrotune tell --force`) keeps that outcome, and the loop goes on
/// instead of ending with "trial 0 is failed, not running".
#[test]
fn a_trial_finished_elsewhere_keeps_its_outcome_and_the_loop_goes_on() {
    let study = memory_study(4);
    study
        .optimize(3, |trial| {
            let x = trial.suggest_float("x", 0.0, 1.0)?;
            if trial.number() == 0 {
                study.tell_number(0, TrialOutcome::Failed("told from outside".into())).unwrap();
                // The objective's own report now finds the trial finished.
                assert!(trial.report(0, x).is_err());
            }
            Ok(x)
        })
        .unwrap();
    let trials = study.trials().unwrap();
    assert_eq!(trials.len(), 3);
    assert_eq!(trials[0].state, TrialState::Failed);
    assert_eq!(trials[0].fail_reason(), Some("told from outside"));
    assert!(trials[1..].iter().all(|t| t.state == TrialState::Complete));
}

/// Issue 18: `?` inside an objective is deliberate about what it stops. A
/// user's error or an engine error about the trial fails that trial and the
/// study goes on; a storage failure met by the trial's own calls fails the
/// trial and ends `optimize` with the error (the study could not record
/// what later trials find), even when the objective swallows it.
#[test]
fn question_mark_in_an_objective_fails_the_trial_or_stops_on_storage_failures() {
    let study = memory_study(5);
    study
        .optimize(4, |trial| {
            let x = trial.suggest_float("x", 0.0, 1.0)?;
            match trial.number() {
                0 => {
                    "not a number".parse::<f64>()?;
                }
                1 => {
                    trial.suggest_int("x", 0, 3)?; // the same name, another distribution
                }
                _ => {}
            }
            Ok(x)
        })
        .unwrap();
    let trials = study.trials().unwrap();
    assert_eq!(trials.len(), 4, "the study went on");
    assert_eq!(trials[0].state, TrialState::Failed);
    assert!(trials[0].fail_reason().unwrap().contains("invalid float literal"));
    assert_eq!(trials[1].state, TrialState::Failed);
    assert!(trials[1].fail_reason().unwrap().contains("'x'"));

    // A storage that fails to record reports once told to.
    let storage = Arc::new(FailingReports { inner: InMemoryStorage::new(), failing: AtomicBool::new(false) });
    let study = Study::builder().storage(storage.clone()).sampler(RandomSampler::with_seed(6)).create().unwrap();
    let err = study
        .optimize(4, |trial| {
            let x = trial.suggest_float("x", 0.0, 1.0)?;
            if trial.number() == 1 {
                storage.failing.store(true, Ordering::SeqCst);
                // Even an objective that swallows the error does not hide it.
                let _ = trial.report(0, x);
                storage.failing.store(false, Ordering::SeqCst);
            }
            Ok(x)
        })
        .unwrap_err();
    assert!(matches!(&err, Error::Storage(m) if m == "disk I/O error"), "{err}");
    let trials = study.trials().unwrap();
    assert_eq!(trials.len(), 2, "no trial after the storage failed");
    assert_eq!(trials[1].state, TrialState::Failed);
    assert!(trials[1].fail_reason().unwrap().contains("the storage failed: disk I/O error"));
}

/// In-memory storage whose intermediate-value writes fail while `failing`.
struct FailingReports {
    inner: InMemoryStorage,
    failing: AtomicBool,
}

impl ferrotune::core::Storage for FailingReports {
    fn create_study(&self, name: &str, directions: &[StudyDirection]) -> ferrotune::Result<ferrotune::core::StudyInfo> {
        self.inner.create_study(name, directions)
    }
    fn study_by_name(&self, name: &str) -> ferrotune::Result<Option<ferrotune::core::StudyInfo>> {
        self.inner.study_by_name(name)
    }
    fn list_studies(&self) -> ferrotune::Result<Vec<ferrotune::core::StudyInfo>> {
        self.inner.list_studies()
    }
    fn delete_study(&self, study_id: i64) -> ferrotune::Result<()> {
        self.inner.delete_study(study_id)
    }
    fn set_study_attr(
        &self,
        study_id: i64,
        scope: ferrotune::core::AttrScope,
        key: &str,
        value: &ferrotune::core::AttrValue,
    ) -> ferrotune::Result<()> {
        self.inner.set_study_attr(study_id, scope, key, value)
    }
    fn add_trial(&self, study_id: i64, trial: &FrozenTrial) -> ferrotune::Result<std::sync::Arc<FrozenTrial>> {
        self.inner.add_trial(study_id, trial)
    }
    fn create_trial(&self, study_id: i64, new: ferrotune::core::NewTrial) -> ferrotune::Result<Option<FrozenTrial>> {
        self.inner.create_trial(study_id, new)
    }
    fn claim_waiting_trial(&self, study_id: i64) -> ferrotune::Result<Option<FrozenTrial>> {
        self.inner.claim_waiting_trial(study_id)
    }
    fn record_heartbeat(&self, trial_id: i64) -> ferrotune::Result<()> {
        self.inner.record_heartbeat(trial_id)
    }
    fn fail_stale_trials(&self, study_id: i64, grace: std::time::Duration) -> ferrotune::Result<Vec<Arc<FrozenTrial>>> {
        self.inner.fail_stale_trials(study_id, grace)
    }
    fn set_trial_param(&self, trial_id: i64, name: &str, param: &ferrotune::core::TrialParam) -> ferrotune::Result<()> {
        self.inner.set_trial_param(trial_id, name, param)
    }
    fn set_trial_intermediate_value(&self, trial_id: i64, step: u64, value: f64) -> ferrotune::Result<()> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(Error::Storage("disk I/O error".into()));
        }
        self.inner.set_trial_intermediate_value(trial_id, step, value)
    }
    fn set_trial_intermediate_values(&self, trial_id: i64, step: u64, values: &[f64]) -> ferrotune::Result<()> {
        self.inner.set_trial_intermediate_values(trial_id, step, values)
    }
    fn set_trial_attr(
        &self,
        trial_id: i64,
        scope: ferrotune::core::AttrScope,
        key: &str,
        value: &ferrotune::core::AttrValue,
    ) -> ferrotune::Result<()> {
        self.inner.set_trial_attr(trial_id, scope, key, value)
    }
    fn finish_trial(
        &self,
        trial_id: i64,
        state: TrialState,
        values: Option<&[f64]>,
    ) -> ferrotune::Result<Arc<FrozenTrial>> {
        self.inner.finish_trial(trial_id, state, values)
    }
    fn trial(&self, trial_id: i64) -> ferrotune::Result<FrozenTrial> {
        self.inner.trial(trial_id)
    }
    fn trials_changed_since(&self, study_id: i64, cursor: u64) -> ferrotune::Result<ferrotune::core::TrialChanges> {
        self.inner.trials_changed_since(study_id, cursor)
    }
}

/// Issue 18: an objective with mutable state needs neither `Fn` nor `Sync`
/// when trials run one at a time.
#[test]
fn an_objective_with_mutable_state_runs_sequentially() {
    let study = memory_study(7);
    let mut seen = Vec::new();
    study
        .optimize_mut(Optimize::new().n_trials(5), |trial| {
            let x = trial.suggest_float("x", 0.0, 1.0)?;
            seen.push(x);
            Ok(x)
        })
        .unwrap();
    assert_eq!(seen.len(), 5);
    let values: Vec<f64> = study.trials().unwrap().iter().filter_map(|t| t.value()).collect();
    assert_eq!(values, seen);
    let refused = study.optimize_mut(Optimize::new().n_trials(2).n_jobs(2), |_| Ok(0.0)).unwrap_err();
    assert!(refused.to_string().contains("one trial at a time"), "{refused}");
}

/// A single-objective sampler refuses to make a study of several
/// objectives, but an existing one can be loaded with it and read; asking
/// is what it refuses, before any trial is written.
#[test]
fn a_loaded_multi_objective_study_can_be_read_with_a_single_objective_sampler() {
    let storage: Arc<dyn ferrotune::core::Storage> = Arc::new(InMemoryStorage::new());
    let two = [StudyDirection::Minimize, StudyDirection::Maximize];
    let made = Study::builder().name("mo").storage(storage.clone()).directions(two).create().unwrap();
    // Minimize x and maximize x: every trial is on the front.
    made.optimize(3, |t| {
        let x = t.suggest_float("x", 0.0, 1.0)?;
        Ok(vec![x, x])
    })
    .unwrap();
    let refused = Study::builder()
        .name("mo2")
        .storage(storage.clone())
        .directions(two)
        .sampler(ferrotune::samplers::CmaEsSampler::with_seed(1))
        .create();
    assert!(refused.is_err());
    let loaded = Study::builder()
        .name("mo")
        .storage(storage.clone())
        .sampler(ferrotune::samplers::CmaEsSampler::with_seed(1))
        .load()
        .unwrap();
    assert_eq!(loaded.best_trials().unwrap().len(), 3);
    let err = loaded.ask().map(|_| ()).unwrap_err().to_string();
    assert!(err.contains("single objective"), "{err}");
    assert_eq!(loaded.trials().unwrap().len(), 3, "nothing was written");
}
