//! One regression tree, grown depth-first on a bootstrap sample.
//!
//! Design decision: each numeric feature's samples are kept sorted by
//! that feature for the whole growth (sorted once per forest, filtered to
//! the tree's bootstrap sample, then stably partitioned at every split),
//! so finding a node's best threshold is one linear scan per feature and
//! a tree costs O(samples x features x depth), with no sorting per node.

use super::{Domain, Features, ForestParams, SplitMix64};

/// How a node sends a sample on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Split {
    /// A leaf: predicts its `value`.
    Leaf,
    /// Left when the feature's value is below `threshold`, else right.
    Below { feature: usize, threshold: f64 },
    /// Left when the feature's category is in the set kept at
    /// `sets[offset..offset + len]` (a bitset), else right.
    InSet { feature: usize, offset: usize, len: usize },
}

/// A node of a tree; the root is node 0 and children come after their
/// parent.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub split: Split,
    /// The children's indices (meaningless for a leaf).
    pub left: usize,
    pub right: usize,
    /// The weighted mean of the node's targets.
    pub value: f64,
    /// The node's bootstrap weight (samples counted with multiplicity).
    pub weight: f64,
    /// The weighted variance of the node's targets.
    pub impurity: f64,
}

/// A grown tree.
#[derive(Debug, Clone)]
pub(crate) struct Tree {
    pub nodes: Vec<Node>,
    sets: Vec<u64>,
}

impl Tree {
    /// Whether `category` goes left at a split on a set.
    #[cfg(test)]
    pub(crate) fn in_set(&self, offset: usize, len: usize, category: usize) -> bool {
        let word = category / 64;
        word < len && self.sets[offset + word] >> (category % 64) & 1 == 1
    }

    /// The bitset of a split on a set.
    pub(crate) fn set(&self, offset: usize, len: usize) -> &[u64] {
        &self.sets[offset..offset + len]
    }

    /// The leaves, in node order.
    pub(crate) fn leaves(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(|n| n.split == Split::Leaf)
    }

    /// The prediction at `x` (one value per feature).
    #[cfg(test)]
    pub(crate) fn predict(&self, x: &[f64]) -> f64 {
        let mut node = &self.nodes[0];
        loop {
            let left = match node.split {
                Split::Leaf => return node.value,
                Split::Below { feature, threshold } => x[feature] < threshold,
                Split::InSet { feature, offset, len } => self.in_set(offset, len, x[feature] as usize),
            };
            node = &self.nodes[if left { node.left } else { node.right }];
        }
    }
}

/// The best split found so far at a node.
struct Candidate {
    feature: usize,
    /// Σ over both children of (weighted sum of the targets less their
    /// overall mean)² / weight: larger is a larger decrease in impurity.
    proxy: f64,
    kind: CandidateKind,
}

enum CandidateKind {
    Numeric {
        threshold: f64,
    },
    /// Whether each category goes left (those the node has no sample of
    /// follow the heavier side).
    Categorical {
        left: Vec<bool>,
    },
}

/// One numeric feature's samples in increasing order of its value.
struct Sorted {
    samples: Vec<u32>,
    values: Vec<f64>,
}

struct Grower<'a> {
    features: &'a Features,
    categories: &'a [Option<Vec<u32>>],
    targets: &'a [f64],
    params: &'a ForestParams,
    rng: &'a mut SplitMix64,
    /// Bootstrap multiplicity of each sample (0: not in this tree).
    weights: Vec<f64>,
    /// The tree's samples; a node owns `samples[start..end]`.
    samples: Vec<u32>,
    /// For each numeric feature, the tree's samples sorted by it, with
    /// their values alongside (so a scan reads them in order); a node owns
    /// the same range in each.
    orders: Vec<Option<Sorted>>,
    /// Each sample's bootstrap weight and weighted target less the
    /// targets' mean, side by side for the scans.
    weighted: Vec<[f64; 2]>,
    target_mean: f64,
    goes_left: Vec<bool>,
    scratch: Vec<u32>,
    scratch_values: Vec<f64>,
    feature_order: Vec<usize>,
    category_weight: Vec<f64>,
    category_sum: Vec<f64>,
    category_count: Vec<usize>,
    category_order: Vec<usize>,
    /// A node whose impurity is at most this is pure.
    impurity_floor: f64,
    nodes: Vec<Node>,
    sets: Vec<u64>,
}

/// Grow a tree on a bootstrap sample of the data (or on every sample
/// once, without bootstrap). `sorted[f]` holds every sample sorted by
/// numeric feature `f`, `categories[f]` categorical feature `f`'s values.
pub(super) fn grow(
    features: &Features,
    targets: &[f64],
    sorted: &[Option<Vec<u32>>],
    categories: &[Option<Vec<u32>>],
    params: &ForestParams,
    rng: &mut SplitMix64,
) -> Tree {
    let n = features.n_samples();
    let mut weights = vec![0.0; n];
    if params.bootstrap {
        for _ in 0..n {
            weights[rng.below(n)] += 1.0;
        }
    } else {
        weights.fill(1.0);
    }
    let samples: Vec<u32> = (0..n as u32).filter(|&i| weights[i as usize] > 0.0).collect();
    let orders = sorted
        .iter()
        .zip(&features.columns)
        .map(|(order, column)| {
            order.as_ref().map(|o| {
                let samples: Vec<u32> = o.iter().copied().filter(|&i| weights[i as usize] > 0.0).collect();
                let values = samples.iter().map(|&i| column[i as usize]).collect();
                Sorted { samples, values }
            })
        })
        .collect();
    let max_categories =
        features.domains.iter().map(|d| if let Domain::Categorical { weights } = d { weights.len() } else { 0 }).max();
    let max_categories = max_categories.unwrap_or(0);
    // Pure means a variance this small against the targets' own, the
    // scale-free form of scikit-learn's absolute machine-epsilon floor.
    let mean = targets.iter().sum::<f64>() / n.max(1) as f64;
    let variance = targets.iter().map(|y| (y - mean).powi(2)).sum::<f64>() / n.max(1) as f64;
    // The scans sum weighted targets less their mean (the node's split
    // proxy is then free of a large offset's rounding).
    let weighted = weights.iter().zip(targets).map(|(&w, &y)| [w, w * (y - mean)]).collect();
    let mut grower = Grower {
        features,
        categories,
        targets,
        params,
        rng,
        weights,
        samples,
        orders,
        weighted,
        target_mean: mean,
        goes_left: vec![false; n],
        scratch: Vec::new(),
        scratch_values: Vec::new(),
        feature_order: (0..features.columns.len()).collect(),
        category_weight: vec![0.0; max_categories],
        category_sum: vec![0.0; max_categories],
        category_count: vec![0; max_categories],
        category_order: Vec::with_capacity(max_categories),
        impurity_floor: f64::EPSILON * variance,
        nodes: Vec::new(),
        sets: Vec::new(),
    };
    grower.grow();
    Tree { nodes: grower.nodes, sets: grower.sets }
}

impl Grower<'_> {
    fn grow(&mut self) {
        let placeholder = Node { split: Split::Leaf, left: 0, right: 0, value: 0.0, weight: 0.0, impurity: 0.0 };
        self.nodes.push(placeholder.clone());
        let mut stack = vec![(0usize, 0usize, self.samples.len(), 0usize)];
        while let Some((index, start, end, depth)) = stack.pop() {
            let (weight, mean, total, impurity) = self.stats(start, end);
            let node = &mut self.nodes[index];
            (node.value, node.weight, node.impurity) = (mean, weight, impurity);
            let count = end - start;
            let p = self.params;
            if depth >= p.max_depth
                || count < p.min_samples_split
                || count < p.min_samples_leaf.saturating_mul(2)
                || impurity <= self.impurity_floor
            {
                continue;
            }
            let Some(best) = self.best_split(start, end, weight, total) else { continue };
            let n_left = self.partition(start, end, &best);
            let split = match best.kind {
                CandidateKind::Numeric { threshold } => Split::Below { feature: best.feature, threshold },
                CandidateKind::Categorical { left } => {
                    let len = left.len().div_ceil(64);
                    let offset = self.sets.len();
                    self.sets.resize(offset + len, 0);
                    for c in (0..left.len()).filter(|&c| left[c]) {
                        self.sets[offset + c / 64] |= 1 << (c % 64);
                    }
                    Split::InSet { feature: best.feature, offset, len }
                }
            };
            let (left, right) = (self.nodes.len(), self.nodes.len() + 1);
            self.nodes.push(placeholder.clone());
            self.nodes.push(placeholder.clone());
            let node = &mut self.nodes[index];
            (node.split, node.left, node.right) = (split, left, right);
            stack.push((right, start + n_left, end, depth + 1));
            stack.push((left, start, start + n_left, depth + 1));
        }
    }

    /// The node's weight, weighted mean, weighted sum of the targets less
    /// their overall mean (what the scans sum) and weighted variance (by
    /// two passes, exact however far the mean is from zero).
    fn stats(&self, start: usize, end: usize) -> (f64, f64, f64, f64) {
        let (mut weight, mut total) = (0.0, 0.0);
        for &s in &self.samples[start..end] {
            let [w, wy] = self.weighted[s as usize];
            weight += w;
            total += wy;
        }
        let mean = self.target_mean + total / weight;
        let mut squares = 0.0;
        for &s in &self.samples[start..end] {
            let (w, d) = (self.weights[s as usize], self.targets[s as usize] - mean);
            squares += w * d * d;
        }
        (weight, mean, total, squares / weight)
    }

    /// The split of the node `start..end` that most reduces the weighted
    /// variance, among `max_features` features that vary in the node
    /// (drawn at random when fewer than all), or None when none can split.
    fn best_split(&mut self, start: usize, end: usize, weight: f64, total: f64) -> Option<Candidate> {
        let n_features = self.feature_order.len();
        let draw = self.params.max_features < n_features;
        let mut best: Option<Candidate> = None;
        let mut visited = 0;
        for k in 0..n_features {
            if visited >= self.params.max_features {
                break;
            }
            if draw {
                let j = k + self.rng.below(n_features - k);
                self.feature_order.swap(k, j);
            }
            let feature = self.feature_order[k];
            let floor = best.as_ref().map_or(f64::NEG_INFINITY, |b| b.proxy);
            let (varies, found) = match &self.features.domains[feature] {
                Domain::Numeric { boundary, .. } => {
                    self.scan_numeric(feature, *boundary, start, end, weight, total, floor)
                }
                Domain::Categorical { weights } => {
                    self.scan_categorical(feature, weights.len(), start, end, weight, total, floor)
                }
            };
            if varies {
                visited += 1;
            }
            if found.is_some() {
                best = found;
            }
        }
        best
    }

    /// Whether the feature varies in the node, and its best threshold if
    /// that beats `floor`.
    #[allow(clippy::too_many_arguments)]
    fn scan_numeric(
        &self,
        feature: usize,
        boundary: Option<f64>,
        start: usize,
        end: usize,
        weight: f64,
        total: f64,
        floor: f64,
    ) -> (bool, Option<Candidate>) {
        let sorted = self.orders[feature].as_ref().expect("numeric features are presorted");
        let (samples, values) = (&sorted.samples[start..end], &sorted.values[start..end]);
        let count = samples.len();
        if values[0] >= values[count - 1] {
            return (false, None);
        }
        let min_leaf = self.params.min_samples_leaf;
        let (mut best_proxy, mut best_threshold) = (floor, None);
        let (mut weight_left, mut sum_left) = (0.0, 0.0);
        for i in 0..count - min_leaf {
            let [w, wy] = self.weighted[samples[i] as usize];
            weight_left += w;
            sum_left += wy;
            let (a, b) = (values[i], values[i + 1]);
            if b <= a || i + 1 < min_leaf {
                continue;
            }
            // proxy = sl² / wl + sr² / wr, compared without dividing
            // (the scan's cost is mostly here).
            let (sum_right, weight_right) = (total - sum_left, weight - weight_left);
            let numerator = sum_left * sum_left * weight_right + sum_right * sum_right * weight_left;
            let denominator = weight_left * weight_right;
            if numerator > best_proxy * denominator {
                best_proxy = numerator / denominator;
                best_threshold = Some(threshold_between(a, b, boundary));
            }
        }
        let candidate = best_threshold.map(|threshold| Candidate {
            feature,
            proxy: best_proxy,
            kind: CandidateKind::Numeric { threshold },
        });
        (true, candidate)
    }

    /// Whether the feature varies in the node, and its best split into
    /// two sets of categories if that beats `floor`: the categories sorted
    /// by mean target, cut once (Breiman: for squared error the best
    /// split into two sets is among these).
    #[allow(clippy::too_many_arguments)]
    fn scan_categorical(
        &mut self,
        feature: usize,
        n_categories: usize,
        start: usize,
        end: usize,
        weight: f64,
        total: f64,
        floor: f64,
    ) -> (bool, Option<Candidate>) {
        let column = self.categories[feature].as_ref().expect("categorical features are indexed");
        self.category_weight[..n_categories].fill(0.0);
        self.category_sum[..n_categories].fill(0.0);
        self.category_count[..n_categories].fill(0);
        for &s in &self.samples[start..end] {
            let (s, c) = (s as usize, column[s as usize] as usize);
            let [w, wy] = self.weighted[s];
            self.category_weight[c] += w;
            self.category_sum[c] += wy;
            self.category_count[c] += 1;
        }
        self.category_order.clear();
        self.category_order.extend((0..n_categories).filter(|&c| self.category_count[c] > 0));
        if self.category_order.len() < 2 {
            return (false, None);
        }
        let (sums, weights) = (&self.category_sum, &self.category_weight);
        self.category_order.sort_by(|&a, &b| (sums[a] / weights[a]).total_cmp(&(sums[b] / weights[b])).then(a.cmp(&b)));
        let min_leaf = self.params.min_samples_leaf;
        let count = end - start;
        let (mut best_proxy, mut best_cut) = (floor, None);
        let (mut weight_left, mut sum_left, mut count_left) = (0.0, 0.0, 0);
        for (j, &c) in self.category_order[..self.category_order.len() - 1].iter().enumerate() {
            weight_left += weights[c];
            sum_left += sums[c];
            count_left += self.category_count[c];
            if count_left < min_leaf || count - count_left < min_leaf {
                continue;
            }
            let sum_right = total - sum_left;
            let proxy = sum_left * sum_left / weight_left + sum_right * sum_right / (weight - weight_left);
            if proxy > best_proxy {
                best_proxy = proxy;
                best_cut = Some((j + 1, weight_left));
            }
        }
        let candidate = best_cut.map(|(cut, weight_left)| {
            let mut left = vec![weight_left >= weight - weight_left; n_categories];
            for (j, &c) in self.category_order.iter().enumerate() {
                left[c] = j < cut;
            }
            Candidate { feature, proxy: best_proxy, kind: CandidateKind::Categorical { left } }
        });
        (true, candidate)
    }

    /// Reorder the node's range in every array so the samples going left
    /// come first (each array keeping its order); returns how many go left.
    fn partition(&mut self, start: usize, end: usize, split: &Candidate) -> usize {
        let column = &self.features.columns[split.feature];
        for &s in &self.samples[start..end] {
            let value = column[s as usize];
            self.goes_left[s as usize] = match &split.kind {
                CandidateKind::Numeric { threshold } => value < *threshold,
                CandidateKind::Categorical { left } => left[value as usize],
            };
        }
        let n_left = stable_partition(&mut self.samples[start..end], &self.goes_left, &mut self.scratch);
        for sorted in self.orders.iter_mut().flatten() {
            stable_partition_with_values(
                &mut sorted.samples[start..end],
                &mut sorted.values[start..end],
                &self.goes_left,
                &mut self.scratch,
                &mut self.scratch_values,
            );
        }
        n_left
    }
}

/// Move the samples going left to the front, keeping the order on both
/// sides; returns how many go left.
///
/// Branch-free: which side a sample goes is a coin flip to the processor,
/// so each sample is written to both sides and only the counts depend on
/// it (a mispredicted branch per sample cost more than the whole copy).
fn stable_partition(samples: &mut [u32], goes_left: &[bool], scratch: &mut Vec<u32>) -> usize {
    scratch.resize(samples.len(), 0);
    let (mut n_left, mut n_right) = (0, 0);
    for i in 0..samples.len() {
        let s = samples[i];
        let left = usize::from(goes_left[s as usize]);
        // n_left <= i: a right sample's write is overwritten by the next
        // left one or by the copy below.
        samples[n_left] = s;
        scratch[n_right] = s;
        n_left += left;
        n_right += 1 - left;
    }
    samples[n_left..].copy_from_slice(&scratch[..n_right]);
    n_left
}

/// [`stable_partition`] of samples with their values alongside.
fn stable_partition_with_values(
    samples: &mut [u32],
    values: &mut [f64],
    goes_left: &[bool],
    scratch: &mut Vec<u32>,
    scratch_values: &mut Vec<f64>,
) {
    scratch.resize(samples.len(), 0);
    scratch_values.resize(samples.len(), 0.0);
    let (mut n_left, mut n_right) = (0, 0);
    for i in 0..samples.len() {
        let (s, v) = (samples[i], values[i]);
        let left = usize::from(goes_left[s as usize]);
        samples[n_left] = s;
        values[n_left] = v;
        scratch[n_right] = s;
        scratch_values[n_right] = v;
        n_left += left;
        n_right += 1 - left;
    }
    samples[n_left..].copy_from_slice(&scratch[..n_right]);
    values[n_left..].copy_from_slice(&scratch_values[..n_right]);
}

/// A threshold `t` with `a < t <= b` (values below `t` go left): the
/// domain's `boundary` when it lies there, else the midpoint (or `b`
/// when `a` and `b` are adjacent floats).
fn threshold_between(a: f64, b: f64, boundary: Option<f64>) -> f64 {
    if let Some(t) = boundary.filter(|&t| a < t && t <= b) {
        return t;
    }
    let mid = a * 0.5 + b * 0.5;
    if mid > a {
        mid
    } else {
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_separate_the_two_values() {
        assert_eq!(threshold_between(1.0, 3.0, None), 2.0);
        assert_eq!(threshold_between(1.0, 3.0, Some(2.5)), 2.5);
        assert_eq!(threshold_between(1.0, 3.0, Some(3.0)), 3.0);
        assert_eq!(threshold_between(1.0, 3.0, Some(1.0)), 2.0);
        let a = 1.0f64;
        let b = f64::from_bits(a.to_bits() + 1);
        let t = threshold_between(a, b, None);
        assert!(a < t && t <= b);
    }

    #[test]
    fn stable_partition_keeps_each_side_in_order() {
        let mut samples = vec![5, 1, 4, 2, 3, 0];
        let goes_left = [true, false, true, false, true, false];
        let n = stable_partition(&mut samples, &goes_left, &mut Vec::new());
        assert_eq!((n, samples), (3, vec![4, 2, 0, 5, 1, 3]));
    }

    #[test]
    fn a_categorical_split_groups_the_categories_by_mean() {
        // Categories 0 and 2 have mean 0, categories 1 and 3 mean 10: one
        // split on the set {0, 2} separates them.
        let n = 40;
        let x: Vec<f64> = (0..n).map(|i| (i % 4) as f64).collect();
        let y: Vec<f64> = x.iter().map(|&c| if c == 1.0 || c == 3.0 { 10.0 } else { 0.0 }).collect();
        let features = Features { columns: vec![x], domains: vec![Domain::Categorical { weights: vec![0.25; 4] }] };
        let params = ForestParams {
            n_trees: 1,
            max_depth: 64,
            min_samples_split: 2,
            min_samples_leaf: 1,
            max_features: 1,
            bootstrap: false,
        };
        let tree = &super::super::fit(&features, &y, &params, 0)[0];
        assert_eq!(tree.nodes.len(), 3, "{tree:?}");
        let Split::InSet { offset, len, .. } = tree.nodes[0].split else { panic!("{tree:?}") };
        let left: Vec<bool> = (0..4).map(|c| tree.in_set(offset, len, c)).collect();
        assert!(left == [true, false, true, false] || left == [false, true, false, true], "{left:?}");
        for c in 0..4 {
            assert_eq!(tree.predict(&[c as f64]), if c % 2 == 1 { 10.0 } else { 0.0 });
        }
    }

    #[test]
    fn depth_and_leaf_size_limits_hold() {
        let n = 64;
        let x: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let y: Vec<f64> = x.iter().map(|v| v * v).collect();
        let features =
            Features { columns: vec![x], domains: vec![Domain::Numeric { low: 0.0, high: 64.0, boundary: None }] };
        let base = ForestParams {
            n_trees: 1,
            max_depth: 64,
            min_samples_split: 2,
            min_samples_leaf: 1,
            max_features: 1,
            bootstrap: false,
        };
        let depth_of = |tree: &Tree| {
            let mut depth = vec![0; tree.nodes.len()];
            for (i, node) in tree.nodes.iter().enumerate() {
                if node.split != Split::Leaf {
                    depth[node.left] = depth[i] + 1;
                    depth[node.right] = depth[i] + 1;
                }
            }
            depth.into_iter().max().unwrap()
        };
        let shallow = &super::super::fit(&features, &y, &ForestParams { max_depth: 3, ..base }, 0)[0];
        assert_eq!(depth_of(shallow), 3);
        assert_eq!(shallow.leaves().count(), 8);
        let leafy = &super::super::fit(&features, &y, &ForestParams { min_samples_leaf: 5, ..base }, 0)[0];
        assert!(leafy.leaves().all(|l| l.weight >= 5.0), "{leafy:?}");
        let split = &super::super::fit(&features, &y, &ForestParams { min_samples_split: 20, ..base }, 0)[0];
        for node in &split.nodes {
            if node.split != Split::Leaf {
                assert!(node.weight >= 20.0);
            }
        }
    }
}
