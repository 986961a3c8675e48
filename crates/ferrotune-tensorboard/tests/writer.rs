//! The writer's folder layout and its refusals. That TensorBoard reads the
//! files back as the study's trials is checked with TensorBoard's own reader
//! in the Python package's tests (`crates/ferrotune-py/tests/test_tensorboard.py`).

use std::path::Path;

use ferrotune_core::{Distribution, FrozenTrial, ParamValue, TrialState};
use ferrotune_tensorboard::{default_metric_names, TensorBoardError, TensorBoardWriter};

fn event_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.contains("tfevents"))
        .collect();
    names.sort();
    names
}

fn trials() -> Vec<FrozenTrial> {
    let lr = Distribution::float(1e-4, 1e-1).unwrap();
    let optimizer = Distribution::categorical(vec![ParamValue::from("sgd"), ParamValue::from("adam")]).unwrap();
    let complete = FrozenTrial::builder(0)
        .state(TrialState::Complete)
        .param("lr", &lr, 0.01)
        .param("optimizer", &optimizer, 1.0)
        .value(0.25)
        .times_us(Some(1_700_000_000_000_000), Some(1_700_000_001_000_000))
        .build();
    let pruned = FrozenTrial::builder(1).state(TrialState::Pruned).param("lr", &lr, 0.05).intermediate(3, 0.5).build();
    let running = FrozenTrial::builder(2).state(TrialState::Running).param("lr", &lr, 0.02).build();
    vec![complete, pruned, running]
}

#[test]
fn each_finished_trial_is_a_run_and_the_experiment_sits_at_the_top() {
    let dir = tempfile::tempdir().unwrap();
    let writer = TensorBoardWriter::new(dir.path(), default_metric_names(1)).unwrap();
    let trials = trials();
    assert_eq!(writer.write_trials(&trials).unwrap(), 2, "the running trial is not written");

    let experiment = event_files(dir.path());
    assert_eq!(experiment.len(), 1, "{experiment:?}");
    assert!(experiment[0].ends_with(".ferrotune.experiment"));
    assert_eq!(event_files(&dir.path().join("trial-0")).len(), 1);
    assert_eq!(event_files(&dir.path().join("trial-1")).len(), 1);
    assert!(!dir.path().join("trial-2").exists());

    // Written again (an export repeated, a trial re-sent): still one file each.
    assert!(writer.write_trial(&trials[0]).unwrap());
    let widened = FrozenTrial::builder(3)
        .state(TrialState::Complete)
        .param("lr", &Distribution::float(1e-5, 1.0).unwrap(), 0.5)
        .value(1.0)
        .build();
    let again = TensorBoardWriter::new(dir.path(), default_metric_names(1)).unwrap();
    again.write_trials(&trials).unwrap();
    again.write_trial(&widened).unwrap();
    assert_eq!(event_files(dir.path()).len(), 1, "the experiment is replaced, not added");
    assert_eq!(event_files(&dir.path().join("trial-0")).len(), 1, "a trial's file is replaced, not added");
    // No temporary file is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("trial-0"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn metric_names_must_fit_the_objectives() {
    let dir = tempfile::tempdir().unwrap();
    let refused =
        |names: &[&str]| match TensorBoardWriter::new(dir.path(), names.iter().map(|n| n.to_string()).collect()) {
            Err(TensorBoardError::InvalidArgument(message)) => message,
            Err(other) => panic!("unexpected error {other}"),
            Ok(_) => panic!("{names:?} accepted"),
        };
    assert!(refused(&[]).contains("at least one metric name"));
    assert!(refused(&["loss", " "]).contains("metric name 1 is empty"));
    assert!(refused(&["loss", "loss"]).contains("given twice"));

    let writer = TensorBoardWriter::new(dir.path(), vec!["loss".into(), "latency".into()]).unwrap();
    let error = writer.write_trial(&trials()[0]).unwrap_err().to_string();
    assert!(error.contains("trial 0 has 1 value(s) but 2 metric name(s)"), "{error}");
}

#[test]
fn a_folder_that_cannot_be_made_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, "x").unwrap();
    let error = TensorBoardWriter::new(file.join("logs"), default_metric_names(1)).err().unwrap().to_string();
    assert!(error.contains("not-a-folder"), "{error}");
}
