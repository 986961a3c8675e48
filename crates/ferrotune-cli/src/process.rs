//! Trial processes that never outlive their trial.
//!
//! Each trial runs in its own process group. Three things stop that group:
//! - [`TrialProcess::finish`] after every trial, however it ended: leftover
//!   background processes (`cmd &`, data-loader workers) get SIGTERM, the
//!   grace period *measured on the whole group* (a shell that dies at once
//!   on SIGTERM does not cut short a checkpointing program under it), then
//!   SIGKILL;
//! - the guard's `Drop`, if the runner unwinds past a trial (a bug, a
//!   panic): SIGKILL at once;
//! - the guardian, a small helper process (`ferrotune __guard`) that
//!   learns each trial's group through a pipe and, when the pipe closes
//!   without a goodbye (the runner was SIGKILLed or crashed), stops every
//!   group still registered.
//!
//! Design decision: a helper process rather than a parent-death signal
//! (`PR_SET_PDEATHSIG`), because that signal reaches only the direct child
//! (often `sh`), not the programs under it, and needs `unsafe` in `pre_exec`.
//!
//! Known limits: a program that leaves its process group on purpose
//! (`setsid`, Python's `start_new_session=True`, `set -m` job control) is
//! out of reach of group signals; and a runner killed in the instant
//! between starting a trial and registering it with the guardian leaves
//! that trial alone. A process-group id cannot be reused while the trial's
//! direct child is an unreaped zombie, so the child is only peeked at
//! (`WNOWAIT`) until its group has been stopped.

use std::collections::BTreeSet;
use std::io::{BufRead, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::{killpg, Signal};
use nix::sys::wait::{waitid, Id, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;

/// How often the group is polled while waiting for it to empty.
const POLL: Duration = Duration::from_millis(20);

/// Whether any process of the group still exists.
fn group_alive(group: Pid) -> bool {
    !matches!(killpg(group, None), Err(Errno::ESRCH))
}

/// SIGTERM the group, wait until every member has gone or `grace` has
/// passed, then SIGKILL whatever is left. `reap` is called while waiting so
/// that the direct child, once it exits, stops counting as a member (a
/// zombie still belongs to its group).
fn stop_group(group: Pid, grace: Duration, cancel: &dyn Fn() -> bool, mut reap: impl FnMut()) {
    // SIGTERM first, while the unreaped child still holds the group's id.
    let _ = killpg(group, Signal::SIGTERM);
    let deadline = Instant::now().checked_add(grace);
    loop {
        reap();
        if !group_alive(group) {
            return;
        }
        // A second Ctrl-C cuts the grace period short.
        if cancel() || deadline.is_none_or(|d| Instant::now() >= d) {
            break;
        }
        std::thread::sleep(POLL);
    }
    let _ = killpg(group, Signal::SIGKILL);
    reap();
}

/// A started trial command; its whole process group is stopped when the
/// trial ends, or when this guard is dropped without [`finish`](Self::finish).
pub struct TrialProcess {
    child: Child,
    group: Pid,
    status: Option<ExitStatus>,
    finished: bool,
}

impl TrialProcess {
    /// Start `command` in a process group of its own (the caller has set
    /// `process_group(0)`), registered with the guardian.
    pub fn spawn(command: &mut Command) -> std::io::Result<Self> {
        let child = command.spawn()?;
        let group = Pid::from_raw(child.id() as i32);
        guardian_register(group);
        Ok(TrialProcess { child, group, status: None, finished: false })
    }

    /// The child itself, for taking its output pipes.
    pub fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }

    /// The direct child's exit status, once it has exited. The child is
    /// not reaped (see the module's notes), so its group's id stays taken.
    pub fn exit_status(&mut self) -> std::io::Result<Option<ExitStatus>> {
        let peek = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
        match waitid(Id::Pid(self.group), peek) {
            Ok(WaitStatus::Exited(_, code)) => Ok(Some(ExitStatus::from_raw((code & 0xff) << 8))),
            Ok(WaitStatus::Signaled(_, signal, _)) => Ok(Some(ExitStatus::from_raw(signal as i32))),
            Ok(_) => Ok(None),
            // Peeking is unavailable: wait for real.
            Err(_) => self.child.try_wait(),
        }
    }

    /// Stop everything left in the trial's group (SIGTERM, up to `grace`
    /// or until `cancel` says so, then SIGKILL) and reap the direct child.
    /// Returns its exit status.
    pub fn finish(mut self, grace: Duration, cancel: &dyn Fn() -> bool) -> Option<ExitStatus> {
        self.stop(grace, cancel);
        self.status
    }

    fn stop(&mut self, grace: Duration, cancel: &dyn Fn() -> bool) {
        if self.finished {
            return;
        }
        self.finished = true;
        let (child, status) = (&mut self.child, &mut self.status);
        stop_group(self.group, grace, cancel, || {
            if status.is_none() {
                *status = child.try_wait().ok().flatten();
            }
        });
        if self.status.is_none() {
            self.status = self.child.wait().ok();
        }
        guardian_unregister(self.group);
    }
}

impl Drop for TrialProcess {
    fn drop(&mut self) {
        self.stop(Duration::ZERO, &|| true);
    }
}

// ---- The guardian ----

/// The runner's end of the pipe to `ferrotune __guard`.
static GUARDIAN: Mutex<Option<ChildStdin>> = Mutex::new(None);

fn guardian_send(line: &str) {
    let mut slot = GUARDIAN.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(pipe) = slot.as_mut() {
        if writeln!(pipe, "{line}").and_then(|_| pipe.flush()).is_err() {
            // The guardian died; trials still stop normally.
            *slot = None;
        }
    }
}

fn guardian_register(group: Pid) {
    guardian_send(&format!("+{group}"));
}

fn guardian_unregister(group: Pid) {
    guardian_send(&format!("-{group}"));
}

/// Start the guardian for this run. Failing to start it is not fatal:
/// trials are still stopped by the runner; only a SIGKILLed runner would
/// leave them behind, which the returned message warns about.
pub fn start_guardian(grace: Duration) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find the ferrotune executable: {e}"))?;
    let mut guard = Command::new(exe)
        .arg("__guard")
        .arg(grace.as_secs_f64().to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        // Its own group: Ctrl-C on the terminal reaches the runner, which
        // cleans up itself, and not the guardian.
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start the trial guardian: {e}"))?;
    let pipe = guard.stdin.take();
    // The guardian exits when the pipe closes; a thread reaps it then. (No
    // thread: it stays a zombie until the runner exits, which is harmless.)
    let _ = std::thread::Builder::new().name("guardian-reaper".into()).spawn(move || guard.wait());
    *GUARDIAN.lock().unwrap_or_else(|p| p.into_inner()) = pipe;
    Ok(())
}

/// Tell the guardian the run ended normally: it exits without stopping
/// anything (every trial has already been stopped).
pub fn stop_guardian() {
    guardian_send("bye");
    *GUARDIAN.lock().unwrap_or_else(|p| p.into_inner()) = None;
}

/// The guardian's body (`ferrotune __guard GRACE`): read `+pgid` / `-pgid`
/// lines until the pipe closes; if it closed without `bye`, stop every
/// group still registered.
pub fn guardian_main(grace: &str) -> std::process::ExitCode {
    let grace = grace.parse::<f64>().ok().and_then(|s| Duration::try_from_secs_f64(s).ok()).unwrap_or_default();
    let mut groups: BTreeSet<i32> = BTreeSet::new();
    let mut said_bye = false;
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        if line == "bye" {
            said_bye = true;
            break;
        }
        if let Some(Ok(group)) = line.strip_prefix('+').map(str::parse::<i32>) {
            // 0 and 1 would name the guardian's own group and init's.
            if group > 1 {
                groups.insert(group);
            }
        } else if let Some(Ok(group)) = line.strip_prefix('-').map(str::parse::<i32>) {
            groups.remove(&group);
        }
    }
    if !said_bye {
        for &group in &groups {
            let _ = killpg(Pid::from_raw(group), Signal::SIGTERM);
        }
        let deadline = Instant::now().checked_add(grace);
        loop {
            // Forget groups as they empty: their ids may be reused by
            // unrelated processes during a long grace period.
            groups.retain(|&g| group_alive(Pid::from_raw(g)));
            if groups.is_empty() || deadline.is_none_or(|d| Instant::now() >= d) {
                break;
            }
            std::thread::sleep(POLL);
        }
        for &group in &groups {
            let _ = killpg(Pid::from_raw(group), Signal::SIGKILL);
        }
    }
    std::process::ExitCode::SUCCESS
}
