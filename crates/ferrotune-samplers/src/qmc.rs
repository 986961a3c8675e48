//! Quasi-Monte Carlo sampling: scrambled Sobol and Halton points.
//!
//! A QMC sequence fills the unit cube far more evenly than independent
//! uniform draws: the first 2^m Sobol points put exactly one point in every
//! 2^-m slice of each axis. That is what one wants from the first trials of a
//! study, or from a whole study when the budget is small and the search
//! space is unknown territory.
//!
//! Which point a trial gets, and which coordinate of it a parameter gets,
//! must be pure functions of what the sampler is given (see the crate's
//! design note). So:
//! - the point index is the trial number, which is unique across threads
//!   and processes (an enqueued trial uses up its index, leaving a gap);
//! - the coordinate is the parameter's position among the trial's
//!   parameters, in the order user code suggests them. A define-by-run
//!   objective suggests in the same order every time, so a parameter keeps
//!   its axis from trial to trial; in a conditional space a branch's
//!   parameters take the next axes, which are still jointly well spread.
//!
//! This differs from Optuna's `QMCSampler`, which samples the first trial at
//! random and only later infers a fixed search space: here trial 0 already
//! gets point 0, so a budget of 2^m trials is a full net.

use ferrotune_core::{Distribution, Error, FrozenTrial, Result, Sampler, StudyView};
use rand::seq::SliceRandom;

use crate::{hash_str, mix64, random_seed, rng_for};

/// The low-discrepancy sequence a [`QmcSampler`] draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QmcKind {
    /// Sobol points with Owen scrambling (hash-based, after Burley 2020):
    /// every power-of-two prefix is a (t, m, s)-net.
    Sobol,
    /// Halton points (radical inverses in the first primes), digit-scrambled
    /// unless scrambling is turned off.
    Halton,
}

impl QmcKind {
    /// The name used in configs: `"sobol"` or `"halton"`.
    pub fn as_str(self) -> &'static str {
        match self {
            QmcKind::Sobol => "sobol",
            QmcKind::Halton => "halton",
        }
    }
}

impl std::str::FromStr for QmcKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "sobol" => Ok(QmcKind::Sobol),
            "halton" => Ok(QmcKind::Halton),
            other => Err(Error::InvalidArgument(format!("unknown QMC sequence '{other}' (sobol or halton)"))),
        }
    }
}

/// Samples every parameter from a scrambled quasi-random sequence.
///
/// Seeded, it repeats exactly; two seeds give two independently scrambled
/// sequences. Sobol points are always scrambled (an unscrambled Sobol
/// sequence starts at the lower corner of the space, which wastes the first
/// trial); Halton points can be used plain.
#[derive(Debug, Clone)]
pub struct QmcSampler {
    kind: QmcKind,
    scramble: bool,
    seed: u64,
}

/// Sobol points per scrambled sequence (`sobol_burley`'s limit). Trials past
/// it continue on a fresh, independently scrambled sequence.
const SOBOL_BLOCK: u64 = 1 << 16;
/// Axes per scrambled Sobol sequence (`sobol_burley`'s direction numbers).
/// Further parameters take axes of another independently scrambled sequence.
const SOBOL_AXES: u64 = sobol_burley::NUM_DIMENSIONS as u64;

impl QmcSampler {
    /// A scrambled Sobol sampler with a seed from the operating system.
    pub fn new() -> Self {
        Self::with_seed(random_seed())
    }

    /// A scrambled Sobol sampler: the same seed gives the same points.
    pub fn with_seed(seed: u64) -> Self {
        QmcSampler { kind: QmcKind::Sobol, scramble: true, seed }
    }

    /// Draw from `kind` instead.
    pub fn kind(mut self, kind: QmcKind) -> Self {
        self.kind = kind;
        self
    }

    /// Turn scrambling off (Halton only; Sobol is always scrambled).
    pub fn scramble(mut self, scramble: bool) -> Result<Self> {
        if !scramble && self.kind == QmcKind::Sobol {
            return Err(Error::InvalidArgument(
                "Sobol points are always scrambled here (unscrambled, the first point is the lower corner of the \
                 space); use qmc_type = \"halton\" for an unscrambled sequence"
                    .into(),
            ));
        }
        self.scramble = scramble;
        Ok(self)
    }

    /// Coordinate `axis` of point `index` of the sequence, in [0, 1).
    pub fn unit(&self, index: u64, axis: u64) -> f64 {
        match self.kind {
            QmcKind::Sobol => sobol(self.seed, index, axis),
            QmcKind::Halton => halton(self.seed, self.scramble, index, axis),
        }
    }

    /// The internal value for the parameter `trial` suggests next: point
    /// `trial.number`, on the axis after the trial's parameters so far.
    pub fn sample_for(&self, trial: &FrozenTrial, distribution: &Distribution) -> f64 {
        from_unit(distribution, self.unit(trial.number, trial.params.len() as u64))
    }
}

impl Default for QmcSampler {
    fn default() -> Self {
        Self::new()
    }
}

impl Sampler for QmcSampler {
    fn name(&self) -> &str {
        "qmc"
    }

    fn sample_independent(
        &self,
        _study: &StudyView<'_>,
        trial: &FrozenTrial,
        _name: &str,
        distribution: &Distribution,
    ) -> Result<f64> {
        Ok(self.sample_for(trial, distribution))
    }
}

/// Map a point of [0, 1) to a distribution's internal value, so that equal
/// shares of the unit interval go to equal shares of the space: linear for
/// floats, in log space for log scales, equal slices per admissible value for
/// steps, ints and choices (so a balanced point set stays balanced).
pub(crate) fn from_unit(distribution: &Distribution, u: f64) -> f64 {
    let u = u.clamp(0.0, 1.0);
    // Index of the slice `u` falls in, out of `last + 1` equal slices
    // (`last`, not the count, so the 2^64 values of a full i64 range fit).
    let slice = |last: u64| ((u * (last as f64 + 1.0)) as u64).min(last);
    match distribution {
        Distribution::Float(d) => {
            if d.low() == d.high() {
                return d.low();
            }
            // The plain formulas, with an overflow-free fallback for ranges
            // whose width passes f64::MAX (see `FloatDistribution`).
            if let Some(n) = d.n_steps() {
                return d.grid_value(slice(n));
            }
            if d.log() {
                let (lo, hi) = (d.low().ln(), d.high().ln());
                return (lo + u * (hi - lo)).exp().clamp(d.low(), d.high());
            }
            d.interpolate(u).clamp(d.low(), d.high())
        }
        Distribution::Int(d) => {
            if d.log() {
                // Each integer gets the log-width of its rounding interval,
                // as in the random sampler.
                let (lo, hi) = ((d.low() as f64 - 0.5).max(0.5).ln(), (d.high() as f64 + 0.5).ln());
                return d.round_to_grid((lo + u * (hi - lo)).exp());
            }
            d.nth(slice(d.n_steps())) as f64
        }
        Distribution::Categorical(d) => slice(d.choices().len() as u64 - 1) as f64,
    }
}

fn sobol(seed: u64, index: u64, axis: u64) -> f64 {
    let block = index / SOBOL_BLOCK;
    let axis_block = axis / SOBOL_AXES;
    // Point and axis blocks beyond the first each get their own scramble.
    let scramble_seed = (mix64(seed ^ mix64(block) ^ mix64(axis_block.wrapping_add(0x51)))) as u32;
    let coarse =
        f64::from(sobol_burley::sample((index % SOBOL_BLOCK) as u32, (axis % SOBOL_AXES) as u32, scramble_seed));
    // The crate gives 24 bits; an Owen scramble randomizes the digits below
    // them anyway, so fill them in uniformly (from a hash: the GP's
    // acquisition screen draws tens of thousands of coordinates per trial,
    // and seeding an RNG for each cost more than the Sobol points).
    let bits = mix64(seed ^ mix64(index ^ mix64(axis ^ 0x5EED_F1AE)));
    let fine = (bits >> 11) as f64 / (1u64 << 53) as f64;
    (coarse + fine * f64::from(f32::EPSILON) / 2.0).min(1.0 - f64::EPSILON)
}

/// The `n`-th prime, counting from 0 (2, 3, 5, ...).
fn nth_prime(n: u64) -> u64 {
    let mut found = 0;
    let mut candidate = 2u64;
    loop {
        if (2..).take_while(|d| d * d <= candidate).all(|d| !candidate.is_multiple_of(d)) {
            if found == n {
                return candidate;
            }
            found += 1;
        }
        candidate += 1;
    }
}

fn halton(seed: u64, scramble: bool, index: u64, axis: u64) -> f64 {
    let base = nth_prime(axis);
    // Scrambled: enough digits to resolve a double (the permuted zeros past
    // the index's own digits are not zero). Plain: the index's digits.
    let n_digits = (53.0 / (base as f64).log2()).ceil() as u32;
    // The radical inverse as an exact fraction numerator / base^digits.
    let (mut numerator, mut denominator) = (0u128, 1u128);
    let mut rest = index;
    for position in 0..n_digits {
        if !scramble && rest == 0 {
            break;
        }
        let digit = rest % base;
        rest /= base;
        let digit = if scramble { permuted_digit(seed, axis, position, base, digit) } else { digit };
        numerator = numerator * u128::from(base) + u128::from(digit);
        denominator *= u128::from(base);
    }
    (numerator as f64 / denominator as f64).min(1.0 - f64::EPSILON)
}

/// Random digit scrambling: one seeded permutation of the digits per
/// (axis, digit position). Each digit position stays a bijection, so the
/// first `base^k` points still fill every `base^-k` slice of the axis once.
fn permuted_digit(seed: u64, axis: u64, position: u32, base: u64, digit: u64) -> u64 {
    let mut digits: Vec<u64> = (0..base).collect();
    let mut rng = rng_for(seed ^ hash_str("qmc:halton"), axis, &position.to_string());
    digits.shuffle(&mut rng);
    digits[digit as usize]
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrotune_core::{FloatDistribution, IntDistribution, TrialState};
    use rand::Rng;

    /// Points 0..n on the given axes.
    fn points(sampler: &QmcSampler, n: u64, axes: u64) -> Vec<Vec<f64>> {
        (0..n).map(|i| (0..axes).map(|a| sampler.unit(i, a)).collect()).collect()
    }

    /// How many points fall in each of `per_axis[0] x per_axis[1] x ...`
    /// equal boxes over the first axes.
    fn box_counts(pts: &[Vec<f64>], per_axis: &[u64]) -> Vec<u64> {
        let total: u64 = per_axis.iter().product();
        let mut counts = vec![0; total as usize];
        for p in pts {
            let mut cell = 0;
            for (axis, &k) in per_axis.iter().enumerate() {
                // The nudge keeps a point exactly on a boundary (j / k, as
                // plain Halton points are) in the box it starts.
                cell = cell * k + ((p[axis] * k as f64 + 1e-9) as u64).min(k - 1);
            }
            counts[cell as usize] += 1;
        }
        counts
    }

    #[test]
    fn every_sobol_prefix_of_two_to_the_m_points_hits_every_slice_of_every_axis_once() {
        for seed in [0, 1, 12345] {
            let sampler = QmcSampler::with_seed(seed);
            for m in [4u32, 7, 10] {
                let n = 1u64 << m;
                let pts = points(&sampler, n, 300);
                for axis in [0usize, 1, 5, 31, 255, 256, 299] {
                    let column: Vec<Vec<f64>> = pts.iter().map(|p| vec![p[axis]]).collect();
                    let counts = box_counts(&column, &[n]);
                    assert!(counts.iter().all(|&c| c == 1), "seed {seed}, m {m}, axis {axis}: {counts:?}");
                }
            }
        }
    }

    #[test]
    fn the_first_two_sobol_axes_form_a_zero_net() {
        // Sobol's first two coordinates have t = 0: 2^m points put exactly one
        // point in every dyadic box of area 2^-m, whatever its shape.
        let sampler = QmcSampler::with_seed(7);
        let m = 8;
        let pts = points(&sampler, 1 << m, 2);
        for a in 0..=m {
            let counts = box_counts(&pts, &[1 << a, 1 << (m - a)]);
            assert!(counts.iter().all(|&c| c == 1), "boxes 2^{a} x 2^{}: {counts:?}", m - a);
        }
    }

    #[test]
    fn sobol_points_are_spread_more_evenly_than_random_ones() {
        // A 4x4x4 grid of boxes over 3 axes with 64 points: Sobol's counts
        // deviate far less from one per box than independent draws do.
        let sampler = QmcSampler::with_seed(3);
        let sobol_pts = points(&sampler, 64, 3);
        let mut rng = rng_for(3, 0, "reference");
        let random_pts: Vec<Vec<f64>> = (0..64).map(|_| (0..3).map(|_| rng.random::<f64>()).collect()).collect();
        let squared_error = |pts: &[Vec<f64>]| -> u64 {
            box_counts(pts, &[4, 4, 4]).iter().map(|&c| (c as i64 - 1).pow(2) as u64).sum()
        };
        let (s, r) = (squared_error(&sobol_pts), squared_error(&random_pts));
        // Random: about 64 (Poisson variance 1 per box); a (t, 6, 3)-net with small t
        // leaves only a few boxes off by one.
        assert!(s * 4 < r, "sobol {s}, random {r}");
    }

    #[test]
    fn seeds_give_different_scrambles_and_repeat_exactly() {
        let a = points(&QmcSampler::with_seed(1), 16, 3);
        let b = points(&QmcSampler::with_seed(2), 16, 3);
        assert_eq!(a, points(&QmcSampler::with_seed(1), 16, 3));
        assert_ne!(a, b);
        // The scrambled sequence does not start at the corner.
        assert!(a[0].iter().any(|&u| u > 0.0));
    }

    #[test]
    fn sobol_continues_past_its_block_on_a_fresh_scramble() {
        let sampler = QmcSampler::with_seed(9);
        let n = 1u64 << 8;
        // Points SOBOL_BLOCK.. form a net of their own.
        let pts: Vec<Vec<f64>> = (SOBOL_BLOCK..SOBOL_BLOCK + n).map(|i| vec![sampler.unit(i, 0)]).collect();
        assert!(box_counts(&pts, &[n]).iter().all(|&c| c == 1));
        assert_ne!(sampler.unit(SOBOL_BLOCK, 0), sampler.unit(0, 0));
    }

    #[test]
    fn halton_prefixes_fill_each_axis_in_its_base() {
        for scramble in [false, true] {
            let sampler = QmcSampler::with_seed(5).kind(QmcKind::Halton).scramble(scramble).unwrap();
            // Axis 0 is base 2, axis 1 base 3, axis 2 base 5.
            for (axis, base) in [(0u64, 2u64), (1, 3), (2, 5)] {
                let n = base.pow(4);
                let column: Vec<Vec<f64>> = (0..n).map(|i| vec![sampler.unit(i, axis)]).collect();
                let counts = box_counts(&column, &[n]);
                assert!(counts.iter().all(|&c| c == 1), "scramble {scramble}, axis {axis}: {counts:?}");
            }
        }
        let plain = QmcSampler::with_seed(5).kind(QmcKind::Halton).scramble(false).unwrap();
        // The textbook radical inverse: 1 -> 1/2, 2 -> 1/4, 3 -> 3/4 in base 2; 5 -> 2/3 + 1/9 in base 3.
        assert_eq!([plain.unit(1, 0), plain.unit(2, 0), plain.unit(3, 0)], [0.5, 0.25, 0.75]);
        assert!((plain.unit(5, 1) - (2.0 / 3.0 + 1.0 / 9.0)).abs() < 1e-15);
    }

    #[test]
    fn unscrambled_sobol_is_refused_with_a_reason() {
        let err = QmcSampler::with_seed(1).scramble(false).unwrap_err().to_string();
        assert!(err.contains("always scrambled"), "{err}");
        assert!("faure".parse::<QmcKind>().unwrap_err().to_string().contains("sobol or halton"));
    }

    #[test]
    fn balanced_points_map_to_balanced_values() {
        let n = 64;
        let u: Vec<f64> = (0..n).map(|i| (i as f64 + 0.5) / n as f64).collect();
        let ints = Distribution::Int(IntDistribution::new(0, 7, false, 1).unwrap());
        let steps = Distribution::Float(FloatDistribution::new(0.0, 0.3, false, Some(0.1)).unwrap());
        let choices = Distribution::categorical(["a", "b", "c", "d"]).unwrap();
        for (d, k) in [(&ints, 8usize), (&steps, 4), (&choices, 4)] {
            let mut counts = vec![0; k];
            for &x in &u {
                let v = from_unit(d, x);
                assert!(d.contains(v), "{v} not in {d}");
                let slot = match d {
                    Distribution::Float(_) => (v / 0.1).round() as usize,
                    _ => v as usize,
                };
                counts[slot] += 1;
            }
            assert!(counts.iter().all(|&c| c == n / k), "{d}: {counts:?}");
        }
        let log = Distribution::Float(FloatDistribution::new(1e-4, 1.0, true, None).unwrap());
        assert!((from_unit(&log, 0.5) - 1e-2).abs() < 1e-12);
        assert_eq!(from_unit(&log, 1.0), 1.0);
        let log_int = Distribution::Int(IntDistribution::new(1, 1000, true, 1).unwrap());
        for x in [0.0, 0.3, 0.999_999] {
            assert!(log_int.contains(from_unit(&log_int, x)));
        }
    }

    #[test]
    fn a_trial_takes_the_next_axis_for_each_parameter_it_suggests() {
        let sampler = QmcSampler::with_seed(11);
        let d = Distribution::float(0.0, 1.0).unwrap();
        let mut trial = FrozenTrial::new(0, 5, TrialState::Running);
        let first = sampler.sample_for(&trial, &d);
        assert_eq!(first, sampler.unit(5, 0));
        trial.params.insert("x".into(), ferrotune_core::TrialParam { distribution: d.clone(), internal: first });
        assert_eq!(sampler.sample_for(&trial, &d), sampler.unit(5, 1));
    }
}
