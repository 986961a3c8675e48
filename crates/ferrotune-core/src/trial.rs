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
    /// Suggested parameters by name.
    pub params: BTreeMap<String, TrialParam>,
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
            params: BTreeMap::new(),
            intermediate_values: BTreeMap::new(),
            intermediate_vectors: BTreeMap::new(),
            user_attrs: BTreeMap::new(),
            system_attrs: BTreeMap::new(),
            fixed_params: None,
            started_at_us: None,
            finished_at_us: None,
        }
    }

    /// The single objective value, for single-objective studies.
    pub fn value(&self) -> Option<f64> {
        match self.values.as_deref() {
            Some([v]) => Some(*v),
            _ => None,
        }
    }

    /// User-facing parameter values by name.
    pub fn param_values(&self) -> BTreeMap<String, ParamValue> {
        self.params.iter().map(|(k, p)| (k.clone(), p.value())).collect()
    }

    /// Whether the trial was enqueued with hand-picked parameters.
    pub fn is_enqueued(&self) -> bool {
        self.fixed_params.is_some()
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

/// A JSON object of numbers as a map; anything else is empty.
fn number_map(value: Option<&AttrValue>) -> BTreeMap<String, f64> {
    value
        .and_then(|v| v.as_object())
        .map(|o| o.iter().filter_map(|(k, v)| Some((k.clone(), v.as_f64()?))).collect())
        .unwrap_or_default()
}
