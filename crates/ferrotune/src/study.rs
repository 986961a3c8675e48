//! Studies: create or load, ask and tell, optimize.

use std::collections::{BTreeMap, HashMap};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use ferrotune_core::{
    pareto_front, AttrScope, AttrValue, Distribution, Error, FrozenTrial, NewTrial, ParamValue, Pruner, Result,
    Sampler, Storage, StudyDirection, StudyInfo, StudyView, TrialParam, TrialState, FAIL_REASON_ATTR,
    RELATIVE_PARAMS_ATTR,
};
use ferrotune_pruners::NopPruner;
use ferrotune_samplers::TpeSampler;

use crate::heartbeat::{self, HeartbeatSettings, HeartbeatThread};
use crate::param_writer::ParamWriter;
use crate::trial::{ObjectiveValues, Trial, TrialError};

/// All trials of a study in number order, shared without copying.
pub(crate) type Snapshot = Arc<Vec<Arc<FrozenTrial>>>;

/// System attribute of a retry: the number of the trial it re-runs. For
/// the retries of trials failed by heartbeat, the original of the series
/// (Optuna's `failed_trial`), however often it was retried; the whole
/// series is in [`RETRY_HISTORY_ATTR`](crate::RETRY_HISTORY_ATTR).
pub const RETRY_OF_ATTR: &str = "retry_of";

/// A callback run after each trial that `optimize` finishes.
pub type Callback = Box<dyn Fn(&Study, &FrozenTrial) + Send + Sync>;

pub(crate) struct StudyInner {
    pub(crate) storage: Arc<dyn Storage>,
    pub(crate) info: StudyInfo,
    /// Replaceable ([`Study::set_sampler`], Optuna's `study.sampler = ...`):
    /// read once per ask, and the trial keeps the one it was asked with, so
    /// the lock is taken once per trial, never per suggestion.
    sampler: RwLock<Arc<dyn Sampler>>,
    /// Replaceable ([`Study::set_pruner`]); read at each `should_prune`.
    pruner: RwLock<Arc<dyn Pruner>>,
    /// Heartbeats and retries, if on.
    heartbeat: Option<HeartbeatSettings>,
    cache: Mutex<TrialCache>,
    stop_requested: AtomicBool,
    /// Held while a trial is created and its relative sample drawn and
    /// recorded, so that a sampler in this process always sees the other
    /// workers' trials with their proposed values (the constant liar then
    /// keeps parallel workers apart). Sampling is cheap next to a trial.
    ask_lock: Mutex<()>,
    /// Stores trials' suggested parameters that wait for a write (see
    /// `param_writer`).
    pub(crate) param_writer: ParamWriter,
}

/// This process's copy of the study's trials, brought up to date with
/// incremental reads: finished trials never change, so they are read once.
struct TrialCache {
    cursor: u64,
    trials: Snapshot,
    /// Each parameter's distribution as first seen in the study (its
    /// trials read so far, and this process's suggestions), which later
    /// suggestions must stay compatible with.
    distributions: HashMap<String, Distribution>,
}

impl StudyInner {
    /// Bring the cache up to date and return it.
    pub(crate) fn refresh(&self) -> Result<Snapshot> {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let mut changes = self.storage.trials_changed_since(self.info.study_id, cache.cursor)?;
        if !changes.trials.is_empty() {
            changes.trials.sort_by_key(|t| t.number);
            for t in &changes.trials {
                for (name, param) in &t.params {
                    if !cache.distributions.contains_key(name) {
                        cache.distributions.insert(name.clone(), param.distribution.clone());
                    }
                }
            }
            let trials = Arc::make_mut(&mut cache.trials);
            for t in changes.trials {
                let number = t.number as usize;
                if number < trials.len() {
                    trials[number] = t;
                } else if number == trials.len() {
                    trials.push(t);
                } else {
                    return Err(Error::Storage(format!(
                        "trial numbers of study '{}' are not dense: got {number} after {}",
                        self.info.name,
                        trials.len()
                    )));
                }
            }
        }
        cache.cursor = changes.cursor;
        Ok(cache.trials.clone())
    }

    /// Refuse a suggestion of `name` with a distribution incompatible with
    /// the study's earlier one ([`Distribution::check_compatible`]: the
    /// samplers model a parameter across trials, which means nothing if its
    /// values change meaning); the first suggestion of a name records it.
    pub(crate) fn check_distribution(&self, name: &str, requested: &Distribution) -> Result<()> {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        match cache.distributions.get(name) {
            Some(earlier) => earlier.check_compatible(name, requested),
            None => {
                cache.distributions.insert(name.to_owned(), requested.clone());
                Ok(())
            }
        }
    }
}

impl StudyInner {
    /// The sampler now in use.
    pub(crate) fn sampler(&self) -> Arc<dyn Sampler> {
        self.sampler.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The pruner now in use.
    pub(crate) fn pruner(&self) -> Arc<dyn Pruner> {
        self.pruner.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The trials the sampler may learn from for trial `number`: all of
    /// them, or, when the pruner groups trials (Hyperband brackets), those
    /// of the same group. Finite samplers (a grid) count trials by number,
    /// and exhaustive ones (brute force) must see every configuration
    /// tried, so they always see the whole study.
    fn sampler_trials(&self, sampler: &dyn Sampler, snapshot: Snapshot, number: u64) -> Result<Snapshot> {
        if sampler.max_trials().is_some() || sampler.is_exhaustive() {
            return Ok(snapshot);
        }
        let pruner = self.pruner();
        let view = StudyView { study_name: &self.info.name, directions: &self.info.directions, trials: &snapshot };
        let Some(group) = pruner.trial_group(&view, number)? else { return Ok(snapshot) };
        let mut same_group = Vec::new();
        for t in snapshot.iter() {
            if pruner.trial_group(&view, t.number)? == Some(group) {
                same_group.push(t.clone());
            }
        }
        Ok(Arc::new(same_group))
    }
}

/// An optimization study: a named set of trials in a storage, with the
/// sampler and pruner this process uses on it. Cheap to clone; clones share
/// everything.
#[derive(Clone)]
pub struct Study {
    pub(crate) inner: Arc<StudyInner>,
}

impl std::fmt::Debug for Study {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Study")
            .field("name", &self.inner.info.name)
            .field("directions", &self.inner.info.directions)
            .field("sampler", &self.inner.sampler().name())
            .finish()
    }
}

/// Builds or loads a [`Study`]. Start with [`Study::builder`].
pub struct StudyBuilder {
    name: Option<String>,
    storage: Option<Arc<dyn Storage>>,
    storage_url: Option<String>,
    directions: Option<Vec<StudyDirection>>,
    sampler: Option<Arc<dyn Sampler>>,
    pruner: Option<Arc<dyn Pruner>>,
    load_if_exists: bool,
    heartbeat_interval: Option<Duration>,
    grace_period: Option<Duration>,
    max_retries: Option<u64>,
    inherit_intermediate_values: bool,
}

impl StudyBuilder {
    /// The study's name; a unique one is generated if not given.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Where the study lives. Default: a fresh in-memory storage.
    pub fn storage(mut self, storage: Arc<dyn Storage>) -> Self {
        self.storage = Some(storage);
        self
    }

    /// Where the study lives, as a URL: `memory` or `sqlite:///path.db`.
    pub fn storage_url(mut self, url: impl Into<String>) -> Self {
        self.storage_url = Some(url.into());
        self
    }

    /// One objective in this direction. Default: minimize.
    pub fn direction(mut self, direction: StudyDirection) -> Self {
        self.directions = Some(vec![direction]);
        self
    }

    /// Several objectives, one direction each.
    pub fn directions(mut self, directions: impl IntoIterator<Item = StudyDirection>) -> Self {
        self.directions = Some(directions.into_iter().collect());
        self
    }

    /// The sampler. Default: [`TpeSampler`] (unseeded), as in Optuna; it
    /// samples at random for its first 10 trials, then models them.
    pub fn sampler(mut self, sampler: impl Sampler + 'static) -> Self {
        self.sampler = Some(Arc::new(sampler));
        self
    }

    /// The sampler, already shared.
    pub fn sampler_arc(mut self, sampler: Arc<dyn Sampler>) -> Self {
        self.sampler = Some(sampler);
        self
    }

    /// The pruner. Default: [`NopPruner`].
    pub fn pruner(mut self, pruner: impl Pruner + 'static) -> Self {
        self.pruner = Some(Arc::new(pruner));
        self
    }

    /// The pruner, already shared.
    pub fn pruner_arc(mut self, pruner: Arc<dyn Pruner>) -> Self {
        self.pruner = Some(pruner);
        self
    }

    /// Turn heartbeats on: the worker running a trial stamps it this often
    /// (from a thread of its own, while the [`Trial`] lives), and every
    /// `ask` first fails the study's trials whose stamp is older than the
    /// [`grace_period`](Self::grace_period), recording why in `fail_reason`.
    /// Only trials started with heartbeats on are ever failed this way.
    /// Every worker of a study should use the same settings.
    pub fn heartbeat_interval(mut self, interval: Duration) -> Self {
        self.heartbeat_interval = Some(interval);
        self
    }

    /// How long a running trial may go without a heartbeat before it is
    /// failed as stale. Default: twice the heartbeat interval, as in Optuna.
    /// Must be longer than the interval.
    pub fn grace_period(mut self, grace_period: Duration) -> Self {
        self.grace_period = Some(grace_period);
        self
    }

    /// Retry a trial failed as stale with the same parameters, up to this
    /// many times (Optuna's `RetryFailedTrialCallback(max_retry=)`): the
    /// copy is enqueued with system attributes `retry_of` (the original's
    /// number), `retry_history` and `retry_count`. Needs heartbeats.
    /// Without it, stale trials are failed and not retried; `u64::MAX`
    /// retries without limit (Optuna's `max_retry=None`).
    pub fn max_retries(mut self, max_retries: u64) -> Self {
        self.max_retries = Some(max_retries);
        self
    }

    /// Retries (see [`max_retries`](Self::max_retries)) start with the
    /// intermediate values their original reported, as Optuna's
    /// `RetryFailedTrialCallback(inherit_intermediate_values=True)`.
    /// Default: false.
    pub fn inherit_intermediate_values(mut self, inherit: bool) -> Self {
        self.inherit_intermediate_values = inherit;
        self
    }

    /// Load the study if one of this name exists instead of failing.
    pub fn load_if_exists(mut self, load: bool) -> Self {
        self.load_if_exists = load;
        self
    }

    fn resolve_storage(&mut self) -> Result<Arc<dyn Storage>> {
        match (self.storage.take(), self.storage_url.take()) {
            (Some(_), Some(_)) => {
                Err(Error::InvalidArgument("give either a storage or a storage URL, not both".into()))
            }
            (Some(s), None) => Ok(s),
            (None, Some(url)) => ferrotune_storage::open(&url),
            (None, None) => Ok(Arc::new(ferrotune_storage::InMemoryStorage::new())),
        }
    }

    fn heartbeat_settings(&self) -> Result<Option<HeartbeatSettings>> {
        HeartbeatSettings::new(
            self.heartbeat_interval,
            self.grace_period,
            self.max_retries,
            self.inherit_intermediate_values,
        )
    }

    /// Let the sampler refuse directions it cannot optimize, before any
    /// trial runs.
    fn check_sampler(&self, directions: &[StudyDirection]) -> Result<()> {
        match &self.sampler {
            Some(sampler) => sampler.check_directions(directions),
            None => Ok(()),
        }
    }

    fn finish(self, storage: Arc<dyn Storage>, info: StudyInfo) -> Result<Study> {
        let heartbeat = self.heartbeat_settings()?;
        if let Some(requested) = &self.directions {
            if *requested != info.directions {
                let show = |d: &[StudyDirection]| d.iter().map(|d| d.as_str()).collect::<Vec<_>>().join(", ");
                return Err(Error::DirectionMismatch {
                    name: info.name,
                    existing: format!("[{}]", show(&info.directions)),
                    requested: format!("[{}]", show(requested)),
                });
            }
        }
        Ok(Study {
            inner: Arc::new(StudyInner {
                param_writer: ParamWriter::new(storage.clone()),
                storage,
                info,
                sampler: RwLock::new(self.sampler.unwrap_or_else(|| Arc::new(TpeSampler::new()))),
                pruner: RwLock::new(self.pruner.unwrap_or_else(|| Arc::new(NopPruner))),
                heartbeat,
                cache: Mutex::new(TrialCache {
                    cursor: 0,
                    trials: Arc::new(Vec::new()),
                    distributions: HashMap::new(),
                }),
                stop_requested: AtomicBool::new(false),
                ask_lock: Mutex::new(()),
            }),
        })
    }

    /// Create the study (or load it, with `load_if_exists`).
    pub fn create(mut self) -> Result<Study> {
        self.heartbeat_settings()?;
        let directions = self.directions.clone().unwrap_or_else(|| vec![StudyDirection::Minimize]);
        // Before the storage is opened, so a refusal leaves nothing behind
        // (not even a new database file).
        self.check_sampler(&directions)?;
        let storage = self.resolve_storage()?;
        let name = self.name.clone().unwrap_or_else(|| format!("no-name-{:016x}", ferrotune_samplers::random_seed()));
        let info = match storage.create_study(&name, &directions) {
            Ok(info) => info,
            Err(Error::DuplicateStudy(_)) if self.load_if_exists => {
                storage.study_by_name(&name)?.ok_or_else(|| Error::StudyNotFound(name.clone()))?
            }
            Err(e) => return Err(e),
        };
        self.finish(storage, info)
    }

    /// Load an existing study; fails if there is none of that name.
    pub fn load(mut self) -> Result<Study> {
        let storage = self.resolve_storage()?;
        let name = self.name.clone().ok_or_else(|| Error::InvalidArgument("loading a study needs its name".into()))?;
        let info = storage.study_by_name(&name)?.ok_or(Error::StudyNotFound(name))?;
        self.finish(storage, info)
    }
}

/// Settings of [`Study::optimize_with`]. Without `n_trials` or `timeout`,
/// optimization runs until [`Study::stop`] is called or a finite sampler
/// (a grid) is exhausted.
pub struct Optimize {
    n_trials: Option<u64>,
    max_sampled_trials: Option<u64>,
    timeout: Option<Duration>,
    n_jobs: usize,
    callbacks: Vec<Callback>,
}

impl Default for Optimize {
    fn default() -> Self {
        Optimize { n_trials: None, max_sampled_trials: None, timeout: None, n_jobs: 1, callbacks: Vec::new() }
    }
}

impl Optimize {
    /// Default settings: one thread, no limit.
    pub fn new() -> Self {
        Self::default()
    }

    /// Run this many trials in this call (all threads together).
    pub fn n_trials(mut self, n: u64) -> Self {
        self.n_trials = Some(n);
        self
    }

    /// Stop once the study holds this many sampler-created trials in total,
    /// counting every worker and process on the storage. Enforced by the
    /// storage when it creates a trial, so concurrent workers cannot
    /// overshoot it. Enqueued trials (hand-picked ones, retries) still run
    /// and do not count. With heartbeats and
    /// [`max_retries`](StudyBuilder::max_retries), a worker that finds the
    /// total reached waits while any trial of the study with a heartbeat
    /// is still running (checking again every heartbeat interval, 1 s at
    /// most), because
    /// should that trial's worker die its retry needs a worker: so every
    /// sampled configuration ends up finished once, with `n` complete
    /// trials when the objective never fails.
    pub fn max_sampled_trials(mut self, n: u64) -> Self {
        self.max_sampled_trials = Some(n);
        self
    }

    /// Start no new trial after this much time; running trials finish.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Evaluate this many trials at once, on threads.
    pub fn n_jobs(mut self, n_jobs: usize) -> Self {
        self.n_jobs = n_jobs.max(1);
        self
    }

    /// Run `callback` after each finished trial (from the worker thread
    /// that ran it). A callback may call [`Study::stop`].
    ///
    /// ```
    /// use ferrotune::{Optimize, Study, TrialState};
    ///
    /// let study = Study::builder().create()?;
    /// // Stop as soon as a trial gets below 0.1.
    /// let options = Optimize::new().n_trials(1000).callback(|study, trial| {
    ///     if trial.state == TrialState::Complete && trial.values.as_ref().is_some_and(|v| v[0] < 0.1) {
    ///         study.stop();
    ///     }
    /// });
    /// study.optimize_with(options, |trial| Ok(trial.suggest_float("x", 0.0, 1.0)?))?;
    /// assert!(study.best_value()? < 0.1);
    /// assert!(study.trials()?.len() < 1000);
    /// # Ok::<(), ferrotune::Error>(())
    /// ```
    pub fn callback(mut self, callback: impl Fn(&Study, &FrozenTrial) + Send + Sync + 'static) -> Self {
        self.callbacks.push(Box::new(callback));
        self
    }
}

/// The outcome of one trial, as given to [`Study::tell`].
#[derive(Debug, Clone, PartialEq)]
pub enum TrialOutcome {
    /// Finished with these objective values.
    Complete(Vec<f64>),
    /// Stopped early by the pruner.
    Pruned,
    /// Failed for this reason.
    Failed(String),
}

impl Study {
    /// Start building a study.
    pub fn builder() -> StudyBuilder {
        StudyBuilder {
            name: None,
            storage: None,
            storage_url: None,
            directions: None,
            sampler: None,
            pruner: None,
            load_if_exists: false,
            heartbeat_interval: None,
            grace_period: None,
            max_retries: None,
            inherit_intermediate_values: false,
        }
    }

    /// The study's name.
    pub fn name(&self) -> &str {
        &self.inner.info.name
    }

    /// The study's id in its storage.
    pub fn id(&self) -> i64 {
        self.inner.info.study_id
    }

    /// One direction per objective.
    pub fn directions(&self) -> &[StudyDirection] {
        &self.inner.info.directions
    }

    /// The storage the study lives in.
    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.inner.storage
    }

    /// Replace the sampler (Optuna's `study.sampler = ...`): trials asked
    /// from now on use it, running ones keep theirs. Clones of this `Study`
    /// share the change; other `Study` values loaded from the same storage
    /// keep their own. Refused, with nothing changed, if the sampler cannot
    /// optimize the study's directions.
    pub fn set_sampler(&self, sampler: Arc<dyn Sampler>) -> Result<()> {
        sampler.check_directions(&self.inner.info.directions)?;
        *self.inner.sampler.write().unwrap_or_else(|p| p.into_inner()) = sampler;
        Ok(())
    }

    /// Replace the pruner (Optuna's `study.pruner = ...`): every later
    /// `should_prune` asks it, running trials' included.
    pub fn set_pruner(&self, pruner: Arc<dyn Pruner>) {
        *self.inner.pruner.write().unwrap_or_else(|p| p.into_inner()) = pruner;
    }

    /// Start a new trial: an enqueued one if any is waiting, otherwise one
    /// the sampler fills. Fails with [`Error::SearchSpaceExhausted`] when a
    /// finite sampler has nothing left.
    pub fn ask(&self) -> Result<Trial> {
        self.ask_capped(None)
    }

    /// `ask`, refusing to create a sampled trial past `cap` (see
    /// [`Optimize::max_sampled_trials`]).
    fn ask_capped(&self, cap: Option<u64>) -> Result<Trial> {
        let inner = &self.inner;
        let study_id = inner.info.study_id;
        // One read of the replaceable sampler per trial: the trial keeps it.
        let sampler = inner.sampler();
        // A loaded study may have directions its sampler refuses; reading it
        // is fine, asking is not (before any trial is written).
        sampler.check_directions(&inner.info.directions)?;
        // As Optuna does before each trial: the dead workers' trials first,
        // so their retries are the next ones claimed.
        self.fail_stale_trials()?;
        let _asking = inner.ask_lock.lock().unwrap_or_else(|p| p.into_inner());
        // With heartbeats, the trial is created (or claimed) with its first
        // heartbeat: a worker killed before its heartbeat thread starts
        // still leaves a trial that goes stale and is retried.
        let heartbeat = inner.heartbeat.is_some();
        let limit = match (sampler.max_trials(), cap) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let new = NewTrial { max_sampled_trials: limit, heartbeat, ..Default::default() };
        let mut frozen = inner.storage.claim_or_create_trial(study_id, new)?.ok_or(Error::SearchSpaceExhausted)?;
        let trial_id = frozen.trial_id;
        let beating = match inner.heartbeat {
            Some(settings) => match HeartbeatThread::start(inner.storage.clone(), trial_id, settings.interval) {
                Ok(thread) => Some(thread),
                Err(e) => {
                    let _ =
                        self.finish_by_id(trial_id, TrialOutcome::Failed(format!("could not start the trial: {e}")));
                    return Err(e);
                }
            },
            None => None,
        };
        let prepared = (|| {
            let snapshot = inner.sampler_trials(&*sampler, inner.refresh()?, frozen.number)?;
            let view =
                StudyView { study_name: &inner.info.name, directions: &inner.info.directions, trials: &snapshot };
            let relative_space = sampler.infer_relative_search_space(&view, &frozen);
            let relative_params = if relative_space.is_empty() {
                BTreeMap::new()
            } else {
                sampler.sample_relative(&view, &frozen, &relative_space)?
            };
            if !relative_params.is_empty() {
                let recorded = AttrValue::from(
                    relative_params
                        .iter()
                        .map(|(k, v)| (k.clone(), AttrValue::from(*v)))
                        .collect::<serde_json::Map<_, _>>(),
                );
                inner.storage.set_trial_attr(trial_id, AttrScope::System, RELATIVE_PARAMS_ATTR, &recorded)?;
                frozen.system_attrs.insert(RELATIVE_PARAMS_ATTR.to_owned(), recorded);
                for (key, value) in sampler.relative_sample_attrs(&view, &frozen, &relative_params)? {
                    inner.storage.set_trial_attr(trial_id, AttrScope::System, &key, &value)?;
                    frozen.system_attrs.insert(key, value);
                }
            }
            Ok((snapshot, relative_space, relative_params))
        })();
        match prepared {
            Ok((snapshot, relative_space, relative_params)) => Ok(Trial {
                study: inner.clone(),
                sampler,
                frozen,
                snapshot,
                relative_space,
                relative_params,
                storage_failure: Default::default(),
                pending_params: None,
                heartbeat: beating,
            }),
            Err(e) => {
                // Never leave a trial running that nobody will finish.
                let _ = self.finish_by_id(trial_id, TrialOutcome::Failed(format!("could not start the trial: {e}")));
                Err(e)
            }
        }
    }

    /// Finish a trial started with [`Study::ask`] with its objective value(s).
    /// A NaN value, or the wrong number of values, fails the trial with the
    /// reason recorded (the returned trial says so); infinite values
    /// complete it, as in Optuna (a diverged run is the worst observation).
    pub fn tell(&self, trial: Trial, values: impl ObjectiveValues) -> Result<Arc<FrozenTrial>> {
        self.tell_outcome(trial, TrialOutcome::Complete(values.into_values()))
    }

    /// Finish a trial with any outcome.
    pub fn tell_outcome(&self, mut trial: Trial, outcome: TrialOutcome) -> Result<Arc<FrozenTrial>> {
        let unsaved = match trial.take_unsaved_params() {
            Ok(unsaved) => unsaved,
            Err(e) => {
                // A background write of its parameters failed: the trial
                // cannot be recorded as it ran, so it fails (if the storage
                // still takes writes) and the caller hears why.
                if !matches!(e, Error::TrialNotRunning { .. }) {
                    let reason = format!("its parameters could not be stored: {e}");
                    let _ = self.finish_by_id(trial.frozen.trial_id, TrialOutcome::Failed(reason));
                }
                return Err(e);
            }
        };
        self.finish(trial.frozen.trial_id, Some(&trial.frozen), &unsaved, outcome)
    }

    /// Finish a running trial by its number, for ask/tell across processes
    /// (the CLI's `tell`).
    pub fn tell_number(&self, number: u64, outcome: TrialOutcome) -> Result<Arc<FrozenTrial>> {
        let snapshot = self.inner.refresh()?;
        let trial = snapshot
            .get(number as usize)
            .ok_or_else(|| Error::InvalidArgument(format!("study '{}' has no trial number {number}", self.name())))?;
        self.finish_by_id(trial.trial_id, outcome)
    }

    fn finish_by_id(&self, trial_id: i64, outcome: TrialOutcome) -> Result<Arc<FrozenTrial>> {
        // A trial told by number may still be a live `Trial` of this
        // process with suggestions waiting for a write: they go first.
        let unsaved = self.inner.param_writer.take_for(trial_id)?;
        self.finish(trial_id, None, &unsaved, outcome)
    }

    /// Finish a trial after storing its `unsaved` parameters; `known` when
    /// this process runs it (the trial as it holds it), which lets the
    /// storage write both with the outcome in one write.
    fn finish(
        &self,
        trial_id: i64,
        known: Option<&FrozenTrial>,
        unsaved: &[(String, TrialParam)],
        outcome: TrialOutcome,
    ) -> Result<Arc<FrozenTrial>> {
        let storage = &self.inner.storage;
        let n_objectives = self.directions().len();
        let finish = |state: TrialState, values: Option<&[f64]>| match known {
            Some(trial) => storage.finish_known_trial(trial, unsaved, state, values),
            None => {
                if !unsaved.is_empty() {
                    storage.set_trial_params(trial_id, unsaved)?;
                }
                storage.finish_trial(trial_id, state, values)
            }
        };
        let fail = |reason: String| -> Result<Arc<FrozenTrial>> {
            if !unsaved.is_empty() {
                storage.set_trial_params(trial_id, unsaved)?;
            }
            storage.set_trial_attr(trial_id, AttrScope::System, FAIL_REASON_ATTR, &AttrValue::from(reason))?;
            storage.finish_trial(trial_id, TrialState::Failed, None)
        };
        match outcome {
            TrialOutcome::Complete(values) => {
                if values.len() != n_objectives {
                    return fail(format!(
                        "the objective returned {} value(s) but the study has {n_objectives} objective(s)",
                        values.len()
                    ));
                }
                // Only NaN fails a trial, as in Optuna: an infinite value is
                // a real (worst or best) observation, e.g. a diverged training
                // run, and samplers must see it to learn to avoid the region.
                if values.iter().any(|v| v.is_nan()) {
                    return fail("the objective returned NaN".to_owned());
                }
                finish(TrialState::Complete, Some(&values))
            }
            TrialOutcome::Pruned => {
                // As in Optuna, a pruned trial keeps its last intermediate
                // value, which samplers use as a (pessimistic) observation.
                let stored;
                let trial = match known {
                    Some(trial) => trial,
                    None => {
                        stored = storage.trial(trial_id)?;
                        &stored
                    }
                };
                // Infinite ones are kept, as for complete trials; NaN is none.
                let last = trial.last_intermediate().map(|(_, v)| v).filter(|v| !v.is_nan());
                let values = last.filter(|_| n_objectives == 1).map(|v| vec![v]);
                finish(TrialState::Pruned, values.as_deref())
            }
            TrialOutcome::Failed(reason) => fail(reason),
        }
    }

    /// Queue a hand-picked configuration: the next `ask` gets these values
    /// (parameters not listed are sampled as usual).
    pub fn enqueue_trial<K, V>(&self, params: impl IntoIterator<Item = (K, V)>) -> Result<u64>
    where
        K: Into<String>,
        V: Into<ParamValue>,
    {
        let fixed: BTreeMap<String, ParamValue> = params.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        self.enqueue_trial_with_attrs(fixed, BTreeMap::new())
    }

    /// [`enqueue_trial`](Study::enqueue_trial) with user attributes the
    /// trial starts with (a note on why it was hand-picked, say).
    pub fn enqueue_trial_with_attrs(
        &self,
        params: BTreeMap<String, ParamValue>,
        user_attrs: BTreeMap<String, AttrValue>,
    ) -> Result<u64> {
        self.enqueue_trial_with(params, EnqueueOptions { user_attrs, skip_if_exists: false })
    }

    /// Optuna's `enqueue_trial(params, user_attrs, skip_if_exists)`: queue
    /// a hand-picked configuration with [`EnqueueOptions`]. Returns the
    /// number of the trial that stands for it: the new one, or with
    /// `skip_if_exists` the existing one that made it unnecessary.
    ///
    /// ```
    /// use ferrotune::{EnqueueOptions, ParamValue, Study};
    /// let study = Study::builder().create()?;
    /// let params = std::collections::BTreeMap::from([("lr".to_owned(), ParamValue::Float(0.01))]);
    /// let once = EnqueueOptions { skip_if_exists: true, ..Default::default() };
    /// let first = study.enqueue_trial_with(params.clone(), once.clone())?;
    /// assert_eq!(study.enqueue_trial_with(params, once)?, first);
    /// assert_eq!(study.trials()?.len(), 1);
    /// # Ok::<(), ferrotune::Error>(())
    /// ```
    pub fn enqueue_trial_with(&self, params: BTreeMap<String, ParamValue>, options: EnqueueOptions) -> Result<u64> {
        // The existence check is the storage's, inside the write that would
        // create the trial: a check here first would let two workers
        // starting together both find nothing and both enqueue.
        let new = NewTrial {
            waiting: true,
            fixed_params: Some(params),
            user_attrs: options.user_attrs,
            skip_if_exists: options.skip_if_exists,
            ..Default::default()
        };
        let trial = self.inner.storage.create_trial(self.id(), new)?;
        Ok(trial.expect("enqueued trials are never limited").number)
    }

    /// Write a finished (or waiting) trial made elsewhere into the study
    /// with its next number: Optuna's `Study.add_trial`, and how trials are
    /// copied between studies and storages (their times kept). See
    /// [`Storage::add_trial`] for what is refused.
    ///
    /// ```
    /// use ferrotune::{Distribution, FrozenTrial, Study};
    /// let study = Study::builder().create()?;
    /// let x = Distribution::float(0.0, 10.0)?;
    /// study.add_trial(&FrozenTrial::builder(0).param("x", &x, 2.0).value(4.0).build())?;
    /// assert_eq!(study.best_params()?["x"].as_f64(), Some(2.0));
    /// # Ok::<(), ferrotune::Error>(())
    /// ```
    pub fn add_trial(&self, trial: &FrozenTrial) -> Result<Arc<FrozenTrial>> {
        self.inner.storage.add_trial(self.id(), trial)
    }

    /// Enqueue a fresh copy of a trial's parameters (to re-run one that was
    /// interrupted or failed for reasons outside the objective). The copy
    /// records `retry_of` = the original's number in its system attributes.
    pub fn retry_trial(&self, number: u64) -> Result<u64> {
        let snapshot = self.inner.refresh()?;
        let original = snapshot
            .get(number as usize)
            .ok_or_else(|| Error::InvalidArgument(format!("study '{}' has no trial number {number}", self.name())))?;
        let new = NewTrial {
            waiting: true,
            fixed_params: Some(original.param_values()),
            system_attrs: BTreeMap::from([(RETRY_OF_ATTR.to_owned(), AttrValue::from(number))]),
            ..Default::default()
        };
        let trial = self.inner.storage.create_trial(self.id(), new)?;
        Ok(trial.expect("enqueued trials are never limited").number)
    }

    /// Fail the study's running trials whose heartbeat is older than the
    /// grace period, recording why in `fail_reason`, and, with
    /// [`max_retries`](StudyBuilder::max_retries), enqueue each one's
    /// parameters again. Returns the trials this call failed (another
    /// worker doing the same at the same moment fails the others). Every
    /// `ask` does this first; nothing happens with heartbeats off (as
    /// Optuna's `fail_stale_trials`).
    pub fn fail_stale_trials(&self) -> Result<Vec<Arc<FrozenTrial>>> {
        let Some(settings) = self.inner.heartbeat else { return Ok(Vec::new()) };
        let storage = &self.inner.storage;
        match settings.max_retries {
            // Failed and retried in one write: a worker dying in between
            // would leave a failed trial nobody retries.
            Some(max_retries) => storage.fail_stale_trials_and_retry(self.id(), settings.grace_period, &|trial| {
                heartbeat::retry_of(trial, max_retries, settings.inherit_intermediate_values)
            }),
            None => storage.fail_stale_trials(self.id(), settings.grace_period),
        }
    }

    /// Whether the sampler in use has tried every configuration it can
    /// (see [`Sampler::is_exhaustive`]): `optimize` then starts no new
    /// trial, and an ask-and-tell loop can ask the same. False at once,
    /// without reading the study, for every other sampler.
    pub fn sampler_is_exhausted(&self) -> Result<bool> {
        let sampler = self.inner.sampler();
        if !sampler.is_exhaustive() {
            return Ok(false);
        }
        let snapshot = self.inner.refresh()?;
        let view =
            StudyView { study_name: &self.inner.info.name, directions: &self.inner.info.directions, trials: &snapshot };
        sampler.is_exhausted(&view)
    }

    /// Ask running `optimize` loops to start no new trial.
    pub fn stop(&self) {
        self.inner.stop_requested.store(true, Ordering::SeqCst);
    }

    /// Run `objective` for `n_trials` trials, one at a time.
    pub fn optimize<F, V>(&self, n_trials: u64, objective: F) -> Result<()>
    where
        F: Fn(&mut Trial) -> std::result::Result<V, TrialError> + Sync,
        V: ObjectiveValues,
    {
        self.optimize_with(Optimize::new().n_trials(n_trials), objective)
    }

    /// As [`optimize_with`](Self::optimize_with), for an objective that
    /// keeps mutable state between trials (a model it trains on, a cache):
    /// `FnMut` and `Send` rather than `Fn` and `Sync`, so trials run one at a
    /// time; settings asking for more than one job are refused.
    pub fn optimize_mut<F, V>(&self, options: Optimize, objective: F) -> Result<()>
    where
        F: FnMut(&mut Trial) -> std::result::Result<V, TrialError> + Send,
        V: ObjectiveValues,
    {
        if options.n_jobs > 1 {
            return Err(Error::InvalidArgument(format!(
                "optimize_mut runs one trial at a time, but {} jobs were asked for: use optimize_with with an \
                 objective that is Fn + Sync",
                options.n_jobs
            )));
        }
        // One job: the lock is never contended; it only lends the closure
        // to the loop, which wants `Fn + Sync`.
        let objective = std::sync::Mutex::new(objective);
        self.optimize_with(options, |trial| (objective.lock().unwrap_or_else(|p| p.into_inner()))(trial))
    }

    /// Run `objective` with the given settings. An objective that returns
    /// an error, panics, or returns NaN fails its own trial and the study
    /// goes on; only storage failures end the call with an error, whether
    /// the study meets them or the objective's calls on its trial do.
    pub fn optimize_with<F, V>(&self, options: Optimize, objective: F) -> Result<()>
    where
        F: Fn(&mut Trial) -> std::result::Result<V, TrialError> + Sync,
        V: ObjectiveValues,
    {
        let started = Instant::now();
        let launched = AtomicU64::new(0);
        let abort: Mutex<Option<Error>> = Mutex::new(None);
        let stop_here = AtomicBool::new(false);
        let worker = || loop {
            if stop_here.load(Ordering::SeqCst) || self.inner.stop_requested.load(Ordering::SeqCst) {
                break;
            }
            if options.timeout.is_some_and(|t| started.elapsed() >= t) {
                break;
            }
            if let Some(n) = options.n_trials {
                if launched.fetch_add(1, Ordering::SeqCst) >= n {
                    break;
                }
            }
            let result = self.ask_capped(options.max_sampled_trials).and_then(|mut trial| {
                let (outcome, storage_failure) = run_objective(&objective, &mut trial);
                let told = self.tell_outcome(trial, outcome);
                // The storage failed under the objective: record the trial
                // if it still can, then end the call with the failure.
                match storage_failure {
                    Some(message) => Err(Error::Storage(message)),
                    None => told,
                }
            });
            match result {
                Ok(frozen) => {
                    for callback in &options.callbacks {
                        callback(self, &frozen);
                    }
                    match self.sampler_is_exhausted() {
                        Ok(false) => {}
                        // This worker stops; the others look again when
                        // their trials finish. A running trial counts for
                        // the whole branch below its last suggestion, and
                        // its worker, once it finishes, may find the rest of
                        // that branch still open.
                        Ok(true) => break,
                        Err(e) => {
                            stop_here.store(true, Ordering::SeqCst);
                            abort.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert(e);
                        }
                    }
                }
                Err(Error::SearchSpaceExhausted) => match self.retry_may_come() {
                    Ok(Some(pause)) => {
                        if options.n_trials.is_some() {
                            launched.fetch_sub(1, Ordering::SeqCst);
                        }
                        std::thread::sleep(pause);
                    }
                    Ok(None) => stop_here.store(true, Ordering::SeqCst),
                    Err(e) => {
                        stop_here.store(true, Ordering::SeqCst);
                        abort.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert(e);
                    }
                },
                // Someone else finished the trial while the objective ran
                // (`ferrotune tell --force`, another process recovering it):
                // their outcome stands and the loop goes on.
                Err(Error::TrialNotRunning { .. }) => {}
                Err(e) => {
                    stop_here.store(true, Ordering::SeqCst);
                    abort.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert(e);
                }
            }
        };
        if options.n_jobs <= 1 {
            worker();
        } else {
            std::thread::scope(|scope| {
                for _ in 0..options.n_jobs {
                    scope.spawn(worker);
                }
            });
        }
        self.inner.stop_requested.store(false, Ordering::SeqCst);
        match abort.into_inner().unwrap_or_else(|p| p.into_inner()) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// When the study's trial total is reached, whether a retry may still
    /// need running, and how long to wait before asking again. With
    /// heartbeats and retries on, a trial running on another worker (or
    /// thread) is retried if that worker dies, and someone must run the
    /// retry for the study to reach its total of finished trials: so a
    /// worker stops only once no trial is waiting and none with a
    /// heartbeat is running. Such a trial ends by being told or by going
    /// stale, so the wait ends; a trial running without a heartbeat (a
    /// worker with heartbeats off, `ferrotune ask` never told) is not
    /// waited for, since nothing would ever end it.
    fn retry_may_come(&self) -> Result<Option<Duration>> {
        let Some(settings) = self.inner.heartbeat.filter(|s| s.max_retries.is_some()) else { return Ok(None) };
        let snapshot = self.inner.refresh()?;
        let pending = snapshot.iter().any(|t| t.state == TrialState::Waiting)
            || self.inner.storage.count_beating_trials(self.id())? > 0;
        Ok(pending.then(|| settings.interval.min(Duration::from_secs(1))))
    }

    /// Every trial, in number order, as of now.
    pub fn trials(&self) -> Result<Vec<Arc<FrozenTrial>>> {
        Ok(self.inner.refresh()?.to_vec())
    }

    /// Trials in any of the given states, in number order.
    pub fn trials_in(&self, states: &[TrialState]) -> Result<Vec<Arc<FrozenTrial>>> {
        Ok(self.inner.refresh()?.iter().filter(|t| states.contains(&t.state)).cloned().collect())
    }

    /// The best feasible complete trial of a single-objective study (the
    /// earliest, on ties). As in Optuna, a trial that violates a constraint
    /// (see [`Trial::set_constraint`](crate::Trial::set_constraint)) is
    /// never the best, however good its value; a trial without constraints
    /// is feasible. Errors with [`Error::NoCompletedTrials`] before any
    /// trial completed, and [`Error::NoFeasibleTrials`] when every complete
    /// trial is infeasible.
    pub fn best_trial(&self) -> Result<Arc<FrozenTrial>> {
        if self.directions().len() > 1 {
            return Err(Error::MultiObjective(self.name().to_owned()));
        }
        let direction = self.directions()[0];
        let snapshot = self.inner.refresh()?;
        let mut complete = 0;
        let mut best: Option<(&Arc<FrozenTrial>, f64)> = None;
        for t in snapshot.iter().filter(|t| t.state == TrialState::Complete) {
            let Some(v) = t.value() else { continue };
            complete += 1;
            if t.is_feasible() && best.is_none_or(|(_, b)| direction.is_better(v, b)) {
                best = Some((t, v));
            }
        }
        best.map(|(t, _)| t.clone()).ok_or_else(|| match complete {
            0 => Error::NoCompletedTrials(self.name().to_owned()),
            complete => Error::NoFeasibleTrials { name: self.name().to_owned(), complete },
        })
    }

    /// The best objective value of a single-objective study (of the best
    /// feasible trial: see [`Study::best_trial`]).
    pub fn best_value(&self) -> Result<f64> {
        Ok(self.best_trial()?.value().expect("complete trials have values"))
    }

    /// The parameters of the best (feasible) trial.
    pub fn best_params(&self) -> Result<BTreeMap<String, ParamValue>> {
        Ok(self.best_trial()?.param_values())
    }

    /// The Pareto-optimal feasible complete trials (for one objective: all
    /// trials sharing the best value). Infeasible trials are left out
    /// before the front is computed, as Optuna does, so one cannot
    /// dominate a feasible trial off the front; empty when no complete
    /// trial is feasible.
    pub fn best_trials(&self) -> Result<Vec<Arc<FrozenTrial>>> {
        let snapshot = self.inner.refresh()?;
        let feasible = snapshot.iter().filter(|t| t.is_feasible()).map(|t| &**t);
        let front = pareto_front(feasible, self.directions());
        let numbers: Vec<u64> = front.iter().map(|t| t.number).collect();
        Ok(numbers.into_iter().map(|n| snapshot[n as usize].clone()).collect())
    }

    /// Set a user attribute on the study.
    pub fn set_user_attr(&self, key: &str, value: impl Into<AttrValue>) -> Result<()> {
        self.inner.storage.set_study_attr(self.id(), AttrScope::User, key, &value.into())
    }

    /// The study's user attributes, as stored now.
    pub fn user_attrs(&self) -> Result<BTreeMap<String, AttrValue>> {
        let info =
            self.inner.storage.study_by_name(self.name())?.ok_or_else(|| Error::StudyNotFound(self.name().into()))?;
        Ok(info.user_attrs)
    }

    /// Set a system attribute on the study (bookkeeping of the engine and
    /// its faces, such as the metric names; prefer user attributes).
    pub fn set_system_attr(&self, key: &str, value: impl Into<AttrValue>) -> Result<()> {
        self.inner.storage.set_study_attr(self.id(), AttrScope::System, key, &value.into())
    }

    /// The study's system attributes, as stored now.
    pub fn system_attrs(&self) -> Result<BTreeMap<String, AttrValue>> {
        let info =
            self.inner.storage.study_by_name(self.name())?.ok_or_else(|| Error::StudyNotFound(self.name().into()))?;
        Ok(info.system_attrs)
    }
}

/// How [`Study::enqueue_trial_with`] queues a configuration: the keyword
/// arguments of Optuna's `enqueue_trial`.
#[derive(Debug, Clone, Default)]
pub struct EnqueueOptions {
    /// User attributes the trial starts with (why it was hand-picked, say).
    pub user_attrs: BTreeMap<String, AttrValue>,
    /// Queue nothing if a trial of the study, in any state, already stands
    /// for these parameters ([`FrozenTrial::repeats_params`]). The storage
    /// checks and creates in one write, so workers that start together and
    /// enqueue the same configurations queue each once.
    pub skip_if_exists: bool,
}

/// Run the objective, turning errors, panics and pruning into an outcome,
/// and a storage failure under it into the message that ends `optimize`.
fn run_objective<F, V>(objective: &F, trial: &mut Trial) -> (TrialOutcome, Option<String>)
where
    F: Fn(&mut Trial) -> std::result::Result<V, TrialError>,
    V: ObjectiveValues,
{
    let outcome = catch_unwind(AssertUnwindSafe(|| objective(trial)));
    if let Some(message) = trial.storage_failure() {
        return (TrialOutcome::Failed(format!("the storage failed: {message}")), Some(message.to_owned()));
    }
    match outcome {
        Ok(Ok(values)) => (TrialOutcome::Complete(values.into_values()), None),
        Ok(Err(TrialError::Pruned)) => (TrialOutcome::Pruned, None),
        Ok(Err(TrialError::Failed(reason))) => (TrialOutcome::Failed(reason), None),
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic payload".into());
            (TrialOutcome::Failed(format!("the objective panicked: {message}")), None)
        }
    }
}
