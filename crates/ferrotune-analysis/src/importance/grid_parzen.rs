//! One parameter's values as a density on a small grid, the way PED-ANOVA
//! compares the good trials with the region: numerical values are binned
//! onto at most [`N_STEPS`] evenly spaced points (in log space for log
//! parameters; fewer points for ints and stepped floats with fewer values),
//! categorical values onto their choices, and a Parzen estimator over the
//! bins gives the density at every grid point.
//!
//! Design decision: the estimator is Scott's rule on the bin indices, not
//! TPE's bandwidth (too wide for this comparison, as Optuna notes), with a
//! floor of 0.5/1.64 bins so 90% of a kernel's mass stays within its bin's
//! neighbourhood, and a broad prior kernel of weight one; these are Optuna's
//! choices, kept so the importances agree with Optuna's.

use ferrotune_core::Distribution;

/// At most this many grid points for a numerical parameter (Optuna's
/// `n_steps`).
pub(crate) const N_STEPS: usize = 50;

/// Weight of the prior kernel, against one per observed trial.
const PRIOR_WEIGHT: f64 = 1.0;

/// The smallest kernel width, in bins.
const SIGMA_MIN: f64 = 0.5 / 1.64;

/// How many trials fall on each grid point. `values` are internal values
/// (a categorical's choice index).
pub(crate) fn grid_counts(distribution: &Distribution, values: impl Iterator<Item = f64>) -> Vec<u64> {
    let (n_points, low, high, log) = match distribution {
        Distribution::Categorical(d) => {
            let mut counts = vec![0; d.choices().len()];
            for v in values {
                counts[v as usize] += 1;
            }
            return counts;
        }
        Distribution::Int(d) if d.log() => {
            // One point per doubling of the range, plus one.
            let width = (d.high() - d.low() + 1) as f64;
            let log2_size = (width.ln() / 2f64.ln()).ceil() as usize + 1;
            (log2_size.min(N_STEPS), d.low() as f64, d.high() as f64, true)
        }
        Distribution::Int(d) => {
            let n = ((d.high() - d.low()) as f64 / d.step() as f64).round() as usize + 1;
            (n.min(N_STEPS), d.low() as f64, d.high() as f64, false)
        }
        Distribution::Float(d) => {
            let n = match d.step() {
                Some(step) => (((d.high() - d.low()) / step).round() as usize + 1).min(N_STEPS),
                None => N_STEPS,
            };
            (n, d.low(), d.high(), d.log())
        }
    };
    let scale = |v: f64| if log { v.ln() } else { v };
    let (low, high) = (scale(low), scale(high));
    let step = (high - low) / (n_points - 1) as f64;
    let mut counts = vec![0; n_points];
    for v in values {
        // A value midway between two points goes to the lower one.
        let index = ((scale(v) - low) / step - 0.5).ceil();
        let index = if index.is_nan() { 0.0 } else { index.clamp(0.0, (n_points - 1) as f64) };
        counts[index as usize] += 1;
    }
    counts
}

/// The estimator's density at each grid point, from the counts of
/// [`grid_counts`] (at least one trial). It sums to one over the grid.
pub(crate) fn grid_density(counts: &[u64], categorical: bool) -> Vec<f64> {
    let observed: Vec<(usize, f64)> =
        counts.iter().enumerate().filter(|(_, &c)| c > 0).map(|(i, &c)| (i, c as f64)).collect();
    let total: f64 = observed.iter().map(|(_, w)| w).sum::<f64>() + PRIOR_WEIGHT;
    let n_points = counts.len();
    if categorical {
        categorical_density(&observed, total, n_points)
    } else {
        numerical_density(&observed, total, n_points)
    }
}

/// Each observed choice is a kernel that puts weight one on its choice
/// and spreads the prior's share over all choices; the prior kernel is
/// uniform.
fn categorical_density(observed: &[(usize, f64)], total: f64, n_choices: usize) -> Vec<f64> {
    let n_kernels = (observed.len() + 1) as f64;
    let spread = PRIOR_WEIGHT / n_kernels;
    let row_sum = 1.0 + spread * n_choices as f64;
    let uniform = 1.0 / n_choices as f64;
    let mut density = vec![PRIOR_WEIGHT / total * uniform; n_choices];
    for &(index, weight) in observed {
        let w = weight / total;
        for (x, d) in density.iter_mut().enumerate() {
            let mass = if x == index { 1.0 + spread } else { spread };
            *d += w * mass / row_sum;
        }
    }
    density
}

/// Normal kernels on the bin indices, each discretized to the mass of its
/// bin and truncated to the grid, with one width by Scott's rule (the
/// smaller of the standard deviation and the interquartile range over
/// 1.34) and a prior kernel at the centre as wide as the grid plus one.
fn numerical_density(observed: &[(usize, f64)], total: f64, n_points: usize) -> Vec<f64> {
    let n_obs: f64 = observed.iter().map(|(_, w)| w).sum();
    let mean = observed.iter().map(|&(i, w)| i as f64 * w).sum::<f64>() / n_obs;
    let variance = observed.iter().map(|&(i, w)| (i as f64 - mean).powi(2) * w).sum::<f64>() / (n_obs - 1.0).max(1.0);
    let sigma = variance.sqrt();

    // Quartiles of the weighted observations, as indices into `observed`:
    // the first whose cumulative count reaches floor(n/4), and the first
    // whose cumulative count passes floor(3n/4). Counts are integers, so
    // these are exact.
    let q1_count = (n_obs / 4.0).floor();
    let q3_count = (n_obs * 3.0 / 4.0).floor();
    let mut cumulative = 0.0;
    let (mut q1, mut q3) = (None, None);
    for (k, &(_, w)) in observed.iter().enumerate() {
        cumulative += w;
        if q1.is_none() && cumulative >= q1_count {
            q1 = Some(k);
        }
        if q3.is_none() && cumulative > q3_count {
            q3 = Some(k);
        }
    }
    let last = observed.len() - 1;
    let iqr = (observed[q3.unwrap_or(last).min(last)].0 - observed[q1.unwrap_or(last)].0) as f64;
    let sigma = (1.059 * (iqr / 1.34).min(sigma) * n_obs.powf(-0.2)).max(SIGMA_MIN);

    let high = (n_points - 1) as f64;
    let kernels = observed.iter().map(|&(i, w)| (i as f64, sigma, w)).chain(std::iter::once((
        high / 2.0,
        high + 1.0,
        PRIOR_WEIGHT,
    )));
    let mut density = vec![0.0; n_points];
    for (mu, sigma, weight) in kernels {
        let on_grid = gauss_mass((-0.5 - mu) / sigma, (high + 0.5 - mu) / sigma);
        let w = weight / total / on_grid;
        for (x, d) in density.iter_mut().enumerate() {
            let x = x as f64;
            *d += w * gauss_mass((x - 0.5 - mu) / sigma, (x + 0.5 - mu) / sigma);
        }
    }
    density
}

/// The standard normal's mass on `[a, b]`, taken from the tail nearer to
/// the interval so that far-out cells do not cancel to zero.
fn gauss_mass(a: f64, b: f64) -> f64 {
    let upper_tail = |z: f64| 0.5 * libm::erfc(z / std::f64::consts::SQRT_2);
    if a >= 0.0 {
        upper_tail(a) - upper_tail(b)
    } else if b <= 0.0 {
        upper_tail(-b) - upper_tail(-a)
    } else {
        1.0 - upper_tail(-a) - upper_tail(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn densities_sum_to_one() {
        for counts in [vec![0, 3, 0, 1, 7], vec![1, 0, 0, 0], vec![5; 50]] {
            for categorical in [false, true] {
                let total: f64 = grid_density(&counts, categorical).iter().sum();
                assert!((total - 1.0).abs() < 1e-12, "{counts:?} {categorical}: {total}");
            }
        }
    }

    #[test]
    fn grid_bins_log_values_in_log_space_and_ties_go_down() -> ferrotune_core::Result<()> {
        let log = Distribution::Float(ferrotune_core::FloatDistribution::new(1e-4, 1.0, true, None)?);
        let counts = grid_counts(&log, [1e-4, 1.1e-4, 0.9, 1.0].into_iter());
        assert_eq!((counts[0], counts[1], counts[48], counts[49]), (1, 1, 1, 1));
        // Midway between two points goes to the lower one.
        let float = Distribution::float(0.0, 49.0)?;
        let counts = grid_counts(&float, [0.5, 1.5, 1.6].into_iter());
        assert_eq!(&counts[..3], &[1, 1, 1]);
        // An int with three values has three points.
        let int = Distribution::int(0, 2)?;
        assert_eq!(grid_counts(&int, [0.0, 1.0, 1.0, 2.0].into_iter()), vec![1, 2, 1]);
        let int_log = Distribution::Int(ferrotune_core::IntDistribution::new(1, 1000, true, 1)?);
        assert_eq!(grid_counts(&int_log, std::iter::empty()).len(), 11);
        Ok(())
    }

    #[test]
    fn gauss_mass_is_accurate_in_both_tails() {
        assert!((gauss_mass(-1.0, 1.0) - 0.682_689_492_137_085_9).abs() < 1e-15);
        let far = gauss_mass(10.0, 11.0);
        assert!((far / 7.619_661_958_203_148e-24 - 1.0).abs() < 1e-12, "{far}");
        assert_eq!(gauss_mass(-11.0, -10.0), far);
    }
}
