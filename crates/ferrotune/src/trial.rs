//! The live trial that objective code sees, and what an objective returns.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use ferrotune_core::{
    AttrScope, AttrValue, CategoricalDistribution, Distribution, Error, FloatDistribution, FrozenTrial,
    IntDistribution, ParamValue, Result, Sampler, SearchSpace, StudyView, TrialParam, CONSTRAINTS_ATTR,
};

use crate::param_writer::PendingParams;
use crate::study::{Snapshot, StudyInner};

/// A trial being evaluated: suggest parameters, report intermediate values,
/// ask whether to prune. Obtained from [`Study::ask`](crate::Study::ask) or
/// handed to the objective by [`Study::optimize`](crate::Study::optimize).
///
/// Every suggestion reaches the storage while the trial runs, so a
/// dashboard or another worker sees a running trial's parameters: at once
/// with an in-process storage; with a database, together with the trial's
/// next write or within 10 ms, whichever comes first (a trial's tell then
/// stores its parameters and its outcome in one write; see
/// [`flush_params`](Trial::flush_params)), except under an exhaustive
/// sampler (brute force), whose choices are written at once.
pub struct Trial {
    pub(crate) study: Arc<StudyInner>,
    /// The study's sampler when the trial was asked: every suggestion of
    /// the trial uses it, even if the study's is replaced meanwhile.
    pub(crate) sampler: Arc<dyn Sampler>,
    /// What this process knows of the trial; kept equal to the stored one.
    pub(crate) frozen: FrozenTrial,
    /// The study as it was when the trial started, shared by all its
    /// suggestions so the sampler's view is consistent within a trial;
    /// an exhaustive sampler's suggestions refresh it first.
    pub(crate) snapshot: Snapshot,
    pub(crate) relative_space: SearchSpace,
    pub(crate) relative_params: BTreeMap<String, f64>,
    /// The first storage failure this trial's calls met, however the
    /// objective then handled the error (returned it with `?`, wrapped it,
    /// or dropped it): `optimize` fails the trial and ends with it.
    pub(crate) storage_failure: std::sync::OnceLock<String>,
    /// Suggestions waiting for a write (storages that gather them).
    pub(crate) pending_params: Option<Arc<PendingParams>>,
    /// The thread stamping the trial's heartbeat (heartbeats on); it stops
    /// when the trial is told or dropped. Kept only for that drop.
    #[allow(dead_code)]
    pub(crate) heartbeat: Option<crate::heartbeat::HeartbeatThread>,
}

impl fmt::Debug for Trial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Trial").field("number", &self.frozen.number).field("params", &self.params()).finish()
    }
}

/// A trial dropped untold (its objective's thread died, say) stores its
/// waiting suggestions first, so that what it ran is on record when another
/// worker fails it as stale and retries its parameters.
impl Drop for Trial {
    fn drop(&mut self) {
        let _ = self.flush_params();
    }
}

impl Trial {
    /// Pass `result` on, remembering a storage failure for `optimize`.
    fn noted<T>(&self, result: Result<T>) -> Result<T> {
        if let Err(Error::Storage(message)) = &result {
            let _ = self.storage_failure.set(message.clone());
        }
        result
    }

    /// Store the parameters suggested so far now. They are otherwise stored
    /// with the trial's next write (a report, an attribute, its tell) or
    /// within 10 ms by the study's writer thread; call this before handing
    /// the trial's number to another process that will tell it, or before
    /// the process exits without telling it.
    pub fn flush_params(&mut self) -> Result<()> {
        let unsaved = self.take_unsaved_params()?;
        if unsaved.is_empty() {
            return Ok(());
        }
        self.noted(self.study.storage.set_trial_params(self.frozen.trial_id, &unsaved))
    }

    /// The suggestions not stored yet, taken from the writer; the failure
    /// of its last write instead, if it failed.
    pub(crate) fn take_unsaved_params(&mut self) -> Result<Vec<(String, TrialParam)>> {
        match &self.pending_params {
            Some(pending) => self.noted(pending.take()),
            None => Ok(Vec::new()),
        }
    }

    /// The first storage failure this trial's calls met, if any.
    pub(crate) fn storage_failure(&self) -> Option<&str> {
        self.storage_failure.get().map(String::as_str)
    }

    /// 0-based number of the trial within its study.
    pub fn number(&self) -> u64 {
        self.frozen.number
    }

    /// Storage-wide id of the trial.
    pub fn id(&self) -> i64 {
        self.frozen.trial_id
    }

    /// The parameters suggested so far.
    pub fn params(&self) -> BTreeMap<String, ParamValue> {
        self.frozen.param_values()
    }

    /// Parameters fixed in advance by `enqueue_trial`, if any.
    pub fn fixed_params(&self) -> Option<&BTreeMap<String, ParamValue>> {
        self.frozen.fixed_params.as_ref()
    }

    /// What the sampler proposed for this trial's joint (relative) search
    /// space at ask time, by name, as user-facing values: Optuna's
    /// `Trial.relative_params`. A parameter listed here is what `suggest`
    /// returns for it when asked with the same distribution.
    pub fn relative_params(&self) -> BTreeMap<String, ParamValue> {
        self.relative_params
            .iter()
            .filter_map(|(name, &internal)| {
                let distribution = self.relative_space.get(name)?;
                distribution.contains(internal).then(|| (name.clone(), distribution.to_external(internal)))
            })
            .collect()
    }

    /// The trial as this process knows it.
    pub fn frozen(&self) -> &FrozenTrial {
        &self.frozen
    }

    /// A float in `[low, high]`.
    pub fn suggest_float(&mut self, name: &str, low: f64, high: f64) -> Result<f64> {
        self.float(name, FloatDistribution::new(low, high, false, None)?)
    }

    /// A float in `[low, high]` on a log scale (learning rates, weight decay).
    pub fn suggest_float_log(&mut self, name: &str, low: f64, high: f64) -> Result<f64> {
        self.float(name, FloatDistribution::new(low, high, true, None)?)
    }

    /// A float in `{low, low + step, ..., high}`.
    pub fn suggest_float_step(&mut self, name: &str, low: f64, high: f64, step: f64) -> Result<f64> {
        self.float(name, FloatDistribution::new(low, high, false, Some(step))?)
    }

    /// An integer in `[low, high]`.
    pub fn suggest_int(&mut self, name: &str, low: i64, high: i64) -> Result<i64> {
        self.int(name, IntDistribution::new(low, high, false, 1)?)
    }

    /// An integer in `[low, high]` on a log scale (batch sizes, widths).
    pub fn suggest_int_log(&mut self, name: &str, low: i64, high: i64) -> Result<i64> {
        self.int(name, IntDistribution::new(low, high, true, 1)?)
    }

    /// An integer in `{low, low + step, ..., high}`.
    pub fn suggest_int_step(&mut self, name: &str, low: i64, high: i64, step: i64) -> Result<i64> {
        self.int(name, IntDistribution::new(low, high, false, step)?)
    }

    /// One of `choices`, returned as the caller's own type:
    /// `trial.suggest_categorical("optimizer", &["sgd", "adam"])?` is a `&str`.
    pub fn suggest_categorical<T>(&mut self, name: &str, choices: &[T]) -> Result<T>
    where
        T: Clone + Into<ParamValue>,
    {
        let distribution = CategoricalDistribution::new(choices.iter().cloned().map(Into::into).collect())?;
        let internal = self.suggest_internal(name, Distribution::Categorical(distribution))?;
        Ok(choices[internal as usize].clone())
    }

    /// A value from any distribution (what the `suggest_*` shorthands call).
    ///
    /// ```
    /// use ferrotune::{Distribution, FloatDistribution, ParamValue, Study};
    ///
    /// let study = Study::builder().create()?;
    /// let mut trial = study.ask()?;
    /// let lr = FloatDistribution::new(1e-5, 1e-1, true, None)?;
    /// let ParamValue::Float(value) = trial.suggest("lr", Distribution::Float(lr))? else { unreachable!() };
    /// assert!((1e-5..=1e-1).contains(&value));
    /// # Ok::<(), ferrotune::Error>(())
    /// ```
    pub fn suggest(&mut self, name: &str, distribution: Distribution) -> Result<ParamValue> {
        let internal = self.suggest_internal(name, distribution.clone())?;
        Ok(distribution.to_external(internal))
    }

    fn float(&mut self, name: &str, distribution: FloatDistribution) -> Result<f64> {
        self.suggest_internal(name, Distribution::Float(distribution))
    }

    fn int(&mut self, name: &str, distribution: IntDistribution) -> Result<i64> {
        let internal = self.suggest_internal(name, Distribution::Int(distribution.clone()))?;
        // Not `internal as i64`: near i64::MAX the internal f64 can be 2^63,
        // and between admissible values of a step (see `nearest`).
        Ok(distribution.nearest(internal))
    }

    fn suggest_internal(&mut self, name: &str, distribution: Distribution) -> Result<f64> {
        if let Some(existing) = self.frozen.params.get(name) {
            if existing.distribution == distribution {
                return Ok(existing.internal);
            }
            return Err(Error::IncompatibleDistribution {
                name: name.to_owned(),
                existing: existing.distribution.to_string(),
                requested: distribution.to_string(),
            });
        }
        self.study.check_distribution(name, &distribution)?;
        let fixed = self.frozen.fixed_params.as_ref().and_then(|f| f.get(name));
        let internal = if let Some(value) = fixed {
            distribution.to_internal(name, value)?
        } else if distribution.is_single() {
            match &distribution {
                Distribution::Float(d) => d.low(),
                Distribution::Int(d) => d.low() as f64,
                Distribution::Categorical(_) => 0.0,
            }
        } else if let Some(&v) =
            self.relative_params.get(name).filter(|_| self.relative_space.get(name) == Some(&distribution))
        {
            v
        } else {
            if self.sampler.is_exhaustive() {
                // An exhaustive sampler steers clear of what other workers
                // are trying, so it reads their choices as they are made,
                // not as they stood when this trial started.
                self.snapshot = self.noted(self.study.refresh())?;
            }
            let sampler = &self.sampler;
            let view = StudyView {
                study_name: &self.study.info.name,
                directions: &self.study.info.directions,
                trials: &self.snapshot,
            };
            sampler.sample_independent(&view, &self.frozen, name, &distribution)?
        };
        if !distribution.contains(internal) {
            return Err(Error::Sampler(format!(
                "sampler '{}' proposed {internal} for '{name}', outside {distribution}",
                self.sampler.name()
            )));
        }
        let param = TrialParam { distribution, internal };
        // An exhaustive sampler's choices are written at once, for the
        // other workers to steer clear of.
        if self.study.storage.gathers_param_writes() && !self.sampler.is_exhaustive() {
            let trial_id = self.frozen.trial_id;
            let pending = self.pending_params.get_or_insert_with(|| PendingParams::new(trial_id));
            self.study.param_writer.add(pending, name, param.clone())?;
        } else {
            self.noted(self.study.storage.set_trial_param(self.frozen.trial_id, name, &param))?;
        }
        self.frozen.params.insert(name.to_owned(), param);
        Ok(internal)
    }

    /// Report an intermediate objective value (validation loss after an
    /// epoch, say) for pruning and learning curves. Reporting a step again
    /// keeps the first value, as Optuna does, and returns `Ok(false)`: a
    /// pruner may already have compared other trials against it, and a
    /// retried trial that inherited its predecessor's curve does not rewrite
    /// it. `Ok(true)` when the value was recorded.
    ///
    /// The step comes first, as in [`report_values`](Self::report_values)
    /// and the step-to-value map it writes; Python keeps Optuna's
    /// `report(value, step)`. The order differs on purpose between the two
    /// languages, and a swap cannot go unnoticed in Rust: the step is a
    /// `u64` and the value an `f64`.
    pub fn report(&mut self, step: u64, value: f64) -> Result<bool> {
        if self.frozen.intermediate_values.contains_key(&step) {
            return Ok(false);
        }
        self.flush_params()?;
        self.noted(self.study.storage.set_trial_intermediate_value(self.frozen.trial_id, step, value))?;
        self.frozen.intermediate_values.insert(step, value);
        Ok(true)
    }

    /// Report one intermediate value per objective (multi-objective
    /// studies), so that pruners can compare trials in every objective; the
    /// first objective's value is also the step's scalar value. In a
    /// single-objective study this is [`Trial::report`], and as there a
    /// step reported again keeps its first values (`Ok(false)`).
    pub fn report_values(&mut self, step: u64, values: &[f64]) -> Result<bool> {
        let n_objectives = self.study.info.directions.len();
        if values.len() != n_objectives {
            return Err(Error::InvalidArgument(format!(
                "the study has {n_objectives} objective(s) but {} intermediate value(s) were reported",
                values.len()
            )));
        }
        if n_objectives == 1 {
            return self.report(step, values[0]);
        }
        if self.frozen.intermediate_values.contains_key(&step) {
            return Ok(false);
        }
        self.flush_params()?;
        self.noted(self.study.storage.set_trial_intermediate_values(self.frozen.trial_id, step, values))?;
        self.frozen.intermediate_values.insert(step, values[0]);
        self.frozen.intermediate_vectors.insert(step, values.to_vec());
        Ok(true)
    }

    /// Whether the study's pruner says this trial should stop now. Reads the
    /// latest state of the other trials first.
    pub fn should_prune(&self) -> Result<bool> {
        let snapshot = self.noted(self.study.refresh())?;
        let view =
            StudyView { study_name: &self.study.info.name, directions: &self.study.info.directions, trials: &snapshot };
        self.study.pruner().prune(&view, &self.frozen)
    }

    /// Attach a user attribute (any JSON value) to the trial.
    pub fn set_user_attr(&mut self, key: &str, value: impl Into<AttrValue>) -> Result<()> {
        self.flush_params()?;
        let value = value.into();
        self.noted(self.study.storage.set_trial_attr(self.frozen.trial_id, AttrScope::User, key, &value))?;
        self.frozen.user_attrs.insert(key.to_owned(), value);
        Ok(())
    }

    /// Attach an engine-level attribute (worker id, log path): the outer
    /// layers' bookkeeping, kept apart from what user code sets.
    pub fn set_system_attr(&mut self, key: &str, value: impl Into<AttrValue>) -> Result<()> {
        self.flush_params()?;
        let value = value.into();
        self.noted(self.study.storage.set_trial_attr(self.frozen.trial_id, AttrScope::System, key, &value))?;
        self.frozen.system_attrs.insert(key.to_owned(), value);
        Ok(())
    }

    /// Record a constraint value: the trial is feasible when every
    /// constraint is zero or less. Constraint-aware samplers (TPE, GP) rank
    /// infeasible trials below feasible ones, by total violation, and the
    /// study's best trial and Pareto front hold feasible trials only.
    ///
    /// ```
    /// use ferrotune::{Study, samplers::TpeSampler};
    ///
    /// let study = Study::builder().sampler(TpeSampler::with_seed(3)).create()?;
    /// study.optimize(30, |trial| {
    ///     let x = trial.suggest_float("x", 0.0, 10.0)?;
    ///     // Feasible only with x at least 4: the constraint is 4 - x <= 0.
    ///     trial.set_constraint("x_at_least_4", 4.0 - x)?;
    ///     Ok(x)
    /// })?;
    /// // The smallest feasible x, not the smallest x tried.
    /// assert!(study.best_value()? >= 4.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_constraint(&mut self, name: &str, value: f64) -> Result<()> {
        if value.is_nan() {
            return Err(Error::InvalidArgument(format!("constraint '{name}' is NaN")));
        }
        let mut constraints = match self.frozen.system_attrs.get(CONSTRAINTS_ATTR) {
            Some(AttrValue::Object(map)) => map.clone(),
            _ => serde_json::Map::new(),
        };
        constraints.insert(name.to_owned(), AttrValue::from(value));
        self.set_system_attr(CONSTRAINTS_ATTR, AttrValue::Object(constraints))
    }

    /// The user attributes set so far.
    pub fn user_attrs(&self) -> &BTreeMap<String, AttrValue> {
        &self.frozen.user_attrs
    }
}

/// Why an objective did not return values: it was pruned, or it failed.
///
/// Any `std::error::Error` converts into `Failed` with `?`: the user's
/// errors and the engine's errors about the trial itself (a distribution
/// clash, a bad argument) fail that trial and the study goes on (as an
/// exception does in an Optuna objective under `catch`). A storage failure
/// is different, and is not decided here: the trial remembers any storage
/// failure its own calls met, and `optimize` then fails the trial *and*
/// ends with that error, however the objective passed it on (with `?`,
/// wrapped in its own error type, or not at all), because a study whose
/// storage fails cannot record what its next trials find.
#[derive(Debug, Clone, PartialEq)]
pub enum TrialError {
    /// The trial stopped early because `should_prune` said so.
    Pruned,
    /// The trial failed; the message is recorded as its fail reason.
    Failed(String),
}

impl TrialError {
    /// A failure with a message.
    pub fn failed(message: impl Into<String>) -> Self {
        TrialError::Failed(message.into())
    }
}

impl<E: std::error::Error> From<E> for TrialError {
    fn from(e: E) -> Self {
        TrialError::Failed(e.to_string())
    }
}

/// What an objective may return on success: one value, or one per objective.
pub trait ObjectiveValues {
    /// The values, one per study direction.
    fn into_values(self) -> Vec<f64>;
}

impl ObjectiveValues for f64 {
    fn into_values(self) -> Vec<f64> {
        vec![self]
    }
}
impl ObjectiveValues for f32 {
    fn into_values(self) -> Vec<f64> {
        vec![self.into()]
    }
}
impl ObjectiveValues for Vec<f64> {
    fn into_values(self) -> Vec<f64> {
        self
    }
}
impl<const N: usize> ObjectiveValues for [f64; N] {
    fn into_values(self) -> Vec<f64> {
        self.to_vec()
    }
}
impl ObjectiveValues for (f64, f64) {
    fn into_values(self) -> Vec<f64> {
        vec![self.0, self.1]
    }
}
impl ObjectiveValues for (f64, f64, f64) {
    fn into_values(self) -> Vec<f64> {
        vec![self.0, self.1, self.2]
    }
}
