//! Time ferrotune's parameter importance on a study written by
//! `bench/python/importance_bench.py` (the same trials Optuna's evaluators
//! are timed on).
//!
//! Input: a JSON file `{"directions": [...], "trials": [{"values": [...],
//! "params": {name: {"distribution": {...}, "internal": v}}}]}` (the
//! distributions in ferrotune's serde form). For each evaluator asked for,
//! the evaluation is run `--repeat` times (trials already in memory, as a
//! study's snapshot holds them) and one JSON object is printed with every
//! run's seconds and the importances of the first run.
//!
//! Usage: `importance --input study.json [--repeat 3] [--evaluators fanova,fanova-linear,ped-anova,mdi] [--seed 0]`

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use ferrotune::core::{Distribution, FrozenTrial, StudyDirection};
use ferrotune::importance::{fanova, mean_decrease_impurity, ped_anova, ForestOptions, PedAnovaOptions};
use serde_json::{json, Value};

fn fail(message: impl std::fmt::Display) -> ! {
    eprintln!("importance: {message}");
    std::process::exit(2)
}

fn main() {
    let mut input = None;
    let mut repeat = 3usize;
    let mut evaluators = "fanova,ped-anova".to_owned();
    let mut seed = 0u64;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| fail(format!("{arg} needs a value")));
        match arg.as_str() {
            "--input" => input = Some(value()),
            "--repeat" => repeat = value().parse().unwrap_or_else(|e| fail(e)),
            "--evaluators" => evaluators = value(),
            "--seed" => seed = value().parse().unwrap_or_else(|e| fail(e)),
            other => fail(format!("unknown argument {other}")),
        }
    }
    let input = input.unwrap_or_else(|| fail("--input FILE is required"));
    let text = std::fs::read_to_string(&input).unwrap_or_else(|e| fail(format!("{input}: {e}")));
    let study: Value = serde_json::from_str(&text).unwrap_or_else(|e| fail(format!("{input}: {e}")));
    let directions: Vec<StudyDirection> = study["directions"]
        .as_array()
        .unwrap_or_else(|| fail("no directions"))
        .iter()
        .map(|d| match d.as_str() {
            Some("maximize") => StudyDirection::Maximize,
            _ => StudyDirection::Minimize,
        })
        .collect();
    let trials: Vec<Arc<FrozenTrial>> = study["trials"]
        .as_array()
        .unwrap_or_else(|| fail("no trials"))
        .iter()
        .enumerate()
        .map(|(number, t)| {
            let mut builder = FrozenTrial::builder(number as u64);
            let params: BTreeMap<String, Value> =
                serde_json::from_value(t["params"].clone()).unwrap_or_else(|e| fail(e));
            for (name, p) in params {
                let distribution: Distribution =
                    serde_json::from_value(p["distribution"].clone()).unwrap_or_else(|e| fail(e));
                let internal = p["internal"].as_f64().unwrap_or_else(|| fail("internal must be a number"));
                builder = builder.param(&name, &distribution, internal);
            }
            let values: Vec<f64> = serde_json::from_value(t["values"].clone()).unwrap_or_else(|e| fail(e));
            Arc::new(builder.values(&values).build())
        })
        .collect();
    let n_params = trials.iter().flat_map(|t| t.params.keys()).collect::<std::collections::BTreeSet<_>>().len();

    for evaluator in evaluators.split(',') {
        let run = || match evaluator {
            "fanova" => fanova(&trials, &directions, &ForestOptions::default().with_seed(seed)),
            // Log-scaled parameters on their linear scale, as Optuna measures them.
            "fanova-linear" => fanova(
                &trials,
                &directions,
                &ForestOptions { log_scale: false, ..ForestOptions::default().with_seed(seed) },
            ),
            "mdi" => mean_decrease_impurity(&trials, &directions, &ForestOptions::default().with_seed(seed)),
            "ped-anova" => ped_anova(&trials, &directions, &PedAnovaOptions::default()),
            other => fail(format!("unknown evaluator {other} (fanova, fanova-linear, mdi, ped-anova)")),
        };
        let mut seconds = Vec::with_capacity(repeat);
        let mut importances = Vec::new();
        for i in 0..repeat.max(1) {
            let start = Instant::now();
            let result = run().unwrap_or_else(|e| fail(e));
            seconds.push(start.elapsed().as_secs_f64());
            if i == 0 {
                importances = result;
            }
        }
        let importances: BTreeMap<String, f64> = importances.into_iter().collect();
        println!(
            "{}",
            json!({
                "engine": "ferrotune",
                "evaluator": evaluator,
                "n_trials": trials.len(),
                "n_params": n_params,
                "seconds": seconds,
                "importances": importances,
            })
        );
    }
}
