//! Non-dominated sorting: each point's Pareto rank, and the first front
//! alone (what the hypervolume algorithms filter their sets with).
//!
//! Design decision: every rank comes from one pass over the distinct
//! points, each point checked only against points ranked before it that
//! could dominate it, and "front k dominates p" is monotone in k (whoever
//! dominates p in front k is itself dominated by someone in front k - 1),
//! so each point finds its front by a binary search over the fronts built
//! so far (Zhang et al.'s ENS-BS). In two and three objectives the pass is
//! in lexicographic order and a front answers "does any member dominate p"
//! by the last member's second value (O(n log n) in all) or by a staircase
//! in a `BTreeMap` (O(n log^2 n)). Beyond, Best Order Sort (Roy, Islam &
//! Deb 2016) meets the points in every objective's order at once and
//! checks a point only against the points before it in its best
//! objective's order, scanning them (O(n^2) comparisons at worst).

use std::cmp::Ordering;
use std::collections::BTreeMap;

/// The value dominance compares: NaN is worse than any number (it becomes
/// +inf), and -0.0 is 0.0, so the total order the sorts use agrees with `<=`.
pub(super) fn clean(x: f64) -> f64 {
    if x.is_nan() {
        f64::INFINITY
    } else {
        x + 0.0
    }
}

/// A `u64` ordered as the (clean) `f64` it comes from, for `BTreeMap` keys.
pub(super) fn key(x: f64) -> u64 {
    let bits = x.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

/// Lexicographic order of two points.
pub(super) fn lex(a: &[f64], b: &[f64]) -> Ordering {
    a.iter().zip(b).map(|(x, y)| x.total_cmp(y)).find(|o| o.is_ne()).unwrap_or(Ordering::Equal)
}

/// Each point's non-domination rank (0: on the Pareto front; 1: on the
/// front once rank 0 is removed; ...), in loss space (every objective
/// minimized), ranking at least until `n_below` points are ranked (None:
/// all): whole ranks are kept while fewer than `n_below` points are ranked,
/// and the points of later ranks get `usize::MAX`. Equal points share a
/// rank. NaN is worse than any number, and -0.0 equals 0.0.
///
/// O(n log n) for two objectives, O(n log^2 n) for three, and at worst
/// O(n^2) comparisons beyond (each point is checked against the points
/// before it in its best objective, in about log(number of fronts) of
/// their fronts). Every point must have the same number of objectives.
///
/// ```
/// use ferrotune_analysis::pareto::non_domination_ranks;
/// let losses = vec![vec![1.0, 2.0], vec![2.0, 1.0], vec![2.0, 2.0], vec![2.0, 2.0], vec![3.0, 3.0]];
/// assert_eq!(non_domination_ranks(&losses, None), [0, 0, 1, 1, 2]);
/// // Enough once the first two ranks hold 4 points.
/// assert_eq!(non_domination_ranks(&losses, Some(3)), [0, 0, 1, 1, usize::MAX]);
/// ```
pub fn non_domination_ranks(losses: &[Vec<f64>], n_below: Option<usize>) -> Vec<usize> {
    let n = losses.len();
    let limit = n_below.unwrap_or(n).min(n);
    if limit == 0 {
        return vec![usize::MAX; n];
    }
    let d = losses[0].len();
    assert!(losses.iter().all(|p| p.len() == d), "every point needs the same number of objectives");
    let flat: Vec<f64> = losses.iter().flat_map(|p| p.iter().map(|&x| clean(x))).collect();
    let point = |i: usize| &flat[i * d..(i + 1) * d];

    // Distinct points in lexicographic order; each input points at its own.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_unstable_by(|&a, &b| lex(point(a), point(b)));
    let mut distinct: Vec<usize> = Vec::with_capacity(n);
    let mut distinct_of = vec![0; n];
    for &i in &order {
        if distinct.last().is_none_or(|&last| point(last) != point(i)) {
            distinct.push(i);
        }
        distinct_of[i] = distinct.len() - 1;
    }
    let sorted: Vec<f64> = distinct.iter().flat_map(|&i| point(i).iter().copied()).collect();
    let distinct_ranks = ranks_of_sorted(&sorted, distinct.len(), d);

    let mut ranks: Vec<usize> = distinct_of.iter().map(|&u| distinct_ranks[u]).collect();
    // Keep whole ranks until `limit` points are ranked, as peeling fronts
    // one at a time would stop.
    let mut count_by_rank = vec![0usize; distinct_ranks.iter().max().map_or(0, |&r| r + 1)];
    for &r in &ranks {
        count_by_rank[r] += 1;
    }
    let mut ranked = 0;
    let last_rank = count_by_rank
        .iter()
        .position(|&c| {
            ranked += c;
            ranked >= limit
        })
        .unwrap_or(count_by_rank.len());
    for r in &mut ranks {
        if *r > last_rank {
            *r = usize::MAX;
        }
    }
    ranks
}

/// The ranks of `n` distinct points given flat (`d` values each) in
/// lexicographic order.
fn ranks_of_sorted(sorted: &[f64], n: usize, d: usize) -> Vec<usize> {
    match d {
        0 => vec![0; n],
        // Distinct values in increasing order: each its own front.
        1 => (0..n).collect(),
        2 => {
            // Each front's last member has its smallest second value; a
            // point is dominated by the front iff that value is <= its own
            // (every member is before it, so no larger in the first).
            let mut smallest_second: Vec<f64> = Vec::new();
            (0..n)
                .map(|i| {
                    let y = sorted[2 * i + 1];
                    let k = smallest_second.partition_point(|&m| m <= y);
                    if k == smallest_second.len() {
                        smallest_second.push(y);
                    } else {
                        smallest_second[k] = y;
                    }
                    k
                })
                .collect()
        }
        3 => {
            let mut fronts: Vec<Staircase> = Vec::new();
            (0..n)
                .map(|i| {
                    let (y, z) = (sorted[3 * i + 1], sorted[3 * i + 2]);
                    let k = first_not_dominating(fronts.len(), |f| fronts[f].dominates(y, z));
                    if k == fronts.len() {
                        fronts.push(Staircase::default());
                    }
                    fronts[k].insert(y, z);
                    k
                })
                .collect()
        }
        _ => ranks_best_order(sorted, n, d),
    }
}

/// Ranks beyond three objectives by Best Order Sort (Roy, Islam & Deb
/// 2016): the points are met in the order of every objective at once, one
/// position of each order at a time, and a point is ranked when first met,
/// against only the ranked points before it in that objective's order
/// (everything dominating it is before it in every order, ties broken
/// lexicographically, and so already ranked). A point's first meeting is
/// in its best objective, which is what keeps the lists short: on
/// uniform points about 1/(d + 1) of the points before it, where a scan in
/// lexicographic order sees half. Each objective's lists hold the points
/// met so far by rank; its front is found by binary search over them as
/// above (whoever dominates the point at rank k was preceded by a
/// dominator of rank k - 1).
fn ranks_best_order(sorted: &[f64], n: usize, d: usize) -> Vec<usize> {
    let point = |i: usize| &sorted[i * d..(i + 1) * d];
    // Objective 0's order is the lexicographic one, the points' own; ties
    // in the others go lexicographically too.
    let orders: Vec<Vec<u32>> = (0..d)
        .map(|j| {
            let mut order: Vec<u32> = (0..n as u32).collect();
            if j > 0 {
                order.sort_unstable_by(|&a, &b| point(a as usize)[j].total_cmp(&point(b as usize)[j]).then(a.cmp(&b)));
            }
            order
        })
        .collect();
    let mut ranks = vec![usize::MAX; n];
    // lists[j][k]: the points of rank k met so far in objective j's order,
    // their values side by side so that a scan reads memory in order.
    let mut lists: Vec<Vec<Vec<f64>>> = vec![Vec::new(); d];
    let mut n_ranked = 0;
    'positions: for position in 0..n {
        for (order, list) in orders.iter().zip(&mut lists) {
            let s = order[position] as usize;
            if ranks[s] == usize::MAX {
                let p = point(s);
                // The latest met are the likeliest to dominate: scan them first.
                ranks[s] = first_not_dominating(list.len(), |k| {
                    list[k].rchunks_exact(d).any(|t| t.iter().zip(p).all(|(a, b)| a <= b))
                });
                n_ranked += 1;
                if n_ranked == n {
                    break 'positions;
                }
            }
            if list.len() <= ranks[s] {
                list.resize_with(ranks[s] + 1, Vec::new);
            }
            list[ranks[s]].extend_from_slice(point(s));
        }
    }
    ranks
}

/// The first of `n_fronts` fronts that does not dominate the point, by
/// binary search (domination holds for a prefix of the fronts).
fn first_not_dominating(n_fronts: usize, dominates: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n_fronts);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if dominates(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// The points of a front seen in their last two objectives, kept as the
/// staircase of those not dominated there: second value decreasing as the
/// first grows. The minimum second value over members whose first is <= y
/// is then the entry just at or below y.
#[derive(Default)]
pub(super) struct Staircase {
    steps: BTreeMap<u64, (f64, f64)>,
}

impl Staircase {
    /// Whether some member is <= (y, z) in both.
    pub(super) fn dominates(&self, y: f64, z: f64) -> bool {
        self.steps.range(..=key(y)).next_back().is_some_and(|(_, &(_, sz))| sz <= z)
    }

    /// The step with the largest first value below `y`, if any.
    pub(super) fn below(&self, y: f64) -> Option<(f64, f64)> {
        self.steps.range(..key(y)).next_back().map(|(_, &s)| s)
    }

    /// The steps whose first value is `y` or more, in increasing order.
    pub(super) fn at_or_after(&self, y: f64) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.steps.range(key(y)..).map(|(_, &s)| s)
    }

    /// Adds (y, z), not dominated by any member, dropping the members it
    /// dominates (a run of steps starting at y).
    pub(super) fn insert(&mut self, y: f64, z: f64) {
        let dominated: Vec<u64> =
            self.steps.range(key(y)..).take_while(|(_, &(_, sz))| sz >= z).map(|(&k, _)| k).collect();
        for k in dominated {
            self.steps.remove(&k);
        }
        self.steps.insert(key(y), (y, z));
    }
}

/// The distinct points of the first front of `flat` (`d` values each,
/// clean, every objective minimized), in lexicographic order.
pub(super) fn first_front(flat: &[f64], d: usize) -> Vec<f64> {
    let n = flat.len() / d;
    let point = |i: usize| &flat[i * d..(i + 1) * d];
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_unstable_by(|&a, &b| lex(point(a), point(b)));
    order.dedup_by(|a, b| point(*a) == point(*b));
    let mut front: Vec<f64> = Vec::with_capacity(flat.len());
    match d {
        1 => front.extend_from_slice(point(order[0])),
        2 => {
            let mut best_second = f64::INFINITY;
            for &i in &order {
                let p = point(i);
                if p[1] < best_second || front.is_empty() {
                    best_second = p[1];
                    front.extend_from_slice(p);
                }
            }
        }
        3 => {
            let mut staircase = Staircase::default();
            for &i in &order {
                let p = point(i);
                if !staircase.dominates(p[1], p[2]) {
                    staircase.insert(p[1], p[2]);
                    front.extend_from_slice(p);
                }
            }
        }
        _ => {
            let mut members: Vec<usize> = Vec::new();
            for &i in &order {
                let p = point(i);
                if !members.iter().rev().any(|&m| point(m)[1..].iter().zip(&p[1..]).all(|(a, b)| a <= b)) {
                    members.push(i);
                    front.extend_from_slice(p);
                }
            }
        }
    }
    front
}
