//! SQLite, the embedded default: one file, nothing to install.
//!
//! WAL journal so readers never block the writer, `synchronous=NORMAL`
//! (a killed process loses nothing; only a power cut can lose the last
//! commits), `BEGIN IMMEDIATE` for writes so two processes never deadlock
//! upgrading read locks, and a long busy timeout plus a retry of the whole
//! transaction, so parallel workers queue instead of failing with
//! "database is locked".

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use ferrotune_core::{Error, Result};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ErrorCode, OpenFlags, ToSql};

use super::{Row, SqlBackend, SqlStorage, SqlTx, SqlValue};

/// How long one statement waits for another process's lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);
/// How many times a whole transaction is retried after a lock conflict
/// that the busy timeout did not absorb.
const MAX_ATTEMPTS: u32 = 20;

/// The SQLite storage.
pub type SqliteStorage = SqlStorage<SqliteBackend>;

/// How much durability to buy with commit latency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Synchronous {
    /// Survives a killed process; a power cut may lose the last commits.
    Normal,
    /// Survives a power cut too; every commit waits for the disk.
    Full,
}

/// One SQLite connection, shared by the threads of this process.
pub struct SqliteBackend {
    conn: Mutex<Connection>,
    path: PathBuf,
}

impl SqliteStorage {
    /// Open (or create) a database file with the default settings.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, Synchronous::Normal)
    }

    /// Open (or create) a database file.
    pub fn open_with(path: impl AsRef<Path>, synchronous: Synchronous) -> Result<Self> {
        SqlStorage::new(SqliteBackend::open(path.as_ref(), synchronous)?)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.backend().path
    }
}

fn sql_error(e: rusqlite::Error) -> Error {
    Error::Storage(format!("SQLite: {e}"))
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error_code(), Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked))
}

impl SqliteBackend {
    fn open(path: &Path, synchronous: Synchronous) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.is_dir() {
                return Err(Error::Storage(format!(
                    "cannot create SQLite database {}: directory {} does not exist",
                    path.display(),
                    dir.display()
                )));
            }
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)
            .map_err(|e| Error::Storage(format!("cannot open SQLite database {}: {e}", path.display())))?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(sql_error)?;
        conn.set_prepared_statement_cache_capacity(64);
        // Switching to WAL needs a moment of exclusive access; another
        // process opening the same file at the same time can make it fail
        // once, so retry.
        let mut attempt = 0;
        loop {
            match conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0)) {
                Ok(_) => break,
                Err(e) if is_busy(&e) && attempt < MAX_ATTEMPTS => {
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(20 * u64::from(attempt)));
                }
                Err(e) => return Err(sql_error(e)),
            }
        }
        let sync = match synchronous {
            Synchronous::Normal => "NORMAL",
            Synchronous::Full => "FULL",
        };
        conn.execute_batch(&format!("PRAGMA synchronous = {sync}; PRAGMA foreign_keys = ON;")).map_err(sql_error)?;
        Ok(SqliteBackend { conn: Mutex::new(conn), path: path.to_owned() })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // The connection holds no Rust-side invariants a panic could break;
        // an open transaction is rolled back at the start of the next one.
        self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

struct SqliteTx<'c> {
    conn: &'c Connection,
    /// Set when a statement failed on a lock, so the caller retries.
    busy: bool,
}

impl ToSql for SqlValue {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            SqlValue::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            SqlValue::Int(v) => ToSqlOutput::Borrowed(ValueRef::Integer(*v)),
            SqlValue::Real(v) => ToSqlOutput::Borrowed(ValueRef::Real(*v)),
            SqlValue::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        })
    }
}

/// The shared SQL writes PostgreSQL-style `$1` placeholders; SQLite reads
/// `$1` as a *named* parameter numbered by first appearance, so `$2 ... $1`
/// would bind backwards. `?1` is SQLite's positional form.
fn positional(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

impl SqliteTx<'_> {
    fn check<T>(&mut self, r: rusqlite::Result<T>) -> Result<T> {
        r.map_err(|e| {
            self.busy |= is_busy(&e);
            sql_error(e)
        })
    }
}

impl SqlTx for SqliteTx<'_> {
    fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<u64> {
        let r = self
            .conn
            .prepare_cached(&positional(sql))
            .and_then(|mut stmt| stmt.execute(rusqlite::params_from_iter(params)));
        self.check(r).map(|n| n as u64)
    }

    fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>> {
        let r = (|| {
            let mut stmt = self.conn.prepare_cached(&positional(sql))?;
            let n = stmt.column_count();
            let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                let mut values = Vec::with_capacity(n);
                for i in 0..n {
                    values.push(match row.get_ref(i)? {
                        ValueRef::Null | ValueRef::Blob(_) => SqlValue::Null,
                        ValueRef::Integer(v) => SqlValue::Int(v),
                        ValueRef::Real(v) => SqlValue::Real(v),
                        ValueRef::Text(t) => SqlValue::Text(String::from_utf8_lossy(t).into_owned()),
                    });
                }
                out.push(values);
            }
            Ok(out)
        })();
        self.check(r)
    }
}

impl SqlBackend for SqliteBackend {
    const ID_PRIMARY_KEY: &'static str = "INTEGER PRIMARY KEY";

    fn transaction<T>(&self, write: bool, body: &mut dyn FnMut(&mut dyn SqlTx) -> Result<T>) -> Result<T> {
        let conn = self.lock();
        let begin = if write { "BEGIN IMMEDIATE" } else { "BEGIN" };
        let mut attempt = 0;
        loop {
            attempt += 1;
            if !conn.is_autocommit() {
                // Left open by a panic in an earlier body.
                let _ = conn.execute_batch("ROLLBACK");
            }
            let mut tx = SqliteTx { conn: &conn, busy: false };
            let error = match conn.execute_batch(begin) {
                Ok(()) => match body(&mut tx) {
                    Ok(value) => match conn.execute_batch("COMMIT") {
                        Ok(()) => return Ok(value),
                        Err(e) => {
                            tx.busy |= is_busy(&e);
                            sql_error(e)
                        }
                    },
                    Err(e) => e,
                },
                Err(e) => {
                    tx.busy |= is_busy(&e);
                    sql_error(e)
                }
            };
            if !conn.is_autocommit() {
                let _ = conn.execute_batch("ROLLBACK");
            }
            if !(tx.busy && attempt < MAX_ATTEMPTS) {
                return Err(error);
            }
            std::thread::sleep(Duration::from_millis(5 * u64::from(attempt)));
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_become_positional() {
        assert_eq!(super::positional("SET a = $2 WHERE b = $1 AND c = '$x'"), "SET a = ?2 WHERE b = ?1 AND c = '$x'");
    }
}
