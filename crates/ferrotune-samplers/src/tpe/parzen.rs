//! The Parzen estimator: a weighted mixture of product kernels, one kernel
//! per observation plus a broad prior kernel.
//!
//! Numeric parameters get a truncated normal per kernel, in log space for
//! log-scale parameters, with bounds widened by half a step for stepped and
//! integer ones (whose density is then the probability mass of the value's
//! bin). A kernel's bandwidth is the larger gap to its sorted neighbours,
//! clipped to `[range / min(100, n + 2), range]` (the "magic clip", whose
//! floor and exponent are options); the
//! prior kernel sits mid-range with the whole range as bandwidth.
//! Categorical parameters get, per kernel, the prior weight spread over the
//! choices plus one on the observed choice. This is the estimator of
//! Bergstra et al. (2011) with the refinements Watanabe (2023) describes
//! and Optuna 5 uses.
//!
//! Design decision: densities are evaluated kernel-major in plain `Vec<f64>`
//! columns (structure of arrays), so the inner loop over kernels is a
//! straight-line, vectorizable sum, a block of kernels at a time for every
//! candidate (the block stays in L1 cache); each candidate's mixture is a
//! log-sum-exp kept running over the blocks.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::ops::Range;

use ferrotune_core::Distribution;
use rand::Rng;

use super::buffers::Buffers;
use super::memo::Rows;
#[cfg(test)]
use super::memo::ROW_KEY;
use super::truncnorm::{log_gauss_mass, sample_standard, TAIL_FREE};
use crate::numerics::LN_SQRT_2PI;

/// Estimator options shared by every estimator of one sampler.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ParzenOptions {
    pub(crate) prior_weight: f64,
    pub(crate) consider_magic_clip: bool,
    pub(crate) consider_endpoints: bool,
    /// With the magic clip, bandwidths stay above `range * max(factor,
    /// (n + 2)^-exponent)` for `n` observations. Optuna's clip, `range /
    /// min(100, n + 2)`, is factor 0.01 and exponent 1; Watanabe (2023)
    /// recommends 0.03 and 2.
    pub(crate) min_bandwidth_factor: f64,
    pub(crate) magic_clip_exponent: f64,
}

impl ParzenOptions {
    /// Optuna 5's estimator.
    pub(crate) const OPTUNA: ParzenOptions = ParzenOptions {
        prior_weight: 1.0,
        consider_magic_clip: true,
        consider_endpoints: false,
        min_bandwidth_factor: 0.01,
        magic_clip_exponent: 1.0,
    };

    /// The smallest bandwidth of `n` observations over a range `range`.
    fn min_bandwidth(&self, range: f64, n: usize) -> f64 {
        if !self.consider_magic_clip {
            return MIN_SIGMA;
        }
        // Written as a division so that Optuna's setting gives exactly its
        // `range / min(100, n + 2)` (`powf(1.0)` is exact, 1 / 0.01 rounds
        // to 100).
        range / (n as f64 + 2.0).powf(self.magic_clip_exponent).min(1.0 / self.min_bandwidth_factor)
    }
}

/// The smallest bandwidth without the magic clip.
const MIN_SIGMA: f64 = 1e-12;

/// Mixture terms this far below the largest (in log) add less than e^-40
/// relative each; the log-sum-exp leaves them out.
const NEGLIGIBLE_LOG: f64 = 40.0;

/// A numeric parameter's range: bounds of the values themselves, the grid
/// step of ints and stepped floats, and whether it is modelled in log.
#[derive(Debug, Clone, Copy)]
struct Axis {
    low: f64,
    high: f64,
    step: Option<f64>,
    log: bool,
    /// See [`super::memo::model_scale`].
    scale: f64,
}

#[derive(Debug, Clone)]
struct NumericDim {
    /// Bounds of the values themselves (internal representation).
    low: f64,
    high: f64,
    /// Grid step for ints and stepped floats.
    step: Option<f64>,
    log: bool,
    /// What linear values are multiplied by in model space (see
    /// [`super::memo::model_scale`]; 1 for log scales).
    scale: f64,
    /// Bounds in model space: log-transformed, widened by half a step.
    model_low: f64,
    model_high: f64,
    mus: Vec<f64>,
    sigmas: Vec<f64>,
    /// Per kernel, what evaluation multiplies distances by: `1 / (sigma
    /// sqrt 2)` for continuous parameters (so `-z^2 / 2` is `-((x - mu) *
    /// scale)^2`), `1 / sigma` for stepped ones.
    scales: Vec<f64>,
    /// Continuous parameters, per kernel: `mu * scale`, so evaluation
    /// computes `(x - mu) * scale` as one multiply-add (empty for stepped).
    offsets: Vec<f64>,
}

#[derive(Debug, Clone)]
struct CategoricalDim {
    n_choices: usize,
    /// `n_kernels x n_choices`, each row summing to one.
    probs: Vec<f64>,
    /// The same, transposed and in log: `n_choices x n_kernels`, so that
    /// evaluation reads one contiguous row per point.
    log_probs_by_choice: Vec<f64>,
}

#[derive(Debug, Clone)]
enum Dim {
    Numeric(NumericDim),
    Categorical(CategoricalDim),
}

/// A mixture of product kernels over a search space of `d` parameters.
#[derive(Debug, Clone)]
pub(crate) struct ParzenEstimator {
    weights: Vec<f64>,
    /// Per kernel: every numeric dimension's constant log-density terms,
    /// so evaluation adds only what depends on the point. (The weights are
    /// applied after the exponential: no logarithm per kernel.)
    base: Vec<f64>,
    dims: Vec<Dim>,
}

impl NumericDim {
    fn to_model(&self, x: f64) -> f64 {
        if self.log {
            x.ln()
        } else {
            x * self.scale
        }
    }

    /// The dimension of the kernels centred at `mus` (model space, one per
    /// observation; the prior's is added here), given in value order by
    /// `sorted` (keys, read by `rows`, and values); adds each kernel's log
    /// normalizer (minus the log of its truncation mass, and for a
    /// continuous parameter minus `ln(sigma sqrt(2 pi))` too) to `base`.
    fn new(
        mut mus: Vec<f64>,
        (order, sorted): (&[u32], &[f64]),
        rows: &Rows,
        axis: Axis,
        options: &ParzenOptions,
        base: &mut [f64],
        buffers: &mut Buffers,
    ) -> Self {
        let Axis { low, high, step, log, scale } = axis;
        let half = step.map_or(0.0, |s| s * scale / 2.0);
        let (mut model_low, mut model_high) = (low * scale - half, high * scale + half);
        if log {
            (model_low, model_high) = (model_low.ln(), model_high.ln());
        }
        let range = model_high - model_low;
        debug_assert!(order.len() == mus.len() && sorted.len() == mus.len());
        let min_sigma = options.min_bandwidth(range, mus.len());
        // With many observations nearly every bandwidth is the clipped
        // minimum and nearly every kernel sits well inside the bounds (its
        // tail mass below 1e-17, so the log of its truncation mass is zero
        // to double precision): that common case costs a comparison, and the
        // divisions and logarithms of the general case (a fifth of a
        // proposal at 5,000 trials when computed for every kernel) are out
        // of line, where the compiler cannot compute them speculatively for
        // every kernel.
        let continuous = step.is_none();
        let scale_factor = if continuous { std::f64::consts::FRAC_1_SQRT_2 } else { 1.0 };
        let common_scale = scale_factor / min_sigma;
        let common_log_norm = if continuous { -min_sigma.ln() - LN_SQRT_2PI } else { 0.0 };
        let bounds = (model_low, model_high);
        let n = mus.len();
        let n_kernels = n + 1;
        // The bandwidth is the larger distance to the neighbours in value
        // order, the bounds counting as neighbours; without
        // `consider_endpoints` the outermost observations look only inward
        // (and one observation alone has the bounds for neighbours).
        let mut by_rank = buffers.f64s();
        match sorted {
            [] => {}
            [mu] => by_rank.push((mu - model_low).max(model_high - mu)),
            [first, second, ..] => {
                let endpoints = options.consider_endpoints;
                let (last, before_last) = (sorted[sorted.len() - 1], sorted[sorted.len() - 2]);
                by_rank.push(if endpoints { (first - model_low).max(second - first) } else { second - first });
                by_rank.extend(sorted.windows(3).map(|w| (w[1] - w[0]).max(w[2] - w[1])));
                by_rank.push(if endpoints { (last - before_last).max(model_high - last) } else { last - before_last });
            }
        }
        // Filled with the common case, written over for the others only.
        let [mut sigmas, mut scales] = [buffers.f64s(), buffers.f64s()];
        sigmas.resize(n_kernels, min_sigma);
        scales.resize(n_kernels, common_scale);
        // A kernel is of the general case if its bandwidth is above the
        // minimum or it sits within TAIL_FREE minimum bandwidths of a
        // bound: in value order the latter are a prefix and a suffix
        // (found by bisection; the tests are monotone in the value), and
        // the former are rare in the dense middle, so the branch is
        // predicted.
        let near = TAIL_FREE * min_sigma;
        let inside_from = sorted.partition_point(|&mu| mu - model_low <= near);
        let inside_to = sorted.partition_point(|&mu| model_high - mu > near).max(inside_from);
        // (Usually a few percent of the kernels.)
        let mut general: Vec<(usize, f64)> = Vec::with_capacity(n / 8 + 8);
        let mut add_general = |rank: usize| {
            let kernel = rows.kernel(order[rank]);
            let sigma = by_rank[rank].clamp(min_sigma, range);
            sigmas[kernel] = sigma;
            let log_norm;
            (scales[kernel], log_norm) = kernel_constants(sorted[rank], sigma, bounds, continuous, &mut buffers.masses);
            general.push((kernel, log_norm));
        };
        (0..inside_from).for_each(&mut add_general);
        // In the middle, eight bandwidths at a time are tested together
        // (packed compares, no branch), and only a group with a wide one is
        // looked at one by one: one branch per kernel there was mispredicted
        // often enough to cost a sixth of building the estimators.
        const GROUP: usize = 8;
        for start in (inside_from..inside_to).step_by(GROUP) {
            let group = &by_rank[start..(start + GROUP).min(inside_to)];
            if group.iter().fold(false, |any, &b| any | (b > min_sigma)) {
                for (rank, &b) in (start..).zip(group) {
                    if b > min_sigma {
                        add_general(rank);
                    }
                }
            }
        }
        (inside_to..n).for_each(&mut add_general);
        buffers.give_f64s(by_rank);
        // The prior kernel: mid-range, the whole range as bandwidth.
        let prior_mu = 0.5 * (model_low + model_high);
        mus.push(prior_mu);
        sigmas[n_kernels - 1] = range;
        let prior_log_norm;
        (scales[n_kernels - 1], prior_log_norm) =
            kernel_constants(prior_mu, range, bounds, continuous, &mut buffers.masses);
        general.push((n_kernels - 1, prior_log_norm));
        // Every kernel's normalizer added to `base`: the common one in one
        // pass, then the general case's, added to what `base` held before.
        for (kernel, log_norm) in &mut general {
            *log_norm += base[*kernel];
        }
        base.iter_mut().for_each(|b| *b += common_log_norm);
        for &(kernel, sum) in &general {
            base[kernel] = sum;
        }
        let mut offsets = buffers.f64s();
        if continuous {
            offsets.extend(mus.iter().zip(&scales).map(|(mu, scale)| mu * scale));
        }
        NumericDim { low, high, step, log, scale, model_low, model_high, mus, sigmas, scales, offsets }
    }

    fn recycle(self, buffers: &mut Buffers) {
        for v in [self.mus, self.sigmas, self.scales, self.offsets] {
            buffers.give_f64s(v);
        }
    }

    fn sample<R: Rng + ?Sized>(&self, kernel: usize, rng: &mut R) -> f64 {
        let (mu, sigma) = (self.mus[kernel], self.sigmas[kernel]);
        let z = sample_standard((self.model_low - mu) / sigma, (self.model_high - mu) / sigma, rng.random::<f64>());
        // In model space, then (log scales) the value, or the value times
        // `scale`, where the grid is snapped too: on the widest float
        // ranges `x - low` would overflow unscaled.
        let mut x = mu + sigma * z;
        if self.log {
            x = x.exp();
        }
        if let Some(step) = self.step {
            let (low, step) = (self.low * self.scale, step * self.scale);
            x = low + ((x - low) / step).round() * step;
        }
        (x / self.scale).clamp(self.low, self.high)
    }

    /// Where [`NumericDim::add_log_pdf`] evaluates the value `x`, in model
    /// space: the point, or for a stepped parameter its bin's edges.
    /// Computed once per point, not once per block of kernels.
    fn query(&self, x: f64) -> (f64, f64) {
        match self.step {
            None => (self.to_model(x), f64::NAN),
            // Scaled before the half step is added, so a bin's edges stay
            // finite on the widest float ranges (the same bits at scale 1).
            Some(step) if !self.log => {
                let (x, half) = (x * self.scale, step * self.scale / 2.0);
                (x - half, x + half)
            }
            Some(step) => (self.to_model(x - step / 2.0), self.to_model(x + step / 2.0)),
        }
    }

    /// Adds the log density at `query` (see [`NumericDim::query`]) of the
    /// kernels `kernels` to `acc` (one entry per kernel of the range), for
    /// a stepped parameter (continuous ones go through
    /// [`subtract_scaled_squares`], several at once).
    fn add_log_pdf(&self, query: (f64, f64), kernels: Range<usize>, acc: &mut [f64]) {
        match self.step {
            None => {
                let (scales, offsets) = (&self.scales[kernels.clone()], &self.offsets[kernels]);
                subtract_scaled_squares(&[query.0], &[scales], &[offsets], acc);
            }
            Some(_) => {
                let (left, right) = query;
                // Kernels repeat (mu, sigma) pairs often on a grid; the
                // bin's mass is computed once per distinct pair in a row.
                let mut last: Option<(f64, f64, f64)> = None;
                let kernels = self.mus[kernels.clone()].iter().zip(&self.scales[kernels]);
                for (a, (&mu, &inv)) in acc.iter_mut().zip(kernels) {
                    let mass = match last {
                        Some((m, i, v)) if m == mu && i == inv => v,
                        _ => {
                            let v = log_gauss_mass((left - mu) * inv, (right - mu) * inv);
                            last = Some((mu, inv, v));
                            v
                        }
                    };
                    *a += mass;
                }
            }
        }
    }
}

/// A kernel's scale (see [`NumericDim::scales`]) and log normalizer (see
/// [`NumericDim::new`]) in the general case.
#[cold]
#[inline(never)]
fn kernel_constants(
    mu: f64,
    sigma: f64,
    (low, high): (f64, f64),
    continuous: bool,
    masses: &mut MassCache,
) -> (f64, f64) {
    let (a, b) = ((low - mu) / sigma, (high - mu) / sigma);
    let log_mass = if a < -TAIL_FREE && b > TAIL_FREE { 0.0 } else { masses.log_gauss_mass(a, b) };
    if continuous {
        (std::f64::consts::FRAC_1_SQRT_2 / sigma, -log_mass - sigma.ln() - LN_SQRT_2PI)
    } else {
        (1.0 / sigma, -log_mass)
    }
}

/// Truncation masses of kernels near a bound, remembered between
/// proposals: a kernel's standardized bounds repeat from one proposal to
/// the next (same centre, same bandwidth), and each mass costs an `erfc`
/// and logarithms (a twentieth of a proposal at 1,000 trials). A pure
/// cache: the value stored is the value computed.
#[derive(Debug, Default)]
pub(crate) struct MassCache {
    masses: HashMap<(u64, u64), f64, BuildHasherDefault<MixHasher>>,
}

/// Past this many masses the cache starts over, to bound its memory.
const MAX_MASSES: usize = 1 << 12;

impl MassCache {
    fn log_gauss_mass(&mut self, a: f64, b: f64) -> f64 {
        if self.masses.len() >= MAX_MASSES {
            self.masses.clear();
        }
        *self.masses.entry((a.to_bits(), b.to_bits())).or_insert_with(|| log_gauss_mass(a, b))
    }
}

/// A multiply-rotate hasher for keys of two floats' bits (SipHash, the
/// default, costs more than the lookup saves).
#[derive(Debug, Default)]
struct MixHasher(u64);

impl std::hash::Hasher for MixHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        bytes.iter().for_each(|&b| self.write_u64(u64::from(b)));
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// `acc[k] -= sum_j (ys[j] * scales[j][k] - offsets[j][k])^2` (that is,
/// `((y - mu) * scale)^2` per parameter) for up to four continuous
/// parameters at once: the one loop over every kernel, candidate and
/// parameter. The kernels' constant terms are in the estimator's base.
/// Several parameters per pass keep each kernel's sum in a register: one
/// pass per parameter loaded and stored it every time, and the loop was
/// bound by that.
fn subtract_scaled_squares(ys: &[f64], scales: &[&[f64]], offsets: &[&[f64]], acc: &mut [f64]) {
    macro_rules! arrays {
        ($m:literal) => {
            (
                std::array::from_fn::<f64, $m, _>(|j| ys[j]),
                std::array::from_fn::<&[f64], $m, _>(|j| scales[j]),
                std::array::from_fn::<&[f64], $m, _>(|j| offsets[j]),
            )
        };
    }
    match ys.len() {
        1 => scaled_squares_1(arrays!(1), acc),
        2 => scaled_squares_2(arrays!(2), acc),
        3 => scaled_squares_3(arrays!(3), acc),
        4 => scaled_squares_4(arrays!(4), acc),
        m => unreachable!("{m} parameters at once"),
    }
}

/// A block's scales and offsets of a group of (up to four) continuous
/// parameters.
type BlockSlices<'a> = ([&'a [f64]; 4], [&'a [f64]; 4]);

/// Parameters of a continuous group: values, scales, offsets.
type Group<'a, const M: usize> = ([f64; M], [&'a [f64]; M], [&'a [f64]; M]);

#[inline(always)]
fn scaled_squares<const M: usize>((ys, scales, offsets): Group<'_, M>, acc: &mut [f64]) {
    let n = acc.len();
    // Sliced to one length, so the loop has no bounds checks.
    let scales = scales.map(|s| &s[..n]);
    let offsets = offsets.map(|o| &o[..n]);
    for k in 0..n {
        let mut a = acc[k];
        for j in 0..M {
            let z = ys[j].mul_add(scales[j][k], -offsets[j][k]);
            a = (-z).mul_add(z, a);
        }
        acc[k] = a;
    }
}

simd_dispatch! {
    fn scaled_squares_1(group: Group<'_, 1>, acc: &mut [f64]) {
        scaled_squares(group, acc)
    }
}
simd_dispatch! {
    fn scaled_squares_2(group: Group<'_, 2>, acc: &mut [f64]) {
        scaled_squares(group, acc)
    }
}
simd_dispatch! {
    fn scaled_squares_3(group: Group<'_, 3>, acc: &mut [f64]) {
        scaled_squares(group, acc)
    }
}
simd_dispatch! {
    fn scaled_squares_4(group: Group<'_, 4>, acc: &mut [f64]) {
        scaled_squares(group, acc)
    }
}

impl CategoricalDim {
    fn new(observations: &[f64], n_choices: usize, prior_weight: f64) -> Self {
        let n_kernels = observations.len() + 1;
        let mut probs = vec![prior_weight / n_kernels as f64; n_kernels * n_choices];
        for (k, &x) in observations.iter().enumerate() {
            probs[k * n_choices + x as usize] += 1.0;
        }
        for row in probs.chunks_mut(n_choices) {
            let sum: f64 = row.iter().sum();
            if sum > 0.0 {
                row.iter_mut().for_each(|p| *p /= sum);
            }
        }
        let mut log_probs_by_choice = vec![0.0; n_choices * n_kernels];
        for k in 0..n_kernels {
            for c in 0..n_choices {
                log_probs_by_choice[c * n_kernels + k] = probs[k * n_choices + c].ln();
            }
        }
        CategoricalDim { n_choices, probs, log_probs_by_choice }
    }

    fn sample<R: Rng + ?Sized>(&self, kernel: usize, rng: &mut R) -> f64 {
        let row = &self.probs[kernel * self.n_choices..(kernel + 1) * self.n_choices];
        let u: f64 = rng.random();
        let mut cumulative = 0.0;
        for (i, p) in row.iter().enumerate() {
            cumulative += p;
            if u < cumulative {
                return i as f64;
            }
        }
        (self.n_choices - 1) as f64
    }

    fn add_log_pdf(&self, x: f64, kernels: Range<usize>, acc: &mut [f64]) {
        let n_kernels = self.log_probs_by_choice.len() / self.n_choices;
        let row = &self.log_probs_by_choice[x as usize * n_kernels..][kernels];
        acc.iter_mut().zip(row).for_each(|(a, l)| *a += l);
    }
}

impl ParzenEstimator {
    /// An estimator over `distributions` from `observations` (one column of
    /// internal values per distribution, all of the same length) weighted
    /// by `observation_weights`.
    #[cfg(test)]
    pub(crate) fn new(
        distributions: &[&Distribution],
        observations: &[Vec<f64>],
        observation_weights: &[f64],
        options: &ParzenOptions,
    ) -> Self {
        let columns: Vec<Vec<f64>> = distributions
            .iter()
            .zip(observations)
            .map(|(d, column)| column.iter().map(|&x| super::memo::to_model(d, x)).collect())
            .collect();
        // Value order, ties in row order, as the memo gives it (each row
        // keyed as such, as the memo keys running trials).
        let sorted: Vec<(Vec<u32>, Vec<f64>)> = columns
            .iter()
            .map(|values| {
                let mut rows: Vec<u32> = (0..values.len() as u32).collect();
                rows.sort_by(|&a, &b| values[a as usize].total_cmp(&values[b as usize]).then(a.cmp(&b)));
                let sorted = rows.iter().map(|&r| values[r as usize]).collect();
                (rows.into_iter().map(|r| r | ROW_KEY).collect(), sorted)
            })
            .collect();
        let rows = Rows::default();
        Self::new_in(distributions, columns, &sorted, &rows, observation_weights, options, &mut Buffers::default())
    }

    /// An estimator over `distributions` from `columns`, one per
    /// distribution of one value per observation in model space (see
    /// [`super::memo::to_model`]), with each numeric column's rows and
    /// values in value order in `sorted` (keys read by `rows`), weighted by
    /// `observation_weights`; its arrays are taken from `buffers` (hand
    /// them back with [`ParzenEstimator::recycle`]), the columns among
    /// them.
    pub(crate) fn new_in(
        distributions: &[&Distribution],
        columns: Vec<Vec<f64>>,
        sorted: &[(Vec<u32>, Vec<f64>)],
        rows: &Rows,
        observation_weights: &[f64],
        options: &ParzenOptions,
        buffers: &mut Buffers,
    ) -> Self {
        let n = observation_weights.len();
        debug_assert!(columns.iter().all(|column| column.len() == n));
        let mut weights = buffers.f64s();
        if n == 0 {
            weights.push(1.0);
        } else {
            weights.extend_from_slice(observation_weights);
            weights.push(options.prior_weight);
        }
        let total: f64 = weights.iter().sum();
        weights.iter_mut().for_each(|w| *w /= total);
        // Per kernel, every numeric dimension's log normalizer, summed as
        // the dimensions are built.
        let mut base = buffers.f64s();
        base.resize(weights.len(), 0.0);
        let mut dims: Vec<Dim> = Vec::with_capacity(distributions.len());
        for ((distribution, column), (order, values)) in distributions.iter().zip(columns).zip(sorted) {
            let axis = match distribution {
                Distribution::Float(d) => Axis {
                    low: d.low(),
                    high: d.high(),
                    step: d.step(),
                    log: d.log(),
                    scale: super::memo::model_scale(distribution),
                },
                Distribution::Int(d) => Axis {
                    low: d.low() as f64,
                    high: d.high() as f64,
                    step: Some(d.step() as f64),
                    log: d.log(),
                    scale: super::memo::model_scale(distribution),
                },
                Distribution::Categorical(d) => {
                    dims.push(Dim::Categorical(CategoricalDim::new(&column, d.choices().len(), options.prior_weight)));
                    buffers.give_f64s(column);
                    continue;
                }
            };
            let dim = NumericDim::new(column, (order, values), rows, axis, options, &mut base, buffers);
            dims.push(Dim::Numeric(dim));
        }
        ParzenEstimator { weights, base, dims }
    }

    /// Hands the estimator's arrays back to `buffers`.
    pub(crate) fn recycle(self, buffers: &mut Buffers) {
        buffers.give_f64s(self.weights);
        buffers.give_f64s(self.base);
        for dim in self.dims {
            if let Dim::Numeric(d) = dim {
                d.recycle(buffers);
            }
        }
    }

    /// `n` draws, each a vector of internal values (one per parameter).
    pub(crate) fn sample<R: Rng + ?Sized>(&self, rng: &mut R, n: usize) -> Vec<Vec<f64>> {
        // Running sums in kernel order, searched by bisection: the kernel a
        // linear scan would pick, without scanning hundreds of good trials'
        // weights per candidate.
        let mut total = 0.0;
        let cumulative: Vec<f64> = self
            .weights
            .iter()
            .map(|w| {
                total += w;
                total
            })
            .collect();
        (0..n)
            .map(|_| {
                let u: f64 = rng.random();
                let kernel = cumulative.partition_point(|&c| c <= u).min(self.weights.len() - 1);
                self.dims
                    .iter()
                    .map(|dim| match dim {
                        Dim::Numeric(d) => d.sample(kernel, rng),
                        Dim::Categorical(d) => d.sample(kernel, rng),
                    })
                    .collect()
            })
            .collect()
    }

    /// The log density of each point (a vector of internal values).
    #[cfg(test)]
    pub(crate) fn log_pdf(&self, points: &[Vec<f64>]) -> Vec<f64> {
        self.log_pdf_in(points, &mut Buffers::default())
    }

    /// [`ParzenEstimator::log_pdf`] with its scratch array from `buffers`.
    ///
    /// Kernel-blocked: for each block of kernels, every point is evaluated
    /// over every parameter while the block's centres and scales stay in
    /// the L1 cache, and the block's terms go straight into each point's
    /// running log-sum-exp. Evaluated point by point over all kernels
    /// instead, the loop streamed the kernels from L2 once per point and
    /// parameter and was bound by that.
    pub(crate) fn log_pdf_in(&self, points: &[Vec<f64>], buffers: &mut Buffers) -> Vec<f64> {
        let n = self.weights.len();
        let block = self.kernels_per_block().min(n);
        let mut acc = buffers.f64s();
        acc.resize(block, 0.0);
        let mut terms = buffers.f64s();
        terms.resize(block, 0.0);
        let mut sums = vec![LogSumExp::default(); points.len()];
        let queries: Vec<(f64, f64)> = points
            .iter()
            .flat_map(|point| {
                self.dims.iter().zip(point).map(|(dim, &x)| match dim {
                    Dim::Numeric(d) => d.query(x),
                    Dim::Categorical(_) => (x, f64::NAN),
                })
            })
            .collect();
        let d = self.dims.len();
        // Consecutive continuous parameters are evaluated up to four at a
        // time, the others one by one, in parameter order (each kernel's
        // terms are added in the same order either way).
        let continuous = |dim: &Dim| matches!(dim, Dim::Numeric(NumericDim { step: None, .. }));
        let mut groups: Vec<Range<usize>> = Vec::new();
        for (j, dim) in self.dims.iter().enumerate() {
            match groups.last_mut() {
                Some(g) if continuous(dim) && continuous(&self.dims[g.start]) && g.len() < 4 => g.end += 1,
                _ => groups.push(j..j + 1),
            }
        }
        // Per group, its continuous parameters (all of them, or none for a
        // group of one stepped or categorical parameter).
        let continuous_groups: Vec<Option<[Option<&NumericDim>; 4]>> = groups
            .iter()
            .map(|group| {
                let mut dims = [None; 4];
                for (slot, dim) in dims.iter_mut().zip(&self.dims[group.clone()]) {
                    if let Dim::Numeric(d @ NumericDim { step: None, .. }) = dim {
                        *slot = Some(d);
                    }
                }
                dims[..group.len()].iter().all(Option::is_some).then_some(dims)
            })
            .collect();
        // Per group, the block's scales and offsets (the same for every
        // point; rewritten for each block, so nothing is allocated there).
        let empty: &[f64] = &[];
        let mut slices: Vec<BlockSlices> = vec![([empty; 4], [empty; 4]); groups.len()];
        for start in (0..n).step_by(block) {
            let kernels = start..(start + block).min(n);
            let acc = &mut acc[..kernels.len()];
            for ((scales, offsets), dims) in slices.iter_mut().zip(&continuous_groups) {
                let dims = dims.iter().flatten().flatten();
                for ((scale, offset), d) in scales.iter_mut().zip(offsets.iter_mut()).zip(dims) {
                    (*scale, *offset) = (&d.scales[kernels.clone()], &d.offsets[kernels.clone()]);
                }
            }
            for (point_queries, sum) in queries.chunks_exact(d.max(1)).zip(&mut sums) {
                acc.copy_from_slice(&self.base[kernels.clone()]);
                for ((group, dims), (scales, offsets)) in groups.iter().zip(&continuous_groups).zip(&slices) {
                    let query = point_queries[group.start];
                    match (&self.dims[group.start], dims) {
                        (_, Some(_)) => {
                            let m = group.len();
                            let ys: [f64; 4] = std::array::from_fn(|j| point_queries[group.start + j.min(m - 1)].0);
                            subtract_scaled_squares(&ys[..m], &scales[..m], &offsets[..m], acc);
                        }
                        (Dim::Numeric(dim), None) => dim.add_log_pdf(query, kernels.clone(), acc),
                        (Dim::Categorical(dim), None) => dim.add_log_pdf(query.0, kernels.clone(), acc),
                    }
                }
                sum.add(acc, &self.weights[kernels.clone()], &mut terms[..kernels.len()]);
            }
        }
        buffers.give_f64s(acc);
        buffers.give_f64s(terms);
        sums.iter().map(LogSumExp::value).collect()
    }

    /// How many kernels' parameters (16 bytes per numeric parameter, 8 per
    /// categorical) fill about half of a 48 KiB L1 data cache.
    fn kernels_per_block(&self) -> usize {
        const BLOCK_BYTES: usize = 24 * 1024;
        let bytes_per_kernel: usize =
            self.dims.iter().map(|d| if matches!(d, Dim::Numeric(_)) { 16 } else { 8 }).sum::<usize>().max(8);
        (BLOCK_BYTES / bytes_per_kernel).max(64) / 8 * 8
    }
}

/// The largest of `values` (none NaN), or minus infinity for none. Four
/// running maxima of a compare-and-select, which compiles to packed max
/// instructions; `f64::max` (NaN-aware) kept the fold scalar.
fn max_of(values: &[f64]) -> f64 {
    let mut lanes = [f64::NEG_INFINITY; 4];
    let chunks = values.chunks_exact(4);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (m, &v) in lanes.iter_mut().zip(chunk) {
            *m = if v > *m { v } else { *m };
        }
    }
    rest.iter().chain(&lanes).fold(f64::NEG_INFINITY, |m, &v| if v > m { v } else { m })
}

/// A running `ln(sum_k w_k exp(v_k))` over terms added a block at a time:
/// the sum is kept scaled by the largest value so far, and rescaled when a
/// larger one comes. Weights are at most one, so the scaled terms cannot
/// overflow.
#[derive(Debug, Clone, Copy)]
struct LogSumExp {
    max: f64,
    scaled_sum: f64,
}

impl Default for LogSumExp {
    fn default() -> Self {
        LogSumExp { max: f64::NEG_INFINITY, scaled_sum: 0.0 }
    }
}

impl LogSumExp {
    /// Adds `ln(w_k) + values[k]` for each `k`; `terms` is scratch space
    /// of the same length.
    fn add(&mut self, values: &[f64], weights: &[f64], terms: &mut [f64]) {
        let block_max = max_of(values);
        if block_max == f64::NEG_INFINITY {
            return;
        }
        if block_max > self.max {
            self.scaled_sum *= (self.max - block_max).exp();
            self.max = block_max;
        }
        // Terms this far below the largest so far are below the final
        // largest by as much at least: negligible.
        self.scaled_sum += weighted_exp_sum(values, weights, self.max, terms);
    }

    fn value(&self) -> f64 {
        if self.max == f64::NEG_INFINITY {
            return self.max;
        }
        self.max + self.scaled_sum.ln()
    }
}

/// `sum_k weights[k] * exp(values[k] - max)`, leaving out terms more than
/// [`NEGLIGIBLE_LOG`] below `max`; `terms` is scratch space of the same
/// length.
fn weighted_exp_sum(values: &[f64], weights: &[f64], max: f64, terms: &mut [f64]) -> f64 {
    weighted_exps(values, weights, max, terms);
    sum_in_four_lanes(terms)
}

simd_dispatch! {
    /// `terms[k] = weights[k] * exp(values[k] - max)`, or 0 for terms more
    /// than [`NEGLIGIBLE_LOG`] below `max`. Branch-free and with the
    /// exponential inline, so it runs four terms at a time: with libm's
    /// `exp` per term, a fifth of a proposal went to it once the good set
    /// concentrates (many kernels near every candidate).
    fn weighted_exps(values: &[f64], weights: &[f64], max: f64, terms: &mut [f64]) {
        let floor = max - NEGLIGIBLE_LOG;
        for ((t, &v), &w) in terms.iter_mut().zip(values).zip(weights) {
            let e = w * exp_nonpositive(v - max);
            *t = if v > floor { e } else { 0.0 };
        }
    }
}

simd_dispatch! {
    /// The sum of `terms` in four interleaved partial sums, written out so
    /// that both builds add in the same order (one result on every CPU).
    /// One running sum was a chain of dependent additions that took as
    /// long as computing the terms.
    fn sum_in_four_lanes(terms: &[f64]) -> f64 {
        let mut lanes = [0.0; 4];
        let groups = terms.chunks_exact(4);
        let rest = groups.remainder();
        for group in groups {
            for lane in 0..4 {
                lanes[lane] += group[lane];
            }
        }
        for (lane, &t) in rest.iter().enumerate() {
            lanes[lane] += t;
        }
        (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])
    }
}

/// `exp(x)` for `x <= 0` (below -700 it returns `exp(-700)`; callers
/// discard such terms), within 2 ulp: `x = n ln 2 + r` with `|r| <= ln 2 /
/// 2` (Cody-Waite, `ln 2` in two parts), `exp(r)` by its Taylor series to
/// degree 13 (remainder below 1e-17) by Estrin's scheme, `2^n` built in the
/// exponent bits.
/// Plain arithmetic that vectorizes, where libm's `exp` is a call per term.
#[inline(always)]
fn exp_nonpositive(x: f64) -> f64 {
    // 1.5 * 2^52: adding it rounds to an integer, kept in the low bits.
    const SHIFTER: f64 = 6_755_399_441_055_744.0;
    // ln 2's leading 32 bits (so n * LN2_HI is exact) and the rest.
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
    const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
    const INV_FACTORIALS: [f64; 14] = {
        let mut c = [1.0; 14];
        let mut k = 1;
        while k < 14 {
            c[k] = c[k - 1] / k as f64;
            k += 1;
        }
        c
    };
    let x = if x < -700.0 { -700.0 } else { x };
    let t = x * std::f64::consts::LOG2_E + SHIFTER;
    let n = t - SHIFTER;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    // Estrin's scheme: pairs, then pairs of pairs. Horner's rule was a
    // chain of 13 dependent multiply-adds per term, and the loop waited on
    // it (about half the exponential's time).
    let c = &INV_FACTORIALS;
    let (r2, r4) = (r * r, (r * r) * (r * r));
    let r8 = r4 * r4;
    let pair = |k: usize| c[k + 1].mul_add(r, c[k]);
    let (q0, q1, q2, q3, q4, q5, q6) = (pair(0), pair(2), pair(4), pair(6), pair(8), pair(10), pair(12));
    let (s0, s1, s2) = (q1.mul_add(r2, q0), q3.mul_add(r2, q2), q5.mul_add(r2, q4));
    let (t0, t1) = (s1.mul_add(r4, s0), q6.mul_add(r4, s2));
    let p = t1.mul_add(r8, t0);
    // The low bits of `t` hold n (>= -1010 here): 2^n as a double.
    let scale = f64::from_bits(t.to_bits().wrapping_add(1023) << 52);
    p * scale
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrotune_core::{FloatDistribution, IntDistribution};
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    const OPTIONS: ParzenOptions = ParzenOptions::OPTUNA;

    fn float(low: f64, high: f64, log: bool, step: Option<f64>) -> Distribution {
        Distribution::Float(FloatDistribution::new(low, high, log, step).unwrap())
    }

    fn numeric(e: &ParzenEstimator, i: usize) -> &NumericDim {
        match &e.dims[i] {
            Dim::Numeric(d) => d,
            Dim::Categorical(_) => panic!("not numeric"),
        }
    }

    #[test]
    fn bandwidths_match_a_hand_computed_case() {
        // Observations 0.1, 0.5, 0.6 on [0, 1]: sorted with endpoints
        // [0, .1, .5, .6, 1]; max neighbour gaps .1->.4, .5->.4, .6->.4;
        // without endpoints the outer ones look inward: .1 -> .4, .6 -> .1.
        // Magic clip: min sigma = 1 / min(100, 3 + 2) = 0.2. Prior: 0.5, 1.
        let d = float(0.0, 1.0, false, None);
        let e = ParzenEstimator::new(&[&d], &[vec![0.5, 0.1, 0.6]], &[1.0, 1.0, 1.0], &OPTIONS);
        let dim = numeric(&e, 0);
        assert_eq!(dim.mus, vec![0.5, 0.1, 0.6, 0.5]);
        let expected = [0.4, 0.4, 0.2, 1.0];
        for (s, x) in dim.sigmas.iter().zip(expected) {
            assert!((s - x).abs() < 1e-12, "{:?}", dim.sigmas);
        }
        // Weights: three observations and the prior, equally.
        assert!(e.weights.iter().all(|w| (w - 0.25).abs() < 1e-12));
        let with_endpoints = ParzenOptions { consider_endpoints: true, ..OPTIONS };
        let e = ParzenEstimator::new(&[&d], &[vec![0.5, 0.1, 0.6]], &[1.0, 1.0, 1.0], &with_endpoints);
        assert!((numeric(&e, 0).sigmas[2] - 0.4).abs() < 1e-12);
    }

    #[test]
    fn stepped_and_log_int_parameters_match_optunas_estimator() {
        // Optuna 5.0.0's `_ParzenEstimator` (prior weight 1, magic clip, no
        // endpoints, default weights) on x = suggest_float(-5, 5, step=0.1)
        // and n = suggest_int(1, 64, log=True), observations below; numbers
        // printed by numpy (repr). The prior's mid-range (x = 0) is not a
        // neighbour in the bandwidth rule; bounds are widened by half a step.
        let x = float(-5.0, 5.0, false, Some(0.1));
        let n = Distribution::Int(IntDistribution::new(1, 64, true, 1).unwrap());
        let obs = [vec![-1.2, 0.0, 0.3, 0.3, 2.5], vec![2.0, 3.0, 3.0, 40.0, 8.0]];
        let e = ParzenEstimator::new(&[&x, &n], &obs, &[1.0; 5], &OPTIONS);
        let close = |got: &[f64], want: &[f64], tol: f64| {
            assert_eq!(got.len(), want.len());
            for (g, w) in got.iter().zip(want) {
                assert!((g - w).abs() <= tol * w.abs().max(1.0), "{got:?} vs Optuna's {want:?}");
            }
        };
        let sx = [1.4428571428571428, 1.4428571428571428, 1.4428571428571428, 2.2, 2.2, 10.1];
        close(&numeric(&e, 0).sigmas, &sx, 1e-13);
        close(&numeric(&e, 0).mus, &[-1.2, 0.0, 0.3, 0.3, 2.5, 0.0], 1e-13);
        let sn = [
            0.6942589149088103,
            0.6942589149088103,
            0.980829253011726,
            1.6094379124341005,
            1.6094379124341005,
            4.859812404361672,
        ];
        close(&numeric(&e, 1).sigmas, &sn, 1e-13);
        let points: Vec<Vec<f64>> =
            [(-5.0, 1.0), (-1.2, 2.0), (0.0, 3.0), (0.1, 4.0), (0.3, 40.0), (4.9, 64.0), (5.0, 7.0)]
                .iter()
                .map(|&(a, b)| vec![a, b])
                .collect();
        let want = [
            -7.85566441197902,
            -5.806712529717899,
            -6.010657703378708,
            -6.386157075273898,
            -9.894891506255707,
            -11.47918510332786,
            -8.929433243185098,
        ];
        close(&e.log_pdf(&points), &want, 1e-12);
    }

    #[test]
    fn the_inline_exponential_matches_libms_to_two_ulp() {
        let mut worst = 0.0f64;
        for i in 0..=200_000 {
            let x = -700.0 * (i as f64 / 200_000.0).powi(3);
            let (got, want) = (exp_nonpositive(x), x.exp());
            worst = worst.max(((got - want) / want).abs());
        }
        for x in [0.0, -1e-300, -f64::EPSILON, -0.5 * std::f64::consts::LN_2, -std::f64::consts::LN_2, -40.0] {
            let (got, want) = (exp_nonpositive(x), x.exp());
            worst = worst.max(((got - want) / want).abs());
        }
        assert!(worst <= 2.0 * f64::EPSILON, "worst relative error {worst:e}");
        assert_eq!(exp_nonpositive(0.0), 1.0);
        assert_eq!(exp_nonpositive(f64::NEG_INFINITY), exp_nonpositive(-700.0));
        // Terms beyond NEGLIGIBLE_LOG below the maximum are dropped.
        let sum =
            |values: &[f64], weights: &[f64]| weighted_exp_sum(values, weights, 0.0, &mut [0.0; 9][..values.len()]);
        assert_eq!(sum(&[0.0, -41.0], &[2.0, 1.0]), 2.0);
        assert!((sum(&[0.0, -39.0], &[2.0, 1.0]) - 2.0 - (-39f64).exp()).abs() < 1e-15);
        // Nine terms: two groups of four and one left over.
        let values: Vec<f64> = (0..9).map(|k| -(k as f64) / 4.0).collect();
        let expected: f64 = values.iter().map(|v| 0.5 * v.exp()).sum();
        assert!((sum(&values, &[0.5; 9]) - expected).abs() < 1e-14);
    }

    #[test]
    fn the_magic_clip_floor_and_exponent_set_the_smallest_bandwidth() {
        // 8 observations on [0, 10], 0.1 apart in the middle: every gap is
        // below any floor here, so the floor decides the inner kernels.
        let d = float(0.0, 10.0, false, None);
        let obs: Vec<f64> = (0..8).map(|i| 5.0 + 0.1 * i as f64).collect();
        let inner = |options: &ParzenOptions| {
            let e = ParzenEstimator::new(&[&d], std::slice::from_ref(&obs), &[1.0; 8], options);
            numeric(&e, 0).sigmas[3]
        };
        // Optuna: 10 / min(100, 8 + 2) = 1.
        assert_eq!(inner(&OPTIONS), 1.0);
        // Exponent 2: 10 * max(0.01, 10^-2) = 0.1; factor 0.03 lifts it to 0.3.
        let squared = ParzenOptions { magic_clip_exponent: 2.0, ..OPTIONS };
        assert!((inner(&squared) - 0.1).abs() < 1e-12);
        let recommended = ParzenOptions { min_bandwidth_factor: 0.03, ..squared };
        assert!((inner(&recommended) - 0.3).abs() < 1e-12);
        // The default form reproduces Optuna's division bit for bit.
        for n in [0, 1, 7, 97, 98, 99, 1000] {
            assert_eq!(OPTIONS.min_bandwidth(3.7, n), 3.7 / (n as f64 + 2.0).min(100.0));
        }
    }

    #[test]
    fn log_and_stepped_parameters_are_modelled_in_their_own_space() {
        // log-int [1, 100]: bins widened by 1/2, then logs.
        let d = Distribution::Int(IntDistribution::new(1, 100, true, 1).unwrap());
        let e = ParzenEstimator::new(&[&d], &[vec![10.0]], &[1.0], &OPTIONS);
        let dim = numeric(&e, 0);
        assert!((dim.model_low - 0.5f64.ln()).abs() < 1e-15);
        assert!((dim.model_high - 100.5f64.ln()).abs() < 1e-15);
        assert!((dim.mus[0] - 10f64.ln()).abs() < 1e-15);
        // One observation: bandwidth is the larger distance to a bound.
        let expected = (100.5f64.ln() - 10f64.ln()).max(10f64.ln() - 0.5f64.ln());
        assert!((dim.sigmas[0] - expected).abs() < 1e-12);
    }

    #[test]
    fn continuous_densities_integrate_to_one() {
        for d in [float(-2.0, 3.0, false, None), float(1e-3, 10.0, true, None)] {
            let obs = vec![0.5, 1.0, 1.2, 2.5];
            let e = ParzenEstimator::new(&[&d], &[obs], &[1.0, 0.5, 1.0, 2.0], &OPTIONS);
            let Distribution::Float(f) = &d else { unreachable!() };
            // Integrate over model space (the density is with respect to it).
            let (lo, hi) = if f.log() { (f.low().ln(), f.high().ln()) } else { (f.low(), f.high()) };
            let n = 200_000;
            let h = (hi - lo) / n as f64;
            let points: Vec<Vec<f64>> = (0..n)
                .map(|i| {
                    let y = lo + (i as f64 + 0.5) * h;
                    vec![if f.log() { y.exp() } else { y }]
                })
                .collect();
            let integral: f64 = e.log_pdf(&points).iter().map(|l| l.exp() * h).sum();
            assert!((integral - 1.0).abs() < 1e-6, "{integral}");
        }
    }

    #[test]
    fn discrete_and_categorical_masses_sum_to_one() {
        let ints = Distribution::Int(IntDistribution::new(-3, 9, false, 3).unwrap());
        let e = ParzenEstimator::new(&[&ints], &[vec![0.0, 0.0, 6.0]], &[1.0, 1.0, 1.0], &OPTIONS);
        let total: f64 =
            e.log_pdf(&[vec![-3.0], vec![0.0], vec![3.0], vec![6.0], vec![9.0]]).iter().map(|l| l.exp()).sum();
        assert!((total - 1.0).abs() < 1e-12, "{total}");
        let log_ints = Distribution::Int(IntDistribution::new(1, 64, true, 1).unwrap());
        let e = ParzenEstimator::new(&[&log_ints], &[vec![2.0, 3.0, 40.0]], &[1.0, 1.0, 1.0], &OPTIONS);
        let points: Vec<Vec<f64>> = (1..=64).map(|i| vec![i as f64]).collect();
        let total: f64 = e.log_pdf(&points).iter().map(|l| l.exp()).sum();
        assert!((total - 1.0).abs() < 1e-12, "{total}");

        let cat = Distribution::categorical(["a", "b", "c"]).unwrap();
        let e = ParzenEstimator::new(&[&cat], &[vec![0.0, 0.0, 2.0]], &[1.0, 1.0, 1.0], &OPTIONS);
        let p: Vec<f64> = e.log_pdf(&[vec![0.0], vec![1.0], vec![2.0]]).iter().map(|l| l.exp()).collect();
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        // By hand: 4 kernels, each row prior 1/4 per choice plus 1 on the
        // observed one, normalized by 1.75 (prior row: uniform); mixture
        // weights 1/4 each. P(a) = (2 * 1.25/1.75 + .25/1.75 + 1/3) / 4.
        let pa = (2.0 * 1.25 / 1.75 + 0.25 / 1.75 + 1.0 / 3.0) / 4.0;
        assert!((p[0] - pa).abs() < 1e-12, "{p:?}");
        let pb = (3.0 * 0.25 / 1.75 + 1.0 / 3.0) / 4.0;
        assert!((p[1] - pb).abs() < 1e-12, "{p:?}");
    }

    #[test]
    fn both_builds_of_the_density_loops_give_the_same_bits() {
        // Continuous (plain and log), stepped and categorical parameters,
        // enough observations for several kernel blocks and a remainder.
        let cat = Distribution::categorical(["a", "b", "c"]).unwrap();
        let dists =
            [float(-5.0, 5.0, false, None), float(1e-3, 1.0, true, None), float(0.0, 1.0, false, Some(0.1)), cat];
        let refs: Vec<&Distribution> = dists.iter().collect();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let n = 1_203;
        let observations: Vec<Vec<f64>> = vec![
            (0..n).map(|_| rng.random_range(-5.0..5.0)).collect(),
            (0..n).map(|_| 10f64.powf(rng.random_range(-3.0..0.0))).collect(),
            (0..n).map(|_| (rng.random_range(0..=10) as f64) / 10.0).collect(),
            (0..n).map(|_| rng.random_range(0..3) as f64).collect(),
        ];
        let weights: Vec<f64> = (0..n).map(|i| 1.0 + (i % 7) as f64).collect();
        let e = ParzenEstimator::new(&refs, &observations, &weights, &OPTIONS);
        let points = e.sample(&mut rng, 24);
        let dispatched = e.log_pdf(&points);
        crate::simd::BASELINE_ONLY.with(|b| b.set(true));
        let baseline = e.log_pdf(&points);
        crate::simd::BASELINE_ONLY.with(|b| b.set(false));
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert!(dispatched.iter().all(|l| l.is_finite()));
        assert_eq!(bits(&dispatched), bits(&baseline));
    }

    #[test]
    fn samples_lie_in_the_distribution_and_follow_the_density() {
        let dists = [
            float(-2.0, 3.0, false, None),
            float(1e-4, 1.0, true, None),
            float(0.0, 1.0, false, Some(0.25)),
            Distribution::Int(IntDistribution::new(1, 1024, true, 1).unwrap()),
            Distribution::categorical(["x", "y"]).unwrap(),
        ];
        let refs: Vec<&Distribution> = dists.iter().collect();
        let obs = vec![vec![0.0, 2.0], vec![1e-3, 0.1], vec![0.25, 0.75], vec![8.0, 512.0], vec![0.0, 1.0]];
        let e = ParzenEstimator::new(&refs, &obs, &[1.0, 1.0], &OPTIONS);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let samples = e.sample(&mut rng, 5000);
        for s in &samples {
            for (d, &x) in dists.iter().zip(s) {
                assert!(d.contains(x), "{x} not in {d}");
            }
        }
        // The share of samples in [-2, 1] matches the density's mass there.
        let below = samples.iter().filter(|s| s[0] <= 1.0).count() as f64 / 5000.0;
        let n = 20_000;
        let h = 3.0 / n as f64;
        let one_dim = ParzenEstimator::new(&[refs[0]], &[obs[0].clone()], &[1.0, 1.0], &OPTIONS);
        let points: Vec<Vec<f64>> = (0..n).map(|i| vec![-2.0 + (i as f64 + 0.5) * h]).collect();
        let mass: f64 = one_dim.log_pdf(&points).iter().map(|l| l.exp() * h).sum();
        assert!((below - mass).abs() < 0.02, "{below} vs {mass}");
    }

    #[test]
    fn the_mass_cache_gives_the_masses_it_was_given() {
        // Twice over more pairs than it keeps: from the cache, and after it
        // starts over, the bits of a fresh computation.
        let mut cache = MassCache::default();
        let pairs: Vec<(f64, f64)> =
            (0..MAX_MASSES + 100).map(|i| (-8.0 * (i as f64 / MAX_MASSES as f64), 3.0 + (i % 7) as f64)).collect();
        for _ in 0..2 {
            for &(a, b) in &pairs {
                assert_eq!(cache.log_gauss_mass(a, b).to_bits(), log_gauss_mass(a, b).to_bits());
            }
            assert!(cache.masses.len() <= MAX_MASSES);
        }
    }

    #[test]
    fn no_observations_means_the_prior_alone() {
        let d = float(0.0, 10.0, false, None);
        let e = ParzenEstimator::new(&[&d], &[vec![]], &[], &OPTIONS);
        assert_eq!(e.weights, vec![1.0]);
        let dim = numeric(&e, 0);
        assert_eq!((dim.mus[0], dim.sigmas[0]), (5.0, 10.0));
    }
}
