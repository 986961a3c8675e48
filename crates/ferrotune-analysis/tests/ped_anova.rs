//! PED-ANOVA on synthetic studies whose importance is known by
//! construction: the ranking, normalization, subsets, targets, refusals.

mod common;

use std::sync::Arc;

use common::{cases, pareto_cases, Case};
use ferrotune_analysis::importance::{ped_anova, PedAnovaOptions};
use ferrotune_core::{Distribution, Error, FrozenTrial, StudyDirection};

fn run(case: &Case) -> Vec<(String, f64)> {
    ped_anova(&case.trials, &case.directions, &case.options()).unwrap_or_else(|e| panic!("{}: {e}", case.name))
}

#[test]
fn synthetic_cases_rank_parameters_as_constructed() {
    for case in cases().into_iter().chain(pareto_cases()) {
        let importances = run(&case);
        let rank = |name: &str| {
            importances.iter().position(|(n, _)| n == name).unwrap_or_else(|| panic!("{}: no {name}", case.name))
        };
        let groups = case.expected_groups();
        for (g, group) in groups.iter().enumerate() {
            for later in groups[g + 1..].iter().flatten() {
                for name in group {
                    assert!(
                        rank(name) < rank(later),
                        "{}: {name} should rank above {later}: {importances:?}",
                        case.name
                    );
                }
            }
        }
        let n_expected: usize = groups.iter().map(Vec::len).sum();
        assert_eq!(importances.len(), n_expected, "{}: {importances:?}", case.name);
        assert!(importances.windows(2).all(|w| w[0].1 >= w[1].1), "{}: not sorted", case.name);
        assert!(importances.iter().all(|(_, v)| v.is_finite() && *v >= 0.0), "{}", case.name);
        if case.normalize {
            let sum: f64 = importances.iter().map(|(_, v)| v).sum();
            assert!((sum - 1.0).abs() < 1e-12, "{}: sum {sum}", case.name);
        }
    }
}

#[test]
fn the_dominant_parameter_takes_most_of_the_importance() {
    let case = cases().into_iter().find(|c| c.name == "quadratic").unwrap();
    let importances = run(&case);
    assert_eq!(importances[0].0, "x0");
    assert!(importances[0].1 > 0.5, "{importances:?}");
    // The irrelevant parameter gets a small share.
    let noise = importances.iter().find(|(n, _)| n == "noise").unwrap().1;
    assert!(noise < 0.1, "{importances:?}");
}

#[test]
fn unnormalized_importances_scale_to_the_normalized_ones() {
    let case = cases().into_iter().find(|c| c.name == "quadratic").unwrap();
    let normalized = run(&case);
    let raw =
        ped_anova(&case.trials, &case.directions, &PedAnovaOptions { normalize: false, ..case.options() }).unwrap();
    let sum: f64 = raw.iter().map(|(_, v)| v).sum();
    assert!((sum - 1.0).abs() > 1e-3, "raw importances happen to sum to {sum}");
    for ((name_n, n), (name_r, r)) in normalized.iter().zip(&raw) {
        assert_eq!(name_n, name_r);
        assert!((n - r / sum).abs() < 1e-12);
    }
}

#[test]
fn a_subset_of_parameters_is_assessed_alone() {
    let case = cases().into_iter().find(|c| c.name == "quadratic").unwrap();
    let options = case.options().with_params(["noise", "x1"]);
    let importances = ped_anova(&case.trials, &case.directions, &options).unwrap();
    let names: Vec<&str> = importances.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["x1", "noise"]);
    assert!((importances[0].1 + importances[1].1 - 1.0).abs() < 1e-12);
    // Each parameter's own importance does not depend on the others asked for.
    let all =
        ped_anova(&case.trials, &case.directions, &PedAnovaOptions { normalize: false, ..case.options() }).unwrap();
    let alone =
        ped_anova(&case.trials, &case.directions, &PedAnovaOptions { normalize: false, ..options.clone() }).unwrap();
    for (name, v) in &alone {
        assert_eq!(all.iter().find(|(n, _)| n == name).unwrap().1, *v);
    }

    let err = ped_anova(&case.trials, &case.directions, &case.options().with_params(["x1", "nope"])).unwrap_err();
    assert!(matches!(&err, Error::InvalidArgument(m) if m.contains("nope")), "{err}");
    // No parameters asked for: nothing to report.
    let none = ped_anova(&case.trials, &case.directions, &case.options().with_params(Vec::<String>::new())).unwrap();
    assert!(none.is_empty());
}

#[test]
fn several_objectives_are_judged_by_a_target_or_by_pareto_rank() {
    let case = cases().into_iter().find(|c| c.name == "multi_objective_first").unwrap();
    // Without a target, by the Pareto front: the objectives are 10 x0^2 +
    // 0.5 x1 (minimized) and 10 x1^2 + 0.5 x0 (maximized), so the best
    // trials have x0 near 0 and |x1| large; both parameters matter, noise
    // does not.
    let pareto = ped_anova(&case.trials, &case.directions, &PedAnovaOptions::default()).unwrap();
    assert_eq!(pareto.last().unwrap().0, "noise", "{pareto:?}");
    assert!(pareto[1].1 > 5.0 * pareto[2].1, "{pareto:?}");
    // With a target, each objective's own parameter comes first.
    let first = ped_anova(
        &case.trials,
        &case.directions,
        &PedAnovaOptions::default().with_target(|t| t.values.as_ref().unwrap()[0]),
    )
    .unwrap();
    assert_eq!(first[0].0, "x0");
    let second = ped_anova(
        &case.trials,
        &case.directions,
        &PedAnovaOptions::default().with_target(|t| -t.values.as_ref().unwrap()[1]),
    )
    .unwrap();
    assert_eq!(second[0].0, "x1");
}

#[test]
fn a_target_on_one_objective_is_taken_as_lower_is_better() {
    // Maximized single objective: the target is used as given, not negated.
    let case = cases().into_iter().find(|c| c.name == "maximize").unwrap();
    let by_value = run(&case);
    let by_target =
        ped_anova(&case.trials, &case.directions, &case.options().with_target(|t| -t.value().unwrap())).unwrap();
    assert_eq!(by_value, by_target);
}

#[test]
fn parameters_present_in_few_trials_count_little() {
    // y exists in a handful of trials only: even though it decides their
    // value, its importance is bounded by its share of the best trials.
    let x = Distribution::float(0.0, 1.0).unwrap();
    let mut rng = common::Rng::new(99);
    let trials: Vec<Arc<FrozenTrial>> = (0..200)
        .map(|i| {
            let x0 = rng.uniform();
            let mut b = FrozenTrial::builder(i).param("x0", &x, x0);
            let mut value = x0;
            if i % 20 == 0 {
                let y = rng.uniform();
                b = b.param("y", &x, y);
                value += y;
            }
            Arc::new(b.value(value).build())
        })
        .collect();
    let importances = ped_anova(&trials, &[StudyDirection::Minimize], &PedAnovaOptions::default()).unwrap();
    assert_eq!(importances[0].0, "x0", "{importances:?}");
}

#[test]
fn too_few_trials_give_equal_shares() {
    let x = Distribution::float(0.0, 1.0).unwrap();
    let one = vec![Arc::new(FrozenTrial::builder(0).param("a", &x, 0.5).param("b", &x, 0.1).value(1.0).build())];
    let importances = ped_anova(&one, &[StudyDirection::Minimize], &PedAnovaOptions::default()).unwrap();
    assert_eq!(importances, [("a".to_owned(), 0.5), ("b".to_owned(), 0.5)]);
    let raw = ped_anova(&one, &[StudyDirection::Minimize], &PedAnovaOptions { normalize: false, ..Default::default() })
        .unwrap();
    assert_eq!(raw, [("a".to_owned(), 0.0), ("b".to_owned(), 0.0)]);
    let nothing = ped_anova(&[], &[StudyDirection::Minimize], &PedAnovaOptions::default()).unwrap();
    assert!(nothing.is_empty());
}

#[test]
fn results_are_deterministic() {
    for case in cases() {
        assert_eq!(run(&case), run(&case), "{}", case.name);
    }
}

#[test]
fn bad_options_are_refused_naming_the_option() {
    let x = Distribution::float(0.0, 1.0).unwrap();
    let trials = vec![Arc::new(FrozenTrial::builder(0).param("a", &x, 0.5).value(1.0).build())];
    let min = [StudyDirection::Minimize];
    for (options, name) in [
        (PedAnovaOptions { target_quantile: 0.0, ..Default::default() }, "target_quantile"),
        (PedAnovaOptions { target_quantile: 1.0, ..Default::default() }, "target_quantile"),
        (PedAnovaOptions { target_quantile: 0.5, region_quantile: 0.5, ..Default::default() }, "region_quantile"),
        (PedAnovaOptions { region_quantile: 1.5, ..Default::default() }, "region_quantile"),
        (PedAnovaOptions { target_quantile: f64::NAN, ..Default::default() }, "target_quantile"),
    ] {
        let err = ped_anova(&trials, &min, &options).unwrap_err();
        assert!(matches!(&err, Error::InvalidOption { option, .. } if option == name), "{options:?}: {err}");
    }
    assert!(matches!(ped_anova(&trials, &[], &PedAnovaOptions::default()), Err(Error::InvalidArgument(_))));
}

#[test]
#[ignore = "prints every case's importances"]
fn print_cases() {
    for case in cases() {
        println!("{}: {:?}", case.name, run(&case));
    }
}
