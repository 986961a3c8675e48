//! In-memory storage: the fastest backend, for one process.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferrotune_core::{
    AttrScope, AttrValue, Error, FrozenTrial, NewTrial, Result, Storage, StudyDirection, StudyInfo, TrialChanges,
    TrialParam, TrialState, FAIL_REASON_ATTR,
};

use crate::change_log::ChangeLog;
use crate::{check_added_trial, check_finish, now_us, stale_heartbeat_reason};

/// Studies and trials held in memory behind one mutex. Every operation is a
/// short critical section, so contention stays low even with many threads.
#[derive(Default)]
pub struct InMemoryStorage {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    studies: BTreeMap<i64, StudyData>,
    /// (study_id, number) by trial_id - 1; ids are handed out densely.
    trial_index: Vec<(i64, u64)>,
    next_study_id: i64,
    next_trial_id: i64,
    /// Last heartbeat of each trial that has one, by trial id.
    heartbeats: HashMap<i64, i64>,
}

struct StudyData {
    info: StudyInfo,
    /// Trials by number. Copy-on-write: a reader holding an older snapshot
    /// keeps it; a write copies only if someone does.
    trials: Vec<Arc<FrozenTrial>>,
    /// Which trials each write changed, numbered by `change_seq`.
    changes: ChangeLog,
    change_seq: u64,
    n_sampled: u64,
    /// Numbers of waiting trials, so claiming one is not a scan.
    waiting: BTreeSet<u64>,
}

impl StudyData {
    fn touch(&mut self, number: u64) {
        self.change_seq += 1;
        self.changes.record(number, self.change_seq);
    }

    /// The trial with this number, for writing.
    fn trial_mut(&mut self, number: u64) -> &mut FrozenTrial {
        Arc::make_mut(&mut self.trials[number as usize])
    }
}

impl InMemoryStorage {
    /// An empty storage.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a half-written trial:
        // every mutation below is completed before anything can panic.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Inner {
    fn locate(&self, trial_id: i64) -> Result<(i64, u64)> {
        usize::try_from(trial_id - 1)
            .ok()
            .and_then(|i| self.trial_index.get(i).copied())
            .ok_or(Error::TrialNotFound(trial_id))
    }

    fn study(&mut self, study_id: i64) -> Result<&mut StudyData> {
        self.studies.get_mut(&study_id).ok_or_else(|| Error::StudyNotFound(format!("id {study_id}")))
    }

    /// The running trial with this id, for modification.
    fn running_trial(&mut self, trial_id: i64) -> Result<(&mut StudyData, u64)> {
        let (study_id, number) = self.locate(trial_id)?;
        let study = self.study(study_id)?;
        let trial = &study.trials[number as usize];
        if trial.state != TrialState::Running {
            return Err(Error::TrialNotRunning { number, state: trial.state });
        }
        Ok((study, number))
    }
}

impl Storage for InMemoryStorage {
    fn create_study(&self, name: &str, directions: &[StudyDirection]) -> Result<StudyInfo> {
        crate::check_new_study(name, directions)?;
        let mut inner = self.lock();
        if inner.studies.values().any(|s| s.info.name == name) {
            return Err(Error::DuplicateStudy(name.to_owned()));
        }
        inner.next_study_id += 1;
        let info = StudyInfo {
            study_id: inner.next_study_id,
            name: name.to_owned(),
            directions: directions.to_vec(),
            user_attrs: BTreeMap::new(),
            system_attrs: BTreeMap::new(),
        };
        let data = StudyData {
            info: info.clone(),
            trials: Vec::new(),
            changes: ChangeLog::default(),
            change_seq: 0,
            n_sampled: 0,
            waiting: BTreeSet::new(),
        };
        inner.studies.insert(info.study_id, data);
        Ok(info)
    }

    fn study_by_name(&self, name: &str) -> Result<Option<StudyInfo>> {
        Ok(self.lock().studies.values().find(|s| s.info.name == name).map(|s| s.info.clone()))
    }

    fn list_studies(&self) -> Result<Vec<StudyInfo>> {
        Ok(self.lock().studies.values().map(|s| s.info.clone()).collect())
    }

    fn delete_study(&self, study_id: i64) -> Result<()> {
        let mut inner = self.lock();
        let study = inner.studies.remove(&study_id).ok_or_else(|| Error::StudyNotFound(format!("id {study_id}")))?;
        for t in &study.trials {
            // Ids are never reused; a tombstone makes later lookups fail.
            inner.trial_index[(t.trial_id - 1) as usize] = (0, 0);
        }
        Ok(())
    }

    fn set_study_attr(&self, study_id: i64, scope: AttrScope, key: &str, value: &AttrValue) -> Result<()> {
        let mut inner = self.lock();
        let info = &mut inner.study(study_id)?.info;
        let map = match scope {
            AttrScope::User => &mut info.user_attrs,
            AttrScope::System => &mut info.system_attrs,
        };
        map.insert(key.to_owned(), value.clone());
        Ok(())
    }

    fn create_trial(&self, study_id: i64, new: NewTrial) -> Result<Option<FrozenTrial>> {
        let mut inner = self.lock();
        // Looked for under the same lock as the insert below, so two threads
        // enqueueing one configuration cannot both miss each other's trial.
        if let (true, Some(fixed)) = (new.skip_if_exists, &new.fixed_params) {
            if let Some(existing) = inner.study(study_id)?.trials.iter().find(|t| t.repeats_params(fixed)) {
                return Ok(Some(FrozenTrial::clone(existing)));
            }
        }
        inner.next_trial_id += 1;
        let trial_id = inner.next_trial_id;
        let study = inner.study(study_id)?;
        let enqueued = new.fixed_params.is_some();
        if !enqueued {
            if let Some(max) = new.max_sampled_trials {
                if study.n_sampled >= max {
                    return Ok(None);
                }
            }
            study.n_sampled += 1;
        }
        let number = study.trials.len() as u64;
        let trial = FrozenTrial {
            trial_id,
            number,
            state: if new.waiting { TrialState::Waiting } else { TrialState::Running },
            values: None,
            params: Default::default(),
            intermediate_values: new.intermediate_values,
            intermediate_vectors: Default::default(),
            user_attrs: new.user_attrs,
            system_attrs: new.system_attrs,
            fixed_params: new.fixed_params,
            started_at_us: (!new.waiting).then(now_us),
            finished_at_us: None,
        };
        if new.waiting {
            study.waiting.insert(number);
        }
        study.trials.push(Arc::new(trial.clone()));
        study.touch(number);
        inner.trial_index.push((study_id, number));
        if new.heartbeat && !new.waiting {
            inner.heartbeats.insert(trial_id, now_us());
        }
        Ok(Some(trial))
    }

    fn add_trial(&self, study_id: i64, trial: &FrozenTrial) -> Result<Arc<FrozenTrial>> {
        let mut inner = self.lock();
        check_added_trial(trial, inner.study(study_id)?.info.directions.len())?;
        inner.next_trial_id += 1;
        let trial_id = inner.next_trial_id;
        let study = inner.study(study_id)?;
        let number = study.trials.len() as u64;
        let added = Arc::new(FrozenTrial { trial_id, number, ..trial.clone() });
        if added.state == TrialState::Waiting {
            study.waiting.insert(number);
        }
        study.trials.push(added.clone());
        study.touch(number);
        inner.trial_index.push((study_id, number));
        Ok(added)
    }

    fn claim_waiting_trial(&self, study_id: i64) -> Result<Option<FrozenTrial>> {
        let mut inner = self.lock();
        let study = inner.study(study_id)?;
        let Some(number) = study.waiting.pop_first() else {
            return Ok(None);
        };
        let trial = study.trial_mut(number);
        trial.state = TrialState::Running;
        trial.started_at_us = Some(now_us());
        let claimed = trial.clone();
        study.touch(number);
        Ok(Some(claimed))
    }

    fn set_trial_param(&self, trial_id: i64, name: &str, param: &TrialParam) -> Result<()> {
        let mut inner = self.lock();
        let (study, number) = inner.running_trial(trial_id)?;
        study.trial_mut(number).params.insert(name.to_owned(), param.clone());
        study.touch(number);
        Ok(())
    }

    fn set_trial_intermediate_value(&self, trial_id: i64, step: u64, value: f64) -> Result<()> {
        let mut inner = self.lock();
        let (study, number) = inner.running_trial(trial_id)?;
        study.trial_mut(number).intermediate_values.insert(step, value);
        study.touch(number);
        Ok(())
    }

    fn set_trial_intermediate_values(&self, trial_id: i64, step: u64, values: &[f64]) -> Result<()> {
        let first = *values.first().ok_or_else(|| Error::InvalidArgument("no intermediate values given".into()))?;
        let mut inner = self.lock();
        let (study, number) = inner.running_trial(trial_id)?;
        let trial = study.trial_mut(number);
        trial.intermediate_values.insert(step, first);
        trial.intermediate_vectors.insert(step, values.to_vec());
        study.touch(number);
        Ok(())
    }

    fn set_trial_attr(&self, trial_id: i64, scope: AttrScope, key: &str, value: &AttrValue) -> Result<()> {
        let mut inner = self.lock();
        let (study, number) = inner.running_trial(trial_id)?;
        let trial = study.trial_mut(number);
        let map = match scope {
            AttrScope::User => &mut trial.user_attrs,
            AttrScope::System => &mut trial.system_attrs,
        };
        map.insert(key.to_owned(), value.clone());
        study.touch(number);
        Ok(())
    }

    fn finish_trial(&self, trial_id: i64, state: TrialState, values: Option<&[f64]>) -> Result<Arc<FrozenTrial>> {
        let mut inner = self.lock();
        let (study, number) = inner.running_trial(trial_id)?;
        check_finish(state, values, study.info.directions.len())?;
        let trial = study.trial_mut(number);
        trial.state = state;
        trial.values = values.map(<[f64]>::to_vec);
        trial.finished_at_us = Some(now_us());
        study.touch(number);
        Ok(study.trials[number as usize].clone())
    }

    fn record_heartbeat(&self, trial_id: i64) -> Result<()> {
        let mut inner = self.lock();
        inner.running_trial(trial_id)?;
        inner.heartbeats.insert(trial_id, now_us());
        Ok(())
    }

    fn count_beating_trials(&self, study_id: i64) -> Result<u64> {
        let mut inner = self.lock();
        let Inner { studies, heartbeats, .. } = &mut *inner;
        let study = studies.get(&study_id).ok_or_else(|| Error::StudyNotFound(format!("id {study_id}")))?;
        let running = study.trials.iter().filter(|t| t.state == TrialState::Running);
        Ok(running.filter(|t| heartbeats.contains_key(&t.trial_id)).count() as u64)
    }

    fn fail_stale_trials(&self, study_id: i64, grace_period: Duration) -> Result<Vec<Arc<FrozenTrial>>> {
        let mut inner = self.lock();
        let now = now_us();
        let grace_us = i64::try_from(grace_period.as_micros()).unwrap_or(i64::MAX);
        let Inner { studies, heartbeats, .. } = &mut *inner;
        let study = studies.get_mut(&study_id).ok_or_else(|| Error::StudyNotFound(format!("id {study_id}")))?;
        let stale: Vec<(u64, i64)> = study
            .trials
            .iter()
            .filter(|t| t.state == TrialState::Running)
            .filter_map(|t| heartbeats.get(&t.trial_id).map(|&beat| (t.number, now - beat)))
            .filter(|&(_, silent)| silent > grace_us)
            .collect();
        let mut failed = Vec::with_capacity(stale.len());
        for (number, silent) in stale {
            let trial = study.trial_mut(number);
            trial.state = TrialState::Failed;
            trial.finished_at_us = Some(now);
            let reason = stale_heartbeat_reason(silent, grace_period);
            trial.system_attrs.insert(FAIL_REASON_ATTR.to_owned(), AttrValue::from(reason));
            study.touch(number);
            failed.push(study.trials[number as usize].clone());
        }
        Ok(failed)
    }

    fn trial(&self, trial_id: i64) -> Result<FrozenTrial> {
        let mut inner = self.lock();
        let (study_id, number) = inner.locate(trial_id)?;
        Ok((*inner.study(study_id)?.trials[number as usize]).clone())
    }

    fn trials_changed_since(&self, study_id: i64, cursor: u64) -> Result<TrialChanges> {
        let mut inner = self.lock();
        let study = inner.study(study_id)?;
        let trials = study.changes.changed_since(&study.trials, cursor);
        Ok(TrialChanges { trials, cursor: study.change_seq })
    }
}
