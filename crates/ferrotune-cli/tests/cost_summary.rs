//! The cost line of `ferrotune trials` and `ferrotune best` (issue 20):
//! trials by state, compute time, and the time pruning saved, said only
//! when there are pruned trials and complete ones to estimate from. The
//! line goes to standard error, so the listings on standard output and the
//! machine formats stay as they were.

use std::process::Output;

use ferrotune::{Study, TrialOutcome};

mod common;
use common::{bin, text};

/// A study `name` in the SQLite file at `url` whose trials end as
/// `outcomes`: `'c'` complete after 10 steps, `'p'` pruned after 3, `'f'`
/// failed after 1.
fn study(url: &str, name: &str, outcomes: &str) {
    let study = Study::builder().name(name).storage_url(url).create().unwrap();
    for (i, outcome) in outcomes.chars().enumerate() {
        let mut trial = study.ask().unwrap();
        trial.suggest_float("x", 0.0, 1.0).unwrap();
        let n_steps = match outcome {
            'c' => 10,
            'p' => 3,
            _ => 1,
        };
        for step in 0..n_steps {
            trial.report(step, 1.0 / (step + 1) as f64).unwrap();
        }
        let outcome = match outcome {
            'c' => TrialOutcome::Complete(vec![i as f64]),
            'p' => TrialOutcome::Pruned,
            _ => TrialOutcome::Failed("broken".into()),
        };
        study.tell_outcome(trial, outcome).unwrap();
    }
}

fn run(args: &[&str]) -> Output {
    let out = std::process::Command::new(bin()).args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out.stderr));
    out
}

/// The one cost line on standard error.
fn cost_line(out: &Output) -> String {
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    stderr.trim_end().to_owned()
}

#[test]
fn trials_and_best_say_what_the_study_cost_and_what_pruning_saved() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:///{}", dir.path().join("cost.db").display());
    study(&url, "mixed", "cpcpfc");

    let listed = run(&["trials", "--storage", &url, "--study", "mixed"]);
    assert_eq!(text(&listed.stdout).lines().count(), 7, "the table alone: {}", text(&listed.stdout));
    let line = cost_line(&listed);
    assert!(line.starts_with("6 trials (3 complete, 2 pruned, 1 failed) · compute "), "{line}");
    // Each pruned trial stopped after 3 of the complete trials' 10 steps.
    assert!(line.contains(" · pruning saved ~") && line.ends_with(" (~14 steps)"), "{line}");

    // A filter narrows the table, not the study the line describes.
    let pruned = run(&["trials", "--storage", &url, "--study", "mixed", "--state", "pruned"]);
    assert_eq!(text(&pruned.stdout).lines().count(), 3, "{}", text(&pruned.stdout));
    assert_eq!(cost_line(&pruned), line);

    let best = run(&["best", "--storage", &url, "--study", "mixed"]);
    let stdout = text(&best.stdout);
    let first = stdout.lines().next().unwrap_or_default();
    assert!(first.starts_with("trial 0: value 0 (") && first.ends_with(')'), "the duration: {stdout}");
    assert!(cost_line(&best).starts_with("6 trials (3 complete, 2 pruned, 1 failed) · compute "));

    // The machine formats say nothing more.
    for args in [vec!["trials", "--format", "csv"], vec!["trials", "--format", "json"], vec!["best", "--json"]] {
        let out = run(&[args.as_slice(), &["--storage", &url, "--study", "mixed"]].concat());
        assert_eq!(text(&out.stderr), "", "{args:?}");
    }
    let best: serde_json::Value =
        serde_json::from_slice(&run(&["best", "--json", "--storage", &url, "--study", "mixed"]).stdout).unwrap();
    assert!(best["duration_s"].as_f64().is_some_and(|d| d >= 0.0), "{best}");
}

#[test]
fn pruning_saved_is_said_only_with_pruned_and_complete_trials() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:///{}", dir.path().join("cost.db").display());
    study(&url, "unpruned", "ccf");
    study(&url, "all-pruned", "ppf");

    let line = cost_line(&run(&["trials", "--storage", &url, "--study", "unpruned"]));
    assert!(line.starts_with("3 trials (2 complete, 1 failed) · compute "), "{line}");
    assert!(!line.contains("pruning"), "nothing was pruned: {line}");

    // No complete trial shows what a whole trial costs.
    let line = cost_line(&run(&["trials", "--storage", &url, "--study", "all-pruned"]));
    assert!(line.starts_with("3 trials (2 pruned, 1 failed) · compute "), "{line}");
    assert!(!line.contains("pruning"), "nothing to estimate from: {line}");
}
