//! Log expected improvement (Ament et al., "Unexpected Improvements to
//! Expected Improvement for Bayesian Optimization", NeurIPS 2023), optionally
//! times the probability of satisfying constraints.
//!
//! EI at a point with posterior `N(μ, σ²)` and incumbent `f*` is
//! `σ·h(z)`, `z = (μ − f*)/σ`, `h(z) = φ(z) + zΦ(z)`. Far below the incumbent
//! `h` underflows to 0, leaving a flat acquisition landscape a gradient
//! optimizer cannot climb. Working with `ln h` instead, evaluated without
//! cancellation in each regime, keeps value and gradient finite and
//! informative everywhere:
//! - `z > −1`: `h` is not small, compute it directly;
//! - `−25 ≤ z ≤ −1`: `h = e^{−z²/2}/√(2π) · (1 − |z|·erfcx(|z|/√2)·√(π/2))`,
//!   whose last factor is formed through `log1mexp`;
//! - `z < −25`: the same factor is the convergent-in-practice asymptotic
//!   series `1/z² − 3/z⁴ + 15/z⁶ − …`, summed without cancellation.
//!
//! With several objectives the objective term is [`LogEhvi`], the log
//! expected hypervolume improvement of one GP per objective, estimated by
//! quasi-Monte Carlo over a box decomposition of the region the observed
//! Pareto front does not dominate (`boxes.rs`).

use super::boxes::non_dominated_boxes;
use super::model::Gp;
use crate::numerics::{erfcx, log1mexp, log_ndtr_with_grad, ndtr, ndtri, norm_pdf, LN_SQRT_2PI};
use crate::QmcSampler;

/// Variance floor (standardized units): keeps `σ > 0` at training points of
/// a noiseless model.
const MIN_VAR: f64 = 1e-12;

/// `ln h(z)` with `h(z) = φ(z) + zΦ(z)`, and its derivative `Φ(z)/h(z)`.
pub(crate) fn log_h(z: f64) -> (f64, f64) {
    if z > -1.0 {
        let cdf = ndtr(z);
        let h = norm_pdf(z) + z * cdf;
        (h.ln(), cdf / h)
    } else if z >= -25.0 {
        let e = erfcx(-z * std::f64::consts::FRAC_1_SQRT_2);
        // ln(|z|·erfcx·√(π/2)) < 0; its log1mexp is ln of the factor above.
        let a = (e * -z).ln() + 0.5 * std::f64::consts::FRAC_PI_2.ln();
        let l = log1mexp(a);
        // Φ/h = ½erfcx / ((1/√(2π))(1 − eᵃ)), all in logs.
        (-0.5 * z * z - LN_SQRT_2PI + l, ((0.5 * e).ln() + LN_SQRT_2PI - l).exp())
    } else {
        // Φ(z)·√(2π)·e^{z²/2}·|z| = s0 = Σ (−1)^k (2k−1)!!/z^{2k};
        // h·√(2π)·e^{z²/2} = s1 = 1 − s0 = 1/z² − 3/z⁴ + …
        let z = z.max(-1e150);
        let inv2 = 1.0 / (z * z);
        let (mut term, mut s1) = (inv2, inv2);
        for k in 2..12 {
            term *= -((2 * k - 1) as f64) * inv2;
            s1 += term;
        }
        let s0 = 1.0 - s1;
        (-0.5 * z * z - LN_SQRT_2PI + s1.ln(), s0 / (-z * s1))
    }
}

/// What the acquisition rewards, before constraints.
#[derive(Debug, Clone)]
enum Objective<'a> {
    /// logEI of one GP against an incumbent on its standardized scale;
    /// `None`: no feasible observation yet, feasibility alone counts.
    LogEi { gp: &'a Gp, best: Option<f64> },
    /// LogEHVI of one GP per objective; `None`: no feasible observation
    /// yet, feasibility alone counts.
    LogEhvi { gps: &'a [Gp], ehvi: Option<LogEhvi> },
}

/// The acquisition function maximized to propose the next point: logEI of
/// the objective GP (or LogEHVI of several), plus `Σ ln P(c_i ≤ 0)` over
/// constraint GPs.
#[derive(Debug, Clone)]
pub(crate) struct Acquisition<'a> {
    objective: Objective<'a>,
    constraints: &'a [Gp],
    /// Each constraint's threshold 0, on that constraint's standardized scale.
    thresholds: Vec<f64>,
}

impl<'a> Acquisition<'a> {
    /// logEI of `gp` with respect to the incumbent `best_standardized`
    /// (e.g. [`Gp::best_observed_standardized`], or [`Gp::standardize`] of
    /// the best feasible raw value).
    pub fn log_ei(gp: &'a Gp, best_standardized: f64) -> Self {
        Acquisition {
            objective: Objective::LogEi { gp, best: Some(best_standardized) },
            constraints: &[],
            thresholds: Vec::new(),
        }
    }

    /// LogEHVI over `gps`, one per objective on the same inputs; `ehvi`
    /// holds the boxes and the samples (`None` when no observation is
    /// feasible: then add constraints, and their log probability alone is
    /// maximized).
    pub fn log_ehvi(gps: &'a [Gp], ehvi: Option<LogEhvi>) -> Self {
        Acquisition { objective: Objective::LogEhvi { gps, ehvi }, constraints: &[], thresholds: Vec::new() }
    }

    /// Adds constraints: one GP per constraint fitted on its raw values
    /// (plain standardization), satisfied where the value is `<= 0`.
    /// `best_feasible_standardized` replaces the incumbent of logEI: the
    /// best feasible objective value on `gp`'s standardized scale, or
    /// `None` when no observation is feasible, in which case the
    /// acquisition is the log probability of feasibility alone. (LogEHVI
    /// keeps its own boxes, built by the caller from feasible observations.)
    pub fn with_constraints(mut self, constraints: &'a [Gp], best_feasible_standardized: Option<f64>) -> Self {
        self.constraints = constraints;
        self.thresholds = constraints.iter().map(|c| c.standardize(0.0)).collect();
        if let Objective::LogEi { best, .. } = &mut self.objective {
            *best = best_feasible_standardized;
        }
        self
    }

    /// Lengthscale of each coordinate the local search scales by: the
    /// objective GP's, or with several objectives their mean (as Optuna:
    /// the objectives matter equally).
    pub fn lengthscales(&self) -> Vec<f64> {
        let of = |gp: &Gp| -> Vec<f64> { gp.params().inv_sq_lengthscales.iter().map(|r| 1.0 / r.sqrt()).collect() };
        match &self.objective {
            Objective::LogEi { gp, .. } => of(gp),
            Objective::LogEhvi { gps, .. } => {
                let mut mean = vec![0.0; gps[0].params().inv_sq_lengthscales.len()];
                for gp in gps.iter() {
                    for (m, l) in mean.iter_mut().zip(of(gp)) {
                        *m += l / gps.len() as f64;
                    }
                }
                mean
            }
        }
    }

    /// The acquisition at `x` (no gradient).
    pub fn value(&self, x: &[f64]) -> f64 {
        let mut v = 0.0;
        match &self.objective {
            Objective::LogEi { gp, best: Some(best) } => {
                let (mean, var) = gp.posterior(x);
                v += log_ei_value(mean, var, *best);
            }
            Objective::LogEhvi { gps, ehvi: Some(ehvi) } => {
                let (means, vars): (Vec<f64>, Vec<f64>) = gps.iter().map(|gp| gp.posterior(x)).unzip();
                v += ehvi.value(&means, &vars);
            }
            _ => {}
        }
        for (c, &t) in self.constraints.iter().zip(&self.thresholds) {
            let (mean, var) = c.posterior(x);
            v += log_ndtr_with_grad((t - mean) / var.max(MIN_VAR).sqrt()).0;
        }
        v
    }

    /// The acquisition at each of `xs` (batched matrix products; for
    /// screening many candidates).
    pub fn values(&self, xs: &[Vec<f64>]) -> Vec<f64> {
        let mut v = vec![0.0; xs.len()];
        match &self.objective {
            Objective::LogEi { gp, best: Some(best) } => {
                for (vi, (mean, var)) in v.iter_mut().zip(gp.posterior_batch(xs)) {
                    *vi += log_ei_value(mean, var, *best);
                }
            }
            Objective::LogEhvi { gps, ehvi: Some(ehvi) } => {
                let posteriors: Vec<Vec<(f64, f64)>> = gps.iter().map(|gp| gp.posterior_batch(xs)).collect();
                let (mut means, mut vars) = (vec![0.0; gps.len()], vec![0.0; gps.len()]);
                for (i, vi) in v.iter_mut().enumerate() {
                    for (j, p) in posteriors.iter().enumerate() {
                        (means[j], vars[j]) = p[i];
                    }
                    *vi += ehvi.value(&means, &vars);
                }
            }
            _ => {}
        }
        for (c, &t) in self.constraints.iter().zip(&self.thresholds) {
            for (vi, (mean, var)) in v.iter_mut().zip(c.posterior_batch(xs)) {
                *vi += log_ndtr_with_grad((t - mean) / var.max(MIN_VAR).sqrt()).0;
            }
        }
        v
    }

    /// Value and gradient with respect to the coordinates; gradient entries
    /// are meaningful for continuous coordinates (the optimizer uses only
    /// those), discrete ones carry the relaxed derivative and categorical
    /// ones 0.
    pub fn value_and_grad(&self, x: &[f64]) -> (f64, Vec<f64>) {
        let mut v = 0.0;
        let mut g = vec![0.0; x.len()];
        match &self.objective {
            Objective::LogEi { gp, best: Some(best) } => {
                let (mean, var, gm, gv) = gp.posterior_with_grad(x);
                let (val, d_mean, d_var) = log_ei_with_grad(mean, var, *best);
                v += val;
                for ((gi, a), b) in g.iter_mut().zip(&gm).zip(&gv) {
                    *gi += d_mean * a + d_var * b;
                }
            }
            Objective::LogEhvi { gps, ehvi: Some(ehvi) } => {
                let posteriors: Vec<_> = gps.iter().map(|gp| gp.posterior_with_grad(x)).collect();
                let means: Vec<f64> = posteriors.iter().map(|p| p.0).collect();
                let vars: Vec<f64> = posteriors.iter().map(|p| p.1).collect();
                let (val, d_means, d_vars) = ehvi.value_and_grad(&means, &vars);
                v += val;
                for (((_, _, gm, gv), d_mean), d_var) in posteriors.iter().zip(&d_means).zip(&d_vars) {
                    for ((gi, a), b) in g.iter_mut().zip(gm).zip(gv) {
                        *gi += d_mean * a + d_var * b;
                    }
                }
            }
            _ => {}
        }
        for (c, &t) in self.constraints.iter().zip(&self.thresholds) {
            let (mean, var, gm, gv) = c.posterior_with_grad(x);
            let clamped = var < MIN_VAR;
            let sigma = var.max(MIN_VAR).sqrt();
            let w = (t - mean) / sigma;
            let (val, dw) = log_ndtr_with_grad(w);
            v += val;
            // w = (t − μ)/σ: ∂w = −∂μ/σ − w·∂σ/σ, ∂σ = ∂var/(2σ).
            let d_var = if clamped { 0.0 } else { -w / (2.0 * var) };
            for ((gi, a), b) in g.iter_mut().zip(&gm).zip(&gv) {
                *gi += dw * (-a / sigma + d_var * b);
            }
        }
        (v, g)
    }
}

/// logEI from posterior mean and variance.
pub(crate) fn log_ei_value(mean: f64, var: f64, best: f64) -> f64 {
    let sigma = var.max(MIN_VAR).sqrt();
    sigma.ln() + log_h((mean - best) / sigma).0
}

/// logEI and its partial derivatives with respect to the mean and the variance.
pub(crate) fn log_ei_with_grad(mean: f64, var: f64, best: f64) -> (f64, f64, f64) {
    let clamped = var < MIN_VAR;
    let sigma = var.max(MIN_VAR).sqrt();
    let z = (mean - best) / sigma;
    let (lh, dlh) = log_h(z);
    let d_mean = dlh / sigma;
    // ∂/∂σ (ln σ + ln h(z)) = (1 − z·h'/h)/σ, and ∂σ/∂var = 1/(2σ).
    let d_var = if clamped { 0.0 } else { (1.0 - z * dlh) / (2.0 * var) };
    (sigma.ln() + lh, d_mean, d_var)
}

/// Quasi-Monte Carlo samples per LogEHVI evaluation (BoTorch's default,
/// and Optuna's).
pub(crate) const N_QMC_SAMPLES: usize = 128;

/// Log expected hypervolume improvement (Daulton et al., "Differentiable
/// Expected Hypervolume Improvement for Parallel Multi-Objective Bayesian
/// Optimization", NeurIPS 2020; its log form after Ament et al. 2023) of
/// independent GPs, one per objective.
///
/// The expectation is a quasi-Monte Carlo mean over fixed standard-normal
/// samples `z_s` (scrambled Sobol points through the normal quantile):
/// sample `s` of objective `j` is `μ_j + σ_j z_sj`. With the samples fixed
/// the estimate is a deterministic function of `x`, smooth between the
/// kinks where a sample crosses a box side, which L-BFGS can climb; Sobol
/// points estimate the mean with less spread than random ones at 128
/// samples (a few percent from the exact value in the tests). With
/// independent GPs the expectation also has a closed form per box, which
/// the tests use as a cross-check; the sampled form is Optuna's, and the one
/// that carries over to correlated objectives and batches.
///
/// Each sample's improvement is `Σ_boxes Π_j min(u_j − y_j, u_j − l_j)`
/// over the boxes of the non-dominated region (loss space), with each side
/// floored at a tiny positive width (`min_side`, Optuna's 1e-12) instead of 0.
/// The floor keeps the logarithm finite where no sample improves, and where
/// a sample improves in some objectives but not all, the improving sides
/// still carry a gradient towards the region. Because every term is at
/// least the floor's product (no underflow) and all are positive (no
/// cancellation), the sum over boxes and samples is formed in linear space
/// and only the mean is logged: no per-box logarithm or exponential.
#[derive(Debug, Clone)]
pub(crate) struct LogEhvi {
    n_objectives: usize,
    /// Box upper corners, `n_boxes × n_objectives`, standardized losses.
    box_upper: Vec<f64>,
    /// Box side lengths `u − l` floored at `min_side` (`∞` for an
    /// unbounded side).
    box_side: Vec<f64>,
    /// Standard-normal QMC samples, `n_samples × n_objectives`.
    normal_samples: Vec<f64>,
    /// The floor of a side's width.
    min_side: f64,
}

impl LogEhvi {
    /// Optuna's reference point for the (standardized) losses of the
    /// observations: per objective the worst loss pushed 10% of its
    /// magnitude further out, and one representable step beyond, so the
    /// worst points still dominate a sliver.
    pub fn reference_point(losses: &[Vec<f64>]) -> Vec<f64> {
        let n_objectives = losses.first().map_or(0, Vec::len);
        (0..n_objectives)
            .map(|j| {
                let worst = losses.iter().map(|l| l[j]).fold(f64::NEG_INFINITY, f64::max);
                next_up((1.1 * worst).max(0.9 * worst))
            })
            .collect()
    }

    /// The acquisition for observed standardized `losses` (each the negated
    /// standardized value of a GP that maximizes; only feasible
    /// observations) and `n_samples` QMC samples from `seed`.
    pub fn new(losses: &[Vec<f64>], n_samples: usize, seed: u64) -> Self {
        let reference = Self::reference_point(losses);
        Self::with_reference(losses, &reference, n_samples, seed)
    }

    /// [`LogEhvi::new`] with a given reference point.
    pub fn with_reference(losses: &[Vec<f64>], reference: &[f64], n_samples: usize, seed: u64) -> Self {
        let n_objectives = reference.len();
        // 1e-12 per side as Optuna; with very many objectives a larger one,
        // so the product of floors stays far above underflow.
        let min_side = 1e-12f64.max(10f64.powf(-280.0 / n_objectives.max(1) as f64));
        let (mut box_upper, mut box_side) = (Vec::new(), Vec::new());
        for (lower, upper) in non_dominated_boxes(losses, reference) {
            for (l, u) in lower.iter().zip(&upper) {
                box_upper.push(*u);
                box_side.push((u - l).max(min_side));
            }
        }
        let qmc = QmcSampler::with_seed(seed);
        let normal_samples = (0..n_samples as u64)
            .flat_map(|s| (0..n_objectives as u64).map(move |j| (s, j)))
            .map(|(s, j)| ndtri(qmc.unit(s, j).clamp(1e-16, 1.0 - 1e-16)))
            .collect();
        LogEhvi { n_objectives, box_upper, box_side, normal_samples, min_side }
    }

    /// Number of boxes of the decomposition.
    #[cfg(test)]
    pub fn n_boxes(&self) -> usize {
        self.box_upper.len() / self.n_objectives.max(1)
    }

    /// The floored improvement of the loss vector `loss` (the quantity
    /// averaged over samples).
    pub fn improvement(&self, loss: &[f64]) -> f64 {
        let m = self.n_objectives;
        let mut total = 0.0;
        for (upper, side) in self.box_upper.chunks_exact(m).zip(self.box_side.chunks_exact(m)) {
            let mut product = 1.0;
            for j in 0..m {
                product *= (upper[j] - loss[j]).max(self.min_side).min(side[j]);
            }
            total += product;
        }
        total
    }

    /// LogEHVI from each objective's posterior mean and variance (of the
    /// standardized values the GPs maximize).
    pub fn value(&self, means: &[f64], vars: &[f64]) -> f64 {
        let m = self.n_objectives;
        let sigmas: Vec<f64> = vars.iter().map(|v| (v + MIN_VAR).sqrt()).collect();
        let mut loss = vec![0.0; m];
        let mut total = 0.0;
        let n_samples = self.normal_samples.len() / m.max(1);
        for z in self.normal_samples.chunks_exact(m) {
            for j in 0..m {
                loss[j] = -(means[j] + sigmas[j] * z[j]);
            }
            total += self.improvement(&loss);
        }
        total.ln() - (n_samples as f64).ln()
    }

    /// LogEHVI and its partial derivatives with respect to each objective's
    /// posterior mean and variance.
    pub fn value_and_grad(&self, means: &[f64], vars: &[f64]) -> (f64, Vec<f64>, Vec<f64>) {
        let m = self.n_objectives;
        let sigmas: Vec<f64> = vars.iter().map(|v| (v + MIN_VAR).sqrt()).collect();
        let n_samples = self.normal_samples.len() / m.max(1);
        let mut loss = vec![0.0; m];
        let mut sides = vec![0.0; m];
        let mut total = 0.0;
        // ∂(Σ improvements)/∂μ_j and /∂σ_j, scaled by 1/total at the end.
        let (mut d_means, mut d_sigmas) = (vec![0.0; m], vec![0.0; m]);
        for z in self.normal_samples.chunks_exact(m) {
            for j in 0..m {
                loss[j] = -(means[j] + sigmas[j] * z[j]);
            }
            for (upper, side) in self.box_upper.chunks_exact(m).zip(self.box_side.chunks_exact(m)) {
                let mut product = 1.0;
                for j in 0..m {
                    sides[j] = (upper[j] - loss[j]).max(self.min_side).min(side[j]);
                    product *= sides[j];
                }
                total += product;
                for j in 0..m {
                    let width = upper[j] - loss[j];
                    // A side at its floor or its full length does not move
                    // with the loss.
                    if width > self.min_side && width < side[j] {
                        // ∂side/∂loss = −1, ∂loss/∂μ = −1, ∂loss/∂σ = −z.
                        let d = product / sides[j];
                        d_means[j] += d;
                        d_sigmas[j] += d * z[j];
                    }
                }
            }
        }
        let value = total.ln() - (n_samples as f64).ln();
        let d_vars = d_sigmas.iter().zip(&sigmas).map(|(d, s)| d / total / (2.0 * s)).collect();
        let d_means = d_means.iter().map(|d| d / total).collect();
        (value, d_means, d_vars)
    }
}

/// The next representable `f64` above a finite `x`.
fn next_up(x: f64) -> f64 {
    if x == 0.0 {
        return f64::from_bits(1);
    }
    let bits = x.to_bits();
    f64::from_bits(if x > 0.0 { bits + 1 } else { bits - 1 })
}
