//! Several processes sharing one SQLite file, and a process killed with
//! SIGKILL mid-study.
//!
//! The worker processes are this test binary itself, re-run with
//! `--ignored --exact worker_process` and told what to do through
//! environment variables.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ferrotune::samplers::{GridSampler, RandomSampler};
use ferrotune::{Optimize, ParamValue, Study, TrialState};

const STUDY: &str = "shared";

fn spawn_worker(db: &Path, mode: &str, seed: u64) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "worker_process", "--nocapture", "--test-threads", "1"])
        .env("FERROTUNE_TEST_DB", db)
        .env("FERROTUNE_TEST_MODE", mode)
        .env("FERROTUNE_TEST_SEED", seed.to_string())
        // The child is a test harness too; its chatter would read like
        // this binary's own results.
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn grid() -> GridSampler {
    let grid = BTreeMap::from([
        ("a".to_string(), (0..10).map(ParamValue::Int).collect()),
        ("b".to_string(), (0..6).map(ParamValue::Int).collect()),
    ]);
    GridSampler::with_seed(grid, 5).unwrap()
}

/// What a worker process runs. Not a test of its own: the tests below start
/// it in child processes.
#[test]
#[ignore = "run in child processes by the tests in this file"]
fn worker_process() {
    let db = std::env::var("FERROTUNE_TEST_DB").expect("started by a test in this file");
    let mode = std::env::var("FERROTUNE_TEST_MODE").unwrap();
    let seed: u64 = std::env::var("FERROTUNE_TEST_SEED").unwrap().parse().unwrap();
    let url = format!("sqlite:///{db}");
    let builder = Study::builder().name(STUDY).storage_url(&url).load_if_exists(true);
    match mode.as_str() {
        "random" => {
            let study = builder.sampler(RandomSampler::with_seed(seed)).create().unwrap();
            study
                .optimize_with(Optimize::new().n_trials(100).n_jobs(2), |trial| {
                    let x = trial.suggest_float("x", -1.0, 1.0)?;
                    let y = trial.suggest_int("y", 0, 10)?;
                    trial.report(0, x)?;
                    std::thread::sleep(Duration::from_micros(200 + (trial.number() % 7) * 150));
                    Ok(x * x + y as f64)
                })
                .unwrap();
        }
        "grid" => {
            let study = builder.sampler(grid()).create().unwrap();
            study
                .optimize_with(Optimize::new().n_jobs(2), |trial| {
                    let a = trial.suggest_int("a", 0, 9)?;
                    let b = trial.suggest_int("b", 0, 5)?;
                    std::thread::sleep(Duration::from_millis(1));
                    Ok((a * b) as f64)
                })
                .unwrap();
        }
        "slow" => {
            let study = builder.sampler(RandomSampler::with_seed(seed)).create().unwrap();
            study
                .optimize(1_000_000, |trial| {
                    let x = trial.suggest_float("x", -1.0, 1.0)?;
                    for step in 0..3 {
                        trial.report(step, x)?;
                        std::thread::sleep(Duration::from_millis(3));
                    }
                    Ok(x * x)
                })
                .unwrap();
        }
        other => panic!("unknown mode {other}"),
    }
}

fn wait_all(children: Vec<Child>) {
    for child in children {
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "a worker process failed ({}):\n{stderr}", output.status);
    }
}

#[test]
fn four_processes_two_threads_each_share_one_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shared.db");
    let children: Vec<Child> = (0..4).map(|i| spawn_worker(&db, "random", i)).collect();
    wait_all(children);

    let study = Study::builder().name(STUDY).storage_url(format!("sqlite:///{}", db.display())).load().unwrap();
    let trials = study.trials().unwrap();
    let numbers: Vec<u64> = trials.iter().map(|t| t.number).collect();
    assert_eq!(numbers, (0..400).collect::<Vec<_>>(), "every number once, none lost");
    let failed: Vec<_> =
        trials.iter().filter(|t| t.state != TrialState::Complete).map(|t| (t.number, t.fail_reason())).collect();
    assert!(failed.is_empty(), "trials not complete: {failed:?}");
    assert!(trials.iter().all(|t| t.params.len() == 2 && t.intermediate_values.len() == 1));
}

#[test]
fn grid_points_are_never_repeated_across_processes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("grid.db");
    let children: Vec<Child> = (0..3).map(|i| spawn_worker(&db, "grid", i)).collect();
    wait_all(children);

    let study = Study::builder().name(STUDY).storage_url(format!("sqlite:///{}", db.display())).load().unwrap();
    let trials = study.trials().unwrap();
    assert_eq!(trials.len(), 60, "exactly the 60 grid points, no extra trial");
    assert!(trials.iter().all(|t| t.state == TrialState::Complete));
    let points: BTreeSet<(i64, i64)> = trials
        .iter()
        .map(|t| {
            let p = t.param_values();
            (p["a"].as_i64().unwrap(), p["b"].as_i64().unwrap())
        })
        .collect();
    assert_eq!(points.len(), 60);
}

#[test]
fn a_process_killed_mid_study_leaves_a_resumable_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("killed.db");
    let url = format!("sqlite:///{}", db.display());
    let mut child = spawn_worker(&db, "slow", 1);
    let deadline = Instant::now() + Duration::from_secs(60);
    let study = loop {
        assert!(Instant::now() < deadline, "the worker made no progress");
        std::thread::sleep(Duration::from_millis(50));
        if let Ok(study) = Study::builder().name(STUDY).storage_url(&url).load() {
            if study.trials_in(&[TrialState::Complete]).unwrap().len() >= 15 {
                break study;
            }
        }
    };
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    drop(study);

    let study = Study::builder().name(STUDY).storage_url(&url).sampler(RandomSampler::with_seed(2)).load().unwrap();
    let before = study.trials().unwrap();
    let complete_before: Vec<_> = before.iter().filter(|t| t.state == TrialState::Complete).cloned().collect();
    assert!(complete_before.len() >= 15);
    for t in &complete_before {
        assert_eq!(t.intermediate_values.len(), 3);
        assert_eq!(t.value(), Some(t.param_values()["x"].as_f64().unwrap().powi(2)));
    }
    // The trial that was running when the process died stays visible as
    // running; nothing else is half-written.
    assert!(before.iter().filter(|t| t.state == TrialState::Running).count() <= 1);

    study.optimize(10, |trial| Ok(trial.suggest_float("x", -1.0, 1.0)?)).unwrap();
    let after = study.trials().unwrap();
    assert_eq!(after.len(), before.len() + 10);
    assert_eq!(after.iter().map(|t| t.number).collect::<Vec<_>>(), (0..after.len() as u64).collect::<Vec<_>>());
    for t in &complete_before {
        assert_eq!(**t, *after[t.number as usize], "completed trials are intact");
    }
}
