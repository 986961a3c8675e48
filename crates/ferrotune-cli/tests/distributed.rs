//! Issue 22, running a study on many machines from the command line:
//! the storage URL and study name from `--storage`/`--study` and
//! `FERROTUNE_STORAGE`/`FERROTUNE_STUDY` over the config's `[study]` table
//! (flag > environment > file > default), errors that name the setting
//! at fault, and `[[enqueue]]` trials run once however many workers start
//! a fresh study together.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use ferrotune::{ParamValue, Study, TrialState};

mod common;
use common::{text, Sandbox};

/// Prints loss = (x - 0.3)^2 for the config's x.
const PROGRAM: &str = r#"awk -v x="$FERROTUNE_PARAM_X" 'BEGIN { printf "epoch=1 loss=%.6f\n", (x-0.3)^2 }'"#;

fn url(path: &Path) -> String {
    format!("sqlite:///{}", path.display())
}

/// The number of trials of `study` in the SQLite file `path`, or `None`
/// if the file or the study is not there.
fn count(path: &Path, study: &str) -> Option<usize> {
    if !path.exists() {
        return None;
    }
    let study = Study::builder().name(study).storage_url(url(path)).load().ok()?;
    Some(study.trials().unwrap().len())
}

/// `ferrotune ARGS` in the sandbox with these environment variables.
fn run_with(sb: &Sandbox, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = sb.command(args);
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().unwrap()
}

fn ok(output: &Output) {
    assert!(output.status.success(), "{}\n{}", text(&output.stdout), text(&output.stderr));
}

#[test]
fn the_flag_wins_over_the_environment_which_wins_over_the_config() {
    let sb = Sandbox::new();
    let cfg = sb.config("prec", "storage = \"sqlite:///from-toml.db\"", PROGRAM);
    let cfg = cfg.to_str().unwrap();
    let (toml_db, env_db, flag_db) = (sb.path("from-toml.db"), sb.path("from-env.db"), sb.path("from-flag.db"));
    let env_url = url(&env_db);
    let env = [("FERROTUNE_STORAGE", env_url.as_str())];

    // The config alone: its storage.
    ok(&sb.run(&["run", cfg, "--n-trials", "1", "--quiet"]));
    assert_eq!((count(&toml_db, "prec"), count(&env_db, "prec")), (Some(1), None));

    // The environment over the config.
    ok(&run_with(&sb, &env, &["run", cfg, "--n-trials", "2", "--quiet"]));
    assert_eq!((count(&toml_db, "prec"), count(&env_db, "prec")), (Some(1), Some(2)));

    // The flag over both.
    ok(&run_with(&sb, &env, &["run", cfg, "--storage", &url(&flag_db), "--n-trials", "3", "--quiet"]));
    assert_eq!((count(&toml_db, "prec"), count(&env_db, "prec"), count(&flag_db, "prec")), (Some(1), Some(2), Some(3)));

    // Every command that reads the config's study reads the same one.
    let listed = |env: &[(&str, &str)], extra: &[&str]| {
        let mut args = vec!["trials", "-c", cfg, "--format", "json"];
        args.extend_from_slice(extra);
        let out = run_with(&sb, env, &args);
        ok(&out);
        serde_json::from_slice::<Vec<serde_json::Value>>(&out.stdout).unwrap().len()
    };
    assert_eq!(listed(&[], &[]), 1);
    assert_eq!(listed(&env, &[]), 2);
    assert_eq!(listed(&env, &["--storage", &url(&flag_db)]), 3);
    let best = run_with(&sb, &env, &["best", "-c", cfg, "--json"]);
    ok(&best);
    let best: serde_json::Value = serde_json::from_slice(&best.stdout).unwrap();
    assert!(best["number"].as_u64().unwrap() < 2, "{best}");
    // ask and tell too: the trial asked through the environment's storage
    // is told there.
    let asked = run_with(&sb, &env, &["ask", "-c", cfg]);
    ok(&asked);
    let asked: serde_json::Value = serde_json::from_slice(&asked.stdout).unwrap();
    assert_eq!(asked["trial"], 2);
    ok(&run_with(&sb, &env, &["tell", "-c", cfg, "--trial", "2", "--value", "0.5"]));
    ok(&run_with(&sb, &env, &["enqueue", "-c", cfg, "--param", "x=0.25"]));
    assert_eq!((count(&toml_db, "prec"), count(&env_db, "prec")), (Some(1), Some(4)));
    // Without a config, the environment gives the storage and --study the name.
    let out = run_with(&sb, &env, &["export", "--study", "prec", "--format", "json"]);
    ok(&out);
    assert_eq!(serde_json::from_slice::<Vec<serde_json::Value>>(&out.stdout).unwrap().len(), 4);
}

#[test]
fn the_environment_overrides_the_default_storage_and_the_study_name() {
    let sb = Sandbox::new();
    // No storage key: the default is prec.db beside the config.
    let cfg = sb.config("named", "", PROGRAM);
    let cfg = cfg.to_str().unwrap();
    let db = sb.path("shared.db");
    let shared = url(&db);
    ok(&run_with(&sb, &[("FERROTUNE_STORAGE", &shared)], &["run", cfg, "--n-trials", "1", "--quiet"]));
    assert_eq!(count(&sb.path("named.db"), "named"), None, "the default storage is not used");
    assert_eq!(count(&db, "named"), Some(1));

    // FERROTUNE_STUDY names another study in the same storage; --study wins over it.
    let env = [("FERROTUNE_STORAGE", shared.as_str()), ("FERROTUNE_STUDY", "from-env")];
    ok(&run_with(&sb, &env, &["run", cfg, "--n-trials", "2", "--quiet"]));
    ok(&run_with(&sb, &env, &["run", cfg, "--study", "from-flag", "--n-trials", "3", "--quiet"]));
    assert_eq!((count(&db, "named"), count(&db, "from-env"), count(&db, "from-flag")), (Some(1), Some(2), Some(3)));
    // Each study's trial logs are in a folder of its own name.
    for study in ["named", "from-env", "from-flag"] {
        assert!(sb.path("ferrotune-logs").join(study).join("trial-0.log").exists(), "{study}");
    }
    let out = run_with(&sb, &env, &["studies"]);
    ok(&out);
    let listing = text(&out.stdout);
    assert!(["named", "from-env", "from-flag"].iter().all(|s| listing.contains(s)), "{listing}");
}

#[test]
fn a_bad_storage_is_named_by_the_setting_that_gave_it() {
    let sb = Sandbox::new();
    let cfg = sb.config("bad", "", PROGRAM);
    let cfg = cfg.to_str().unwrap();
    let refused = |env: &[(&str, &str)], args: &[&str], code: i32, names: &str| {
        let out = run_with(&sb, env, args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(stderr.starts_with(&format!("error: {names}")), "{args:?} should name {names}: {stderr}");
    };
    let env_var = "FERROTUNE_STORAGE (environment)";
    let bad_scheme = [("FERROTUNE_STORAGE", "mysql://tuner@db/studies")];
    for args in [
        &["run", cfg][..],
        &["trials", "-c", cfg],
        &["best", "-c", cfg],
        &["export", "-c", cfg],
        &["ask", "-c", cfg],
        &["tell", "-c", cfg, "--trial", "0", "--value", "1"],
        &["enqueue", "-c", cfg, "--param", "x=0.5"],
        &["plot", "slice", "-c", cfg, "-o", "x.svg"],
        &["studies"],
        &["trials", "--study", "bad"],
        &["dashboard", "-c", cfg, "--port", "0"],
    ] {
        refused(&bad_scheme, args, 2, env_var);
    }
    // Set but empty is an error, not "unset": a worker would otherwise
    // fall back to a study of its own.
    refused(&[("FERROTUNE_STORAGE", "")], &["run", cfg], 2, env_var);
    refused(&[("FERROTUNE_STUDY", " ")], &["run", cfg], 2, "FERROTUNE_STUDY (environment)");
    // A server that does not answer is a runtime failure, still named.
    let nobody = [("FERROTUNE_STORAGE", "postgresql://postgres@127.0.0.1:1/none?reconnect_timeout=0")];
    refused(&nobody, &["run", cfg], 1, env_var);
    // The flag and the config's key are named the same way.
    refused(&bad_scheme, &["run", cfg, "--storage", "mysql://x/y"], 2, "--storage");
    let toml = sb.config("bad-key", "storage = \"mysql://x/y\"", PROGRAM);
    refused(&[], &["run", toml.to_str().unwrap()], 2, &format!("{}: study.storage", toml.display()));
    // Nothing was created where the config's default storage would be.
    assert!(!sb.path("bad.db").exists());
    // A study name from the environment that names no study says so.
    let good = url(&sb.path("good.db"));
    ok(&run_with(&sb, &[], &["run", cfg, "--storage", &good, "--n-trials", "1", "--quiet"]));
    let out = run_with(&sb, &[("FERROTUNE_STUDY", "typo")], &["best", "-c", cfg, "--storage", &good]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("FERROTUNE_STUDY"), "{}", text(&out.stderr));
}

/// Without a study name, the storage alone names no study, and the error
/// says what to add.
#[test]
fn the_storage_without_a_study_asks_for_the_name() {
    let sb = Sandbox::new();
    let out = run_with(&sb, &[("FERROTUNE_STORAGE", "sqlite:///x.db")], &["trials"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("FERROTUNE_STORAGE") && stderr.contains("--study NAME"), "{stderr}");
    let out = run_with(&sb, &[], &["best"]);
    assert!(text(&out.stderr).contains("--config TUNE.TOML, or --storage URL --study NAME"), "{}", text(&out.stderr));
}

/// Before the fix, each worker that found the fresh study empty enqueued
/// every `[[enqueue]]` trial, so hand-picked configurations ran once per
/// worker. Now every start enqueues them with skip-if-exists, checked in
/// the write that would create them: workers started together on one
/// SQLite study run each once, and a resumed study enqueues nothing again.
/// (SQLite's lock waits back off long enough that the old race seldom
/// showed here; the PostgreSQL test below makes it certain.)
#[test]
fn workers_started_together_run_each_hand_picked_trial_once() {
    let sb = Sandbox::new();
    let picked = [0.1, 0.5, 0.9];
    let enqueue: String = picked.iter().map(|x| format!("\n[[enqueue]]\nx = {x}\n")).collect();
    let cfg = sb.config("race", "n_trials = 12", &format!("sleep 0.1\n{PROGRAM}"));
    let toml = std::fs::read_to_string(&cfg).unwrap() + &enqueue;
    std::fs::write(&cfg, toml).unwrap();
    let cfg = cfg.to_str().unwrap();

    // The study exists, empty, with its tables, so the workers' first
    // write is their enqueueing; they wait on a FIFO and all start when it
    // is opened for writing, as pods of a Job do.
    Study::builder().name("race").storage_url(url(&sb.path("race.db"))).create().unwrap();
    let gate = sb.path("gate");
    assert!(Command::new("mkfifo").arg(&gate).status().unwrap().success());
    let start = format!("exec 3< '{}' && exec \"$0\" run '{cfg}' --quiet", gate.display());
    let workers: Vec<_> = (0..6)
        .map(|_| {
            let mut worker = Command::new("sh");
            worker.args(["-c", &start, &common::bin()]).current_dir(sb.dir.path());
            worker.env_remove("FERROTUNE_STORAGE").env_remove("FERROTUNE_STUDY");
            worker.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap()
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(300));
    drop(std::fs::OpenOptions::new().write(true).open(&gate).unwrap());
    for worker in workers {
        let out = worker.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let check = || {
        let trials =
            Study::builder().name("race").storage_url(url(&sb.path("race.db"))).load().unwrap().trials().unwrap();
        let mut runs: BTreeMap<String, usize> = BTreeMap::new();
        for t in trials.iter().filter(|t| t.is_enqueued()) {
            let Some(ParamValue::Float(x)) = t.fixed_params.as_ref().unwrap().get("x") else { panic!("{t:?}") };
            *runs.entry(x.to_string()).or_default() += 1;
            assert_eq!(t.state, TrialState::Complete, "{t:?}");
        }
        let expected: BTreeMap<String, usize> = picked.iter().map(|x| (x.to_string(), 1)).collect();
        assert_eq!(runs, expected, "each hand-picked trial once");
        assert_eq!(trials.len(), 12, "n_trials in all");
        assert!(trials.iter().all(|t| t.state == TrialState::Complete));
    };
    check();
    // Resuming the finished study enqueues nothing again.
    ok(&sb.run(&["run", cfg, "--quiet"]));
    check();
}

/// `psql` on the test server (`FERROTUNE_TEST_POSTGRES`, default the local
/// `test` database), or `None` where there is no server or no `psql`
/// (a failure with `FERROTUNE_REQUIRE_POSTGRES=1`).
fn psql_server() -> Option<String> {
    let server = std::env::var("FERROTUNE_TEST_POSTGRES")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or("postgresql://postgres@127.0.0.1:5432/test".into());
    let answers = Command::new("psql").args([&server, "-qAtc", "select 1"]).output().is_ok_and(|o| o.status.success());
    if !answers {
        assert!(
            std::env::var("FERROTUNE_REQUIRE_POSTGRES").map_or(true, |v| v.trim() != "1"),
            "FERROTUNE_REQUIRE_POSTGRES=1 but psql cannot reach {server}"
        );
        eprintln!("skipped: psql cannot reach {server}");
    }
    answers.then_some(server)
}

fn psql(url: &str, sql: &str) -> String {
    let out = Command::new("psql").args([url, "-qAtc", sql]).output().unwrap();
    assert!(out.status.success(), "{sql}: {}", text(&out.stderr));
    text(&out.stdout)
}

/// The race made certain: on PostgreSQL, a transaction holds the fresh
/// study's row lock while six workers start. Each finds the study empty
/// and waits on the lock to write; the old check-then-enqueue then
/// enqueued the hand-picked trials six times over. Enqueued with
/// skip-if-exists under that lock, each runs once. (Also the recipe of
/// docs/distributed.md: the URL comes from FERROTUNE_STORAGE.)
#[test]
fn workers_waiting_on_a_fresh_postgresql_study_enqueue_each_hand_picked_trial_once() {
    let Some(server) = psql_server() else { return };
    let schema = format!("ft_cli_race_{}", std::process::id());
    psql(&server, &format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"));
    let sep = if server.contains('?') { '&' } else { '?' };
    let url = format!("{server}{sep}options=-csearch_path%3D{schema}");

    let sb = Sandbox::new();
    let cfg = sb.config("race", "n_trials = 8", &format!("sleep 0.1\n{PROGRAM}"));
    let toml = std::fs::read_to_string(&cfg).unwrap() + "\n[[enqueue]]\nx = 0.1\n\n[[enqueue]]\nx = 0.9\n";
    std::fs::write(&cfg, toml).unwrap();
    let cfg = cfg.to_str().unwrap();
    Study::builder().name("race").storage_url(&url).create().unwrap();

    let mut holder =
        Command::new("psql").args([url.as_str(), "-qAt"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    let mut hold = holder.stdin.take().unwrap();
    use std::io::{BufRead, Write};
    writeln!(hold, "BEGIN; SELECT 'held' FROM studies WHERE name = 'race' FOR UPDATE;").unwrap();
    let mut line = String::new();
    std::io::BufReader::new(holder.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "held");

    let n_workers = 6;
    let workers: Vec<_> = (0..n_workers)
        .map(|_| {
            let mut worker = sb.command(&["run", cfg, "--quiet"]);
            worker.env("FERROTUNE_STORAGE", &url).stdout(Stdio::null()).stderr(Stdio::piped());
            worker.spawn().unwrap()
        })
        .collect();
    // Until every worker waits on the lock (or, should they never, 30 s).
    let waiting = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' \
                   AND query LIKE '%UPDATE studies%' AND datname = current_database()";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while psql(&server, waiting).trim().parse::<usize>().unwrap() < n_workers && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    writeln!(hold, "COMMIT;").unwrap();
    drop(hold);
    holder.wait().unwrap();
    for worker in workers {
        let out = worker.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let trials = Study::builder().name("race").storage_url(&url).load().unwrap().trials().unwrap();
    let picked: Vec<String> =
        trials.iter().filter_map(|t| t.fixed_params.as_ref().map(|f| format!("{:?}", f.get("x")))).collect();
    psql(&server, &format!("DROP SCHEMA {schema} CASCADE"));
    assert_eq!(picked.len(), 2, "each hand-picked trial once: {picked:?}");
    assert_eq!(trials.len(), 8, "n_trials in all");
    assert!(trials.iter().all(|t| t.state == TrialState::Complete));
}
