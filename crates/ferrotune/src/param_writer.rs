//! Gathering a trial's suggested parameters into fewer writes.
//!
//! Writing each suggestion as it is made costs a transaction per parameter
//! (on PostgreSQL a round trip per statement and a disk flush per commit),
//! so a trial of ten parameters cost twelve writes. With a storage whose
//! writes cost ([`Storage::gathers_param_writes`]), a suggestion is kept in
//! the trial's pending list and written by whichever comes first:
//!
//! - the trial's own next write: its tell stores them in the same
//!   transaction that finishes it; a report or an attribute writes them
//!   just before itself;
//! - the study's writer thread, [`PARAM_WRITE_DELAY`] after the first
//!   pending one.
//!
//! So a running trial's parameters reach other workers' samplers (the
//! constant liar keeps parallel workers apart by them) and the dashboard
//! within that delay, however long the objective then runs without
//! reporting; and a trial that ends sooner, as a cheap objective does,
//! stores its parameters and its outcome in one write.
//!
//! Order is kept: the trial's own writes wait for a background write of its
//! parameters in flight, so a tell never finishes the trial before its
//! parameters are stored. A background write that fails is returned by the
//! trial's next call (its tell at the latest), as the suggestion's own
//! write would have been.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ferrotune_core::{Error, Result, Storage, TrialParam};

/// How long a suggestion may wait for its trial's next write before the
/// writer thread stores it. Short next to any trial worth running in
/// parallel, long next to a cheap objective's whole trial.
pub(crate) const PARAM_WRITE_DELAY: Duration = Duration::from_millis(10);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Default)]
struct PendingState {
    params: Vec<(String, TrialParam)>,
    /// Queued with the writer thread (once per batch).
    queued: bool,
    /// The writer thread is storing what it took.
    writing: bool,
    /// The writer thread's write failed; the trial's next call says so.
    failure: Option<Error>,
}

/// One trial's suggestions not stored yet.
pub(crate) struct PendingParams {
    trial_id: i64,
    state: Mutex<PendingState>,
    written: Condvar,
}

impl PendingParams {
    pub(crate) fn new(trial_id: i64) -> Arc<PendingParams> {
        Arc::new(PendingParams { trial_id, state: Mutex::default(), written: Condvar::new() })
    }

    /// Take what is pending, once any background write in flight has ended;
    /// the failure of an earlier background write comes out here instead.
    pub(crate) fn take(&self) -> Result<Vec<(String, TrialParam)>> {
        let mut state = lock(&self.state);
        while state.writing {
            state = self.written.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
        if let Some(e) = state.failure.take() {
            return Err(e);
        }
        Ok(std::mem::take(&mut state.params))
    }
}

struct Queue {
    /// Trials with pending parameters, by the time they are due.
    due: VecDeque<(Instant, Arc<PendingParams>)>,
    /// The trial whose parameters the writer thread is storing.
    writing: Option<Arc<PendingParams>>,
    /// The study is gone: write everything now and stop.
    closing: bool,
}

/// A study's writer of pending parameters: one thread, started with the
/// first suggestion that waits, stopped (after writing what is left) when
/// the study is dropped.
pub(crate) struct ParamWriter {
    storage: Arc<dyn Storage>,
    queue: Arc<(Mutex<Queue>, Condvar)>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl ParamWriter {
    pub(crate) fn new(storage: Arc<dyn Storage>) -> ParamWriter {
        ParamWriter {
            storage,
            queue: Arc::new((
                Mutex::new(Queue { due: VecDeque::new(), writing: None, closing: false }),
                Condvar::new(),
            )),
            thread: Mutex::new(None),
        }
    }

    /// Keep a suggestion for the trial's next write, or the writer's.
    pub(crate) fn add(&self, pending: &Arc<PendingParams>, name: &str, param: TrialParam) -> Result<()> {
        let mut state = lock(&pending.state);
        state.params.push((name.to_owned(), param));
        if state.queued {
            return Ok(());
        }
        state.queued = true;
        drop(state);
        self.start()?;
        let (queue, wake) = &*self.queue;
        lock(queue).due.push_back((Instant::now() + PARAM_WRITE_DELAY, pending.clone()));
        wake.notify_one();
        Ok(())
    }

    /// The suggestions of a trial of this process not stored yet, found by
    /// its id (a tell by number while the `Trial` lives on).
    pub(crate) fn take_for(&self, trial_id: i64) -> Result<Vec<(String, TrialParam)>> {
        let found = {
            let q = lock(&self.queue.0);
            q.writing.iter().chain(q.due.iter().map(|(_, p)| p)).find(|p| p.trial_id == trial_id).cloned()
        };
        match found {
            Some(pending) => pending.take(),
            None => Ok(Vec::new()),
        }
    }

    fn start(&self) -> Result<()> {
        let mut thread = lock(&self.thread);
        if thread.is_some() {
            return Ok(());
        }
        let (storage, queue) = (self.storage.clone(), self.queue.clone());
        let handle = std::thread::Builder::new()
            .name("ferrotune-params".into())
            .spawn(move || write_when_due(&*storage, &queue))
            .map_err(|e| Error::Storage(format!("cannot start the parameter writer thread: {e}")))?;
        *thread = Some(handle);
        Ok(())
    }
}

impl Drop for ParamWriter {
    fn drop(&mut self) {
        let (queue, wake) = &*self.queue;
        lock(queue).closing = true;
        wake.notify_one();
        if let Some(thread) = lock(&self.thread).take() {
            let _ = thread.join();
        }
    }
}

fn write_when_due(storage: &dyn Storage, queue: &(Mutex<Queue>, Condvar)) {
    let (queue, wake) = queue;
    loop {
        let (pending, batch) = {
            let mut q = lock(queue);
            q.writing = None;
            let pending = loop {
                let now = Instant::now();
                match q.due.front() {
                    Some(&(due, _)) if due <= now || q.closing => break q.due.pop_front().map(|(_, p)| p),
                    Some(&(due, _)) => q = wake.wait_timeout(q, due - now).unwrap_or_else(PoisonError::into_inner).0,
                    None if q.closing => return,
                    None => q = wake.wait(q).unwrap_or_else(PoisonError::into_inner),
                }
            };
            let Some(pending) = pending else { continue };
            // Taken under the queue's lock, so that `take_for` finds the
            // trial either due or being written, never in between.
            let mut state = lock(&pending.state);
            state.queued = false;
            if state.params.is_empty() {
                // The trial's own write took them first.
                continue;
            }
            state.writing = true;
            let batch = std::mem::take(&mut state.params);
            drop(state);
            q.writing = Some(pending.clone());
            (pending, batch)
        };
        let result = storage.set_trial_params(pending.trial_id, &batch);
        let mut state = lock(&pending.state);
        state.writing = false;
        if let Err(e) = result {
            state.failure.get_or_insert(e);
        }
        drop(state);
        pending.written.notify_all();
    }
}
