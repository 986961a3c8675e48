//! The synthetic cases through Optuna's evaluators: PED-ANOVA must give
//! the same importances on the same trials, fANOVA and mean decrease in
//! impurity the same ranking (their forests draw differently).
//!
//! Runs when `FERROTUNE_OPTUNA_PYTHON` names a Python with Optuna 5 (e.g.
//! `FERROTUNE_OPTUNA_PYTHON=/path/to/venv/bin/python cargo test -p
//! ferrotune-analysis --test optuna_agreement -- --nocapture`; the forests need scikit-learn
//! too); otherwise
//! it says why and passes, so the crate's tests need no Python.

mod common;

use std::collections::BTreeMap;
use std::process::Command;

use ferrotune_analysis::importance::{fanova, mean_decrease_impurity, ped_anova, ForestOptions};
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

/// Optuna's importances by case for `evaluator` (ped_anova, fanova, mdi),
/// or None (having said why) when no Python with Optuna 5 is given.
fn optuna_importances(cases: &[common::Case], evaluator: &str) -> Option<BTreeMap<String, BTreeMap<String, f64>>> {
    let Ok(python) = std::env::var("FERROTUNE_OPTUNA_PYTHON") else {
        eprintln!("skipped: set FERROTUNE_OPTUNA_PYTHON to a Python with Optuna 5 to compare with Optuna");
        return None;
    };
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
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/optuna_importance.py");
    let run = Command::new(&python).arg(script).arg(&input).arg(&output).arg(evaluator).output().unwrap();
    if run.status.code() == Some(3) {
        eprintln!("skipped: {}", String::from_utf8_lossy(&run.stdout).trim());
        return None;
    }
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    Some(serde_json::from_str(&std::fs::read_to_string(&output).unwrap()).unwrap())
}

#[test]
fn ped_anova_gives_optunas_numbers() {
    // Several objectives without a target too: the best trials by Pareto
    // rank and hypervolume subset selection, as Optuna 5's.
    let cases: Vec<common::Case> = common::cases().into_iter().chain(common::pareto_cases()).collect();
    let Some(optuna) = optuna_importances(&cases, "ped_anova") else { return };
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

/// The forests differ in their random draws (and Optuna's integrates
/// log-scaled parameters on their linear scale, drops conditional ones
/// and one-hot encodes categorical ones), so the numbers differ; the
/// rankings must agree where the construction separates the parameters.
/// Each of `runs` is a label (what a case's `differs_from_optuna` names),
/// our evaluator, whether it measures log parameters on their log scale,
/// and, if it is to look only at the cases where another run differs,
/// that run's label.
type Run<'a> = (&'a str, common::Evaluator, bool, Option<&'a str>);

fn forest_ranks_agree(optuna_evaluator: &str, runs: &[Run]) {
    let cases = common::all_cases();
    let Some(optuna) = optuna_importances(&cases, optuna_evaluator) else { return };
    for &(label, ours, log_scale, only_where_differs) in runs {
        let mut rhos = Vec::new();
        for case in &cases {
            if let Some(other) = only_where_differs {
                if !case.differs_from_optuna.iter().any(|(e, _)| *e == other) {
                    continue;
                }
            }
            let theirs = &optuna[case.name];
            let options = ForestOptions { log_scale, ..case.forest_options(0) };
            let ours: BTreeMap<String, f64> =
                ours(&case.trials, &case.directions, &options).unwrap().into_iter().collect();
            // Compare on what Optuna assessed (it leaves out conditional
            // parameters), and on the construction's order: the mean of each
            // group of parameters the construction does not order.
            let groups: Vec<Vec<&str>> = case
                .forest_expected_groups()
                .into_iter()
                .map(|g| g.into_iter().filter(|n| theirs.contains_key(*n)).collect::<Vec<_>>())
                .filter(|g| !g.is_empty())
                .collect();
            let mean = |m: &BTreeMap<String, f64>, g: &[&str]| g.iter().map(|n| m[*n]).sum::<f64>() / g.len() as f64;
            let a: Vec<f64> = groups.iter().map(|g| mean(&ours, g)).collect();
            let b: Vec<f64> = groups.iter().map(|g| mean(theirs, g)).collect();
            let rho = spearman(&a, &b);
            eprintln!("{label} {:<36} spearman {rho:.3}  ours {a:.4?}  Optuna {b:.4?}", case.name);
            match case.differs_from_optuna.iter().find(|(e, _)| *e == label) {
                Some((_, why)) => {
                    eprintln!("    differs: {why}");
                    assert!(rho < 0.9, "{label} on {}: expected to differ ({why}), spearman {rho}", case.name);
                }
                None => {
                    rhos.push(rho);
                    let message = format!("spearman {rho}: ours {ours:?}, Optuna {theirs:?}");
                    assert!(rho >= 0.9, "{label} on {}: {message}", case.name);
                }
            }
        }
        eprintln!("{label}: {} cases, mean spearman {:.3}", rhos.len(), rhos.iter().sum::<f64>() / rhos.len() as f64);
    }
}

#[test]
fn fanova_ranks_like_optunas() {
    // Where ours differs by design, the same on Optuna's linear scale
    // must agree (unless it differs for another reason too).
    forest_ranks_agree("fanova", &[("fanova", fanova, true, None), ("fanova-linear", fanova, false, Some("fanova"))]);
}

#[test]
fn mean_decrease_impurity_ranks_like_optunas() {
    forest_ranks_agree("mdi", &[("mdi", mean_decrease_impurity, true, None)]);
}
