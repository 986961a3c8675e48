//! The I/O seam: where studies and trials live.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::{AttrValue, FrozenTrial, ParamValue, Result, StudyDirection, StudyInfo, TrialParam, TrialState};

/// Which attribute map a key belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrScope {
    /// Set by user code (`trial.set_user_attr`).
    User,
    /// Set by the engine (fail reasons, sampler bookkeeping).
    System,
}

/// What to create with [`Storage::create_trial`].
#[derive(Debug, Clone, Default)]
pub struct NewTrial {
    /// `Waiting` for an enqueued trial, anything else means `Running`.
    pub waiting: bool,
    /// Hand-picked parameter values (enqueued trials).
    pub fixed_params: Option<BTreeMap<String, ParamValue>>,
    /// Initial user attributes.
    pub user_attrs: BTreeMap<String, AttrValue>,
    /// Initial system attributes (e.g. `retry_of` on a retried trial).
    pub system_attrs: BTreeMap<String, AttrValue>,
    /// Initial intermediate values, by step (a retry that inherits its
    /// original's, as Optuna's `inherit_intermediate_values`).
    pub intermediate_values: BTreeMap<u64, f64>,
    /// Refuse (return `None`) if the study already holds this many trials
    /// that were not enqueued. Checked in the same transaction that numbers
    /// the trial, so concurrent workers cannot overshoot it.
    pub max_sampled_trials: Option<u64>,
    /// Stamp a running trial's first heartbeat in the write that creates
    /// it, so that a worker killed before its heartbeat thread starts still
    /// leaves a trial that goes stale (one without any heartbeat never
    /// does).
    pub heartbeat: bool,
    /// Optuna's `skip_if_exists`, for an enqueued trial (`fixed_params`
    /// set): if a trial of the study already stands for these parameters
    /// ([`FrozenTrial::repeats_params`]), return that trial and create
    /// nothing. Looked for in the same write that would number the new
    /// trial, so workers enqueueing the same configuration at once create
    /// it exactly once. Ignored for trials without `fixed_params`.
    pub skip_if_exists: bool,
}

/// Trials that changed since a cursor, and the cursor to pass next time.
#[derive(Debug, Clone, Default)]
pub struct TrialChanges {
    /// Every trial created or modified after the old cursor, any order.
    /// Shared, immutable snapshots: backends that keep trials in memory
    /// hand out the same allocation instead of copying.
    pub trials: Vec<Arc<FrozenTrial>>,
    /// Pass this to the next call to get only later changes.
    pub cursor: u64,
}

/// Where studies and trials live.
///
/// # Contract
/// Every backend passes the conformance suite in `ferrotune-storage`, which
/// checks these rules:
/// - **Thread and process safety.** All methods take `&self` and may be
///   called from many threads; backends that can be shared by several
///   processes (SQLite, PostgreSQL) stay correct when they are.
/// - **Atomic numbering.** Trial numbers within a study are 0, 1, 2, ...
///   with no gaps and no repeats, whatever the concurrency, and a trial's
///   number is fixed when it is created.
/// - **State transitions.** Waiting -> Running (by
///   [`claim_waiting_trial`](Storage::claim_waiting_trial), which hands a
///   waiting trial to exactly one caller) and Running -> Complete | Pruned |
///   Failed. Anything else is refused.
/// - **Finished trials are immutable.** Params, values, intermediate values
///   and attributes of a finished (or waiting) trial cannot change; attempts
///   fail with [`Error::TrialNotRunning`](crate::Error::TrialNotRunning).
/// - **Snapshots.** Returned trials are copies; mutating them changes
///   nothing stored.
/// - **Heartbeats.** [`record_heartbeat`](Storage::record_heartbeat) stamps a
///   running trial with the time (the database server's, where there is
///   one); [`fail_stale_trials`](Storage::fail_stale_trials) fails the
///   running trials whose stamp is older than a grace period, each exactly
///   once however many workers call it at the same time, and never a trial
///   that has no heartbeat.
/// - **Incremental reads.** [`trials_changed_since`](Storage::trials_changed_since)
///   returns every trial written after the cursor (and possibly a few more),
///   so a reader that applies the changes in order holds an exact copy of
///   the study without re-reading finished trials.
pub trait Storage: Send + Sync {
    /// Create a study; fails with `DuplicateStudy` if the name is taken.
    fn create_study(&self, name: &str, directions: &[StudyDirection]) -> Result<StudyInfo>;
    /// Look a study up by name.
    fn study_by_name(&self, name: &str) -> Result<Option<StudyInfo>>;
    /// Every study, ordered by id.
    fn list_studies(&self) -> Result<Vec<StudyInfo>>;
    /// Delete a study and all its trials.
    fn delete_study(&self, study_id: i64) -> Result<()>;
    /// Set a study attribute (overwrites).
    fn set_study_attr(&self, study_id: i64, scope: AttrScope, key: &str, value: &AttrValue) -> Result<()>;

    /// Create a trial with the next number. `None` only when
    /// `max_sampled_trials` is reached.
    fn create_trial(&self, study_id: i64, new: NewTrial) -> Result<Option<FrozenTrial>>;
    /// Write a whole trial at once, with the next number of the study: its
    /// state (finished, or waiting to be claimed), parameters with their
    /// distributions, values, intermediate values (scalar and per
    /// objective), user and system attributes, enqueued parameters and its
    /// start and finish times exactly as given, so that a trial copied from
    /// another study or storage keeps its times. `trial.trial_id` and
    /// `trial.number` are ignored: the returned trial carries those the
    /// storage gave it. One write (a transaction on SQL backends), so a
    /// reader never sees half of it.
    ///
    /// Refused with [`Error::InvalidArgument`](crate::Error::InvalidArgument):
    /// a running trial (an ask makes those), a count of values other than
    /// the study's directions, a complete trial without values, a waiting
    /// one with values or a finish time, and a parameter value outside its
    /// distribution. The trial does not count towards
    /// [`NewTrial::max_sampled_trials`]: no sampler proposed it.
    fn add_trial(&self, study_id: i64, trial: &FrozenTrial) -> Result<Arc<FrozenTrial>>;
    /// Atomically move the oldest waiting trial to Running and return it.
    fn claim_waiting_trial(&self, study_id: i64) -> Result<Option<FrozenTrial>>;
    /// [`claim_waiting_trial`](Storage::claim_waiting_trial), stamping the
    /// claimed trial's first heartbeat in the same write (see
    /// [`NewTrial::heartbeat`]). The default claims, then stamps: backends
    /// shared by several processes do both at once.
    fn claim_waiting_trial_with_heartbeat(&self, study_id: i64) -> Result<Option<FrozenTrial>> {
        let claimed = self.claim_waiting_trial(study_id)?;
        if let Some(trial) = &claimed {
            self.record_heartbeat(trial.trial_id)?;
        }
        Ok(claimed)
    }
    /// What an `ask` does: claim the oldest waiting trial (stamping its
    /// first heartbeat when `new.heartbeat`), or, if none waits, create a
    /// running trial from `new` (`None` when `max_sampled_trials` is
    /// reached). The default claims, then creates; backends shared by
    /// several processes do both in one write, so that an ask that finds
    /// nothing waiting costs no extra round trip to find that out.
    fn claim_or_create_trial(&self, study_id: i64, new: NewTrial) -> Result<Option<FrozenTrial>> {
        let claimed = if new.heartbeat {
            self.claim_waiting_trial_with_heartbeat(study_id)?
        } else {
            self.claim_waiting_trial(study_id)?
        };
        match claimed {
            Some(trial) => Ok(Some(trial)),
            None => self.create_trial(study_id, new),
        }
    }
    /// Record a suggested parameter of a running trial.
    fn set_trial_param(&self, trial_id: i64, name: &str, param: &TrialParam) -> Result<()>;
    /// Record several suggested parameters of a running trial, in one write
    /// where the backend can (the default writes them one by one).
    fn set_trial_params(&self, trial_id: i64, params: &[(String, TrialParam)]) -> Result<()> {
        for (name, param) in params {
            self.set_trial_param(trial_id, name, param)?;
        }
        Ok(())
    }
    /// Whether a write costs enough (a transaction, a disk flush, a round
    /// trip) that the engine should gather a trial's suggested parameters
    /// into fewer writes instead of writing each as it is made (see
    /// `ferrotune::Trial`). In-process backends answer no, the default.
    fn gathers_param_writes(&self) -> bool {
        false
    }
    /// Record an intermediate value of a running trial (overwrites the step).
    fn set_trial_intermediate_value(&self, trial_id: i64, step: u64, value: f64) -> Result<()>;
    /// Record one intermediate value per objective of a running trial of a
    /// multi-objective study (overwrites the step). The first also becomes
    /// the step's scalar intermediate value, in the same write.
    fn set_trial_intermediate_values(&self, trial_id: i64, step: u64, values: &[f64]) -> Result<()>;
    /// Set an attribute of a running trial (overwrites).
    fn set_trial_attr(&self, trial_id: i64, scope: AttrScope, key: &str, value: &AttrValue) -> Result<()>;
    /// Finish a running trial. `state` must be final; `values`, if given,
    /// must have one entry per study direction.
    fn finish_trial(&self, trial_id: i64, state: TrialState, values: Option<&[f64]>) -> Result<Arc<FrozenTrial>>;
    /// [`finish_trial`](Storage::finish_trial) for the worker running the
    /// trial, which knows it: `known` is the trial as that worker holds it,
    /// everything in it stored except the parameters in `unsaved` (also in
    /// `known.params`), which are written first. Backends where a write
    /// costs do both in one write and build the finished trial from `known`
    /// instead of reading it back; the default makes the two calls.
    fn finish_known_trial(
        &self,
        known: &FrozenTrial,
        unsaved: &[(String, TrialParam)],
        state: TrialState,
        values: Option<&[f64]>,
    ) -> Result<Arc<FrozenTrial>> {
        if !unsaved.is_empty() {
            self.set_trial_params(known.trial_id, unsaved)?;
        }
        self.finish_trial(known.trial_id, state, values)
    }

    /// Record that the worker running this trial is alive: its heartbeat
    /// becomes now. A heartbeat is no trial data (it is not in
    /// [`FrozenTrial`] and does not count as a change for
    /// [`trials_changed_since`](Storage::trials_changed_since)), so a beating
    /// trial costs readers nothing. Fails with
    /// [`Error::TrialNotRunning`](crate::Error::TrialNotRunning) once the
    /// trial has finished (another worker may have failed it as stale).
    fn record_heartbeat(&self, trial_id: i64) -> Result<()>;
    /// Fail every running trial of the study whose last heartbeat is older
    /// than `grace_period`, with the reason in the `fail_reason` system
    /// attribute, and return them. Atomic: when several workers call this at
    /// once, each stale trial is failed by one of them and returned only to
    /// that one (which may then retry it). Trials that never had a heartbeat
    /// (heartbeats off) are never failed.
    fn fail_stale_trials(&self, study_id: i64, grace_period: Duration) -> Result<Vec<Arc<FrozenTrial>>>;
    /// How many of the study's running trials have a heartbeat: each ends
    /// by being finished or by going stale, unlike a running trial without
    /// one, which nobody but its worker ever ends. A worker that has
    /// reached the study's total waits for these before it stops, in case
    /// one needs a retry. The default says none (it never waits).
    fn count_beating_trials(&self, study_id: i64) -> Result<u64> {
        let _ = study_id;
        Ok(0)
    }
    /// [`fail_stale_trials`](Storage::fail_stale_trials), enqueueing for
    /// each failed trial the trial `retry` makes of it (if any) in the same
    /// write, so that a worker dying between the two cannot leave a failed
    /// trial that nobody retries. The default fails, then creates: backends
    /// shared by several processes do both at once.
    fn fail_stale_trials_and_retry(
        &self,
        study_id: i64,
        grace_period: Duration,
        retry: &dyn Fn(&FrozenTrial) -> Option<NewTrial>,
    ) -> Result<Vec<Arc<FrozenTrial>>> {
        let failed = self.fail_stale_trials(study_id, grace_period)?;
        for trial in &failed {
            if let Some(new) = retry(trial) {
                self.create_trial(study_id, new)?;
            }
        }
        Ok(failed)
    }

    /// One trial by id.
    fn trial(&self, trial_id: i64) -> Result<FrozenTrial>;
    /// Trials written after `cursor` (0 = all of them).
    fn trials_changed_since(&self, study_id: i64, cursor: u64) -> Result<TrialChanges>;

    /// Every trial of a study, ordered by number.
    fn all_trials(&self, study_id: i64) -> Result<Vec<Arc<FrozenTrial>>> {
        let mut trials = self.trials_changed_since(study_id, 0)?.trials;
        trials.sort_by_key(|t| t.number);
        Ok(trials)
    }
}
