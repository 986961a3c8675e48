//! `ferrotune export --format optuna` and `ferrotune import` with the real
//! binary: a study goes out to an Optuna SQLite file and comes back whole,
//! and every mistake (no storage, a missing file, a name already taken, an
//! Optuna file given as ferrotune's storage) is an error that says what to
//! do. Optuna itself reads the exported files in the Python suite
//! (`crates/ferrotune-py/tests/test_optuna_interop.py`).

mod common;

use std::process::Output;

use common::{bin, Sandbox};
use ferrotune::samplers::RandomSampler;
use ferrotune::{Study, TrialOutcome, TrialState};

fn run(args: &[&str]) -> Output {
    std::process::Command::new(bin()).args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A study with complete, pruned and failed trials, conditional and
/// categorical parameters, intermediate values and user attributes.
fn make_study(url: &str, name: &str) -> Study {
    let study = Study::builder().name(name).storage_url(url).sampler(RandomSampler::with_seed(3)).create().unwrap();
    for i in 0..6 {
        let mut trial = study.ask().unwrap();
        let x = trial.suggest_float("x", 0.0, 1.0).unwrap();
        let kind = trial.suggest_categorical("kind", &["a", "b"]).unwrap();
        if kind == "a" {
            trial.suggest_int("n", 1, 64).unwrap();
        }
        trial.set_user_attr("i", i).unwrap();
        trial.report(0, x).unwrap();
        trial.report(1, f64::NAN).unwrap();
        let outcome = match i {
            1 => TrialOutcome::Pruned,
            2 => TrialOutcome::Failed("boom".into()),
            _ => TrialOutcome::Complete(vec![x]),
        };
        study.tell_outcome(trial, outcome).unwrap();
    }
    study
}

#[test]
fn a_study_goes_out_to_optuna_and_comes_back_whole() {
    let sandbox = Sandbox::new();
    let ours = format!("sqlite:///{}", sandbox.path("ours.db").display());
    let study = make_study(&ours, "mlp");
    let optuna_file = sandbox.path("optuna.db");
    let out = run(&[
        "export",
        "--storage",
        &ours,
        "--study",
        "mlp",
        "--format",
        "optuna",
        "--out",
        optuna_file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("wrote 1 study with 6 trials"), "{}", text(&out.stderr));

    let back = format!("sqlite:///{}", sandbox.path("back.db").display());
    let optuna_url = format!("sqlite:///{}", optuna_file.display());
    let out = run(&["import", &optuna_url, "--storage", &back]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "imported study 'mlp' (6 trials)");

    let original = study.trials().unwrap();
    let returned = Study::builder().name("mlp").storage_url(&back).load().unwrap().trials().unwrap();
    assert_eq!(returned.len(), original.len());
    for (a, b) in returned.iter().zip(&original) {
        assert_eq!((a.number, a.state), (b.number, b.state));
        assert_eq!(a.params, b.params);
        assert_eq!(a.values, b.values);
        assert_eq!(a.user_attrs, b.user_attrs);
        assert_eq!(a.system_attrs, b.system_attrs);
        assert_eq!(a.intermediate_values.len(), b.intermediate_values.len());
        assert_eq!(a.intermediate_values[&0], b.intermediate_values[&0]);
        assert!(a.intermediate_values[&1].is_nan());
    }
    assert_eq!(returned[2].fail_reason(), Some("boom"));
    assert_eq!(returned[1].state, TrialState::Pruned);

    // A name the storage has is refused, and nothing is written.
    let out = run(&["import", &optuna_url, "--storage", &back]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("already has a study named 'mlp'"), "{}", text(&out.stderr));

    // ferrotune does not take the Optuna file for its own storage.
    let before = std::fs::read(&optuna_file).unwrap();
    let out = run(&["trials", "--storage", &optuna_url, "--study", "mlp"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("is an Optuna database") && err.contains("ferrotune import"), "{err}");
    assert_eq!(std::fs::read(&optuna_file).unwrap(), before);
}

#[test]
fn every_study_of_a_storage_is_exported_without_study() {
    let sandbox = Sandbox::new();
    let ours = format!("sqlite:///{}", sandbox.path("ours.db").display());
    make_study(&ours, "one");
    make_study(&ours, "two");
    let file = sandbox.path("all.db");
    let out = run(&["export", "--storage", &ours, "--format", "optuna", "-o", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("wrote 2 studies with 12 trials"), "{}", text(&out.stderr));

    // Only the study asked for comes in.
    let target = format!("sqlite:///{}", sandbox.path("target.db").display());
    let out = run(&["import", file.to_str().unwrap(), "--study", "two", "--storage", &target]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "imported study 'two' (6 trials)");
    let out = run(&["studies", "--storage", &target]);
    assert!(!text(&out.stdout).contains("one"), "{}", text(&out.stdout));

    // A storage without studies (a mistyped URL opens a new one) writes no file.
    let empty = format!("sqlite:///{}", sandbox.path("empty.db").display());
    let nothing = sandbox.path("nothing.db");
    let out = run(&["export", "--storage", &empty, "--format", "optuna", "-o", nothing.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("holds no study"), "{}", text(&out.stderr));
    assert!(!nothing.exists());
}

#[test]
fn mistakes_are_errors_that_say_what_to_do() {
    let sandbox = Sandbox::new();
    let missing = sandbox.path("missing.db");
    let target = format!("sqlite:///{}", sandbox.path("target.db").display());

    let out = run(&["import", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--storage URL"), "{}", text(&out.stderr));

    let out = run(&["import", missing.to_str().unwrap(), "--storage", &target]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("does not exist"), "{}", text(&out.stderr));
    assert!(!missing.exists());

    let out = run(&["import", "mysql://u:secret@h/db", "--storage", &target]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("MySQL") && !text(&out.stderr).contains("secret"), "{}", text(&out.stderr));

    // A ferrotune file is no Optuna file.
    let ours = sandbox.path("ours.db");
    make_study(&format!("sqlite:///{}", ours.display()), "s");
    let out = run(&["import", ours.to_str().unwrap(), "--storage", &target]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("this is a ferrotune database"), "{}", text(&out.stderr));

    let out = run(&["export", "--storage", &format!("sqlite:///{}", ours.display()), "--format", "optuna"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--output FILE.db"), "{}", text(&out.stderr));
}
