//! Power transforms fitted by maximum likelihood, as HEBO applies them to
//! the objective's values so that a GP, which assumes Gaussian outputs,
//! sees objectives whose values span orders of magnitude on a scale where
//! they do not: the losses divided by their standard deviation, then Box-Cox
//! (Box and Cox 1964) when they are all positive, else Yeo-Johnson (Yeo and
//! Johnson 2000).
//!
//! Box-Cox is `(x^l - 1) / l` (`ln x` at `l = 0`), for `x > 0`.
//! Yeo-Johnson's `psi(x; l)` is `((1 + x)^l - 1) / l` for `x >= 0` (`ln(1 + x)` at
//! `l = 0`) and `-((1 - x)^(2 - l) - 1) / (2 - l)` for `x < 0` (`-ln(1 -
//! x)` at `l = 2`): increasing in `x` for every `l`, defined on the whole
//! line, so raw values outside the fitted data (an incumbent, a believed
//! mean) map too. Exponents below 1 compress the positive side and stretch
//! the negative one; above 1, the reverse.

/// Where the exponent is searched: wide enough for a log-like map either
/// way (0 or 2) and beyond, narrow enough that powers of large values
/// stay finite.
const LAMBDA_RANGE: (f64, f64) = (-4.0, 6.0);

/// A fitted power transform of losses (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PowerTransform {
    /// The losses' standard deviation, which they are divided by.
    scale: f64,
    lambda: f64,
    /// Box-Cox: the smallest scaled loss fitted, below which the map
    /// continues along its tangent (a raw value below every fitted one
    /// still maps, increasingly); Yeo-Johnson: `None`.
    box_cox_low: Option<f64>,
}

impl PowerTransform {
    /// The transform of `losses`; `None` when they do not vary.
    pub(crate) fn fit(losses: &[f64]) -> Option<Self> {
        let n = losses.len() as f64;
        let mean = losses.iter().sum::<f64>() / n;
        let scale = (losses.iter().map(|l| (l - mean) * (l - mean)).sum::<f64>() / n).sqrt();
        if !(scale > 0.0 && scale.is_finite()) {
            return None;
        }
        let xs: Vec<f64> = losses.iter().map(|l| l / scale).collect();
        let low = xs.iter().copied().fold(f64::INFINITY, f64::min);
        Some(if low > 0.0 {
            PowerTransform { scale, lambda: fit_lambda(&xs, box_cox_log_likelihood), box_cox_low: Some(low) }
        } else {
            PowerTransform { scale, lambda: fit_lambda(&xs, log_likelihood), box_cox_low: None }
        })
    }

    pub(crate) fn apply(&self, loss: f64) -> f64 {
        let x = loss / self.scale;
        match self.box_cox_low {
            None => yeo_johnson(x, self.lambda),
            Some(low) if x >= low => box_cox(x, self.lambda),
            Some(low) => box_cox(low, self.lambda) + low.powf(self.lambda - 1.0) * (x - low),
        }
    }
}

/// Box-Cox, for `x > 0`.
pub(crate) fn box_cox(x: f64, lambda: f64) -> f64 {
    if lambda.abs() < 1e-12 {
        x.ln()
    } else {
        (lambda * x.ln()).exp_m1() / lambda
    }
}

/// Box-Cox's profile log-likelihood of `lambda`, as [`log_likelihood`].
pub(crate) fn box_cox_log_likelihood(xs: &[f64], lambda: f64) -> f64 {
    let jacobian: f64 = xs.iter().map(|x| x.ln()).sum();
    normal_log_likelihood(xs.iter().map(|&x| box_cox(x, lambda)), xs.len()) + (lambda - 1.0) * jacobian
}

/// `-n/2 ln(variance)` of `n` transformed values: `-inf` where they
/// overflow or do not vary.
fn normal_log_likelihood(transformed: impl Iterator<Item = f64> + Clone, n: usize) -> f64 {
    let n = n as f64;
    let mean = transformed.clone().sum::<f64>() / n;
    let var = transformed.map(|t| (t - mean) * (t - mean)).sum::<f64>() / n;
    let llf = -0.5 * n * var.ln();
    if llf.is_finite() && var > 0.0 {
        llf
    } else {
        f64::NEG_INFINITY
    }
}

/// `psi(x; lambda)`.
pub(crate) fn yeo_johnson(x: f64, lambda: f64) -> f64 {
    // `expm1(l * ln1p(x)) / l` is `((1 + x)^l - 1) / l` without the
    // cancellation near `l = 0`.
    if x >= 0.0 {
        if lambda.abs() < 1e-12 {
            x.ln_1p()
        } else {
            (lambda * x.ln_1p()).exp_m1() / lambda
        }
    } else if (2.0 - lambda).abs() < 1e-12 {
        -(-x).ln_1p()
    } else {
        -((2.0 - lambda) * (-x).ln_1p()).exp_m1() / (2.0 - lambda)
    }
}

/// Yeo-Johnson's profile log-likelihood of `lambda` (up to a constant):
/// the data's transformed values taken as one normal sample, with the
/// Jacobian. `-inf` where the transformed values overflow or do not vary.
pub(crate) fn log_likelihood(xs: &[f64], lambda: f64) -> f64 {
    let jacobian: f64 = xs.iter().map(|&x| x.signum() * x.abs().ln_1p()).sum();
    normal_log_likelihood(xs.iter().map(|&x| yeo_johnson(x, lambda)), xs.len()) + (lambda - 1.0) * jacobian
}

/// The exponent maximizing `log_likelihood` on `xs`: a grid over
/// [`LAMBDA_RANGE`] finds the best bracket (the likelihood need not be
/// concave), golden section refines it.
pub(crate) fn fit_lambda(xs: &[f64], log_likelihood: fn(&[f64], f64) -> f64) -> f64 {
    const GRID: usize = 40;
    let (min, max) = xs.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
    if max <= min || max.is_nan() {
        return 1.0;
    }
    let (low, high) = LAMBDA_RANGE;
    let at = |i: usize| low + (high - low) * i as f64 / GRID as f64;
    let best = (0..=GRID).map(|i| (i, log_likelihood(xs, at(i)))).fold((0, f64::NEG_INFINITY), |best, (i, llf)| {
        if llf > best.1 {
            (i, llf)
        } else {
            best
        }
    });
    if best.1 == f64::NEG_INFINITY {
        return 1.0;
    }
    let (mut a, mut b) = (at(best.0.saturating_sub(1)), at((best.0 + 1).min(GRID)));
    let ratio = (5f64.sqrt() - 1.0) / 2.0;
    let (mut c, mut d) = (b - ratio * (b - a), a + ratio * (b - a));
    let (mut fc, mut fd) = (log_likelihood(xs, c), log_likelihood(xs, d));
    while b - a > 1e-9 {
        if fc > fd {
            (b, d, fd) = (d, c, fc);
            c = b - ratio * (b - a);
            fc = log_likelihood(xs, c);
        } else {
            (a, c, fc) = (c, d, fd);
            d = a + ratio * (b - a);
            fd = log_likelihood(xs, d);
        }
    }
    0.5 * (a + b)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference: scipy 1.17.1, `scipy.stats.yeojohnson` on the same data.
    const DATA: [f64; 10] = [0.3, -1.2, 2.5, 10.0, 0.0, 4.4, -0.7, 55.0, 1.1, 0.9];

    #[test]
    fn the_fitted_exponent_and_the_map_match_scipy() {
        let lambda = fit_lambda(&DATA, log_likelihood);
        assert!((lambda - -0.064_942_454_867_239_87).abs() < 1e-6, "{lambda}");
        let expected = [-7.994_073_87, -0.634_416_57, 0.0, 0.400_173_32, 1.325_722_08];
        for (x, want) in [-3.0, -0.5, 0.0, 0.5, 3.0].into_iter().zip(expected) {
            let got = yeo_johnson(x, lambda);
            assert!((got - want).abs() < 1e-6, "psi({x}) = {got}, scipy {want}");
        }
        // scipy's yeojohnson_llf at its optimum: ours omits no term.
        assert!((log_likelihood(&DATA, -0.064_942_454_867_239_87) - -14.283_617_917_857_33).abs() < 1e-9);
    }

    #[test]
    fn mirrored_data_mirror_the_exponent_and_the_map_is_increasing() {
        // psi(-x; 2 - l) = -psi(x; l), so negating the data maps l to 2 - l.
        let mirrored: Vec<f64> = DATA.iter().map(|x| -x).collect();
        assert!((fit_lambda(&mirrored, log_likelihood) - (2.0 - fit_lambda(&DATA, log_likelihood))).abs() < 1e-6);
        for lambda in [-4.0, -1e-13, 0.0, 0.5, 1.0, 2.0, 2.0 + 1e-13, 6.0] {
            let xs = [-1e6, -10.0, -1.0, -1e-9, 0.0, 1e-9, 1.0, 10.0, 1e6];
            let ys: Vec<f64> = xs.iter().map(|&x| yeo_johnson(x, lambda)).collect();
            assert!(ys.windows(2).all(|w| w[0] < w[1]), "lambda {lambda}: {ys:?}");
        }
        // Exponent 1 is the identity.
        assert!((yeo_johnson(3.5, 1.0) - 3.5).abs() < 1e-12);
        assert!((yeo_johnson(-3.5, 1.0) - -3.5).abs() < 1e-12);
    }

    #[test]
    fn values_spanning_orders_of_magnitude_get_a_log_like_map() {
        // Log-uniform over ten decades: the fitted map is close to the log.
        let xs: Vec<f64> = (0..60).map(|i| 10f64.powf(i as f64 / 6.0)).collect();
        let lambda = fit_lambda(&xs, log_likelihood);
        assert!(lambda.abs() < 0.1, "{lambda}");
        // Constant data: nothing to fit, the identity.
        assert_eq!(fit_lambda(&[2.0; 5], log_likelihood), 1.0);
        assert_eq!(PowerTransform::fit(&[2.0; 5]), None);
    }

    #[test]
    fn box_cox_matches_scipy_and_positive_losses_take_it() {
        // Reference: scipy 1.17.1, `scipy.stats.boxcox`.
        let data = [0.3, 1.2, 2.5, 10.0, 0.05, 4.4, 0.7, 55.0, 1.1, 0.9];
        let lambda = fit_lambda(&data, box_cox_log_likelihood);
        assert!((lambda - -0.025_390_102_527_679_606).abs() < 1e-6, "{lambda}");
        let expected = [-4.885_209_07, -0.699_282_5, 0.0, 1.083_431_49, 4.346_132_38];
        for (x, want) in [0.01, 0.5, 1.0, 3.0, 100.0].into_iter().zip(expected) {
            let got = box_cox(x, lambda);
            assert!((got - want).abs() < 1e-6, "box_cox({x}) = {got}, scipy {want}");
        }
        assert!((box_cox_log_likelihood(&data, -0.025_390_102_527_679_606) - -10.297_467_559_853_967).abs() < 1e-9);
        // Positive losses get Box-Cox of loss / sd; one non-positive loss, Yeo-Johnson.
        let fitted = PowerTransform::fit(&data).unwrap();
        assert!(fitted.box_cox_low.is_some());
        let sd = fitted.scale;
        let scaled: Vec<f64> = data.iter().map(|x| x / sd).collect();
        assert!((fitted.lambda - fit_lambda(&scaled, box_cox_log_likelihood)).abs() < 1e-9);
        assert!((fitted.apply(2.5) - box_cox(2.5 / sd, fitted.lambda)).abs() < 1e-12);
        let mut with_zero = data;
        with_zero[4] = 0.0;
        assert_eq!(PowerTransform::fit(&with_zero).unwrap().box_cox_low, None);
        // Below the smallest fitted loss, the map goes on increasing.
        let below: Vec<f64> = [0.05, 0.01, 0.0, -1.0].iter().map(|&l| fitted.apply(l)).collect();
        assert!(below.windows(2).all(|w| w[0] > w[1]), "{below:?}");
    }
}
