//! NSGA-III's survivor cut (Deb & Jain 2014): whole non-domination fronts
//! while they fit, then, from the front that fits only in part, members
//! chosen so the survivors spread over a set of reference points.
//!
//! The steps, each a function here with its own hand-worked tests:
//! - `das_dennis`: the default reference points, the simplex lattice with
//!   `H` divisions (C(H + M - 1, M - 1) points for M objectives).
//! - `normalize`: the kept fronts and the last one (S_t) translated by
//!   their ideal point and divided by the intercepts of the hyperplane
//!   through the extreme points (each found by the achievement scalarizing
//!   function with weights 1 on its axis and 10^-6 on the others).
//! - `associate`: each member to the reference line (through the origin
//!   and a reference point) nearest by perpendicular distance.
//! - `niche`: reference points taken in turn by smallest niche count (the
//!   kept members associated with them), ties at random; one with no
//!   member yet gets its closest last-front member, one with members a
//!   random one; a point with no last-front member left drops out.
//!
//! Design decision, normalization: as Optuna 5 (ideal and extreme points
//! of S_t alone, no memory across generations as pymoo keeps; when the
//! extreme points are degenerate, the worst value of S_t on each
//! objective, 1 where that is 0), plus pymoo's check that the intercepts
//! are positive and finite (Optuna divides by whatever the hyperplane
//! gives, so a hyperplane tilted past an axis flips that objective's
//! sign). Infinite losses are first clipped, as Optuna, to three ranges
//! beyond the finite ones. Unlike Optuna, whose NSGA-III normalizes the
//! raw values, maximized objectives are negated first (losses), so the
//! ideal point is the best one in both directions.

use std::borrow::Cow;

use rand::{Rng, RngCore};

use super::selection::{fronts_that_fit, Candidate};

/// The weight of the other axes in the achievement scalarizing function
/// that finds an axis's extreme point: Deb & Jain's 10^-6 (a member's
/// value on the other axes counts a million times its value on this one).
const OFF_AXIS_WEIGHT: f64 = 1e-6;

/// How far beyond the finite values, in their ranges, an infinite loss is
/// clipped to (Optuna's `_COEF`).
const INFINITY_MARGIN: f64 = 3.0;

/// The Das-Dennis (simplex-lattice) points: every point of the unit
/// simplex in `n_objectives` dimensions whose coordinates are multiples of
/// `1 / divisions`, the first coordinate descending. With one objective,
/// the one point `[1]`.
pub(crate) fn das_dennis(n_objectives: usize, divisions: usize) -> Vec<Vec<f64>> {
    fn fill(left: usize, slots: usize, divisions: usize, prefix: &mut Vec<f64>, out: &mut Vec<Vec<f64>>) {
        if slots == 1 {
            prefix.push(left as f64 / divisions as f64);
            out.push(prefix.clone());
            prefix.pop();
            return;
        }
        for k in (0..=left).rev() {
            prefix.push(k as f64 / divisions as f64);
            fill(left - k, slots - 1, divisions, prefix, out);
            prefix.pop();
        }
    }
    if n_objectives == 0 {
        return Vec::new();
    }
    let divisions = divisions.max(1);
    let mut out = Vec::new();
    fill(divisions, n_objectives, divisions, &mut Vec::with_capacity(n_objectives), &mut out);
    out
}

/// Infinite losses clipped, per objective, to `INFINITY_MARGIN` ranges of
/// the finite ones beyond them; an objective with no finite loss is 0
/// throughout.
fn clip_infinities(rows: &[&[f64]]) -> Vec<Vec<f64>> {
    let n_objectives = rows.first().map_or(0, |r| r.len());
    let mut out: Vec<Vec<f64>> = rows.iter().map(|r| r.to_vec()).collect();
    for k in 0..n_objectives {
        let finite = rows.iter().map(|r| r[k]).filter(|v| v.is_finite());
        let (low, high) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
        for row in &mut out {
            row[k] = if low > high {
                0.0
            } else {
                let margin = INFINITY_MARGIN * (high - low);
                row[k].clamp(low - margin, high + margin)
            };
        }
    }
    out
}

/// S_t normalized, and how.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Normalized {
    /// The smallest loss on each objective.
    pub ideal: Vec<f64>,
    /// Row index of each objective's extreme point.
    pub extremes: Vec<usize>,
    /// What each translated objective is divided by.
    pub intercepts: Vec<f64>,
    /// Whether the intercepts are the worst values (the hyperplane was
    /// degenerate or cut an axis at a non-positive or non-finite point).
    pub fell_back: bool,
    /// The rows, translated and divided.
    pub points: Vec<Vec<f64>>,
}

/// Normalize `rows` (losses, one row per member of S_t). Ties between
/// candidate extreme points go to the first row.
pub(crate) fn normalize(rows: &[&[f64]]) -> Normalized {
    let clipped = clip_infinities(rows);
    let n_objectives = clipped.first().map_or(0, Vec::len);
    let ideal: Vec<f64> =
        (0..n_objectives).map(|k| clipped.iter().map(|r| r[k]).fold(f64::INFINITY, f64::min)).collect();
    let translated: Vec<Vec<f64>> =
        clipped.iter().map(|r| r.iter().zip(&ideal).map(|(v, z)| v - z).collect()).collect();
    let extremes: Vec<usize> = (0..n_objectives)
        .map(|axis| {
            let asf = |row: &[f64]| {
                row.iter()
                    .enumerate()
                    .map(|(k, v)| if k == axis { *v } else { v / OFF_AXIS_WEIGHT })
                    .fold(f64::NEG_INFINITY, f64::max)
            };
            let mut best = 0;
            for (i, row) in translated.iter().enumerate().skip(1) {
                if asf(row) < asf(&translated[best]) {
                    best = i;
                }
            }
            best
        })
        .collect();
    let plane: Vec<Vec<f64>> = extremes.iter().map(|&i| translated[i].clone()).collect();
    let intercepts = hyperplane_intercepts(&plane);
    let fell_back = intercepts.is_none();
    let intercepts = intercepts.unwrap_or_else(|| {
        (0..n_objectives)
            .map(|k| {
                let worst = translated.iter().map(|r| r[k]).fold(0.0, f64::max);
                if worst > 0.0 {
                    worst
                } else {
                    1.0
                }
            })
            .collect()
    });
    let points = translated.iter().map(|r| r.iter().zip(&intercepts).map(|(v, a)| v / a).collect()).collect();
    Normalized { ideal, extremes, intercepts, fell_back, points }
}

/// Where the hyperplane through the rows of `extreme` (one point per axis)
/// cuts each axis, if it is one hyperplane and cuts every axis at a
/// positive finite point: the solution `a` of `E a = 1` by Gaussian
/// elimination with partial pivoting, the intercepts `1 / a`.
pub(crate) fn hyperplane_intercepts(extreme: &[Vec<f64>]) -> Option<Vec<f64>> {
    let n = extreme.len();
    let scale = extreme.iter().flatten().fold(0.0f64, |m, v| m.max(v.abs()));
    if n == 0 || !scale.is_finite() || scale == 0.0 {
        return None;
    }
    let mut m: Vec<Vec<f64>> = extreme.iter().map(|r| r.iter().copied().chain([1.0]).collect()).collect();
    for col in 0..n {
        let pivot = (col..n).max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))?;
        // A pivot this small against the entries makes the points (nearly)
        // linearly dependent: no single hyperplane passes through them.
        if m[pivot][col].abs() <= 1e-12 * scale {
            return None;
        }
        m.swap(col, pivot);
        let (above, below) = m.split_at_mut(col + 1);
        let pivot_row = &above[col];
        for row in below {
            let factor = row[col] / pivot_row[col];
            for (x, p) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                *x -= factor * p;
            }
        }
    }
    let mut a = vec![0.0; n];
    for row in (0..n).rev() {
        let rest: f64 = (row + 1..n).map(|k| m[row][k] * a[k]).sum();
        a[row] = (m[row][n] - rest) / m[row][row];
    }
    let intercepts: Vec<f64> = a.iter().map(|x| 1.0 / x).collect();
    intercepts.iter().all(|c| c.is_finite() && *c > 0.0).then_some(intercepts)
}

/// The perpendicular distance from `point` to the line through the origin
/// and `reference`.
pub(crate) fn perpendicular_distance(point: &[f64], reference: &[f64]) -> f64 {
    let norm2: f64 = reference.iter().map(|w| w * w).sum();
    let along = point.iter().zip(reference).map(|(x, w)| x * w).sum::<f64>() / norm2;
    point.iter().zip(reference).map(|(x, w)| (x - along * w).powi(2)).sum::<f64>().sqrt()
}

/// Each point's nearest reference line (ties to the lower index) and its
/// distance to it.
pub(crate) fn associate(points: &[Vec<f64>], references: &[Vec<f64>]) -> Vec<(usize, f64)> {
    points
        .iter()
        .map(|p| {
            let mut best = (0, f64::INFINITY);
            for (j, w) in references.iter().enumerate() {
                let d = perpendicular_distance(p, w);
                if d < best.1 {
                    best = (j, d);
                }
            }
            best
        })
        .collect()
}

/// Niching: `wanted` of the last front's members (`last`: each one's
/// reference point and distance, with an identity kept for the result),
/// given each reference point's niche count among the kept members.
/// Returns the identities chosen, in the order chosen.
pub(crate) fn niche<T: Copy>(
    wanted: usize,
    niche_count: &mut [usize],
    last: &[(T, usize, f64)],
    rng: &mut dyn RngCore,
) -> Vec<T> {
    let mut members: Vec<Vec<(T, f64)>> = vec![Vec::new(); niche_count.len()];
    for &(id, j, d) in last {
        members[j].push((id, d));
    }
    let mut open: Vec<usize> = (0..members.len()).filter(|&j| !members[j].is_empty()).collect();
    let mut chosen = Vec::with_capacity(wanted);
    while chosen.len() < wanted && !open.is_empty() {
        let least = open.iter().map(|&j| niche_count[j]).min().unwrap_or(0);
        let tied: Vec<usize> = (0..open.len()).filter(|&p| niche_count[open[p]] == least).collect();
        let at = tied[rng.random_range(0..tied.len())];
        let j = open[at];
        let pick = if niche_count[j] == 0 {
            // The closest; on equal distances the first listed.
            (1..members[j].len()).fold(0, |best, p| if members[j][p].1 < members[j][best].1 { p } else { best })
        } else {
            rng.random_range(0..members[j].len())
        };
        chosen.push(members[j].remove(pick).0);
        niche_count[j] += 1;
        if members[j].is_empty() {
            open.remove(at);
        }
    }
    chosen
}

/// NSGA-III's cut: the `size` survivors among `candidates` (indices).
/// `references` must have one column per objective.
pub(crate) fn select_by_reference_points(
    candidates: &[Candidate],
    size: usize,
    references: &[Vec<f64>],
    rng: &mut dyn RngCore,
) -> Vec<usize> {
    let (mut elites, last) = fronts_that_fit(candidates, size);
    if last.is_empty() {
        return elites;
    }
    // S_t in trial-number order, so ties (extreme points, distances) go
    // to the lower number whatever order the pool was read in.
    let mut members: Vec<usize> = elites.iter().chain(&last).copied().collect();
    members.sort_by_key(|&i| candidates[i].number);
    let rows: Vec<&[f64]> = members.iter().map(|&i| candidates[i].losses.as_slice()).collect();
    let normalized = normalize(&rows);
    let association = associate(&normalized.points, references);
    let mut niche_count = vec![0; references.len()];
    let mut in_last = Vec::new();
    for (&i, &(j, d)) in members.iter().zip(&association) {
        if last.contains(&i) {
            in_last.push((i, j, d));
        } else {
            niche_count[j] += 1;
        }
    }
    let wanted = size - elites.len();
    elites.extend(niche(wanted, &mut niche_count, &in_last, rng));
    elites
}

/// The most Das-Dennis points a study may ask for: each cut measures every
/// member's distance to every point, and the lattice grows as
/// C(H + M - 1, M - 1) (10 objectives at 10 divisions: 92,378 points).
pub const MAX_REFERENCE_POINTS: usize = 100_000;

/// How many Das-Dennis points `n_objectives` and `divisions` give,
/// C(H + M - 1, M - 1); `None` past `usize`.
pub(crate) fn das_dennis_count(n_objectives: usize, divisions: usize) -> Option<usize> {
    if n_objectives == 0 {
        return Some(0);
    }
    // C(n, k) built up as C(n - k + i, i), i = 1..=k: every step exact.
    let (n, k) = (divisions + n_objectives - 1, n_objectives - 1);
    let k = k.min(n - k);
    let mut c: usize = 1;
    for i in 1..=k {
        c = c.checked_mul(n - k + i)? / i;
    }
    Some(c)
}

/// The reference points for `n_objectives`: the given ones, or the
/// Das-Dennis points with `divisions` (fewer divisions where those would
/// give more than [`MAX_REFERENCE_POINTS`]: a study refuses such options
/// up front, see `check_study`, so only a look without a study gets here).
pub(crate) fn reference_points(
    given: Option<&[Vec<f64>]>,
    divisions: usize,
    n_objectives: usize,
) -> Cow<'_, [Vec<f64>]> {
    match given {
        Some(points) if points.iter().all(|p| p.len() == n_objectives) => Cow::Borrowed(points),
        // Another number of columns than objectives is refused before any
        // cut (`check_study`); a look at the parents without a study's
        // check falls back to the defaults rather than panic.
        _ => {
            let mut divisions = divisions.max(1);
            while divisions > 1 && das_dennis_count(n_objectives, divisions).is_none_or(|c| c > MAX_REFERENCE_POINTS) {
                divisions -= 1;
            }
            Cow::Owned(das_dennis(n_objectives, divisions))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng_for;

    #[test]
    fn the_lattice_size_is_counted_without_building_it_and_capped() {
        for (m, h) in [(1, 3), (2, 2), (3, 3), (3, 12), (5, 4), (10, 10)] {
            assert_eq!(das_dennis_count(m, h), Some(binomial(h + m - 1, m - 1)), "M={m} H={h}");
        }
        assert_eq!(das_dennis_count(3, 3), Some(das_dennis(3, 3).len()));
        assert_eq!(das_dennis_count(60, 1_000_000), None, "overflow is None, not a wrapped count");
        // A look without a study's check never builds a lattice past the cap.
        let points = reference_points(None, 1000, 10);
        assert!(!points.is_empty() && points.len() <= MAX_REFERENCE_POINTS, "{}", points.len());
    }

    fn close(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-12)
    }

    fn binomial(n: usize, k: usize) -> usize {
        (0..k).fold(1, |c, i| c * (n - i) / (i + 1))
    }

    #[test]
    fn das_dennis_points_by_hand() {
        let third = 1.0 / 3.0;
        let two_thirds = 2.0 / 3.0;
        let expected = vec![
            vec![1.0, 0.0, 0.0],
            vec![two_thirds, third, 0.0],
            vec![two_thirds, 0.0, third],
            vec![third, two_thirds, 0.0],
            vec![third, third, third],
            vec![third, 0.0, two_thirds],
            vec![0.0, 1.0, 0.0],
            vec![0.0, two_thirds, third],
            vec![0.0, third, two_thirds],
            vec![0.0, 0.0, 1.0],
        ];
        assert_eq!(das_dennis(3, 3), expected);
        assert_eq!(das_dennis(2, 2), vec![vec![1.0, 0.0], vec![0.5, 0.5], vec![0.0, 1.0]]);
        assert_eq!(das_dennis(1, 3), vec![vec![1.0]]);
        // C(H + M - 1, M - 1) points, distinct, on the unit simplex.
        for (m, h) in [(2, 3), (3, 12), (4, 3), (5, 4), (8, 2)] {
            let points = das_dennis(m, h);
            assert_eq!(points.len(), binomial(h + m - 1, m - 1), "M = {m}, H = {h}");
            for p in &points {
                assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12, "{p:?}");
                assert!(p.iter().all(|v| (v * h as f64 - (v * h as f64).round()).abs() < 1e-9), "{p:?}");
            }
            for (i, p) in points.iter().enumerate() {
                assert!(!points[..i].contains(p), "{p:?} twice");
            }
        }
    }

    #[test]
    fn intercepts_of_a_tilted_hyperplane_by_hand() {
        // x/2 + y/4 + z/5 = 1 through three points none of them on an axis.
        let points = vec![vec![1.0, 2.0, 0.0], vec![0.0, 2.0, 2.5], vec![1.0, 0.0, 2.5]];
        assert!(close(&hyperplane_intercepts(&points).unwrap(), &[2.0, 4.0, 5.0]));
        // The line through (4, 1) and (1, 0.1) cuts the second axis below
        // zero: 4a + b = 1 and a + b/10 = 1 give b = -5, an intercept of -1/5.
        assert_eq!(hyperplane_intercepts(&[vec![4.0, 1.0], vec![1.0, 0.1]]), None);
        // Two equal points, or points on one line through the origin: no plane.
        assert_eq!(hyperplane_intercepts(&[vec![1.0, 2.0], vec![1.0, 2.0]]), None);
        assert_eq!(hyperplane_intercepts(&[vec![1.0, 2.0], vec![2.0, 4.0]]), None);
        assert_eq!(hyperplane_intercepts(&[vec![0.0, 0.0], vec![0.0, 0.0]]), None);
        assert_eq!(hyperplane_intercepts(&[vec![f64::INFINITY, 0.0], vec![0.0, 1.0]]), None);
    }

    #[test]
    fn normalization_by_hand() {
        // Ideal (1, 1); translated A (0, 4), B (2, 1), C (5, 0), D (3, 3).
        // Axis 0's extreme minimizes max(x0, 10^6 x1): C (5, 0); axis 1's
        // max(10^6 x0, x1): A (0, 4). The line through them cuts the axes
        // at 5 and 4.
        let rows = [[1.0, 5.0], [3.0, 2.0], [6.0, 1.0], [4.0, 4.0]];
        let rows: Vec<&[f64]> = rows.iter().map(|r| r.as_slice()).collect();
        let n = normalize(&rows);
        assert_eq!(n.ideal, vec![1.0, 1.0]);
        assert_eq!(n.extremes, vec![2, 0]);
        assert!(!n.fell_back);
        assert!(close(&n.intercepts, &[5.0, 4.0]), "{:?}", n.intercepts);
        let expected = [[0.0, 1.0], [0.4, 0.25], [1.0, 0.0], [0.6, 0.75]];
        for (got, want) in n.points.iter().zip(&expected) {
            assert!(close(got, want), "{got:?} vs {want:?}");
        }
        // Three objectives, the extremes off the axes: translated rows
        // (4, 0.001, 0), (0, 3, 0.002), (0.001, 0, 5): each the extreme of
        // its own axis (its largest off-axis value is the smallest).
        let rows = [[4.0, 0.001, 0.0], [0.0, 3.0, 0.002], [0.001, 0.0, 5.0], [2.0, 2.0, 2.0]];
        let rows: Vec<&[f64]> = rows.iter().map(|r| r.as_slice()).collect();
        let n = normalize(&rows);
        assert_eq!(n.extremes, vec![0, 1, 2]);
        assert!(!n.fell_back);
        // Each extreme point lands on the plane x + y + z = 1.
        for &e in &n.extremes {
            assert!((n.points[e].iter().sum::<f64>() - 1.0).abs() < 1e-12, "{:?}", n.points[e]);
        }
    }

    #[test]
    fn a_degenerate_hyperplane_falls_back_to_the_worst_values() {
        // The ideal point (1, 1) is a member: it is both axes' extreme,
        // no line passes through one point twice, and each objective is
        // divided by its worst translated value instead: (3, 2).
        let rows = [[1.0, 1.0], [2.0, 3.0], [4.0, 2.0]];
        let rows: Vec<&[f64]> = rows.iter().map(|r| r.as_slice()).collect();
        let n = normalize(&rows);
        assert_eq!(n.extremes, vec![0, 0]);
        assert!(n.fell_back);
        assert_eq!(n.intercepts, vec![3.0, 2.0]);
        assert!(close(&n.points[1], &[1.0 / 3.0, 1.0]) && close(&n.points[2], &[1.0, 0.5]));
        // A flat objective divides by 1; infinite losses are clipped three
        // ranges past the finite ones (1 to 3 -> 9 and -5), never NaN.
        let rows = [[1.0, 7.0], [f64::INFINITY, 7.0], [3.0, 7.0], [f64::NEG_INFINITY, 7.0]];
        let rows: Vec<&[f64]> = rows.iter().map(|r| r.as_slice()).collect();
        let n = normalize(&rows);
        assert_eq!(n.ideal, vec![-5.0, 7.0]);
        assert!(n.fell_back);
        assert_eq!(n.intercepts, vec![14.0, 1.0]);
        assert!(n.points.iter().flatten().all(|v| v.is_finite()));
    }

    #[test]
    fn association_by_perpendicular_distance_by_hand() {
        let references = vec![vec![1.0, 0.0], vec![0.5, 0.5], vec![0.0, 1.0]];
        // (1, 1) lies on the diagonal; (0.6, 0.2) is 0.2 from the first
        // axis and sqrt(0.08) from the diagonal (its foot is (0.4, 0.4)).
        let got = associate(&[vec![1.0, 1.0], vec![0.6, 0.2], vec![0.0, 0.0]], &references);
        assert_eq!(got[0].0, 1);
        assert!(got[0].1.abs() < 1e-12);
        assert_eq!(got[1].0, 0);
        assert!((got[1].1 - 0.2).abs() < 1e-12);
        assert!((perpendicular_distance(&[0.6, 0.2], &[0.5, 0.5]) - 0.08f64.sqrt()).abs() < 1e-12);
        // The origin is on every line: the first one.
        assert_eq!(got[2], (0, 0.0));
        // (1, 0, 0) from the line through (1, 1, 1): foot (1/3, 1/3, 1/3),
        // distance sqrt(6)/3, whatever the reference point's length.
        let d = perpendicular_distance(&[1.0, 0.0, 0.0], &[1.0, 1.0, 1.0]);
        assert!((d - 6f64.sqrt() / 3.0).abs() < 1e-12);
        assert!((perpendicular_distance(&[1.0, 0.0, 0.0], &[2.0, 2.0, 2.0]) - d).abs() < 1e-12);
    }

    #[test]
    fn niching_fills_the_emptiest_niche_first_the_closest_member_when_it_is_empty() {
        // Niche counts among the kept members: point 1 empty, 0 and 2
        // crowded, 3 with no last-front member (it drops out).
        let last = [(10, 1, 0.3), (11, 1, 0.1), (12, 2, 0.5), (13, 0, 0.2), (14, 1, 0.2)];
        let mut seen = [0usize; 15];
        for seed in 0..400 {
            let mut counts = vec![2, 0, 2, 0];
            let mut rng = rng_for(seed, 0, "niche");
            let chosen = niche(2, &mut counts, &last, &mut rng);
            // Point 1 is empty: its closest member, 11, goes first; then
            // point 1 (count 1) is still the emptiest: a random one of its
            // other members, never 12 or 13 of the crowded points.
            assert_eq!(chosen[0], 11);
            assert!(chosen[1] == 10 || chosen[1] == 14, "{chosen:?}");
            assert_eq!(counts, vec![2, 2, 2, 0]);
            seen[chosen[1]] += 1;
        }
        assert!(seen[10] > 150 && seen[14] > 150, "{seen:?}");
        // Asked for all five, it gives all five.
        let mut counts = vec![2, 0, 2, 0];
        let mut all = niche(5, &mut counts, &last, &mut rng_for(0, 0, "niche"));
        all.sort_unstable();
        assert_eq!(all, vec![10, 11, 12, 13, 14]);
    }

    fn candidate(number: u64, losses: &[f64]) -> Candidate {
        Candidate { number, losses: losses.to_vec(), violation: None }
    }

    /// A (0, 0) dominates four points of one front, P1 (0, 4), P2 (1, 3),
    /// P3 (3, 1), P4 (4, 0). A is both extremes, so the worst values (4, 4)
    /// normalize: P1 (0, 1), P2 (1/4, 3/4), P3 (3/4, 1/4), P4 (1, 0), A at
    /// the origin (on every line: the first, (1, 0)). With the points
    /// (1, 0), (1/2, 1/2), (0, 1): A and P3, P4 at (1, 0); P1, P2 at (0, 1);
    /// nobody at the middle one.
    fn hand_population() -> Vec<Candidate> {
        vec![
            candidate(4, &[4.0, 0.0]),
            candidate(0, &[0.0, 0.0]),
            candidate(1, &[0.0, 4.0]),
            candidate(3, &[3.0, 1.0]),
            candidate(2, &[1.0, 3.0]),
        ]
    }

    fn survivors(candidates: &[Candidate], size: usize, references: &[Vec<f64>], seed: u64) -> Vec<u64> {
        let mut rng = rng_for(seed, 0, "cut");
        let mut numbers: Vec<u64> = select_by_reference_points(candidates, size, references, &mut rng)
            .into_iter()
            .map(|i| candidates[i].number)
            .collect();
        numbers.sort_unstable();
        numbers
    }

    #[test]
    fn survivors_of_a_small_population_by_hand() {
        let c = hand_population();
        let references = das_dennis(2, 2);
        // One to take from the front: (0, 1) has no kept member, so its
        // closest member P1 (distance 0, P2 is 1/4 off) goes.
        for seed in 0..20 {
            assert_eq!(survivors(&c, 2, &references, seed), vec![0, 1]);
        }
        // Two: then (1, 0) and (0, 1) both count 1, either with even odds:
        // (0, 1) gives P2, (1, 0) one of P3, P4 at random.
        let mut third = [0usize; 5];
        let draws = 4000;
        for seed in 0..draws {
            let s = survivors(&c, 3, &references, seed);
            assert_eq!(&s[..2], &[0, 1], "{s:?}");
            third[s[2] as usize] += 1;
        }
        for (number, p) in [(2, 0.5), (3, 0.25), (4, 0.25)] {
            let seen = third[number] as f64 / draws as f64;
            let tolerance = 5.0 * (p * (1.0 - p) / draws as f64).sqrt();
            assert!((seen - p).abs() < tolerance, "P{number}: {seen} vs {p}");
        }
        // Given points: with (0, 1) listed first, A sits there and the
        // empty niche is (1, 0), whose closest member is P4.
        let swapped = vec![vec![0.0, 1.0], vec![1.0, 0.0]];
        assert_eq!(survivors(&c, 2, &swapped, 0), vec![0, 4]);
        // Whole fronts that fit are kept without niching.
        assert_eq!(survivors(&c, 5, &references, 0), vec![0, 1, 2, 3, 4]);
        assert_eq!(survivors(&c, 1, &references, 0), vec![0]);
    }

    #[test]
    fn one_and_two_objectives_and_odd_values_do_not_panic() {
        let mut rng = rng_for(0, 0, "odd");
        for m in 1..=4 {
            let references = das_dennis(m, 3);
            let sets: Vec<Vec<Candidate>> = vec![
                // All equal.
                (0..6).map(|n| candidate(n, &vec![1.0; m])).collect(),
                // Infinities of both signs, and a front wider than the cut.
                (0..8)
                    .map(|n| {
                        let v: Vec<f64> = (0..m)
                            .map(|k| match (n + k as u64) % 4 {
                                0 => f64::INFINITY,
                                1 => f64::NEG_INFINITY,
                                r => r as f64 + n as f64 * 0.1,
                            })
                            .collect();
                        candidate(n, &v)
                    })
                    .collect(),
                // Random points.
                (0..12).map(|n| candidate(n, &(0..m).map(|_| rng.random::<f64>()).collect::<Vec<_>>())).collect(),
            ];
            for set in &sets {
                for size in [1, 3, set.len()] {
                    let chosen = select_by_reference_points(set, size, &references, &mut rng);
                    assert_eq!(chosen.len(), size.min(set.len()), "M = {m}");
                    let mut unique = chosen.clone();
                    unique.sort_unstable();
                    unique.dedup();
                    assert_eq!(unique.len(), chosen.len(), "a member chosen twice");
                }
            }
        }
    }
}
