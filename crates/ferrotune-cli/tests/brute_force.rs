//! `[sampler] type = "brute_force"` (issue 24): every combination of a
//! conditional space once, then the run stops by itself, well short of
//! `n_trials`.

use std::collections::BTreeSet;

use ferrotune::TrialState;

mod common;
use common::{text, Sandbox};

#[test]
fn brute_force_tries_every_combination_once_and_stops() {
    let sb = Sandbox::new();
    let cfg = sb.write(
        "bf.toml",
        "[study]\nname = \"bf\"\nn_trials = 50\n[sampler]\ntype = \"brute_force\"\nseed = 3\n\
         [command]\nrun = \"echo loss=1\"\n[metric]\nname = \"loss\"\n[params]\n\
         c = { type = \"categorical\", choices = [\"float\", \"int\"] }\n\
         x = { type = \"float\", low = 1, high = 3, step = 0.5, when = { c = \"float\" } }\n\
         a = { type = \"int\", low = 1, high = 3, when = { c = \"int\" } }\n",
    );
    let out = sb.run(&["run", cfg.to_str().unwrap(), "--quiet"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let trials = sb.study("bf").trials().unwrap();
    assert!(trials.iter().all(|t| t.state == TrialState::Complete));
    let combinations: BTreeSet<String> = trials
        .iter()
        .map(|t| t.params.iter().map(|(n, p)| format!("{n}={}", p.value())).collect::<Vec<_>>().join(" "))
        .collect();
    // c=float with 5 values of x, c=int with 3 of a.
    assert_eq!((trials.len(), combinations.len()), (8, 8), "{combinations:?}");
}
