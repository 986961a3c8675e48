//! What `run` shows while it works: a progress bar on a terminal, a line
//! per trial when output is a log, JSON lines for scripts, or nothing.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ferrotune::{FrozenTrial, Study, TrialState, RETRY_OF_ATTR};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::config::TuneConfig;
use crate::output::{errln, outln};
use crate::runner::{counts_as_done, done_count, OutputMode};

#[cfg(test)]
mod tests {
    #[test]
    fn compact_keeps_four_significant_digits() {
        assert_eq!(super::compact(0.07341314889492151), "0.07341");
        assert_eq!(super::compact(0.9861), "0.9861");
        assert_eq!(super::compact(128.0), "128");
        assert_eq!(super::compact(3.0e-5), "3.000e-5");
        assert_eq!(super::compact(-2.5), "-2.5");
    }
}

#[derive(Default)]
struct Counts {
    complete: u64,
    pruned: u64,
    failed: u64,
    best: Option<String>,
}

/// Progress reporting for one `run`.
pub struct Progress {
    mode: OutputMode,
    bar: Option<ProgressBar>,
    target: Option<u64>,
    already_done: u64,
    running: AtomicU64,
    told_stdout_closed: AtomicBool,
    counts: Mutex<Counts>,
    metric_names: Vec<String>,
    started: Instant,
}

/// Parameters for humans: floats to 4 significant digits (the stored
/// values keep full precision; `best` and `export` show them).
pub fn format_params(trial: &FrozenTrial) -> String {
    trial
        .param_values()
        .iter()
        .map(|(k, v)| match v {
            ferrotune::ParamValue::Float(f) => format!("{k}={}", compact(*f)),
            ferrotune::ParamValue::Str(s) => format!("{k}={s}"),
            other => format!("{k}={other}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A float to 4 significant digits, without trailing zeros.
pub fn compact(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return v.to_string();
    }
    if (1e-3..1e5).contains(&v.abs()) {
        let decimals = (3 - v.abs().log10().floor() as i32).max(0) as usize;
        let s = format!("{v:.decimals$}");
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_owned()
        } else {
            s
        }
    } else {
        format!("{v:.3e}")
    }
}

fn format_duration(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, s / 60 % 60)
    } else if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

impl Progress {
    pub fn new(mode: OutputMode, target: Option<u64>, already_done: u64, config: &TuneConfig) -> Self {
        let bar = (mode == OutputMode::Human && std::io::stderr().is_terminal()).then(|| {
            let bar = match target {
                Some(t) => ProgressBar::new(t),
                None => ProgressBar::no_length(),
            };
            bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(4));
            bar.set_style(
                ProgressStyle::with_template("{elapsed_precise} [{bar:28}] {pos}/{len} trials, ETA {eta}  {wide_msg}")
                    // A fixed template; if indicatif ever rejects it, a plain bar.
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar.set_position(already_done);
            bar.enable_steady_tick(Duration::from_millis(250));
            bar
        });
        Progress {
            mode,
            bar,
            target,
            already_done,
            running: AtomicU64::new(0),
            told_stdout_closed: AtomicBool::new(false),
            counts: Mutex::new(Counts::default()),
            metric_names: config.metric_names.clone(),
            started: Instant::now(),
        }
    }

    /// A line of information (not shown in quiet or JSON mode).
    pub fn note(&self, message: &str) {
        match (&self.bar, self.mode) {
            (Some(bar), _) => bar.println(message),
            (None, OutputMode::Human) => errln!("{message}"),
            _ => {}
        }
    }

    /// The objective's name in a single-objective study.
    fn first_metric(&self) -> &str {
        self.metric_names.first().map_or("value", String::as_str)
    }

    pub fn trial_started(&self) {
        self.running.fetch_add(1, Ordering::SeqCst);
        self.refresh();
    }

    pub fn trial_stopped(&self) {
        self.running.fetch_sub(1, Ordering::SeqCst);
        self.refresh();
    }

    fn refresh(&self) {
        let Some(bar) = &self.bar else { return };
        let c = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let best = c.best.as_deref().map(|b| format!(" | best {b}")).unwrap_or_default();
        bar.set_message(format!(
            "running {} | pruned {} | failed {}{best}",
            self.running.load(Ordering::SeqCst),
            c.pruned,
            c.failed
        ));
    }

    fn describe_best(&self, study: &Study) -> Option<String> {
        if study.directions().len() == 1 {
            let best = study.best_trial().ok()?;
            Some(format!("{}={} (trial {}: {})", self.first_metric(), best.value()?, best.number, format_params(&best)))
        } else {
            let front = study.best_trials().ok()?;
            (!front.is_empty()).then(|| format!("{} trial(s) on the Pareto front", front.len()))
        }
    }

    pub fn trial_finished(&self, study: &Study, trial: &FrozenTrial) {
        let best = self.describe_best(study);
        {
            let mut c = self.counts.lock().unwrap_or_else(|p| p.into_inner());
            match trial.state {
                TrialState::Complete => c.complete += 1,
                TrialState::Pruned => c.pruned += 1,
                _ if counts_as_done(trial) => c.failed += 1,
                _ => {}
            }
            c.best = best;
        }
        let value = trial.values.as_ref().map(|v| v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", "));
        let line = match trial.state {
            TrialState::Complete => format!(
                "trial {} complete: {} = {}  {}",
                trial.number,
                self.metric_names.join(", "),
                value.unwrap_or_default(),
                format_params(trial)
            ),
            TrialState::Pruned => format!(
                "trial {} pruned at step {}  {}",
                trial.number,
                trial.last_intermediate().map_or(0, |(s, _)| s),
                format_params(trial)
            ),
            _ => format!("trial {} failed: {}", trial.number, trial.fail_reason().unwrap_or("unknown reason")),
        };
        match self.mode {
            OutputMode::Json => {
                outln!("{}", trial_json(trial, "trial"));
                if crate::output::stdout_closed() && !self.told_stdout_closed.swap(true, Ordering::SeqCst) {
                    errln!(
                        "standard output was closed; the study goes on, and its trials are stored (ferrotune trials)"
                    );
                }
            }
            OutputMode::Quiet => {}
            OutputMode::Human => match &self.bar {
                Some(bar) => {
                    if trial.state == TrialState::Failed {
                        bar.println(line);
                    }
                    if counts_as_done(trial) {
                        bar.inc(1);
                    }
                }
                None => errln!("{line}"),
            },
        }
        self.refresh();
    }

    /// Final summary: counts, time, best trial(s).
    pub fn finish(&self, study: &Study) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        let c = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let trials = study.trials().unwrap_or_default();
        let done = done_count(&trials);
        let elapsed = format_duration(self.started.elapsed());
        if self.mode == OutputMode::Json {
            let best: Vec<serde_json::Value> = match study.directions().len() {
                1 => study.best_trial().ok().map(|t| trial_json(&t, "best")).into_iter().collect(),
                _ => study.best_trials().unwrap_or_default().iter().map(|t| trial_json(t, "best")).collect(),
            };
            let summary = serde_json::json!({
                "event": "summary",
                "study": study.name(),
                "trials_done": done,
                "this_run": {"complete": c.complete, "pruned": c.pruned, "failed": c.failed},
                "elapsed_s": self.started.elapsed().as_secs_f64(),
                "best": best,
            });
            outln!("{summary}");
            return;
        }
        let target = self.target.map(|t| format!("/{t}")).unwrap_or_default();
        outln!(
            "study '{}': {done}{target} trials done ({} before this run); this run: {} complete, {} pruned, {} failed in {elapsed}",
            study.name(),
            self.already_done,
            c.complete,
            c.pruned,
            c.failed
        );
        if study.directions().len() == 1 {
            match study.best_trial() {
                Ok(best) => {
                    outln!(
                        "best trial {}: {} = {}",
                        best.number,
                        self.first_metric(),
                        best.value().unwrap_or(f64::NAN)
                    );
                    for (name, value) in best.param_values() {
                        outln!("  {name} = {value}");
                    }
                }
                Err(ferrotune::Error::NoCompletedTrials(_)) => outln!("no trial has completed yet"),
                Err(e) => outln!("no best trial: {e}"),
            }
            // Hand-picked trials are the baseline tuning is measured against
            // (a dead worker's retry is enqueued too, but picked by no one).
            let hand_picked = |t: &&std::sync::Arc<FrozenTrial>| {
                t.is_enqueued() && !t.system_attrs.contains_key(RETRY_OF_ATTR) && t.state == TrialState::Complete
            };
            for t in trials.iter().filter(hand_picked).take(3) {
                outln!(
                    "hand-picked trial {}: {} = {}  {}",
                    t.number,
                    self.first_metric(),
                    t.value().unwrap_or(f64::NAN),
                    format_params(t)
                );
            }
        } else {
            let front = study.best_trials().unwrap_or_default();
            outln!("Pareto front: {} trial(s)", front.len());
            for t in front {
                outln!("  trial {}: {:?}  {}", t.number, t.values.as_deref().unwrap_or_default(), format_params(&t));
            }
        }
    }
}

/// A value as JSON: a number when finite, else the string `"inf"`,
/// `"-inf"` or `"nan"`. JSON has no infinity, and serde writes one as
/// `null`, which would make a complete trial with an infinite value (a
/// diverged run, as in Optuna) look like one without a value.
pub fn float_json(v: f64) -> serde_json::Value {
    if v.is_finite() {
        serde_json::json!(v)
    } else {
        serde_json::Value::from(v.to_string().to_lowercase())
    }
}

/// A trial as one JSON object (for `--json` and `trials --format json`).
pub fn trial_json(t: &FrozenTrial, event: &str) -> serde_json::Value {
    let mut obj = serde_json::json!({
        "number": t.number,
        "state": t.state.as_str(),
        "values": t.values.as_ref().map(|v| v.iter().copied().map(float_json).collect::<Vec<_>>()),
        "params": t.param_values(),
        "intermediate_values": t.intermediate_values.iter().map(|(s, v)| (s.to_string(), float_json(*v))).collect::<serde_json::Map<_, _>>(),
        "user_attrs": t.user_attrs,
        "duration_s": t.duration_secs(),
    });
    if let Some(map) = obj.as_object_mut() {
        if let Some(reason) = t.fail_reason() {
            map.insert("fail_reason".into(), reason.into());
        }
        if !event.is_empty() {
            map.insert("event".into(), event.into());
        }
    }
    obj
}
