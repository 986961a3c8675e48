//! TensorBoard logs from the CLI (issue 24): `[study] tensorboard_dir` in
//! `run` and `export --format tensorboard`. Which folders and files appear,
//! and the errors; that TensorBoard reads them back as the study's trials is
//! checked with TensorBoard's own reader in the Python package's tests
//! (`crates/ferrotune-py/tests/test_tensorboard.py`).

mod common;

use std::path::Path;

use common::{text, Sandbox};
use ferrotune::TrialState;

fn event_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.contains("tfevents"))
        .collect()
}

/// A program that fails above 0.7, so the study has failed trials too.
const PROGRAM: &str = "awk -v x=\"$FERROTUNE_PARAM_X\" 'BEGIN { if (x > 0.7) exit 3; print \"loss=\" x * x }'";

#[test]
fn run_writes_each_finished_trial_and_export_writes_the_study() {
    let sb = Sandbox::new();
    let config = sb.config("tb", "n_trials = 6\ntensorboard_dir = \"runs\"", PROGRAM);
    let out = sb.run(&["run", config.to_str().unwrap(), "--quiet"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    let trials = sb.study("tb").trials().unwrap();
    assert!(trials.iter().any(|t| t.state == TrialState::Failed), "seed 1 draws x > 0.7 in six trials");
    let experiment = event_files(&sb.path("runs"));
    assert_eq!(experiment.len(), 1, "one experiment summary: {experiment:?}");
    for trial in &trials {
        let run = sb.path(&format!("runs/trial-{}", trial.number));
        assert_eq!(event_files(&run).len(), 1, "{} has one event file", run.display());
    }

    let out = sb.run(&["export", "-c", config.to_str().unwrap(), "--format", "tensorboard", "--out", "exported"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("wrote 6 finished trials"), "{}", text(&out.stderr));
    for trial in &trials {
        assert_eq!(event_files(&sb.path(&format!("exported/trial-{}", trial.number))).len(), 1);
    }
    // Exported again: the same files, none added.
    let out = sb.run(&["export", "-c", config.to_str().unwrap(), "--format", "tensorboard", "--out", "exported"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(event_files(&sb.path("exported")).len(), 1);
    assert_eq!(event_files(&sb.path("exported/trial-0")).len(), 1);
}

#[test]
fn tell_writes_the_trial_it_finishes() {
    let sb = Sandbox::new();
    let config = sb.config("asktell", "n_trials = 2\ntensorboard_dir = \"runs\"", PROGRAM);
    let cfg = config.to_str().unwrap();
    for value in ["0.5", "0.25"] {
        let asked: serde_json::Value = serde_json::from_slice(&sb.run(&["ask", "-c", cfg]).stdout).unwrap();
        let number = asked["trial"].to_string();
        assert!(!sb.path(&format!("runs/trial-{number}")).exists(), "nothing before the trial is told");
        let out = sb.run(&["tell", "-c", cfg, "--trial", &number, "--value", value]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_eq!(event_files(&sb.path(&format!("runs/trial-{number}"))).len(), 1, "trial {number} is logged");
    }
    assert_eq!(event_files(&sb.path("runs")).len(), 1, "one experiment summary");
}

#[test]
fn bad_tensorboard_settings_are_errors_naming_them() {
    let sb = Sandbox::new();
    let empty = sb.config("empty", "n_trials = 1\ntensorboard_dir = \" \"", "echo loss=1");
    let out = sb.run(&["run", empty.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("study.tensorboard_dir"), "{}", text(&out.stderr));

    sb.write("blocker", "");
    let blocked = sb.config("blocked", "n_trials = 1\ntensorboard_dir = \"blocker/runs\"", "echo loss=1");
    let out = sb.run(&["run", blocked.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("blocker"), "{}", text(&out.stderr));
    assert!(sb.study("blocked").trials().unwrap().is_empty(), "nothing ran");

    let out = sb.run(&["export", "-c", empty.to_str().unwrap(), "--format", "tensorboard"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--output DIR"), "{}", text(&out.stderr));
}
