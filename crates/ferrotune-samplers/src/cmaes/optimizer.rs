//! The numerical core of CMA-ES over a box: sampling, the mean, step-size and
//! covariance updates, termination criteria and restarts.
//!
//! References (the constants below follow them; see each item):
//! - N. Hansen, "The CMA Evolution Strategy: A Tutorial", arXiv:1604.00772
//!   (the standard algorithm with negative weights, Appendix B termination).
//! - R. Ros, N. Hansen, "A Simple Modification in CMA-ES Achieving Linear
//!   Time and Space Complexity", PPSN 2008 (separable mode).
//! - A. Auger, N. Hansen, "A Restart CMA Evolution Strategy With Increasing
//!   Population Size", CEC 2005 (IPOP).
//! - N. Hansen, "Benchmarking a BI-Population CMA-ES on the BBOB-2009
//!   Function Testbed", GECCO 2009 (BIPOP).
//! - R. Hamano, S. Saito, M. Nomura, S. Shirakawa, "CMA-ES with Margin",
//!   GECCO 2022 (integer / stepped coordinates).
//! - M. Nomura, S. Watanabe, Y. Akimoto, Y. Ozaki, M. Onishi, "Warm
//!   Starting CMA-ES for Hyperparameter Optimization", AAAI 2021.
//!
//! Design decisions:
//! - [`CmaEs::ask`] takes `&self` and an external generator, so a sampler can
//!   draw trial `k`'s candidate from `rng_for(seed, k, ..)` without mutating
//!   shared state; every matrix `ask` needs (the sampling transform `B·D`) is
//!   prepared by [`CmaEs::tell`].
//! - Every random choice the optimizer makes itself (restart means, BIPOP
//!   draws) comes from `rng_for(seed, restart index, ..)`, so the state is a
//!   pure function of the seed and the told solutions.
//! - Solutions of a generation are ranked by value with a stable sort, so ties
//!   keep the told order; NaN ranks last, infinities in their order (-inf
//!   first: Optuna completes trials with infinite values).

use std::collections::VecDeque;

use ferrotune_core::{Error, Result};
use nalgebra::{DMatrix, DVector, SymmetricEigen};
use rand::Rng;
use rand_distr::StandardNormal;

use crate::numerics::{ndtr, ndtri};
use crate::rng_for;

/// TolFun of Hansen's tutorial: range of recent best values and of the
/// latest generation's values.
const TOL_FUN: f64 = 1e-12;
/// TolHistFun: range of the recent best values alone.
const TOL_HIST_FUN: f64 = 1e-12;
/// TolX, relative to the run's initial step size.
const TOL_X_RELATIVE: f64 = 1e-12;
/// TolXUp: growth of `σ·max(D)` over the run's initial step size that signals
/// a far too small initial step size (or divergence).
const TOL_X_UP: f64 = 1e4;
/// ConditionCov: largest over smallest eigenvalue of C.
const TOL_CONDITION: f64 = 1e14;
/// Resampling attempts before an infeasible candidate is clipped into the box.
const MAX_RESAMPLES: usize = 100;
/// Step-size bounds: keep σ a normal float whatever the objective does.
const SIGMA_MIN: f64 = 1e-300;
const SIGMA_MAX: f64 = 1e300;
/// Smallest eigenvalue kept, relative to the largest. Far beyond
/// [`TOL_CONDITION`] so that criterion still fires, but keeps C positive definite.
const EIGENVALUE_FLOOR: f64 = 1e-20;
/// Margin probabilities are kept inside (0, 1/2) by this much so the normal
/// quantiles stay finite.
const MARGIN_PROBABILITY_CLIP: f64 = 1e-10;

/// Restart strategy after a run stops (Auger & Hansen 2005 IPOP; Hansen 2009 BIPOP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restart {
    /// No restart: the run continues even after a termination criterion fires.
    None,
    /// Restart with the population multiplied by `inc_popsize` each time.
    Ipop,
    /// Alternate large-population (IPOP-like) runs and small-population runs
    /// with random smaller step sizes, whichever regime has used fewer
    /// evaluations so far.
    Bipop,
}

/// Settings of a [`CmaEs`].
#[derive(Debug, Clone)]
pub(crate) struct CmaOptions {
    /// Initial step size in the box's coordinates (None: a sixth of the smallest side, as Optuna/cmaes do).
    pub sigma0: Option<f64>,
    /// Population size λ of the first run (None: 4 + floor(3 ln n)).
    pub population_size: Option<usize>,
    /// Diagonal covariance only (sep-CMA-ES, Ros & Hansen 2008): O(n) per sample, for many parameters; learning rates as in that paper.
    pub separable: bool,
    /// What to do when a run meets a termination criterion.
    pub restart: Restart,
    /// IPOP/BIPOP population growth factor (default 2).
    pub inc_popsize: usize,
    /// Per dimension: Some(width of one discrete value in the box's coordinates) for integer/stepped parameters, enabling the margin correction (Hamano et al. 2022, margin default 1/(n λ)); None for continuous.
    ///
    /// A discrete coordinate's values are the centres of the cells
    /// `[low + k·w, low + (k+1)·w]`, so the box should reach half a step
    /// beyond the extreme values (as Optuna maps integers). An empty vector
    /// means every coordinate is continuous.
    pub discrete_widths: Vec<Option<f64>>,
}

impl Default for CmaOptions {
    fn default() -> Self {
        CmaOptions {
            sigma0: None,
            population_size: None,
            separable: false,
            restart: Restart::None,
            inc_popsize: 2,
            discrete_widths: Vec::new(),
        }
    }
}

/// Learning rates and weights of one run (they depend on n and λ only).
#[derive(Debug, Clone)]
struct Strategy {
    lambda: usize,
    mu: usize,
    /// λ recombination weights, best first: the μ positive ones sum to 1; the
    /// rest are the negative "active" weights (zero in separable mode).
    weights: Vec<f64>,
    mu_eff: f64,
    c_sigma: f64,
    d_sigma: f64,
    c_c: f64,
    c_1: f64,
    c_mu: f64,
    /// E‖N(0, I)‖.
    chi_n: f64,
    /// Generations between eigendecompositions (lazy update, tutorial B.2).
    eigen_gap: u64,
    /// Generations the TolFun/TolHistFun window spans: 10 + ⌈30n/λ⌉.
    history_len: usize,
}

impl Strategy {
    fn new(dim: usize, lambda: usize, separable: bool) -> Self {
        let n = dim as f64;
        let mu = lambda / 2;
        let raw: Vec<f64> = (1..=lambda).map(|i| ((lambda as f64 + 1.0) / 2.0).ln() - (i as f64).ln()).collect();
        let positive_sum: f64 = raw[..mu].iter().sum();
        let positive_sq: f64 = raw[..mu].iter().map(|w| w * w).sum();
        let mu_eff = positive_sum * positive_sum / positive_sq;
        let d_sigma_base = 1.0 + 2.0 * (((mu_eff - 1.0) / (n + 1.0)).sqrt() - 1.0).max(0.0);
        let chi_n = n.sqrt() * (1.0 - 1.0 / (4.0 * n) + 1.0 / (21.0 * n * n));
        let history_len = 10 + (30 * dim).div_ceil(lambda);

        if separable {
            // Ros & Hansen 2008: positive weights only, a faster covariance
            // learning rate (the diagonal has n, not n²/2, degrees of freedom).
            let c_sigma = (mu_eff + 2.0) / (n + mu_eff + 3.0);
            let mu_cov = mu_eff;
            let c_cov = (1.0 / mu_cov) * 2.0 / (n + std::f64::consts::SQRT_2).powi(2)
                + (1.0 - 1.0 / mu_cov) * ((2.0 * mu_eff - 1.0) / ((n + 2.0).powi(2) + mu_eff)).min(1.0);
            let c_cov_sep = ((n + 2.0) / 3.0 * c_cov).min(1.0);
            let weights = (0..lambda).map(|i| if i < mu { raw[i] / positive_sum } else { 0.0 }).collect();
            return Strategy {
                lambda,
                mu,
                weights,
                mu_eff,
                c_sigma,
                d_sigma: d_sigma_base + c_sigma,
                c_c: 4.0 / (n + 4.0),
                c_1: c_cov_sep / mu_cov,
                c_mu: c_cov_sep * (1.0 - 1.0 / mu_cov),
                chi_n,
                eigen_gap: 1,
                history_len,
            };
        }

        let c_sigma = (mu_eff + 2.0) / (n + mu_eff + 5.0);
        let c_c = (4.0 + mu_eff / n) / (n + 4.0 + 2.0 * mu_eff / n);
        let alpha_cov = 2.0;
        let c_1 = alpha_cov / ((n + 1.3).powi(2) + mu_eff);
        let c_mu =
            (1.0 - c_1).min(alpha_cov * (mu_eff - 2.0 + 1.0 / mu_eff) / ((n + 2.0).powi(2) + alpha_cov * mu_eff / 2.0));
        let negative_sum: f64 = raw[mu..].iter().map(|w| w.abs()).sum();
        let negative_sq: f64 = raw[mu..].iter().map(|w| w * w).sum();
        let mu_eff_neg = if negative_sq > 0.0 { negative_sum * negative_sum / negative_sq } else { 0.0 };
        // The three caps of tutorial (53): keep the negative update no larger
        // than the positive one, and C positive definite.
        let alpha_mu_neg = 1.0 + c_1 / c_mu;
        let alpha_mu_eff_neg = 1.0 + 2.0 * mu_eff_neg / (mu_eff + 2.0);
        let alpha_posdef_neg = (1.0 - c_1 - c_mu) / (n * c_mu);
        let negative_scale = alpha_mu_neg.min(alpha_mu_eff_neg).min(alpha_posdef_neg);
        let weights = raw
            .iter()
            .enumerate()
            .map(|(i, &w)| {
                if i < mu {
                    w / positive_sum
                } else if negative_sum > 0.0 {
                    negative_scale * w / negative_sum
                } else {
                    0.0
                }
            })
            .collect();
        let eigen_gap = ((1.0 / (10.0 * n * (c_1 + c_mu))).floor() as u64).max(1);
        Strategy {
            lambda,
            mu,
            weights,
            mu_eff,
            c_sigma,
            d_sigma: d_sigma_base + c_sigma,
            c_c,
            c_1,
            c_mu,
            chi_n,
            eigen_gap,
            history_len,
        }
    }
}

/// The covariance matrix C and what sampling needs from it.
#[derive(Debug, Clone)]
enum Covariance {
    Full {
        matrix: DMatrix<f64>,
        /// Eigenvectors B of the last decomposition, as columns.
        basis: DMatrix<f64>,
        /// D: square roots of the eigenvalues.
        scales: DVector<f64>,
        /// B·D, so a sample is one matrix-vector product.
        transform: DMatrix<f64>,
        /// Run generation of the last decomposition.
        decomposed_at: u64,
    },
    Diagonal {
        diagonal: DVector<f64>,
        /// Square roots of the diagonal.
        scales: DVector<f64>,
    },
}

impl Covariance {
    fn identity(dim: usize, separable: bool) -> Self {
        if separable {
            Covariance::Diagonal { diagonal: DVector::from_element(dim, 1.0), scales: DVector::from_element(dim, 1.0) }
        } else {
            Self::full(DMatrix::identity(dim, dim), 0)
        }
    }

    fn full(matrix: DMatrix<f64>, generation: u64) -> Self {
        let dim = matrix.nrows();
        let mut cov = Covariance::Full {
            matrix,
            basis: DMatrix::identity(dim, dim),
            scales: DVector::from_element(dim, 1.0),
            transform: DMatrix::identity(dim, dim),
            decomposed_at: generation,
        };
        cov.decompose(generation);
        cov
    }

    /// Refresh B and D from C, repairing C if rounding made it indefinite.
    fn decompose(&mut self, generation: u64) {
        match self {
            Covariance::Full { matrix, basis, scales, transform, decomposed_at } => {
                let dim = matrix.nrows();
                // The rank-μ product is symmetric only up to rounding.
                let symmetric = (&*matrix + matrix.transpose()) * 0.5;
                *matrix = symmetric;
                let eigen = SymmetricEigen::new(matrix.clone());
                let largest = eigen.eigenvalues.max();
                if !largest.is_finite() || largest <= 0.0 || eigen.eigenvalues.iter().any(|v| !v.is_finite()) {
                    // Only reachable through numerical breakdown: start the
                    // shape afresh rather than sample from garbage.
                    *matrix = DMatrix::identity(dim, dim);
                    *basis = DMatrix::identity(dim, dim);
                    *scales = DVector::from_element(dim, 1.0);
                    *transform = DMatrix::identity(dim, dim);
                    *decomposed_at = generation;
                    return;
                }
                let floor = largest * EIGENVALUE_FLOOR;
                let clamped = eigen.eigenvalues.iter().any(|&v| v < floor);
                let eigenvalues = eigen.eigenvalues.map(|v| v.max(floor));
                *scales = eigenvalues.map(f64::sqrt);
                *basis = eigen.eigenvectors;
                *transform = &*basis * DMatrix::from_diagonal(scales);
                if clamped {
                    *matrix = &*transform * transform.transpose();
                }
                *decomposed_at = generation;
            }
            Covariance::Diagonal { diagonal, scales } => {
                let largest = diagonal.max();
                if !largest.is_finite() || largest <= 0.0 {
                    diagonal.fill(1.0);
                }
                let floor = diagonal.max() * EIGENVALUE_FLOOR;
                diagonal.apply(|v| *v = v.max(floor));
                *scales = diagonal.map(f64::sqrt);
            }
        }
    }

    /// `out = B·D·z`, a draw from N(0, C) given a standard normal z.
    fn transform_into(&self, z: &[f64], out: &mut [f64]) {
        match self {
            Covariance::Full { transform, .. } => {
                out.fill(0.0);
                let dim = out.len();
                // Column-major storage: accumulate column by column.
                for (column, &zj) in transform.as_slice().chunks_exact(dim).zip(z) {
                    for (o, &t) in out.iter_mut().zip(column) {
                        *o += t * zj;
                    }
                }
            }
            Covariance::Diagonal { scales, .. } => {
                for ((o, &s), &zj) in out.iter_mut().zip(scales.iter()).zip(z) {
                    *o = s * zj;
                }
            }
        }
    }

    /// C^{-1/2}·y, with C taken from the last decomposition.
    fn whiten(&self, y: &DVector<f64>) -> DVector<f64> {
        match self {
            Covariance::Full { basis, scales, .. } => {
                let rotated = basis.tr_mul(y).component_div(scales);
                basis * rotated
            }
            Covariance::Diagonal { scales, .. } => y.component_div(scales),
        }
    }

    fn diagonal_entry(&self, i: usize) -> f64 {
        match self {
            Covariance::Full { matrix, .. } => matrix[(i, i)],
            Covariance::Diagonal { diagonal, .. } => diagonal[i],
        }
    }

    fn scales(&self) -> &DVector<f64> {
        match self {
            Covariance::Full { scales, .. } | Covariance::Diagonal { scales, .. } => scales,
        }
    }

    /// Component `j` of the i-th principal axis scaled by its standard deviation (column i of B·D).
    fn axis_component(&self, axis: usize, j: usize) -> f64 {
        match self {
            Covariance::Full { transform, .. } => transform[(j, axis)],
            Covariance::Diagonal { scales, .. } => {
                if j == axis {
                    scales[axis]
                } else {
                    0.0
                }
            }
        }
    }
}

/// Which BIPOP regime a run belongs to (IPOP runs are all "large").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Regime {
    Large,
    Small,
}

/// The discretization of one integer/stepped coordinate.
#[derive(Debug, Clone, Copy)]
struct Cells {
    low: f64,
    width: f64,
    count: usize,
}

impl Cells {
    fn index_of(&self, x: f64) -> usize {
        (((x - self.low) / self.width).floor().max(0.0) as usize).min(self.count - 1)
    }

    /// Threshold between cell `k - 1` and cell `k`.
    fn threshold(&self, k: usize) -> f64 {
        self.low + k as f64 * self.width
    }
}

/// One run between restarts.
#[derive(Debug, Clone)]
struct Run {
    strategy: Strategy,
    /// Initial step size of this run (TolX and TolXUp are relative to it).
    sigma0: f64,
    mean: DVector<f64>,
    sigma: f64,
    path_sigma: DVector<f64>,
    path_c: DVector<f64>,
    cov: Covariance,
    /// The margin's diagonal scaling A (all ones without discrete coordinates).
    margin_scale: DVector<f64>,
    /// Margin α (0 when no coordinate is discrete).
    margin: f64,
    /// Generations told in this run.
    generation: u64,
    /// Best finite value of each recent generation (infinite if none).
    best_history: VecDeque<f64>,
    /// Range of the finite values of the latest generation.
    last_range: (f64, f64),
    regime: Regime,
}

impl Run {
    fn new(
        strategy: Strategy,
        mean: DVector<f64>,
        sigma: f64,
        cov: Covariance,
        any_discrete: bool,
        regime: Regime,
    ) -> Self {
        let dim = mean.len();
        let margin = if any_discrete { 1.0 / (dim as f64 * strategy.lambda as f64) } else { 0.0 };
        Run {
            best_history: VecDeque::with_capacity(strategy.history_len + 1),
            strategy,
            sigma0: sigma,
            mean,
            sigma,
            path_sigma: DVector::zeros(dim),
            path_c: DVector::zeros(dim),
            cov,
            margin_scale: DVector::from_element(dim, 1.0),
            margin,
            generation: 0,
            last_range: (f64::INFINITY, f64::NEG_INFINITY),
            regime,
        }
    }

    /// One generation's update from solutions sorted best first.
    fn update(&mut self, sorted: &[(&[f64], f64)], cells: &[Option<Cells>]) {
        let dim = self.mean.len();
        let lambda = self.strategy.lambda;
        let s = &self.strategy;

        // Steps in the covariance's coordinates: y = A⁻¹(x − m)/σ.
        let mut steps = DMatrix::<f64>::zeros(dim, lambda);
        for (k, (x, _)) in sorted.iter().enumerate() {
            for i in 0..dim {
                steps[(i, k)] = (x[i] - self.mean[i]) / (self.sigma * self.margin_scale[i]);
            }
        }
        let mut weighted_step = DVector::<f64>::zeros(dim);
        for k in 0..s.mu {
            weighted_step.axpy(s.weights[k], &steps.column(k), 1.0);
        }
        // c_m = 1: the mean moves by the whole weighted step (in x space, A included).
        for i in 0..dim {
            self.mean[i] += self.sigma * self.margin_scale[i] * weighted_step[i];
        }

        let whitened = self.cov.whiten(&weighted_step);
        self.path_sigma *= 1.0 - s.c_sigma;
        self.path_sigma.axpy((s.c_sigma * (2.0 - s.c_sigma) * s.mu_eff).sqrt(), &whitened, 1.0);
        let path_sigma_norm = self.path_sigma.norm();
        let g = self.generation + 1;
        let bias_correction = (1.0 - (1.0 - s.c_sigma).powf(2.0 * g as f64)).sqrt();
        let h_sigma = path_sigma_norm / bias_correction < (1.4 + 2.0 / (dim as f64 + 1.0)) * s.chi_n;
        self.path_c *= 1.0 - s.c_c;
        if h_sigma {
            self.path_c.axpy((s.c_c * (2.0 - s.c_c) * s.mu_eff).sqrt(), &weighted_step, 1.0);
        }
        // Variance lost by stalling p_c is given back through C's decay.
        let delta_h = if h_sigma { 0.0 } else { s.c_c * (2.0 - s.c_c) };

        match &mut self.cov {
            Covariance::Full { matrix, basis, scales, decomposed_at, .. } => {
                // Negative weights act on steps rescaled to Mahalanobis length √n,
                // so long bad steps cannot make C indefinite (tutorial (46)).
                let mut adjusted = s.weights.clone();
                if lambda > s.mu {
                    let whitened_bad = basis.tr_mul(&steps.columns(s.mu, lambda - s.mu));
                    for (offset, column) in whitened_bad.column_iter().enumerate() {
                        let squared: f64 = column.iter().zip(scales.iter()).map(|(v, d)| (v / d).powi(2)).sum();
                        let k = s.mu + offset;
                        adjusted[k] = if squared > 0.0 { s.weights[k] * dim as f64 / squared } else { 0.0 };
                    }
                }
                let weight_sum: f64 = s.weights.iter().sum();
                let decay = 1.0 + s.c_1 * delta_h - s.c_1 - s.c_mu * weight_sum;
                let mut weighted_steps = steps.clone();
                for (k, mut column) in weighted_steps.column_iter_mut().enumerate() {
                    column *= adjusted[k];
                }
                *matrix *= decay;
                matrix.ger(s.c_1, &self.path_c, &self.path_c, 1.0);
                matrix.gemm(s.c_mu, &weighted_steps, &steps.transpose(), 1.0);
                let refresh = g - *decomposed_at >= s.eigen_gap || self.margin > 0.0;
                if refresh {
                    self.cov.decompose(g);
                }
            }
            Covariance::Diagonal { diagonal, .. } => {
                let decay = 1.0 + s.c_1 * delta_h - s.c_1 - s.c_mu;
                for i in 0..dim {
                    let rank_mu: f64 = (0..s.mu).map(|k| s.weights[k] * steps[(i, k)].powi(2)).sum();
                    diagonal[i] = decay * diagonal[i] + s.c_1 * self.path_c[i].powi(2) + s.c_mu * rank_mu;
                }
                self.cov.decompose(g);
            }
        }

        let s = &self.strategy;
        let exponent = (s.c_sigma / s.d_sigma) * (path_sigma_norm / s.chi_n - 1.0);
        self.sigma = (self.sigma * exponent.exp()).clamp(SIGMA_MIN, SIGMA_MAX);
        self.generation = g;

        if self.margin > 0.0 {
            self.correct_margin(cells);
        }
    }

    /// Margin correction (Hamano et al. 2022): keep the probability that a
    /// discrete coordinate leaves the value its mean encodes to at least α,
    /// by moving the mean towards the nearest threshold (extreme cells) or
    /// by setting the mean and the scaling A (inner cells).
    fn correct_margin(&mut self, cells: &[Option<Cells>]) {
        let alpha = self.margin;
        for (j, cell) in cells.iter().enumerate() {
            let Some(cell) = cell else { continue };
            let spread = self.sigma * self.cov.diagonal_entry(j).sqrt();
            let sd = spread * self.margin_scale[j];
            if !(sd > 0.0 && sd.is_finite()) {
                continue;
            }
            let m = self.mean[j];
            let k = cell.index_of(m);
            if k == 0 || k == cell.count - 1 {
                // One neighbour only: the whole margin goes to crossing towards it.
                let (threshold, towards) = if k == 0 { (cell.threshold(1), 1.0) } else { (cell.threshold(k), -1.0) };
                let crossing = ndtr(-(threshold - m).abs() / sd);
                if crossing < alpha {
                    self.mean[j] = threshold - towards * sd * ndtri(1.0 - alpha);
                }
                continue;
            }
            let (lower, upper) = (cell.threshold(k), cell.threshold(k + 1));
            let p_low = ndtr((lower - m) / sd);
            let p_up = ndtr((m - upper) / sd);
            let p_mid = 1.0 - p_low - p_up;
            let half = alpha / 2.0;
            let (q_low, q_up) = (p_low.max(half), p_up.max(half));
            // Raising the tails created this much extra mass; take it back from
            // the three parts in proportion to what each has above α/2.
            let excess = q_low + q_up + p_mid - 1.0;
            let headroom = q_low + q_up + p_mid - 3.0 * half;
            let clip = |p: f64| p.clamp(MARGIN_PROBABILITY_CLIP, 0.5 - MARGIN_PROBABILITY_CLIP);
            let r_low = clip(q_low - excess * (q_low - half) / headroom);
            let r_up = clip(q_up - excess * (q_up - half) / headroom);
            // Solve P(x < lower) = r_low and P(x > upper) = r_up for the mean and sd.
            let (a, b) = (-ndtri(r_low), -ndtri(r_up));
            let new_sd = (upper - lower) / (a + b);
            self.mean[j] = lower + a * new_sd;
            self.margin_scale[j] = new_sd / spread;
        }
    }

    fn should_stop(&self) -> bool {
        let dim = self.mean.len();
        let s = &self.strategy;
        if self.best_history.len() >= s.history_len {
            let low = self.best_history.iter().copied().fold(f64::INFINITY, f64::min);
            let high = self.best_history.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if high - low < TOL_HIST_FUN {
                return true;
            }
            if high.max(self.last_range.1) - low.min(self.last_range.0) < TOL_FUN {
                return true;
            }
        }
        let tol_x = TOL_X_RELATIVE * self.sigma0;
        let std_devs = (0..dim).map(|i| self.sigma * self.margin_scale[i] * self.cov.diagonal_entry(i).sqrt());
        let tiny_spread = std_devs.clone().all(|sd| sd < tol_x);
        if tiny_spread && self.path_c.iter().all(|p| self.sigma * p.abs() < tol_x) {
            return true;
        }
        let scales = self.cov.scales();
        let (largest, smallest) = (scales.max(), scales.min());
        if self.sigma * largest > TOL_X_UP * self.sigma0 {
            return true;
        }
        // NoEffectCoord: a fifth of a standard deviation no longer changes the mean.
        if std_devs.zip(self.mean.iter()).any(|(sd, &m)| m == m + 0.2 * sd) {
            return true;
        }
        // NoEffectAxis, cycling through the principal axes.
        let axis = (self.generation % dim as u64) as usize;
        let no_effect_axis = (0..dim).all(|j| {
            let m = self.mean[j];
            m == m + 0.1 * self.sigma * self.margin_scale[j] * self.cov.axis_component(axis, j)
        });
        if no_effect_axis {
            return true;
        }
        (largest / smallest).powi(2) > TOL_CONDITION
    }
}

/// The whole optimizer state, restarts included. Clone is cheap enough to snapshot per generation.
#[derive(Debug, Clone)]
pub(crate) struct CmaEs {
    bounds: Vec<(f64, f64)>,
    options: CmaOptions,
    seed: u64,
    /// Step size restarts begin from.
    sigma0: f64,
    /// λ of the first run (BIPOP's λ_default).
    default_population: usize,
    /// Discretization per coordinate (None: continuous).
    cells: Vec<Option<Cells>>,
    run: Run,
    generation: u64,
    restarts: u32,
    /// Evaluations spent in BIPOP's large and small regimes (the first run counts as large).
    large_evaluations: u64,
    small_evaluations: u64,
    /// λ of the latest large-regime run.
    last_large_population: usize,
}

impl CmaEs {
    /// `bounds`: per dimension (low, high), low < high. `mean0`: initial mean (None: the box's center). `seed` feeds every random choice the optimizer makes itself (restart means, BIPOP's small-run sigma/popsize draws), so the state after a given sequence of `tell`s is a pure function of (inputs, seed).
    pub fn new(bounds: Vec<(f64, f64)>, mean0: Option<Vec<f64>>, options: CmaOptions, seed: u64) -> Result<Self> {
        let dim = bounds.len();
        let mean = match mean0 {
            Some(mean) => {
                if mean.len() != dim {
                    return Err(Error::InvalidArgument(format!(
                        "CMA-ES initial mean has {} coordinates, the box has {dim}",
                        mean.len()
                    )));
                }
                if let Some(i) = mean.iter().zip(&bounds).position(|(m, (lo, hi))| !(m >= lo && m <= hi)) {
                    return Err(Error::InvalidArgument(format!(
                        "CMA-ES initial mean coordinate {i} ({}) is outside [{}, {}]",
                        mean[i], bounds[i].0, bounds[i].1
                    )));
                }
                mean
            }
            None => bounds.iter().map(|(lo, hi)| 0.5 * (lo + hi)).collect(),
        };
        Self::build(bounds, DVector::from_vec(mean), None, options, seed)
    }

    /// Warm start (Nomura et al. 2021, WS-CMA-ES, what Optuna's `source_trials` does): initial mean, step size and covariance estimated from the best `gamma` share (default 0.1) of earlier solutions `(x, value)`, with the prior alpha (default 0.1). Errors clearly when there are too few solutions.
    pub fn warm_start(
        bounds: Vec<(f64, f64)>,
        solutions: &[(Vec<f64>, f64)],
        options: CmaOptions,
        seed: u64,
    ) -> Result<Self> {
        Self::warm_start_with(bounds, solutions, 0.1, 0.1, options, seed)
    }

    /// [`CmaEs::warm_start`] with explicit `gamma` (share of the best solutions
    /// kept, in (0, 1]) and `alpha` (prior standard deviation around each
    /// kept solution, as a share of each side of the box: the paper's α on
    /// the unit cube).
    ///
    /// Solutions with NaN values are ignored (infinite ones rank as any
    /// value: only the order of the values is used) and coordinates are
    /// clipped into the box. The first run starts from the fitted mean, step
    /// size and covariance; restarts start afresh as in [`CmaEs::new`].
    pub fn warm_start_with(
        bounds: Vec<(f64, f64)>,
        solutions: &[(Vec<f64>, f64)],
        gamma: f64,
        alpha: f64,
        options: CmaOptions,
        seed: u64,
    ) -> Result<Self> {
        let dim = bounds.len();
        validate_bounds(&bounds)?;
        let gamma_ok = gamma > 0.0 && gamma <= 1.0;
        let alpha_ok = alpha > 0.0 && alpha.is_finite();
        if !(gamma_ok && alpha_ok) {
            return Err(Error::InvalidArgument(format!(
                "CMA-ES warm start needs 0 < gamma <= 1 and alpha > 0, got gamma = {gamma}, alpha = {alpha}"
            )));
        }
        if let Some((x, _)) = solutions.iter().find(|(x, _)| x.len() != dim) {
            return Err(Error::InvalidArgument(format!(
                "CMA-ES warm start solution has {} coordinates, the box has {dim}",
                x.len()
            )));
        }
        let mut usable: Vec<(&[f64], f64)> = solutions
            .iter()
            .filter(|(x, v)| !v.is_nan() && x.iter().all(|c| c.is_finite()))
            .map(|(x, v)| (x.as_slice(), *v))
            .collect();
        let keep = (gamma * usable.len() as f64).floor() as usize;
        if keep == 0 {
            return Err(Error::InvalidArgument(format!(
                "CMA-ES warm start needs at least {} solutions with values (the best {gamma} share must hold \
                 one), got {}",
                (1.0 / gamma).ceil(),
                usable.len()
            )));
        }
        usable.sort_by(|a, b| a.1.total_cmp(&b.1));
        let clipped: Vec<DVector<f64>> = usable[..keep]
            .iter()
            .map(|(x, _)| DVector::from_iterator(dim, x.iter().zip(&bounds).map(|(&c, &(lo, hi))| c.clamp(lo, hi))))
            .collect();
        let mean = clipped.iter().fold(DVector::zeros(dim), |acc, x| acc + x) / keep as f64;
        // The best solutions each widened by the prior N(x, α²): the single
        // Gaussian closest in KL divergence to that mixture.
        let mut cov = DMatrix::from_diagonal(&DVector::from_iterator(
            dim,
            bounds.iter().map(|(lo, hi)| (alpha * (hi - lo)).powi(2)),
        ));
        for x in &clipped {
            let d = x - &mean;
            cov.ger(1.0 / keep as f64, &d, &d, 1.0);
        }
        if options.separable {
            cov = DMatrix::from_diagonal(&cov.diagonal());
        }
        // σ = det(Σ)^{1/(2n)}, so C = Σ/σ² has determinant one.
        let eigenvalues = SymmetricEigen::new(cov.clone()).eigenvalues;
        let log_det: f64 = eigenvalues.iter().map(|v| v.max(f64::MIN_POSITIVE).ln()).sum();
        let sigma = (log_det / (2.0 * dim as f64)).exp();
        let shape = cov / (sigma * sigma);
        Self::build(bounds, mean, Some((sigma, shape)), options, seed)
    }

    fn build(
        bounds: Vec<(f64, f64)>,
        mean: DVector<f64>,
        warm: Option<(f64, DMatrix<f64>)>,
        mut options: CmaOptions,
        seed: u64,
    ) -> Result<Self> {
        validate_bounds(&bounds)?;
        let dim = bounds.len();
        if options.discrete_widths.is_empty() {
            options.discrete_widths = vec![None; dim];
        }
        if options.discrete_widths.len() != dim {
            return Err(Error::InvalidArgument(format!(
                "CMA-ES discrete_widths has {} entries, the box has {dim}",
                options.discrete_widths.len()
            )));
        }
        if options.inc_popsize == 0 {
            return Err(Error::InvalidArgument("CMA-ES inc_popsize must be at least 1".into()));
        }
        let smallest_side = bounds.iter().map(|(lo, hi)| hi - lo).fold(f64::INFINITY, f64::min);
        let sigma0 = options.sigma0.unwrap_or(smallest_side / 6.0);
        if !(sigma0 > 0.0 && sigma0.is_finite()) {
            return Err(Error::InvalidArgument(format!("CMA-ES sigma0 must be positive and finite, got {sigma0}")));
        }
        let default_population = options.population_size.unwrap_or(4 + (3.0 * (dim as f64).ln()).floor() as usize);
        if default_population < 2 {
            return Err(Error::InvalidArgument(format!(
                "CMA-ES population size must be at least 2, got {default_population}"
            )));
        }
        let mut cells = Vec::with_capacity(dim);
        for (i, (width, &(lo, hi))) in options.discrete_widths.iter().zip(&bounds).enumerate() {
            cells.push(match *width {
                None => None,
                Some(w) if w > 0.0 && w.is_finite() => {
                    // A side that is a whole number of steps up to rounding must not gain a sliver cell.
                    let count = ((hi - lo) / w - 1e-9).ceil().max(1.0) as usize;
                    (count >= 2).then_some(Cells { low: lo, width: w, count })
                }
                Some(w) => {
                    return Err(Error::InvalidArgument(format!(
                        "CMA-ES discrete width of coordinate {i} must be positive and finite, got {w}"
                    )))
                }
            });
        }
        let any_discrete = cells.iter().any(Option::is_some);
        let strategy = Strategy::new(dim, default_population, options.separable);
        let (sigma, cov) = match warm {
            None => (sigma0, Covariance::identity(dim, options.separable)),
            Some((sigma, shape)) if options.separable => {
                let mut cov = Covariance::Diagonal { diagonal: shape.diagonal(), scales: DVector::zeros(dim) };
                cov.decompose(0);
                (sigma, cov)
            }
            Some((sigma, shape)) => (sigma, Covariance::full(shape, 0)),
        };
        let run = Run::new(strategy, mean, sigma, cov, any_discrete, Regime::Large);
        Ok(CmaEs {
            bounds,
            options,
            seed,
            sigma0,
            default_population,
            cells,
            run,
            generation: 0,
            restarts: 0,
            large_evaluations: 0,
            small_evaluations: 0,
            last_large_population: default_population,
        })
    }

    /// Generations told so far, over all restarts (monotone). The sampler tags each trial with it.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// λ of the current run.
    pub fn population_size(&self) -> usize {
        self.run.strategy.lambda
    }

    /// Number of restarts so far.
    #[cfg(test)]
    pub fn restarts(&self) -> u32 {
        self.restarts
    }

    /// Number of coordinates.
    pub fn dim(&self) -> usize {
        self.bounds.len()
    }

    /// A candidate from the current search distribution, inside the bounds (resample up to 100 times as the cmaes library does, then clip/repair). Pure: `&self`, randomness only from `rng`. The margin correction's effect on sampling must be included.
    pub fn ask<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> Vec<f64> {
        let dim = self.dim();
        let run = &self.run;
        let mut z = vec![0.0; dim];
        let mut x = vec![0.0; dim];
        for _ in 0..MAX_RESAMPLES {
            for zi in z.iter_mut() {
                *zi = rng.sample(StandardNormal);
            }
            run.cov.transform_into(&z, &mut x);
            for ((c, &m), &a) in x.iter_mut().zip(run.mean.iter()).zip(run.margin_scale.iter()) {
                *c = m + run.sigma * a * *c;
            }
            if x.iter().zip(&self.bounds).all(|(&c, &(lo, hi))| c >= lo && c <= hi) {
                return x;
            }
        }
        for (c, &(lo, hi)) in x.iter_mut().zip(&self.bounds) {
            *c = c.clamp(lo, hi);
        }
        x
    }

    /// Update with exactly `population_size()` evaluated solutions of the current generation (any order; NaN/inf values rank worst). Includes the step-size and covariance updates, the margin correction, eigendecomposition refresh as needed (lazy update is fine), numerical safeguards (keep C symmetric positive definite, bound sigma), and — when a termination criterion fires (TolX, TolFun over recent generations, TolHistFun, condition number of C > 1e14, no effect of axis/coordinate, TolXUp; Hansen's tutorial Appendix / the cmaes library's `should_stop`) — a restart per `options.restart` (IPOP: λ *= inc_popsize, mean uniformly random in the box drawn from the seed and restart index, sigma reset; BIPOP: Hansen 2009's alternation of large-population runs and small-population runs by evaluation budget). With Restart::None the run simply continues.
    ///
    /// Ties keep the told order. Coordinates must be finite; they are
    /// clipped into the box.
    pub fn tell(&mut self, solutions: &[(Vec<f64>, f64)]) -> Result<()> {
        let dim = self.dim();
        let lambda = self.population_size();
        if solutions.len() != lambda {
            return Err(Error::InvalidArgument(format!(
                "CMA-ES tell needs the whole generation: {lambda} solutions, got {}",
                solutions.len()
            )));
        }
        if let Some((x, _)) = solutions.iter().find(|(x, _)| x.len() != dim || x.iter().any(|c| !c.is_finite())) {
            return Err(Error::InvalidArgument(format!(
                "CMA-ES tell needs {dim} finite coordinates per solution, got {x:?}"
            )));
        }
        // NaN ranks worst; infinities keep their order (-inf best, +inf
        // worst: a diverged run), as Optuna's sort of the generation does.
        let rank_key = |v: f64| if v.is_nan() { f64::INFINITY } else { v };
        let mut order: Vec<usize> = (0..lambda).collect();
        order.sort_by(|&a, &b| rank_key(solutions[a].1).total_cmp(&rank_key(solutions[b].1)));

        // Clip so a caller's rounding past the edge cannot pull the mean out of the box.
        let clipped: Vec<Vec<f64>> = order
            .iter()
            .map(|&k| solutions[k].0.iter().zip(&self.bounds).map(|(&c, &(lo, hi))| c.clamp(lo, hi)).collect())
            .collect();
        let sorted: Vec<(&[f64], f64)> =
            order.iter().zip(&clipped).map(|(&k, x)| (x.as_slice(), rank_key(solutions[k].1))).collect();
        let generation_best = sorted[0].1;

        self.run.update(&sorted, &self.cells);
        let finite = sorted.iter().map(|s| s.1).filter(|v| v.is_finite());
        self.run.last_range = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
        self.run.best_history.push_back(generation_best);
        if self.run.best_history.len() > self.run.strategy.history_len {
            self.run.best_history.pop_front();
        }

        self.generation += 1;
        match self.run.regime {
            Regime::Large => self.large_evaluations += lambda as u64,
            Regime::Small => self.small_evaluations += lambda as u64,
        }
        if self.options.restart != Restart::None && self.run.should_stop() {
            self.restart();
        }
        Ok(())
    }

    /// Start a new run from a uniformly random mean.
    fn restart(&mut self) {
        self.restarts += 1;
        let mut rng = rng_for(self.seed, u64::from(self.restarts), "cmaes-restart");
        let dim = self.dim();
        let mean =
            DVector::from_iterator(dim, self.bounds.iter().map(|&(lo, hi)| lo + rng.random::<f64>() * (hi - lo)));
        let growth = self.options.inc_popsize;
        let (lambda, sigma, regime) = match self.options.restart {
            Restart::Bipop if self.small_evaluations < self.large_evaluations => {
                // Hansen 2009: λ_s = ⌊λ_def·(λ_l / (2 λ_def))^{U²}⌋, σ_s = σ0·10^{-2U'}.
                let ratio = self.last_large_population as f64 / (2.0 * self.default_population as f64);
                let u: f64 = rng.random();
                let lambda = (self.default_population as f64 * ratio.powf(u * u)).floor() as usize;
                let sigma = self.sigma0 * 10f64.powf(-2.0 * rng.random::<f64>());
                (lambda.max(2), sigma, Regime::Small)
            }
            Restart::Bipop => {
                self.last_large_population = self.last_large_population.saturating_mul(growth);
                (self.last_large_population, self.sigma0, Regime::Large)
            }
            Restart::Ipop | Restart::None => {
                (self.run.strategy.lambda.saturating_mul(growth), self.sigma0, Regime::Large)
            }
        };
        let strategy = Strategy::new(dim, lambda, self.options.separable);
        let any_discrete = self.cells.iter().any(Option::is_some);
        let cov = Covariance::identity(dim, self.options.separable);
        self.run = Run::new(strategy, mean, sigma, cov, any_discrete, regime);
    }

    /// The current mean.
    #[cfg(test)]
    pub fn mean(&self) -> &[f64] {
        self.run.mean.as_slice()
    }

    /// The current step size σ.
    #[cfg(test)]
    pub fn sigma(&self) -> f64 {
        self.run.sigma
    }
}

fn validate_bounds(bounds: &[(f64, f64)]) -> Result<()> {
    if bounds.is_empty() {
        return Err(Error::InvalidArgument("CMA-ES needs at least one coordinate".into()));
    }
    if let Some(i) = bounds.iter().position(|&(lo, hi)| !(lo.is_finite() && hi.is_finite() && lo < hi)) {
        return Err(Error::InvalidArgument(format!(
            "CMA-ES bounds of coordinate {i} must be finite with low < high, got ({}, {})",
            bounds[i].0, bounds[i].1
        )));
    }
    Ok(())
}

#[cfg(test)]
#[path = "optimizer_tests.rs"]
mod tests;
