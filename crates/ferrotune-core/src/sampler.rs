//! The two pure seams: [`Sampler`] proposes parameter values, [`Pruner`]
//! decides whether a running trial should stop. Both read a [`StudyView`]
//! and nothing else.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::{AttrValue, Distribution, FrozenTrial, Result, StudyDirection, TrialState};

/// A search space: parameter names to distributions. Ordered, so that
/// iterating it is deterministic (a seeded study must repeat exactly).
pub type SearchSpace = BTreeMap<String, Distribution>;

/// An immutable snapshot of a study, as samplers and pruners see it.
///
/// `trials` holds every trial of the study in number order, including
/// running and waiting ones (so samplers can account for work in flight).
/// The snapshot was taken after the current trial was created, so every
/// trial with a smaller number is in it — except that a sampler under a
/// pruner that groups trials ([`Pruner::trial_group`], Hyperband) sees only
/// the trials of the current trial's group (finite samplers, which declare
/// [`Sampler::max_trials`], always see all).
#[derive(Debug, Clone, Copy)]
pub struct StudyView<'a> {
    /// The study's name.
    pub study_name: &'a str,
    /// One direction per objective.
    pub directions: &'a [StudyDirection],
    /// All trials, ordered by number.
    pub trials: &'a [Arc<FrozenTrial>],
}

impl<'a> StudyView<'a> {
    /// Trials in any of the given states, in number order.
    pub fn trials_in<'s>(&'s self, states: &'s [TrialState]) -> impl Iterator<Item = &'a FrozenTrial> + 's {
        self.trials.iter().map(|t| &**t).filter(move |t| states.contains(&t.state))
    }

    /// Whether the study has more than one objective.
    pub fn is_multi_objective(&self) -> bool {
        self.directions.len() > 1
    }
}

/// Proposes parameter values for trials.
///
/// The shape follows Optuna's `BaseSampler`, so model-based samplers (TPE,
/// GP, CMA-ES) fit without changing it: at the start of a trial the engine
/// asks for a *relative* search space (parameters the sampler wants to model
/// jointly, usually those every past trial had) and samples it in one go;
/// any parameter outside it — conditional ones, or all of them for a simple
/// sampler — is then sampled on its own by [`Sampler::sample_independent`]
/// when user code suggests it.
///
/// Samplers must be pure functions of their inputs and their own
/// configuration (seed included): they never do I/O and never see storage.
/// That is what makes a seeded study repeat exactly and samplers testable on
/// hand-made trial lists.
pub trait Sampler: Send + Sync {
    /// A short name for logs and configs (`"random"`, `"grid"`, ...).
    fn name(&self) -> &str;

    /// Refuse directions the sampler cannot optimize (a single-objective
    /// sampler given several objectives). The study calls this when it is
    /// created or loaded, so the refusal comes before any trial runs, not
    /// after the sampler's startup trials. Default: every direction list.
    fn check_directions(&self, directions: &[StudyDirection]) -> Result<()> {
        let _ = directions;
        Ok(())
    }

    /// Parameters to sample jointly for `trial`. Default: none.
    fn infer_relative_search_space(&self, study: &StudyView<'_>, trial: &FrozenTrial) -> SearchSpace {
        let _ = (study, trial);
        SearchSpace::new()
    }

    /// Internal values for (a subset of) `search_space`. Parameters left out
    /// fall back to [`Sampler::sample_independent`]. Default: none.
    fn sample_relative(
        &self,
        study: &StudyView<'_>,
        trial: &FrozenTrial,
        search_space: &SearchSpace,
    ) -> Result<BTreeMap<String, f64>> {
        let _ = (study, trial, search_space);
        Ok(BTreeMap::new())
    }

    /// System attributes to record on `trial` together with its relative
    /// sample `sample`, for the sampler's own bookkeeping: CMA-ES records the
    /// generation a trial was drawn from, which later calls read back from
    /// [`FrozenTrial::system_attrs`] (a sampler keeps no state between
    /// calls). Called right after [`Sampler::sample_relative`], only when the
    /// sample is not empty. Default: none.
    fn relative_sample_attrs(
        &self,
        study: &StudyView<'_>,
        trial: &FrozenTrial,
        sample: &BTreeMap<String, f64>,
    ) -> Result<BTreeMap<String, AttrValue>> {
        let _ = (study, trial, sample);
        Ok(BTreeMap::new())
    }

    /// The internal value of one parameter. It must lie in `distribution`.
    fn sample_independent(
        &self,
        study: &StudyView<'_>,
        trial: &FrozenTrial,
        name: &str,
        distribution: &Distribution,
    ) -> Result<f64>;

    /// An upper bound on how many trials this sampler can create, for
    /// finite search spaces (a grid). The storage enforces it atomically
    /// when creating trials, so parallel workers never overshoot it; trials
    /// enqueued by hand do not count. Default: unbounded.
    fn max_trials(&self) -> Option<u64> {
        None
    }

    /// Whether the sampler enumerates a finite space whose end it can tell
    /// only from the trials (brute force over a define-by-run space, whose
    /// size is unknown in advance). Such a sampler, like one with
    /// [`Sampler::max_trials`], sees every trial of the study, and
    /// `optimize` asks [`Sampler::is_exhausted`] after each trial it
    /// finishes (the worker that finished it stops on a yes). Each of its
    /// independent suggestions sees the study as it is then (other
    /// workers' latest choices), not as it was when the trial was asked,
    /// and its values are stored at once. Default: no.
    fn is_exhaustive(&self) -> bool {
        false
    }

    /// For an [exhaustive](Sampler::is_exhaustive) sampler, whether every
    /// configuration has been tried, so that `optimize` starts no new trial
    /// (what Optuna's `BruteForceSampler` does with `study.stop()` in its
    /// `after_trial`). Default: never.
    fn is_exhausted(&self, study: &StudyView<'_>) -> Result<bool> {
        let _ = study;
        Ok(false)
    }
}

/// Decides whether a running trial should stop early.
///
/// Like samplers, pruners are pure: they read the study snapshot and the
/// current trial (with its intermediate values) and return a decision.
pub trait Pruner: Send + Sync {
    /// Whether `trial` should be pruned now.
    fn prune(&self, study: &StudyView<'_>, trial: &FrozenTrial) -> Result<bool>;

    /// The group (a Hyperband bracket) trial `trial_number` belongs to, if
    /// the pruner splits the study into groups run on different budgets.
    /// Samplers then see only the trials of the same group, so a model is
    /// never fitted across budgets. Default: no groups.
    fn trial_group(&self, study: &StudyView<'_>, trial_number: u64) -> Result<Option<u64>> {
        let _ = (study, trial_number);
        Ok(None)
    }
}
