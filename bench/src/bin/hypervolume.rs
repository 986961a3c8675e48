//! Times ferrotune's exact hypervolume and non-dominated sorting on one
//! set of points, for `bench/hypervolume.sh` (which runs Optuna and moocore
//! on the same points; see bench/README.md).
//!
//! ```text
//! hypervolume --task hypervolume|ranks|subset --points FILE --objectives D [--reference R1,R2,..]
//!     [--k K] [--repeat N]
//! ```
//!
//! FILE holds the points as raw little-endian f64, row after row (numpy's
//! `tofile`), so both sides read the same doubles. Prints one JSON object:
//! the median and the fastest of `repeat` timed calls, and the result
//! (the hypervolume; the number of ranks and the sum of the ranks; the `k`
//! points greedy hypervolume subset selection picks, as MOTPE's good set)
//! for the orchestrator to check against the anchors.

use std::time::Instant;

use ferrotune::pareto::{hypervolume, hypervolume_subset, non_domination_ranks};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |name: &str| args.iter().position(|a| a == name).map(|i| args[i + 1].clone());
    let task = value("--task").expect("--task hypervolume|ranks");
    let d: usize = value("--objectives").expect("--objectives").parse().unwrap();
    let repeat: usize = value("--repeat").map_or(5, |r| r.parse().unwrap());
    let bytes = std::fs::read(value("--points").expect("--points FILE")).unwrap();
    let flat: Vec<f64> = bytes.chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().unwrap())).collect();
    let points: Vec<Vec<f64>> = flat.chunks_exact(d).map(<[f64]>::to_vec).collect();

    let reference =
        || -> Vec<f64> { value("--reference").expect("--reference").split(',').map(|r| r.parse().unwrap()).collect() };
    let mut seconds = Vec::with_capacity(repeat);
    let mut result = serde_json::Value::Null;
    for _ in 0..repeat {
        let start = Instant::now();
        result = match task.as_str() {
            "hypervolume" => serde_json::json!({ "hypervolume": hypervolume(&points, &reference()) }),
            "subset" => {
                let k: usize = value("--k").expect("--k").parse().unwrap();
                let mut selected = hypervolume_subset(&points, k, &reference());
                selected.sort_unstable();
                serde_json::json!({ "selected": selected })
            }
            "ranks" => {
                let ranks = non_domination_ranks(&points, None);
                let n_ranks = ranks.iter().max().map_or(0, |&r| r + 1);
                serde_json::json!({ "n_ranks": n_ranks, "rank_sum": ranks.iter().sum::<usize>() })
            }
            other => panic!("unknown task {other}"),
        };
        seconds.push(start.elapsed().as_secs_f64());
    }
    seconds.sort_by(f64::total_cmp);
    println!(
        "{}",
        serde_json::json!({
            "n": points.len(),
            "median_seconds": seconds[seconds.len() / 2],
            "min_seconds": seconds[0],
            "result": result,
        })
    );
}
