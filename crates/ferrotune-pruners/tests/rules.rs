//! Each pruner's decision rule on hand-made learning curves, including
//! ties, missing steps and NaN. Expected decisions are worked out by hand
//! from the published rule (and Optuna's implementation of it).

use std::sync::Arc;

use ferrotune_core::{AttrValue, FrozenTrial, Pruner, StudyDirection, StudyView, TrialState, CONSTRAINTS_ATTR};
use ferrotune_pruners::*;

use StudyDirection::{Maximize, Minimize};

fn curve(number: u64, state: TrialState, points: &[(u64, f64)]) -> Arc<FrozenTrial> {
    let values = (state == TrialState::Complete).then(|| vec![points.last().map_or(0.0, |p| p.1)]);
    let trial = points.iter().fold(FrozenTrial::builder(number).state(state), |t, &(step, v)| t.intermediate(step, v));
    Arc::new(
        match values {
            Some(values) => trial.values(&values),
            None => trial,
        }
        .build(),
    )
}

fn running(points: &[(u64, f64)]) -> Arc<FrozenTrial> {
    curve(99, TrialState::Running, points)
}

fn decide(pruner: &dyn Pruner, direction: StudyDirection, history: &[Arc<FrozenTrial>], trial: &FrozenTrial) -> bool {
    let dirs = [direction];
    pruner.prune(&StudyView { study_name: "s", directions: &dirs, trials: history }, trial).unwrap()
}

// ---- Threshold ----

#[test]
fn threshold_prunes_outside_the_bounds_and_on_nan() {
    let p = ThresholdPruner::builder().lower(0.0).upper(1.0).build().unwrap();
    assert!(decide(&p, Minimize, &[], &running(&[(0, 1.5)])));
    assert!(decide(&p, Minimize, &[], &running(&[(0, -0.1)])));
    assert!(decide(&p, Minimize, &[], &running(&[(0, f64::NAN)])));
    // Bounds themselves are kept; direction plays no part.
    assert!(!decide(&p, Maximize, &[], &running(&[(0, 1.0)])));
    assert!(!decide(&p, Minimize, &[], &running(&[(0, 0.0)])));
    // Only the latest value matters.
    assert!(!decide(&p, Minimize, &[], &running(&[(0, 5.0), (1, 0.5)])));
    let upper_only = ThresholdPruner::builder().upper(2.0).build().unwrap();
    assert!(!decide(&upper_only, Minimize, &[], &running(&[(0, f64::NEG_INFINITY)])));
    assert!(decide(&upper_only, Minimize, &[], &running(&[(0, f64::INFINITY)])));
    assert!(ThresholdPruner::builder().build().is_err());
    assert!(ThresholdPruner::builder().lower(2.0).upper(1.0).build().is_err());
}

#[test]
fn threshold_respects_warmup_and_intervals() {
    let p = ThresholdPruner::builder().upper(1.0).n_warmup_steps(2).interval_steps(3).build().unwrap();
    assert!(!decide(&p, Minimize, &[], &running(&[(1, 9.0)])), "warm-up");
    assert!(decide(&p, Minimize, &[], &running(&[(2, 9.0)])), "first checkpoint is the warm-up step");
    assert!(!decide(&p, Minimize, &[], &running(&[(2, 0.5), (3, 9.0)])), "between checkpoints 2 and 5");
    assert!(decide(&p, Minimize, &[], &running(&[(2, 0.5), (3, 0.5), (5, 9.0)])));
    // Checkpoint 5 was skipped: the next report (6) is judged in its place.
    assert!(decide(&p, Minimize, &[], &running(&[(2, 0.5), (4, 0.5), (6, 9.0)])));
}

// ---- Patient ----

#[test]
fn patient_waits_for_stagnation() {
    let p = PatientPruner::builder().patience(2).build().unwrap();
    // Minimize: best before the last 3 reports is 1.0; best after is 1.2: stagnant.
    assert!(decide(&p, Minimize, &[], &running(&[(0, 2.0), (1, 1.0), (2, 1.2), (3, 1.3), (4, 1.4)])));
    // One of the last 3 improves on 1.0: not stagnant.
    assert!(!decide(&p, Minimize, &[], &running(&[(0, 2.0), (1, 1.0), (2, 1.2), (3, 0.9), (4, 1.4)])));
    // Equal is not worse: not stagnant.
    assert!(!decide(&p, Minimize, &[], &running(&[(0, 2.0), (1, 1.0), (2, 1.0), (3, 1.3), (4, 1.4)])));
    // Too few reports (needs more than patience + 1).
    assert!(!decide(&p, Minimize, &[], &running(&[(0, 2.0), (1, 3.0), (2, 4.0)])));
    // Maximize mirrors it.
    assert!(decide(&p, Maximize, &[], &running(&[(0, 0.9), (1, 0.5), (2, 0.6), (3, 0.7)])));
    assert!(!decide(&p, Maximize, &[], &running(&[(0, 0.5), (1, 0.5), (2, 0.6), (3, 0.7)])));
    // min_delta is Optuna's tolerance: getting worse by less than it is not stagnation.
    let tolerant = PatientPruner::builder().patience(1).min_delta(0.1).build().unwrap();
    assert!(!decide(&tolerant, Minimize, &[], &running(&[(0, 1.0), (1, 1.05), (2, 1.08)])));
    assert!(decide(&tolerant, Minimize, &[], &running(&[(0, 1.0), (1, 1.15), (2, 1.2)])));
    assert!(!decide(&tolerant, Maximize, &[], &running(&[(0, 1.0), (1, 0.95), (2, 0.92)])));
    assert!(decide(&tolerant, Maximize, &[], &running(&[(0, 1.0), (1, 0.85), (2, 0.8)])));
    // NaN is ignored; an all-NaN window never prunes.
    assert!(decide(&p, Minimize, &[], &running(&[(0, 1.0), (1, f64::NAN), (2, 1.2), (3, 1.3)])));
    assert!(!decide(&p, Minimize, &[], &running(&[(0, 1.0), (1, f64::NAN), (2, f64::NAN), (3, f64::NAN)])));
    assert!(PatientPruner::builder().patience(1).min_delta(-0.1).build().is_err());
}

#[test]
fn patient_defers_to_the_wrapped_pruner() {
    let never = PatientPruner::builder().wrapped_pruner(NopPruner).patience(1).build().unwrap();
    assert!(!decide(&never, Minimize, &[], &running(&[(0, 1.0), (1, 2.0), (2, 3.0)])));
    let threshold = ThresholdPruner::builder().upper(2.5).build().unwrap();
    let p = PatientPruner::builder().wrapped_pruner(threshold).patience(1).build().unwrap();
    assert!(decide(&p, Minimize, &[], &running(&[(0, 1.0), (1, 2.0), (2, 3.0)])));
    assert!(!decide(&p, Minimize, &[], &running(&[(0, 1.0), (1, 2.0), (2, 2.2)])), "stagnant but under the threshold");
}

// ---- Successive halving ----

/// Rungs at steps 1, 2, 4, 8 (min_resource 1, factor 2).
fn asha_builder() -> SuccessiveHalvingPrunerBuilder {
    SuccessiveHalvingPruner::builder().min_resource(Some(1)).reduction_factor(2)
}

fn asha() -> SuccessiveHalvingPruner {
    asha_builder().build().unwrap()
}

#[test]
fn successive_halving_keeps_the_top_fraction_at_each_rung() {
    let history = vec![
        curve(0, TrialState::Complete, &[(1, 0.1), (2, 0.05), (4, 0.01)]),
        curve(1, TrialState::Pruned, &[(1, 0.2), (2, 0.3)]),
        curve(2, TrialState::Running, &[(1, 0.3)]),
    ];
    // Rung 0 (step 1): values 0.1, 0.2, 0.3 + ours; 4 values // 2 - 1 = 1:
    // we must be <= the 2nd smallest.
    assert!(decide(&asha(), Minimize, &history, &running(&[(1, 0.25)])));
    assert!(!decide(&asha(), Minimize, &history, &running(&[(1, 0.15)])));
    assert!(!decide(&asha(), Minimize, &history, &running(&[(1, 0.2)])), "ties with the cut-off continue");
    // Maximize: must be >= the 2nd largest of 0.1, 0.2, 0.3, ours.
    assert!(!decide(&asha(), Maximize, &history, &running(&[(1, 0.25)])));
    assert!(decide(&asha(), Maximize, &history, &running(&[(1, 0.15)])));
    // Before the first rung nothing is judged; NaN at a rung is pruned.
    let late = asha_builder().min_resource(Some(3)).build().unwrap();
    assert!(!decide(&late, Minimize, &history, &running(&[(1, 9.0)])));
    assert!(decide(&asha(), Minimize, &history, &running(&[(1, f64::NAN)])));
}

#[test]
fn successive_halving_judges_later_rungs_against_their_own_values() {
    let history = vec![
        curve(0, TrialState::Complete, &[(1, 0.1), (2, 0.05), (4, 0.01)]),
        curve(1, TrialState::Pruned, &[(1, 0.2), (2, 0.3)]),
    ];
    // Rung 0 was passed at step 1; at step 2 the rung-1 values are 0.05, 0.3
    // and ours: 3 // 2 - 1 = 0, so only the best continues.
    assert!(decide(&asha(), Minimize, &history, &running(&[(1, 0.1), (2, 0.06)])));
    assert!(!decide(&asha(), Minimize, &history, &running(&[(1, 0.1), (2, 0.04)])));
    // A report between rungs (step 3) judges nothing new.
    assert!(!decide(&asha(), Minimize, &history, &running(&[(1, 0.1), (2, 0.04), (3, 9.0)])));
    // Missing steps: a trial that skips step 2 and reports 3 is judged for
    // rung 1 there, against the others' first values at or after step 2.
    assert!(decide(&asha(), Minimize, &history, &running(&[(1, 0.1), (3, 0.06)])));
}

#[test]
fn successive_halving_bootstrap_and_auto_min_resource() {
    let history = vec![curve(0, TrialState::Complete, &[(1, 0.5), (2, 0.5)])];
    let boot = asha_builder().bootstrap_count(2).build().unwrap();
    assert!(decide(&boot, Minimize, &history, &running(&[(1, 0.1)])), "only 2 values at the rung: bootstrap");
    assert!(
        SuccessiveHalvingPruner::builder().bootstrap_count(1).build().is_err(),
        "bootstrap needs an explicit min_resource"
    );
    // auto: 1% of the longest completed trial (300 steps -> 3).
    let auto = SuccessiveHalvingPruner::builder().reduction_factor(2).build().unwrap();
    assert!(!decide(&auto, Minimize, &[], &running(&[(5, 9.0)])), "no completed trial yet: no pruning");
    let long = vec![curve(0, TrialState::Complete, &[(3, 0.1), (300, 0.0)])];
    assert!(!decide(&auto, Minimize, &long, &running(&[(2, 9.0)])), "step 2 is before the first rung (3)");
    assert!(decide(&auto, Minimize, &long, &running(&[(3, 9.0)])));
}

// ---- Hyperband ----

#[test]
fn hyperband_brackets_match_the_paper_and_optuna() {
    let p = HyperbandPruner::builder().min_resource(1).max_resource(Some(100)).reduction_factor(3).build().unwrap();
    let dirs = [Minimize];
    let view = StudyView { study_name: "hb", directions: &dirs, trials: &[] };
    assert_eq!(p.n_brackets(&view).unwrap(), Some(5));
    // Budgets 81, 34, 15, 8, 5 of 143: assignment frequencies follow them.
    let mut counts = [0usize; 5];
    for n in 0..14_300 {
        counts[p.trial_group(&view, n).unwrap().unwrap() as usize] += 1;
    }
    for (count, budget) in counts.iter().zip([81.0, 34.0, 15.0, 8.0, 5.0]) {
        let expected = 14_300.0 * budget / 143.0;
        assert!((*count as f64 - expected).abs() < 0.1 * expected + 30.0, "{counts:?}");
    }
    // The same trial lands in the same bracket every time.
    assert_eq!(p.trial_group(&view, 7).unwrap(), p.trial_group(&view, 7).unwrap());
    // 243 = 3^5 exactly, but floating-point log gives 4.999..: 5 brackets, as in Optuna.
    let q = HyperbandPruner::builder().max_resource(Some(243)).build().unwrap();
    assert_eq!(q.n_brackets(&view).unwrap(), Some(5));
}

#[test]
fn hyperband_compares_trials_only_within_their_bracket() {
    let p = HyperbandPruner::builder().min_resource(1).max_resource(Some(9)).reduction_factor(3).build().unwrap();
    let dirs = [Minimize];
    let empty = StudyView { study_name: "hb", directions: &dirs, trials: &[] };
    let bracket = |n: u64| p.trial_group(&empty, n).unwrap().unwrap();
    // Find a trial in bracket 0 (first rung at step 1) and strong rivals in another bracket.
    let ours = (0..1000).find(|&n| bracket(n) == 0).unwrap();
    let rivals: Vec<u64> = (0..1000).filter(|&n| bracket(n) != 0 && n != ours).take(5).collect();
    let history: Vec<Arc<FrozenTrial>> =
        rivals.iter().map(|&n| curve(n, TrialState::Complete, &[(1, 0.0), (3, 0.0), (9, 0.0)])).collect();
    let trial = curve(ours, TrialState::Running, &[(1, 5.0)]);
    let view = StudyView { study_name: "hb", directions: &dirs, trials: &history };
    assert!(!p.prune(&view, &trial).unwrap(), "alone in its bracket, it is the best there");
    // A better trial in the same bracket makes it lose.
    let mate = (0..1000).find(|&n| bracket(n) == 0 && n != ours).unwrap();
    let mut with_mate = history.clone();
    with_mate.push(curve(mate, TrialState::Complete, &[(1, 1.0), (3, 1.0), (9, 1.0)]));
    let view = StudyView { study_name: "hb", directions: &dirs, trials: &with_mate };
    assert!(p.prune(&view, &trial).unwrap());
}

// ---- Wilcoxon ----

/// p-values from SciPy 1.16.3, `scipy.stats.wilcoxon(d, alternative=...,
/// zero_method="zsplit")`, covering its three methods.
#[test]
fn wilcoxon_p_values_match_scipy() {
    let cases: [(&str, Vec<f64>, f64, f64); 4] = [
        ("exact", vec![1.5, -0.2, 2.1, 0.7, 3.3, -1.1, 0.4, 2.8], 0.0390625, 0.97265625),
        ("permutation (ties, zero)", vec![1.0, 1.0, -2.0, 3.0, 3.0, 0.0, 4.0], 0.0625, 0.953125),
        (
            "normal (ties, n=18)",
            vec![1.0, 2.0, 2.0, 3.0, -1.0, 4.0, 5.0, 5.0, 6.0, -2.0, 7.0, 0.0, 8.0, 9.0, 9.0, 1.5, 2.5, -3.0],
            0.0017465389355677669,
            0.9982534610644322,
        ),
        (
            "normal (n=60)",
            (0..60).map(|i| ((i * 37 % 23) as f64 - 8.0) / 3.0).collect(),
            0.0018065021318350064,
            0.998193497868165,
        ),
    ];
    for (name, d, greater, less) in cases {
        let g = wilcoxon_p_value(&d, Alternative::Greater);
        let l = wilcoxon_p_value(&d, Alternative::Less);
        assert!((g - greater).abs() < 1e-9, "{name}: greater {g} vs scipy {greater}");
        assert!((l - less).abs() < 1e-9, "{name}: less {l} vs scipy {less}");
    }
    assert!(wilcoxon_p_value(&[], Alternative::Greater).is_nan());
    assert_eq!(wilcoxon_p_value(&[0.0, 0.0, 0.0], Alternative::Greater), 1.0, "all zeros never look worse");
}

#[test]
fn wilcoxon_prunes_a_trial_consistently_worse_than_the_best() {
    // Ten folds; the best trial scores 1.0 + fold/10 (loss).
    let best_curve: Vec<(u64, f64)> = (0..10).map(|s| (s, 1.0 + s as f64 / 10.0)).collect();
    let history = vec![curve(0, TrialState::Complete, &best_curve)];
    let p = WilcoxonPruner::builder().p_threshold(0.1).build().unwrap();
    let worse: Vec<(u64, f64)> = best_curve.iter().map(|&(s, v)| (s, v + 0.3 + s as f64 / 100.0)).collect();
    assert!(decide(&p, Minimize, &history, &running(&worse[..6])));
    // Two folds are not enough evidence (exact p = 0.25 >= 0.1).
    assert!(!decide(&p, Minimize, &history, &running(&worse[..2])));
    // Better on average: never pruned, whatever the test says.
    let better: Vec<(u64, f64)> = best_curve.iter().map(|&(s, v)| (s, v - 0.2)).collect();
    assert!(!decide(&p, Minimize, &history, &running(&better[..6])));
    // Maximizing flips the sides: the "worse" curve is now better.
    assert!(!decide(&p, Maximize, &history, &running(&worse[..6])));
    // Non-finite values, startup steps and a missing best trial: no pruning.
    let mut with_nan = worse[..6].to_vec();
    with_nan[2].1 = f64::NAN;
    assert!(!decide(&p, Minimize, &history, &running(&with_nan)));
    assert!(!decide(
        &WilcoxonPruner::builder().p_threshold(0.1).n_startup_steps(8).build().unwrap(),
        Minimize,
        &history,
        &running(&worse[..6])
    ));
    assert!(!decide(&p, Minimize, &[], &running(&worse[..6])));
    assert!(WilcoxonPruner::builder().p_threshold(1.5).build().is_err());
}

#[test]
fn wilcoxon_compares_against_the_best_feasible_trial() {
    let infeasible = |number: u64, points: &[(u64, f64)]| {
        let mut t = (*curve(number, TrialState::Complete, points)).clone();
        let violated = AttrValue::Object([("c".to_owned(), AttrValue::from(1.0))].into_iter().collect());
        t.system_attrs.insert(CONSTRAINTS_ATTR.to_owned(), violated);
        Arc::new(t)
    };
    // An infeasible trial far better than anything, then a feasible one.
    let feasible_curve: Vec<(u64, f64)> = (0..10).map(|s| (s, 1.0 + s as f64 / 10.0)).collect();
    let perfect: Vec<(u64, f64)> = (0..10).map(|s| (s, 0.0)).collect();
    let history = vec![infeasible(0, &perfect), curve(1, TrialState::Complete, &feasible_curve)];
    let p = WilcoxonPruner::builder().p_threshold(0.1).build().unwrap();
    // Slightly better than the feasible best: kept, though far worse than
    // the infeasible one.
    let slightly_better: Vec<(u64, f64)> = feasible_curve.iter().map(|&(s, v)| (s, v - 0.01)).collect();
    assert!(!decide(&p, Minimize, &history, &running(&slightly_better[..6])));
    // Against the feasible best, a consistently worse trial is still pruned.
    let worse: Vec<(u64, f64)> = feasible_curve.iter().map(|&(s, v)| (s, v + 0.3 + s as f64 / 100.0)).collect();
    assert!(decide(&p, Minimize, &history, &running(&worse[..6])));
    // No feasible trial: no reference, no pruning.
    assert!(!decide(&p, Minimize, &history[..1], &running(&worse[..6])));
}

#[test]
fn multi_objective_studies_get_a_clear_error() {
    let dirs = [Minimize, Minimize];
    let view = StudyView { study_name: "s", directions: &dirs, trials: &[] };
    let t = running(&[(1, 1.0)]);
    for p in [
        &asha() as &dyn Pruner,
        &PatientPruner::builder().patience(1).build().unwrap(),
        &WilcoxonPruner::builder().p_threshold(0.1).build().unwrap(),
    ] {
        assert!(p.prune(&view, &t).unwrap_err().to_string().contains("single-objective"));
    }
}
