//! Every pruner's options, described once for every face (see
//! [`ferrotune_core::options`]): the CLI's `[pruner]` table and the options
//! reference read [`PRUNERS`]. Each description builds through the pruner's
//! `builder()`, which does the checks; its errors begin with the option at
//! fault, and [`ComponentSpec::build`] names that option for the faces.

use std::sync::Arc;

use ferrotune_core::options::{ComponentSpec, OptionKind, OptionSet, OptionSpec};
use ferrotune_core::{Error, Pruner, Result};

use crate::{
    HyperbandPruner, NopPruner, PatientPruner, PercentilePruner, SuccessiveHalvingPruner, ThresholdPruner,
    WilcoxonPruner,
};

/// A pruner as every face knows it.
pub type PrunerSpec = ComponentSpec<dyn Pruner>;

/// Every pruner, in the order the reference lists them.
pub static PRUNERS: [&PrunerSpec; 8] =
    [&MEDIAN, &PERCENTILE, &SUCCESSIVE_HALVING, &HYPERBAND, &THRESHOLD, &PATIENT, &WILCOXON, &NONE];

/// The pruner the CLI's `type` names.
pub fn pruner_spec(name: &str) -> Option<&'static PrunerSpec> {
    PRUNERS.iter().copied().find(|s| s.is_named(name))
}

const N_STARTUP_TRIALS: OptionSpec = OptionSpec {
    name: "n_startup_trials",
    kind: OptionKind::Count,
    default: "5",
    help: "Trials that finish before any is pruned.",
};
const N_WARMUP_STEPS: OptionSpec = OptionSpec {
    name: "n_warmup_steps",
    kind: OptionKind::Count,
    default: "0",
    help: "Steps of each trial before it can be pruned.",
};
const INTERVAL_STEPS: OptionSpec = OptionSpec {
    name: "interval_steps",
    kind: OptionKind::Count,
    default: "1",
    help: "Check every this many steps after the warm-up.",
};
const N_MIN_TRIALS: OptionSpec = OptionSpec {
    name: "n_min_trials",
    kind: OptionKind::Count,
    default: "1",
    help: "Trials that must have reported at a step before it is compared.",
};
const BOOTSTRAP_COUNT: OptionSpec = OptionSpec {
    name: "bootstrap_count",
    kind: OptionKind::Count,
    default: "0",
    help: "Trials that must reach a rung before any is promoted from it.",
};

// ---- Median / Percentile ----

const MEDIAN_OPTIONS: &[OptionSpec] = &[N_STARTUP_TRIALS, N_WARMUP_STEPS, INTERVAL_STEPS, N_MIN_TRIALS];

const PERCENTILE_OPTIONS: &[OptionSpec] = &[
    OptionSpec {
        name: "percentile",
        kind: OptionKind::Number,
        default: "required",
        help: "Prune a trial below this percentile of the others at the same step (25 keeps the best quarter).",
    },
    N_STARTUP_TRIALS,
    N_WARMUP_STEPS,
    INTERVAL_STEPS,
    N_MIN_TRIALS,
];

fn build_percentile_like(o: &OptionSet<'_>, percentile: Option<f64>) -> Result<Arc<dyn Pruner>> {
    let mut b = PercentilePruner::builder();
    if let Some(p) = percentile {
        b = b.percentile(p);
    }
    if let Some(n) = o.count("n_startup_trials")? {
        b = b.n_startup_trials(n);
    }
    if let Some(n) = o.count("n_warmup_steps")? {
        b = b.n_warmup_steps(n as u64);
    }
    if let Some(n) = o.count("interval_steps")? {
        b = b.interval_steps(n as u64);
    }
    if let Some(n) = o.count("n_min_trials")? {
        b = b.n_min_trials(n);
    }
    Ok(Arc::new(b.build()?))
}

fn build_median(o: &OptionSet<'_>) -> Result<Arc<dyn Pruner>> {
    // The median rule is the 50th percentile; one implementation serves both.
    build_percentile_like(o, Some(50.0))
}

fn build_percentile(o: &OptionSet<'_>) -> Result<Arc<dyn Pruner>> {
    let percentile = o.number("percentile")?.ok_or_else(|| Error::InvalidOption {
        option: "percentile".into(),
        message: "missing (e.g. 25 keeps the best quarter)".into(),
    })?;
    build_percentile_like(o, Some(percentile))
}

/// The median rule.
pub static MEDIAN: PrunerSpec = ComponentSpec {
    name: "median",
    aliases: &[],
    python: "MedianPruner",
    summary: "Prune a trial whose best value so far is worse than the median of the other trials at the same step.",
    options: MEDIAN_OPTIONS,
    build: build_median,
};

/// The percentile rule.
pub static PERCENTILE: PrunerSpec = ComponentSpec {
    name: "percentile",
    aliases: &[],
    python: "PercentilePruner",
    summary:
        "Prune a trial whose best value so far is outside the given percentile of the other trials at the same step.",
    options: PERCENTILE_OPTIONS,
    build: build_percentile,
};

// ---- Successive halving / Hyperband ----

const SUCCESSIVE_HALVING_OPTIONS: &[OptionSpec] = &[
    OptionSpec {
        name: "min_resource",
        kind: OptionKind::CountOrAuto,
        default: "\"auto\"",
        help: "Steps before the first rung (auto: from the first trial to finish).",
    },
    OptionSpec {
        name: "reduction_factor",
        kind: OptionKind::Count,
        default: "4",
        help: "One trial in this many is promoted at each rung.",
    },
    OptionSpec {
        name: "min_early_stopping_rate",
        kind: OptionKind::Count,
        default: "0",
        help: "Rungs skipped before pruning starts.",
    },
    BOOTSTRAP_COUNT,
];

fn build_successive_halving(o: &OptionSet<'_>) -> Result<Arc<dyn Pruner>> {
    let mut b = SuccessiveHalvingPruner::builder().min_resource(o.count_or_auto("min_resource")?);
    if let Some(n) = o.count("reduction_factor")? {
        b = b.reduction_factor(n as u64);
    }
    if let Some(n) = o.count("min_early_stopping_rate")? {
        let rate = u32::try_from(n).map_err(|_| Error::InvalidOption {
            option: "min_early_stopping_rate".into(),
            message: format!("must be at most {}, got {n}", u32::MAX),
        })?;
        b = b.min_early_stopping_rate(rate);
    }
    if let Some(n) = o.count("bootstrap_count")? {
        b = b.bootstrap_count(n);
    }
    Ok(Arc::new(b.build()?))
}

/// Asynchronous successive halving.
pub static SUCCESSIVE_HALVING: PrunerSpec = ComponentSpec {
    name: "successive_halving",
    aliases: &["asha"],
    python: "SuccessiveHalvingPruner",
    summary:
        "Asynchronous successive halving (ASHA): at each rung, only the best 1/reduction_factor of the trials go on.",
    options: SUCCESSIVE_HALVING_OPTIONS,
    build: build_successive_halving,
};

const HYPERBAND_OPTIONS: &[OptionSpec] = &[
    OptionSpec {
        name: "min_resource",
        kind: OptionKind::Count,
        default: "1",
        help: "Steps before the first rung of the most aggressive bracket.",
    },
    OptionSpec {
        name: "max_resource",
        kind: OptionKind::CountOrAuto,
        default: "\"auto\"",
        help: "A trial's full budget in steps (auto: from the first trial to finish); at least min_resource.",
    },
    OptionSpec {
        name: "reduction_factor",
        kind: OptionKind::Count,
        default: "3",
        help: "One trial in this many is promoted at each rung.",
    },
    BOOTSTRAP_COUNT,
];

fn build_hyperband(o: &OptionSet<'_>) -> Result<Arc<dyn Pruner>> {
    let mut b = HyperbandPruner::builder().max_resource(o.count_or_auto("max_resource")?);
    if let Some(n) = o.count("min_resource")? {
        b = b.min_resource(n as u64);
    }
    if let Some(n) = o.count("reduction_factor")? {
        b = b.reduction_factor(n as u64);
    }
    if let Some(n) = o.count("bootstrap_count")? {
        b = b.bootstrap_count(n);
    }
    Ok(Arc::new(b.build()?))
}

/// Hyperband.
pub static HYPERBAND: PrunerSpec = ComponentSpec {
    name: "hyperband",
    aliases: &[],
    python: "HyperbandPruner",
    summary: "Hyperband: several successive-halving brackets, from aggressive to patient; samplers see only \
              their bracket's trials.",
    options: HYPERBAND_OPTIONS,
    build: build_hyperband,
};

// ---- Threshold, Patient, Wilcoxon, none ----

const THRESHOLD_OPTIONS: &[OptionSpec] = &[
    OptionSpec { name: "lower", kind: OptionKind::Number, default: "none", help: "Prune below this value." },
    OptionSpec { name: "upper", kind: OptionKind::Number, default: "none", help: "Prune above this value." },
    N_WARMUP_STEPS,
    INTERVAL_STEPS,
];

fn build_threshold(o: &OptionSet<'_>) -> Result<Arc<dyn Pruner>> {
    let mut b = ThresholdPruner::builder().lower(o.number("lower")?).upper(o.number("upper")?);
    if let Some(n) = o.count("n_warmup_steps")? {
        b = b.n_warmup_steps(n as u64);
    }
    if let Some(n) = o.count("interval_steps")? {
        b = b.interval_steps(n as u64);
    }
    Ok(Arc::new(b.build()?))
}

/// Fixed bounds.
pub static THRESHOLD: PrunerSpec = ComponentSpec {
    name: "threshold",
    aliases: &[],
    python: "ThresholdPruner",
    summary: "Prune a trial whose value leaves fixed bounds (or is NaN).",
    options: THRESHOLD_OPTIONS,
    build: build_threshold,
};

const PATIENT_OPTIONS: &[OptionSpec] = &[
    OptionSpec {
        name: "patience",
        kind: OptionKind::Count,
        default: "3 (Python: required, Optuna's)",
        help: "Steps without improvement tolerated.",
    },
    OptionSpec {
        name: "min_delta",
        kind: OptionKind::Number,
        default: "0.0",
        help: "The least change that counts as an improvement.",
    },
];

fn build_patient(o: &OptionSet<'_>) -> Result<Arc<dyn Pruner>> {
    Ok(Arc::new(patient_builder(o)?.build()?))
}

/// The patient pruner's builder the options describe, for a face that adds
/// the pruner it wraps (Python's `wrapped_pruner`, which an option value
/// cannot carry) before building it.
pub fn patient_builder(o: &OptionSet<'_>) -> Result<crate::PatientPrunerBuilder> {
    // Optuna makes patience required; a config may leave it at 3.
    let mut b = PatientPruner::builder().patience(o.count("patience")?.unwrap_or(3));
    if let Some(d) = o.number("min_delta")? {
        b = b.min_delta(d);
    }
    Ok(b)
}

/// Patience.
pub static PATIENT: PrunerSpec = ComponentSpec {
    name: "patient",
    aliases: &[],
    python: "PatientPruner",
    summary: "Prune a trial that has not improved for `patience` steps (Python can also wrap another pruner).",
    options: PATIENT_OPTIONS,
    build: build_patient,
};

const WILCOXON_OPTIONS: &[OptionSpec] = &[
    OptionSpec {
        name: "p_threshold",
        kind: OptionKind::Number,
        default: "0.1",
        help: "Prune when a one-sided Wilcoxon signed-rank test against the best trial's values at the same \
               steps has a p-value below this.",
    },
    OptionSpec {
        name: "n_startup_steps",
        kind: OptionKind::Count,
        default: "0 (Python: 2, Optuna's)",
        help: "Steps of each trial before it can be pruned.",
    },
];

fn build_wilcoxon(o: &OptionSet<'_>) -> Result<Arc<dyn Pruner>> {
    let mut b = WilcoxonPruner::builder();
    if let Some(p) = o.number("p_threshold")? {
        b = b.p_threshold(p);
    }
    if let Some(n) = o.count("n_startup_steps")? {
        b = b.n_startup_steps(n);
    }
    Ok(Arc::new(b.build()?))
}

/// The Wilcoxon rule.
pub static WILCOXON: PrunerSpec = ComponentSpec {
    name: "wilcoxon",
    aliases: &[],
    python: "WilcoxonPruner",
    summary: "For objectives that are sums over instances (folds, tasks) reported step by step: prune a trial \
              that is significantly worse than the best one on the same instances.",
    options: WILCOXON_OPTIONS,
    build: build_wilcoxon,
};

fn build_none(_: &OptionSet<'_>) -> Result<Arc<dyn Pruner>> {
    Ok(Arc::new(NopPruner::builder().build()?))
}

/// No pruning.
pub static NONE: PrunerSpec = ComponentSpec {
    name: "none",
    aliases: &[],
    python: "NopPruner",
    summary: "Never prune (the default).",
    options: &[],
    build: build_none,
};

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use ferrotune_core::options::OptionValue;

    use super::*;

    #[test]
    fn every_pruner_with_complete_defaults_builds_and_bad_options_are_named() {
        for spec in PRUNERS {
            let built = spec.build(BTreeMap::new(), None);
            // A percentile, and a threshold's bounds, have no default.
            assert_eq!(built.is_ok(), !["percentile", "threshold"].contains(&spec.name), "{}", spec.name);
        }
        let values = BTreeMap::from([
            ("min_resource".to_owned(), OptionValue::Int(10)),
            ("max_resource".to_owned(), OptionValue::Int(3)),
        ]);
        match HYPERBAND.build(values, None) {
            Err(Error::InvalidOption { option, .. }) => assert_eq!(option, "max_resource"),
            other => panic!("{:?}", other.err()),
        }
        assert_eq!(pruner_spec("asha").map(|s| s.name), Some("successive_halving"));
    }
}
