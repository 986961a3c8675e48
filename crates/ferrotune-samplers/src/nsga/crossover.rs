//! How a child's numeric parameters are made from its parents': the
//! crossover operators of Optuna's NSGA-II (uniform, BLX-alpha, SBX, vSBX,
//! UNDX, SPX) and polynomial mutation, all on the unit cube of
//! [`crate::space`] (each numeric parameter an axis of [0, 1], log ones in
//! log space, each admissible value of a discrete one an equal slice).
//!
//! Design decision: the unit cube rather than Optuna's transformed space
//! (log where the parameter is log, but each parameter in its own units).
//! Every operator here but UNDX acts axis by axis or through affine
//! combinations of the parents, so on those the two spaces give the same
//! children; UNDX adds noise of one size in every direction orthogonal to
//! the parents' line, and only on a common scale does a parameter in
//! [0, 1000] not swamp one in [0, 1].
//!
//! Where Optuna departs from the published operator, the paper is followed
//! and the test of the offspring's moments checks it: UNDX's `xi` and `eta`
//! are drawn with standard deviations `sigma_xi` and `sigma_eta` (Ono &
//! Kobayashi; Optuna passes their squares as standard deviations), and vSBX
//! is Ballester & Carter's (one spread factor per axis, children spread
//! around each parent).

use rand::Rng;
use rand_distr::StandardNormal;

/// A crossover operator and its parameters; [`Crossover::Uniform`] is
/// Optuna's default.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Crossover {
    /// Each axis from one of two parents (Syswerda 1989): the second
    /// parent's with probability `swapping_prob`.
    Uniform,
    /// BLX-alpha (Eshelman & Schaffer 1992): each axis uniform on the
    /// parents' interval widened by `alpha` times its width on each side.
    BlxAlpha {
        /// The widening (Optuna: 0.5).
        alpha: f64,
    },
    /// Simulated binary crossover (Deb & Agrawal 1995), bounded as in Deb's
    /// NSGA-II code so that children stay inside the box.
    Sbx {
        /// Distribution index; larger keeps children nearer their parents
        /// (`None`: 20 with several objectives, 2 with one, as Optuna).
        eta: Option<f64>,
        /// Probability that a child takes an axis from the other of the two
        /// children (Optuna: 0.5).
        uniform_crossover_prob: f64,
        /// Probability that an axis comes from the crossed children rather
        /// than from a parent (Optuna: 0.5).
        use_child_gene_prob: f64,
    },
    /// vSBX (Ballester & Carter 2003): SBX's spread factor, children
    /// spread around each parent in both directions, so no region between
    /// or beyond the parents is left out.
    Vsbx {
        /// Distribution index (`None`: 20 with several objectives, 2 with one).
        eta: Option<f64>,
        /// As for SBX.
        uniform_crossover_prob: f64,
        /// As for SBX.
        use_child_gene_prob: f64,
    },
    /// Unimodal normal distribution crossover (Ono & Kobayashi 1997), three
    /// parents: normal around the first two's midpoint, along their line
    /// and orthogonally to it, scaled by the third's distance to the line.
    Undx {
        /// Standard deviation along the parents' line, in units of the
        /// parents' difference (paper: 0.5).
        sigma_xi: f64,
        /// Standard deviation orthogonal to it, in units of the third
        /// parent's distance (`None`: 0.35 / sqrt(number of axes)).
        sigma_eta: Option<f64>,
    },
    /// Simplex crossover (Tsutsui, Yamamura & Higuchi 1999), three parents:
    /// uniform in their simplex expanded about its centroid by `epsilon`.
    Spx {
        /// Expansion rate (`None`: sqrt(number of axes + 2), as Optuna).
        epsilon: Option<f64>,
    },
}

impl Crossover {
    /// The default parameters of the operator a name word gives
    /// (`uniform`, `blxalpha`, `sbx`, `vsbx`, `undx`, `spx`).
    pub fn named(name: &str) -> Option<Crossover> {
        Some(match name {
            "uniform" => Crossover::Uniform,
            "blxalpha" => Crossover::BlxAlpha { alpha: 0.5 },
            "sbx" => Crossover::Sbx { eta: None, uniform_crossover_prob: 0.5, use_child_gene_prob: 0.5 },
            "vsbx" => Crossover::Vsbx { eta: None, uniform_crossover_prob: 0.5, use_child_gene_prob: 0.5 },
            "undx" => Crossover::Undx { sigma_xi: 0.5, sigma_eta: None },
            "spx" => Crossover::Spx { epsilon: None },
            _ => return None,
        })
    }

    /// The operator's name word.
    pub fn name(&self) -> &'static str {
        match self {
            Crossover::Uniform => "uniform",
            Crossover::BlxAlpha { .. } => "blxalpha",
            Crossover::Sbx { .. } => "sbx",
            Crossover::Vsbx { .. } => "vsbx",
            Crossover::Undx { .. } => "undx",
            Crossover::Spx { .. } => "spx",
        }
    }

    /// How many parents one child takes.
    pub fn n_parents(&self) -> usize {
        match self {
            Crossover::Undx { .. } | Crossover::Spx { .. } => 3,
            _ => 2,
        }
    }

    /// Check the parameters, naming the one that is wrong.
    pub(crate) fn check(&self) -> std::result::Result<(), String> {
        let probability = |name: &str, p: f64, open_at_zero: bool| {
            let ok = if open_at_zero { p > 0.0 && p <= 1.0 } else { (0.0..=1.0).contains(&p) };
            if ok {
                Ok(())
            } else {
                Err(format!(
                    "{name} must be a probability in {}, got {p}",
                    if open_at_zero { "(0, 1]" } else { "[0, 1]" }
                ))
            }
        };
        let non_negative = |name: &str, v: f64| {
            if v >= 0.0 && v.is_finite() {
                Ok(())
            } else {
                Err(format!("{name} must be a finite number >= 0, got {v}"))
            }
        };
        match *self {
            Crossover::Uniform => Ok(()),
            Crossover::BlxAlpha { alpha } => non_negative("alpha", alpha),
            Crossover::Sbx { eta, uniform_crossover_prob, use_child_gene_prob }
            | Crossover::Vsbx { eta, uniform_crossover_prob, use_child_gene_prob } => {
                eta.map_or(Ok(()), |eta| non_negative("eta", eta))?;
                probability("uniform_crossover_prob", uniform_crossover_prob, false)?;
                probability("use_child_gene_prob", use_child_gene_prob, true)
            }
            Crossover::Undx { sigma_xi, sigma_eta } => {
                non_negative("sigma_xi", sigma_xi)?;
                sigma_eta.map_or(Ok(()), |s| non_negative("sigma_eta", s))
            }
            Crossover::Spx { epsilon } => epsilon.map_or(Ok(()), |e| non_negative("epsilon", e)),
        }
    }

    /// One child on the unit cube from `parents` (each a point on the same
    /// axes, [`Crossover::n_parents`] of them). The child may leave the
    /// cube; the caller decides what then.
    pub(crate) fn child<R: Rng + ?Sized>(
        &self,
        parents: &[&[f64]],
        swapping_prob: f64,
        multi_objective: bool,
        rng: &mut R,
    ) -> Vec<f64> {
        let n = parents[0].len();
        let default_eta = if multi_objective { 20.0 } else { 2.0 };
        match *self {
            Crossover::Uniform => (0..n)
                .map(|i| if rng.random::<f64>() < swapping_prob { parents[1][i] } else { parents[0][i] })
                .collect(),
            Crossover::BlxAlpha { alpha } => (0..n)
                .map(|i| {
                    let (low, high) = min_max(parents[0][i], parents[1][i]);
                    let widen = alpha * (high - low);
                    (low - widen) + rng.random::<f64>() * ((high + widen) - (low - widen))
                })
                .collect(),
            Crossover::Sbx { eta, uniform_crossover_prob, use_child_gene_prob } => {
                let eta = eta.unwrap_or(default_eta);
                let pairs: Vec<(f64, f64)> = (0..n)
                    .map(|i| {
                        let (low, high) = min_max(parents[0][i], parents[1][i]);
                        sbx_children(low, high, 0.0, 1.0, eta, rng.random::<f64>())
                    })
                    .collect();
                mix_children(&pairs, parents, uniform_crossover_prob, use_child_gene_prob, rng)
            }
            Crossover::Vsbx { eta, uniform_crossover_prob, use_child_gene_prob } => {
                let eta = eta.unwrap_or(default_eta);
                let pairs: Vec<(f64, f64)> =
                    (0..n).map(|i| vsbx_children(parents[0][i], parents[1][i], eta, rng.random::<f64>())).collect();
                mix_children(&pairs, parents, uniform_crossover_prob, use_child_gene_prob, rng)
            }
            Crossover::Undx { sigma_xi, sigma_eta } => {
                let sigma_eta = sigma_eta.unwrap_or(0.35 / (n as f64).sqrt());
                undx_child(parents, sigma_xi, sigma_eta, rng)
            }
            Crossover::Spx { epsilon } => {
                let epsilon = epsilon.unwrap_or((n as f64 + 2.0).sqrt());
                spx_child(parents, epsilon, rng)
            }
        }
    }
}

fn min_max(a: f64, b: f64) -> (f64, f64) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

/// SBX's two children on one axis from parents `low <= high` within
/// bounds `[lower, upper]`, for the uniform draw `u`: the spread factor's
/// polynomial distribution cut, on each side, where the child would cross
/// the bound (Deb's bounded SBX), so both children stay inside. With
/// infinite bounds it is the original SBX.
fn sbx_children(low: f64, high: f64, lower: f64, upper: f64, eta: f64, u: f64) -> (f64, f64) {
    // Parents closer than this would divide by nothing; the children then
    // sit on the parents.
    let width = (high - low).max(1e-10);
    let exponent = 1.0 / (eta + 1.0);
    let spread = |room: f64| {
        // room: how far the bound lies beyond the parent, in half-widths
        // (beta of the paper's bounded form); alpha cuts the distribution there.
        let beta = 1.0 + 2.0 * room / width;
        let alpha = 2.0 - beta.powf(-(eta + 1.0));
        if u <= 1.0 / alpha {
            (u * alpha).powf(exponent)
        } else {
            (1.0 / (2.0 - u * alpha)).powf(exponent)
        }
    };
    let middle = 0.5 * (low + high);
    (middle - 0.5 * spread(low - lower) * width, middle + 0.5 * spread(upper - high) * width)
}

/// vSBX's two children on one axis for the uniform draw `u`: a spread
/// factor `beta >= 1` with SBX's tail, then either both children beyond
/// the parents (`u <= 1/2`) or each moved from its parent towards and past
/// the other (`u > 1/2`). Each child is thus symmetric about its own parent.
fn vsbx_children(x1: f64, x2: f64, eta: f64, u: f64) -> (f64, f64) {
    let exponent = 1.0 / (eta + 1.0);
    if u <= 0.5 {
        // u = 0 would give an infinite spread: the smallest positive draw instead.
        let beta = (1.0 / (2.0 * u).max(f64::MIN_POSITIVE)).powf(exponent);
        (0.5 * ((1.0 + beta) * x1 + (1.0 - beta) * x2), 0.5 * ((1.0 - beta) * x1 + (1.0 + beta) * x2))
    } else {
        let beta = (1.0 / (2.0 * (1.0 - u)).max(f64::MIN_POSITIVE)).powf(exponent);
        (0.5 * ((3.0 - beta) * x1 - (1.0 - beta) * x2), 0.5 * (-(1.0 - beta) * x1 + (3.0 - beta) * x2))
    }
}

/// One child from SBX's or vSBX's pairs, as Optuna makes one of two: each
/// axis from the crossed pair with probability `use_child_gene_prob`, else
/// from the parents, the pair's members swapped with probability
/// `uniform_crossover_prob`; then the first or the second child, evenly.
fn mix_children<R: Rng + ?Sized>(
    pairs: &[(f64, f64)],
    parents: &[&[f64]],
    uniform_crossover_prob: f64,
    use_child_gene_prob: f64,
    rng: &mut R,
) -> Vec<f64> {
    let mut first = Vec::with_capacity(pairs.len());
    let mut second = Vec::with_capacity(pairs.len());
    for (i, &(c1, c2)) in pairs.iter().enumerate() {
        let (a, b) = if rng.random::<f64>() < use_child_gene_prob { (c1, c2) } else { (parents[0][i], parents[1][i]) };
        let (a, b) = if rng.random::<f64>() < uniform_crossover_prob { (b, a) } else { (a, b) };
        first.push(a);
        second.push(b);
    }
    if rng.random::<f64>() < 0.5 {
        first
    } else {
        second
    }
}

/// UNDX: the midpoint of parents 1 and 2, plus `xi * (x1 - x2)` with
/// `xi ~ N(0, sigma_xi^2)`, plus `D * sigma_eta` times a standard normal
/// vector projected orthogonally to the parents' line, `D` being the
/// third parent's distance to that line. The projection of an isotropic
/// normal is what the paper's sum over an orthonormal basis of the
/// orthogonal complement is in distribution, without building the basis.
fn undx_child<R: Rng + ?Sized>(parents: &[&[f64]], sigma_xi: f64, sigma_eta: f64, rng: &mut R) -> Vec<f64> {
    let (x1, x2, x3) = (parents[0], parents[1], parents[2]);
    let n = x1.len();
    let difference: Vec<f64> = (0..n).map(|i| x1[i] - x2[i]).collect();
    let length = difference.iter().map(|d| d * d).sum::<f64>().sqrt();
    // The unit vector along the line, none when the two parents coincide.
    let along: Option<Vec<f64>> = (length > 0.0).then(|| difference.iter().map(|d| d / length).collect());
    let project = |v: &mut Vec<f64>| {
        if let Some(e) = &along {
            let dot: f64 = v.iter().zip(e).map(|(a, b)| a * b).sum();
            v.iter_mut().zip(e).for_each(|(a, b)| *a -= dot * b);
        }
    };
    let mut third: Vec<f64> = (0..n).map(|i| x3[i] - x1[i]).collect();
    project(&mut third);
    let distance = third.iter().map(|d| d * d).sum::<f64>().sqrt();
    let xi: f64 = rng.sample::<f64, _>(StandardNormal) * sigma_xi;
    let mut orthogonal: Vec<f64> = (0..n).map(|_| rng.sample::<f64, _>(StandardNormal)).collect();
    project(&mut orthogonal);
    (0..n).map(|i| 0.5 * (x1[i] + x2[i]) + xi * difference[i] + distance * sigma_eta * orthogonal[i]).collect()
}

/// SPX: the parents' simplex expanded about its centroid by `epsilon`,
/// and a point uniform in it by Tsutsui's recursion (the k-th factor
/// `u^(1/k)` gives the k-dimensional face its volume's share).
fn spx_child<R: Rng + ?Sized>(parents: &[&[f64]], epsilon: f64, rng: &mut R) -> Vec<f64> {
    let n = parents[0].len();
    let k = parents.len();
    let centroid: Vec<f64> = (0..n).map(|i| parents.iter().map(|p| p[i]).sum::<f64>() / k as f64).collect();
    let vertices: Vec<Vec<f64>> =
        parents.iter().map(|p| (0..n).map(|i| centroid[i] + epsilon * (p[i] - centroid[i])).collect()).collect();
    let mut offset = vec![0.0; n];
    for step in 1..k {
        let r = rng.random::<f64>().powf(1.0 / step as f64);
        for i in 0..n {
            offset[i] = r * (vertices[step - 1][i] - vertices[step][i] + offset[i]);
        }
    }
    (0..n).map(|i| vertices[k - 1][i] + offset[i]).collect()
}

/// Polynomial mutation of a position `x` on [0, 1] (Deb's NSGA-II code,
/// revision 1.1.6, as Optuna 5's `PolynomialMutation`): a perturbation
/// whose distribution index `eta` keeps it near `x`, cut at the bounds so
/// the result stays in [0, 1].
pub(crate) fn polynomial_mutation(x: f64, eta: f64, u: f64) -> f64 {
    let exponent = 1.0 / (eta + 1.0);
    let shift = if u <= 0.5 {
        let room = 1.0 - x; // 1 - distance to the lower bound
        let value = 2.0 * u + (1.0 - 2.0 * u) * room.powf(eta + 1.0);
        value.powf(exponent) - 1.0
    } else {
        let room = x; // 1 - distance to the upper bound
        let value = 2.0 * (1.0 - u) + 2.0 * (u - 0.5) * room.powf(eta + 1.0);
        1.0 - value.powf(exponent)
    };
    (x + shift).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng_for;

    const N: usize = 200_000;

    /// Sample mean and variance of `values`, checked against `mean` and
    /// `variance` within five standard errors estimated from the sample
    /// itself (the fourth central moment for the variance's).
    fn assert_moments(values: &[f64], mean: f64, variance: f64, label: &str) {
        let n = values.len() as f64;
        let m = values.iter().sum::<f64>() / n;
        let v = values.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
        let m4 = values.iter().map(|x| (x - m).powi(4)).sum::<f64>() / n;
        let mean_tolerance = 5.0 * (v / n).sqrt() + 1e-12;
        let variance_tolerance = 5.0 * ((m4 - v * v).max(0.0) / n).sqrt() + 1e-12;
        assert!((m - mean).abs() < mean_tolerance, "{label}: mean {m}, expected {mean} ± {mean_tolerance}");
        assert!(
            (v - variance).abs() < variance_tolerance,
            "{label}: variance {v}, expected {variance} ± {variance_tolerance}"
        );
    }

    fn children(crossover: Crossover, parents: &[&[f64]], multi_objective: bool) -> Vec<Vec<f64>> {
        let mut rng = rng_for(11, 0, crossover.name());
        (0..N).map(|_| crossover.child(parents, 0.5, multi_objective, &mut rng)).collect()
    }

    fn axis(children: &[Vec<f64>], i: usize) -> Vec<f64> {
        children.iter().map(|c| c[i]).collect()
    }

    #[test]
    fn uniform_takes_each_axis_from_either_parent_by_the_swapping_probability() {
        let mut rng = rng_for(3, 0, "uniform");
        let (a, b) = ([0.1, 0.2, 0.3], [0.9, 0.8, 0.7]);
        let mut from_second = [0usize; 3];
        for _ in 0..N {
            let c = Crossover::Uniform.child(&[&a, &b], 0.3, false, &mut rng);
            for i in 0..3 {
                assert!(c[i] == a[i] || c[i] == b[i]);
                from_second[i] += usize::from(c[i] == b[i]);
            }
        }
        // Binomial(N, 0.3): five standard deviations.
        let tolerance = 5.0 * (N as f64 * 0.3 * 0.7).sqrt();
        for count in from_second {
            assert!((count as f64 - 0.3 * N as f64).abs() < tolerance, "{count}");
        }
    }

    #[test]
    fn blx_alpha_is_uniform_on_the_widened_interval() {
        let (a, b) = ([0.3, 0.6], [0.5, 0.45]);
        for alpha in [0.0, 0.5, 1.0] {
            let kids = children(Crossover::BlxAlpha { alpha }, &[&a, &b], false);
            for i in 0..2 {
                let (low, high) = min_max(a[i], b[i]);
                let (lo, hi) = (low - alpha * (high - low), high + alpha * (high - low));
                let values = axis(&kids, i);
                assert!(values.iter().all(|&v| v >= lo && v <= hi), "alpha {alpha} axis {i}: outside [{lo}, {hi}]");
                assert_moments(&values, 0.5 * (lo + hi), (hi - lo).powi(2) / 12.0, &format!("BLX {alpha} axis {i}"));
            }
        }
    }

    /// The spread factor of unbounded SBX: density (eta+1)/2 beta^eta on
    /// [0, 1] and (eta+1)/2 beta^-(eta+2) beyond; its first two moments.
    fn sbx_beta_moments(eta: f64) -> (f64, f64) {
        let half = 0.5 * (eta + 1.0);
        let mean = half / (eta + 2.0) + half / eta;
        let square = half / (eta + 3.0) + half / (eta - 1.0);
        (mean, square - mean * mean)
    }

    #[test]
    fn sbx_children_follow_the_spread_factor_distribution() {
        // Unbounded (infinite bounds): c1 = mid - beta d/2, c2 = mid + beta d/2.
        // eta above 3, so that the variance's own variance (the fourth
        // moment) is finite and the tolerance means something.
        let (low, high) = (0.4, 0.6);
        for eta in [5.0, 20.0] {
            let mut rng = rng_for(5, 0, "sbx");
            let pairs: Vec<(f64, f64)> = (0..N)
                .map(|_| sbx_children(low, high, f64::NEG_INFINITY, f64::INFINITY, eta, rng.random::<f64>()))
                .collect();
            let (beta_mean, beta_variance) = sbx_beta_moments(eta);
            let d = high - low;
            let c1: Vec<f64> = pairs.iter().map(|p| p.0).collect();
            let c2: Vec<f64> = pairs.iter().map(|p| p.1).collect();
            let quarter = 0.25 * d * d * beta_variance;
            assert_moments(&c1, 0.5 - 0.5 * d * beta_mean, quarter, &format!("SBX c1 eta {eta}"));
            assert_moments(&c2, 0.5 + 0.5 * d * beta_mean, quarter, &format!("SBX c2 eta {eta}"));
        }
    }

    #[test]
    fn bounded_sbx_keeps_children_in_the_box() {
        let mut rng = rng_for(6, 0, "sbx");
        for (low, high) in [(0.0, 0.01), (0.97, 1.0), (0.2, 0.9), (0.5, 0.5)] {
            for _ in 0..20_000 {
                let (c1, c2) = sbx_children(low, high, 0.0, 1.0, 2.0, rng.random::<f64>());
                assert!((0.0..=1.0).contains(&c1) && (0.0..=1.0).contains(&c2), "{low} {high}: {c1} {c2}");
            }
        }
    }

    #[test]
    fn sbx_child_mixes_children_and_parents_as_optuna() {
        // Per axis the child is c1 or c2 (each with probability p/2) or a
        // parent (each (1-p)/2): its mean and variance are the mixture's.
        let (a, b) = ([0.45], [0.55]);
        let eta = 10.0;
        let p = 0.7;
        let crossover = Crossover::Sbx { eta: Some(eta), uniform_crossover_prob: 0.5, use_child_gene_prob: p };
        let values = axis(&children(crossover, &[&a, &b], true), 0);
        // In [0, 1] with parents this far from the bounds the cut is below
        // 1e-30 in probability: the unbounded moments apply.
        let (bm, bv) = sbx_beta_moments(eta);
        let d = 0.1;
        let (m1, m2) = (0.5 - 0.5 * d * bm, 0.5 + 0.5 * d * bm);
        let child_square = 0.25 * d * d * bv;
        let components = [
            (p / 2.0, m1, child_square),
            (p / 2.0, m2, child_square),
            ((1.0 - p) / 2.0, 0.45, 0.0),
            ((1.0 - p) / 2.0, 0.55, 0.0),
        ];
        let mean: f64 = components.iter().map(|(w, m, _)| w * m).sum();
        let second: f64 = components.iter().map(|(w, m, v)| w * (v + m * m)).sum();
        assert_moments(&values, mean, second - mean * mean, "SBX child");
    }

    #[test]
    fn vsbx_children_spread_symmetrically_around_each_parent() {
        // beta >= 1 with P(beta > b) = b^-(eta+1): E beta = (eta+1)/eta,
        // E beta^2 = (eta+1)/(eta-1); c1 = x1 ± (beta-1)/2 (x2 - x1), evenly.
        let (x1, x2) = (0.3, 0.6);
        for eta in [5.0, 20.0] {
            let mut rng = rng_for(8, 0, "vsbx");
            let pairs: Vec<(f64, f64)> = (0..N).map(|_| vsbx_children(x1, x2, eta, rng.random::<f64>())).collect();
            let e1 = (eta + 1.0) / eta;
            let e2 = (eta + 1.0) / (eta - 1.0);
            let variance = 0.25 * (e2 - 2.0 * e1 + 1.0) * (x2 - x1) * (x2 - x1);
            let c1: Vec<f64> = pairs.iter().map(|p| p.0).collect();
            let c2: Vec<f64> = pairs.iter().map(|p| p.1).collect();
            assert_moments(&c1, x1, variance, &format!("vSBX c1 eta {eta}"));
            assert_moments(&c2, x2, variance, &format!("vSBX c2 eta {eta}"));
        }
    }

    /// Sample mean vector and covariance matrix, with each entry checked
    /// within five standard errors estimated from the sample.
    fn assert_mean_and_covariance(kids: &[Vec<f64>], mean: &[f64], covariance: &[Vec<f64>], label: &str) {
        let n = kids.len() as f64;
        let d = mean.len();
        let m: Vec<f64> = (0..d).map(|i| kids.iter().map(|k| k[i]).sum::<f64>() / n).collect();
        for i in 0..d {
            let values = axis(kids, i);
            let v = values.iter().map(|x| (x - m[i]).powi(2)).sum::<f64>() / n;
            let tolerance = 5.0 * (v / n).sqrt() + 1e-12;
            assert!((m[i] - mean[i]).abs() < tolerance, "{label}: mean[{i}] {} expected {}", m[i], mean[i]);
            for j in 0..d {
                let products: Vec<f64> = kids.iter().map(|k| (k[i] - m[i]) * (k[j] - m[j])).collect();
                let c = products.iter().sum::<f64>() / n;
                let spread = products.iter().map(|p| (p - c).powi(2)).sum::<f64>() / n;
                let tolerance = 5.0 * (spread / n).sqrt() + 1e-12;
                assert!(
                    (c - covariance[i][j]).abs() < tolerance,
                    "{label}: cov[{i}][{j}] {c}, expected {} ± {tolerance}",
                    covariance[i][j]
                );
            }
        }
    }

    #[test]
    fn undx_has_the_midpoint_as_mean_and_the_papers_covariance() {
        // Covariance: sigma_xi^2 d d^T + D^2 sigma_eta^2 (I - e e^T), with
        // d = x1 - x2, e = d / |d|, D the distance of x3 from the line.
        let (x1, x2, x3) = ([0.4, 0.5, 0.6], [0.6, 0.4, 0.5], [0.5, 0.7, 0.4]);
        let (sigma_xi, sigma_eta) = (0.5, 0.35 / 3f64.sqrt());
        let kids = children(Crossover::Undx { sigma_xi, sigma_eta: None }, &[&x1, &x2, &x3], true);
        let d: Vec<f64> = (0..3).map(|i| x1[i] - x2[i]).collect();
        let length = d.iter().map(|v| v * v).sum::<f64>().sqrt();
        let e: Vec<f64> = d.iter().map(|v| v / length).collect();
        let v13: Vec<f64> = (0..3).map(|i| x3[i] - x1[i]).collect();
        let dot: f64 = v13.iter().zip(&e).map(|(a, b)| a * b).sum();
        let distance = v13.iter().zip(&e).map(|(a, b)| (a - dot * b).powi(2)).sum::<f64>().sqrt();
        let covariance: Vec<Vec<f64>> = (0..3)
            .map(|i| {
                (0..3)
                    .map(|j| {
                        let identity = if i == j { 1.0 } else { 0.0 };
                        sigma_xi * sigma_xi * d[i] * d[j]
                            + distance * distance * sigma_eta * sigma_eta * (identity - e[i] * e[j])
                    })
                    .collect()
            })
            .collect();
        let midpoint: Vec<f64> = (0..3).map(|i| 0.5 * (x1[i] + x2[i])).collect();
        assert_mean_and_covariance(&kids, &midpoint, &covariance, "UNDX");
    }

    #[test]
    fn spx_is_uniform_on_the_expanded_simplex() {
        // Uniform on a simplex with k vertices v_j about centroid c: mean c,
        // covariance sum_j (v_j - c)(v_j - c)^T / (k (k + 1)); the vertices
        // are c + epsilon (p_j - c).
        let parents = [[0.3, 0.4, 0.5], [0.6, 0.45, 0.5], [0.45, 0.7, 0.4]];
        let refs: Vec<&[f64]> = parents.iter().map(|p| &p[..]).collect();
        let epsilon = (3.0f64 + 2.0).sqrt();
        let kids = children(Crossover::Spx { epsilon: None }, &refs, true);
        let centroid: Vec<f64> = (0..3).map(|i| parents.iter().map(|p| p[i]).sum::<f64>() / 3.0).collect();
        let covariance: Vec<Vec<f64>> = (0..3)
            .map(|i| {
                (0..3)
                    .map(|j| {
                        parents.iter().map(|p| (p[i] - centroid[i]) * (p[j] - centroid[j])).sum::<f64>()
                            * epsilon
                            * epsilon
                            / 12.0
                    })
                    .collect()
            })
            .collect();
        assert_mean_and_covariance(&kids, &centroid, &covariance, "SPX");
    }

    #[test]
    fn polynomial_mutation_has_the_closed_form_distribution() {
        // Below x: P(y <= x - t) = ((1-t)^(eta+1) - a) / (2 (1 - a)) with
        // a = (1 - x)^(eta+1), for 0 <= t <= x; half the mass on each side.
        let (x, eta) = (0.3, 5.0);
        let mut rng = rng_for(9, 0, "mutation");
        let values: Vec<f64> = (0..N).map(|_| polynomial_mutation(x, eta, rng.random::<f64>())).collect();
        assert!(values.iter().all(|v| (0.0..=1.0).contains(v)));
        let a = (1.0 - x).powf(eta + 1.0);
        for t in [0.0f64, 0.05, 0.1, 0.2, 0.29] {
            let expected = ((1.0 - t).powf(eta + 1.0) - a) / (2.0 * (1.0 - a));
            let seen = values.iter().filter(|&&v| v <= x - t).count() as f64 / N as f64;
            let tolerance = 5.0 * (expected * (1.0 - expected) / N as f64).sqrt() + 1e-9;
            assert!((seen - expected).abs() < tolerance, "t {t}: {seen} vs {expected}");
        }
    }

    #[test]
    fn parameters_are_checked() {
        assert!(Crossover::BlxAlpha { alpha: -0.1 }.check().unwrap_err().contains("alpha"));
        let sbx = Crossover::Sbx { eta: Some(2.0), uniform_crossover_prob: 0.5, use_child_gene_prob: 0.0 };
        assert!(sbx.check().unwrap_err().contains("use_child_gene_prob"));
        for name in ["uniform", "blxalpha", "sbx", "vsbx", "undx", "spx"] {
            let c = Crossover::named(name).unwrap();
            assert_eq!(c.name(), name);
            assert!(c.check().is_ok());
        }
        assert_eq!(Crossover::named("undx").unwrap().n_parents(), 3);
    }
}
