//! The storage contract on PostgreSQL, against a real server: the one at
//! 127.0.0.1:5432 (trust auth, user `postgres`, database `test`), or the
//! URL in `FERROTUNE_TEST_POSTGRES`. Each test works in a schema of its own,
//! named after it with a random suffix and dropped at its end, so runs do
//! not collide.
//!
//! Where no server answers, each test prints why it is skipped and passes,
//! unless `FERROTUNE_REQUIRE_POSTGRES=1` (as in CI): then it fails.

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{BuildHasher, Hasher};
use std::io::Write;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ferrotune_core::{
    Distribution, Error, FloatDistribution, NewTrial, ParamValue, Storage, StudyDirection, TrialParam, TrialState,
};
use ferrotune_storage::PostgresStorage;

const DEFAULT_URL: &str = "postgresql://postgres@127.0.0.1:5432/test";

fn server_url() -> String {
    std::env::var("FERROTUNE_TEST_POSTGRES").ok().filter(|u| !u.trim().is_empty()).unwrap_or(DEFAULT_URL.into())
}

fn required() -> bool {
    std::env::var("FERROTUNE_REQUIRE_POSTGRES").is_ok_and(|v| v.trim() == "1")
}

fn connect(url: &str) -> Result<postgres::Client, postgres::Error> {
    let mut config = postgres::Config::from_str(url)?;
    config.connect_timeout(Duration::from_secs(5));
    config.connect(postgres::NoTls)
}

/// An error with its cause ("error connecting to server: Connection refused").
fn why(e: &postgres::Error) -> String {
    match std::error::Error::source(e) {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    }
}

/// A schema of one test's own on the test server, dropped when this is.
struct Schema {
    server: String,
    name: String,
    /// The server's URL with this schema as the search path.
    url: String,
}

impl Schema {
    /// A fresh schema, or `None` (said on stderr) where no server answers.
    fn new() -> Option<Schema> {
        let server = server_url();
        let mut admin = match connect(&server) {
            Ok(client) => client,
            Err(e) if required() => {
                panic!("FERROTUNE_REQUIRE_POSTGRES=1 but no PostgreSQL server answers at {server}: {}", why(&e))
            }
            Err(e) => {
                // Once per run, past libtest's capture of passing tests' output.
                static SAID: AtomicBool = AtomicBool::new(false);
                if !SAID.swap(true, Ordering::Relaxed) {
                    let _ = writeln!(
                        std::io::stderr(),
                        "skipped: the PostgreSQL tests pass without running: no server answers at {server} ({}); \
                         start one, or point FERROTUNE_TEST_POSTGRES at one (FERROTUNE_REQUIRE_POSTGRES=1 makes \
                         this a failure)",
                        why(&e)
                    );
                }
                return None;
            }
        };
        let name = schema_name();
        admin.batch_execute(&format!("CREATE SCHEMA {name}")).expect("creating the test's schema");
        let sep = if server.contains('?') { '&' } else { '?' };
        let url = format!("{server}{sep}options=-csearch_path%3D{name}");
        Some(Schema { server, name, url })
    }

    /// A plain client in this schema.
    fn client(&self) -> postgres::Client {
        connect(&self.url).expect("connecting to the test server")
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        let dropped = connect(&self.server)
            .and_then(|mut admin| admin.batch_execute(&format!("DROP SCHEMA {} CASCADE", self.name)));
        if let Err(e) = dropped {
            eprintln!("could not drop the test schema {}: {e}", self.name);
        }
    }
}

/// `ft_` + the test's name (libtest names the thread after it) + a random
/// suffix, within PostgreSQL's 63 bytes.
fn schema_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let test = std::thread::current().name().unwrap_or("test").to_ascii_lowercase();
    let test: String = test
        .rsplit("::")
        .next()
        .unwrap_or("test")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher
        .write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos());
    format!("ft_{}_{:012x}", &test[..test.len().min(40)], hasher.finish() & 0xffff_ffff_ffff)
}

fn fresh() -> Option<(Arc<dyn Storage>, Schema)> {
    let schema = Schema::new()?;
    let storage = PostgresStorage::open(&schema.url).expect("opening the test schema");
    Some((Arc::new(storage), schema))
}

mod conformance {
    use super::*;
    ferrotune_storage::storage_conformance_tests!(fresh);
}

/// The whole contract again, with every write's first commit losing its
/// reply: each write commits, then runs again on a new connection not
/// knowing it did, and must record nothing twice.
mod conformance_every_write_run_twice {
    use super::*;

    fn fresh_losing_replies() -> Option<(Arc<dyn Storage>, Schema)> {
        let schema = Schema::new()?;
        let storage = PostgresStorage::open(&schema.url).expect("opening the test schema");
        storage.backend().lose_every_first_commit_reply(true);
        Some((Arc::new(storage), schema))
    }

    ferrotune_storage::storage_conformance_tests!(fresh_losing_replies);
}

/// Two storages (as two worker processes would have) open a new database
/// at once, share one study, and between them run exactly the sampled
/// trials asked for, numbered densely, enqueued ones included.
#[test]
fn two_storages_on_one_study_stop_at_n_trials_and_number_densely() {
    let Some(schema) = Schema::new() else { return };
    const N_TRIALS: u64 = 60;
    const ENQUEUED: u64 = 5;
    let workers: Vec<PostgresStorage> = std::thread::scope(|s| {
        let opens: Vec<_> = (0..2).map(|_| s.spawn(|| PostgresStorage::open(&schema.url).unwrap())).collect();
        opens.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let study = workers[0].create_study("shared", &[StudyDirection::Minimize]).unwrap().study_id;
    assert!(matches!(workers[1].create_study("shared", &[StudyDirection::Minimize]), Err(Error::DuplicateStudy(_))));
    assert_eq!(workers[1].study_by_name("shared").unwrap().unwrap().study_id, study);
    for i in 0..ENQUEUED {
        let fixed = BTreeMap::from([("x".to_string(), ParamValue::Float(i as f64 / 10.0))]);
        let new = NewTrial { waiting: true, fixed_params: Some(fixed), ..Default::default() };
        workers[1].create_trial(study, new).unwrap().unwrap();
    }
    let x = Distribution::Float(FloatDistribution::new(0.0, 1.0, false, None).unwrap());
    let ran: Vec<Vec<u64>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..6)
            .map(|i| {
                let (storage, x) = (&workers[i % 2], &x);
                s.spawn(move || {
                    let mut numbers = Vec::new();
                    loop {
                        // As a study's ask does: enqueued trials first.
                        let trial = match storage.claim_waiting_trial(study).unwrap() {
                            Some(t) => t,
                            None => {
                                let new = NewTrial { max_sampled_trials: Some(N_TRIALS), ..Default::default() };
                                match storage.create_trial(study, new).unwrap() {
                                    Some(t) => t,
                                    None => break,
                                }
                            }
                        };
                        let value = (trial.number % 10) as f64 / 10.0;
                        let param = TrialParam { distribution: x.clone(), internal: value };
                        storage.set_trial_param(trial.trial_id, "x", &param).unwrap();
                        storage.set_trial_intermediate_value(trial.trial_id, 0, value).unwrap();
                        storage.finish_trial(trial.trial_id, TrialState::Complete, Some(&[value])).unwrap();
                        numbers.push(trial.number);
                    }
                    numbers
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let per_storage: Vec<usize> = (0..2).map(|w| ran.iter().skip(w).step_by(2).map(Vec::len).sum()).collect();
    assert!(per_storage.iter().all(|&n| n > 0), "both storages ran trials: {per_storage:?}");
    let numbers: Vec<u64> = ran.into_iter().flatten().collect();
    let unique: BTreeSet<u64> = numbers.iter().copied().collect();
    assert_eq!(numbers.len() as u64, N_TRIALS + ENQUEUED, "each trial ran once");
    assert_eq!(unique, (0..N_TRIALS + ENQUEUED).collect(), "numbers are dense");
    for storage in &workers {
        let all = storage.all_trials(study).unwrap();
        assert_eq!(all.len() as u64, N_TRIALS + ENQUEUED);
        assert!(all.iter().all(|t| t.state == TrialState::Complete && t.params.len() == 1));
    }
    // A third worker arriving late finds nothing left to sample.
    let late = PostgresStorage::open(&schema.url).unwrap();
    let new = NewTrial { max_sampled_trials: Some(N_TRIALS), ..Default::default() };
    assert!(late.create_trial(study, new).unwrap().is_none());
}

/// `open` takes both schemes and gives the same database.
#[test]
fn open_takes_postgresql_and_postgres_urls() {
    let Some(schema) = Schema::new() else { return };
    let a = ferrotune_storage::open(&schema.url).unwrap();
    a.create_study("s", &[StudyDirection::Maximize]).unwrap();
    let other = schema.url.replacen("postgresql://", "postgres://", 1);
    assert!(other.starts_with("postgres://"));
    let b = ferrotune_storage::open(&other).unwrap();
    assert_eq!(b.study_by_name("s").unwrap().unwrap().directions, [StudyDirection::Maximize]);
}

/// Every error names the server and database, never the password.
#[test]
fn errors_name_the_database_without_the_password() {
    // No server listens on port 1: this needs none.
    let Err(Error::Storage(m)) =
        ferrotune_storage::open("postgresql://bob:hunter2@127.0.0.1:1/studies?reconnect_timeout=0")
    else {
        panic!("a closed port must fail")
    };
    assert!(m.contains("postgresql://bob@127.0.0.1:1/studies") && m.contains("cannot connect"), "{m}");
    assert!(!m.contains("hunter2"), "{m}");
    let Err(Error::InvalidArgument(m)) = ferrotune_storage::open("postgresql://bob:hunter2@host:port/db") else {
        panic!("a bad port must be refused")
    };
    assert!(!m.contains("hunter2") && m.contains("postgresql://bob:***@host:port/db"), "{m}");

    let Some(schema) = Schema::new() else { return };
    let missing = format!("{}_no_such_database", schema.name);
    let url = schema.server.replacen("/test", &format!("/{missing}"), 1);
    if url != schema.server {
        let Err(Error::Storage(m)) = ferrotune_storage::open(&url) else { panic!("a missing database must fail") };
        assert!(m.contains(&missing) && m.contains("does not exist"), "{m}");
    }
    // A statement that fails names the database too.
    let storage = PostgresStorage::open(&schema.url).unwrap();
    let study = storage.create_study("s", &[StudyDirection::Minimize]).unwrap().study_id;
    schema.client().batch_execute("DROP TABLE trial_attrs").unwrap();
    let Err(Error::Storage(m)) = storage
        .create_trial(study, NewTrial::default())
        .and_then(|t| storage.set_trial_attr(t.unwrap().trial_id, ferrotune_core::AttrScope::User, "k", &1.into()))
    else {
        panic!("writing to a dropped table must fail")
    };
    assert!(m.contains(storage.name()) && m.contains("trial_attrs"), "{m}");
}

/// A schema written by version 1 (before per-objective intermediate
/// values, heartbeats and the order of parameters) is upgraded in place and
/// keeps its data; a newer one is refused.
#[test]
fn old_schemas_are_upgraded_and_newer_ones_refused() {
    let Some(schema) = Schema::new() else { return };
    let storage = PostgresStorage::open(&schema.url).unwrap();
    let study = storage.create_study("old", &[StudyDirection::Minimize]).unwrap().study_id;
    let t = storage.create_trial(study, NewTrial::default()).unwrap().unwrap();
    storage.set_trial_intermediate_value(t.trial_id, 0, 0.5).unwrap();
    let param = TrialParam { distribution: Distribution::float(0.0, 1.0).unwrap(), internal: 0.5 };
    storage.set_trial_param(t.trial_id, "z", &param).unwrap();
    storage.set_trial_param(t.trial_id, "a", &param).unwrap();
    storage.finish_trial(t.trial_id, TrialState::Complete, Some(&[1.0])).unwrap();
    drop(storage);
    let mut client = schema.client();
    client
        .batch_execute(
            "DROP TABLE trial_intermediate_vectors; ALTER TABLE trials DROP COLUMN heartbeat_at;
             ALTER TABLE trials DROP COLUMN create_token; ALTER TABLE trials DROP COLUMN write_token;
             ALTER TABLE studies DROP COLUMN create_token; ALTER TABLE studies DROP COLUMN write_token;
             ALTER TABLE trial_params DROP COLUMN param_index; UPDATE ferrotune_schema SET version = 1",
        )
        .unwrap();

    let storage = PostgresStorage::open(&schema.url).unwrap();
    let trials = storage.all_trials(study).unwrap();
    assert_eq!(trials.len(), 1);
    assert_eq!(trials[0].intermediate_values[&0], 0.5);
    // Parameters from before their order was kept read back by name.
    assert_eq!(trials[0].params.keys().collect::<Vec<_>>(), ["a", "z"]);
    let t = storage.create_trial(study, NewTrial::default()).unwrap().unwrap();
    storage.set_trial_param(t.trial_id, "y", &param).unwrap();
    storage.set_trial_param(t.trial_id, "b", &param).unwrap();
    assert_eq!(storage.trial(t.trial_id).unwrap().params.keys().collect::<Vec<_>>(), ["y", "b"]);
    storage.set_trial_intermediate_values(t.trial_id, 0, &[0.25, 0.75]).unwrap();
    assert_eq!(storage.trial(t.trial_id).unwrap().intermediate_vectors[&0], vec![0.25, 0.75]);
    storage.record_heartbeat(t.trial_id).unwrap();
    let version: i64 = client.query_one("SELECT version FROM ferrotune_schema", &[]).unwrap().get(0);
    assert_eq!(version, ferrotune_storage::sql::SCHEMA_VERSION);

    client.batch_execute("UPDATE ferrotune_schema SET version = 99").unwrap();
    let Err(Error::Storage(m)) = PostgresStorage::open(&schema.url) else { panic!("a newer schema must be refused") };
    assert!(m.contains("newer") && m.contains("postgresql://"), "{m}");
}

// ------------------------------------------------------- connection loss

impl Schema {
    /// The schema's URL with an `application_name` of this test's own
    /// (the schema's name), so that its connections can be found and
    /// killed in `pg_stat_activity` without touching anyone else's.
    fn url_named(&self, extra: &str) -> String {
        format!("{}&application_name={}{extra}", self.url, self.name)
    }

    /// Terminate every server process of this test's storages, as a
    /// server restart or a network failure would; how many there were.
    fn kill_connections(&self, admin: &mut postgres::Client) -> i64 {
        admin
            .query_one(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1",
                &[&self.name],
            )
            .expect("terminating the test's connections")
            .get(0)
    }
}

fn float_param(value: f64) -> TrialParam {
    let x = Distribution::Float(FloatDistribution::new(0.0, 1.0, false, None).unwrap());
    TrialParam { distribution: x, internal: value }
}

/// Connections killed between operations and while they run (by a thread
/// terminating the storage's server processes every few milliseconds):
/// every operation still succeeds, and the study ends exactly as without
/// the kills, each trial recorded once.
#[test]
fn operations_carry_on_when_connections_are_killed() {
    let Some(schema) = Schema::new() else { return };
    let storage = PostgresStorage::open(&schema.url_named("&reconnect_timeout=30")).unwrap();
    let study = storage.create_study("s", &[StudyDirection::Minimize]).unwrap().study_id;
    let mut admin = schema.client();

    // Between operations: every pooled connection dies while idle.
    let t = storage.create_trial(study, NewTrial::default()).unwrap().unwrap();
    assert!(schema.kill_connections(&mut admin) > 0);
    storage.set_trial_param(t.trial_id, "x", &float_param(0.5)).unwrap();
    assert!(schema.kill_connections(&mut admin) > 0);
    storage.finish_trial(t.trial_id, TrialState::Complete, Some(&[0.5])).unwrap();

    // During one: a write waits for the study's row lock, held by another
    // session, and its connection is killed while it waits.
    let mut blocker = schema.client();
    let mut lock = blocker.transaction().unwrap();
    lock.execute("UPDATE studies SET change_seq = change_seq WHERE study_id = $1", &[&study]).unwrap();
    let killed = std::thread::scope(|s| {
        let waiting = s.spawn(|| storage.create_trial(study, NewTrial::default()));
        let mut killed = 0;
        for _ in 0..200 {
            if killed > 0 {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
            let waits: i64 = admin
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
                    &[&schema.name],
                )
                .unwrap()
                .get(0);
            if waits > 0 {
                killed = schema.kill_connections(&mut admin);
            }
        }
        lock.rollback().unwrap();
        assert!(killed > 0, "the write never waited for the lock");
        let t = waiting.join().unwrap().expect("the waiting write goes on on a new connection").unwrap();
        assert_eq!(t.number, 1);
        killed
    });
    assert!(killed > 0);

    // Under fire: a thread kills the storage's connections every few
    // milliseconds while another runs trials, at least MIN_TRIALS of them
    // and on until the killer has found connections to kill six times
    // (however fast the trials go).
    const MIN_TRIALS: u64 = 40;
    const MAX_TRIALS: u64 = 4_000;
    let done = AtomicBool::new(false);
    let kills = AtomicI64::new(0);
    let n_trials = std::thread::scope(|s| {
        s.spawn(|| {
            let mut admin = schema.client();
            while !done.load(Ordering::SeqCst) {
                kills.fetch_add(schema.kill_connections(&mut admin), Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        let mut i = 0;
        while i < MIN_TRIALS || (kills.load(Ordering::SeqCst) <= 5 && i < MAX_TRIALS) {
            let value = i as f64 / MAX_TRIALS as f64;
            let new = NewTrial { max_sampled_trials: Some(MAX_TRIALS + 2), ..Default::default() };
            let t = storage.create_trial(study, new).unwrap().expect("under the limit");
            storage.set_trial_param(t.trial_id, "x", &float_param(value)).unwrap();
            storage.set_trial_intermediate_value(t.trial_id, 0, value).unwrap();
            storage.set_trial_attr(t.trial_id, ferrotune_core::AttrScope::User, "i", &i.into()).unwrap();
            storage.record_heartbeat(t.trial_id).unwrap();
            storage.finish_trial(t.trial_id, TrialState::Complete, Some(&[value])).unwrap();
            assert!(storage.trial(t.trial_id).unwrap().state == TrialState::Complete);
            i += 1;
        }
        done.store(true, Ordering::SeqCst);
        i
    });
    let kills = kills.load(Ordering::SeqCst);
    assert!(kills > 5, "the killer found connections to kill ({kills}) in {n_trials} trials");

    // Trial 1 is still running (the one created under the lock).
    let trials = storage.all_trials(study).unwrap();
    assert_eq!(trials.iter().map(|t| t.number).collect::<Vec<_>>(), (0..n_trials + 2).collect::<Vec<_>>());
    assert_eq!(trials.iter().filter(|t| t.state == TrialState::Complete).count() as u64, n_trials + 1);
    for t in trials.iter().skip(2) {
        let i = t.user_attrs["i"].as_u64().unwrap();
        assert_eq!(t.number, i + 2);
        assert_eq!(t.values.as_deref(), Some(&[i as f64 / MAX_TRIALS as f64][..]));
        assert_eq!(t.params.len(), 1);
        assert_eq!(t.intermediate_values.len(), 1);
    }
}

/// A connection lost right after `COMMIT` was sent leaves the storage not
/// knowing whether the write committed; it runs the write again, and each
/// kind of write, re-run after a first run that did commit, records
/// nothing twice and returns what the first run would have.
#[test]
fn writes_rerun_after_an_ambiguous_commit_record_nothing_twice() {
    let Some(schema) = Schema::new() else { return };
    let storage = PostgresStorage::open(&schema.url).unwrap();
    let lose_reply = || storage.backend().lose_next_commit_replies(1);

    lose_reply();
    let study = storage.create_study("s", &[StudyDirection::Minimize]).unwrap().study_id;
    assert_eq!(storage.list_studies().unwrap().len(), 1);
    // A name taken by an earlier call is still a duplicate on a re-run.
    lose_reply();
    assert!(matches!(storage.create_study("s", &[StudyDirection::Minimize]), Err(Error::DuplicateStudy(_))));

    // create_trial: one trial, the one the first run created.
    lose_reply();
    let new = NewTrial { max_sampled_trials: Some(1), heartbeat: true, ..Default::default() };
    let t = storage.create_trial(study, new).unwrap().expect("the first run's trial, found by its token");
    assert_eq!(t.number, 0);
    assert_eq!(t.state, TrialState::Running);
    assert_eq!(storage.all_trials(study).unwrap().len(), 1);

    // Upserts and a heartbeat.
    for write in 0..4 {
        lose_reply();
        match write {
            0 => storage.set_trial_param(t.trial_id, "x", &float_param(0.25)).unwrap(),
            1 => storage.set_trial_intermediate_value(t.trial_id, 3, 0.5).unwrap(),
            2 => storage.set_trial_attr(t.trial_id, ferrotune_core::AttrScope::User, "k", &"v".into()).unwrap(),
            _ => storage.record_heartbeat(t.trial_id).unwrap(),
        }
    }
    // finish_trial: finished once, and the re-run reports success.
    lose_reply();
    let finished = storage.finish_trial(t.trial_id, TrialState::Complete, Some(&[0.25])).unwrap();
    assert_eq!((finished.state, finished.values.as_deref()), (TrialState::Complete, Some(&[0.25][..])));
    assert_eq!(finished.params.len(), 1);
    assert_eq!(finished.intermediate_values.len(), 1);
    // Finishing it again is still refused (no lost reply: a first run).
    assert!(matches!(
        storage.finish_trial(t.trial_id, TrialState::Complete, Some(&[0.25])),
        Err(Error::TrialNotRunning { .. })
    ));

    // claim_waiting_trial: one claimed, the other still waiting.
    for i in 0..2 {
        let fixed = BTreeMap::from([("x".to_string(), ParamValue::Float(i as f64))]);
        lose_reply();
        let new = NewTrial { waiting: true, fixed_params: Some(fixed), ..Default::default() };
        storage.create_trial(study, new).unwrap().unwrap();
    }
    assert_eq!(storage.all_trials(study).unwrap().len(), 3, "each enqueued once");
    lose_reply();
    let claimed = storage.claim_waiting_trial_with_heartbeat(study).unwrap().unwrap();
    assert_eq!(claimed.number, 1);
    let states: Vec<TrialState> = storage.all_trials(study).unwrap().iter().map(|t| t.state).collect();
    assert_eq!(states, [TrialState::Complete, TrialState::Running, TrialState::Waiting]);

    // fail_stale_trials: the re-run returns the trial the first run failed,
    // so its caller enqueues the retry.
    std::thread::sleep(Duration::from_millis(30));
    lose_reply();
    let failed = storage.fail_stale_trials(study, Duration::from_millis(10)).unwrap();
    assert_eq!(failed.iter().map(|t| t.number).collect::<Vec<_>>(), [1]);
    assert_eq!(failed[0].state, TrialState::Failed);
    assert!(failed[0].system_attrs.contains_key(ferrotune_core::FAIL_REASON_ATTR));

    // A trial failed meanwhile by someone else is not "finished as asked".
    let t = storage.claim_waiting_trial(study).unwrap().unwrap();
    storage.record_heartbeat(t.trial_id).unwrap();
    std::thread::sleep(Duration::from_millis(30));
    storage.fail_stale_trials(study, Duration::from_millis(10)).unwrap();
    assert!(matches!(
        storage.finish_trial(t.trial_id, TrialState::Complete, Some(&[1.0])),
        Err(Error::TrialNotRunning { state: TrialState::Failed, .. })
    ));

    // delete_study: deleted, and the re-run does not call it missing.
    lose_reply();
    storage.delete_study(study).unwrap();
    assert!(storage.list_studies().unwrap().is_empty());
}

/// A server that does not answer (nothing listens on the port) is retried
/// for the URL's `reconnect_timeout`, and then the error says so.
#[test]
fn an_unreachable_server_fails_after_the_reconnect_timeout() {
    // Needs no server.
    let started = std::time::Instant::now();
    let Err(Error::Storage(m)) =
        ferrotune_storage::open("postgresql://postgres@127.0.0.1:1/test?reconnect_timeout=1.5")
    else {
        panic!("a closed port must fail")
    };
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(1500) && waited < Duration::from_secs(10), "{waited:?}");
    assert!(m.contains("cannot connect") && m.contains("postgresql://postgres@127.0.0.1:1/test"), "{m}");
    assert!(m.contains("gave up after trying for 1.") && m.contains("reconnect_timeout=SECONDS"), "{m}");
    // Zero: no retry at all.
    let started = std::time::Instant::now();
    assert!(ferrotune_storage::open("postgresql://postgres@127.0.0.1:1/test?reconnect_timeout=0").is_err());
    assert!(started.elapsed() < Duration::from_secs(1));
    // A bad value is refused, naming the parameter.
    let Err(Error::InvalidArgument(m)) =
        ferrotune_storage::open("postgresql://postgres@127.0.0.1:1/test?reconnect_timeout=soon")
    else {
        panic!("a bad timeout must be refused")
    };
    assert!(m.contains("reconnect_timeout") && m.contains("soon"), "{m}");
}

/// A TCP relay in front of the test server that can be taken down (its
/// port refuses connections and every relayed connection is cut, as when
/// the server restarts or the network fails) and brought back up on the
/// same port.
struct Relay {
    port: u16,
    up: Arc<AtomicBool>,
    /// Bumped when the relay goes down: relayed connections of an older
    /// generation stop.
    generation: Arc<AtomicU64>,
    target: String,
    accept: Option<std::thread::JoinHandle<()>>,
    /// The threads copying relayed bytes: `down` waits for them, so no
    /// byte read before the cut is forwarded after it.
    pumps: Arc<std::sync::Mutex<Vec<std::thread::JoinHandle<()>>>>,
}

impl Relay {
    fn new(target: &str) -> Relay {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut relay = Relay {
            port,
            up: Arc::new(AtomicBool::new(false)),
            generation: Arc::new(AtomicU64::new(0)),
            target: target.to_owned(),
            accept: None,
            pumps: Arc::default(),
        };
        relay.start(listener);
        relay
    }

    fn start(&mut self, listener: std::net::TcpListener) {
        listener.set_nonblocking(true).unwrap();
        self.up.store(true, Ordering::SeqCst);
        let (up, generation, target, pumps) =
            (self.up.clone(), self.generation.clone(), self.target.clone(), self.pumps.clone());
        let mine = generation.load(Ordering::SeqCst);
        self.accept = Some(std::thread::spawn(move || {
            while up.load(Ordering::SeqCst) {
                let Ok((client, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                };
                let Ok(server) = std::net::TcpStream::connect(&target) else { continue };
                client.set_nonblocking(false).unwrap();
                for (from, to) in [(client.try_clone().unwrap(), server.try_clone().unwrap()), (server, client)] {
                    let generation = generation.clone();
                    pumps.lock().unwrap().push(std::thread::spawn(move || pump(from, to, &generation, mine)));
                }
            }
            // Dropping the listener: the port now refuses connections.
        }));
    }

    /// Refuse new connections and cut every relayed one.
    fn down(&mut self) {
        self.up.store(false, Ordering::SeqCst);
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Some(accept) = self.accept.take() {
            accept.join().unwrap();
        }
        // A pump that checked the generation just before the bump may still
        // be in a read: the relay is down only once every pump has stopped.
        let pumps = std::mem::take(&mut *self.pumps.lock().unwrap());
        for pump in pumps {
            let _ = pump.join();
        }
    }

    /// Listen again on the same port.
    fn up(&mut self) {
        let listener = std::net::TcpListener::bind(("127.0.0.1", self.port)).unwrap();
        self.start(listener);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.down();
    }
}

/// Copy bytes one way until either side closes or the relay's generation
/// moves on; then cut both directions.
fn pump(mut from: std::net::TcpStream, mut to: std::net::TcpStream, generation: &AtomicU64, mine: u64) {
    use std::io::Read;
    from.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
    let mut buffer = [0u8; 16 * 1024];
    while generation.load(Ordering::SeqCst) == mine {
        match from.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => {
                if to.write_all(&buffer[..n]).is_err() {
                    break;
                }
            }
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => break,
        }
    }
    let _ = from.shutdown(std::net::Shutdown::Both);
    let _ = to.shutdown(std::net::Shutdown::Both);
}

/// The server goes away for a while (its port refuses connections, open
/// ones are cut) and comes back: a write in flight waits, reconnects and
/// completes, once. Gone for longer than `reconnect_timeout`, a write fails
/// with an error that says how long it tried.
#[test]
fn a_server_that_goes_away_and_comes_back_is_waited_for() {
    let Some(schema) = Schema::new() else { return };
    let config = postgres::Config::from_str(&schema.server).unwrap();
    let postgres::config::Host::Tcp(host) = &config.get_hosts()[0] else { return };
    let mut relay = Relay::new(&format!("{host}:{}", config.get_ports().first().copied().unwrap_or(5432)));
    let url =
        schema.url.replacen(&format!("{host}:{}", config.get_ports()[0]), &format!("127.0.0.1:{}", relay.port), 1);
    assert!(url.contains(&relay.port.to_string()), "{url}");
    let storage = PostgresStorage::open(&format!("{url}&reconnect_timeout=20")).unwrap();
    let study = storage.create_study("s", &[StudyDirection::Minimize]).unwrap().study_id;
    let t = storage.create_trial(study, NewTrial::default()).unwrap().unwrap();

    // Down for 1.5 s while trials are written.
    relay.down();
    let started = std::time::Instant::now();
    std::thread::scope(|s| {
        let writer = s.spawn(|| {
            storage.set_trial_param(t.trial_id, "x", &float_param(0.5)).unwrap();
            storage.finish_trial(t.trial_id, TrialState::Complete, Some(&[0.5])).unwrap();
            let t = storage.create_trial(study, NewTrial::default()).unwrap().unwrap();
            storage.finish_trial(t.trial_id, TrialState::Complete, Some(&[1.0])).unwrap();
        });
        std::thread::sleep(Duration::from_millis(1500));
        relay.up();
        writer.join().unwrap();
    });
    assert!(started.elapsed() >= Duration::from_millis(1500));
    let trials = storage.all_trials(study).unwrap();
    assert_eq!(trials.len(), 2);
    assert!(trials.iter().all(|t| t.state == TrialState::Complete));

    // Down for good: the write fails after the timeout, saying so.
    storage.backend().set_reconnect_timeout(Duration::from_millis(1200));
    relay.down();
    let started = std::time::Instant::now();
    let written = storage.create_trial(study, NewTrial::default());
    let Err(Error::Storage(m)) = written else {
        panic!("with the server gone, a write must fail with a storage error, not {written:?}")
    };
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(1200) && waited < Duration::from_secs(8), "{waited:?}");
    assert!(m.contains("gave up after trying for 1.") && m.contains("reconnect_timeout"), "{m}");
    assert!(m.contains(&format!("127.0.0.1:{}", relay.port)), "{m}");
    // And once it is back, the next write goes through.
    relay.up();
    assert_eq!(storage.create_trial(study, NewTrial::default()).unwrap().unwrap().number, 2);
}

/// Statements sent without waiting for their answer (`execute_deferred`,
/// pipelined with the next statement or the commit) still run in order,
/// and one that fails fails the whole transaction: nothing commits, and the
/// error names the statement at fault.
#[test]
fn a_deferred_statement_that_fails_fails_its_transaction() {
    use ferrotune_storage::sql::{SqlBackend, SqlValue};
    let Some(schema) = Schema::new() else { return };
    let storage = PostgresStorage::open(&schema.url).expect("opening the test schema");
    let backend = storage.backend();
    let mut client = schema.client();
    client.batch_execute("CREATE TABLE probe (k BIGINT PRIMARY KEY)").unwrap();
    let count =
        |client: &mut postgres::Client| -> i64 { client.query_one("SELECT count(*) FROM probe", &[]).unwrap().get(0) };

    // In order, with the next statement: its reply sees the deferred rows.
    let seen = backend
        .transaction(true, &mut |tx| {
            tx.execute_deferred("INSERT INTO probe (k) VALUES ($1)", &[SqlValue::from(1_i64)])?;
            tx.execute_deferred("INSERT INTO probe (k) VALUES ($1)", &[SqlValue::from(2_i64)])?;
            let rows = tx.query("SELECT count(*) FROM probe", &[])?;
            Ok(rows[0][0].clone())
        })
        .unwrap();
    assert_eq!(seen, SqlValue::from(2_i64));
    assert_eq!(count(&mut client), 2);

    // A failure found with the next statement: that statement's error is
    // the deferred one's, and nothing of the transaction commits.
    let err = backend
        .transaction(true, &mut |tx| {
            tx.execute_deferred("INSERT INTO probe (k) VALUES ($1)", &[SqlValue::from(3_i64)])?;
            tx.execute_deferred("INSERT INTO probe (k) VALUES ($1)", &[SqlValue::from(1_i64)])?;
            tx.query("SELECT count(*) FROM probe", &[])
        })
        .unwrap_err()
        .to_string();
    assert!(err.contains("duplicate key") && err.contains("INSERT INTO probe"), "{err}");
    assert_eq!(count(&mut client), 2);

    // A failure found at the commit: the transaction fails (the server
    // turned the COMMIT into a rollback), nothing commits.
    let err = backend
        .transaction(true, &mut |tx| {
            tx.execute("INSERT INTO probe (k) VALUES ($1)", &[SqlValue::from(4_i64)])?;
            tx.execute_deferred("INSERT INTO probe (k) VALUES ($1)", &[SqlValue::from(2_i64)])
        })
        .unwrap_err()
        .to_string();
    assert!(err.contains("duplicate key"), "{err}");
    assert_eq!(count(&mut client), 2);

    // The connection is fine afterwards (back in the pool, outside any
    // transaction), and a transaction of deferred statements alone commits.
    backend
        .transaction(true, &mut |tx| tx.execute_deferred("INSERT INTO probe (k) VALUES ($1)", &[SqlValue::from(5_i64)]))
        .unwrap();
    assert_eq!(count(&mut client), 3);

    // A last query sent with the commit: its rows come back, and the
    // transaction has committed (nothing is committed twice or left open).
    let rows = backend
        .transaction(true, &mut |tx| {
            tx.execute_deferred("INSERT INTO probe (k) VALUES ($1)", &[SqlValue::from(6_i64)])?;
            tx.query_and_commit("INSERT INTO probe (k) VALUES ($1) RETURNING k * 10", &[SqlValue::from(7_i64)])
        })
        .unwrap();
    assert_eq!(rows, vec![vec![SqlValue::from(70_i64)]]);
    assert_eq!(count(&mut client), 5);
    // One that fails fails the transaction, the deferred statements with it.
    let err = backend
        .transaction(true, &mut |tx| {
            tx.execute_deferred("INSERT INTO probe (k) VALUES ($1)", &[SqlValue::from(8_i64)])?;
            tx.query_and_commit("INSERT INTO probe (k) VALUES ($1) RETURNING k", &[SqlValue::from(7_i64)])
        })
        .unwrap_err()
        .to_string();
    assert!(err.contains("duplicate key"), "{err}");
    assert_eq!(count(&mut client), 5);
    backend
        .transaction(true, &mut |tx| tx.execute("INSERT INTO probe (k) VALUES ($1)", &[SqlValue::from(9_i64)]))
        .unwrap();
    assert_eq!(count(&mut client), 6);
}
