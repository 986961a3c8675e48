//! The unit cube that CMA-ES and the GP search, and the way back to
//! parameter values.
//!
//! Every numeric parameter becomes one axis of [0, 1]: floats linearly (log
//! ones in log space), ints and stepped floats with each admissible value
//! owning an equal slice. Design decision: equal slices, not equal spacing
//! of the values' centres, so that rounding a point gives every value the
//! same share of the axis, and CMA-ES's margin correction knows one value's
//! width ([`Axis::discrete_width`]). Categorical parameters have no axis:
//! each sampler treats them its own way.

use ferrotune_core::{Distribution, FrozenTrial, SearchSpace};

/// Narrow `common` (None: nothing seen yet) to the parameters `trial` has
/// with the same distribution: after every complete trial, the space all
/// of them share, which the samplers that model a joint space (CMA-ES,
/// NSGA-II) sample.
pub(crate) fn intersect_search_space(common: &mut Option<SearchSpace>, trial: &FrozenTrial) {
    match common {
        // In place: after the first trial, once per complete trial.
        Some(common) => common.retain(|name, d| trial.params.get(name).is_some_and(|p| p.distribution == *d)),
        None => *common = Some(trial.params.iter().map(|(name, p)| (name.clone(), p.distribution.clone())).collect()),
    }
}

/// One axis: where the parameter's internal values sit on [0, 1].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Axis {
    pub name: String,
    pub distribution: Distribution,
    /// The parameter's range in the coordinates the axis is linear in
    /// (log space for log scales), widened by half a step on each side for
    /// discrete parameters, and multiplied by `scale`.
    low: f64,
    high: f64,
    log: bool,
    /// What values are multiplied by to reach the axis's coordinates: 1,
    /// or 1/4 for a float range whose width passes f64::MAX (such as
    /// [-1e308, 1e308], even widened by a step), where `high - low` would be
    /// infinite. A power of two, so scaling is exact and positions are the
    /// same; with 1 the arithmetic is the plain one.
    scale: f64,
}

impl Axis {
    /// The axis of a numeric parameter; `None` for a categorical one.
    pub fn new(name: &str, distribution: &Distribution) -> Option<Axis> {
        let (low, high, log, step) = match distribution {
            Distribution::Float(d) => (d.low(), d.high(), d.log(), d.step()),
            Distribution::Int(d) => (d.low() as f64, d.high() as f64, d.log(), Some(d.step() as f64)),
            Distribution::Categorical(_) => return None,
        };
        let scale = if (high - low + step.unwrap_or(0.0)).is_finite() { 1.0 } else { 0.25 };
        let (low, high) = match (log, step) {
            // Log ints: each integer gets the log-width of its rounding interval.
            (true, Some(_)) => ((low - 0.5).max(0.5).ln(), (high + 0.5).ln()),
            (true, None) => (low.ln(), high.ln()),
            (false, Some(step)) => (low * scale - step * scale / 2.0, high * scale + step * scale / 2.0),
            (false, None) => (low * scale, high * scale),
        };
        Some(Axis { name: name.to_owned(), distribution: distribution.clone(), low, high, log, scale })
    }

    /// Where an internal value lies on the axis.
    pub fn position_of(&self, internal: f64) -> f64 {
        let v = if self.log { internal.ln() } else { internal * self.scale };
        ((v - self.low) / (self.high - self.low)).clamp(0.0, 1.0)
    }

    /// The internal value at `u`, rounded to an admissible value.
    pub fn value_at(&self, u: f64) -> f64 {
        let v = self.low + u.clamp(0.0, 1.0) * (self.high - self.low);
        let v = if self.log { v.exp() } else { v / self.scale };
        match &self.distribution {
            Distribution::Float(d) => d.round_to_grid(v.clamp(d.low(), d.high())),
            Distribution::Int(d) => d.round_to_grid(v),
            Distribution::Categorical(_) => unreachable!("categorical parameters have no axis"),
        }
    }

    /// The width of one admissible value on the axis, for discrete
    /// parameters on a linear scale (what the margin correction needs);
    /// `None` for continuous ones and log-scale ints, whose values have
    /// unequal widths.
    pub fn discrete_width(&self) -> Option<f64> {
        let step = match &self.distribution {
            Distribution::Float(d) => d.step()?,
            Distribution::Int(d) => d.step() as f64,
            Distribution::Categorical(_) => return None,
        };
        (!self.log).then(|| step * self.scale / (self.high - self.low))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrotune_core::{FloatDistribution, IntDistribution};

    #[test]
    fn axes_round_trip_and_give_discrete_values_equal_slices() {
        let axis = |name: &str, d: Distribution| Axis::new(name, &d).unwrap();
        let a = axis("a", Distribution::Float(FloatDistribution::new(-2.0, 6.0, false, None).unwrap()));
        let b = axis("b", Distribution::Float(FloatDistribution::new(1e-4, 1.0, true, None).unwrap()));
        let c = axis("c", Distribution::Int(IntDistribution::new(0, 3, false, 1).unwrap()));
        assert!(Axis::new("d", &Distribution::categorical(["x", "y"]).unwrap()).is_none());
        assert_eq!(a.position_of(2.0), 0.5);
        assert_eq!(a.value_at(0.25), 0.0);
        assert!((b.position_of(1e-2) - 0.5).abs() < 1e-12);
        assert!((b.value_at(0.5) - 1e-2).abs() < 1e-12);
        // Four ints on [0, 1]: slices of 1/4, centres at 1/8, 3/8, ...
        assert_eq!(c.discrete_width(), Some(0.25));
        assert_eq!(c.position_of(1.0), 0.375);
        for (u, v) in [(0.0, 0.0), (0.249, 0.0), (0.251, 1.0), (0.74, 2.0), (0.76, 3.0), (1.0, 3.0)] {
            assert_eq!(c.value_at(u), v, "u = {u}");
        }
        assert_eq!(a.discrete_width(), None);
    }
}
