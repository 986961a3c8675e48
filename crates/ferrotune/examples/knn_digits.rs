//! Tune a k-nearest-neighbours classifier on the bundled UCI digits data,
//! storing the study in SQLite so a second run continues it.
//!
//! ```text
//! cargo run --release -p ferrotune --example knn_digits -- [sqlite:///knn.db] [n_trials]
//! ```
//!
//! Searched: k (log scale), vote weighting, distance metric, and the
//! feature transform. Scored by 5-fold cross-validated accuracy.

use std::time::Duration;

use ferrotune::samplers::RandomSampler;
use ferrotune::{Optimize, Study, StudyDirection, TrialError};

const DATA: &str = include_str!("../../../examples/data/digits.csv");
const FOLDS: usize = 5;

struct Dataset {
    x: Vec<Vec<f64>>,
    y: Vec<usize>,
}

fn load() -> Dataset {
    let mut x = Vec::new();
    let mut y = Vec::new();
    for line in DATA.lines().filter(|l| !l.trim().is_empty()) {
        let mut values: Vec<f64> = line.split(',').map(|v| v.trim().parse().expect("numeric CSV")).collect();
        y.push(values.pop().expect("label column") as usize);
        x.push(values);
    }
    Dataset { x, y }
}

/// Apply a feature transform fitted on `train` rows only.
fn transform(data: &Dataset, train: &[usize], kind: &str) -> Vec<Vec<f64>> {
    let d = data.x[0].len();
    match kind {
        "standardize" => {
            let n = train.len() as f64;
            let mean: Vec<f64> = (0..d).map(|j| train.iter().map(|&i| data.x[i][j]).sum::<f64>() / n).collect();
            let std: Vec<f64> = (0..d)
                .map(|j| (train.iter().map(|&i| (data.x[i][j] - mean[j]).powi(2)).sum::<f64>() / n).sqrt().max(1e-9))
                .collect();
            data.x.iter().map(|row| row.iter().enumerate().map(|(j, v)| (v - mean[j]) / std[j]).collect()).collect()
        }
        "binarize" => data.x.iter().map(|row| row.iter().map(|&v| f64::from(u8::from(v > 7.0))).collect()).collect(),
        _ => data.x.clone(),
    }
}

fn cross_validated_accuracy(data: &Dataset, k: usize, weighted: bool, metric: &str, features: &str) -> f64 {
    let n = data.y.len();
    let mut correct = 0;
    for fold in 0..FOLDS {
        let train: Vec<usize> = (0..n).filter(|i| i % FOLDS != fold).collect();
        let x = transform(data, &train, features);
        for test in (0..n).filter(|i| i % FOLDS == fold) {
            let mut dists: Vec<(f64, usize)> = train
                .iter()
                .map(|&i| {
                    let pairs = x[i].iter().zip(&x[test]);
                    let dist = match metric {
                        "manhattan" => pairs.map(|(a, b)| (a - b).abs()).sum::<f64>(),
                        _ => pairs.map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt(),
                    };
                    (dist, data.y[i])
                })
                .collect();
            dists.select_nth_unstable_by(k - 1, |a, b| a.0.total_cmp(&b.0));
            let mut votes = [0.0; 10];
            for &(dist, label) in &dists[..k] {
                votes[label] += if weighted { 1.0 / (dist + 1e-9) } else { 1.0 };
            }
            let predicted = (0..10).max_by(|&a, &b| votes[a].total_cmp(&votes[b])).unwrap();
            correct += usize::from(predicted == data.y[test]);
        }
    }
    correct as f64 / n as f64
}

fn show(trial: &ferrotune::FrozenTrial) -> String {
    trial.param_values().iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let storage = args.first().cloned().unwrap_or_else(|| "sqlite:///knn_digits.db".into());
    let n_trials: u64 = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(30);
    let data = load();
    println!("{} digits, {} features; study stored in {storage}", data.y.len(), data.x[0].len());

    let study = Study::builder()
        .name("knn-digits")
        .storage_url(&storage)
        .direction(StudyDirection::Maximize)
        .sampler(RandomSampler::with_seed(0))
        .load_if_exists(true)
        .create()?;
    // A sensible hand-picked starting point runs first.
    if study.trials()?.is_empty() {
        study.enqueue_trial([("k", ferrotune::ParamValue::Int(5)), ("features", "raw".into())])?;
    }
    let options =
        Optimize::new().n_trials(n_trials).n_jobs(2).timeout(Duration::from_secs(600)).callback(|study, trial| {
            let best = study.best_value().unwrap_or(f64::NAN);
            match trial.value() {
                Some(v) => println!("trial {:>3}: accuracy {v:.4}  (best {best:.4})  {}", trial.number, show(trial)),
                None => println!("trial {:>3}: {} {}", trial.number, trial.state, trial.fail_reason().unwrap_or("")),
            }
        });
    study.optimize_with(options, |trial| {
        let k = trial.suggest_int_log("k", 1, 64)? as usize;
        let weighted = trial.suggest_categorical("weights", &["uniform", "distance"])? == "distance";
        let metric = trial.suggest_categorical("metric", &["euclidean", "manhattan"])?;
        let features = trial.suggest_categorical("features", &["raw", "standardize", "binarize"])?;
        let accuracy = cross_validated_accuracy(&data, k, weighted, metric, features);
        if !accuracy.is_finite() {
            return Err(TrialError::failed("accuracy is not a number"));
        }
        Ok(accuracy)
    })?;
    let best = study.best_trial()?;
    let baseline = study.trials()?.into_iter().find(|t| t.is_enqueued()).and_then(|t| t.value());
    println!(
        "\nbest of {} trials: trial {} with 5-fold accuracy {:.4}",
        study.trials()?.len(),
        best.number,
        best.value().unwrap()
    );
    println!("  {}", show(&best));
    if let Some(baseline) = baseline {
        println!("hand-picked default (k=5, raw features): {baseline:.4}");
    }
    Ok(())
}
