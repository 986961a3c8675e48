//! Per-trial ask+tell overhead of a sampler in ferrotune.
//!
//! The protocol mirrors `bench/python/overhead.py` exactly: one fresh
//! study per (engine, N), `--objectives` K objectives (1 by default), all
//! minimized, the sampler seeded with 0 (random search unless `--sampler`
//! says; with K > 1, `tpe` is multi-objective TPE); each trial is `ask`,
//! ten `suggest_float("x0".."x9", -5, 5)`, and `tell` with objective j the
//! squared distance to (j, ..., j) (the sum of squares for j = 0).
//! The loop of N trials is timed (study creation is not). One JSON object
//! per (engine, N) on stdout.
//!
//! Usage: `overhead --trials 1000 10000 [--engines ferrotune-memory ...] [--sampler random|tpe|tpe-optuna|qmc|cmaes|gp|nsga2|nsga3] [--objectives K]`

use std::sync::Arc;
use std::time::Instant;

use ferrotune::core::Sampler;
use ferrotune::core::Storage;
use ferrotune::samplers::{CmaEsSampler, GpSampler, Nsga2Sampler, Nsga3Sampler, QmcSampler, RandomSampler, TpeSampler};
use ferrotune::storage::{InMemoryStorage, SqliteStorage, Synchronous};
use ferrotune::Study;

const NAMES: [&str; 10] = ["x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9"];
const ENGINES: [&str; 3] = ["ferrotune-memory", "ferrotune-sqlite", "ferrotune-sqlite-full"];

fn run(engine: &str, sampler_name: &str, n_trials: usize, objectives: usize) -> ferrotune::Result<serde_json::Value> {
    let dir = tempfile::tempdir().map_err(|e| ferrotune::Error::Storage(e.to_string()))?;
    let storage: Arc<dyn Storage> = match engine {
        "ferrotune-memory" => Arc::new(InMemoryStorage::new()),
        "ferrotune-sqlite" => Arc::new(SqliteStorage::open(dir.path().join("bench.db"))?),
        "ferrotune-sqlite-full" => Arc::new(SqliteStorage::open_with(dir.path().join("bench.db"), Synchronous::Full)?),
        other => return Err(ferrotune::Error::InvalidArgument(format!("unknown engine {other}"))),
    };
    let sampler: Arc<dyn Sampler> = match sampler_name {
        "random" => Arc::new(RandomSampler::with_seed(0)),
        "tpe" => Arc::new(TpeSampler::with_seed(0)),
        // Optuna 5's good set and weights, the default before 2026-11-25.
        "tpe-optuna" => Arc::new(TpeSampler::builder().seed(0).optuna_defaults().build()?),
        "qmc" => Arc::new(QmcSampler::with_seed(0)),
        "cmaes" => Arc::new(CmaEsSampler::with_seed(0)),
        "gp" => Arc::new(GpSampler::with_seed(0)),
        "nsga2" => Arc::new(Nsga2Sampler::with_seed(0)),
        "nsga3" => Arc::new(Nsga3Sampler::with_seed(0)),
        other => return Err(ferrotune::Error::InvalidArgument(format!("unknown sampler {other}"))),
    };
    let directions = vec![ferrotune::StudyDirection::Minimize; objectives];
    let study = Study::builder().storage(storage).sampler_arc(sampler).directions(directions).create()?;
    let n_last = (n_trials / 10).max(1);
    let split = n_trials - n_last;
    let mut best = f64::INFINITY;
    let start = Instant::now();
    let mut split_at = start;
    for i in 0..n_trials {
        if i == split {
            split_at = Instant::now();
        }
        let mut trial = study.ask()?;
        // Objective j: the squared distance to (j, j, ..., j) (the sphere
        // when there is one objective).
        let mut values = vec![0.0; objectives];
        for name in NAMES {
            let x = trial.suggest_float(name, -5.0, 5.0)?;
            for (j, v) in values.iter_mut().enumerate() {
                *v += (x - j as f64) * (x - j as f64);
            }
        }
        best = best.min(values[0]);
        study.tell(trial, values)?;
    }
    let end = Instant::now();
    let total = (end - start).as_secs_f64();
    let last = (end - split_at).as_secs_f64();
    let n_complete = study.trials_in(&[ferrotune::TrialState::Complete])?.len();
    assert_eq!(n_complete, n_trials, "every trial completed");
    Ok(serde_json::json!({
        "engine": engine,
        "sampler": sampler_name,
        "objectives": objectives,
        "n_trials": n_trials,
        "ms_per_trial": total * 1e3 / n_trials as f64,
        "ms_per_trial_last10pct": last * 1e3 / n_last as f64,
        "total_s": total,
        "best_value": best,
        "version": env!("CARGO_PKG_VERSION"),
        "storage": if engine == "ferrotune-memory" { "memory" } else { "sqlite" },
        "n_complete": n_complete,
    }))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut trials = vec![1000];
    let mut engines: Vec<String> = ENGINES.iter().map(|s| s.to_string()).collect();
    let mut sampler = "random".to_string();
    let mut objectives = 1;
    let mut i = 0;
    while i < args.len() {
        let values: Vec<String> = args[i + 1..].iter().take_while(|a| !a.starts_with("--")).cloned().collect();
        match args[i].as_str() {
            "--trials" => {
                trials = values.iter().map(|v| v.parse().expect("--trials takes positive integers")).collect()
            }
            "--engines" => engines = values.clone(),
            "--sampler" => sampler = values.first().cloned().unwrap_or_default(),
            "--objectives" => {
                objectives = values.first().and_then(|v| v.parse().ok()).filter(|&k| k >= 1).unwrap_or_else(|| {
                    eprintln!("--objectives takes a positive integer");
                    std::process::exit(2)
                })
            }
            other => {
                eprintln!(
                    "unknown argument {other}; usage: overhead --trials N [N ...] [--engines {}] [--sampler random|tpe|tpe-optuna|qmc|cmaes|gp|nsga2|nsga3] [--objectives K]",
                    ENGINES.join(" ")
                );
                std::process::exit(2);
            }
        }
        i += 1 + values.len();
    }
    for engine in &engines {
        for &n in &trials {
            eprintln!("[ftbench] {engine} {sampler} N={n} ...");
            match run(engine, &sampler, n, objectives) {
                Ok(result) => println!("{result}"),
                Err(e) => {
                    eprintln!("[ftbench] {engine} N={n} failed: {e}");
                    std::process::exit(1);
                }
            }
        }
    }
}
