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

use super::model::Gp;
use crate::numerics::{erfcx, log1mexp, log_ndtr_with_grad, ndtr, norm_pdf, LN_SQRT_2PI};

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

/// The acquisition function maximized to propose the next point: logEI of
/// the objective GP, plus `Σ ln P(c_i ≤ 0)` over constraint GPs.
#[derive(Debug, Clone)]
pub(crate) struct Acquisition<'a> {
    gp: &'a Gp,
    /// Incumbent on the objective's standardized scale; `None`: no feasible
    /// observation yet, maximize the probability of feasibility alone.
    best: Option<f64>,
    constraints: &'a [Gp],
    /// Each constraint's threshold 0, on that constraint's standardized scale.
    thresholds: Vec<f64>,
}

impl<'a> Acquisition<'a> {
    /// logEI of `gp` with respect to the incumbent `best_standardized`
    /// (e.g. [`Gp::best_observed_standardized`], or [`Gp::standardize`] of
    /// the best feasible raw value).
    pub fn log_ei(gp: &'a Gp, best_standardized: f64) -> Self {
        Acquisition { gp, best: Some(best_standardized), constraints: &[], thresholds: Vec::new() }
    }

    /// Adds constraints: one GP per constraint fitted on its raw values
    /// (plain standardization), satisfied where the value is `<= 0`.
    /// `best_feasible_standardized` replaces the incumbent: the best feasible
    /// objective value on `gp`'s standardized scale, or `None` when no
    /// observation is feasible, in which case the acquisition is the log
    /// probability of feasibility alone.
    pub fn with_constraints(mut self, constraints: &'a [Gp], best_feasible_standardized: Option<f64>) -> Self {
        self.constraints = constraints;
        self.thresholds = constraints.iter().map(|c| c.standardize(0.0)).collect();
        self.best = best_feasible_standardized;
        self
    }

    /// The objective GP.
    pub fn gp(&self) -> &Gp {
        self.gp
    }

    /// The acquisition at `x` (no gradient).
    pub fn value(&self, x: &[f64]) -> f64 {
        let mut v = 0.0;
        if let Some(best) = self.best {
            let (mean, var) = self.gp.posterior(x);
            v += log_ei_value(mean, var, best);
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
        if let Some(best) = self.best {
            for (vi, (mean, var)) in v.iter_mut().zip(self.gp.posterior_batch(xs)) {
                *vi += log_ei_value(mean, var, best);
            }
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
        if let Some(best) = self.best {
            let (mean, var, gm, gv) = self.gp.posterior_with_grad(x);
            let (val, d_mean, d_var) = log_ei_with_grad(mean, var, best);
            v += val;
            for ((gi, a), b) in g.iter_mut().zip(&gm).zip(&gv) {
                *gi += d_mean * a + d_var * b;
            }
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
