//! `ferrotune plot` (issue 20): every kind drawn by the real binary from
//! studies made through the library, and the pictures' content checked
//! (marks counted by class, the best trial's number, axis labels, the
//! thinning note), not only that a file appears.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use ferrotune::samplers::RandomSampler;
use ferrotune::{FrozenTrial, Study, StudyDirection, TrialOutcome, TrialState};

fn bin() -> String {
    std::env::var("FERROTUNE_TEST_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_ferrotune").to_owned())
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A categorical label made of XML's special characters: it must come out
/// escaped, never raw.
const HOSTILE: &str = "a<b&\"c'>";

/// A single-objective study: float, log-float, int and categorical
/// parameters, five intermediate values per trial, every fourth trial
/// pruned after two steps, and one failed trial.
fn single_study(url: &str, name: &str, n: u64) {
    let study = Study::builder().name(name).storage_url(url).sampler(RandomSampler::with_seed(3)).create().unwrap();
    for i in 0..n {
        let mut trial = study.ask().unwrap();
        let lr = trial.suggest_float_log("lr", 1e-4, 1e-1).unwrap();
        let layers = trial.suggest_int("layers", 1, 4).unwrap();
        let dropout = trial.suggest_float("dropout", 0.0, 0.5).unwrap();
        let optimizer = trial.suggest_categorical("optimizer", &["adam", "sgd", HOSTILE]).unwrap();
        let penalty = match optimizer {
            "adam" => 0.0,
            "sgd" => 0.3,
            _ => 0.6,
        };
        let value = (lr.log10() + 2.5).powi(2) + 0.1 * layers as f64 + dropout + penalty + 0.05;
        let steps = if i % 4 == 3 { 2 } else { 5 };
        for step in 0..steps {
            trial.report(step, value * (1.0 + 1.0 / (step as f64 + 1.0))).unwrap();
        }
        let outcome = if i == 5 {
            TrialOutcome::Failed("out of memory".into())
        } else if i % 4 == 3 {
            TrialOutcome::Pruned
        } else {
            TrialOutcome::Complete(vec![value])
        };
        study.tell_outcome(trial, outcome).unwrap();
    }
}

/// A study of `n_objectives` objectives (all minimized) over x and y.
fn multi_study(url: &str, name: &str, n_objectives: usize, n: u64) {
    let study = Study::builder()
        .name(name)
        .storage_url(url)
        .directions(vec![StudyDirection::Minimize; n_objectives])
        .sampler(RandomSampler::with_seed(5))
        .create()
        .unwrap();
    for _ in 0..n {
        let mut trial = study.ask().unwrap();
        let x = trial.suggest_float("x", 0.0, 1.0).unwrap();
        let y = trial.suggest_float("y", 0.0, 1.0).unwrap();
        let values: Vec<f64> =
            [x, 1.0 - x * x + 0.3 * y, 0.5 * (x - 0.5).abs() + y].into_iter().take(n_objectives).collect();
        study.tell(trial, values).unwrap();
    }
}

struct Studies {
    _dir: tempfile::TempDir,
    dir: std::path::PathBuf,
    url: String,
}

impl Studies {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_owned();
        let url = format!("sqlite:///{}", path.join("plots.db").display());
        Studies { _dir: dir, dir: path, url }
    }

    fn trials(&self, name: &str) -> Vec<Arc<FrozenTrial>> {
        Study::builder().name(name).storage_url(&self.url).load().unwrap().trials().unwrap()
    }

    /// `ferrotune plot KIND --storage URL --study NAME -o FILE ARGS...`.
    fn plot(&self, kind: &str, study: &str, file: &str, extra: &[&str]) -> (Output, Vec<u8>) {
        let out = self.dir.join(file);
        let mut args = vec!["plot", kind, "--storage", &self.url, "--study", study, "-o"];
        let out_text = out.display().to_string();
        args.push(&out_text);
        args.extend_from_slice(extra);
        let output = Command::new(bin()).args(&args).output().unwrap();
        let bytes = std::fs::read(&out).unwrap_or_default();
        (output, bytes)
    }

    /// The SVG of a plot that must succeed.
    fn svg(&self, kind: &str, study: &str, extra: &[&str]) -> String {
        let file = format!("{study}-{kind}-{}.svg", extra.join("").replace(['/', ',', '-'], ""));
        let (output, bytes) = self.plot(kind, study, &file, extra);
        assert!(output.status.success(), "plot {kind} {extra:?} failed: {}", text(&output.stderr));
        let svg = text(&bytes);
        // Well-formed XML whatever the labels hold.
        roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{kind}: not well-formed: {e}"));
        svg
    }
}

/// The elements whose class is exactly `class`, as (data-number, the
/// element's attributes) pairs.
fn marks(svg: &str, class: &str) -> Vec<std::collections::HashMap<String, String>> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| n.attribute("class") == Some(class))
        .map(|n| n.attributes().map(|a| (a.name().to_owned(), a.value().to_owned())).collect())
        .collect()
}

fn numbers(svg: &str, class: &str) -> Vec<u64> {
    marks(svg, class).iter().map(|m| m["data-number"].parse().unwrap()).collect()
}

/// The values of the ticks of class `tick y-tick` (or x-tick).
fn ticks(svg: &str, axis: &str) -> Vec<f64> {
    marks(svg, &format!("tick {axis}-tick")).iter().filter_map(|m| m["data-value"].parse().ok()).collect()
}

fn texts(svg: &str, class: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| n.attribute("class") == Some(class))
        .filter_map(|n| n.text())
        .map(str::to_owned)
        .collect()
}

fn complete(trials: &[Arc<FrozenTrial>]) -> Vec<&Arc<FrozenTrial>> {
    trials.iter().filter(|t| t.state == TrialState::Complete).collect()
}

/// The number of the best complete trial (lowest first value).
fn best_number(trials: &[Arc<FrozenTrial>], objective: usize) -> u64 {
    complete(trials)
        .into_iter()
        .min_by(|a, b| a.values.as_ref().unwrap()[objective].total_cmp(&b.values.as_ref().unwrap()[objective]))
        .unwrap()
        .number
}

#[test]
fn every_single_objective_kind_is_drawn_with_its_marks() {
    let s = Studies::new();
    single_study(&s.url, "single", 40);
    let trials = s.trials("single");
    let complete_trials = complete(&trials);
    let n_complete = complete_trials.len();
    let best = best_number(&trials, 0);
    let values: Vec<f64> = complete_trials.iter().map(|t| t.values.as_ref().unwrap()[0]).collect();
    let (lo, hi) = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(*v), b.max(*v)));
    assert_eq!(n_complete, 29, "40 trials, 10 pruned, 1 failed");

    // Optimization history: a point per complete trial, the best ringed,
    // y ticks spanning the values.
    let svg = s.svg("optimization-history", "single", &[]);
    assert!(svg.contains("Optimization History Plot"));
    assert_eq!(marks(&svg, "point").len(), n_complete);
    assert_eq!(numbers(&svg, "best"), [best]);
    assert_eq!(marks(&svg, "line").len(), 1, "the best-so-far line");
    let y = ticks(&svg, "y");
    let range = hi - lo;
    assert!(y.len() >= 3, "{y:?}");
    assert!(y.iter().all(|v| *v >= lo - 0.2 * range && *v <= hi + 0.2 * range), "{y:?} for [{lo}, {hi}]");
    assert!(y.iter().any(|v| *v <= lo + 0.3 * range) && y.iter().any(|v| *v >= hi - 0.3 * range), "{y:?}");
    let x = ticks(&svg, "x");
    assert!(x.first().unwrap() <= &5.0 && x.last().unwrap() >= &30.0, "trial numbers 0 to 39: {x:?}");
    assert!(texts(&svg, "subtitle").iter().any(|t| t == "29 trials"));

    // Parallel coordinates: a line per complete trial, the best drawn over.
    let svg = s.svg("parallel-coordinate", "single", &[]);
    assert!(svg.contains("Parallel Coordinate Plot"));
    assert_eq!(marks(&svg, "line").len(), n_complete);
    assert_eq!(numbers(&svg, "best"), [best]);
    assert!(svg.contains("a&lt;b&amp;&quot;c&apos;&gt;"), "the categorical label, escaped");
    assert!(!svg.contains(HOSTILE));

    // Slice: a panel per parameter, each with every complete trial.
    let svg = s.svg("slice", "single", &[]);
    assert!(svg.contains("Slice Plot"));
    assert_eq!(marks(&svg, "point").len(), 4 * n_complete);
    assert_eq!(numbers(&svg, "best"), [best; 4]);
    // The log parameter's panel has power-of-ten ticks.
    assert!(svg.contains("data-value=\"1e-4\"") && svg.contains("data-value=\"0.01\""), "lr's log ticks");

    // Contour of one pair: filled cells and the trials.
    let svg = s.svg("contour", "single", &["--params", "lr,dropout"]);
    assert!(svg.contains("Contour Plot"));
    let cells = marks(&svg, "cell").len();
    assert!(cells > 100 && cells <= 40 * 40, "{cells} cells");
    assert_eq!(marks(&svg, "point").len(), n_complete);
    assert_eq!(numbers(&svg, "best"), [best]);
    assert_eq!(marks(&svg, "panel").len(), 1);
    // Every pair of the four parameters: a matrix of six panels.
    let svg = s.svg("contour", "single", &[]);
    assert_eq!(marks(&svg, "panel").len(), 6);
    assert_eq!(marks(&svg, "point").len(), 6 * n_complete);
    // The bottom row's and left column's axis titles name every parameter.
    let mut titled: Vec<String> = texts(&svg, "axis-title x-title");
    titled.extend(texts(&svg, "axis-title y-title"));
    titled.sort();
    titled.dedup();
    assert_eq!(titled, ["dropout", "layers", "lr", "optimizer"]);

    // Importances: a bar per parameter, the categorical one on top.
    let svg = s.svg("param-importances", "single", &[]);
    assert!(svg.contains("Hyperparameter Importances"));
    let bars = marks(&svg, "bar");
    assert_eq!(bars.len(), 4);
    let mut params: Vec<&str> = bars.iter().map(|b| b["data-param"].as_str()).collect();
    params.sort();
    assert_eq!(params, ["dropout", "layers", "lr", "optimizer"]);
    let total: f64 = bars.iter().map(|b| b["data-importance"].parse::<f64>().unwrap()).sum();
    assert!((total - 1.0).abs() < 1e-6, "importances sum to one: {total}");
    for evaluator in ["fanova", "mdi"] {
        let svg = s.svg("param-importances", "single", &["--evaluator", evaluator]);
        assert_eq!(marks(&svg, "bar").len(), 4, "{evaluator}");
    }

    // Intermediate values: a curve per trial that reported, pruned ones
    // apart, the best drawn over.
    let svg = s.svg("intermediate-values", "single", &[]);
    assert!(svg.contains("Intermediate Values Plot"));
    let curves = marks(&svg, "curve");
    assert_eq!(curves.len(), 40);
    assert_eq!(curves.iter().filter(|c| c["data-state"] == "pruned").count(), 10);
    assert_eq!(curves.iter().filter(|c| c["data-state"] == "complete").count(), 29);
    assert!(curves.iter().filter(|c| c["data-state"] == "pruned").all(|c| c["data-points"] == "2"));
    assert_eq!(numbers(&svg, "best"), [best]);
    let legend = texts(&svg, "legend-label");
    assert!(legend.contains(&"Complete".to_owned()) && legend.contains(&"Pruned".to_owned()), "{legend:?}");

    // Timeline: a bar per trial, by state, with the cost.
    let svg = s.svg("timeline", "single", &[]);
    assert!(svg.contains("Timeline Plot"));
    let bars = marks(&svg, "bar");
    assert_eq!(bars.len(), 40);
    assert_eq!(bars.iter().filter(|b| b["data-state"] == "failed").count(), 1);
    assert_eq!(bars.iter().filter(|b| b["data-state"] == "pruned").count(), 10);
    assert!(texts(&svg, "subtitle").iter().any(|t| t.starts_with("compute ")), "{:?}", texts(&svg, "subtitle"));

    // EDF: one step line through every complete trial's value.
    let svg = s.svg("edf", "single", &[]);
    assert!(svg.contains("Empirical Distribution Function Plot"));
    let lines = marks(&svg, "line");
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["data-points"], n_complete.to_string());

    // Rank: every pair of parameters, trials coloured by rank.
    let svg = s.svg("rank", "single", &["--params", "lr,layers"]);
    assert!(svg.contains("Rank (Objective Value)"));
    assert_eq!(marks(&svg, "point").len(), n_complete);
    assert_eq!(numbers(&svg, "best"), [best]);
    let svg = s.svg("rank", "single", &[]);
    assert_eq!(marks(&svg, "point").len(), 6 * n_complete);
}

#[test]
fn multi_objective_studies_draw_their_fronts() {
    let s = Studies::new();
    multi_study(&s.url, "two", 2, 30);
    multi_study(&s.url, "three", 3, 30);
    let two = Study::builder().name("two").storage_url(&s.url).load().unwrap();
    let mut front: Vec<u64> = two.best_trials().unwrap().iter().map(|t| t.number).collect();
    front.sort();

    let svg = s.svg("pareto-front", "two", &[]);
    assert!(svg.contains("Pareto-front Plot"));
    let points = marks(&svg, "point");
    assert_eq!(points.len(), 30);
    let mut on_front: Vec<u64> =
        points.iter().filter(|p| p["data-front"] == "true").map(|p| p["data-number"].parse().unwrap()).collect();
    on_front.sort();
    assert_eq!(on_front, front);
    assert_eq!(marks(&svg, "front").len(), 1, "the front's staircase");
    // x is objective 0, in [0, 1].
    let x = ticks(&svg, "x");
    assert!(x.iter().all(|v| (-0.1..=1.1).contains(v)), "{x:?}");

    // Three objectives: three pairwise panels.
    let svg = s.svg("pareto-front", "three", &[]);
    assert_eq!(marks(&svg, "panel").len(), 3);
    assert_eq!(marks(&svg, "point").len(), 3 * 30);
    let svg = s.svg("pareto-front", "three", &["--objectives", "0,2"]);
    assert_eq!(marks(&svg, "panel").len(), 1);

    // Hypervolume: a step line and a point where it changed.
    let svg = s.svg("hypervolume-history", "two", &["--reference-point", "1.5,1.5"]);
    assert!(svg.contains("Hypervolume History Plot"));
    assert_eq!(marks(&svg, "line").len(), 1);
    assert!(!marks(&svg, "point").is_empty());
    assert!(texts(&svg, "subtitle").iter().any(|t| t.contains("reference point (1.5, 1.5)")));
    let svg = s.svg("hypervolume-history", "three", &[]);
    assert_eq!(marks(&svg, "line").len(), 1);

    // One value of several: --target-objective, or a clear refusal.
    let (output, _) = s.plot("optimization-history", "two", "refused.svg", &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("--target-objective"), "{}", text(&output.stderr));
    let trials = s.trials("two");
    let svg = s.svg("optimization-history", "two", &["--target-objective", "1"]);
    assert_eq!(marks(&svg, "point").len(), 30);
    assert_eq!(numbers(&svg, "best"), [best_number(&trials, 1)]);
    assert!(texts(&svg, "axis-title y-title").contains(&"Objective 1".to_owned()));
    let (output, _) = s.plot("slice", "two", "bad.svg", &["--target-objective", "2"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("--target-objective 2"), "{}", text(&output.stderr));
    // Importances judge every objective: a panel of bars each.
    let svg = s.svg("param-importances", "two", &[]);
    assert_eq!(marks(&svg, "bar").len(), 4);
}

#[test]
fn png_and_html_and_stdout() {
    let s = Studies::new();
    single_study(&s.url, "single", 12);
    let (output, png) = s.plot("optimization-history", "single", "h.png", &["--width", "640", "--height", "400"]);
    if cfg!(feature = "png") {
        assert!(output.status.success(), "{}", text(&output.stderr));
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
        assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 640);
        assert_eq!(u32::from_be_bytes(png[20..24].try_into().unwrap()), 400);
    } else {
        assert_eq!(output.status.code(), Some(1));
        assert!(text(&output.stderr).contains("`png` feature"), "{}", text(&output.stderr));
    }

    let (output, html) = s.plot("slice", "single", "s.html", &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let html = text(&html);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<title>Slice Plot</title>") && html.contains("<svg xmlns="));
    // Self-contained: no scripts, nothing fetched (the one URL is the SVG namespace).
    assert!(!html.contains("<script"));
    assert_eq!(html.matches("http").count(), html.matches("http://www.w3.org/2000/svg").count());
    // The tooltips: trial and value.
    assert!(html.contains("<title>Trial 0: "));

    // --format overrides the extension; `-o -` writes to standard output.
    let (output, bytes) = s.plot("edf", "single", "e.out", &["--format", "html"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&bytes).starts_with("<!DOCTYPE html>"));
    let output = Command::new(bin())
        .args(["plot", "edf", "--storage", &s.url, "--study", "single", "-o", "-"])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(text(&output.stdout).starts_with("<svg xmlns="));
}

#[test]
fn bad_arguments_exit_2_naming_the_flag() {
    let s = Studies::new();
    single_study(&s.url, "single", 8);
    let check = |kind: &str, file: &str, extra: &[&str], needle: &str| {
        let (output, _) = s.plot(kind, "single", file, extra);
        assert_eq!(output.status.code(), Some(2), "{kind} {extra:?}: {}", text(&output.stderr));
        let stderr = text(&output.stderr);
        assert!(stderr.contains(needle), "{kind} {extra:?}: {stderr}");
    };
    check("histogram", "x.svg", &[], "optimization-history, parallel-coordinate");
    check("slice", "x.svg", &["--params", "lr,momentum"], "--params");
    check("slice", "x.jpg", &[], "--output");
    check("slice", "x.svg", &["--format", "gif"], "--format");
    check("param-importances", "x.svg", &["--evaluator", "shap"], "--evaluator");
    check("pareto-front", "x.svg", &[], "two objectives");
    check("slice", "x.svg", &["--width", "10"], "--width");
    let (output, _) = Command::new(bin()).args(["plot", "slice", "-o", "x.svg"]).output().map(|o| (o, ())).unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("--config"));
}

#[test]
fn log_value_axis() {
    let s = Studies::new();
    single_study(&s.url, "single", 20);
    let svg = s.svg("optimization-history", "single", &["--log"]);
    // Values between about 0.1 and 3: ticks at 1-2-5 steps or powers of ten.
    let y = ticks(&svg, "y");
    assert!(y.len() >= 2, "{y:?}");
    for v in &y {
        let mantissa = v / 10f64.powf(v.log10().floor());
        assert!([1.0, 2.0, 5.0].iter().any(|m| (mantissa - m).abs() < 1e-9), "log tick {v} in {y:?}");
    }
    // Negative values cannot be drawn on a log axis.
    let study = Study::builder().name("signed").storage_url(&s.url).create().unwrap();
    for v in [-1.0, 2.0] {
        let trial = study.ask().unwrap();
        study.tell(trial, v).unwrap();
    }
    let (output, _) = s.plot("optimization-history", "signed", "neg.svg", &["--log"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("--log"), "{}", text(&output.stderr));
}

#[test]
fn empty_and_config_studies() {
    // A study with no complete trial: a picture that says so.
    let s = Studies::new();
    let study = Study::builder().name("empty").storage_url(&s.url).create().unwrap();
    let trial = study.ask().unwrap();
    study.tell_outcome(trial, TrialOutcome::Failed("crashed".into())).unwrap();
    for kind in ["optimization-history", "edf", "parallel-coordinate", "intermediate-values"] {
        let svg = s.svg(kind, "empty", &[]);
        assert!(!texts(&svg, "empty").is_empty(), "{kind}: {svg}");
    }
    let svg = s.svg("timeline", "empty", &[]);
    assert_eq!(marks(&svg, "bar").len(), 1, "the failed trial ran");

    // -c TUNE.TOML: the study and the metric's name from the config.
    let dir = &s.dir;
    let db = dir.join("cfg.db");
    single_study(&format!("sqlite:///{}", db.display()), "cfg", 10);
    let config = dir.join("tune.toml");
    std::fs::write(
        &config,
        format!(
            "[study]\nname = \"cfg\"\nstorage = \"sqlite:///{}\"\ndirection = \"minimize\"\n\n[command]\nrun = [\"true\"]\n\n\
             [metric]\nname = \"val_loss\"\n\n[params]\nlr = {{ type = \"float\", low = 0.0001, high = 0.1, log = true }}\n",
            db.display()
        ),
    )
    .unwrap();
    let out = dir.join("cfg.svg");
    let output = Command::new(bin())
        .args(["plot", "history", "-c", &config.display().to_string(), "-o", &out.display().to_string()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let svg = std::fs::read_to_string(&out).unwrap();
    assert!(texts(&svg, "axis-title y-title").contains(&"val_loss".to_owned()), "the metric names the axis");
}

#[test]
fn large_studies_are_thinned_and_say_so() {
    let s = Studies::new();
    let study = Study::builder().name("big").storage_url(&s.url).sampler(RandomSampler::with_seed(9)).create().unwrap();
    study
        .optimize(5000, |trial| {
            let x = trial.suggest_float("x", -3.0, 3.0)?;
            let y = trial.suggest_int("y", 0, 9)?;
            Ok(x * x + 0.01 * y as f64)
        })
        .unwrap();
    let trials = s.trials("big");
    let best = best_number(&trials, 0);
    let svg = s.svg("optimization-history", "big", &["--max-points", "500"]);
    let n = marks(&svg, "point").len();
    assert!((100..=500).contains(&n), "{n} points");
    assert!(texts(&svg, "subtitle").iter().any(|t| t.ends_with(" of 5,000 trials") && t.starts_with("showing ")));
    assert_eq!(numbers(&svg, "best"), [best]);
    // The default limit.
    let svg = s.svg("slice", "big", &[]);
    assert!(marks(&svg, "point").len() <= 2 * 2000);
    assert!(texts(&svg, "subtitle").iter().any(|t| t.contains("of 5,000")));
    let svg = s.svg("timeline", "big", &["--max-points", "300"]);
    assert!(marks(&svg, "bar").len() <= 300 * 5);
    assert!(texts(&svg, "subtitle").iter().any(|t| t.contains("of 5,000")));
    let svg = s.svg("contour", "big", &["--max-points", "200"]);
    assert!(marks(&svg, "point").len() <= 200);
    assert_eq!(numbers(&svg, "best"), [best]);
    let svg = s.svg("parallel-coordinate", "big", &["--max-points", "200"]);
    assert!(marks(&svg, "line").len() <= 200);
    assert!(svg.len() < 400_000, "{} bytes", svg.len());
}

/// The bundled digits-mlp config as it is (maximize val_accuracy, TPE,
/// median pruning, log ints, conditional layers, categorical batch sizes),
/// with a stand-in for the network that prints 20 epochs in a moment:
/// every kind from `-c tune.toml`, as a user of the example would.
#[test]
fn digits_mlp_config_every_kind() {
    let dir = tempfile::tempdir().unwrap();
    let original =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/digits-mlp/tune.toml"))
            .unwrap();
    let run_line = original.lines().find(|l| l.starts_with("run = ")).expect("the example's run line");
    let config = original.replace(run_line, r#"run = ["sh", "fake-mlp.sh"]"#);
    std::fs::write(dir.path().join("tune.toml"), config).unwrap();
    std::fs::write(
        dir.path().join("fake-mlp.sh"),
        r#"#!/bin/sh
awk -v lr="$FERROTUNE_PARAM_LR" -v layers="$FERROTUNE_PARAM_N_LAYERS" -v drop="$FERROTUNE_PARAM_DROPOUT" -v opt="$FERROTUNE_PARAM_OPTIMIZER" 'BEGIN {
  top = 0.98 - 0.05 * (log(lr) / log(10) + 2) ^ 2 - 0.02 * drop - (opt == "sgd" ? 0.03 : 0) - 0.01 * layers;
  for (e = 0; e < 20; e++) { printf "epoch=%d val_accuracy=%.5f\n", e, top * (1 - exp(-(e + 1) / 4)); fflush(); system("sleep 0.01") }
}'
"#,
    )
    .unwrap();
    let run = |args: &[&str]| Command::new(bin()).args(args).current_dir(dir.path()).output().unwrap();
    let output = run(&["run", "tune.toml", "--n-trials", "16", "--quiet"]);
    assert!(output.status.success(), "{}", text(&output.stderr));

    let url = format!("sqlite:///{}", dir.path().join("digits-mlp.db").display());
    let trials = Study::builder().name("digits-mlp").storage_url(&url).load().unwrap().trials().unwrap();
    let complete_trials = complete(&trials);
    let best = complete_trials
        .iter()
        .max_by(|a, b| a.values.as_ref().unwrap()[0].total_cmp(&b.values.as_ref().unwrap()[0]))
        .unwrap()
        .number;
    let params: std::collections::BTreeSet<&str> =
        complete_trials.iter().flat_map(|t| t.params.keys().map(String::as_str)).collect();
    let with = |p: &str| complete_trials.iter().filter(|t| t.params.contains_key(p)).count();

    let plot = |kind: &str, file: &str, extra: &[&str]| -> String {
        let mut args = vec!["plot", kind, "-c", "tune.toml", "-o", file];
        args.extend_from_slice(extra);
        let output = run(&args);
        assert!(output.status.success(), "{kind}: {}", text(&output.stderr));
        let bytes = std::fs::read(dir.path().join(file)).unwrap();
        if file.ends_with(".png") {
            assert_eq!(&bytes[..4], b"\x89PNG");
            return String::new();
        }
        let svg = text(&bytes);
        if file.ends_with(".html") {
            assert!(svg.starts_with("<!DOCTYPE html>") && svg.contains("<svg xmlns="));
            return svg;
        }
        roxmltree::Document::parse(&svg).unwrap();
        svg
    };
    // Maximized: the best is the highest, and the metric names the axis.
    let svg = plot("optimization-history", "history.svg", &[]);
    assert_eq!(marks(&svg, "point").len(), complete_trials.len());
    assert_eq!(numbers(&svg, "best"), [best]);
    assert!(texts(&svg, "axis-title y-title").contains(&"val_accuracy".to_owned()));
    let svg = plot("slice", "slice.svg", &[]);
    assert_eq!(marks(&svg, "point").len(), params.iter().map(|p| with(p)).sum::<usize>());
    let svg = plot("contour", "contour.svg", &["--params", "lr,dropout"]);
    assert_eq!(marks(&svg, "point").len(), complete_trials.len());
    assert_eq!(numbers(&svg, "best"), [best]);
    let svg = plot("param-importances", "importances.svg", &[]);
    assert!(!marks(&svg, "bar").is_empty());
    let svg = plot("intermediate-values", "curves.svg", &[]);
    let pruned = trials.iter().filter(|t| t.state == TrialState::Pruned).count();
    eprintln!("{} trials: {} complete, {pruned} pruned", trials.len(), complete_trials.len());
    assert_eq!(marks(&svg, "curve").iter().filter(|c| c["data-state"] == "pruned").count(), pruned);
    let reported = trials.iter().filter(|t| !t.intermediate_values.is_empty()).count();
    assert_eq!(marks(&svg, "curve").len(), reported);
    let svg = plot("timeline", "timeline.svg", &[]);
    assert_eq!(marks(&svg, "bar").len(), trials.len());
    let svg = plot("edf", "edf.svg", &[]);
    assert_eq!(marks(&svg, "line")[0]["data-points"], complete_trials.len().to_string());
    let svg = plot("rank", "rank.svg", &["--params", "lr,n_layers"]);
    assert_eq!(numbers(&svg, "best"), [best]);
    let svg = plot("parallel-coordinate", "parallel.svg", &["--params", "lr,batch_size,dropout,optimizer"]);
    assert_eq!(marks(&svg, "line").len(), complete_trials.len());
    assert_eq!(numbers(&svg, "best"), [best]);
    if cfg!(feature = "png") {
        plot("contour", "contour.png", &[]);
    }
    plot("slice", "slice.html", &[]);
}
