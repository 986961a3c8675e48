//! ferrotune's side of the storage benchmark (`bench/storage.sh`; the
//! orchestrator and Optuna's side are `bench/python/storage_bench.py`).
//!
//! Two modes, one JSON object on stdout each:
//!
//! - `latency --url URL --study NAME --sizes 1000 10000 100000 --window 500
//!   [--params 1]`: one worker grows one study, random sampler seeded with 0,
//!   each trial `ask`, `--params` `suggest_float("x0".., -5, 5)`, `tell(sum of
//!   squares)`. Every ask+tell is timed; for each size S the report gives
//!   p50/p99/mean over the `window` trials asked while the study held S to
//!   S+window trials. The study ends with max(sizes)+window trials.
//! - `worker --url URL --study NAME --trials K [--sampler random|tpe|tpe-noliar]
//!   [--space float|step]`: loads (or creates) the study, prints `ready`,
//!   waits for one line on stdin, then runs K trials and prints its start and
//!   end (Unix seconds) and, per trial, its number, ask and tell times and
//!   configuration (the orchestrator counts duplicates). `--space step`:
//!   `x`, `y` = `suggest_float(-5, 5, step=0.1)`, objective x²+y²; `float`:
//!   one `suggest_float("x0", -5, 5)`, objective x².

use std::io::BufRead;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use ferrotune::core::Sampler;
use ferrotune::samplers::{RandomSampler, TpeSampler};
use ferrotune::Study;

fn now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    // Nearest rank, as numpy's "higher" would give at these sizes.
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

struct Args {
    mode: String,
    url: String,
    study: String,
    sizes: Vec<usize>,
    window: usize,
    params: usize,
    trials: usize,
    sampler: String,
    space: String,
}

fn parse() -> Args {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: storage_bench latency|worker --url URL --study NAME [--sizes N ..] [--window W] \
                 [--params P] [--trials K] [--sampler random|tpe|tpe-noliar] [--space float|step]";
    let Some(mode) = raw.first().cloned() else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let mut a = Args {
        mode,
        url: String::new(),
        study: "storage-bench".into(),
        sizes: vec![1000],
        window: 500,
        params: 1,
        trials: 0,
        sampler: "random".into(),
        space: "float".into(),
    };
    let mut i = 1;
    while i < raw.len() {
        let values: Vec<String> = raw[i + 1..].iter().take_while(|v| !v.starts_with("--")).cloned().collect();
        let first = values.first().cloned().unwrap_or_default();
        let num = |v: &str| -> usize { v.parse().unwrap_or_else(|_| panic!("{} takes integers", raw[i])) };
        match raw[i].as_str() {
            "--url" => a.url = first,
            "--study" => a.study = first,
            "--sizes" => a.sizes = values.iter().map(|v| num(v)).collect(),
            "--window" => a.window = num(&first),
            "--params" => a.params = num(&first),
            "--trials" => a.trials = num(&first),
            "--sampler" => a.sampler = first,
            "--space" => a.space = first,
            other => {
                eprintln!("unknown argument {other}; {usage}");
                std::process::exit(2);
            }
        }
        i += 1 + values.len();
    }
    if a.url.is_empty() {
        eprintln!("--url is required; {usage}");
        std::process::exit(2);
    }
    a
}

fn sampler(name: &str) -> ferrotune::Result<Arc<dyn Sampler>> {
    Ok(match name {
        "random" => Arc::new(RandomSampler::with_seed(0)),
        // Unseeded: every worker process draws its own seed.
        "tpe" => Arc::new(TpeSampler::new()),
        "tpe-noliar" => Arc::new(TpeSampler::builder().constant_liar(false).build()?),
        other => return Err(ferrotune::Error::InvalidArgument(format!("unknown sampler {other}"))),
    })
}

const NAMES: [&str; 10] = ["x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9"];

fn latency(a: &Args) -> ferrotune::Result<serde_json::Value> {
    let study = Study::builder()
        .name(&a.study)
        .storage_url(&a.url)
        .sampler_arc(sampler(&a.sampler)?)
        .load_if_exists(true)
        .create()?;
    let total = a.sizes.iter().copied().max().unwrap_or(0) + a.window;
    let mut ms = Vec::with_capacity(total);
    let start = Instant::now();
    for _ in 0..total {
        let t0 = Instant::now();
        let mut trial = study.ask()?;
        let mut value = 0.0;
        for name in &NAMES[..a.params] {
            let x = trial.suggest_float(name, -5.0, 5.0)?;
            value += x * x;
        }
        study.tell(trial, value)?;
        ms.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    let total_s = start.elapsed().as_secs_f64();
    let windows: Vec<serde_json::Value> = a
        .sizes
        .iter()
        .map(|&s| {
            let mut w = ms[s..s + a.window].to_vec();
            let mean = w.iter().sum::<f64>() / w.len() as f64;
            w.sort_by(f64::total_cmp);
            serde_json::json!({"size": s, "p50_ms": percentile(&w, 0.5), "p99_ms": percentile(&w, 0.99),
                               "mean_ms": mean, "n": w.len()})
        })
        .collect();
    // Mean over the whole growth, and over the last 10% (for the SQLite figure).
    let last = &ms[total - (total / 10).max(1)..];
    Ok(serde_json::json!({
        "kind": "latency", "engine": "ferrotune", "url_scheme": a.url.split(':').next(),
        "params": a.params, "sampler": a.sampler, "n_trials": total, "total_s": total_s,
        "mean_ms": ms.iter().sum::<f64>() / total as f64,
        "mean_ms_last10pct": last.iter().sum::<f64>() / last.len() as f64,
        "windows": windows, "version": env!("CARGO_PKG_VERSION"),
    }))
}

fn worker(a: &Args) -> ferrotune::Result<serde_json::Value> {
    let study = Study::builder()
        .name(&a.study)
        .storage_url(&a.url)
        .sampler_arc(sampler(&a.sampler)?)
        .load_if_exists(true)
        .create()?;
    println!("ready");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| ferrotune::Error::Storage(e.to_string()))?;
    let start = now();
    let mut trials = Vec::with_capacity(a.trials);
    for _ in 0..a.trials {
        let asked = now();
        let mut trial = study.ask()?;
        let number = trial.number();
        let (config, value) = if a.space == "step" {
            let x = trial.suggest_float_step("x", -5.0, 5.0, 0.1)?;
            let y = trial.suggest_float_step("y", -5.0, 5.0, 0.1)?;
            (vec![x, y], x * x + y * y)
        } else {
            let x = trial.suggest_float("x0", -5.0, 5.0)?;
            (vec![x], x * x)
        };
        study.tell(trial, value)?;
        if a.space == "step" {
            trials.push(serde_json::json!([number, asked, now(), config]));
        }
    }
    let end = now();
    Ok(serde_json::json!({"kind": "worker", "engine": "ferrotune", "start": start, "end": end,
                          "n": a.trials, "trials": trials}))
}

fn main() {
    let a = parse();
    let result = match a.mode.as_str() {
        "latency" => latency(&a),
        "worker" => worker(&a),
        other => {
            eprintln!("unknown mode {other}: latency or worker");
            std::process::exit(2);
        }
    };
    match result {
        Ok(v) => println!("{v}"),
        Err(e) => {
            eprintln!("[storage_bench] {} failed: {e}", a.mode);
            std::process::exit(1);
        }
    }
}
