//! The standard normal distribution's tails and the truncated normal, the
//! kernel of TPE's Parzen estimators.
//!
//! Design decision: everything a density needs is computed in log space
//! (`log_ndtr`, `log_gauss_mass`), so kernels far from a point give a very
//! negative log density instead of an underflowed zero, and the mixture's
//! log-sum-exp stays exact. `erfc` comes from `libm`; the inverse CDF is
//! Acklam's rational approximation polished by one Halley step against
//! `erfc`, which gives full double precision.

use std::f64::consts::{FRAC_1_SQRT_2, PI};

/// Beyond this many standard deviations the normal's tail mass is below
/// 1e-17, so truncating there changes no log density and no draw.
pub(crate) const TAIL_FREE: f64 = 8.5;

/// `ln(sqrt(2 pi))`.
pub(crate) const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

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

/// `ln(1 - e^x)` for `x < 0`, without cancellation.
fn log1mexp(x: f64) -> f64 {
    if x > -std::f64::consts::LN_2 {
        (-x.exp_m1()).ln()
    } else {
        (-x.exp()).ln_1p()
    }
}

/// `ln(Phi(b) - Phi(a))` for `a <= b`: the log probability mass of `[a, b]`
/// under the standard normal, accurate wherever the interval lies.
pub(crate) fn log_gauss_mass(a: f64, b: f64) -> f64 {
    if a >= b {
        return f64::NEG_INFINITY;
    }
    if b <= 0.0 {
        // Both in the left tail: ln Phi(b) + ln(1 - Phi(a) / Phi(b)).
        let (la, lb) = (log_ndtr(a), log_ndtr(b));
        lb + log1mexp(la - lb)
    } else if a >= 0.0 {
        // Both in the right tail: mirror.
        log_gauss_mass(-b, -a)
    } else {
        // Straddles zero: 1 - Phi(a) - Phi(-b), both terms at most 1/2.
        // A side past TAIL_FREE would change the mass (at least 1/2) by
        // under 1e-17: it is skipped (erfc far out is the slow part).
        let tail = |x: f64| if x < -TAIL_FREE { 0.0 } else { ndtr(x) };
        (-(tail(a) + tail(-b))).ln_1p()
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
    x -= u / (1.0 + 0.5 * x * u);
    x
}

/// `Phi^-1(0.5 + q)` for `|q| <= 0.425` (85% of draws), by the central
/// rational approximation of Wichura's AS 241 (Applied Statistics 37,
/// 1988), accurate to about one part in 1e16 with no further step: the
/// Halley step the tails need calls `erfc` and `exp`, and took most of the
/// sampling time.
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

/// A draw from the standard normal truncated to `[a, b]`, by inversion of
/// the uniform `u` in `[0, 1)`. TPE's kernels are centred inside their
/// bounds, so `a <= 0 <= b` in practice; other intervals work while they
/// are not both beyond 37 standard deviations.
///
/// Most kernels sit far inside their bounds: past [`TAIL_FREE`] standard
/// deviations on both sides the truncation removes less than 1e-17 of the
/// mass, and the draw is the plain normal quantile of `u` (the two tail
/// masses took half of the sampling time at 1,000 trials).
pub(crate) fn sample_standard(a: f64, b: f64, u: f64) -> f64 {
    if a < -TAIL_FREE && b > TAIL_FREE {
        return ndtri(u).clamp(a, b);
    }
    invert_truncated(a, b, u)
}

/// [`sample_standard`] by inversion of the truncated distribution itself.
fn invert_truncated(a: f64, b: f64, u: f64) -> f64 {
    if a >= b {
        return a;
    }
    if a > 0.0 {
        return -invert_truncated(-b, -a, 1.0 - u);
    }
    // With a <= 0 the mass below a is at most 1/2, and so is the mass above
    // b when b > 0: each small side is computed by erfc, its complement (at
    // least 1/2) by subtraction, which loses nothing. Two erfc calls where
    // computing all four sides took four, half of a proposal's sampling time.
    let pa = ndtr(a);
    let (pb, qb) = if b > 0.0 {
        let qb = ndtr(-b);
        (1.0 - qb, qb)
    } else {
        (ndtr(b), f64::NAN)
    };
    let x = if b > 0.0 && u * (pb - pa) > 0.5 - pa {
        // Lands right of zero: invert the upper tail for precision.
        let qa = 1.0 - pa;
        -ndtri(qa - u * (qa - qb))
    } else {
        ndtri(pa + u * (pb - pa))
    };
    x.clamp(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: f64, expected: f64, rel: f64) {
        let tol = rel * expected.abs().max(1e-300);
        assert!((actual - expected).abs() <= tol, "{actual} vs {expected}");
    }

    // Reference values from Optuna 5.0's port of SciPy's log_ndtr, ndtri and
    // truncated-normal log mass, computed once; right-tail log_ndtr values
    // from Python's math.log1p(-erfc(x / sqrt 2) / 2), which is more exact
    // there than the port.
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

    #[test]
    fn log_gauss_mass_matches_scipy() {
        for (a, b, expected) in [
            (-1.0, 2.0, -0.200_166_294_324_462_62),
            (-40.0, -38.0, -726.557_216_018_820_2),
            (38.0, 40.0, -726.557_216_018_820_2),
            (-0.5, 0.5, -0.959_916_333_695_622_2),
            (0.0, 1e-3, -7.826_693_978_853_589),
            (-3.0, -2.5, -5.326_764_724_079_062),
            (5.0, 6.0, -15.068_446_096_529_45),
            (-1e-9, 1e-9, -20.949_057_220_402_604),
        ] {
            close(log_gauss_mass(a, b), expected, 1e-10);
        }
        assert_eq!(log_gauss_mass(1.0, 1.0), f64::NEG_INFINITY);
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

    #[test]
    fn truncated_samples_stay_inside_and_follow_the_distribution() {
        // [-1, 2]: P(x < 0) = (Phi(0) - Phi(-1)) / (Phi(2) - Phi(-1)).
        let (a, b) = (-1.0, 2.0);
        let n = 20_000;
        let mut below_zero = 0;
        for i in 0..n {
            let u = (i as f64 + 0.5) / n as f64;
            let x = sample_standard(a, b, u);
            assert!((a..=b).contains(&x));
            below_zero += (x < 0.0) as u32;
        }
        let expected = (ndtr(0.0) - ndtr(a)) / (ndtr(b) - ndtr(a));
        close(below_zero as f64 / n as f64, expected, 1e-3);
        // Quantiles are monotone in u, including across zero and mirrored intervals.
        for (a, b) in [(-1.0, 2.0), (0.5, 3.0), (-3.0, -0.5), (-30.0, 0.1)] {
            let xs: Vec<f64> = (0..101).map(|i| sample_standard(a, b, i as f64 / 101.0)).collect();
            assert!(xs.windows(2).all(|w| w[0] <= w[1]), "{a} {b}");
        }
    }

    #[test]
    fn two_tail_masses_invert_as_four_did() {
        // The inversion with all four tail masses from erfc (the previous
        // form), against the one that derives the two large ones by
        // subtraction.
        let four = |a: f64, b: f64, u: f64| {
            let (pa, pb) = (ndtr(a), ndtr(b));
            if b > 0.0 && u * (pb - pa) > 0.5 - pa {
                let (qa, qb) = (ndtr(-a), ndtr(-b));
                -ndtri(qa - u * (qa - qb))
            } else {
                ndtri(pa + u * (pb - pa))
            }
            .clamp(a, b)
        };
        let us = [1e-16, 1e-9, 0.001, 0.25, 0.5, 0.5 + 1e-12, 0.75, 0.999, 1.0 - 1e-12, 1.0 - f64::EPSILON];
        for (a, b) in [(-1.0, 2.0), (-9.0, 40.0), (-0.01, 0.02), (-3.0, -0.5), (-30.0, 0.1), (0.0, 5.0)] {
            for u in us {
                let (new, old) = (invert_truncated(a, b, u), four(a, b, u));
                assert!((new - old).abs() <= 1e-12 * old.abs().max(1.0), "[{a}, {b}] u = {u}: {new} vs {old}");
            }
        }
    }

    #[test]
    fn kernels_far_inside_their_bounds_draw_the_plain_quantile() {
        // Past 8.5 standard deviations on both sides, the shortcut and the
        // full inversion agree for every u but the most extreme (where the
        // 1e-17 of mass truncated is comparable to u itself).
        for (a, b) in [(-8.6, 8.6), (-9.0, 40.0), (-100.0, 100.0)] {
            assert!(a < -TAIL_FREE && b > TAIL_FREE);
            for i in 1..1000 {
                let u = i as f64 / 1000.0;
                let (fast, full) = (sample_standard(a, b, u), invert_truncated(a, b, u));
                assert!((fast - full).abs() <= 1e-12 * full.abs().max(1.0), "[{a}, {b}] u = {u}: {fast} vs {full}");
            }
            for u in [1e-9, 1.0 - 1e-9] {
                let (fast, full) = (sample_standard(a, b, u), invert_truncated(a, b, u));
                assert!((fast - full).abs() <= 1e-9 * full.abs(), "[{a}, {b}] u = {u}: {fast} vs {full}");
            }
        }
        // Nearer a bound, the truncation is honoured: never past it.
        assert!(sample_standard(-8.4, 20.0, 1e-30) >= -8.4);
    }
}
