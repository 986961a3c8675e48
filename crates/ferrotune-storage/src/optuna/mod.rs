//! Interop with Optuna's RDB storage: read every study and trial of an
//! Optuna database (SQLite or PostgreSQL, Optuna 3.0 to 5.x) into
//! ferrotune's types, import them into any ferrotune [`Storage`], and write
//! ferrotune studies into a new SQLite file that Optuna 5 (and
//! optuna-dashboard) opens as its own.
//!
//! Design decision: the two schemas stay apart. ferrotune never opens an
//! Optuna database as its storage, nor creates its tables beside Optuna's
//! (the SQLite backend refuses such a file and names `ferrotune import`);
//! studies cross over by copy, in one direction at a time. Each side keeps
//! the layout its own engine relies on, and neither tool can half-migrate
//! the other's file.
//!
//! What does not cross exactly, and why:
//! - Optuna before 5.0 wrote trial times as the writing machine's local
//!   time without a zone; they are read as UTC (what Optuna 5 writes), so
//!   times from an older file are off by that machine's UTC offset.
//! - Optuna's constraints (a list) become ferrotune's named constraints
//!   `"0"`, `"1"`, ... and back.
//! - An enqueued trial's `fixed_params` system attribute is ferrotune's
//!   [`FrozenTrial::fixed_params`] and back.
//! - ferrotune's per-objective intermediate values have no place in
//!   Optuna's schema: they travel in a system attribute Optuna ignores
//!   (`ferrotune:intermediate_vectors`), so they come back on import. A NaN
//!   objective value or values of a failed trial (which Optuna's trials
//!   cannot hold) are not exported.

mod distribution;
mod read;
mod write;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ferrotune_core::{
    AttrScope, AttrValue, Error, FrozenTrial, Result, Storage, StudyDirection, TrialState, FAIL_REASON_ATTR,
};

pub use distribution::{distribution_from_optuna_json, distribution_to_optuna_json};
pub use read::read_optuna_studies;
pub use write::write_optuna_sqlite;

/// The alembic revisions of Optuna's schema this module reads: `v3.0.0.d`
/// (Optuna 3.0 and 3.1) and `v3.2.0.a` (3.2 to 5.x), the same tables.
const READABLE_REVISIONS: [&str; 2] = ["v3.0.0.d", "v3.2.0.a"];
/// The revision written, Optuna 5.0's head.
const WRITTEN_REVISION: &str = "v3.2.0.a";
/// Optuna's system attribute holding an enqueued trial's values.
pub(crate) const FIXED_PARAMS_ATTR: &str = "fixed_params";
/// The system attribute that carries ferrotune's per-objective intermediate
/// values through an Optuna file (`{"step": [value, ...]}`, NaN as null),
/// which has no table for them: Optuna ignores it, and an import puts them
/// back.
pub(crate) const INTERMEDIATE_VECTORS_ATTR: &str = "ferrotune:intermediate_vectors";

/// A study with everything in it: what crosses between Optuna and
/// ferrotune.
#[derive(Debug, Clone, PartialEq)]
pub struct StudyData {
    /// The study's name.
    pub name: String,
    /// One direction per objective.
    pub directions: Vec<StudyDirection>,
    /// Attributes set by user code.
    pub user_attrs: BTreeMap<String, AttrValue>,
    /// Attributes set by the engine.
    pub system_attrs: BTreeMap<String, AttrValue>,
    /// Every trial, ordered by number (0, 1, 2, ...).
    pub trials: Vec<FrozenTrial>,
}

/// What [`import_optuna`] brought in: each study's name and trial count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedStudy {
    /// The study's name (the same in both storages).
    pub name: String,
    /// How many trials it has.
    pub n_trials: usize,
}

/// Copy the studies of the Optuna database at `optuna_url` (all of them, or
/// those named in `names`) into `target`, with every trial. Refuses, before
/// writing anything, when `target` already has a study of one of those
/// names: an import never adds to or overwrites a ferrotune study. A study
/// that fails half-way is deleted again, so what is there is whole.
pub fn import_optuna(optuna_url: &str, target: &dyn Storage, names: Option<&[String]>) -> Result<Vec<ImportedStudy>> {
    let studies = read_optuna_studies(optuna_url, names)?;
    for study in &studies {
        if target.study_by_name(&study.name)?.is_some() {
            return Err(Error::InvalidArgument(format!(
                "the ferrotune storage already has a study named '{}': an import never overwrites a study; \
                 delete it first, or choose the studies to import{}",
                study.name,
                if studies.len() > 1 { " (give their names)" } else { "" }
            )));
        }
    }
    let mut imported = Vec::with_capacity(studies.len());
    for study in &studies {
        let info = target.create_study(&study.name, &study.directions)?;
        if let Err(e) = fill_study(target, info.study_id, study) {
            let _ = target.delete_study(info.study_id);
            return Err(e);
        }
        imported.push(ImportedStudy { name: study.name.clone(), n_trials: study.trials.len() });
    }
    Ok(imported)
}

fn fill_study(target: &dyn Storage, study_id: i64, study: &StudyData) -> Result<()> {
    for (key, value) in &study.user_attrs {
        target.set_study_attr(study_id, AttrScope::User, key, value)?;
    }
    for (key, value) in &study.system_attrs {
        target.set_study_attr(study_id, AttrScope::System, key, value)?;
    }
    for (index, trial) in study.trials.iter().enumerate() {
        // Numbers are dense in both tools; a gap would renumber every
        // later trial, so say so instead.
        if trial.number != index as u64 {
            return Err(Error::Storage(format!(
                "study '{}': trial numbers are not 0, 1, 2, ...: trial {} comes where {index} should",
                study.name, trial.number
            )));
        }
        add_frozen_trial(target, study_id, trial)
            .map_err(|e| Error::Storage(format!("study '{}', trial {}: {e}", study.name, trial.number)))?;
    }
    Ok(())
}

/// Write a whole trial into a study, in its state and with its times
/// ([`Storage::add_trial`]). A trial still running in the Optuna study (its
/// worker gone, most likely) comes in failed, its `fail_reason` saying so:
/// nothing would ever finish it here.
fn add_frozen_trial(storage: &dyn Storage, study_id: i64, trial: &FrozenTrial) -> Result<()> {
    let added = if trial.state == TrialState::Running {
        let mut failed = trial.clone();
        failed.state = TrialState::Failed;
        failed.values = None;
        failed.system_attrs.insert(
            FAIL_REASON_ATTR.to_owned(),
            AttrValue::from("import: the trial was still running in the Optuna study when it was imported"),
        );
        storage.add_trial(study_id, &failed)?
    } else {
        storage.add_trial(study_id, trial)?
    };
    if added.number != trial.number {
        return Err(Error::Storage(format!("it was numbered {} in the ferrotune storage", added.number)));
    }
    Ok(())
}

/// Every study of `source` (or those named in `names`) with its trials, as
/// [`write_optuna_sqlite`] takes them.
pub fn studies_of(source: &dyn Storage, names: Option<&[String]>) -> Result<Vec<StudyData>> {
    let infos = match names {
        None => source.list_studies()?,
        Some(names) => names
            .iter()
            .map(|name| source.study_by_name(name)?.ok_or_else(|| Error::StudyNotFound(name.clone())))
            .collect::<Result<_>>()?,
    };
    infos
        .into_iter()
        .map(|info| {
            let trials = source.all_trials(info.study_id)?.iter().map(|t| (**t).clone()).collect();
            Ok(StudyData {
                name: info.name,
                directions: info.directions,
                user_attrs: info.user_attrs,
                system_attrs: info.system_attrs,
                trials,
            })
        })
        .collect()
}

/// Write the studies of `source` (all, or those named) into a new Optuna
/// SQLite file at `path`; returns how many studies and trials it wrote.
pub fn export_optuna_sqlite(source: &dyn Storage, names: Option<&[String]>, path: &Path) -> Result<(usize, usize)> {
    let studies = studies_of(source, names)?;
    write_optuna_sqlite(path, &studies)?;
    Ok((studies.len(), studies.iter().map(|s| s.trials.len()).sum()))
}

/// An Optuna storage URL, in SQLAlchemy's forms.
enum OptunaUrl {
    Sqlite(PathBuf),
    /// A libpq URL (the `+driver` of SQLAlchemy's scheme removed).
    Postgres(String),
    /// Optuna's journal file (`JournalFileBackend`).
    Journal(PathBuf, crate::journal::JournalOptions),
}

impl OptunaUrl {
    fn parse(url: &str) -> Result<Self> {
        let url = url.trim();
        let form = "sqlite:///relative.db, sqlite:////absolute/path.db, a path ending in .db, \
                    postgresql://user[:password]@host[:port]/database, or an Optuna journal file: \
                    journal:///relative.log or a path ending in .log";
        if url.is_empty() {
            return Err(Error::InvalidArgument(format!("the Optuna storage URL is empty: give {form}")));
        }
        if let Some(path) = url.strip_prefix("sqlite:///").or_else(|| url.strip_prefix("sqlite://")) {
            if path.is_empty() {
                return Err(Error::InvalidArgument(format!("Optuna storage URL '{url}' names no file: give {form}")));
            }
            return Ok(OptunaUrl::Sqlite(PathBuf::from(path)));
        }
        if let Some(rest) = url.strip_prefix("journal:///").or_else(|| url.strip_prefix("journal://")) {
            let (path, options) = crate::journal_url(url, rest)?;
            return Ok(OptunaUrl::Journal(path, options));
        }
        if url.ends_with(".log") || url.ends_with(".jsonl") {
            return Ok(OptunaUrl::Journal(PathBuf::from(url), Default::default()));
        }
        if let Some((scheme, rest)) = url.split_once("://") {
            // SQLAlchemy's `dialect+driver`: the driver is Python's business.
            let dialect = scheme.split('+').next().unwrap_or(scheme).to_ascii_lowercase();
            return match dialect.as_str() {
                "postgresql" | "postgres" => Ok(OptunaUrl::Postgres(format!("postgresql://{rest}"))),
                "mysql" | "mariadb" => Err(Error::InvalidArgument(format!(
                    "Optuna storage '{}': MySQL is not read by ferrotune yet; copy the study to SQLite with Optuna \
                     (optuna.copy_study) and import that file",
                    crate::sql::postgres::redact(url)
                ))),
                _ => Err(Error::InvalidArgument(format!(
                    "unsupported Optuna storage URL '{}': give {form}",
                    crate::sql::postgres::redact(url)
                ))),
            };
        }
        if url.ends_with(".db") || url.ends_with(".sqlite") || url.ends_with(".sqlite3") {
            return Ok(OptunaUrl::Sqlite(PathBuf::from(url)));
        }
        Err(Error::InvalidArgument(format!("unsupported Optuna storage URL '{url}': give {form}")))
    }

    /// How errors name the database (never with a password).
    fn label(&self) -> String {
        match self {
            OptunaUrl::Sqlite(path) => path.display().to_string(),
            OptunaUrl::Postgres(url) => crate::sql::postgres::redact(url),
            OptunaUrl::Journal(path, _) => path.display().to_string(),
        }
    }
}

/// Whether the tables of a SQLite database (their names) are Optuna's RDB
/// storage: its version tables beside its studies.
pub(crate) fn looks_like_optuna(tables: &[String]) -> bool {
    let has = |name: &str| tables.iter().any(|t| t == name);
    has("studies") && has("study_directions") && (has("alembic_version") || has("version_info"))
}

/// The message for a ferrotune storage URL that names an Optuna database.
pub(crate) fn optuna_database_message(path: &Path) -> String {
    format!(
        "{} is an Optuna database (Optuna's RDBStorage tables), not a ferrotune one; ferrotune does not open it \
         in place. Copy its studies into a ferrotune storage with `ferrotune import sqlite:///{} --storage \
         sqlite:///ferrotune.db` (Python: ferrotune.storages.import_optuna)",
        path.display(),
        path.display()
    )
}

/// JSON as Python's `json.dumps` writes it, which Optuna stores: also
/// `NaN`, `Infinity` and `-Infinity` outside strings, which JSON lacks and
/// which become the objects ferrotune holds such floats as
/// ([`ferrotune_core::float_attr`]), so that an attribute keeps its
/// NaN and a number field reads it back ([`crate::journal`]'s `float_of`).
pub(crate) fn parse_python_json(text: &str) -> serde_json::Result<AttrValue> {
    match serde_json::from_str(text) {
        Ok(value) => Ok(value),
        Err(first) => {
            let mut out = String::with_capacity(text.len() + 8);
            let mut in_string = false;
            let mut escaped = false;
            let mut rest = text;
            while let Some(c) = rest.chars().next() {
                if in_string {
                    out.push(c);
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        in_string = false;
                    }
                    rest = &rest[c.len_utf8()..];
                    continue;
                }
                let replaced = NON_FINITE_OBJECTS.into_iter().find(|(token, _)| rest.starts_with(token));
                if let Some((token, replacement)) = replaced {
                    out.push_str(replacement);
                    rest = &rest[token.len()..];
                    continue;
                }
                if c == '"' {
                    in_string = true;
                }
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
            serde_json::from_str(&out).map_err(|_| first)
        }
    }
}

/// Python's words for the floats JSON lacks, and the objects ferrotune
/// holds them as (`serde_json`'s compact form of
/// [`ferrotune_core::float_attr`]'s value). Longest word first: `-Infinity`
/// before `Infinity`.
const NON_FINITE_OBJECTS: [(&str, &str); 3] = [
    ("-Infinity", r#"{"$float":"-Infinity"}"#),
    ("Infinity", r#"{"$float":"Infinity"}"#),
    ("NaN", r#"{"$float":"NaN"}"#),
];

/// A value as Python's `json.dumps` writes it, for Optuna to read: the
/// objects standing for NaN and the infinities become Python's bare words.
/// A textual swap is exact, because inside a JSON string those objects'
/// quotes would be escaped.
pub(crate) fn python_json_text(value: &AttrValue) -> String {
    let mut text = value.to_string();
    for (word, object) in NON_FINITE_OBJECTS {
        if text.contains(object) {
            text = text.replace(object, word);
        }
    }
    text
}

/// `YYYY-MM-DD HH:MM:SS[.ffffff]` (how SQLAlchemy writes a `DateTime` on
/// SQLite and PostgreSQL prints a `timestamp`), read as UTC, in Unix
/// microseconds.
pub(crate) fn utc_text_to_us(text: &str) -> Option<i64> {
    let text = text.trim();
    let (date, time) = text.split_once([' ', 'T'])?;
    let mut date_parts = date.splitn(3, '-');
    let year: i64 = date_parts.next()?.parse().ok()?;
    let month: i64 = date_parts.next()?.parse().ok()?;
    let day: i64 = date_parts.next()?.parse().ok()?;
    let (clock, fraction) = match time.split_once('.') {
        Some((clock, fraction)) => (clock, fraction),
        None => (time, ""),
    };
    let mut clock_parts = clock.splitn(3, ':');
    let hour: i64 = clock_parts.next()?.parse().ok()?;
    let minute: i64 = clock_parts.next()?.parse().ok()?;
    let second: i64 = clock_parts.next()?.parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    if !fraction.chars().all(|c| c.is_ascii_digit()) || fraction.len() > 9 {
        return None;
    }
    // Microseconds: the first six digits, padded.
    let micros: i64 = format!("{fraction:0<6}")[..6].parse().ok()?;
    let days = days_from_civil(year, month, day);
    Some(((days * 24 + hour) * 60 + minute) * 60_000_000 + second * 1_000_000 + micros)
}

/// Unix microseconds as `YYYY-MM-DD HH:MM:SS.ffffff` in UTC, as Optuna 5
/// stores trial times.
pub(crate) fn us_to_utc_text(us: i64) -> String {
    let days = us.div_euclid(86_400_000_000);
    let in_day = us.rem_euclid(86_400_000_000);
    let (year, month, day) = civil_from_days(days);
    let seconds = in_day / 1_000_000;
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}.{:06}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60,
        in_day % 1_000_000
    )
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// algorithm: eras of 400 years, March-based years).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + if month <= 2 { 1 } else { 0 };
    (year, month, day)
}

#[cfg(test)]
mod tests;
