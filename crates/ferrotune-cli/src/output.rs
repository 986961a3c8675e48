//! Writing to standard output and error without panicking when the reader
//! goes away (`ferrotune run --json | head -1`, `ferrotune trials | head`).
//!
//! Rust ignores SIGPIPE, so a closed pipe shows up as an `EPIPE` error, and
//! `println!` panics on it. A closed output is a normal end of *output*, not
//! of the work: later lines are dropped, and `run` goes on with its study
//! (whose results are in storage) after saying so once on standard error.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Whether standard output's reader has gone away.
pub fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(Ordering::SeqCst)
}

/// Write a line to standard output; after the reader has gone, do nothing.
pub fn stdout_line(line: &str) {
    if stdout_closed() {
        return;
    }
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{line}").and_then(|_| out.flush()).is_err() {
        STDOUT_CLOSED.store(true, Ordering::SeqCst);
    }
}

/// Write a line to standard error, ignoring failure (there is nowhere left
/// to report it).
pub fn stderr_line(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
}

/// Write to standard output with `write`; a closed pipe ends the output
/// quietly instead of being an error.
pub fn to_stdout(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> std::io::Result<()> {
    if stdout_closed() {
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    match write(&mut out).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            STDOUT_CLOSED.store(true, Ordering::SeqCst);
            Ok(())
        }
        other => other,
    }
}

/// `println!` that survives a closed pipe.
macro_rules! outln {
    ($($arg:tt)*) => { $crate::output::stdout_line(&format!($($arg)*)) };
}

/// `eprintln!` that cannot panic.
macro_rules! errln {
    ($($arg:tt)*) => { $crate::output::stderr_line(&format!($($arg)*)) };
}

pub(crate) use {errln, outln};
