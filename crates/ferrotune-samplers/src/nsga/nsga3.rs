//! [`Nsga3Sampler`]: NSGA-III (Deb & Jain 2014) as Optuna 5's
//! `NSGAIIISampler` runs it, the shared genetic sampler (`sampler`) with
//! NSGA-III's survivor cut, niching on reference points (`niching`).
//! Everything else, breeding, options, tags and generations, is NSGA-II's.

use std::sync::Arc;

use ferrotune_core::{Error, Result};
use rand::RngCore;

use super::niching::{das_dennis_count, reference_points, select_by_reference_points, MAX_REFERENCE_POINTS};
use super::sampler::{GeneticSampler, GeneticSamplerBuilder, SurvivorCut};
use super::selection::Candidate;

/// System attribute holding NSGA-III's tag of a trial it bred, in the
/// form of NSGA-II's ([`super::NSGA2_GENERATION_ATTR`]).
pub const NSGA3_GENERATION_ATTR: &str = "nsga3:generation";

/// NSGA-III's survivor cut: niching on reference points in the normalized
/// objective space, given or generated (Das-Dennis).
#[derive(Debug, Clone, PartialEq)]
pub struct ReferencePoints {
    given: Option<Arc<[Vec<f64>]>>,
    dividing_parameter: usize,
}

impl Default for ReferencePoints {
    fn default() -> Self {
        ReferencePoints { given: None, dividing_parameter: 3 }
    }
}

impl ReferencePoints {
    /// The reference points the cut uses for a study of `n_objectives`:
    /// the given ones, or the Das-Dennis points with `dividing_parameter`
    /// divisions per objective (C(H + M - 1, M - 1) of them: 10 for 3
    /// objectives at the default 3).
    pub fn points(&self, n_objectives: usize) -> Vec<Vec<f64>> {
        reference_points(self.given.as_deref(), self.dividing_parameter, n_objectives).into_owned()
    }
}

impl SurvivorCut for ReferencePoints {
    const NAME: &'static str = "nsga3";
    const TAG: &'static str = NSGA3_GENERATION_ATTR;

    fn survivors(&self, candidates: &[Candidate], size: usize, tie_break: &mut dyn RngCore) -> Vec<usize> {
        let n_objectives = candidates.first().map_or(0, |c| c.losses.len());
        let points = reference_points(self.given.as_deref(), self.dividing_parameter, n_objectives);
        select_by_reference_points(candidates, size, &points, tie_break)
    }

    fn check(&self) -> std::result::Result<(), String> {
        if self.dividing_parameter == 0 {
            return Err("dividing_parameter must be at least 1, got 0".into());
        }
        let Some(given) = &self.given else { return Ok(()) };
        let columns = given.first().map_or(0, Vec::len);
        if columns == 0 {
            return Err("reference_points must have at least one row of at least one number (a column per \
                        objective)"
                .into());
        }
        for (r, row) in given.iter().enumerate() {
            if row.len() != columns {
                return Err(format!(
                    "reference_points row {r} has {}, row 0 has {columns}: every row needs one per objective",
                    counted(row.len(), "number", "numbers")
                ));
            }
            if let Some(v) = row.iter().find(|v| !v.is_finite()) {
                return Err(format!("reference_points row {r} has {v}: every number must be finite"));
            }
            if row.iter().all(|v| *v == 0.0) {
                return Err(format!("reference_points row {r} is all zeros: it gives no direction"));
            }
        }
        Ok(())
    }

    fn check_study(&self, n_objectives: usize) -> Result<()> {
        match &self.given {
            Some(given) if given[0].len() != n_objectives => Err(Error::InvalidArgument(format!(
                "reference_points have {}, but the study has {} (one column per objective)",
                counted(given[0].len(), "column", "columns"),
                counted(n_objectives, "objective", "objectives")
            ))),
            Some(_) => Ok(()),
            None => match das_dennis_count(n_objectives, self.dividing_parameter) {
                Some(count) if count <= MAX_REFERENCE_POINTS => Ok(()),
                count => Err(Error::InvalidArgument(format!(
                    "dividing_parameter {} with {} gives {} Das-Dennis reference points, \
                     more than the {MAX_REFERENCE_POINTS} allowed; use a smaller dividing_parameter or give \
                     reference_points",
                    self.dividing_parameter,
                    counted(n_objectives, "objective", "objectives"),
                    count.map_or_else(|| "too many to count".to_string(), |c| c.to_string())
                ))),
            },
        }
    }
}

/// `n` with the noun in the number it takes ("1 objective", "2 objectives").
fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// NSGA-III (Deb & Jain 2014): NSGA-II with the last front's survivors
/// chosen to spread over reference points, for three objectives and more
/// (one and two work too). Alias: Optuna's `NSGAIIISampler`.
#[doc(alias = "NSGAIIISampler")]
pub type Nsga3Sampler = GeneticSampler<ReferencePoints>;

/// Options of an [`Nsga3Sampler`], checked by [`GeneticSamplerBuilder::build`].
pub type Nsga3SamplerBuilder = GeneticSamplerBuilder<ReferencePoints>;

impl GeneticSamplerBuilder<ReferencePoints> {
    /// The reference points, one row each, one column per objective, in
    /// the normalized objective space (each objective minimized, 0 at its
    /// best and about 1 at the extreme points' hyperplane); only their
    /// directions from the origin matter. Default: the Das-Dennis points.
    pub fn reference_points(mut self, points: Vec<Vec<f64>>) -> Self {
        self.sampler.cut.given = Some(points.into());
        self
    }

    /// Divisions per objective of the default Das-Dennis reference points
    /// (default 3; ignored when reference points are given).
    pub fn dividing_parameter(mut self, divisions: usize) -> Self {
        self.sampler.cut.dividing_parameter = divisions;
        self
    }
}
