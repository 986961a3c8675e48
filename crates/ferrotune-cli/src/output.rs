//! Writing to standard output and error without panicking when the reader
//! goes away (`ferrotune run --json | head -1`, `ferrotune trials | head`).
//!
//! Rust ignores SIGPIPE, so a closed pipe shows up as an `EPIPE` error, and
//! `println!` panics on it. A closed output is a normal end of *output*, not
//! of the work: later lines are dropped, and `run` goes on with its study
//! (whose results are in storage) after saying so once on standard error.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
/// The first error writing to standard output other than a closed pipe (a
/// full disk behind `> file`): `main` turns it into exit 1.
static STDOUT_ERROR: Mutex<Option<String>> = Mutex::new(None);

fn record(e: &std::io::Error) {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        STDOUT_CLOSED.store(true, Ordering::SeqCst);
    } else {
        STDOUT_ERROR.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert_with(|| e.to_string());
    }
}

/// A failure to write standard output other than its reader going away.
pub fn stdout_error() -> Option<String> {
    STDOUT_ERROR.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

/// Whether everything written to standard output reached its reader (for
/// `ask`, whose trial is lost to the user if its line was not read).
pub fn stdout_delivered() -> bool {
    !stdout_closed() && stdout_error().is_none()
}

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
    if let Err(e) = writeln!(out, "{line}").and_then(|_| out.flush()) {
        record(&e);
    }
}

/// Write a line to standard error, ignoring failure (there is nowhere left
/// to report it).
pub fn stderr_line(line: &str) {
    stderr_text(&format!("{line}\n"));
}

/// Write text to standard error as it is (a prompt without a newline).
pub fn stderr_text(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|_| err.flush());
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
            record(&e);
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
