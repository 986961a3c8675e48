//! Heartbeats and retries: a worker that dies mid-trial (killed, preempted,
//! its machine gone) leaves its trial running forever unless someone
//! notices. With heartbeats on, the worker running a trial stamps it every
//! `heartbeat_interval` from a thread of its own; any worker asking for a
//! trial first fails the trials silent for longer than `grace_period` (the
//! storage does this atomically, so each is failed by one worker) and, with
//! `max_retries`, enqueues each one's parameters again, as Optuna's
//! `RetryFailedTrialCallback` does.
//!
//! Design decision: the heartbeat thread belongs to the live [`Trial`]
//! value, started by `ask` and stopped when the trial is told or dropped,
//! so ask/tell users get heartbeats as `optimize` does, as long as they keep
//! the `Trial` until they tell it.
//!
//! [`Trial`]: crate::Trial

use std::collections::BTreeMap;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use ferrotune_core::{AttrValue, Error, FrozenTrial, NewTrial, Result, Storage};

use crate::study::RETRY_OF_ATTR;

/// System attribute of a retry: the numbers of the trials it retries, the
/// original first and the one it copies last (Optuna's `retry_history`).
pub const RETRY_HISTORY_ATTR: &str = "retry_history";
/// System attribute of a retry: how many times the original has been
/// retried, this copy included (1 for the first retry).
pub const RETRY_COUNT_ATTR: &str = "retry_count";

/// A study's heartbeat settings, checked when the study is built.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct HeartbeatSettings {
    pub(crate) interval: Duration,
    pub(crate) grace_period: Duration,
    /// `None`: stale trials are failed, not retried.
    pub(crate) max_retries: Option<u64>,
    /// Retries start with their original's intermediate values.
    pub(crate) inherit_intermediate_values: bool,
}

impl HeartbeatSettings {
    /// The settings from the builder's options: none without an interval;
    /// a grace period defaults to twice the interval, as in Optuna.
    pub(crate) fn new(
        interval: Option<Duration>,
        grace_period: Option<Duration>,
        max_retries: Option<u64>,
        inherit_intermediate_values: bool,
    ) -> Result<Option<HeartbeatSettings>> {
        if inherit_intermediate_values && max_retries.is_none() {
            return Err(Error::InvalidArgument(
                "inherit_intermediate_values needs max_retries: only retries inherit intermediate values".into(),
            ));
        }
        let Some(interval) = interval else {
            let orphan = [(grace_period.is_some(), "grace_period"), (max_retries.is_some(), "max_retries")];
            return match orphan.iter().find(|(given, _)| *given) {
                Some((_, name)) => Err(Error::InvalidArgument(format!(
                    "{name} needs heartbeat_interval: stale trials are found by their heartbeats"
                ))),
                None => Ok(None),
            };
        };
        if interval.is_zero() {
            return Err(Error::InvalidArgument("heartbeat_interval must be positive".into()));
        }
        let grace_period = grace_period.unwrap_or(interval * 2);
        if grace_period <= interval {
            return Err(Error::InvalidArgument(format!(
                "grace_period ({} s) must be longer than heartbeat_interval ({} s), or every trial looks stale \
                 between two heartbeats",
                grace_period.as_secs_f64(),
                interval.as_secs_f64()
            )));
        }
        Ok(Some(HeartbeatSettings { interval, grace_period, max_retries, inherit_intermediate_values }))
    }
}

/// The thread stamping one running trial; stops (and is joined) on drop.
pub(crate) struct HeartbeatThread {
    stop: Option<mpsc::Sender<()>>,
    handle: Option<JoinHandle<()>>,
}

impl HeartbeatThread {
    /// Stamp the trial now, then every `interval` until dropped or until
    /// the trial is no longer running (another worker failed it as stale,
    /// or it was told elsewhere). Other errors (a database briefly away)
    /// are retried at the next beat: a missed beat is what the grace
    /// period is for.
    pub(crate) fn start(storage: Arc<dyn Storage>, trial_id: i64, interval: Duration) -> Result<HeartbeatThread> {
        storage.record_heartbeat(trial_id)?;
        let (stop, stopped) = mpsc::channel::<()>();
        let handle = std::thread::Builder::new()
            .name(format!("ferrotune-heartbeat-{trial_id}"))
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(interval) {
                    if let Err(Error::TrialNotRunning { .. } | Error::TrialNotFound(_)) =
                        storage.record_heartbeat(trial_id)
                    {
                        break;
                    }
                }
            })
            .map_err(|e| Error::Storage(format!("cannot start the heartbeat thread: {e}")))?;
        Ok(HeartbeatThread { stop: Some(stop), handle: Some(handle) })
    }
}

impl Drop for HeartbeatThread {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

/// The retry of a trial failed as stale, or `None` once it has been retried
/// `max_retries` times: its parameters fixed, its user attributes, and the
/// retry bookkeeping (`retry_of` the original's number, `retry_history`,
/// `retry_count`), and with `inherit_intermediate_values` its intermediate
/// values. Unlike Optuna, the other system attributes are not copied: they
/// are the dead worker's (its fail reason, its sampler's bookkeeping), not
/// the configuration's.
pub(crate) fn retry_of(trial: &FrozenTrial, max_retries: u64, inherit_intermediate_values: bool) -> Option<NewTrial> {
    let mut history: Vec<u64> = trial
        .system_attrs
        .get(RETRY_HISTORY_ATTR)
        .and_then(AttrValue::as_array)
        .map(|numbers| numbers.iter().filter_map(AttrValue::as_u64).collect())
        .unwrap_or_default();
    history.push(trial.number);
    let count = history.len() as u64;
    if count > max_retries {
        return None;
    }
    let original = history[0];
    let system_attrs = BTreeMap::from([
        (RETRY_OF_ATTR.to_owned(), AttrValue::from(original)),
        (RETRY_HISTORY_ATTR.to_owned(), AttrValue::from(history)),
        (RETRY_COUNT_ATTR.to_owned(), AttrValue::from(count)),
    ]);
    Some(NewTrial {
        waiting: true,
        fixed_params: Some(trial.param_values()),
        user_attrs: trial.user_attrs.clone(),
        system_attrs,
        intermediate_values: if inherit_intermediate_values {
            trial.intermediate_values.clone()
        } else {
            BTreeMap::new()
        },
        max_sampled_trials: None,
        heartbeat: false,
        skip_if_exists: false,
    })
}
