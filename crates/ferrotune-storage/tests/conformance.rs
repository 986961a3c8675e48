//! The storage contract, checked for every backend in this crate.

use std::sync::Arc;

use ferrotune_core::Storage;
use ferrotune_storage::{InMemoryStorage, SqliteStorage};

mod memory {
    use super::*;
    ferrotune_storage::storage_conformance_tests!(|| (Arc::new(InMemoryStorage::new()) as Arc<dyn Storage>, ()));
}

mod sqlite {
    use super::*;
    fn fresh() -> (Arc<dyn Storage>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let storage = SqliteStorage::open(dir.path().join("study.db")).unwrap();
        (Arc::new(storage), dir)
    }
    ferrotune_storage::storage_conformance_tests!(fresh);
}

/// A database written by the first schema (before per-objective
/// intermediate values and heartbeats) opens, is upgraded in place, and keeps its data.
#[test]
fn a_version_1_database_is_upgraded_and_keeps_its_trials() {
    use ferrotune_core::{NewTrial, StudyDirection, TrialState};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let storage = SqliteStorage::open(&path).unwrap();
    let study = storage.create_study("old", &[StudyDirection::Minimize]).unwrap().study_id;
    let t = storage.create_trial(study, NewTrial::default()).unwrap().unwrap();
    storage.set_trial_intermediate_value(t.trial_id, 0, 0.5).unwrap();
    storage.finish_trial(t.trial_id, TrialState::Complete, Some(&[1.0])).unwrap();
    drop(storage);
    // Turn the file back into a version-1 database.
    let db = rusqlite::Connection::open(&path).unwrap();
    db.execute_batch(
        "DROP TABLE trial_intermediate_vectors; ALTER TABLE trials DROP COLUMN heartbeat_at;
         ALTER TABLE trials DROP COLUMN create_token; ALTER TABLE trials DROP COLUMN write_token;
         ALTER TABLE studies DROP COLUMN create_token; ALTER TABLE studies DROP COLUMN write_token;
         ALTER TABLE trial_params DROP COLUMN param_index; UPDATE ferrotune_schema SET version = 1;",
    )
    .unwrap();
    drop(db);

    let storage = SqliteStorage::open(&path).unwrap();
    let trials = storage.all_trials(study).unwrap();
    assert_eq!(trials.len(), 1);
    assert_eq!(trials[0].intermediate_values[&0], 0.5);
    let t = storage.create_trial(study, NewTrial::default()).unwrap().unwrap();
    storage.set_trial_intermediate_values(t.trial_id, 0, &[0.25, 0.75]).unwrap();
    assert_eq!(storage.trial(t.trial_id).unwrap().intermediate_vectors[&0], vec![0.25, 0.75]);
    storage.record_heartbeat(t.trial_id).unwrap();
    let version: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("SELECT version FROM ferrotune_schema", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, ferrotune_storage::sql::SCHEMA_VERSION);
}

/// A database of schema 5 (parameters without their order) opens and is
/// upgraded: its trials' parameters read back by name, as that schema gave
/// them, and a trial still running when it was written, resumed after the
/// upgrade, has the parameters it suggests next after those, in order.
#[test]
fn a_version_5_database_keeps_its_params_and_orders_new_ones() {
    use ferrotune_core::{Distribution, NewTrial, StudyDirection, TrialParam, TrialState};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let param = TrialParam { distribution: Distribution::float(0.0, 1.0).unwrap(), internal: 0.5 };
    let names = |t: &ferrotune_core::FrozenTrial| t.params.keys().cloned().collect::<Vec<_>>();
    let storage = SqliteStorage::open(&path).unwrap();
    let study = storage.create_study("old", &[StudyDirection::Minimize]).unwrap().study_id;
    let done = storage.create_trial(study, NewTrial::default()).unwrap().unwrap();
    let running = storage.create_trial(study, NewTrial::default()).unwrap().unwrap();
    for trial in [&done, &running] {
        storage.set_trial_param(trial.trial_id, "z", &param).unwrap();
        storage.set_trial_param(trial.trial_id, "a", &param).unwrap();
    }
    storage.finish_trial(done.trial_id, TrialState::Complete, Some(&[1.0])).unwrap();
    drop(storage);
    let db = rusqlite::Connection::open(&path).unwrap();
    db.execute_batch("ALTER TABLE trial_params DROP COLUMN param_index; UPDATE ferrotune_schema SET version = 5;")
        .unwrap();
    drop(db);

    let storage = SqliteStorage::open(&path).unwrap();
    assert_eq!(names(&storage.trial(done.trial_id).unwrap()), ["a", "z"]);
    storage.set_trial_param(running.trial_id, "y", &param).unwrap();
    storage.set_trial_param(running.trial_id, "b", &param).unwrap();
    storage.finish_trial(running.trial_id, TrialState::Complete, Some(&[2.0])).unwrap();
    let trials = storage.all_trials(study).unwrap();
    assert_eq!(names(&trials[0]), ["a", "z"]);
    assert_eq!(names(&trials[1]), ["a", "z", "y", "b"]);
}

mod journal {
    use super::*;
    fn fresh() -> (Arc<dyn Storage>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let storage = ferrotune_storage::JournalStorage::open(dir.path().join("study.log")).unwrap();
        (Arc::new(storage), dir)
    }
    ferrotune_storage::storage_conformance_tests!(fresh);
}
