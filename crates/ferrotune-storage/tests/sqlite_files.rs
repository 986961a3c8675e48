//! The SQLite storage as a file users handle: copied, made read-only,
//! locked by another program, broken. Each test names the user-visible
//! problem it guards against (issue 17).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use ferrotune_core::{Error, NewTrial, Storage, StudyDirection, TrialState};
use ferrotune_storage::SqliteStorage;

/// A study "s" with `n` complete trials, values 0, 1, 2, ...
fn fill(storage: &dyn Storage, n: usize) -> i64 {
    let study = storage.create_study("s", &[StudyDirection::Minimize]).unwrap().study_id;
    for i in 0..n {
        let t = storage.create_trial(study, NewTrial::default()).unwrap().unwrap();
        storage.finish_trial(t.trial_id, TrialState::Complete, Some(&[i as f64])).unwrap();
    }
    study
}

fn n_trials_in(path: &Path) -> usize {
    let storage = SqliteStorage::open(path).unwrap();
    let study = storage.study_by_name("s").unwrap().expect("the copy holds the study");
    storage.all_trials(study.study_id).unwrap().len()
}

fn message(e: Error) -> String {
    e.to_string()
}

// ---------------------------------------------------------------- WAL

/// Users copy the `.db` file alone. Dropping the storage must leave every
/// trial in it, even when another connection (a reader in another
/// process, a notebook) keeps the file open, so SQLite's own checkpoint on
/// the last close does not run.
#[test]
fn dropping_the_storage_leaves_every_trial_in_the_db_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("study.db");
    let storage = SqliteStorage::open(&path).unwrap();
    // A reader that has read once holds the file open (and its share of
    // the WAL index) until it closes.
    let other = rusqlite::Connection::open(&path).unwrap();
    let n: i64 = other.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0)).unwrap();
    assert!(n > 0);
    fill(&storage, 20);
    drop(storage);

    let copy = dir.path().join("copy.db");
    std::fs::copy(&path, &copy).unwrap();
    assert_eq!(n_trials_in(&copy), 20);
    drop(other);
}

/// `checkpoint` does the same for a storage that stays open.
#[test]
fn a_checkpoint_puts_every_trial_in_the_db_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("study.db");
    let storage = SqliteStorage::open(&path).unwrap();
    fill(&storage, 5);
    storage.checkpoint().unwrap();

    let copy = dir.path().join("copy.db");
    std::fs::copy(&path, &copy).unwrap();
    assert_eq!(n_trials_in(&copy), 5);
    drop(storage);
}

// ---------------------------------------------------------------- URLs

fn url_error(url: &str) -> String {
    match ferrotune_storage::open(url) {
        Err(Error::InvalidArgument(m)) => m,
        Err(other) => panic!("'{url}': expected an invalid-argument error, got {other:?}"),
        Ok(_) => panic!("'{url}' was accepted"),
    }
}

#[test]
fn an_empty_storage_url_is_refused_not_taken_for_memory() {
    for url in ["", "   ", "\n"] {
        let m = url_error(url);
        assert!(m.contains("empty") && m.contains("\"memory\""), "{m}");
    }
}

#[test]
fn a_sqlite_url_without_slashes_is_refused_and_creates_no_file() {
    let name = "ferrotune-test-no-slashes.db";
    let result = ferrotune_storage::open(&format!("sqlite:{name}"));
    // Today's code created a file literally named "sqlite:<name>" in the
    // working directory: look for it (and clean it up) before asserting.
    let stray = PathBuf::from(format!("sqlite:{name}"));
    let created = stray.exists();
    let _ = std::fs::remove_file(&stray);
    assert!(!created, "a file named {} was created", stray.display());
    let Err(Error::InvalidArgument(m)) = result else { panic!("'sqlite:{name}' was accepted") };
    assert!(m.contains(&format!("sqlite:///{name}")), "{m}");
    assert!(m.contains("sqlite:////"), "{m}");

    let dir = tempfile::tempdir().unwrap();
    let abs = dir.path().join("x.db");
    let m = url_error(&format!("sqlite:{}", abs.display()));
    assert!(m.contains(&format!("sqlite:///{}", abs.display())), "{m}");
    assert!(!abs.exists());
}

#[test]
fn unknown_schemes_are_refused_with_the_forms_that_work() {
    // PostgreSQL URLs are tests/postgres.rs's; a malformed one is refused
    // with the form, and without its password.
    let m = url_error("postgresql://user:pw@host:port/db");
    assert!(m.contains("postgresql://user[:password]@host[:port]/database") && !m.contains(":pw@"), "{m}");
    let m = url_error("postgres:host/db");
    assert!(m.contains("postgresql://user[:password]@host[:port]/database"), "{m}");
    let m = url_error("mysql://x");
    assert!(m.contains("unsupported storage URL 'mysql://x'") && m.contains("sqlite:///"), "{m}");
    let m = url_error("file:x.db");
    assert!(m.contains("unsupported storage URL"), "{m}");
    let m = url_error("sqlite:///");
    assert!(m.contains("names no file"), "{m}");
    let m = url_error("study");
    assert!(m.contains("unsupported storage URL"), "{m}");
}

#[test]
fn the_documented_url_forms_still_work() {
    for url in ["memory", ":memory:", "memory://", " memory "] {
        let storage = ferrotune_storage::open(url).unwrap();
        fill(&*storage, 1);
    }
    let dir = tempfile::tempdir().unwrap();
    let abs = |name: &str| dir.path().join(name);
    // `sqlite://x` and `sqlite:///x` both name a path relative to the
    // working directory: climb to the root from there.
    let relative = |path: &Path| {
        let up = std::env::current_dir().unwrap().components().count();
        PathBuf::from("../".repeat(up)).join(path.strip_prefix("/").unwrap())
    };
    let urls = [
        (format!("sqlite:///{}", abs("a.db").display()), abs("a.db")),
        (format!("sqlite:////{}", abs("b.db").display().to_string().trim_start_matches('/')), abs("b.db")),
        (format!("sqlite://{}", relative(&abs("c.db")).display()), abs("c.db")),
        (abs("d.db").display().to_string(), abs("d.db")),
        (abs("e.sqlite").display().to_string(), abs("e.sqlite")),
        (abs("f.sqlite3").display().to_string(), abs("f.sqlite3")),
    ];
    for (url, file) in urls {
        let storage = ferrotune_storage::open(&url).unwrap();
        fill(&*storage, 1);
        drop(storage);
        assert!(file.is_file(), "{url} did not create {}", file.display());
    }
}

// ---------------------------------------------------------------- read-only

/// While alive, this thread has no capability to bypass file permissions.
///
/// The tests may run as root, which ignores permission bits, so a 444 file
/// would be writable and the user's case (an ordinary user, a read-only
/// copy or mount) could not be reproduced. Linux keeps capabilities per
/// thread, and the storage does its I/O on the calling thread, so dropping
/// `CAP_DAC_OVERRIDE` (and friends) from this thread's effective set makes
/// root meet permission bits as any user does, without touching the other
/// tests. For an ordinary user the effective set is already empty and this
/// changes nothing. The permitted set is kept, so the guard restores it.
struct Unprivileged {
    #[cfg(target_os = "linux")]
    saved: rustix::thread::CapabilitySets,
}

impl Unprivileged {
    fn new() -> Self {
        #[cfg(target_os = "linux")]
        {
            use rustix::thread::{capabilities, set_capabilities, CapabilitySet};
            let saved = capabilities(None).expect("capget");
            let mut sets = saved;
            sets.effective -= CapabilitySet::DAC_OVERRIDE | CapabilitySet::DAC_READ_SEARCH | CapabilitySet::FOWNER;
            set_capabilities(None, sets).expect("capset");
            Unprivileged { saved }
        }
        #[cfg(not(target_os = "linux"))]
        Unprivileged {}
    }
}

impl Drop for Unprivileged {
    fn drop(&mut self) {
        #[cfg(target_os = "linux")]
        let _ = rustix::thread::set_capabilities(None, self.saved);
    }
}

#[cfg(unix)]
fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// The premise of a read-only test: this thread really cannot create files
/// in `dir`.
fn assert_unwritable(dir: &Path) {
    assert!(std::fs::File::create(dir.join("probe")).is_err(), "{} is still writable", dir.display());
}

/// A database with study "s" and 3 trials, closed cleanly.
fn written_db(dir: &Path) -> PathBuf {
    let path = dir.join("study.db");
    let storage = SqliteStorage::open(&path).unwrap();
    fill(&storage, 3);
    drop(storage);
    path
}

/// Reads work, and writes fail naming the file and saying it is read-only.
fn check_read_only(storage: &dyn Storage, path: &Path) {
    let studies = storage.list_studies().unwrap();
    assert_eq!(studies.len(), 1);
    let study = storage.study_by_name("s").unwrap().unwrap().study_id;
    let trials = storage.all_trials(study).unwrap();
    assert_eq!(trials.len(), 3);
    assert_eq!(trials[2].values.as_deref(), Some(&[2.0][..]));
    let e = storage.create_trial(study, NewTrial::default()).unwrap_err();
    assert!(matches!(e, Error::Storage(_)), "{e:?}");
    let m = message(e);
    assert!(m.contains(&path.display().to_string()) && m.contains("read-only"), "{m}");
    let m = message(storage.create_study("t", &[StudyDirection::Minimize]).unwrap_err());
    assert!(m.contains("read-only"), "{m}");
}

/// A 444 database file in a writable directory opens read-only, through
/// the same URL a user gives.
#[cfg(unix)]
#[test]
fn a_read_only_file_can_still_be_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = written_db(dir.path());
    chmod(&path, 0o444);
    {
        let _unprivileged = Unprivileged::new();
        // The premise: this thread really cannot write the file.
        assert!(std::fs::OpenOptions::new().write(true).open(&path).is_err(), "the file is still writable");
        let storage = ferrotune_storage::open(&format!("sqlite:///{}", path.display())).unwrap();
        check_read_only(&*storage, &path);
        let m = message(storage.create_trial(1, NewTrial::default()).unwrap_err());
        assert!(m.contains("not writable"), "{m}");
    }
    chmod(&path, 0o644);
}

/// A 444 file in a 555 directory (as on a read-only mount): SQLite cannot
/// create the `-shm` file a WAL database is read through.
#[cfg(unix)]
#[test]
fn a_read_only_file_in_a_read_only_directory_can_still_be_read() {
    let dir = tempfile::tempdir().unwrap();
    let ro = dir.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    let path = written_db(&ro);
    chmod(&path, 0o444);
    chmod(&ro, 0o555);
    {
        let _unprivileged = Unprivileged::new();
        assert_unwritable(&ro);
        let storage = SqliteStorage::open(&path).unwrap();
        assert!(storage.is_read_only());
        check_read_only(&storage, &path);
        drop(storage);
        // Nothing was left behind in the directory.
        let names: Vec<_> = std::fs::read_dir(&ro).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["study.db"]);
    }
    chmod(&ro, 0o755);
    chmod(&path, 0o644);
}

/// A writable file in a directory the process cannot write: SQLite could
/// not create the -wal file to write through, so it is read-only too, and
/// the error says the directory is why.
#[cfg(unix)]
#[test]
fn a_writable_file_in_a_read_only_directory_is_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let ro = dir.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    let path = written_db(&ro);
    chmod(&ro, 0o555);
    {
        let _unprivileged = Unprivileged::new();
        assert_unwritable(&ro);
        let storage = SqliteStorage::open(&path).unwrap();
        check_read_only(&storage, &path);
        let m = message(storage.create_trial(1, NewTrial::default()).unwrap_err());
        assert!(m.contains(&format!("its directory {} is not writable", ro.display())), "{m}");
    }
    chmod(&ro, 0o755);
}

/// Trials still in the -wal file of a copy in a read-only directory cannot
/// be read without a -shm file; opening the .db alone would silently show
/// a study without them, so the error says what to do instead.
#[cfg(unix)]
#[test]
fn an_unmerged_log_in_a_read_only_directory_is_not_silently_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("study.db");
    let storage = SqliteStorage::open(&path).unwrap();
    fill(&storage, 3);
    // Copy the database and its log while the storage is open, as a
    // backup of a running study would.
    let ro = dir.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    let copy = ro.join("study.db");
    std::fs::copy(&path, &copy).unwrap();
    std::fs::copy(dir.path().join("study.db-wal"), ro.join("study.db-wal")).unwrap();
    drop(storage);
    chmod(&ro, 0o555);
    {
        let _unprivileged = Unprivileged::new();
        assert_unwritable(&ro);
        let m = message(SqliteStorage::open(&copy).err().unwrap());
        assert!(m.contains(&format!("database {}", copy.display())), "{m}");
        assert!(m.contains("study.db-wal holds changes that are not in the file yet"), "{m}");
    }
    chmod(&ro, 0o755);
    // With write access, the same copy has every trial.
    assert_eq!(n_trials_in(&copy), 3);
}

/// A read-only open also works on a file the process could write, and
/// refuses writes.
#[test]
fn open_read_only_refuses_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = written_db(dir.path());
    let storage = SqliteStorage::open_read_only(&path).unwrap();
    assert!(storage.is_read_only());
    check_read_only(&storage, &path);
    let missing = dir.path().join("missing.db");
    let m = message(SqliteStorage::open_read_only(&missing).err().unwrap());
    assert!(m.contains(&missing.display().to_string()) && m.contains("does not exist"), "{m}");
}

/// A new database in a directory the process cannot write: the error says
/// so, naming both.
#[cfg(unix)]
#[test]
fn creating_a_database_in_a_read_only_directory_says_why_it_fails() {
    let dir = tempfile::tempdir().unwrap();
    let ro = dir.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    chmod(&ro, 0o555);
    let path = ro.join("new.db");
    {
        let _unprivileged = Unprivileged::new();
        assert_unwritable(&ro);
        let m = message(SqliteStorage::open(&path).err().unwrap());
        assert!(m.contains(&path.display().to_string()) && m.contains("is not writable"), "{m}");
    }
    chmod(&ro, 0o755);
}

// ---------------------------------------------------------------- errors name the file

#[test]
fn a_file_that_is_not_a_database_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.db");
    std::fs::write(&path, vec![b'x'; 4096]).unwrap();
    let m = message(SqliteStorage::open(&path).err().unwrap());
    assert!(m.contains(&format!("database {}", path.display())) && m.contains("not a database"), "{m}");
}

#[test]
fn a_failing_statement_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("study.db");
    let storage = SqliteStorage::open(&path).unwrap();
    let study = fill(&storage, 1);
    // Damage the schema behind the storage's back.
    rusqlite::Connection::open(&path).unwrap().execute_batch("DROP TABLE trial_values").unwrap();
    let m = message(storage.all_trials(study).unwrap_err());
    assert!(m.contains(&format!("database {}", path.display())) && m.contains("no such table"), "{m}");
}

// ---------------------------------------------------------------- external locks

/// Every lock-wait report of this test binary. The hook is process-wide,
/// so each test looks only at the reports for its own file.
fn lock_waits() -> &'static Mutex<Vec<(PathBuf, Duration)>> {
    static WAITS: OnceLock<Mutex<Vec<(PathBuf, Duration)>>> = OnceLock::new();
    let waits = WAITS.get_or_init(Default::default);
    static HOOK: OnceLock<()> = OnceLock::new();
    HOOK.get_or_init(|| {
        SqliteStorage::set_lock_wait_hook(Duration::from_millis(200), |path, waited| {
            lock_waits().lock().unwrap().push((path.to_owned(), waited));
        })
    });
    waits
}

fn waits_for(path: &Path) -> Vec<Duration> {
    lock_waits().lock().unwrap().iter().filter(|(p, _)| p == path).map(|(_, d)| *d).collect()
}

/// Another program holds the write lock and never lets go: the storage
/// tells the hook once that it is waiting, then gives up with an error that
/// names the file and the cause.
#[test]
fn an_external_lock_is_reported_while_waiting_and_named_when_giving_up() {
    lock_waits();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("study.db");
    let storage = SqliteStorage::open(&path).unwrap();
    storage.set_busy_timeout(Duration::from_millis(1500));
    let holder = rusqlite::Connection::open(&path).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE").unwrap();

    let start = Instant::now();
    let e = storage.create_study("s", &[StudyDirection::Minimize]).unwrap_err();
    let elapsed = start.elapsed();
    let m = message(e);
    assert!(m.contains(&format!("database {}", path.display())), "{m}");
    assert!(m.contains("locked by another process"), "{m}");
    assert!(elapsed >= Duration::from_millis(1400) && elapsed < Duration::from_secs(10), "{elapsed:?}");
    let waits = waits_for(&path);
    assert_eq!(waits.len(), 1, "{waits:?}");
    assert!(waits[0] >= Duration::from_millis(200) && waits[0] < Duration::from_millis(1500), "{waits:?}");

    // Once the lock is released, the storage works again.
    holder.execute_batch("COMMIT").unwrap();
    fill(&storage, 1);
}

/// A lock released during the wait: the write goes through; a short wait
/// is not reported at all.
#[test]
fn a_lock_released_in_time_lets_the_write_through() {
    lock_waits();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("study.db");
    let storage = SqliteStorage::open(&path).unwrap();
    let holder = rusqlite::Connection::open(&path).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(600));
        holder.execute_batch("COMMIT").unwrap();
    });
    fill(&storage, 2);
    release.join().unwrap();
    assert_eq!(waits_for(&path).len(), 1);

    let storage = Arc::new(storage);
    let study = storage.study_by_name("s").unwrap().unwrap().study_id;
    assert_eq!(storage.all_trials(study).unwrap().len(), 2);
    let holder = rusqlite::Connection::open(&path).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        holder.execute_batch("COMMIT").unwrap();
    });
    storage.create_trial(study, NewTrial::default()).unwrap().unwrap();
    release.join().unwrap();
    assert_eq!(waits_for(&path).len(), 1, "a 50 ms wait was reported");
}

/// Another program holding the write lock does not stop anyone reading:
/// opening a database to read it takes no write lock.
#[test]
fn a_database_locked_for_writing_can_still_be_opened_and_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = written_db(dir.path());
    let holder = rusqlite::Connection::open(&path).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let (done, finished) = std::sync::mpsc::channel();
    let reader_path = path.clone();
    let reader = std::thread::spawn(move || {
        let storage = SqliteStorage::open(&reader_path).unwrap();
        let study = storage.study_by_name("s").unwrap().unwrap().study_id;
        done.send(storage.all_trials(study).unwrap().len()).unwrap();
    });
    let read = finished.recv_timeout(Duration::from_secs(5));
    holder.execute_batch("COMMIT").unwrap();
    assert_eq!(read, Ok(3), "opening and reading waited for the writer's lock");
    reader.join().unwrap();
}

/// A read-only open reads a database of an older schema (version 4:
/// without `studies.write_token`, which only writes use, nor
/// `trial_params.param_index`, without which parameters come by name) as
/// it is, and
/// refuses an older one, saying a writable open upgrades it.
#[test]
fn a_read_only_open_reads_the_previous_schema_and_refuses_older() {
    let dir = tempfile::tempdir().unwrap();
    let path = written_db(dir.path());
    let db = rusqlite::Connection::open(&path).unwrap();
    db.execute_batch(
        "ALTER TABLE studies DROP COLUMN write_token; ALTER TABLE trial_params DROP COLUMN param_index;
         UPDATE ferrotune_schema SET version = 4;",
    )
    .unwrap();
    drop(db);
    let storage = SqliteStorage::open_read_only(&path).unwrap();
    check_read_only(&storage, &path);
    drop(storage);
    rusqlite::Connection::open(&path).unwrap().execute_batch("UPDATE ferrotune_schema SET version = 3;").unwrap();
    let m = message(SqliteStorage::open_read_only(&path).err().unwrap());
    assert!(m.contains("schema version 3") && m.contains("upgraded when opened with write access"), "{m}");
}
