//! How pruners are made: `builder()`, setters in any order, and `build()`,
//! which alone checks the options and names the one at fault (issue 18:
//! `SuccessiveHalvingPruner::new().bootstrap_count(2)?.min_resource(Some(4))?`
//! used to fail although the final settings were valid).

use ferrotune_core::{Error, Result, StudyDirection, StudyView};
use ferrotune_pruners::*;

/// The message of a build error, without the error kind's prefix.
fn message(result: Result<impl std::fmt::Debug>) -> String {
    match result {
        Err(Error::InvalidArgument(m)) => m,
        other => panic!("expected an invalid-argument error, got {other:?}"),
    }
}

#[test]
fn the_issues_successive_halving_example_builds() {
    let pruner = SuccessiveHalvingPruner::builder().bootstrap_count(2).min_resource(Some(4)).build();
    assert!(pruner.is_ok(), "{pruner:?}");
}

/// Setters in one order and in the reverse order make the same pruner (its
/// `Debug` shows every option).
#[test]
fn the_order_of_setters_does_not_matter() {
    let same = |a: String, b: String| assert_eq!(a, b);
    same(
        format!("{:?}", PercentilePruner::builder().percentile(25.0).n_startup_trials(3).interval_steps(2).build()),
        format!("{:?}", PercentilePruner::builder().interval_steps(2).n_startup_trials(3).percentile(25.0).build()),
    );
    same(
        format!("{:?}", MedianPruner::builder().n_warmup_steps(4).n_min_trials(2).build()),
        format!("{:?}", MedianPruner::builder().n_min_trials(2).n_warmup_steps(4).build()),
    );
    same(
        format!(
            "{:?}",
            SuccessiveHalvingPruner::builder()
                .bootstrap_count(2)
                .min_early_stopping_rate(1)
                .reduction_factor(3)
                .min_resource(Some(4))
                .build()
        ),
        format!(
            "{:?}",
            SuccessiveHalvingPruner::builder()
                .min_resource(Some(4))
                .reduction_factor(3)
                .min_early_stopping_rate(1)
                .bootstrap_count(2)
                .build()
        ),
    );
    // The bounds of each option depend on others: bootstrap_count on
    // max_resource, max_resource on min_resource.
    same(
        format!("{:?}", HyperbandPruner::builder().bootstrap_count(1).max_resource(Some(20)).min_resource(10).build()),
        format!("{:?}", HyperbandPruner::builder().min_resource(10).max_resource(Some(20)).bootstrap_count(1).build()),
    );
    same(
        format!("{:?}", ThresholdPruner::builder().upper(2.0).lower(1.0).interval_steps(3).build()),
        format!("{:?}", ThresholdPruner::builder().interval_steps(3).lower(1.0).upper(2.0).build()),
    );
    same(
        format!("{:?}", PatientPruner::builder().min_delta(0.5).wrapped_pruner(NopPruner).patience(2).build()),
        format!("{:?}", PatientPruner::builder().patience(2).wrapped_pruner(NopPruner).min_delta(0.5).build()),
    );
    same(
        format!("{:?}", WilcoxonPruner::builder().n_startup_steps(3).p_threshold(0.05).build()),
        format!("{:?}", WilcoxonPruner::builder().p_threshold(0.05).n_startup_steps(3).build()),
    );
    // A setter called twice keeps the last value; only the final settings count.
    assert!(SuccessiveHalvingPruner::builder().reduction_factor(1).reduction_factor(2).build().is_ok());
    assert!(SuccessiveHalvingPruner::builder()
        .min_resource(Some(4))
        .bootstrap_count(1)
        .min_resource(None)
        .build()
        .is_err());
}

#[test]
fn defaults_build_and_match_new() {
    assert!(NopPruner::builder().build().is_ok());
    assert_eq!(format!("{:?}", MedianPruner::builder().build().unwrap()), format!("{:?}", MedianPruner::new()));
    assert_eq!(
        format!("{:?}", SuccessiveHalvingPruner::builder().build().unwrap()),
        format!("{:?}", SuccessiveHalvingPruner::new())
    );
    assert_eq!(format!("{:?}", HyperbandPruner::builder().build().unwrap()), format!("{:?}", HyperbandPruner::new()));
    assert_eq!(format!("{:?}", WilcoxonPruner::builder().build().unwrap()), format!("{:?}", WilcoxonPruner::new()));
    // The median is the 50th percentile with the same defaults.
    let median = format!("{:?}", MedianPruner::new());
    let percentile = format!("{:?}", PercentilePruner::builder().percentile(50.0).build().unwrap());
    assert_eq!(median, format!("MedianPruner({percentile})"));
}

/// Every invalid setting is refused by `build`, with a message that begins
/// with the option's name (the CLI maps it to its key by that name).
#[test]
fn each_invalid_setting_is_refused_at_build_naming_the_option() {
    let cases: Vec<(&str, String, &str)> = vec![
        ("percentile", message(PercentilePruner::builder().build()), "is missing"),
        ("percentile", message(PercentilePruner::builder().percentile(101.0).build()), "must be in [0, 100]"),
        ("percentile", message(PercentilePruner::builder().percentile(-1.0).build()), "must be in [0, 100]"),
        ("percentile", message(PercentilePruner::builder().percentile(f64::NAN).build()), "must be in [0, 100]"),
        (
            "interval_steps",
            message(PercentilePruner::builder().percentile(25.0).interval_steps(0).build()),
            "at least 1",
        ),
        ("n_min_trials", message(PercentilePruner::builder().percentile(25.0).n_min_trials(0).build()), "at least 1"),
        ("interval_steps", message(MedianPruner::builder().interval_steps(0).build()), "at least 1"),
        ("n_min_trials", message(MedianPruner::builder().n_min_trials(0).build()), "at least 1"),
        ("min_resource", message(SuccessiveHalvingPruner::builder().min_resource(Some(0)).build()), "at least 1"),
        ("reduction_factor", message(SuccessiveHalvingPruner::builder().reduction_factor(1).build()), "at least 2"),
        ("bootstrap_count", message(SuccessiveHalvingPruner::builder().bootstrap_count(1).build()), "not auto"),
        ("min_resource", message(HyperbandPruner::builder().min_resource(0).build()), "at least 1"),
        ("max_resource", message(HyperbandPruner::builder().max_resource(Some(0)).build()), "at least 1"),
        ("reduction_factor", message(HyperbandPruner::builder().reduction_factor(1).build()), "at least 2"),
        ("bootstrap_count", message(HyperbandPruner::builder().bootstrap_count(1).build()), "not auto"),
        ("lower", message(ThresholdPruner::builder().build()), "lower, upper or both"),
        ("lower", message(ThresholdPruner::builder().lower(f64::NAN).build()), "NaN"),
        ("upper", message(ThresholdPruner::builder().upper(f64::NAN).build()), "NaN"),
        ("lower", message(ThresholdPruner::builder().lower(2.0).upper(1.0).build()), "greater than upper"),
        ("interval_steps", message(ThresholdPruner::builder().upper(1.0).interval_steps(0).build()), "at least 1"),
        ("patience", message(PatientPruner::builder().build()), "is missing"),
        ("min_delta", message(PatientPruner::builder().patience(1).min_delta(-0.1).build()), "non-negative"),
        ("min_delta", message(PatientPruner::builder().patience(1).min_delta(f64::INFINITY).build()), "non-negative"),
        ("p_threshold", message(WilcoxonPruner::builder().p_threshold(1.5).build()), "must be in [0, 1]"),
        ("p_threshold", message(WilcoxonPruner::builder().p_threshold(f64::NAN).build()), "must be in [0, 1]"),
    ];
    for (option, message, problem) in cases {
        assert!(message.starts_with(&format!("{option} ")), "'{message}' should begin with '{option}'");
        assert!(message.contains(problem), "'{message}' should say '{problem}'");
    }
}

#[test]
fn hyperband_refuses_a_max_resource_below_min_resource() {
    let m = message(HyperbandPruner::builder().min_resource(10).max_resource(Some(3)).build());
    assert!(m.starts_with("max_resource (3) is below min_resource (10)"), "{m}");
    // The order of the setters does not change that.
    let m = message(HyperbandPruner::builder().max_resource(Some(3)).min_resource(10).build());
    assert!(m.starts_with("max_resource (3) is below min_resource (10)"), "{m}");
    // Equal is one bracket, which prunes; "auto" is checked when it is known.
    let equal = HyperbandPruner::builder().min_resource(10).max_resource(Some(10)).build().unwrap();
    let dirs = [StudyDirection::Minimize];
    let view = StudyView { study_name: "hb", directions: &dirs, trials: &[] };
    assert_eq!(equal.n_brackets(&view).unwrap(), Some(1));
    assert!(HyperbandPruner::builder().min_resource(10).build().is_ok());
}
