//! Several objectives, in loss space (every objective minimized: negate
//! the maximized ones first): non-domination ranks, the exact
//! hypervolume, and the choice of the best `n` trials by Pareto rank and
//! hypervolume, as Optuna 5 makes it for MOTPE's good set and for
//! PED-ANOVA's top trials.
//!
//! Also each point's crowding distance (NSGA-II's tie-break within a
//! rank) and the hypervolume contributions. Non-dominated sorting lives in
//! `sort.rs`, the hypervolume in `hypervolume.rs`; samplers (NSGA-II,
//! MOTPE) call the functions re-exported here.
//!
//! Design decision: everything is in loss space and on plain `&[Vec<f64>]`
//! rows, so a sampler, the plots and PED-ANOVA hand over the same numbers
//! without a trial type, and exact: the fast algorithms (O(n log n) ranks
//! in two objectives, O(n log n) hypervolume in two and three, WFG beyond)
//! give the same answers as the brute-force definitions they replaced,
//! which the tests keep as references.

mod hypervolume;
mod sort;
#[cfg(test)]
mod tests;

pub use hypervolume::{hypervolume, hypervolume_2d, hypervolume_contributions};
pub use sort::non_domination_ranks;

/// The indices of the best `n` points: whole non-domination ranks while
/// they fit, then from the rank that does not, the points a greedy
/// hypervolume subset selection picks (Optuna 5's
/// `_split_complete_trials_multi_objective`, with its reference point,
/// [`reference_point`] of that rank). Ascending.
pub fn best_subset(losses: &[Vec<f64>], n: usize) -> Vec<usize> {
    let n = n.min(losses.len());
    if n == 0 {
        return Vec::new();
    }
    let ranks = non_domination_ranks(losses, Some(n));
    // The members of each rank kept, in index order.
    let mut by_rank: Vec<Vec<usize>> = Vec::new();
    for (i, &r) in ranks.iter().enumerate().filter(|(_, &r)| r != usize::MAX) {
        if by_rank.len() <= r {
            by_rank.resize_with(r + 1, Vec::new);
        }
        by_rank[r].push(i);
    }
    let mut chosen: Vec<usize> = Vec::with_capacity(n);
    for members in by_rank {
        if chosen.len() + members.len() <= n {
            chosen.extend(&members);
            if chosen.len() == n {
                break;
            }
            continue;
        }
        let points: Vec<Vec<f64>> = members.iter().map(|&i| losses[i].clone()).collect();
        let reference = reference_point(&points);
        chosen.extend(hypervolume_subset(&points, n - chosen.len(), &reference).into_iter().map(|j| members[j]));
        break;
    }
    chosen.sort_unstable();
    chosen
}

/// The reference point Optuna's MOTPE measures a set of points against:
/// in each objective the set's worst value times 1.1 (0.9 when negative,
/// so the reference stays beyond the worst point), 1e-12 where that is
/// zero. Shared by the good set's subset selection and the good trials'
/// contribution weights, which must agree. Empty for no points.
pub fn reference_point(points: &[Vec<f64>]) -> Vec<f64> {
    let Some(first) = points.first() else {
        return Vec::new();
    };
    (0..first.len())
        .map(|k| {
            let worst = points.iter().map(|p| p[k]).fold(f64::NEG_INFINITY, f64::max);
            let r = (1.1 * worst).max(0.9 * worst);
            if r == 0.0 {
                1e-12
            } else {
                r
            }
        })
        .collect()
}

/// Greedy hypervolume subset selection (Guerreiro, Fonseca & Paquete 2016:
/// each step takes the point that adds the most hypervolume; within
/// 1 - 1/e of the best subset), as Optuna 5's `_solve_hssp`: `k` indices
/// into `points`. Equal points (NaN counted as +inf, -0.0 as 0.0) count
/// once until every distinct one is taken, then the copies come in index
/// order; ties go to the
/// lexicographically smallest point. A point with a -inf value inside the
/// reference has an infinite gain: such points come first, in order. With a
/// reference not finite every
/// gain would be infinite: the `k` lexicographically smallest distinct
/// points are taken, as Optuna does.
///
/// The greedy step is lazy: a point's gain can only shrink as the subset
/// grows (the hypervolume is submodular), so the gain it had when last
/// evaluated bounds it, and points are evaluated in decreasing bound until
/// the best gain found beats every remaining bound. A gain is the point's
/// own box less the hypervolume of the chosen points clipped to it. Gains
/// equal in exact arithmetic but not in floating point are decided by the
/// rounding, as in Optuna.
pub fn hypervolume_subset(points: &[Vec<f64>], k: usize, reference: &[f64]) -> Vec<usize> {
    let k = k.min(points.len());
    // Ordered and compared as the ranks see them: NaN last, -0.0 as 0.0
    // (so the two zeros are one value, as `==` and NumPy's `unique` say).
    let cleaned: Vec<Vec<f64>> = points.iter().map(|p| p.iter().map(|&x| sort::clean(x)).collect()).collect();
    let mut order: Vec<usize> = (0..points.len()).collect();
    order.sort_by(|&a, &b| sort::lex(&cleaned[a], &cleaned[b]).then(a.cmp(&b)));
    let mut distinct: Vec<usize> = Vec::new();
    let mut duplicates: Vec<usize> = Vec::new();
    for &i in &order {
        match distinct.last() {
            Some(&last) if cleaned[last] == cleaned[i] => duplicates.push(i),
            _ => distinct.push(i),
        }
    }
    if distinct.len() <= k {
        duplicates.sort_unstable();
        return distinct.into_iter().chain(duplicates).take(k).collect();
    }
    if !reference.iter().all(|r| r.is_finite()) {
        return distinct.into_iter().take(k).collect();
    }
    let d = reference.len();
    let is_inside = |p: &[f64]| p.len() == d && p.iter().zip(reference).all(|(a, r)| a < r);
    if d == 2
        && distinct.iter().all(|&i| is_inside(&points[i]) && points[i].iter().all(|x| x.is_finite()))
        && distinct.windows(2).all(|w| points[w[1]][1] < points[w[0]][1])
    {
        return subset_of_2d_front(points, &distinct, k, reference);
    }
    // Upper bounds of each distinct point's gain, by position in `distinct`;
    // a point outside the reference adds nothing.
    let mut bound: Vec<f64> = distinct
        .iter()
        .map(|&i| {
            let p = &points[i];
            if is_inside(p) {
                p.iter().zip(reference).map(|(a, r)| r - a).product()
            } else {
                0.0
            }
        })
        .collect();
    let mut taken = vec![false; distinct.len()];
    let mut chosen: Vec<usize> = Vec::with_capacity(k);
    let mut chosen_flat: Vec<f64> = Vec::with_capacity(k * d);
    let mut limited: Vec<f64> = Vec::with_capacity(k * d);
    let mut candidates: Vec<usize> = (0..distinct.len()).collect();
    for step in 0..k {
        candidates.retain(|&c| !taken[c]);
        candidates.sort_by(|&a, &b| bound[b].total_cmp(&bound[a]).then(a.cmp(&b)));
        let mut best: Option<(usize, f64)> = None;
        for &c in &candidates {
            if let Some((b, gain)) = best {
                // Sorted by bound, then position: nothing further can win.
                if bound[c] < gain || (bound[c] == gain && c > b) {
                    break;
                }
            }
            // The first step's bounds are the exact gains; a point with a
            // -inf value keeps its infinite one (taken first, in order).
            if step > 0 && bound[c] > 0.0 && bound[c].is_finite() {
                let p = &points[distinct[c]];
                limited.clear();
                for q in chosen_flat.chunks_exact(d) {
                    limited.extend(p.iter().zip(q).map(|(a, b)| a.max(*b)));
                }
                bound[c] = hypervolume::exclusive(p, &limited, reference).max(0.0);
            }
            if best.is_none_or(|(b, gain)| bound[c] > gain || (bound[c] == gain && c < b)) {
                best = Some((c, bound[c]));
            }
        }
        let Some((c, _)) = best else { break };
        taken[c] = true;
        chosen.push(distinct[c]);
        let p = &points[distinct[c]];
        // Clipping to a candidate's box makes a -inf value finite.
        if is_inside(p) {
            chosen_flat.extend(p.iter().map(|&x| x + 0.0));
        }
    }
    chosen
}

/// Greedy subset selection on a front of two objectives (`distinct`: its
/// points in lexicographic order, first value increasing and second
/// decreasing, all finite and inside the reference), as Optuna's
/// `_solve_hssp_2d`: a point's gain beside the chosen ones is the
/// rectangle up to the nearest chosen point on its right (their first
/// value) and on its left (their second), so each step updates those two
/// bounds in O(n) instead of measuring volumes.
fn subset_of_2d_front(points: &[Vec<f64>], distinct: &[usize], k: usize, reference: &[f64]) -> Vec<usize> {
    // Per point, in order: its values and the corner its gain reaches.
    let mut rest: Vec<(usize, [f64; 2], [f64; 2])> =
        distinct.iter().map(|&i| (i, [points[i][0], points[i][1]], [reference[0], reference[1]])).collect();
    let mut chosen = Vec::with_capacity(k);
    for _ in 0..k {
        let gain = |&(_, p, corner): &(usize, [f64; 2], [f64; 2])| (corner[0] - p[0]) * (corner[1] - p[1]);
        // The first of the largest: ties go to the lexicographically smallest.
        let mut best = 0;
        for (position, candidate) in rest.iter().enumerate().skip(1) {
            if gain(candidate) > gain(&rest[best]) {
                best = position;
            }
        }
        let (index, p, _) = rest.remove(best);
        chosen.push(index);
        for (_, _, corner) in &mut rest[..best] {
            corner[0] = corner[0].min(p[0]);
        }
        for (_, _, corner) in &mut rest[best..] {
            corner[1] = corner[1].min(p[1]);
        }
    }
    chosen
}

/// Each point's crowding distance within its front (Deb et al. 2002, NSGA-II),
/// as Optuna 5's `_calc_crowding_distance`: per objective, the points are
/// sorted by value and each gets the gap between its two neighbours in that
/// order divided by the objective's range (largest finite value less the
/// smallest); the distances sum over objectives. Larger is lonelier.
///
/// - The first and last in each objective have a missing neighbour taken as
///   -inf or +inf: their distance is infinite.
/// - An objective whose values are all equal adds nothing (so one point
///   alone has distance 0, as in Optuna); a range that is 0 or not finite
///   counts as 1.
/// - A gap between two equal values is 0, also between two infinities.
/// - Equal values (and so equal points) are ordered stably: by their order
///   in the previous objective's sort, the first objective's by index, as
///   Optuna sorts one list again per objective. Which of two tied points
///   gets which gap depends on that order; the sum of the distances does not.
///
/// The distance does not change when an objective is negated, except for
/// that assignment among ties: Optuna computes it on the values as the
/// trials report them (maximized objectives not negated), so pass those to
/// reproduce its choices exactly. NaN counts as +inf and -0.0 as 0.0.
///
/// ```
/// use ferrotune_analysis::pareto::crowding_distances;
/// let front = vec![vec![0.0, 4.0], vec![1.0, 2.0], vec![3.0, 1.0], vec![4.0, 0.0]];
/// // Point 1: (3 - 0) / 4 + (4 - 1) / 4; point 2: (4 - 1) / 4 + (2 - 0) / 4.
/// assert_eq!(crowding_distances(&front), [f64::INFINITY, 1.5, 1.25, f64::INFINITY]);
/// ```
pub fn crowding_distances(values: &[Vec<f64>]) -> Vec<f64> {
    let n = values.len();
    let mut distances = vec![0.0; n];
    let Some(d) = values.first().map(Vec::len) else {
        return distances;
    };
    let value = |i: usize, k: usize| sort::clean(values[i][k]);
    let mut order: Vec<usize> = (0..n).collect();
    for k in 0..d {
        // Stable: ties keep the previous objective's order.
        order.sort_by(|&a, &b| value(a, k).total_cmp(&value(b, k)));
        let (lowest, highest) = (value(order[0], k), value(order[n - 1], k));
        if lowest == highest {
            continue;
        }
        let finite = || order.iter().map(|&i| value(i, k)).filter(|v| v.is_finite());
        let range = match (finite().next(), finite().next_back()) {
            (Some(low), Some(high)) if high - low > 0.0 && (high - low).is_finite() => high - low,
            _ => 1.0,
        };
        for (position, &i) in order.iter().enumerate() {
            let below = if position == 0 { f64::NEG_INFINITY } else { value(order[position - 1], k) };
            let above = order.get(position + 1).map_or(f64::INFINITY, |&j| value(j, k));
            if below != above {
                distances[i] += (above - below) / range;
            }
        }
    }
    distances
}
