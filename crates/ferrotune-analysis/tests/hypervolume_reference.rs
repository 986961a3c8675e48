//! The hypervolume, its contributions, the non-domination ranks and the
//! crowding distances against reference implementations: moocore's exact
//! hypervolume and contributions, pymoo's non-dominated sorting and Optuna
//! 5's NSGA-II crowding distance, on seeded random sets
//! in 2 to 6 objectives written by `fixtures/make_hypervolume_fixtures.py`
//! (random points, points on a sphere-like front, and degenerate sets with
//! ties, copies and points on or beyond the reference's boundary).

use ferrotune_analysis::pareto::{crowding_distances, hypervolume, hypervolume_contributions, non_domination_ranks};
use serde_json::Value;

fn fixtures() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/hypervolume_fixtures.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Coordinates are stored as integers over the scale, so both sides read
/// the same doubles.
fn points(value: &Value, scale: f64) -> Vec<Vec<f64>> {
    value.as_array().unwrap().iter().map(|p| coordinates(p, scale)).collect()
}

fn coordinates(value: &Value, scale: f64) -> Vec<f64> {
    value.as_array().unwrap().iter().map(|x| x.as_i64().unwrap() as f64 / scale).collect()
}

fn relative_error(ours: f64, reference: f64) -> f64 {
    if ours == reference {
        0.0
    } else {
        (ours - reference).abs() / reference.abs()
    }
}

#[test]
fn hypervolume_equals_moocore_within_1e_12() {
    let fixtures = fixtures();
    let scale = fixtures["scale"].as_f64().unwrap();
    let cases = fixtures["hypervolume"].as_array().unwrap();
    assert!(cases.len() >= 80);
    let mut dimensions = std::collections::BTreeSet::new();
    for case in cases {
        let points = points(&case["points"], scale);
        let reference = coordinates(&case["reference"], scale);
        dimensions.insert(reference.len());
        let expected = case["hypervolume"].as_f64().unwrap();
        let ours = hypervolume(&points, &reference);
        let error = relative_error(ours, expected);
        assert!(
            error <= 1e-12,
            "{} set of {} points in {} objectives: {ours} against moocore's {expected} (relative error {error:e})",
            case["kind"],
            points.len(),
            reference.len()
        );
    }
    assert_eq!(dimensions.into_iter().collect::<Vec<_>>(), [2, 3, 4, 5, 6]);
}

#[test]
fn contributions_equal_moocore() {
    let fixtures = fixtures();
    let scale = fixtures["scale"].as_f64().unwrap();
    let mut checked = 0;
    for case in fixtures["hypervolume"].as_array().unwrap() {
        let Some(expected) = case.get("contributions") else { continue };
        let points = points(&case["points"], scale);
        let reference = coordinates(&case["reference"], scale);
        let total = hypervolume(&points, &reference);
        let ours = hypervolume_contributions(&points, &reference);
        for (i, (c, e)) in ours.iter().zip(expected.as_array().unwrap()).enumerate() {
            let e = e.as_f64().unwrap();
            // A contribution is a difference of volumes: relative to the total.
            assert!(
                (c - e).abs() <= 1e-12 * total.max(f64::MIN_POSITIVE),
                "{} set in {} objectives, point {i}: {c} against moocore's {e}",
                case["kind"],
                reference.len()
            );
        }
        checked += 1;
    }
    assert!(checked >= 30);
}

#[test]
fn ranks_equal_pymoo() {
    let fixtures = fixtures();
    let cases = fixtures["ranks"].as_array().unwrap();
    assert!(cases.len() >= 20);
    for case in cases {
        let points = points(&case["points"], 1.0);
        let expected: Vec<usize> =
            case["ranks"].as_array().unwrap().iter().map(|r| r.as_u64().unwrap() as usize).collect();
        assert_eq!(
            non_domination_ranks(&points, None),
            expected,
            "{} points in {} objectives",
            points.len(),
            points[0].len()
        );
    }
}

/// A number, or an infinity written as a string.
fn number(value: &Value) -> f64 {
    match value.as_str() {
        Some("inf") => f64::INFINITY,
        Some("-inf") => f64::NEG_INFINITY,
        _ => value.as_f64().unwrap(),
    }
}

#[test]
fn crowding_distances_equal_optunas_bit_for_bit() {
    let fixtures = fixtures();
    let cases = fixtures["crowding"].as_array().unwrap();
    assert!(cases.len() >= 20);
    for case in cases {
        let values: Vec<Vec<f64>> = case["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_array().unwrap().iter().map(number).collect())
            .collect();
        let expected: Vec<f64> = case["distances"].as_array().unwrap().iter().map(number).collect();
        // Same sums in the same order: the same doubles, ties included.
        assert_eq!(crowding_distances(&values), expected, "{values:?}");
    }
}
