//! `ferrotune best` on studies with constraints: the real binary must show
//! the best feasible trial (as the library and Optuna do), and when every
//! complete trial violates a constraint, fail with a message saying so.

use std::process::{Command, Output};

use ferrotune::samplers::RandomSampler;
use ferrotune::Study;

/// The binary under test; `FERROTUNE_TEST_BIN` points the test at another
/// build (to check that it fails on an older binary).
fn bin() -> String {
    std::env::var("FERROTUNE_TEST_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_ferrotune").to_owned())
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A study `name` in the SQLite file at `url` minimizing x subject to
/// x >= 0.5 (constraint `0.5 - x <= 0`), with one trial per value of `xs`.
fn bounded_study(url: &str, name: &str, xs: &[f64]) {
    let study = Study::builder().name(name).storage_url(url).sampler(RandomSampler::with_seed(1)).create().unwrap();
    for &x in xs {
        study.enqueue_trial([("x", x)]).unwrap();
    }
    study
        .optimize(xs.len() as u64, |trial| {
            let x = trial.suggest_float("x", 0.0, 1.0)?;
            trial.set_constraint("x_at_least_half", 0.5 - x)?;
            Ok(x)
        })
        .unwrap();
}

fn best(url: &str, name: &str, json: bool) -> Output {
    let mut args = vec!["best", "--storage", url, "--study", name];
    if json {
        args.push("--json");
    }
    Command::new(bin()).args(&args).output().unwrap()
}

#[test]
fn best_shows_the_best_feasible_trial() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:///{}", dir.path().join("constrained.db").display());
    // x = 0.1 has the better value but violates its constraint.
    bounded_study(&url, "bounded", &[0.1, 0.7]);

    let out = best(&url, "bounded", false);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(stdout.contains("trial 1: value 0.7"), "{stdout}");
    assert!(stdout.contains("x = 0.7"), "{stdout}");
    assert!(!stdout.contains("trial 0") && !stdout.contains("0.1"), "the infeasible trial is shown: {stdout}");

    let out = best(&url, "bounded", true);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let best: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(best["number"], 1, "{best}");
    assert_eq!(best["values"], serde_json::json!([0.7]), "{best}");
    assert_eq!(best["params"]["x"], 0.7, "{best}");
}

#[test]
fn best_fails_clearly_when_no_complete_trial_is_feasible() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:///{}", dir.path().join("constrained.db").display());
    bounded_study(&url, "infeasible", &[0.1, 0.2]);

    for json in [false, true] {
        let out = best(&url, "infeasible", json);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "--json {json}: {stderr}");
        assert!(out.stdout.is_empty(), "--json {json}: no trial is printed: {}", text(&out.stdout));
        assert!(
            stderr.contains("error: study 'infeasible': 2 trials completed, but none is feasible"),
            "--json {json}: {stderr}"
        );
        assert!(stderr.contains("every constraint value is <= 0"), "--json {json}: {stderr}");
    }
}
