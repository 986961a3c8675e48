//! NSGA-II on ZDT1 in ferrotune: the hypervolume of the complete trials
//! after N trials, per seed; `bench/python/nsga_zdt.py` runs Optuna's
//! `NSGAIISampler` on the same protocol.
//!
//! Protocol: a fresh two-objective study per seed, both minimized, the
//! sampler with its defaults (population 50) and the seed; each trial
//! suggests `x0..x{D-1}` uniform in [0, 1] and is told ZDT1's two values
//! (Zitzler, Deb & Thiele 2000). The hypervolume is exact, against the
//! reference point (1.1, 1.1) (the true front's is 1.1^2 - 1/3 = 0.8767).
//! One JSON object per seed on stdout.
//!
//! Usage: `nsga_zdt [--trials 1000] [--dims 30] [--seeds 5] [--sampler nsga2|random]`

use ferrotune::samplers::{Nsga2Sampler, RandomSampler};
use ferrotune::{Study, StudyDirection};

fn zdt1(x: &[f64]) -> [f64; 2] {
    let g = 1.0 + 9.0 * x[1..].iter().sum::<f64>() / (x.len() - 1) as f64;
    [x[0], g * (1.0 - (x[0] / g).sqrt())]
}

/// The exact two-objective hypervolume: sort by the first objective and
/// sweep, each point adding the slab it alone covers.
fn hypervolume_2d(points: &mut [[f64; 2]], reference: [f64; 2]) -> f64 {
    points.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    let mut volume = 0.0;
    let mut best_second = reference[1];
    for p in points.iter().filter(|p| p[0] < reference[0] && p[1] < reference[1]) {
        if p[1] < best_second {
            volume += (reference[0] - p[0]) * (best_second - p[1]);
            best_second = p[1];
        }
    }
    volume
}

fn main() -> ferrotune::Result<()> {
    let (mut trials, mut dims, mut seeds, mut sampler) = (1000usize, 30usize, 5u64, "nsga2".to_owned());
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).cloned().unwrap_or_default();
        let number =
            || value.parse::<usize>().map_err(|e| ferrotune::Error::InvalidArgument(format!("{}: {e}", pair[0])));
        match pair[0].as_str() {
            "--trials" => trials = number()?,
            "--dims" => dims = number()?,
            "--seeds" => seeds = number()? as u64,
            "--sampler" => sampler = value.clone(),
            other => {
                return Err(ferrotune::Error::InvalidArgument(format!(
                    "unknown argument {other}; usage: nsga_zdt [--trials N] [--dims D] [--seeds S] [--sampler nsga2|random]"
                )))
            }
        }
    }
    for seed in 0..seeds {
        let builder = Study::builder().directions([StudyDirection::Minimize, StudyDirection::Minimize]);
        let study = match sampler.as_str() {
            "nsga2" => builder.sampler(Nsga2Sampler::with_seed(seed)).create()?,
            "random" => builder.sampler(RandomSampler::with_seed(seed)).create()?,
            other => return Err(ferrotune::Error::InvalidArgument(format!("unknown sampler {other}"))),
        };
        let start = std::time::Instant::now();
        let mut points = Vec::with_capacity(trials);
        for _ in 0..trials {
            let mut trial = study.ask()?;
            let x: Vec<f64> =
                (0..dims).map(|i| trial.suggest_float(&format!("x{i}"), 0.0, 1.0)).collect::<ferrotune::Result<_>>()?;
            let values = zdt1(&x);
            points.push(values);
            study.tell(trial, values.to_vec())?;
        }
        let seconds = start.elapsed().as_secs_f64();
        let hv = hypervolume_2d(&mut points, [1.1, 1.1]);
        println!(
            "{}",
            serde_json::json!({"engine": "ferrotune", "sampler": sampler, "problem": "zdt1", "dims": dims,
                "n_trials": trials, "seed": seed, "hypervolume": hv, "seconds": seconds})
        );
    }
    Ok(())
}
