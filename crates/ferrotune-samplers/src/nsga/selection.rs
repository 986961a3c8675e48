//! Who survives and who breeds: ranks (constrained domination when trials
//! carry constraints), crowding distance, the elitist cut of NSGA-II (Deb,
//! Pratap, Agarwal & Meyarivan 2002) and the binary tournament on rank and
//! crowding distance.
//!
//! Everything here works on plain numbers (losses, every objective
//! minimized; violations; trial numbers) so that NSGA-III can reuse the
//! ranking and swap only the cut. Ties are broken by trial number, never by
//! the order a worker happened to read trials in, so every worker that
//! rebuilds a generation picks the same survivors.

use rand::Rng;

/// One candidate for survival: its losses, its constraint violation (the
/// sum of its positive constraint values; `None` when it recorded no
/// constraints) and its trial number.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The trial's number.
    pub number: u64,
    /// Its values, each to be minimized (maximized ones negated; NaN as
    /// infinity).
    pub losses: Vec<f64>,
    /// Its constraint violation, `None` without constraints.
    pub violation: Option<f64>,
}

/// Each candidate's rank, 0 the best. Without constraints, the
/// non-domination rank. With constraints on any candidate, constrained
/// domination as Deb's and Optuna's: feasible candidates first, ranked by
/// non-domination among themselves; then infeasible ones by their
/// violation, smaller first, equal violations sharing a rank; last those
/// that recorded no constraints at all (Optuna: dominated by every trial
/// that has them), by non-domination among themselves.
pub(crate) fn ranks(candidates: &[Candidate]) -> Vec<usize> {
    let mut ranks = vec![0; candidates.len()];
    let constrained = candidates.iter().any(|c| c.violation.is_some());
    let groups: [Vec<usize>; 3] = if constrained {
        let feasible = (0..candidates.len()).filter(|&i| candidates[i].violation == Some(0.0)).collect();
        let infeasible = (0..candidates.len()).filter(|&i| candidates[i].violation.is_some_and(|v| v > 0.0)).collect();
        let unknown = (0..candidates.len()).filter(|&i| candidates[i].violation.is_none()).collect();
        [feasible, infeasible, unknown]
    } else {
        [(0..candidates.len()).collect(), Vec::new(), Vec::new()]
    };
    let mut offset = 0;
    for (which, group) in groups.iter().enumerate() {
        if group.is_empty() {
            continue;
        }
        let group_ranks: Vec<usize> = if which == 1 {
            // By violation: the number of distinct smaller violations.
            let mut distinct: Vec<f64> = group.iter().map(|&i| candidates[i].violation.unwrap_or(0.0)).collect();
            distinct.sort_by(f64::total_cmp);
            distinct.dedup();
            group.iter().map(|&i| distinct.partition_point(|&v| v < candidates[i].violation.unwrap_or(0.0))).collect()
        } else {
            let losses: Vec<Vec<f64>> = group.iter().map(|&i| candidates[i].losses.clone()).collect();
            ferrotune_analysis::pareto::non_domination_ranks(&losses, None)
        };
        for (&i, &r) in group.iter().zip(&group_ranks) {
            ranks[i] = offset + r;
        }
        offset += group_ranks.iter().max().map_or(0, |m| m + 1);
    }
    ranks
}

/// The crowding distance of each member of one front (indices into
/// `candidates`), in the order given: per objective, the gap between its
/// two neighbours in that objective divided by the front's range there,
/// summed; the two ends of each objective get infinity, so the extremes of
/// a front always survive. An objective with one value across the front
/// adds nothing. Equal values are ordered by trial number, so the result
/// does not depend on the order of `front`.
///
/// It may move to `ferrotune-analysis` beside the ranks once NSGA-III
/// needs it too.
pub(crate) fn crowding_distances(candidates: &[Candidate], front: &[usize]) -> Vec<f64> {
    let mut distance = vec![0.0; front.len()];
    if front.is_empty() {
        return distance;
    }
    let n_objectives = candidates[front[0]].losses.len();
    let mut order: Vec<usize> = (0..front.len()).collect();
    for k in 0..n_objectives {
        let value = |position: usize| candidates[front[position]].losses[k];
        order.sort_by(|&a, &b| {
            value(a).total_cmp(&value(b)).then(candidates[front[a]].number.cmp(&candidates[front[b]].number))
        });
        let (low, high) = (value(order[0]), value(order[order.len() - 1]));
        // Losses are never NaN (`candidate` maps NaN to infinity).
        if high <= low {
            continue;
        }
        let range = high - low;
        distance[order[0]] = f64::INFINITY;
        distance[order[order.len() - 1]] = f64::INFINITY;
        for w in order.windows(3) {
            distance[w[1]] += (value(w[2]) - value(w[0])) / range;
        }
    }
    distance
}

/// The start of every elitist cut (NSGA-II's and NSGA-III's): the whole
/// fronts that fit in `size`, in rank order, and the front after them
/// that fits only in part (empty when none is left over). Within a front,
/// candidates are in trial-number order.
pub(crate) fn fronts_that_fit(candidates: &[Candidate], size: usize) -> (Vec<usize>, Vec<usize>) {
    let ranks = ranks(candidates);
    let mut by_rank: Vec<usize> = (0..candidates.len()).collect();
    by_rank.sort_by_key(|&i| (ranks[i], candidates[i].number));
    let mut start = 0;
    while start < by_rank.len() {
        let rank = ranks[by_rank[start]];
        let end = start + by_rank[start..].iter().take_while(|&&i| ranks[i] == rank).count();
        if end > size {
            let last = if start < size { by_rank[start..end].to_vec() } else { Vec::new() };
            by_rank.truncate(start);
            return (by_rank, last);
        }
        start = end;
    }
    (by_rank, Vec::new())
}

/// NSGA-II's elitist cut: the `size` survivors among `candidates` (indices,
/// ascending by rank): whole fronts in rank order while they fit, then
/// from the front that does not, the members with the largest crowding
/// distance (ties to the lower trial number).
pub(crate) fn select_elites(candidates: &[Candidate], size: usize) -> Vec<usize> {
    let (mut elites, front) = fronts_that_fit(candidates, size);
    let distance = crowding_distances(candidates, &front);
    let mut order: Vec<usize> = (0..front.len()).collect();
    order.sort_by(|&a, &b| {
        distance[b].total_cmp(&distance[a]).then(candidates[front[a]].number.cmp(&candidates[front[b]].number))
    });
    let wanted = size.saturating_sub(elites.len());
    elites.extend(order.into_iter().take(wanted).map(|p| front[p]));
    elites
}

/// A parent population ready for tournaments: each member's rank and
/// crowding distance within the population itself.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ranked {
    pub rank: Vec<usize>,
    pub crowding: Vec<f64>,
}

impl Ranked {
    pub fn new(population: &[Candidate]) -> Ranked {
        let rank = ranks(population);
        let mut crowding = vec![0.0; population.len()];
        let max_rank = rank.iter().copied().max().unwrap_or(0);
        for r in 0..=max_rank {
            let front: Vec<usize> = (0..population.len()).filter(|&i| rank[i] == r).collect();
            for (&i, d) in front.iter().zip(crowding_distances(population, &front)) {
                crowding[i] = d;
            }
        }
        Ranked { rank, crowding }
    }

    /// Deb's crowded comparison: whether member `a` beats member `b` (a
    /// lower rank, or the same rank and a larger crowding distance).
    pub fn beats(&self, a: usize, b: usize) -> bool {
        self.rank[a] < self.rank[b] || (self.rank[a] == self.rank[b] && self.crowding[a] > self.crowding[b])
    }

    /// A binary tournament among the members not in `taken`: two drawn
    /// uniformly (with replacement), the crowded-comparison winner kept, and
    /// on a tie either with even odds.
    pub fn tournament<R: Rng + ?Sized>(&self, taken: &[usize], rng: &mut R) -> usize {
        let open: Vec<usize> = (0..self.rank.len()).filter(|i| !taken.contains(i)).collect();
        let a = open[rng.random_range(0..open.len())];
        let b = open[rng.random_range(0..open.len())];
        if self.beats(a, b) {
            a
        } else if self.beats(b, a) || rng.random::<bool>() {
            b
        } else {
            a
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng_for;

    fn candidate(number: u64, losses: &[f64]) -> Candidate {
        Candidate { number, losses: losses.to_vec(), violation: None }
    }

    fn constrained(number: u64, losses: &[f64], violation: Option<f64>) -> Candidate {
        Candidate { number, losses: losses.to_vec(), violation }
    }

    /// Worked by hand on paper: fronts of a small two-objective set.
    fn sample() -> Vec<Candidate> {
        vec![
            candidate(0, &[1.0, 5.0]), // front 0
            candidate(1, &[2.0, 3.0]), // front 0
            candidate(2, &[4.0, 1.0]), // front 0
            candidate(3, &[3.0, 4.0]), // dominated by 1 -> front 1
            candidate(4, &[5.0, 2.0]), // dominated by 2 -> front 1
            candidate(5, &[5.0, 5.0]), // dominated by 3 and 4 -> front 2
            candidate(6, &[4.0, 3.0]), // dominated by 1 -> front 1
        ]
    }

    #[test]
    fn ranks_are_the_non_domination_fronts() {
        assert_eq!(ranks(&sample()), vec![0, 0, 0, 1, 1, 2, 1]);
    }

    #[test]
    fn crowding_distance_by_hand() {
        // Front 0: (1,5), (2,3), (4,1). Objective 1 range 3: the middle
        // point's neighbours are 1 and 4 -> 3/3 = 1. Objective 2 range 4:
        // neighbours 1 and 5 -> 4/4 = 1. The middle one: 2; the ends: inf.
        let c = sample();
        assert_eq!(crowding_distances(&c, &[0, 1, 2]), vec![f64::INFINITY, 2.0, f64::INFINITY]);
        // Front 1: (3,4), (5,2), (4,3). Objective 1: 3 (number 3), 4 (6),
        // 5 (4) -> 6 gets (5-3)/2 = 1. Objective 2: 2 (4), 3 (6), 4 (3) ->
        // 6 gets (4-2)/2 = 1; 3 and 4 are ends.
        assert_eq!(crowding_distances(&c, &[3, 4, 6]), vec![f64::INFINITY, f64::INFINITY, 2.0]);
        // One objective with a single value adds nothing.
        let flat = vec![candidate(0, &[1.0, 2.0]), candidate(1, &[1.0, 3.0]), candidate(2, &[1.0, 4.0])];
        assert_eq!(crowding_distances(&flat, &[0, 1, 2]), vec![f64::INFINITY, 1.0, f64::INFINITY]);
    }

    #[test]
    fn elites_take_whole_fronts_then_the_least_crowded() {
        let c = sample();
        // 3 fit: front 0 exactly.
        assert_eq!(select_elites(&c, 3), vec![0, 1, 2]);
        // 5: front 0, then two of front 1 — its two ends (inf), not the
        // middle one (number 6, distance 2).
        let mut five = select_elites(&c, 5);
        five.sort_unstable();
        assert_eq!(five, vec![0, 1, 2, 3, 4]);
        // 6: all of fronts 0 and 1.
        let mut six = select_elites(&c, 6);
        six.sort_unstable();
        assert_eq!(six, vec![0, 1, 2, 3, 4, 6]);
    }

    #[test]
    fn one_objective_is_a_plain_truncation() {
        let c: Vec<Candidate> =
            [4.0, 1.0, 3.0, 1.0, 2.0].iter().enumerate().map(|(i, &v)| candidate(i as u64, &[v])).collect();
        assert_eq!(ranks(&c), vec![3, 0, 2, 0, 1]);
        let mut best = select_elites(&c, 3);
        best.sort_unstable();
        assert_eq!(best, vec![1, 3, 4]);
    }

    #[test]
    fn constrained_domination_puts_feasible_first_then_by_violation() {
        let c = vec![
            constrained(0, &[1.0, 1.0], Some(0.5)), // infeasible, the best losses
            constrained(1, &[5.0, 5.0], Some(0.0)), // feasible
            constrained(2, &[4.0, 6.0], Some(0.0)), // feasible, not dominated by 1
            constrained(3, &[6.0, 6.0], Some(0.0)), // feasible, dominated by 1
            constrained(4, &[0.0, 0.0], Some(2.0)), // infeasible, worse violation
            constrained(5, &[2.0, 2.0], Some(0.5)), // same violation as 0
            constrained(6, &[0.0, 0.0], None),      // no constraints: last
        ];
        assert_eq!(ranks(&c), vec![2, 0, 0, 1, 3, 2, 4]);
        let mut elites = select_elites(&c, 4);
        elites.sort_unstable();
        // Fronts {1,2}, {3}: 3 fit; then one of {0, 5} (same rank; two
        // points are both ends, ties to the lower number).
        assert_eq!(elites, vec![0, 1, 2, 3]);
    }

    #[test]
    fn the_tournament_prefers_lower_rank_then_wider_crowding() {
        let c = sample();
        let ranked = Ranked::new(&c);
        assert!(ranked.beats(1, 3)); // rank 0 over rank 1
        assert!(ranked.beats(0, 1)); // same rank, inf over 2
        assert!(!ranked.beats(0, 2) && !ranked.beats(2, 0)); // both ends: a tie
                                                             // Over many draws each member wins as often as the ordered pairs
                                                             // predict: a pair's winner takes its 1/49, a tie splits it.
        let n = c.len();
        let mut expected = vec![0.0; n];
        for a in 0..n {
            for b in 0..n {
                let p = 1.0 / (n * n) as f64;
                if ranked.beats(a, b) {
                    expected[a] += p;
                } else if ranked.beats(b, a) {
                    expected[b] += p;
                } else {
                    expected[a] += p / 2.0;
                    expected[b] += p / 2.0;
                }
            }
        }
        let draws = 100_000;
        let mut rng = rng_for(1, 0, "tournament");
        let mut wins = vec![0usize; n];
        for _ in 0..draws {
            wins[ranked.tournament(&[], &mut rng)] += 1;
        }
        for i in 0..n {
            let p = expected[i];
            let tolerance = 5.0 * (p * (1.0 - p) / draws as f64).sqrt();
            let seen = wins[i] as f64 / draws as f64;
            assert!((seen - p).abs() < tolerance, "member {i}: {seen} vs {p}");
        }
        // The worst member (rank 2) only wins when drawn twice.
        assert!((expected[5] - 1.0 / 49.0).abs() < 1e-12);
        // Taken members are never drawn.
        for _ in 0..1000 {
            assert!(![1, 2].contains(&ranked.tournament(&[1, 2], &mut rng)));
        }
    }
}
