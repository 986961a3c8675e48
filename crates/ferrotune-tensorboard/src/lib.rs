//! A study's trials as TensorBoard HParams summaries, so that
//! `tensorboard --logdir DIR` lists every trial's hyperparameters and
//! metrics in its HPARAMS tab (what Optuna's `TensorBoardCallback` gives).
//!
//! The layout is TensorBoard's hparams convention: the experiment (each
//! hyperparameter's domain, from the study's distributions, and the metric
//! names) in an event file at the top of the folder, and each finished trial
//! in a run folder of its own, `trial-N`, holding its session start (the
//! hyperparameter values), one scalar per objective, and its session end
//! (the status). A trial's file is written whole when the trial has
//! finished, under a temporary name then renamed, so TensorBoard never reads
//! half a trial; writing a trial again replaces its file.
//!
//! This is an exporter, not a storage: it reads finished trials and writes
//! files, and nothing reads them back but TensorBoard. The encoding is pure
//! (`hparams.rs`, `proto.rs`, `record.rs`); [`TensorBoardWriter`] is the I/O.

mod hparams;
mod proto;
mod record;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use ferrotune_core::{Distribution, FrozenTrial, TrialState};

use hparams::{Domain, SessionStatus};

/// What went wrong writing TensorBoard files.
#[derive(Debug, thiserror::Error)]
pub enum TensorBoardError {
    /// A file or folder could not be written.
    #[error("cannot write TensorBoard files in {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The metric names or a trial do not fit the study.
    #[error("{0}")]
    InvalidArgument(String),
}

type Result<T> = std::result::Result<T, TensorBoardError>;

/// The text every file this writer makes carries in its name, so that
/// rewriting a trial or the experiment removes only files of ours.
const OUR_MARK: &str = ".ferrotune.";

/// The default metric names of a study with `n_objectives` objectives:
/// Optuna's column names in `trials_dataframe` (`value`, or `values_0`, ...).
pub fn default_metric_names(n_objectives: usize) -> Vec<String> {
    match n_objectives {
        1 => vec!["value".to_owned()],
        n => (0..n).map(|i| format!("values_{i}")).collect(),
    }
}

/// The run folder of a trial, relative to the log folder (Optuna's name).
pub fn trial_run_name(number: u64) -> String {
    format!("trial-{number}")
}

/// Writes a study's trials into one TensorBoard log folder. Safe to share
/// between threads: trials go to folders of their own, and the experiment
/// summary is rewritten under a lock.
pub struct TensorBoardWriter {
    dir: PathBuf,
    metric_names: Vec<String>,
    experiment: Mutex<Experiment>,
}

/// What the experiment summary declares, and whether it is on disk.
#[derive(Default)]
struct Experiment {
    domains: BTreeMap<String, Domain>,
    written: bool,
}

impl TensorBoardWriter {
    /// A writer into `dir` (created if missing), naming the study's
    /// objectives `metric_names`, one per objective, distinct and not empty.
    pub fn new(dir: impl Into<PathBuf>, metric_names: Vec<String>) -> Result<Self> {
        let dir = dir.into();
        if metric_names.is_empty() {
            return Err(TensorBoardError::InvalidArgument("give at least one metric name".into()));
        }
        if let Some(empty) = metric_names.iter().position(|n| n.trim().is_empty()) {
            return Err(TensorBoardError::InvalidArgument(format!("metric name {empty} is empty")));
        }
        for (i, name) in metric_names.iter().enumerate() {
            if metric_names[..i].contains(name) {
                return Err(TensorBoardError::InvalidArgument(format!(
                    "the metric name {name:?} is given twice: each objective needs a name of its own"
                )));
            }
        }
        std::fs::create_dir_all(&dir).map_err(|source| TensorBoardError::Io { path: dir.clone(), source })?;
        Ok(TensorBoardWriter { dir, metric_names, experiment: Mutex::new(Experiment::default()) })
    }

    /// The log folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The metric names, one per objective.
    pub fn metric_names(&self) -> &[String] {
        &self.metric_names
    }

    /// Declare these parameters in the experiment summary (widening ranges
    /// already declared) and write it if that changed it. Called with the
    /// whole search space before the first trial when it is known (a config
    /// file, the trials of a study being resumed), so that a TensorBoard
    /// already open sees every parameter: it keeps the first experiment
    /// summary it reads until it is restarted.
    pub fn declare_params<'a>(&self, space: impl IntoIterator<Item = (&'a String, &'a Distribution)>) -> Result<()> {
        let mut experiment = self.experiment.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut changed = !experiment.written;
        for (name, distribution) in space {
            let domain = Domain::of(distribution);
            match experiment.domains.get_mut(name) {
                Some(known) => changed |= known.absorb(domain),
                None => {
                    experiment.domains.insert(name.clone(), domain);
                    changed = true;
                }
            }
        }
        if changed {
            self.write_experiment(&experiment.domains)?;
            experiment.written = true;
        }
        Ok(())
    }

    /// Write a finished trial (complete, pruned or failed) as a run of its
    /// own; running and waiting trials are skipped (returns `false`). A
    /// complete trial has one value per metric; a pruned one its values if
    /// it has them (the last intermediate value); a failed one none. Its
    /// parameters are declared in the experiment first.
    pub fn write_trial(&self, trial: &FrozenTrial) -> Result<bool> {
        let status = match trial.state {
            TrialState::Complete => SessionStatus::Success,
            // TensorBoard's statuses have no "stopped early": a pruned trial
            // did not run to the end, and its value is a partial one.
            TrialState::Pruned | TrialState::Failed => SessionStatus::Failure,
            TrialState::Running | TrialState::Waiting => return Ok(false),
        };
        let values: &[f64] = match (trial.state, trial.values.as_deref()) {
            (TrialState::Failed, _) => &[],
            (_, Some(values)) if values.len() == self.metric_names.len() => values,
            (TrialState::Pruned, _) => &[],
            (_, values) => {
                return Err(TensorBoardError::InvalidArgument(format!(
                    "trial {} has {} value(s) but {} metric name(s) were given ({})",
                    trial.number,
                    values.map_or(0, <[f64]>::len),
                    self.metric_names.len(),
                    self.metric_names.join(", ")
                )))
            }
        };
        self.declare_params(trial.params.iter().map(|(name, p)| (name, &p.distribution)))?;

        let started = trial.started_at_us.map(|us| us as f64 / 1e6);
        let finished = trial.finished_at_us.map(|us| us as f64 / 1e6);
        let start = started.or(finished).unwrap_or_else(now);
        let end = finished.unwrap_or(start);
        let hparams: Vec<_> = trial
            .params
            .iter()
            .map(|(name, p)| (name.clone(), hparams::hparam_value(&p.distribution, &p.value())))
            .collect();
        let mut events = vec![hparams::file_version_event(start), hparams::session_start_event(start, &hparams)];
        // At the trial's number as step, as Optuna's callback writes it.
        for (name, &value) in self.metric_names.iter().zip(values) {
            events.push(hparams::scalar_event(end, trial.number, name, value));
        }
        events.push(hparams::session_end_event(end, status));

        let run_dir = self.dir.join(trial_run_name(trial.number));
        let file_name = format!("events.out.tfevents.{}{OUR_MARK}trial-{}", start as u64, trial.number);
        write_event_file(&run_dir, &file_name, &events)?;
        Ok(true)
    }

    /// Write a whole study: its parameters declared from every trial, then
    /// each finished trial. Returns how many trials were written.
    pub fn write_trials<'a>(&self, trials: impl IntoIterator<Item = &'a FrozenTrial> + Clone) -> Result<usize> {
        self.declare_params(
            trials.clone().into_iter().flat_map(|t| t.params.iter().map(|(n, p)| (n, &p.distribution))),
        )?;
        let mut written = 0;
        for trial in trials {
            written += usize::from(self.write_trial(trial)?);
        }
        Ok(written)
    }

    fn write_experiment(&self, domains: &BTreeMap<String, Domain>) -> Result<()> {
        let time = now();
        let events = [hparams::file_version_event(time), hparams::experiment_event(time, domains, &self.metric_names)];
        // A later name than the file it replaces, so a TensorBoard reading
        // the folder moves on to it.
        let file_name = format!("events.out.tfevents.{}{OUR_MARK}experiment", time as u64);
        write_event_file(&self.dir, &file_name, &events)
    }
}

fn now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

/// Write `events` as one event file `name` in `dir`, replacing the files of
/// ours already there: under a temporary name first (without "tfevents",
/// which TensorBoard looks for), then renamed, so no reader sees it half
/// written.
fn write_event_file(dir: &Path, name: &str, events: &[Vec<u8>]) -> Result<()> {
    let io_error = |path: &Path| {
        let path = path.to_owned();
        move |source| TensorBoardError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    let mut bytes = Vec::new();
    for event in events {
        record::push_record(&mut bytes, event);
    }
    let temporary = dir.join(format!(".{name}.partial").replace("tfevents", "events"));
    std::fs::write(&temporary, &bytes).map_err(io_error(&temporary))?;
    let path = dir.join(name);
    std::fs::rename(&temporary, &path).map_err(io_error(&path))?;
    // The kind of file just written (a trial's, the experiment) appears once.
    let kind = &name[name.find(OUR_MARK).unwrap_or(0)..];
    for entry in std::fs::read_dir(dir).map_err(io_error(dir))? {
        let entry = entry.map_err(io_error(dir))?;
        let other = entry.file_name();
        let Some(other) = other.to_str() else { continue };
        if other != name && other.starts_with("events.out.tfevents.") && other.ends_with(kind) {
            std::fs::remove_file(entry.path()).map_err(io_error(&entry.path()))?;
        }
    }
    Ok(())
}
