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
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use ferrotune::core::AttrScope;
use ferrotune::{FrozenTrial, Optimize, ParamValue, Study, Trial, TrialError, TrialState, RETRY_OF_ATTR};
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

use crate::config::{placeholders, CommandSpec, TuneConfig};
use crate::metrics::MetricParser;
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
            eprintln!("warning: cannot handle Ctrl-C ({e}); interrupting will not clean up");
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

/// Whether a finished trial counts toward `n_trials` (interrupted ones are
/// re-run, so they do not).
pub fn counts_as_done(t: &FrozenTrial) -> bool {
    t.state.is_finished() && t.system_attrs.get(ATTR_INTERRUPTED) != Some(&serde_json::Value::Bool(true))
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

/// Run (or resume) the study a config describes.
pub fn run(config: &TuneConfig, mode: OutputMode, n_trials_override: Option<u64>) -> Result<RunOutcome, String> {
    let study = Study::builder()
        .name(&config.study_name)
        .storage_url(&config.storage_url)
        .directions(config.directions.clone())
        .sampler_arc(config.sampler.clone())
        .pruner_arc(config.pruner.clone())
        .load_if_exists(true)
        .create()
        .map_err(|e| format!("{}: {e}", config.path.display()))?;
    if study.trials().map_err(|e| e.to_string())?.is_empty() {
        for params in &config.enqueue {
            study.enqueue_trial(params.clone()).map_err(|e| e.to_string())?;
        }
    }
    let recovered = recover_dead_workers(&study).map_err(|e| e.to_string())?;
    let trials = study.trials().map_err(|e| e.to_string())?;
    let done = trials.iter().filter(|t| counts_as_done(t)).count() as u64;
    let waiting = trials.iter().filter(|t| t.state == TrialState::Waiting).count();
    // Done trials end up as hand-picked ones plus sampled ones (retries
    // replace interrupted trials one for one), so capping sampled trials
    // at target - hand-picked makes the study stop at exactly the target,
    // however many processes run it.
    let hand_picked =
        trials.iter().filter(|t| t.is_enqueued() && !t.system_attrs.contains_key(RETRY_OF_ATTR)).count() as u64;
    let target = n_trials_override.or(config.n_trials);
    std::fs::create_dir_all(&config.log_dir)
        .map_err(|e| format!("cannot create the log folder {}: {e}", config.log_dir.display()))?;

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
    options = options.callback(move |study, trial| on_trial.trial_finished(study, trial));
    let context = TrialContext {
        config,
        parser: MetricParser::new(config.metric_names.clone(), config.step_key.clone()),
        progress: progress.clone(),
        host: hostname(),
    };
    let result = study.optimize_with(options, |trial| context.run_trial(&study, trial));
    let was_interrupted = interrupted();
    progress.finish(&study);
    result.map_err(|e| e.to_string())?;
    Ok(RunOutcome { study, interrupted: was_interrupted })
}

struct TrialContext<'a> {
    config: &'a TuneConfig,
    parser: MetricParser,
    progress: Arc<Progress>,
    host: String,
}

enum Event {
    /// A line of standard output.
    Line(String),
    /// Standard output (true) or standard error (false) reached its end.
    Closed { stdout: bool },
}

/// Why the monitor loop stopped the process.
enum Stop {
    Pruned,
    TimedOut,
    Interrupted,
}

impl TrialContext<'_> {
    fn run_trial(&self, study: &Study, trial: &mut Trial) -> Result<Vec<f64>, TrialError> {
        if interrupted() {
            // Asked between the interrupt and the loop noticing it.
            let retry = requeue(study, trial.frozen())?;
            return Err(TrialError::failed(format!("interrupted before it started; re-enqueued as trial {retry}")));
        }
        suggest_config_params(self.config, trial)?;
        let number = trial.number();
        let log_path = self.config.log_dir.join(format!("trial-{number}.log"));
        let params_path = self.config.log_dir.join(format!("trial-{number}.params.json"));
        trial.set_system_attr(ATTR_HOST, self.host.clone())?;
        trial.set_system_attr(ATTR_PID, std::process::id())?;
        trial.set_system_attr(ATTR_LOG, log_path.display().to_string())?;
        let params = trial.params();
        let json = serde_json::to_string_pretty(&params).expect("params serialize");
        std::fs::write(&params_path, json)
            .map_err(|e| TrialError::failed(format!("cannot write {}: {e}", params_path.display())))?;

        self.progress.trial_started();
        let result = self.run_process(study, trial, &params, &params_path, &log_path);
        self.progress.trial_stopped();
        result
    }

    fn build_command(&self, params: &BTreeMap<String, ParamValue>, number: u64, params_path: &Path) -> Command {
        let plain = |v: &ParamValue| match v {
            ParamValue::Str(s) => s.clone(),
            other => other.to_string(),
        };
        let args: Vec<String> = params.iter().flat_map(|(k, v)| [format!("--{k}"), plain(v)]).collect();
        let fill = |template: &str, quote: bool| -> String {
            let q = |s: String| if quote { shell_quote(&s) } else { s };
            let mut out = template.replace("{{", "\u{0}").replace("}}", "\u{1}");
            for name in placeholders(template).unwrap_or_default() {
                let value = match name.as_str() {
                    "args" => args.iter().map(|a| shell_quote(a)).collect::<Vec<_>>().join(" "),
                    "params_file" => q(params_path.display().to_string()),
                    "trial_number" => number.to_string(),
                    "study_name" => q(self.config.study_name.clone()),
                    p => q(params.get(p).map(plain).unwrap_or_default()),
                };
                out = out.replacen(&format!("{{{name}}}"), &value, 1);
            }
            out.replace('\u{0}', "{").replace('\u{1}', "}")
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
                let mut c = Command::new(resolve_program(&expanded[0], &self.config.workdir));
                c.args(&expanded[1..]);
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
            cmd.env(format!("FERROTUNE_PARAM_{}", env_name(name)), plain(value));
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
        let number = trial.number();
        let mut cmd = self.build_command(params, number, params_path);
        let log = File::create(log_path)
            .map_err(|e| TrialError::failed(format!("cannot create {}: {e}", log_path.display())))?;
        let log = Arc::new(Mutex::new(log));
        let mut child = match cmd.spawn() {
            Ok(child) => child,
            Err(e) => {
                // Every later trial would fail the same way: stop the study
                // rather than burn it.
                study.stop();
                let message = format!("could not start the command {:?}: {e}; stopping the study", cmd.get_program());
                self.progress.note(&message);
                return Err(TrialError::failed(message));
            }
        };
        let tail: Arc<Mutex<VecDeque<String>>> = Arc::default();
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().expect("piped");
        let stderr = child.stderr.take().expect("piped");
        spawn_reader(stdout, log.clone(), tail.clone(), tx.clone(), true);
        spawn_reader(stderr, log.clone(), tail.clone(), tx, false);

        let started = Instant::now();
        let mut last: Vec<Option<f64>> = vec![None; self.config.metric_names.len()];
        let mut reports = 0u64;
        let mut exited_at: Option<Instant> = None;
        let (mut stdout_open, mut stderr_open) = (true, true);
        let mut exit = None;
        let stop = loop {
            if exit.is_none() {
                exit = child.try_wait().map_err(|e| TrialError::failed(format!("cannot wait for the process: {e}")))?;
            }
            if exit.is_some() && !stdout_open && !stderr_open {
                break None;
            }
            if interrupted() {
                break Some(Stop::Interrupted);
            }
            if self.config.trial_timeout.is_some_and(|t| started.elapsed() >= t) {
                break Some(Stop::TimedOut);
            }
            match rx.recv_timeout(Duration::from_millis(if exit.is_some() { 20 } else { 100 })) {
                Ok(Event::Line(line)) => {
                    let Some(m) = self.parser.parse(&line) else { continue };
                    for (slot, v) in last.iter_mut().zip(&m.values) {
                        if v.is_some() {
                            *slot = *v;
                        }
                    }
                    // One objective: every value is a report. Several: a
                    // line with all of them is, so pruners compare vectors.
                    let reported: Option<Vec<f64>> = if m.values.len() == 1 {
                        m.values[0].map(|v| vec![v])
                    } else {
                        m.values.iter().copied().collect()
                    };
                    if let Some(values) = reported {
                        let step = m.step.unwrap_or(reports);
                        reports += 1;
                        trial.report_values(step, &values)?;
                        if trial.should_prune()? {
                            break Some(Stop::Pruned);
                        }
                    }
                }
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
        if let Some(stop) = stop {
            let grace = if INTERRUPTS.load(Ordering::SeqCst) > 1 { Duration::ZERO } else { self.config.grace_period };
            stop_group(&mut child, grace);
            return Err(match stop {
                Stop::Pruned => TrialError::Pruned,
                Stop::TimedOut => TrialError::failed(format!(
                    "timed out after {:.0} s (study.trial_timeout); log: {}",
                    self.config.trial_timeout.unwrap_or_default().as_secs_f64(),
                    log_path.display()
                )),
                Stop::Interrupted => {
                    let retry = requeue(study, trial.frozen())?;
                    TrialError::failed(format!("interrupted; re-enqueued as trial {retry}"))
                }
            });
        }
        let status = exit.expect("loop ends with an exit status");
        let show_tail = || {
            let lines: Vec<String> = tail.lock().unwrap_or_else(|p| p.into_inner()).iter().cloned().collect();
            if lines.is_empty() {
                format!("(no output); log: {}", log_path.display())
            } else {
                format!("last lines:\n    {}\n  log: {}", lines.join("\n    "), log_path.display())
            }
        };
        if !status.success() {
            let how = match (status.code(), status.signal()) {
                (Some(code), _) => format!("the command exited with code {code}"),
                (None, Some(sig)) => format!("the command was killed by signal {sig}"),
                _ => "the command failed".to_owned(),
            };
            return Err(TrialError::failed(format!("{how}; {}", show_tail())));
        }
        let mut values = Vec::with_capacity(last.len());
        for (name, v) in self.config.metric_names.iter().zip(&last) {
            match v {
                None => {
                    return Err(TrialError::failed(format!(
                        "the command never printed the metric '{name}'; {}",
                        show_tail()
                    )))
                }
                Some(v) if v.is_nan() => {
                    return Err(TrialError::failed(format!("the metric '{name}' was NaN; {}", show_tail())))
                }
                Some(v) => values.push(*v),
            }
        }
        Ok(values)
    }
}

/// Suggest every parameter of the config whose condition holds, in order
/// (a conditional parameter comes after the one it depends on).
pub fn suggest_config_params(config: &TuneConfig, trial: &mut Trial) -> ferrotune::Result<()> {
    for spec in &config.params {
        if let Some((parent, values)) = &spec.when {
            let parent_spec = config.param(parent).expect("conditions are validated");
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

fn env_name(param: &str) -> String {
    param.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect()
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

fn spawn_reader<R: std::io::Read + Send + 'static>(
    stream: R,
    log: Arc<Mutex<File>>,
    tail: Arc<Mutex<VecDeque<String>>>,
    events: mpsc::Sender<Event>,
    is_stdout: bool,
) {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let line = String::from_utf8_lossy(&buf).trim_end_matches(['\n', '\r']).to_owned();
            let _ = writeln!(log.lock().unwrap_or_else(|p| p.into_inner()), "{line}");
            {
                let mut tail = tail.lock().unwrap_or_else(|p| p.into_inner());
                if tail.len() == TAIL_LINES {
                    tail.pop_front();
                }
                tail.push_back(line.clone());
            }
            if is_stdout {
                let _ = events.send(Event::Line(line));
            }
        }
        let _ = events.send(Event::Closed { stdout: is_stdout });
    });
}

/// SIGTERM the trial's process group, wait up to `grace`, then SIGKILL the
/// group so no descendant outlives the trial.
fn stop_group(child: &mut Child, grace: Duration) {
    let group = Pid::from_raw(child.id() as i32);
    let _ = killpg(group, Signal::SIGTERM);
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = killpg(group, Signal::SIGKILL);
    let _ = child.wait();
}

/// Whether `--yes`-less deletion may proceed: the user typed the name.
pub fn confirm(prompt: &str, expected: &str) -> bool {
    eprint!("{prompt}");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).is_ok() && answer.trim() == expected
}
