//! Writing studies into a new SQLite file laid out as Optuna 5.0 lays out
//! its RDB storage, stamped with the alembic revision Optuna 5.0 expects
//! (`v3.2.0.a`), so that Optuna, optuna-dashboard and scripts open it
//! without migrating it.
//!
//! The file is written under a temporary name beside the target and renamed
//! into place when complete, so a failure leaves no half-written database.

use std::path::{Path, PathBuf};

use ferrotune_core::{AttrValue, Error, Result, StudyDirection, TrialState, CONSTRAINTS_ATTR};
use rusqlite::{params, Connection};

use super::distribution::distribution_to_optuna_json;
use super::{
    python_json_text, us_to_utc_text, StudyData, FIXED_PARAMS_ATTR, INTERMEDIATE_VECTORS_ATTR, WRITTEN_REVISION,
};

/// The tables Optuna 5.0 creates in SQLite (its `models.py` through
/// SQLAlchemy), with the same names, columns, types and constraints, so
/// that Optuna finds nothing to create or migrate. Enums are stored by
/// name (`VARCHAR`), as SQLAlchemy does on SQLite.
const SCHEMA: &str = r#"
CREATE TABLE studies (
    study_id INTEGER NOT NULL,
    study_name VARCHAR(512) NOT NULL,
    PRIMARY KEY (study_id)
);
CREATE UNIQUE INDEX ix_studies_study_name ON studies (study_name);
CREATE TABLE version_info (
    version_info_id INTEGER NOT NULL,
    schema_version INTEGER,
    library_version VARCHAR(256),
    PRIMARY KEY (version_info_id),
    CHECK (version_info_id=1)
);
CREATE TABLE study_directions (
    study_direction_id INTEGER NOT NULL,
    direction VARCHAR(8) NOT NULL,
    study_id INTEGER NOT NULL,
    objective INTEGER NOT NULL,
    PRIMARY KEY (study_direction_id),
    UNIQUE (study_id, objective),
    FOREIGN KEY(study_id) REFERENCES studies (study_id)
);
CREATE TABLE study_user_attributes (
    study_user_attribute_id INTEGER NOT NULL,
    study_id INTEGER,
    "key" VARCHAR(512),
    value_json TEXT,
    PRIMARY KEY (study_user_attribute_id),
    UNIQUE (study_id, "key"),
    FOREIGN KEY(study_id) REFERENCES studies (study_id)
);
CREATE TABLE study_system_attributes (
    study_system_attribute_id INTEGER NOT NULL,
    study_id INTEGER,
    "key" VARCHAR(512),
    value_json TEXT,
    PRIMARY KEY (study_system_attribute_id),
    UNIQUE (study_id, "key"),
    FOREIGN KEY(study_id) REFERENCES studies (study_id)
);
CREATE TABLE trials (
    trial_id INTEGER NOT NULL,
    number INTEGER,
    study_id INTEGER,
    state VARCHAR(8) NOT NULL,
    datetime_start DATETIME,
    datetime_complete DATETIME,
    PRIMARY KEY (trial_id),
    FOREIGN KEY(study_id) REFERENCES studies (study_id)
);
CREATE INDEX ix_trials_study_id ON trials (study_id);
CREATE TABLE trial_user_attributes (
    trial_user_attribute_id INTEGER NOT NULL,
    trial_id INTEGER,
    "key" VARCHAR(512),
    value_json TEXT,
    PRIMARY KEY (trial_user_attribute_id),
    UNIQUE (trial_id, "key"),
    FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
);
CREATE TABLE trial_system_attributes (
    trial_system_attribute_id INTEGER NOT NULL,
    trial_id INTEGER,
    "key" VARCHAR(512),
    value_json TEXT,
    PRIMARY KEY (trial_system_attribute_id),
    UNIQUE (trial_id, "key"),
    FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
);
CREATE TABLE trial_params (
    param_id INTEGER NOT NULL,
    trial_id INTEGER,
    param_name VARCHAR(512),
    param_value FLOAT,
    distribution_json TEXT,
    PRIMARY KEY (param_id),
    UNIQUE (trial_id, param_name),
    FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
);
CREATE TABLE trial_values (
    trial_value_id INTEGER NOT NULL,
    trial_id INTEGER NOT NULL,
    objective INTEGER NOT NULL,
    value FLOAT,
    value_type VARCHAR(7) NOT NULL,
    PRIMARY KEY (trial_value_id),
    UNIQUE (trial_id, objective),
    FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
);
CREATE TABLE trial_intermediate_values (
    trial_intermediate_value_id INTEGER NOT NULL,
    trial_id INTEGER NOT NULL,
    step INTEGER NOT NULL,
    intermediate_value FLOAT,
    intermediate_value_type VARCHAR(7) NOT NULL,
    PRIMARY KEY (trial_intermediate_value_id),
    UNIQUE (trial_id, step),
    FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
);
CREATE TABLE trial_heartbeats (
    trial_heartbeat_id INTEGER NOT NULL,
    trial_id INTEGER NOT NULL,
    heartbeat DATETIME NOT NULL,
    PRIMARY KEY (trial_heartbeat_id),
    UNIQUE (trial_id),
    FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
);
CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
"#;

/// Optuna's `models.SCHEMA_VERSION`, frozen since alembic took over.
const OPTUNA_SCHEMA_VERSION: i64 = 12;
/// The library version recorded in `version_info`: Optuna shows it in its
/// upgrade messages ("set up by optuna X"); the file has 5.0.0's schema.
const OPTUNA_LIBRARY_VERSION: &str = "5.0.0";

/// Write `studies` into a new Optuna SQLite file at `path`, which must not
/// exist yet (an existing file is never overwritten or added to).
pub fn write_optuna_sqlite(path: &Path, studies: &[StudyData]) -> Result<()> {
    let named = |why: String| Error::Storage(format!("writing Optuna database {}: {why}", path.display()));
    if path.try_exists().unwrap_or(true) {
        return Err(Error::InvalidArgument(format!(
            "{} already exists: the Optuna export writes a new file and never overwrites one; \
             choose another name or remove it first",
            path.display()
        )));
    }
    let mut seen = std::collections::BTreeSet::new();
    for study in studies {
        if !seen.insert(study.name.as_str()) {
            return Err(Error::InvalidArgument(format!("study '{}' is given twice", study.name)));
        }
    }
    let partial = partial_path(path);
    let _ = std::fs::remove_file(&partial);
    let result = write_into(&partial, studies).map_err(|e| named(e.to_string()));
    let result = result.and_then(|()| {
        // A hard link refuses to replace a file that appeared meanwhile,
        // where a rename would silently overwrite it.
        match std::fs::hard_link(&partial, path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                Err(Error::InvalidArgument(format!("{} appeared while it was being written", path.display())))
            }
            // A file system without hard links.
            Err(_) => std::fs::rename(&partial, path).map_err(|e| named(e.to_string())),
        }
    });
    let _ = std::fs::remove_file(&partial);
    result
}

fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".partial-{}", std::process::id()));
    path.with_file_name(name)
}

fn write_into(path: &Path, studies: &[StudyData]) -> rusqlite::Result<()> {
    let mut conn = Connection::open(path)?;
    let tx = conn.transaction()?;
    tx.execute_batch(SCHEMA)?;
    tx.execute(
        "INSERT INTO version_info (version_info_id, schema_version, library_version) VALUES (1, ?1, ?2)",
        params![OPTUNA_SCHEMA_VERSION, OPTUNA_LIBRARY_VERSION],
    )?;
    tx.execute("INSERT INTO alembic_version (version_num) VALUES (?1)", params![WRITTEN_REVISION])?;
    let mut trial_id: i64 = 0;
    for (index, study) in studies.iter().enumerate() {
        let study_id = index as i64 + 1;
        tx.execute("INSERT INTO studies (study_id, study_name) VALUES (?1, ?2)", params![study_id, study.name])?;
        for (objective, direction) in study.directions.iter().enumerate() {
            let direction = match direction {
                StudyDirection::Minimize => "MINIMIZE",
                StudyDirection::Maximize => "MAXIMIZE",
            };
            tx.execute(
                "INSERT INTO study_directions (direction, study_id, objective) VALUES (?1, ?2, ?3)",
                params![direction, study_id, objective as i64],
            )?;
        }
        for (key, value) in &study.user_attrs {
            tx.execute(
                "INSERT INTO study_user_attributes (study_id, \"key\", value_json) VALUES (?1, ?2, ?3)",
                params![study_id, key, python_json_text(value)],
            )?;
        }
        for (key, value) in &study.system_attrs {
            tx.execute(
                "INSERT INTO study_system_attributes (study_id, \"key\", value_json) VALUES (?1, ?2, ?3)",
                params![study_id, key, python_json_text(value)],
            )?;
        }
        for trial in &study.trials {
            trial_id += 1;
            let state = match trial.state {
                TrialState::Running => "RUNNING",
                TrialState::Waiting => "WAITING",
                TrialState::Complete => "COMPLETE",
                TrialState::Pruned => "PRUNED",
                TrialState::Failed => "FAIL",
            };
            tx.execute(
                "INSERT INTO trials (trial_id, number, study_id, state, datetime_start, datetime_complete) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    trial_id,
                    trial.number as i64,
                    study_id,
                    state,
                    trial.started_at_us.map(us_to_utc_text),
                    trial.finished_at_us.map(us_to_utc_text)
                ],
            )?;
            for (name, param) in &trial.params {
                tx.execute(
                    "INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) \
                     VALUES (?1, ?2, ?3, ?4)",
                    params![trial_id, name, param.internal, distribution_to_optuna_json(&param.distribution)],
                )?;
            }
            // Optuna has no NaN objective value and no values on a failed
            // trial (its `FrozenTrial` refuses both): such values are left out.
            let values = trial
                .values
                .as_ref()
                .filter(|values| trial.state != TrialState::Failed && !values.iter().any(|v| v.is_nan()));
            for (objective, value) in values.into_iter().flatten().enumerate() {
                let (value, kind) = stored_repr(*value);
                tx.execute(
                    "INSERT INTO trial_values (trial_id, objective, value, value_type) VALUES (?1, ?2, ?3, ?4)",
                    params![trial_id, objective as i64, value, kind],
                )?;
            }
            for (step, value) in &trial.intermediate_values {
                let (value, kind) = stored_repr(*value);
                tx.execute(
                    "INSERT INTO trial_intermediate_values (trial_id, step, intermediate_value, intermediate_value_type) \
                     VALUES (?1, ?2, ?3, ?4)",
                    params![trial_id, *step as i64, value, kind],
                )?;
            }
            for (key, value) in &trial.user_attrs {
                tx.execute(
                    "INSERT INTO trial_user_attributes (trial_id, \"key\", value_json) VALUES (?1, ?2, ?3)",
                    params![trial_id, key, python_json_text(value)],
                )?;
            }
            for (key, value) in optuna_system_attrs(trial) {
                tx.execute(
                    "INSERT INTO trial_system_attributes (trial_id, \"key\", value_json) VALUES (?1, ?2, ?3)",
                    params![trial_id, key, python_json_text(&value)],
                )?;
            }
        }
    }
    tx.commit()?;
    conn.close().map_err(|(_, e)| e)
}

/// A trial's system attributes as Optuna keeps them: an enqueued trial's
/// values under `fixed_params`, constraints as a list (ferrotune names
/// them; a list's entries are named "0", "1", ..., which are put back in
/// that order, and other names in their sorted order), and per-objective
/// intermediate values in an attribute of their own.
fn optuna_system_attrs(trial: &ferrotune_core::FrozenTrial) -> Vec<(String, AttrValue)> {
    let mut attrs: Vec<(String, AttrValue)> = Vec::new();
    for (key, value) in &trial.system_attrs {
        if key == CONSTRAINTS_ATTR {
            if let AttrValue::Object(named) = value {
                let mut entries: Vec<(&String, &AttrValue)> = named.iter().collect();
                if entries.iter().all(|(k, _)| k.parse::<usize>().is_ok()) {
                    entries.sort_by_key(|(k, _)| k.parse::<usize>().unwrap_or(usize::MAX));
                }
                let list = entries.into_iter().map(|(_, v)| v.clone()).collect();
                attrs.push((key.clone(), AttrValue::Array(list)));
                continue;
            }
        }
        if key == FIXED_PARAMS_ATTR && trial.fixed_params.is_some() {
            continue;
        }
        attrs.push((key.clone(), value.clone()));
    }
    if !trial.intermediate_vectors.is_empty() {
        let vectors: serde_json::Map<String, AttrValue> = trial
            .intermediate_vectors
            .iter()
            .map(|(step, values)| {
                let values =
                    values.iter().map(|v| serde_json::Number::from_f64(*v).map_or(AttrValue::Null, AttrValue::Number));
                (step.to_string(), AttrValue::Array(values.collect()))
            })
            .collect();
        attrs.push((INTERMEDIATE_VECTORS_ATTR.to_owned(), AttrValue::Object(vectors)));
    }
    if let Some(fixed) = &trial.fixed_params {
        attrs.push((FIXED_PARAMS_ATTR.to_owned(), serde_json::to_value(fixed).unwrap_or(AttrValue::Null)));
    }
    attrs
}

/// Optuna's stored form of a float: the number, or NULL and its kind.
fn stored_repr(value: f64) -> (Option<f64>, &'static str) {
    if value.is_nan() {
        (None, "NAN")
    } else if value == f64::INFINITY {
        (None, "INF_POS")
    } else if value == f64::NEG_INFINITY {
        (None, "INF_NEG")
    } else {
        (Some(value), "FINITE")
    }
}
