//! Storage backends for ferrotune: [`InMemoryStorage`], [`SqliteStorage`],
//! [`PostgresStorage`] and [`JournalStorage`] (Optuna's journal file), plus [`open`] to pick one from a URL, and the
//! [`conformance`] suite every backend must pass; [`optuna`] copies studies
//! from and to Optuna's RDB storage.
//!
//! Design decision: all SQL logic lives once, in [`sql::SqlStorage`], written
//! against a two-method connection seam ([`sql::SqlBackend`]) in the SQL
//! subset that SQLite and PostgreSQL share (`$n` placeholders, `RETURNING`,
//! `ON CONFLICT`). A backend only supplies connections, transactions and the
//! one DDL type that differs, so PostgreSQL is a small file, not a copy.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use ferrotune_core::{Error, FrozenTrial, Result, Storage, StudyDirection, TrialState};

mod change_log;
pub mod conformance;
pub mod journal;
mod memory;
pub mod optuna;
pub mod sql;

pub use journal::JournalStorage;
pub use memory::InMemoryStorage;
pub use sql::postgres::PostgresStorage;
pub use sql::sqlite::SqliteStorage;

/// Open a storage from a URL:
///
/// - `memory` (or `:memory:`, `memory://`): in this process's memory, lost
///   when it exits;
/// - `sqlite:///relative/path.db` or `sqlite:////absolute/path.db`
///   (SQLAlchemy's form, as in Optuna; `sqlite://path.db` is read as
///   relative too);
/// - a bare path ending in `.db`, `.sqlite` or `.sqlite3`;
/// - `postgresql://user[:password]@host[:port]/database` (or `postgres://`):
///   a PostgreSQL database, shared by workers on any number of machines
///   (see [`PostgresStorage::open`]);
/// - `journal:///relative/path.log` or `journal:////absolute/path.log` (the
///   slashes as in a SQLite URL), or a bare path ending in `.log` or
///   `.jsonl`: Optuna's journal file (`JournalStorage(JournalFileBackend(
///   path))`), which Optuna and ferrotune processes share (see
///   [`JournalStorage`]). `?lock=open` takes Optuna's `JournalFileOpenLock`
///   instead of its default symlink lock.
///
/// Anything else is an [`Error::InvalidArgument`] that shows the form that
/// works, never a guess: an empty URL is not taken for `memory` (the study
/// would vanish at exit), and `sqlite:x.db` does not create a file named
/// `sqlite:x.db`.
pub fn open(url: &str) -> Result<Arc<dyn Storage>> {
    let url = url.trim();
    if url.is_empty() {
        return Err(Error::InvalidArgument(
            "the storage URL is empty: write \"memory\" for a study kept in memory (lost when the process exits), \
             or \"sqlite:///study.db\" for a file"
                .into(),
        ));
    }
    if url == "memory" || url == ":memory:" || url == "memory://" {
        return Ok(Arc::new(InMemoryStorage::new()));
    }
    if let Some(path) = url.strip_prefix("sqlite:///").or_else(|| url.strip_prefix("sqlite://")) {
        if path.is_empty() {
            return Err(Error::InvalidArgument(format!(
                "storage URL '{url}' names no file: write sqlite:///study.db (relative to the working directory) \
                 or sqlite:////absolute/path/study.db"
            )));
        }
        return Ok(Arc::new(SqliteStorage::open(path)?));
    }
    if let Some(rest) = url.strip_prefix("journal:///").or_else(|| url.strip_prefix("journal://")) {
        return open_journal(url, rest);
    }
    if let Some(scheme) = scheme(url) {
        let rest = &url[scheme.len()..];
        if matches!(scheme.to_ascii_lowercase().as_str(), "postgres" | "postgresql") && rest.starts_with("://") {
            return Ok(Arc::new(PostgresStorage::open(url)?));
        }
        return Err(Error::InvalidArgument(unsupported_scheme(url, scheme)));
    }
    if url.ends_with(".db") || url.ends_with(".sqlite") || url.ends_with(".sqlite3") {
        return Ok(Arc::new(SqliteStorage::open(url)?));
    }
    if url.ends_with(".log") || url.ends_with(".jsonl") {
        return Ok(Arc::new(JournalStorage::open(url)?));
    }
    Err(Error::InvalidArgument(format!(
        "unsupported storage URL '{url}': use \"memory\", sqlite:///relative/path.db, \
         sqlite:////absolute/path.db, a path ending in .db, journal:///relative/path.log or a path ending in .log \
         (Optuna's journal file)"
    )))
}

/// The path and options of a `journal:///` URL, after the slashes.
pub(crate) fn journal_url(url: &str, rest: &str) -> Result<(std::path::PathBuf, journal::JournalOptions)> {
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "storage URL '{url}' names no file: write journal:///study.log (relative to the working directory) \
             or journal:////absolute/path/study.log"
        )));
    }
    let mut options = journal::JournalOptions::default();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("lock", "symlink")) => options.lock = journal::JournalLockKind::Symlink,
            Some(("lock", "open")) => options.lock = journal::JournalLockKind::Open,
            _ => {
                return Err(Error::InvalidArgument(format!(
                    "storage URL '{url}': unknown parameter '{pair}'; a journal URL takes lock=symlink \
                     (Optuna's default) or lock=open"
                )))
            }
        }
    }
    Ok((std::path::PathBuf::from(path), options))
}

fn open_journal(url: &str, rest: &str) -> Result<Arc<dyn Storage>> {
    let (path, options) = journal_url(url, rest)?;
    Ok(Arc::new(JournalStorage::open_with(path, options)?))
}

/// The scheme of a URL (`sqlite` in `sqlite:x.db`), by RFC 3986's grammar.
/// One letter is a Windows drive (`C:\\x.db`), not a scheme.
fn scheme(url: &str) -> Option<&str> {
    let (scheme, _) = url.split_once(':')?;
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    (valid && scheme.len() > 1).then_some(scheme)
}

/// Why a URL with a scheme is refused, with the form the user likely meant.
fn unsupported_scheme(url: &str, scheme: &str) -> String {
    let scheme_lower = scheme.to_ascii_lowercase();
    let rest = &url[scheme.len() + 1..];
    match scheme_lower.as_str() {
        "sqlite" | "sqlite3" => {
            // `sqlite:x.db` or `sqlite:/x.db` (slashes missing: the path may
            // be relative or absolute), or `SQLite:///` / `sqlite3:///`.
            let path = rest.trim_start_matches('/');
            let meant = if rest.starts_with("//") {
                format!("sqlite:{rest}")
            } else if rest.starts_with('/') {
                format!("sqlite:////{path} for the absolute path /{path}")
            } else {
                format!("sqlite:///{path} for a path relative to the working directory")
            };
            format!(
                "unsupported storage URL '{url}': write {meant}; a SQLite URL is sqlite:/// followed by the path, \
                 so sqlite:///study.db for a relative one and sqlite:////abs/path/study.db for an absolute one"
            )
        }
        "postgres" | "postgresql" => format!(
            "unsupported storage URL '{}': a PostgreSQL URL is postgresql://user[:password]@host[:port]/database",
            sql::postgres::redact(url)
        ),
        "journal" => format!(
            "unsupported storage URL '{url}': a journal URL is journal:/// followed by the path, so \
             journal:///study.log for a relative one and journal:////abs/path/study.log for an absolute one"
        ),
        _ => format!(
            "unsupported storage URL '{url}': unknown scheme '{scheme}:'; use \"memory\", \
             sqlite:///relative/path.db, sqlite:////absolute/path.db, postgresql://user@host:port/database \
             or journal:///relative/path.log"
        ),
    }
}

/// The `fail_reason` of a trial failed for a stale heartbeat:
/// `heartbeat: no heartbeat for 63 s (grace period 60 s)`.
pub fn stale_heartbeat_reason(silent_us: i64, grace_period: std::time::Duration) -> String {
    format!(
        "heartbeat: no heartbeat for {} s (grace period {} s)",
        seconds(silent_us.max(0) as f64 / 1e6),
        seconds(grace_period.as_secs_f64())
    )
}

/// Seconds as people write them: `63`, `0.2`, `1.5`.
fn seconds(s: f64) -> String {
    if s >= 10.0 {
        format!("{s:.0}")
    } else {
        let text = format!("{s:.1}");
        text.strip_suffix(".0").map(str::to_owned).unwrap_or(text)
    }
}

/// Microseconds since the Unix epoch.
pub(crate) fn now_us() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as i64).unwrap_or(0)
}

pub(crate) fn check_new_study(name: &str, directions: &[StudyDirection]) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::InvalidArgument("a study name must not be empty".into()));
    }
    if directions.is_empty() {
        return Err(Error::InvalidArgument("a study needs at least one direction".into()));
    }
    Ok(())
}

/// Check a whole trial given to [`Storage::add_trial`] against the study it
/// joins: it must be finished (by the rules of [`check_finish`]) or waiting
/// without values, and every parameter's value must lie in its
/// distribution. Running trials are refused because nobody would work on
/// them: a running trial is what an ask creates.
pub(crate) fn check_added_trial(trial: &FrozenTrial, n_objectives: usize) -> Result<()> {
    match trial.state {
        TrialState::Running => {
            return Err(Error::InvalidArgument(
                "add_trial takes a finished or waiting trial, not a running one (ask() starts a trial)".into(),
            ))
        }
        TrialState::Waiting => {
            if trial.values.is_some() {
                return Err(Error::InvalidArgument("a waiting trial cannot have objective values".into()));
            }
            if trial.finished_at_us.is_some() {
                return Err(Error::InvalidArgument("a waiting trial cannot have a completion time".into()));
            }
        }
        state => check_finish(state, trial.values.as_deref(), n_objectives)?,
    }
    for (name, param) in &trial.params {
        if !param.distribution.contains(param.internal) {
            return Err(Error::InvalidArgument(format!(
                "parameter '{name}' has the internal value {} outside its distribution ({})",
                param.internal, param.distribution
            )));
        }
    }
    Ok(())
}

pub(crate) fn check_finish(state: TrialState, values: Option<&[f64]>, n_objectives: usize) -> Result<()> {
    if !state.is_finished() {
        return Err(Error::InvalidArgument(format!("cannot finish a trial as {state}")));
    }
    if let Some(values) = values {
        if values.len() != n_objectives {
            return Err(Error::InvalidArgument(format!(
                "the study has {n_objectives} objective(s) but {} value(s) were given",
                values.len()
            )));
        }
    } else if state == TrialState::Complete {
        return Err(Error::InvalidArgument("a complete trial needs its objective value(s)".into()));
    }
    Ok(())
}
