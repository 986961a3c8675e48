//! Chaos test (issue 22): 8 worker processes share one study of 400
//! trials with a 20-step objective while a driver kills random workers
//! with SIGKILL every few seconds and starts new ones, and, on PostgreSQL,
//! once drops every connection of the workers with `pg_terminate_backend`.
//! At the end: trial numbers dense and unique, exactly 400 complete, every
//! killed worker's trial failed by heartbeat with a reason and retried with
//! the same parameters, no trial left running or waiting, and no worker
//! that was not killed saw an error ("database is locked", a serialization
//! failure or anything else).
//!
//! The workers are this test binary itself, re-run with `--ignored --exact
//! worker_process` (as in `processes.rs`): `cargo test --test chaos` builds
//! one target, and the worker is the library as a user's program calls it.
//! Each prints `started N` when its objective starts trial N and
//! `finished N` when the trial is told, so the driver knows which trial a
//! worker it kills was running.
//!
//! PostgreSQL: the server at 127.0.0.1:5432 (or `FERROTUNE_TEST_POSTGRES`),
//! in a schema of the test's own; skipped with a reason where none answers,
//! unless `FERROTUNE_REQUIRE_POSTGRES=1`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ferrotune::core::FAIL_REASON_ATTR;
use ferrotune::samplers::RandomSampler;
use ferrotune::storage::PostgresStorage;
use ferrotune::{AttrValue, FrozenTrial, Optimize, Study, TrialState, RETRY_HISTORY_ATTR, RETRY_OF_ATTR};

const STUDY: &str = "chaos";
const WORKERS: usize = 8;
const N_TRIALS: u64 = 400;
const STEPS: u64 = 20;
const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(1);
const GRACE_PERIOD: Duration = Duration::from_secs(3);
/// Kill a worker every this long, give or take half.
const KILL_EVERY: Duration = Duration::from_millis(1500);
/// Stop killing once this many trials are complete, so the run ends.
const KILL_UNTIL_COMPLETE: usize = 330;
/// Whatever happens, the driver gives up after this long.
const DEADLINE: Duration = Duration::from_secs(240);

/// What a worker process runs. Not a test of its own: the tests below
/// start it in child processes.
#[test]
#[ignore = "run in child processes by the tests in this file"]
fn worker_process() {
    let url = std::env::var("FERROTUNE_CHAOS_URL").expect("started by a test in this file");
    let seed: u64 = std::env::var("FERROTUNE_CHAOS_SEED").unwrap().parse().unwrap();
    // On PostgreSQL, the storage by hand, to report its reconnects.
    let postgres = url.starts_with("postgresql://").then(|| {
        Arc::new(PostgresStorage::open(&url).unwrap_or_else(|e| fail(&format!("cannot open the storage: {e}"))))
    });
    let builder = match &postgres {
        Some(storage) => Study::builder().storage(storage.clone()),
        None => Study::builder().storage_url(&url),
    };
    let study = builder
        .name(STUDY)
        .load_if_exists(true)
        .sampler(RandomSampler::with_seed(seed))
        .heartbeat_interval(HEARTBEAT_INTERVAL)
        .grace_period(GRACE_PERIOD)
        .max_retries(50)
        .create()
        .unwrap_or_else(|e| fail(&format!("cannot start: {e}")));
    let options =
        Optimize::new().max_sampled_trials(N_TRIALS).callback(|_, trial| say(&format!("finished {}", trial.number)));
    let result = study.optimize_with(options, |trial| {
        say(&format!("started {}", trial.number()));
        let x = trial.suggest_float("x", -1.0, 1.0)?;
        let n = trial.suggest_int("n", 1, 8)?;
        let mut value = 0.0;
        for step in 0..STEPS {
            value = x * x + n as f64 / (step + 1) as f64;
            trial.report(step, value)?;
            std::thread::sleep(Duration::from_millis(15));
        }
        Ok(value)
    });
    if let Err(e) = result {
        fail(&format!("optimize: {e}"));
    }
    if let Some(storage) = postgres {
        say(&format!("reconnects {}", storage.backend().reconnects()));
    }
}

fn now_us() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_micros() as i64
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn fail(message: &str) -> ! {
    eprintln!("worker error: {message}");
    std::process::exit(3)
}

/// A worker process and what it printed.
struct Worker {
    child: Child,
    stdout: JoinHandle<Vec<String>>,
    stderr: JoinHandle<String>,
}

impl Worker {
    fn spawn(url: &str, seed: u64) -> Worker {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--ignored", "--exact", "worker_process", "--nocapture", "--test-threads", "1", "-q"])
            .env("FERROTUNE_CHAOS_URL", url)
            .env("FERROTUNE_CHAOS_SEED", seed.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let stdout = std::thread::spawn(move || BufReader::new(out).lines().map_while(|l| l.ok()).collect());
        let mut err = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = err.read_to_string(&mut text);
            text
        });
        Worker { child, stdout, stderr }
    }

    /// Whether it has exited.
    fn exited(&mut self) -> bool {
        self.child.try_wait().unwrap().is_some()
    }

    /// Wait for it to end: whether it succeeded, its output lines and its stderr.
    fn finish(mut self) -> (bool, Vec<String>, String) {
        let status = self.child.wait().unwrap();
        (status.success(), self.stdout.join().unwrap(), self.stderr.join().unwrap())
    }
}

/// The trial the worker was running when it died: the last one it started
/// and did not finish.
fn trial_in_hand(lines: &[String]) -> Option<u64> {
    let mut current = None;
    for line in lines {
        if let Some(n) = line.strip_prefix("started ") {
            current = n.trim().parse().ok();
        } else if let Some(n) = line.strip_prefix("finished ") {
            if current == n.trim().parse().ok() {
                current = None;
            }
        }
    }
    current
}

/// A small generator for the driver's choices (which worker, when).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

/// What the driver saw.
#[derive(Default)]
struct Run {
    kills: usize,
    /// Trials the killed workers were running (those that had started
    /// one), with the time of the kill (microseconds since the epoch).
    killed_trials: Vec<(u64, i64)>,
    /// Server processes ended by `pg_terminate_backend`.
    connections_dropped: i64,
    /// Reconnects the workers that were not killed report.
    reconnects: u64,
    elapsed: Duration,
}

/// Run the chaos on `url` and check the study it leaves. `drop_connections`
/// drops every connection of the workers once, midway.
fn chaos(url: &str, drop_connections: Option<&dyn Fn() -> i64>) -> Run {
    let started = Instant::now();
    let mut rng = Lcg(0x5eed ^ u64::from(std::process::id()));
    let mut seed = 0;
    let mut spawn = || {
        seed += 1;
        Worker::spawn(url, seed)
    };
    let mut workers: Vec<Worker> = (0..WORKERS).map(|_| spawn()).collect();
    let mut finished: Vec<(bool, Vec<String>, String)> = Vec::new();
    let mut run = Run::default();
    let observer = Study::builder().name(STUDY).storage_url(url).load_if_exists(true).create().unwrap();
    let mut next_kill = started + KILL_EVERY;
    let mut dropped = false;
    let mut killing = true;
    loop {
        assert!(started.elapsed() < DEADLINE, "the chaos run did not end within {DEADLINE:?}");
        std::thread::sleep(Duration::from_millis(100));
        // Workers that ended by themselves (the study is done).
        let mut i = 0;
        while i < workers.len() {
            if workers[i].exited() {
                finished.push(workers.swap_remove(i).finish());
            } else {
                i += 1;
            }
        }
        if workers.is_empty() {
            break;
        }
        let complete = observer.trials_in(&[TrialState::Complete]).unwrap().len();
        killing &= complete < KILL_UNTIL_COMPLETE;
        if killing && Instant::now() >= next_kill {
            let victim = (rng.next() % workers.len() as u64) as usize;
            let mut worker = workers.swap_remove(victim);
            let at = now_us();
            worker.child.kill().unwrap(); // SIGKILL
            let (_, lines, _) = worker.finish();
            run.kills += 1;
            run.killed_trials.extend(trial_in_hand(&lines).map(|number| (number, at)));
            workers.push(spawn());
            next_kill = Instant::now() + KILL_EVERY.mul_f64(0.5 + (rng.next() % 1000) as f64 / 1000.0);
            if let (Some(drop_all), false, 3) = (drop_connections, dropped, run.kills) {
                run.connections_dropped = drop_all();
                dropped = true;
            }
        }
    }
    run.elapsed = started.elapsed();

    // Nobody who was not killed saw an error.
    for (success, lines, stderr) in &finished {
        let reconnects = lines.iter().filter_map(|l| l.strip_prefix("reconnects ")?.parse::<u64>().ok()).sum::<u64>();
        run.reconnects += reconnects;
        for bad in ["database is locked", "serializ", "deadlock", "worker error", "panicked"] {
            assert!(!stderr.contains(bad), "a worker's stderr has '{bad}':\n{stderr}");
        }
        assert!(success, "a worker failed:\n{stderr}");
    }
    if drop_connections.is_some() {
        assert!(dropped && run.connections_dropped > 0, "the connections were dropped once");
    }
    check_study(&observer, &run);
    run
}

fn check_study(study: &Study, run: &Run) {
    let trials = study.trials().unwrap();
    // Dense and unique (the cache refuses gaps; check the order too).
    assert!(trials.iter().enumerate().all(|(i, t)| t.number == i as u64), "trial numbers are dense and unique");
    let count = |state| trials.iter().filter(|t| t.state == state).count();
    assert_eq!(count(TrialState::Complete), N_TRIALS as usize, "exactly {N_TRIALS} complete");
    assert_eq!(count(TrialState::Running), 0, "no trial left running");
    assert_eq!(count(TrialState::Waiting), 0, "no trial left waiting");
    assert_eq!(count(TrialState::Pruned), 0);
    let sampled = trials.iter().filter(|t| !t.system_attrs.contains_key(RETRY_OF_ATTR)).count();
    assert_eq!(sampled, N_TRIALS as usize, "{N_TRIALS} configurations sampled");

    // Every failed trial (the objective never fails: only killed workers'
    // trials do) was failed by heartbeat, with the reason, and retried
    // with its parameters by the next trial of its series.
    let mut retry_of_failed: BTreeMap<u64, &FrozenTrial> = BTreeMap::new();
    for t in &trials {
        let history = t.system_attrs.get(RETRY_HISTORY_ATTR).and_then(AttrValue::as_array);
        if let Some(last) = history.and_then(|h| h.last()).and_then(AttrValue::as_u64) {
            assert!(retry_of_failed.insert(last, t).is_none(), "trial {last} was retried twice");
        }
    }
    let failed: BTreeSet<u64> = trials.iter().filter(|t| t.state == TrialState::Failed).map(|t| t.number).collect();
    for &number in &failed {
        let t = &trials[number as usize];
        let reason = t.system_attrs.get(FAIL_REASON_ATTR).and_then(AttrValue::as_str).unwrap_or("");
        assert!(reason.starts_with("heartbeat: no heartbeat for "), "trial {number} failed for '{reason}'");
        let retry = retry_of_failed.get(&number).unwrap_or_else(|| panic!("failed trial {number} was not retried"));
        assert_eq!(retry.fixed_params.as_ref(), Some(&t.param_values()), "the retry of {number} has its parameters");
        let ran = retry.param_values();
        assert!(t.param_values().iter().all(|(k, v)| ran.get(k) == Some(v)), "retry of {number} ran its parameters");
    }
    assert_eq!(retry_of_failed.len(), failed.len(), "only failed trials are retried");
    // The trials the killed workers had in hand are among them, but for
    // one whose outcome was written before the kill landed (between the
    // write and the worker's `finished` line).
    let mut told_first = 0;
    for &(number, killed_at) in &run.killed_trials {
        let t = &trials[number as usize];
        if t.state == TrialState::Complete && t.finished_at_us.is_some_and(|f| f <= killed_at) {
            told_first += 1;
            continue;
        }
        assert!(failed.contains(&number), "killed worker's trial {number} is {:?}", t.state);
    }
    assert!(run.killed_trials.len() > told_first, "some worker was killed mid-trial");
    println!(
        "chaos: {} trials ({} complete, {} failed by heartbeat and retried), {} workers killed ({} mid-trial, \
         {} of them just after telling it), {} connections dropped, {} reconnects (by the workers that lived), {:.1} s",
        trials.len(),
        N_TRIALS,
        failed.len(),
        run.kills,
        run.killed_trials.len(),
        told_first,
        run.connections_dropped,
        run.reconnects,
        run.elapsed.as_secs_f64()
    );
}

#[test]
fn chaos_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:///{}", dir.path().join("chaos.db").display());
    chaos(&url, None);
}

#[test]
fn chaos_on_postgres() {
    let server = std::env::var("FERROTUNE_TEST_POSTGRES")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or("postgresql://postgres@127.0.0.1:5432/test".into());
    let connect = || {
        let mut config = postgres::Config::from_str(&server).unwrap();
        config.connect_timeout(Duration::from_secs(5));
        config.connect(postgres::NoTls)
    };
    let mut admin = match connect() {
        Ok(client) => client,
        Err(e) if std::env::var("FERROTUNE_REQUIRE_POSTGRES").is_ok_and(|v| v.trim() == "1") => {
            panic!("FERROTUNE_REQUIRE_POSTGRES=1 but no PostgreSQL server answers at {server}: {e}")
        }
        Err(e) => {
            eprintln!(
                "skipped: no PostgreSQL server answers at {server} ({e}); FERROTUNE_REQUIRE_POSTGRES=1 fails instead"
            );
            return;
        }
    };
    let schema = format!(
        "ft_chaos_{}_{}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos() % 100_000
    );
    admin.batch_execute(&format!("CREATE SCHEMA {schema}")).unwrap();
    let sep = if server.contains('?') { '&' } else { '?' };
    // The workers' connections carry the schema's name, so that the driver
    // drops theirs and nobody else's.
    let url = format!("{server}{sep}options=-csearch_path%3D{schema}&application_name={schema}");
    let admin = Arc::new(Mutex::new(admin));
    let drop_all = {
        let (admin, schema) = (admin.clone(), schema.clone());
        move || -> i64 {
            let row = admin
                .lock()
                .unwrap()
                .query_one(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1",
                    &[&schema],
                )
                .unwrap();
            row.get(0)
        }
    };
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| chaos(&url, Some(&drop_all))));
    let dropped = admin.lock().unwrap().batch_execute(&format!("DROP SCHEMA {schema} CASCADE"));
    if let Err(e) = dropped {
        eprintln!("could not drop the test schema {schema}: {e}");
    }
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}
