//! Issue 22, heartbeats: a `ferrotune run` killed mid-trial on one machine
//! leaves a running trial that another `ferrotune run` on the same study
//! fails by its silent heartbeat, with the reason, and retries with the
//! same parameters; and the `[study]` keys' errors name the key.

use std::time::{Duration, Instant};

use ferrotune::{TrialState, RETRY_OF_ATTR};

mod common;
use common::{text, Sandbox};

fn config(sb: &Sandbox, name: &str, study: &str, run: &str) -> String {
    let path = sb.write(
        &format!("{name}.toml"),
        &format!(
            "[study]\nname = \"{name}\"\n{study}\n[sampler]\ntype = \"random\"\nseed = 3\n[command]\nrun = \"{run}\"\n\
             grace_period = 1\n[metric]\nname = \"loss\"\n[params]\nx = {{ type = \"float\", low = 0.0, high = 1.0 }}\n"
        ),
    );
    path.to_str().unwrap().to_owned()
}

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The first trial of the study hangs (its `run` is then SIGKILLed); every
/// other one, the retry included, takes a tenth of a second. Worker B runs
/// beside A from the start, so its start-up check for dead workers on this
/// host finds A alive: only the heartbeat can tell B that A died.
#[test]
fn a_killed_run_is_failed_by_heartbeat_and_retried_by_another() {
    let sb = Sandbox::new();
    let study = "n_trials = 20\nheartbeat_interval = 0.1\ngrace_period = 0.8\nmax_retries = 1";
    let cfg = config(
        &sb,
        "hb",
        study,
        "if mkdir first.lock 2>/dev/null; then echo {x} > first.x; sleep 30; fi; sleep 0.1; echo loss={x}",
    );
    let mut a = sb.spawn(&["run", &cfg, "--quiet"]);
    wait_for("A's first trial", Duration::from_secs(20), || sb.path("first.x").exists());
    let b = sb.spawn(&["run", &cfg, "--json"]);
    std::thread::sleep(Duration::from_millis(300));
    a.kill().unwrap(); // SIGKILL: A says nothing, its heartbeats stop
    a.wait().unwrap();
    let killed_at = Instant::now();
    let out = b.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(killed_at.elapsed() < Duration::from_secs(30), "B finished in a few seconds");

    let trials = sb.study("hb").trials().unwrap();
    let first = &trials[0];
    assert_eq!(first.state, TrialState::Failed);
    let reason = first.fail_reason().unwrap();
    assert!(reason.starts_with("heartbeat: no heartbeat for ") && reason.ends_with("(grace period 0.8 s)"), "{reason}");
    let retries: Vec<_> = trials.iter().filter(|t| t.system_attrs.contains_key(RETRY_OF_ATTR)).collect();
    assert_eq!(retries.len(), 1, "{trials:#?}");
    let retry = retries[0];
    assert_eq!(retry.system_attrs[RETRY_OF_ATTR], serde_json::json!(0));
    assert_eq!(retry.state, TrialState::Complete, "{:?}", retry.fail_reason());
    assert_eq!(retry.params, first.params, "the retry runs the same parameters");
    let x: f64 = std::fs::read_to_string(sb.path("first.x")).unwrap().trim().parse().unwrap();
    assert_eq!(retry.value(), Some(x));
    assert!(trials.iter().all(|t| t.state != TrialState::Running), "nothing left running");
    // The retry replaces the failed trial: 20 trials done, not 21.
    assert_eq!(trials.len(), 21);
    let stdout = text(&out.stdout);
    let summary = stdout.lines().find(|l| l.contains("\"event\":\"summary\"")).unwrap_or_default();
    let summary: serde_json::Value = serde_json::from_str(summary).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(summary["trials_done"], serde_json::json!(20), "{summary}");
}

/// The `[study]` heartbeat keys: bad values are config errors naming the key.
#[test]
fn bad_heartbeat_settings_name_the_key() {
    let sb = Sandbox::new();
    let cases = [
        ("heartbeat_interval = 0", "study.heartbeat_interval", "positive number of seconds"),
        ("heartbeat_interval = -1.5", "study.heartbeat_interval", "positive number of seconds"),
        ("heartbeat_interval = 1e300", "study.heartbeat_interval", "at most"),
        ("heartbeat_interval = \"fast\"", "heartbeat_interval", "invalid type"),
        ("heartbeat_interval = 1\ngrace_period = nan", "study.grace_period", "positive number of seconds"),
        ("grace_period = 60", "study.grace_period", "needs study.heartbeat_interval"),
        ("max_retries = 3", "study.max_retries", "needs study.heartbeat_interval"),
        ("heartbeat_interval = 1\nmax_retries = -1", "max_retries", ""),
        ("heartbeat_interval = 10\ngrace_period = 10", "study.grace_period", "not longer than heartbeat_interval"),
    ];
    for (i, (study, key, words)) in cases.iter().enumerate() {
        let cfg = config(&sb, &format!("bad{i}"), study, "echo loss=1");
        let out = sb.run(&["run", &cfg]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{study}: {stderr}");
        assert!(stderr.contains(key) && stderr.contains(words), "{study}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(!sb.path(&format!("bad{i}.db")).exists(), "nothing written before validation: {study}");
    }
}
