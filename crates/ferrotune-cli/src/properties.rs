//! Property tests for issue 17's "no input panics": arbitrary bytes as
//! program output, arbitrary names, and arbitrary TOML values spliced into
//! a valid config. Each property only asks that the code returns (a value
//! or an error); proptest shrinks any input that panics to a small one.
//!
//! The case counts keep the whole module to a few seconds in CI;
//! `PROPTEST_CASES=100000 cargo test -p ferrotune-cli properties` runs a
//! longer search.

use std::path::Path;

use proptest::prelude::*;

use crate::config::{path_component, placeholders, TuneConfig};
use crate::metrics::MetricParser;
use crate::runner::truncate_text;

/// Names as users write them, and as they should not: ASCII, accented and
/// Greek letters, symbols, braces, quotes, control characters.
fn name() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z_]{1,8}", "[λéüß€a-z0-9{}=:\" .\\-/\\\\]{0,10}", any::<String>(),]
}

/// A line of program output: lossy UTF-8 of arbitrary bytes, or text built
/// around the metric's name so that the parser's inner paths run.
fn line(names: Vec<String>) -> impl Strategy<Value = String> {
    let around = (proptest::sample::select(names), "[=: \"{}λ0-9.eE+\\-naif,]{0,12}", any::<String>())
        .prop_map(|(n, tail, noise)| format!("{noise}{n}{tail}"));
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..200).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        around
    ]
}

/// A TOML value tree of bounded depth.
fn toml_value() -> impl Strategy<Value = toml::Value> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(toml::Value::Integer),
        any::<f64>().prop_map(toml::Value::Float),
        prop_oneof![Just(0.0), Just(1e300), Just(-1e300), Just(f64::INFINITY), Just(f64::NAN), Just(1.5)]
            .prop_map(toml::Value::Float),
        prop_oneof![Just(i64::MIN), Just(i64::MAX), Just(0), Just(-1), Just(1)].prop_map(toml::Value::Integer),
        any::<bool>().prop_map(toml::Value::Boolean),
        name().prop_map(toml::Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(toml::Value::Array),
            proptest::collection::btree_map(name(), inner, 0..4)
                .prop_map(|m| toml::Value::Table(m.into_iter().collect())),
        ]
    })
}

/// A config that parses, as a TOML table, to splice values into.
fn base_config() -> toml::Table {
    let text = r#"
[study]
name = "fuzz"
direction = "minimize"
n_trials = 5
n_jobs = 2
timeout = 10.0
trial_timeout = 5.0
heartbeat_interval = 1.0

[sampler]
type = "tpe"
seed = 1

[pruner]
type = "hyperband"
min_resource = 1
max_resource = 9

[command]
run = ["sh", "-c", "echo loss={x} {args}"]
grace_period = 1.0

[metric]
name = "loss"
step = "epoch"

[params]
x = { type = "float", low = 0.0, high = 1.0 }
n = { type = "int", low = 1, high = 9, step = 2 }
opt = { type = "categorical", choices = ["a", "b"] }
y = { type = "float", low = 1e-3, high = 1.0, log = true, when = { opt = "a" } }

[[enqueue]]
x = 0.5
"#;
    toml::from_str(text).unwrap_or_default()
}

/// The places a value can go: every table and key of the base config,
/// plus the sampler and pruner types' alternatives.
const SPLICE_PATHS: &[&[&str]] = &[
    &["study", "name"],
    &["study", "storage"],
    &["study", "direction"],
    &["study", "directions"],
    &["study", "n_trials"],
    &["study", "n_jobs"],
    &["study", "timeout"],
    &["study", "trial_timeout"],
    &["study", "log_dir"],
    &["study", "tensorboard_dir"],
    &["study", "heartbeat_interval"],
    &["study", "grace_period"],
    &["study", "max_retries"],
    &["sampler"],
    &["sampler", "type"],
    &["sampler", "seed"],
    &["sampler", "values"],
    &["sampler", "x0"],
    &["sampler", "n_startup_trials"],
    &["sampler", "gamma"],
    &["pruner"],
    &["pruner", "type"],
    &["pruner", "min_resource"],
    &["pruner", "max_resource"],
    &["pruner", "reduction_factor"],
    &["pruner", "percentile"],
    &["command", "run"],
    &["command", "workdir"],
    &["command", "env"],
    &["command", "grace_period"],
    &["metric", "name"],
    &["metric", "names"],
    &["metric", "step"],
    &["params"],
    &["params", "x"],
    &["params", "x", "low"],
    &["params", "x", "high"],
    &["params", "x", "step"],
    &["params", "x", "log"],
    &["params", "n", "low"],
    &["params", "n", "high"],
    &["params", "n", "step"],
    &["params", "opt", "choices"],
    &["params", "y", "when"],
    &["params", "y", "when", "opt"],
    &["enqueue"],
];

const SAMPLER_TYPES: &[&str] = &["random", "grid", "qmc", "tpe", "cmaes", "gp", "nsga2", "nsga3", "nope"];
const PRUNER_TYPES: &[&str] =
    &["median", "percentile", "asha", "successive_halving", "hyperband", "threshold", "patient", "wilcoxon", "none"];

fn splice(table: &mut toml::Table, path: &[&str], value: toml::Value) {
    let Some((last, parents)) = path.split_last() else { return };
    let mut at = table;
    for key in parents {
        let entry = at.entry(key.to_string()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if !entry.is_table() {
            *entry = toml::Value::Table(toml::Table::new());
        }
        let toml::Value::Table(next) = entry else { return };
        at = next;
    }
    at.insert(last.to_string(), value);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn metric_parsing_never_panics(
        (names, step, lines) in proptest::collection::vec(name(), 1..3)
            .prop_flat_map(|names| {
                let lines = proptest::collection::vec(line(names.clone()), 1..4);
                (Just(names), proptest::option::of(name()), lines)
            })
    ) {
        let parser = MetricParser::new(names.clone(), step);
        for line in &lines {
            if let Some(found) = parser.parse(line) {
                prop_assert_eq!(found.values.len(), names.len());
            }
        }
    }

    #[test]
    fn text_helpers_never_panic(text in any::<String>(), max in 0usize..50) {
        let cut = truncate_text(&text, max);
        prop_assert!(cut.chars().count() <= max + 40 || cut == text);
        let _ = placeholders(&text);
        let component = path_component(&text);
        prop_assert!(!component.contains('/') && component != ".." && component != ".");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn config_parsing_never_panics_on_spliced_values(
        splices in proptest::collection::vec(
            (proptest::sample::select(SPLICE_PATHS), toml_value()), 1..4),
        sampler in proptest::sample::select(SAMPLER_TYPES),
        pruner in proptest::sample::select(PRUNER_TYPES),
    ) {
        let mut table = base_config();
        splice(&mut table, &["sampler", "type"], toml::Value::String(sampler.into()));
        splice(&mut table, &["pruner", "type"], toml::Value::String(pruner.into()));
        for (path, value) in splices {
            splice(&mut table, path, value);
        }
        // Non-finite floats have no TOML spelling in every position; what
        // cannot be written cannot be a user's file.
        if let Ok(text) = toml::to_string(&table) {
            let _ = TuneConfig::parse(Path::new("/nonexistent/fuzz.toml"), &text);
        }
    }

    #[test]
    fn config_parsing_never_panics_on_arbitrary_text(text in any::<String>()) {
        let _ = TuneConfig::parse(Path::new("fuzz.toml"), &text);
    }
}

#[test]
fn the_base_config_parses() {
    // Otherwise the spliced configs would all fail early and test little.
    let text = toml::to_string(&base_config()).unwrap_or_default();
    let parsed = TuneConfig::parse(Path::new("/nonexistent/fuzz.toml"), &text);
    assert!(parsed.is_ok(), "{:?}", parsed.err());
}
