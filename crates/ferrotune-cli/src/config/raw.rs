//! The config file as written: strict serde structs (unknown keys are
//! errors), before any check of what the values mean.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    pub(super) study: RawStudy,
    #[serde(default)]
    pub(super) sampler: Option<toml::Table>,
    #[serde(default)]
    pub(super) pruner: Option<toml::Table>,
    pub(super) command: RawCommand,
    pub(super) metric: RawMetric,
    pub(super) params: toml::Table,
    #[serde(default)]
    pub(super) enqueue: Vec<toml::Table>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStudy {
    pub(super) name: String,
    pub(super) storage: Option<String>,
    pub(super) direction: Option<String>,
    pub(super) directions: Option<Vec<String>>,
    pub(super) n_trials: Option<u64>,
    #[serde(default = "one")]
    pub(super) n_jobs: u64,
    pub(super) timeout: Option<f64>,
    pub(super) trial_timeout: Option<f64>,
    pub(super) log_dir: Option<String>,
    pub(super) tensorboard_dir: Option<String>,
    pub(super) heartbeat_interval: Option<f64>,
    pub(super) grace_period: Option<f64>,
    pub(super) max_retries: Option<u64>,
}

fn one() -> u64 {
    1
}

/// `run = "shell string"` or `run = ["program", "arg", ...]`.
pub(super) enum RawRun {
    Shell(String),
    Args(Vec<String>),
}

impl<'de> Deserialize<'de> for RawRun {
    // By hand rather than `#[serde(untagged)]`, whose error ("data did not
    // match any variant of untagged enum RawRun") names our type, not the
    // user's mistake.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match toml::Value::deserialize(deserializer)? {
            toml::Value::String(s) => Ok(RawRun::Shell(s)),
            toml::Value::Array(items) => items
                .into_iter()
                .map(|item| match item {
                    toml::Value::String(s) => Ok(s),
                    other => Err(serde::de::Error::custom(format!(
                        "every element of run must be a string, got {other} (quote numbers: \"{other}\")"
                    ))),
                })
                .collect::<Result<_, _>>()
                .map(RawRun::Args),
            other => Err(serde::de::Error::custom(format!(
                "run must be a string (run through sh) or a list of strings (program and arguments), got {}",
                other.type_str()
            ))),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCommand {
    pub(super) run: RawRun,
    pub(super) workdir: Option<String>,
    #[serde(default)]
    pub(super) env: BTreeMap<String, String>,
    #[serde(default = "default_grace")]
    pub(super) grace_period: f64,
}

fn default_grace() -> f64 {
    5.0
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMetric {
    pub(super) name: Option<String>,
    pub(super) names: Option<Vec<String>>,
    pub(super) step: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawParam {
    #[serde(rename = "type")]
    pub(super) kind: String,
    pub(super) low: Option<toml::Value>,
    pub(super) high: Option<toml::Value>,
    #[serde(default)]
    pub(super) log: bool,
    pub(super) step: Option<toml::Value>,
    pub(super) choices: Option<Vec<toml::Value>>,
    pub(super) when: Option<toml::Table>,
}
