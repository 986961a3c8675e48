//! Benchmark problems the samplers' tests share (tests only).

/// DTLZ2 (Deb, Thiele, Laumanns & Zitzler 2002) in three objectives: the
/// front is the unit sphere's positive octant, where the variables after
/// the second are 0.5.
pub(crate) fn dtlz2_three(x: &[f64]) -> Vec<f64> {
    let g: f64 = x[2..].iter().map(|v| (v - 0.5).powi(2)).sum();
    let (a, b) = (x[0] * std::f64::consts::FRAC_PI_2, x[1] * std::f64::consts::FRAC_PI_2);
    vec![(1.0 + g) * a.cos() * b.cos(), (1.0 + g) * a.cos() * b.sin(), (1.0 + g) * a.sin()]
}
