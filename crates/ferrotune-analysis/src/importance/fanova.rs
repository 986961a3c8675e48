//! fANOVA (Hutter, Hoos and Leyton-Brown, ICML 2014, "An Efficient
//! Approach for Assessing Hyperparameter Importance") and mean decrease in
//! impurity, both read off a random forest fitted to the trials' scores.
//!
//! fANOVA: a tree is a piecewise-constant function over the search space
//! (each leaf a box). A parameter's marginal is the tree's prediction
//! averaged over every other parameter, a step function of that parameter
//! alone; its importance is the variance of that marginal over the
//! parameter's domain as a fraction of the tree's total variance, averaged
//! over the trees (as Optuna's `FanovaImportanceEvaluator` reports it).
//!
//! Design decision: each marginal is computed exactly and at once. A leaf
//! adds its value times the volume of its box along the other parameters
//! to the stretch of the parameter it covers; summing those additions in
//! a difference array over the parameter's cut points gives the whole step
//! function, so a tree costs O(leaves x parameters) plus a sort of each
//! parameter's thresholds, where walking the tree once per cell (Optuna)
//! costs O(cells x nodes) in Python.

use std::fmt;
use std::sync::Arc;

use ferrotune_core::{Error, FrozenTrial, Result, StudyDirection};

use super::encode::{encode, Encoded};
use super::trials::{report, scored, Target};
use crate::forest::{self, Domain, ForestParams, Split, Tree};

/// A tree whose total variance (in units of the scores' variance) is not
/// above this is constant up to rounding and is left out of the average.
const MIN_TREE_VARIANCE: f64 = 1e-20;

/// The forest [`fanova`] and [`mean_decrease_impurity`] fit, and how they
/// report. Names and defaults are Optuna's evaluators' (`n_trees`,
/// `max_depth`, `seed`) and scikit-learn's forest's (the rest), with
/// [`get_param_importances`]' `params`, `target` and `normalize`.
///
/// [`get_param_importances`]: https://optuna.readthedocs.io/en/stable/reference/generated/optuna.importance.get_param_importances.html
#[derive(Clone)]
pub struct ForestOptions {
    /// Trees in the forest (64).
    pub n_trees: usize,
    /// The deepest a tree grows (64).
    pub max_depth: usize,
    /// A node with fewer distinct trials is not split (2).
    pub min_samples_split: usize,
    /// No leaf has fewer distinct trials (1).
    pub min_samples_leaf: usize,
    /// Parameters considered for each split, drawn at random (None, the
    /// default: all of them).
    pub max_features: Option<usize>,
    /// The forest's randomness (None: different each call).
    pub seed: Option<u64>,
    /// Measure log-scaled parameters on their log scale (true, the
    /// default: the space the study sampled from, as the original fANOVA
    /// does), or on their linear scale (false: as Optuna's
    /// `FanovaImportanceEvaluator` does, where a learning rate's values
    /// below a tenth of its range weigh a tenth). Only fANOVA's variances
    /// depend on it.
    pub log_scale: bool,
    /// The parameters to assess (None, the default: every parameter of a
    /// complete trial, conditional ones included). Each must appear in a
    /// complete trial. The forest is fitted to these parameters only.
    pub params: Option<Vec<String>>,
    /// What is explained, lower being better (None: the objective value).
    /// Required for several objectives.
    pub target: Option<Target>,
    /// Scale the importances to sum to one (true, the default; all equal
    /// when every importance is zero).
    pub normalize: bool,
}

impl Default for ForestOptions {
    fn default() -> Self {
        ForestOptions {
            n_trees: 64,
            max_depth: 64,
            min_samples_split: 2,
            min_samples_leaf: 1,
            max_features: None,
            seed: None,
            log_scale: true,
            params: None,
            target: None,
            normalize: true,
        }
    }
}

impl fmt::Debug for ForestOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ForestOptions")
            .field("n_trees", &self.n_trees)
            .field("max_depth", &self.max_depth)
            .field("min_samples_split", &self.min_samples_split)
            .field("min_samples_leaf", &self.min_samples_leaf)
            .field("max_features", &self.max_features)
            .field("seed", &self.seed)
            .field("log_scale", &self.log_scale)
            .field("params", &self.params)
            .field("target", &self.target.as_ref().map(|_| "<fn>"))
            .field("normalize", &self.normalize)
            .finish()
    }
}

impl ForestOptions {
    /// These options with a fixed seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// These options with only the named parameters assessed.
    pub fn with_params<S: Into<String>>(mut self, params: impl IntoIterator<Item = S>) -> Self {
        self.params = Some(params.into_iter().map(Into::into).collect());
        self
    }

    /// These options with `target` as what is explained.
    pub fn with_target(mut self, target: impl Fn(&FrozenTrial) -> f64 + Send + Sync + 'static) -> Self {
        self.target = Some(Arc::new(target));
        self
    }

    fn check(&self) -> Result<()> {
        let at_least = |option: &str, value: usize, min: usize| {
            if value >= min {
                Ok(())
            } else {
                Err(Error::InvalidOption {
                    option: option.into(),
                    message: format!("must be at least {min}, got {value}"),
                })
            }
        };
        at_least("n_trees", self.n_trees, 1)?;
        at_least("max_depth", self.max_depth, 1)?;
        at_least("min_samples_split", self.min_samples_split, 2)?;
        at_least("min_samples_leaf", self.min_samples_leaf, 1)?;
        if let Some(max_features) = self.max_features {
            at_least("max_features", max_features, 1)?;
        }
        Ok(())
    }
}

/// How much each parameter mattered, by fANOVA on a random forest fitted
/// to the trials, highest first (ties by name).
///
/// Only complete trials with finite values (finite targets, with a
/// `target`) count. A parameter's importance is the share of the forest's
/// variance over the search space that its marginal explains, averaged
/// over the trees: unnormalized, each lies in [0, 1] and they sum to at
/// most one (the rest is interactions). Parameters are encoded as in
/// the importance module's `encode`: log-scaled ones on the log scale, a
/// conditional parameter's absence as one more value of it. With fewer
/// than two trials, or scores all equal, every importance is zero (equal
/// shares when normalized). Several objectives need a `target`.
///
/// ```
/// use std::sync::Arc;
/// use ferrotune_analysis::importance::{fanova, ForestOptions};
/// use ferrotune_core::{Distribution, FrozenTrial, StudyDirection};
///
/// let x = Distribution::float(0.0, 1.0)?;
/// let trials: Vec<Arc<FrozenTrial>> = (0..100)
///     .map(|i| {
///         let (a, b) = ((i % 10) as f64 / 9.0, (i / 10) as f64 / 9.0);
///         let value = (a - 0.3).powi(2) + 0.01 * b;
///         Arc::new(FrozenTrial::builder(i).param("a", &x, a).param("b", &x, b).value(value).build())
///     })
///     .collect();
/// let importances = fanova(&trials, &[StudyDirection::Minimize], &ForestOptions::default().with_seed(0))?;
/// assert_eq!(importances[0].0, "a");
/// assert!((importances.iter().map(|(_, v)| v).sum::<f64>() - 1.0).abs() < 1e-12);
/// # Ok::<(), ferrotune_core::Error>(())
/// ```
pub fn fanova(
    trials: &[Arc<FrozenTrial>],
    directions: &[StudyDirection],
    options: &ForestOptions,
) -> Result<Vec<(String, f64)>> {
    forest_importance(trials, directions, options, |forest, domains| {
        let decompositions = forest::parallel_map(forest.len(), |i| decompose(&forest[i], domains));
        let mut sums = vec![0.0; domains.len()];
        let mut n_varying = 0;
        for (total, marginals) in decompositions {
            if total > MIN_TREE_VARIANCE {
                n_varying += 1;
                for (sum, marginal) in sums.iter_mut().zip(marginals) {
                    *sum += marginal / total;
                }
            }
        }
        if n_varying > 0 {
            sums.iter_mut().for_each(|s| *s /= n_varying as f64);
        }
        sums
    })
}

/// How much each parameter mattered, by mean decrease in impurity in a
/// random forest fitted to the trials, highest first (ties by name): the
/// variance reduction of the splits on each parameter, weighted by the
/// trials they split, as a share of each tree's, averaged over the trees
/// (scikit-learn's `feature_importances_`, which Optuna's
/// `MeanDecreaseImpurityImportanceEvaluator` reports). Unnormalized, the
/// importances already sum to one (or are all zero). Trials and
/// parameters are taken as by [`fanova`].
pub fn mean_decrease_impurity(
    trials: &[Arc<FrozenTrial>],
    directions: &[StudyDirection],
    options: &ForestOptions,
) -> Result<Vec<(String, f64)>> {
    forest_importance(trials, directions, options, |forest, domains| {
        let mut sums = vec![0.0; domains.len()];
        for tree in forest {
            let decreases = impurity_decreases(tree, domains.len());
            let total: f64 = decreases.iter().sum();
            if total > 0.0 {
                for (sum, decrease) in sums.iter_mut().zip(decreases) {
                    *sum += decrease / total;
                }
            }
        }
        let total: f64 = sums.iter().sum();
        if total > 0.0 {
            sums.iter_mut().for_each(|s| *s /= total);
        }
        sums
    })
}

/// Score the trials, encode the parameters, fit the forest and let
/// `importances` read one number per feature off it.
fn forest_importance(
    trials: &[Arc<FrozenTrial>],
    directions: &[StudyDirection],
    options: &ForestOptions,
    importances: impl FnOnce(&[Tree], &[Domain]) -> Vec<f64>,
) -> Result<Vec<(String, f64)>> {
    options.check()?;
    let scored = scored(trials, directions, options.params.as_deref(), options.target.as_ref())?;
    let mut result: Vec<(String, f64)> = scored.params.iter().map(|name| (name.clone(), 0.0)).collect();
    if scored.trials.len() < 2 {
        return Ok(report(result, options.normalize));
    }
    let Encoded { features, feature_of } = encode(&scored.trials, &scored.params, options.log_scale)?;
    let n_features = features.columns.len();
    let losses = &scored.losses;
    let mean = losses.iter().sum::<f64>() / losses.len() as f64;
    let spread = losses.iter().map(|l| (l - mean).abs()).fold(0.0, f64::max);
    if n_features == 0 || spread == 0.0 {
        return Ok(report(result, options.normalize));
    }
    // Importances are ratios of variances, so the scores are centred and
    // scaled first: the forest then works at the scale of one whatever the
    // objective's units.
    let targets: Vec<f64> = losses.iter().map(|l| (l - mean) / spread).collect();
    let params = ForestParams {
        n_trees: options.n_trees,
        max_depth: options.max_depth,
        min_samples_split: options.min_samples_split,
        min_samples_leaf: options.min_samples_leaf,
        max_features: options.max_features.unwrap_or(n_features).min(n_features),
        bootstrap: true,
    };
    let seed = options.seed.unwrap_or_else(random_seed);
    let forest = forest::fit(&features, &targets, &params, seed);
    let per_feature = importances(&forest, &features.domains);
    for ((_, importance), feature) in result.iter_mut().zip(feature_of) {
        if let Some(feature) = feature {
            *importance = per_feature[feature];
        }
    }
    Ok(report(result, options.normalize))
}

/// A seed from the process's hash randomness and the clock.
fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    hasher.finish()
}

/// Each feature's total impurity decrease in `tree`.
fn impurity_decreases(tree: &Tree, n_features: usize) -> Vec<f64> {
    let mut decreases = vec![0.0; n_features];
    for node in &tree.nodes {
        let feature = match node.split {
            Split::Leaf => continue,
            Split::Below { feature, .. } | Split::InSet { feature, .. } => feature,
        };
        let (left, right) = (&tree.nodes[node.left], &tree.nodes[node.right]);
        let decrease = node.weight * node.impurity - left.weight * left.impurity - right.weight * right.impurity;
        decreases[feature] += decrease.max(0.0);
    }
    decreases
}

/// The leaves of a tree as boxes: for each leaf its value, and along each
/// feature the share of the feature's domain the box covers and where.
struct Boxes {
    n_features: usize,
    values: Vec<f64>,
    /// `shares[leaf * n_features + f]`.
    shares: Vec<f64>,
    /// Each numeric feature's cut points: its domain's ends and the
    /// tree's thresholds on it, sorted (empty for categorical features).
    cuts: Vec<Vec<f64>>,
    /// `bounds[(leaf * n_features + f) * 2..][..2]`: a numeric feature's
    /// stretch `[cuts[f][low], cuts[f][high])`, by index.
    bounds: Vec<u32>,
    /// Each leaf's category sets, `words` u64s per leaf, categorical
    /// feature `f`'s at `set_offsets[f]`.
    sets: Vec<u64>,
    words: usize,
    set_offsets: Vec<usize>,
}

/// One step of the walk over a tree in [`leaf_boxes`].
enum Walk {
    /// Visit a node: record its box if a leaf, else narrow the box for
    /// the left child and schedule the rest.
    Visit(usize),
    /// Set `bounds[i]`.
    SetBound(usize, u32),
    /// Narrow a categorical feature's set to a split's left set, or to its
    /// complement.
    NarrowSet { at: usize, offset: usize, len: usize, left: bool },
    /// Put back the set saved last (and forget it, with `pop`).
    RestoreSet { at: usize, len: usize, pop: bool },
}

/// Walk `tree` from the root, narrowing a box at each split, and record
/// every leaf's box.
fn leaf_boxes(tree: &Tree, domains: &[Domain]) -> Boxes {
    let n_features = domains.len();
    let mut set_offsets = vec![0; n_features];
    let mut words = 0;
    let mut cuts: Vec<Vec<f64>> = domains
        .iter()
        .map(|d| match d {
            Domain::Numeric { low, high, .. } => vec![*low, *high],
            Domain::Categorical { .. } => Vec::new(),
        })
        .collect();
    for node in &tree.nodes {
        if let Split::Below { feature, threshold } = node.split {
            cuts[feature].push(threshold);
        }
    }
    for feature_cuts in &mut cuts {
        feature_cuts.sort_by(f64::total_cmp);
        feature_cuts.dedup();
    }
    let mut root_bounds = vec![0u32; 2 * n_features];
    for (f, domain) in domains.iter().enumerate() {
        match domain {
            Domain::Numeric { .. } => root_bounds[2 * f + 1] = (cuts[f].len() - 1) as u32,
            Domain::Categorical { weights } => {
                set_offsets[f] = words;
                words += weights.len().div_ceil(64);
            }
        }
    }
    let mut root_sets = vec![0u64; words];
    for (f, domain) in domains.iter().enumerate() {
        if let Domain::Categorical { weights } = domain {
            for c in 0..weights.len() {
                root_sets[set_offsets[f] + c / 64] |= 1 << (c % 64);
            }
        }
    }
    let n_leaves = tree.leaves().count();
    let mut boxes = Boxes {
        n_features,
        values: Vec::with_capacity(n_leaves),
        shares: Vec::with_capacity(n_leaves * n_features),
        cuts,
        bounds: Vec::with_capacity(n_leaves * 2 * n_features),
        sets: Vec::with_capacity(n_leaves * words),
        words,
        set_offsets,
    };
    // Depth first with one box, narrowed on the way down and restored on
    // the way up (no box is copied but a leaf's, into `boxes`).
    let (mut bounds, mut sets) = (root_bounds, root_sets);
    let mut saved_words: Vec<u64> = Vec::new();
    let mut stack = vec![Walk::Visit(0)];
    while let Some(step) = stack.pop() {
        match step {
            Walk::Visit(index) => {
                let node = &tree.nodes[index];
                match node.split {
                    Split::Leaf => {
                        boxes.values.push(node.value);
                        for (f, domain) in domains.iter().enumerate() {
                            boxes.shares.push(match domain {
                                Domain::Numeric { low, high, .. } => {
                                    let cuts = &boxes.cuts[f];
                                    (cuts[bounds[2 * f + 1] as usize] - cuts[bounds[2 * f] as usize]) / (high - low)
                                }
                                Domain::Categorical { weights } => {
                                    let offset = boxes.set_offsets[f];
                                    (0..weights.len())
                                        .filter(|&c| sets[offset + c / 64] >> (c % 64) & 1 == 1)
                                        .map(|c| weights[c])
                                        .sum()
                                }
                            });
                        }
                        boxes.bounds.extend_from_slice(&bounds);
                        boxes.sets.extend_from_slice(&sets);
                    }
                    Split::Below { feature, threshold } => {
                        let (low, high) = (2 * feature, 2 * feature + 1);
                        // Every threshold is among the cuts.
                        let threshold = boxes.cuts[feature].partition_point(|&c| c < threshold) as u32;
                        // Popped in reverse: left subtree, restore the high
                        // end, narrow the low end, right subtree, restore it.
                        stack.push(Walk::SetBound(low, bounds[low]));
                        stack.push(Walk::Visit(node.right));
                        stack.push(Walk::SetBound(low, bounds[low].max(threshold)));
                        stack.push(Walk::SetBound(high, bounds[high]));
                        stack.push(Walk::Visit(node.left));
                        bounds[high] = bounds[high].min(threshold);
                    }
                    Split::InSet { feature, offset, len } => {
                        let at = boxes.set_offsets[feature];
                        saved_words.extend_from_slice(&sets[at..at + len]);
                        stack.push(Walk::RestoreSet { at, len, pop: true });
                        stack.push(Walk::Visit(node.right));
                        stack.push(Walk::NarrowSet { at, offset, len, left: false });
                        stack.push(Walk::RestoreSet { at, len, pop: false });
                        stack.push(Walk::Visit(node.left));
                        for (w, &word) in tree.set(offset, len).iter().enumerate() {
                            sets[at + w] &= word;
                        }
                    }
                }
            }
            Walk::SetBound(i, value) => bounds[i] = value,
            Walk::NarrowSet { at, offset, len, left } => {
                for (w, &word) in tree.set(offset, len).iter().enumerate() {
                    sets[at + w] &= if left { word } else { !word };
                }
            }
            Walk::RestoreSet { at, len, pop } => {
                let top = saved_words.len() - len;
                sets[at..at + len].copy_from_slice(&saved_words[top..]);
                if pop {
                    saved_words.truncate(top);
                }
            }
        }
    }
    boxes
}

/// The tree's variance over the whole domain and each feature's marginal
/// variance (the variance of the tree's prediction averaged over every
/// other feature, as a function of that feature alone).
fn decompose(tree: &Tree, domains: &[Domain]) -> (f64, Vec<f64>) {
    let boxes = leaf_boxes(tree, domains);
    let (n_features, n_leaves) = (domains.len(), boxes.values.len());
    let volume = |leaf: usize| boxes.shares[leaf * n_features..][..n_features].iter().product::<f64>();
    let volumes: Vec<f64> = (0..n_leaves).map(volume).collect();
    let total_volume: f64 = volumes.iter().sum();
    let mean = volumes.iter().zip(&boxes.values).map(|(v, x)| v * x).sum::<f64>() / total_volume;
    let total = volumes.iter().zip(&boxes.values).map(|(v, x)| v * (x - mean).powi(2)).sum::<f64>() / total_volume;

    // g[leaf * n + f]: the leaf's centred value times its volume along
    // every feature but f, what it adds to f's marginal where it covers f.
    let mut g = vec![0.0; n_leaves * n_features];
    let mut prefix = vec![1.0; n_features + 1];
    for leaf in 0..n_leaves {
        let shares = &boxes.shares[leaf * n_features..][..n_features];
        for f in 0..n_features {
            prefix[f + 1] = prefix[f] * shares[f];
        }
        let (centred, mut suffix) = ((boxes.values[leaf] - mean) / total_volume, 1.0);
        for f in (0..n_features).rev() {
            g[leaf * n_features + f] = centred * prefix[f] * suffix;
            suffix *= shares[f];
        }
    }

    let marginals = (0..n_features)
        .map(|f| match &domains[f] {
            Domain::Numeric { low, high, .. } => numeric_marginal_variance(&boxes, &g, f, *low, *high),
            Domain::Categorical { weights } => categorical_marginal_variance(&boxes, &g, f, weights),
        })
        .collect();
    (total, marginals)
}

/// The variance of numeric feature `f`'s marginal: a step function on the
/// cells between the tree's thresholds on `f`.
fn numeric_marginal_variance(boxes: &Boxes, g: &[f64], f: usize, low: f64, high: f64) -> f64 {
    let cuts = &boxes.cuts[f];
    if cuts.len() <= 2 {
        return 0.0;
    }
    let n = boxes.n_features;
    let mut steps = vec![0.0; cuts.len()];
    for leaf in 0..boxes.values.len() {
        let at = (leaf * n + f) * 2;
        let (lo, hi) = (boxes.bounds[at] as usize, boxes.bounds[at + 1] as usize);
        steps[lo] += g[leaf * n + f];
        steps[hi] -= g[leaf * n + f];
    }
    let mut level = 0.0;
    let cells: Vec<(f64, f64)> = cuts
        .windows(2)
        .zip(&steps)
        .map(|(cell, step)| {
            level += step;
            ((cell[1] - cell[0]) / (high - low), level)
        })
        .collect();
    weighted_variance(&cells)
}

/// The variance of categorical feature `f`'s marginal over its categories.
fn categorical_marginal_variance(boxes: &Boxes, g: &[f64], f: usize, weights: &[f64]) -> f64 {
    let n = boxes.n_features;
    let mut levels = vec![0.0; weights.len()];
    for leaf in 0..boxes.values.len() {
        let sets = &boxes.sets[leaf * boxes.words + boxes.set_offsets[f]..];
        for (c, level) in levels.iter_mut().enumerate() {
            if sets[c / 64] >> (c % 64) & 1 == 1 {
                *level += g[leaf * n + f];
            }
        }
    }
    let cells: Vec<(f64, f64)> = weights.iter().copied().zip(levels).collect();
    weighted_variance(&cells)
}

/// The variance of values given with their weights (summing to one).
fn weighted_variance(cells: &[(f64, f64)]) -> f64 {
    let total: f64 = cells.iter().map(|(w, _)| w).sum();
    let mean = cells.iter().map(|(w, x)| w * x).sum::<f64>() / total;
    cells.iter().map(|(w, x)| w * (x - mean).powi(2)).sum::<f64>() / total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forest::Features;

    /// Exact trees on a grid: without bootstrap and with every grid point
    /// once, the tree is the function itself, so its fANOVA is the
    /// function's, known in closed form.
    #[test]
    fn an_additive_function_on_a_grid_decomposes_exactly() {
        // f(x, y) = a(x) + b(y) on a 4 x 5 grid: each marginal's variance is
        // the variance of its term and the total is their sum.
        let a = [0.0, 3.0, 1.0, 2.0];
        let b = [0.0, 0.5, 0.0, 1.0, 0.5];
        let (mut xs, mut ys, mut fs) = (Vec::new(), Vec::new(), Vec::new());
        for (i, ai) in a.iter().enumerate() {
            for (j, bj) in b.iter().enumerate() {
                xs.push(i as f64);
                ys.push(j as f64);
                fs.push(ai + bj);
            }
        }
        let domains = vec![
            Domain::Numeric { low: -0.5, high: 3.5, boundary: None },
            Domain::Numeric { low: -0.5, high: 4.5, boundary: None },
        ];
        let features = Features { columns: vec![xs, ys], domains: domains.clone() };
        let params = ForestParams {
            n_trees: 1,
            max_depth: 64,
            min_samples_split: 2,
            min_samples_leaf: 1,
            max_features: 2,
            bootstrap: false,
        };
        let tree = &forest::fit(&features, &fs, &params, 0)[0];
        let (total, marginals) = decompose(tree, &domains);
        let variance = |v: &[f64]| {
            let m = v.iter().sum::<f64>() / v.len() as f64;
            v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len() as f64
        };
        assert!((marginals[0] - variance(&a)).abs() < 1e-12, "{marginals:?}");
        assert!((marginals[1] - variance(&b)).abs() < 1e-12, "{marginals:?}");
        assert!((total - variance(&a) - variance(&b)).abs() < 1e-12, "{total}");
    }

    #[test]
    fn a_pure_interaction_has_no_main_effects() {
        // XOR of two binary features: each marginal is flat.
        let xs = vec![0.0, 0.0, 1.0, 1.0];
        let cs = vec![0.0, 1.0, 0.0, 1.0];
        let fs = vec![0.0, 1.0, 1.0, 0.0];
        let domains = vec![
            Domain::Numeric { low: -0.5, high: 1.5, boundary: None },
            Domain::Categorical { weights: vec![0.5, 0.5] },
        ];
        let features = Features { columns: vec![xs, cs], domains: domains.clone() };
        let params = ForestParams {
            n_trees: 1,
            max_depth: 64,
            min_samples_split: 2,
            min_samples_leaf: 1,
            max_features: 2,
            bootstrap: false,
        };
        let tree = &forest::fit(&features, &fs, &params, 0)[0];
        let (total, marginals) = decompose(tree, &domains);
        assert!((total - 0.25).abs() < 1e-12);
        assert!(marginals.iter().all(|m| m.abs() < 1e-12), "{marginals:?}");
    }

    #[test]
    fn category_weights_shape_the_marginal() {
        // One categorical feature with weights 0.75 / 0.25 and values 0 / 1:
        // variance 0.75 * 0.25.
        let domains = vec![Domain::Categorical { weights: vec![0.75, 0.25] }];
        let features = Features { columns: vec![vec![0.0, 1.0, 0.0, 1.0]], domains: domains.clone() };
        let params = ForestParams {
            n_trees: 1,
            max_depth: 64,
            min_samples_split: 2,
            min_samples_leaf: 1,
            max_features: 1,
            bootstrap: false,
        };
        let tree = &forest::fit(&features, &[0.0, 1.0, 0.0, 1.0], &params, 0)[0];
        let (total, marginals) = decompose(tree, &domains);
        assert!((total - 0.1875).abs() < 1e-12 && (marginals[0] - 0.1875).abs() < 1e-12, "{total} {marginals:?}");
    }
}
