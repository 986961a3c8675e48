//! The tuning config (`tune.toml`): parsed strictly, then validated into a
//! [`TuneConfig`] before anything touches storage. Every error names the
//! file, the key and what is wrong.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::options::build_component;
use ferrotune::core::{Pruner, Sampler};
use ferrotune::{Distribution, FloatDistribution, IntDistribution, ParamValue, StudyDirection};
use serde::Deserialize;

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

// ---- The file as written (strict: unknown keys are errors) ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    study: RawStudy,
    #[serde(default)]
    sampler: Option<toml::Table>,
    #[serde(default)]
    pruner: Option<toml::Table>,
    command: RawCommand,
    metric: RawMetric,
    params: toml::Table,
    #[serde(default)]
    enqueue: Vec<toml::Table>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStudy {
    name: String,
    storage: Option<String>,
    direction: Option<String>,
    directions: Option<Vec<String>>,
    n_trials: Option<u64>,
    #[serde(default = "one")]
    n_jobs: u64,
    timeout: Option<f64>,
    trial_timeout: Option<f64>,
    log_dir: Option<String>,
}

fn one() -> u64 {
    1
}

/// `run = "shell string"` or `run = ["program", "arg", ...]`.
enum RawRun {
    Shell(String),
    Args(Vec<String>),
}

impl<'de> Deserialize<'de> for RawRun {
    // By hand rather than `#[serde(untagged)]`, whose error ("data did not
    // match any variant of untagged enum RawRun") names our type, not the
    // user's mistake.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match toml::Value::deserialize(deserializer)? {
            toml::Value::String(s) => Ok(RawRun::Shell(s)),
            toml::Value::Array(items) => items
                .into_iter()
                .map(|item| match item {
                    toml::Value::String(s) => Ok(s),
                    other => Err(serde::de::Error::custom(format!(
                        "every element of run must be a string, got {other} (quote numbers: \"{other}\")"
                    ))),
                })
                .collect::<Result<_, _>>()
                .map(RawRun::Args),
            other => Err(serde::de::Error::custom(format!(
                "run must be a string (run through sh) or a list of strings (program and arguments), got {}",
                other.type_str()
            ))),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCommand {
    run: RawRun,
    workdir: Option<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default = "default_grace")]
    grace_period: f64,
}

fn default_grace() -> f64 {
    5.0
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMetric {
    name: Option<String>,
    names: Option<Vec<String>>,
    step: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParam {
    #[serde(rename = "type")]
    kind: String,
    low: Option<toml::Value>,
    high: Option<toml::Value>,
    #[serde(default)]
    log: bool,
    step: Option<toml::Value>,
    choices: Option<Vec<toml::Value>>,
    when: Option<toml::Table>,
}

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

/// A validated config.
pub struct TuneConfig {
    pub path: PathBuf,
    pub study_name: String,
    pub storage_url: String,
    pub directions: Vec<StudyDirection>,
    pub n_trials: Option<u64>,
    pub n_jobs: usize,
    pub timeout: Option<Duration>,
    pub trial_timeout: Option<Duration>,
    pub log_dir: PathBuf,
    pub sampler: Arc<dyn Sampler>,
    pub pruner: Arc<dyn Pruner>,
    pub command: CommandSpec,
    pub workdir: PathBuf,
    pub env: BTreeMap<String, String>,
    pub grace_period: Duration,
    pub metric_names: Vec<String>,
    pub step_key: Option<String>,
    pub params: Vec<ParamSpec>,
    /// Hand-picked trials to run first when the study is new.
    pub enqueue: Vec<BTreeMap<String, ParamValue>>,
}

impl TuneConfig {
    /// Read and validate a config file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.to_owned(),
            key: String::new(),
            message: format!("cannot read the file: {e}"),
        })?;
        Self::parse(path, &text)
    }

    /// Validate config text; `path` names it in errors and anchors
    /// relative paths.
    pub fn parse(path: &Path, text: &str) -> Result<Self, ConfigError> {
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

        let study = raw.study;
        if study.name.trim().is_empty() {
            return Err(err("study.name", "must not be empty".into()));
        }
        if study.name.chars().any(char::is_control) {
            return Err(err("study.name", "must not contain control characters (newlines, tabs, ...)".into()));
        }
        if study.storage.as_deref().is_some_and(|url| url.trim().is_empty()) {
            let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("ferrotune");
            return Err(err(
                "study.storage",
                format!(
                    "must not be empty: leave the key out to keep the study in {stem}.db beside the config, or write \
                     \"memory\" for a study that is lost when the run ends"
                ),
            ));
        }
        let storage_url = match study.storage {
            Some(url) => match url.strip_prefix("sqlite:///") {
                Some(file) if !Path::new(file).is_absolute() => format!("sqlite:///{}", resolve(file).display()),
                _ => url,
            },
            None => {
                let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("ferrotune");
                format!("sqlite:///{}", base.join(format!("{stem}.db")).display())
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
        let seconds = |key: &str, v: Option<f64>| -> Result<Option<Duration>, ConfigError> {
            match v {
                Some(s) if !(s.is_finite() && s > 0.0) => {
                    Err(err(key, format!("must be a positive number of seconds, got {s}")))
                }
                Some(s) if s > MAX_SECONDS => Err(err(
                    key,
                    format!(
                        "{s} seconds is more than 10 years; leave the key out for no limit (at most {MAX_SECONDS})"
                    ),
                )),
                Some(s) => Ok(Some(Duration::from_secs_f64(s))),
                None => Ok(None),
            }
        };
        let timeout = seconds("study.timeout", study.timeout)?;
        let trial_timeout = seconds("study.trial_timeout", study.trial_timeout)?;
        let log_dir = resolve(study.log_dir.as_deref().unwrap_or("ferrotune-logs")).join(path_component(&study.name));

        let metric_names = match (raw.metric.name, raw.metric.names) {
            (Some(_), Some(_)) => return Err(err("metric", "give either name or names, not both".into())),
            (Some(n), None) => vec![n],
            (None, Some(ns)) => ns,
            (None, None) => return Err(err("metric", "missing name: which printed metric is the objective?".into())),
        };
        if metric_names.len() != directions.len() {
            return Err(err(
                "metric.names",
                format!(
                    "{} metric(s) for {} direction(s): give one metric per direction",
                    metric_names.len(),
                    directions.len()
                ),
            ));
        }
        for n in &metric_names {
            if n.trim().is_empty() || n.contains(char::is_whitespace) {
                return Err(err("metric.name", format!("'{n}' is not a usable metric name (no spaces, not empty)")));
            }
        }
        if let Some(step) = &raw.metric.step {
            if step.trim().is_empty() || step.contains(char::is_whitespace) {
                return Err(err("metric.step", format!("'{step}' is not a usable step name (no spaces, not empty)")));
            }
        }

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

        let command = match raw.command.run {
            RawRun::Shell(s) if s.trim().is_empty() => return Err(err("command.run", "must not be empty".into())),
            RawRun::Args(a) if a.is_empty() => return Err(err("command.run", "must not be empty".into())),
            RawRun::Shell(s) => CommandSpec::Shell(s),
            RawRun::Args(a) => CommandSpec::Args(a),
        };
        check_placeholders(&command, &params, &err)?;
        if !(raw.command.grace_period.is_finite() && raw.command.grace_period >= 0.0) {
            return Err(err("command.grace_period", "must be a non-negative number of seconds".into()));
        }
        if raw.command.grace_period > MAX_GRACE_SECONDS {
            return Err(err(
                "command.grace_period",
                format!(
                    "{} seconds is too long to wait for a stopped trial; at most {MAX_GRACE_SECONDS}",
                    raw.command.grace_period
                ),
            ));
        }
        let workdir = resolve(raw.command.workdir.as_deref().unwrap_or("."));
        let mut enqueue = Vec::new();
        for (i, table) in raw.enqueue.iter().enumerate() {
            let mut values = BTreeMap::new();
            for (name, value) in table {
                let key = format!("enqueue[{i}].{name}");
                let spec =
                    params.iter().find(|p| &p.name == name).ok_or_else(|| err(&key, "names no parameter".into()))?;
                let v = toml_to_param_value(value)
                    .ok_or_else(|| err(&key, format!("{value} is not a string, number or bool")))?;
                spec.distribution
                    .to_internal(name, &v)
                    .map_err(|_| err(&key, format!("{v} is outside {}", spec.distribution)))?;
                values.insert(name.clone(), v);
            }
            enqueue.push(values);
        }

        Ok(TuneConfig {
            path: path.to_owned(),
            study_name: study.name,
            storage_url,
            directions,
            n_trials: study.n_trials,
            n_jobs: study.n_jobs as usize,
            timeout,
            trial_timeout,
            log_dir,
            sampler,
            pruner,
            command,
            workdir,
            env: raw.command.env,
            grace_period: Duration::from_secs_f64(raw.command.grace_period),
            metric_names,
            step_key: raw.metric.step,
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

    /// The SQLite file the study lives in, if it is kept in one.
    pub fn database_file(&self) -> Option<PathBuf> {
        let url = self.storage_url.trim();
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

/// A parameter's name in the environment variable `FERROTUNE_PARAM_<NAME>`.
pub fn env_name(param: &str) -> String {
    param.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect()
}

/// Two parameters must not share an environment variable (`a-b`, `a_b` and
/// `A.B` all become `FERROTUNE_PARAM_A_B`; the last would silently win).
fn check_environment_names(params: &[ParamSpec], err: &ErrFn<'_>) -> Result<(), ConfigError> {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for p in params {
        let variable = env_name(&p.name);
        if let Some(other) = seen.insert(variable.clone(), &p.name) {
            return Err(err(
                &format!("params.{}", p.name),
                format!(
                    "'{}' and '{other}' would both be passed as FERROTUNE_PARAM_{variable}; rename one of them",
                    p.name
                ),
            ));
        }
    }
    Ok(())
}

fn toml_to_param_value(v: &toml::Value) -> Option<ParamValue> {
    match v {
        toml::Value::String(s) => Some(ParamValue::Str(s.clone())),
        toml::Value::Integer(i) => Some(ParamValue::Int(*i)),
        toml::Value::Float(f) => Some(ParamValue::Float(*f)),
        toml::Value::Boolean(b) => Some(ParamValue::Bool(*b)),
        _ => None,
    }
}

fn parse_params(table: &toml::Table, err: &ErrFn<'_>) -> Result<Vec<ParamSpec>, ConfigError> {
    if table.is_empty() {
        return Err(err("params", "no parameters to search".into()));
    }
    let mut specs = Vec::new();
    for (name, value) in table {
        let key = format!("params.{name}");
        let raw: RawParam = value.clone().try_into().map_err(|e: toml::de::Error| err(&key, e.message().to_owned()))?;
        let number = |field: &str, v: &Option<toml::Value>| -> Result<Option<f64>, ConfigError> {
            match v {
                None => Ok(None),
                Some(toml::Value::Integer(i)) => Ok(Some(*i as f64)),
                Some(toml::Value::Float(f)) => Ok(Some(*f)),
                Some(other) => Err(err(&format!("{key}.{field}"), format!("must be a number, got {other}"))),
            }
        };
        let integer = |field: &str, v: &Option<toml::Value>| -> Result<Option<i64>, ConfigError> {
            match v {
                None => Ok(None),
                Some(toml::Value::Integer(i)) => Ok(Some(*i)),
                Some(other) => {
                    Err(err(&format!("{key}.{field}"), format!("must be an integer for an int parameter, got {other}")))
                }
            }
        };
        let required =
            |field: &str| err(&format!("{key}.{field}"), format!("missing: a {} parameter needs {field}", raw.kind));
        let distribution = match raw.kind.as_str() {
            "float" => {
                if raw.choices.is_some() {
                    return Err(err(&format!("{key}.choices"), "only categorical parameters have choices".into()));
                }
                let low = number("low", &raw.low)?.ok_or_else(|| required("low"))?;
                let high = number("high", &raw.high)?.ok_or_else(|| required("high"))?;
                let step = number("step", &raw.step)?;
                Distribution::Float(FloatDistribution::new(low, high, raw.log, step).map_err(|e| err(&key, strip(e)))?)
            }
            "int" => {
                if raw.choices.is_some() {
                    return Err(err(&format!("{key}.choices"), "only categorical parameters have choices".into()));
                }
                let low = integer("low", &raw.low)?.ok_or_else(|| required("low"))?;
                let high = integer("high", &raw.high)?.ok_or_else(|| required("high"))?;
                let step = integer("step", &raw.step)?.unwrap_or(1);
                Distribution::Int(IntDistribution::new(low, high, raw.log, step).map_err(|e| err(&key, strip(e)))?)
            }
            "categorical" => {
                for (field, present) in [
                    ("low", raw.low.is_some()),
                    ("high", raw.high.is_some()),
                    ("step", raw.step.is_some()),
                    ("log", raw.log),
                ] {
                    if present {
                        return Err(err(
                            &format!("{key}.{field}"),
                            "a categorical parameter takes only choices".into(),
                        ));
                    }
                }
                let choices = raw.choices.as_ref().ok_or_else(|| required("choices"))?;
                let values = choices
                    .iter()
                    .map(|c| {
                        toml_to_param_value(c).ok_or_else(|| {
                            err(&format!("{key}.choices"), format!("{c} is not a string, number or bool"))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Distribution::categorical(values).map_err(|e| err(&format!("{key}.choices"), strip(e)))?
            }
            other => {
                return Err(err(
                    &format!("{key}.type"),
                    format!("unknown type '{other}' (expected float, int or categorical)"),
                ));
            }
        };
        let when = match &raw.when {
            None => None,
            Some(t) => {
                let (Some((parent, values)), 1) = (t.iter().next(), t.len()) else {
                    return Err(err(
                        &format!("{key}.when"),
                        "name exactly one parameter, e.g. when = { optimizer = \"sgd\" }".into(),
                    ));
                };
                let when_key = format!("{key}.when.{parent}");
                let one = |v: &toml::Value| {
                    toml_to_param_value(v).ok_or_else(|| {
                        err(&when_key, format!("{v} is not a string, number or bool (nor a list of them)"))
                    })
                };
                let values: Vec<ParamValue> = match values {
                    toml::Value::Array(vs) => vs.iter().map(one).collect::<Result<_, _>>()?,
                    v => vec![one(v)?],
                };
                if values.is_empty() {
                    return Err(err(&format!("{key}.when.{parent}"), "needs a value or a list of values".into()));
                }
                Some((parent.clone(), values))
            }
        };
        specs.push(ParamSpec { name: name.clone(), distribution, when });
    }
    order_by_conditions(specs, err)
}

/// The core's messages start with "invalid distribution: "; the key already
/// says where, so drop the prefix.
fn strip(e: ferrotune::Error) -> String {
    let s = e.to_string();
    s.strip_prefix("invalid distribution: ").unwrap_or(&s).to_owned()
}

/// Put every conditional parameter after the one it depends on, checking
/// that the parent exists, can take the values named, and that there are no
/// cycles.
fn order_by_conditions(specs: Vec<ParamSpec>, err: &ErrFn<'_>) -> Result<Vec<ParamSpec>, ConfigError> {
    for spec in &specs {
        if let Some((parent, values)) = &spec.when {
            let key = format!("params.{}.when", spec.name);
            let Some(p) = specs.iter().find(|s| &s.name == parent) else {
                return Err(err(&key, format!("names '{parent}', which is not a parameter")));
            };
            for v in values {
                if p.distribution.to_internal(parent, v).is_err() {
                    return Err(err(&key, format!("'{parent}' can never be {v} ({})", p.distribution)));
                }
            }
        }
    }
    let mut ordered: Vec<ParamSpec> = Vec::with_capacity(specs.len());
    let mut placed: BTreeSet<String> = BTreeSet::new();
    let mut pending = specs;
    while !pending.is_empty() {
        let before = pending.len();
        let mut rest = Vec::new();
        for spec in pending {
            match &spec.when {
                Some((parent, _)) if !placed.contains(parent) => rest.push(spec),
                _ => {
                    placed.insert(spec.name.clone());
                    ordered.push(spec);
                }
            }
        }
        if rest.len() == before {
            let names: Vec<&str> = rest.iter().map(|s| s.name.as_str()).collect();
            return Err(err("params", format!("conditions form a cycle among: {}", names.join(", "))));
        }
        pending = rest;
    }
    Ok(ordered)
}

/// A command template cut into literal text and `{name}` placeholders.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    /// Text to copy as it is (`{{` and `}}` already turned into braces).
    Text(String),
    /// A placeholder's name.
    Placeholder(String),
}

/// Cut a template into pieces, with `{{` and `}}` as literal braces.
pub fn template_pieces(template: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut chars = template.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' if chars.next_if(|&(_, c)| c == '{').is_some() => text.push('{'),
            '}' if chars.next_if(|&(_, c)| c == '}').is_some() => text.push('}'),
            '{' => {
                let rest = template.get(i + 1..).unwrap_or_default();
                let end = rest
                    .find('}')
                    .ok_or_else(|| format!("unclosed '{{' at column {} (write '{{{{' for a literal brace)", i + 1))?;
                pieces.push(Piece::Text(std::mem::take(&mut text)));
                pieces.push(Piece::Placeholder(rest.get(..end).unwrap_or_default().to_owned()));
                // Skip to just past the closing brace (by byte position: a
                // name may hold multi-byte characters).
                while chars.next_if(|&(j, _)| j <= i + 1 + end).is_some() {}
            }
            '}' => return Err(format!("unmatched '}}' at column {} (write '}}}}' for a literal brace)", i + 1)),
            c => text.push(c),
        }
    }
    pieces.push(Piece::Text(text));
    pieces.retain(|p| !matches!(p, Piece::Text(t) if t.is_empty()));
    Ok(pieces)
}

/// Placeholders `{name}` in a command, with `{{` and `}}` as literal braces.
pub fn placeholders(template: &str) -> Result<Vec<String>, String> {
    Ok(template_pieces(template)?
        .into_iter()
        .filter_map(|p| match p {
            Piece::Placeholder(name) => Some(name),
            Piece::Text(_) => None,
        })
        .collect())
}

/// The template with each placeholder replaced by `value(name)`, in one
/// pass: a value is never searched for placeholders itself (a parameter
/// whose value is `{b}` must not pull `b`'s value inside its quotes).
pub fn fill_template(template: &str, value: impl Fn(&str) -> String) -> String {
    match template_pieces(template) {
        Ok(pieces) => pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.clone(),
                Piece::Placeholder(name) => value(name),
            })
            .collect(),
        // The config's check rejects such templates before any trial.
        Err(_) => template.to_owned(),
    }
}

/// Placeholders that are not parameters.
pub const BUILTIN_PLACEHOLDERS: [&str; 4] = ["args", "params_file", "trial_number", "study_name"];

fn check_placeholders(command: &CommandSpec, params: &[ParamSpec], err: &ErrFn<'_>) -> Result<(), ConfigError> {
    let parts: Vec<&str> = match command {
        CommandSpec::Shell(s) => vec![s.as_str()],
        CommandSpec::Args(a) => a.iter().map(String::as_str).collect(),
    };
    for part in parts {
        for name in placeholders(part).map_err(|m| err("command.run", m))? {
            if BUILTIN_PLACEHOLDERS.contains(&name.as_str()) {
                continue;
            }
            match params.iter().find(|p| p.name == name) {
                None => {
                    return Err(err(
                        "command.run",
                        format!("placeholder {{{name}}} names no parameter (parameters: {}; also {{args}}, {{params_file}}, {{trial_number}}, {{study_name}}){}",
                            params.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", "),
                            if name.trim().is_empty() || name.contains(char::is_whitespace) {
                                format!("; if the braces are the program's own (awk '{{ print }}', a shell block), write them doubled: {{{{{name}}}}}")
                            } else {
                                String::new()
                            }),
                    ))
                }
                Some(p) if p.when.is_some() => {
                    return Err(err(
                        "command.run",
                        format!("placeholder {{{name}}} names a conditional parameter, which some trials do not have; pass it with {{args}}, the environment or {{params_file}}"),
                    ))
                }
                Some(_) => {}
            }
        }
    }
    Ok(())
}
