//! SQLite, the embedded default: one file, nothing to install.
//!
//! WAL journal so readers never block the writer, `synchronous=NORMAL`
//! (a killed process loses nothing; only a power cut can lose the last
//! commits), `BEGIN IMMEDIATE` for writes so two processes never deadlock
//! upgrading read locks, and a busy handler plus a retry of the whole
//! transaction, so parallel workers queue instead of failing with
//! "database is locked".
//!
//! The file is something users handle, so:
//! - every error names it (`database /path/study.db: ...`);
//! - a background thread copies the write-ahead log into the file as it
//!   grows, so no commit waits for a whole checkpoint (see `Checkpointer`);
//! - dropping the storage checkpoints the write-ahead log into the file, so
//!   the `.db` alone is a complete copy (see [`SqliteStorage::checkpoint`]);
//! - a file this process cannot write (a 444 file, a read-only directory or
//!   mount) opens read-only: reads work, writes fail saying why;
//! - a wait on another process's lock can be reported while it lasts
//!   ([`SqliteStorage::set_lock_wait_hook`]) and ends in an error that says
//!   who holds the file. The storage itself never prints.

use std::cell::RefCell;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::{Duration, Instant};

use ferrotune_core::{Error, Result};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ErrorCode, OpenFlags, ToSql, MAIN_DB};

use super::{Row, SqlBackend, SqlStorage, SqlTx, SqlValue};

/// How long one transaction waits, in all, for other connections' locks
/// before giving up (the default of [`SqliteStorage::set_busy_timeout`]).
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);
/// How many times a whole transaction is retried after a lock conflict
/// that the busy handler did not absorb (SQLite returns `SQLITE_BUSY`
/// without waiting where waiting could deadlock).
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

/// Why a storage was opened read-only; part of the error a write gets.
#[derive(Debug, Clone)]
enum ReadOnly {
    /// [`SqliteStorage::open_read_only`].
    Requested,
    /// The process may not write the file (mode 444, a read-only mount).
    File,
    /// The process may not create files in its directory, where SQLite
    /// keeps the `-wal` and `-shm` files a WAL database is written through.
    Directory(PathBuf),
    /// SQLite refused to write it (its message).
    Refused(String),
}

impl std::fmt::Display for ReadOnly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadOnly::Requested => write!(f, "opened read-only"),
            ReadOnly::File => write!(f, "the file is not writable by this process"),
            ReadOnly::Directory(dir) => write!(
                f,
                "its directory {} is not writable by this process, and SQLite writes through -wal and -shm \
                 files beside the database",
                dir.display()
            ),
            ReadOnly::Refused(why) => write!(f, "SQLite could not open it for writing: {why}"),
        }
    }
}

/// One SQLite connection, shared by the threads of this process.
pub struct SqliteBackend {
    conn: Mutex<Connection>,
    path: Arc<Path>,
    read_only: Option<ReadOnly>,
    /// [`SqliteStorage::set_busy_timeout`], in milliseconds.
    busy_timeout_ms: AtomicU64,
    /// Checkpoints the write-ahead log off the write path, if started.
    checkpointer: Option<Checkpointer>,
    /// Write transactions committed, to wake the checkpointer.
    commits: AtomicU64,
}

/// Write commits between two background checkpoints: a few hundred pages
/// of log at the 3-10 pages a write changes, well before SQLite's own
/// threshold of 1,000.
const CHECKPOINT_EVERY: u64 = 100;

/// A thread with a connection of its own that checkpoints the write-ahead
/// log (copies it into the database file) every [`CHECKPOINT_EVERY`]
/// commits, in SQLite's passive mode, which never holds up a writer.
///
/// Design decision: SQLite's automatic checkpoint runs inside the commit
/// that crosses its threshold (1,000 pages), so that one ask or tell pays
/// for copying the whole log and for syncing it and the file: under I/O
/// load tens of milliseconds, which made up half the mean cost of a trial.
/// The background checkpoints do that copying as the log grows, so the
/// automatic one, kept on because only a checkpoint that completes inside a
/// writer lets the log start over (a background one always races the next
/// commit), finds little left to copy. Measured (`bench/storage.sh`'s SQLite
/// figure, 10 suggests, load 3.5): mean 0.41-0.43 ms per trial instead of
/// 0.62-0.66, p99 4-7 ms instead of 15-17.
struct Checkpointer {
    wake: Option<std::sync::mpsc::SyncSender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    fn start(path: &Path) -> Option<Checkpointer> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).ok()?;
        // One pending wake is enough: a checkpoint copies all there is.
        let (wake, woken) = std::sync::mpsc::sync_channel::<()>(1);
        let thread = std::thread::Builder::new()
            .name("ferrotune-sqlite-checkpoint".into())
            .spawn(move || {
                while woken.recv().is_ok() {
                    // PASSIVE never waits for a lock: what readers still
                    // use is copied next time.
                    let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                }
            })
            .ok()?;
        Some(Checkpointer { wake: Some(wake), thread: Some(thread) })
    }

    fn wake(&self) {
        if let Some(wake) = &self.wake {
            let _ = wake.try_send(());
        }
    }

    fn stop(&mut self) {
        drop(self.wake.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl SqliteStorage {
    /// Open (or create) a database file with the default settings. An
    /// existing file this process cannot write is opened read-only (see
    /// [`SqliteStorage::open_read_only`]).
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, Synchronous::Normal)
    }

    /// Open (or create) a database file; read-only if it exists and this
    /// process cannot write it or its directory.
    pub fn open_with(path: impl AsRef<Path>, synchronous: Synchronous) -> Result<Self> {
        let backend = SqliteBackend::open(path.as_ref(), synchronous)?;
        if backend.read_only.is_some() {
            SqlStorage::new_read_only(backend)
        } else {
            SqlStorage::new(backend)
        }
    }

    /// Open an existing database for reading only: every read works, every
    /// write fails with an error naming the file. [`SqliteStorage::open`]
    /// comes here by itself when the file, or the directory it is in, is
    /// not writable. In a directory where SQLite cannot create the `-shm`
    /// file a WAL database is read through, the file is opened as
    /// immutable (SQLite's `immutable=1`), which is safe because nobody can
    /// write it there either.
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Self> {
        SqlStorage::new_read_only(SqliteBackend::open_read_only(path.as_ref(), ReadOnly::Requested)?)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.backend().path
    }

    /// Whether the storage was opened read-only (see
    /// [`SqliteStorage::open_read_only`]).
    pub fn is_read_only(&self) -> bool {
        self.backend().read_only.is_some()
    }

    /// Move every committed change from the write-ahead log (`study.db-wal`)
    /// into the database file and empty the log, so that the `.db` file
    /// alone holds the whole study (to copy it, say).
    ///
    /// Dropping the storage does this too (best effort, without waiting),
    /// but a process that keeps its storage alive to the end (in a static,
    /// say) never drops it: call this before exiting. Fails if another
    /// connection is still reading or writing after the busy timeout; a
    /// read-only storage has nothing to do.
    pub fn checkpoint(&self) -> Result<()> {
        let backend = self.backend();
        if backend.read_only.is_some() {
            return Ok(());
        }
        let conn = backend.lock();
        let scope = WaitScope::enter(&backend.path, backend.busy_timeout());
        let busy: i64 = conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))
            .map_err(|e| backend.sql_error(&e, scope.waited(), "checkpointing"))?;
        if busy != 0 {
            return Err(locked(&backend.path, scope.waited(), "checkpointing"));
        }
        Ok(())
    }

    /// How long one operation waits, in all, for a lock another connection
    /// holds (another process writing, or a `sqlite3` shell left in a
    /// transaction) before it fails with an error saying the database is
    /// locked. Default 30 s.
    pub fn set_busy_timeout(&self, timeout: Duration) {
        let ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        self.backend().busy_timeout_ms.store(ms, Ordering::Relaxed);
    }

    /// Ask to be told when an operation on any SQLite storage of this
    /// process has waited `after` for a lock held by another connection:
    /// `hook(database file, time waited so far)` is called once per such
    /// wait, on the waiting thread, while the wait goes on (up to the busy
    /// timeout). It is how a program says "waiting for a lock on X held by
    /// another process" instead of hanging silently; it must return quickly
    /// and must not use the storage. Process-wide, like a panic hook: a new
    /// call replaces the previous hook.
    pub fn set_lock_wait_hook(after: Duration, hook: impl Fn(&Path, Duration) + Send + Sync + 'static) {
        *LOCK_WAIT_HOOK.write().unwrap_or_else(PoisonError::into_inner) = Some((after, Arc::new(hook)));
    }

    /// Remove the hook [`SqliteStorage::set_lock_wait_hook`] set.
    pub fn clear_lock_wait_hook() {
        *LOCK_WAIT_HOOK.write().unwrap_or_else(PoisonError::into_inner) = None;
    }
}

// ---------------------------------------------------------------- lock waits

type LockWaitHook = Arc<dyn Fn(&Path, Duration) + Send + Sync>;

static LOCK_WAIT_HOOK: RwLock<Option<(Duration, LockWaitHook)>> = RwLock::new(None);

/// The lock wait in progress on this thread. SQLite's busy handler is a
/// plain function (rusqlite passes no context to it), so the connection's
/// user states here which file it works on and how long it may wait; the
/// handler runs on the same thread, inside the statement.
struct Wait {
    path: Arc<Path>,
    budget: Duration,
    /// When the first lock conflict of this operation began.
    since: Option<Instant>,
    /// Whether the hook was told about this wait.
    told: bool,
}

thread_local! {
    static WAIT: RefCell<Option<Wait>> = const { RefCell::new(None) };
}

/// One operation's [`Wait`] context; the previous one comes back on drop.
struct WaitScope {
    previous: Option<Wait>,
}

impl WaitScope {
    fn enter(path: &Arc<Path>, budget: Duration) -> WaitScope {
        let wait = Wait { path: path.clone(), budget, since: None, told: false };
        // `try_with` fails only while the thread's locals are being torn
        // down; the handler then finds no context and does not wait.
        let previous = WAIT.try_with(|w| w.replace(Some(wait))).ok().flatten();
        WaitScope { previous }
    }

    /// Mark a lock conflict the busy handler did not see.
    fn conflict(&self) {
        let _ = WAIT.try_with(|w| {
            if let Some(wait) = w.borrow_mut().as_mut() {
                wait.since.get_or_insert_with(Instant::now);
            }
        });
    }

    /// How long this operation has waited on locks so far.
    fn waited(&self) -> Duration {
        WAIT.try_with(|w| w.borrow().as_ref().and_then(|w| w.since).map(|s| s.elapsed()))
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    fn out_of_time(&self) -> bool {
        WAIT.try_with(|w| w.borrow().as_ref().is_none_or(|w| w.since.is_some_and(|s| s.elapsed() >= w.budget)))
            .unwrap_or(true)
    }
}

impl Drop for WaitScope {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let _ = WAIT.try_with(|w| *w.borrow_mut() = previous);
    }
}

/// SQLite's busy handler: sleep and retry while the operation's budget
/// lasts, telling the hook once. Without a context (a connection being
/// dropped) it gives up at once: exiting must not wait on another process.
fn on_busy(count: i32) -> bool {
    let now = Instant::now();
    let hook = LOCK_WAIT_HOOK.read().unwrap_or_else(PoisonError::into_inner).clone();
    let step = WAIT
        .try_with(|w| {
            let mut w = w.borrow_mut();
            let wait = w.as_mut()?;
            let waited = now - *wait.since.get_or_insert(now);
            if waited >= wait.budget {
                return None;
            }
            let tell = match &hook {
                Some((after, hook)) if !wait.told && waited >= *after => {
                    wait.told = true;
                    Some((hook.clone(), wait.path.clone()))
                }
                _ => None,
            };
            Some((waited, wait.budget - waited, tell))
        })
        .ok()
        .flatten();
    let Some((waited, left, tell)) = step else { return false };
    // Outside the borrow: the hook may do anything but use this storage.
    if let Some((hook, path)) = tell {
        hook(&path, waited);
    }
    // SQLite's own busy-timeout schedule: quick retries first, then 100 ms.
    const DELAYS_MS: [u64; 12] = [1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100];
    let delay = DELAYS_MS.get(usize::try_from(count).unwrap_or(0)).copied().unwrap_or(100);
    std::thread::sleep(Duration::from_millis(delay).min(left));
    true
}

/// The error for a lock held past the busy timeout.
fn locked(path: &Path, waited: Duration, doing: &str) -> Error {
    Error::Storage(format!(
        "database {} is locked by another process (or another connection to the same file): gave up {doing} \
         after waiting {:.1} s; if nothing else should be using it, look for a program holding it open in a \
         transaction (a `sqlite3` shell, say)",
        path.display(),
        waited.as_secs_f64()
    ))
}

// ---------------------------------------------------------------- errors

/// What kind of failure a SQLite error is, for the message and the retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    Busy,
    ReadOnly,
    Other,
}

fn failure(e: &rusqlite::Error) -> Failure {
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Failure::Busy,
        Some(ErrorCode::ReadOnly) => Failure::ReadOnly,
        _ => Failure::Other,
    }
}

/// SQLite's `application_id` of the files ferrotune creates ("FrTn"), so
/// that `file(1)` and other tools can tell them from other SQLite files.
pub const APPLICATION_ID: i32 = 0x4672_546E;

/// Refuse a database that holds another program's tables under the names
/// ferrotune would create (an Optuna study, above all), before anything is
/// written to it: creating our tables there would fail half-way (`table
/// studies already exists`) or mix two schemas in one file. A new, empty
/// file is stamped with [`APPLICATION_ID`].
fn check_not_foreign(conn: &Connection, path: &Path) -> Result<()> {
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .and_then(|mut statement| statement.query_map([], |r| r.get(0))?.collect())
        .map_err(|e| named(path, &e))?;
    if tables.iter().any(|t| t == "ferrotune_schema") {
        return Ok(());
    }
    if crate::optuna::looks_like_optuna(&tables) {
        return Err(Error::InvalidArgument(crate::optuna::optuna_database_message(path)));
    }
    const OURS: [&str; 4] = ["studies", "trials", "trial_params", "trial_values"];
    if let Some(clash) = tables.iter().find(|t| OURS.contains(&t.as_str())) {
        return Err(Error::InvalidArgument(format!(
            "database {} is not a ferrotune database: it has a table `{clash}` of another program; \
             give ferrotune a file of its own",
            path.display()
        )));
    }
    if tables.is_empty() && !conn.is_readonly(MAIN_DB).unwrap_or(true) {
        conn.pragma_update(None, "application_id", APPLICATION_ID).map_err(|e| named(path, &e))?;
    }
    Ok(())
}

/// A SQLite error as the engine's, naming the file.
fn named(path: &Path, e: &rusqlite::Error) -> Error {
    match failure(e) {
        Failure::ReadOnly => Error::Storage(format!(
            "database {} is read-only: {e} (was the file or its directory made read-only, or the file moved or \
             deleted, after it was opened?)",
            path.display()
        )),
        Failure::Busy | Failure::Other => Error::Storage(format!("database {}: {e}", path.display())),
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    failure(e) == Failure::Busy
}

/// `path` with `suffix` appended to its file name (`x.db` → `x.db-wal`).
fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(suffix);
    PathBuf::from(name)
}

fn directory_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// Whether this process may write `path`: `Some(false)` when it is denied
/// (permissions, a read-only mount), `None` when that cannot be told (the
/// path does not exist, say). Asked of the kernel with the effective ids,
/// never by opening the file: closing any descriptor of a SQLite file drops
/// every POSIX lock this process holds on it, including other connections'.
#[cfg(unix)]
fn writable(path: &Path) -> Option<bool> {
    use rustix::fs::{accessat, Access, AtFlags, CWD};
    use rustix::io::Errno;
    match accessat(CWD, path, Access::WRITE_OK, AtFlags::EACCESS) {
        Ok(()) => Some(true),
        Err(e) if e == Errno::ACCESS || e == Errno::ROFS || e == Errno::PERM => Some(false),
        Err(_) => None,
    }
}

#[cfg(not(unix))]
fn writable(path: &Path) -> Option<bool> {
    std::fs::metadata(path).ok().map(|m| !m.permissions().readonly())
}

/// Why an existing database must be opened read-only, if it must.
fn read_only_reason(path: &Path) -> Option<ReadOnly> {
    if writable(path) == Some(false) {
        return Some(ReadOnly::File);
    }
    let dir = directory_of(path);
    // In a directory it cannot write, SQLite can still write through
    // `-wal` and `-shm` files that already exist and are writable.
    let sidecars = || writable(&sidecar(path, "-wal")) == Some(true) && writable(&sidecar(path, "-shm")) == Some(true);
    if writable(&dir) == Some(false) && !sidecars() {
        return Some(ReadOnly::Directory(dir));
    }
    None
}

/// `file:` URI of a path with SQLite's `immutable=1`, or `None` for a path
/// that is not UTF-8.
fn immutable_uri(path: &Path) -> Option<String> {
    let text = path.to_str()?;
    let mut uri = String::from(if text.starts_with('/') { "file://" } else { "file:" });
    for c in text.chars() {
        match c {
            '%' => uri.push_str("%25"),
            '?' => uri.push_str("%3f"),
            '#' => uri.push_str("%23"),
            c => uri.push(c),
        }
    }
    uri.push_str("?immutable=1");
    Some(uri)
}

impl SqliteBackend {
    fn open(path: &Path, synchronous: Synchronous) -> Result<Self> {
        // A path that cannot be checked is taken to exist: SQLite then
        // reports what is wrong with it.
        if path.try_exists().unwrap_or(true) {
            if let Some(reason) = read_only_reason(path) {
                return Self::open_read_only(path, reason);
            }
        } else {
            let dir = directory_of(path);
            if !dir.is_dir() {
                return Err(Error::Storage(format!(
                    "cannot create database {}: directory {} does not exist",
                    path.display(),
                    dir.display()
                )));
            }
            if writable(&dir) == Some(false) {
                return Err(Error::Storage(format!(
                    "cannot create database {}: directory {} is not writable by this process",
                    path.display(),
                    dir.display()
                )));
            }
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| named(path, &e))?;
        // SQLite quietly opens a file it may not write read-only.
        if conn.is_readonly(MAIN_DB).unwrap_or(false) {
            drop(conn);
            return Self::open_read_only(path, ReadOnly::File);
        }
        let backend = SqliteBackend::new(conn, path, None)?;
        let refused = {
            let conn = backend.lock();
            let scope = WaitScope::enter(&backend.path, BUSY_TIMEOUT);
            // Before the switch to WAL, which would already change the file.
            check_not_foreign(&conn, path)?;
            // Switching to WAL needs a moment of exclusive access; another
            // process opening the same file at the same time can make it
            // fail once, so retry.
            let mut attempt = 0;
            loop {
                match conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0)) {
                    Ok(_) => break None,
                    Err(e) if is_busy(&e) && attempt < MAX_ATTEMPTS && !scope.out_of_time() => {
                        scope.conflict();
                        attempt += 1;
                        std::thread::sleep(Duration::from_millis(20 * u64::from(attempt)));
                    }
                    // Not writable after all (a case the checks before
                    // opening did not see): read it.
                    Err(e) if failure(&e) == Failure::ReadOnly => break Some(e.to_string()),
                    Err(e) => return Err(backend.sql_error(&e, scope.waited(), "opening it")),
                }
            }
        };
        if let Some(why) = refused {
            drop(backend);
            return Self::open_read_only(path, ReadOnly::Refused(why));
        }
        let sync = match synchronous {
            Synchronous::Normal => "NORMAL",
            Synchronous::Full => "FULL",
        };
        let mut backend = backend;
        backend.checkpointer = Checkpointer::start(path);
        // Without a checkpointer, SQLite's automatic checkpoints stay on.
        backend
            .lock()
            .execute_batch(&format!("PRAGMA synchronous = {sync}; PRAGMA foreign_keys = ON;"))
            .map_err(|e| named(path, &e))?;
        Ok(backend)
    }

    fn open_read_only(path: &Path, reason: ReadOnly) -> Result<Self> {
        if !path.try_exists().unwrap_or(true) {
            return Err(Error::Storage(format!("database {} does not exist", path.display())));
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| named(path, &e))?;
        let conn = match Self::probe(&conn) {
            Ok(()) => conn,
            Err(first) => {
                // Reading a WAL database needs its `-shm` file, which SQLite
                // cannot create in a directory it may not write. Opened as
                // immutable it reads the file alone, which is right only if
                // the log holds nothing the file lacks.
                let wal = sidecar(path, "-wal");
                let pending = std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0);
                let uri = immutable_uri(path).filter(|_| !pending);
                let Some(uri) = uri else {
                    return Err(Error::Storage(format!(
                        "database {} cannot be read: {first}{}",
                        path.display(),
                        if pending {
                            format!(
                                "; its write-ahead log {} holds changes that are not in the file yet, and reading \
                                 them needs a -shm file this process cannot create ({reason}); open it once with \
                                 write access, or copy the .db and -wal files together somewhere writable",
                                wal.display()
                            )
                        } else {
                            String::new()
                        }
                    )));
                };
                drop(conn);
                let flags = flags | OpenFlags::SQLITE_OPEN_URI;
                let conn = Connection::open_with_flags(&uri, flags).map_err(|e| named(path, &e))?;
                Self::probe(&conn).map_err(|e| named(path, &e))?;
                conn
            }
        };
        check_not_foreign(&conn, path)?;
        let found: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'ferrotune_schema'",
                [],
                |r| r.get(0),
            )
            .map_err(|e| named(path, &e))?;
        if found == 0 {
            return Err(Error::Storage(format!(
                "database {} holds no ferrotune studies, and it is read-only ({reason}), so none can be added",
                path.display()
            )));
        }
        SqliteBackend::new(conn, path, Some(reason))
    }

    /// A first read, which is where SQLite opens the WAL index.
    fn probe(conn: &Connection) -> rusqlite::Result<()> {
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)).map(drop)
    }

    fn new(conn: Connection, path: &Path, read_only: Option<ReadOnly>) -> Result<Self> {
        conn.busy_handler(Some(on_busy)).map_err(|e| named(path, &e))?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(SqliteBackend {
            conn: Mutex::new(conn),
            path: Arc::from(path),
            read_only,
            busy_timeout_ms: AtomicU64::new(BUSY_TIMEOUT.as_millis() as u64),
            checkpointer: None,
            commits: AtomicU64::new(0),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // The connection holds no Rust-side invariants a panic could break;
        // an open transaction is rolled back at the start of the next one.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Count a write commit; every [`CHECKPOINT_EVERY`] wake the checkpointer.
    fn committed(&self) {
        let n = self.commits.fetch_add(1, Ordering::Relaxed) + 1;
        if let (true, Some(checkpointer)) = (n.is_multiple_of(CHECKPOINT_EVERY), &self.checkpointer) {
            checkpointer.wake();
        }
    }

    fn busy_timeout(&self) -> Duration {
        Duration::from_millis(self.busy_timeout_ms.load(Ordering::Relaxed))
    }

    /// A failed statement's error, after `waited` on locks while `doing`.
    fn sql_error(&self, e: &rusqlite::Error, waited: Duration, doing: &str) -> Error {
        if is_busy(e) {
            locked(&self.path, waited, doing)
        } else {
            named(&self.path, e)
        }
    }
}

impl Drop for SqliteBackend {
    fn drop(&mut self) {
        if let Some(checkpointer) = &mut self.checkpointer {
            checkpointer.stop();
        }
        if self.read_only.is_some() {
            return;
        }
        let conn = self.conn.get_mut().unwrap_or_else(PoisonError::into_inner);
        if !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        // SQLite checkpoints by itself when the last connection to the
        // file closes, but not while another process (a reader, a second
        // worker) has it open: then the trials stay in the -wal file and a
        // copy of the .db alone is empty. TRUNCATE copies the log into the
        // file and empties it. Best effort: with no wait context, the busy
        // handler gives up at once rather than hold up an exiting process,
        // and a file that became read-only or vanished is left as it is.
        let _scope = WaitScope::enter(&self.path, Duration::ZERO);
        let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
    }
}

struct SqliteTx<'c> {
    conn: &'c Connection,
    path: &'c Path,
    /// What the last failed statement failed on: a lock means the caller
    /// retries.
    failed: Option<Failure>,
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
    fn fail(&mut self, e: &rusqlite::Error) -> Error {
        self.failed = Some(failure(e));
        named(self.path, e)
    }

    fn check<T>(&mut self, r: rusqlite::Result<T>) -> Result<T> {
        r.map_err(|e| self.fail(&e))
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
    const NOW_US: &'static str = "CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER)";

    fn transaction<T>(&self, write: bool, body: &mut dyn FnMut(&mut dyn SqlTx) -> Result<T>) -> Result<T> {
        if let (true, Some(reason)) = (write, &self.read_only) {
            return Err(Error::Storage(format!(
                "database {} is read-only ({reason}): it can be read but not changed",
                self.path.display()
            )));
        }
        let conn = self.lock();
        let scope = WaitScope::enter(&self.path, self.busy_timeout());
        let begin = if write { "BEGIN IMMEDIATE" } else { "BEGIN" };
        let mut attempt = 0;
        loop {
            attempt += 1;
            if !conn.is_autocommit() {
                // Left open by a panic in an earlier body.
                let _ = conn.execute_batch("ROLLBACK");
            }
            let mut tx = SqliteTx { conn: &conn, path: &self.path, failed: None };
            let error = match conn.execute_batch(begin) {
                Ok(()) => match body(&mut tx) {
                    Ok(value) => match conn.execute_batch("COMMIT") {
                        Ok(()) => {
                            if write {
                                self.committed();
                            }
                            return Ok(value);
                        }
                        Err(e) => tx.fail(&e),
                    },
                    // An error of the storage logic itself (unexpected data,
                    // say), not of a statement: name the file here.
                    Err(Error::Storage(m)) if tx.failed.is_none() => {
                        Error::Storage(format!("database {}: {m}", self.path.display()))
                    }
                    Err(e) => e,
                },
                Err(e) => tx.fail(&e),
            };
            if !conn.is_autocommit() {
                let _ = conn.execute_batch("ROLLBACK");
            }
            if tx.failed != Some(Failure::Busy) {
                return Err(error);
            }
            scope.conflict();
            if attempt >= MAX_ATTEMPTS || scope.out_of_time() {
                let doing = if write { "writing" } else { "reading" };
                return Err(locked(&self.path, scope.waited(), doing));
            }
            std::thread::sleep(Duration::from_millis(5 * u64::from(attempt)));
        }
    }
}

/// Every write run twice, as the PostgreSQL backend does when a connection
/// is lost after `COMMIT` was sent and the first run did commit: the
/// storage contract holds as if each had run once (see "Re-running a
/// write" in [`super`]), which the whole conformance suite checks.
#[cfg(test)]
mod every_write_twice {
    use std::sync::Arc;

    use ferrotune_core::{Result, Storage};

    use super::{SqliteBackend, Synchronous};
    use crate::sql::{SqlBackend, SqlStorage, SqlTx};

    /// Commits each write, then runs it again in a second transaction and
    /// returns what the second run returns.
    struct Twice(SqliteBackend);

    impl SqlBackend for Twice {
        const ID_PRIMARY_KEY: &'static str = SqliteBackend::ID_PRIMARY_KEY;
        const NOW_US: &'static str = SqliteBackend::NOW_US;

        fn transaction<T>(&self, write: bool, body: &mut dyn FnMut(&mut dyn SqlTx) -> Result<T>) -> Result<T> {
            if write {
                self.0.transaction(true, body)?;
            }
            self.0.transaction(write, body)
        }
    }

    fn fresh() -> (Arc<dyn Storage>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let backend = SqliteBackend::open(&dir.path().join("twice.db"), Synchronous::Normal).unwrap();
        (Arc::new(SqlStorage::new(Twice(backend)).unwrap()), dir)
    }

    crate::storage_conformance_tests!(fresh);
}

#[cfg(test)]
mod tests {
    use ferrotune_core::{NewTrial, Storage, StudyDirection, TrialState};

    /// The checkpointer copies the log into the database file while the
    /// storage is open, long before SQLite's own threshold: after 100
    /// commits (a few hundred pages of log, so no automatic checkpoint yet)
    /// a copy of the `.db` file alone holds the trials.
    #[test]
    fn the_checkpointer_copies_the_log_into_the_file_as_it_grows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.db");
        let storage = super::SqliteStorage::open(&path).unwrap();
        assert!(storage.backend().checkpointer.is_some());
        let study = storage.create_study("s", &[StudyDirection::Minimize]).unwrap().study_id;
        let commits_before = storage.backend().commits.load(std::sync::atomic::Ordering::Relaxed);
        let trials = (super::CHECKPOINT_EVERY - commits_before).div_ceil(2);
        for i in 0..trials {
            let t = storage.create_trial(study, NewTrial::default()).unwrap().unwrap();
            storage.finish_trial(t.trial_id, TrialState::Complete, Some(&[i as f64])).unwrap();
        }
        let in_file = |copy: &std::path::Path| -> i64 {
            std::fs::copy(&path, copy).unwrap();
            let conn = rusqlite::Connection::open(copy).unwrap();
            conn.query_row("SELECT count(*) FROM trials", [], |r| r.get(0)).unwrap_or(0)
        };
        let started = std::time::Instant::now();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let n = in_file(&dir.path().join(format!("copy{attempt}.db")));
            if n >= trials as i64 - 1 {
                break;
            }
            assert!(started.elapsed().as_secs() < 10, "after 10 s only {n} of {trials} trials are in the file");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    #[test]
    fn placeholders_become_positional() {
        assert_eq!(super::positional("SET a = $2 WHERE b = $1 AND c = '$x'"), "SET a = ?2 WHERE b = ?1 AND c = '$x'");
    }
}
