//! Reading Optuna's RDB schema (as Optuna 3.0 to 5.x leave it: alembic
//! revisions `v3.0.0.d` and `v3.2.0.a`, which differ by an index only)
//! from SQLite or PostgreSQL.
//!
//! Each table is read with one statement per study, every column cast to a
//! portable type (`BIGINT`, `DOUBLE PRECISION`, `TEXT`) so that one set of
//! statements serves both databases: PostgreSQL keeps Optuna's enums as
//! enum types and its ids as `INTEGER`, SQLite keeps whatever was written.
//! The SQLite file is opened read-only: importing never changes it.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use ferrotune_core::{
    AttrValue, Error, FrozenTrial, ParamValue, Result, StudyDirection, TrialParam, TrialState, CONSTRAINTS_ATTR,
};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use super::distribution::distribution_from_optuna_json;
use super::{
    parse_python_json, utc_text_to_us, OptunaUrl, StudyData, FIXED_PARAMS_ATTR, INTERMEDIATE_VECTORS_ATTR,
    READABLE_REVISIONS,
};

/// What a column is read as.
#[derive(Clone, Copy)]
enum Kind {
    Int,
    Real,
    Text,
}

/// One value read.
#[derive(Debug, Clone)]
enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

impl Cell {
    fn int(&self) -> Option<i64> {
        match self {
            Cell::Int(v) => Some(*v),
            _ => None,
        }
    }
    fn real(&self) -> Option<f64> {
        match self {
            Cell::Real(v) => Some(*v),
            Cell::Int(v) => Some(*v as f64),
            _ => None,
        }
    }
    fn text(&self) -> Option<&str> {
        match self {
            Cell::Text(v) => Some(v),
            _ => None,
        }
    }
}

/// A database holding Optuna's tables.
enum Source {
    Sqlite(Connection),
    Postgres { runtime: tokio::runtime::Runtime, client: tokio_postgres::Client },
}

impl Source {
    fn rows(&mut self, sql: &str, kinds: &[Kind]) -> std::result::Result<Vec<Vec<Cell>>, String> {
        match self {
            Source::Sqlite(conn) => {
                let mut statement = conn.prepare(sql).map_err(|e| e.to_string())?;
                let mut rows = statement.query([]).map_err(|e| e.to_string())?;
                let mut out = Vec::new();
                while let Some(row) = rows.next().map_err(|e| e.to_string())? {
                    let mut cells = Vec::with_capacity(kinds.len());
                    for i in 0..kinds.len() {
                        cells.push(match row.get_ref(i).map_err(|e| e.to_string())? {
                            ValueRef::Null => Cell::Null,
                            ValueRef::Integer(v) => Cell::Int(v),
                            ValueRef::Real(v) => Cell::Real(v),
                            ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
                            ValueRef::Blob(_) => return Err(format!("column {i} of `{sql}` holds a blob")),
                        });
                    }
                    out.push(cells);
                }
                Ok(out)
            }
            Source::Postgres { runtime, client } => {
                let rows = runtime.block_on(client.query(sql, &[])).map_err(|e| postgres_error(&e))?;
                let mut out = Vec::with_capacity(rows.len());
                for row in rows {
                    let mut cells = Vec::with_capacity(kinds.len());
                    for (i, kind) in kinds.iter().enumerate() {
                        let cell = match kind {
                            Kind::Int => row.try_get::<_, Option<i64>>(i).map(|v| v.map(Cell::Int)),
                            Kind::Real => row.try_get::<_, Option<f64>>(i).map(|v| v.map(Cell::Real)),
                            Kind::Text => row.try_get::<_, Option<String>>(i).map(|v| v.map(Cell::Text)),
                        };
                        cells.push(cell.map_err(|e| postgres_error(&e))?.unwrap_or(Cell::Null));
                    }
                    out.push(cells);
                }
                Ok(out)
            }
        }
    }

    /// Whether a table exists (in the connection's search path).
    fn has_table(&mut self, table: &str) -> std::result::Result<bool, String> {
        let sql = match self {
            Source::Sqlite(_) => format!("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '{table}'"),
            Source::Postgres { .. } => format!("SELECT CAST(count(*) AS BIGINT) FROM pg_catalog.pg_tables WHERE tablename = '{table}' AND schemaname = ANY (current_schemas(false))"),
        };
        Ok(self.rows(&sql, &[Kind::Int])?.first().and_then(|r| r[0].int()).unwrap_or(0) > 0)
    }
}

fn postgres_error(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => db.message().to_owned(),
        None => e.to_string(),
    }
}

/// The studies of the Optuna database at `url`, each with all its trials
/// ordered by number; only those named in `names` when it is given (an
/// unknown name is an error listing the names there are).
pub fn read_optuna_studies(url: &str, names: Option<&[String]>) -> Result<Vec<StudyData>> {
    let url = OptunaUrl::parse(url)?;
    let label = url.label();
    let fail = |why: String| Error::Storage(format!("Optuna database {label}: {why}"));
    let mut source = match &url {
        OptunaUrl::Sqlite(path) => open_sqlite(path)?,
        OptunaUrl::Postgres(url) => open_postgres(url).map_err(|e| fail(format!("cannot connect: {e}")))?,
        OptunaUrl::Journal(path, options) => return read_journal(path, options, names),
    };
    // Optuna, pointed at a ferrotune file, creates the tables it misses
    // there before it fails: such a file has Optuna's names on ours.
    if source.has_table("ferrotune_schema").map_err(fail)? {
        return Err(fail(
            "this is a ferrotune database, not an Optuna one (any Optuna tables in it were created empty by \
             Optuna opening it); open it as a ferrotune storage, or write an Optuna file from it with \
             `ferrotune export --format optuna`"
                .into(),
        ));
    }
    for table in ["studies", "study_directions", "trials", "alembic_version"] {
        if !source.has_table(table).map_err(fail)? {
            return Err(fail(format!(
                "no table `{table}`: not a database written by Optuna's RDBStorage{}",
                if table == "alembic_version" { " 3.0 or later" } else { "" }
            )));
        }
    }
    let revision = source
        .rows("SELECT CAST(version_num AS TEXT) FROM alembic_version", &[Kind::Text])
        .map_err(fail)?
        .first()
        .and_then(|r| r[0].text().map(str::to_owned))
        .unwrap_or_default();
    if !READABLE_REVISIONS.contains(&revision.as_str()) {
        return Err(fail(format!(
            "its schema is Optuna's revision '{revision}', which this ferrotune does not read (it reads {}, \
             Optuna 3.0 to 5.x); upgrade it first with `optuna storage upgrade --storage URL`",
            READABLE_REVISIONS.join(" and ")
        )));
    }
    let studies = source
        .rows(
            "SELECT CAST(study_id AS BIGINT), CAST(study_name AS TEXT) FROM studies ORDER BY study_id",
            &[Kind::Int, Kind::Text],
        )
        .map_err(fail)?;
    let mut all: Vec<(i64, String)> = Vec::new();
    for row in &studies {
        match (row[0].int(), row[1].text()) {
            (Some(id), Some(name)) => all.push((id, name.to_owned())),
            _ => return Err(fail("a row of `studies` has no id or no name".into())),
        }
    }
    let selected: Vec<(i64, String)> = match names {
        None => all,
        Some(names) => {
            let mut selected = Vec::new();
            for name in names {
                match all.iter().find(|(_, n)| n == name) {
                    Some(found) => selected.push(found.clone()),
                    None => {
                        let there: Vec<&str> = all.iter().map(|(_, n)| n.as_str()).collect();
                        let there = if there.is_empty() {
                            "no studies".to_owned()
                        } else {
                            format!("'{}'", there.join("', '"))
                        };
                        return Err(Error::InvalidArgument(format!(
                            "no study named '{name}' in Optuna database {label} (it has: {there})"
                        )));
                    }
                }
            }
            selected
        }
    };
    selected
        .into_iter()
        .map(|(id, name)| {
            read_study(&mut source, id, &name)
                .map_err(|why| Error::Storage(format!("Optuna database {label}, study '{name}': {why}")))
        })
        .collect()
}

fn open_sqlite(path: &Path) -> Result<Source> {
    if !path.try_exists().unwrap_or(true) {
        return Err(Error::Storage(format!("Optuna database {} does not exist", path.display())));
    }
    // Read-only: an import never writes to the file it reads.
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|e| Error::Storage(format!("Optuna database {}: {e}", path.display())))?;
    Ok(Source::Sqlite(conn))
}

fn open_postgres(url: &str) -> std::result::Result<Source, String> {
    let config = tokio_postgres::Config::from_str(url).map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    let (client, connection) =
        runtime.block_on(config.connect(tokio_postgres::NoTls)).map_err(|e| postgres_error(&e))?;
    // On a one-thread runtime the connection task runs while a query is
    // blocked on, which is whenever it is needed.
    runtime.spawn(connection);
    Ok(Source::Postgres { runtime, client })
}

/// Attributes of a study or trial (`table` has `key` and `value_json`).
fn read_attrs(
    source: &mut Source,
    sql: &str,
) -> std::result::Result<BTreeMap<i64, BTreeMap<String, AttrValue>>, String> {
    let mut out: BTreeMap<i64, BTreeMap<String, AttrValue>> = BTreeMap::new();
    for row in source.rows(sql, &[Kind::Int, Kind::Text, Kind::Text])? {
        let (Some(owner), Some(key)) = (row[0].int(), row[1].text()) else { continue };
        let text = row[2].text().unwrap_or("null");
        let value =
            parse_python_json(text).map_err(|e| format!("attribute '{key}': value {text} is not JSON ({e})"))?;
        out.entry(owner).or_default().insert(key.to_owned(), value);
    }
    Ok(out)
}

fn read_study(source: &mut Source, study_id: i64, name: &str) -> std::result::Result<StudyData, String> {
    let mut directions = Vec::new();
    let rows = source.rows(
        &format!(
            "SELECT CAST(objective AS BIGINT), CAST(direction AS TEXT) FROM study_directions \
             WHERE study_id = {study_id} ORDER BY objective"
        ),
        &[Kind::Int, Kind::Text],
    )?;
    for (i, row) in rows.iter().enumerate() {
        if row[0].int() != Some(i as i64) {
            return Err(format!("its objectives are not numbered 0, 1, ... (found {:?} at {i})", row[0]));
        }
        directions.push(match row[1].text() {
            Some("MINIMIZE") => StudyDirection::Minimize,
            Some("MAXIMIZE") => StudyDirection::Maximize,
            // NOT_SET: a study created before its direction was known (old Optuna).
            other => return Err(format!("objective {i} has direction {other:?}, neither MINIMIZE nor MAXIMIZE")),
        });
    }
    if directions.is_empty() {
        return Err("it has no direction".into());
    }
    let user_attrs = read_attrs(
        source,
        &format!(
            "SELECT CAST(study_id AS BIGINT), key, value_json FROM study_user_attributes WHERE study_id = {study_id}"
        ),
    )?
    .remove(&study_id)
    .unwrap_or_default();
    let system_attrs = read_attrs(
        source,
        &format!(
            "SELECT CAST(study_id AS BIGINT), key, value_json FROM study_system_attributes WHERE study_id = {study_id}"
        ),
    )?
    .remove(&study_id)
    .unwrap_or_default();

    let rows = source.rows(
        &format!(
            "SELECT CAST(trial_id AS BIGINT), CAST(number AS BIGINT), CAST(state AS TEXT), \
             CAST(datetime_start AS TEXT), CAST(datetime_complete AS TEXT) \
             FROM trials WHERE study_id = {study_id} ORDER BY number, trial_id"
        ),
        &[Kind::Int, Kind::Int, Kind::Text, Kind::Text, Kind::Text],
    )?;
    let mut trials: BTreeMap<i64, FrozenTrial> = BTreeMap::new();
    for row in &rows {
        let (Some(trial_id), Some(number)) = (row[0].int(), row[1].int()) else {
            return Err("a trial has no id or no number".into());
        };
        let number = u64::try_from(number).map_err(|_| format!("trial {number} has a negative number"))?;
        let state = match row[2].text() {
            Some("RUNNING") => TrialState::Running,
            Some("WAITING") => TrialState::Waiting,
            Some("COMPLETE") => TrialState::Complete,
            Some("PRUNED") => TrialState::Pruned,
            Some("FAIL") => TrialState::Failed,
            other => return Err(format!("trial {number} has state {other:?}, not one Optuna writes")),
        };
        let mut trial = FrozenTrial::new(trial_id, number, state);
        let time = |cell: &Cell| -> std::result::Result<Option<i64>, String> {
            match cell.text() {
                None => Ok(None),
                Some(text) => utc_text_to_us(text)
                    .map(Some)
                    .ok_or_else(|| format!("trial {number}: '{text}' is not a date and time")),
            }
        };
        trial.started_at_us = time(&row[3])?;
        trial.finished_at_us = time(&row[4])?;
        trials.insert(trial_id, trial);
    }
    let number_of = |trials: &BTreeMap<i64, FrozenTrial>, id: i64| trials.get(&id).map(|t| t.number);
    let in_study = format!("trial_id IN (SELECT trial_id FROM trials WHERE study_id = {study_id})");

    for row in source.rows(
        &format!(
            "SELECT CAST(trial_id AS BIGINT), CAST(param_name AS TEXT), CAST(param_value AS DOUBLE PRECISION), \
             CAST(distribution_json AS TEXT) FROM trial_params WHERE {in_study} ORDER BY param_id"
        ),
        &[Kind::Int, Kind::Text, Kind::Real, Kind::Text],
    )? {
        let Some(trial_id) = row[0].int() else { continue };
        let Some(number) = number_of(&trials, trial_id) else { continue };
        let name = row[1].text().ok_or_else(|| format!("trial {number}: a parameter has no name"))?.to_owned();
        let internal = row[2].real().ok_or_else(|| format!("trial {number}: parameter '{name}' has no value"))?;
        let json = row[3].text().ok_or_else(|| format!("trial {number}: parameter '{name}' has no distribution"))?;
        let distribution =
            distribution_from_optuna_json(json).map_err(|e| format!("trial {number}: parameter '{name}': {e}"))?;
        if !distribution.contains(internal) {
            return Err(format!("trial {number}: parameter '{name}' has value {internal}, outside its {distribution}"));
        }
        if let Some(trial) = trials.get_mut(&trial_id) {
            trial.params.insert(name, TrialParam { distribution, internal });
        }
    }

    let mut values: BTreeMap<i64, BTreeMap<i64, f64>> = BTreeMap::new();
    for row in source.rows(
        &format!(
            "SELECT CAST(trial_id AS BIGINT), CAST(objective AS BIGINT), CAST(value AS DOUBLE PRECISION), \
             CAST(value_type AS TEXT) FROM trial_values WHERE {in_study}"
        ),
        &[Kind::Int, Kind::Int, Kind::Real, Kind::Text],
    )? {
        let (Some(trial_id), Some(objective)) = (row[0].int(), row[1].int()) else { continue };
        let Some(number) = number_of(&trials, trial_id) else { continue };
        let value = stored_float(&row[2], row[3].text(), false)
            .map_err(|why| format!("trial {number}: value of objective {objective}: {why}"))?;
        values.entry(trial_id).or_default().insert(objective, value);
    }
    for (trial_id, by_objective) in values {
        let Some(trial) = trials.get_mut(&trial_id) else { continue };
        let complete = by_objective.keys().copied().eq(0..directions.len() as i64);
        if !complete {
            return Err(format!(
                "trial {} has values for objectives {:?}, but the study has {} objective(s)",
                trial.number,
                by_objective.keys().collect::<Vec<_>>(),
                directions.len()
            ));
        }
        trial.values = Some(by_objective.into_values().collect());
    }

    for row in source.rows(
        &format!(
            "SELECT CAST(trial_id AS BIGINT), CAST(step AS BIGINT), CAST(intermediate_value AS DOUBLE PRECISION), \
             CAST(intermediate_value_type AS TEXT) FROM trial_intermediate_values WHERE {in_study}"
        ),
        &[Kind::Int, Kind::Int, Kind::Real, Kind::Text],
    )? {
        let (Some(trial_id), Some(step)) = (row[0].int(), row[1].int()) else { continue };
        let Some(number) = number_of(&trials, trial_id) else { continue };
        let step = u64::try_from(step).map_err(|_| format!("trial {number}: negative step {step}"))?;
        let value = stored_float(&row[2], row[3].text(), true)
            .map_err(|why| format!("trial {number}: intermediate value at step {step}: {why}"))?;
        if let Some(trial) = trials.get_mut(&trial_id) {
            trial.intermediate_values.insert(step, value);
        }
    }

    let in_study_key =
        |table: &str| format!("SELECT CAST(trial_id AS BIGINT), key, value_json FROM {table} WHERE {in_study}");
    for (trial_id, attrs) in read_attrs(source, &in_study_key("trial_user_attributes"))? {
        if let Some(trial) = trials.get_mut(&trial_id) {
            trial.user_attrs = attrs;
        }
    }
    for (trial_id, mut attrs) in read_attrs(source, &in_study_key("trial_system_attributes"))? {
        let Some(trial) = trials.get_mut(&trial_id) else { continue };
        // Optuna keeps an enqueued trial's values as this attribute;
        // ferrotune has a field for them.
        if let Some(fixed) = attrs.remove(FIXED_PARAMS_ATTR) {
            let parsed: Option<BTreeMap<String, ParamValue>> = serde_json::from_value(fixed.clone()).ok();
            match parsed {
                Some(map) => trial.fixed_params = Some(map),
                None => {
                    attrs.insert(FIXED_PARAMS_ATTR.to_owned(), fixed);
                }
            }
        }
        // What an export from ferrotune carried over.
        if let Some(AttrValue::Object(vectors)) = attrs.remove(INTERMEDIATE_VECTORS_ATTR) {
            for (step, values) in vectors {
                let values =
                    values.as_array().map(|list| list.iter().map(|v| v.as_f64().unwrap_or(f64::NAN)).collect());
                match (step.parse::<u64>(), values) {
                    (Ok(step), Some(values)) => {
                        trial.intermediate_vectors.insert(step, values);
                    }
                    _ => return Err(format!("trial {}: {INTERMEDIATE_VECTORS_ATTR} is malformed", trial.number)),
                }
            }
        }
        // Optuna's constraints are a list; ferrotune's are named, and its
        // faces name a list's entries "0", "1", ...
        if let Some(AttrValue::Array(list)) = attrs.get(CONSTRAINTS_ATTR) {
            let named: serde_json::Map<String, AttrValue> =
                list.iter().enumerate().map(|(i, v)| (i.to_string(), v.clone())).collect();
            attrs.insert(CONSTRAINTS_ATTR.to_owned(), AttrValue::Object(named));
        }
        trial.system_attrs = attrs;
    }

    let mut trials: Vec<FrozenTrial> = trials.into_values().collect();
    trials.sort_by_key(|t| t.number);
    Ok(StudyData { name: name.to_owned(), directions, user_attrs, system_attrs, trials })
}

/// A value and its type column (`FINITE`, `INF_POS`, `INF_NEG`, and for
/// intermediate values `NAN`) as the float it stands for.
fn stored_float(value: &Cell, kind: Option<&str>, nan_allowed: bool) -> std::result::Result<f64, String> {
    match kind {
        Some("FINITE") => value.real().ok_or_else(|| "FINITE but no number".to_owned()),
        Some("INF_POS") => Ok(f64::INFINITY),
        Some("INF_NEG") => Ok(f64::NEG_INFINITY),
        Some("NAN") if nan_allowed => Ok(f64::NAN),
        other => Err(format!("unknown value type {other:?}")),
    }
}

/// The studies of an Optuna journal file, read through the journal
/// storage (which maps Optuna's attributes onto ferrotune's fields as the
/// RDB reader does). The file must exist: an import never creates one.
fn read_journal(
    path: &Path,
    options: &crate::journal::JournalOptions,
    names: Option<&[String]>,
) -> Result<Vec<StudyData>> {
    if !path.is_file() {
        return Err(Error::InvalidArgument(format!("Optuna journal {}: no such file", path.display())));
    }
    let journal = crate::JournalStorage::open_with(path, options.clone())?;
    super::studies_of(&journal, names)
}
