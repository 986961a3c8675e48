//! The subcommands, one function each: each reads its arguments, opens
//! the study through the library, and prints. The parsing of the command
//! line is in `main.rs`; running a study is `runner.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use ferrotune::core::Storage;
use ferrotune::cost::{self, CostSummary};
use ferrotune::{FrozenTrial, ParamValue, Study, TrialOutcome, TrialState};

use crate::config::{Given, Origin, Overrides, TuneConfig, STORAGE_VAR, STUDY_VAR};
use crate::output::{self, errln, outln};
use crate::progress::{format_params, trial_json};
use crate::runner::{self, OutputMode};
use crate::{CliError, ExportFormat, Format, StudyFlags, Target};

/// The storage URL and study name of the flags and the environment.
fn overrides(over: &StudyFlags) -> Result<Overrides, CliError> {
    Overrides::new(over.storage.clone(), over.study.clone()).map_err(CliError::Usage)
}

/// A config, with the flags' and the environment's storage and study over
/// its own.
pub fn load_config(path: &Path, over: &StudyFlags) -> Result<TuneConfig, CliError> {
    Ok(TuneConfig::load(path, &overrides(over)?)?)
}

/// An error about a storage, prefixed with where its URL came from (the
/// flag, the environment variable or the config key to fix), keeping its
/// exit code.
pub fn storage_error(origin: &Origin, e: ferrotune::Error) -> CliError {
    match CliError::from(e) {
        CliError::Usage(m) => CliError::Usage(format!("{origin}: {m}")),
        CliError::Runtime(m) => CliError::Runtime(format!("{origin}: {m}")),
    }
}

/// Open the storage a config names, or say which setting named it.
pub fn open_storage(config: &TuneConfig) -> Result<Arc<dyn Storage>, CliError> {
    ferrotune::storage::open(&config.storage_url).map_err(|e| storage_error(&config.storage_origin, e))
}

/// The storage URL and study name a [`Target`] names, each with its
/// origin: the config's (with the flags and environment over it), or the
/// flags' and environment's alone.
fn resolve_target(target: &Target) -> Result<(Given, Given), CliError> {
    let overrides = overrides(&target.over)?;
    if let Some(path) = &target.config {
        let config = TuneConfig::load(path, &overrides)?;
        let storage = Given { value: config.storage_url, origin: config.storage_origin };
        return Ok((storage, Given { value: config.study_name, origin: config.study_origin }));
    }
    match (overrides.storage, overrides.study) {
        (Some(storage), Some(study)) => Ok((storage, study)),
        (Some(storage), None) => Err(CliError::Usage(format!(
            "{} names the storage but not the study: give --study NAME (or set {STUDY_VAR}), or --config TUNE.TOML",
            storage.origin
        ))),
        (None, Some(study)) => Err(CliError::Usage(format!(
            "{} names the study but not its storage: give --storage URL (or set {STORAGE_VAR}), or --config TUNE.TOML",
            study.origin
        ))),
        (None, None) => Err(CliError::Usage(format!(
            "name the study: --config TUNE.TOML, or --storage URL --study NAME (or set {STORAGE_VAR} and {STUDY_VAR})"
        ))),
    }
}

/// Open the study a [`Target`] names.
pub fn open_study(target: &Target) -> Result<Study, CliError> {
    let (storage, study) = resolve_target(target)?;
    let opened = ferrotune::storage::open(&storage.value).map_err(|e| storage_error(&storage.origin, e))?;
    Study::builder().name(&study.value).storage(opened).load().map_err(|e| match e {
        // A name from a flag or the environment is the likelier typo.
        ferrotune::Error::StudyNotFound(_) if !matches!(study.origin, Origin::Key(..)) => {
            CliError::Usage(format!("{e} (the name given by {})", study.origin))
        }
        e => e.into(),
    })
}

/// Run or resume the study a config describes.
pub fn run(
    config: PathBuf,
    over: StudyFlags,
    n_trials: Option<u64>,
    quiet: bool,
    json: bool,
) -> Result<ExitCode, CliError> {
    let config = load_config(&config, &over)?;
    config.check_program()?;
    let mode = if json {
        OutputMode::Json
    } else if quiet {
        OutputMode::Quiet
    } else {
        OutputMode::Human
    };
    let outcome = runner::run(&config, mode, n_trials)?;
    if outcome.interrupted {
        errln!("interrupted: run the same command again to resume the study");
        return Ok(ExitCode::from(130));
    }
    drop(outcome.study);
    Ok(ExitCode::SUCCESS)
}

/// List the studies in a storage with their trial counts and best values.
pub fn studies(target: Target) -> Result<ExitCode, CliError> {
    let storage = match &target.config {
        Some(path) => open_storage(&load_config(path, &target.over)?)?,
        None => match overrides(&target.over)?.storage {
            Some(given) => ferrotune::storage::open(&given.value).map_err(|e| storage_error(&given.origin, e))?,
            None => {
                return Err(CliError::Usage(format!(
                    "name the storage: --storage URL (or set {STORAGE_VAR}), or --config TUNE.TOML"
                )))
            }
        },
    };
    let mut rows = Vec::new();
    for info in storage.list_studies()? {
        let trials = storage.all_trials(info.study_id)?;
        let complete: Vec<&Arc<FrozenTrial>> = trials.iter().filter(|t| t.state == TrialState::Complete).collect();
        // As `best`: only feasible trials can be the best.
        let best = match info.directions.as_slice() {
            [d] => complete
                .iter()
                .filter(|t| t.is_feasible())
                .filter_map(|t| t.value())
                .reduce(|a, b| if d.is_better(b, a) { b } else { a })
                .map_or("-".into(), |v| v.to_string()),
            _ => "-".into(),
        };
        let directions: Vec<&str> = info.directions.iter().map(|d| d.as_str()).collect();
        rows.push(vec![
            info.name.clone(),
            directions.join(","),
            trials.len().to_string(),
            complete.len().to_string(),
            best,
        ]);
    }
    output::to_stdout(|out| write_table(out, &["study", "directions", "trials", "complete", "best"], &rows))
        .map_err(|e| CliError::Runtime(e.to_string()))?;
    Ok(ExitCode::SUCCESS)
}

/// List a study's trials, optionally only some states.
pub fn trials(target: Target, state: Vec<String>, format: Format) -> Result<ExitCode, CliError> {
    let study = open_study(&target)?;
    let states: Vec<TrialState> = state
        .iter()
        .map(|s| s.parse())
        .collect::<Result<_, _>>()
        .map_err(|e: ferrotune::Error| CliError::Usage(e.to_string()))?;
    let all = study.trials()?;
    let trials: Vec<Arc<FrozenTrial>> =
        all.iter().filter(|t| states.is_empty() || states.contains(&t.state)).cloned().collect();
    output::to_stdout(|out| write_trials(out, &trials, format)).map_err(|e| CliError::Runtime(e.to_string()))?;
    if matches!(format, Format::Table) {
        // The whole study, whatever `--state` shows: the saving is
        // estimated from the complete trials.
        cost_footer(&all);
    }
    Ok(ExitCode::SUCCESS)
}

/// Show the best trial, or the Pareto front of several objectives.
pub fn best(target: Target, json: bool) -> Result<ExitCode, CliError> {
    let study = open_study(&target)?;
    let best = if study.directions().len() == 1 { vec![study.best_trial()?] } else { study.best_trials()? };
    if json {
        let items: Vec<serde_json::Value> = best.iter().map(|t| trial_json(t, "")).collect();
        let out = match items.as_slice() {
            [one] if study.directions().len() == 1 => one.clone(),
            _ => items.into(),
        };
        outln!("{}", pretty_json(&out));
    } else {
        for t in best {
            let values =
                t.values.as_deref().unwrap_or_default().iter().map(|v| v.to_string()).collect::<Vec<_>>().join(", ");
            let duration = t.duration_secs().map_or(String::new(), |d| format!(" ({})", format_secs(d)));
            outln!("trial {}: value {values}{duration}", t.number);
            for (name, value) in t.param_values() {
                outln!("  {name} = {value}");
            }
        }
        cost_footer(&study.trials()?);
    }
    Ok(ExitCode::SUCCESS)
}

/// The study's cost in one line after a listing for people (`trials`,
/// `best`): trials by state, compute time, what pruning saved.
///
/// On standard error, so standard output stays the listing alone (scripts
/// count and cut its lines), and not at all when the listing did not reach
/// its reader (`ferrotune trials | head`).
fn cost_footer(trials: &[Arc<FrozenTrial>]) {
    if !output::stdout_delivered() {
        return;
    }
    let now_us = SystemTime::now().duration_since(UNIX_EPOCH).ok().and_then(|d| i64::try_from(d.as_micros()).ok());
    errln!("{}", cost_line(&cost::summarize(trials, now_us)));
}

/// `42 trials (30 complete, 10 pruned, 2 failed) · compute 1h 02m ·
/// pruning saved ~25m 00s (~310 steps)`, leaving out what is unknown.
fn cost_line(summary: &CostSummary) -> String {
    let noun = if summary.n_trials == 1 { "trial" } else { "trials" };
    let mut head = format!("{} {noun}", summary.n_trials);
    let order =
        [TrialState::Complete, TrialState::Pruned, TrialState::Failed, TrialState::Running, TrialState::Waiting];
    let by_state: Vec<String> =
        order.iter().filter_map(|s| summary.n_by_state.get(s.as_str()).map(|n| format!("{n} {s}"))).collect();
    if !by_state.is_empty() {
        head.push_str(&format!(" ({})", by_state.join(", ")));
    }
    let mut parts = vec![head];
    if !summary.compute_secs_by_state.is_empty() {
        parts.push(format!("compute {}", format_secs(summary.compute_secs)));
    }
    let steps = summary.pruning_saved_steps.map(|n| {
        let n = n.round();
        format!("~{n:.0} {}", if n == 1.0 { "step" } else { "steps" })
    });
    match (summary.pruning_saved_secs, steps) {
        (Some(secs), Some(steps)) => parts.push(format!("pruning saved ~{} ({steps})", format_secs(secs))),
        (Some(secs), None) => parts.push(format!("pruning saved ~{}", format_secs(secs))),
        (None, Some(steps)) => parts.push(format!("pruning saved {steps}")),
        (None, None) => {}
    }
    parts.join(" · ")
}

/// Seconds for people, compactly: `850ms`, `12.4s`, `3m 05s`, `1h 02m`.
fn format_secs(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return "-".into();
    }
    // Each unit is chosen after rounding, so 59.96 s is `1m 00s`, not `60.0s`.
    let millis = (secs * 1e3).round();
    if millis < 1e3 {
        return format!("{millis:.0}ms");
    }
    let tenths = (secs * 10.0).round();
    if tenths < 600.0 {
        return format!("{:.1}s", tenths / 10.0);
    }
    let whole = secs.round() as u64;
    if whole < 3600 {
        return format!("{}m {:02}s", whole / 60, whole % 60);
    }
    let minutes = (secs / 60.0).round() as u64;
    format!("{}h {:02}m", minutes / 60, minutes % 60)
}

/// Queue a hand-picked configuration.
pub fn enqueue(config: PathBuf, over: StudyFlags, params: Vec<String>) -> Result<ExitCode, CliError> {
    let config = load_config(&config, &over)?;
    let mut values = BTreeMap::new();
    for item in &params {
        let (name, raw) =
            item.split_once('=').ok_or_else(|| CliError::Usage(format!("--param {item}: expected NAME=VALUE")))?;
        let spec = config.param(name).ok_or_else(|| {
            let names: Vec<&str> = config.params.iter().map(|p| p.name.as_str()).collect();
            CliError::Usage(format!(
                "--param {item}: '{name}' is not a parameter of {} ({})",
                config.path.display(),
                names.join(", ")
            ))
        })?;
        values.insert(name.to_owned(), parse_value(&spec.distribution, name, raw)?);
    }
    let study = Study::builder()
        .name(&config.study_name)
        .storage(open_storage(&config)?)
        .directions(config.directions.clone())
        .load_if_exists(true)
        .create()?;
    let number = study.enqueue_trial(values)?;
    outln!("enqueued as trial {number} of study '{}'", study.name());
    Ok(ExitCode::SUCCESS)
}

/// Start a trial and print its parameters.
pub fn ask(config: PathBuf, over: StudyFlags, shell: bool) -> Result<ExitCode, CliError> {
    let config = load_config(&config, &over)?;
    if shell {
        // Checked before a trial is started: a refused name must
        // not leave a running trial behind.
        check_shell_names(&config)?;
    }
    // Before the storage is opened, so a refusal leaves no database behind.
    config.sampler.check_directions(&config.directions)?;
    let study = Study::builder()
        .name(&config.study_name)
        .storage(open_storage(&config)?)
        .directions(config.directions.clone())
        .sampler_arc(config.sampler.clone())
        .load_if_exists(true)
        .create()?;
    let mut trial = study.ask()?;
    runner::suggest_config_params(&config, &mut trial)?;
    // Another process tells it: its parameters must be stored first.
    trial.flush_params()?;
    if shell {
        outln!("TRIAL={}", trial.number());
        for (name, value) in trial.params() {
            let plain = match value {
                ParamValue::Str(s) => s,
                other => other.to_string(),
            };
            outln!("{}={}", shell_name(&name), runner::shell_quote(&plain));
        }
    } else {
        let out = serde_json::json!({"study": study.name(), "trial": trial.number(), "params": trial.params()});
        outln!("{out}");
    }
    if !output::stdout_delivered() {
        // Nobody read the trial's number, so nobody will tell it:
        // fail it now rather than leave it running for ever.
        let reason = "`ferrotune ask` could not print the trial (standard output was closed or failed)";
        study.tell_outcome(trial, TrialOutcome::Failed(reason.into()))?;
        return Err(CliError::Runtime(format!("{reason}; the trial was marked failed")));
    }
    Ok(ExitCode::SUCCESS)
}

/// Finish a trial started with `ask`.
pub fn tell(
    config: PathBuf,
    over: StudyFlags,
    trial: u64,
    values: Vec<f64>,
    state: Option<String>,
    reason: Option<String>,
    force: bool,
) -> Result<ExitCode, CliError> {
    let config = load_config(&config, &over)?;
    let study = Study::builder().name(&config.study_name).storage(open_storage(&config)?).load()?;
    let n_objectives = study.directions().len();
    let outcome = match state.as_deref() {
        None if values.is_empty() => {
            return Err(CliError::Usage("give --value (one per objective) or --state pruned|failed".into()))
        }
        None if values.len() != n_objectives => {
            return Err(CliError::Usage(format!(
                "study '{}' has {n_objectives} objective(s) but {} --value were given; the trial is left as it was",
                study.name(),
                values.len()
            )))
        }
        None if values.iter().any(|v| !v.is_finite()) => {
            return Err(CliError::Usage(format!(
                "--value {}: ferrotune records only finite objective values (an infinite or NaN result \
                 fails a trial: say so with --state failed --reason ...); the trial is left as it was",
                values.iter().find(|v| !v.is_finite()).copied().unwrap_or(f64::NAN)
            )))
        }
        None => TrialOutcome::Complete(values),
        Some("pruned") => TrialOutcome::Pruned,
        Some("failed") => TrialOutcome::Failed(runner::truncate_text(
            &reason.unwrap_or_else(|| "reported failed by `ferrotune tell`".into()),
            runner::MAX_REASON_CHARS,
        )),
        Some(other) => return Err(CliError::Usage(format!("--state {other}: expected pruned or failed"))),
    };
    let current = study.trials()?.into_iter().find(|t| t.number == trial);
    if let Some(owner) = current.as_deref().and_then(runner::live_owner).filter(|_| !force) {
        return Err(CliError::Usage(format!(
            "trial {trial} is being run by {owner}; finishing it here would stop that run. Let the run \
             finish it, stop the run first, or pass --force"
        )));
    }
    let done = study.tell_number(trial, outcome)?;
    match done.fail_reason() {
        Some(reason) if done.state == TrialState::Failed => outln!("trial {trial} failed: {reason}"),
        _ => outln!("trial {trial} {}", done.state),
    }
    // `[study] tensorboard_dir`: the finished trial is logged as `run`
    // logs its trials (with any finished trial the folder lacks).
    if config.tensorboard_dir.is_some() {
        runner::open_tensorboard(&config, &study.trials()?).map_err(|e| {
            CliError::Runtime(format!("trial {trial} is recorded, but its TensorBoard logs could not be written: {e}"))
        })?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Write every trial as CSV or JSON.
pub fn export(target: Target, format: ExportFormat, output: Option<PathBuf>) -> Result<ExitCode, CliError> {
    let format = match format {
        ExportFormat::Optuna => return export_optuna(&target, output),
        ExportFormat::Tensorboard => return export_tensorboard(&target, output),
        ExportFormat::Table => Format::Table,
        ExportFormat::Csv => Format::Csv,
        ExportFormat::Json => Format::Json,
    };
    let study = open_study(&target)?;
    let trials = study.trials()?;
    let result = match &output {
        Some(path) => std::fs::File::create(path).and_then(|mut f| write_trials(&mut f, &trials, format)),
        None => output::to_stdout(|out| write_trials(out, &trials, format)),
    };
    result.map_err(|e| CliError::Runtime(e.to_string()))?;
    if let Some(path) = output {
        errln!("wrote {} trials to {}", trials.len(), path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `export --format optuna`: a new Optuna SQLite file with the study the
/// target names, or every study of a storage given without a study.
fn export_optuna(target: &Target, output: Option<PathBuf>) -> Result<ExitCode, CliError> {
    let Some(path) = output else {
        return Err(CliError::Usage(
            "--format optuna writes a SQLite file: give it with --output FILE.db (or --out FILE.db)".into(),
        ));
    };
    let over = overrides(&target.over)?;
    let (storage, names) = match (&target.config, over.storage, over.study) {
        // A storage without a study: all of its studies.
        (None, Some(storage), None) => {
            let opened = ferrotune::storage::open(&storage.value).map_err(|e| storage_error(&storage.origin, e))?;
            (opened, None)
        }
        _ => {
            let study = open_study(target)?;
            (study.storage().clone(), Some(vec![study.name().to_owned()]))
        }
    };
    // An empty Optuna file would read as a successful export of nothing
    // (a mistyped storage URL opens a new, empty storage).
    if names.is_none() && storage.list_studies()?.is_empty() {
        return Err(CliError::Runtime("the storage holds no study: nothing to export".into()));
    }
    let (n_studies, n_trials) =
        ferrotune::storage::optuna::export_optuna_sqlite(storage.as_ref(), names.as_deref(), &path)?;
    errln!(
        "wrote {n_studies} {} with {n_trials} trials to {} (Optuna storage URL: sqlite:///{})",
        if n_studies == 1 { "study" } else { "studies" },
        path.display(),
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `export --format tensorboard`: the study's finished trials as
/// TensorBoard HParams logs in a folder. The metrics are named after the
/// config's `[metric]` when a config is given, else the study's stored
/// names, else Optuna's `value` / `values_N`.
fn export_tensorboard(target: &Target, output: Option<PathBuf>) -> Result<ExitCode, CliError> {
    let Some(dir) = output else {
        return Err(CliError::Usage(
            "--format tensorboard writes a folder of TensorBoard logs: give it with --output DIR (or --out DIR)".into(),
        ));
    };
    let study = open_study(target)?;
    let n_objectives = study.directions().len();
    let metric_names = match &target.config {
        Some(path) => load_config(path, &target.over)?.metric_names,
        None => study
            .system_attrs()?
            .get(ferrotune::core::METRIC_NAMES_ATTR)
            .and_then(|names| names.as_array()?.iter().map(|n| n.as_str().map(str::to_owned)).collect())
            .filter(|names: &Vec<String>| names.len() == n_objectives)
            .unwrap_or_else(|| ferrotune_tensorboard::default_metric_names(n_objectives)),
    };
    let trials = study.trials()?;
    let written = ferrotune_tensorboard::TensorBoardWriter::new(&dir, metric_names)
        .and_then(|writer| writer.write_trials(trials.iter().map(|t| t.as_ref())))
        .map_err(|e| CliError::Runtime(e.to_string()))?;
    errln!(
        "wrote {written} finished trials of {} to {} (view them with: tensorboard --logdir {})",
        trials.len(),
        dir.display(),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Copy studies from an Optuna database into a ferrotune storage.
pub fn import(optuna_url: &str, studies: Vec<String>, storage: Option<String>) -> Result<ExitCode, CliError> {
    // Only the storage's variable applies: an import names its studies by
    // --study alone, so FERROTUNE_STUDY (set for other commands) is not read.
    let env = |name: &str| if name == STORAGE_VAR { std::env::var_os(name) } else { None };
    let Some(storage) = Overrides::from_lookup(storage, None, env).map_err(CliError::Usage)?.storage else {
        return Err(CliError::Usage(format!(
            "name the ferrotune storage to import into: --storage URL (or set {STORAGE_VAR})"
        )));
    };
    let target = ferrotune::storage::open(&storage.value).map_err(|e| storage_error(&storage.origin, e))?;
    let names = (!studies.is_empty()).then_some(studies);
    let imported = ferrotune::storage::optuna::import_optuna(optuna_url, target.as_ref(), names.as_deref())?;
    if imported.is_empty() {
        errln!("the Optuna database has no studies: nothing imported");
    }
    for study in &imported {
        outln!("imported study '{}' ({} trials)", study.name, study.n_trials);
    }
    Ok(ExitCode::SUCCESS)
}

/// Delete a study, unless a live run owns it.
pub fn delete(target: Target, yes: bool, force: bool) -> Result<ExitCode, CliError> {
    let study = open_study(&target)?;
    let trials = study.trials()?;
    let n = trials.len();
    if let Some(owner) = trials.iter().find_map(|t| runner::live_owner(t)).filter(|_| !force) {
        return Err(CliError::Usage(format!(
            "study '{}' is being run by {owner}; deleting it now would stop that run and lose its trials. \
             Stop the run first, or pass --force",
            study.name()
        )));
    }
    if !yes
        && !runner::confirm(
            &format!("delete study '{}' and its {n} trials? type its name to confirm: ", study.name()),
            study.name(),
        )
    {
        errln!("not deleted");
        return Ok(ExitCode::from(1));
    }
    study.storage().delete_study(study.id())?;
    outln!("deleted study '{}' ({n} trials)", study.name());
    Ok(ExitCode::SUCCESS)
}

/// Shell variables that `eval "$(ferrotune ask --shell)"` must not set,
/// compared without case: bash's and POSIX sh's own, zsh's lowercase ties
/// (`path` is `PATH` there) and read-only names, the loader's, and the
/// session's. A fixed list rather than "any variable in the environment":
/// a loop that exports its assignments (`set -a`) would otherwise refuse its
/// own parameters on the second ask.
const SHELL_SPECIAL: &[&str] = &[
    "PATH",
    "IFS",
    "HOME",
    "PWD",
    "OLDPWD",
    "CDPATH",
    "ENV",
    "SHELL",
    "SHELLOPTS",
    "PS1",
    "PS2",
    "PS3",
    "PS4",
    "OPTIND",
    "OPTARG",
    "LANG",
    "PYTHONPATH",
    "PYTHONHOME",
    "VIRTUAL_ENV",
    "USER",
    "LOGNAME",
    "TERM",
    "TMPDIR",
    "HOSTNAME",
    "MAIL",
    "MAILPATH",
    "HISTFILE",
    "HISTSIZE",
    "HISTFILESIZE",
    "UID",
    "EUID",
    "PPID",
    "SHLVL",
    "RANDOM",
    "SECONDS",
    "LINENO",
    "TMOUT",
    "PROMPT_COMMAND",
    "FPATH",
    "MANPATH",
    "MODULE_PATH",
    "STATUS",
    "ARGV",
    "PIPESTATUS",
    "GROUPS",
    "FUNCNAME",
    "ZDOTDIR",
    "TRIAL",
];

/// `ask --shell` prints one `NAME=value` per parameter: refuse names that
/// collide after turning into shell names, or that would overwrite a
/// variable the shell depends on.
fn check_shell_names(config: &TuneConfig) -> Result<(), CliError> {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for p in &config.params {
        let variable = shell_name(&p.name);
        let upper = variable.to_ascii_uppercase();
        let special = variable.is_empty()
            || SHELL_SPECIAL.contains(&upper.as_str())
            || ["LD_", "BASH", "LC_", "ZSH"].iter().any(|prefix| upper.starts_with(prefix));
        if special {
            return Err(CliError::Usage(format!(
                "--shell would set the shell variable '{variable}' for parameter '{}', which the shell or the \
                 session depends on; rename the parameter, or use the JSON output",
                p.name
            )));
        }
        if let Some(other) = seen.insert(variable.clone(), &p.name) {
            return Err(CliError::Usage(format!(
                "--shell would print {variable}= for both '{other}' and '{}'; rename one, or use the JSON output",
                p.name
            )));
        }
    }
    Ok(())
}

/// A parameter name as a shell variable name.
fn shell_name(name: &str) -> String {
    let mut out: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// Parse a command-line value for a parameter by its distribution.
fn parse_value(distribution: &ferrotune::Distribution, name: &str, raw: &str) -> Result<ParamValue, CliError> {
    let value = match distribution {
        ferrotune::Distribution::Float(_) => raw.parse::<f64>().map(ParamValue::Float).ok(),
        ferrotune::Distribution::Int(_) => raw.parse::<i64>().map(ParamValue::Int).ok(),
        ferrotune::Distribution::Categorical(c) => c
            .choices()
            .iter()
            .find(|choice| match choice {
                ParamValue::Str(s) => s == raw,
                other => other.to_string() == raw,
            })
            .cloned(),
    };
    let value =
        value.ok_or_else(|| CliError::Usage(format!("--param {name}={raw}: not a valid value for {distribution}")))?;
    distribution.to_internal(name, &value).map_err(|e| CliError::Usage(format!("--param {name}={raw}: {e}")))?;
    Ok(value)
}

/// JSON for people. Serializing a `Value` cannot fail (its keys are
/// strings); the fallback only keeps this free of `expect`.
fn pretty_json(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

fn write_table(out: &mut dyn Write, headers: &[&str], rows: &[Vec<String>]) -> std::io::Result<()> {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut line = |cells: &[String]| {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        writeln!(out, "{}", padded.join("  ").trim_end())
    };
    line(&headers.iter().map(|h| h.to_string()).collect::<Vec<_>>())?;
    for row in rows {
        line(row)?;
    }
    Ok(())
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn write_trials(out: &mut dyn Write, trials: &[Arc<FrozenTrial>], format: Format) -> std::io::Result<()> {
    match format {
        Format::Json => {
            let items: Vec<serde_json::Value> = trials.iter().map(|t| trial_json(t, "")).collect();
            writeln!(out, "{}", pretty_json(&serde_json::Value::from(items)))
        }
        Format::Csv => {
            let names: BTreeSet<&String> = trials.iter().flat_map(|t| t.params.keys()).collect();
            let n_values = trials.iter().filter_map(|t| t.values.as_ref().map(Vec::len)).max().unwrap_or(1);
            let mut header = vec!["number".to_string(), "state".to_string()];
            header.extend((0..n_values).map(|i| if n_values == 1 { "value".into() } else { format!("value_{i}") }));
            header.push("duration_s".into());
            header.extend(names.iter().map(|n| format!("params_{n}")));
            header.push("fail_reason".into());
            writeln!(out, "{}", header.iter().map(|h| csv_field(h)).collect::<Vec<_>>().join(","))?;
            for t in trials {
                let mut row = vec![t.number.to_string(), t.state.to_string()];
                for i in 0..n_values {
                    row.push(t.values.as_ref().and_then(|v| v.get(i)).map_or(String::new(), |v| v.to_string()));
                }
                row.push(t.duration_secs().map_or(String::new(), |d| format!("{d:.3}")));
                let values = t.param_values();
                for n in &names {
                    row.push(values.get(*n).map_or(String::new(), |v| match v {
                        ParamValue::Str(s) => s.clone(),
                        other => other.to_string(),
                    }));
                }
                row.push(t.fail_reason().unwrap_or("").to_owned());
                writeln!(out, "{}", row.iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(","))?;
            }
            Ok(())
        }
        Format::Table => {
            let rows: Vec<Vec<String>> = trials
                .iter()
                .map(|t| {
                    let value = t
                        .values
                        .as_ref()
                        .map_or("-".into(), |v| v.iter().map(|x| format!("{x:.6}")).collect::<Vec<_>>().join(","));
                    let duration = t.duration_secs().map_or("-".into(), |d| format!("{d:.1}s"));
                    vec![t.number.to_string(), t.state.to_string(), value, duration, format_params(t)]
                })
                .collect();
            write_table(out, &["number", "state", "value", "duration", "params"], &rows)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{cost_line, format_secs, CostSummary};

    #[test]
    fn durations_are_compact_and_round_into_the_next_unit() {
        assert_eq!(format_secs(0.85), "850ms");
        assert_eq!(format_secs(0.9996), "1.0s");
        assert_eq!(format_secs(12.44), "12.4s");
        assert_eq!(format_secs(59.96), "1m 00s");
        assert_eq!(format_secs(185.0), "3m 05s");
        assert_eq!(format_secs(3599.6), "1h 00m");
        assert_eq!(format_secs(3720.0), "1h 02m");
        assert_eq!(format_secs(f64::NAN), "-");
    }

    fn summary(n_by_state: &[(&str, usize)], compute: Option<f64>) -> CostSummary {
        CostSummary {
            n_trials: n_by_state.iter().map(|(_, n)| n).sum(),
            n_by_state: n_by_state.iter().map(|(k, n)| (k.to_string(), *n)).collect(),
            compute_secs: compute.unwrap_or(0.0),
            compute_secs_by_state: compute.map(|c| ("complete".to_string(), c)).into_iter().collect(),
            mean_complete_secs: None,
            pruning_saved_secs: None,
            pruning_saved_steps: None,
            first_start_us: None,
            last_end_us: None,
        }
    }

    #[test]
    fn the_cost_line_leaves_out_what_is_unknown() {
        let mut s = summary(&[("failed", 2), ("pruned", 10), ("complete", 30)], Some(3720.0));
        s.pruning_saved_secs = Some(1500.0);
        s.pruning_saved_steps = Some(310.4);
        assert_eq!(
            cost_line(&s),
            "42 trials (30 complete, 10 pruned, 2 failed) · compute 1h 02m · pruning saved ~25m 00s (~310 steps)"
        );
        s.pruning_saved_steps = None;
        assert_eq!(
            cost_line(&s),
            "42 trials (30 complete, 10 pruned, 2 failed) · compute 1h 02m · pruning saved ~25m 00s"
        );
        s.pruning_saved_secs = None;
        s.pruning_saved_steps = Some(1.0);
        assert!(cost_line(&s).ends_with(" · pruning saved ~1 step"), "{}", cost_line(&s));
        assert_eq!(cost_line(&summary(&[("waiting", 1)], None)), "1 trial (1 waiting)");
        assert_eq!(cost_line(&summary(&[], None)), "0 trials");
    }
}
