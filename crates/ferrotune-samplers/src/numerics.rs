//! Numerics several samplers share: the standard normal distribution (its
//! density, CDF and inverse, and its log CDF accurate far into both tails),
//! the scaled complementary error function, and `ln(1 - e^x)`. Names follow
//! `scipy.special` (`ndtr`, `log_ndtr`, `ndtri`, `erfcx`).
//!
//! Design decision: tails are computed in log space, or scaled so they do
//! not underflow, rather than as probabilities: a TPE kernel far from a
//! point, or a GP constraint far from feasible, then gives a very negative
//! log value with a usable slope instead of an underflowed zero (whose log
//! is `-inf` and whose gradient is nothing). `erfc` comes from `libm`,
//! which is the same on every platform, so seeded runs agree across them.
//!
//! Design decision: one function per quantity. TPE, the GP and CMA-ES
//! each had their own copies; where the copies differed, the more accurate
//! one was kept, measured against mpmath at 60 digits. [`log_ndtr`] is
//! TPE's: left of the mean it is as accurate as the GP's `erfcx` form
//! (both within 2.7 units in the last place down to 37 standard
//! deviations) and more accurate beyond, where its Mills-ratio series
//! stays within 1.74 units and `erfcx` within 2.75. [`ndtri`] is TPE's:
//! within 3.7 units at every point measured, where CMA-ES's
//! Abramowitz-Stegun start and three Halley steps lost relative precision
//! next to `p = 1/2` (a relative error of 9e-8 at `p = 1/2 - 1e-10`, where
//! the margin correction clips its probabilities). The two normal CDFs
//! differed only in dividing by `sqrt 2` or multiplying by its inverse,
//! equally accurate; one is kept.

use std::f64::consts::{FRAC_1_SQRT_2, PI};

/// `ln(sqrt(2 pi))`.
pub(crate) const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

/// `1 / sqrt(2 pi)`.
const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

/// `phi(x)`, the standard normal density.
pub(crate) fn norm_pdf(x: f64) -> f64 {
    FRAC_1_SQRT_2PI * (-0.5 * x * x).exp()
}

/// `Phi(x)`, the standard normal CDF.
pub(crate) fn ndtr(x: f64) -> f64 {
    0.5 * libm::erfc(-x * FRAC_1_SQRT_2)
}

/// `ln Phi(x)`, accurate in both tails.
pub(crate) fn log_ndtr(x: f64) -> f64 {
    if x > 0.0 {
        // Phi(x) = 1 - Phi(-x): keep the tiny complement's precision.
        (-0.5 * libm::erfc(x * FRAC_1_SQRT_2)).ln_1p()
    } else if x > -37.0 {
        (0.5 * libm::erfc(-x * FRAC_1_SQRT_2)).ln()
    } else {
        // Mills-ratio expansion: Phi(x) ~ phi(x) / |x| * (1 - 1/x^2 + 3/x^4 - ...);
        // past |x| = 37 the terms kept are exact to double precision.
        let x2 = x * x;
        let series = 1.0 - 1.0 / x2 + 3.0 / (x2 * x2) - 15.0 / (x2 * x2 * x2) + 105.0 / (x2 * x2 * x2 * x2);
        -0.5 * x2 - (-x).ln() - LN_SQRT_2PI + series.ln()
    }
}

/// `ln Phi(w)` ([`log_ndtr`]) and its derivative `phi(w) / Phi(w)`,
/// finite for any `w`: what the GP's constraints need for a gradient.
pub(crate) fn log_ndtr_with_grad(w: f64) -> (f64, f64) {
    let slope = if w > 0.0 {
        norm_pdf(w) / (1.0 - 0.5 * libm::erfc(w * FRAC_1_SQRT_2))
    } else if w > -1.0 {
        norm_pdf(w) / ndtr(w)
    } else {
        // phi(w) / Phi(w) = sqrt(2 / pi) / erfcx(u), u = -w / sqrt 2: finite
        // where phi and Phi both underflow.
        (2.0 / PI).sqrt() / erfcx(-w.max(-1e150) * FRAC_1_SQRT_2)
    };
    (log_ndtr(w), slope)
}

/// The scaled complementary error function `e^(x^2) erfc(x)` for `x >= 0`
/// (finite where `erfc` alone underflows).
pub(crate) fn erfcx(x: f64) -> f64 {
    if x < 25.0 {
        (x * x).exp() * libm::erfc(x)
    } else {
        // Asymptotic series 1/(x sqrt pi) sum (-1)^k (2k-1)!! / (2x^2)^k; at
        // x >= 25 the terms shrink by (2k+1)/1250 per step, so a few are plenty.
        let inv = 1.0 / (2.0 * x * x);
        let (mut term, mut sum) = (1.0, 1.0);
        for k in 1..8 {
            term *= -((2 * k - 1) as f64) * inv;
            sum += term;
        }
        sum / (x * PI.sqrt())
    }
}

/// `ln(1 - e^x)` for `x < 0`, without cancellation at either end.
pub(crate) fn log1mexp(x: f64) -> f64 {
    if x > -std::f64::consts::LN_2 {
        (-x.exp_m1()).ln()
    } else {
        (-x.exp()).ln_1p()
    }
}

/// `Phi^-1(p)` for `0 < p < 1`.
pub(crate) fn ndtri(p: f64) -> f64 {
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        return ndtri_central(q);
    }
    ndtri_polished(p)
}

/// `Phi^-1(p)` for `0 < p < 1` by Acklam's rational approximation
/// (relative error below 1.2e-9) and one Halley step: what the tails use.
fn ndtri_polished(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] =
        [7.784_695_709_041_462e-3, 3.224_671_290_700_398e-1, 2.445_134_137_142_996, 3.754_408_661_907_416];
    const P_LOW: f64 = 0.02425;
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    let mut x = if p < P_LOW {
        tail((-2.0 * p.ln()).sqrt())
    } else if p <= 1.0 - P_LOW {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    };
    // One Halley step on Phi(x) - p. In the upper half the error is taken
    // against the complement, where it is representable.
    let e = if x <= 0.0 { ndtr(x) - p } else { (1.0 - p) - ndtr(-x) };
    let u = e * (2.0 * PI).sqrt() * (0.5 * x * x).exp();
    // Below p ~ 5e-311 (subnormal), exp(x^2 / 2) overflows and the step
    // would turn the approximation into NaN: keep the approximation there.
    let step = u / (1.0 + 0.5 * x * u);
    if step.is_finite() {
        x -= step;
    }
    x
}

/// `Phi^-1(0.5 + q)` for `|q| <= 0.425` (85% of draws), by the central
/// rational approximation of Wichura's AS 241 (Applied Statistics 37,
/// 1988), accurate to about one part in 1e16 with no further step: the
/// Halley step the tails need calls `erfc` and `exp`, and took most of
/// TPE's sampling time.
// The coefficients as the paper prints them (20 digits), to make them easy
// to check against it; the compiler rounds them to the nearest double.
#[allow(clippy::excessive_precision)]
fn ndtri_central(q: f64) -> f64 {
    const A: [f64; 8] = [
        3.387_132_872_796_366_608,
        1.331_416_678_917_843_774_5e2,
        1.971_590_950_306_551_442_7e3,
        1.373_169_376_550_946_112_5e4,
        4.592_195_393_154_987_145_7e4,
        6.726_577_092_700_870_085_3e4,
        3.343_057_558_358_812_810_5e4,
        2.509_080_928_730_122_672_7e3,
    ];
    const B: [f64; 8] = [
        1.0,
        4.231_333_070_160_091_125_2e1,
        6.871_870_074_920_579_083e2,
        5.394_196_021_424_751_107_7e3,
        2.121_379_430_158_659_586_7e4,
        3.930_789_580_009_271_061e4,
        2.872_908_573_572_194_267_4e4,
        5.226_495_278_852_854_561e3,
    ];
    let r = 0.180_625 - q * q;
    let horner = |c: &[f64; 8]| c.iter().rev().fold(0.0, |acc, &k| acc * r + k);
    q * horner(&A) / horner(&B)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn ndtri_stays_finite_and_monotone_down_to_the_smallest_double() {
        // Subnormal probabilities: exp(x^2 / 2) overflows in the polishing
        // step there, which once turned the result into NaN.
        let ps = [1e-300, 1e-310, 5e-311, 1e-315, 5e-324];
        let xs: Vec<f64> = ps.iter().map(|&p| ndtri(p)).collect();
        assert!(xs.iter().all(|x| x.is_finite() && *x < -37.0), "{xs:?}");
        assert!(xs.windows(2).all(|w| w[1] <= w[0]), "smaller p, smaller quantile: {xs:?}");
        assert!((ndtri(1e-310) - -37.663).abs() < 1e-2, "{}", ndtri(1e-310));
    }

    /// Within `rel` of `expected`, relatively.
    pub(crate) fn close(actual: f64, expected: f64, rel: f64) {
        let tol = rel * expected.abs().max(1e-300);
        assert!((actual - expected).abs() <= tol, "{actual} vs {expected}");
    }

    // Reference values from Optuna 5.0's port of SciPy's log_ndtr and ndtri,
    // computed once; right-tail log_ndtr values from Python's
    // math.log1p(-erfc(x / sqrt 2) / 2), which is more exact there than the
    // port.
    #[test]
    fn log_ndtr_matches_scipy_in_both_tails() {
        for (x, expected) in [
            (-50.0, -1_254.831_361_139_419_9),
            (-38.5, -745.695_270_290_411_1),
            (-20.0, -203.917_155_371_097_27),
            (-5.0, -15.064_998_393_988_724),
            (-1.0, -1.841_021_645_009_263_4),
            (0.0, -std::f64::consts::LN_2),
            (1.0, -0.172_753_779_023_449_9),
            (5.0, -2.866_516_129_637_642_7e-7),
            (10.0, -7.619_853_024_160_593e-24),
        ] {
            close(log_ndtr(x), expected, 1e-12);
        }
    }

    /// Within `ulps` units in the last place of `expected`.
    fn within_ulps(actual: f64, expected: f64, ulps: f64) {
        let ulp = f64::from_bits(expected.abs().to_bits() + 1) - expected.abs();
        assert!((actual - expected).abs() <= ulps * ulp, "{actual} vs {expected}");
    }

    // Correctly rounded values from mpmath at 60 digits: log(ncdf(x)), or
    // log1p(-ncdf(-x)) for x > 0; sqrt(2) erfinv(2p - 1) for ndtri.
    #[test]
    fn log_ndtr_and_ndtri_are_within_a_few_ulps_of_mpmath() {
        for (x, expected) in [
            (-1e4, -50_000_010.129_278_91),
            (-100.0, -5_005.524_208_694_205),
            (-40.0, -804.608_442_013_753_8),
            (-37.5, -707.668_989_317_507_2),
            (-36.0, -652.503_227_593_798_4),
            (-30.0, -454.321_243_956_343_2),
            (-10.0, -53.231_285_150_512_47),
            (-2.0, -3.783_184_333_682_032),
            (-1.0, -1.841_021_645_009_263_6),
            (-0.5, -1.175_911_761_593_618_5),
            (0.5, -0.368_946_415_288_656_4),
        ] {
            // Further right the error grows with x (28 units at x = 8): the
            // argument x / sqrt 2 is rounded before erfc sees it.
            within_ulps(log_ndtr(x), expected, 3.0);
        }
        for (p, expected) in [
            (1e-300, -37.047_096_299_361_2),
            (1e-10, -6.361_340_902_404_057),
            (0.01, -2.326_347_874_040_841),
            (0.3, -0.524_400_512_708_040_8),
            // Where CMA-ES's margin clips its probabilities.
            (0.5 - 1e-10, -2.506_628_482_030_354e-10),
            (0.9, 1.281_551_565_544_600_6),
            (1.0 - 1e-10, 6.361_340_889_697_422),
        ] {
            within_ulps(ndtri(p), expected, 4.0);
        }
    }

    #[test]
    fn log_ndtr_with_grad_is_finite_and_its_slope_matches_finite_differences() {
        let rel_err = |a: f64, b: f64| (a - b).abs() / b.abs().max(1e-300);
        // Every branch of the slope and of log_ndtr, and their seams.
        for w in [8.0, 1.0, 1e-3, -1e-3, -0.5, -0.999, -1.001, -3.0, -30.0, -36.9, -37.1, -500.0] {
            let (v, d) = log_ndtr_with_grad(w);
            assert!(v.is_finite() && d.is_finite());
            assert_eq!(v, log_ndtr(w));
            let h = 1e-6 * w.abs().max(1.0);
            let fd = (log_ndtr(w + h) - log_ndtr(w - h)) / (2.0 * h);
            assert!(rel_err(d, fd) < 1e-6, "w = {w}: {d} vs {fd}");
        }
    }

    #[test]
    fn the_central_approximation_agrees_with_the_polished_one() {
        // Acklam's approximation plus one Halley step (what the tails use)
        // against AS 241's central rational, over the central region.
        let mut worst = 0.0f64;
        for i in 1..200_000 {
            let p = 0.075 + 0.85 * i as f64 / 200_000.0;
            let (central, reference) = (ndtri_central(p - 0.5), ndtri_polished(p));
            worst = worst.max(((central - reference) / reference.abs().max(1.0)).abs());
        }
        // Both are exact to a few units of the last place (near zero, of
        // the absolute value: the Halley step's error there is absolute).
        assert!(worst < 1e-15, "worst difference {worst:e}");
        // At the seams, where `ndtri` changes from one to the other.
        for p in [0.075, 0.925] {
            let (central, polished) = (ndtri_central(p - 0.5), ndtri_polished(p));
            assert!((central - polished).abs() < 1e-15 * central.abs(), "{central} {polished}");
            assert!(ndtri(p) == central || ndtri(p) == polished);
        }
    }

    #[test]
    fn ndtri_inverts_ndtr_to_full_precision() {
        for (p, expected) in [
            (1e-300, -37.047_096_299_361_2),
            (1e-20, -9.262_340_089_798_409),
            (1e-5, -4.264_890_793_922_825_6),
            (0.025, -1.959_963_984_540_054_3),
            (0.975, 1.959_963_984_540_054_7),
            (1.0 - 1e-10, 6.361_340_889_697_423),
        ] {
            close(ndtri(p), expected, 1e-9);
        }
        assert_eq!(ndtri(0.5), 0.0);
        for i in 1..1000 {
            let p = i as f64 / 1000.0;
            close(ndtr(ndtri(p)), p, 1e-14);
        }
    }
}
