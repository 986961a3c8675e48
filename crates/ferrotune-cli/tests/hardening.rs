//! Issue 17: the CLI against a hostile but realistic user. Each test names
//! the numbered case of the issue it guards, runs the real binary, and
//! asserts the exit code and the message.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ferrotune::TrialState;

mod common;
use common::{alive, bin, text, Sandbox};

/// A config with the given `[study]` extras, `[command]` table body,
/// `[metric]` body and `[params]` body; the storage is `<name>.db`.
fn config(sb: &Sandbox, name: &str, study: &str, command: &str, metric: &str, params: &str) -> String {
    let path = sb.write(
        &format!("{name}.toml"),
        &format!(
            "[study]\nname = \"{name}\"\n{study}\n[sampler]\ntype = \"random\"\nseed = 3\n[command]\n{command}\n\
             [metric]\n{metric}\n[params]\n{params}\n"
        ),
    );
    path.to_str().unwrap().to_owned()
}

const X: &str = "x = { type = \"float\", low = 0.0, high = 1.0 }";

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn read_pid(sb: &Sandbox, file: &str) -> Option<i32> {
    std::fs::read_to_string(sb.path(file)).ok()?.trim().parse().ok()
}

/// Case 1: metric and step names that start with a non-ASCII character
/// are read (they panicked on a byte index inside a character).
#[test]
fn case_01_non_ascii_metric_and_step_names_are_read() {
    let sb = Sandbox::new();
    let cfg = config(
        &sb,
        "greek",
        "n_trials = 2",
        "run = \"echo 'époque=1 λ=0.5'; echo 'époque=2 λ=0.25'\"",
        "name = \"λ\"\nstep = \"époque\"",
        X,
    );
    let out = sb.run(&["run", &cfg, "--quiet"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let trials = sb.study("greek").trials().unwrap();
    assert_eq!(trials.len(), 2);
    for t in &trials {
        assert_eq!(t.state, TrialState::Complete, "{:?}", t.fail_reason());
        assert_eq!(t.value(), Some(0.25));
        assert_eq!(t.intermediate_values.keys().copied().collect::<Vec<_>>(), vec![1, 2]);
    }
}

/// Case 2: after a normal run the study is in the `.db` file itself, so
/// copying that one file copies the study.
#[test]
fn case_02_the_database_file_alone_holds_the_study_after_a_run() {
    let sb = Sandbox::new();
    let cfg = config(&sb, "copy", "n_trials = 5", "run = \"echo loss={x}\"", "name = \"loss\"", X);
    let out = sb.run(&["run", &cfg, "--quiet"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let copy = sb.path("copy-of.db");
    std::fs::copy(sb.path("copy.db"), &copy).unwrap();
    let storage = format!("sqlite:///{}", copy.display());
    let listed = sb.run(&["trials", "--storage", &storage, "--study", "copy", "--format", "json"]);
    assert_eq!(listed.status.code(), Some(0), "{}", text(&listed.stderr));
    let trials: Vec<serde_json::Value> = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(trials.len(), 5, "every trial is in the copied .db file");
}

/// Case 3: a shell-string command gets its grace period: the program under
/// `sh` that checkpoints on SIGTERM is not SIGKILLed when `sh` dies.
#[test]
fn case_03_the_grace_period_holds_for_shell_string_commands() {
    let sb = Sandbox::new();
    sb.write(
        "train.sh",
        "trap 'sleep 0.5; echo saved > checkpoint-$FERROTUNE_TRIAL_NUMBER; exit 0' TERM\n\
         touch ready\necho loss=1\nwhile true; do sleep 0.1; done\n",
    );
    // `; true` keeps `sh -c` from exec-ing the program, as in real
    // commands with several steps.
    let cfg =
        config(&sb, "grace", "n_trials = 1", "run = \"sh train.sh; true\"\ngrace_period = 5", "name = \"loss\"", X);
    let run = sb.spawn(&["run", &cfg, "--quiet"]);
    // Stopped once its trap is set (Ctrl-C stops trials as a timeout or a
    // prune does: SIGTERM to the group, then the grace period).
    wait_for("the program to set its trap", Duration::from_secs(20), || sb.path("ready").exists());
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(run.id() as i32), nix::sys::signal::Signal::SIGINT).unwrap();
    let out = run.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(sb.path("checkpoint-0")).ok().as_deref(),
        Some("saved\n"),
        "the program finished its checkpoint within the grace period"
    );
}

/// Case 4a: background processes a trial leaves behind end with it.
#[test]
fn case_04_background_processes_end_with_their_trial() {
    let sb = Sandbox::new();
    let cfg = config(
        &sb,
        "background",
        "n_trials = 1",
        "run = \"sleep 30 > /dev/null 2>&1 & echo $! > bg.pid; echo loss=1\"",
        "name = \"loss\"",
        X,
    );
    let out = sb.run(&["run", &cfg, "--quiet"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let pid = read_pid(&sb, "bg.pid").expect("the trial started its background process");
    wait_for("the background process to end", Duration::from_secs(5), || !alive(pid));
}

/// Case 4b: when `ferrotune run` itself is SIGKILLed, its trials' processes
/// (and what they started) do not live on as orphans.
#[test]
fn case_04_a_killed_runner_leaves_no_trial_process_behind() {
    let sb = Sandbox::new();
    let cfg = config(
        &sb,
        "orphans",
        "n_trials = 1",
        "run = \"sleep 300 & echo $! > bg.pid; echo $$ > sh.pid; echo loss=1; wait\"\ngrace_period = 1",
        "name = \"loss\"",
        X,
    );
    let mut runner = Command::new(bin())
        .args(["run", &cfg, "--quiet"])
        .current_dir(sb.dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the trial to start", Duration::from_secs(20), || {
        read_pid(&sb, "bg.pid").is_some() && read_pid(&sb, "sh.pid").is_some()
    });
    runner.kill().unwrap(); // SIGKILL: no handler runs
    runner.wait().unwrap();
    for file in ["bg.pid", "sh.pid"] {
        let pid = read_pid(&sb, file).unwrap();
        wait_for(&format!("process {pid} ({file}) to be stopped"), Duration::from_secs(10), || !alive(pid));
    }
}

/// Case 5: a reader that goes away ends the output, not the study, and
/// nothing panics or prints "Broken pipe".
#[test]
fn case_05_a_closed_pipe_is_a_normal_end_of_output() {
    let sb = Sandbox::new();
    // Slow enough that the reader is gone before the last trials print.
    let cfg = config(&sb, "pipe", "n_trials = 6", "run = \"sleep 0.2; echo loss={x}\"", "name = \"loss\"", X);
    let mut run = sb.spawn(&["run", &cfg, "--json"]);
    // Like `| head -1`: read one line, then close the pipe.
    let mut stdout = std::io::BufReader::new(run.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
    drop(stdout);
    let out = run.wait_with_output().unwrap();
    assert!(first.contains("\"event\":\"trial\""), "{first}");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("panicked"), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("standard output was closed"), "{}", text(&out.stderr));
    assert_eq!(sb.study("pipe").trials().unwrap().len(), 6, "the study ran to its end");

    for args in [vec!["trials", "-c", &cfg], vec!["best", "-c", &cfg], vec!["export", "-c", &cfg]] {
        // The reader is gone before the first write: the command starts on a
        // pipe whose read end is closed already. (Closing it after the
        // spawn raced the command's first write on a loaded machine, and
        // a listing that reaches the pipe's buffer counts as delivered.)
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = sb.command(&args).stdout(writer).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out.stderr));
        assert_eq!(text(&out.stderr), "", "{args:?} says nothing about the closed pipe");
    }
}

/// Case 6: a huge failing line is kept whole in the trial's log, but the
/// stored and printed failure text is capped.
#[test]
fn case_06_failure_text_is_capped_and_the_log_keeps_everything() {
    let sb = Sandbox::new();
    sb.write("huge.sh", "head -c 2000000 /dev/zero | tr '\\0' 'e'; echo; exit 3\n");
    let cfg = config(&sb, "huge", "n_trials = 1", "run = [\"sh\", \"huge.sh\"]", "name = \"loss\"", X);
    let out = sb.run(&["run", &cfg, "--quiet"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let trial = &sb.study("huge").trials().unwrap()[0];
    let reason = trial.fail_reason().unwrap();
    assert!(reason.contains("exited with code 3"), "{reason}");
    assert!(reason.len() < 5_000, "the stored reason is capped ({} bytes)", reason.len());
    assert!(reason.contains("more bytes"), "the cut is said: {reason}");
    let log = std::fs::read_to_string(sb.path("ferrotune-logs/huge/trial-0.log")).unwrap();
    assert!(log.len() > 2_000_000, "the log keeps the whole output");
    let listed = sb.run(&["trials", "-c", &cfg, "--format", "csv"]);
    assert!(listed.stdout.len() < 10_000, "trials prints the capped text ({} bytes)", listed.stdout.len());
}

/// Case 7: storage URLs that would silently lose or misplace the study are
/// refused with exit 2, before anything is written.
#[test]
fn case_07_bad_storage_urls_exit_2_and_write_nothing() {
    let sb = Sandbox::new();
    let cases = [
        ("\"\"", vec!["study.storage", "must not be empty", "memory"]),
        ("\"sqlite:x.db\"", vec!["sqlite:///"]),
        ("\"postgresql://localhost:port/db\"", vec!["postgresql://localhost:port/db", "postgresql://user"]),
    ];
    for (i, (url, expected)) in cases.iter().enumerate() {
        let name = format!("url{i}");
        let study = format!("storage = {url}\nn_trials = 1");
        let cfg = config(&sb, &name, &study, "run = \"echo loss=1\"", "name = \"loss\"", X);
        let out = sb.run(&["run", &cfg]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{url}: {stderr}");
        for e in expected {
            assert!(stderr.contains(e), "{url}: expected '{e}' in: {stderr}");
        }
    }
    assert!(!sb.path("sqlite:x.db").exists(), "no file named after the URL");
    assert!(!sb.path("ferrotune-logs").exists(), "nothing was run");
}

/// Case 8: a command that cannot be started (missing working folder,
/// missing `#!` interpreter) is the config's error: exit 2, and no trial is
/// used up.
#[test]
fn case_08_a_command_that_cannot_start_exits_2_and_uses_no_trial() {
    let sb = Sandbox::new();
    let cfg = config(
        &sb,
        "nodir",
        "n_trials = 2",
        "run = \"echo loss=1\"\nworkdir = \"no-such-folder\"",
        "name = \"loss\"",
        X,
    );
    let out = sb.run(&["run", &cfg]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("command.workdir"), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("no-such-folder"), "{}", text(&out.stderr));

    for (name, command) in [("shebang", "run = [\"./train.py\"]"), ("shebang-sh", "run = \"./train.py --x {x}\"")] {
        sb.write("train.py", "#!/nonexistent/python3\nprint('loss=1')\n");
        let mut perms = std::fs::metadata(sb.path("train.py")).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        std::fs::set_permissions(sb.path("train.py"), perms).unwrap();
        let cfg = config(&sb, name, "n_trials = 2", command, "name = \"loss\"", X);
        let out = sb.run(&["run", &cfg]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(stderr.contains("could not start"), "{name}: {stderr}");
        if name == "shebang" {
            assert!(stderr.contains("/nonexistent/python3"), "{name} names the interpreter: {stderr}");
        }
        // Fixed, the same study runs both of its trials.
        sb.write("train.py", "#!/bin/sh\necho loss=1\n");
        let out = sb.run(&["run", &cfg, "--quiet"]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", text(&out.stderr));
        let trials = sb.study(name).trials().unwrap();
        let complete = trials.iter().filter(|t| t.state == TrialState::Complete).count();
        assert_eq!(complete, 2, "{name}: the failed start used up no trial");
    }
}

/// Case 9: `tell` and `delete` refuse a trial or study that a live `run`
/// owns (unless forced), and the run goes on undisturbed.
#[test]
fn case_09_tell_and_delete_refuse_what_a_live_run_owns() {
    let sb = Sandbox::new();
    let cfg = config(
        &sb,
        "owned",
        "n_trials = 1",
        // (Gives up after 20 s, so a failing test leaves nothing running.)
        "run = \"touch started; i=0; while [ ! -e release ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done; echo loss=0.5\"",
        "name = \"loss\"",
        X,
    );
    let run = sb.spawn(&["run", &cfg, "--quiet"]);
    wait_for("the trial to start", Duration::from_secs(20), || sb.path("started").exists());
    let tell = sb.run(&["tell", "-c", &cfg, "--trial", "0", "--value", "1"]);
    assert_eq!(tell.status.code(), Some(2), "{}", text(&tell.stderr));
    assert!(text(&tell.stderr).contains("being run by `ferrotune run`"), "{}", text(&tell.stderr));
    assert!(text(&tell.stderr).contains("--force"), "{}", text(&tell.stderr));
    let delete = sb.run(&["delete", "-c", &cfg, "--yes"]);
    assert_eq!(delete.status.code(), Some(2), "{}", text(&delete.stderr));
    assert!(text(&delete.stderr).contains("being run by"), "{}", text(&delete.stderr));

    sb.write("release", "");
    let out = run.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "the run was not disturbed: {}", text(&out.stderr));
    let trial = &sb.study("owned").trials().unwrap()[0];
    assert_eq!((trial.state, trial.value()), (TrialState::Complete, Some(0.5)));

    // Forced, the told value stands and the run goes on to its end.
    for file in ["started", "release"] {
        std::fs::remove_file(sb.path(file)).unwrap();
    }
    let run = sb.spawn(&["run", &cfg, "--quiet", "--n-trials", "2"]);
    wait_for("the second trial to start", Duration::from_secs(20), || sb.path("started").exists());
    let tell = sb.run(&["tell", "-c", &cfg, "--trial", "1", "--value", "0.125", "--force"]);
    assert_eq!(tell.status.code(), Some(0), "{}", text(&tell.stderr));
    sb.write("release", "");
    let out = run.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "the run went on: {}", text(&out.stderr));
    let trial = &sb.study("owned").trials().unwrap()[1];
    assert_eq!((trial.state, trial.value()), (TrialState::Complete, Some(0.125)));
}

/// Case 10: a read-only database (a 444 file in a 555 folder) can still be
/// read by `trials`, `best`, `studies` and `export`; a run says why it
/// cannot write. As root, permission bits do not bind, so the commands run
/// as the unprivileged user `nobody` (uid 65534).
#[test]
fn case_10_a_read_only_database_can_be_read() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let sb = Sandbox::new();
    std::fs::set_permissions(sb.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::create_dir(sb.path("ro")).unwrap();
    let cfg = config(
        &sb,
        "ro",
        "storage = \"sqlite:///ro/study.db\"\nn_trials = 3",
        "run = \"echo loss={x}\"",
        "name = \"loss\"",
        X,
    );
    assert_eq!(sb.run(&["run", &cfg, "--quiet"]).status.code(), Some(0));
    for entry in std::fs::read_dir(sb.path("ro")).unwrap() {
        std::fs::set_permissions(entry.unwrap().path(), std::fs::Permissions::from_mode(0o444)).unwrap();
    }
    std::fs::set_permissions(sb.path("ro"), std::fs::Permissions::from_mode(0o555)).unwrap();
    let as_user = |args: &[&str]| {
        let mut command = Command::new(bin());
        command.args(args).current_dir(sb.dir.path());
        if std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(sb.dir.path()).unwrap()) == 0 {
            command.uid(65534).gid(65534);
        }
        command.output().unwrap()
    };
    let storage = format!("sqlite:///{}", sb.path("ro/study.db").display());
    for args in [
        vec!["trials", "-c", &cfg],
        vec!["best", "-c", &cfg, "--json"],
        vec!["export", "-c", &cfg, "--format", "json"],
        vec!["studies", "--storage", &storage],
    ] {
        let out = as_user(&args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out.stderr));
        assert!(
            text(&out.stdout).contains(if args[0] == "studies" { "ro" } else { "\"number\"" }) || args[0] == "trials",
            "{args:?}: {}",
            text(&out.stdout)
        );
    }
    let listed = as_user(&["trials", "-c", &cfg]);
    assert_eq!(text(&listed.stdout).lines().count(), 4, "a header and three trials: {}", text(&listed.stdout));
    let out = as_user(&["run", &cfg, "--n-trials", "4", "--quiet"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("read-only") && text(&out.stderr).contains("study.db"), "{}", text(&out.stderr));
    // Let the sandbox be removed.
    std::fs::set_permissions(sb.path("ro"), std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Case 19 (the lock): another process holding the database makes the run
/// say that it waits, and the run completes once the lock is released.
#[test]
fn case_19_a_held_lock_is_announced_not_waited_on_silently() {
    let sb = Sandbox::new();
    let cfg = config(&sb, "locked", "n_trials = 2", "run = \"echo loss={x}\"", "name = \"loss\"", X);
    assert_eq!(sb.run(&["run", &cfg, "--quiet", "--n-trials", "1"]).status.code(), Some(0));
    // Holds an exclusive lock until told to let go (at most 20 s).
    let holder = Command::new("python3")
        .args([
            "-c",
            "import os, sqlite3, sys, time\n\
             c = sqlite3.connect(sys.argv[1], isolation_level=None)\n\
             c.execute('BEGIN EXCLUSIVE')\n\
             open(sys.argv[2], 'w').close()\n\
             end = time.time() + 20\n\
             while not os.path.exists(sys.argv[3]) and time.time() < end: time.sleep(0.05)\n\
             c.execute('COMMIT')",
            sb.path("locked.db").to_str().unwrap(),
            sb.path("holding").to_str().unwrap(),
            sb.path("release").to_str().unwrap(),
        ])
        .spawn()
        .unwrap();
    wait_for("the lock to be taken", Duration::from_secs(10), || sb.path("holding").exists());
    let mut run = Command::new(bin())
        .args(["run", &cfg])
        .current_dir(sb.dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Release the lock once the run has said it waits for it.
    let mut stderr = String::new();
    let mut reader = std::io::BufReader::new(run.stderr.take().unwrap());
    let mut line = String::new();
    while std::io::BufRead::read_line(&mut reader, &mut line).unwrap_or(0) > 0 {
        stderr.push_str(&line);
        if line.contains("waiting for a lock on") {
            sb.write("release", "");
        }
        line.clear();
    }
    let status = run.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("waiting for a lock on") && stderr.contains("locked.db"), "{stderr}");
    assert_eq!(stderr.matches("waiting for a lock").count(), 1, "said once: {stderr}");
    let _ = { holder }.wait();
    assert_eq!(sb.study("locked").trials().unwrap().len(), 2);
}

/// Case 11: durations and `n_jobs` beyond any sane value are config errors,
/// not panics or thread storms.
#[test]
fn case_11_huge_durations_and_n_jobs_exit_2() {
    let sb = Sandbox::new();
    let cases = [
        ("timeout = 1e300", "run = \"echo loss=1\"", "study.timeout"),
        ("trial_timeout = 1e300", "run = \"echo loss=1\"", "study.trial_timeout"),
        ("", "run = \"echo loss=1\"\ngrace_period = 1e300", "command.grace_period"),
        ("n_jobs = 1000000", "run = \"echo loss=1\"", "study.n_jobs"),
        ("n_jobs = 9223372036854775807", "run = \"echo loss=1\"", "study.n_jobs"),
    ];
    for (i, (study, command, key)) in cases.iter().enumerate() {
        let cfg = config(&sb, &format!("big{i}"), study, command, "name = \"loss\"", X);
        let out = sb.run(&["run", &cfg]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{study} {command}: {stderr}");
        assert!(stderr.contains(key) && stderr.contains("at most"), "{key}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

/// Case 12: a log folder or database removed mid-run stops the study with
/// an error (exit 1) instead of failing every remaining trial or losing
/// results.
#[test]
fn case_12_vanished_folders_and_databases_stop_the_run() {
    let sb = Sandbox::new();
    for (name, remove) in [("logs", "ferrotune-logs"), ("db", "db.db")] {
        let cfg = config(&sb, name, "n_trials = 50", "run = \"sleep 0.2; echo loss={x}\"", "name = \"loss\"", X);
        let run = sb.spawn(&["run", &cfg, "--quiet"]);
        wait_for("a first trial", Duration::from_secs(20), || {
            sb.path(&format!("ferrotune-logs/{name}/trial-1.log")).exists()
        });
        if remove.ends_with(".db") {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(sb.path(&format!("{name}.db{suffix}")));
            }
        } else {
            // Moved away whole (removing it races with the next trial's
            // files being created inside).
            std::fs::rename(sb.path(remove), sb.path("moved-logs")).unwrap();
        }
        let out = run.wait_with_output().unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
        assert!(stderr.contains("was removed during the run"), "{name}: {stderr}");
    }

    // Removed during the last trial: its result went to a deleted file,
    // which must not end as a success.
    let cfg = config(
        &sb,
        "last",
        "n_trials = 1",
        "run = \"touch started; while [ ! -e release ]; do sleep 0.05; done; echo loss=1\"",
        "name = \"loss\"",
        X,
    );
    let run = sb.spawn(&["run", &cfg, "--quiet"]);
    wait_for("the trial to start", Duration::from_secs(20), || sb.path("started").exists());
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(sb.path(&format!("last.db{suffix}")));
    }
    sb.write("release", "");
    let out = run.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("last.db was removed during the run"), "{}", text(&out.stderr));
}

/// Case 13: `tell` with the wrong number of values is refused (exit 2) and
/// leaves the trial running; `--value -inf` parses.
#[test]
fn case_13_tell_checks_the_number_of_values_and_reads_infinities() {
    let sb = Sandbox::new();
    let cfg = config(&sb, "tell", "", "run = \"echo loss=1\"", "name = \"loss\"", X);
    let ask = sb.run(&["ask", "-c", &cfg]);
    assert_eq!(ask.status.code(), Some(0), "{}", text(&ask.stderr));
    let out = sb.run(&["tell", "-c", &cfg, "--trial", "0", "--value", "1", "--value", "2"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("1 objective(s) but 2 --value"), "{}", text(&out.stderr));
    assert_eq!(sb.study("tell").trials().unwrap()[0].state, TrialState::Running, "the trial is left as it was");

    // `-inf` parses (it was taken for a flag), and is refused for what it
    // is: the engine records only finite values.
    let out = sb.run(&["tell", "-c", &cfg, "--trial", "0", "--value", "-inf"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--value -inf: ferrotune records only finite"), "{}", text(&out.stderr));
    assert_eq!(sb.study("tell").trials().unwrap()[0].state, TrialState::Running, "the trial is left as it was");
    let out = sb.run(&["tell", "-c", &cfg, "--trial", "0", "--value", "-1.5e3"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(sb.study("tell").trials().unwrap()[0].value(), Some(-1500.0));
}

/// Case 14: the study name is not a path: `../..` stays inside `log_dir`,
/// and a 10 KB name runs.
#[test]
fn case_14_study_names_cannot_escape_the_log_folder() {
    let sb = Sandbox::new();
    std::fs::create_dir(sb.path("project")).unwrap();
    let long = "n".repeat(10_000);
    for name in ["../../escaped", long.as_str()] {
        let cfg = sb.write(
            "project/tune.toml",
            &format!(
                "[study]\nname = \"{name}\"\nn_trials = 1\n[command]\nrun = \"echo loss=1\"\n[metric]\nname = \"loss\"\n\
                 [params]\n{X}\n"
            ),
        );
        let out = sb.run(&["run", cfg.to_str().unwrap(), "--quiet"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let logs: Vec<_> = std::fs::read_dir(sb.path("project/ferrotune-logs")).unwrap().collect();
        assert!(!logs.is_empty());
        assert!(!sb.path("escaped").exists() && !sb.dir.path().parent().unwrap().join("escaped").exists());
    }
    // Both studies' logs are in their own folder inside log_dir.
    assert_eq!(std::fs::read_dir(sb.path("project/ferrotune-logs")).unwrap().count(), 2);
}

/// Case 15: parameter names that collide as environment variables or shell
/// variables are refused, before any trial starts.
#[test]
fn case_15_colliding_and_dangerous_parameter_names_are_refused() {
    let sb = Sandbox::new();
    let cfg = config(
        &sb,
        "collide",
        "n_trials = 1",
        "run = \"echo loss=1\"",
        "name = \"loss\"",
        "a-b = { type = \"int\", low = 0, high = 3 }\na_b = { type = \"int\", low = 0, high = 3 }",
    );
    let out = sb.run(&["run", &cfg]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("FERROTUNE_PARAM_A_B") && stderr.contains("'a-b'") && stderr.contains("'a_b'"), "{stderr}");

    let cfg = config(
        &sb,
        "path",
        "",
        "run = \"echo loss=1\"",
        "name = \"loss\"",
        "PATH = { type = \"int\", low = 0, high = 3 }",
    );
    let out = sb.run(&["ask", "-c", &cfg, "--shell"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("PATH"), "{stderr}");
    assert_eq!(text(&out.stdout), "", "nothing for eval");
    assert!(!sb.path("path.db").exists() || sb.study("path").trials().unwrap().is_empty(), "no trial was started");
}

/// Case 16: the full i64 range is a clear grid error, and GP samples it.
#[test]
fn case_16_the_full_int_range_works_or_is_refused_clearly() {
    let sb = Sandbox::new();
    let wide = "n = { type = \"int\", low = -9223372036854775808, high = 9223372036854775807 }";
    let grid = sb.write(
        "grid.toml",
        &format!(
            "[study]\nname = \"grid\"\n[sampler]\ntype = \"grid\"\n[command]\nrun = \"echo loss=1\"\n[metric]\n\
             name = \"loss\"\n[params]\n{wide}\n"
        ),
    );
    let out = sb.run(&["run", grid.to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("sampler.values.n") && stderr.contains("18446744073709551616 values"), "{stderr}");

    let gp = sb.write(
        "gp.toml",
        &format!(
            "[study]\nname = \"gp\"\nn_trials = 6\n[sampler]\ntype = \"gp\"\nseed = 1\nn_startup_trials = 2\n\
             [command]\nrun = \"echo loss=0.5\"\n[metric]\nname = \"loss\"\n[params]\n{wide}\n"
        ),
    );
    let out = sb.run(&["run", gp.to_str().unwrap(), "--quiet"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let trials = sb.study("gp").trials().unwrap();
    assert_eq!(trials.len(), 6);
    assert!(
        trials.iter().all(|t| t.state == TrialState::Complete),
        "{:?}",
        trials.iter().map(|t| t.fail_reason()).collect::<Vec<_>>()
    );
}

/// Case 17: values that were accepted silently are refused.
#[test]
fn case_17_zero_trials_inverted_hyperband_and_nested_conditions_exit_2() {
    let sb = Sandbox::new();
    let cfg = config(&sb, "zero", "", "run = \"echo loss=1\"", "name = \"loss\"", X);
    let out = sb.run(&["run", &cfg, "--n-trials", "0"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--n-trials"), "{}", text(&out.stderr));

    let hyperband = sb.write(
        "hb.toml",
        &format!(
            "[study]\nname = \"hb\"\n[pruner]\ntype = \"hyperband\"\nmin_resource = 10\nmax_resource = 3\n\
             [command]\nrun = \"echo loss=1\"\n[metric]\nname = \"loss\"\n[params]\n{X}\n"
        ),
    );
    let out = sb.run(&["run", hyperband.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("pruner.max_resource"), "{}", text(&out.stderr));

    let nested = config(
        &sb,
        "nested",
        "",
        "run = \"echo loss=1\"",
        "name = \"loss\"",
        "opt = { type = \"categorical\", choices = [\"a\", \"b\"] }\n\
         y = { type = \"float\", low = 0.0, high = 1.0, when = { opt = [[\"a\"]] } }",
    );
    let out = sb.run(&["run", &nested]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("params.y.when.opt"), "{}", text(&out.stderr));
}

/// Case 19: the messages that were unclear.
#[test]
fn case_19_messages_say_what_to_do() {
    let sb = Sandbox::new();
    // The metric printed only on standard error.
    let cfg = config(&sb, "stderr", "n_trials = 1", "run = \"echo loss=1 >&2\"", "name = \"loss\"", X);
    assert_eq!(sb.run(&["run", &cfg, "--quiet"]).status.code(), Some(0));
    let reason = sb.study("stderr").trials().unwrap()[0].fail_reason().unwrap().to_owned();
    assert!(reason.contains("standard error") && reason.contains("only standard output is read"), "{reason}");

    // An awk program's braces in a shell command.
    let cfg = config(&sb, "awk", "", "run = \"awk 'BEGIN { print 1 }'\"", "name = \"loss\"", X);
    let out = sb.run(&["run", &cfg]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("doubled"), "{}", text(&out.stderr));

    // `run = 42`.
    let cfg = config(&sb, "num", "", "run = 42", "name = \"loss\"", X);
    let out = sb.run(&["run", &cfg]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("run must be a string") && !stderr.contains("untagged"), "{stderr}");

    // 1.5 s is not shown as 2 s.
    let cfg = config(
        &sb,
        "slow",
        "n_trials = 1\ntrial_timeout = 1.5",
        "run = \"sleep 10\"\ngrace_period = 0",
        "name = \"loss\"",
        X,
    );
    assert_eq!(sb.run(&["run", &cfg, "--quiet"]).status.code(), Some(0));
    let reason = sb.study("slow").trials().unwrap()[0].fail_reason().unwrap().to_owned();
    assert!(reason.contains("timed out after 1.5 s"), "{reason}");

    // An infinite result (a diverged run) completes the trial as the worst
    // value, as in the library and Optuna (issue 24).
    let cfg = config(&sb, "inf", "n_trials = 1", "run = \"echo loss=inf\"", "name = \"loss\"", X);
    assert_eq!(sb.run(&["run", &cfg, "--quiet"]).status.code(), Some(0));
    let trial = sb.study("inf").trials().unwrap()[0].clone();
    assert_eq!((trial.state, trial.values.clone()), (ferrotune::TrialState::Complete, Some(vec![f64::INFINITY])));

    // A database that cannot be opened is named.
    let cfg = config(
        &sb,
        "nodb",
        "storage = \"sqlite:///no/such/folder/x.db\"",
        "run = \"echo loss=1\"",
        "name = \"loss\"",
        X,
    );
    let out = sb.run(&["run", &cfg]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("no/such/folder/x.db"), "{}", text(&out.stderr));
}

/// Review of issue 17: a parameter's value is never searched for other
/// placeholders (a value `{b}` must not pull `b`'s value inside its
/// quotes, where `;` would run a command).
#[test]
fn case_15_placeholder_values_cannot_inject_commands() {
    let sb = Sandbox::new();
    let cfg = config(
        &sb,
        "inject",
        "n_trials = 1",
        "run = \"echo {a} {b}; echo loss=1\"",
        "name = \"loss\"",
        "a = { type = \"categorical\", choices = [\"{b}\"] }\nb = { type = \"categorical\", choices = [\"x; touch pwned\"] }",
    );
    let out = sb.run(&["run", &cfg, "--quiet"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!sb.path("pwned").exists(), "a value ran as a command");
    let log = std::fs::read_to_string(sb.path("ferrotune-logs/inject/trial-0.log")).unwrap();
    assert!(log.contains("{b} x; touch pwned"), "{log}");
}

/// Review of issue 17: when the program's name is a parameter, a missing
/// program fails only the trials that name it; the study goes on.
#[test]
fn case_08_a_missing_program_named_by_a_parameter_fails_only_its_trial() {
    let sb = Sandbox::new();
    sb.write("good.sh", "echo loss=0.5\n");
    let path = sb.write(
        "prog.toml",
        "[study]\nname = \"prog\"\nn_trials = 2\n[command]\nrun = \"./{prog}.sh\"\n[metric]\nname = \"loss\"\n\
         [params]\nprog = { type = \"categorical\", choices = [\"good\", \"missing\"] }\n\
         [[enqueue]]\nprog = \"missing\"\n[[enqueue]]\nprog = \"good\"\n",
    );
    let mut perms = std::fs::metadata(sb.path("good.sh")).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(sb.path("good.sh"), perms).unwrap();
    let out = sb.run(&["run", path.to_str().unwrap(), "--quiet"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let trials = sb.study("prog").trials().unwrap();
    assert_eq!(trials.len(), 2);
    assert_eq!(trials[0].state, TrialState::Failed);
    assert!(trials[0].fail_reason().unwrap().contains("code 127"), "{:?}", trials[0].fail_reason());
    assert_eq!(trials[1].state, TrialState::Complete);
}

/// Review of issue 17: `ask` whose output cannot be written (a full disk)
/// fails, and fails the trial it started instead of leaving it running.
#[test]
fn case_05_ask_whose_output_is_lost_fails_its_trial() {
    if !std::path::Path::new("/dev/full").exists() {
        eprintln!("skipped: no /dev/full here");
        return;
    }
    let sb = Sandbox::new();
    let cfg = config(&sb, "full", "", "run = \"echo loss=1\"", "name = \"loss\"", X);
    let out = Command::new(bin())
        .args(["ask", "-c", &cfg])
        .current_dir(sb.dir.path())
        .stdout(std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("could not print the trial"), "{}", text(&out.stderr));
    let trials = sb.study("full").trials().unwrap();
    assert_eq!(trials.len(), 1);
    assert_eq!(trials[0].state, TrialState::Failed);
}
