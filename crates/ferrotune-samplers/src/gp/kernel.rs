//! The search-space dimensions the GP works on and its covariance function:
//! a Matérn 5/2 kernel with one inverse squared lengthscale per dimension
//! (ARD), times an output scale, over mixed continuous, discrete and
//! categorical coordinates.
//!
//! Continuous and discrete coordinates contribute `(x_d - x'_d)²` to the
//! squared distance; categorical ones contribute `[x_d != x'_d]` (a Hamming
//! term), as Optuna's `GPSampler` does, because choice indices have no order.
//! Each contribution is weighted by the dimension's inverse squared
//! lengthscale.

use ferrotune_core::{Error, Result};

/// One coordinate of the GP's input space. The caller maps parameters to
/// these coordinates (log scales and steps already applied).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Dim {
    /// A real coordinate in [0, 1].
    Continuous,
    /// A coordinate restricted to the given positions in [0, 1] (sorted,
    /// ascending), e.g. integers or steps scaled into the unit interval.
    Discrete {
        /// The admissible positions, sorted ascending.
        values: Vec<f64>,
    },
    /// An unordered choice; the coordinate holds the choice index as `f64`.
    Categorical {
        /// Number of choices (at least 1).
        n_choices: usize,
    },
}

impl Dim {
    /// Whether the coordinate is a categorical index (Hamming distance).
    pub fn is_categorical(&self) -> bool {
        matches!(self, Dim::Categorical { .. })
    }

    /// Whether the coordinate is real-valued (optimized by gradient).
    pub fn is_continuous(&self) -> bool {
        matches!(self, Dim::Continuous)
    }

    /// The admissible value nearest to `v`: clamped into [0, 1] for a
    /// continuous coordinate, the nearest listed position for a discrete
    /// one, the nearest valid index for a categorical one.
    pub fn round(&self, v: f64) -> f64 {
        let v = if v.is_nan() { 0.0 } else { v };
        match self {
            Dim::Continuous => v.clamp(0.0, 1.0),
            Dim::Discrete { values } => values[nearest_index(values, v)],
            Dim::Categorical { n_choices } => v.round().clamp(0.0, (*n_choices).max(1) as f64 - 1.0),
        }
    }

    /// The admissible values of a discrete or categorical coordinate (`None`
    /// for a continuous one).
    pub fn choices(&self) -> Option<Vec<f64>> {
        match self {
            Dim::Continuous => None,
            Dim::Discrete { values } => Some(values.clone()),
            Dim::Categorical { n_choices } => Some((0..*n_choices).map(|i| i as f64).collect()),
        }
    }

    /// Rejects a dimension the GP cannot work with.
    pub(crate) fn validate(&self) -> Result<()> {
        match self {
            Dim::Continuous => Ok(()),
            Dim::Discrete { values } => {
                if values.is_empty() || values.iter().any(|v| !v.is_finite()) {
                    return Err(Error::InvalidArgument("a discrete GP dimension needs finite values".into()));
                }
                if values.windows(2).any(|w| w[0] > w[1]) {
                    return Err(Error::InvalidArgument("a discrete GP dimension's values must be sorted".into()));
                }
                Ok(())
            }
            Dim::Categorical { n_choices } => {
                if *n_choices == 0 {
                    return Err(Error::InvalidArgument("a categorical GP dimension needs a choice".into()));
                }
                Ok(())
            }
        }
    }
}

/// Index of the entry of sorted `values` nearest to `v` (ties go low).
pub(crate) fn nearest_index(values: &[f64], v: f64) -> usize {
    let i = values.partition_point(|&w| w < v);
    if i == 0 {
        0
    } else if i == values.len() {
        values.len() - 1
    } else if v - values[i - 1] <= values[i] - v {
        i - 1
    } else {
        i
    }
}

/// Hyperparameters of the kernel `scale · matern52(r²) + noise · [x = x']`
/// with `r² = Σ_d inv_sq_lengthscales[d] · δ_d(x, x')`, all on the
/// standardized output scale.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct KernelParams {
    /// One inverse squared lengthscale per dimension: larger means the
    /// function varies faster along that dimension; near zero, irrelevant.
    pub inv_sq_lengthscales: Vec<f64>,
    /// Prior variance of the latent function (the kernel at distance 0).
    pub scale: f64,
    /// Variance of the Gaussian observation noise.
    pub noise: f64,
}

impl KernelParams {
    /// The default starting point of the fit (Optuna's): all inverse squared
    /// lengthscales, the scale and the noise at 1.
    pub fn default_for(n_dims: usize) -> Self {
        KernelParams { inv_sq_lengthscales: vec![1.0; n_dims], scale: 1.0, noise: 1.0 }
    }

    /// Whether every value is finite and positive and the dimension count is `n_dims`.
    pub(crate) fn is_valid_for(&self, n_dims: usize) -> bool {
        self.inv_sq_lengthscales.len() == n_dims
            && self.inv_sq_lengthscales.iter().all(|v| v.is_finite() && *v > 0.0)
            && self.scale.is_finite()
            && self.scale > 0.0
            && self.noise.is_finite()
            && self.noise > 0.0
    }
}

/// Matérn 5/2 correlation as a function of the squared distance `r2`.
#[inline]
pub(crate) fn matern52(r2: f64) -> f64 {
    let s = (5.0 * r2).sqrt();
    (1.0 + s + 5.0 / 3.0 * r2) * exp_nonpositive(-s)
}

/// [`matern52`] and its derivative with respect to `r2` (not `r`: finite
/// at 0, where the derivative with respect to `r` would need 0/0 care),
/// sharing one exponential.
#[inline]
pub(crate) fn matern52_with_deriv(r2: f64) -> (f64, f64) {
    let s = (5.0 * r2).sqrt();
    let e = exp_nonpositive(-s);
    ((1.0 + s + 5.0 / 3.0 * r2) * e, -5.0 / 6.0 * (1.0 + s) * e)
}

/// `exp(x)` for `x <= 0`, to within 2 ulp, without a call into libm so that
/// loops over slices vectorize: `x = k·ln 2 + r` with `|r| <= ln 2 / 2`,
/// a degree-12 Taylor polynomial for `e^r` (truncation below 2e-16
/// relative), and `2^k` assembled in the exponent bits. Arguments below
/// -708 (where `e^x` leaves the normal range) give `e^-708 ≈ 3e-308`
/// instead of a subnormal or 0: a kernel value that small is 0 to every sum
/// it enters. NaN also maps there (`f64::max` drops a NaN operand).
#[inline(always)]
pub(crate) fn exp_nonpositive(x: f64) -> f64 {
    // Round-to-nearest by the 1.5·2⁵² trick: pure arithmetic, no libm call.
    const ROUNDER: f64 = 6_755_399_441_055_744.0;
    // ln 2 split so that k · LN2_HI is exact for |k| < 2¹¹ (fdlibm's split:
    // LN2_HI keeps the top 32 bits of ln 2, LN2_LO the rest).
    const LN2_HI: f64 = f64::from_bits(0x3FE6_2E42_FEE0_0000);
    const LN2_LO: f64 = f64::from_bits(0x3DEA_39EF_3579_3C76);
    // Not `clamp`, which keeps a NaN: this maps it to -708.
    #[allow(clippy::manual_clamp)]
    let x = x.max(-708.0).min(0.0);
    let t = x * std::f64::consts::LOG2_E + ROUNDER;
    let k = t - ROUNDER;
    let r = (x - k * LN2_HI) - k * LN2_LO;
    // Horner, coefficients 1/j! for j = 12 down to 0.
    let mut p = 1.0 / 479_001_600.0;
    for c in [
        1.0 / 39_916_800.0,
        1.0 / 3_628_800.0,
        1.0 / 362_880.0,
        1.0 / 40_320.0,
        1.0 / 5_040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        0.5,
        1.0,
        1.0,
    ] {
        p = p * r + c;
    }
    // k is the integer difference of t's and ROUNDER's mantissas.
    let k_int = t.to_bits() as i64 - ROUNDER.to_bits() as i64;
    p * f64::from_bits(((k_int + 1023) as u64) << 52)
}

/// Per-dimension squared-distance contribution between coordinates `a` and `b`.
#[inline]
pub(crate) fn term(is_categorical: bool, a: f64, b: f64) -> f64 {
    if is_categorical {
        if a == b {
            0.0
        } else {
            1.0
        }
    } else {
        let d = a - b;
        d * d
    }
}

#[cfg(test)]
mod exp_tests {
    use super::*;

    #[test]
    fn the_fast_exponential_matches_libm_to_a_few_ulp() {
        let mut worst = 0.0f64;
        // Every scale from -708 to 0, including the rounding boundaries
        // k ± 1/2 of the range reduction.
        let mut xs: Vec<f64> = (0..200_000).map(|i| -708.0 * (i as f64 / 199_999.0)).collect();
        xs.extend((0..1021).flat_map(|k| {
            let b = -(k as f64 + 0.5) * std::f64::consts::LN_2;
            [b, b * (1.0 + 1e-15), b * (1.0 - 1e-15)]
        }));
        xs.extend([0.0, -0.0, -1e-300, -1e-10, -0.5, -1.0]);
        for x in xs {
            let want = x.exp();
            let got = exp_nonpositive(x);
            let rel = (got - want).abs() / want;
            worst = worst.max(rel);
        }
        assert!(worst < 5e-16, "worst relative error {worst:e}");
        assert_eq!(exp_nonpositive(0.0), 1.0);
        // Below the normal range: tiny, finite, never negative.
        for x in [-709.0, -1e6, f64::NEG_INFINITY, f64::NAN] {
            let v = exp_nonpositive(x);
            assert!((0.0..1e-307).contains(&v), "{x} -> {v}");
        }
    }

    #[test]
    fn matern_value_and_derivative_agree_with_finite_differences() {
        for r2 in [0.0, 1e-6, 0.01, 0.3, 1.0, 4.0, 30.0] {
            let (v, d) = matern52_with_deriv(r2);
            assert_eq!(v, matern52(r2));
            let s = (5.0f64 * r2).sqrt();
            assert!((v - (1.0 + s + 5.0 / 3.0 * r2) * (-s).exp()).abs() < 1e-15);
            let h = 1e-6 * r2.max(1e-3);
            let fd = (matern52(r2 + h) - matern52((r2 - h).max(0.0))) / (r2 + h - (r2 - h).max(0.0));
            assert!((d - fd).abs() < 1e-6 * fd.abs().max(1e-3), "r2 = {r2}: {d} vs {fd}");
        }
    }
}
