//! The real `ferrotune` binary against small shell programs: a good config,
//! each kind of bad config, programs that fail, hang, print NaN or never
//! print the metric, Ctrl-C followed by a resume, and two processes sharing
//! one SQLite file.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ferrotune::{Study, TrialState};

mod common;
use common::{alive, bin, text, Sandbox};

/// A program that "trains" for three epochs; loss is (x - 0.3)^2 + 1/epoch.
const GOOD: &str = r#"for e in 1 2 3; do
  awk -v x="$FERROTUNE_PARAM_X" -v e=$e 'BEGIN { printf "epoch=%d loss=%.6f\n", e, (x-0.3)^2 + 1/e }'
done"#;

#[test]
fn a_good_config_runs_to_completion_and_every_view_agrees() {
    let sb = Sandbox::new();
    let cfg = sb.config("good", "n_trials = 8\nn_jobs = 2", GOOD);
    let out = sb.run(&["run", cfg.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("8/8 trials done"), "{stdout}");
    assert!(stdout.contains("best trial"), "{stdout}");

    let study = sb.study("good");
    let trials = study.trials().unwrap();
    assert_eq!(trials.len(), 8);
    // The metric's name is the study's, where Optuna keeps it (the
    // dashboard, plots and Python read it there).
    let names = &study.system_attrs().unwrap()[ferrotune::core::METRIC_NAMES_ATTR];
    assert_eq!(*names, serde_json::json!(["loss"]));
    assert!(trials.iter().all(|t| t.state == TrialState::Complete && t.intermediate_values.len() == 3));
    let best = study.best_trial().unwrap();
    let x = best.param_values()["x"].as_f64().unwrap();
    assert!(
        (best.value().unwrap() - ((x - 0.3f64).powi(2) + 1.0 / 3.0)).abs() < 1e-5,
        "the last printed value is the result"
    );
    // Each trial kept its output.
    let log = std::fs::read_to_string(sb.path("ferrotune-logs/good/trial-0.log")).unwrap();
    assert_eq!(log.lines().count(), 3);

    // Running again continues the study: nothing left to do.
    let again = sb.run(&["run", cfg.to_str().unwrap(), "--quiet"]);
    assert!(again.status.success());
    assert_eq!(sb.study("good").trials().unwrap().len(), 8);
    // A higher target runs only the difference.
    let more = sb.run(&["run", cfg.to_str().unwrap(), "--quiet", "--n-trials", "10"]);
    assert!(more.status.success(), "{}", text(&more.stderr));
    assert_eq!(sb.study("good").trials().unwrap().len(), 10);

    let best = sb.run(&["best", "-c", cfg.to_str().unwrap(), "--json"]);
    let best: serde_json::Value = serde_json::from_slice(&best.stdout).unwrap();
    assert_eq!(best["number"], study.best_trial().unwrap().number);
    assert!(best["params"]["x"].is_number());

    let csv = sb.run(&["trials", "-c", cfg.to_str().unwrap(), "--format", "csv", "--state", "complete"]);
    let csv = text(&csv.stdout);
    assert_eq!(csv.lines().next().unwrap(), "number,state,value,duration_s,params_x,fail_reason");
    assert_eq!(csv.lines().count(), 11);

    let storage = format!("sqlite:///{}", sb.path("good.db").display());
    let json = sb.run(&["export", "--storage", &storage, "--study", "good", "--format", "json"]);
    let json: Vec<serde_json::Value> = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json.len(), 10);
    let studies = text(&sb.run(&["studies", "--storage", &storage]).stdout);
    assert!(studies.contains("good") && studies.contains("10"), "{studies}");
}

#[test]
fn bad_configs_exit_2_naming_file_key_and_problem_and_write_nothing() {
    let sb = Sandbox::new();
    let base = |params: &str, extra: &str| {
        format!(
            "[study]\nname = \"bad\"\n{extra}\n[command]\nrun = \"echo loss={{x}}\"\n[metric]\nname = \"loss\"\n[params]\n{params}\n"
        )
    };
    let x = "x = { type = \"float\", low = 0.0, high = 1.0 }";
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        ("unknown key", base(x, "nmae = \"typo\""), vec!["unknown field `nmae`"]),
        ("wrong type", base(x, "n_trials = \"ten\""), vec!["n_trials", "invalid type"]),
        (
            "low > high",
            base("x = { type = \"float\", low = 2.0, high = 1.0 }", ""),
            vec!["params.x", "low (2) must not be greater than high (1)"],
        ),
        (
            "log with low <= 0",
            base("x = { type = \"float\", low = 0.0, high = 1.0, log = true }", ""),
            vec!["params.x", "log-scale float needs low > 0"],
        ),
        (
            "placeholder with no parameter",
            base(x, "").replace("echo loss={x}", "echo loss={y}"),
            vec!["command.run", "placeholder {y} names no parameter"],
        ),
        (
            "unknown sampler",
            base(x, "") + "[sampler]\ntype = \"tpee\"\n",
            vec!["sampler.type", "unknown sampler 'tpee'"],
        ),
        (
            "bad tpe option",
            base(x, "") + "[sampler]\ntype = \"tpe\"\nn_ei_candidates = 0\n",
            vec!["sampler.n_ei_candidates", "n_ei_candidates must be at least 1"],
        ),
        (
            "bad gp option",
            base(x, "") + "[sampler]\ntype = \"gp\"\ndeterministic_objective = \"yes\"\n",
            vec!["sampler.deterministic_objective", "must be true or false"],
        ),
        (
            "bad cmaes restart strategy",
            base(x, "") + "[sampler]\ntype = \"cmaes\"\nrestart_strategy = \"lipop\"\n",
            vec!["sampler.restart_strategy", "\"ipop\", \"bipop\" or \"none\""],
        ),
        (
            "cmaes x0 naming no parameter",
            base(x, "") + "[sampler]\ntype = \"cmaes\"\nx0 = { y = 0.5 }\n",
            vec!["sampler.x0.y", "names no parameter"],
        ),
        (
            "unscrambled sobol",
            base(x, "") + "[sampler]\ntype = \"qmc\"\nscramble = false\n",
            vec!["sampler.scramble", "always scrambled"],
        ),
        (
            "unknown qmc sequence",
            base(x, "") + "[sampler]\ntype = \"qmc\"\nqmc_type = \"faure\"\n",
            vec!["sampler.qmc_type", "must be \"sobol\" or \"halton\", got \"faure\""],
        ),
        (
            "nsga2 crossover parameter for another crossover",
            base(x, "") + "[sampler]\ntype = \"nsga2\"\ncrossover = \"blxalpha\"\neta = 5.0\n",
            vec![
                "sampler.eta",
                "blxalpha crossover takes no eta (it takes alpha); eta is for crossover = \"sbx\" or \"vsbx\"",
            ],
        ),
        (
            "nsga3 reference points of unequal rows",
            base(x, "") + "[sampler]\ntype = \"nsga3\"\nreference_points = [[1.0, 0.0], [0.5]]\n",
            vec!["sampler.reference_points", "row 1 has 1 number, row 0 has 2"],
        ),
        (
            "nsga3 reference points not a matrix",
            base(x, "") + "[sampler]\ntype = \"nsga3\"\nreference_points = [1.0, 0.0]\n",
            vec!["sampler.reference_points", "row 0 must be a list of numbers"],
        ),
        (
            "nsga3 reference points for another number of objectives",
            base(x, "") + "[sampler]\ntype = \"nsga3\"\nreference_points = [[1, 0], [0, 1]]\n",
            vec!["reference_points have 2 columns, but the study has 1 objective ("],
        ),
        (
            "nsga3 dividing parameter zero",
            base(x, "") + "[sampler]\ntype = \"nsga3\"\ndividing_parameter = 0\n",
            vec!["sampler.dividing_parameter", "must be at least 1"],
        ),
        (
            "bad tpe startup",
            base(x, "") + "[sampler]\ntype = \"tpe\"\nstartup = \"lhs\"\n",
            vec!["sampler.startup", "\"random\", \"sobol\" or \"halton\""],
        ),
        (
            "tpe gamma beyond one",
            base(x, "") + "[sampler]\ntype = \"tpe\"\ngamma = 1.5\n",
            vec!["sampler.gamma", "fraction of trials that count as good"],
        ),
        (
            "unknown tpe weighting",
            base(x, "") + "[sampler]\ntype = \"tpe\"\nweighting = \"ei\"\n",
            vec!["sampler.weighting", "\"recency\" or \"expected_improvement\""],
        ),
        (
            "unknown gp output transform",
            base(x, "") + "[sampler]\ntype = \"gp\"\noutput_transform = \"boxcox\"\n",
            vec!["sampler.output_transform", "\"standardize\", \"robust\" or \"power\""],
        ),
        (
            "a single-objective sampler for two objectives",
            base(x, "directions = [\"minimize\", \"maximize\"]")
                .replace("name = \"loss\"", "names = [\"loss\", \"acc\"]")
                + "[sampler]\ntype = \"cmaes\"\n",
            vec!["CMA-ES optimizes a single objective", "2 objectives"],
        ),
        (
            "two sets of tpe defaults",
            base(x, "") + "[sampler]\ntype = \"tpe\"\noptuna_defaults = true\nhyperopt_defaults = true\n",
            vec!["sampler.hyperopt_defaults", "not both"],
        ),
        (
            "tpe flag of the wrong type",
            base(x, "") + "[sampler]\ntype = \"tpe\"\nmultivariate = \"yes\"\n",
            vec!["sampler.multivariate", "must be true or false"],
        ),
        (
            "unknown param type",
            base("x = { type = \"flaot\", low = 0, high = 1 }", ""),
            vec!["params.x.type", "unknown type 'flaot'"],
        ),
        (
            "bad condition",
            base(&format!("{x}\ny = {{ type = \"int\", low = 0, high = 3, when = {{ z = 1 }} }}"), ""),
            vec!["params.y.when", "'z', which is not a parameter"],
        ),
        (
            "step not dividing",
            base("x = { type = \"int\", low = 0, high = 10, step = 3 }", ""),
            vec!["params.x", "does not divide"],
        ),
        (
            "bad pruner option",
            base(x, "") + "[pruner]\ntype = \"hyperband\"\nmax_resource = 0\n",
            vec!["pruner.max_resource", "positive integer"],
        ),
        (
            "unknown pruner option",
            base(x, "") + "[pruner]\ntype = \"asha\"\npatience = 3\n",
            vec!["pruner.patience", "unknown option for the asha pruner"],
        ),
    ];
    for (what, config, expected) in cases {
        let path = sb.write("bad.toml", &config);
        let out = sb.run(&["run", path.to_str().unwrap()]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
        assert!(stderr.contains("bad.toml"), "{what}: the file is named: {stderr}");
        for e in expected {
            assert!(stderr.contains(e), "{what}: expected '{e}' in: {stderr}");
        }
        assert!(!sb.path("bad.db").exists(), "{what}: nothing was written");
    }
}

#[test]
fn failing_hanging_nan_and_silent_programs_fail_their_trial_only() {
    let sb = Sandbox::new();
    let cases = [
        (
            "crash",
            "",
            "echo starting\necho 'something broke' >&2\nexit 3",
            vec!["exited with code 3", "something broke", "trial-0.log"],
        ),
        (
            "hang",
            "trial_timeout = 1",
            "echo $$ > hang-$FERROTUNE_TRIAL_NUMBER.pid\necho epoch=1 loss=0.5\nsleep 30",
            vec!["timed out after 1 s"],
        ),
        ("nan", "", "echo loss=nan", vec!["'loss' was NaN"]),
        ("silent", "", "echo 'training done'", vec!["never printed the metric 'loss'", "training done"]),
    ];
    for (name, extra, body, expected) in cases {
        let cfg = sb.config(name, &format!("n_trials = 2\n{extra}"), body);
        let out = sb.run(&["run", cfg.to_str().unwrap()]);
        assert!(out.status.success(), "{name}: the study goes on: {}", text(&out.stderr));
        let trials = sb.study(name).trials().unwrap();
        assert_eq!(trials.len(), 2, "{name}");
        for t in &trials {
            assert_eq!(t.state, TrialState::Failed, "{name}");
            let reason = t.fail_reason().unwrap();
            for e in &expected {
                assert!(
                    reason.contains(e) || (e.ends_with(".log") && reason.contains(".log")),
                    "{name}: '{e}' in '{reason}'"
                );
            }
        }
        if name == "hang" {
            for t in &trials {
                let pid = std::fs::read_to_string(sb.path(&format!("hang-{}.pid", t.number))).unwrap();
                assert!(!alive(pid.trim().parse().unwrap()), "the hung process of trial {} was killed", t.number);
            }
        }
        assert!(text(&out.stderr).contains("failed"), "{name}: failures are shown");
    }
}

#[test]
fn ctrl_c_then_resume_loses_and_duplicates_nothing_and_leaves_no_child() {
    let sb = Sandbox::new();
    std::fs::create_dir(sb.path("pids")).unwrap();
    // Each trial records its PID (and its sleeping child's), then trains
    // slowly enough to be caught mid-run.
    let body = r#"echo $$ > pids/$FERROTUNE_TRIAL_NUMBER.sh
for e in 1 2 3 4; do
  sleep 0.3 & echo $! >> pids/$FERROTUNE_TRIAL_NUMBER.sleep; wait $!
  awk -v x="$FERROTUNE_PARAM_X" -v e=$e 'BEGIN { printf "epoch=%d loss=%.6f\n", e, x + 1/e }'
done"#;
    let cfg = sb.config("resume", "n_trials = 6\nn_jobs = 2", body);
    let mut child = Command::new(bin())
        .args(["run", cfg.to_str().unwrap()])
        .current_dir(sb.dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the first trials finished and the next ones are running.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(Instant::now() < deadline, "no progress");
        std::thread::sleep(Duration::from_millis(100));
        let done = Study::builder()
            .name("resume")
            .storage_url(format!("sqlite:///{}", sb.path("resume.db").display()))
            .load()
            .ok()
            .and_then(|s| s.trials().ok())
            .map_or(0, |t| t.iter().filter(|t| t.state == TrialState::Complete).count());
        if done >= 2 && std::fs::read_dir(sb.path("pids")).unwrap().count() >= 8 {
            break;
        }
    }
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), nix::sys::signal::Signal::SIGINT).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "interrupted runs exit 130");

    // No trial process or grandchild outlived the interrupted run.
    for entry in std::fs::read_dir(sb.path("pids")).unwrap() {
        for pid in std::fs::read_to_string(entry.unwrap().path()).unwrap().split_whitespace() {
            assert!(!alive(pid.parse().unwrap()), "process {pid} was left behind");
        }
    }
    let study = sb.study("resume");
    let after_interrupt = study.trials().unwrap();
    let interrupted: Vec<_> =
        after_interrupt.iter().filter(|t| t.system_attrs.get("interrupted") == Some(&true.into())).collect();
    assert!(!interrupted.is_empty(), "the running trials were interrupted");
    assert!(interrupted.iter().all(|t| t.state == TrialState::Failed));
    assert!(after_interrupt.iter().all(|t| t.state != TrialState::Running), "nothing is left running");

    let out = sb.run(&["run", cfg.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let trials = sb.study("resume").trials().unwrap();
    let complete: Vec<_> = trials.iter().filter(|t| t.state == TrialState::Complete).collect();
    assert_eq!(complete.len(), 6, "the study finished with exactly n_trials done");
    // Every interrupted trial was re-run once, with its own parameters.
    let mut retries: BTreeMap<u64, usize> = BTreeMap::new();
    for t in &trials {
        if let Some(of) = t.system_attrs.get("retry_of").and_then(|v| v.as_u64()) {
            *retries.entry(of).or_default() += 1;
            assert_eq!(t.param_values(), trials[of as usize].param_values());
            assert_eq!(t.state, TrialState::Complete);
        }
    }
    let interrupted_numbers: BTreeSet<u64> = interrupted.iter().map(|t| t.number).collect();
    assert_eq!(retries.keys().copied().collect::<BTreeSet<_>>(), interrupted_numbers);
    assert!(retries.values().all(|&n| n == 1), "no trial re-run twice");
}

#[test]
fn two_processes_share_one_sqlite_study_and_stop_at_n_trials() {
    let sb = Sandbox::new();
    let cfg = sb.config("shared", "n_trials = 12\nn_jobs = 2", &format!("sleep 0.05\n{GOOD}"));
    let spawn = || {
        Command::new(bin())
            .args(["run", cfg.to_str().unwrap(), "--quiet"])
            .current_dir(sb.dir.path())
            .stdout(Stdio::null())
            .spawn()
            .unwrap()
    };
    let (mut a, mut b) = (spawn(), spawn());
    assert!(a.wait().unwrap().success());
    assert!(b.wait().unwrap().success());
    let trials = sb.study("shared").trials().unwrap();
    assert_eq!(trials.len(), 12, "exactly n_trials across both processes");
    assert!(trials.iter().all(|t| t.state == TrialState::Complete));
    let pids: BTreeSet<i64> =
        trials.iter().filter_map(|t| t.system_attrs.get("worker_pid").and_then(|v| v.as_i64())).collect();
    assert_eq!(pids.len(), 2, "both processes ran trials");
}

#[test]
fn ask_and_tell_drive_a_study_from_a_shell_loop() {
    let sb = Sandbox::new();
    let cfg = sb.config("asktell", "n_trials = 3", GOOD);
    let cfg = cfg.to_str().unwrap();
    for _ in 0..3 {
        let asked: serde_json::Value = serde_json::from_slice(&sb.run(&["ask", "-c", cfg]).stdout).unwrap();
        let x = asked["params"]["x"].as_f64().unwrap();
        let number = asked["trial"].to_string();
        let out = sb.run(&["tell", "-c", cfg, "--trial", &number, "--value", &(x * 2.0).to_string()]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let failed = sb.run(&["ask", "-c", cfg]);
    let number = serde_json::from_slice::<serde_json::Value>(&failed.stdout).unwrap()["trial"].to_string();
    sb.run(&["tell", "-c", cfg, "--trial", &number, "--state", "failed", "--reason", "out of memory"]);
    let again = sb.run(&["tell", "-c", cfg, "--trial", &number, "--value", "1"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again.stderr).contains("not running"), "{}", text(&again.stderr));
    let trials = sb.study("asktell").trials().unwrap();
    assert_eq!(trials.iter().filter(|t| t.state == TrialState::Complete).count(), 3);
    assert_eq!(trials[3].fail_reason(), Some("out of memory"));

    let enq = sb.run(&["enqueue", "-c", cfg, "--param", "x=0.25"]);
    assert!(enq.status.success(), "{}", text(&enq.stderr));
    let bad = sb.run(&["enqueue", "-c", cfg, "--param", "x=7"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("outside"), "{}", text(&bad.stderr));
    let asked: serde_json::Value = serde_json::from_slice(&sb.run(&["ask", "-c", cfg]).stdout).unwrap();
    assert_eq!(asked["params"]["x"], 0.25, "the enqueued configuration comes first");
}

#[test]
fn delete_asks_for_the_name_unless_told_yes() {
    let sb = Sandbox::new();
    let cfg = sb.config("del", "n_trials = 1", GOOD);
    assert!(sb.run(&["run", cfg.to_str().unwrap(), "--quiet"]).status.success());
    let no = Command::new(bin()).args(["delete", "-c", cfg.to_str().unwrap()]).stdin(Stdio::null()).output().unwrap();
    assert_eq!(no.status.code(), Some(1));
    assert_eq!(sb.study("del").trials().unwrap().len(), 1);
    let yes = sb.run(&["delete", "-c", cfg.to_str().unwrap(), "--yes"]);
    assert!(yes.status.success());
    let gone = sb.run(&["trials", "-c", cfg.to_str().unwrap()]);
    assert_eq!(gone.status.code(), Some(2));
    assert!(text(&gone.stderr).contains("no study named 'del'"));
}

#[test]
fn the_readme_shell_loop_drives_a_study() {
    let sb = Sandbox::new();
    let cfg = sb.config("loop", "n_trials = 4", GOOD);
    // The loop from the README, with the program replaced by awk.
    let script = format!(
        r#"set -e
for i in 1 2 3 4; do
  eval "$({bin} ask -c {cfg} --shell)"
  loss=$(awk -v x="$x" 'BEGIN {{ print (x - 0.3)^2 }}')
  {bin} tell -c {cfg} --trial "$TRIAL" --value "$loss"
done"#,
        bin = bin(),
        cfg = cfg.display()
    );
    let out = Command::new("bash").arg("-c").arg(&script).current_dir(sb.dir.path()).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let trials = sb.study("loop").trials().unwrap();
    assert_eq!(trials.len(), 4);
    for t in &trials {
        let x = t.param_values()["x"].as_f64().unwrap();
        assert_eq!(t.state, TrialState::Complete);
        assert!((t.value().unwrap() - (x - 0.3).powi(2)).abs() < 1e-5);
    }
}

#[test]
fn pruned_trials_are_stopped_and_keep_their_last_value() {
    // Loss falls with the epochs, but stays x above its floor: trials with a
    // large x are worse than the others at every step.
    let body = r#"echo $$ > pids-$FERROTUNE_STUDY_NAME/$FERROTUNE_TRIAL_NUMBER
for e in 1 2 3 4 5 6; do
  awk -v x="$FERROTUNE_PARAM_X" -v e=$e 'BEGIN { printf "epoch=%d loss=%.6f\n", e, x + 1/e }'
  sleep 0.1
done"#;
    let pruners = [
        ("median", "type = \"median\"\nn_startup_trials = 3\nn_warmup_steps = 1", "n_jobs = 2"),
        ("asha", "type = \"asha\"\nmin_resource = 1\nreduction_factor = 2", "n_jobs = 1"),
        ("hyperband", "type = \"hyperband\"\nmin_resource = 1\nmax_resource = 6", "n_jobs = 1"),
    ];
    for (name, pruner, jobs) in pruners {
        let sb = Sandbox::new();
        std::fs::create_dir(sb.path(&format!("pids-{name}"))).unwrap();
        let cfg = sb.config(name, &format!("n_trials = 12\n{jobs}"), body);
        let toml = std::fs::read_to_string(&cfg).unwrap() + "\n[pruner]\n" + pruner + "\n";
        std::fs::write(&cfg, toml).unwrap();
        let out = sb.run(&["run", cfg.to_str().unwrap(), "--json"]);
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
        // --json: one object per trial, then a summary.
        let events: Vec<serde_json::Value> =
            text(&out.stdout).lines().map(|l| serde_json::from_str(l).expect("every line is JSON")).collect();
        assert_eq!(events.iter().filter(|e| e["event"] == "trial").count(), 12, "{name}");
        assert_eq!(events.last().unwrap()["event"], "summary");

        let trials = sb.study(name).trials().unwrap();
        let pruned: Vec<_> = trials.iter().filter(|t| t.state == TrialState::Pruned).collect();
        assert!(!pruned.is_empty(), "{name}: some trials were pruned");
        // Which trials have finished when a step is judged depends on
        // timing (two workers for the median pruner), so a trial can be
        // pruned at its last step; at least half must stop before it.
        let early = pruned.iter().filter(|t| t.intermediate_values.len() < 6).count();
        assert!(2 * early >= pruned.len(), "{name}: {early} of {} pruned trials stopped early", pruned.len());
        for t in &pruned {
            assert_eq!(t.value(), t.last_intermediate().map(|(_, v)| v), "a pruned trial keeps its last value");
            let pid_file = sb.path(&format!("pids-{name}/{}", t.number));
            let pid: i32 = std::fs::read_to_string(pid_file).unwrap().trim().parse().unwrap();
            assert!(!alive(pid), "{name}: pruned trial {} left its process {pid} running", t.number);
        }
    }
}

#[test]
fn tpe_from_the_config_concentrates_on_the_good_region() {
    let sb = Sandbox::new();
    let body = r#"awk -v x="$FERROTUNE_PARAM_X" 'BEGIN { printf "loss=%.9f\n", (x - 0.3) * (x - 0.3) }'"#;
    // The default, Optuna's, then all four components Watanabe (2023) recommends.
    let watanabe = "gamma = 0.15\nweighting = \"expected_improvement\"\nmin_bandwidth_factor = 0.03\nmagic_clip_exponent = 2\nconsider_endpoints = true";
    for (name, options) in [("tpe", ""), ("tpe-optuna", "optuna_defaults = true"), ("tpe-watanabe", watanabe)] {
        let cfg = sb.config(name, "n_trials = 40\nn_jobs = 2", body);
        let toml = std::fs::read_to_string(&cfg).unwrap().replace(
            "type = \"random\"\nseed = 1",
            &format!("type = \"tpe\"\nseed = 1\nn_startup_trials = 10\nconstant_liar = true\n{options}"),
        );
        std::fs::write(&cfg, toml).unwrap();
        let out = sb.run(&["run", cfg.to_str().unwrap(), "--quiet"]);
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
        let trials = sb.study(name).trials().unwrap();
        assert_eq!(trials.len(), 40);
        let distance = |ts: &[std::sync::Arc<ferrotune::FrozenTrial>]| {
            ts.iter().map(|t| (t.param_values()["x"].as_f64().unwrap() - 0.3).abs()).sum::<f64>() / ts.len() as f64
        };
        // Random startup trials spread over [0, 1]; TPE's proposals close in.
        let (startup, guided) = (distance(&trials[..10]), distance(&trials[20..]));
        assert!(
            guided < startup / 2.0,
            "{name}: mean distance to the optimum: {startup:.3} at random, {guided:.3} with TPE"
        );
        // Once 10 trials have finished (with two at a time, by trial 12), proposals are joint and recorded.
        assert!(trials.iter().skip(12).all(|t| t.system_attrs.contains_key(ferrotune::core::RELATIVE_PARAMS_ATTR)));
    }
}

#[test]
fn a_qmc_study_from_the_config_spreads_its_trials_evenly() {
    let sb = Sandbox::new();
    let body = r#"awk -v x="$FERROTUNE_PARAM_X" 'BEGIN { printf "loss=%.9f\n", x }'"#;
    let cfg = sb.config("qmc", "n_trials = 16\nn_jobs = 2", body);
    let toml =
        std::fs::read_to_string(&cfg).unwrap().replace("type = \"random\"\nseed = 1", "type = \"qmc\"\nseed = 3");
    std::fs::write(&cfg, toml).unwrap();
    let out = sb.run(&["run", cfg.to_str().unwrap(), "--quiet"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let trials = sb.study("qmc").trials().unwrap();
    assert_eq!(trials.len(), 16);
    // 16 scrambled Sobol points: one in every sixteenth of [0, 1], even with two workers.
    let mut slots: Vec<usize> =
        trials.iter().map(|t| (t.param_values()["x"].as_f64().unwrap() * 16.0) as usize).collect();
    slots.sort_unstable();
    assert_eq!(slots, (0..16).collect::<Vec<_>>());
}

#[test]
fn a_cmaes_study_from_the_config_closes_in_on_the_optimum() {
    let sb = Sandbox::new();
    let body = r#"awk -v x="$FERROTUNE_PARAM_X" -v n="$FERROTUNE_PARAM_N" 'BEGIN { printf "loss=%.9f\n", (x - 0.3) ^ 2 + (n - 4) ^ 2 }'"#;
    let cfg = sb.config("cma", "n_trials = 60\nn_jobs = 2", body);
    let toml = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace(
            "type = \"random\"\nseed = 1",
            "type = \"cmaes\"\nseed = 1\nwith_margin = true\nsigma0 = 0.3\nx0 = { x = 0.5, n = 2 }",
        )
        .replace("[params]\n", "[params]\nn = { type = \"int\", low = 0, high = 9 }\n");
    std::fs::write(&cfg, toml).unwrap();
    let out = sb.run(&["run", cfg.to_str().unwrap(), "--quiet"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let trials = sb.study("cma").trials().unwrap();
    assert_eq!(trials.len(), 60);
    let best = trials.iter().filter_map(|t| t.value()).fold(f64::MAX, f64::min);
    assert!(best < 0.01, "best {best}");
    assert!(
        trials.iter().filter(|t| t.system_attrs.contains_key(ferrotune::samplers::CMAES_GENERATION_ATTR)).count() > 50
    );
}

#[test]
fn a_gp_study_from_the_config_finds_the_optimum_in_few_trials() {
    let sb = Sandbox::new();
    let body = r#"awk -v x="$FERROTUNE_PARAM_X" 'BEGIN { printf "loss=%.9f\n", (x - 0.3) ^ 2 }'"#;
    let cfg = sb.config("gp", "n_trials = 16", body);
    let toml = std::fs::read_to_string(&cfg).unwrap().replace(
        "type = \"random\"\nseed = 1",
        "type = \"gp\"\nseed = 1\nn_startup_trials = 5\ndeterministic_objective = true",
    );
    std::fs::write(&cfg, toml).unwrap();
    let out = sb.run(&["run", cfg.to_str().unwrap(), "--quiet"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let trials = sb.study("gp").trials().unwrap();
    assert_eq!(trials.len(), 16);
    let best = trials.iter().filter_map(|t| t.value()).fold(f64::MAX, f64::min);
    assert!(best < 1e-4, "best {best}");
}

#[test]
fn multi_objective_trials_report_vectors_and_are_pruned() {
    // Two metrics: loss falls and accuracy rises with the epochs, both
    // better for larger x; small x is worse in both, every epoch.
    let sb = Sandbox::new();
    let body = r#"for e in 1 2 3 4 5 6; do
  awk -v x="$FERROTUNE_PARAM_X" -v e=$e 'BEGIN { printf "epoch=%d loss=%.6f acc=%.6f\n", e, (1 - x) / e, x * (1 - 0.5 ^ e) }'
done"#;
    let cfg = sb.config("mo", "n_trials = 16", body);
    let toml = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("direction = \"minimize\"", "directions = [\"minimize\", \"maximize\"]")
        .replace("name = \"loss\"", "names = [\"loss\", \"acc\"]")
        + "\n[pruner]\ntype = \"median\"\nn_startup_trials = 3\nn_warmup_steps = 1\n";
    std::fs::write(&cfg, toml).unwrap();
    let out = sb.run(&["run", cfg.to_str().unwrap(), "--quiet"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let trials = sb.study("mo").trials().unwrap();
    assert_eq!(trials.len(), 16);
    let pruned: Vec<_> = trials.iter().filter(|t| t.state == TrialState::Pruned).collect();
    let complete: Vec<_> = trials.iter().filter(|t| t.state == TrialState::Complete).collect();
    assert!(!pruned.is_empty() && !complete.is_empty(), "{} pruned, {} complete", pruned.len(), complete.len());
    for t in &complete {
        assert_eq!(t.intermediate_vectors.len(), 6, "every epoch reported both metrics");
        assert!(t.intermediate_vectors.values().all(|v| v.len() == 2));
    }
    // The trials stopped are the ones worse in both objectives: small x.
    let x = |t: &ferrotune::FrozenTrial| t.param_values()["x"].as_f64().unwrap();
    let best_pruned = pruned.iter().map(|t| x(t)).fold(f64::NEG_INFINITY, f64::max);
    assert!(best_pruned < complete.iter().map(|t| x(t)).fold(f64::NEG_INFINITY, f64::max));
}

#[test]
fn an_nsga3_study_from_the_config_breeds_from_reference_points() {
    // Three objectives from one program (DTLZ2 in two variables), NSGA-III
    // with its reference points given in the config.
    let sb = Sandbox::new();
    let body = r#"awk -v x="$FERROTUNE_PARAM_X" -v y="$FERROTUNE_PARAM_Y" 'BEGIN {
  h = 3.14159265 / 2; g = (y - 0.5) ^ 2
  printf "epoch=1 f1=%.9f f2=%.9f f3=%.9f\n", (1 + g) * cos(x * h), (1 + g) * sin(x * h) * 0.5, (1 + g) * sin(x * h) * 0.5 + g
}'"#;
    let cfg = sb.config("nsga3", "n_trials = 40\nn_jobs = 2", body);
    let toml = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("direction = \"minimize\"", "directions = [\"minimize\", \"minimize\", \"minimize\"]")
        .replace("name = \"loss\"", "names = [\"f1\", \"f2\", \"f3\"]")
        .replace(
            "type = \"random\"\nseed = 1",
            "type = \"nsga3\"\nseed = 1\npopulation_size = 6\nreference_points = [[1, 0, 0], [0, 1, 0], [0, 0, 1], \
             [0.5, 0.5, 0]]",
        )
        .replace("[params]\n", "[params]\ny = { type = \"float\", low = 0.0, high = 1.0 }\n");
    std::fs::write(&cfg, toml).unwrap();
    let out = sb.run(&["run", cfg.to_str().unwrap(), "--quiet"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let trials = sb.study("nsga3").trials().unwrap();
    assert_eq!(trials.len(), 40);
    assert!(trials.iter().all(|t| t.state == TrialState::Complete && t.values.as_ref().is_some_and(|v| v.len() == 3)));
    let bred = trials.iter().filter(|t| t.system_attrs.contains_key(ferrotune::samplers::NSGA3_GENERATION_ATTR));
    assert!(bred.count() >= 25, "the generations after the random first were bred");
}

#[test]
fn an_nsga2_study_from_the_config_breeds_and_resumes_its_generations() {
    // Two objectives from one program (ZDT1 in two variables), NSGA-II with
    // SBX and polynomial mutation set in the config; run to 24 trials, then
    // resumed to 48 by a second process, which has to rebuild the
    // generations from storage and go on from them.
    let sb = Sandbox::new();
    let body = r#"awk -v x="$FERROTUNE_PARAM_X" -v y="$FERROTUNE_PARAM_Y" 'BEGIN {
  g = 1 + 9 * y
  printf "epoch=1 f1=%.9f f2=%.9f\n", x, g * (1 - sqrt(x / g))
}'"#;
    let cfg = sb.config("nsga2", "n_trials = 24\nn_jobs = 2", body);
    let toml = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("direction = \"minimize\"", "directions = [\"minimize\", \"minimize\"]")
        .replace("name = \"loss\"", "names = [\"f1\", \"f2\"]")
        .replace(
            "type = \"random\"\nseed = 1",
            "type = \"nsga2\"\nseed = 1\npopulation_size = 8\ncrossover = \"sbx\"\neta = 15.0\n\
             mutation = \"polynomial\"",
        )
        .replace("[params]\n", "[params]\ny = { type = \"float\", low = 0.0, high = 1.0 }\n");
    std::fs::write(&cfg, &toml).unwrap();
    let generation = |t: &std::sync::Arc<ferrotune::FrozenTrial>| {
        t.system_attrs.get(ferrotune::samplers::NSGA2_GENERATION_ATTR).map(|tag| tag["generation"].as_u64().unwrap())
    };

    let out = sb.run(&["run", cfg.to_str().unwrap(), "--quiet"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let first = sb.study("nsga2").trials().unwrap();
    assert_eq!(first.len(), 24);
    let last_generation_before = first.iter().filter_map(generation).max().expect("24 trials of 8 bred some");
    assert!(last_generation_before >= 2, "three generations of 8 in 24 trials, got {last_generation_before}");

    std::fs::write(&cfg, toml.replace("n_trials = 24", "n_trials = 48")).unwrap();
    let out = sb.run(&["run", cfg.to_str().unwrap(), "--quiet"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let trials = sb.study("nsga2").trials().unwrap();
    assert_eq!(trials.len(), 48);
    assert!(trials.iter().all(|t| t.state == TrialState::Complete && t.values.as_ref().is_some_and(|v| v.len() == 2)));
    // The resumed process went on from the stored generations, not from a
    // new random first one.
    let resumed = &trials[24..];
    assert!(resumed.iter().all(|t| generation(t).is_some_and(|g| g >= last_generation_before)), "{resumed:?}");
    assert!(trials.iter().filter_map(generation).max().unwrap() >= last_generation_before + 2);
    // Every bred trial names its parents (two when SBX crossed them, one
    // when the child is a mutated copy): complete trials numbered before it.
    let mut crossed = 0;
    for trial in trials.iter().filter(|t| generation(t).is_some()) {
        let tag = &trial.system_attrs[ferrotune::samplers::NSGA2_GENERATION_ATTR];
        let parents: Vec<u64> = tag["parents"].as_array().unwrap().iter().map(|p| p.as_u64().unwrap()).collect();
        assert!((1..=2).contains(&parents.len()), "{tag}");
        crossed += usize::from(parents.len() == 2);
        assert!(parents.iter().all(|&p| p < trial.number && trials[p as usize].state == TrialState::Complete), "{tag}");
    }
    assert!(crossed >= 20, "crossover_prob 0.9 crosses most of the 40 bred trials, {crossed} were");
}

/// `--version` names the version and the commit the binary was built from:
/// this checkout's HEAD when git can tell it, "unknown" otherwise.
#[test]
fn version_names_the_commit_it_was_built_from() {
    let out = Command::new(bin()).arg("--version").output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let head = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map_or_else(|| "unknown".to_owned(), |o| text(&o.stdout).trim().to_owned());
    assert_eq!(text(&out.stdout).trim(), format!("ferrotune {} (commit {head})", env!("CARGO_PKG_VERSION")));
}
