//! PED-ANOVA: a parameter matters as much as the distribution of its values
//! among the best trials differs from their distribution in the region the
//! importance is measured in (Pearson divergence of two Parzen estimates).
//!
//! Design decision: a parameter missing from some trials (conditional) is
//! judged per regime, as Optuna 5 does (condPED-ANOVA): the region's trials
//! are split by the distribution the parameter had, absence being its own
//! regime that contributes nothing, and each regime's divergence counts with
//! the weight of its share of the best trials. A parameter that is rarely
//! present is therefore rarely important, however sharply it splits the few
//! trials it appears in.

use std::fmt;
use std::sync::Arc;

use ferrotune_core::{Distribution, Error, FrozenTrial, Result, StudyDirection};

use super::grid_parzen::{grid_counts, grid_density};
use super::trials::{report, scored, scored_by_pareto, Scored, Target};
use crate::pareto::best_subset;

/// Fewer trials than this in a regime, and the regime is left out.
const MIN_TRIALS_IN_REGIME: usize = 2;

/// Added to both densities so the ratio is finite where one vanishes.
const DENSITY_FLOOR: f64 = 1e-12;

/// What [`ped_anova`] measures and how it reports it. The names and
/// defaults are Optuna's (the evaluator's and `get_param_importances`').
#[derive(Clone)]
pub struct PedAnovaOptions {
    /// The importance of reaching the best `target_quantile` of trials
    /// (Optuna's default 0.1: the top 10%). The paper's γ'.
    pub target_quantile: f64,
    /// The region the importance is measured in: the best
    /// `region_quantile` of trials (1.0, the default: all of them). The
    /// paper's γ. Must exceed `target_quantile`.
    pub region_quantile: f64,
    /// Measure against the region's trials (true, the default: what
    /// mattered during this study) or against a uniform distribution over
    /// each parameter's range (false: what matters in the search space;
    /// `region_quantile` then has no effect).
    pub evaluate_on_local: bool,
    /// The parameters to assess (None, the default: every parameter of a
    /// complete trial, conditional ones included). Each must appear in a
    /// complete trial.
    pub params: Option<Vec<String>>,
    /// What "better" means, lower being better (None: the objective value,
    /// in the study's direction). Required for several objectives.
    pub target: Option<Target>,
    /// Scale the importances to sum to one (true, the default; all equal
    /// when every importance is zero).
    pub normalize: bool,
}

impl Default for PedAnovaOptions {
    fn default() -> Self {
        PedAnovaOptions {
            target_quantile: 0.1,
            region_quantile: 1.0,
            evaluate_on_local: true,
            params: None,
            target: None,
            normalize: true,
        }
    }
}

impl fmt::Debug for PedAnovaOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PedAnovaOptions")
            .field("target_quantile", &self.target_quantile)
            .field("region_quantile", &self.region_quantile)
            .field("evaluate_on_local", &self.evaluate_on_local)
            .field("params", &self.params)
            .field("target", &self.target.as_ref().map(|_| "<fn>"))
            .field("normalize", &self.normalize)
            .finish()
    }
}

impl PedAnovaOptions {
    /// These options with only the named parameters assessed.
    pub fn with_params<S: Into<String>>(mut self, params: impl IntoIterator<Item = S>) -> Self {
        self.params = Some(params.into_iter().map(Into::into).collect());
        self
    }

    /// These options with `target` as the score, lower being better.
    pub fn with_target(mut self, target: impl Fn(&FrozenTrial) -> f64 + Send + Sync + 'static) -> Self {
        self.target = Some(Arc::new(target));
        self
    }

    fn check(&self) -> Result<()> {
        let (target, region) = (self.target_quantile, self.region_quantile);
        if !(target > 0.0 && target < 1.0) {
            return Err(Error::InvalidOption {
                option: "target_quantile".into(),
                message: format!("must lie in (0, 1) and below region_quantile, got {target}"),
            });
        }
        if !(region > target && region <= 1.0) {
            return Err(Error::InvalidOption {
                option: "region_quantile".into(),
                message: format!("must lie in (target_quantile, 1] = ({target}, 1], got {region}"),
            });
        }
        Ok(())
    }
}

/// How much each parameter mattered for reaching the best trials, by
/// PED-ANOVA, highest first (ties by name).
///
/// Only complete trials with finite values (finite targets, with a
/// `target`) count. With fewer than two such trials every importance is
/// zero (equal shares when normalized). A study of several objectives is
/// judged by `target` when given; without one, as Optuna 5 does, the best
/// trials are those of the best Pareto ranks, the last rank that does not
/// fit whole cut by greedy hypervolume subset selection
/// ([`crate::pareto::best_subset`]).
///
/// ```
/// use std::sync::Arc;
/// use ferrotune_analysis::importance::{ped_anova, PedAnovaOptions};
/// use ferrotune_core::{Distribution, FrozenTrial, StudyDirection};
///
/// let x = Distribution::float(0.0, 1.0)?;
/// let trials: Vec<Arc<FrozenTrial>> = (0..100)
///     .map(|i| {
///         let (a, b) = ((i % 10) as f64 / 9.0, (i / 10) as f64 / 9.0);
///         let value = (a - 0.3).powi(2) + 0.01 * b;
///         Arc::new(FrozenTrial::builder(i).param("a", &x, a).param("b", &x, b).value(value).build())
///     })
///     .collect();
/// let importances = ped_anova(&trials, &[StudyDirection::Minimize], &PedAnovaOptions::default())?;
/// assert_eq!(importances[0].0, "a");
/// assert!((importances.iter().map(|(_, v)| v).sum::<f64>() - 1.0).abs() < 1e-12);
/// # Ok::<(), ferrotune_core::Error>(())
/// ```
pub fn ped_anova(
    trials: &[Arc<FrozenTrial>],
    directions: &[StudyDirection],
    options: &PedAnovaOptions,
) -> Result<Vec<(String, f64)>> {
    options.check()?;
    let by_pareto = directions.len() > 1 && options.target.is_none();
    let Scored { trials: scored, losses, params, loss_vectors } = if by_pareto {
        scored_by_pareto(trials, directions, options.params.as_deref())?
    } else {
        scored(trials, directions, options.params.as_deref(), options.target.as_ref())?
    };

    let mut importances: Vec<(String, f64)> = params.into_iter().map(|name| (name, 0.0)).collect();
    if scored.len() > 1 {
        let best = |quantile: f64| {
            if by_pareto {
                best_pareto_quantile(&loss_vectors, quantile)
            } else {
                best_quantile(&losses, quantile)
            }
        };
        let (in_target, in_region) = (best(options.target_quantile), best(options.region_quantile));
        let n_target = in_target.iter().filter(|&&b| b).count();
        let n_region = in_region.iter().filter(|&&b| b).count();
        let region: Vec<usize> = (0..scored.len()).filter(|&i| in_region[i]).collect();
        // Theorem 4.2 of condPED-ANOVA: the regimes' divergences weighted
        // by their shares of target (alpha) and region (beta) trials,
        // scaled by (gamma' / gamma)^2.
        let quantile = n_target as f64 / n_region as f64;
        for (name, importance) in &mut importances {
            let mut total = 0.0;
            for (distribution, members) in regimes(name, &scored, &region) {
                let Some(distribution) = distribution else { continue };
                let targets: Vec<usize> = members.iter().copied().filter(|&i| in_target[i]).collect();
                if distribution.is_single() || targets.is_empty() {
                    continue;
                }
                let alpha = targets.len() as f64 / n_target as f64;
                let beta = members.len() as f64 / n_region as f64;
                let values = |indices: &[usize]| -> Vec<f64> {
                    indices.iter().map(|&i| scored[i].params[name.as_str()].internal).collect()
                };
                let divergence =
                    pearson_divergence(distribution, &values(&targets), &values(&members), options.evaluate_on_local);
                total += alpha * alpha / beta * divergence;
            }
            *importance = total * quantile * quantile;
        }
    }

    Ok(report(importances, options.normalize))
}

/// Which losses are among the best `quantile` of them: those no worse
/// than the ceil(quantile * n)-th smallest (ties all in, so the set can be
/// larger than its share). `quantile == 1` takes them all.
fn best_quantile(losses: &[f64], quantile: f64) -> Vec<bool> {
    if quantile == 1.0 {
        return vec![true; losses.len()];
    }
    let cutoff_index = ((quantile * losses.len() as f64).ceil() as usize).max(1) - 1;
    let mut sorted = losses.to_vec();
    let (_, &mut cutoff, _) = sorted.select_nth_unstable_by(cutoff_index, f64::total_cmp);
    losses.iter().map(|&loss| loss <= cutoff).collect()
}

/// Which trials are among the best `quantile` of several objectives:
/// exactly ceil(quantile * n) of them, by Pareto rank and hypervolume
/// contribution. `quantile == 1` takes them all.
fn best_pareto_quantile(loss_vectors: &[Vec<f64>], quantile: f64) -> Vec<bool> {
    let n = loss_vectors.len();
    if quantile == 1.0 {
        return vec![true; n];
    }
    let mut chosen = vec![false; n];
    for i in best_subset(loss_vectors, (quantile * n as f64).ceil() as usize) {
        chosen[i] = true;
    }
    chosen
}

/// The region's trials (indices into `trials`) split by the distribution
/// `name` had in them, None where it is absent, leaving out regimes of
/// fewer than [`MIN_TRIALS_IN_REGIME`] trials.
fn regimes<'a>(
    name: &str,
    trials: &[&'a FrozenTrial],
    region: &[usize],
) -> Vec<(Option<&'a Distribution>, Vec<usize>)> {
    let mut regimes: Vec<(Option<&'a Distribution>, Vec<usize>)> = Vec::new();
    for &i in region {
        let distribution = trials[i].params.get(name).map(|p| &p.distribution);
        match regimes.iter_mut().find(|(d, _)| *d == distribution) {
            Some((_, members)) => members.push(i),
            None => regimes.push((distribution, vec![i])),
        }
    }
    regimes.retain(|(_, members)| members.len() >= MIN_TRIALS_IN_REGIME);
    regimes
}

/// The Pearson divergence of the target trials' density from the
/// region's (or from uniform, globally) on the parameter's grid:
/// sum over the grid of region * (target / region - 1)^2.
fn pearson_divergence(distribution: &Distribution, targets: &[f64], region: &[f64], local: bool) -> f64 {
    let categorical = matches!(distribution, Distribution::Categorical(_));
    let target_counts = grid_counts(distribution, targets.iter().copied());
    let target_density = grid_density(&target_counts, categorical);
    let n_points = target_counts.len();
    let region_density = if local {
        let counts = grid_counts(distribution, region.iter().copied());
        grid_density(&counts, categorical).into_iter().map(|d| d + DENSITY_FLOOR).collect()
    } else {
        vec![1.0 / n_points as f64; n_points]
    };
    target_density.iter().zip(&region_density).map(|(&t, &r)| r * ((t + DENSITY_FLOOR) / r - 1.0).powi(2)).sum()
}
