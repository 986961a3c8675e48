//! Trials as the forest evaluators' training data: one feature per
//! parameter, on the scale its distribution samples it.
//!
//! - A float or int is one numeric feature on `[low, high]`, in log space
//!   when it is log-scaled, widened by half a step at each end when it has
//!   steps (ints always), so that each admissible value owns an equal
//!   stretch, as the samplers draw them.
//! - A categorical parameter is one categorical feature, each choice
//!   weighing the same (the forest splits it on sets of choices).
//! - A parameter absent from some trials (conditional) gets one more
//!   value, "absent", weighing the share of trials without it: below the
//!   range for a numeric parameter (a stretch of that share of the
//!   widened domain, with splits between absent and present made at the
//!   range's low end) and one more category for a categorical one.
//!
//! Design decision: the measure fANOVA integrates over is the space the
//! study sampled from, so a log-scaled learning rate's 1e-5..1e-4 counts
//! as much as its 0.1..1. Optuna's evaluator integrates log-scaled
//! parameters on their linear scale instead, where everything below a
//! tenth of the range weighs a tenth; the original fANOVA works on the log
//! scale, as here. `log_scale = false` takes Optuna's measure, to compare.

use ferrotune_core::{Distribution, Error, FrozenTrial, Result};

use crate::forest::{Domain, Features};

/// The forest's data and which feature each assessed parameter became.
pub(crate) struct Encoded {
    pub features: Features,
    /// For each parameter assessed, its feature, or None when it cannot
    /// vary (one possible value, or present in no trial): its importance
    /// is zero.
    pub feature_of: Vec<Option<usize>>,
}

/// Encode `params` of `trials` (see the module docs). A parameter whose
/// distributions in different trials do not share an axis (categorical in
/// some and numeric in others, log-scaled and not, different choices) is
/// refused, naming it.
pub(crate) fn encode(trials: &[&FrozenTrial], params: &[String], log_scale: bool) -> Result<Encoded> {
    let mut features = Features { columns: Vec::new(), domains: Vec::new() };
    let mut feature_of = Vec::with_capacity(params.len());
    for name in params {
        let encoded = encode_param(trials, name, log_scale)?;
        feature_of.push(encoded.map(|(column, domain)| {
            features.columns.push(column);
            features.domains.push(domain);
            features.columns.len() - 1
        }));
    }
    Ok(Encoded { features, feature_of })
}

fn encode_param(trials: &[&FrozenTrial], name: &str, log_scale: bool) -> Result<Option<(Vec<f64>, Domain)>> {
    let mut distributions: Vec<&Distribution> = Vec::new();
    let mut n_present = 0;
    for trial in trials {
        if let Some(param) = trial.params.get(name) {
            // Storage hands over what was written; a value that is not a
            // number, or not a choice (a damaged record), would mislead
            // the forest. (Numbers off a step's grid or out of range are
            // kept, clamped into the domain.)
            let usable = match &param.distribution {
                Distribution::Categorical(_) => param.distribution.contains(param.internal),
                d => param.internal.is_finite() && (param.internal > 0.0 || !is_log(d)),
            };
            if !usable {
                return Err(Error::InvalidArgument(format!(
                    "trial {} has parameter '{name}' = {} outside its distribution {}",
                    trial.number, param.internal, param.distribution
                )));
            }
            n_present += 1;
            if !distributions.contains(&&param.distribution) {
                distributions.push(&param.distribution);
            }
        }
    }
    let Some(&first) = distributions.first() else { return Ok(None) };
    if distributions.iter().all(|d| d.is_single()) {
        return Ok(None);
    }
    let absent_share = (trials.len() - n_present) as f64 / trials.len() as f64;
    let values = |encode: &dyn Fn(f64) -> f64, absent: f64| -> Vec<f64> {
        trials.iter().map(|t| t.params.get(name).map_or(absent, |p| encode(p.internal))).collect()
    };

    if let Distribution::Categorical(categorical) = first {
        if let Some(other) = distributions.iter().find(|d| *d != &first) {
            return Err(incompatible(name, first, other));
        }
        let n_choices = categorical.choices().len();
        let mut weights = vec![(1.0 - absent_share) / n_choices as f64; n_choices];
        if absent_share > 0.0 {
            weights.push(absent_share);
        }
        let column = values(&|internal| internal, n_choices as f64);
        return Ok(Some((column, Domain::Categorical { weights })));
    }

    let log = is_log(first) && log_scale;
    let (mut low, mut high) = (f64::INFINITY, f64::NEG_INFINITY);
    for distribution in &distributions {
        let (lo, hi) = match distribution {
            Distribution::Categorical(_) => return Err(incompatible(name, first, distribution)),
            _ if is_log(distribution) != is_log(first) => return Err(incompatible(name, first, distribution)),
            Distribution::Float(d) => {
                let half_step = d.step().map_or(0.0, |s| s / 2.0);
                (d.low() - half_step, d.high() + half_step)
            }
            Distribution::Int(d) => {
                let half_step = d.step() as f64 / 2.0;
                (d.low() as f64 - half_step, d.high() as f64 + half_step)
            }
        };
        let (lo, hi) = if log { (lo.ln(), hi.ln()) } else { (lo, hi) };
        (low, high) = (low.min(lo), high.max(hi));
    }
    if high <= low || !(high - low).is_finite() {
        return Ok(None);
    }
    let scale = move |internal: f64| {
        let v = if log { internal.ln() } else { internal };
        v.clamp(low, high)
    };
    if absent_share == 0.0 {
        let column = values(&scale, f64::NAN);
        return Ok(Some((column, Domain::Numeric { low, high, boundary: None })));
    }
    let absent_width = (high - low) * absent_share / (1.0 - absent_share);
    let column = values(&scale, low - absent_width / 2.0);
    Ok(Some((column, Domain::Numeric { low: low - absent_width, high, boundary: Some(low) })))
}

fn is_log(distribution: &Distribution) -> bool {
    match distribution {
        Distribution::Float(d) => d.log(),
        Distribution::Int(d) => d.log(),
        Distribution::Categorical(_) => false,
    }
}

fn incompatible(name: &str, a: &Distribution, b: &Distribution) -> Error {
    Error::InvalidArgument(format!(
        "parameter '{name}' has distributions that share no axis for a random forest ({a} in some trials, {b} in \
         others); assess it with PED-ANOVA, which judges each distribution apart, or leave it out of params"
    ))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ferrotune_core::{FloatDistribution, IntDistribution};

    use super::*;

    fn trials(list: Vec<FrozenTrial>) -> Vec<Arc<FrozenTrial>> {
        list.into_iter().map(Arc::new).collect()
    }

    #[test]
    fn each_kind_of_parameter_gets_its_domain() {
        let log = Distribution::Float(FloatDistribution::new(1e-4, 1.0, true, None).unwrap());
        let int = Distribution::Int(IntDistribution::new(0, 10, false, 2).unwrap());
        let choice = Distribution::categorical(["a", "b", "c"]).unwrap();
        let all = trials(vec![
            FrozenTrial::builder(0).param("lr", &log, 1e-2).param("n", &int, 4.0).param("c", &choice, 2.0).build(),
            FrozenTrial::builder(1).param("lr", &log, 1.0).build(),
        ]);
        let refs: Vec<&FrozenTrial> = all.iter().map(|t| t.as_ref()).collect();
        let names = ["c", "lr", "n"].map(String::from);
        let encoded = encode(&refs, &names, true).unwrap();
        assert_eq!(encoded.feature_of, [Some(0), Some(1), Some(2)]);
        let f = &encoded.features;
        // Half of the trials lack c: "absent" is a fourth category of weight 1/2.
        assert_eq!(f.columns[0], [2.0, 3.0]);
        let Domain::Categorical { weights } = &f.domains[0] else { panic!() };
        assert_eq!(weights, &[1.0 / 6.0, 1.0 / 6.0, 1.0 / 6.0, 0.5]);
        // lr on log scale, always present.
        assert!((f.columns[1][0] - 1e-2f64.ln()).abs() < 1e-15 && f.columns[1][1] == 0.0);
        let Domain::Numeric { low, high, boundary: None } = f.domains[1] else { panic!() };
        assert!((low - 1e-4f64.ln()).abs() < 1e-15 && high == 0.0);
        // n: [0 - 1, 10 + 1], then as much again below for "absent".
        let Domain::Numeric { low, high, boundary: Some(boundary) } = f.domains[2] else { panic!() };
        assert_eq!((low, high, boundary), (-13.0, 11.0, -1.0));
        assert_eq!(f.columns[2], [4.0, -7.0]);
    }

    #[test]
    fn log_parameters_can_be_measured_on_their_linear_scale() {
        let log = Distribution::Float(FloatDistribution::new(1e-4, 1.0, true, None).unwrap());
        let all = trials(vec![FrozenTrial::builder(0).param("lr", &log, 1e-2).build()]);
        let refs: Vec<&FrozenTrial> = all.iter().map(|t| t.as_ref()).collect();
        let encoded = encode(&refs, &["lr".into()], false).unwrap();
        assert_eq!(encoded.features.columns[0], [1e-2]);
        let Domain::Numeric { low, high, .. } = encoded.features.domains[0] else { panic!() };
        assert_eq!((low, high), (1e-4, 1.0));
    }

    #[test]
    fn single_valued_and_missing_parameters_become_no_feature() {
        let single = Distribution::float(1.0, 1.0).unwrap();
        let x = Distribution::float(0.0, 1.0).unwrap();
        let all = trials(vec![
            FrozenTrial::builder(0).param("s", &single, 1.0).param("x", &x, 0.5).build(),
            FrozenTrial::builder(1).param("s", &single, 1.0).param("x", &x, 0.1).build(),
        ]);
        let refs: Vec<&FrozenTrial> = all.iter().map(|t| t.as_ref()).collect();
        let encoded = encode(&refs, &["s".into(), "x".into(), "gone".into()], true).unwrap();
        assert_eq!(encoded.feature_of, [None, Some(0), None]);
    }

    #[test]
    fn values_that_are_no_number_or_no_choice_are_refused() {
        let x = Distribution::float(0.0, 1.0).unwrap();
        let c = Distribution::categorical(["a", "b"]).unwrap();
        let log = Distribution::Float(FloatDistribution::new(0.1, 1.0, true, None).unwrap());
        let cases = [(&x, f64::NAN), (&x, f64::INFINITY), (&log, 0.0), (&c, 2.0), (&c, 0.5), (&c, -1.0)];
        for (distribution, internal) in cases {
            let all = trials(vec![FrozenTrial::builder(3).param("p", distribution, internal).build()]);
            let refs: Vec<&FrozenTrial> = all.iter().map(|t| t.as_ref()).collect();
            let err = encode(&refs, &["p".into()], true).err().expect("refused");
            assert!(matches!(&err, Error::InvalidArgument(m) if m.contains("trial 3") && m.contains("'p'")), "{err}");
        }
    }

    #[test]
    fn numeric_ranges_are_merged_and_mismatched_kinds_refused() {
        let a = Distribution::float(0.0, 1.0).unwrap();
        let b = Distribution::int(-3, 0).unwrap();
        let all = trials(vec![
            FrozenTrial::builder(0).param("x", &a, 0.5).build(),
            FrozenTrial::builder(1).param("x", &b, -2.0).build(),
        ]);
        let refs: Vec<&FrozenTrial> = all.iter().map(|t| t.as_ref()).collect();
        let encoded = encode(&refs, &["x".into()], true).unwrap();
        let Domain::Numeric { low, high, .. } = encoded.features.domains[0] else { panic!() };
        assert_eq!((low, high), (-3.5, 1.0));

        let c = Distribution::categorical(["a"]).unwrap();
        let d = Distribution::categorical(["a", "b"]).unwrap();
        let log = Distribution::Float(FloatDistribution::new(0.1, 1.0, true, None).unwrap());
        for (other, internal) in [(&c, 0.0), (&log, 0.5)] {
            let mixed = trials(vec![
                FrozenTrial::builder(0).param("x", &a, 0.5).build(),
                FrozenTrial::builder(1).param("x", other, internal).build(),
            ]);
            let refs: Vec<&FrozenTrial> = mixed.iter().map(|t| t.as_ref()).collect();
            let err = encode(&refs, &["x".into()], true).err().expect("refused");
            assert!(matches!(&err, Error::InvalidArgument(m) if m.contains("'x'")), "{err}");
        }
        let mixed = trials(vec![
            FrozenTrial::builder(0).param("x", &d, 1.0).build(),
            FrozenTrial::builder(1).param("x", &c, 0.0).build(),
        ]);
        let refs: Vec<&FrozenTrial> = mixed.iter().map(|t| t.as_ref()).collect();
        assert!(encode(&refs, &["x".into()], true).is_err());
    }
}
