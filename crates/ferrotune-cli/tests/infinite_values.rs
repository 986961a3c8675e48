//! Issue 24: a trial whose objective returned an infinite value is complete
//! (as in Optuna), and every listing of the real binary prints it: `best`
//! skips a +inf loss when anything beats it, `trials` (table, CSV, JSON) and
//! `export` show the infinity rather than failing or printing nothing.

use std::process::Command;

use ferrotune::{Study, TrialState};

fn run(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_ferrotune")).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "ferrotune {args:?}: {stderr}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn infinite_values_are_listed_and_never_best_when_beaten() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:///{}", dir.path().join("inf.db").display());
    let study = Study::builder().name("diverging").storage_url(&url).create().unwrap();
    for value in [f64::INFINITY, 2.0, f64::NEG_INFINITY] {
        let trial = study.ask().unwrap();
        assert_eq!(study.tell(trial, value).unwrap().state, TrialState::Complete);
    }
    let target = ["--storage", url.as_str(), "--study", "diverging"];
    let with = |command: &[&str]| run(&[command, &target[..]].concat());

    let best: serde_json::Value = serde_json::from_str(&with(&["best", "--json"])).unwrap();
    assert_eq!(best["number"], 2, "-inf is the best loss: {best}");
    assert_eq!(best["values"], serde_json::json!(["-inf"]));
    assert!(with(&["best"]).contains("trial 2: value -inf"));

    let listed: serde_json::Value = serde_json::from_str(&with(&["trials", "--format", "json"])).unwrap();
    let values: Vec<&serde_json::Value> = listed.as_array().unwrap().iter().map(|t| &t["values"]).collect();
    assert_eq!(values, [&serde_json::json!(["inf"]), &serde_json::json!([2.0]), &serde_json::json!(["-inf"])]);
    assert!(listed.as_array().unwrap().iter().all(|t| t["state"] == "complete"), "{listed}");

    let csv = with(&["trials", "--format", "csv"]);
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert!(rows[0].starts_with("0,complete,inf,") && rows[2].starts_with("2,complete,-inf,"), "{csv}");
    let table = with(&["trials"]);
    assert!(table.contains("inf") && table.contains("-inf"), "{table}");

    let exported: serde_json::Value = serde_json::from_str(&with(&["export", "--format", "json"])).unwrap();
    assert!(exported.to_string().contains("\"-inf\""), "{exported}");
    let csv = with(&["export", "--format", "csv"]);
    assert!(csv.contains(",inf,") && csv.contains(",-inf,"), "{csv}");
}
