//! The tuning config (`tune.toml`): parsed strictly, then validated into a
//! [`TuneConfig`] before anything touches storage. Every error names the
//! file, the key and what is wrong.
//!
//! By concern: `raw.rs` is the file as written, `params.rs` the search
//! space, `template.rs` the command's placeholders; sampler and pruner
//! tables are read through the engine's option descriptions
//! (`crate::options`); `overrides.rs` what the command line and the
//! environment say over the file (`--storage`, `FERROTUNE_STORAGE`); this
//! file checks the `[study]`, `[metric]`, `[command]` and `[[enqueue]]`
//! tables and assembles the config.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ferrotune::core::{Pruner, Sampler};
use ferrotune::{Distribution, ParamValue, StudyDirection};

use crate::options::build_component;

mod overrides;
mod params;
mod raw;
mod template;

pub use overrides::{Given, Origin, Overrides, STORAGE_VAR, STUDY_VAR};
pub use params::env_name;
use params::{check_environment_names, parse_params, toml_to_param_value};
use raw::{RawCommand, RawConfig, RawMetric, RawRun, RawStudy};
use template::check_placeholders;
pub use template::{fill_template, placeholders};

/// A config error: which file, which key, what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    pub file: PathBuf,
    pub key: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(f, "{}: {}: {}", self.file.display(), self.key, self.message)
        }
    }
}

impl std::error::Error for ConfigError {}

// ---- The validated config ----

/// One searched parameter, in suggestion order.
#[derive(Debug, Clone)]
pub struct ParamSpec {
    pub name: String,
    pub distribution: Distribution,
    /// Present only when another parameter takes one of these values.
    pub when: Option<(String, Vec<ParamValue>)>,
}

/// How the trial command is given.
#[derive(Debug, Clone)]
pub enum CommandSpec {
    /// Run through `sh -c`; placeholders are shell-quoted.
    Shell(String),
    /// Run directly; `{args}` as a whole element expands to several.
    Args(Vec<String>),
}

/// The `[study]` table's heartbeat settings, checked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Heartbeat {
    pub interval: Duration,
    /// `None`: the library's default, twice the interval.
    pub grace_period: Option<Duration>,
    /// `None`: stale trials are failed, not retried.
    pub max_retries: Option<u64>,
}

/// A validated config.
pub struct TuneConfig {
    pub path: PathBuf,
    pub study_name: String,
    /// Where the name came from (`[study] name`, `--study`, `FERROTUNE_STUDY`).
    pub study_origin: Origin,
    pub storage_url: String,
    /// Where the URL came from, for errors that must say what to fix.
    pub storage_origin: Origin,
    pub directions: Vec<StudyDirection>,
    pub n_trials: Option<u64>,
    pub n_jobs: usize,
    pub timeout: Option<Duration>,
    pub trial_timeout: Option<Duration>,
    pub log_dir: PathBuf,
    /// `[study] tensorboard_dir`: each finished trial is written there for
    /// TensorBoard's HPARAMS tab.
    pub tensorboard_dir: Option<PathBuf>,
    /// Heartbeats (`[study] heartbeat_interval`, `grace_period`,
    /// `max_retries`): `run` stamps its running trials and fails (and
    /// retries) those of workers gone silent, on any host.
    pub heartbeat: Option<Heartbeat>,
    pub sampler: Arc<dyn Sampler>,
    pub pruner: Arc<dyn Pruner>,
    pub command: CommandSpec,
    pub workdir: PathBuf,
    pub env: BTreeMap<String, String>,
    pub grace_period: Duration,
    pub metric_names: Vec<String>,
    pub step_key: Option<String>,
    pub params: Vec<ParamSpec>,
    /// Hand-picked trials to run first; each is enqueued unless the study
    /// already has it.
    pub enqueue: Vec<BTreeMap<String, ParamValue>>,
}

impl TuneConfig {
    /// Read and validate a config file, with the storage URL and study
    /// name of `overrides` over the file's.
    pub fn load(path: &Path, overrides: &Overrides) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.to_owned(),
            key: String::new(),
            message: format!("cannot read the file: {e}"),
        })?;
        Self::parse_with(path, &text, overrides)
    }

    /// Validate config text; `path` names it in errors and anchors
    /// relative paths.
    #[cfg(test)]
    pub fn parse(path: &Path, text: &str) -> Result<Self, ConfigError> {
        Self::parse_with(path, text, &Overrides::default())
    }

    /// Validate config text (as the tests' `parse` does) with `overrides` over the `[study]` table.
    pub fn parse_with(path: &Path, text: &str, overrides: &Overrides) -> Result<Self, ConfigError> {
        let err = |key: &str, message: String| ConfigError { file: path.to_owned(), key: key.to_owned(), message };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            // toml's message already says which key and line; keep it whole.
            err("", e.to_string().trim_end().replace('\n', "\n  "))
        })?;
        let base = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        // Absolute, so that a relative program path means the same thing
        // once the trial runs in its working directory.
        let base = std::path::absolute(base).unwrap_or_else(|_| base.to_owned());
        let resolve = |p: &str| if Path::new(p).is_absolute() { PathBuf::from(p) } else { base.join(p) };

        let study = parse_study(path, raw.study, &base, overrides, &err)?;
        let (metric_names, step_key) = parse_metric(raw.metric, study.directions.len(), &err)?;
        let params = parse_params(&raw.params, &err)?;
        check_environment_names(&params, &err)?;
        let space: Vec<(String, Distribution)> =
            params.iter().map(|p| (p.name.clone(), p.distribution.clone())).collect();
        let sampler = build_component(
            path,
            "sampler",
            raw.sampler.as_ref().unwrap_or(&toml::Table::new()),
            Some("tpe"),
            &ferrotune::samplers::SAMPLERS,
            &space,
        )?;
        // No [pruner] table: nothing is pruned.
        let pruner = match raw.pruner.as_ref() {
            None => Arc::new(ferrotune::pruners::NopPruner) as Arc<dyn Pruner>,
            Some(table) => build_component(path, "pruner", table, None, &ferrotune::pruners::PRUNERS, &space)?,
        };
        let command = parse_command(&raw.command, &params, &err)?;
        let enqueue = parse_enqueue(&raw.enqueue, &params, &err)?;

        Ok(TuneConfig {
            path: path.to_owned(),
            study_name: study.name,
            study_origin: study.name_origin,
            storage_url: study.storage_url,
            storage_origin: study.storage_origin,
            directions: study.directions,
            n_trials: study.n_trials,
            n_jobs: study.n_jobs,
            timeout: study.timeout,
            trial_timeout: study.trial_timeout,
            log_dir: study.log_dir,
            tensorboard_dir: study.tensorboard_dir,
            heartbeat: study.heartbeat,
            sampler,
            pruner,
            command,
            workdir: resolve(raw.command.workdir.as_deref().unwrap_or(".")),
            env: raw.command.env,
            grace_period: Duration::from_secs_f64(raw.command.grace_period),
            metric_names,
            step_key,
            params,
            enqueue,
        })
    }

    /// Check that the command's program can be started: an explicit path must
    /// be an executable file, a bare name must be on PATH. Run before any
    /// trial, so a typo fails fast instead of failing every trial.
    pub fn check_program(&self) -> Result<(), ConfigError> {
        let program = match &self.command {
            CommandSpec::Shell(_) => "sh".to_owned(),
            CommandSpec::Args(parts) => parts.first().cloned().unwrap_or_default(),
        };
        if !self.workdir.is_dir() {
            return Err(ConfigError {
                file: self.path.clone(),
                key: "command.workdir".into(),
                message: format!("the folder {} does not exist", self.workdir.display()),
            });
        }
        let err = |message: String| ConfigError { file: self.path.clone(), key: "command.run".into(), message };
        let executable = |p: &Path| {
            use std::os::unix::fs::PermissionsExt;
            p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        };
        if program.contains('/') {
            let resolved =
                if Path::new(&program).is_absolute() { PathBuf::from(&program) } else { self.workdir.join(&program) };
            if !executable(&resolved) {
                return Err(err(format!(
                    "program '{program}' not found or not executable (looked at {})",
                    resolved.display()
                )));
            }
        } else {
            let path = std::env::var_os("PATH").unwrap_or_default();
            if !std::env::split_paths(&path).any(|dir| executable(&dir.join(&program))) {
                return Err(err(format!("program '{program}' is not on PATH")));
            }
        }
        Ok(())
    }

    /// The SQLite file the study lives in, if it is kept in one (not for a
    /// PostgreSQL database, even one named `x.db`).
    pub fn database_file(&self) -> Option<PathBuf> {
        let url = self.storage_url.trim();
        let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
        if matches!(scheme.as_deref(), Some("postgres" | "postgresql")) {
            return None;
        }
        let path = url.strip_prefix("sqlite:///").or_else(|| url.strip_prefix("sqlite://"));
        let path = path.or_else(|| [".db", ".sqlite", ".sqlite3"].iter().any(|e| url.ends_with(e)).then_some(url))?;
        Some(PathBuf::from(path))
    }

    /// The parameter spec of this name.
    pub fn param(&self, name: &str) -> Option<&ParamSpec> {
        self.params.iter().find(|p| p.name == name)
    }
}

type ErrFn<'a> = dyn Fn(&str, String) -> ConfigError + 'a;

/// The `[study]` table, checked.
struct StudySection {
    name: String,
    name_origin: Origin,
    storage_url: String,
    storage_origin: Origin,
    directions: Vec<StudyDirection>,
    n_trials: Option<u64>,
    n_jobs: usize,
    timeout: Option<Duration>,
    trial_timeout: Option<Duration>,
    /// `log_dir`, then a folder named after the study.
    log_dir: PathBuf,
    /// Relative to the config, like `log_dir`.
    tensorboard_dir: Option<PathBuf>,
    heartbeat: Option<Heartbeat>,
}

fn parse_study(
    path: &Path,
    study: RawStudy,
    base: &Path,
    overrides: &Overrides,
    err: &ErrFn<'_>,
) -> Result<StudySection, ConfigError> {
    if study.name.trim().is_empty() {
        return Err(err("study.name", "must not be empty".into()));
    }
    if study.name.chars().any(char::is_control) {
        return Err(err("study.name", "must not contain control characters (newlines, tabs, ...)".into()));
    }
    let heartbeat = parse_heartbeat(&study, err)?;
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("ferrotune");
    let (storage_url, storage_origin) = match (&overrides.storage, study.storage) {
        // Taken as given, like every --storage: a relative SQLite path is
        // relative to the working directory, not to the config.
        (Some(given), _) => (given.value.clone(), given.origin.clone()),
        (None, Some(url)) if url.trim().is_empty() => {
            return Err(err(
                "study.storage",
                format!(
                    "must not be empty: leave the key out to keep the study in {stem}.db beside the config, or write \
                     \"memory\" for a study that is lost when the run ends"
                ),
            ));
        }
        // A relative SQLite path is relative to the config, like every path in it.
        (None, Some(url)) => {
            let url = match url.strip_prefix("sqlite:///") {
                Some(file) if !Path::new(file).is_absolute() => format!("sqlite:///{}", base.join(file).display()),
                _ => url,
            };
            (url, Origin::Key(path.to_owned(), "study.storage"))
        }
        (None, None) => {
            (format!("sqlite:///{}", base.join(format!("{stem}.db")).display()), Origin::Default(path.to_owned()))
        }
    };
    let parse_direction = |key: &str, d: &str| -> Result<StudyDirection, ConfigError> {
        d.parse().map_err(|_| err(key, format!("'{d}' is not a direction (use \"minimize\" or \"maximize\")")))
    };
    let directions = match (study.direction, study.directions) {
        (Some(_), Some(_)) => return Err(err("study", "give either direction or directions, not both".into())),
        (Some(d), None) => vec![parse_direction("study.direction", &d)?],
        (None, Some(ds)) if ds.is_empty() => return Err(err("study.directions", "must not be empty".into())),
        (None, Some(ds)) => ds.iter().map(|d| parse_direction("study.directions", d)).collect::<Result<_, _>>()?,
        (None, None) => vec![StudyDirection::Minimize],
    };
    if study.n_jobs == 0 {
        return Err(err("study.n_jobs", "must be at least 1".into()));
    }
    if study.n_jobs > MAX_N_JOBS {
        return Err(err(
            "study.n_jobs",
            format!("{} trials at once is more than this machine can run; at most {MAX_N_JOBS}", study.n_jobs),
        ));
    }
    if study.n_trials == Some(0) {
        return Err(err("study.n_trials", "must be at least 1".into()));
    }
    let (name, name_origin) = match &overrides.study {
        Some(given) => (given.value.clone(), given.origin.clone()),
        None => (study.name, Origin::Key(path.to_owned(), "study.name")),
    };
    let log_dir = base.join(study.log_dir.as_deref().unwrap_or("ferrotune-logs")).join(path_component(&name));
    let tensorboard_dir = match study.tensorboard_dir {
        Some(dir) if dir.trim().is_empty() => {
            return Err(err(
                "study.tensorboard_dir",
                "must not be empty: leave the key out to write no TensorBoard logs".into(),
            ))
        }
        Some(dir) => Some(base.join(dir)),
        None => None,
    };
    Ok(StudySection {
        name,
        name_origin,
        storage_url,
        storage_origin,
        directions,
        n_trials: study.n_trials,
        n_jobs: study.n_jobs as usize,
        timeout: seconds("study.timeout", study.timeout, err)?,
        trial_timeout: seconds("study.trial_timeout", study.trial_timeout, err)?,
        log_dir,
        tensorboard_dir,
        heartbeat,
    })
}

/// `heartbeat_interval`, `grace_period` and `max_retries`: the last two only
/// with the first, and a grace period longer than the interval (the
/// library's rules, said with the config's keys).
fn parse_heartbeat(study: &RawStudy, err: &ErrFn<'_>) -> Result<Option<Heartbeat>, ConfigError> {
    let interval = seconds("study.heartbeat_interval", study.heartbeat_interval, err)?;
    let grace_period = seconds("study.grace_period", study.grace_period, err)?;
    let Some(interval) = interval else {
        for (given, key) in
            [(grace_period.is_some(), "study.grace_period"), (study.max_retries.is_some(), "study.max_retries")]
        {
            if given {
                return Err(err(
                    key,
                    "needs study.heartbeat_interval: stale trials are found by their heartbeats".into(),
                ));
            }
        }
        return Ok(None);
    };
    if let Some(grace) = grace_period.filter(|g| *g <= interval) {
        return Err(err(
            "study.grace_period",
            format!(
                "{} s is not longer than heartbeat_interval ({} s): every trial would look dead between two heartbeats",
                grace.as_secs_f64(),
                interval.as_secs_f64()
            ),
        ));
    }
    Ok(Some(Heartbeat { interval, grace_period, max_retries: study.max_retries }))
}

/// A positive number of seconds, at most [`MAX_SECONDS`].
fn seconds(key: &str, value: Option<f64>, err: &ErrFn<'_>) -> Result<Option<Duration>, ConfigError> {
    match value {
        Some(s) if !(s.is_finite() && s > 0.0) => {
            Err(err(key, format!("must be a positive number of seconds, got {s}")))
        }
        Some(s) if s > MAX_SECONDS => Err(err(
            key,
            format!("{s} seconds is more than 10 years; leave the key out for no limit (at most {MAX_SECONDS})"),
        )),
        Some(s) => Ok(Some(Duration::from_secs_f64(s))),
        None => Ok(None),
    }
}

/// The `[metric]` table: one metric per direction, and the step key.
fn parse_metric(
    metric: RawMetric,
    n_directions: usize,
    err: &ErrFn<'_>,
) -> Result<(Vec<String>, Option<String>), ConfigError> {
    let metric_names = match (metric.name, metric.names) {
        (Some(_), Some(_)) => return Err(err("metric", "give either name or names, not both".into())),
        (Some(n), None) => vec![n],
        (None, Some(ns)) => ns,
        (None, None) => return Err(err("metric", "missing name: which printed metric is the objective?".into())),
    };
    if metric_names.len() != n_directions {
        return Err(err(
            "metric.names",
            format!("{} metric(s) for {n_directions} direction(s): give one metric per direction", metric_names.len()),
        ));
    }
    for n in &metric_names {
        if n.trim().is_empty() || n.contains(char::is_whitespace) {
            return Err(err("metric.name", format!("'{n}' is not a usable metric name (no spaces, not empty)")));
        }
    }
    if let Some(step) = &metric.step {
        if step.trim().is_empty() || step.contains(char::is_whitespace) {
            return Err(err("metric.step", format!("'{step}' is not a usable step name (no spaces, not empty)")));
        }
    }
    Ok((metric_names, metric.step))
}

/// The `[command]` table's command and grace period, checked.
fn parse_command(command: &RawCommand, params: &[ParamSpec], err: &ErrFn<'_>) -> Result<CommandSpec, ConfigError> {
    let spec = match &command.run {
        RawRun::Shell(s) if s.trim().is_empty() => return Err(err("command.run", "must not be empty".into())),
        RawRun::Args(a) if a.is_empty() => return Err(err("command.run", "must not be empty".into())),
        RawRun::Shell(s) => CommandSpec::Shell(s.clone()),
        RawRun::Args(a) => CommandSpec::Args(a.clone()),
    };
    check_placeholders(&spec, params, err)?;
    let grace = command.grace_period;
    if !(grace.is_finite() && grace >= 0.0) {
        return Err(err("command.grace_period", "must be a non-negative number of seconds".into()));
    }
    if grace > MAX_GRACE_SECONDS {
        return Err(err(
            "command.grace_period",
            format!("{grace} seconds is too long to wait for a stopped trial; at most {MAX_GRACE_SECONDS}"),
        ));
    }
    Ok(spec)
}

/// The `[[enqueue]]` tables: each value checked against its parameter.
fn parse_enqueue(
    tables: &[toml::Table],
    params: &[ParamSpec],
    err: &ErrFn<'_>,
) -> Result<Vec<BTreeMap<String, ParamValue>>, ConfigError> {
    let mut enqueue = Vec::new();
    for (i, table) in tables.iter().enumerate() {
        let mut values = BTreeMap::new();
        for (name, value) in table {
            let key = format!("enqueue[{i}].{name}");
            let spec = params.iter().find(|p| &p.name == name).ok_or_else(|| err(&key, "names no parameter".into()))?;
            let v = toml_to_param_value(value)
                .ok_or_else(|| err(&key, format!("{value} is not a string, number or bool")))?;
            spec.distribution
                .to_internal(name, &v)
                .map_err(|_| err(&key, format!("{v} is outside {}", spec.distribution)))?;
            values.insert(name.clone(), v);
        }
        enqueue.push(values);
    }
    Ok(enqueue)
}

/// The most trials a config may run at once (each is a process and a
/// thread; far more than any machine runs usefully).
pub const MAX_N_JOBS: u64 = 1024;
/// The longest `timeout` or `trial_timeout`: ten years. Beyond this a
/// number of seconds is a typo (and overflows the clock's arithmetic).
pub const MAX_SECONDS: f64 = 10.0 * 365.0 * 86400.0;
/// The longest wait between SIGTERM and SIGKILL for a stopped trial.
pub const MAX_GRACE_SECONDS: f64 = 3600.0;

/// A study name as one safe folder name under `log_dir`: kept as it is when
/// it is a plain name, otherwise its unsafe characters are replaced, it is
/// shortened, and a hash of the whole name keeps different names apart.
/// (The name is used as a path: `../x` must not leave `log_dir`, and a
/// 10 KB name must not exceed the file system's name limit.)
pub fn path_component(name: &str) -> String {
    const MAX_CHARS: usize = 80;
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    if name.chars().all(plain) && name.len() <= MAX_CHARS && !name.starts_with('.') {
        return name.to_owned();
    }
    let mut safe: String = name.chars().map(|c| if plain(c) { c } else { '_' }).take(MAX_CHARS).collect();
    if safe.starts_with('.') {
        safe.replace_range(..1, "_");
    }
    // FNV-1a: stable across runs and versions, unlike std's hasher.
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    format!("{safe}-{hash:016x}")
}
