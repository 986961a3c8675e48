//! fANOVA and mean decrease in impurity on synthetic studies whose
//! importance is known by construction (the cases PED-ANOVA is tested on,
//! and more that only a model of the objective can rank): the ranking,
//! the decomposition's sums, seeds, options, refusals.

mod common;

use std::sync::Arc;

use common::{all_cases, cases, float, study, Case, Evaluator, Rng};
use ferrotune_analysis::importance::{fanova, mean_decrease_impurity, ForestOptions};
use ferrotune_core::{Distribution, Error, FrozenTrial, StudyDirection};

const EVALUATORS: [(&str, Evaluator); 2] = [("fanova", fanova), ("mdi", mean_decrease_impurity)];

fn check_ranking(evaluator: &str, case: &Case, importances: &[(String, f64)]) {
    let rank = |name: &str| {
        importances.iter().position(|(n, _)| n == name).unwrap_or_else(|| panic!("{}: no {name}", case.name))
    };
    let groups = case.forest_expected_groups();
    for (g, group) in groups.iter().enumerate() {
        for later in groups[g + 1..].iter().flatten() {
            for name in group {
                assert!(
                    rank(name) < rank(later),
                    "{evaluator} on {}: {name} should rank above {later}: {importances:?}",
                    case.name
                );
            }
        }
    }
    let n_expected: usize = groups.iter().map(Vec::len).sum();
    assert_eq!(importances.len(), n_expected, "{evaluator} on {}: {importances:?}", case.name);
    assert!(importances.windows(2).all(|w| w[0].1 >= w[1].1), "{evaluator} on {}: not sorted", case.name);
    assert!(importances.iter().all(|(_, v)| v.is_finite() && *v >= 0.0), "{evaluator} on {}", case.name);
    if case.normalize {
        let sum: f64 = importances.iter().map(|(_, v)| v).sum();
        assert!((sum - 1.0).abs() < 1e-12, "{evaluator} on {}: sum {sum}", case.name);
    }
}

#[test]
fn synthetic_cases_rank_parameters_as_constructed() {
    for case in all_cases() {
        for (name, evaluator) in EVALUATORS {
            // Several seeds: the ranking must not be luck of one forest.
            for seed in 0..3 {
                let importances = evaluator(&case.trials, &case.directions, &case.forest_options(seed))
                    .unwrap_or_else(|e| panic!("{name} on {}: {e}", case.name));
                check_ranking(name, &case, &importances);
            }
        }
    }
}

#[test]
fn an_additive_objective_is_explained_by_its_main_effects() {
    // No interactions: the parameters' variance fractions add up to nearly
    // all of the forest's variance (the rest is the forest's own noise).
    let case = cases().into_iter().find(|c| c.name == "quadratic").unwrap();
    let options = ForestOptions { normalize: false, ..case.forest_options(0) };
    let importances = fanova(&case.trials, &case.directions, &options).unwrap();
    let sum: f64 = importances.iter().map(|(_, v)| v).sum();
    assert!(sum > 0.9 && sum <= 1.0 + 1e-9, "{sum}: {importances:?}");
    assert!(importances[0].1 > 0.8, "{importances:?}");
}

#[test]
fn a_pure_interaction_leaves_the_main_effects_small() {
    // f = x0 * x1 on [-1, 1]^2: neither parameter matters alone.
    let x = float(-1.0, 1.0);
    let trials = study(31, 400, |d| {
        let (x0, x1) = (d.float("x0", &x), d.float("x1", &x));
        vec![x0 * x1]
    });
    let options = ForestOptions { normalize: false, ..ForestOptions::default().with_seed(0) };
    let importances = fanova(&trials, &[StudyDirection::Minimize], &options).unwrap();
    let sum: f64 = importances.iter().map(|(_, v)| v).sum();
    assert!(sum < 0.2, "{importances:?}");
    // Mean decrease in impurity cannot tell: both split often.
    let mdi = mean_decrease_impurity(&trials, &[StudyDirection::Minimize], &options).unwrap();
    assert!(mdi.iter().all(|(_, v)| *v > 0.3), "{mdi:?}");
}

#[test]
fn unnormalized_mean_decrease_in_impurity_sums_to_one() {
    let case = cases().into_iter().find(|c| c.name == "int").unwrap();
    let options = ForestOptions { normalize: false, ..case.forest_options(4) };
    let importances = mean_decrease_impurity(&case.trials, &case.directions, &options).unwrap();
    let sum: f64 = importances.iter().map(|(_, v)| v).sum();
    assert!((sum - 1.0).abs() < 1e-12, "{sum}");
}

#[test]
fn a_seed_gives_the_same_importances_and_another_seed_others() {
    for case in all_cases() {
        for (name, evaluator) in EVALUATORS {
            let run = |seed| evaluator(&case.trials, &case.directions, &case.forest_options(seed)).unwrap();
            assert_eq!(run(7), run(7), "{name} on {}", case.name);
            assert_ne!(run(7), run(8), "{name} on {}", case.name);
        }
    }
    // Unseeded: a fresh forest each call.
    let case = cases().into_iter().next().unwrap();
    let options = ForestOptions { seed: None, ..case.forest_options(0) };
    let a = fanova(&case.trials, &case.directions, &options).unwrap();
    let b = fanova(&case.trials, &case.directions, &options).unwrap();
    assert_ne!(a, b);
}

#[test]
fn parameters_present_in_few_trials_count_little() {
    // y exists in one trial of twenty: even though it decides their value,
    // its share of the space (and of the forest's variance) is small.
    let x = float(0.0, 1.0);
    let mut rng = Rng::new(99);
    let trials: Vec<Arc<FrozenTrial>> = (0..300)
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
    for (name, evaluator) in EVALUATORS {
        let importances =
            evaluator(&trials, &[StudyDirection::Minimize], &ForestOptions::default().with_seed(0)).unwrap();
        assert_eq!(importances[0].0, "x0", "{name}: {importances:?}");
    }
}

#[test]
fn a_subset_of_parameters_is_modelled_alone() {
    let case = cases().into_iter().find(|c| c.name == "quadratic").unwrap();
    for (name, evaluator) in EVALUATORS {
        let options = case.forest_options(0).with_params(["noise", "x1"]);
        let importances = evaluator(&case.trials, &case.directions, &options).unwrap();
        let mut names: Vec<&str> = importances.iter().map(|(n, _)| n.as_str()).collect();
        if name == "fanova" {
            assert_eq!(names, ["x1", "noise"], "{importances:?}");
        } else {
            // Without x0 the forest fits x0's share with whatever it has,
            // and impurity decreases reward splitting a continuous
            // parameter whether or not it matters: no order is implied.
            names.sort();
            assert_eq!(names, ["noise", "x1"]);
        }
        let err =
            evaluator(&case.trials, &case.directions, &case.forest_options(0).with_params(["x1", "nope"])).unwrap_err();
        assert!(matches!(&err, Error::InvalidArgument(m) if m.contains("nope")), "{name}: {err}");
        let none = evaluator(&case.trials, &case.directions, &case.forest_options(0).with_params(Vec::<String>::new()))
            .unwrap();
        assert!(none.is_empty(), "{name}");
    }
}

#[test]
fn several_objectives_need_a_target() {
    let case = cases().into_iter().find(|c| c.name == "multi_objective_first").unwrap();
    for (name, evaluator) in EVALUATORS {
        let err = evaluator(&case.trials, &case.directions, &ForestOptions::default()).unwrap_err();
        assert!(matches!(&err, Error::InvalidArgument(m) if m.contains("target")), "{name}: {err}");
    }
}

#[test]
fn too_few_trials_or_a_constant_objective_give_equal_shares() {
    let x = float(0.0, 1.0);
    let one = vec![Arc::new(FrozenTrial::builder(0).param("a", &x, 0.5).param("b", &x, 0.1).value(1.0).build())];
    let constant = study(3, 50, |d| {
        d.float("a", &x);
        d.float("b", &x);
        vec![2.5]
    });
    for (name, evaluator) in EVALUATORS {
        for trials in [&one, &constant] {
            let importances = evaluator(trials, &[StudyDirection::Minimize], &ForestOptions::default()).unwrap();
            assert_eq!(importances, [("a".to_owned(), 0.5), ("b".to_owned(), 0.5)], "{name}");
            let raw = ForestOptions { normalize: false, ..ForestOptions::default() };
            let importances = evaluator(trials, &[StudyDirection::Minimize], &raw).unwrap();
            assert_eq!(importances, [("a".to_owned(), 0.0), ("b".to_owned(), 0.0)], "{name}");
        }
        assert!(evaluator(&[], &[StudyDirection::Minimize], &ForestOptions::default()).unwrap().is_empty());
    }
}

#[test]
fn a_single_valued_parameter_has_no_importance() {
    let x = float(0.0, 1.0);
    let fixed = float(3.0, 3.0);
    let trials = study(5, 100, |d| {
        let x0 = d.float("x0", &x);
        d.float("fixed", &fixed);
        vec![x0]
    });
    for (name, evaluator) in EVALUATORS {
        let raw = ForestOptions { normalize: false, ..ForestOptions::default().with_seed(1) };
        let importances = evaluator(&trials, &[StudyDirection::Minimize], &raw).unwrap();
        assert_eq!(importances[1], ("fixed".to_owned(), 0.0), "{name}");
        assert!(importances[0].1 > 0.9, "{name}: {importances:?}");
    }
}

#[test]
fn a_parameter_without_one_axis_is_refused_naming_it() {
    let x = float(0.0, 1.0);
    let c = Distribution::categorical(["a", "b"]).unwrap();
    let trials: Vec<Arc<FrozenTrial>> = (0..10)
        .map(|i| {
            let b = FrozenTrial::builder(i).param("x0", &x, 0.1 * i as f64);
            let b = if i % 2 == 0 { b.param("mixed", &x, 0.5) } else { b.param("mixed", &c, 1.0) };
            Arc::new(b.value(i as f64).build())
        })
        .collect();
    for (name, evaluator) in EVALUATORS {
        let err = evaluator(&trials, &[StudyDirection::Minimize], &ForestOptions::default()).unwrap_err();
        assert!(matches!(&err, Error::InvalidArgument(m) if m.contains("'mixed'")), "{name}: {err}");
        // Left out, the rest is assessed.
        let options = ForestOptions::default().with_params(["x0"]);
        assert_eq!(evaluator(&trials, &[StudyDirection::Minimize], &options).unwrap().len(), 1);
    }
}

#[test]
fn bad_options_are_refused_naming_the_option() {
    let x = float(0.0, 1.0);
    let trials = vec![Arc::new(FrozenTrial::builder(0).param("a", &x, 0.5).value(1.0).build())];
    let min = [StudyDirection::Minimize];
    for (options, option) in [
        (ForestOptions { n_trees: 0, ..Default::default() }, "n_trees"),
        (ForestOptions { max_depth: 0, ..Default::default() }, "max_depth"),
        (ForestOptions { min_samples_split: 1, ..Default::default() }, "min_samples_split"),
        (ForestOptions { min_samples_leaf: 0, ..Default::default() }, "min_samples_leaf"),
        (ForestOptions { max_features: Some(0), ..Default::default() }, "max_features"),
    ] {
        for (name, evaluator) in EVALUATORS {
            let err = evaluator(&trials, &min, &options).unwrap_err();
            assert!(matches!(&err, Error::InvalidOption { option: o, .. } if o == option), "{name}: {err}");
        }
    }
    assert!(matches!(fanova(&trials, &[], &ForestOptions::default()), Err(Error::InvalidArgument(_))));
}

#[test]
fn extreme_options_do_not_break_the_forest() {
    let case = cases().into_iter().find(|c| c.name == "quadratic").unwrap();
    for options in [
        ForestOptions { min_samples_leaf: usize::MAX, ..case.forest_options(0) },
        ForestOptions { min_samples_split: usize::MAX, ..case.forest_options(0) },
        ForestOptions { max_depth: usize::MAX, max_features: Some(usize::MAX), ..case.forest_options(0) },
        ForestOptions { n_trees: 1, max_depth: 1, ..case.forest_options(0) },
    ] {
        for (name, evaluator) in EVALUATORS {
            let importances = evaluator(&case.trials, &case.directions, &options).unwrap();
            assert_eq!(importances.len(), 4, "{name} {options:?}");
            assert!(importances.iter().all(|(_, v)| v.is_finite() && *v >= 0.0), "{name} {options:?}");
        }
    }
}

#[test]
fn tree_options_change_the_forest() {
    let case = cases().into_iter().find(|c| c.name == "quadratic").unwrap();
    let base = case.forest_options(0);
    let run = |options: ForestOptions| fanova(&case.trials, &case.directions, &options).unwrap();
    let default = run(base.clone());
    for options in [
        ForestOptions { n_trees: 5, ..base.clone() },
        ForestOptions { max_depth: 2, ..base.clone() },
        ForestOptions { min_samples_leaf: 10, ..base.clone() },
        ForestOptions { min_samples_split: 30, ..base.clone() },
        ForestOptions { max_features: Some(1), ..base.clone() },
    ] {
        let other = run(options.clone());
        assert_ne!(other, default, "{options:?}");
        assert_eq!(other[0].0, "x0", "{options:?}: {other:?}");
    }
}

#[test]
#[ignore = "prints every case's importances"]
fn print_cases() {
    for case in all_cases() {
        for (name, evaluator) in EVALUATORS {
            println!("{name} {}: {:?}", case.name, evaluator(&case.trials, &case.directions, &case.forest_options(0)));
        }
    }
}
