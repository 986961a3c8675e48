//! Write a demonstration study for the dashboard's tests, screenshots and
//! benchmark: `make_study STORAGE_URL NAME N_TRIALS [N_PARAMS] [OBJECTIVES]`.
//!
//! Trials have float, log-float, int and categorical parameters (the rest
//! floats), report ten intermediate values, and every 7th is pruned and
//! every 23rd fails, so every view has something to show. Seeded: the same
//! arguments write the same trials.

use ferrotune::samplers::RandomSampler;
use ferrotune::{Study, StudyDirection, TrialOutcome};

fn main() -> ferrotune::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: make_study STORAGE_URL NAME N_TRIALS [N_PARAMS] [OBJECTIVES]");
        std::process::exit(2);
    }
    let n_trials: u64 = args[3].parse().expect("N_TRIALS is a number");
    let n_params: usize = args.get(4).map_or(4, |p| p.parse().expect("N_PARAMS is a number")).max(4);
    let n_objectives: usize = args.get(5).map_or(1, |p| p.parse().expect("OBJECTIVES is a number")).clamp(1, 3);
    let directions: Vec<StudyDirection> =
        (0..n_objectives).map(|i| if i == 1 { StudyDirection::Maximize } else { StudyDirection::Minimize }).collect();
    let study = Study::builder()
        .name(&args[2])
        .storage_url(&args[1])
        .directions(directions)
        .sampler(RandomSampler::with_seed(7))
        .load_if_exists(true)
        .create()?;
    for _ in 0..n_trials {
        let mut trial = study.ask()?;
        let number = trial.number();
        let x = trial.suggest_float("x", -3.0, 3.0)?;
        let lr = trial.suggest_float_log("lr", 1e-5, 1e-1)?;
        let layers = trial.suggest_int("layers", 1, 6)?;
        let optimizer = trial.suggest_categorical("optimizer", &["adam", "sgd", "rmsprop"])?;
        let mut extra = 0.0;
        for k in 4..n_params {
            extra += 0.01 * trial.suggest_float(&format!("p{k}"), 0.0, 1.0)?;
        }
        let bonus = match optimizer {
            "adam" => 0.0,
            "sgd" => 0.4,
            _ => 0.2,
        };
        let loss = x * x + (lr.log10() + 3.0).powi(2) * 0.3 + 0.05 * layers as f64 + bonus + extra;
        for step in 0..10u64 {
            trial.report(step, loss + 2.0 / (step + 1) as f64)?;
        }
        let outcome = if number % 23 == 5 {
            TrialOutcome::Failed("the objective raised: CUDA out of memory (simulated)".into())
        } else if number % 7 == 3 {
            TrialOutcome::Pruned
        } else {
            let values = [loss, 1.0 / (1.0 + loss) + 0.02 * layers as f64, (layers as f64) * (1.0 + x.abs())];
            TrialOutcome::Complete(values[..n_objectives].to_vec())
        };
        study.tell_outcome(trial, outcome)?;
    }
    Ok(())
}
