//! The synthetic cases through Optuna's `PedAnovaImportanceEvaluator`:
//! the same trials must get the same importances.
//!
//! Runs when `FERROTUNE_OPTUNA_PYTHON` names a Python with Optuna 5 (e.g.
//! `FERROTUNE_OPTUNA_PYTHON=/path/to/venv/bin/python cargo test -p
//! ferrotune-analysis --test optuna_agreement -- --nocapture`); otherwise
//! it says why and passes, so the crate's tests need no Python.

mod common;

use std::collections::BTreeMap;
use std::process::Command;

use ferrotune_analysis::importance::ped_anova;
use ferrotune_core::{StudyDirection, TrialState};
use serde_json::{json, Value};

/// Ranks with ties averaged, for Spearman's correlation.
fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        for &k in &order[i..=j] {
            ranks[k] = (i + j) as f64 / 2.0;
        }
        i = j + 1;
    }
    ranks
}

fn spearman(a: &[f64], b: &[f64]) -> f64 {
    let (ra, rb) = (ranks(a), ranks(b));
    let n = ra.len() as f64;
    let (ma, mb) = (ra.iter().sum::<f64>() / n, rb.iter().sum::<f64>() / n);
    let cov: f64 = ra.iter().zip(&rb).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = ra.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = rb.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

#[test]
fn importances_agree_with_optuna() {
    let Ok(python) = std::env::var("FERROTUNE_OPTUNA_PYTHON") else {
        eprintln!("skipped: set FERROTUNE_OPTUNA_PYTHON to a Python with Optuna 5 to compare with Optuna");
        return;
    };
    let cases = common::cases();
    let payload: Vec<Value> = cases
        .iter()
        .map(|case| {
            let trials: Vec<Value> = case
                .trials
                .iter()
                .map(|t| {
                    let params: BTreeMap<&str, Value> = t
                        .params
                        .iter()
                        .map(|(n, p)| (n.as_str(), json!({"distribution": p.distribution, "internal": p.internal})))
                        .collect();
                    let state = match t.state {
                        TrialState::Complete => "complete",
                        TrialState::Pruned => "pruned",
                        _ => "fail",
                    };
                    json!({"values": t.values, "params": params, "state": state})
                })
                .collect();
            let directions: Vec<&str> = case.directions.iter().map(|d: &StudyDirection| d.as_str()).collect();
            json!({
                "name": case.name,
                "directions": directions,
                "target_quantile": case.target_quantile,
                "region_quantile": case.region_quantile,
                "evaluate_on_local": case.evaluate_on_local,
                "params": case.params,
                "target": case.target.map(|t| json!({"objective": t.objective, "sign": t.sign})),
                "normalize": case.normalize,
                "trials": trials,
            })
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("cases.json"), dir.path().join("optuna.json"));
    std::fs::write(&input, serde_json::to_string(&payload).unwrap()).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ped_anova_optuna.py");
    let run = Command::new(&python).arg(script).arg(&input).arg(&output).output().unwrap();
    if run.status.code() == Some(3) {
        eprintln!("skipped: {}", String::from_utf8_lossy(&run.stdout).trim());
        return;
    }
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let optuna: BTreeMap<String, BTreeMap<String, f64>> =
        serde_json::from_str(&std::fs::read_to_string(&output).unwrap()).unwrap();

    let mut worst = 0.0f64;
    for case in &cases {
        let ours = ped_anova(&case.trials, &case.directions, &case.options()).unwrap();
        let theirs = &optuna[case.name];
        assert_eq!(ours.len(), theirs.len(), "{}", case.name);
        let a: Vec<f64> = ours.iter().map(|(_, v)| *v).collect();
        let b: Vec<f64> = ours.iter().map(|(n, _)| theirs[n]).collect();
        let rho = spearman(&a, &b);
        let max_diff = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
        let max_rel = a.iter().zip(&b).map(|(x, y)| (x - y).abs() / y.abs().max(1e-300)).fold(0.0, f64::max);
        eprintln!("{:<28} spearman {rho:.3}  max |diff| {max_diff:.2e}  max rel {max_rel:.2e}", case.name);
        worst = worst.max(max_rel);
        assert!(rho >= 0.9, "{}: spearman {rho}: ours {ours:?}, Optuna {theirs:?}", case.name);
        assert!(max_rel < 1e-6, "{}: ours {ours:?}, Optuna {theirs:?}", case.name);
    }
    eprintln!("{} cases, worst relative difference {worst:.2e}", cases.len());
}
