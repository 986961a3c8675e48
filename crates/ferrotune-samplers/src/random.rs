use ferrotune_core::{Distribution, FrozenTrial, Result, Sampler, StudyView};
use rand::Rng;

use crate::{random_seed, rng_for};

/// Draws every parameter independently and uniformly (log-uniformly for
/// log-scale parameters). The baseline every other sampler must beat.
#[derive(Debug, Clone)]
pub struct RandomSampler {
    seed: u64,
}

impl RandomSampler {
    /// An unseeded sampler (seeded from the OS).
    pub fn new() -> Self {
        RandomSampler { seed: random_seed() }
    }

    /// A seeded sampler: the same seed gives the same values for the same
    /// trial numbers and parameter names.
    pub fn with_seed(seed: u64) -> Self {
        RandomSampler { seed }
    }
}

impl Default for RandomSampler {
    fn default() -> Self {
        Self::new()
    }
}

/// Draw an internal value uniformly from a distribution: uniform for plain
/// floats, log-uniform for log scales, uniform over the admissible values
/// for steps, ints and categories.
pub(crate) fn sample_uniformly<R: Rng + ?Sized>(distribution: &Distribution, rng: &mut R) -> f64 {
    match distribution {
        Distribution::Float(d) => {
            if d.low() == d.high() {
                return d.low();
            }
            // `n_steps`, `grid_value` and `interpolate` are the plain
            // formulas, with an overflow-free fallback for ranges whose
            // width passes f64::MAX.
            if let Some(n) = d.n_steps() {
                return d.grid_value(rng.random_range(0..=n));
            }
            if d.log() {
                let (lo, hi) = (d.low().ln(), d.high().ln());
                return (lo + rng.random::<f64>() * (hi - lo)).exp().clamp(d.low(), d.high());
            }
            d.interpolate(rng.random::<f64>()).clamp(d.low(), d.high())
        }
        Distribution::Int(d) => {
            if d.log() {
                // Log-uniform over [low - 0.5, high + 0.5], then rounded, so
                // each integer gets the log-width of its rounding interval.
                let (lo, hi) = ((d.low() as f64 - 0.5).max(0.5).ln(), (d.high() as f64 + 0.5).ln());
                return d.round_to_grid((lo + rng.random::<f64>() * (hi - lo)).exp());
            }
            // In i128 inside `n_steps` and `nth`: the full i64 range has
            // 2^64 values, and `high - low` overflows i64.
            d.nth(rng.random_range(0..=d.n_steps())) as f64
        }
        Distribution::Categorical(d) => rng.random_range(0..d.choices().len()) as f64,
    }
}

impl Sampler for RandomSampler {
    fn name(&self) -> &str {
        "random"
    }

    fn sample_independent(
        &self,
        _study: &StudyView<'_>,
        trial: &FrozenTrial,
        name: &str,
        distribution: &Distribution,
    ) -> Result<f64> {
        Ok(sample_uniformly(distribution, &mut rng_for(self.seed, trial.number, name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrotune_core::{FloatDistribution, IntDistribution};

    fn draws(d: &Distribution, n: u64) -> Vec<f64> {
        (0..n).map(|i| sample_uniformly(d, &mut rng_for(7, i, "p"))).collect()
    }

    #[test]
    fn every_draw_lies_in_its_distribution() {
        let cases = [
            Distribution::Float(FloatDistribution::new(-2.0, 3.0, false, None).unwrap()),
            Distribution::Float(FloatDistribution::new(1e-6, 1e2, true, None).unwrap()),
            Distribution::Float(FloatDistribution::new(0.0, 1.0, false, Some(0.1)).unwrap()),
            Distribution::Float(FloatDistribution::new(2.5, 2.5, false, None).unwrap()),
            Distribution::Int(IntDistribution::new(-3, 9, false, 3).unwrap()),
            Distribution::Int(IntDistribution::new(1, 1024, true, 1).unwrap()),
            Distribution::categorical(["a", "b", "c"]).unwrap(),
        ];
        for d in &cases {
            for v in draws(d, 2000) {
                assert!(d.contains(v), "{v} not in {d}");
            }
        }
    }

    #[test]
    fn every_admissible_value_is_drawn_roughly_equally() {
        let d = Distribution::Int(IntDistribution::new(0, 8, false, 2).unwrap());
        let mut counts = [0u32; 5];
        for v in draws(&d, 5000) {
            counts[(v / 2.0) as usize] += 1;
        }
        // 1000 expected each; 5 sigma is about 150.
        assert!(counts.iter().all(|&c| (850..=1150).contains(&c)), "{counts:?}");
    }

    #[test]
    fn log_scale_spreads_evenly_over_decades() {
        let d = Distribution::Float(FloatDistribution::new(1e-4, 1.0, true, None).unwrap());
        let mut per_decade = [0u32; 4];
        for v in draws(&d, 4000) {
            per_decade[((v.log10() + 4.0).floor() as usize).min(3)] += 1;
        }
        assert!(per_decade.iter().all(|&c| (850..=1150).contains(&c)), "{per_decade:?}");
    }
}
