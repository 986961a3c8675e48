//! A random forest of regression trees: the surrogate fANOVA decomposes
//! and mean decrease in impurity reads (scikit-learn's
//! `RandomForestRegressor` semantics, Optuna's evaluators' model: each
//! tree grown on a bootstrap sample, splits chosen by variance reduction
//! among `max_features` features, grown until a node is pure, too small
//! or `max_depth` deep).
//!
//! Design decision: written here rather than taken from a crate, because
//! fANOVA needs what general-purpose forests do not expose or do not do:
//! each feature's domain (the box a leaf covers, including the stretch of
//! a conditional parameter's "absent"), categorical splits on subsets of
//! choices (Breiman's ordering by mean, exact for squared error) rather
//! than one-hot columns, and split thresholds that fall on the boundary of
//! that "absent" stretch. Each tree is seeded from `(seed, tree index)` and
//! grown on its own thread, so a seed gives the same forest whatever the
//! number of threads.

mod tree;

pub(crate) use tree::{Split, Tree};

use std::sync::atomic::{AtomicUsize, Ordering};

/// One feature's domain: what values it takes and how much of the space
/// each part of it is.
#[derive(Debug, Clone)]
pub(crate) enum Domain {
    /// Values in `[low, high]`, uniformly weighted. A split between a
    /// value below `boundary` and one at or above it is made at
    /// `boundary` exactly (the edge of a conditional parameter's stretch
    /// for "absent").
    Numeric { low: f64, high: f64, boundary: Option<f64> },
    /// Category indices `0..weights.len()`, category `c` weighing
    /// `weights[c]` (the weights sum to one).
    Categorical { weights: Vec<f64> },
}

/// The training data, by feature (column-major): `columns[f][i]` is
/// sample `i`'s value of feature `f` (a category index for categorical
/// features).
#[derive(Debug, Clone)]
pub(crate) struct Features {
    pub columns: Vec<Vec<f64>>,
    pub domains: Vec<Domain>,
}

impl Features {
    pub(crate) fn n_samples(&self) -> usize {
        self.columns.first().map_or(0, Vec::len)
    }
}

/// How the forest is grown (checked by the caller: every count positive,
/// `min_samples_split >= 2`, `max_features` between 1 and the number of
/// features).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ForestParams {
    pub n_trees: usize,
    pub max_depth: usize,
    pub min_samples_split: usize,
    pub min_samples_leaf: usize,
    pub max_features: usize,
    /// Each tree on a bootstrap sample (true) or on every sample once.
    pub bootstrap: bool,
}

/// Grow the forest on `features` and `targets` (finite, one per sample).
pub(crate) fn fit(features: &Features, targets: &[f64], params: &ForestParams, seed: u64) -> Vec<Tree> {
    // Every tree starts from the samples sorted by each numeric feature,
    // sorted once here (ties by sample index, so the order is fixed).
    let sorted: Vec<Option<Vec<u32>>> = features
        .columns
        .iter()
        .zip(&features.domains)
        .map(|(column, domain)| {
            matches!(domain, Domain::Numeric { .. }).then(|| {
                let mut order: Vec<u32> = (0..column.len() as u32).collect();
                order.sort_by(|&a, &b| column[a as usize].total_cmp(&column[b as usize]).then(a.cmp(&b)));
                order
            })
        })
        .collect();
    // And categorical features as indices, to read without a conversion.
    let categories: Vec<Option<Vec<u32>>> = features
        .columns
        .iter()
        .zip(&features.domains)
        .map(|(column, domain)| {
            matches!(domain, Domain::Categorical { .. }).then(|| column.iter().map(|&c| c as u32).collect())
        })
        .collect();
    parallel_map(params.n_trees, |index| {
        let mut rng = SplitMix64::new(mix64(seed ^ mix64(index as u64 ^ 0x6a09_e667_f3bc_c909)));
        tree::grow(features, targets, &sorted, &categories, params, &mut rng)
    })
}

/// `f(0), ..., f(n - 1)` computed on the machine's cores, in order.
pub(crate) fn parallel_map<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get()).min(n);
    if threads <= 1 {
        return (0..n).map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, T)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= n {
                            break mine;
                        }
                        mine.push((i, f(i)));
                    }
                })
            })
            .collect();
        // A worker only panics if `f` does; pass that panic on.
        workers.into_iter().flat_map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    });
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, t)| t).collect()
}

/// SplitMix64's output function: a well-mixed 64-bit hash of `x`.
pub(crate) fn mix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// SplitMix64: small and fast, ample for bootstrap draws and feature
/// orders (and its numbers never change with a dependency's version).
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.0.wrapping_sub(0x9E37_79B9_7F4A_7C15))
    }

    /// Uniform in `0..n` (`n > 0`), by Lemire's multiply-shift (the bias,
    /// at most n / 2^64, is immaterial here).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric(low: f64, high: f64) -> Domain {
        Domain::Numeric { low, high, boundary: None }
    }

    fn params(n_trees: usize) -> ForestParams {
        ForestParams {
            n_trees,
            max_depth: 64,
            min_samples_split: 2,
            min_samples_leaf: 1,
            max_features: 1,
            bootstrap: true,
        }
    }

    #[test]
    fn parallel_map_keeps_the_order() {
        let squares = parallel_map(100, |i| i * i);
        assert_eq!(squares, (0..100).map(|i| i * i).collect::<Vec<_>>());
        assert!(parallel_map(0, |i| i).is_empty());
    }

    #[test]
    fn below_stays_below() {
        let mut rng = SplitMix64::new(3);
        let mut seen = [0usize; 7];
        for _ in 0..7000 {
            seen[rng.below(7)] += 1;
        }
        assert!(seen.iter().all(|&c| c > 800 && c < 1200), "{seen:?}");
    }

    #[test]
    fn a_tree_without_bootstrap_fits_distinct_points_exactly() {
        let x: Vec<f64> = (0..50).map(|i| (i * 37 % 50) as f64 / 50.0).collect();
        let y: Vec<f64> = x.iter().map(|v| (v * 7.0).sin()).collect();
        let features = Features { columns: vec![x.clone()], domains: vec![numeric(0.0, 1.0)] };
        let trees = fit(&features, &y, &ForestParams { bootstrap: false, ..params(1) }, 0);
        for (xi, yi) in x.iter().zip(&y) {
            assert!((trees[0].predict(&[*xi]) - yi).abs() < 1e-12);
        }
        assert_eq!(trees[0].leaves().count(), 50);
    }

    #[test]
    fn a_seed_gives_the_same_forest() {
        let mut rng = SplitMix64::new(1);
        let columns: Vec<Vec<f64>> = (0..3).map(|_| (0..200).map(|_| rng.below(1000) as f64).collect()).collect();
        let y: Vec<f64> = (0..200).map(|i| columns[0][i] - 2.0 * columns[1][i]).collect();
        let features = Features { columns, domains: vec![numeric(0.0, 1000.0); 3] };
        let p = ForestParams { max_features: 2, ..params(8) };
        let leaves =
            |trees: &[Tree]| trees.iter().map(|t| t.leaves().map(|n| n.value).collect()).collect::<Vec<Vec<f64>>>();
        assert_eq!(leaves(&fit(&features, &y, &p, 5)), leaves(&fit(&features, &y, &p, 5)));
        assert_ne!(leaves(&fit(&features, &y, &p, 5)), leaves(&fit(&features, &y, &p, 6)));
    }
}
