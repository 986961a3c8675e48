//! The truncated standard normal, the kernel of TPE's Parzen estimators:
//! its log probability mass over an interval and draws from it by
//! inversion, on the normal CDF, log CDF and inverse CDF of
//! [`crate::numerics`].
//!
//! Design decision: the mass is computed in log space (`log_gauss_mass`,
//! from `log_ndtr`), so kernels far from a point give a very negative log
//! density instead of an underflowed zero, and the mixture's log-sum-exp
//! stays exact. Kernels far inside their bounds skip the truncation
//! altogether ([`TAIL_FREE`]): it changes nothing there, and `erfc` far out
//! is the slow part.

use crate::numerics::{log1mexp, log_ndtr, ndtr, ndtri};

/// Beyond this many standard deviations the normal's tail mass is below
/// 1e-17, so truncating there changes no log density and no draw.
pub(crate) const TAIL_FREE: f64 = 8.5;

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
    use crate::numerics::tests::close;

    // Reference values from Optuna 5.0's port of SciPy's truncated-normal
    // log mass, computed once.
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
