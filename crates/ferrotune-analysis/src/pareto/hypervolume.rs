//! The exact hypervolume, and each point's exclusive contribution to it,
//! every objective minimized.
//!
//! Two objectives take a sort and a sweep (O(n log n)); three the sweep of
//! Beume et al. (2009) along the last objective over a staircase of the
//! first two kept in a `BTreeMap` (O(n log n)); four and more the WFG
//! recursion of While, Bradstreet & Barone (2012). Design decision: WFG
//! sorts the points by the last objective, worst first, so that every
//! point's "limit set" (the later points clipped to its box) shares its
//! last value; the exclusive volume is then its depth there times a
//! hypervolume one dimension down, and the recursion ends in the three-
//! objective sweep instead of in inclusion-exclusion. A limit set of four
//! or more objectives is cut to its first front (distinct points) before
//! recursing, which is what keeps WFG fast on real fronts; the sweeps pass
//! over dominated points at the cost of a lookup, so smaller ones are not.

use super::sort::{clean, first_front, non_domination_ranks, Staircase};

/// The exact hypervolume dominated by `points` and bounded by `reference`,
/// every objective minimized (negate the maximized ones first): the measure
/// of the union of the boxes `[p, reference]`. Points not strictly better
/// than the reference in every objective add nothing (a NaN is never
/// better); a point of the wrong length is ignored. The volume is infinite
/// when some point inside has a -inf value or the reference a +inf one.
///
/// Two and three objectives take O(n log n); four and more the WFG
/// algorithm (exact; fast when the fronts' points share few boxes, as
/// fronts of a few hundred points in up to six objectives do).
///
/// ```
/// use ferrotune_analysis::pareto::hypervolume;
/// let points = vec![vec![1.0, 2.0, 2.0], vec![2.0, 1.0, 2.0], vec![3.0, 3.0, 3.0]];
/// // The boxes [1,3]x[2,3]x[2,3] and [2,3]x[1,3]x[2,3] (volume 2 each) overlap
/// // in [2,3]x[2,3]x[2,3] (volume 1); (3, 3, 3) is on the reference: nothing.
/// assert_eq!(hypervolume(&points, &[3.0, 3.0, 3.0]), 3.0);
/// ```
pub fn hypervolume(points: &[Vec<f64>], reference: &[f64]) -> f64 {
    let d = reference.len();
    let (flat, _) = inside(points, reference);
    if d == 0 || flat.is_empty() {
        return 0.0;
    }
    if !reference.iter().chain(&flat).all(|x| x.is_finite()) {
        return f64::INFINITY;
    }
    volume(&flat, d, reference)
}

/// The hypervolume of two minimized objectives: sort by the first, sweep
/// keeping the best second value seen. As [`hypervolume`] on pairs.
pub fn hypervolume_2d(points: &[(f64, f64)], reference: (f64, f64)) -> f64 {
    let points: Vec<Vec<f64>> = points.iter().map(|&(a, b)| vec![a, b]).collect();
    hypervolume(&points, &[reference.0, reference.1])
}

/// Each point's exclusive contribution to the hypervolume of `points`
/// (see [`hypervolume`]): the volume lost when that point alone is
/// removed. Points outside the reference, dominated points and equal
/// copies of one point (each copy covers the other) contribute 0, and the
/// points a point dominates still cover what they cover (moocore's
/// `hv_contributions` with `ignore_dominated=False`). When the
/// hypervolume is infinite (see [`hypervolume`]), every point inside gets
/// +inf: a difference of infinities says nothing finer.
///
/// Two objectives take O(n log n). More take, for each point of the first
/// front, its own box less the hypervolume of the points of the first two
/// fronts clipped to it: one hypervolume per front point, of a set the
/// size of those two fronts (quadratic when every point is on the front).
///
/// ```
/// use ferrotune_analysis::pareto::hypervolume_contributions;
/// let points = vec![vec![1.0, 3.0], vec![2.0, 2.0], vec![3.0, 1.0], vec![3.0, 3.0]];
/// // (2, 2) alone covers [2, 3] x [2, 3]; (3, 3) is dominated.
/// assert_eq!(hypervolume_contributions(&points, &[4.0, 4.0]), [1.0, 1.0, 1.0, 0.0]);
/// ```
pub fn hypervolume_contributions(points: &[Vec<f64>], reference: &[f64]) -> Vec<f64> {
    let d = reference.len();
    let mut contributions = vec![0.0; points.len()];
    let (flat, indices) = inside(points, reference);
    if d == 0 || indices.is_empty() {
        return contributions;
    }
    if !reference.iter().chain(&flat).all(|x| x.is_finite()) {
        for &i in &indices {
            contributions[i] = f64::INFINITY;
        }
        return contributions;
    }
    if d == 2 {
        contributions_2d(&flat, &indices, reference, &mut contributions);
        return contributions;
    }
    let point = |k: usize| &flat[k * d..(k + 1) * d];
    // Only the first front contributes (anything else lies in a front
    // point's box), and only the first two fronts can cover part of a
    // front point's box that the others do not: a point of a later rank
    // lies in the box of a second-rank point, which is kept.
    let rows: Vec<Vec<f64>> = flat.chunks_exact(d).map(<[f64]>::to_vec).collect();
    let ranks = non_domination_ranks(&rows, None);
    let nearby: Vec<usize> = (0..rows.len()).filter(|&k| ranks[k] <= 1).collect();
    let mut limited: Vec<f64> = Vec::with_capacity(nearby.len() * d);
    for (k, &i) in indices.iter().enumerate().filter(|&(k, _)| ranks[k] == 0) {
        let p = point(k);
        limited.clear();
        let mut covered = false;
        for &other in nearby.iter().filter(|&&o| o != k) {
            let q = point(other);
            // A copy of p (nothing else on the front is no worse
            // anywhere) covers its whole box.
            covered |= q == p;
            limited.extend(p.iter().zip(q).map(|(a, b)| a.max(*b)));
        }
        if !covered {
            contributions[i] = exclusive(p, &limited, reference);
        }
    }
    contributions
}

/// The volume of `p`'s box not covered by the boxes of `limited` (points
/// already clipped to `p`'s box, flat), reference bounded.
pub(super) fn exclusive(p: &[f64], limited: &[f64], reference: &[f64]) -> f64 {
    let own: f64 = p.iter().zip(reference).map(|(a, r)| r - a).product();
    if limited.is_empty() {
        return own;
    }
    // The sweeps of two and three objectives pass over dominated points at
    // no cost; WFG beyond needs them gone (and copies, or it repeats work).
    if p.len() <= 3 {
        return own - volume(limited, p.len(), reference);
    }
    let front = first_front(limited, p.len());
    own - volume(&front, p.len(), reference)
}

/// The points strictly inside the reference, clean and flat, with their
/// indices.
pub(super) fn inside(points: &[Vec<f64>], reference: &[f64]) -> (Vec<f64>, Vec<usize>) {
    let mut flat = Vec::new();
    let mut indices = Vec::new();
    for (i, p) in points.iter().enumerate() {
        if p.len() == reference.len() && p.iter().zip(reference).all(|(a, r)| a < r) {
            flat.extend(p.iter().map(|&x| clean(x)));
            indices.push(i);
        }
    }
    (flat, indices)
}

/// The hypervolume of finite points strictly inside a finite reference,
/// flat with `d` values each.
pub(super) fn volume(flat: &[f64], d: usize, reference: &[f64]) -> f64 {
    match d {
        1 => reference[0] - flat.iter().copied().fold(f64::INFINITY, f64::min),
        2 => volume_2d(flat, reference),
        3 => volume_3d(flat, reference),
        _ => volume_wfg(flat, d, reference),
    }
}

fn volume_2d(flat: &[f64], reference: &[f64]) -> f64 {
    let mut pairs: Vec<(f64, f64)> = flat.chunks_exact(2).map(|p| (p[0], p[1])).collect();
    pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut volume = 0.0;
    let mut best_second = reference[1];
    for (a, b) in pairs {
        if b < best_second {
            volume += (reference[0] - a) * (best_second - b);
            best_second = b;
        }
    }
    volume
}

/// Beume et al.'s sweep: points in increasing third value; between two
/// consecutive ones the slab's cross-section is the area under the
/// staircase of the first two values seen so far, updated as each point
/// enters by the part of its rectangle the staircase did not cover.
fn volume_3d(flat: &[f64], reference: &[f64]) -> f64 {
    let mut points: Vec<[f64; 3]> = flat.chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect();
    points.sort_unstable_by(|a, b| a[2].total_cmp(&b[2]));
    let mut staircase = Staircase::default();
    let (mut area, mut volume) = (0.0, 0.0);
    for (k, p) in points.iter().enumerate() {
        area += staircase.insert_area(p[0], p[1], reference[0], reference[1]);
        let next = points.get(k + 1).map_or(reference[2], |q| q[2]);
        volume += area * (next - p[2]);
    }
    volume
}

/// WFG with the points sorted worst first in the last objective: point
/// i's exclusive part, beyond the later (better there) points, is a slab
/// of depth `reference - p` in the last objective times the part of its
/// box in the others that the later points, clipped to it, leave
/// uncovered. Each point of the union is counted once, at the first point
/// in this order whose box holds it.
fn volume_wfg(flat: &[f64], d: usize, reference: &[f64]) -> f64 {
    let front = first_front(flat, d);
    let point = |k: usize| &front[k * d..(k + 1) * d];
    let n = front.len() / d;
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_unstable_by(|&a, &b| point(b)[d - 1].total_cmp(&point(a)[d - 1]));
    let mut limited: Vec<f64> = Vec::with_capacity((n - 1) * (d - 1));
    let mut volume = 0.0;
    for (k, &i) in order.iter().enumerate() {
        let p = &point(i)[..d - 1];
        limited.clear();
        for &j in &order[k + 1..] {
            limited.extend(p.iter().zip(&point(j)[..d - 1]).map(|(a, b)| a.max(*b)));
        }
        volume += (reference[d - 1] - point(i)[d - 1]) * exclusive(p, &limited, &reference[..d - 1]);
    }
    volume
}

/// Two objectives: a point of the first front (first value increasing,
/// second decreasing along it) alone covers part of the rectangle up to
/// its right neighbour's first value and its left neighbour's second;
/// the rest of that rectangle is covered by the points it dominates that
/// lie there. Each other point lies in at most one such rectangle (it
/// would need to be right of one front point's right neighbour or above
/// another's left one), so all the work is two sorts and a sweep.
fn contributions_2d(flat: &[f64], indices: &[usize], reference: &[f64], contributions: &mut [f64]) {
    let point = |k: usize| (flat[2 * k], flat[2 * k + 1]);
    let mut order: Vec<usize> = (0..indices.len()).collect();
    order.sort_unstable_by(|&a, &b| {
        let (p, q) = (point(a), point(b));
        p.0.total_cmp(&q.0).then(p.1.total_cmp(&q.1))
    });
    // The front's first point of each value; the rest, in order, with the
    // front point before them (whose rectangle may hold them).
    let mut front: Vec<usize> = Vec::new();
    let mut others: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut best_second = f64::INFINITY;
    for &k in &order {
        let (x, y) = point(k);
        if y < best_second {
            best_second = y;
            front.push(k);
            others.push(Vec::new());
        } else if let Some(last) = others.last_mut() {
            last.push((x, y));
        }
    }
    for (s, &k) in front.iter().enumerate() {
        let (x, y) = point(k);
        let right = front.get(s + 1).map_or(reference[0], |&r| point(r).0);
        let above = if s == 0 { reference[1] } else { point(front[s - 1]).1 };
        // The dominated points left of `right` and below `above` are in
        // the rectangle; a copy of the front point covers all of it.
        let inside: Vec<f64> =
            others[s].iter().filter(|q| q.0 < right && q.1 < above).flat_map(|&(a, b)| [a, b]).collect();
        let rectangle = (right - x) * (above - y);
        contributions[indices[k]] =
            if inside.is_empty() { rectangle } else { rectangle - volume_2d(&inside, &[right, above]) };
    }
}

impl Staircase {
    /// Adds (x, y) as [`Staircase::insert`] does and returns the area its
    /// rectangle up to `(rx, ry)` adds to the region the staircase
    /// dominates (0 when a step already dominates it).
    pub(super) fn insert_area(&mut self, x: f64, y: f64, rx: f64, ry: f64) -> f64 {
        if self.dominates(x, y) {
            return 0.0;
        }
        // Walk right from x: over each step the point dominates, the part
        // between y and that step's height is new; the first step lower
        // than y ends the walk.
        let mut top = self.below(x).map_or(ry, |(_, sy)| sy);
        let mut from = x;
        let mut added = 0.0;
        let mut end = rx;
        for (sx, sy) in self.at_or_after(x) {
            if sy < y {
                end = sx;
                break;
            }
            added += (sx - from) * (top - y);
            top = sy;
            from = sx;
        }
        added += (end - from) * (top - y);
        self.insert(x, y);
        added
    }
}
