//! Optuna's journal file locks, so that Optuna and ferrotune processes
//! appending to one journal exclude each other.
//!
//! Both of Optuna's protocols take the same lock file, `<journal>.lock`:
//! the symlink lock creates it as a symbolic link (`symlink(2)` fails when
//! the name exists, also on old NFS), the open lock as a file opened with
//! `O_CREAT | O_EXCL`; either fails while the other's lock file exists, so
//! the two protocols also exclude each other. Releasing renames the lock
//! file to a unique name and removes that, as Optuna does, so that a holder
//! whose lock was broken finds out instead of removing a successor's lock.
//! A waiter breaks a lock whose modification time has not changed for the
//! grace period (Optuna 5's rule, 30 s by default): a process killed while
//! it held the lock would otherwise stop every writer forever.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use ferrotune_core::{Error, Result};

/// Which of Optuna's two lock protocols to take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JournalLockKind {
    /// `JournalFileSymlinkLock` (Optuna's default): the lock file is a
    /// symbolic link to the journal. Works on NFSv2 and later.
    Symlink,
    /// `JournalFileOpenLock`: the lock file is created with `O_EXCL`. Works
    /// on NFSv3 and later, and where symbolic links cannot be made.
    Open,
}

/// The lock on one journal file.
#[derive(Debug, Clone)]
pub(crate) struct JournalLock {
    journal: PathBuf,
    lock_file: PathBuf,
    kind: JournalLockKind,
    /// A lock unchanged for this long is broken; `None` waits forever.
    grace_period: Option<Duration>,
}

/// The longest pause between two attempts. Optuna waits up to a second;
/// writes take milliseconds, so a shorter pause lets parallel workers
/// follow each other closely.
const MAX_PAUSE: Duration = Duration::from_millis(50);

impl JournalLock {
    pub(crate) fn new(journal: &Path, kind: JournalLockKind, grace_period: Option<Duration>) -> Self {
        let mut lock_file = journal.as_os_str().to_owned();
        lock_file.push(".lock");
        JournalLock { journal: journal.to_owned(), lock_file: PathBuf::from(lock_file), kind, grace_period }
    }

    /// Take the lock, waiting while another process holds it.
    pub(crate) fn acquire(&self) -> Result<()> {
        let mut pause = Duration::from_millis(1);
        let mut seen_mtime: Option<SystemTime> = None;
        let mut unchanged_since = Instant::now();
        loop {
            match self.try_create() {
                Ok(()) => return Ok(()),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
                Err(e) => {
                    return Err(Error::Storage(format!(
                        "cannot take the journal lock {}: {e}",
                        self.lock_file.display()
                    )))
                }
            }
            if let Some(grace) = self.grace_period {
                // Followed through the link, as Optuna's `os.stat` does: a
                // symlink lock's age is the journal's last write.
                if let Ok(mtime) = fs::metadata(&self.lock_file).and_then(|m| m.modified()) {
                    if seen_mtime != Some(mtime) {
                        seen_mtime = Some(mtime);
                        unchanged_since = Instant::now();
                    } else if unchanged_since.elapsed() > grace {
                        // The holder is gone (or stuck): break its lock.
                        if self.release().is_ok() {
                            pause = Duration::from_millis(1);
                            continue;
                        }
                    }
                }
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(MAX_PAUSE);
        }
    }

    fn try_create(&self) -> std::io::Result<()> {
        match self.kind {
            JournalLockKind::Open => {
                fs::OpenOptions::new().write(true).create_new(true).open(&self.lock_file).map(drop)
            }
            JournalLockKind::Symlink => {
                #[cfg(unix)]
                {
                    // The link's target is the journal's file name: a link's
                    // relative target is read from the link's own folder.
                    let target = self.journal.file_name().map(Path::new).unwrap_or(&self.journal);
                    std::os::unix::fs::symlink(target, &self.lock_file)
                }
                #[cfg(not(unix))]
                {
                    fs::OpenOptions::new().write(true).create_new(true).open(&self.lock_file).map(drop)
                }
            }
        }
    }

    /// Give the lock back: rename it to a name of our own, then remove
    /// that (Optuna's protocol; the rename fails if the lock is gone).
    pub(crate) fn release(&self) -> Result<()> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let unique =
            format!("{}-{}-{}.rename", std::process::id(), crate::now_us(), COUNTER.fetch_add(1, Ordering::Relaxed));
        let mut renamed = self.lock_file.as_os_str().to_owned();
        renamed.push(unique);
        let renamed = PathBuf::from(renamed);
        fs::rename(&self.lock_file, &renamed).map_err(|e| {
            Error::Storage(format!(
                "the journal lock {} was no longer held when it was released ({e}): another process broke it \
                 after its grace period",
                self.lock_file.display()
            ))
        })?;
        fs::remove_file(&renamed)
            .map_err(|e| Error::Storage(format!("cannot remove the released journal lock {}: {e}", renamed.display())))
    }
}
