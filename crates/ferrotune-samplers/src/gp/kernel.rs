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
pub enum Dim {
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
pub struct KernelParams {
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
pub(crate) fn matern52(r2: f64) -> f64 {
    let s = (5.0 * r2).sqrt();
    (1.0 + s + 5.0 / 3.0 * r2) * (-s).exp()
}

/// Derivative of [`matern52`] with respect to `r2` (not `r`): finite at 0,
/// where the derivative with respect to `r` would need 0/0 care.
pub(crate) fn matern52_deriv(r2: f64) -> f64 {
    let s = (5.0 * r2).sqrt();
    -5.0 / 6.0 * (1.0 + s) * (-s).exp()
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

/// Weighted squared distance `r²` between two points.
#[inline]
pub(crate) fn sq_dist(is_cat: &[bool], inv_ls: &[f64], a: &[f64], b: &[f64]) -> f64 {
    let mut r2 = 0.0;
    for (((&c, &w), &u), &v) in is_cat.iter().zip(inv_ls).zip(a).zip(b) {
        r2 += w * term(c, u, v);
    }
    r2
}
