//! One implementation of [`Storage`] over SQL, shared by every SQL backend.
//!
//! Concurrency rests on one rule: **every write transaction bumps the
//! study row's `change_seq`** (`UPDATE studies ... RETURNING`) **before it
//! writes anything other workers read**. That statement takes the study's
//! write lock (SQLite's database lock, PostgreSQL's row lock), so writes to
//! one study are serialized in commit order. Most writes start with it; a
//! tell first writes the rows readers reach only through its trial's row
//! (its parameters and values) and takes the lock last, so that on
//! PostgreSQL many workers queue for a lock held two statements long. Trial numbers are then assigned from `n_trials` without races, and
//! each written trial is stamped with the new `change_seq`, which makes
//! "every trial changed since sequence N" an indexed range scan: a reader
//! polling a study of 10,000 trials reads only what changed.
//!
//! # Re-running a write
//!
//! A backend runs a transaction's body again after a conflict, and the
//! PostgreSQL backend after a lost connection too. A connection lost after
//! `COMMIT` was sent leaves it unknown whether the first run committed, so
//! every write here is written so that running it a second time, after a
//! first run that did commit, records nothing twice and returns what the
//! first run would have (a body knows it is being re-run by counting its
//! runs; only a re-run pays for the checks below, so the common path is
//! unchanged):
//!
//! - **Upserts** are idempotent as they stand: `set_trial_param`,
//!   `set_trial_attr`, `set_trial_intermediate_value(s)` (the latter deletes
//!   and rewrites the step's vector), `set_study_attr`, `record_heartbeat`
//!   (a later stamp), and the schema migration (it re-reads the version).
//!   If the trial was finished in between (failed as stale by another
//!   worker), the re-run fails with `TrialNotRunning`, as any write to it
//!   would.
//! - **`create_trial`** stores a token drawn once per call (128 random
//!   bits) with the trial (`trials.create_token`); a re-run that finds a
//!   trial of the study with its token returns that trial instead of
//!   numbering another. The token is looked for before the sampled-trial
//!   limit is checked, so a trial that took the last place is still found.
//!   `create_study` does the same with `studies.create_token`.
//! - **`claim_waiting_trial`** and **`fail_stale_trials`** stamp the trials
//!   they change with the call's token (`trials.write_token`); a re-run first
//!   takes back the trials it already holds: the running trial it claimed
//!   (otherwise it would claim a second and leave the first running with
//!   nobody working on it), the trials it failed (returned to the caller as
//!   the first run would have; their retries, enqueued in the same
//!   transaction by `fail_stale_trials_and_retry`, committed with them and
//!   are not enqueued again). A claim's token is overwritten only by a
//!   failer, which then owns the trial.
//! - **`finish_trial`** on a re-run that finds the trial already finished
//!   in the state it asks for, with the same values (bit for bit, NaN
//!   equal to NaN), returns it: the first run committed. A different
//!   outcome (another worker failed it as stale meanwhile) is
//!   `TrialNotRunning`, as on a first run.
//! - **`delete_study`** on a re-run that finds no study has done its work.
//!
//! A re-run sees what its first run committed even when that commit was
//! still in flight on the server (the old connection's process finishing
//! it) when the re-run began: every write but `create_study` and
//! `record_heartbeat` starts by taking the study row's lock, which the
//! first run holds until its commit ends, and each later statement takes a
//! fresh snapshot (PostgreSQL's READ COMMITTED; SQLite serializes writes
//! outright). `create_study` looks again after its insert, which waits on
//! the name's unique index the same way; a heartbeat is idempotent anyway.
//!
//! Reads have no effects and need nothing. What the storage cannot do is
//! finish a write after the backend gave up (PostgreSQL's reconnect
//! timeout): the error reaches the worker, its trial stops beating, and with
//! heartbeats on another worker fails it as stale and, with retries,
//! enqueues it again, so its outcome is lost but never recorded twice.

pub mod postgres;
pub mod sqlite;

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use ferrotune_core::{
    AttrScope, AttrValue, Distribution, Error, FrozenTrial, NewTrial, ParamValue, Result, Storage, StudyDirection,
    StudyInfo, TrialChanges, TrialParam, TrialState, FAIL_REASON_ATTR,
};

use crate::{check_added_trial, check_finish, check_new_study, now_us, stale_heartbeat_reason};

/// A value crossing the SQL boundary. NaN is stored as NULL (SQLite has no
/// NaN) and NULL in a value column reads back as NaN.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    /// SQL NULL.
    Null,
    /// A 64-bit integer.
    Int(i64),
    /// A double; never NaN (see [`SqlValue::real`]).
    Real(f64),
    /// Text.
    Text(String),
}

impl SqlValue {
    /// A double column value, mapping NaN to NULL.
    pub fn real(v: f64) -> SqlValue {
        if v.is_nan() {
            SqlValue::Null
        } else {
            SqlValue::Real(v)
        }
    }

    fn int(&self) -> Result<i64> {
        match self {
            SqlValue::Int(v) => Ok(*v),
            other => Err(corrupt(format!("expected an integer, found {other:?}"))),
        }
    }

    fn opt_int(&self) -> Result<Option<i64>> {
        match self {
            SqlValue::Null => Ok(None),
            v => v.int().map(Some),
        }
    }

    fn float(&self) -> f64 {
        match self {
            SqlValue::Real(v) => *v,
            SqlValue::Int(v) => *v as f64,
            _ => f64::NAN,
        }
    }

    fn text(&self) -> Result<&str> {
        match self {
            SqlValue::Text(s) => Ok(s),
            other => Err(corrupt(format!("expected text, found {other:?}"))),
        }
    }

    fn opt_text(&self) -> Result<Option<&str>> {
        match self {
            SqlValue::Null => Ok(None),
            v => v.text().map(Some),
        }
    }
}

impl From<i64> for SqlValue {
    fn from(v: i64) -> Self {
        SqlValue::Int(v)
    }
}
impl From<u64> for SqlValue {
    fn from(v: u64) -> Self {
        SqlValue::Int(v as i64)
    }
}
impl From<&str> for SqlValue {
    fn from(v: &str) -> Self {
        SqlValue::Text(v.to_owned())
    }
}
impl From<String> for SqlValue {
    fn from(v: String) -> Self {
        SqlValue::Text(v)
    }
}
impl<T: Into<SqlValue>> From<Option<T>> for SqlValue {
    fn from(v: Option<T>) -> Self {
        v.map_or(SqlValue::Null, Into::into)
    }
}

/// One result row.
pub type Row = Vec<SqlValue>;

/// Statements inside one open transaction. SQL uses `$1, $2, ...`
/// placeholders, which SQLite and PostgreSQL both accept.
pub trait SqlTx {
    /// Run a statement; returns the number of rows changed.
    fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<u64>;
    /// Run a query and collect its rows.
    fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>>;
    /// Run a statement whose row count nobody needs: a backend may send it
    /// with the next statement or the commit instead of waiting for it
    /// (PostgreSQL pipelines it), and an error of it then surfaces there,
    /// failing the transaction all the same. Statements still run in the
    /// order they are given.
    fn execute_deferred(&mut self, sql: &str, params: &[SqlValue]) -> Result<()> {
        self.execute(sql, params).map(drop)
    }
    /// Run the transaction's last statement, a query: a backend may send
    /// the commit with it ([`SqlBackend::PIPELINES`]), and then the body
    /// must return right after, running nothing more. An error of the
    /// commit surfaces here then.
    fn query_and_commit(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>> {
        self.query(sql, params)
    }
}

/// What a SQL database must provide: transactions, and the one piece of DDL
/// that differs between dialects.
pub trait SqlBackend: Send + Sync {
    /// Column definition of an auto-incrementing 64-bit primary key.
    const ID_PRIMARY_KEY: &'static str;
    /// Whether [`SqlTx::execute_deferred`] really defers (sends statements
    /// together without waiting): then a write worth it sends a server-side
    /// guard with its statements instead of checking their results, so that
    /// its commit goes out with them.
    const PIPELINES: bool = false;
    /// An expression for the database's clock, in microseconds since the
    /// Unix epoch. Heartbeats are stamped and judged by the database's
    /// clock, so workers on machines whose clocks disagree still agree on
    /// which trials are stale.
    const NOW_US: &'static str;

    /// Run `body` in a transaction and commit it; roll back if it fails.
    /// `write` transactions must take the write lock up front where the
    /// database needs that to avoid deadlocks (SQLite's `BEGIN IMMEDIATE`).
    /// Backends may run `body` again after a transient conflict, so it must
    /// have no effects outside the transaction.
    fn transaction<T>(&self, write: bool, body: &mut dyn FnMut(&mut dyn SqlTx) -> Result<T>) -> Result<T>;

    /// Run one read-only statement. A statement sees one snapshot, so it
    /// needs no transaction around it: PostgreSQL saves the `BEGIN` and
    /// `COMMIT` round trips. The default runs it in a read transaction.
    fn read_statement(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>> {
        self.transaction(false, &mut |tx| tx.query(sql, params))
    }
}

/// The schema, as numbered migrations. `{id}` stands for
/// [`SqlBackend::ID_PRIMARY_KEY`]. Never edit a released migration: add one.
const MIGRATIONS: &[&[&str]] = &[
    &[
        "CREATE TABLE studies (
        study_id {id},
        name TEXT NOT NULL UNIQUE,
        directions TEXT NOT NULL,
        change_seq BIGINT NOT NULL,
        n_trials BIGINT NOT NULL,
        n_sampled BIGINT NOT NULL,
        created_at BIGINT NOT NULL)",
        "CREATE TABLE study_attrs (
        study_id BIGINT NOT NULL REFERENCES studies (study_id),
        scope TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (study_id, scope, key))",
        "CREATE TABLE trials (
        trial_id {id},
        study_id BIGINT NOT NULL REFERENCES studies (study_id),
        number BIGINT NOT NULL,
        state TEXT NOT NULL,
        fixed_params TEXT,
        started_at BIGINT,
        finished_at BIGINT,
        change_seq BIGINT NOT NULL,
        UNIQUE (study_id, number))",
        "CREATE INDEX trials_by_change ON trials (study_id, change_seq)",
        "CREATE INDEX trials_by_state ON trials (study_id, state, number)",
        "CREATE TABLE trial_params (
        trial_id BIGINT NOT NULL REFERENCES trials (trial_id),
        name TEXT NOT NULL,
        distribution TEXT NOT NULL,
        value DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (trial_id, name))",
        "CREATE TABLE trial_values (
        trial_id BIGINT NOT NULL REFERENCES trials (trial_id),
        objective INTEGER NOT NULL,
        value DOUBLE PRECISION,
        PRIMARY KEY (trial_id, objective))",
        "CREATE TABLE trial_intermediate_values (
        trial_id BIGINT NOT NULL REFERENCES trials (trial_id),
        step BIGINT NOT NULL,
        value DOUBLE PRECISION,
        PRIMARY KEY (trial_id, step))",
        "CREATE TABLE trial_attrs (
        trial_id BIGINT NOT NULL REFERENCES trials (trial_id),
        scope TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (trial_id, scope, key))",
    ],
    &[
        // 2: intermediate values of every objective (multi-objective pruning).
        "CREATE TABLE trial_intermediate_vectors (
        trial_id BIGINT NOT NULL REFERENCES trials (trial_id),
        step BIGINT NOT NULL,
        objective INTEGER NOT NULL,
        value DOUBLE PRECISION,
        PRIMARY KEY (trial_id, step, objective))",
    ],
    &[
        // 3: heartbeats of running trials (database clock, microseconds);
        // NULL for trials whose worker sends none.
        "ALTER TABLE trials ADD COLUMN heartbeat_at BIGINT",
    ],
    &[
        // 4: idempotency tokens, so a write re-run after a commit whose
        // outcome was unknown (a connection lost after COMMIT) finds what
        // it wrote (see "Re-running a write" above). Looked up only by
        // re-runs, so not indexed.
        "ALTER TABLE studies ADD COLUMN create_token TEXT",
        "ALTER TABLE trials ADD COLUMN create_token TEXT",
        "ALTER TABLE trials ADD COLUMN write_token TEXT",
    ],
    &[
        // 5: the token of the write that last counted a trial in the
        // study's totals, so that the insert sent with the count (without
        // waiting for it) can tell whether the count took.
        "ALTER TABLE studies ADD COLUMN write_token TEXT",
    ],
    &[
        // 6: each parameter's place among its trial's, so a trial's
        // parameters read back in the order they were suggested (Optuna's
        // order). NULL in rows written before: those read back by name,
        // ahead of any added after the migration.
        "ALTER TABLE trial_params ADD COLUMN param_index BIGINT",
    ],
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The oldest schema a read-only storage reads as it is: the migrations
/// since add only what writes use (version 5: `studies.write_token`) or
/// what reads do without (version 6: `trial_params.param_index`, see
/// [`PARAM_INDEX_VERSION`]).
const OLDEST_READABLE_VERSION: i64 = 4;

/// The schema version from which `trial_params` has `param_index`.
const PARAM_INDEX_VERSION: i64 = 6;

/// A token naming one call of a write (128 random bits, in hex), drawn
/// before its first run so that every re-run carries the same one.
fn write_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let half = |salt: u64| {
        // A fresh `RandomState` has keys of its own, from the OS's
        // randomness once per thread and then stepped.
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(salt);
        hasher.write_u32(std::process::id());
        hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        hasher.write_u128(now_us() as u128);
        hasher.finish()
    };
    format!("{:016x}{:016x}", half(1), half(2))
}

/// What makes the retry of a trial failed as stale (see
/// [`Storage::fail_stale_trials_and_retry`]).
type MakeRetry<'a> = &'a dyn Fn(&FrozenTrial) -> Option<NewTrial>;

/// Counts the runs of a transaction's body: true from the second on.
#[derive(Default)]
struct Runs(u32);

impl Runs {
    fn rerun(&mut self) -> bool {
        self.0 += 1;
        self.0 > 1
    }
}

/// Whether two value lists are the same, bit for bit (NaN equals NaN).
fn same_values(a: Option<&[f64]>, b: Option<&[f64]>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
        }
        _ => false,
    }
}

fn corrupt(msg: String) -> Error {
    Error::Storage(format!("unexpected data in the database: {msg}"))
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("plain data always serializes")
}

fn from_json<T: serde::de::DeserializeOwned>(s: &str, what: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| corrupt(format!("{what}: {e}")))
}

fn scope_str(scope: AttrScope) -> &'static str {
    match scope {
        AttrScope::User => "user",
        AttrScope::System => "system",
    }
}

fn parse_state(s: &str) -> Result<TrialState> {
    s.parse().map_err(|_| corrupt(format!("unknown trial state '{s}'")))
}

/// [`Storage`] over any [`SqlBackend`].
pub struct SqlStorage<B: SqlBackend> {
    backend: B,
    /// Whether `trial_params` has `param_index`: always, but in a database
    /// opened read-only before the migration that added it.
    has_param_index: bool,
}

/// What the study-lock statement returns.
struct StudyLock {
    change_seq: i64,
    n_trials: i64,
    n_sampled: i64,
    n_objectives: usize,
}

impl<B: SqlBackend> SqlStorage<B> {
    /// Wrap a backend, creating or migrating the schema. Refuses a database
    /// written by a newer ferrotune rather than guessing at its schema.
    pub fn new(backend: B) -> Result<Self> {
        // Nearly every open finds the schema current. Checking that with a
        // read first means opening a database never waits for another
        // process's write lock (a `sqlite3` shell left in a transaction
        // would otherwise stall even `ferrotune trials`). Any failure here
        // (no table yet, say) just takes the write path, which repeats the
        // check under the lock and reports real errors.
        let current = backend.transaction(false, &mut |tx| {
            tx.query("SELECT version FROM ferrotune_schema", &[])?.first().map(|row| row[0].int()).transpose()
        });
        if let Ok(Some(SCHEMA_VERSION)) = current {
            return Ok(SqlStorage { backend, has_param_index: true });
        }
        backend.transaction(true, &mut |tx| {
            tx.execute("CREATE TABLE IF NOT EXISTS ferrotune_schema (version BIGINT NOT NULL)", &[])?;
            let rows = tx.query("SELECT version FROM ferrotune_schema", &[])?;
            let current = match rows.first() {
                Some(row) => row[0].int()?,
                None => {
                    tx.execute("INSERT INTO ferrotune_schema (version) VALUES (0)", &[])?;
                    0
                }
            };
            if current > SCHEMA_VERSION {
                return Err(Error::Storage(format!(
                    "the database has schema version {current}, newer than this ferrotune understands ({SCHEMA_VERSION}); upgrade ferrotune"
                )));
            }
            for migration in &MIGRATIONS[current as usize..] {
                for statement in *migration {
                    tx.execute(&statement.replace("{id}", B::ID_PRIMARY_KEY), &[])?;
                }
            }
            tx.execute("UPDATE ferrotune_schema SET version = $1", &[SCHEMA_VERSION.into()])?;
            Ok(())
        })?;
        Ok(SqlStorage { backend, has_param_index: true })
    }

    /// Wrap a backend that can only be read: check that the schema is the
    /// one this build reads, creating and migrating nothing (both write).
    pub fn new_read_only(backend: B) -> Result<Self> {
        let version = backend.transaction(false, &mut |tx| {
            tx.query("SELECT version FROM ferrotune_schema", &[])?.first().map(|row| row[0].int()).transpose()
        })?;
        match version {
            Some(v) if (OLDEST_READABLE_VERSION..=SCHEMA_VERSION).contains(&v) => {
                Ok(SqlStorage { backend, has_param_index: v >= PARAM_INDEX_VERSION })
            }
            Some(v) if v > SCHEMA_VERSION => Err(Error::Storage(format!(
                "the database has schema version {v}, newer than this ferrotune understands ({SCHEMA_VERSION}); upgrade ferrotune"
            ))),
            Some(v) => Err(Error::Storage(format!(
                "the database has schema version {v}, older than this ferrotune's ({SCHEMA_VERSION}); it is upgraded \
                 when opened with write access, and this one is read-only"
            ))),
            None => Err(Error::Storage("the database has no schema version: not a ferrotune database".into())),
        }
    }

    /// The backend, for backend-specific operations.
    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// Take the study's write lock and bump its change sequence.
    fn lock_study(tx: &mut dyn SqlTx, study_id: i64) -> Result<StudyLock> {
        let rows = tx.query(
            "UPDATE studies SET change_seq = change_seq + 1 WHERE study_id = $1
             RETURNING change_seq, n_trials, n_sampled, directions",
            &[study_id.into()],
        )?;
        let row = rows.first().ok_or_else(|| Error::StudyNotFound(format!("id {study_id}")))?;
        let directions: Vec<StudyDirection> = from_json(row[3].text()?, "study directions")?;
        Ok(StudyLock {
            change_seq: row[0].int()?,
            n_trials: row[1].int()?,
            n_sampled: row[2].int()?,
            n_objectives: directions.len(),
        })
    }

    /// Lock the trial's study, check the trial is running and stamp it with
    /// the new change sequence. Everything that modifies a running trial
    /// goes through here, which is what keeps finished trials immutable.
    /// Write (or overwrite) a step's scalar intermediate value.
    fn put_intermediate_value(tx: &mut dyn SqlTx, trial_id: i64, step: u64, value: f64) -> Result<()> {
        tx.execute_deferred(
            "INSERT INTO trial_intermediate_values (trial_id, step, value) VALUES ($1, $2, $3)
             ON CONFLICT (trial_id, step) DO UPDATE SET value = excluded.value",
            &[trial_id.into(), step.into(), SqlValue::real(value)],
        )
    }

    fn lock_running_trial(tx: &mut dyn SqlTx, trial_id: i64) -> Result<StudyLock> {
        let lock = Self::lock_trial_study(tx, trial_id)?;
        let changed = tx.execute(
            "UPDATE trials SET change_seq = $2 WHERE trial_id = $1 AND state = 'running'",
            &[trial_id.into(), lock.change_seq.into()],
        )?;
        if changed == 0 {
            return Err(Self::not_running(tx, trial_id));
        }
        Ok(lock)
    }

    /// [`lock_study`](Self::lock_study) for the study of a trial, found in
    /// the same statement.
    fn lock_trial_study(tx: &mut dyn SqlTx, trial_id: i64) -> Result<StudyLock> {
        let rows = tx.query(
            "UPDATE studies SET change_seq = change_seq + 1
             WHERE study_id = (SELECT study_id FROM trials WHERE trial_id = $1)
             RETURNING change_seq, n_trials, n_sampled, directions",
            &[trial_id.into()],
        )?;
        match rows.first() {
            Some(row) => Ok(StudyLock {
                change_seq: row[0].int()?,
                n_trials: row[1].int()?,
                n_sampled: row[2].int()?,
                n_objectives: from_json::<Vec<StudyDirection>>(row[3].text()?, "study directions")?.len(),
            }),
            // Trials are deleted only with their study.
            None => Err(Error::TrialNotFound(trial_id)),
        }
    }

    /// Why a trial that a write expected running is not: it is finished
    /// (or waiting), or gone.
    fn not_running(tx: &mut dyn SqlTx, trial_id: i64) -> Error {
        let found = tx.query("SELECT number, state FROM trials WHERE trial_id = $1", &[trial_id.into()]);
        match found {
            Ok(rows) => match rows.first() {
                Some(row) => match (row[0].int(), row[1].text().and_then(parse_state)) {
                    (Ok(number), Ok(state)) => Error::TrialNotRunning { number: number as u64, state },
                    (Err(e), _) | (_, Err(e)) => e,
                },
                None => Error::TrialNotFound(trial_id),
            },
            Err(e) => e,
        }
    }

    fn load_study_attrs(tx: &mut dyn SqlTx, studies: &mut [StudyInfo]) -> Result<()> {
        let index: HashMap<i64, usize> = studies.iter().enumerate().map(|(i, s)| (s.study_id, i)).collect();
        for row in tx.query("SELECT study_id, scope, key, value FROM study_attrs", &[])? {
            let Some(&i) = index.get(&row[0].int()?) else {
                continue;
            };
            let value: AttrValue = from_json(row[3].text()?, "study attribute")?;
            let map = match row[1].text()? {
                "user" => &mut studies[i].user_attrs,
                _ => &mut studies[i].system_attrs,
            };
            map.insert(row[2].text()?.to_owned(), value);
        }
        Ok(())
    }

    fn load_studies(tx: &mut dyn SqlTx, filter: &str, params: &[SqlValue]) -> Result<Vec<StudyInfo>> {
        let sql = format!("SELECT study_id, name, directions FROM studies {filter} ORDER BY study_id");
        let mut studies = tx
            .query(&sql, params)?
            .into_iter()
            .map(|row| {
                Ok(StudyInfo {
                    study_id: row[0].int()?,
                    name: row[1].text()?.to_owned(),
                    directions: from_json(row[2].text()?, "study directions")?,
                    user_attrs: BTreeMap::new(),
                    system_attrs: BTreeMap::new(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        if !studies.is_empty() {
            Self::load_study_attrs(tx, &mut studies)?;
        }
        Ok(studies)
    }

    /// Load the trials matching `filter`, a condition on the table aliased
    /// `t`, with all their parameters, values and attributes.
    fn load_trials(tx: &mut dyn SqlTx, filter: &str, params: &[SqlValue]) -> Result<Vec<FrozenTrial>> {
        // Writes run only on a migrated schema, which has `param_index`.
        Ok(parse_trial_rows(tx.query(&trials_query(filter, None, true), params)?)?.1)
    }

    fn load_trial(tx: &mut dyn SqlTx, trial_id: i64) -> Result<FrozenTrial> {
        Self::load_trials(tx, "t.trial_id = $1", &[trial_id.into()])?.pop().ok_or(Error::TrialNotFound(trial_id))
    }

    /// The trial a create with `token` wrote, if its transaction committed:
    /// a re-run after a lost commit reply returns that trial instead of
    /// making a second.
    fn trial_by_create_token(tx: &mut dyn SqlTx, study_id: i64, token: &str) -> Result<Option<FrozenTrial>> {
        let rows = tx.query(
            "SELECT trial_id FROM trials WHERE study_id = $1 AND create_token = $2",
            &[study_id.into(), token.into()],
        )?;
        match rows.first() {
            Some(row) => Self::load_trial(tx, row[0].int()?).map(Some),
            None => Ok(None),
        }
    }

    /// Insert a trial numbered `number` (the study locked by `lock`, and
    /// `number` its next free number), counting it in the study's totals.
    fn insert_trial(
        tx: &mut dyn SqlTx,
        study_id: i64,
        lock: &StudyLock,
        number: i64,
        new: &NewTrial,
        token: Option<&str>,
    ) -> Result<FrozenTrial> {
        let enqueued = new.fixed_params.is_some();
        tx.execute(
            "UPDATE studies SET n_trials = n_trials + 1, n_sampled = n_sampled + $2 WHERE study_id = $1",
            &[study_id.into(), i64::from(!enqueued).into()],
        )?;
        Self::insert_counted_trial(tx, study_id, lock, number, new, token)
    }

    /// The common case of [`create_trial`](Storage::create_trial), nothing
    /// to look for first: count the trial in the study's totals (which
    /// takes the study's lock) and insert it, two statements sent together
    /// without waiting: the insert reads the trial's number and change
    /// sequence from the study's row, and takes the row only if the count
    /// took, which it tells by the `token` the count wrote there. On
    /// PostgreSQL this is one round trip, and the study's lock is held
    /// across one more (the commit) instead of two. `None`, with nothing
    /// written, when the study is missing, a sampled trial would pass
    /// `max_sampled_trials` or (`unless_waiting`) a trial is waiting: the
    /// caller then takes the general path, which tells these apart.
    ///
    /// With `commit_with_it` (a backend that pipelines, and a trial with
    /// nothing more to write: no attributes or intermediate values), the
    /// commit goes out with the two statements, so the study's lock is
    /// held for no round trip at all; a `None` then has committed (nothing)
    /// and the general path needs a transaction of its own.
    fn count_and_insert_trial(
        tx: &mut dyn SqlTx,
        study_id: i64,
        new: &NewTrial,
        unless_waiting: bool,
        token: &str,
        commit_with_it: bool,
    ) -> Result<Option<FrozenTrial>> {
        let sampled = new.fixed_params.is_none();
        let limit = match (sampled, new.max_sampled_trials) {
            (true, Some(max)) => i64::try_from(max).unwrap_or(i64::MAX),
            _ => i64::MAX,
        };
        let waiting = if unless_waiting {
            " AND NOT EXISTS (SELECT 1 FROM trials WHERE study_id = $1 AND state = 'waiting')"
        } else {
            ""
        };
        tx.execute_deferred(
            &format!(
                "UPDATE studies SET change_seq = change_seq + 1, n_trials = n_trials + 1, n_sampled = n_sampled + $2,
                 write_token = $4 WHERE study_id = $1 AND n_sampled < $3{waiting}"
            ),
            &[study_id.into(), i64::from(sampled).into(), limit.into(), token.into()],
        )?;
        let state = if new.waiting { TrialState::Waiting } else { TrialState::Running };
        let started_at = (!new.waiting).then(now_us);
        let beat = if new.heartbeat && !new.waiting { B::NOW_US } else { "NULL" };
        let insert = format!(
            "INSERT INTO trials (study_id, number, state, fixed_params, started_at, change_seq, heartbeat_at,
             create_token) SELECT s.study_id, s.n_trials - 1, $3, $4, $5, s.change_seq, {beat}, $2
             FROM studies s WHERE s.study_id = $1 AND s.write_token = $2 RETURNING trial_id, number"
        );
        let params = [
            study_id.into(),
            token.into(),
            state.as_str().into(),
            new.fixed_params.as_ref().map(to_json).into(),
            started_at.into(),
        ];
        let rows = if commit_with_it { tx.query_and_commit(&insert, &params)? } else { tx.query(&insert, &params)? };
        let Some(row) = rows.first() else { return Ok(None) };
        Self::fill_new_trial(tx, row[0].int()?, row[1].int()?, state, started_at, new).map(Some)
    }

    /// [`insert_trial`](Self::insert_trial) once the trial is counted in the
    /// study's totals.
    fn insert_counted_trial(
        tx: &mut dyn SqlTx,
        study_id: i64,
        lock: &StudyLock,
        number: i64,
        new: &NewTrial,
        token: Option<&str>,
    ) -> Result<FrozenTrial> {
        let state = if new.waiting { TrialState::Waiting } else { TrialState::Running };
        let started_at = (!new.waiting).then(now_us);
        let beat = if new.heartbeat && !new.waiting { B::NOW_US } else { "NULL" };
        let rows = tx.query(
            &format!(
                "INSERT INTO trials (study_id, number, state, fixed_params, started_at, change_seq, heartbeat_at,
                 create_token) VALUES ($1, $2, $3, $4, $5, $6, {beat}, $7) RETURNING trial_id"
            ),
            &[
                study_id.into(),
                number.into(),
                state.as_str().into(),
                new.fixed_params.as_ref().map(to_json).into(),
                started_at.into(),
                lock.change_seq.into(),
                token.into(),
            ],
        )?;
        Self::fill_new_trial(tx, rows[0][0].int()?, number, state, started_at, new)
    }

    /// A new trial's attributes and intermediate values written, and the
    /// trial as stored.
    fn fill_new_trial(
        tx: &mut dyn SqlTx,
        trial_id: i64,
        number: i64,
        state: TrialState,
        started_at: Option<i64>,
        new: &NewTrial,
    ) -> Result<FrozenTrial> {
        for (key, value) in &new.user_attrs {
            Self::put_trial_attr(tx, trial_id, AttrScope::User, key, value)?;
        }
        for (key, value) in &new.system_attrs {
            Self::put_trial_attr(tx, trial_id, AttrScope::System, key, value)?;
        }
        for (&step, &value) in &new.intermediate_values {
            Self::put_intermediate_value(tx, trial_id, step, value)?;
        }
        Ok(FrozenTrial {
            trial_id,
            number: number as u64,
            state,
            values: None,
            params: Default::default(),
            intermediate_values: new.intermediate_values.clone(),
            intermediate_vectors: Default::default(),
            user_attrs: new.user_attrs.clone(),
            system_attrs: new.system_attrs.clone(),
            fixed_params: new.fixed_params.clone(),
            started_at_us: started_at,
            finished_at_us: None,
        })
    }

    /// Create a trial (see [`Storage::create_trial`]); with `claim_first`,
    /// claim the oldest waiting trial instead if there is one, in the same
    /// write (see [`Storage::claim_or_create_trial`]). The common case, a
    /// trial to number and nothing to look for, is one statement that
    /// takes the study's lock and counts the trial (it finds out there too
    /// that nothing waits); anything else takes the general path.
    fn create(&self, study_id: i64, new: &NewTrial, claim_first: bool) -> Result<Option<FrozenTrial>> {
        let token = write_token();
        let runs = RefCell::new(Runs::default());
        let commit_with_it = B::PIPELINES
            && new.user_attrs.is_empty()
            && new.system_attrs.is_empty()
            && new.intermediate_values.is_empty();
        // Set when the last run took the common case, found it could not
        // go on and had already committed (nothing): the general path then
        // runs in a transaction of its own.
        let refused = Cell::new(false);
        let general_only = Cell::new(false);
        let mut body = |tx: &mut dyn SqlTx| {
            let rerun = runs.borrow_mut().rerun();
            refused.set(false);
            if !rerun && !new.skip_if_exists && !general_only.get() {
                match Self::count_and_insert_trial(tx, study_id, new, claim_first, &token, commit_with_it)? {
                    Some(trial) => return Ok(Some(trial)),
                    None if commit_with_it => {
                        refused.set(true);
                        return Ok(None);
                    }
                    None => {}
                }
            }
            let lock = Self::lock_study(tx, study_id)?;
            if rerun {
                // The first run may have committed: then its trial is the one.
                if let Some(trial) = Self::trial_by_create_token(tx, study_id, &token)? {
                    return Ok(Some(trial));
                }
            }
            if claim_first {
                if let Some(claimed) = Self::claim_locked(tx, study_id, &lock, &token, rerun, new.heartbeat)? {
                    return Ok(Some(claimed));
                }
            }
            if let (true, Some(wanted)) = (new.skip_if_exists, &new.fixed_params) {
                // Under the study's lock, so no other writer can add the same
                // configuration between this look and the insert. A re-run
                // finds what the first run found, or (had it inserted) its
                // trial by the token above: either way nothing twice. The
                // rule is `FrozenTrial::repeats_params`, read from only the
                // columns it needs: enqueued trials by their fixed
                // parameters, the others by their suggested ones.
                let mut found: Option<(i64, i64)> = None;
                let enqueued = tx.query(
                    "SELECT number, trial_id, fixed_params FROM trials
                     WHERE study_id = $1 AND fixed_params IS NOT NULL ORDER BY number",
                    &[study_id.into()],
                )?;
                for row in &enqueued {
                    let fixed: BTreeMap<String, ParamValue> = from_json(row[2].text()?, "fixed params")?;
                    if &fixed == wanted {
                        found = Some((row[0].int()?, row[1].int()?));
                        break;
                    }
                }
                let mut sampled: BTreeMap<(i64, i64), BTreeMap<String, ParamValue>> = BTreeMap::new();
                let mut distributions = Distributions::default();
                let rows = tx.query(
                    "SELECT t.number, t.trial_id, p.name, p.distribution, p.value FROM trial_params p
                     JOIN trials t ON t.trial_id = p.trial_id WHERE t.study_id = $1 AND t.fixed_params IS NULL",
                    &[study_id.into()],
                )?;
                for row in &rows {
                    let distribution = distributions.parse(row[3].text()?)?;
                    let value = TrialParam { distribution, internal: row[4].float() }.value();
                    sampled.entry((row[0].int()?, row[1].int()?)).or_default().insert(row[2].text()?.to_owned(), value);
                }
                // The lowest-numbered match, as memory storage returns.
                let first_sampled = sampled.into_iter().find(|(_, params)| params == wanted).map(|(key, _)| key);
                if let Some((_, trial_id)) = found.into_iter().chain(first_sampled).min() {
                    return Self::load_trial(tx, trial_id).map(Some);
                }
            }
            if let (None, Some(max)) = (&new.fixed_params, new.max_sampled_trials) {
                if lock.n_sampled as u64 >= max {
                    return Ok(None);
                }
            }
            Self::insert_trial(tx, study_id, &lock, lock.n_trials, new, Some(&token)).map(Some)
        };
        let created = self.backend.transaction(true, &mut body)?;
        if refused.get() {
            // Not a re-run: the committed first run wrote nothing.
            general_only.set(true);
            *runs.borrow_mut() = Runs::default();
            return self.backend.transaction(true, &mut body);
        }
        Ok(created)
    }

    /// Fail the study's stale trials and, with `retry`, enqueue each one's
    /// retry in the same transaction.
    fn fail_stale(
        &self,
        study_id: i64,
        grace_period: Duration,
        retry: Option<MakeRetry<'_>>,
    ) -> Result<Vec<Arc<FrozenTrial>>> {
        let grace_us = i64::try_from(grace_period.as_micros()).unwrap_or(i64::MAX);
        let now_sql = format!("SELECT {}", B::NOW_US);
        let stale_sql = "SELECT trial_id, heartbeat_at FROM trials
             WHERE study_id = $1 AND state = 'running' AND heartbeat_at < $2 ORDER BY number";
        // Cheap check first, without the write lock: nearly every ask
        // finds nothing stale.
        let any_stale_sql = format!(
            "SELECT 1 FROM trials WHERE study_id = $1 AND state = 'running' AND heartbeat_at < {} - $2 LIMIT 1",
            B::NOW_US
        );
        let any_stale = !self.backend.read_statement(&any_stale_sql, &[study_id.into(), grace_us.into()])?.is_empty();
        if !any_stale {
            return Ok(Vec::new());
        }
        let token = write_token();
        let mut runs = Runs::default();
        self.backend.transaction(true, &mut |tx| {
            // The study's lock serializes workers failing stale trials: the
            // second finds them no longer running.
            let lock = Self::lock_study(tx, study_id)?;
            let now = tx.query(&now_sql, &[])?[0][0].int()?;
            let threshold = now.saturating_sub(grace_us);
            let mut failed = Vec::new();
            if runs.rerun() {
                // What the first run failed, if it committed: this caller
                // returns them (and their retries, enqueued by that same
                // commit, stand), nobody else will.
                let rows = tx.query(
                    "SELECT trial_id FROM trials WHERE study_id = $1 AND write_token = $2 ORDER BY number",
                    &[study_id.into(), token.as_str().into()],
                )?;
                for row in rows {
                    failed.push(Arc::new(Self::load_trial(tx, row[0].int()?)?));
                }
            }
            let mut next_number = lock.n_trials;
            for row in tx.query(stale_sql, &[study_id.into(), threshold.into()])? {
                let trial_id = row[0].int()?;
                // Heartbeats do not take the study's lock: the condition is
                // checked again on the row, so a trial that beat since the
                // query above stays running.
                let changed = tx.execute(
                    "UPDATE trials SET state = 'failed', finished_at = $2, change_seq = $3, write_token = $5
                     WHERE trial_id = $1 AND state = 'running' AND heartbeat_at < $4",
                    &[
                        trial_id.into(),
                        now_us().into(),
                        lock.change_seq.into(),
                        threshold.into(),
                        token.as_str().into(),
                    ],
                )?;
                if changed == 1 {
                    let reason = stale_heartbeat_reason(now - row[1].int()?, grace_period);
                    Self::put_trial_attr(tx, trial_id, AttrScope::System, FAIL_REASON_ATTR, &AttrValue::from(reason))?;
                    let trial = Self::load_trial(tx, trial_id)?;
                    if let Some(new) = retry.and_then(|retry| retry(&trial)) {
                        Self::insert_trial(tx, study_id, &lock, next_number, &new, None)?;
                        next_number += 1;
                    }
                    failed.push(Arc::new(trial));
                }
            }
            Ok(failed)
        })
    }

    /// Claim the oldest waiting trial, stamping its first heartbeat if asked.
    fn claim(&self, study_id: i64, heartbeat: bool) -> Result<Option<FrozenTrial>> {
        // Cheap check first, without the write lock: most asks find nothing.
        let any_waiting = !self
            .backend
            .read_statement(
                "SELECT 1 FROM trials WHERE study_id = $1 AND state = 'waiting' LIMIT 1",
                &[study_id.into()],
            )?
            .is_empty();
        if !any_waiting {
            return Ok(None);
        }
        let token = write_token();
        let mut runs = Runs::default();
        self.backend.transaction(true, &mut |tx| {
            let lock = Self::lock_study(tx, study_id)?;
            Self::claim_locked(tx, study_id, &lock, &token, runs.rerun(), heartbeat)
        })
    }

    /// Claim the oldest waiting trial of the study `lock` holds (see
    /// [`claim`](Self::claim)), marking it with `token`; in a re-run, the
    /// trial the first run claimed, if that committed.
    fn claim_locked(
        tx: &mut dyn SqlTx,
        study_id: i64,
        lock: &StudyLock,
        token: &str,
        rerun: bool,
        heartbeat: bool,
    ) -> Result<Option<FrozenTrial>> {
        if rerun {
            let rows = tx.query(
                "SELECT trial_id FROM trials WHERE study_id = $1 AND write_token = $2 AND state = 'running'",
                &[study_id.into(), token.into()],
            )?;
            if let Some(row) = rows.first() {
                return Self::load_trial(tx, row[0].int()?).map(Some);
            }
        }
        let rows = tx.query(
            "SELECT trial_id FROM trials WHERE study_id = $1 AND state = 'waiting' ORDER BY number LIMIT 1",
            &[study_id.into()],
        )?;
        let Some(row) = rows.first() else { return Ok(None) };
        let trial_id = row[0].int()?;
        let beat = if heartbeat { B::NOW_US } else { "heartbeat_at" };
        let claim = format!(
            "UPDATE trials SET state = 'running', started_at = $2, change_seq = $3, write_token = $4,
             heartbeat_at = {beat} WHERE trial_id = $1"
        );
        tx.execute(&claim, &[trial_id.into(), now_us().into(), lock.change_seq.into(), token.into()])?;
        Self::load_trial(tx, trial_id).map(Some)
    }

    fn put_trial_attr(tx: &mut dyn SqlTx, trial_id: i64, scope: AttrScope, key: &str, value: &AttrValue) -> Result<()> {
        tx.execute_deferred(
            "INSERT INTO trial_attrs (trial_id, scope, key, value) VALUES ($1, $2, $3, $4)
             ON CONFLICT (trial_id, scope, key) DO UPDATE SET value = excluded.value",
            &[trial_id.into(), scope_str(scope).into(), key.into(), to_json(value).into()],
        )
    }

    /// Upsert parameters (rows from [`param_rows`]): idempotent, so safe in
    /// a re-run. Each new row's `param_index` is the number of rows its
    /// trial has before it: only the trial's worker writes them, in the
    /// order they were suggested, and a re-run's upsert keeps the index.
    fn put_params(tx: &mut dyn SqlTx, trial_id: i64, rows: &[(String, String, SqlValue)]) -> Result<()> {
        for (name, distribution, value) in rows {
            tx.execute_deferred(
                "INSERT INTO trial_params (trial_id, name, distribution, value, param_index)
                 VALUES ($1, $2, $3, $4, (SELECT COUNT(*) FROM trial_params WHERE trial_id = $1))
                 ON CONFLICT (trial_id, name) DO UPDATE SET distribution = excluded.distribution, value = excluded.value",
                &[trial_id.into(), name.as_str().into(), distribution.as_str().into(), value.clone()],
            )?;
        }
        Ok(())
    }

    /// Finish a running trial after writing its `unsaved` parameters, in
    /// one transaction. With `known` (the trial as its worker holds it,
    /// everything but `unsaved` already stored) the finished trial is built
    /// from it rather than read back: a worker's tell then costs one write
    /// and no reads.
    fn finish(
        &self,
        trial_id: i64,
        known: Option<&FrozenTrial>,
        unsaved: &[(String, TrialParam)],
        state: TrialState,
        values: Option<&[f64]>,
    ) -> Result<Arc<FrozenTrial>> {
        let rows = param_rows(unsaved);
        let runs = Runs::default();
        let stamp =
            "UPDATE trials SET state = $2, finished_at = $3, change_seq = $4 WHERE trial_id = $1 AND state = 'running'";
        // Whether the first run is sent whole with its commit (see below);
        // not when the arguments are wrong anyway: the checked run says why.
        // Nor without the trial in hand, which would be read back anyway.
        let guarded = Cell::new(
            B::PIPELINES && known.is_some() && check_finish(state, values, values.map_or(1, <[f64]>::len)).is_ok(),
        );
        let last_run_guarded = Cell::new(false);
        let runs = RefCell::new(runs);
        let mut body = |tx: &mut dyn SqlTx| {
            let finished_at = now_us();
            let rerun = runs.borrow_mut().rerun();
            last_run_guarded.set(guarded.get() && !rerun);
            if !rerun {
                // The rows no other worker reads before this commits first,
                // the study's lock last: the lock is then held for two
                // statements and the commit instead of four (what bounds
                // the throughput of many workers on one study). Should the
                // trial not be running any more, nothing of this commits.
                // Written only while the trial runs (when it does not,
                // the lock below names why): a missing trial gives no
                // foreign-key error and a finished one keeps its rows.
                const RUNNING: &str = "WHERE EXISTS (SELECT 1 FROM trials WHERE trial_id = $1 AND state = 'running')";
                for (name, distribution, value) in &rows {
                    tx.execute_deferred(
                        &format!(
                            "INSERT INTO trial_params (trial_id, name, distribution, value, param_index)
                             SELECT $1, $2, $3, $4, (SELECT COUNT(*) FROM trial_params WHERE trial_id = $1) {RUNNING}
                             ON CONFLICT (trial_id, name) DO UPDATE SET distribution = excluded.distribution,
                             value = excluded.value"
                        ),
                        &[trial_id.into(), name.as_str().into(), distribution.as_str().into(), value.clone()],
                    )?;
                }
                for (objective, &value) in values.unwrap_or_default().iter().enumerate() {
                    tx.execute_deferred(
                        &format!(
                            "INSERT INTO trial_values (trial_id, objective, value) SELECT $1, $2, $3 {RUNNING}
                             ON CONFLICT (trial_id, objective) DO NOTHING"
                        ),
                        &[trial_id.into(), (objective as i64).into(), SqlValue::real(value)],
                    )?;
                }
                // Then the lock and the stamp, sent without waiting (the
                // stamp reads the change sequence the lock set), and one
                // query that says whether the stamp took: the whole write
                // up to the commit is one round trip on PostgreSQL, and the
                // study's lock is held for one round trip, not two.
                tx.execute_deferred(
                    "UPDATE studies SET change_seq = change_seq + 1
                     WHERE study_id = (SELECT study_id FROM trials WHERE trial_id = $1)",
                    &[trial_id.into()],
                )?;
                tx.execute_deferred(
                    "UPDATE trials SET state = $2, finished_at = $3,
                     change_seq = (SELECT s.change_seq FROM studies s WHERE s.study_id = trials.study_id)
                     WHERE trial_id = $1 AND state = 'running'",
                    &[trial_id.into(), state.as_str().into(), finished_at.into()],
                )?;
                // Under the study's lock nobody else bumps its change
                // sequence: the trial carries it if and only if the stamp took.
                let in_hand = Self::finished_from(known, unsaved, state, finished_at, values);
                if let (true, Some(trial)) = (last_run_guarded.get(), in_hand) {
                    // A backend that pipelines sends a guard that fails the
                    // transaction on the server unless the stamp took and the
                    // study has as many objectives as values were given (its
                    // directions are a JSON array of words: commas + 1), so
                    // the commit goes out with everything else and the
                    // study's lock is held for no round trip at all. If the
                    // guard fails, nothing committed, and the checked run
                    // below says why.
                    let n_values = values.map_or(-1, |v| v.len() as i64);
                    tx.execute_deferred(
                        "SELECT 1 / COUNT(*) FROM trials t JOIN studies s ON s.study_id = t.study_id
                         WHERE t.trial_id = $1 AND t.change_seq = s.change_seq
                         AND ($2 < 0 OR LENGTH(s.directions) - LENGTH(REPLACE(s.directions, ',', '')) + 1 = $2)",
                        &[trial_id.into(), n_values.into()],
                    )?;
                    return Ok(trial);
                }
                let rows = tx.query(
                    "SELECT t.number, t.state, CASE WHEN t.change_seq = s.change_seq THEN 1 ELSE 0 END, s.directions
                     FROM trials t JOIN studies s ON s.study_id = t.study_id WHERE t.trial_id = $1",
                    &[trial_id.into()],
                )?;
                // Trials are deleted only with their study.
                let row = rows.first().ok_or(Error::TrialNotFound(trial_id))?;
                let n_objectives = from_json::<Vec<StudyDirection>>(row[3].text()?, "study directions")?.len();
                check_finish(state, values, n_objectives)?;
                if row[2].int()? != 1 {
                    let number = row[0].int()? as u64;
                    return Err(Error::TrialNotRunning { number, state: parse_state(row[1].text()?)? });
                }
            } else {
                // A run again (see `super`): the lock first, so that if the
                // first run committed, nothing is written.
                let lock = Self::lock_trial_study(tx, trial_id)?;
                check_finish(state, values, lock.n_objectives)?;
                let stamped = [trial_id.into(), state.as_str().into(), finished_at.into(), lock.change_seq.into()];
                if tx.execute(stamp, &stamped)? == 0 {
                    return match Self::not_running(tx, trial_id) {
                        Error::TrialNotRunning { state: found, .. } if found == state => {
                            // Finished as asked, values included: the first run
                            // committed (its parameters with it).
                            let trial = Self::load_trial(tx, trial_id)?;
                            if same_values(trial.values.as_deref(), values) {
                                return Ok(Arc::new(trial));
                            }
                            Err(Self::not_running(tx, trial_id))
                        }
                        e => Err(e),
                    };
                }
                Self::put_params(tx, trial_id, &rows)?;
                for (objective, &value) in values.unwrap_or_default().iter().enumerate() {
                    tx.execute(
                        "INSERT INTO trial_values (trial_id, objective, value) VALUES ($1, $2, $3)",
                        &[trial_id.into(), (objective as i64).into(), SqlValue::real(value)],
                    )?;
                }
            }
            match Self::finished_from(known, unsaved, state, finished_at, values) {
                Some(trial) => Ok(trial),
                None => Self::load_trial(tx, trial_id).map(Arc::new),
            }
        };
        match self.backend.transaction(true, &mut body) {
            Err(_) if last_run_guarded.get() => {
                // The guard (or another statement of the unchecked run)
                // failed and nothing committed: the checked run, again from
                // the start, finds out why, or succeeds after all.
                guarded.set(false);
                *runs.borrow_mut() = Runs::default();
                self.backend.transaction(true, &mut body)
            }
            outcome => outcome,
        }
    }

    /// The finished trial built from what the worker holds (`known`, with
    /// its `unsaved` parameters), without reading it back; `None` without
    /// `known`.
    fn finished_from(
        known: Option<&FrozenTrial>,
        unsaved: &[(String, TrialParam)],
        state: TrialState,
        finished_at: i64,
        values: Option<&[f64]>,
    ) -> Option<Arc<FrozenTrial>> {
        let mut trial = known?.clone();
        for (name, param) in unsaved {
            trial.params.insert(name.clone(), param.clone());
        }
        trial.state = state;
        trial.finished_at_us = Some(finished_at);
        // As stored: NaN reads back as NaN (NULL), so nothing to map.
        trial.values = values.map(<[f64]>::to_vec);
        Some(Arc::new(trial))
    }
}

/// The statement reading the trials matching `filter` (a condition on the
/// table aliased `t`) with everything they hold: one `UNION ALL` of the
/// trials and their child tables, each row tagged with its kind in the
/// first column, so that a read is one statement: one snapshot without a
/// transaction of its own, and on PostgreSQL one round trip instead of
/// eight. With `study_seq`, a condition on the table aliased `s`, the
/// study's change sequence comes first. Without `param_index` (a schema
/// older than [`PARAM_INDEX_VERSION`], read-only) parameters come by name.
///
/// Columns: kind, trial_id, three integers, a double and three texts (see
/// `KIND_*` for each kind's use of them).
fn trials_query(filter: &str, study_seq: Option<&str>, param_index: bool) -> String {
    const NI: &str = "CAST(NULL AS BIGINT)";
    const NF: &str = "CAST(NULL AS DOUBLE PRECISION)";
    const NT: &str = "CAST(NULL AS TEXT)";
    let child = |kind: i64, table: &str, columns: &str| {
        format!(
            "SELECT {kind}, c.trial_id, {columns} FROM {table} c JOIN trials t ON t.trial_id = c.trial_id WHERE {filter}"
        )
    };
    let mut parts = Vec::new();
    if let Some(study) = study_seq {
        parts.push(format!(
            "SELECT {KIND_STUDY_SEQ}, {NI}, s.change_seq, {NI}, {NI}, {NF}, {NT}, {NT}, {NT} FROM studies s WHERE {study}"
        ));
    }
    parts.push(format!(
        "SELECT {KIND_TRIAL}, t.trial_id, t.number, t.started_at, t.finished_at, {NF}, t.state, t.fixed_params, {NT} \
         FROM trials t WHERE {filter}"
    ));
    let index = if param_index { "c.param_index" } else { NI };
    parts.push(child(
        KIND_PARAM,
        "trial_params",
        &format!("{index}, {NI}, {NI}, c.value, c.name, c.distribution, {NT}"),
    ));
    parts.push(child(KIND_VALUE, "trial_values", &format!("c.objective, {NI}, {NI}, c.value, {NT}, {NT}, {NT}")));
    parts.push(child(
        KIND_INTERMEDIATE,
        "trial_intermediate_values",
        &format!("c.step, {NI}, {NI}, c.value, {NT}, {NT}, {NT}"),
    ));
    parts.push(child(
        KIND_VECTOR,
        "trial_intermediate_vectors",
        &format!("c.step, c.objective, {NI}, c.value, {NT}, {NT}, {NT}"),
    ));
    parts.push(child(KIND_ATTR, "trial_attrs", &format!("{NI}, {NI}, {NI}, {NF}, c.scope, c.key, c.value")));
    parts.join(" UNION ALL ")
}

/// Row kinds of [`trials_query`].
const KIND_STUDY_SEQ: i64 = 0; // i1 = the study's change_seq
const KIND_TRIAL: i64 = 1; // i1 = number, i2 = started_at, i3 = finished_at, s1 = state, s2 = fixed_params
const KIND_PARAM: i64 = 2; // i1 = param_index, f = value, s1 = name, s2 = distribution
const KIND_VALUE: i64 = 3; // i1 = objective, f = value
const KIND_INTERMEDIATE: i64 = 4; // i1 = step, f = value
const KIND_VECTOR: i64 = 5; // i1 = step, i2 = objective, f = value
const KIND_ATTR: i64 = 6; // s1 = scope, s2 = key, s3 = value (JSON)

/// Distributions read from the database, each text parsed once: many
/// parameters share one distribution.
#[derive(Default)]
struct Distributions(HashMap<String, Distribution>);

impl Distributions {
    fn parse(&mut self, text: &str) -> Result<Distribution> {
        if let Some(d) = self.0.get(text) {
            return Ok(d.clone());
        }
        let d: Distribution = from_json(text, "distribution")?;
        self.0.insert(text.to_owned(), d.clone());
        Ok(d)
    }
}

/// The study's change sequence (if asked for) and the trials, from the
/// rows of [`trials_query`], in any order.
fn parse_trial_rows(rows: Vec<Row>) -> Result<(Option<i64>, Vec<FrozenTrial>)> {
    let mut seq = None;
    let mut trials = Vec::new();
    let mut index = HashMap::new();
    let (mut children, mut values, mut vectors) = (Vec::new(), HashMap::new(), HashMap::new());
    let mut params = HashMap::new();
    for row in rows {
        match row[0].int()? {
            KIND_STUDY_SEQ => seq = Some(row[2].int()?),
            KIND_TRIAL => {
                let trial_id = row[1].int()?;
                index.insert(trial_id, trials.len());
                trials.push(FrozenTrial {
                    trial_id,
                    number: row[2].int()? as u64,
                    state: parse_state(row[6].text()?)?,
                    values: None,
                    params: Default::default(),
                    intermediate_values: BTreeMap::new(),
                    intermediate_vectors: Default::default(),
                    user_attrs: BTreeMap::new(),
                    system_attrs: BTreeMap::new(),
                    fixed_params: row[7]
                        .opt_text()?
                        .map(|s| from_json::<BTreeMap<String, ParamValue>>(s, "fixed params"))
                        .transpose()?,
                    started_at_us: row[3].opt_int()?,
                    finished_at_us: row[4].opt_int()?,
                });
            }
            _ => children.push(row),
        }
    }
    let mut distributions = Distributions::default();
    for row in children {
        let Some(&i) = index.get(&row[1].int()?) else {
            continue;
        };
        match row[0].int()? {
            KIND_PARAM => {
                let distribution = distributions.parse(row[7].text()?)?;
                let param = TrialParam { distribution, internal: row[5].float() };
                params.entry(i).or_insert_with(Vec::new).push((row[2].opt_int()?, row[6].text()?.to_owned(), param));
            }
            KIND_VALUE => values.entry(i).or_insert_with(Vec::new).push((row[2].int()?, row[5].float())),
            KIND_INTERMEDIATE => {
                trials[i].intermediate_values.insert(row[2].int()? as u64, row[5].float());
            }
            KIND_VECTOR => {
                vectors.entry((i, row[2].int()? as u64)).or_insert_with(Vec::new).push((row[3].int()?, row[5].float()))
            }
            KIND_ATTR => {
                let value: AttrValue = from_json(row[8].text()?, "trial attribute")?;
                let map = match row[6].text()? {
                    "user" => &mut trials[i].user_attrs,
                    _ => &mut trials[i].system_attrs,
                };
                map.insert(row[7].text()?.to_owned(), value);
            }
            other => return Err(corrupt(format!("unknown row kind {other}"))),
        }
    }
    for (i, mut v) in params {
        // In suggestion order; rows from before `param_index` (NULL) by
        // name, first, as they were suggested before any that have one.
        v.sort_by(|(a_index, a_name, _), (b_index, b_name, _)| (a_index, a_name).cmp(&(b_index, b_name)));
        trials[i].params = v.into_iter().map(|(_, name, param)| (name, param)).collect();
    }
    for (i, mut v) in values {
        v.sort_by_key(|(objective, _)| *objective);
        trials[i].values = Some(v.into_iter().map(|(_, value)| value).collect());
    }
    for ((i, step), mut v) in vectors {
        v.sort_by_key(|(objective, _)| *objective);
        trials[i].intermediate_vectors.insert(step, v.into_iter().map(|(_, value)| value).collect());
    }
    Ok((seq, trials))
}

/// Parameters as the columns `trial_params` stores, encoded once per call
/// rather than once per run of its transaction.
fn param_rows(params: &[(String, TrialParam)]) -> Vec<(String, String, SqlValue)> {
    params.iter().map(|(name, p)| (name.clone(), to_json(&p.distribution), SqlValue::real(p.internal))).collect()
}

impl<B: SqlBackend> Storage for SqlStorage<B> {
    fn create_study(&self, name: &str, directions: &[StudyDirection]) -> Result<StudyInfo> {
        check_new_study(name, directions)?;
        let directions_json = to_json(&directions);
        let token = write_token();
        let mut runs = Runs::default();
        let study = |study_id: i64| StudyInfo {
            study_id,
            name: name.to_owned(),
            directions: directions.to_vec(),
            user_attrs: BTreeMap::new(),
            system_attrs: BTreeMap::new(),
        };
        self.backend.transaction(true, &mut |tx| {
            let rerun = runs.rerun();
            // A re-run may find the study its first run created: that one
            // is this call's, not a duplicate.
            let mine = |tx: &mut dyn SqlTx| -> Result<Option<i64>> {
                let found = tx.query("SELECT study_id, create_token FROM studies WHERE name = $1", &[name.into()])?;
                match found.first() {
                    Some(row) if rerun && row[1].opt_text()? == Some(token.as_str()) => Ok(Some(row[0].int()?)),
                    Some(_) => Err(Error::DuplicateStudy(name.to_owned())),
                    None => Ok(None),
                }
            };
            if let Some(study_id) = mine(tx)? {
                return Ok(study(study_id));
            }
            // Two processes creating the same name at once both pass the
            // check above on PostgreSQL (SQLite serializes them): the second
            // insert then waits for the first and inserts nothing. So does
            // a re-run whose first run's commit was still in flight when
            // it looked: then its second look, a fresh snapshot, finds it.
            let rows = tx.query(
                "INSERT INTO studies (name, directions, change_seq, n_trials, n_sampled, created_at, create_token)
                 VALUES ($1, $2, 0, 0, 0, $3, $4) ON CONFLICT (name) DO NOTHING RETURNING study_id",
                &[name.into(), directions_json.clone().into(), now_us().into(), token.as_str().into()],
            )?;
            match rows.first() {
                Some(row) => Ok(study(row[0].int()?)),
                None => match mine(tx)? {
                    Some(study_id) => Ok(study(study_id)),
                    None => Err(Error::DuplicateStudy(name.to_owned())),
                },
            }
        })
    }

    fn study_by_name(&self, name: &str) -> Result<Option<StudyInfo>> {
        self.backend.transaction(false, &mut |tx| Ok(Self::load_studies(tx, "WHERE name = $1", &[name.into()])?.pop()))
    }

    fn list_studies(&self) -> Result<Vec<StudyInfo>> {
        self.backend.transaction(false, &mut |tx| Self::load_studies(tx, "", &[]))
    }

    fn delete_study(&self, study_id: i64) -> Result<()> {
        let mut runs = Runs::default();
        self.backend.transaction(true, &mut |tx| {
            let rerun = runs.rerun();
            match Self::lock_study(tx, study_id) {
                // The first run deleted it.
                Err(Error::StudyNotFound(_)) if rerun => return Ok(()),
                locked => locked?,
            };
            let id = [SqlValue::Int(study_id)];
            for table in [
                "trial_params",
                "trial_values",
                "trial_intermediate_values",
                "trial_intermediate_vectors",
                "trial_attrs",
            ] {
                let sql =
                    format!("DELETE FROM {table} WHERE trial_id IN (SELECT trial_id FROM trials WHERE study_id = $1)");
                tx.execute(&sql, &id)?;
            }
            tx.execute("DELETE FROM trials WHERE study_id = $1", &id)?;
            tx.execute("DELETE FROM study_attrs WHERE study_id = $1", &id)?;
            tx.execute("DELETE FROM studies WHERE study_id = $1", &id)?;
            Ok(())
        })
    }

    fn set_study_attr(&self, study_id: i64, scope: AttrScope, key: &str, value: &AttrValue) -> Result<()> {
        let value = to_json(value);
        self.backend.transaction(true, &mut |tx| {
            Self::lock_study(tx, study_id)?;
            tx.execute(
                "INSERT INTO study_attrs (study_id, scope, key, value) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (study_id, scope, key) DO UPDATE SET value = excluded.value",
                &[study_id.into(), scope_str(scope).into(), key.into(), value.clone().into()],
            )?;
            Ok(())
        })
    }

    fn create_trial(&self, study_id: i64, new: NewTrial) -> Result<Option<FrozenTrial>> {
        self.create(study_id, &new, false)
    }

    fn add_trial(&self, study_id: i64, trial: &FrozenTrial) -> Result<Arc<FrozenTrial>> {
        let params: Vec<(String, TrialParam)> = trial.params.iter().map(|(k, p)| (k.clone(), p.clone())).collect();
        let params = param_rows(&params);
        let fixed_params = trial.fixed_params.as_ref().map(to_json);
        // As `create_trial`: a token, so that a re-run after a commit whose
        // outcome was lost returns the trial the first run wrote.
        let token = write_token();
        let mut runs = Runs::default();
        self.backend.transaction(true, &mut |tx| {
            let rerun = runs.rerun();
            // The study's lock first: it serializes numbering, and a re-run
            // then sees whether its first run committed.
            let lock = Self::lock_study(tx, study_id)?;
            if rerun {
                if let Some(trial) = Self::trial_by_create_token(tx, study_id, &token)? {
                    return Ok(Arc::new(trial));
                }
            }
            check_added_trial(trial, lock.n_objectives)?;
            // Counted in `n_trials` (numbering) but not in `n_sampled`: no
            // sampler proposed it, as for an enqueued trial.
            tx.execute("UPDATE studies SET n_trials = n_trials + 1 WHERE study_id = $1", &[study_id.into()])?;
            let number = lock.n_trials;
            let rows = tx.query(
                "INSERT INTO trials (study_id, number, state, fixed_params, started_at, finished_at, change_seq,
                 create_token) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING trial_id",
                &[
                    study_id.into(),
                    number.into(),
                    trial.state.as_str().into(),
                    fixed_params.clone().into(),
                    trial.started_at_us.into(),
                    trial.finished_at_us.into(),
                    lock.change_seq.into(),
                    token.as_str().into(),
                ],
            )?;
            let trial_id =
                rows.first().ok_or_else(|| corrupt("the insert of a trial returned no id".into()))?[0].int()?;
            Self::put_params(tx, trial_id, &params)?;
            for (objective, &value) in trial.values.as_deref().unwrap_or_default().iter().enumerate() {
                tx.execute_deferred(
                    "INSERT INTO trial_values (trial_id, objective, value) VALUES ($1, $2, $3)",
                    &[trial_id.into(), (objective as i64).into(), SqlValue::real(value)],
                )?;
            }
            for (&step, &value) in &trial.intermediate_values {
                Self::put_intermediate_value(tx, trial_id, step, value)?;
            }
            for (&step, values) in &trial.intermediate_vectors {
                for (objective, &value) in values.iter().enumerate() {
                    tx.execute_deferred(
                        "INSERT INTO trial_intermediate_vectors (trial_id, step, objective, value)
                         VALUES ($1, $2, $3, $4)",
                        &[trial_id.into(), step.into(), (objective as i64).into(), SqlValue::real(value)],
                    )?;
                }
            }
            for (key, value) in &trial.user_attrs {
                Self::put_trial_attr(tx, trial_id, AttrScope::User, key, value)?;
            }
            for (key, value) in &trial.system_attrs {
                Self::put_trial_attr(tx, trial_id, AttrScope::System, key, value)?;
            }
            Ok(Arc::new(FrozenTrial { trial_id, number: number as u64, ..trial.clone() }))
        })
    }

    fn claim_or_create_trial(&self, study_id: i64, new: NewTrial) -> Result<Option<FrozenTrial>> {
        if new.waiting || new.fixed_params.is_some() {
            // Not an ask's trial: claim, then create, as the default does.
            if let Some(claimed) = self.claim(study_id, new.heartbeat)? {
                return Ok(Some(claimed));
            }
            return self.create(study_id, &new, false);
        }
        self.create(study_id, &new, true)
    }
    fn claim_waiting_trial(&self, study_id: i64) -> Result<Option<FrozenTrial>> {
        self.claim(study_id, false)
    }

    fn claim_waiting_trial_with_heartbeat(&self, study_id: i64) -> Result<Option<FrozenTrial>> {
        self.claim(study_id, true)
    }

    fn set_trial_param(&self, trial_id: i64, name: &str, param: &TrialParam) -> Result<()> {
        self.set_trial_params(trial_id, &[(name.to_owned(), param.clone())])
    }

    fn set_trial_params(&self, trial_id: i64, params: &[(String, TrialParam)]) -> Result<()> {
        let rows = param_rows(params);
        self.backend.transaction(true, &mut |tx| {
            Self::lock_running_trial(tx, trial_id)?;
            Self::put_params(tx, trial_id, &rows)
        })
    }

    fn gathers_param_writes(&self) -> bool {
        true
    }

    fn set_trial_intermediate_value(&self, trial_id: i64, step: u64, value: f64) -> Result<()> {
        self.backend.transaction(true, &mut |tx| {
            Self::lock_running_trial(tx, trial_id)?;
            Self::put_intermediate_value(tx, trial_id, step, value)
        })
    }

    fn set_trial_intermediate_values(&self, trial_id: i64, step: u64, values: &[f64]) -> Result<()> {
        let first = *values.first().ok_or_else(|| Error::InvalidArgument("no intermediate values given".into()))?;
        self.backend.transaction(true, &mut |tx| {
            Self::lock_running_trial(tx, trial_id)?;
            Self::put_intermediate_value(tx, trial_id, step, first)?;
            tx.execute_deferred(
                "DELETE FROM trial_intermediate_vectors WHERE trial_id = $1 AND step = $2",
                &[trial_id.into(), step.into()],
            )?;
            for (objective, &v) in values.iter().enumerate() {
                tx.execute_deferred(
                    "INSERT INTO trial_intermediate_vectors (trial_id, step, objective, value) VALUES ($1, $2, $3, $4)",
                    &[trial_id.into(), step.into(), (objective as i64).into(), SqlValue::real(v)],
                )?;
            }
            Ok(())
        })
    }

    fn set_trial_attr(&self, trial_id: i64, scope: AttrScope, key: &str, value: &AttrValue) -> Result<()> {
        self.backend.transaction(true, &mut |tx| {
            Self::lock_running_trial(tx, trial_id)?;
            Self::put_trial_attr(tx, trial_id, scope, key, value)
        })
    }

    fn finish_trial(&self, trial_id: i64, state: TrialState, values: Option<&[f64]>) -> Result<Arc<FrozenTrial>> {
        self.finish(trial_id, None, &[], state, values)
    }

    fn finish_known_trial(
        &self,
        known: &FrozenTrial,
        unsaved: &[(String, TrialParam)],
        state: TrialState,
        values: Option<&[f64]>,
    ) -> Result<Arc<FrozenTrial>> {
        self.finish(known.trial_id, Some(known), unsaved, state, values)
    }

    fn record_heartbeat(&self, trial_id: i64) -> Result<()> {
        // Only the trial's row: a heartbeat is no trial data, so it neither
        // takes the study's lock nor stamps a change for readers.
        let sql = format!("UPDATE trials SET heartbeat_at = {} WHERE trial_id = $1 AND state = 'running'", B::NOW_US);
        self.backend.transaction(true, &mut |tx| {
            if tx.execute(&sql, &[trial_id.into()])? == 0 {
                let rows = tx.query("SELECT number, state FROM trials WHERE trial_id = $1", &[trial_id.into()])?;
                let row = rows.first().ok_or(Error::TrialNotFound(trial_id))?;
                return Err(Error::TrialNotRunning {
                    number: row[0].int()? as u64,
                    state: parse_state(row[1].text()?)?,
                });
            }
            Ok(())
        })
    }

    fn fail_stale_trials(&self, study_id: i64, grace_period: Duration) -> Result<Vec<Arc<FrozenTrial>>> {
        self.fail_stale(study_id, grace_period, None)
    }

    fn count_beating_trials(&self, study_id: i64) -> Result<u64> {
        self.backend.transaction(false, &mut |tx| {
            let rows = tx.query(
                "SELECT count(*) FROM trials WHERE study_id = $1 AND state = 'running' AND heartbeat_at IS NOT NULL",
                &[study_id.into()],
            )?;
            Ok(rows[0][0].int()? as u64)
        })
    }

    fn fail_stale_trials_and_retry(
        &self,
        study_id: i64,
        grace_period: Duration,
        retry: &dyn Fn(&FrozenTrial) -> Option<NewTrial>,
    ) -> Result<Vec<Arc<FrozenTrial>>> {
        self.fail_stale(study_id, grace_period, Some(retry))
    }

    fn trial(&self, trial_id: i64) -> Result<FrozenTrial> {
        let sql = trials_query("t.trial_id = $1", None, self.has_param_index);
        let rows = self.backend.read_statement(&sql, &[trial_id.into()])?;
        parse_trial_rows(rows)?.1.pop().ok_or(Error::TrialNotFound(trial_id))
    }

    fn trials_changed_since(&self, study_id: i64, cursor: u64) -> Result<TrialChanges> {
        // One statement: the study's sequence and the trials changed up to
        // it come from one snapshot, so the cursor returned never skips a
        // change.
        let sql = trials_query("t.study_id = $1 AND t.change_seq > $2", Some("s.study_id = $1"), self.has_param_index);
        let rows = self.backend.read_statement(&sql, &[study_id.into(), cursor.into()])?;
        let (seq, trials) = parse_trial_rows(rows)?;
        let seq = seq.ok_or_else(|| Error::StudyNotFound(format!("id {study_id}")))?;
        Ok(TrialChanges { trials: trials.into_iter().map(Arc::new).collect(), cursor: seq as u64 })
    }
}
