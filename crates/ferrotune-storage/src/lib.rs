//! Storage backends for ferrotune: [`InMemoryStorage`] and
//! [`SqliteStorage`], plus [`open`] to pick one from a URL, and the
//! [`conformance`] suite every backend must pass.
//!
//! Design decision: all SQL logic lives once, in [`sql::SqlStorage`], written
//! against a two-method connection seam ([`sql::SqlBackend`]) in the SQL
//! subset that SQLite and PostgreSQL share (`$n` placeholders, `RETURNING`,
//! `ON CONFLICT`). A backend only supplies connections, transactions and the
//! one DDL type that differs, so PostgreSQL is a small file, not a copy.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use ferrotune_core::{Error, Result, Storage, StudyDirection, TrialState};

pub mod conformance;
mod memory;
pub mod sql;

pub use memory::InMemoryStorage;
pub use sql::sqlite::SqliteStorage;

/// Open a storage from a URL: `memory` (or `:memory:`), or
/// `sqlite:///relative/or/absolute/path.db` (`sqlite:////abs/path.db` and a
/// bare path ending in `.db` also work).
pub fn open(url: &str) -> Result<Arc<dyn Storage>> {
    let url = url.trim();
    if url.is_empty() || url == "memory" || url == ":memory:" || url == "memory://" {
        return Ok(Arc::new(InMemoryStorage::new()));
    }
    if let Some(path) = url.strip_prefix("sqlite:///").or_else(|| url.strip_prefix("sqlite://")) {
        if path.is_empty() {
            return Err(Error::InvalidArgument(format!("storage URL '{url}' names no file")));
        }
        return Ok(Arc::new(SqliteStorage::open(path)?));
    }
    if url.ends_with(".db") || url.ends_with(".sqlite") || url.ends_with(".sqlite3") {
        return Ok(Arc::new(SqliteStorage::open(url)?));
    }
    Err(Error::InvalidArgument(format!("unsupported storage URL '{url}': use 'memory' or 'sqlite:///path/to/file.db'")))
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
