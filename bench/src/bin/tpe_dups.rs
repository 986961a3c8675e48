//! Repeated configurations of TPE on a discrete space (issue 22's
//! "duplicates" phase, in memory and sequential, so it is a question about
//! the sampler alone).
//!
//! `tpe_dups [--seeds N] [--trials K] [--jobs J] [--variant NAME]...`: for each variant
//! and seed, one in-memory study minimizing x² + y² over `x`, `y` =
//! `suggest_float(-5, 5, step=0.1)` (10,201 grid points), K trials (400);
//! prints one JSON line per run: variant, seed, repeats (trials minus
//! distinct configurations), the best value, and the best of the first
//! 25, 50, 100 and 200 trials. With `--jobs J` above 1, J threads share
//! the study (see `parallel`). `bench/python/tpe_dups.py`
//! does the same with Optuna's `TPESampler`.
//!
//! Variants: `default` (ferrotune's defaults), `optuna` (`optuna_defaults`),
//! `allow-repeats` (the defaults with `avoid_repeats(false)`, i.e. before
//! it), `gamma15-recency` and `optunagamma-ei` (one default component each).

use std::collections::HashSet;

use ferrotune::samplers::{optuna_gamma, TpeSampler};
use ferrotune::{Optimize, Study};

fn sampler(variant: &str, seed: u64) -> ferrotune::Result<TpeSampler> {
    let b = TpeSampler::builder().seed(seed);
    match variant {
        "default" => b.build(),
        "optuna" => b.optuna_defaults().build(),
        // The defaults with repeats of finished configurations allowed:
        // the sampler as it was before `avoid_repeats`.
        "allow-repeats" => b.avoid_repeats(false).build(),
        // One of the two default components at a time, for attribution.
        "gamma15-recency" => b.optuna_defaults().gamma_fraction(0.15).build(),
        "optunagamma-ei" => b.gamma(optuna_gamma).build(),
        other => Err(ferrotune::Error::InvalidArgument(format!("unknown variant {other}"))),
    }
}

/// `jobs` threads on one study, each trial's objective taking 2 ms so that
/// proposals are made while others run (not reproducible: the threads race).
fn parallel(study: &Study, variant: &str, seed: u64, trials: u64, jobs: usize) -> ferrotune::Result<serde_json::Value> {
    study.optimize_with(Optimize::new().n_trials(trials).n_jobs(jobs), |trial| {
        let x = trial.suggest_float_step("x", -5.0, 5.0, 0.1)?;
        let y = trial.suggest_float_step("y", -5.0, 5.0, 0.1)?;
        std::thread::sleep(std::time::Duration::from_millis(2));
        Ok(x * x + y * y)
    })?;
    let all = study.trials()?;
    let distinct: HashSet<Vec<i64>> =
        all.iter().map(|t| t.params.values().map(|p| (p.internal * 10.0).round() as i64).collect()).collect();
    Ok(serde_json::json!({"engine": "ferrotune", "variant": variant, "seed": seed, "trials": all.len(), "jobs": jobs,
        "repeats": all.len() - distinct.len(), "best": study.best_value()?}))
}

fn main() -> ferrotune::Result<()> {
    let mut seeds = 10u64;
    let mut trials = 400u64;
    let mut jobs = 1usize;
    let mut variants = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().expect("a value after the flag");
        match a.as_str() {
            "--seeds" => seeds = value().parse().expect("--seeds N"),
            "--trials" => trials = value().parse().expect("--trials K"),
            "--variant" => variants.push(value()),
            "--jobs" => jobs = value().parse().expect("--jobs J"),
            other => panic!("unknown argument {other}: --seeds N --trials K --variant NAME --jobs J"),
        }
    }
    if variants.is_empty() {
        variants = vec!["default".into(), "optuna".into()];
    }
    for variant in &variants {
        for seed in 0..seeds {
            let study = Study::builder().sampler(sampler(variant, seed)?).create()?;
            if jobs > 1 {
                println!("{}", parallel(&study, variant, seed, trials, jobs)?);
                continue;
            }
            let mut seen = HashSet::new();
            let mut repeats = 0;
            let mut best = f64::INFINITY;
            let mut best_at = serde_json::Map::new();
            for n in 1..=trials {
                let mut trial = study.ask()?;
                let x = trial.suggest_float_step("x", -5.0, 5.0, 0.1)?;
                let y = trial.suggest_float_step("y", -5.0, 5.0, 0.1)?;
                // Grid indices, so that float noise cannot hide a repeat.
                if !seen.insert(((x * 10.0).round() as i64, (y * 10.0).round() as i64)) {
                    repeats += 1;
                }
                study.tell(trial, x * x + y * y)?;
                best = best.min(x * x + y * y);
                if [25, 50, 100, 200].contains(&n) {
                    best_at.insert(n.to_string(), best.into());
                }
            }
            let line = serde_json::json!({"engine": "ferrotune", "variant": variant, "seed": seed,
                "trials": trials, "repeats": repeats, "best": study.best_value()?, "best_at": best_at});
            println!("{line}");
        }
    }
    Ok(())
}
