//! The journal's own checks; the storage contract is in
//! `tests/conformance.rs`, interop with Optuna in the Python tests.

use super::*;

fn journal() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("study.log");
    (dir, path)
}

/// Lines another process appends are seen by the next read, and a line
/// still being written (no newline yet) waits.
#[test]
fn appended_lines_are_read_incrementally_and_partial_lines_wait() {
    let (_dir, path) = journal();
    let storage = JournalStorage::open(&path).unwrap();
    let other = JournalStorage::open(&path).unwrap();
    let study = storage.create_study("s", &[StudyDirection::Minimize]).unwrap();
    assert_eq!(other.study_by_name("s").unwrap().unwrap().study_id, study.study_id);
    let line = r#"{"op_code":4,"worker_id":"w","study_id":0,"datetime_start":"2024-05-01T12:00:00.000000+00:00"}"#;
    let mut file = OpenOptions::new().append(true).open(&path).unwrap();
    file.write_all(&line.as_bytes()[..20]).unwrap();
    assert!(storage.all_trials(study.study_id).unwrap().is_empty());
    file.write_all(&line.as_bytes()[20..]).unwrap();
    file.write_all(b"\n").unwrap();
    let trials = storage.all_trials(study.study_id).unwrap();
    assert_eq!(trials.len(), 1);
    assert_eq!(trials[0].started_at_us, Some(1_714_564_800_000_000));
}

/// A broken line names the file and the line.
#[test]
fn a_broken_line_is_an_error_naming_it() {
    let (_dir, path) = journal();
    std::fs::write(&path, "{\"op_code\":0,\"worker_id\":\"w\",\"study_name\":\"s\",\"directions\":[1]}\nnot json\n")
        .unwrap();
    let err = JournalStorage::open(&path).err().unwrap().to_string();
    assert!(err.contains("line 2") && err.contains("study.log"), "{err}");
}

/// Named constraints travel as Optuna's list plus their names, and come
/// back named; a stale lock left by a dead process is broken after the
/// grace period.
#[test]
fn named_constraints_and_stale_locks() {
    let (_dir, path) = journal();
    let storage = JournalStorage::open_with(
        &path,
        JournalOptions { lock: JournalLockKind::Open, lock_grace_period: Some(Duration::from_millis(300)) },
    )
    .unwrap();
    let study = storage.create_study("s", &[StudyDirection::Minimize]).unwrap().study_id;
    let trial = storage.create_trial(study, NewTrial::default()).unwrap().unwrap();
    let named = serde_json::json!({"memory": 1.5, "time": -2.0});
    storage.set_trial_attr(trial.trial_id, AttrScope::System, CONSTRAINTS_ATTR, &named).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(r#""constraints":[1.5,-2.0]"#), "{text}");
    let reread = JournalStorage::open(&path).unwrap();
    assert_eq!(reread.trial(trial.trial_id).unwrap().system_attrs[CONSTRAINTS_ATTR], named);

    let mut lock = path.as_os_str().to_owned();
    lock.push(".lock");
    std::fs::write(&lock, b"").unwrap();
    let started = std::time::Instant::now();
    storage.finish_trial(trial.trial_id, TrialState::Complete, Some(&[1.0])).unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(!Path::new(&lock).exists());
}

/// The URL forms `open` takes for a journal, and the errors of the wrong ones.
#[test]
fn journal_urls_open_the_file_or_say_the_form() {
    let (dir, path) = journal();
    let storage = crate::open(&format!("journal:///{}?lock=open", path.display())).unwrap();
    storage.create_study("by-url", &[StudyDirection::Maximize]).unwrap();
    let bare = crate::open(path.to_str().unwrap()).unwrap();
    assert_eq!(bare.list_studies().unwrap()[0].name, "by-url");
    let err = crate::open(&format!("journal:///{}?lock=flock", path.display())).err().unwrap().to_string();
    assert!(err.contains("lock=open"), "{err}");
    let err = crate::open("journal:study.log").err().unwrap().to_string();
    assert!(err.contains("journal:///study.log"), "{err}");
    let err = crate::open("journal:///").err().unwrap().to_string();
    assert!(err.contains("names no file"), "{err}");
    let missing = dir.path().join("no-such-folder").join("x.log");
    let err = crate::open(missing.to_str().unwrap()).err().unwrap().to_string();
    assert!(err.contains("no-such-folder"), "{err}");
}
