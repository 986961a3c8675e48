//! Optuna's journal storage (`JournalStorage(JournalFileBackend(path))`): a
//! file of JSON lines, one operation each, that Optuna and ferrotune
//! processes read and append to at the same time.
//!
//! The file is the truth; each process holds a replay of it. Before every
//! operation the storage reads the lines appended since its last read (it
//! remembers the byte offset; a line without its newline is being written
//! and waits for the next read) and applies them with Optuna 5's rules, so
//! both tools see the same study: a second study of a taken name, an
//! operation on a finished trial, a second claim of a waiting trial and a
//! parameter whose distribution is incompatible with the study's earlier
//! one are all ignored where they stand in the file.
//!
//! Design decision: every write takes Optuna's lock on the file
//! ([`JournalLockKind`]), reads to the end, checks what it is about to do
//! against that replay, appends, and releases. Optuna appends only under
//! the same lock, so nothing lands between the check and the append: a
//! claim, a trial number, the sampled-trial limit, `skip_if_exists` and
//! failing stale trials are decided exactly once however many Optuna and
//! ferrotune processes share the file, and each of ferrotune's writes is
//! accepted by every replay.
//!
//! What ferrotune keeps beyond Optuna's operations goes where Optuna keeps
//! it, or into system attributes Optuna ignores:
//! - an enqueued trial's values: the `fixed_params` system attribute
//!   (Optuna's own);
//! - constraints: Optuna's list under `constraints`; names other than
//!   "0", "1", ... also in `ferrotune:constraint_names`;
//! - per-objective intermediate values: `ferrotune:intermediate_vectors`
//!   (as in an export to Optuna's RDB storage; NaN and infinities as the
//!   strings "NaN", "inf" and "-inf");
//! - heartbeats: `ferrotune:heartbeat`, the writer's clock in Unix
//!   microseconds (a file has no server clock: machines sharing a journal
//!   need clocks that agree to within the grace period). Each is one line.
//!
//! These are hidden from ferrotune's trials and read back into their
//! fields. Ids are the journal's plus one (ferrotune's ids start at 1).

mod lock;
mod record;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use ferrotune_core::{
    AttrScope, AttrValue, Distribution, Error, FrozenTrial, NewTrial, ParamValue, Result, Storage, StudyDirection,
    StudyInfo, TrialChanges, TrialParam, TrialState, CONSTRAINTS_ATTR, FAIL_REASON_ATTR,
};
use serde_json::{Map, Value};

use lock::JournalLock;
pub use lock::JournalLockKind;
use record::{direction_code, op, parse_line, state_code, CreatedTrial, Line, Record};

use crate::change_log::ChangeLog;
use crate::optuna::{FIXED_PARAMS_ATTR, INTERMEDIATE_VECTORS_ATTR};
use crate::{check_added_trial, check_finish, now_us, stale_heartbeat_reason};

/// The system attribute holding a running trial's last heartbeat.
pub const HEARTBEAT_ATTR: &str = "ferrotune:heartbeat";
/// The system attribute naming a trial's constraints, in the order of
/// Optuna's list, when they are not "0", "1", ...
pub const CONSTRAINT_NAMES_ATTR: &str = "ferrotune:constraint_names";

/// How to open a journal.
#[derive(Debug, Clone)]
pub struct JournalOptions {
    /// Which of Optuna's lock protocols to take (Optuna's default: symlink).
    pub lock: JournalLockKind,
    /// Break a lock unchanged for this long (Optuna 5's default: 30 s);
    /// `None` waits for it forever.
    pub lock_grace_period: Option<Duration>,
}

impl Default for JournalOptions {
    fn default() -> Self {
        JournalOptions { lock: JournalLockKind::Symlink, lock_grace_period: Some(Duration::from_secs(30)) }
    }
}

/// Optuna's journal file as a ferrotune [`Storage`] (see the module docs).
pub struct JournalStorage {
    path: PathBuf,
    lock: JournalLock,
    replay: Mutex<Replay>,
    /// The `worker_id` of this storage's lines. Optuna compares it with its
    /// own ids only; ferrotune checks its writes under the lock instead.
    worker_id: String,
}

impl JournalStorage {
    /// Open (creating it if missing) the journal at `path` with Optuna's
    /// default lock.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, JournalOptions::default())
    }

    /// Open (creating it if missing) the journal at `path`.
    pub fn open_with(path: impl AsRef<Path>, options: JournalOptions) -> Result<Self> {
        let path = path.as_ref().to_owned();
        if path.as_os_str().is_empty() {
            return Err(Error::InvalidArgument("the journal file's path is empty".into()));
        }
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| Error::Storage(format!("cannot open the journal {}: {e}", path.display())))?;
        let storage = JournalStorage {
            lock: JournalLock::new(&path, options.lock, options.lock_grace_period),
            path,
            replay: Mutex::new(Replay::default()),
            worker_id: format!("ferrotune-{}-{:x}", std::process::id(), now_us()),
        };
        storage.sync(&mut storage.lock_replay())?;
        Ok(storage)
    }

    /// The journal file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock_replay(&self) -> MutexGuard<'_, Replay> {
        // Every change to the replay completes before anything can panic.
        self.replay.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Apply the lines appended since the last read.
    fn sync(&self, replay: &mut Replay) -> Result<()> {
        let io = |e: std::io::Error| Error::Storage(format!("cannot read the journal {}: {e}", self.path.display()));
        let mut file = File::open(&self.path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        if len < replay.offset {
            return Err(Error::Storage(format!(
                "the journal {} is shorter than what this process has read from it: it was truncated or replaced",
                self.path.display()
            )));
        }
        if len == replay.offset {
            return Ok(());
        }
        file.seek(SeekFrom::Start(replay.offset)).map_err(io)?;
        let mut bytes = Vec::with_capacity((len - replay.offset) as usize);
        file.take(len - replay.offset).read_to_end(&mut bytes).map_err(io)?;
        // A last line without its newline is still being written.
        let Some(end) = bytes.iter().rposition(|&b| b == b'\n') else { return Ok(()) };
        for line in bytes[..=end].split_inclusive(|&b| b == b'\n') {
            let where_ = || format!("journal {}, line {}", self.path.display(), replay.line + 1);
            let text = std::str::from_utf8(line).map_err(|_| Error::Storage(format!("{}: not UTF-8", where_())))?;
            if !text.trim().is_empty() {
                let record = parse_line(text).map_err(|e| Error::Storage(format!("{}: {e}", where_())))?;
                replay.line += 1;
                replay.apply(record);
            }
            replay.offset += line.len() as u64;
        }
        Ok(())
    }

    /// Read to the end (for a read).
    fn read(&self) -> Result<MutexGuard<'_, Replay>> {
        let mut replay = self.lock_replay();
        self.sync(&mut replay)?;
        Ok(replay)
    }

    /// A write: under the file's lock, read to the end, let `prepare`
    /// check the replay and say which lines to append (and what the caller
    /// needs afterwards), append them, and read them back.
    fn write<P>(
        &self,
        prepare: impl FnOnce(&Replay) -> Result<(Vec<String>, P)>,
    ) -> Result<(MutexGuard<'_, Replay>, P)> {
        let mut replay = self.lock_replay();
        self.lock.acquire()?;
        let result = (|| {
            self.sync(&mut replay)?;
            let (lines, prepared) = prepare(&replay)?;
            if !lines.is_empty() {
                self.append(&lines.concat())?;
                self.sync(&mut replay)?;
            }
            Ok(prepared)
        })();
        let released = self.lock.release();
        let prepared = result?;
        released?;
        Ok((replay, prepared))
    }

    /// [`write`](Self::write) for a caller that needs nothing back.
    fn write_lines(&self, prepare: impl FnOnce(&Replay) -> Result<Vec<String>>) -> Result<()> {
        self.write(|replay| Ok((prepare(replay)?, ()))).map(drop)
    }

    fn append(&self, text: &str) -> Result<()> {
        let io =
            |e: std::io::Error| Error::Storage(format!("cannot write to the journal {}: {e}", self.path.display()));
        let mut file = OpenOptions::new().append(true).open(&self.path).map_err(io)?;
        // One write, so readers see whole lines or nothing new.
        file.write_all(text.as_bytes()).map_err(io)?;
        file.sync_data().map_err(io)
    }

    fn line(&self, op_code: u64) -> Line {
        Line::new(op_code, &self.worker_id)
    }

    fn trial_attr_lines(&self, trial_jid: i64, scope: AttrScope, key: &str, value: &AttrValue) -> Vec<String> {
        let (op_code, field) = match scope {
            AttrScope::User => (op::SET_TRIAL_USER_ATTR, "user_attr"),
            AttrScope::System => (op::SET_TRIAL_SYSTEM_ATTR, "system_attr"),
        };
        let attrs = match scope {
            AttrScope::User => vec![(key.to_owned(), value.clone())],
            AttrScope::System => journal_system_attr(key, value),
        };
        attrs
            .into_iter()
            .map(|(key, value)| self.line(op_code).int("trial_id", trial_jid).attr(field, &key, &value).finish())
            .collect()
    }

    fn heartbeat_line(&self, trial_jid: i64) -> String {
        self.line(op::SET_TRIAL_SYSTEM_ATTR)
            .int("trial_id", trial_jid)
            .attr("system_attr", HEARTBEAT_ATTR, &Value::from(now_us()))
            .finish()
    }

    /// `CREATE_TRIAL` for a new trial (running, or waiting when enqueued).
    fn create_line(&self, study_jid: i64, new: &NewTrial) -> String {
        let mut system: Vec<(String, Value)> =
            new.system_attrs.iter().flat_map(|(k, v)| journal_system_attr(k, v)).collect();
        if let Some(fixed) = &new.fixed_params {
            system.push((FIXED_PARAMS_ATTR.to_owned(), serde_json::to_value(fixed).unwrap_or(Value::Null)));
        }
        if new.heartbeat && !new.waiting {
            system.push((HEARTBEAT_ATTR.to_owned(), Value::from(now_us())));
        }
        let state = if new.waiting { TrialState::Waiting } else { TrialState::Running };
        let user: Map<String, Value> = new.user_attrs.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        self.line(op::CREATE_TRIAL)
            .int("study_id", study_jid)
            .int("state", state_code(state) as i64)
            .time("datetime_start", (!new.waiting).then(now_us))
            .json("user_attrs", &Value::Object(user))
            .json("system_attrs", &Value::Object(system.into_iter().collect()))
            .steps("intermediate_values", &new.intermediate_values)
            .finish()
    }

    /// `CREATE_TRIAL` with everything in it (`add_trial`).
    fn whole_trial_line(&self, study_jid: i64, trial: &FrozenTrial) -> String {
        let mut system: Vec<(String, Value)> = trial
            .system_attrs
            .iter()
            .filter(|(k, _)| !(k.as_str() == FIXED_PARAMS_ATTR && trial.fixed_params.is_some()))
            .flat_map(|(k, v)| journal_system_attr(k, v))
            .collect();
        if !trial.intermediate_vectors.is_empty() {
            system.push((INTERMEDIATE_VECTORS_ATTR.to_owned(), vectors_value(&trial.intermediate_vectors)));
        }
        if let Some(fixed) = &trial.fixed_params {
            system.push((FIXED_PARAMS_ATTR.to_owned(), serde_json::to_value(fixed).unwrap_or(Value::Null)));
        }
        let user: Map<String, Value> = trial.user_attrs.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        // Optuna writes one objective's value as `value`, several as `values`.
        let (value, values) = match trial.values.as_deref() {
            Some([one]) => (Some(*one), None),
            other => (None, other),
        };
        let mut line = self
            .line(op::CREATE_TRIAL)
            .int("study_id", study_jid)
            .int("state", state_code(trial.state) as i64)
            .floats("values", values);
        line = match value {
            Some(v) => line.float("value", v),
            None => line.json("value", &Value::Null),
        };
        line = line.time("datetime_start", trial.started_at_us);
        if trial.finished_at_us.is_some() {
            line = line.time("datetime_complete", trial.finished_at_us);
        }
        line.params(trial.params.iter())
            .json("user_attrs", &Value::Object(user))
            .json("system_attrs", &Value::Object(system.into_iter().collect()))
            .steps("intermediate_values", &trial.intermediate_values)
            .finish()
    }

    fn state_line(&self, trial_jid: i64, state: TrialState, values: Option<&[f64]>) -> String {
        let line =
            self.line(op::SET_TRIAL_STATE_VALUES).int("trial_id", trial_jid).int("state", state_code(state) as i64);
        let line = line.floats("values", values);
        if state == TrialState::Running {
            line.time("datetime_start", Some(now_us())).finish()
        } else {
            line.time("datetime_complete", Some(now_us())).finish()
        }
    }

    fn param_lines(&self, replay: &Replay, trial_jid: i64, params: &[(String, TrialParam)]) -> Result<Vec<String>> {
        let (study_jid, _) = replay.running(trial_jid)?;
        let study = replay.study(study_jid)?;
        let mut lines = Vec::with_capacity(params.len());
        for (name, param) in params {
            // What the replay would silently drop must fail here.
            if let Some((_, first)) = study.first_distribution.get(name) {
                first.check_compatible(name, &param.distribution)?;
            }
            if !param.distribution.contains(param.internal) {
                return Err(Error::InvalidArgument(format!(
                    "parameter '{name}' has the internal value {} outside its distribution ({})",
                    param.internal, param.distribution
                )));
            }
            lines.push(
                self.line(op::SET_TRIAL_PARAM)
                    .int("trial_id", trial_jid)
                    .json("param_name", &Value::from(name.as_str()))
                    .internal("param_value_internal", param)
                    .json("distribution", &Value::from(crate::optuna::distribution_to_optuna_json(&param.distribution)))
                    .finish(),
            );
        }
        Ok(lines)
    }

    /// The trials `fail_stale_trials` fails, and the lines that do it.
    fn stale_lines(
        &self,
        replay: &Replay,
        study_jid: i64,
        grace_period: Duration,
        retry: &dyn Fn(&FrozenTrial) -> Option<NewTrial>,
    ) -> Result<(Vec<String>, Vec<i64>)> {
        let study = replay.study(study_jid)?;
        let now = now_us();
        let grace_us = i64::try_from(grace_period.as_micros()).unwrap_or(i64::MAX);
        let mut lines = Vec::new();
        let mut failed = Vec::new();
        for trial in study.trials.iter().filter(|t| t.state == TrialState::Running) {
            let jid = trial.trial_id - 1;
            let Some(&beat) = replay.heartbeats.get(&jid) else { continue };
            let silent = now - beat;
            if silent <= grace_us {
                continue;
            }
            let reason = AttrValue::from(stale_heartbeat_reason(silent, grace_period));
            lines.extend(self.trial_attr_lines(jid, AttrScope::System, FAIL_REASON_ATTR, &reason));
            lines.push(self.state_line(jid, TrialState::Failed, None));
            failed.push(jid);
            let mut failed_trial = FrozenTrial::clone(trial);
            failed_trial.state = TrialState::Failed;
            failed_trial.system_attrs.insert(FAIL_REASON_ATTR.to_owned(), reason);
            if let Some(new) = retry(&failed_trial) {
                lines.push(self.create_line(study_jid, &new));
            }
        }
        Ok((lines, failed))
    }
}

/// A ferrotune system attribute as the journal keeps it (see the module
/// docs): constraints as Optuna's list, with their names when they are
/// not "0", "1", ...
fn journal_system_attr(key: &str, value: &AttrValue) -> Vec<(String, Value)> {
    if key == CONSTRAINTS_ATTR {
        if let Value::Object(named) = value {
            let mut entries: Vec<(&String, &Value)> = named.iter().collect();
            let numbered = entries.iter().all(|(k, _)| k.parse::<usize>().is_ok());
            if numbered {
                entries.sort_by_key(|(k, _)| k.parse::<usize>().unwrap_or(usize::MAX));
            }
            let plain = numbered && entries.iter().enumerate().all(|(i, (k, _))| **k == i.to_string());
            let list = Value::Array(entries.iter().map(|(_, v)| (*v).clone()).collect());
            let mut attrs = Vec::new();
            if !plain {
                let names = Value::Array(entries.iter().map(|(k, _)| Value::from(k.as_str())).collect());
                attrs.push((CONSTRAINT_NAMES_ATTR.to_owned(), names));
            }
            attrs.push((key.to_owned(), list));
            return attrs;
        }
    }
    vec![(key.to_owned(), value.clone())]
}

fn vectors_value(vectors: &BTreeMap<u64, Vec<f64>>) -> Value {
    let map: Map<String, Value> = vectors
        .iter()
        .map(|(step, values)| {
            // Python's words for the numbers JSON lacks, as strings: an
            // attribute is plain JSON.
            let values = values.iter().map(|v| match serde_json::Number::from_f64(*v) {
                Some(n) => Value::Number(n),
                None => Value::from(record::python_word(*v)),
            });
            (step.to_string(), Value::Array(values.collect()))
        })
        .collect();
    Value::Object(map)
}

/// What the replay knows of a trial beyond its [`FrozenTrial`].
#[derive(Default)]
struct Hidden {
    constraint_names: Option<Vec<String>>,
    constraints: Option<Vec<Value>>,
}

#[derive(Default)]
struct Replay {
    /// Bytes of the file applied.
    offset: u64,
    /// Lines applied; the cursor of incremental reads.
    line: u64,
    /// Studies by journal id; deleted ones are gone.
    studies: BTreeMap<i64, StudyData>,
    next_study_id: i64,
    /// (journal study id, number) by journal trial id; `None` once the
    /// study is deleted (Optuna keeps counting its trials).
    trials: Vec<Option<(i64, u64)>>,
    /// Last heartbeat (Unix microseconds) by journal trial id.
    heartbeats: HashMap<i64, i64>,
    hidden: HashMap<i64, Hidden>,
}

struct StudyData {
    info: StudyInfo,
    trials: Vec<Arc<FrozenTrial>>,
    /// Which trials each line changed, numbered by line.
    changes: ChangeLog,
    /// Trials created running without enqueued values (a sampler's).
    n_sampled: u64,
    waiting: BTreeSet<u64>,
    /// Each parameter's distribution in the lowest-numbered trial that has
    /// it: what Optuna checks a new one against.
    first_distribution: HashMap<String, (u64, Distribution)>,
}

impl StudyData {
    fn touch(&mut self, number: u64, line: u64) {
        self.changes.record(number, line);
    }

    fn note_distribution(&mut self, number: u64, name: &str, distribution: &Distribution) {
        match self.first_distribution.get(name) {
            Some((first, _)) if *first < number => {}
            _ => {
                self.first_distribution.insert(name.to_owned(), (number, distribution.clone()));
            }
        }
    }
}

impl Replay {
    fn study(&self, study_jid: i64) -> Result<&StudyData> {
        self.studies.get(&study_jid).ok_or_else(|| Error::StudyNotFound(format!("id {}", study_jid + 1)))
    }

    fn trial(&self, trial_jid: i64) -> Result<&Arc<FrozenTrial>> {
        let (study, number) = usize::try_from(trial_jid)
            .ok()
            .and_then(|i| self.trials.get(i).copied().flatten())
            .ok_or(Error::TrialNotFound(trial_jid + 1))?;
        self.studies.get(&study).and_then(|s| s.trials.get(number as usize)).ok_or(Error::TrialNotFound(trial_jid + 1))
    }

    /// The running trial's study and number, or why it cannot change.
    fn running(&self, trial_jid: i64) -> Result<(i64, u64)> {
        let trial = self.trial(trial_jid)?;
        if trial.state != TrialState::Running {
            return Err(Error::TrialNotRunning { number: trial.number, state: trial.state });
        }
        let (study, number) = self.trials[trial_jid as usize].ok_or(Error::TrialNotFound(trial_jid + 1))?;
        Ok((study, number))
    }

    /// The trial an operation may change under Optuna's rules: it exists
    /// and has not finished.
    fn updatable(&mut self, trial_jid: i64) -> Option<(&mut StudyData, u64)> {
        let (study, number) = usize::try_from(trial_jid).ok().and_then(|i| self.trials.get(i).copied().flatten())?;
        let data = self.studies.get_mut(&study)?;
        if data.trials[number as usize].state.is_finished() {
            return None;
        }
        Some((data, number))
    }

    fn apply(&mut self, record: Record) {
        let line = self.line;
        match record {
            Record::CreateStudy { name, directions } => {
                if self.studies.values().any(|s| s.info.name == name) {
                    return;
                }
                let jid = self.next_study_id;
                self.next_study_id += 1;
                let info = StudyInfo {
                    study_id: jid + 1,
                    name,
                    directions,
                    user_attrs: Default::default(),
                    system_attrs: Default::default(),
                };
                self.studies.insert(
                    jid,
                    StudyData {
                        info,
                        trials: Vec::new(),
                        changes: ChangeLog::default(),
                        n_sampled: 0,
                        waiting: BTreeSet::new(),
                        first_distribution: HashMap::new(),
                    },
                );
            }
            Record::DeleteStudy { study_id } => {
                if let Some(study) = self.studies.remove(&study_id) {
                    for trial in &study.trials {
                        self.trials[(trial.trial_id - 1) as usize] = None;
                    }
                }
            }
            Record::SetStudyAttr { study_id, scope, key, value } => {
                if let Some(study) = self.studies.get_mut(&study_id) {
                    let map = match scope {
                        AttrScope::User => &mut study.info.user_attrs,
                        AttrScope::System => &mut study.info.system_attrs,
                    };
                    map.insert(key, value);
                }
            }
            Record::CreateTrial(created) => self.apply_create_trial(*created, line),
            Record::SetTrialParam { trial_id, name, param } => {
                let Some((study, number)) = self.updatable(trial_id) else { return };
                if let Some((_, first)) = study.first_distribution.get(&name) {
                    if first.check_compatible(&name, &param.distribution).is_err() {
                        return;
                    }
                }
                study.note_distribution(number, &name, &param.distribution);
                Arc::make_mut(&mut study.trials[number as usize]).params.insert(name, param);
                study.touch(number, line);
            }
            Record::SetTrialState { trial_id, state, values, start, complete } => {
                let Some((study, number)) = self.updatable(trial_id) else { return };
                let trial = Arc::make_mut(&mut study.trials[number as usize]);
                if state == TrialState::Running && trial.state == TrialState::Running {
                    return; // Claimed by someone else first.
                }
                if state == TrialState::Running {
                    trial.started_at_us = start;
                }
                if state.is_finished() {
                    trial.finished_at_us = complete;
                }
                trial.state = state;
                if values.is_some() {
                    trial.values = values;
                }
                if state == TrialState::Waiting {
                    study.waiting.insert(number);
                } else {
                    study.waiting.remove(&number);
                }
                study.touch(number, line);
                if state.is_finished() {
                    self.heartbeats.remove(&trial_id);
                }
            }
            Record::SetTrialIntermediate { trial_id, step, value } => {
                let Some((study, number)) = self.updatable(trial_id) else { return };
                Arc::make_mut(&mut study.trials[number as usize]).intermediate_values.insert(step, value);
                study.touch(number, line);
            }
            Record::SetTrialAttr { trial_id, scope, key, value } => {
                if self.updatable(trial_id).is_none() {
                    return;
                }
                if scope == AttrScope::System && key == HEARTBEAT_ATTR {
                    // No trial data: readers are not told.
                    if let Some(us) = value.as_i64() {
                        self.heartbeats.insert(trial_id, us);
                    }
                    return;
                }
                let mut hidden = self.hidden.remove(&trial_id).unwrap_or_default();
                if let Some((study, number)) = self.updatable(trial_id) {
                    let trial = Arc::make_mut(&mut study.trials[number as usize]);
                    match scope {
                        AttrScope::User => {
                            trial.user_attrs.insert(key, value);
                        }
                        AttrScope::System => absorb_system_attr(trial, &mut hidden, key, value),
                    }
                    study.touch(number, line);
                }
                if hidden.constraints.is_some() || hidden.constraint_names.is_some() {
                    self.hidden.insert(trial_id, hidden);
                }
            }
            Record::Skipped => {}
        }
    }

    fn apply_create_trial(&mut self, created: CreatedTrial, line: u64) {
        let Some(study) = self.studies.get_mut(&created.study_id) else { return };
        let jid = self.trials.len() as i64;
        let number = study.trials.len() as u64;
        let mut trial = FrozenTrial::new(jid + 1, number, created.state);
        trial.values = created.values;
        trial.started_at_us = created.start;
        trial.finished_at_us = created.complete;
        for (name, param) in created.params {
            study.note_distribution(number, &name, &param.distribution);
            trial.params.insert(name, param);
        }
        trial.intermediate_values = created.intermediate_values;
        trial.user_attrs = created.user_attrs.into_iter().collect();
        let mut hidden = Hidden::default();
        let mut heartbeat = None;
        for (key, value) in created.system_attrs {
            if key == HEARTBEAT_ATTR {
                heartbeat = value.as_i64();
            } else {
                absorb_system_attr(&mut trial, &mut hidden, key, value);
            }
        }
        if trial.state == TrialState::Running && trial.fixed_params.is_none() {
            study.n_sampled += 1;
        }
        if trial.state == TrialState::Waiting {
            study.waiting.insert(number);
        }
        study.trials.push(Arc::new(trial));
        study.touch(number, line);
        self.trials.push(Some((created.study_id, number)));
        if let Some(us) = heartbeat {
            self.heartbeats.insert(jid, us);
        }
        if hidden.constraints.is_some() || hidden.constraint_names.is_some() {
            self.hidden.insert(jid, hidden);
        }
    }
}

/// A system attribute read from the journal, into ferrotune's fields
/// where it has one (see the module docs).
fn absorb_system_attr(trial: &mut FrozenTrial, hidden: &mut Hidden, key: String, value: Value) {
    match key.as_str() {
        FIXED_PARAMS_ATTR => match serde_json::from_value::<BTreeMap<String, ParamValue>>(value.clone()) {
            Ok(fixed) => trial.fixed_params = Some(fixed),
            Err(_) => {
                trial.system_attrs.insert(key, value);
            }
        },
        INTERMEDIATE_VECTORS_ATTR => {
            let parsed: Option<BTreeMap<u64, Vec<f64>>> = value.as_object().and_then(|map| {
                map.iter()
                    .map(|(step, values)| {
                        let values =
                            values.as_array()?.iter().map(|v| record::float_of(v).unwrap_or(f64::NAN)).collect();
                        Some((step.parse().ok()?, values))
                    })
                    .collect()
            });
            match parsed {
                Some(vectors) => trial.intermediate_vectors = vectors,
                None => {
                    trial.system_attrs.insert(key, value);
                }
            }
        }
        CONSTRAINT_NAMES_ATTR => {
            hidden.constraint_names =
                value.as_array().and_then(|list| list.iter().map(|n| n.as_str().map(str::to_owned)).collect());
            name_constraints(trial, hidden);
        }
        CONSTRAINTS_ATTR => match value {
            Value::Array(list) => {
                hidden.constraints = Some(list);
                name_constraints(trial, hidden);
            }
            other => {
                trial.system_attrs.insert(key, other);
            }
        },
        _ => {
            trial.system_attrs.insert(key, value);
        }
    }
}

/// Optuna's list of constraints as ferrotune's named ones.
fn name_constraints(trial: &mut FrozenTrial, hidden: &Hidden) {
    let Some(list) = &hidden.constraints else { return };
    let names: Vec<String> = match &hidden.constraint_names {
        Some(names) if names.len() == list.len() => names.clone(),
        _ => (0..list.len()).map(|i| i.to_string()).collect(),
    };
    let named: Map<String, Value> = names.into_iter().zip(list.iter().cloned()).collect();
    trial.system_attrs.insert(CONSTRAINTS_ATTR.to_owned(), Value::Object(named));
}

fn directions_value(directions: &[StudyDirection]) -> Value {
    Value::Array(directions.iter().map(|d| Value::from(direction_code(*d))).collect())
}

impl Storage for JournalStorage {
    fn create_study(&self, name: &str, directions: &[StudyDirection]) -> Result<StudyInfo> {
        crate::check_new_study(name, directions)?;
        let (replay, ()) = self.write(|replay| {
            if replay.studies.values().any(|s| s.info.name == name) {
                return Err(Error::DuplicateStudy(name.to_owned()));
            }
            let line = self
                .line(op::CREATE_STUDY)
                .json("study_name", &Value::from(name))
                .json("directions", &directions_value(directions))
                .finish();
            Ok((vec![line], ()))
        })?;
        replay
            .studies
            .values()
            .find(|s| s.info.name == name)
            .map(|s| s.info.clone())
            .ok_or_else(|| Error::Storage(format!("study '{name}' was written but is not in the journal")))
    }

    fn study_by_name(&self, name: &str) -> Result<Option<StudyInfo>> {
        Ok(self.read()?.studies.values().find(|s| s.info.name == name).map(|s| s.info.clone()))
    }

    fn list_studies(&self) -> Result<Vec<StudyInfo>> {
        Ok(self.read()?.studies.values().map(|s| s.info.clone()).collect())
    }

    fn delete_study(&self, study_id: i64) -> Result<()> {
        let jid = study_id.saturating_sub(1);
        self.write_lines(|replay| {
            replay.study(jid)?;
            Ok(vec![self.line(op::DELETE_STUDY).int("study_id", jid).finish()])
        })?;
        Ok(())
    }

    fn set_study_attr(&self, study_id: i64, scope: AttrScope, key: &str, value: &AttrValue) -> Result<()> {
        let jid = study_id.saturating_sub(1);
        self.write_lines(|replay| {
            replay.study(jid)?;
            let (op_code, field) = match scope {
                AttrScope::User => (op::SET_STUDY_USER_ATTR, "user_attr"),
                AttrScope::System => (op::SET_STUDY_SYSTEM_ATTR, "system_attr"),
            };
            Ok(vec![self.line(op_code).int("study_id", jid).attr(field, key, value).finish()])
        })?;
        Ok(())
    }

    fn create_trial(&self, study_id: i64, new: NewTrial) -> Result<Option<FrozenTrial>> {
        let jid = study_id.saturating_sub(1);
        let (replay, created) = self.write(|replay| {
            let study = replay.study(jid)?;
            // Looked for under the lock, so that two processes enqueueing one
            // configuration cannot both miss each other's trial.
            if let (true, Some(fixed)) = (new.skip_if_exists, &new.fixed_params) {
                if let Some(existing) = study.trials.iter().find(|t| t.repeats_params(fixed)) {
                    return Ok((Vec::new(), Err(FrozenTrial::clone(existing))));
                }
            }
            let sampled = !new.waiting && new.fixed_params.is_none();
            if let (true, Some(max)) = (sampled, new.max_sampled_trials) {
                if study.n_sampled >= max {
                    return Ok((Vec::new(), Ok(None)));
                }
            }
            Ok((vec![self.create_line(jid, &new)], Ok(Some(replay.trials.len() as i64))))
        })?;
        match created {
            Err(existing) => Ok(Some(existing)),
            Ok(None) => Ok(None),
            Ok(Some(trial_jid)) => replay.trial(trial_jid).map(|t| Some(FrozenTrial::clone(t))),
        }
    }

    fn add_trial(&self, study_id: i64, trial: &FrozenTrial) -> Result<Arc<FrozenTrial>> {
        let jid = study_id.saturating_sub(1);
        let (replay, trial_jid) = self.write(|replay| {
            check_added_trial(trial, replay.study(jid)?.info.directions.len())?;
            Ok((vec![self.whole_trial_line(jid, trial)], replay.trials.len() as i64))
        })?;
        replay.trial(trial_jid).cloned()
    }

    fn claim_waiting_trial(&self, study_id: i64) -> Result<Option<FrozenTrial>> {
        self.claim(study_id.saturating_sub(1), false)
    }

    fn claim_waiting_trial_with_heartbeat(&self, study_id: i64) -> Result<Option<FrozenTrial>> {
        self.claim(study_id.saturating_sub(1), true)
    }

    fn claim_or_create_trial(&self, study_id: i64, new: NewTrial) -> Result<Option<FrozenTrial>> {
        match self.claim(study_id.saturating_sub(1), new.heartbeat)? {
            Some(claimed) => Ok(Some(claimed)),
            None => self.create_trial(study_id, new),
        }
    }

    fn set_trial_param(&self, trial_id: i64, name: &str, param: &TrialParam) -> Result<()> {
        self.set_trial_params(trial_id, &[(name.to_owned(), param.clone())])
    }

    fn set_trial_params(&self, trial_id: i64, params: &[(String, TrialParam)]) -> Result<()> {
        self.write_lines(|replay| self.param_lines(replay, trial_id.saturating_sub(1), params))?;
        Ok(())
    }

    fn gathers_param_writes(&self) -> bool {
        // Each write takes a file lock and an fsync.
        true
    }

    fn set_trial_intermediate_value(&self, trial_id: i64, step: u64, value: f64) -> Result<()> {
        let jid = trial_id.saturating_sub(1);
        self.write_lines(|replay| {
            replay.running(jid)?;
            let line = self
                .line(op::SET_TRIAL_INTERMEDIATE_VALUE)
                .int("trial_id", jid)
                .int("step", i64::try_from(step).unwrap_or(i64::MAX))
                .float("intermediate_value", value)
                .finish();
            Ok(vec![line])
        })?;
        Ok(())
    }

    fn set_trial_intermediate_values(&self, trial_id: i64, step: u64, values: &[f64]) -> Result<()> {
        let first = *values.first().ok_or_else(|| Error::InvalidArgument("no intermediate values given".into()))?;
        let jid = trial_id.saturating_sub(1);
        self.write_lines(|replay| {
            let trial = replay.trial(jid)?;
            replay.running(jid)?;
            let mut vectors = trial.intermediate_vectors.clone();
            vectors.insert(step, values.to_vec());
            let scalar = self
                .line(op::SET_TRIAL_INTERMEDIATE_VALUE)
                .int("trial_id", jid)
                .int("step", i64::try_from(step).unwrap_or(i64::MAX))
                .float("intermediate_value", first)
                .finish();
            let vector = self
                .line(op::SET_TRIAL_SYSTEM_ATTR)
                .int("trial_id", jid)
                .attr("system_attr", INTERMEDIATE_VECTORS_ATTR, &vectors_value(&vectors))
                .finish();
            Ok(vec![scalar, vector])
        })?;
        Ok(())
    }

    fn set_trial_attr(&self, trial_id: i64, scope: AttrScope, key: &str, value: &AttrValue) -> Result<()> {
        let jid = trial_id.saturating_sub(1);
        self.write_lines(|replay| {
            replay.running(jid)?;
            Ok(self.trial_attr_lines(jid, scope, key, value))
        })?;
        Ok(())
    }

    fn finish_trial(&self, trial_id: i64, state: TrialState, values: Option<&[f64]>) -> Result<Arc<FrozenTrial>> {
        let jid = trial_id.saturating_sub(1);
        let (replay, ()) = self.write(|replay| {
            let (study, _) = replay.running(jid)?;
            check_finish(state, values, replay.study(study)?.info.directions.len())?;
            Ok((vec![self.state_line(jid, state, values)], ()))
        })?;
        replay.trial(jid).cloned()
    }

    fn finish_known_trial(
        &self,
        known: &FrozenTrial,
        unsaved: &[(String, TrialParam)],
        state: TrialState,
        values: Option<&[f64]>,
    ) -> Result<Arc<FrozenTrial>> {
        let jid = known.trial_id.saturating_sub(1);
        let (replay, ()) = self.write(|replay| {
            let (study, _) = replay.running(jid)?;
            check_finish(state, values, replay.study(study)?.info.directions.len())?;
            let mut lines = self.param_lines(replay, jid, unsaved)?;
            lines.push(self.state_line(jid, state, values));
            Ok((lines, ()))
        })?;
        replay.trial(jid).cloned()
    }

    fn record_heartbeat(&self, trial_id: i64) -> Result<()> {
        let jid = trial_id.saturating_sub(1);
        self.write_lines(|replay| {
            replay.running(jid)?;
            Ok(vec![self.heartbeat_line(jid)])
        })?;
        Ok(())
    }

    fn fail_stale_trials(&self, study_id: i64, grace_period: Duration) -> Result<Vec<Arc<FrozenTrial>>> {
        self.fail_stale_trials_and_retry(study_id, grace_period, &|_| None)
    }

    fn count_beating_trials(&self, study_id: i64) -> Result<u64> {
        let replay = self.read()?;
        let study = replay.study(study_id.saturating_sub(1))?;
        let running = study.trials.iter().filter(|t| t.state == TrialState::Running);
        Ok(running.filter(|t| replay.heartbeats.contains_key(&(t.trial_id - 1))).count() as u64)
    }

    fn fail_stale_trials_and_retry(
        &self,
        study_id: i64,
        grace_period: Duration,
        retry: &dyn Fn(&FrozenTrial) -> Option<NewTrial>,
    ) -> Result<Vec<Arc<FrozenTrial>>> {
        let (replay, failed) =
            self.write(|replay| self.stale_lines(replay, study_id.saturating_sub(1), grace_period, retry))?;
        failed.into_iter().map(|jid| replay.trial(jid).cloned()).collect()
    }

    fn trial(&self, trial_id: i64) -> Result<FrozenTrial> {
        self.read()?.trial(trial_id.saturating_sub(1)).map(|t| FrozenTrial::clone(t))
    }

    fn trials_changed_since(&self, study_id: i64, cursor: u64) -> Result<TrialChanges> {
        let replay = self.read()?;
        let study = replay.study(study_id.saturating_sub(1))?;
        let trials = study.changes.changed_since(&study.trials, cursor);
        Ok(TrialChanges { trials, cursor: replay.line })
    }
}

impl JournalStorage {
    /// Claim the study's oldest waiting trial, stamping its first heartbeat
    /// in the same append when asked.
    fn claim(&self, study_jid: i64, heartbeat: bool) -> Result<Option<FrozenTrial>> {
        let (replay, claimed) = self.write(|replay| {
            let study = replay.study(study_jid)?;
            let Some(&number) = study.waiting.first() else { return Ok((Vec::new(), None)) };
            let jid = study.trials[number as usize].trial_id - 1;
            let mut lines = vec![self.state_line(jid, TrialState::Running, None)];
            if heartbeat {
                lines.push(self.heartbeat_line(jid));
            }
            Ok((lines, Some(jid)))
        })?;
        match claimed {
            None => Ok(None),
            Some(jid) => replay.trial(jid).map(|t| Some(FrozenTrial::clone(t))),
        }
    }
}

#[cfg(test)]
mod tests;
