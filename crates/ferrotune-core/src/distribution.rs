//! Search-space distributions. A closed set of kinds, so an enum.
//!
//! Every parameter value has an *internal* representation, an `f64`, which is
//! what samplers model and storages persist: the value itself for floats and
//! ints, the index of the choice for categoricals. Users see the *external*
//! [`ParamValue`]. Distributions are validated on construction, so a
//! `Distribution` that exists is always well formed.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Relative tolerance used when checking that a float lies on a step grid.
const STEP_TOLERANCE: f64 = 1e-8;

/// A parameter value as the user sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    /// "No value" as a categorical choice (Python's `None`, JSON's `null`):
    /// `max_depth` in `[None, 4, 8]` is a common search space.
    Null,
    /// A boolean categorical choice.
    Bool(bool),
    /// An integer (from an int distribution or an integer choice).
    Int(i64),
    /// A float (from a float distribution or a float choice).
    Float(f64),
    /// A string categorical choice.
    Str(String),
}

impl ParamValue {
    /// The value as a float, if it is numeric.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            ParamValue::Int(v) => Some(*v as f64),
            ParamValue::Float(v) => Some(*v),
            _ => None,
        }
    }

    /// The value as an integer, if it is an int or an integral float.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            ParamValue::Int(v) => Some(*v),
            ParamValue::Float(v) if v.fract() == 0.0 && v.abs() < 9.0e15 => Some(*v as i64),
            _ => None,
        }
    }

    /// The value as a string slice, if it is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            ParamValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value as a bool, if it is a bool.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            ParamValue::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// Equality used to find a choice: numbers compare by value across
    /// int/float (as Python does: `1 == 1.0`), everything else exactly.
    fn matches_choice(&self, choice: &ParamValue) -> bool {
        match (self, choice) {
            (ParamValue::Int(a), ParamValue::Float(b)) | (ParamValue::Float(b), ParamValue::Int(a)) => *a as f64 == *b,
            (a, b) => a == b,
        }
    }
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamValue::Null => f.write_str("null"),
            ParamValue::Bool(b) => write!(f, "{b}"),
            ParamValue::Int(v) => write!(f, "{v}"),
            ParamValue::Float(v) => write!(f, "{v}"),
            ParamValue::Str(s) => write!(f, "{s:?}"),
        }
    }
}

impl From<f64> for ParamValue {
    fn from(v: f64) -> Self {
        ParamValue::Float(v)
    }
}
impl From<i64> for ParamValue {
    fn from(v: i64) -> Self {
        ParamValue::Int(v)
    }
}
impl From<i32> for ParamValue {
    fn from(v: i32) -> Self {
        ParamValue::Int(v.into())
    }
}
impl From<bool> for ParamValue {
    fn from(v: bool) -> Self {
        ParamValue::Bool(v)
    }
}
impl From<&str> for ParamValue {
    fn from(v: &str) -> Self {
        ParamValue::Str(v.to_owned())
    }
}
impl From<String> for ParamValue {
    fn from(v: String) -> Self {
        ParamValue::Str(v)
    }
}

/// A float parameter: uniform, log-uniform, or on a step grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "FloatRepr")]
pub struct FloatDistribution {
    low: f64,
    high: f64,
    log: bool,
    step: Option<f64>,
}

#[derive(Deserialize)]
struct FloatRepr {
    low: f64,
    high: f64,
    #[serde(default)]
    log: bool,
    #[serde(default)]
    step: Option<f64>,
}

impl TryFrom<FloatRepr> for FloatDistribution {
    type Error = Error;
    fn try_from(r: FloatRepr) -> Result<Self> {
        FloatDistribution::new(r.low, r.high, r.log, r.step)
    }
}

impl FloatDistribution {
    /// A float distribution over `[low, high]`; `log` samples on a log
    /// scale, `step` restricts values to `low + k * step`.
    pub fn new(low: f64, high: f64, log: bool, step: Option<f64>) -> Result<Self> {
        let bad = |msg: String| Err(Error::InvalidDistribution(msg));
        if !low.is_finite() || !high.is_finite() {
            return bad(format!("float bounds must be finite numbers, got low={low}, high={high}"));
        }
        if low > high {
            return bad(format!("low ({low}) must not be greater than high ({high})"));
        }
        if log && low <= 0.0 {
            return bad(format!("a log-scale float needs low > 0, got low={low}"));
        }
        if let Some(step) = step {
            if log {
                return bad("step and log cannot be combined for a float".into());
            }
            if !(step.is_finite() && step > 0.0) {
                return bad(format!("step must be a positive number, got {step}"));
            }
            let n = (high - low) / step;
            if (n - n.round()).abs() > STEP_TOLERANCE * n.abs().max(1.0) {
                return bad(format!(
                    "step ({step}) does not divide the range [{low}, {high}]: high - low must be a multiple of step"
                ));
            }
        }
        Ok(FloatDistribution { low, high, log, step })
    }

    /// Lower bound (inclusive).
    pub fn low(&self) -> f64 {
        self.low
    }
    /// Upper bound (inclusive).
    pub fn high(&self) -> f64 {
        self.high
    }
    /// Whether values are spread on a log scale.
    pub fn log(&self) -> bool {
        self.log
    }
    /// The step of the value grid, if any.
    pub fn step(&self) -> Option<f64> {
        self.step
    }

    /// Snap a value onto the step grid and clamp it into the bounds.
    pub fn round_to_grid(&self, value: f64) -> f64 {
        let v = match self.step {
            Some(step) => self.low + ((value - self.low) / step).round() * step,
            None => value,
        };
        v.clamp(self.low, self.high)
    }

    fn contains(&self, v: f64) -> bool {
        if !(v >= self.low && v <= self.high) {
            return false;
        }
        match self.step {
            Some(step) => {
                let k = (v - self.low) / step;
                (k - k.round()).abs() <= STEP_TOLERANCE * k.abs().max(1.0)
            }
            None => true,
        }
    }
}

/// An integer parameter: uniform, log-uniform, or on a step grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "IntRepr")]
pub struct IntDistribution {
    low: i64,
    high: i64,
    log: bool,
    step: i64,
}

#[derive(Deserialize)]
struct IntRepr {
    low: i64,
    high: i64,
    #[serde(default)]
    log: bool,
    #[serde(default = "one")]
    step: i64,
}

fn one() -> i64 {
    1
}

impl TryFrom<IntRepr> for IntDistribution {
    type Error = Error;
    fn try_from(r: IntRepr) -> Result<Self> {
        IntDistribution::new(r.low, r.high, r.log, r.step)
    }
}

impl IntDistribution {
    /// An integer distribution over `[low, high]`; `log` samples on a log
    /// scale (needs `low >= 1` and `step == 1`), `step` restricts values to
    /// `low + k * step`.
    pub fn new(low: i64, high: i64, log: bool, step: i64) -> Result<Self> {
        let bad = |msg: String| Err(Error::InvalidDistribution(msg));
        if low > high {
            return bad(format!("low ({low}) must not be greater than high ({high})"));
        }
        if step < 1 {
            return bad(format!("step must be a positive integer, got {step}"));
        }
        if log && low < 1 {
            return bad(format!("a log-scale int needs low >= 1, got low={low}"));
        }
        if log && step != 1 {
            return bad("step and log cannot be combined for an int (step must be 1 with log)".into());
        }
        if (high - low) % step != 0 {
            return bad(format!(
                "step ({step}) does not divide the range [{low}, {high}]: high - low must be a multiple of step"
            ));
        }
        Ok(IntDistribution { low, high, log, step })
    }

    /// Lower bound (inclusive).
    pub fn low(&self) -> i64 {
        self.low
    }
    /// Upper bound (inclusive).
    pub fn high(&self) -> i64 {
        self.high
    }
    /// Whether values are spread on a log scale.
    pub fn log(&self) -> bool {
        self.log
    }
    /// The step between admissible values.
    pub fn step(&self) -> i64 {
        self.step
    }

    /// Round a continuous value to the nearest admissible integer.
    pub fn round_to_grid(&self, value: f64) -> f64 {
        let k = ((value - self.low as f64) / self.step as f64).round();
        (self.low as f64 + k * self.step as f64).clamp(self.low as f64, self.high as f64)
    }

    fn contains(&self, v: f64) -> bool {
        v.fract() == 0.0 && v >= self.low as f64 && v <= self.high as f64 && ((v as i64) - self.low) % self.step == 0
    }
}

/// A choice among a fixed list of values (strings, numbers, bools).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "CategoricalRepr")]
pub struct CategoricalDistribution {
    choices: Vec<ParamValue>,
}

#[derive(Deserialize)]
struct CategoricalRepr {
    choices: Vec<ParamValue>,
}

impl TryFrom<CategoricalRepr> for CategoricalDistribution {
    type Error = Error;
    fn try_from(r: CategoricalRepr) -> Result<Self> {
        CategoricalDistribution::new(r.choices)
    }
}

impl CategoricalDistribution {
    /// A categorical distribution over `choices`, which must be non-empty
    /// and free of duplicates (a duplicate would make the stored index
    /// ambiguous).
    pub fn new(choices: Vec<ParamValue>) -> Result<Self> {
        if choices.is_empty() {
            return Err(Error::InvalidDistribution("a categorical parameter needs at least one choice".into()));
        }
        for (i, c) in choices.iter().enumerate() {
            if let ParamValue::Float(f) = c {
                if f.is_nan() {
                    return Err(Error::InvalidDistribution("NaN is not a valid choice".into()));
                }
            }
            if choices[..i].iter().any(|d| d.matches_choice(c)) {
                return Err(Error::InvalidDistribution(format!("choice {c} appears more than once")));
            }
        }
        Ok(CategoricalDistribution { choices })
    }

    /// The choices, in the order given.
    pub fn choices(&self) -> &[ParamValue] {
        &self.choices
    }

    /// Index of a choice, if present.
    pub fn index_of(&self, value: &ParamValue) -> Option<usize> {
        self.choices
            .iter()
            .position(|c| c == value)
            .or_else(|| self.choices.iter().position(|c| value.matches_choice(c)))
    }
}

/// One parameter's search space.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Distribution {
    /// Floats.
    Float(FloatDistribution),
    /// Integers.
    Int(IntDistribution),
    /// A fixed list of choices.
    Categorical(CategoricalDistribution),
}

impl Distribution {
    /// Shorthand for a uniform float distribution.
    pub fn float(low: f64, high: f64) -> Result<Self> {
        FloatDistribution::new(low, high, false, None).map(Distribution::Float)
    }
    /// Shorthand for a uniform int distribution.
    pub fn int(low: i64, high: i64) -> Result<Self> {
        IntDistribution::new(low, high, false, 1).map(Distribution::Int)
    }
    /// Shorthand for a categorical distribution.
    pub fn categorical<T: Into<ParamValue>>(choices: impl IntoIterator<Item = T>) -> Result<Self> {
        CategoricalDistribution::new(choices.into_iter().map(Into::into).collect()).map(Distribution::Categorical)
    }

    /// Whether an internal value lies in this distribution.
    pub fn contains(&self, internal: f64) -> bool {
        match self {
            Distribution::Float(d) => d.contains(internal),
            Distribution::Int(d) => d.contains(internal),
            Distribution::Categorical(d) => {
                internal.fract() == 0.0 && internal >= 0.0 && (internal as usize) < d.choices.len()
            }
        }
    }

    /// Whether only one value is possible (nothing to search).
    pub fn is_single(&self) -> bool {
        match self {
            Distribution::Float(d) => d.low == d.high,
            Distribution::Int(d) => d.low == d.high,
            Distribution::Categorical(d) => d.choices.len() == 1,
        }
    }

    /// The user-facing value of an internal representation. The internal
    /// value must be contained in the distribution.
    pub fn to_external(&self, internal: f64) -> ParamValue {
        match self {
            Distribution::Float(_) => ParamValue::Float(internal),
            Distribution::Int(_) => ParamValue::Int(internal.round() as i64),
            Distribution::Categorical(d) => d.choices[internal as usize].clone(),
        }
    }

    /// The internal representation of a user-facing value; an error names
    /// the parameter when the value does not belong to the distribution.
    pub fn to_internal(&self, name: &str, value: &ParamValue) -> Result<f64> {
        let internal = match self {
            Distribution::Float(_) => value.as_f64(),
            Distribution::Int(_) => value.as_i64().map(|v| v as f64),
            Distribution::Categorical(d) => d.index_of(value).map(|i| i as f64),
        };
        match internal {
            Some(v) if self.contains(v) => Ok(v),
            _ => Err(Error::ValueOutsideDistribution {
                name: name.to_owned(),
                value: value.to_string(),
                distribution: self.to_string(),
            }),
        }
    }
}

impl fmt::Display for Distribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Distribution::Float(d) => {
                write!(f, "float in [{}, {}]", d.low, d.high)?;
                if d.log {
                    write!(f, " (log)")?;
                }
                if let Some(step) = d.step {
                    write!(f, " (step {step})")?;
                }
                Ok(())
            }
            Distribution::Int(d) => {
                write!(f, "int in [{}, {}]", d.low, d.high)?;
                if d.log {
                    write!(f, " (log)")?;
                }
                if d.step != 1 {
                    write!(f, " (step {})", d.step)?;
                }
                Ok(())
            }
            Distribution::Categorical(d) => {
                write!(f, "one of [")?;
                for (i, c) in d.choices.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{c}")?;
                }
                write!(f, "]")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_malformed_float_distributions() {
        let msg = |r: Result<FloatDistribution>| r.unwrap_err().to_string();
        assert!(
            msg(FloatDistribution::new(2.0, 1.0, false, None)).contains("low (2) must not be greater than high (1)")
        );
        assert!(msg(FloatDistribution::new(0.0, 1.0, true, None)).contains("log-scale float needs low > 0"));
        assert!(msg(FloatDistribution::new(0.0, 1.0, false, Some(0.3))).contains("does not divide"));
        assert!(msg(FloatDistribution::new(0.0, 1.0, false, Some(-0.1))).contains("positive"));
        assert!(msg(FloatDistribution::new(f64::NAN, 1.0, false, None)).contains("finite"));
        assert!(msg(FloatDistribution::new(1.0, 2.0, true, Some(0.5))).contains("cannot be combined"));
        assert!(FloatDistribution::new(0.0, 1.0, false, Some(0.1)).is_ok());
        assert!(FloatDistribution::new(1.0, 1.0, false, None).is_ok());
    }

    #[test]
    fn rejects_malformed_int_and_categorical_distributions() {
        assert!(IntDistribution::new(5, 1, false, 1).unwrap_err().to_string().contains("greater"));
        assert!(IntDistribution::new(0, 10, true, 1).unwrap_err().to_string().contains("low >= 1"));
        assert!(IntDistribution::new(0, 10, false, 3).unwrap_err().to_string().contains("does not divide"));
        assert!(IntDistribution::new(0, 10, false, 0).unwrap_err().to_string().contains("positive"));
        assert!(Distribution::categorical(Vec::<ParamValue>::new()).unwrap_err().to_string().contains("at least one"));
        assert!(Distribution::categorical(["a", "b", "a"]).unwrap_err().to_string().contains("more than once"));
    }

    #[test]
    fn internal_round_trip_and_membership() {
        let cat = Distribution::categorical(vec![ParamValue::from("sgd"), 1.into(), true.into(), 0.5.into()]).unwrap();
        for (i, c) in cat.clone().into_categorical_choices().iter().enumerate() {
            assert_eq!(cat.to_internal("p", c).unwrap(), i as f64);
            assert_eq!(&cat.to_external(i as f64), c);
        }
        assert!(cat.to_internal("p", &"adam".into()).unwrap_err().to_string().contains("'p'"));
        let ints = Distribution::Int(IntDistribution::new(0, 10, false, 2).unwrap());
        assert!(ints.contains(4.0) && !ints.contains(5.0) && !ints.contains(12.0) && !ints.contains(4.5));
        let stepped = Distribution::Float(FloatDistribution::new(0.0, 1.0, false, Some(0.1)).unwrap());
        assert!(stepped.contains(0.3) && !stepped.contains(0.35));
        // Floats in an int distribution are accepted when integral (JSON from other languages).
        assert_eq!(ints.to_internal("n", &ParamValue::Float(6.0)).unwrap(), 6.0);
    }

    #[test]
    fn serde_round_trip_validates() {
        let d = Distribution::Float(FloatDistribution::new(1e-5, 1e-1, true, None).unwrap());
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(serde_json::from_str::<Distribution>(&json).unwrap(), d);
        let bad = r#"{"type":"float","low":1.0,"high":0.0}"#;
        assert!(serde_json::from_str::<Distribution>(bad).unwrap_err().to_string().contains("greater"));
    }

    #[test]
    fn null_is_a_choice_like_any_other() {
        let d = Distribution::categorical([ParamValue::Null, ParamValue::Int(4), ParamValue::from("deep")]).unwrap();
        let json = serde_json::to_string(&d).unwrap();
        assert!(json.contains("[null,4,\"deep\"]"), "{json}");
        assert_eq!(serde_json::from_str::<Distribution>(&json).unwrap(), d);
        assert_eq!(d.to_internal("max_depth", &ParamValue::Null).unwrap(), 0.0);
        assert_eq!(d.to_external(0.0), ParamValue::Null);
        assert!(Distribution::categorical([ParamValue::Null, ParamValue::Null]).is_err());
    }

    impl Distribution {
        fn into_categorical_choices(self) -> Vec<ParamValue> {
            match self {
                Distribution::Categorical(d) => d.choices,
                _ => vec![],
            }
        }
    }
}
