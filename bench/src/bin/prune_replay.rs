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
fn pruners(max_step: u64) -> Vec<(&'static str, Arc<dyn Pruner>)> {
    vec![
        ("none", Arc::new(NopPruner)),
        (
            "median",
            Arc::new(MedianPruner::builder().n_startup_trials(5).n_warmup_steps(4).build().expect("valid settings")),
        ),
        (
            "asha",
            Arc::new(
                SuccessiveHalvingPruner::builder()
                    .min_resource(Some(1))
                    .reduction_factor(3)
                    .build()
                    .expect("valid settings"),
            ),
        ),
        (
            "hyperband",
            Arc::new(
                HyperbandPruner::builder()
                    .min_resource(1)
                    .max_resource(Some(max_step))
                    .reduction_factor(3)
                    .build()
                    .expect("valid settings"),
            ),
        ),
        (
            // No promotion out of a rung before it holds reduction_factor
            // trials (ASHA's floor(n / eta) rule), instead of promoting the
            // first trials there because they are the best so far.
            "hyperband-b2",
            Arc::new(
                HyperbandPruner::builder()
                    .min_resource(1)
                    .max_resource(Some(max_step))
                    .reduction_factor(3)
                    .bootstrap_count(2)
                    .build()
                    .expect("valid settings"),
            ),
        ),
    ]
}

/// One trial's learning curve: (step, value) in step order. The recorders
/// number steps from 1 (the resource trained so far), which is what the
/// pruners' `min_resource` and `max_resource` count.
type Curve = Vec<(u64, f64)>;

fn load(path: &str) -> Vec<Curve> {
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
            curve
        })
        .collect()
}

fn replay_study_name(path: &str) -> String {
    let stem = std::path::Path::new(path).file_stem().and_then(|s| s.to_str()).unwrap_or("replay");
    format!("replay-{stem}")
}

fn main() {
    for path in std::env::args().skip(1) {
        let curves = load(&path);
        if curves.is_empty() {
            eprintln!("{path}: no completed trial to replay");
            continue;
        }
        let max_step = curves.iter().filter_map(|c| c.last().map(|(s, _)| *s)).max().unwrap_or(0);
        let full_epochs: usize = curves.iter().map(Vec::len).sum();
        for (name, pruner) in pruners(max_step) {
            // The study name feeds Hyperband's bracket hash; the Python replay
            // uses the same (the file's stem), so each file gets its own draw.
            let study = Study::builder()
                .name(replay_study_name(&path))
                .direction(StudyDirection::Maximize)
                .pruner_arc(pruner)
                .create()
                .expect("in-memory study");
            let mut stopped_at = Vec::new();
            for curve in &curves {
                let mut trial = study.ask().expect("ask");
                let mut outcome = Ok(curve.last().expect("non-empty curve").1);
                // Position of the last step trained (0-based), as the Python replay records it.
                let mut last_step = curve.len() as u64 - 1;
                for (position, &(step, value)) in curve.iter().enumerate() {
                    trial.report(step, value).expect("report");
                    if trial.should_prune().expect("prune decision") {
                        outcome = Err(TrialError::Pruned);
                        last_step = position as u64;
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
