//! One line of Optuna's journal: a JSON object with an `op_code`, the
//! writer's `worker_id`, and the operation's fields, as Optuna 5's
//! `JournalStorage` writes and reads them.
//!
//! Python's `json` writes NaN and infinities as the bare words `NaN`,
//! `Infinity` and `-Infinity`, which JSON lacks: values, intermediate
//! values and internal parameter values may be any of them. Lines are read
//! through the Optuna module's Python-JSON reader (the words become the
//! objects ferrotune holds such floats as in attributes, which a number
//! field takes back as the float), and written by [`Line`], which writes
//! those words, since `serde_json` would write `null`.

use std::collections::BTreeMap;

use ferrotune_core::{AttrScope, AttrValue, Distribution, Error, Result, StudyDirection, TrialParam, TrialState};
use serde_json::{Map, Value};

use crate::optuna::{distribution_from_optuna_json, parse_python_json, python_json_text, utc_text_to_us};

/// Optuna's `JournalOperation` codes.
pub(crate) mod op {
    pub const CREATE_STUDY: u64 = 0;
    pub const DELETE_STUDY: u64 = 1;
    pub const SET_STUDY_USER_ATTR: u64 = 2;
    pub const SET_STUDY_SYSTEM_ATTR: u64 = 3;
    pub const CREATE_TRIAL: u64 = 4;
    pub const SET_TRIAL_PARAM: u64 = 5;
    pub const SET_TRIAL_STATE_VALUES: u64 = 6;
    pub const SET_TRIAL_INTERMEDIATE_VALUE: u64 = 7;
    pub const SET_TRIAL_USER_ATTR: u64 = 8;
    pub const SET_TRIAL_SYSTEM_ATTR: u64 = 9;
    /// Written by another Rust port of Optuna; Optuna 5 skips it.
    pub const DISCARD_TRIALS: u64 = 10;
}

/// A journal operation, decoded. Ids are the journal's (0-based).
#[derive(Debug)]
pub(crate) enum Record {
    CreateStudy {
        name: String,
        directions: Vec<StudyDirection>,
    },
    DeleteStudy {
        study_id: i64,
    },
    SetStudyAttr {
        study_id: i64,
        scope: AttrScope,
        key: String,
        value: AttrValue,
    },
    CreateTrial(Box<CreatedTrial>),
    SetTrialParam {
        trial_id: i64,
        name: String,
        param: TrialParam,
    },
    SetTrialState {
        trial_id: i64,
        state: TrialState,
        values: Option<Vec<f64>>,
        start: Option<i64>,
        complete: Option<i64>,
    },
    SetTrialIntermediate {
        trial_id: i64,
        step: u64,
        value: f64,
    },
    SetTrialAttr {
        trial_id: i64,
        scope: AttrScope,
        key: String,
        value: AttrValue,
    },
    Skipped,
}

/// `CREATE_TRIAL`'s fields: a running trial has only the study and start;
/// a trial written whole (Optuna's `add_trial`, `enqueue_trial`) has the rest.
#[derive(Debug)]
pub(crate) struct CreatedTrial {
    pub study_id: i64,
    pub state: TrialState,
    pub values: Option<Vec<f64>>,
    pub start: Option<i64>,
    pub complete: Option<i64>,
    pub params: Vec<(String, TrialParam)>,
    pub user_attrs: Map<String, Value>,
    pub system_attrs: Map<String, Value>,
    pub intermediate_values: BTreeMap<u64, f64>,
}

pub(crate) fn state_code(state: TrialState) -> u64 {
    match state {
        TrialState::Running => 0,
        TrialState::Complete => 1,
        TrialState::Pruned => 2,
        TrialState::Failed => 3,
        TrialState::Waiting => 4,
    }
}

fn state_from_code(code: u64) -> Option<TrialState> {
    Some(match code {
        0 => TrialState::Running,
        1 => TrialState::Complete,
        2 => TrialState::Pruned,
        3 => TrialState::Failed,
        4 => TrialState::Waiting,
        _ => return None,
    })
}

pub(crate) fn direction_code(direction: StudyDirection) -> u64 {
    match direction {
        StudyDirection::Minimize => 1,
        StudyDirection::Maximize => 2,
    }
}

/// A number field: a JSON number, or one of Python's non-finite words.
pub(crate) fn float_of(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match s.as_str() {
            "NaN" => Some(f64::NAN),
            "inf" => Some(f64::INFINITY),
            "-inf" => Some(f64::NEG_INFINITY),
            _ => None,
        },
        // Python's bare words, as `parse_python_json` reads them.
        Value::Object(_) => ferrotune_core::non_finite_float(value),
        _ => None,
    }
}

/// A time as Optuna writes it (`isoformat`): `2024-05-01T12:00:00.123456`
/// with `+00:00` since Optuna 5, without a zone before (the writer's local
/// time, read here as UTC, as ferrotune's import of Optuna's RDB does).
fn time_of(text: &str) -> Option<i64> {
    let text = text.trim();
    let (body, offset_us) = if let Some(body) = text.strip_suffix('Z') {
        (body, 0)
    } else {
        // A sign after the time part (not the date's dashes) starts the offset.
        let time_start = text.find(['T', ' ']).unwrap_or(text.len());
        match text[time_start..].rfind(['+', '-']) {
            Some(at) => {
                let at = time_start + at;
                let (body, offset) = text.split_at(at);
                let sign = if offset.starts_with('-') { -1 } else { 1 };
                let digits: String = offset[1..].chars().filter(|c| c.is_ascii_digit()).collect();
                if digits.len() < 4 {
                    return None;
                }
                let hours: i64 = digits[0..2].parse().ok()?;
                let minutes: i64 = digits[2..4].parse().ok()?;
                let seconds: i64 = if digits.len() >= 6 { digits[4..6].parse().ok()? } else { 0 };
                (body, sign * ((hours * 60 + minutes) * 60 + seconds) * 1_000_000)
            }
            None => (text, 0),
        }
    };
    Some(utc_text_to_us(body)? - offset_us)
}

/// Unix microseconds as Optuna 5 writes a time: ISO 8601 in UTC with its
/// offset.
pub(crate) fn time_text(us: i64) -> String {
    format!("{}+00:00", crate::optuna::us_to_utc_text(us).replacen(' ', "T", 1))
}

struct Fields<'a> {
    object: &'a Map<String, Value>,
}

impl<'a> Fields<'a> {
    fn get(&self, key: &str) -> Result<&'a Value> {
        self.object.get(key).ok_or_else(|| Error::Storage(format!("no \"{key}\" field")))
    }
    fn id(&self, key: &str) -> Result<i64> {
        self.get(key)?.as_i64().ok_or_else(|| Error::Storage(format!("\"{key}\" is not an integer")))
    }
    fn text(&self, key: &str) -> Result<&'a str> {
        self.get(key)?.as_str().ok_or_else(|| Error::Storage(format!("\"{key}\" is not a string")))
    }
    fn float(&self, key: &str) -> Result<f64> {
        float_of(self.get(key)?).ok_or_else(|| Error::Storage(format!("\"{key}\" is not a number")))
    }
    fn floats(&self, key: &str) -> Result<Option<Vec<f64>>> {
        match self.object.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(list)) => list
                .iter()
                .map(|v| float_of(v).ok_or_else(|| Error::Storage(format!("\"{key}\" holds {v}, not a number"))))
                .collect::<Result<Vec<_>>>()
                .map(Some),
            Some(other) => Err(Error::Storage(format!("\"{key}\" is {other}, not a list of numbers"))),
        }
    }
    fn time(&self, key: &str) -> Result<Option<i64>> {
        match self.object.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => {
                time_of(s).map(Some).ok_or_else(|| Error::Storage(format!("\"{key}\" is no ISO time: {s}")))
            }
            Some(other) => Err(Error::Storage(format!("\"{key}\" is {other}, not a time"))),
        }
    }
    fn state(&self, key: &str) -> Result<TrialState> {
        let code = self.get(key)?.as_u64();
        code.and_then(state_from_code).ok_or_else(|| Error::Storage(format!("\"{key}\" is no trial state")))
    }
    /// `{"key": value}`, the one attribute an attribute operation sets.
    fn single_attr(&self, key: &str) -> Result<(String, AttrValue)> {
        match self.get(key)? {
            Value::Object(map) if map.len() == 1 => {
                let (k, v) = map.iter().next().ok_or_else(|| Error::Storage(format!("\"{key}\" is empty")))?;
                Ok((k.clone(), v.clone()))
            }
            _ => Err(Error::Storage(format!("\"{key}\" is not an object of one attribute"))),
        }
    }
    fn object(&self, key: &str) -> Result<Map<String, Value>> {
        match self.object.get(key) {
            None | Some(Value::Null) => Ok(Map::new()),
            Some(Value::Object(map)) => Ok(map.clone()),
            Some(other) => Err(Error::Storage(format!("\"{key}\" is {other}, not an object"))),
        }
    }
}

/// The names of a line's parameters in the order the line lists them
/// (the order they were suggested in), which a parsed [`Value`] loses: its
/// maps sort their keys. `None` when the line is not plain JSON (a NaN
/// elsewhere in it); its parameters then come by name.
fn param_order(line: &str) -> Option<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct Names {
        #[serde(default)]
        params: Option<indexmap::IndexMap<String, serde::de::IgnoredAny>>,
    }
    let names: Names = serde_json::from_str(line).ok()?;
    Some(names.params?.into_keys().collect())
}

/// Decode one line. Errors say what is wrong; the caller adds where.
pub(crate) fn parse_line(line: &str) -> Result<Record> {
    let value = parse_python_json(line).map_err(|e| Error::Storage(format!("not JSON ({e})")))?;
    let object = value.as_object().ok_or_else(|| Error::Storage("not a JSON object".into()))?;
    let f = Fields { object };
    let code = f.get("op_code")?.as_u64().ok_or_else(|| Error::Storage("\"op_code\" is not an integer".into()))?;
    Ok(match code {
        op::CREATE_STUDY => {
            let directions = match f.get("directions")? {
                Value::Array(list) => list
                    .iter()
                    .map(|d| match d.as_u64() {
                        Some(1) => Ok(StudyDirection::Minimize),
                        Some(2) => Ok(StudyDirection::Maximize),
                        _ => Err(Error::Storage(format!("direction {d} is neither 1 (minimize) nor 2 (maximize)"))),
                    })
                    .collect::<Result<Vec<_>>>()?,
                _ => return Err(Error::Storage("\"directions\" is not a list".into())),
            };
            Record::CreateStudy { name: f.text("study_name")?.to_owned(), directions }
        }
        op::DELETE_STUDY => Record::DeleteStudy { study_id: f.id("study_id")? },
        op::SET_STUDY_USER_ATTR | op::SET_STUDY_SYSTEM_ATTR => {
            let (scope, field) = if code == op::SET_STUDY_USER_ATTR {
                (AttrScope::User, "user_attr")
            } else {
                (AttrScope::System, "system_attr")
            };
            let (key, value) = f.single_attr(field)?;
            Record::SetStudyAttr { study_id: f.id("study_id")?, scope, key, value }
        }
        op::CREATE_TRIAL => {
            let distributions = f.object("distributions")?;
            let mut params = Vec::new();
            for (name, internal) in f.object("params")? {
                let json = distributions
                    .get(&name)
                    .and_then(Value::as_str)
                    .ok_or_else(|| Error::Storage(format!("parameter '{name}' has no distribution")))?;
                let distribution = distribution_from_optuna_json(json)?;
                let internal =
                    float_of(&internal).ok_or_else(|| Error::Storage(format!("parameter '{name}' is no number")))?;
                params.push((name, TrialParam { distribution, internal }));
            }
            if let Some(order) = param_order(line) {
                params.sort_by_key(|(name, _)| order.iter().position(|n| n == name).unwrap_or(usize::MAX));
            }
            let mut intermediate_values = BTreeMap::new();
            for (step, value) in f.object("intermediate_values")? {
                let step: u64 = step.parse().map_err(|_| Error::Storage(format!("step '{step}' is no step")))?;
                let value = float_of(&value)
                    .ok_or_else(|| Error::Storage(format!("intermediate value at step {step} is no number")))?;
                intermediate_values.insert(step, value);
            }
            // Optuna's one-objective trials carry `value`, others `values`.
            let values = match f.floats("values")? {
                Some(values) => Some(values),
                None => match f.object.get("value") {
                    None | Some(Value::Null) => None,
                    Some(v) => Some(vec![float_of(v).ok_or_else(|| Error::Storage("\"value\" is no number".into()))?]),
                },
            };
            Record::CreateTrial(Box::new(CreatedTrial {
                study_id: f.id("study_id")?,
                state: if f.object.contains_key("state") { f.state("state")? } else { TrialState::Running },
                values,
                start: f.time("datetime_start")?,
                complete: f.time("datetime_complete")?,
                params,
                user_attrs: f.object("user_attrs")?,
                system_attrs: f.object("system_attrs")?,
                intermediate_values,
            }))
        }
        op::SET_TRIAL_PARAM => Record::SetTrialParam {
            trial_id: f.id("trial_id")?,
            name: f.text("param_name")?.to_owned(),
            param: TrialParam {
                distribution: distribution_from_optuna_json(f.text("distribution")?)?,
                internal: f.float("param_value_internal")?,
            },
        },
        op::SET_TRIAL_STATE_VALUES => Record::SetTrialState {
            trial_id: f.id("trial_id")?,
            state: f.state("state")?,
            values: f.floats("values")?,
            start: f.time("datetime_start")?,
            complete: f.time("datetime_complete")?,
        },
        op::SET_TRIAL_INTERMEDIATE_VALUE => Record::SetTrialIntermediate {
            trial_id: f.id("trial_id")?,
            step: f.get("step")?.as_u64().ok_or_else(|| Error::Storage("\"step\" is not a step (0, 1, ...)".into()))?,
            value: f.float("intermediate_value")?,
        },
        op::SET_TRIAL_USER_ATTR | op::SET_TRIAL_SYSTEM_ATTR => {
            let (scope, field) = if code == op::SET_TRIAL_USER_ATTR {
                (AttrScope::User, "user_attr")
            } else {
                (AttrScope::System, "system_attr")
            };
            let (key, value) = f.single_attr(field)?;
            Record::SetTrialAttr { trial_id: f.id("trial_id")?, scope, key, value }
        }
        op::DISCARD_TRIALS => Record::Skipped,
        other => return Err(Error::Storage(format!("unknown op_code {other}"))),
    })
}

/// The string a non-finite float is read back from ([`float_of`]).
pub(crate) fn python_word(value: f64) -> &'static str {
    if value.is_nan() {
        "NaN"
    } else if value > 0.0 {
        "inf"
    } else {
        "-inf"
    }
}

/// A float as Python's `json` writes it.
pub(crate) fn py_float(value: f64) -> String {
    if value.is_nan() {
        "NaN".into()
    } else if value == f64::INFINITY {
        "Infinity".into()
    } else if value == f64::NEG_INFINITY {
        "-Infinity".into()
    } else {
        serde_json::to_string(&value).unwrap_or_else(|_| "NaN".into())
    }
}

/// One journal line, written field by field.
pub(crate) struct Line {
    text: String,
}

impl Line {
    pub(crate) fn new(op_code: u64, worker_id: &str) -> Self {
        let mut line = Line { text: String::with_capacity(128) };
        line.text.push('{');
        line.field("op_code", &op_code.to_string());
        line.json("worker_id", &Value::from(worker_id))
    }

    fn field(&mut self, key: &str, raw: &str) {
        if self.text.len() > 1 {
            self.text.push(',');
        }
        self.text.push_str(&Value::from(key).to_string());
        self.text.push(':');
        self.text.push_str(raw);
    }

    pub(crate) fn int(mut self, key: &str, value: i64) -> Self {
        self.field(key, &value.to_string());
        self
    }

    pub(crate) fn float(mut self, key: &str, value: f64) -> Self {
        self.field(key, &py_float(value));
        self
    }

    pub(crate) fn floats(mut self, key: &str, values: Option<&[f64]>) -> Self {
        let raw = match values {
            None => "null".to_owned(),
            Some(values) => format!("[{}]", values.iter().map(|v| py_float(*v)).collect::<Vec<_>>().join(",")),
        };
        self.field(key, &raw);
        self
    }

    pub(crate) fn time(mut self, key: &str, us: Option<i64>) -> Self {
        let raw = us.map_or_else(|| "null".to_owned(), |us| Value::from(time_text(us)).to_string());
        self.field(key, &raw);
        self
    }

    pub(crate) fn json(mut self, key: &str, value: &Value) -> Self {
        self.field(key, &python_json_text(value));
        self
    }

    /// `{"key": value}`.
    pub(crate) fn attr(self, field: &str, key: &str, value: &Value) -> Self {
        let mut one = Map::new();
        one.insert(key.to_owned(), value.clone());
        self.json(field, &Value::Object(one))
    }

    /// Parameters as `CREATE_TRIAL` writes them: internal values by name,
    /// and each distribution's Optuna JSON (a string) by name.
    pub(crate) fn params<'a>(mut self, params: impl Iterator<Item = (&'a String, &'a TrialParam)> + Clone) -> Self {
        let values: Vec<String> = params
            .clone()
            .map(|(name, p)| format!("{}:{}", Value::from(name.as_str()), internal_text(&p.distribution, p.internal)))
            .collect();
        let distributions: Vec<String> = params
            .map(|(name, p)| {
                let json = crate::optuna::distribution_to_optuna_json(&p.distribution);
                format!("{}:{}", Value::from(name.as_str()), Value::from(json))
            })
            .collect();
        self.field("distributions", &format!("{{{}}}", distributions.join(",")));
        self.field("params", &format!("{{{}}}", values.join(",")));
        self
    }

    /// `{"step": value, ...}` (JSON keys are strings, as Python writes them).
    pub(crate) fn steps(mut self, key: &str, values: &BTreeMap<u64, f64>) -> Self {
        let entries: Vec<String> = values.iter().map(|(s, v)| format!("\"{s}\":{}", py_float(*v))).collect();
        self.field(key, &format!("{{{}}}", entries.join(",")));
        self
    }

    /// A parameter's internal value, as `SET_TRIAL_PARAM` writes it.
    pub(crate) fn internal(mut self, key: &str, param: &TrialParam) -> Self {
        self.field(key, &internal_text(&param.distribution, param.internal));
        self
    }

    pub(crate) fn finish(mut self) -> String {
        self.text.push_str("}\n");
        self.text
    }
}

/// Optuna's internal value: a categorical's index is an integer there.
fn internal_text(distribution: &Distribution, internal: f64) -> String {
    match distribution {
        Distribution::Categorical(_) if internal.fract() == 0.0 && internal.abs() < 1e15 => {
            format!("{}", internal as i64)
        }
        _ => py_float(internal),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_with_and_without_a_zone_are_read() {
        let utc = time_of("2024-05-01T12:00:00.250000+00:00").unwrap();
        assert_eq!(time_of("2024-05-01T12:00:00.250000").unwrap(), utc);
        assert_eq!(time_of("2024-05-01T14:00:00.250000+02:00").unwrap(), utc);
        assert_eq!(time_of("2024-05-01T12:00:00.25Z").unwrap(), utc);
        assert_eq!(time_of(&time_text(utc)).unwrap(), utc);
        assert!(time_of("yesterday").is_none());
    }

    #[test]
    fn python_floats_round_trip() {
        let line = Line::new(op::SET_TRIAL_STATE_VALUES, "w")
            .int("trial_id", 3)
            .int("state", 1)
            .floats("values", Some(&[f64::INFINITY, -0.5, f64::NEG_INFINITY]))
            .finish();
        assert!(line.contains("[Infinity,-0.5,-Infinity]"), "{line}");
        match parse_line(&line).unwrap() {
            Record::SetTrialState { values: Some(v), state: TrialState::Complete, .. } => {
                assert_eq!(v, vec![f64::INFINITY, -0.5, f64::NEG_INFINITY])
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_lines_say_what_is_wrong() {
        let err = parse_line(r#"{"op_code": 42, "worker_id": "w"}"#).unwrap_err().to_string();
        assert!(err.contains("unknown op_code 42"), "{err}");
        let err = parse_line(r#"{"op_code": 6, "worker_id": "w", "trial_id": 0}"#).unwrap_err().to_string();
        assert!(err.contains("\"state\""), "{err}");
    }
}
