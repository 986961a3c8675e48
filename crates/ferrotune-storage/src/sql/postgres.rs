//! PostgreSQL, for studies shared by workers on many machines.
//!
//! The storage logic is [`SqlStorage`]'s, unchanged; this file supplies
//! connections and transactions:
//!
//! - **Connections**: a small pool of its own (idle connections in a
//!   `Mutex<Vec<_>>`, a new one opened whenever none is idle, at most
//!   16 kept), each with its prepared statements cached, each driven by
//!   a one-thread tokio runtime of its own (see `Conn`) so that statements
//!   can be pipelined; no TLS (use a local socket, a private network or a
//!   tunnel).
//! - **Round trips**: a transaction's `BEGIN` goes out with its first
//!   statement, and statements whose results nobody reads
//!   ([`SqlTx::execute_deferred`]) with the next statement or the commit.
//!   A worker's trial costs 3 round trips: create or claim, read, tell,
//!   each write with its commit (`PIPELINES`, [`SqlTx::query_and_commit`]),
//!   so the study's lock is never held while the client is waited for.
//! - **Writes** run at `READ COMMITTED`. Every write transaction of the
//!   shared SQL updates the study's row (`change_seq + 1`) before it writes
//!   what other workers read, which takes that row's lock until commit: writes to one study queue there,
//!   in order, and each statement after it sees everything committed before
//!   (a fresh snapshot per statement), so trial numbers and the sampled
//!   trial limit are exact across any number of workers. That is what
//!   SQLite's `BEGIN IMMEDIATE` gives, per study instead of per file.
//!   A write commits with `synchronous_commit = off`, which releases the
//!   study's lock as soon as the commit is written, and then waits for the
//!   disk outside it: a one-statement transaction that takes a transaction
//!   id (`SELECT txid_current()`, sent with the `COMMIT` in one message)
//!   commits with the server's setting, so it
//!   returns once the log is flushed past its own commit record, and so
//!   past the write's (the log is flushed in order). The write is as
//!   durable when the call returns as with a plain commit, but the next
//!   worker's write no longer queues behind this one's disk flush, and the
//!   flushes of workers that wait together are one (the server's group
//!   commit). A server crash in between loses the write, as a crash before
//!   its commit would; its caller, whose connection broke, runs it again
//!   (every write may run twice, see [`super`]).
//!   Should the server still report a serialization failure or a deadlock
//!   (SQLSTATE 40001, 40P01), the whole transaction runs again.
//! - **Reads** run at `REPEATABLE READ READ ONLY`: one snapshot for all the
//!   statements of a read (a trial and its parameters, values and
//!   attributes agree), and never a serialization failure.
//! - **Schema**: the migrations of [`SqlStorage`], in the connection's
//!   current schema (`options=-csearch_path=...` in the URL picks another),
//!   created by the first process under an advisory lock so that workers
//!   starting together do not race.
//! - **Errors** name the server and database (`postgresql://user@host:port/db`,
//!   never the password).

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use ferrotune_core::{Error, Result};
use tokio_postgres as pg;
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{to_sql_checked, FromSql, IsNull, ToSql, Type};
use tokio_postgres::{Client, Config, NoTls, Statement};

use super::{Row, SqlBackend, SqlStorage, SqlTx, SqlValue};

/// The PostgreSQL storage.
pub type PostgresStorage = SqlStorage<PostgresBackend>;

/// Idle connections kept for reuse; more may be open while busy.
const MAX_IDLE: usize = 16;
/// Prepared statements kept per connection (the shared SQL has fewer).
const MAX_STATEMENTS: usize = 256;
/// How many times a transaction runs after serialization failures or
/// deadlocks before the error is given up to the caller.
const MAX_ATTEMPTS: u32 = 20;
/// How long opening a connection may take unless the URL says
/// (`connect_timeout=`).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a lost connection is retried unless the URL says
/// (`reconnect_timeout=SECONDS`).
pub const DEFAULT_RECONNECT_TIMEOUT: Duration = Duration::from_secs(60);
/// The first pause after a lost connection; each next one doubles, up to
/// [`MAX_RECONNECT_PAUSE`].
const FIRST_RECONNECT_PAUSE: Duration = Duration::from_millis(50);
const MAX_RECONNECT_PAUSE: Duration = Duration::from_secs(2);
/// The URL query parameter that sets the reconnect timeout (ours, not
/// libpq's: removed before the URL reaches the client).
const RECONNECT_TIMEOUT_PARAM: &str = "reconnect_timeout";
/// The advisory lock (`pg_advisory_lock`) held while a process checks and
/// migrates the schema: "ferrotune" in ASCII.
const SCHEMA_LOCK: i64 = 0x6665_7272_6f74_756e;

/// A pool of connections to one PostgreSQL database.
pub struct PostgresBackend {
    config: Config,
    /// The server and database, for messages: no password.
    name: String,
    idle: Mutex<Vec<Conn>>,
    /// How long to keep trying after a connection is lost, in milliseconds.
    reconnect_timeout_ms: AtomicU64,
    /// Test hooks: this many next commits lose their reply; every write's
    /// first commit loses its reply.
    lose_commit_replies: AtomicU32,
    lose_first_commit_replies: AtomicBool,
    /// Tries made again after a lost connection or an unreachable server.
    reconnects: AtomicU64,
}

/// One connection and its prepared statements.
///
/// Design decision: tokio-postgres on a one-thread runtime of the
/// connection's own, rather than the synchronous `postgres` client (which
/// is the same thing without the choice): requests issued together are
/// pipelined (written at once, answered in order), so a transaction's
/// `BEGIN`, and the statements whose results nobody waits for
/// ([`SqlTx::execute_deferred`]), ride with the next statement instead of
/// costing a round trip each. The runtime runs only inside
/// [`Conn::block_on`], on the calling thread: no thread hops.
struct Conn {
    client: Client,
    runtime: tokio::runtime::Runtime,
    statements: HashMap<String, Statement>,
    /// Lost (or given up on): never returned to the pool.
    lost: bool,
}

impl Conn {
    /// Run `f` (requests on this connection) to completion.
    fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }

    /// A simple-protocol batch (no parameters), on its own.
    fn batch_execute(&self, sql: &str) -> std::result::Result<(), pg::Error> {
        self.block_on(self.client.batch_execute(sql))
    }

    fn is_closed(&self) -> bool {
        self.client.is_closed()
    }
}

impl PostgresStorage {
    /// Connect to the database of a `postgresql://` (or `postgres://`)
    /// URL, creating or upgrading the schema. `options=-csearch_path=NAME`
    /// in the URL's query keeps the tables in schema `NAME` (which must
    /// exist); `reconnect_timeout=SECONDS` is how long a lost connection is
    /// retried (60 s by default; also how long opening waits for a server
    /// that does not answer); other parameters are libpq's
    /// (`connect_timeout`, `sslmode`, `application_name`...).
    pub fn open(url: &str) -> Result<Self> {
        let backend = PostgresBackend::new(url)?;
        // Workers starting together on a new database must not all create
        // the tables: the first takes this lock, the others wait for it and
        // find the schema current. Held on a connection of its own, which
        // the transactions of `SqlStorage::new` do not use.
        let mut reconnect = Reconnect::default();
        let guard = loop {
            let error = match backend.connect_raw() {
                Ok(conn) => match conn.block_on(conn.client.execute("SELECT pg_advisory_lock($1)", &[&SCHEMA_LOCK])) {
                    Ok(_) => break conn,
                    Err(e) => (is_connection_loss(&e), backend.error(&e, "taking the schema lock")),
                },
                Err(e) => (e.is_connection_loss(), backend.connect_error(&e, "connecting")),
            };
            match error {
                (true, error) => reconnect.wait(&backend, error)?,
                (false, error) => return Err(error),
            }
        };
        let storage = SqlStorage::new(backend)?;
        let backend = storage.backend();
        match guard.block_on(guard.client.execute("SELECT pg_advisory_unlock($1)", &[&SCHEMA_LOCK])) {
            Ok(_) => backend.check_in(guard),
            // The lock went with the session.
            Err(e) if is_connection_loss(&e) => {}
            Err(e) => return Err(backend.error(&e, "releasing the schema lock")),
        }
        Ok(storage)
    }

    /// The server and database, as `postgresql://user@host:port/db`.
    pub fn name(&self) -> &str {
        &self.backend().name
    }
}

/// `url` with any password in it replaced by `***`, for messages.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// `postgresql://user@host:port/db` from a parsed URL.
fn describe(config: &Config) -> String {
    let user = config.get_user().unwrap_or("");
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, host)| {
            let port = config.get_ports().get(i).or(config.get_ports().first()).copied().unwrap_or(5432);
            match host {
                Host::Tcp(name) => format!("{name}:{port}"),
                #[cfg(unix)]
                Host::Unix(dir) => format!("{}:{port}", dir.display()),
            }
        })
        .collect();
    let hosts = if hosts.is_empty() { "localhost:5432".to_owned() } else { hosts.join(",") };
    let db = config.get_dbname().unwrap_or(user);
    let at = if user.is_empty() { "" } else { "@" };
    // `options=-csearch_path=x` (or `-c search_path=x`) picks the schema.
    let schema = config.get_options().and_then(|o| o.split("search_path=").nth(1)).and_then(|rest| {
        let path = rest.split_whitespace().next().unwrap_or("");
        (!path.is_empty()).then(|| format!(" (schema {path})"))
    });
    format!("postgresql://{user}{at}{hosts}/{db}{}", schema.unwrap_or_default())
}

/// `url` without our `reconnect_timeout=SECONDS` query parameter, and the
/// timeout it gave.
fn take_reconnect_timeout(url: &str) -> Result<(String, Option<Duration>)> {
    let Some((base, query)) = url.split_once('?') else { return Ok((url.to_owned(), None)) };
    let mut timeout = None;
    let mut kept = Vec::new();
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some((RECONNECT_TIMEOUT_PARAM, value)) => {
                let seconds = value.parse::<f64>().ok().filter(|s| s.is_finite() && *s >= 0.0).ok_or_else(|| {
                    Error::InvalidArgument(format!(
                        "PostgreSQL URL '{}': {RECONNECT_TIMEOUT_PARAM} must be a number of seconds (0 or more), \
                         not '{value}'",
                        redact(url)
                    ))
                })?;
                timeout = Some(Duration::from_secs_f64(seconds.min(1e9)));
            }
            _ if pair.is_empty() => {}
            _ => kept.push(pair),
        }
    }
    let url = if kept.is_empty() { base.to_owned() } else { format!("{base}?{}", kept.join("&")) };
    Ok((url, timeout))
}

impl PostgresBackend {
    /// Parse the URL; connects nothing yet.
    fn new(url: &str) -> Result<Self> {
        let (url, reconnect_timeout) = take_reconnect_timeout(url)?;
        let url = url.as_str();
        let mut config = Config::from_str(url).map_err(|e| {
            Error::InvalidArgument(format!(
                "PostgreSQL URL '{}' cannot be read: {e}; the form is postgresql://user[:password]@host[:port]/database",
                redact(url)
            ))
        })?;
        let name = describe(&config);
        if config.get_ssl_mode() == SslMode::Require {
            return Err(Error::InvalidArgument(format!(
                "PostgreSQL database {name}: sslmode=require asks for TLS, which this build does not include; \
                 reach the server over a private network, a Unix socket or an SSH tunnel"
            )));
        }
        let reconnect_timeout = reconnect_timeout.unwrap_or(DEFAULT_RECONNECT_TIMEOUT);
        if config.get_connect_timeout().is_none() {
            // One attempt need not outlast the whole reconnect budget
            // (libpq's connect_timeout counts whole seconds, 2 at least).
            config.connect_timeout(CONNECT_TIMEOUT.min(reconnect_timeout.max(Duration::from_secs(2))));
        }
        if config.get_application_name().is_none() {
            config.application_name("ferrotune");
        }
        Ok(PostgresBackend {
            config,
            name,
            idle: Mutex::new(Vec::new()),
            reconnect_timeout_ms: AtomicU64::new(reconnect_timeout.as_millis() as u64),
            lose_commit_replies: AtomicU32::new(0),
            lose_first_commit_replies: AtomicBool::new(false),
            reconnects: AtomicU64::new(0),
        })
    }

    /// How long a lost connection is retried before an operation fails
    /// (the URL's `reconnect_timeout`, 60 s by default; zero: not at all).
    pub fn reconnect_timeout(&self) -> Duration {
        Duration::from_millis(self.reconnect_timeout_ms.load(Ordering::Relaxed))
    }

    /// Change how long a lost connection is retried.
    pub fn set_reconnect_timeout(&self, timeout: Duration) {
        self.reconnect_timeout_ms.store(timeout.as_millis().min(u128::from(u64::MAX)) as u64, Ordering::Relaxed);
    }

    /// How many times an operation of this storage lost its connection (or
    /// found the server unreachable) and tried again: a figure for
    /// monitoring, since the storage prints nothing when it reconnects.
    pub fn reconnects(&self) -> u64 {
        self.reconnects.load(Ordering::Relaxed)
    }

    /// Fault injection for tests: the next `n` commits succeed on the
    /// server, but their connection is dropped before the reply is read,
    /// as when a network fails right after `COMMIT` was sent. The storage
    /// then cannot know whether they committed and runs them again.
    #[doc(hidden)]
    pub fn lose_next_commit_replies(&self, n: u32) {
        self.lose_commit_replies.store(n, Ordering::SeqCst);
    }

    /// Fault injection for tests: from now on (or no longer), the first
    /// commit of every write transaction succeeds on the server but loses
    /// its reply, so every write is run a second time on a new connection
    /// after a first run that committed.
    #[doc(hidden)]
    pub fn lose_every_first_commit_reply(&self, on: bool) {
        self.lose_first_commit_replies.store(on, Ordering::SeqCst);
    }

    /// Forget the idle connections: after one was lost, the others most
    /// likely were too (a restart ends them all).
    fn drop_idle(&self) {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }

    /// A failed operation's error, naming the database.
    fn error(&self, e: &pg::Error, doing: &str) -> Error {
        Error::Storage(format!("PostgreSQL database {}: {}", self.name, message(e, doing)))
    }

    /// A new connection.
    fn connect_raw(&self) -> std::result::Result<Conn, ConnectFailure> {
        let runtime =
            tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(ConnectFailure::Runtime)?;
        let (client, connection) = runtime.block_on(self.config.connect(NoTls)).map_err(ConnectFailure::Server)?;
        // Driven whenever the connection's requests are waited for; ends
        // (closing the client) when the server or the network does.
        runtime.spawn(connection);
        Ok(Conn { client, runtime, statements: HashMap::new(), lost: false })
    }

    /// The error of a failed connection attempt.
    fn connect_error(&self, failure: &ConnectFailure, doing: &str) -> Error {
        let e = match failure {
            ConnectFailure::Server(e) => e,
            ConnectFailure::Runtime(e) => {
                return Error::Storage(format!(
                    "PostgreSQL database {}: cannot connect: no event loop for the connection: {e}",
                    self.name
                ))
            }
        };
        let mut why = message(e, doing);
        if let Some(source) = std::error::Error::source(e) {
            if !why.contains(&source.to_string()) {
                why = format!("{why}: {source}");
            }
        }
        Error::Storage(format!("PostgreSQL database {}: cannot connect: {why}", self.name))
    }

    /// An idle connection, or a new one.
    fn check_out(&self) -> std::result::Result<Conn, ConnectFailure> {
        let idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
        match idle {
            Some(conn) if !conn.is_closed() => Ok(conn),
            _ => self.connect_raw(),
        }
    }

    /// Return a connection to the pool, unless it is broken or the pool is full.
    fn check_in(&self, conn: Conn) {
        if conn.lost || conn.is_closed() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
    }
}

/// A client error as text: the server's message (with its detail and
/// hint) for errors the server reported, the client's otherwise.
fn message(e: &pg::Error, doing: &str) -> String {
    match e.as_db_error() {
        Some(db) if *db.code() == SqlState::INVALID_SCHEMA_NAME => format!(
            "{db} (SQLSTATE {}, while {doing}); the schema the URL's options=-csearch_path=... names must exist \
             (CREATE SCHEMA name)",
            db.code().code()
        ),
        Some(db) => format!("{db} (SQLSTATE {}, while {doing})", db.code().code()),
        None => format!("{e} (while {doing})"),
    }
}

/// Whether running the transaction again can succeed.
fn is_transient(e: &pg::Error) -> bool {
    matches!(e.code(), Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED)
}

/// Whether the error means the connection is gone, or the server cannot be
/// reached for now: the client found the connection closed, an I/O error
/// (reset, refused, broken pipe, a timeout), SQLSTATE class 08 (connection
/// exception) or 57P01-57P03 (the server shutting down, crashed, or not
/// accepting connections yet). A wrong password, a missing database or a
/// bad statement are not: trying again would fail the same way.
fn is_connection_loss(e: &pg::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    if let Some(code) = e.code() {
        let code = code.code();
        return code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03");
    }
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        if cause.is::<std::io::Error>() {
            return true;
        }
        source = cause.source();
    }
    // The client's connect timeout carries no cause.
    e.to_string().starts_with("timeout waiting for server")
}

/// Why a connection could not be opened.
enum ConnectFailure {
    /// The client's or the server's error.
    Server(pg::Error),
    /// No runtime for the connection (out of file descriptors, say).
    Runtime(std::io::Error),
}

impl ConnectFailure {
    fn is_connection_loss(&self) -> bool {
        matches!(self, ConnectFailure::Server(e) if is_connection_loss(e))
    }
}

/// How a failed attempt ended.
enum Failed {
    /// The transaction may be run again at once, or after a short pause: a
    /// conflict (40001, 40P01).
    Retry(Error),
    /// The connection was lost. `at_once`: try a new one without a pause,
    /// for a pooled connection the server had closed while it sat idle
    /// (found out at `BEGIN`, before anything was done; a restart, an idle
    /// timeout), and for the losses the test hooks make.
    Lost { error: Error, at_once: bool },
    /// Give up with this error.
    Fatal(Error),
}

/// How a statement failed.
#[derive(Clone, Copy, PartialEq)]
enum Fault {
    Conflict,
    Lost,
    Other,
}

impl Fault {
    fn of(e: &pg::Error) -> Fault {
        if is_transient(e) {
            Fault::Conflict
        } else if is_connection_loss(e) {
            Fault::Lost
        } else {
            Fault::Other
        }
    }
}

/// The time spent reconnecting during one operation, and the pause before
/// the next try.
#[derive(Default)]
struct Reconnect {
    since: Option<Instant>,
    tries: u32,
}

impl Reconnect {
    /// Sleep before the next try, or give up with `error` once the
    /// backend's reconnect timeout has passed since the first loss.
    fn wait(&mut self, backend: &PostgresBackend, error: Error) -> Result<()> {
        let since = *self.since.get_or_insert_with(Instant::now);
        self.tries += 1;
        let timeout = backend.reconnect_timeout();
        let elapsed = since.elapsed();
        if elapsed >= timeout {
            let message = match error {
                Error::Storage(m) => m,
                other => other.to_string(),
            };
            return Err(Error::Storage(format!(
                "{message}; gave up after trying for {:.1} s ({} attempts; the URL's {RECONNECT_TIMEOUT_PARAM}=SECONDS \
                 sets how long, now {} s)",
                elapsed.as_secs_f64(),
                self.tries,
                timeout.as_secs_f64()
            )));
        }
        backend.drop_idle();
        backend.reconnects.fetch_add(1, Ordering::Relaxed);
        // Exponential, capped, with full jitter over its upper half: workers
        // that lost the server together do not all knock at once.
        let ceiling = FIRST_RECONNECT_PAUSE.saturating_mul(1 << self.tries.min(6)).min(MAX_RECONNECT_PAUSE);
        let pause = ceiling.mul_f64(0.5 + 0.5 * jitter()).min(timeout - elapsed);
        std::thread::sleep(pause);
        Ok(())
    }
}

/// A number in [0, 1), different in each call and process.
fn jitter() -> f64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    hasher
        .write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos());
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

struct PostgresTx<'c> {
    conn: &'c mut Conn,
    name: &'c str,
    /// The transaction's `BEGIN`, until it goes out with the first
    /// statement.
    begin: Option<&'c str>,
    /// Whether a request of this transaction has been answered (a lost
    /// connection before that is one that died idle).
    answered: bool,
    /// Statements of [`SqlTx::execute_deferred`] not sent yet: sent with
    /// the next statement, or the commit.
    deferred: Vec<(String, Vec<SqlValue>)>,
    /// Set when a statement failed: how.
    failed: Option<Fault>,
    /// The transaction's commit (with the wait for the disk, for writes),
    /// and whether it has gone out already ([`SqlTx::query_and_commit`]).
    commit: &'c str,
    committed: bool,
}

/// What the last request of a pipeline is.
enum Last<'a> {
    Execute(&'a Statement, &'a [SqlValue]),
    Query(&'a Statement, &'a [SqlValue]),
    /// A simple-protocol batch (the commit).
    Batch(&'a str),
    /// A query, then the commit.
    QueryCommit(&'a Statement, &'a [SqlValue], &'a str),
}

/// The outcome of a pipeline's last request.
enum Answer {
    Changed(u64),
    Rows(Vec<pg::Row>),
    Done,
}

impl<'c> PostgresTx<'c> {
    fn new(conn: &'c mut Conn, name: &'c str, begin: Option<&'c str>, commit: &'c str) -> Self {
        PostgresTx { conn, name, begin, answered: false, deferred: Vec::new(), failed: None, commit, committed: false }
    }

    fn statement(&mut self, sql: &str) -> std::result::Result<Statement, pg::Error> {
        if let Some(statement) = self.conn.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.conn.block_on(self.conn.client.prepare(sql))?;
        if self.conn.statements.len() >= MAX_STATEMENTS {
            self.conn.statements.clear();
        }
        self.conn.statements.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    /// Send the pending `BEGIN` and deferred statements and then `last`,
    /// all at once, and wait for every answer. The first error in order is
    /// the one returned (after it, the server refuses the rest of the
    /// transaction), with the statement it came from.
    fn pipeline(&mut self, last: Last<'_>) -> std::result::Result<Answer, (pg::Error, String)> {
        let deferred = std::mem::take(&mut self.deferred);
        let mut prepared = Vec::with_capacity(deferred.len());
        for (sql, params) in &deferred {
            let statement = self.statement(sql).map_err(|e| (e, sql.clone()))?;
            prepared.push((statement, params, sql));
        }
        let begin = self.begin.take();
        let client = &self.conn.client;
        let (begun, done, answer) = self.conn.block_on(futures_util::future::join3(
            async move {
                match begin {
                    Some(begin) => client.batch_execute(begin).await.map_err(|e| (e, begin.to_owned())),
                    None => Ok(()),
                }
            },
            futures_util::future::join_all(prepared.iter().map(|(statement, params, sql)| async move {
                client.execute(statement, &bind(params)).await.map_err(|e| (e, (*sql).clone()))
            })),
            async move {
                match last {
                    Last::Execute(statement, params) => {
                        client.execute(statement, &bind(params)).await.map(Answer::Changed)
                    }
                    Last::Query(statement, params) => client.query(statement, &bind(params)).await.map(Answer::Rows),
                    Last::Batch(sql) => client.batch_execute(sql).await.map(|()| Answer::Done),
                    Last::QueryCommit(statement, params, commit) => {
                        // Both sent before either answer is awaited.
                        let (rows, committed) = futures_util::future::join(
                            client.query(statement, &bind(params)),
                            client.batch_execute(commit),
                        )
                        .await;
                        match (rows, committed) {
                            (Ok(rows), Ok(())) => Ok(Answer::Rows(rows)),
                            // The query's error first: the server then turned
                            // the commit into a rollback.
                            (Err(e), _) | (Ok(_), Err(e)) => Err(e),
                        }
                    }
                }
            },
        ));
        begun?;
        self.answered = true;
        for outcome in done {
            outcome?;
        }
        answer.map_err(|e| (e, String::new()))
    }

    /// Run `sql` after everything pending.
    fn run(&mut self, sql: &str, params: &[SqlValue], query: bool) -> Result<Answer> {
        let statement = self.statement(sql).map_err(|e| self.fail(&e, sql))?;
        let last = if query { Last::Query(&statement, params) } else { Last::Execute(&statement, params) };
        self.pipeline(last).map_err(|(e, failed_sql)| {
            let failed_sql = if failed_sql.is_empty() { sql.to_owned() } else { failed_sql };
            self.fail(&e, &failed_sql)
        })
    }

    fn fail(&mut self, e: &pg::Error, sql: &str) -> Error {
        self.failed = Some(Fault::of(e));
        let statement: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
        let doing = format!("running `{statement}`");
        Error::Storage(format!("PostgreSQL database {}: {}", self.name, message(e, &doing)))
    }
}

fn bind(params: &[SqlValue]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

impl SqlTx for PostgresTx<'_> {
    fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<u64> {
        match self.run(sql, params, false)? {
            Answer::Changed(n) => Ok(n),
            _ => unreachable!("an execute answers with a row count"),
        }
    }

    fn execute_deferred(&mut self, sql: &str, params: &[SqlValue]) -> Result<()> {
        self.deferred.push((sql.to_owned(), params.to_vec()));
        Ok(())
    }

    fn query_and_commit(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>> {
        if self.begin.is_none() && !self.answered {
            // Not in a transaction (a single autocommitted statement).
            return self.query(sql, params);
        }
        let statement = self.statement(sql).map_err(|e| self.fail(&e, sql))?;
        let commit = self.commit;
        let answer = self.pipeline(Last::QueryCommit(&statement, params, commit)).map_err(|(e, failed_sql)| {
            let failed_sql = if failed_sql.is_empty() { sql.to_owned() } else { failed_sql };
            self.fail(&e, &failed_sql)
        })?;
        self.committed = true;
        let Answer::Rows(rows) = answer else { unreachable!("a query answers with rows") };
        let read: std::result::Result<Vec<Row>, pg::Error> =
            rows.iter().map(|row| (0..row.len()).map(|i| row.try_get::<_, SqlValue>(i)).collect()).collect();
        read.map_err(|e| self.fail(&e, sql))
    }

    fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>> {
        let rows = match self.run(sql, params, true)? {
            Answer::Rows(rows) => rows,
            _ => unreachable!("a query answers with rows"),
        };
        let read: std::result::Result<Vec<Row>, pg::Error> =
            rows.iter().map(|row| (0..row.len()).map(|i| row.try_get::<_, SqlValue>(i)).collect()).collect();
        read.map_err(|e| self.fail(&e, sql))
    }
}

impl PostgresBackend {
    /// One attempt at a transaction on `conn`.
    fn attempt<T>(
        &self,
        conn: &mut Conn,
        fresh: bool,
        first_write: bool,
        begin: Option<&str>,
        wait_for_flush: bool,
        body: &mut dyn FnMut(&mut dyn SqlTx) -> Result<T>,
    ) -> std::result::Result<T, Failed> {
        let Some(begin) = begin else {
            return self.attempt_autocommit(conn, fresh, body);
        };
        // With `wait_for_flush`, the commit and the wait for the disk (see
        // "Writes" above) go in one message: one round trip. The server runs
        // the second statement only once the first has succeeded, so an error
        // of the server's own (not a lost connection) is the commit's: the
        // one-statement wait after a commit has nothing else to fail on.
        let commit = if wait_for_flush { "COMMIT; SELECT txid_current()" } else { "COMMIT" };
        // `BEGIN` goes out with the body's first statement (see `Conn`).
        let mut tx = PostgresTx::new(conn, &self.name, Some(begin), commit);
        let body_outcome = body(&mut tx).and_then(|value| {
            if tx.committed {
                // Sent with the body's last query (`query_and_commit`).
                return Ok((value, None));
            }
            // Deferred statements go out with the commit; one that fails
            // fails the body (the server then turns the COMMIT into a
            // rollback, so the commit's answer would say nothing).
            if tx.deferred.is_empty() && tx.begin.is_some() {
                // Nothing was sent: nothing to commit.
                tx.begin = None;
                return Ok((value, None));
            }
            match tx.pipeline(Last::Batch(commit)) {
                Ok(_) => Ok((value, None)),
                Err((e, sql)) if !sql.is_empty() => Err(tx.fail(&e, &sql)),
                Err((e, _)) => Ok((value, Some(e))),
            }
        });
        let died_idle = !tx.answered;
        let failed = tx.failed;
        let outcome = match body_outcome {
            Ok((value, None)) => {
                if self.take_lost_commit_reply(first_write) {
                    // The test hook: committed, but as if the reply never came.
                    conn.lost = true;
                    let error = Error::Storage(format!(
                        "PostgreSQL database {}: connection closed after COMMIT was sent (injected)",
                        self.name
                    ));
                    return Err(Failed::Lost { error, at_once: true });
                }
                return Ok(value);
            }
            Ok((_, Some(e))) if is_transient(&e) => Err(Failed::Retry(self.error(&e, "committing"))),
            // Committed or not, nobody can tell (nor, after a commit
            // without waiting for the disk, whether it reached the disk
            // before the server went down): the caller runs the
            // transaction again, which every write of `SqlStorage` allows.
            Ok((_, Some(e))) if is_connection_loss(&e) => {
                Err(Failed::Lost { error: self.error(&e, "committing"), at_once: false })
            }
            Ok((_, Some(e))) => Err(Failed::Fatal(self.error(&e, "committing"))),
            Err(e) => Err(match (failed, e) {
                (Some(Fault::Conflict), e) => Failed::Retry(e),
                // The server rolls back what a lost connection had begun.
                // Lost before anything was answered: a pooled connection
                // that died idle (a restart, an idle timeout).
                (Some(Fault::Lost), error) => Failed::Lost { error, at_once: died_idle && !fresh },
                // An error of the storage logic itself (unexpected data,
                // say), not of a statement: name the database here.
                (None, Error::Storage(m)) => {
                    Failed::Fatal(Error::Storage(format!("PostgreSQL database {}: {m}", self.name)))
                }
                (_, e) => Failed::Fatal(e),
            }),
        };
        if let Err(Failed::Lost { .. }) = outcome {
            conn.lost = true;
        } else if !conn.is_closed() && !died_idle {
            // Whatever failed, leave the connection outside a transaction;
            // if even that fails, the connection is not reused.
            if conn.batch_execute("ROLLBACK").is_err() {
                conn.statements.clear();
                conn.lost = true;
            }
        }
        outcome
    }

    /// One attempt at a single read statement outside a transaction (the
    /// server runs it in one of its own).
    fn attempt_autocommit<T>(
        &self,
        conn: &mut Conn,
        fresh: bool,
        body: &mut dyn FnMut(&mut dyn SqlTx) -> Result<T>,
    ) -> std::result::Result<T, Failed> {
        let mut tx = PostgresTx::new(conn, &self.name, None, "");
        match body(&mut tx) {
            Ok(value) => Ok(value),
            Err(e) => Err(match (tx.failed, e) {
                (Some(Fault::Conflict), e) => Failed::Retry(e),
                (Some(Fault::Lost), error) => {
                    tx.conn.lost = true;
                    // As a BEGIN that fails on a pooled connection: it may
                    // have died idle, so the first retry is at once.
                    Failed::Lost { error, at_once: !fresh }
                }
                (None, Error::Storage(m)) => {
                    Failed::Fatal(Error::Storage(format!("PostgreSQL database {}: {m}", self.name)))
                }
                (_, e) => Failed::Fatal(e),
            }),
        }
    }

    fn take_lost_commit_reply(&self, first_write: bool) -> bool {
        (first_write && self.lose_first_commit_replies.load(Ordering::Relaxed))
            || self.lose_commit_replies.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok()
    }
}

impl SqlBackend for PostgresBackend {
    const ID_PRIMARY_KEY: &'static str = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY";
    const PIPELINES: bool = true;
    const NOW_US: &'static str = "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000 AS BIGINT)";

    fn transaction<T>(&self, write: bool, body: &mut dyn FnMut(&mut dyn SqlTx) -> Result<T>) -> Result<T> {
        let begin = if write {
            "BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL synchronous_commit = off"
        } else {
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
        };
        self.run(Some(begin), write, body)
    }

    fn read_statement(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>> {
        self.run(None, false, &mut |tx| tx.query(sql, params))
    }
}

impl PostgresBackend {
    /// Run `body` in a transaction begun by `begin` (or, without, as one
    /// statement on its own), retrying conflicts and lost connections.
    fn run<T>(&self, begin: Option<&str>, write: bool, body: &mut dyn FnMut(&mut dyn SqlTx) -> Result<T>) -> Result<T> {
        let mut conflicts = 0;
        let mut fresh = false;
        let mut reconnect = Reconnect::default();
        loop {
            let checked_out = if fresh { self.connect_raw() } else { self.check_out() };
            let mut conn = match checked_out {
                Ok(conn) => conn,
                Err(e) if e.is_connection_loss() => {
                    reconnect.wait(self, self.connect_error(&e, "connecting"))?;
                    fresh = true;
                    continue;
                }
                Err(e) => return Err(self.connect_error(&e, "connecting")),
            };
            let first_write = write && conflicts == 0 && reconnect.since.is_none() && !fresh;
            let outcome = self.attempt(&mut conn, fresh, first_write, begin, write, body);
            self.check_in(conn);
            match outcome {
                Ok(value) => return Ok(value),
                Err(Failed::Fatal(e)) => return Err(e),
                Err(Failed::Lost { error, at_once }) => {
                    // A pooled connection that died idle costs no pause;
                    // a loss in the middle of things waits for the server.
                    if !at_once || reconnect.since.is_some() {
                        reconnect.wait(self, error)?;
                    } else {
                        self.reconnects.fetch_add(1, Ordering::Relaxed);
                    }
                    self.drop_idle();
                    fresh = true;
                }
                Err(Failed::Retry(e)) => {
                    conflicts += 1;
                    if conflicts >= MAX_ATTEMPTS {
                        return Err(e);
                    }
                    // A conflict backs off a little, more each time, so the
                    // transactions that collided do not collide again.
                    let jitter = u64::from(std::process::id() % 7 + conflicts % 3);
                    std::thread::sleep(Duration::from_millis(2 * u64::from(conflicts) + jitter));
                }
            }
        }
    }
}

// ---------------------------------------------------------------- types
//
// The shared SQL uses BIGINT, INTEGER, DOUBLE PRECISION and TEXT columns.
// A value binds to whichever of those the server infers for its
// placeholder (an integer to INTEGER after a range check), and a column of
// any of them reads back as the matching `SqlValue`.

impl ToSql for SqlValue {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match (self, ty) {
            (SqlValue::Null, _) => Ok(IsNull::Yes),
            (SqlValue::Int(v), &Type::INT8) => v.to_sql(ty, out),
            (SqlValue::Int(v), &Type::INT4) => i32::try_from(*v)?.to_sql(ty, out),
            (SqlValue::Int(v), &Type::INT2) => i16::try_from(*v)?.to_sql(ty, out),
            (SqlValue::Int(v), &Type::FLOAT8) => (*v as f64).to_sql(ty, out),
            (SqlValue::Real(v), &Type::FLOAT8) => v.to_sql(ty, out),
            (SqlValue::Real(v), &Type::FLOAT4) => (*v as f32).to_sql(ty, out),
            (SqlValue::Text(s), _) if <&str as ToSql>::accepts(ty) => s.as_str().to_sql(ty, out),
            (value, ty) => Err(format!("cannot store {value:?} in a column of type {ty}").into()),
        }
    }

    fn accepts(ty: &Type) -> bool {
        matches!(*ty, Type::INT2 | Type::INT4 | Type::INT8 | Type::FLOAT4 | Type::FLOAT8)
            || <&str as ToSql>::accepts(ty)
    }

    to_sql_checked!();
}

impl<'a> FromSql<'a> for SqlValue {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(match *ty {
            Type::INT2 => SqlValue::Int(i16::from_sql(ty, raw)?.into()),
            Type::INT4 => SqlValue::Int(i32::from_sql(ty, raw)?.into()),
            Type::INT8 => SqlValue::Int(i64::from_sql(ty, raw)?),
            Type::BOOL => SqlValue::Int(bool::from_sql(ty, raw)?.into()),
            Type::FLOAT4 => SqlValue::Real(f32::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => SqlValue::Real(f64::from_sql(ty, raw)?),
            _ if <String as FromSql>::accepts(ty) => SqlValue::Text(String::from_sql(ty, raw)?),
            _ => return Err(format!("a column of type {ty} is not read by ferrotune").into()),
        })
    }

    fn from_sql_null(_: &Type) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(SqlValue::Null)
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(redact("postgresql://bob:s3cret@db:5432/x"), "postgresql://bob:***@db:5432/x");
        assert_eq!(redact("postgresql://bob@db/x?options=a:b@c"), "postgresql://bob@db/x?options=a:b@c");
        assert_eq!(redact("postgres://db/x"), "postgres://db/x");
        let config = Config::from_str("postgresql://bob:s3cret@db.example:6543/studies").unwrap();
        assert_eq!(describe(&config), "postgresql://bob@db.example:6543/studies");
        let config = Config::from_str("postgresql://bob@db").unwrap();
        assert_eq!(describe(&config), "postgresql://bob@db:5432/bob");
        let config = Config::from_str("postgresql://bob@db/x?options=-csearch_path%3Dmine").unwrap();
        assert_eq!(describe(&config), "postgresql://bob@db:5432/x (schema mine)");
    }

    #[test]
    fn bad_urls_are_errors_that_show_the_form() {
        let Err(Error::InvalidArgument(m)) = PostgresBackend::new("postgresql://bob:s3cret@db:notaport/x") else {
            panic!("a bad port must be refused")
        };
        assert!(m.contains("postgresql://user[:password]@host[:port]/database"), "{m}");
        assert!(!m.contains("s3cret"), "{m}");
        let Err(Error::InvalidArgument(m)) = PostgresBackend::new("postgresql://bob@db/x?sslmode=require") else {
            panic!("sslmode=require must be refused")
        };
        assert!(m.contains("TLS"), "{m}");
    }
}
