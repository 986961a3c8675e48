//! The storage conformance suite: the [`Storage`] contract as executable
//! checks. Every backend runs all of them through
//! [`storage_conformance_tests!`](crate::storage_conformance_tests), so a new
//! backend is correct when one macro line passes.
//!
//! Each check takes a fresh, empty storage.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use ferrotune_core::{
    AttrScope, Distribution, Error, FloatDistribution, FrozenTrial, IntDistribution, NewTrial, ParamValue, Storage,
    StudyDirection, TrialParam, TrialState,
};

use StudyDirection::{Maximize, Minimize};

/// Generate one `#[test]` per conformance check for a backend. `$make` is a
/// closure returning a fresh `Arc<dyn Storage>` and a guard kept alive for
/// the duration of the check (a temporary directory, say; `()` if none), or
/// an `Option` of the two: `None` skips the check (a backend whose server is
/// not there; the closure says why).
#[macro_export]
macro_rules! storage_conformance_tests {
    ($make:expr) => {
        $crate::storage_conformance_tests!(@each $make;
            study_lifecycle, trial_numbers_are_sequential, concurrent_creation_numbers_each_trial_once,
            state_transitions_are_enforced, finished_trials_are_immutable, trial_data_round_trips,
            waiting_trials_are_claimed_once_in_order, sampled_trial_limit_is_atomic,
            incremental_reads_rebuild_the_study, returned_trials_are_snapshots, unknown_ids_are_errors,
            heartbeats_keep_trials_alive, stale_trials_are_failed_with_a_reason,
            trials_without_heartbeat_are_never_stale, concurrent_stale_checks_fail_each_trial_once,
            new_trials_start_with_the_given_intermediate_values, trials_can_start_with_a_heartbeat,
            stale_trials_are_failed_and_retried_in_one_write, skip_if_exists_finds_the_same_configuration,
            concurrent_skip_if_exists_enqueues_once, asks_claim_waiting_trials_before_creating,
            added_trials_keep_everything_given, infinite_values_round_trip,
            params_come_back_in_the_order_they_were_set);
    };
    (@each $make:expr; $($check:ident),*) => {
        $(
            #[test]
            fn $check() {
                if let Some((storage, _guard)) = $crate::conformance::Fresh::fresh(($make)()) {
                    $crate::conformance::$check(storage);
                }
            }
        )*
    };
}

/// What a [`storage_conformance_tests!`](crate::storage_conformance_tests)
/// closure returns: a storage and its guard, or maybe one.
#[doc(hidden)]
pub trait Fresh {
    /// What keeps the storage's resources alive (a directory, a schema).
    type Guard;
    /// The storage and its guard, or `None` to skip the check.
    fn fresh(self) -> Option<(Arc<dyn Storage>, Self::Guard)>;
}

impl<G> Fresh for (Arc<dyn Storage>, G) {
    type Guard = G;
    fn fresh(self) -> Option<(Arc<dyn Storage>, G)> {
        Some(self)
    }
}

impl<G> Fresh for Option<(Arc<dyn Storage>, G)> {
    type Guard = G;
    fn fresh(self) -> Option<(Arc<dyn Storage>, G)> {
        self
    }
}

fn running(storage: &dyn Storage, study_id: i64) -> FrozenTrial {
    storage.create_trial(study_id, NewTrial::default()).unwrap().unwrap()
}

fn float_param(low: f64, high: f64, log: bool, internal: f64) -> TrialParam {
    TrialParam { distribution: Distribution::Float(FloatDistribution::new(low, high, log, None).unwrap()), internal }
}

/// Create, find, list, attribute and delete studies; names are unique.
pub fn study_lifecycle(storage: Arc<dyn Storage>) {
    let a = storage.create_study("a", &[Minimize]).unwrap();
    let b = storage.create_study("b", &[Minimize, Maximize]).unwrap();
    assert_ne!(a.study_id, b.study_id);
    assert!(matches!(storage.create_study("a", &[Maximize]), Err(Error::DuplicateStudy(n)) if n == "a"));
    assert!(matches!(storage.create_study("", &[Minimize]), Err(Error::InvalidArgument(_))));
    assert!(matches!(storage.create_study("c", &[]), Err(Error::InvalidArgument(_))));
    let found = storage.study_by_name("b").unwrap().unwrap();
    assert_eq!(found.directions, vec![Minimize, Maximize]);
    assert!(storage.study_by_name("nope").unwrap().is_none());

    storage.set_study_attr(a.study_id, AttrScope::User, "dataset", &"mnist".into()).unwrap();
    storage.set_study_attr(a.study_id, AttrScope::User, "dataset", &"cifar".into()).unwrap();
    storage.set_study_attr(a.study_id, AttrScope::System, "v", &serde_json::json!({"k": [1, 2]})).unwrap();
    let a2 = storage.study_by_name("a").unwrap().unwrap();
    assert_eq!(a2.user_attrs["dataset"], "cifar");
    assert_eq!(a2.system_attrs["v"], serde_json::json!({"k": [1, 2]}));

    running(&*storage, a.study_id);
    let names: Vec<String> = storage.list_studies().unwrap().into_iter().map(|s| s.name).collect();
    assert_eq!(names, ["a", "b"]);
    storage.delete_study(a.study_id).unwrap();
    assert!(storage.study_by_name("a").unwrap().is_none());
    assert!(storage.all_trials(a.study_id).is_err());
    // The name is free again, and the new study starts from trial 0.
    let a3 = storage.create_study("a", &[Minimize]).unwrap();
    assert_eq!(running(&*storage, a3.study_id).number, 0);
}

/// Numbers are 0, 1, 2, ... per study, independent across studies.
pub fn trial_numbers_are_sequential(storage: Arc<dyn Storage>) {
    let a = storage.create_study("a", &[Minimize]).unwrap().study_id;
    let b = storage.create_study("b", &[Minimize]).unwrap().study_id;
    let na: Vec<u64> = (0..5).map(|_| running(&*storage, a).number).collect();
    let nb: Vec<u64> = (0..3).map(|_| running(&*storage, b).number).collect();
    assert_eq!(na, [0, 1, 2, 3, 4]);
    assert_eq!(nb, [0, 1, 2]);
    let all = storage.all_trials(a).unwrap();
    assert_eq!(all.iter().map(|t| t.number).collect::<Vec<_>>(), na);
    assert!(all.iter().all(|t| t.state == TrialState::Running && t.started_at_us.is_some()));
}

/// Threads creating and finishing trials at once get every number once.
pub fn concurrent_creation_numbers_each_trial_once(storage: Arc<dyn Storage>) {
    let study = storage.create_study("s", &[Minimize]).unwrap().study_id;
    let numbers: Vec<u64> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let storage = &storage;
                scope.spawn(move || {
                    (0..25)
                        .map(|i| {
                            let t = running(&**storage, study);
                            storage.finish_trial(t.trial_id, TrialState::Complete, Some(&[i as f64])).unwrap();
                            t.number
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let unique: BTreeSet<u64> = numbers.iter().copied().collect();
    assert_eq!(numbers.len(), 200);
    assert_eq!(unique, (0..200).collect());
    let all = storage.all_trials(study).unwrap();
    assert_eq!(all.len(), 200);
    assert!(all.iter().all(|t| t.state == TrialState::Complete));
}

/// Only Running -> final is allowed, with values that fit the study.
pub fn state_transitions_are_enforced(storage: Arc<dyn Storage>) {
    let study = storage.create_study("s", &[Minimize, Maximize]).unwrap().study_id;
    let t = running(&*storage, study);
    assert!(matches!(storage.finish_trial(t.trial_id, TrialState::Running, None), Err(Error::InvalidArgument(_))));
    assert!(matches!(storage.finish_trial(t.trial_id, TrialState::Complete, None), Err(Error::InvalidArgument(_))));
    assert!(matches!(
        storage.finish_trial(t.trial_id, TrialState::Complete, Some(&[1.0])),
        Err(Error::InvalidArgument(m)) if m.contains("2 objective")
    ));
    // The same through a worker's tell (`finish_known_trial`, which a
    // pipelining backend sends whole with its commit, checked on the
    // server): the same errors, and the trial still running without values.
    let unsaved = [("x".to_string(), float_param(0.0, 1.0, false, 0.5))];
    assert!(matches!(
        storage.finish_known_trial(&t, &unsaved, TrialState::Complete, Some(&[1.0])),
        Err(Error::InvalidArgument(m)) if m.contains("2 objective")
    ));
    assert!(matches!(
        storage.finish_known_trial(&t, &unsaved, TrialState::Complete, Some(&[1.0, 2.0, 3.0])),
        Err(Error::InvalidArgument(m)) if m.contains("2 objective")
    ));
    let mut ghost = t.clone();
    ghost.trial_id = t.trial_id + 1_000_000;
    assert!(matches!(
        storage.finish_known_trial(&ghost, &unsaved, TrialState::Complete, Some(&[1.0, 2.0])),
        Err(Error::TrialNotFound(_))
    ));
    // The failed attempts changed nothing.
    let still = storage.trial(t.trial_id).unwrap();
    assert_eq!((still.state, still.values), (TrialState::Running, None));
    let done = storage.finish_trial(t.trial_id, TrialState::Complete, Some(&[1.0, 2.0])).unwrap();
    assert_eq!(done.state, TrialState::Complete);
    assert_eq!(done.values, Some(vec![1.0, 2.0]));
    assert!(done.finished_at_us.unwrap() >= done.started_at_us.unwrap());
    assert!(matches!(
        storage.finish_trial(t.trial_id, TrialState::Failed, None),
        Err(Error::TrialNotRunning { number: 0, state: TrialState::Complete })
    ));
    let pruned = running(&*storage, study);
    storage.finish_trial(pruned.trial_id, TrialState::Pruned, None).unwrap();
    let failed = running(&*storage, study);
    storage.finish_trial(failed.trial_id, TrialState::Failed, None).unwrap();
    let states: Vec<TrialState> = storage.all_trials(study).unwrap().iter().map(|t| t.state).collect();
    assert_eq!(states, [TrialState::Complete, TrialState::Pruned, TrialState::Failed]);
}

/// Nothing about a finished or waiting trial can change.
pub fn finished_trials_are_immutable(storage: Arc<dyn Storage>) {
    let study = storage.create_study("s", &[Minimize]).unwrap().study_id;
    let t = running(&*storage, study);
    storage.set_trial_param(t.trial_id, "x", &float_param(0.0, 1.0, false, 0.5)).unwrap();
    let before = storage.finish_trial(t.trial_id, TrialState::Complete, Some(&[3.0])).unwrap();
    let not_running = |r: ferrotune_core::Result<()>| matches!(r, Err(Error::TrialNotRunning { .. }));
    assert!(not_running(storage.set_trial_param(t.trial_id, "x", &float_param(0.0, 1.0, false, 0.9))));
    assert!(not_running(storage.set_trial_param(t.trial_id, "y", &float_param(0.0, 1.0, false, 0.9))));
    assert!(not_running(storage.set_trial_intermediate_value(t.trial_id, 1, 1.0)));
    assert!(not_running(storage.set_trial_intermediate_values(t.trial_id, 1, &[1.0, 2.0])));
    assert!(not_running(storage.set_trial_attr(t.trial_id, AttrScope::User, "k", &1.into())));
    // A second tell with parameters and values of its own.
    let unsaved = [("x".to_string(), float_param(0.0, 1.0, false, 0.9))];
    assert!(matches!(
        storage.finish_known_trial(&before, &unsaved, TrialState::Complete, Some(&[4.0])),
        Err(Error::TrialNotRunning { state: TrialState::Complete, .. })
    ));
    assert_eq!(storage.trial(t.trial_id).unwrap(), *before);

    let fixed = BTreeMap::from([("x".to_string(), ParamValue::Float(0.25))]);
    let w = storage
        .create_trial(study, NewTrial { waiting: true, fixed_params: Some(fixed), ..Default::default() })
        .unwrap()
        .unwrap();
    assert_eq!(w.state, TrialState::Waiting);
    assert!(not_running(storage.set_trial_intermediate_value(w.trial_id, 1, 1.0)));
    assert!(storage.finish_trial(w.trial_id, TrialState::Complete, Some(&[1.0])).is_err());
}

/// Params of every kind, values, intermediate values (NaN included) and
/// attributes read back exactly.
pub fn trial_data_round_trips(storage: Arc<dyn Storage>) {
    let study = storage.create_study("s", &[Minimize]).unwrap().study_id;
    let user_attrs = BTreeMap::from([("origin".to_string(), serde_json::json!("test"))]);
    let system_attrs = BTreeMap::from([("retry_of".to_string(), serde_json::json!(7))]);
    let t = storage.create_trial(study, NewTrial { user_attrs, system_attrs, ..Default::default() }).unwrap().unwrap();
    assert_eq!(t.user_attrs["origin"], "test");
    assert_eq!(t.system_attrs["retry_of"], 7);
    let lr = float_param(1e-5, 1e-1, true, 0.000_123_456_789_012_345_6);
    let layers =
        TrialParam { distribution: Distribution::Int(IntDistribution::new(1, 9, false, 2).unwrap()), internal: 5.0 };
    let opt = TrialParam {
        distribution: Distribution::categorical(vec![ParamValue::from("sgd"), 3.into(), true.into(), 0.5.into()])
            .unwrap(),
        internal: 2.0,
    };
    storage.set_trial_param(t.trial_id, "lr", &lr).unwrap();
    storage.set_trial_param(t.trial_id, "layers", &layers).unwrap();
    storage.set_trial_param(t.trial_id, "optimizer", &opt).unwrap();
    storage.set_trial_intermediate_value(t.trial_id, 0, 0.5).unwrap();
    storage.set_trial_intermediate_value(t.trial_id, 3, f64::NAN).unwrap();
    storage.set_trial_intermediate_value(t.trial_id, 7, 0.25).unwrap();
    storage.set_trial_intermediate_value(t.trial_id, 7, 0.125).unwrap();
    // One value per objective (multi-objective pruning); a step written again is replaced.
    storage.set_trial_intermediate_values(t.trial_id, 9, &[1.0, 2.0, 3.0]).unwrap();
    storage.set_trial_intermediate_values(t.trial_id, 9, &[0.5, f64::NAN]).unwrap();
    storage.set_trial_intermediate_values(t.trial_id, 11, &[-1.0, 4.0]).unwrap();
    assert!(storage.set_trial_intermediate_values(t.trial_id, 12, &[]).is_err());
    storage.set_trial_attr(t.trial_id, AttrScope::User, "note", &serde_json::json!({"a": [1, "b"]})).unwrap();
    storage.set_trial_attr(t.trial_id, AttrScope::System, "fail_reason", &"x".into()).unwrap();
    let done = storage.finish_trial(t.trial_id, TrialState::Complete, Some(&[f64::INFINITY])).unwrap();
    let back = storage.trial(t.trial_id).unwrap();
    assert_eq!(back.params["lr"], lr);
    assert_eq!(back.params["layers"], layers);
    assert_eq!(back.params["optimizer"].value(), ParamValue::Bool(true));
    assert_eq!(back.intermediate_values.len(), 5);
    assert_eq!(back.intermediate_values[&9], 0.5);
    assert_eq!(back.intermediate_vectors.len(), 2);
    assert_eq!(back.intermediate_vectors[&9][0], 0.5);
    assert!(back.intermediate_vectors[&9][1].is_nan() && back.intermediate_vectors[&9].len() == 2);
    assert_eq!(back.intermediate_vectors[&11], vec![-1.0, 4.0]);
    assert_eq!(back.intermediate_values[&0], 0.5);
    assert!(back.intermediate_values[&3].is_nan());
    assert_eq!(back.intermediate_values[&7], 0.125);
    assert_eq!(back.user_attrs["note"], serde_json::json!({"a": [1, "b"]}));
    assert_eq!(back.user_attrs["origin"], "test");
    assert_eq!(back.fail_reason(), Some("x"));
    assert_eq!(back.system_attrs["retry_of"], 7);
    assert_eq!(back.values, Some(vec![f64::INFINITY]));
    assert_eq!(back.params, done.params);
}

/// Enqueued trials wait in number order and each goes to exactly one worker.
pub fn waiting_trials_are_claimed_once_in_order(storage: Arc<dyn Storage>) {
    let study = storage.create_study("s", &[Minimize]).unwrap().study_id;
    assert!(storage.claim_waiting_trial(study).unwrap().is_none());
    for i in 0..40 {
        let fixed = BTreeMap::from([("x".to_string(), ParamValue::Int(i))]);
        let w =
            storage.create_trial(study, NewTrial { waiting: true, fixed_params: Some(fixed), ..Default::default() });
        assert_eq!(w.unwrap().unwrap().number, i as u64);
    }
    let first = storage.claim_waiting_trial(study).unwrap().unwrap();
    assert_eq!((first.number, first.state), (0, TrialState::Running));
    assert_eq!(first.fixed_params.as_ref().unwrap()["x"], ParamValue::Int(0));
    let claimed: Vec<u64> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let storage = &storage;
                scope.spawn(move || {
                    let mut got = Vec::new();
                    while let Some(t) = storage.claim_waiting_trial(study).unwrap() {
                        got.push(t.number);
                    }
                    got
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let unique: BTreeSet<u64> = claimed.iter().copied().collect();
    assert_eq!(claimed.len(), 39);
    assert_eq!(unique, (1..40).collect());
}

/// `claim_or_create_trial`, what an ask does: the oldest waiting trial
/// first (with its first heartbeat when asked), a new running trial once
/// none waits, `None` at the sampled-trial limit unless one waits; with
/// workers asking at once, each waiting trial goes to exactly one and
/// numbers stay dense.
pub fn asks_claim_waiting_trials_before_creating(storage: Arc<dyn Storage>) {
    let study = storage.create_study("s", &[Minimize]).unwrap().study_id;
    let ask = |limit: Option<u64>, heartbeat: bool| {
        let new = NewTrial { max_sampled_trials: limit, heartbeat, ..Default::default() };
        storage.claim_or_create_trial(study, new).unwrap()
    };
    let enqueue = |x: i64| {
        let fixed = BTreeMap::from([("x".to_string(), ParamValue::Int(x))]);
        storage.create_trial(study, NewTrial { waiting: true, fixed_params: Some(fixed), ..Default::default() })
    };
    let created = ask(None, false).unwrap();
    assert_eq!((created.number, created.state, created.fixed_params.is_none()), (0, TrialState::Running, true));
    enqueue(10).unwrap();
    enqueue(11).unwrap();
    let claimed = ask(None, true).unwrap();
    assert_eq!((claimed.number, claimed.state), (1, TrialState::Running));
    assert_eq!(claimed.fixed_params.as_ref().unwrap()["x"], ParamValue::Int(10));
    assert_eq!(storage.count_beating_trials(study).unwrap(), 1, "claimed with its first heartbeat");
    // One sampled trial exists: at a limit of 1 an ask still claims what
    // waits, then gets nothing.
    let claimed = ask(Some(1), false).unwrap();
    assert_eq!((claimed.number, claimed.fixed_params.unwrap()["x"].clone()), (2, ParamValue::Int(11)));
    assert!(ask(Some(1), false).is_none());
    let created = ask(Some(2), true).unwrap();
    assert_eq!((created.number, created.state), (3, TrialState::Running));
    assert_eq!(storage.count_beating_trials(study).unwrap(), 2, "created with its first heartbeat");

    for x in 0..20 {
        enqueue(100 + x).unwrap();
    }
    let got: Vec<FrozenTrial> = std::thread::scope(|scope| {
        let handles: Vec<_> =
            (0..4).map(|_| scope.spawn(|| (0..10).map(|_| ask(None, false).unwrap()).collect::<Vec<_>>())).collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let claimed: BTreeSet<i64> = got
        .iter()
        .filter_map(|t| match t.fixed_params.as_ref().map(|p| p["x"].clone()) {
            Some(ParamValue::Int(x)) => Some(x),
            _ => None,
        })
        .collect();
    assert_eq!(claimed, (100..120).collect(), "every waiting trial claimed once");
    assert_eq!(got.iter().filter(|t| t.fixed_params.is_none()).count(), 20);
    let numbers: BTreeSet<u64> = storage.all_trials(study).unwrap().iter().map(|t| t.number).collect();
    assert_eq!(numbers, (0..44).collect(), "dense numbers");
    assert!(storage.all_trials(study).unwrap().iter().all(|t| t.state == TrialState::Running));
}

/// `max_sampled_trials` is never overshot, and enqueued trials don't count.
pub fn sampled_trial_limit_is_atomic(storage: Arc<dyn Storage>) {
    let study = storage.create_study("s", &[Minimize]).unwrap().study_id;
    let limited = || NewTrial { max_sampled_trials: Some(30), ..Default::default() };
    let fixed = BTreeMap::from([("x".to_string(), ParamValue::Int(1))]);
    storage.create_trial(study, NewTrial { waiting: true, fixed_params: Some(fixed), ..Default::default() }).unwrap();
    let created: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let storage = &storage;
                scope.spawn(move || {
                    let mut n = 0;
                    while storage.create_trial(study, limited()).unwrap().is_some() {
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(created, 30);
    assert_eq!(storage.all_trials(study).unwrap().len(), 31);
    // Enqueued trials may still be added past the limit.
    let fixed = BTreeMap::from([("x".to_string(), ParamValue::Int(2))]);
    let late = storage.create_trial(study, NewTrial { waiting: true, fixed_params: Some(fixed), ..Default::default() });
    assert_eq!(late.unwrap().unwrap().number, 31);
}

/// Applying incremental changes in order reproduces the full study, and
/// an unchanged study returns nothing.
pub fn incremental_reads_rebuild_the_study(storage: Arc<dyn Storage>) {
    let study = storage.create_study("s", &[Minimize]).unwrap().study_id;
    let other = storage.create_study("other", &[Minimize]).unwrap().study_id;
    let mut mirror: BTreeMap<u64, Arc<FrozenTrial>> = BTreeMap::new();
    let mut cursor = 0;
    let mut sync = |mirror: &mut BTreeMap<u64, Arc<FrozenTrial>>| {
        let changes = storage.trials_changed_since(study, cursor).unwrap();
        assert!(changes.cursor >= cursor);
        cursor = changes.cursor;
        let n = changes.trials.len();
        for t in changes.trials {
            mirror.insert(t.number, t);
        }
        n
    };
    for round in 0..5u64 {
        let t = running(&*storage, study);
        running(&*storage, other);
        storage.set_trial_param(t.trial_id, "x", &float_param(0.0, 10.0, false, round as f64)).unwrap();
        assert!(sync(&mut mirror) >= 1);
        storage.set_trial_intermediate_value(t.trial_id, round, 1.0).unwrap();
        storage.finish_trial(t.trial_id, TrialState::Complete, Some(&[round as f64])).unwrap();
        let changed = sync(&mut mirror);
        assert!((1..=2).contains(&changed), "only the touched trial changed, got {changed}");
        assert_eq!(sync(&mut mirror), 0, "nothing changed since the last read");
        let truth: Vec<Arc<FrozenTrial>> = storage.all_trials(study).unwrap();
        assert_eq!(mirror.values().cloned().collect::<Vec<_>>(), truth);
    }
}

/// Changing a returned trial changes nothing in the storage, and a held
/// snapshot does not change when the storage is written.
pub fn returned_trials_are_snapshots(storage: Arc<dyn Storage>) {
    let study = storage.create_study("s", &[Minimize]).unwrap().study_id;
    let t = running(&*storage, study);
    let held = storage.trials_changed_since(study, 0).unwrap().trials;
    storage.set_trial_param(t.trial_id, "x", &float_param(0.0, 1.0, false, 0.5)).unwrap();
    storage.set_trial_intermediate_value(t.trial_id, 0, 1.0).unwrap();
    assert!(held[0].params.is_empty() && held[0].intermediate_values.is_empty());
    let held_again = storage.trials_changed_since(study, 0).unwrap().trials;
    storage.finish_trial(t.trial_id, TrialState::Failed, None).unwrap();
    assert_eq!(held_again[0].state, TrialState::Running);
    assert_eq!(held_again[0].params.len(), 1);
    let t = running(&*storage, study);
    let mut copy = storage.trial(t.trial_id).unwrap();
    copy.state = TrialState::Complete;
    copy.user_attrs.insert("k".into(), 1.into());
    let fresh = storage.trial(t.trial_id).unwrap();
    assert_eq!(fresh.state, TrialState::Running);
    assert!(fresh.user_attrs.is_empty());
}

/// Unknown study and trial ids give typed errors, not panics.
pub fn unknown_ids_are_errors(storage: Arc<dyn Storage>) {
    assert!(matches!(storage.create_trial(999, NewTrial::default()), Err(Error::StudyNotFound(_))));
    assert!(matches!(storage.trial(999), Err(Error::TrialNotFound(999))));
    assert!(matches!(storage.finish_trial(999, TrialState::Failed, None), Err(Error::TrialNotFound(999))));
    assert!(matches!(storage.finish_trial(999, TrialState::Complete, Some(&[1.0])), Err(Error::TrialNotFound(999))));
    assert!(matches!(storage.delete_study(999), Err(Error::StudyNotFound(_))));
    assert!(matches!(storage.trials_changed_since(999, 0), Err(Error::StudyNotFound(_))));
}

/// A trial whose worker keeps beating is not stale, however long it runs;
/// heartbeats of trials that are not running are refused.
pub fn heartbeats_keep_trials_alive(storage: Arc<dyn Storage>) {
    let study = storage.create_study("s", &[Minimize]).unwrap().study_id;
    let t = running(&*storage, study);
    storage.record_heartbeat(t.trial_id).unwrap();
    // Four beats 150 ms apart outlast a grace period of 400 ms; the margin
    // between a beat and the check after it is wide so that a loaded
    // machine's pause cannot fail the trial.
    for _ in 0..4 {
        std::thread::sleep(Duration::from_millis(150));
        storage.record_heartbeat(t.trial_id).unwrap();
        // 150-600 ms since the first beat, but only just since the last one.
        assert!(storage.fail_stale_trials(study, Duration::from_millis(400)).unwrap().is_empty());
    }
    assert_eq!(storage.trial(t.trial_id).unwrap().state, TrialState::Running);
    storage.finish_trial(t.trial_id, TrialState::Complete, Some(&[1.0])).unwrap();
    assert!(matches!(storage.record_heartbeat(t.trial_id), Err(Error::TrialNotRunning { .. })));
    let waiting = NewTrial { waiting: true, fixed_params: Some(BTreeMap::new()), ..Default::default() };
    let w = storage.create_trial(study, waiting).unwrap().unwrap();
    assert!(matches!(storage.record_heartbeat(w.trial_id), Err(Error::TrialNotRunning { .. })));
    assert!(matches!(storage.record_heartbeat(987_654), Err(Error::TrialNotFound(_))));
}

/// A trial silent for longer than the grace period is failed, with the
/// reason, and returned; its worker's next heartbeat is refused. Other
/// studies' trials are not touched.
pub fn stale_trials_are_failed_with_a_reason(storage: Arc<dyn Storage>) {
    let study = storage.create_study("s", &[Minimize]).unwrap().study_id;
    let other = storage.create_study("other", &[Minimize]).unwrap().study_id;
    let first = running(&*storage, study);
    let stale = running(&*storage, study);
    let elsewhere = running(&*storage, other);
    for t in [&first, &stale, &elsewhere] {
        storage.record_heartbeat(t.trial_id).unwrap();
    }
    storage.finish_trial(first.trial_id, TrialState::Complete, Some(&[1.0])).unwrap();
    assert!(storage.fail_stale_trials(study, Duration::from_secs(60)).unwrap().is_empty());
    let cursor = storage.trials_changed_since(study, 0).unwrap().cursor;
    std::thread::sleep(Duration::from_millis(80));
    let failed = storage.fail_stale_trials(study, Duration::from_millis(20)).unwrap();
    assert_eq!(failed.iter().map(|t| t.number).collect::<Vec<_>>(), vec![stale.number]);
    let reason = failed[0].fail_reason().unwrap().to_owned();
    assert!(reason.starts_with("heartbeat: no heartbeat for "), "{reason}");
    assert!(reason.ends_with(" s (grace period 0 s)"), "{reason}");
    let stored = storage.trial(stale.trial_id).unwrap();
    assert_eq!(stored.state, TrialState::Failed);
    assert_eq!(stored.fail_reason(), Some(reason.as_str()));
    assert!(stored.finished_at_us.is_some());
    // Readers see the failure as a change.
    let changed = storage.trials_changed_since(study, cursor).unwrap().trials;
    assert!(changed.iter().any(|t| t.number == stale.number && t.state == TrialState::Failed));
    assert_eq!(storage.trial(first.trial_id).unwrap().state, TrialState::Complete);
    assert_eq!(storage.trial(elsewhere.trial_id).unwrap().state, TrialState::Running);
    assert!(matches!(storage.record_heartbeat(stale.trial_id), Err(Error::TrialNotRunning { .. })));
    assert!(storage.fail_stale_trials(study, Duration::ZERO).unwrap().is_empty());
}

/// Heartbeats off: a running trial that never beat is never failed, however
/// small the grace period.
pub fn trials_without_heartbeat_are_never_stale(storage: Arc<dyn Storage>) {
    let study = storage.create_study("s", &[Minimize]).unwrap().study_id;
    let quiet = running(&*storage, study);
    let beating = running(&*storage, study);
    storage.record_heartbeat(beating.trial_id).unwrap();
    std::thread::sleep(Duration::from_millis(30));
    let failed = storage.fail_stale_trials(study, Duration::ZERO).unwrap();
    assert_eq!(failed.iter().map(|t| t.number).collect::<Vec<_>>(), vec![beating.number]);
    assert_eq!(storage.trial(quiet.trial_id).unwrap().state, TrialState::Running);
}

/// Workers checking for stale trials at the same moment fail each trial
/// once: every stale trial is returned to exactly one of them.
pub fn concurrent_stale_checks_fail_each_trial_once(storage: Arc<dyn Storage>) {
    let study = storage.create_study("s", &[Minimize]).unwrap().study_id;
    let trials: Vec<FrozenTrial> = (0..12).map(|_| running(&*storage, study)).collect();
    for t in &trials {
        storage.record_heartbeat(t.trial_id).unwrap();
    }
    std::thread::sleep(Duration::from_millis(40));
    let workers = 4;
    let barrier = Arc::new(Barrier::new(workers));
    let handles: Vec<_> = (0..workers)
        .map(|_| {
            let storage = storage.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                storage.fail_stale_trials(study, Duration::from_millis(10)).unwrap()
            })
        })
        .collect();
    let mut claimed: Vec<u64> = Vec::new();
    for handle in handles {
        claimed.extend(handle.join().unwrap().iter().map(|t| t.number));
    }
    claimed.sort_unstable();
    assert_eq!(claimed, trials.iter().map(|t| t.number).collect::<Vec<_>>(), "each stale trial failed exactly once");
    assert!(storage.all_trials(study).unwrap().iter().all(|t| t.state == TrialState::Failed));
}

/// A trial created with intermediate values (a retry inheriting its
/// original's) has them, as created, once claimed and once finished.
pub fn new_trials_start_with_the_given_intermediate_values(storage: Arc<dyn Storage>) {
    let study = storage.create_study("s", &[Minimize]).unwrap().study_id;
    let values = BTreeMap::from([(0, 0.5), (3, 0.25), (7, f64::NAN)]);
    let new = NewTrial {
        waiting: true,
        fixed_params: Some(BTreeMap::new()),
        intermediate_values: values.clone(),
        ..Default::default()
    };
    let same = |got: &BTreeMap<u64, f64>| {
        got.len() == values.len() && got.iter().zip(&values).all(|((s, v), (t, w))| s == t && v.total_cmp(w).is_eq())
    };
    let created = storage.create_trial(study, new).unwrap().unwrap();
    assert!(same(&created.intermediate_values), "{:?}", created.intermediate_values);
    let claimed = storage.claim_waiting_trial(study).unwrap().unwrap();
    assert!(same(&claimed.intermediate_values), "{:?}", claimed.intermediate_values);
    storage.set_trial_intermediate_value(claimed.trial_id, 8, 0.125).unwrap();
    let finished = storage.finish_trial(claimed.trial_id, TrialState::Pruned, Some(&[0.125])).unwrap();
    assert_eq!(finished.intermediate_values.len(), 4);
    assert_eq!(finished.intermediate_values[&3], 0.25);
    let running = storage.create_trial(study, NewTrial::default()).unwrap().unwrap();
    assert!(storage.trial(running.trial_id).unwrap().intermediate_values.is_empty());
}

/// A trial created or claimed with its first heartbeat (`NewTrial::heartbeat`,
/// `claim_waiting_trial_with_heartbeat`) goes stale without any later beat,
/// as when its worker dies before its heartbeat thread starts; one created
/// without does not. A waiting trial has no heartbeat until claimed.
/// `count_beating_trials` counts the running trials that have one.
pub fn trials_can_start_with_a_heartbeat(storage: Arc<dyn Storage>) {
    let study = storage.create_study("s", &[Minimize]).unwrap().study_id;
    let beating = NewTrial { heartbeat: true, ..Default::default() };
    let created = storage.create_trial(study, beating).unwrap().unwrap();
    let quiet = running(&*storage, study);
    let waiting =
        NewTrial { waiting: true, fixed_params: Some(BTreeMap::new()), heartbeat: true, ..Default::default() };
    let enqueued = storage.create_trial(study, waiting).unwrap().unwrap();
    assert_eq!(storage.count_beating_trials(study).unwrap(), 1);
    std::thread::sleep(Duration::from_millis(30));
    let failed = storage.fail_stale_trials(study, Duration::from_millis(10)).unwrap();
    assert_eq!(failed.iter().map(|t| t.number).collect::<Vec<_>>(), vec![created.number]);
    assert_eq!(storage.count_beating_trials(study).unwrap(), 0);
    assert_eq!(storage.trial(enqueued.trial_id).unwrap().state, TrialState::Waiting);
    let claimed = storage.claim_waiting_trial_with_heartbeat(study).unwrap().unwrap();
    assert_eq!((claimed.number, claimed.state), (enqueued.number, TrialState::Running));
    assert_eq!(storage.count_beating_trials(study).unwrap(), 1);
    std::thread::sleep(Duration::from_millis(30));
    let failed = storage.fail_stale_trials(study, Duration::from_millis(10)).unwrap();
    assert_eq!(failed.iter().map(|t| t.number).collect::<Vec<_>>(), vec![claimed.number]);
    assert_eq!(storage.trial(quiet.trial_id).unwrap().state, TrialState::Running);
}

/// `fail_stale_trials_and_retry` fails each stale trial once and enqueues
/// the retry the closure makes of it, numbered after the trials already
/// there; a trial the closure declines is failed without one.
pub fn stale_trials_are_failed_and_retried_in_one_write(storage: Arc<dyn Storage>) {
    let study = storage.create_study("s", &[Minimize]).unwrap().study_id;
    let (a, b) = (running(&*storage, study), running(&*storage, study));
    let x = float_param(0.0, 1.0, false, 0.25);
    storage.set_trial_param(a.trial_id, "x", &x).unwrap();
    for t in [&a, &b] {
        storage.record_heartbeat(t.trial_id).unwrap();
    }
    std::thread::sleep(Duration::from_millis(30));
    let retry = |t: &FrozenTrial| {
        (t.number == a.number).then(|| NewTrial {
            waiting: true,
            fixed_params: Some(t.param_values()),
            system_attrs: BTreeMap::from([("retry_of".to_owned(), t.number.into())]),
            ..Default::default()
        })
    };
    let failed = storage.fail_stale_trials_and_retry(study, Duration::from_millis(10), &retry).unwrap();
    assert_eq!(failed.iter().map(|t| t.number).collect::<Vec<_>>(), vec![a.number, b.number]);
    assert!(failed.iter().all(|t| t.state == TrialState::Failed && t.fail_reason().is_some()));
    let all = storage.trials_changed_since(study, 0).unwrap().trials;
    assert_eq!(all.len(), 3, "one retry");
    let copy = all.iter().find(|t| t.number == 2).unwrap();
    assert_eq!(copy.state, TrialState::Waiting);
    assert_eq!(copy.fixed_params, Some(BTreeMap::from([("x".to_owned(), ParamValue::Float(0.25))])));
    assert_eq!(copy.system_attrs["retry_of"].as_u64(), Some(a.number));
    // Nothing is stale now: nothing failed, nothing created.
    assert!(storage.fail_stale_trials_and_retry(study, Duration::ZERO, &retry).unwrap().is_empty());
    assert_eq!(storage.trials_changed_since(study, 0).unwrap().trials.len(), 3);
    // The retry is an enqueued trial: claimed first, not counted as sampled.
    let new = NewTrial { max_sampled_trials: Some(2), ..Default::default() };
    assert!(storage.create_trial(study, new).unwrap().is_none());
    assert_eq!(storage.claim_waiting_trial(study).unwrap().unwrap().number, 2);
}

fn enqueue_once(params: &BTreeMap<String, ParamValue>) -> NewTrial {
    NewTrial { waiting: true, fixed_params: Some(params.clone()), skip_if_exists: true, ..Default::default() }
}

/// `skip_if_exists` (Optuna's rule, `FrozenTrial::repeats_params`): an
/// enqueued trial stands for its fixed parameters, a sampled one for what
/// it suggested, in any state; other names or kinds of value are another
/// configuration. Without the flag, enqueueing always adds a trial.
pub fn skip_if_exists_finds_the_same_configuration(storage: Arc<dyn Storage>) {
    let study = storage.create_study("s", &[Minimize]).unwrap().study_id;
    let other = storage.create_study("other", &[Minimize]).unwrap().study_id;
    let p = |pairs: &[(&str, ParamValue)]| -> BTreeMap<String, ParamValue> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
    };
    let a = p(&[("x", ParamValue::Float(0.5)), ("kind", ParamValue::Str("b".into()))]);
    let first = storage.create_trial(study, enqueue_once(&a)).unwrap().unwrap();
    assert_eq!((first.number, first.state), (0, TrialState::Waiting));
    let again = storage.create_trial(study, enqueue_once(&a)).unwrap().unwrap();
    assert_eq!((again.trial_id, again.number), (first.trial_id, 0));
    assert_eq!(again.fixed_params.as_ref(), Some(&a));
    // Another study has its own trials.
    assert_eq!(storage.create_trial(other, enqueue_once(&a)).unwrap().unwrap().number, 0);

    // The enqueued trial, claimed and finished, still stands for it.
    let claimed = storage.claim_waiting_trial(study).unwrap().unwrap();
    storage.set_trial_param(claimed.trial_id, "x", &float_param(0.0, 1.0, false, 0.5)).unwrap();
    storage.finish_trial(claimed.trial_id, TrialState::Failed, None).unwrap();
    assert_eq!(storage.create_trial(study, enqueue_once(&a)).unwrap().unwrap().number, 0);

    // A subset, a superset or another kind of value is not the same.
    let x_only = p(&[("x", ParamValue::Float(0.5))]);
    let x_int = p(&[("x", ParamValue::Int(1))]);
    let x_float = p(&[("x", ParamValue::Float(1.0))]);
    assert_eq!(storage.create_trial(study, enqueue_once(&x_only)).unwrap().unwrap().number, 1);
    assert_eq!(storage.create_trial(study, enqueue_once(&x_int)).unwrap().unwrap().number, 2);
    assert_eq!(storage.create_trial(study, enqueue_once(&x_float)).unwrap().unwrap().number, 3);

    // A sampled trial stands for the values it suggested, once it has any.
    let sampled = running(&*storage, study);
    assert_eq!(sampled.number, 4);
    let empty = BTreeMap::new();
    let enqueued_empty = storage.create_trial(study, enqueue_once(&empty)).unwrap().unwrap();
    assert_eq!(enqueued_empty.number, 5, "a trial that suggested nothing is no configuration");
    let y = IntDistribution::new(0, 10, false, 1).unwrap();
    storage
        .set_trial_param(sampled.trial_id, "y", &TrialParam { distribution: Distribution::Int(y), internal: 7.0 })
        .unwrap();
    storage.set_trial_param(sampled.trial_id, "x", &float_param(0.0, 1.0, false, 0.25)).unwrap();
    storage.finish_trial(sampled.trial_id, TrialState::Complete, Some(&[1.0])).unwrap();
    let xy = p(&[("x", ParamValue::Float(0.25)), ("y", ParamValue::Int(7))]);
    assert_eq!(storage.create_trial(study, enqueue_once(&xy)).unwrap().unwrap().number, 4);
    let y_only = p(&[("y", ParamValue::Int(7))]);
    assert_eq!(storage.create_trial(study, enqueue_once(&y_only)).unwrap().unwrap().number, 6);
    // The flag says nothing for a sampled trial, and nothing when off.
    let not_enqueued = NewTrial { skip_if_exists: true, ..Default::default() };
    assert_eq!(storage.create_trial(study, not_enqueued).unwrap().unwrap().number, 7);
    let plain = NewTrial { waiting: true, fixed_params: Some(a.clone()), ..Default::default() };
    assert_eq!(storage.create_trial(study, plain).unwrap().unwrap().number, 8);
    // With two matches, the lowest-numbered is the one.
    assert_eq!(storage.create_trial(study, enqueue_once(&a)).unwrap().unwrap().number, 0);
    assert_eq!(storage.all_trials(study).unwrap().len(), 9);
}

/// Workers enqueueing the same configurations at the same moment (every
/// `ferrotune run` of a fresh study enqueues its config's `[[enqueue]]`
/// trials) create each exactly once, all told the same trial.
pub fn concurrent_skip_if_exists_enqueues_once(storage: Arc<dyn Storage>) {
    let study = storage.create_study("s", &[Minimize]).unwrap().study_id;
    let configs: Vec<BTreeMap<String, ParamValue>> =
        (0..3).map(|i| BTreeMap::from([("x".to_owned(), ParamValue::Int(i))])).collect();
    let n_threads = 8;
    let barrier = Barrier::new(n_threads);
    let told: Vec<Vec<(i64, u64)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..n_threads)
            .map(|_| {
                let (storage, barrier, configs) = (&storage, &barrier, &configs);
                scope.spawn(move || {
                    barrier.wait();
                    configs
                        .iter()
                        .map(|c| {
                            let t = storage.create_trial(study, enqueue_once(c)).unwrap().unwrap();
                            assert_eq!(t.fixed_params.as_ref(), Some(c));
                            (t.trial_id, t.number)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let all = storage.all_trials(study).unwrap();
    assert_eq!(all.len(), configs.len(), "each configuration once: {all:?}");
    for (i, config) in configs.iter().enumerate() {
        let trial = all.iter().find(|t| t.fixed_params.as_ref() == Some(config)).unwrap();
        assert!(told.iter().all(|each| each[i] == (trial.trial_id, trial.number)), "{told:?}");
    }
}

/// `add_trial` writes a whole finished or waiting trial with the next
/// number, keeping everything given (its times included); it refuses what
/// the study could not hold and leaves no gap in the numbering when it does.
pub fn added_trials_keep_everything_given(storage: Arc<dyn Storage>) {
    let study = storage.create_study("s", &[Minimize, Maximize]).unwrap().study_id;
    let first = running(&*storage, study);
    let cursor = storage.trials_changed_since(study, 0).unwrap().cursor;
    let x = Distribution::Float(FloatDistribution::new(0.0, 1.0, false, None).unwrap());
    let n = Distribution::Int(IntDistribution::new(1, 9, false, 2).unwrap());
    let opt = Distribution::categorical(vec![ParamValue::from("sgd"), 3.into(), true.into()]).unwrap();
    let given = FrozenTrial::builder(57)
        .trial_id(-3)
        .values(&[0.5, f64::NAN])
        .param("x", &x, 0.25)
        .param("n", &n, 7.0)
        .param("opt", &opt, 2.0)
        .intermediate(0, 3.0)
        .intermediate(4, f64::NAN)
        .intermediate_vector(5, &[1.0, -2.0])
        .user_attr("note", serde_json::json!({"a": [1, "b"]}))
        .system_attr("origin", "copied")
        .fixed_param("x", 0.25)
        .times_us(Some(1_000_000), Some(3_500_000))
        .build();
    let added = storage.add_trial(study, &given).unwrap();
    assert_eq!(added.number, 1);
    assert_ne!(added.trial_id, first.trial_id);
    let stored = storage.trial(added.trial_id).unwrap();
    // NaN != NaN, so compare the values bit for bit and the rest as data.
    let bits = |t: &FrozenTrial| t.values.as_ref().map(|v| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>());
    assert_eq!(bits(&stored), bits(&given));
    assert_eq!(bits(&added), bits(&given));
    for t in [&stored, &*added] {
        assert_eq!((t.number, t.trial_id, t.state), (1, added.trial_id, TrialState::Complete));
        assert_eq!(t.params, given.params);
        assert_eq!(t.param_values()["opt"], ParamValue::Bool(true));
        assert_eq!(t.intermediate_values.len(), 3);
        assert_eq!((t.intermediate_values[&0], t.intermediate_values[&5]), (3.0, 1.0));
        assert!(t.intermediate_values[&4].is_nan());
        assert_eq!(t.intermediate_vectors, given.intermediate_vectors);
        assert_eq!(t.user_attrs, given.user_attrs);
        assert_eq!(t.system_attrs, given.system_attrs);
        assert_eq!(t.fixed_params, given.fixed_params);
        assert_eq!((t.started_at_us, t.finished_at_us), (Some(1_000_000), Some(3_500_000)));
    }
    // Readers polling the study see it as any other write.
    let changed = storage.trials_changed_since(study, cursor).unwrap().trials;
    assert_eq!(changed.iter().map(|t| t.number).collect::<Vec<_>>(), [1]);
    // Finished as it was written: nothing changes it afterwards.
    assert!(matches!(
        storage.set_trial_attr(added.trial_id, AttrScope::User, "k", &1.into()),
        Err(Error::TrialNotRunning { number: 1, .. })
    ));

    // Pruned and failed trials need no values.
    let pruned = storage.add_trial(study, &FrozenTrial::builder(0).state(TrialState::Pruned).build()).unwrap();
    let failed = storage
        .add_trial(study, &FrozenTrial::builder(0).state(TrialState::Failed).system_attr("fail_reason", "x").build())
        .unwrap();
    assert_eq!((pruned.number, failed.number), (2, 3));
    assert_eq!(storage.trial(failed.trial_id).unwrap().fail_reason(), Some("x"));

    // A waiting trial is claimed like an enqueued one, its parameters kept.
    let waiting = FrozenTrial::builder(0).state(TrialState::Waiting).param("x", &x, 0.75).times_us(None, None).build();
    let waiting = storage.add_trial(study, &waiting).unwrap();
    assert_eq!((waiting.number, waiting.state), (4, TrialState::Waiting));
    let claimed = storage.claim_waiting_trial(study).unwrap().unwrap();
    assert_eq!((claimed.number, claimed.state), (4, TrialState::Running));
    assert_eq!(claimed.params["x"].internal, 0.75);
    assert!(claimed.started_at_us.is_some());

    // Refused, each with nothing written.
    let refused = [
        FrozenTrial::builder(0).state(TrialState::Running).build(),
        FrozenTrial::builder(0).values(&[1.0]).build(),
        FrozenTrial::builder(0).build(),
        FrozenTrial::builder(0).state(TrialState::Waiting).values(&[1.0, 2.0]).build(),
        FrozenTrial::builder(0).state(TrialState::Waiting).times_us(None, Some(5)).build(),
        FrozenTrial::builder(0).values(&[1.0, 2.0]).param("n", &n, 2.0).build(),
    ];
    for trial in &refused {
        assert!(matches!(storage.add_trial(study, trial), Err(Error::InvalidArgument(_))), "{trial:?} was added");
    }
    assert!(matches!(
        storage.add_trial(study + 1000, &FrozenTrial::builder(0).values(&[1.0, 2.0]).build()),
        Err(Error::StudyNotFound(_))
    ));
    assert_eq!(storage.all_trials(study).unwrap().len(), 5);

    // Added trials are not sampled ones: one more (after `first`) fits
    // under a limit of two sampled trials, and the next does not.
    let limited = || NewTrial { max_sampled_trials: Some(2), ..Default::default() };
    assert_eq!(storage.create_trial(study, limited()).unwrap().map(|t| t.number), Some(5));
    assert!(storage.create_trial(study, limited()).unwrap().is_none());

    // Adding while other threads create: every number once, none skipped.
    let other = storage.create_study("other", &[Minimize]).unwrap().study_id;
    let numbers: Vec<u64> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..6)
            .map(|worker| {
                let storage = &storage;
                scope.spawn(move || {
                    (0..10)
                        .map(|i| match worker % 2 {
                            0 => {
                                storage
                                    .add_trial(other, &FrozenTrial::builder(0).value(i as f64).build())
                                    .unwrap()
                                    .number
                            }
                            _ => running(&**storage, other).number,
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(numbers.iter().copied().collect::<BTreeSet<_>>(), (0..60).collect::<BTreeSet<_>>());
    let stored = storage.all_trials(other).unwrap();
    assert_eq!(stored.iter().map(|t| t.number).collect::<Vec<_>>(), (0..60).collect::<Vec<_>>());
    assert_eq!(stored.iter().filter(|t| t.state == TrialState::Complete).count(), 30);
}

/// Objective values of plus and minus infinity complete a trial (as in
/// Optuna, only NaN fails one): a diverged run is a valid, worst
/// observation, so every backend must keep the sign and read it back
/// exactly, through each way a trial is finished or added, and likewise
/// for intermediate values.
pub fn infinite_values_round_trip(storage: Arc<dyn Storage>) {
    let (inf, ninf) = (f64::INFINITY, f64::NEG_INFINITY);
    let study = storage.create_study("inf", &[Minimize, Maximize]).unwrap().study_id;
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();

    let plain = running(&*storage, study);
    storage.set_trial_intermediate_value(plain.trial_id, 0, inf).unwrap();
    storage.set_trial_intermediate_value(plain.trial_id, 1, ninf).unwrap();
    storage.set_trial_intermediate_values(plain.trial_id, 2, &[ninf, inf]).unwrap();
    let done = storage.finish_trial(plain.trial_id, TrialState::Complete, Some(&[inf, ninf])).unwrap();
    assert_eq!(bits(done.values.as_deref().unwrap()), bits(&[inf, ninf]));

    let known = running(&*storage, study);
    let x = float_param(0.0, 1.0, false, 0.5);
    let mut held = known.clone();
    held.params.insert("x".to_owned(), x.clone());
    storage.finish_known_trial(&held, &[("x".to_owned(), x)], TrialState::Complete, Some(&[ninf, inf])).unwrap();

    let given = FrozenTrial::builder(0).values(&[inf, inf]).intermediate(3, ninf).build();
    let added = storage.add_trial(study, &given).unwrap();

    // Read back both ways: one trial at a time and the whole study at once.
    let all = storage.trials_changed_since(study, 0).unwrap().trials;
    let by_id = |id: i64| FrozenTrial::clone(all.iter().find(|t| t.trial_id == id).unwrap());
    for back in [storage.trial(plain.trial_id).unwrap(), by_id(plain.trial_id)] {
        assert_eq!(back.state, TrialState::Complete);
        assert_eq!(bits(back.values.as_deref().unwrap()), bits(&[inf, ninf]));
        assert_eq!(back.intermediate_values[&0], inf);
        assert_eq!(back.intermediate_values[&1], ninf);
        assert_eq!(bits(&back.intermediate_vectors[&2]), bits(&[ninf, inf]));
    }
    for back in [storage.trial(known.trial_id).unwrap(), by_id(known.trial_id)] {
        assert_eq!(back.state, TrialState::Complete);
        assert_eq!(bits(back.values.as_deref().unwrap()), bits(&[ninf, inf]));
        assert_eq!(back.params["x"].internal, 0.5);
    }
    for back in [storage.trial(added.trial_id).unwrap(), by_id(added.trial_id)] {
        assert_eq!(back.state, TrialState::Complete);
        assert_eq!(bits(back.values.as_deref().unwrap()), bits(&[inf, inf]));
        assert_eq!(back.intermediate_values[&3], ninf);
    }
}

/// A trial's parameters come back in the order they were set (Optuna's
/// `trial.params` order), not by name: written one at a time, in batches,
/// with the tell, by a trial picked up again after a read (a resumed
/// trial), by an enqueued trial, and by `add_trial`; read one trial at a
/// time and the whole study at once.
pub fn params_come_back_in_the_order_they_were_set(storage: Arc<dyn Storage>) {
    let study = storage.create_study("order", &[Minimize]).unwrap().study_id;
    let names = |t: &FrozenTrial| t.params.keys().cloned().collect::<Vec<_>>();
    let param = |internal: f64| float_param(0.0, 10.0, false, internal);

    let sampled = running(&*storage, study);
    storage.set_trial_param(sampled.trial_id, "zeta", &param(1.0)).unwrap();
    storage.set_trial_param(sampled.trial_id, "alpha", &param(2.0)).unwrap();
    storage
        .set_trial_params(sampled.trial_id, &[("mu".to_owned(), param(3.0)), ("beta".to_owned(), param(4.0))])
        .unwrap();
    // Resumed: what the storage holds so far, then more on top of it.
    let mut resumed = storage.trial(sampled.trial_id).unwrap();
    assert_eq!(names(&resumed), ["zeta", "alpha", "mu", "beta"]);
    storage.set_trial_param(sampled.trial_id, "gamma", &param(5.0)).unwrap();
    resumed.params.insert("gamma".to_owned(), param(5.0));
    resumed.params.insert("delta".to_owned(), param(6.0));
    storage
        .finish_known_trial(&resumed, &[("delta".to_owned(), param(6.0))], TrialState::Complete, Some(&[1.0]))
        .unwrap();

    let fixed = BTreeMap::from([("a".to_owned(), ParamValue::Float(1.0)), ("b".to_owned(), ParamValue::Float(2.0))]);
    storage.create_trial(study, NewTrial { fixed_params: Some(fixed), waiting: true, ..NewTrial::default() }).unwrap();
    let enqueued = storage.claim_waiting_trial(study).unwrap().unwrap();
    storage.set_trial_param(enqueued.trial_id, "b", &param(2.0)).unwrap();
    storage.set_trial_param(enqueued.trial_id, "a", &param(1.0)).unwrap();
    storage.finish_trial(enqueued.trial_id, TrialState::Complete, Some(&[2.0])).unwrap();

    let mut given = FrozenTrial::builder(0).value(3.0).build();
    for (name, internal) in [("y", 1.0), ("x", 2.0), ("w", 3.0)] {
        given.params.insert(name.to_owned(), param(internal));
    }
    let added = storage.add_trial(study, &given).unwrap();
    assert_eq!(names(&added), ["y", "x", "w"]);

    let all = storage.trials_changed_since(study, 0).unwrap().trials;
    let expected: [(i64, &[&str]); 3] = [
        (sampled.trial_id, &["zeta", "alpha", "mu", "beta", "gamma", "delta"]),
        (enqueued.trial_id, &["b", "a"]),
        (added.trial_id, &["y", "x", "w"]),
    ];
    for (trial_id, order) in expected {
        let in_study = all.iter().find(|t| t.trial_id == trial_id).unwrap();
        assert_eq!(names(in_study), order, "trial {trial_id} read with its study");
        assert_eq!(names(&storage.trial(trial_id).unwrap()), order, "trial {trial_id} read alone");
    }
    let values: Vec<f64> = all[0].params.values().map(|p| p.internal).collect();
    assert_eq!(values, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "each name keeps its own value");
}
