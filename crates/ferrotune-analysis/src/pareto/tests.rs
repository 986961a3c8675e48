//! Hand-worked cases, and the fast algorithms against brute-force
//! definitions on random sets.

use super::*;
use proptest::prelude::*;

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
    let points = vec![vec![0.0, 0.0], vec![1.0, 9.0], vec![3.0, 7.0], vec![5.0, 5.0], vec![7.0, 3.0], vec![9.0, 1.0]];
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

// ---- References: the definitions, slow and plainly right. ----

/// Whether `a` dominates `b`: no worse anywhere, better somewhere (NaN
/// worst, as the ranks take it).
fn dominates(a: &[f64], b: &[f64]) -> bool {
    let c = |x: f64| if x.is_nan() { f64::INFINITY } else { x };
    a.iter().zip(b).all(|(x, y)| c(*x) <= c(*y)) && a.iter().zip(b).any(|(x, y)| c(*x) < c(*y))
}

/// Ranks by peeling fronts with pairwise checks, O(n^2) per front.
fn ranks_brute(points: &[Vec<f64>]) -> Vec<usize> {
    let mut ranks = vec![usize::MAX; points.len()];
    let mut rank = 0;
    while ranks.contains(&usize::MAX) {
        let front: Vec<usize> = (0..points.len())
            .filter(|&i| ranks[i] == usize::MAX)
            .filter(|&i| !(0..points.len()).any(|j| ranks[j] == usize::MAX && dominates(&points[j], &points[i])))
            .collect();
        for i in front {
            ranks[i] = rank;
        }
        rank += 1;
    }
    ranks
}

/// The exact hypervolume by Zitzler's HSO slicing, what `hypervolume` was
/// before the fast algorithms: sweep the last objective and measure each
/// slab's cross-section one dimension down.
fn hypervolume_slices(points: &[Vec<f64>], reference: &[f64]) -> f64 {
    fn slices(points: &[&[f64]], reference: &[f64]) -> f64 {
        let d = reference.len();
        if d == 1 {
            return points.iter().map(|p| reference[0] - p[0]).fold(0.0, f64::max);
        }
        let mut order: Vec<&[f64]> = points.to_vec();
        order.sort_by(|a, b| a[d - 1].total_cmp(&b[d - 1]));
        let mut volume = 0.0;
        for k in 0..order.len() {
            let top = order.get(k + 1).map_or(reference[d - 1], |p| p[d - 1]);
            let below: Vec<&[f64]> = order[..=k].iter().map(|p| &p[..d - 1]).collect();
            volume += (top - order[k][d - 1]) * slices(&below, &reference[..d - 1]);
        }
        volume
    }
    let inside: Vec<&[f64]> =
        points.iter().map(Vec::as_slice).filter(|p| p.iter().zip(reference).all(|(a, r)| a < r)).collect();
    slices(&inside, reference)
}

/// The greedy subset by recomputing every candidate's gain from scratch.
fn subset_brute(points: &[Vec<f64>], k: usize, reference: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..points.len()).collect();
    order.sort_by(|&a, &b| sort::lex(&points[a], &points[b]).then(a.cmp(&b)));
    order.dedup_by(|a, b| points[*a] == points[*b]);
    let mut taken: Vec<usize> = Vec::new();
    let mut selected: Vec<Vec<f64>> = Vec::new();
    let mut volume = 0.0;
    for _ in 0..k.min(order.len()) {
        let mut best: Option<(usize, f64)> = None;
        for &i in order.iter().filter(|i| !taken.contains(i)) {
            selected.push(points[i].clone());
            let gain = hypervolume_slices(&selected, reference) - volume;
            selected.pop();
            if best.is_none_or(|(_, g)| gain > g) {
                best = Some((i, gain));
            }
        }
        let (i, gain) = best.unwrap();
        volume += gain;
        selected.push(points[i].clone());
        taken.push(i);
    }
    taken
}

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance * a.abs().max(b.abs()).max(1e-300)
}

/// Points on a coarse grid (so ties, copies and points on the reference
/// are common) in `d` objectives.
fn grid_points(d: usize, max_len: usize) -> impl Strategy<Value = Vec<Vec<f64>>> {
    prop::collection::vec(prop::collection::vec((0u8..8).prop_map(f64::from), d), 0..max_len)
}

/// Points spread uniformly (no ties), for the hypervolume's arithmetic.
fn uniform_points(d: usize, max_len: usize) -> impl Strategy<Value = Vec<Vec<f64>>> {
    prop::collection::vec(prop::collection::vec(0.0..1.0f64, d), 1..max_len)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn ranks_match_peeling_fronts(points in (1usize..6).prop_flat_map(|d| grid_points(d, 60))) {
        prop_assert_eq!(non_domination_ranks(&points, None), ranks_brute(&points));
    }

    #[test]
    fn ranks_stop_after_whole_ranks_holding_n_below(points in (2usize..5).prop_flat_map(|d| grid_points(d, 40)), n_below in 0usize..45) {
        let full = ranks_brute(&points);
        let ranks = non_domination_ranks(&points, Some(n_below));
        // The smallest prefix of whole ranks holding n_below points is kept.
        let limit = n_below.min(points.len());
        let last = (0..).find(|&r| full.iter().filter(|&&x| x <= r).count() >= limit).unwrap_or(0);
        for (got, want) in ranks.iter().zip(&full) {
            if limit > 0 && *want <= last {
                prop_assert_eq!(got, want);
            } else {
                prop_assert_eq!(*got, usize::MAX);
            }
        }
    }

    #[test]
    fn hypervolume_matches_slicing_on_ties(points in (1usize..6).prop_flat_map(|d| grid_points(d, 30))) {
        let d = points.first().map_or(2, Vec::len);
        let reference = vec![6.0; d];
        prop_assert_eq!(hypervolume(&points, &reference), hypervolume_slices(&points, &reference));
    }

    #[test]
    fn hypervolume_matches_slicing_on_uniform_points(points in (2usize..6).prop_flat_map(|d| uniform_points(d, 40))) {
        let reference = vec![0.9; points[0].len()];
        let (ours, slow) = (hypervolume(&points, &reference), hypervolume_slices(&points, &reference));
        prop_assert!(close(ours, slow, 1e-12), "{} vs {}", ours, slow);
    }

    #[test]
    fn contributions_are_what_removing_the_point_loses(points in (2usize..5).prop_flat_map(|d| grid_points(d, 20))) {
        let d = points.first().map_or(2, Vec::len);
        let reference = vec![6.0; d];
        let total = hypervolume_slices(&points, &reference);
        let contributions = hypervolume_contributions(&points, &reference);
        for (i, &contribution) in contributions.iter().enumerate() {
            let mut others = points.clone();
            others.remove(i);
            prop_assert_eq!(contribution, total - hypervolume_slices(&others, &reference), "point {}", i);
        }
    }

    #[test]
    fn lazy_greedy_subset_picks_what_plain_greedy_picks(points in (2usize..5).prop_flat_map(|d| uniform_points(d, 25)), k in 1usize..10) {
        let d = points[0].len();
        // Points of one front, as best_subset hands over: spread on a simplex-like surface.
        let front: Vec<Vec<f64>> = points.iter().map(|p| {
            let s: f64 = p.iter().sum::<f64>().max(1e-9);
            p.iter().map(|x| x / s).collect()
        }).collect();
        let reference = vec![1.1; d];
        // With fewer distinct points than k, copies fill in (another test).
        let mut distinct = front.clone();
        distinct.sort_by(|a, b| sort::lex(a, b));
        distinct.dedup();
        prop_assume!(distinct.len() > k);
        let ours = hypervolume_subset(&front, k, &reference);
        let plain = subset_brute(&front, k, &reference);
        prop_assert_eq!(ours, plain);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn greedy_subset_on_any_points_picks_what_plain_greedy_picks(points in (2usize..5).prop_flat_map(|d| grid_points(d, 25)), k in 1usize..8) {
        // Dominated points, copies and points on or beyond the reference;
        // on the grid every gain is exact, so ties are real ties.
        let d = points.first().map_or(2, Vec::len);
        let mut distinct = points.clone();
        distinct.sort_by(|a, b| sort::lex(a, b));
        distinct.dedup();
        prop_assume!(distinct.len() > k);
        let reference = vec![6.0; d];
        prop_assert_eq!(hypervolume_subset(&points, k, &reference), subset_brute(&points, k, &reference));
    }
}

#[test]
fn ranks_in_three_and_four_objectives_by_hand() {
    let points = vec![
        vec![1.0, 1.0, 3.0], // 0: front
        vec![3.0, 1.0, 1.0], // 1: front
        vec![2.0, 2.0, 2.0], // 2: front (better than 0 in z, than 1 in x)
        vec![3.0, 3.0, 3.0], // 3: behind 2
        vec![1.0, 1.0, 3.0], // 4: a copy of 0
        vec![4.0, 4.0, 4.0], // 5: behind 3
        vec![0.0, 9.0, 9.0], // 6: front (best x)
    ];
    assert_eq!(non_domination_ranks(&points, None), [0, 0, 0, 1, 0, 2, 0]);
    let four: Vec<Vec<f64>> = points.iter().map(|p| [p.as_slice(), &[p[0]]].concat()).collect();
    assert_eq!(non_domination_ranks(&four, None), [0, 0, 0, 1, 0, 2, 0]);
    // One objective: each distinct value its own rank; -0.0 equals 0.0.
    assert_eq!(non_domination_ranks(&[vec![2.0], vec![-0.0], vec![0.0], vec![1.0]], None), [2, 0, 0, 1]);
    assert_eq!(non_domination_ranks(&[], None), Vec::<usize>::new());
    assert_eq!(non_domination_ranks(&[vec![], vec![]], None), [0, 0]);
}

#[test]
fn ranks_of_many_points_agree_with_peeling() {
    // Enough points for long fronts and many of them, both fast paths.
    let mut state = 7u64;
    let mut uniform = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((state >> 11) as f64 / (1u64 << 53) as f64 * 64.0).floor()
    };
    for d in 2..=4 {
        let points: Vec<Vec<f64>> = (0..1500).map(|_| (0..d).map(|_| uniform()).collect()).collect();
        assert_eq!(non_domination_ranks(&points, None), ranks_brute(&points), "d = {d}");
    }
}

#[test]
fn hypervolume_edge_cases() {
    // A point on the reference's boundary, one beyond it, NaN: nothing.
    assert_eq!(hypervolume(&[vec![4.0, 1.0], vec![5.0, 0.0], vec![f64::NAN, 0.0]], &[4.0, 4.0]), 0.0);
    assert_eq!(hypervolume(&[], &[1.0, 1.0, 1.0]), 0.0);
    // Copies count once.
    assert_eq!(hypervolume(&[vec![1.0, 1.0, 1.0], vec![1.0, 1.0, 1.0]], &[2.0, 3.0, 4.0]), 6.0);
    // One objective: the best distance to the reference.
    assert_eq!(hypervolume(&[vec![3.0], vec![1.0]], &[4.0]), 3.0);
    // Infinite: an unbounded reference, or a point at -inf.
    assert_eq!(hypervolume(&[vec![1.0, 1.0]], &[f64::INFINITY, 2.0]), f64::INFINITY);
    assert_eq!(hypervolume(&[vec![f64::NEG_INFINITY, 1.0]], &[2.0, 2.0]), f64::INFINITY);
    assert_eq!(hypervolume(&[vec![3.0, 1.0]], &[f64::INFINITY, 2.0]), f64::INFINITY);
    // ... but not when nothing is inside.
    assert_eq!(hypervolume(&[vec![3.0, 3.0]], &[f64::INFINITY, 2.0]), 0.0);
    // Four objectives by hand: two unit hypercubes offset by half in one axis.
    let points = vec![vec![0.0, 0.0, 0.0, 0.5], vec![0.0, 0.0, 0.5, 0.0]];
    // Boxes of 1 x 1 x 1 x 0.5 and 1 x 1 x 0.5 x 1, overlapping in 1 x 1 x 0.5 x 0.5.
    assert_eq!(hypervolume(&points, &[1.0; 4]), 0.5 + 0.5 - 0.25);
}

#[test]
fn contributions_by_hand() {
    // Three objectives: a corner point that alone covers a unit cube.
    let points = vec![vec![0.0, 1.0, 1.0], vec![1.0, 0.0, 1.0], vec![1.0, 1.0, 0.0], vec![1.0, 1.0, 1.0]];
    let reference = [2.0, 2.0, 2.0];
    // Each of the first three alone covers the 1 x 1 x 1 slab beyond the shared cube; the last is inside them.
    assert_eq!(hypervolume_contributions(&points, &reference), [1.0, 1.0, 1.0, 0.0]);
    // Copies contribute nothing; outside points neither.
    let points = vec![vec![1.0, 1.0], vec![1.0, 1.0], vec![0.5, 3.0], vec![3.0, 0.0]];
    assert_eq!(hypervolume_contributions(&points, &[2.0, 2.0]), [0.0, 0.0, 0.0, 0.0]);
    assert_eq!(hypervolume_contributions(&points[..1], &[2.0, 2.0]), [1.0]);
}

#[test]
fn subset_with_an_infinite_reference_takes_the_smallest_points() {
    let points = vec![vec![3.0, 1.0], vec![1.0, 3.0], vec![2.0, 2.0]];
    assert_eq!(hypervolume_subset(&points, 2, &[f64::INFINITY, 4.0]), [1, 2]);
}

#[test]
fn crowding_distances_by_hand() {
    // Boundary points infinite; interior ones sum normalized gaps.
    let front = vec![vec![0.0, 4.0], vec![1.0, 2.0], vec![3.0, 1.0], vec![4.0, 0.0]];
    assert_eq!(crowding_distances(&front), [f64::INFINITY, 1.5, 1.25, f64::INFINITY]);
    // An objective with one value adds nothing; one point alone has 0; none is empty.
    assert_eq!(
        crowding_distances(&[vec![1.0, 5.0], vec![2.0, 5.0], vec![4.0, 5.0]]),
        [f64::INFINITY, 1.0, f64::INFINITY]
    );
    assert_eq!(crowding_distances(&[vec![1.0, 2.0]]), [0.0]);
    assert_eq!(crowding_distances(&[]), Vec::<f64>::new());
    // Copies: sorted stably, the first copy is the boundary, the second
    // gets the gap between its copy and the next value.
    let copies = vec![vec![0.0, 2.0], vec![0.0, 2.0], vec![1.0, 1.0], vec![2.0, 0.0]];
    // Objective 0, order 0, 1, 2, 3: inf, (1 - 0) / 2, (2 - 0) / 2, inf.
    // Objective 1, order 3, 2, 0, 1 (the copies as before): inf, (2 - 0) / 2, (2 - 1) / 2, inf.
    assert_eq!(crowding_distances(&copies), [f64::INFINITY, f64::INFINITY, 2.0, f64::INFINITY]);
    // Infinite values: the range is the finite values', a gap between two
    // infinities is 0, and a range of zero counts as 1.
    let infinite = vec![vec![f64::NEG_INFINITY], vec![1.0], vec![3.0], vec![f64::INFINITY], vec![f64::INFINITY]];
    // Sorted: -inf, 1, 3, inf, inf with -inf and +inf beyond: gaps
    // 1 - -inf = inf, 3 - -inf = inf, inf - 1 = inf, inf - 3 = inf, inf - inf -> 0.
    assert_eq!(crowding_distances(&infinite), [f64::INFINITY, f64::INFINITY, f64::INFINITY, f64::INFINITY, 0.0]);
    let one_finite = vec![vec![f64::NEG_INFINITY, 0.0], vec![1.0, 0.0], vec![1.0, 0.0]];
    // Order -inf, 1, 1: gaps (1 - -inf) = inf, (1 - -inf) = inf, (inf - 1) = inf.
    assert_eq!(crowding_distances(&one_finite), [f64::INFINITY; 3]);
    let mid = vec![vec![0.0], vec![5.0], vec![5.0], vec![5.0], vec![10.0]];
    // The middle copy has two equal neighbours: gap 0.
    assert_eq!(crowding_distances(&mid), [f64::INFINITY, 0.5, 0.0, 0.5, f64::INFINITY]);
}

#[test]
fn the_reference_point_lies_beyond_the_worst_value_whatever_its_sign() {
    // Worst values 4 (positive: 1.1x), -2 (negative: 0.9x) and 0 (zero: the
    // 1e-12 floor, so a point at 0 still has a box of positive volume).
    let points = vec![vec![1.0, -5.0, 0.0], vec![4.0, -2.0, -3.0]];
    assert_eq!(reference_point(&points), vec![1.1 * 4.0, 0.9 * -2.0, 1e-12]);
    for p in &points {
        for (x, r) in p.iter().zip(reference_point(&points)) {
            assert!(*x < r);
        }
    }
    assert!(reference_point(&[]).is_empty());
}
