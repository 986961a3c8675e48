//! Several objectives, in loss space (every objective minimized: negate
//! the maximized ones first): non-domination ranks, the exact
//! hypervolume, and the choice of the best `n` trials by Pareto rank and
//! hypervolume, as Optuna 5 makes it for MOTPE's good set and for
//! PED-ANOVA's top trials.
//!
//! Design decision: written for the sizes a study has (thousands of
//! trials, fronts of hundreds), exact and simple; issue 23 brings the
//! asymptotically fast algorithms for large fronts in many objectives,
//! behind these same functions.

/// Whether `a` dominates `b`: no worse anywhere, better somewhere.
fn dominates(a: &[f64], b: &[f64]) -> bool {
    a.iter().zip(b).all(|(x, y)| x <= y) && a.iter().zip(b).any(|(x, y)| x < y)
}

/// Each point's non-domination rank (0: on the Pareto front; 1: on the
/// front once rank 0 is removed; ...), ranking at least until `n_below`
/// points are ranked (None: all); the rest get `usize::MAX`. Equal points
/// share a rank. NaN is worse than any number.
pub fn non_domination_ranks(losses: &[Vec<f64>], n_below: Option<usize>) -> Vec<usize> {
    let clean = |v: &[f64]| -> Vec<f64> { v.iter().map(|&x| if x.is_nan() { f64::INFINITY } else { x }).collect() };
    let points: Vec<Vec<f64>> = losses.iter().map(|v| clean(v)).collect();
    // Lexicographic order: a later point can never dominate an earlier
    // one, so each peel only checks candidates against the front so far.
    let mut order: Vec<usize> = (0..points.len()).collect();
    order.sort_by(|&a, &b| {
        points[a].iter().zip(&points[b]).map(|(x, y)| x.total_cmp(y)).find(|o| o.is_ne()).unwrap_or(a.cmp(&b))
    });
    let mut ranks = vec![usize::MAX; points.len()];
    let (mut ranked, mut rank) = (0, 0);
    let limit = n_below.unwrap_or(points.len()).min(points.len());
    while ranked < limit {
        let mut front: Vec<usize> = Vec::new();
        for &i in order.iter().filter(|&&i| ranks[i] == usize::MAX) {
            if !front.iter().any(|&f| dominates(&points[f], &points[i])) {
                front.push(i);
            }
        }
        for &i in &front {
            ranks[i] = rank;
        }
        ranked += front.len();
        rank += 1;
    }
    ranks
}

/// The indices of the best `n` points: whole non-domination ranks while
/// they fit, then from the rank that does not, the points a greedy
/// hypervolume subset selection picks (Optuna 5's
/// `_split_complete_trials_multi_objective`, with its reference point:
/// that rank's worst value in each objective times 1.1, or 0.9 when
/// negative, 1e-12 where zero). Ascending.
pub fn best_subset(losses: &[Vec<f64>], n: usize) -> Vec<usize> {
    let n = n.min(losses.len());
    if n == 0 {
        return Vec::new();
    }
    let ranks = non_domination_ranks(losses, Some(n));
    let mut chosen: Vec<usize> = Vec::with_capacity(n);
    let mut rank = 0;
    loop {
        let members: Vec<usize> = (0..losses.len()).filter(|&i| ranks[i] == rank).collect();
        if chosen.len() + members.len() <= n {
            chosen.extend(&members);
            if chosen.len() == n {
                break;
            }
            rank += 1;
            continue;
        }
        let points: Vec<Vec<f64>> = members.iter().map(|&i| losses[i].clone()).collect();
        let d = points[0].len();
        let reference: Vec<f64> = (0..d)
            .map(|k| {
                let worst = points.iter().map(|p| p[k]).fold(f64::NEG_INFINITY, f64::max);
                let r = (1.1 * worst).max(0.9 * worst);
                if r == 0.0 {
                    1e-12
                } else {
                    r
                }
            })
            .collect();
        chosen.extend(hypervolume_subset(&points, n - chosen.len(), &reference).into_iter().map(|j| members[j]));
        break;
    }
    chosen.sort_unstable();
    chosen
}

/// Greedy hypervolume subset selection (Guerreiro, Fonseca & Paquete 2016:
/// each step takes the point that adds the most hypervolume; within
/// 1 - 1/e of the best subset): `k` indices into `points`. Equal points
/// count once until every distinct one is taken, as Optuna's; ties go to
/// the lexicographically smallest point.
pub fn hypervolume_subset(points: &[Vec<f64>], k: usize, reference: &[f64]) -> Vec<usize> {
    let k = k.min(points.len());
    let mut order: Vec<usize> = (0..points.len()).collect();
    order.sort_by(|&a, &b| {
        points[a].iter().zip(&points[b]).map(|(x, y)| x.total_cmp(y)).find(|o| o.is_ne()).unwrap_or(a.cmp(&b))
    });
    let mut distinct: Vec<usize> = Vec::new();
    let mut duplicates: Vec<usize> = Vec::new();
    for &i in &order {
        match distinct.last() {
            Some(&last) if points[last] == points[i] => duplicates.push(i),
            _ => distinct.push(i),
        }
    }
    if distinct.len() <= k {
        duplicates.sort_unstable();
        return distinct.into_iter().chain(duplicates).take(k).collect();
    }
    let mut selected: Vec<Vec<f64>> = Vec::with_capacity(k);
    let mut taken: Vec<usize> = Vec::with_capacity(k);
    let mut volume = 0.0;
    for _ in 0..k {
        let mut best: Option<(usize, f64)> = None;
        for &i in distinct.iter().filter(|i| !taken.contains(i)) {
            selected.push(points[i].clone());
            let gain = hypervolume(&selected, reference) - volume;
            selected.pop();
            if best.is_none_or(|(_, g)| gain > g) {
                best = Some((i, gain));
            }
        }
        let Some((i, gain)) = best else { break };
        volume += gain;
        selected.push(points[i].clone());
        taken.push(i);
    }
    taken
}

/// The exact hypervolume dominated by `points` and bounded by `reference`,
/// every objective minimized: the measure of the union of the boxes
/// `[p, reference]`. Points not strictly better than the reference in
/// every objective add nothing.
///
/// Two objectives take a sort and a sweep, O(n log n). More take the
/// slicing of Zitzler's HSO: sweep the last objective, and measure each
/// slab's cross-section one dimension down; exact, and quick for the fronts
/// a study has (hundreds of points); issue 23 brings the fast algorithms
/// for large fronts in many objectives.
pub fn hypervolume(points: &[Vec<f64>], reference: &[f64]) -> f64 {
    let inside: Vec<&[f64]> = points
        .iter()
        .map(Vec::as_slice)
        .filter(|p| p.len() == reference.len() && p.iter().zip(reference).all(|(a, r)| a < r))
        .collect();
    slices(&inside, reference)
}

fn slices(points: &[&[f64]], reference: &[f64]) -> f64 {
    let d = reference.len();
    match d {
        0 => 0.0,
        1 => points.iter().map(|p| reference[0] - p[0]).fold(0.0, f64::max),
        2 => {
            let pairs: Vec<(f64, f64)> = points.iter().map(|p| (p[0], p[1])).collect();
            hypervolume_2d(&pairs, (reference[0], reference[1]))
        }
        _ => {
            let mut order: Vec<&[f64]> = points.to_vec();
            order.sort_by(|a, b| a[d - 1].total_cmp(&b[d - 1]));
            let mut volume = 0.0;
            for k in 0..order.len() {
                let top = order.get(k + 1).map_or(reference[d - 1], |p| p[d - 1]);
                let depth = top - order[k][d - 1];
                if depth > 0.0 {
                    let below: Vec<&[f64]> = order[..=k].iter().map(|p| &p[..d - 1]).collect();
                    volume += depth * slices(&below, &reference[..d - 1]);
                }
            }
            volume
        }
    }
}

/// The hypervolume of two minimized objectives: sort by the first, sweep
/// keeping the best second value seen.
pub fn hypervolume_2d(points: &[(f64, f64)], reference: (f64, f64)) -> f64 {
    let mut inside: Vec<(f64, f64)> =
        points.iter().copied().filter(|&(a, b)| a < reference.0 && b < reference.1).collect();
    inside.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut volume = 0.0;
    let mut best_second = reference.1;
    for (a, b) in inside {
        if b < best_second {
            volume += (reference.0 - a) * (best_second - b);
            best_second = b;
        }
    }
    volume
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_peel_fronts_and_equal_points_share_one() {
        let points = vec![
            vec![1.0, 4.0],      // 0: front
            vec![2.0, 2.0],      // 1: front
            vec![4.0, 1.0],      // 2: front
            vec![3.0, 3.0],      // 3: behind 1
            vec![2.0, 2.0],      // 4: equal to 1
            vec![5.0, 5.0],      // 5: behind 3
            vec![f64::NAN, 0.0], // 6: NaN is worst in its objective, front by the other
        ];
        assert_eq!(non_domination_ranks(&points, None), [0, 0, 0, 1, 0, 2, 0]);
        // Stops once enough are ranked.
        assert_eq!(non_domination_ranks(&points, Some(2)), [0, 0, 0, usize::MAX, 0, usize::MAX, 0]);
    }

    #[test]
    fn best_subset_takes_whole_ranks_then_the_largest_hypervolume_gains() {
        // Rank 0: the origin. Rank 1: five points on x + y = 10.
        let points =
            vec![vec![0.0, 0.0], vec![1.0, 9.0], vec![3.0, 7.0], vec![5.0, 5.0], vec![7.0, 3.0], vec![9.0, 1.0]];
        // Rank 1's reference: its worst (9, 9) times 1.1. Alone, (5, 5) adds
        // 4.9^2 = 24.01, more than (3, 7)'s 6.9 * 2.9 = 20.01.
        assert_eq!(best_subset(&points, 2), [0, 3]);
        // Beside (5, 5), (3, 7) and (7, 3) each add 2 * 2.9 = 5.8, more than
        // (1, 9)'s 4 * 0.9: the tie goes to the lexicographically smaller.
        assert_eq!(best_subset(&points, 3), [0, 2, 3]);
        assert_eq!(best_subset(&points, 4), [0, 2, 3, 4]);
        assert_eq!(best_subset(&points, 1), [0]);
        assert_eq!(best_subset(&points, 0), Vec::<usize>::new());
        assert_eq!(best_subset(&points, 99).len(), 6);
        // A zero worst value gets a reference of 1e-12: a point at 0 there adds nothing but still fills.
        let flat = vec![vec![0.0, 1.0], vec![0.0, 2.0], vec![-1.0, 3.0]];
        assert_eq!(non_domination_ranks(&flat, None), [0, 1, 0]);
    }

    #[test]
    fn hypervolume_subset_is_greedy_and_counts_duplicates_last() {
        let points = vec![vec![1.0, 3.0], vec![2.0, 2.0], vec![2.0, 2.0], vec![3.0, 1.0]];
        let reference = [4.0, 4.0];
        // (2, 2) adds 4, the others 3: it goes first; then (1, 3) and (3, 1) add 1 each.
        let first = hypervolume_subset(&points, 1, &reference);
        assert_eq!(first, [1]);
        let three = hypervolume_subset(&points, 3, &reference);
        assert_eq!(three.len(), 3);
        assert!(three.contains(&1) && three.contains(&0) && three.contains(&3));
        // Four asked of three distinct: the duplicate comes last.
        assert_eq!(hypervolume_subset(&points, 4, &reference), [0, 1, 3, 2]);
        // The greedy choice is optimal here: the subset's volume is the maximum over all pairs.
        let pair = hypervolume_subset(&points, 2, &reference);
        let volume = hypervolume(&pair.iter().map(|&i| points[i].clone()).collect::<Vec<_>>(), &reference);
        assert_eq!(volume, 5.0);
    }
}
