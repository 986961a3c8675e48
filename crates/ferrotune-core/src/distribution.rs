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
            let n = steps_between(low, high, step);
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

    /// The point a fraction `u` of the way from `low` to `high`,
    /// `low + u * (high - low)` (not clamped). When the width overflows to
    /// infinity (a range like [-1e308, 1e308]) it is computed on halved
    /// terms, which is exact; otherwise it is exactly that expression.
    pub fn interpolate(&self, u: f64) -> f64 {
        let v = self.low + u * (self.high - self.low);
        if v.is_finite() {
            v
        } else {
            2.0 * (self.low / 2.0 + u * (self.high / 2.0 - self.low / 2.0))
        }
    }

    /// For a stepped distribution, the number of steps from `low` to
    /// `high` (the admissible values are `low + k * step` for `k` up to it;
    /// saturates at u64::MAX); `None` without a step.
    pub fn n_steps(&self) -> Option<u64> {
        self.step.map(|step| steps_between(self.low, self.high, step).round() as u64)
    }

    /// The `k`-th admissible value of a stepped distribution,
    /// `round_to_grid(low + k * step)`, also where `k * step` passes
    /// f64::MAX; `low` without a step.
    pub fn grid_value(&self, k: u64) -> f64 {
        let Some(step) = self.step else { return self.low };
        let v = self.low + k as f64 * step;
        let v = if v.is_finite() { v } else { 2.0 * (self.low / 2.0 + k as f64 * (step / 2.0)) };
        self.round_to_grid(v)
    }

    /// Snap a value onto the step grid and clamp it into the bounds.
    pub fn round_to_grid(&self, value: f64) -> f64 {
        let v = match self.step {
            Some(step) => {
                let k = steps_between(self.low, value, step).round();
                let v = self.low + k * step;
                if v.is_finite() {
                    v
                } else {
                    // `k * step` can pass f64::MAX on a range like
                    // [-1e308, 1e308] although the sum is in range; halving
                    // every term is exact and cannot overflow.
                    2.0 * (self.low / 2.0 + k * (step / 2.0))
                }
            }
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
                let k = steps_between(self.low, v, step);
                (k - k.round()).abs() <= STEP_TOLERANCE * k.abs().max(1.0)
            }
            None => true,
        }
    }
}

/// `(high - low) / step`, also when `high - low` overflows to infinity (a
/// range like [-1e308, 1e308]): then computed on halved terms, which is exact
/// (halving only changes the exponent) and gives the same quotient.
fn steps_between(low: f64, high: f64, step: f64) -> f64 {
    let n = (high - low) / step;
    if n.is_finite() {
        n
    } else {
        (high / 2.0 - low / 2.0) / (step / 2.0)
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
        // In i128: `high - low` overflows i64 for ranges wider than i64::MAX
        // (the full range i64::MIN..=i64::MAX is a legitimate space).
        if (i128::from(high) - i128::from(low)) % i128::from(step) != 0 {
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

    /// The number of admissible values minus one, `(high - low) / step`:
    /// up to 2^64 - 1, so in u64 (the width overflows i64 on a full range).
    pub fn n_steps(&self) -> u64 {
        ((i128::from(self.high) - i128::from(self.low)) / i128::from(self.step)) as u64
    }

    /// The `k`-th admissible value, `low + k * step`, for `k <= n_steps()`
    /// (computed in i128, where it cannot overflow).
    pub fn nth(&self, k: u64) -> i64 {
        let v = i128::from(self.low) + i128::from(k) * i128::from(self.step);
        v.clamp(i128::from(self.low), i128::from(self.high)) as i64
    }

    /// Round a continuous value to the nearest admissible integer.
    pub fn round_to_grid(&self, value: f64) -> f64 {
        let k = ((value - self.low as f64) / self.step as f64).round();
        (self.low as f64 + k * self.step as f64).clamp(self.low as f64, self.high as f64)
    }

    /// The admissible integer nearest to an internal value. Beyond 2^53 an
    /// f64 holds only every other integer (every 2048th near i64::MAX), so an
    /// internal value there may lie between admissible values, or round up
    /// to 2^63, one past i64::MAX: the value is snapped onto the step grid
    /// and into the bounds in i128. Exact admissible values map to
    /// themselves.
    pub fn nearest(&self, internal: f64) -> i64 {
        // `as` saturates, and every f64 inside an i64 range fits in i128.
        let offset = internal.round() as i128 - i128::from(self.low);
        let step = i128::from(self.step);
        let k = (offset + step / 2).div_euclid(step);
        (i128::from(self.low) + k * step).clamp(i128::from(self.low), i128::from(self.high)) as i64
    }

    fn contains(&self, v: f64) -> bool {
        // An internal value is admissible when it is the f64 of an
        // admissible integer. Below 2^53 that is exact integer arithmetic;
        // beyond, it accepts the f64 the integer rounds to (`nearest` works
        // in i128, so a full i64 range cannot overflow).
        v.fract() == 0.0 && v >= self.low as f64 && v <= self.high as f64 && self.nearest(v) as f64 == v
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
            Distribution::Int(d) => ParamValue::Int(d.nearest(internal)),
            Distribution::Categorical(d) => d.choices[internal as usize].clone(),
        }
    }

    /// Whether a parameter recorded with `self` may be recorded with `new`
    /// in another trial of the same study (Optuna's rule): the same kind,
    /// the same scale (log or not), and for a categorical parameter the same
    /// choices; bounds and steps may differ. The error names parameter
    /// `name` and what differs.
    pub fn check_compatible(&self, name: &str, new: &Distribution) -> Result<()> {
        let differs = match (self, new) {
            (Distribution::Float(a), Distribution::Float(b)) => (a.log != b.log).then_some("log scale"),
            (Distribution::Int(a), Distribution::Int(b)) => (a.log != b.log).then_some("log scale"),
            (Distribution::Categorical(a), Distribution::Categorical(b)) => {
                (a.choices != b.choices).then_some("choices")
            }
            _ => Some("kind"),
        };
        match differs {
            None => Ok(()),
            Some(differs) => Err(Error::ChangedDistribution {
                name: name.to_owned(),
                earlier: self.to_string(),
                requested: new.to_string(),
                differs,
            }),
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
    fn compatibility_allows_new_bounds_but_not_a_new_kind_scale_or_choices() {
        let float = |low, high, log| Distribution::Float(FloatDistribution::new(low, high, log, None).unwrap());
        let int = |log| Distribution::Int(IntDistribution::new(1, 10, log, 1).unwrap());
        assert!(float(0.0, 1.0, false).check_compatible("x", &float(-5.0, 5.0, false)).is_ok());
        assert!(int(true).check_compatible("n", &int(true)).is_ok());
        let error = |old: Distribution, new: Distribution| old.check_compatible("p", &new).unwrap_err().to_string();
        assert!(error(float(1.0, 2.0, false), float(1.0, 2.0, true)).contains("log scale"));
        assert!(error(int(false), int(true)).contains("log scale"));
        assert!(error(float(1.0, 2.0, false), int(false)).contains("kind"));
        let ab = Distribution::categorical(["a", "b"]).unwrap();
        assert!(ab.check_compatible("c", &ab.clone()).is_ok());
        let message = error(ab, Distribution::categorical(["a", "c"]).unwrap());
        assert!(message.contains("'p'") && message.contains("choices"), "{message}");
    }

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

    #[test]
    fn the_full_i64_range_is_a_valid_int_space() {
        // 2^63 is i64::MAX as f64: the top of the range, one past i64::MAX.
        let top = 2f64.powi(63);
        let full = IntDistribution::new(i64::MIN, i64::MAX, false, 1).unwrap();
        assert_eq!(full.n_steps(), u64::MAX);
        assert_eq!((full.nth(0), full.nth(u64::MAX)), (i64::MIN, i64::MAX));
        let d = Distribution::Int(full.clone());
        assert!(d.contains(top) && d.contains(-top) && d.contains(0.0) && !d.contains(2.0 * top));
        assert_eq!(d.to_external(top), ParamValue::Int(i64::MAX));
        assert_eq!(d.to_internal("n", &ParamValue::Int(i64::MAX)).unwrap(), top);
        // A step the f64 cannot resolve up there: the nearest admissible
        // value, inside the bounds.
        let even = IntDistribution::new(i64::MIN, i64::MAX - 1, false, 2).unwrap();
        assert_eq!(even.nearest(top), i64::MAX - 1);
        assert!(Distribution::Int(even).contains(top));
        let thirds = IntDistribution::new(i64::MIN, i64::MAX, false, 3).unwrap();
        let v = thirds.nearest(2f64.powi(62));
        assert_eq!((i128::from(v) - i128::from(i64::MIN)) % 3, 0);
        assert!(Distribution::Int(thirds).contains(2f64.powi(62)));
    }

    #[test]
    fn float_ranges_wider_than_f64_max_still_interpolate_and_step() {
        let huge = FloatDistribution::new(-1e308, 1e308, false, None).unwrap();
        assert_eq!(huge.interpolate(0.5), 0.0);
        assert_eq!(huge.interpolate(0.75), 5e307);
        let stepped = FloatDistribution::new(-1e308, 1e308, false, Some(1e306)).unwrap();
        assert_eq!(stepped.n_steps(), Some(200));
        assert_eq!(stepped.grid_value(0), -1e308);
        assert_eq!(stepped.grid_value(200), 1e308);
        let near_top = stepped.grid_value(199);
        assert!((near_top - 9.9e307).abs() < 1e293, "{near_top}");
        let d = Distribution::Float(stepped);
        assert!(d.contains(1e308) && d.contains(near_top) && !d.contains(9.95e307));
        // Ordinary ranges keep the plain arithmetic, bit for bit.
        let plain = FloatDistribution::new(0.0, 1.0, false, Some(0.1)).unwrap();
        assert_eq!(plain.grid_value(3), plain.round_to_grid(0.0 + 3.0 * 0.1));
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
