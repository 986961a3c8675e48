//! Trials as data: what a storage returns and a sampler reads.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{AttrValue, Distribution, Error, ParamValue};

/// Where a trial is in its life. `Waiting` (enqueued, not yet picked up) and
/// `Running` are the only states a trial leaves; the other three are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrialState {
    /// Being evaluated by some worker.
    Running,
    /// Enqueued with fixed parameters, waiting for a worker to pick it up.
    Waiting,
    /// Finished with objective values.
    Complete,
    /// Stopped early by a pruner; may carry its last intermediate value.
    Pruned,
    /// The objective errored, panicked, timed out or returned NaN.
    Failed,
}

impl TrialState {
    /// Every state, in a stable order (useful for filters and tables).
    pub const ALL: [TrialState; 5] =
        [TrialState::Running, TrialState::Waiting, TrialState::Complete, TrialState::Pruned, TrialState::Failed];

    /// Whether the state is final.
    pub fn is_finished(self) -> bool {
        matches!(self, TrialState::Complete | TrialState::Pruned | TrialState::Failed)
    }

    /// The lowercase name used in storage and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            TrialState::Running => "running",
            TrialState::Waiting => "waiting",
            TrialState::Complete => "complete",
            TrialState::Pruned => "pruned",
            TrialState::Failed => "failed",
        }
    }
}

impl fmt::Display for TrialState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TrialState {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        TrialState::ALL.into_iter().find(|st| st.as_str().eq_ignore_ascii_case(s)).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "unknown trial state '{s}' (expected running, waiting, complete, pruned or failed)"
            ))
        })
    }
}

/// One suggested parameter: its distribution and its internal value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialParam {
    /// The distribution the value was drawn from.
    pub distribution: Distribution,
    /// Internal representation (see [`Distribution::to_external`]).
    pub internal: f64,
}

impl TrialParam {
    /// The user-facing value.
    pub fn value(&self) -> ParamValue {
        self.distribution.to_external(self.internal)
    }
}

/// A trial's parameters by name, in the order they were suggested: an
/// insertion-ordered map, so define-by-run code sees its parameters back in
/// the order it asked for them, while `get`, `insert` and `iter` work as on
/// any map.
pub type TrialParams = indexmap::IndexMap<String, TrialParam>;

/// A snapshot of a trial. Once a trial is finished its snapshot never
/// changes, which lets caches keep finished trials forever.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrozenTrial {
    /// Storage-wide identifier.
    pub trial_id: i64,
    /// 0-based number within the study, assigned atomically by the storage.
    pub number: u64,
    /// Current state.
    pub state: TrialState,
    /// Objective values, one per direction; set when complete (and, for
    /// pruned trials, possibly the last intermediate value).
    pub values: Option<Vec<f64>>,
    /// Suggested parameters by name, in the order they were suggested
    /// (Optuna's `trial.params` order; lookups by name as in any map).
    pub params: TrialParams,
    /// Intermediate values reported by step (the first objective's, when a
    /// multi-objective study reports vectors).
    pub intermediate_values: BTreeMap<u64, f64>,
    /// Intermediate values of every objective by step, for multi-objective
    /// studies that report one value per objective; empty otherwise.
    #[serde(default)]
    pub intermediate_vectors: BTreeMap<u64, Vec<f64>>,
    /// Attributes set by user code.
    pub user_attrs: BTreeMap<String, AttrValue>,
    /// Attributes set by the engine (fail reason, sampler bookkeeping).
    pub system_attrs: BTreeMap<String, AttrValue>,
    /// Parameters fixed in advance by `enqueue_trial`; `None` for trials the
    /// sampler creates.
    pub fixed_params: Option<BTreeMap<String, ParamValue>>,
    /// Unix time in microseconds when the trial started running.
    pub started_at_us: Option<i64>,
    /// Unix time in microseconds when the trial finished.
    pub finished_at_us: Option<i64>,
}

/// System attribute holding the reason a trial failed.
pub const FAIL_REASON_ATTR: &str = "fail_reason";

/// System attribute in which the study records, at ask time, the values a
/// sampler proposed for a trial's joint (relative) search space, as
/// `{name: internal value}`. Samplers of other workers read it to account
/// for a running trial before its objective has suggested every value.
pub const RELATIVE_PARAMS_ATTR: &str = "relative_params";

/// System attribute holding a trial's constraint values, `{name: value}`;
/// the trial is feasible when every value is zero or less.
pub const CONSTRAINTS_ATTR: &str = "constraints";

impl FrozenTrial {
    /// A trial with no values, parameters or attributes yet: what a storage
    /// fills in, and what tests start from.
    pub fn new(trial_id: i64, number: u64, state: TrialState) -> Self {
        FrozenTrial {
            trial_id,
            number,
            state,
            values: None,
            params: TrialParams::new(),
            intermediate_values: BTreeMap::new(),
            intermediate_vectors: BTreeMap::new(),
            user_attrs: BTreeMap::new(),
            system_attrs: BTreeMap::new(),
            fixed_params: None,
            started_at_us: None,
            finished_at_us: None,
        }
    }

    /// A builder for hand-made trials, for tests of samplers and pruners on
    /// made-up histories. The trial starts complete, with `trial_id` equal
    /// to `number` and nothing else set:
    ///
    /// ```
    /// use ferrotune_core::{Distribution, FrozenTrial, TrialState};
    ///
    /// let x = Distribution::float(0.0, 1.0)?;
    /// let trial = FrozenTrial::builder(3).param("x", &x, 0.25).value(1.5).build();
    /// assert_eq!((trial.number, trial.state, trial.value()), (3, TrialState::Complete, Some(1.5)));
    ///
    /// let pruned = FrozenTrial::builder(4).state(TrialState::Pruned).intermediate(0, 2.0).intermediate(1, 1.0).build();
    /// assert_eq!(pruned.last_intermediate(), Some((1, 1.0)));
    /// # Ok::<(), ferrotune_core::Error>(())
    /// ```
    pub fn builder(number: u64) -> FrozenTrialBuilder {
        FrozenTrialBuilder { trial: FrozenTrial::new(number as i64, number, TrialState::Complete) }
    }

    /// The single objective value, for single-objective studies.
    pub fn value(&self) -> Option<f64> {
        match self.values.as_deref() {
            Some([v]) => Some(*v),
            _ => None,
        }
    }

    /// User-facing parameter values, sorted by name (a stable key for
    /// comparing configurations; iterate [`FrozenTrial::params`] for the
    /// order they were suggested in).
    pub fn param_values(&self) -> BTreeMap<String, ParamValue> {
        self.params.iter().map(|(k, p)| (k.clone(), p.value())).collect()
    }

    /// Whether the trial was enqueued with hand-picked parameters.
    pub fn is_enqueued(&self) -> bool {
        self.fixed_params.is_some()
    }

    /// Whether this trial already stands for the hand-picked `params`, so
    /// that enqueueing them with `skip_if_exists` adds nothing (Optuna's
    /// rule): an enqueued trial by the values it was enqueued with, any
    /// other by the values it suggested (a trial that suggested nothing yet
    /// stands for no configuration), and in both cases the same names with
    /// equal values of the same kind (`Int(2)` is not `Float(2.0)`). Any
    /// state counts: a configuration that ran (or failed) exists.
    pub fn repeats_params(&self, params: &BTreeMap<String, ParamValue>) -> bool {
        match &self.fixed_params {
            Some(fixed) => fixed == params,
            None => {
                !params.is_empty()
                    && self.params.len() == params.len()
                    && params.iter().all(|(name, value)| self.params.get(name).is_some_and(|p| p.value() == *value))
            }
        }
    }

    /// The last reported intermediate value and its step.
    pub fn last_intermediate(&self) -> Option<(u64, f64)> {
        self.intermediate_values.iter().next_back().map(|(s, v)| (*s, *v))
    }

    /// Why the trial failed, if it did and a reason was recorded.
    pub fn fail_reason(&self) -> Option<&str> {
        self.system_attrs.get(FAIL_REASON_ATTR).and_then(|v| v.as_str())
    }

    /// The values recorded under [`RELATIVE_PARAMS_ATTR`] (empty if none).
    pub fn relative_params(&self) -> BTreeMap<String, f64> {
        number_map(self.system_attrs.get(RELATIVE_PARAMS_ATTR))
    }

    /// The trial's constraint values (empty if none were set).
    pub fn constraints(&self) -> BTreeMap<String, f64> {
        number_map(self.system_attrs.get(CONSTRAINTS_ATTR))
    }

    /// How far the trial is from feasible: the sum of its positive
    /// constraint values (0 for a feasible trial or one without constraints).
    pub fn constraint_violation(&self) -> f64 {
        match self.system_attrs.get(CONSTRAINTS_ATTR) {
            None => 0.0,
            Some(_) => self.constraints().values().filter(|v| **v > 0.0).sum(),
        }
    }

    /// Whether the trial satisfies its constraints: every constraint value
    /// is zero or less (Optuna's rule). A trial without constraints is
    /// feasible. A value that is not a number (a NaN another client wrote
    /// as null) cannot be shown to be <= 0, so it makes the trial
    /// infeasible, as NaN does in Optuna's `c <= 0.0`.
    pub fn is_feasible(&self) -> bool {
        match self.system_attrs.get(CONSTRAINTS_ATTR).and_then(|v| v.as_object()) {
            None => true,
            Some(constraints) => constraints.values().all(|v| v.as_f64().is_some_and(|c| c <= 0.0)),
        }
    }

    /// Wall-clock duration in seconds, for finished trials.
    pub fn duration_secs(&self) -> Option<f64> {
        Some((self.finished_at_us? - self.started_at_us?) as f64 / 1e6)
    }
}

/// Builds a [`FrozenTrial`] by hand; start with [`FrozenTrial::builder`].
///
/// Nothing is validated: a test may want a trial no storage would hold (a
/// value outside its distribution, a complete trial without values).
#[derive(Debug, Clone)]
#[must_use]
pub struct FrozenTrialBuilder {
    trial: FrozenTrial,
}

impl FrozenTrialBuilder {
    /// The storage-wide id (default: the trial's number).
    pub fn trial_id(mut self, trial_id: i64) -> Self {
        self.trial.trial_id = trial_id;
        self
    }

    /// The state (default: complete).
    pub fn state(mut self, state: TrialState) -> Self {
        self.trial.state = state;
        self
    }

    /// One objective value.
    pub fn value(self, value: f64) -> Self {
        self.values(&[value])
    }

    /// One value per objective.
    pub fn values(mut self, values: &[f64]) -> Self {
        self.trial.values = Some(values.to_vec());
        self
    }

    /// A parameter, by its internal value (see [`Distribution::to_external`]).
    pub fn param(mut self, name: &str, distribution: &Distribution, internal: f64) -> Self {
        self.trial.params.insert(name.to_owned(), TrialParam { distribution: distribution.clone(), internal });
        self
    }

    /// An intermediate value at `step`.
    pub fn intermediate(mut self, step: u64, value: f64) -> Self {
        self.trial.intermediate_values.insert(step, value);
        self
    }

    /// One intermediate value per objective at `step`; the first is also
    /// the step's scalar value, as a multi-objective report records it.
    pub fn intermediate_vector(mut self, step: u64, values: &[f64]) -> Self {
        if let Some(&first) = values.first() {
            self.trial.intermediate_values.insert(step, first);
        }
        self.trial.intermediate_vectors.insert(step, values.to_vec());
        self
    }

    /// A constraint value (the trial is feasible when all are zero or less).
    pub fn constraint(mut self, name: &str, value: f64) -> Self {
        let entry = self
            .trial
            .system_attrs
            .entry(CONSTRAINTS_ATTR.to_owned())
            .or_insert_with(|| AttrValue::Object(serde_json::Map::new()));
        if let AttrValue::Object(constraints) = entry {
            constraints.insert(name.to_owned(), AttrValue::from(value));
        }
        self
    }

    /// A system attribute.
    pub fn system_attr(mut self, key: &str, value: impl Into<AttrValue>) -> Self {
        self.trial.system_attrs.insert(key.to_owned(), value.into());
        self
    }

    /// A user attribute.
    pub fn user_attr(mut self, key: &str, value: impl Into<AttrValue>) -> Self {
        self.trial.user_attrs.insert(key.to_owned(), value.into());
        self
    }

    /// Mark the trial as enqueued (created by `enqueue_trial`), with no
    /// parameter fixed unless [`fixed_param`](Self::fixed_param) adds some.
    pub fn enqueued(mut self) -> Self {
        self.trial.fixed_params.get_or_insert_with(BTreeMap::new);
        self
    }

    /// A parameter fixed by `enqueue_trial` (marks the trial enqueued).
    pub fn fixed_param(mut self, name: &str, value: impl Into<ParamValue>) -> Self {
        self.trial.fixed_params.get_or_insert_with(BTreeMap::new).insert(name.to_owned(), value.into());
        self
    }

    /// Start and finish times, in Unix microseconds.
    pub fn times_us(mut self, started: Option<i64>, finished: Option<i64>) -> Self {
        self.trial.started_at_us = started;
        self.trial.finished_at_us = finished;
        self
    }

    /// The trial.
    pub fn build(self) -> FrozenTrial {
        self.trial
    }
}

/// A JSON object of numbers as a map; anything else is empty.
fn number_map(value: Option<&AttrValue>) -> BTreeMap<String, f64> {
    value
        .and_then(|v| v.as_object())
        .map(|o| o.iter().filter_map(|(k, v)| Some((k.clone(), v.as_f64()?))).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builder_fills_what_it_is_given_and_nothing_else() {
        let x = Distribution::int(0, 9).unwrap();
        let bare = FrozenTrial::builder(5).build();
        assert_eq!(bare, FrozenTrial::new(5, 5, TrialState::Complete));

        let trial = FrozenTrial::builder(2)
            .trial_id(40)
            .state(TrialState::Pruned)
            .values(&[1.0, 2.0])
            .param("x", &x, 3.0)
            .intermediate(0, 9.0)
            .intermediate_vector(1, &[8.0, 7.0])
            .constraint("a", -1.0)
            .constraint("b", 0.5)
            .system_attr("k", "v")
            .user_attr("note", 1)
            .fixed_param("x", 3)
            .times_us(Some(10), Some(2_000_010))
            .build();
        assert_eq!((trial.trial_id, trial.number, trial.state), (40, 2, TrialState::Pruned));
        assert_eq!(trial.values, Some(vec![1.0, 2.0]));
        assert_eq!(trial.param_values(), BTreeMap::from([("x".to_owned(), ParamValue::Int(3))]));
        assert_eq!(trial.intermediate_values, BTreeMap::from([(0, 9.0), (1, 8.0)]));
        assert_eq!(trial.intermediate_vectors, BTreeMap::from([(1, vec![8.0, 7.0])]));
        assert_eq!(trial.constraints(), BTreeMap::from([("a".to_owned(), -1.0), ("b".to_owned(), 0.5)]));
        assert!(!trial.is_feasible());
        assert_eq!(trial.constraint_violation(), 0.5);
        assert_eq!(trial.system_attrs["k"], "v");
        assert_eq!(trial.user_attrs["note"], 1);
        assert_eq!(trial.fixed_params, Some(BTreeMap::from([("x".to_owned(), ParamValue::Int(3))])));
        assert!(trial.is_enqueued());
        assert_eq!(trial.duration_secs(), Some(2.0));

        let enqueued = FrozenTrial::builder(0).state(TrialState::Waiting).enqueued().build();
        assert_eq!(enqueued.fixed_params, Some(BTreeMap::new()));
    }
}
