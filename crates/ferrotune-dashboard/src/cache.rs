//! What the dashboard knows of each study: its trials by number, kept
//! current with the storage's incremental read.
//!
//! Design decision: a request never reads every trial. The first look at a
//! study reads them once; after that each refresh asks the storage only
//! for trials changed since the last cursor (`trials_changed_since`), a
//! read that never blocks the study's writers (SQLite is opened read-only
//! in WAL mode; PostgreSQL reads in a read-only snapshot). Refreshes are
//! throttled per study, so many open pages cost one read per interval.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use ferrotune::core::Storage;
use ferrotune::{Error, FrozenTrial, Result, StudyInfo};

/// A study's trials at one moment, shared by the requests that read it.
pub struct Snapshot {
    /// The study.
    pub info: StudyInfo,
    /// Every trial, in number order.
    pub trials: Vec<Arc<FrozenTrial>>,
    /// Grows by one each time a trial is added or changes: what pages
    /// compare to know whether to redraw, and what caches key on.
    pub version: u64,
}

struct StudyCache {
    by_number: BTreeMap<u64, Arc<FrozenTrial>>,
    cursor: u64,
    snapshot: Arc<Snapshot>,
    checked: Instant,
}

/// Every study's cache.
pub struct Cache {
    storage: Arc<dyn Storage>,
    min_interval: Duration,
    studies: Mutex<HashMap<i64, Arc<Mutex<Option<StudyCache>>>>>,
}

impl Cache {
    /// A cache over `storage` that asks it for changes at most once per
    /// `min_interval` for each study.
    pub fn new(storage: Arc<dyn Storage>, min_interval: Duration) -> Self {
        Cache { storage, min_interval, studies: Mutex::new(HashMap::new()) }
    }

    /// Every study, as stored.
    pub fn list_studies(&self) -> Result<Vec<StudyInfo>> {
        self.storage.list_studies()
    }

    /// The study's trials as of now (or as of at most the interval ago).
    pub fn snapshot(&self, study_id: i64) -> Result<Arc<Snapshot>> {
        // The entry is made under the map's lock and filled under its own,
        // so requests that arrive while a large study is first read wait
        // for that read instead of each starting another.
        let entry = {
            let mut studies = self.studies.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(studies.entry(study_id).or_insert_with(|| Arc::new(Mutex::new(None))))
        };
        let mut slot = entry.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(cache) = slot.as_mut() else {
            return match self.load(study_id) {
                Ok(loaded) => {
                    let snapshot = Arc::clone(&loaded.snapshot);
                    *slot = Some(loaded);
                    Ok(snapshot)
                }
                Err(e) => {
                    drop(slot);
                    self.studies.lock().unwrap_or_else(PoisonError::into_inner).remove(&study_id);
                    Err(e)
                }
            };
        };
        Self::refresh(&self.storage, self.min_interval, study_id, cache).map_err(|e| {
            // A study deleted while watched is gone for good; any other
            // error leaves the last snapshot for next time.
            if matches!(e, Error::StudyNotFound(_)) {
                drop(slot);
                self.studies.lock().unwrap_or_else(PoisonError::into_inner).remove(&study_id);
            }
            e
        })
    }

    /// The first read of a study: every trial.
    fn load(&self, study_id: i64) -> Result<StudyCache> {
        let info = self
            .storage
            .list_studies()?
            .into_iter()
            .find(|s| s.study_id == study_id)
            .ok_or_else(|| Error::StudyNotFound(format!("no study has id {study_id}")))?;
        let changes = self.storage.trials_changed_since(study_id, 0)?;
        let by_number: BTreeMap<u64, Arc<FrozenTrial>> = changes.trials.into_iter().map(|t| (t.number, t)).collect();
        let snapshot = Arc::new(Snapshot { info, trials: by_number.values().cloned().collect(), version: 1 });
        Ok(StudyCache { by_number, cursor: changes.cursor, snapshot, checked: Instant::now() })
    }

    /// A later read: only what changed since the cursor, at most once per
    /// interval.
    fn refresh(
        storage: &Arc<dyn Storage>,
        min_interval: Duration,
        study_id: i64,
        cache: &mut StudyCache,
    ) -> Result<Arc<Snapshot>> {
        if cache.checked.elapsed() >= min_interval {
            let changes = storage.trials_changed_since(study_id, cache.cursor)?;
            cache.checked = Instant::now();
            cache.cursor = changes.cursor;
            if !changes.trials.is_empty() {
                for trial in changes.trials {
                    cache.by_number.insert(trial.number, trial);
                }
                let snapshot = Snapshot {
                    info: cache.snapshot.info.clone(),
                    trials: cache.by_number.values().cloned().collect(),
                    version: cache.snapshot.version + 1,
                };
                cache.snapshot = Arc::new(snapshot);
            }
        }
        Ok(Arc::clone(&cache.snapshot))
    }
}
