//! `ferrotune run`: each trial is a subprocess in its own process group;
//! its stdout is read for metrics, intermediate values go to the pruner,
//! and a pruned, timed-out or interrupted trial's whole group is stopped
//! (SIGTERM, then SIGKILL after the grace period).
//!
//! Interruption (Ctrl-C, SIGTERM) launches nothing new, stops running
//! children, marks their trials failed with `interrupted = true`, and
//! enqueues the same parameters again, so running the config again resumes
//! the study and re-runs exactly the trials that were cut short. The study's
//! `n_trials` counts finished trials that were not interrupted.

use std::collections::{BTreeMap, VecDeque};
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use ferrotune::core::AttrScope;
use ferrotune::{
    EnqueueOptions, FrozenTrial, Optimize, ParamValue, Study, Trial, TrialError, TrialState, RETRY_OF_ATTR,
};
use ferrotune_tensorboard::{trial_run_name, TensorBoardError, TensorBoardWriter};
use nix::unistd::Pid;

use crate::config::{fill_template, placeholders, CommandSpec, TuneConfig};
use crate::metrics::MetricParser;
use crate::output::errln;
use crate::process::{self, TrialProcess};
use crate::progress::Progress;

/// How many lines of a failed trial's output to show.
const TAIL_LINES: usize = 8;

/// Set by the signal handler: how many interrupts arrived.
static INTERRUPTS: AtomicUsize = AtomicUsize::new(0);
/// The study the handler stops; set once per process.
static HANDLER_STUDY: OnceLock<Mutex<Option<Study>>> = OnceLock::new();

fn interrupted() -> bool {
    INTERRUPTS.load(Ordering::SeqCst) > 0
}

fn install_interrupt_handler(study: &Study) {
    let slot = HANDLER_STUDY.get_or_init(|| {
        let installed = ctrlc::set_handler(|| {
            INTERRUPTS.fetch_add(1, Ordering::SeqCst);
            if let Some(study) = HANDLER_STUDY.get().and_then(|s| s.lock().ok()).and_then(|s| s.clone()) {
                study.stop();
            }
        });
        if let Err(e) = installed {
            errln!("warning: cannot handle Ctrl-C ({e}); interrupting will not clean up");
        }
        Mutex::new(None)
    });
    *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(study.clone());
}

/// System attributes the runner writes on each trial.
pub const ATTR_INTERRUPTED: &str = "interrupted";
const ATTR_HOST: &str = "worker_host";
const ATTR_PID: &str = "worker_pid";
const ATTR_LOG: &str = "log_file";

/// Output mode of `run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputMode {
    /// Progress bar on a terminal, a line per trial otherwise.
    Human,
    /// Only the final summary.
    Quiet,
    /// One JSON object per finished trial, then a summary object.
    Json,
}

/// What a finished `run` reports.
pub struct RunOutcome {
    pub study: Study,
    pub interrupted: bool,
}

fn hostname() -> String {
    nix::unistd::gethostname().ok().and_then(|h| h.into_string().ok()).unwrap_or_else(|| "unknown".into())
}

fn process_alive(pid: i32) -> bool {
    !matches!(nix::sys::signal::kill(Pid::from_raw(pid), None), Err(nix::errno::Errno::ESRCH))
}

/// Who is running a trial, if a `ferrotune run` that may still be alive
/// owns it: on this host, a process that exists; on another host, always
/// (its liveness cannot be checked from here). `None` for trials that are
/// not running or that `ask` started.
pub fn live_owner(t: &FrozenTrial) -> Option<String> {
    if t.state != TrialState::Running {
        return None;
    }
    let pid = t.system_attrs.get(ATTR_PID).and_then(|v| v.as_i64())?;
    let host = t.system_attrs.get(ATTR_HOST).and_then(|v| v.as_str()).unwrap_or("an unknown host");
    if host == hostname() {
        let alive = i32::try_from(pid).is_ok_and(|pid| pid as u32 != std::process::id() && process_alive(pid));
        alive.then(|| format!("`ferrotune run` (pid {pid})"))
    } else {
        Some(format!("`ferrotune run` (pid {pid} on host {host})"))
    }
}

/// Whether a finished trial counts toward `n_trials` (interrupted ones are
/// re-run, so they do not).
pub fn counts_as_done(t: &FrozenTrial) -> bool {
    t.state.is_finished() && t.system_attrs.get(ATTR_INTERRUPTED) != Some(&serde_json::Value::Bool(true))
}

/// How many of the study's trials count toward `n_trials`: finished ones,
/// less those that are re-run: interrupted ones, and those failed for a
/// silent heartbeat whose retry is enqueued (their numbers are in a retry's
/// `retry_history`), so a retry replaces its original one for one.
pub fn done_count(trials: &[Arc<FrozenTrial>]) -> usize {
    let retried: std::collections::HashSet<u64> = trials
        .iter()
        .filter_map(|t| t.system_attrs.get(ferrotune::RETRY_HISTORY_ATTR)?.as_array())
        .flat_map(|history| history.iter().filter_map(serde_json::Value::as_u64))
        .collect();
    trials.iter().filter(|t| counts_as_done(t) && !retried.contains(&t.number)).count()
}

/// Mark a running trial interrupted and enqueue its parameters again; the
/// caller then finishes it as failed. Returns the retry's number.
fn requeue(study: &Study, trial: &FrozenTrial) -> ferrotune::Result<u64> {
    study.storage().set_trial_attr(trial.trial_id, AttrScope::System, ATTR_INTERRUPTED, &true.into())?;
    study.retry_trial(trial.number)
}

/// Trials left running by a `ferrotune run` on this machine that has since
/// died (killed, crashed, machine rebooted) are failed and re-enqueued.
fn recover_dead_workers(study: &Study) -> ferrotune::Result<usize> {
    let host = hostname();
    let me = std::process::id() as i64;
    let mut recovered = 0;
    for t in study.trials_in(&[TrialState::Running])? {
        let same_host = t.system_attrs.get(ATTR_HOST).and_then(|v| v.as_str()) == Some(host.as_str());
        let pid = t.system_attrs.get(ATTR_PID).and_then(|v| v.as_i64());
        if let (true, Some(pid)) = (same_host, pid) {
            if pid != me && !process_alive(pid as i32) {
                let retry = requeue(study, &t)?;
                let reason =
                    format!("the worker process {pid} died while the trial was running; re-enqueued as trial {retry}");
                study.tell_number(t.number, ferrotune::TrialOutcome::Failed(reason))?;
                recovered += 1;
            }
        }
    }
    Ok(recovered)
}

/// Why a `run` ended without finishing its work.
pub enum RunFailure {
    /// The config cannot work as written (bad storage URL, a command that
    /// cannot be started): exit 2.
    Usage(String),
    /// Anything else (storage errors, vanished folders): exit 1.
    Runtime(String),
}

impl From<ferrotune::Error> for RunFailure {
    fn from(e: ferrotune::Error) -> Self {
        RunFailure::Runtime(e.to_string())
    }
}

/// Open (or create) the study a config describes, with the config's
/// hand-picked trials it does not have yet.
fn open_for_run(config: &TuneConfig) -> Result<Study, RunFailure> {
    let mut builder = Study::builder();
    if let Some(heartbeat) = config.heartbeat {
        builder = builder.heartbeat_interval(heartbeat.interval);
        if let Some(grace) = heartbeat.grace_period {
            builder = builder.grace_period(grace);
        }
        if let Some(max) = heartbeat.max_retries {
            builder = builder.max_retries(max);
        }
    }
    // The sampler is checked before the storage is opened, so a refusal
    // leaves no database behind; a storage that cannot be opened is named
    // by the setting that gave its URL (the flag, FERROTUNE_STORAGE or
    // the config's key), the one to fix.
    let usage_or_runtime = |e: ferrotune::Error, message: String| match e {
        ferrotune::Error::InvalidArgument(_) | ferrotune::Error::InvalidOption { .. } => RunFailure::Usage(message),
        _ => RunFailure::Runtime(message),
    };
    config.sampler.check_directions(&config.directions).map_err(|e| {
        let message = format!("{}: {e}", config.path.display());
        usage_or_runtime(e, message)
    })?;
    let storage = ferrotune::storage::open(&config.storage_url).map_err(|e| {
        let message = format!("{}: {e}", config.storage_origin);
        usage_or_runtime(e, message)
    })?;
    let study = builder
        .name(&config.study_name)
        .storage(storage)
        .directions(config.directions.clone())
        .sampler_arc(config.sampler.clone())
        .pruner_arc(config.pruner.clone())
        .load_if_exists(true)
        .create()
        .map_err(|e| {
            let message = format!("{}: {e}", config.path.display());
            usage_or_runtime(e, message)
        })?;
    // The metrics' names, where Optuna's `set_metric_names` keeps them, so
    // that the dashboard, plots, `export` and Python name the objectives
    // as the config does (written when they differ from what is stored).
    let names = serde_json::json!(config.metric_names);
    if study.system_attrs()?.get(ferrotune::core::METRIC_NAMES_ATTR) != Some(&names) {
        study.set_system_attr(ferrotune::core::METRIC_NAMES_ATTR, names)?;
    }
    // Every start enqueues every hand-picked trial, and the storage skips
    // those the study already has in the same write that would add them:
    // workers started together on a fresh study each run `[[enqueue]]`
    // once between them (an "is the study empty?" check first let each
    // enqueue them all), and a resumed study, or a config given a new
    // entry, gets what is missing.
    for params in &config.enqueue {
        study.enqueue_trial_with(params.clone(), EnqueueOptions { skip_if_exists: true, ..Default::default() })?;
    }
    Ok(study)
}

/// Run (or resume) the study a config describes.
pub fn run(config: &TuneConfig, mode: OutputMode, n_trials_override: Option<u64>) -> Result<RunOutcome, RunFailure> {
    let study = open_for_run(config)?;
    let recovered = recover_dead_workers(&study)?;
    let trials = study.trials()?;
    let done = done_count(&trials) as u64;
    let waiting = trials.iter().filter(|t| t.state == TrialState::Waiting).count();
    // Done trials end up as hand-picked ones plus sampled ones (retries
    // replace interrupted trials one for one), so capping sampled trials
    // at target - hand-picked makes the study stop at exactly the target,
    // however many processes run it.
    let hand_picked =
        trials.iter().filter(|t| t.is_enqueued() && !t.system_attrs.contains_key(RETRY_OF_ATTR)).count() as u64;
    let target = n_trials_override.or(config.n_trials);
    std::fs::create_dir_all(&config.log_dir)
        .map_err(|e| RunFailure::Runtime(format!("cannot create the log folder {}: {e}", config.log_dir.display())))?;
    let tensorboard = open_tensorboard(config, &trials).map_err(|e| RunFailure::Runtime(e.to_string()))?;

    let progress = Progress::new(mode, target, done, config);
    if recovered > 0 {
        progress.note(&format!("re-enqueued {recovered} trial(s) left running by a worker that died"));
    }
    if done > 0 {
        progress.note(&format!("resuming study '{}': {done} trial(s) already done", config.study_name));
    }
    if target.is_some_and(|t| done >= t) && waiting == 0 {
        progress.finish(&study);
        return Ok(RunOutcome { study, interrupted: false });
    }

    if let Err(warning) = process::start_guardian(config.grace_period) {
        progress.note(&format!("warning: {warning}; trials would outlive a killed `ferrotune run`"));
    }
    install_interrupt_handler(&study);
    let mut options = Optimize::new().n_jobs(config.n_jobs);
    if let Some(t) = target {
        options = options.max_sampled_trials(t.saturating_sub(hand_picked));
    }
    if let Some(t) = config.timeout {
        options = options.timeout(t);
    }
    let progress = Arc::new(progress);
    let on_trial = progress.clone();
    options = options.callback(move |study, trial| {
        // Monitoring is no reason to stop a study: a write that fails is said, and the run goes on.
        if let Some(Err(e)) = tensorboard.as_ref().map(|writer| writer.write_trial(trial)) {
            on_trial.note(&format!("warning: trial {} not written for TensorBoard: {e}", trial.number));
        }
        on_trial.trial_finished(study, trial);
    });
    let context = TrialContext {
        config,
        parser: MetricParser::new(config.metric_names.clone(), config.step_key.clone()),
        progress: progress.clone(),
        host: hostname(),
        database: config.database_file(),
        fatal: Mutex::new(None),
    };
    let result = study.optimize_with(options, |trial| context.run_trial(&study, trial));
    // A folder or database removed during the last trials: their results
    // went nowhere, which must not look like success.
    if let Some(vanished) = context.vanished() {
        context.fatal.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert(RunFailure::Runtime(vanished));
    }
    process::stop_guardian();
    // The handler's copy of the study would keep the database open until
    // the process ends; the caller closes it (and so checkpoints it) now.
    if let Some(slot) = HANDLER_STUDY.get() {
        *slot.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
    let was_interrupted = interrupted();
    progress.finish(&study);
    if let Some(fatal) = context.fatal.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(fatal);
    }
    result?;
    Ok(RunOutcome { study, interrupted: was_interrupted })
}

/// The TensorBoard writer of `[study] tensorboard_dir`, with the config's
/// whole search space declared (so a TensorBoard opened during the run
/// shows every parameter) and the study's finished trials that are not
/// there yet written (a study resumed with the key newly added).
pub(crate) fn open_tensorboard(
    config: &TuneConfig,
    trials: &[Arc<FrozenTrial>],
) -> Result<Option<TensorBoardWriter>, TensorBoardError> {
    let Some(dir) = &config.tensorboard_dir else { return Ok(None) };
    let writer = TensorBoardWriter::new(dir, config.metric_names.clone())?;
    writer.declare_params(config.params.iter().map(|p| (&p.name, &p.distribution)))?;
    for trial in trials {
        if !dir.join(trial_run_name(trial.number)).exists() {
            writer.write_trial(trial)?;
        }
    }
    Ok(Some(writer))
}

struct TrialContext<'a> {
    config: &'a TuneConfig,
    parser: MetricParser,
    progress: Arc<Progress>,
    host: String,
    /// The SQLite file, checked before each trial: if it was deleted, the
    /// results would go to an unlinked file and vanish.
    database: Option<PathBuf>,
    /// Set when the study cannot go on (the command cannot start, a folder
    /// vanished); the run stops and `run` returns it.
    fatal: Mutex<Option<RunFailure>>,
}

enum Event {
    /// A line of standard output.
    Line(String),
    /// A line of standard error that carries a metric (only to say, if the
    /// metric never reaches standard output, where it went).
    MetricOnStderr,
    /// Standard output (true) or standard error (false) reached its end.
    Closed { stdout: bool },
}

/// The last lines of a trial's output, for its failure message.
type Tail = Arc<Mutex<VecDeque<String>>>;

/// What following a command found.
struct Watched {
    /// Why it was stopped, or `None` if it ran to its end.
    stop: Option<Stop>,
    /// The last value of each metric.
    last: Vec<Option<f64>>,
    /// How many reports reached the pruner.
    reports: u64,
    /// Whether a metric appeared on standard error.
    metric_on_stderr: bool,
}

/// Why the monitor loop stopped the process.
enum Stop {
    Pruned,
    TimedOut,
    Interrupted,
    /// Another trial found that the study cannot go on.
    StudyStopped,
    /// The engine failed (storage); the trial fails with this.
    Error(TrialError),
}

/// The longest failure text stored on a trial; the whole output stays in
/// the trial's log.
pub const MAX_REASON_CHARS: usize = 4000;
/// The longest output line quoted in a failure's tail.
const MAX_TAIL_LINE_CHARS: usize = 300;

/// At most `max` characters of `text`, saying how much was cut.
pub fn truncate_text(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some((cut, _)) => {
            format!("{} [... {} more bytes]", text.get(..cut).unwrap_or_default(), text.len().saturating_sub(cut))
        }
    }
}

/// Seconds as a person reads them: `1.5 s`, `300 s`, `0.25 s`.
pub fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    let text = format!("{s:.3}");
    format!("{} s", text.trim_end_matches('0').trim_end_matches('.'))
}

impl TrialContext<'_> {
    /// What the run needs that was removed while it ran, if anything.
    fn vanished(&self) -> Option<String> {
        if let Some(db) = self.database.as_deref().filter(|db| !db.exists()) {
            return Some(format!(
                "the database {} was removed during the run; stopping (results written since are lost)",
                db.display()
            ));
        }
        (!self.config.log_dir.is_dir())
            .then(|| format!("the log folder {} was removed during the run; stopping", self.config.log_dir.display()))
    }

    /// Whether another trial has stopped the study for good.
    fn study_stopping(&self) -> bool {
        self.fatal.lock().unwrap_or_else(|p| p.into_inner()).is_some()
    }

    /// Whether the program's name comes from a parameter (`{launcher}
    /// train.py`, `./models/{arch}.sh`): then a missing program is one
    /// trial's problem, not the config's.
    fn program_depends_on_params(&self) -> bool {
        let first_word = match &self.config.command {
            CommandSpec::Shell(s) => s.split_whitespace().next().unwrap_or_default(),
            CommandSpec::Args(parts) => parts.first().map_or("", String::as_str),
        };
        placeholders(first_word).map_or(true, |names| !names.is_empty())
    }

    /// Stop the study because it cannot go on; the trial in hand is
    /// re-enqueued (it does not count) and `run` ends with `failure`.
    fn stop_study(&self, study: &Study, trial: &Trial, failure: RunFailure) -> TrialError {
        study.stop();
        let message = match &failure {
            RunFailure::Usage(m) | RunFailure::Runtime(m) => m.clone(),
        };
        self.fatal.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert(failure);
        match requeue(study, trial.frozen()) {
            Ok(retry) => TrialError::failed(format!("{message}; re-enqueued as trial {retry}")),
            Err(e) => TrialError::failed(format!("{message}; could not re-enqueue it: {e}")),
        }
    }

    fn run_trial(&self, study: &Study, trial: &mut Trial) -> Result<Vec<f64>, TrialError> {
        if interrupted() {
            // Asked between the interrupt and the loop noticing it.
            let retry = requeue(study, trial.frozen())?;
            return Err(TrialError::failed(format!("interrupted before it started; re-enqueued as trial {retry}")));
        }
        if let Some(vanished) = self.vanished() {
            return Err(self.stop_study(study, trial, RunFailure::Runtime(vanished)));
        }
        suggest_config_params(self.config, trial)?;
        let number = trial.number();
        let log_path = self.config.log_dir.join(format!("trial-{number}.log"));
        let params_path = self.config.log_dir.join(format!("trial-{number}.params.json"));
        trial.set_system_attr(ATTR_HOST, self.host.clone())?;
        trial.set_system_attr(ATTR_PID, std::process::id())?;
        trial.set_system_attr(ATTR_LOG, log_path.display().to_string())?;
        let params = trial.params();
        let json = serde_json::to_string_pretty(&params)
            .map_err(|e| TrialError::failed(format!("cannot write the parameters as JSON: {e}")))?;
        if let Err(e) = std::fs::write(&params_path, json) {
            let message = format!("cannot write {}: {e}", params_path.display());
            return Err(self.stop_study(study, trial, RunFailure::Runtime(message)));
        }

        self.progress.trial_started();
        let result = self.run_process(study, trial, &params, &params_path, &log_path);
        self.progress.trial_stopped();
        result.map_err(|e| match e {
            TrialError::Failed(reason) => TrialError::Failed(truncate_text(&reason, MAX_REASON_CHARS)),
            other => other,
        })
    }

    fn build_command(&self, params: &BTreeMap<String, ParamValue>, number: u64, params_path: &Path) -> Command {
        let plain = |v: &ParamValue| match v {
            ParamValue::Str(s) => s.clone(),
            other => other.to_string(),
        };
        let args: Vec<String> = params.iter().flat_map(|(k, v)| [format!("--{k}"), plain(v)]).collect();
        let fill = |template: &str, quote: bool| -> String {
            let q = |s: String| if quote { shell_quote(&s) } else { s };
            fill_template(template, |name| match name {
                "args" => args.iter().map(|a| shell_quote(a)).collect::<Vec<_>>().join(" "),
                "params_file" => q(params_path.display().to_string()),
                "trial_number" => number.to_string(),
                "study_name" => q(self.config.study_name.clone()),
                p => q(params.get(p).map(plain).unwrap_or_default()),
            })
        };
        let mut cmd = match &self.config.command {
            CommandSpec::Shell(s) => {
                let mut c = Command::new("sh");
                c.arg("-c").arg(fill(s, true));
                c
            }
            CommandSpec::Args(parts) => {
                let mut expanded: Vec<String> = Vec::new();
                for part in parts {
                    if part == "{args}" {
                        expanded.extend(args.iter().cloned());
                    } else {
                        expanded.push(fill(part, false));
                    }
                }
                // The config's check keeps `run` from being empty.
                let (program, rest) = expanded.split_first().map_or(("", &[][..]), |(p, r)| (p.as_str(), r));
                let mut c = Command::new(resolve_program(program, &self.config.workdir));
                c.args(rest);
                c
            }
        };
        cmd.current_dir(&self.config.workdir)
            .envs(&self.config.env)
            .env("FERROTUNE_TRIAL_NUMBER", number.to_string())
            .env("FERROTUNE_STUDY_NAME", &self.config.study_name)
            .env("FERROTUNE_PARAMS_FILE", params_path)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        for (name, value) in params {
            cmd.env(format!("FERROTUNE_PARAM_{}", crate::config::env_name(name)), plain(value));
        }
        cmd
    }

    fn run_process(
        &self,
        study: &Study,
        trial: &mut Trial,
        params: &BTreeMap<String, ParamValue>,
        params_path: &Path,
        log_path: &Path,
    ) -> Result<Vec<f64>, TrialError> {
        let mut cmd = self.build_command(params, trial.number(), params_path);
        let (mut process, events, tail) = self.start(study, trial, &mut cmd, log_path)?;
        let watched = self.watch(trial, &mut process, &events);
        let second_interrupt = || INTERRUPTS.load(Ordering::SeqCst) > 1;
        let Some(stop) = watched.stop else {
            // Background processes the command left behind end with it.
            let status = process.finish(self.config.grace_period, &second_interrupt);
            // `sh` exits 127 (not found) or 126 (not executable) when it
            // cannot start the command: that is the config's problem, not
            // these parameters' (unless the program's name is a parameter).
            let shell_could_not_start = matches!(self.config.command, CommandSpec::Shell(_))
                && !self.program_depends_on_params()
                && watched.reports == 0
                && status.and_then(|s| s.code()).is_some_and(|c| c == 126 || c == 127);
            if shell_could_not_start {
                let lines: Vec<String> = tail.lock().unwrap_or_else(|p| p.into_inner()).iter().cloned().collect();
                let message = format!(
                    "the shell could not start the command (exit code {}): {}; log: {}; stopping the study",
                    status.and_then(|s| s.code()).unwrap_or_default(),
                    if lines.is_empty() { "(no output)".to_owned() } else { lines.join(" / ") },
                    log_path.display()
                );
                self.progress.note(&message);
                return Err(self.stop_study(study, trial, RunFailure::Usage(message)));
            }
            return self.judge(status, &watched.last, watched.metric_on_stderr, &tail, log_path);
        };
        let grace = if second_interrupt() { Duration::ZERO } else { self.config.grace_period };
        process.finish(grace, &second_interrupt);
        Err(match stop {
            Stop::Pruned => TrialError::Pruned,
            Stop::Error(e) => e,
            Stop::StudyStopped => match requeue(study, trial.frozen()) {
                Ok(retry) => TrialError::failed(format!("stopped with the study; re-enqueued as trial {retry}")),
                Err(e) => TrialError::failed(format!("stopped with the study; could not re-enqueue it: {e}")),
            },
            Stop::TimedOut => TrialError::failed(format!(
                "timed out after {} (study.trial_timeout); log: {}",
                seconds(self.config.trial_timeout.unwrap_or_default()),
                log_path.display()
            )),
            Stop::Interrupted => {
                let retry = requeue(study, trial.frozen())?;
                TrialError::failed(format!("interrupted; re-enqueued as trial {retry}"))
            }
        })
    }

    /// Start the command with its output read into the log, the tail and
    /// the returned events.
    fn start(
        &self,
        study: &Study,
        trial: &Trial,
        cmd: &mut Command,
        log_path: &Path,
    ) -> Result<(TrialProcess, Receiver<Event>, Tail), TrialError> {
        let log = match File::create(log_path) {
            Ok(log) => Arc::new(Mutex::new(log)),
            Err(e) => {
                let message = format!("cannot create the trial log {}: {e}", log_path.display());
                return Err(self.stop_study(study, trial, RunFailure::Runtime(message)));
            }
        };
        let mut process = match TrialProcess::spawn(cmd) {
            Ok(process) => process,
            Err(e) => {
                let message = self.cannot_start(cmd, &e);
                let missing = matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied);
                if missing && self.program_depends_on_params() {
                    // Another trial's parameters may name a program that
                    // exists: only this trial fails.
                    return Err(TrialError::failed(message));
                }
                // The program never ran, so the trial says nothing about
                // its parameters: it is re-enqueued, and since every later
                // trial would fail the same way, the study stops. A missing
                // or forbidden program is the config's problem (exit 2);
                // anything else (no memory, too many processes) is the
                // machine's (exit 1).
                let message = format!("{message}; stopping the study");
                self.progress.note(&message);
                let failure = if missing { RunFailure::Usage(message) } else { RunFailure::Runtime(message) };
                return Err(self.stop_study(study, trial, failure));
            }
        };
        let tail: Tail = Arc::default();
        let (tx, rx) = mpsc::channel();
        let readers = [
            process.child_mut().stdout.take().map(|out| spawn_reader(out, log.clone(), tail.clone(), tx.clone(), None)),
            process
                .child_mut()
                .stderr
                .take()
                .map(|err| spawn_reader(err, log.clone(), tail.clone(), tx.clone(), Some(self.parser.clone()))),
        ];
        if let Some(Err(e)) = readers.iter().flatten().find(|r| r.is_err()) {
            // Dropping `process` stops the command.
            return Err(TrialError::failed(format!("cannot start a thread to read the command's output: {e}")));
        }
        for (stdout, reader) in [(true, &readers[0]), (false, &readers[1])] {
            if reader.is_none() {
                let _ = tx.send(Event::Closed { stdout });
            }
        }
        Ok((process, rx, tail))
    }

    /// Follow the running command: report its metrics, and decide whether
    /// and why to stop it, until it has exited and its output is read.
    fn watch(&self, trial: &mut Trial, process: &mut TrialProcess, events: &Receiver<Event>) -> Watched {
        let started = Instant::now();
        let mut watched = Watched {
            stop: None,
            last: vec![None; self.config.metric_names.len()],
            reports: 0,
            metric_on_stderr: false,
        };
        let mut exited_at: Option<Instant> = None;
        let (mut stdout_open, mut stderr_open) = (true, true);
        let mut exit = None;
        watched.stop = loop {
            if exit.is_none() {
                match process.exit_status() {
                    Ok(status) => exit = status,
                    Err(e) => break Some(Stop::Error(TrialError::failed(format!("cannot wait for the process: {e}")))),
                }
            }
            if exit.is_some() && !stdout_open && !stderr_open {
                break None;
            }
            if interrupted() {
                break Some(Stop::Interrupted);
            }
            if self.study_stopping() {
                break Some(Stop::StudyStopped);
            }
            if self.config.trial_timeout.is_some_and(|t| started.elapsed() >= t) {
                break Some(Stop::TimedOut);
            }
            match events.recv_timeout(Duration::from_millis(if exit.is_some() { 20 } else { 100 })) {
                Ok(Event::Line(line)) => {
                    if let Some(stop) = self.read_metrics(trial, &line, &mut watched) {
                        break Some(stop);
                    }
                }
                Ok(Event::MetricOnStderr) => watched.metric_on_stderr = true,
                Ok(Event::Closed { stdout: true }) => stdout_open = false,
                Ok(Event::Closed { stdout: false }) => stderr_open = false,
                Err(RecvTimeoutError::Disconnected) => (stdout_open, stderr_open) = (false, false),
                Err(RecvTimeoutError::Timeout) => {
                    // The process exited but a grandchild still holds its
                    // output open: stop waiting after a short grace.
                    if exit.is_some() && exited_at.get_or_insert_with(Instant::now).elapsed() > Duration::from_secs(1) {
                        (stdout_open, stderr_open) = (false, false);
                    }
                }
            }
        };
        watched
    }

    /// Take the metrics on one line of output; report them to the trial,
    /// and say whether the trial must stop.
    fn read_metrics(&self, trial: &mut Trial, line: &str, watched: &mut Watched) -> Option<Stop> {
        let m = self.parser.parse(line)?;
        for (slot, v) in watched.last.iter_mut().zip(&m.values) {
            if v.is_some() {
                *slot = *v;
            }
        }
        // One objective: every value is a report. Several: a line with all
        // of them is, so pruners compare vectors.
        let reported: Option<Vec<f64>> = match m.values.as_slice() {
            [one] => one.map(|v| vec![v]),
            many => many.iter().copied().collect(),
        };
        let values = reported?;
        let step = m.step.unwrap_or(watched.reports);
        watched.reports += 1;
        // A storage error here (a lock held too long, the trial told
        // elsewhere) still gives the program its grace period.
        match trial.report_values(step, &values).and_then(|_| trial.should_prune()) {
            Ok(true) => Some(Stop::Pruned),
            Ok(false) => None,
            Err(e) => Some(Stop::Error(e.into())),
        }
    }

    /// The outcome of a command that ran to its end.
    fn judge(
        &self,
        status: Option<ExitStatus>,
        last: &[Option<f64>],
        metric_on_stderr: bool,
        tail: &Mutex<VecDeque<String>>,
        log_path: &Path,
    ) -> Result<Vec<f64>, TrialError> {
        let show_tail = || {
            let lines: Vec<String> = tail.lock().unwrap_or_else(|p| p.into_inner()).iter().cloned().collect();
            if lines.is_empty() {
                format!("(no output); log: {}", log_path.display())
            } else {
                format!("last lines:\n    {}\n  log: {}", lines.join("\n    "), log_path.display())
            }
        };
        match status {
            Some(status) if status.success() => {}
            Some(status) => {
                let how = match (status.code(), status.signal()) {
                    (Some(code), _) => format!("the command exited with code {code}"),
                    (None, Some(sig)) => format!("the command was killed by signal {sig}"),
                    _ => "the command failed".to_owned(),
                };
                return Err(TrialError::failed(format!("{how}; {}", show_tail())));
            }
            None => return Err(TrialError::failed(format!("cannot read the command's exit status; {}", show_tail()))),
        }
        let mut values = Vec::with_capacity(last.len());
        for (name, v) in self.config.metric_names.iter().zip(last) {
            match v {
                None if metric_on_stderr => {
                    return Err(TrialError::failed(format!(
                        "the command printed the metric '{name}' on standard error, but only standard output is \
                         read: print it to stdout (in Python, print(...) rather than logging or sys.stderr); {}",
                        show_tail()
                    )))
                }
                None => {
                    return Err(TrialError::failed(format!(
                        "the command never printed the metric '{name}' on standard output; {}",
                        show_tail()
                    )))
                }
                Some(v) if v.is_nan() => {
                    return Err(TrialError::failed(format!("the metric '{name}' was NaN; {}", show_tail())))
                }
                // An infinite metric (a diverged run) completes the trial as
                // the worst value, as in the library and Optuna (issue 24).
                Some(v) => values.push(*v),
            }
        }
        Ok(values)
    }

    /// Why a command could not be started, in the user's terms.
    fn cannot_start(&self, cmd: &Command, error: &std::io::Error) -> String {
        let program = Path::new(cmd.get_program());
        let workdir = &self.config.workdir;
        let located = if program.components().count() > 1 {
            Some(workdir.join(program))
        } else {
            let path = std::env::var_os("PATH").unwrap_or_default();
            std::env::split_paths(&path).map(|dir| dir.join(program)).find(|p| p.is_file())
        };
        let why = if !workdir.is_dir() {
            format!("its working directory {} does not exist (command.workdir)", workdir.display())
        } else if let Some(file) = located.filter(|p| error.kind() == std::io::ErrorKind::NotFound && p.is_file()) {
            // execve says ENOENT for a missing `#!` interpreter too.
            let interpreter = std::fs::read(file)
                .ok()
                .and_then(|bytes| {
                    let first = bytes.split(|b| *b == b'\n').next()?.strip_prefix(b"#!")?.to_vec();
                    Some(String::from_utf8_lossy(&first).trim().to_owned())
                })
                .map_or(String::new(), |i| format!(" '{i}'"));
            format!("the interpreter{interpreter} named on its #! line was not found")
        } else {
            error.to_string()
        };
        format!("could not start the command {}: {why}", program.display())
    }
}

/// Suggest every parameter of the config whose condition holds, in order
/// (a conditional parameter comes after the one it depends on).
pub fn suggest_config_params(config: &TuneConfig, trial: &mut Trial) -> ferrotune::Result<()> {
    for spec in &config.params {
        if let Some((parent, values)) = &spec.when {
            // The config checked that every condition names a parameter.
            let Some(parent_spec) = config.param(parent) else { continue };
            let Some(current) = trial.frozen().params.get(parent).map(|p| p.internal) else { continue };
            let on = values.iter().any(|v| parent_spec.distribution.to_internal(parent, v).is_ok_and(|i| i == current));
            if !on {
                continue;
            }
        }
        trial.suggest(&spec.name, spec.distribution.clone())?;
    }
    Ok(())
}

/// Relative program paths are relative to the working directory, as a
/// shell would read them; bare names are looked up on PATH.
fn resolve_program(program: &str, workdir: &Path) -> PathBuf {
    if program.contains('/') && !Path::new(program).is_absolute() {
        workdir.join(program)
    } else {
        PathBuf::from(program)
    }
}

/// Quote for POSIX sh: safe characters pass through, everything else is
/// single-quoted.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.,:/=+@%".contains(c)) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The longest part of one output line kept in memory (for the metric
/// parser and the failure's tail); the log gets every byte. A program that
/// writes gigabytes without a newline must not exhaust the runner's memory.
const MAX_LINE_BYTES: usize = 64 * 1024;

/// Read one line into `line` (at most [`MAX_LINE_BYTES`] of it), writing
/// every byte to `log`. Returns `None` at the end of the stream, otherwise
/// whether the line ended with a newline.
fn read_line_bounded(reader: &mut impl BufRead, line: &mut Vec<u8>, log: &Mutex<File>) -> Option<bool> {
    line.clear();
    let mut read_any = false;
    loop {
        let chunk = match reader.fill_buf() {
            Ok([]) => return read_any.then_some(false),
            Ok(chunk) => chunk,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return read_any.then_some(false),
        };
        read_any = true;
        let (part, done) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (chunk.get(..=i).unwrap_or(chunk), true),
            None => (chunk, false),
        };
        let _ = log.lock().unwrap_or_else(|p| p.into_inner()).write_all(part);
        let room = MAX_LINE_BYTES.saturating_sub(line.len());
        line.extend_from_slice(part.get(..room.min(part.len())).unwrap_or_default());
        let used = part.len();
        reader.consume(used);
        if done {
            return Some(true);
        }
    }
}

fn spawn_reader<R: std::io::Read + Send + 'static>(
    stream: R,
    log: Arc<Mutex<File>>,
    tail: Arc<Mutex<VecDeque<String>>>,
    events: mpsc::Sender<Event>,
    stderr_parser: Option<MetricParser>,
) -> std::io::Result<()> {
    let is_stdout = stderr_parser.is_none();
    let name = if is_stdout { "trial-stdout" } else { "trial-stderr" };
    std::thread::Builder::new().name(name.into()).spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut buf = Vec::new();
        while let Some(ended_with_newline) = read_line_bounded(&mut reader, &mut buf, &log) {
            let line = String::from_utf8_lossy(&buf).trim_end_matches(['\n', '\r']).to_owned();
            if !ended_with_newline {
                // The log's lines end with a newline even where the
                // program's last one did not.
                let _ = log.lock().unwrap_or_else(|p| p.into_inner()).write_all(b"\n");
            }
            {
                let mut tail = tail.lock().unwrap_or_else(|p| p.into_inner());
                if tail.len() == TAIL_LINES {
                    tail.pop_front();
                }
                tail.push_back(truncate_text(&line, MAX_TAIL_LINE_CHARS));
            }
            let event = match &stderr_parser {
                None => Some(Event::Line(line)),
                Some(parser) => parser.parse(&line).map(|_| Event::MetricOnStderr),
            };
            if let Some(event) = event {
                let _ = events.send(event);
            }
        }
        let _ = events.send(Event::Closed { stdout: is_stdout });
    })?;
    Ok(())
}

/// Whether `--yes`-less deletion may proceed: the user typed the name.
pub fn confirm(prompt: &str, expected: &str) -> bool {
    crate::output::stderr_text(prompt);
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).is_ok() && answer.trim() == expected
}
