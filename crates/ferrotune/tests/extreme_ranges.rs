//! Every sampler on search spaces as wide as the types allow: ints over the
//! whole of i64 and floats out to ±f64::MAX. Widths like `high - low`
//! overflow there (i64) or become infinite (f64), so each sampler must stay
//! in range without panicking, aborting or proposing a value the trial then
//! refuses.

use ferrotune::core::Sampler;
use ferrotune::samplers::{CmaEsSampler, GpSampler, GridSampler, QmcKind, QmcSampler, RandomSampler, TpeSampler};
use ferrotune::{Distribution, ParamValue, Study, Trial, TrialError, TrialState};

/// The widest int parameters, and a bounded objective (every value scaled
/// into [-1, 1]).
fn ints(trial: &mut Trial) -> Result<f64, TrialError> {
    let full = trial.suggest_int("int_full", i64::MIN, i64::MAX)?;
    let log = trial.suggest_int_log("int_log", 1, i64::MAX)?;
    let stepped = trial.suggest_int_step("int_step", i64::MIN, i64::MAX - 1, 2)?;
    Ok(bowl(&[full as f64 / 2f64.powi(63), (log as f64).ln() / 64.0, stepped as f64 / 2f64.powi(63)]))
}

/// The widest float parameters, and a bounded objective, so no trial fails
/// for an infinite value.
fn floats(trial: &mut Trial) -> Result<f64, TrialError> {
    let huge = trial.suggest_float("float_huge", -1e308, 1e308)?;
    let max = trial.suggest_float("float_max", -f64::MAX, f64::MAX)?;
    let log = trial.suggest_float_log("float_log", f64::MIN_POSITIVE, f64::MAX)?;
    let stepped = trial.suggest_float_step("float_step", -1e308, 1e308, 1e306)?;
    Ok(bowl(&[huge / 1e308, max / f64::MAX, log.ln() / 710.0, stepped / 1e308]))
}

fn bowl(scaled: &[f64]) -> f64 {
    scaled.iter().map(|v| (v - 0.3).powi(2)).sum()
}

/// Runs `n` trials on each space, each study with a fresh sampler, and
/// checks that every trial completed with every value inside its
/// distribution, internally and as the user sees it.
fn check<S: Sampler + 'static>(label: &str, sampler: impl Fn() -> S, n: u64) {
    type Objective = fn(&mut Trial) -> Result<f64, TrialError>;
    for (space, objective, n_params) in [("ints", ints as Objective, 3), ("floats", floats as Objective, 4)] {
        let label = format!("{label} on {space}");
        let study = Study::builder().sampler(sampler()).create().unwrap();
        let result = study.optimize(n, objective);
        assert!(result.is_ok(), "{label}: {result:?}");
        let trials = study.trials().unwrap();
        assert_eq!(trials.len() as u64, n, "{label}");
        for t in &trials {
            assert_eq!(t.state, TrialState::Complete, "{label}: trial {} {:?}", t.number, t.fail_reason());
            assert_eq!(t.params.len(), n_params, "{label}: trial {}", t.number);
            for (name, p) in &t.params {
                let d = &p.distribution;
                assert!(d.contains(p.internal), "{label}: {name} = {} outside {d}", p.internal);
                match (d, p.value()) {
                    (Distribution::Int(d), ParamValue::Int(v)) => {
                        assert!(d.low() <= v && v <= d.high(), "{label}: {name} = {v}");
                        let offset = i128::from(v) - i128::from(d.low());
                        assert_eq!(offset % i128::from(d.step()), 0, "{label}: {name} = {v}");
                    }
                    (Distribution::Float(d), ParamValue::Float(v)) => {
                        assert!(d.low() <= v && v <= d.high(), "{label}: {name} = {v}");
                    }
                    (d, v) => panic!("{label}: {name} = {v:?} from {d}"),
                }
            }
        }
        // In range is not enough: a width that overflowed to infinity once
        // sent every proposal to a bound (then clamped into range).
        for name in trials[0].params.keys() {
            let mut values: Vec<f64> = trials.iter().map(|t| t.params[name].internal).collect();
            values.sort_by(f64::total_cmp);
            values.dedup();
            let d = &trials[0].params[name].distribution;
            let (low, high) = match d {
                Distribution::Int(d) => (d.low() as f64, d.high() as f64),
                Distribution::Float(d) => (d.low(), d.high()),
                Distribution::Categorical(_) => unreachable!(),
            };
            let inside = values.iter().filter(|&&v| low < v && v < high).count();
            assert!(values.len() >= n as usize / 2 && inside >= 2, "{label}: {name} took only {values:?}");
        }
    }
}

#[test]
fn random_sampler_covers_extreme_ranges() {
    check("random", || RandomSampler::with_seed(1), 12);
}

#[test]
fn qmc_samplers_cover_extreme_ranges() {
    check("sobol", || QmcSampler::with_seed(2), 12);
    check("halton", || QmcSampler::with_seed(3).kind(QmcKind::Halton), 12);
}

#[test]
fn tpe_covers_extreme_ranges() {
    check("tpe", || TpeSampler::builder().seed(4).n_startup_trials(3).build().unwrap(), 12);
    check(
        "tpe multivariate",
        || TpeSampler::builder().seed(5).n_startup_trials(3).multivariate(true).build().unwrap(),
        12,
    );
}

#[test]
fn gp_covers_extreme_ranges() {
    check("gp", || GpSampler::builder().seed(6).n_startup_trials(2).build().unwrap(), 12);
}

#[test]
fn cmaes_covers_extreme_ranges() {
    // A small population, so 16 trials span several told generations.
    check("cmaes", || CmaEsSampler::builder().seed(7).n_startup_trials(1).population_size(4).build().unwrap(), 16);
}

#[test]
fn grid_sampler_takes_the_extreme_values_themselves() {
    use std::collections::{BTreeMap, BTreeSet};
    let grid: BTreeMap<String, Vec<ParamValue>> = [
        ("int_full", vec![i64::MIN.into(), 0.into(), i64::MAX.into()]),
        ("int_log", vec![1.into(), i64::MAX.into()]),
        ("int_step", vec![i64::MIN.into(), (i64::MAX - 1).into()]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let study = Study::builder().sampler(GridSampler::with_seed(grid.clone(), 8).unwrap()).create().unwrap();
    study.optimize(100, ints).unwrap();
    let trials = study.trials().unwrap();
    assert_eq!(trials.len(), 12, "one trial per grid point");
    let mut seen = BTreeSet::new();
    for t in &trials {
        assert_eq!(t.state, TrialState::Complete, "trial {}: {:?}", t.number, t.fail_reason());
        let values = t.param_values();
        for (name, v) in &values {
            assert!(grid[name].contains(v), "{name} = {v} is not a grid value");
        }
        seen.insert(format!("{values:?}"));
    }
    assert_eq!(seen.len(), 12, "every grid point once");
}
