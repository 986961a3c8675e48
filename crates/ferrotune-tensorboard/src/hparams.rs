//! The messages TensorBoard's HPARAMS tab reads, as bytes: the experiment
//! (every hyperparameter's domain and the metrics), a trial's session start
//! (its hyperparameter values) and end (its status), and the metric scalars,
//! each wrapped in a `Summary` inside an `Event`.
//!
//! Field numbers are those of TensorFlow's `event.proto`, `summary.proto`,
//! `tensor.proto` and the hparams plugin's `api.proto` / `plugin_data.proto`.

use ferrotune_core::{Distribution, ParamValue};

use crate::proto::Message;

/// The first record of every event file: the format's version.
const FILE_VERSION: &str = "brain.Event:2";
const PLUGIN_NAME: &str = "hparams";
const PLUGIN_DATA_VERSION: i64 = 0;
const EXPERIMENT_TAG: &str = "_hparams_/experiment";
const SESSION_START_TAG: &str = "_hparams_/session_start_info";
const SESSION_END_TAG: &str = "_hparams_/session_end_info";

/// `SummaryMetadata.DataClass`.
const DATA_CLASS_SCALAR: i64 = 1;
const DATA_CLASS_TENSOR: i64 = 2;
/// `DataType` of `TensorProto`.
const DT_FLOAT: i64 = 1;
const DT_DOUBLE: i64 = 2;

/// The hparams plugin's `DataType`: what kind of values a hyperparameter takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueKind {
    String = 1,
    Bool = 2,
    Float64 = 3,
}

/// A hyperparameter's value as TensorBoard shows it (`google.protobuf.Value`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum HParamValue {
    Number(f64),
    Text(String),
    Bool(bool),
}

impl HParamValue {
    fn encode(&self) -> Message {
        match self {
            HParamValue::Number(x) => Message::new().double(2, *x),
            HParamValue::Text(s) => Message::new().string(3, s),
            HParamValue::Bool(b) => Message::new().boolean(4, *b),
        }
    }
}

/// The values a hyperparameter can take, as the experiment declares them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Domain {
    /// Floats and integers: their range.
    Interval { min: f64, max: f64 },
    /// Categorical choices, all of one kind.
    Discrete { kind: ValueKind, values: Vec<HParamValue> },
}

impl Domain {
    pub(crate) fn of(distribution: &Distribution) -> Domain {
        match distribution {
            Distribution::Float(d) => Domain::Interval { min: d.low(), max: d.high() },
            Distribution::Int(d) => Domain::Interval { min: d.low() as f64, max: d.high() as f64 },
            Distribution::Categorical(d) => {
                let kind = choice_kind(d.choices());
                let values = d.choices().iter().map(|c| categorical_value(kind, c)).collect();
                Domain::Discrete { kind, values }
            }
        }
    }

    /// Widen this domain to hold `other` too (a range that changed between
    /// trials; choices, which cannot change, in their first order). A change
    /// of kind, which the engine refuses, takes the newer domain.
    /// Returns whether anything changed.
    pub(crate) fn absorb(&mut self, other: Domain) -> bool {
        match (&mut *self, other) {
            (Domain::Interval { min, max }, Domain::Interval { min: other_min, max: other_max }) => {
                let widened = other_min < *min || other_max > *max;
                *min = min.min(other_min);
                *max = max.max(other_max);
                widened
            }
            (Domain::Discrete { kind, values }, Domain::Discrete { kind: other_kind, values: other_values })
                if *kind == other_kind =>
            {
                let before = values.len();
                for value in other_values {
                    if !values.contains(&value) {
                        values.push(value);
                    }
                }
                values.len() != before
            }
            (this, other) => {
                let changed = *this != other;
                *this = other;
                changed
            }
        }
    }
}

/// One kind for all of a categorical's choices: TensorBoard's discrete
/// domains hold values of a single type, so choices of mixed types (or
/// `None`) are shown as text, as Optuna's callback does.
fn choice_kind(choices: &[ParamValue]) -> ValueKind {
    if choices.iter().all(|c| matches!(c, ParamValue::Str(_))) {
        ValueKind::String
    } else if choices.iter().all(|c| matches!(c, ParamValue::Bool(_))) {
        ValueKind::Bool
    } else if choices.iter().all(|c| matches!(c, ParamValue::Int(_) | ParamValue::Float(_))) {
        ValueKind::Float64
    } else {
        ValueKind::String
    }
}

/// A choice as text, spelled as Python would print it (`None`, `True`,
/// `1.0`), since the names users know are those of their Python code.
fn choice_text(choice: &ParamValue) -> String {
    match choice {
        ParamValue::Null => "None".to_owned(),
        ParamValue::Bool(true) => "True".to_owned(),
        ParamValue::Bool(false) => "False".to_owned(),
        ParamValue::Int(i) => i.to_string(),
        ParamValue::Float(x) => format!("{x:?}"),
        ParamValue::Str(s) => s.clone(),
    }
}

fn categorical_value(kind: ValueKind, choice: &ParamValue) -> HParamValue {
    match (kind, choice) {
        (ValueKind::Bool, ParamValue::Bool(b)) => HParamValue::Bool(*b),
        (ValueKind::Float64, ParamValue::Int(i)) => HParamValue::Number(*i as f64),
        (ValueKind::Float64, ParamValue::Float(x)) => HParamValue::Number(*x),
        (_, other) => HParamValue::Text(choice_text(other)),
    }
}

/// A parameter's value in a trial, as its domain declares it.
pub(crate) fn hparam_value(distribution: &Distribution, value: &ParamValue) -> HParamValue {
    match distribution {
        Distribution::Categorical(d) => categorical_value(choice_kind(d.choices()), value),
        _ => value.as_f64().map_or_else(|| HParamValue::Text(choice_text(value)), HParamValue::Number),
    }
}

/// The hparams plugin's `Status` of a finished session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SessionStatus {
    Success = 1,
    Failure = 2,
}

fn event(wall_time: f64, step: u64) -> Message {
    Message::new().double(1, wall_time).int(2, step as i64)
}

/// The event every event file starts with.
pub(crate) fn file_version_event(wall_time: f64) -> Vec<u8> {
    Message::new().double(1, wall_time).string(3, FILE_VERSION).into_bytes()
}

/// A summary of the hparams plugin: its data in the metadata, and an empty
/// float vector as the tensor, as TensorBoard's own writer makes it (readers
/// take tensor summaries, and this one's value means nothing).
/// `field` is the `HParamsPluginData` field `data` goes in.
fn hparams_event(wall_time: f64, tag: &str, field: u32, data: Message) -> Vec<u8> {
    let plugin_data = Message::new().int(1, PLUGIN_DATA_VERSION).message(field, data);
    let content = Message::new().string(1, PLUGIN_NAME).bytes(2, &plugin_data.into_bytes());
    let metadata = Message::new().message(1, content).int(4, DATA_CLASS_TENSOR);
    // `tensor_shape { dim { size: 0 } }`
    let shape = Message::new().message(2, Message::new().int(1, 0));
    let placeholder = Message::new().int(1, DT_FLOAT).message(2, shape);
    let value = Message::new().string(1, tag).message(8, placeholder).message(9, metadata);
    event(wall_time, 0).message(5, Message::new().message(1, value)).into_bytes()
}

/// The experiment: each hyperparameter with its domain, and the metrics.
pub(crate) fn experiment_event<'a>(
    wall_time: f64,
    domains: impl IntoIterator<Item = (&'a String, &'a Domain)>,
    metric_names: &[String],
) -> Vec<u8> {
    let mut experiment = Message::new().double(3, wall_time);
    for (name, domain) in domains {
        let info = Message::new().string(1, name);
        let info = match domain {
            Domain::Interval { min, max } => {
                info.int(4, ValueKind::Float64 as i64).message(6, Message::new().double(1, *min).double(2, *max))
            }
            Domain::Discrete { kind, values } => {
                let list = values.iter().fold(Message::new(), |list, v| list.message(1, v.encode()));
                info.int(4, *kind as i64).message(5, list)
            }
        };
        experiment = experiment.message(4, info);
    }
    for metric in metric_names {
        let name = Message::new().string(1, "").string(2, metric);
        experiment = experiment.message(5, Message::new().message(1, name));
    }
    hparams_event(wall_time, EXPERIMENT_TAG, 2, experiment)
}

/// A trial's start: its hyperparameter values.
pub(crate) fn session_start_event(wall_time: f64, hparams: &[(String, HParamValue)]) -> Vec<u8> {
    let start = hparams.iter().fold(Message::new(), |start, (name, value)| {
        start.message(1, Message::new().string(1, name).message(2, value.encode()))
    });
    hparams_event(wall_time, SESSION_START_TAG, 3, start.double(5, wall_time))
}

/// A trial's end: its status.
pub(crate) fn session_end_event(wall_time: f64, status: SessionStatus) -> Vec<u8> {
    let end = Message::new().int(1, status as i64).double(2, wall_time);
    hparams_event(wall_time, SESSION_END_TAG, 4, end)
}

/// A metric's value, as a scalar summary of TensorBoard's scalars plugin.
/// Written as a double rather than `simple_value`'s float, so the HPARAMS
/// tab shows the value the study holds, not a rounding of it.
pub(crate) fn scalar_event(wall_time: f64, step: u64, tag: &str, value: f64) -> Vec<u8> {
    let metadata = Message::new().message(1, Message::new().string(1, "scalars")).int(4, DATA_CLASS_SCALAR);
    let tensor = Message::new().int(1, DT_DOUBLE).message(2, Message::new()).packed_double(6, value);
    let summary_value = Message::new().string(1, tag).message(8, tensor).message(9, metadata);
    event(wall_time, step).message(5, Message::new().message(1, summary_value)).into_bytes()
}
