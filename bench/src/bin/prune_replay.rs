//! Replay recorded learning curves through ferrotune's pruners.
//!
//! Input: files written by `ferrotune export --format json` of studies run
//! without pruning (every trial trained to the end). Each file is replayed
//! once per pruner as a sequential study: trial i reports curve i step by
//! step and stops when the pruner says so. Output: one JSON line per
//! (file, pruner) with the epochs spent, the best final value among trials
//! that ran to the end, and each trial's stopping step (so the Optuna
//! replay in `python/prune_replay.py` can be compared decision by decision).
//!
//! Usage: `prune_replay curves-1.json [curves-2.json ...]`

use std::sync::Arc;

use ferrotune::core::Pruner;
use ferrotune::pruners::{HyperbandPruner, MedianPruner, NopPruner, SuccessiveHalvingPruner};
use ferrotune::{Study, StudyDirection, TrialError};

/// The pruners compared, with the settings the Python replay uses too.
fn pruners(n_steps: u64) -> Vec<(&'static str, Arc<dyn Pruner>)> {
    vec![
        ("none", Arc::new(NopPruner)),
        ("median", Arc::new(MedianPruner::new().n_startup_trials(5).n_warmup_steps(4))),
        (
            "asha",
            Arc::new(
                SuccessiveHalvingPruner::new()
                    .min_resource(Some(1))
                    .and_then(|p| p.reduction_factor(3))
                    .expect("valid settings"),
            ),
        ),
        (
            "hyperband",
            Arc::new(
                HyperbandPruner::new()
                    .min_resource(1)
                    .and_then(|p| p.max_resource(Some(n_steps)))
                    .and_then(|p| p.reduction_factor(3))
                    .expect("valid settings"),
            ),
        ),
    ]
}

fn load(path: &str) -> Vec<Vec<f64>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let trials: Vec<serde_json::Value> = serde_json::from_str(&text).expect("an exported JSON array of trials");
    trials
        .iter()
        .filter(|t| t["state"] == "complete")
        .map(|t| {
            let steps = t["intermediate_values"].as_object().expect("intermediate values");
            let mut curve: Vec<(u64, f64)> =
                steps.iter().map(|(s, v)| (s.parse().expect("step"), v.as_f64().unwrap_or(f64::NAN))).collect();
            curve.sort_by_key(|(s, _)| *s);
            curve.into_iter().map(|(_, v)| v).collect()
        })
        .collect()
}

fn main() {
    for path in std::env::args().skip(1) {
        let curves = load(&path);
        let n_steps = curves.iter().map(Vec::len).max().unwrap_or(0) as u64;
        let full_epochs: usize = curves.iter().map(Vec::len).sum();
        for (name, pruner) in pruners(n_steps) {
            // The study name feeds Hyperband's bracket hash; the Python replay uses the same.
            let study = Study::builder()
                .name("replay")
                .direction(StudyDirection::Maximize)
                .pruner_arc(pruner)
                .create()
                .expect("in-memory study");
            let mut stopped_at = Vec::new();
            for curve in &curves {
                let mut trial = study.ask().expect("ask");
                let mut outcome = Ok(*curve.last().expect("non-empty curve"));
                let mut last_step = curve.len() as u64 - 1;
                for (step, &value) in curve.iter().enumerate() {
                    trial.report(step as u64, value).expect("report");
                    if trial.should_prune().expect("prune decision") {
                        outcome = Err(TrialError::Pruned);
                        last_step = step as u64;
                        break;
                    }
                }
                stopped_at.push(last_step);
                match outcome {
                    Ok(v) => study.tell(trial, v).expect("tell"),
                    Err(_) => study.tell_outcome(trial, ferrotune::TrialOutcome::Pruned).expect("tell"),
                };
            }
            let epochs: u64 = stopped_at.iter().map(|s| s + 1).sum();
            let best = study.best_value().unwrap_or(f64::NAN);
            let line = serde_json::json!({
                "engine": "ferrotune",
                "file": path,
                "pruner": name,
                "trials": curves.len(),
                "epochs": epochs,
                "full_epochs": full_epochs,
                "best": best,
                "stopped_at": stopped_at,
            });
            println!("{line}");
        }
    }
}
