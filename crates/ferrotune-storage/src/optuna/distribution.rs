//! Optuna's JSON form of a distribution (`distribution_json` in its RDB
//! schema, `{"name": "FloatDistribution", "attributes": {...}}`), decoded
//! into ferrotune's [`Distribution`] and encoded back.
//!
//! Decoding goes through ferrotune's constructors, so a distribution that
//! exists is well formed whoever wrote it; the names Optuna used before 3.0
//! (`UniformDistribution`, `IntUniformDistribution`, ...) are still read,
//! because older files keep them until migrated. Encoding writes only the
//! current names, which every Optuna since 3.0 reads.

use ferrotune_core::{
    CategoricalDistribution, Distribution, Error, FloatDistribution, IntDistribution, ParamValue, Result,
};
use serde_json::{json, Map, Value};

/// Decode Optuna's JSON of a distribution.
pub fn distribution_from_optuna_json(text: &str) -> Result<Distribution> {
    let bad = |why: String| Error::InvalidDistribution(format!("Optuna distribution {text}: {why}"));
    let value: Value = serde_json::from_str(text).map_err(|e| bad(format!("not JSON ({e})")))?;
    let name = value.get("name").and_then(Value::as_str).ok_or_else(|| bad("no \"name\"".into()))?;
    let attrs =
        value.get("attributes").and_then(Value::as_object).ok_or_else(|| bad("no \"attributes\" object".into()))?;
    let float = |key: &str| -> Result<f64> {
        attrs.get(key).and_then(Value::as_f64).ok_or_else(|| bad(format!("attribute \"{key}\" is not a number")))
    };
    let int = |key: &str| -> Result<i64> {
        let v = attrs.get(key).ok_or_else(|| bad(format!("no attribute \"{key}\"")))?;
        // Python writes ints as ints; an integral float (another writer) is
        // accepted, a fraction is not.
        v.as_i64()
            .or_else(|| v.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15).map(|f| f as i64))
            .ok_or_else(|| bad(format!("attribute \"{key}\" is not an integer")))
    };
    let flag = |key: &str| -> Result<bool> {
        match attrs.get(key) {
            None | Some(Value::Null) => Ok(false),
            Some(v) => v.as_bool().ok_or_else(|| bad(format!("attribute \"{key}\" is not true or false"))),
        }
    };
    // `step` may be absent or null (no step); 1 for ints by default.
    let optional_float = |key: &str| -> Result<Option<f64>> {
        match attrs.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v.as_f64().map(Some).ok_or_else(|| bad(format!("attribute \"{key}\" is not a number"))),
        }
    };
    let int_step = || -> Result<i64> {
        match attrs.get("step") {
            None | Some(Value::Null) => Ok(1),
            Some(_) => int("step"),
        }
    };
    let distribution = match name {
        "FloatDistribution" => Distribution::Float(FloatDistribution::new(
            float("low")?,
            float("high")?,
            flag("log")?,
            optional_float("step")?,
        )?),
        "IntDistribution" => {
            Distribution::Int(IntDistribution::new(int("low")?, int("high")?, flag("log")?, int_step()?)?)
        }
        "CategoricalDistribution" => {
            let choices = attrs
                .get("choices")
                .and_then(Value::as_array)
                .ok_or_else(|| bad("attribute \"choices\" is not a list".into()))?
                .iter()
                .map(|c| {
                    choice_from_json(c)
                        .ok_or_else(|| bad(format!("choice {c} is not null, a bool, a number or a string")))
                })
                .collect::<Result<Vec<_>>>()?;
            Distribution::Categorical(CategoricalDistribution::new(choices)?)
        }
        // Optuna before 3.0.
        "UniformDistribution" => {
            Distribution::Float(FloatDistribution::new(float("low")?, float("high")?, false, None)?)
        }
        "LogUniformDistribution" => {
            Distribution::Float(FloatDistribution::new(float("low")?, float("high")?, true, None)?)
        }
        "DiscreteUniformDistribution" => {
            Distribution::Float(FloatDistribution::new(float("low")?, float("high")?, false, Some(float("q")?))?)
        }
        "IntUniformDistribution" => {
            Distribution::Int(IntDistribution::new(int("low")?, int("high")?, false, int_step()?)?)
        }
        "IntLogUniformDistribution" => Distribution::Int(IntDistribution::new(int("low")?, int("high")?, true, 1)?),
        other => return Err(bad(format!("unknown distribution \"{other}\""))),
    };
    Ok(distribution)
}

/// Encode a distribution as Optuna 3+ writes it.
pub fn distribution_to_optuna_json(distribution: &Distribution) -> String {
    let value = match distribution {
        Distribution::Float(d) => json!({
            "name": "FloatDistribution",
            "attributes": {"step": d.step(), "low": d.low(), "high": d.high(), "log": d.log()},
        }),
        Distribution::Int(d) => json!({
            "name": "IntDistribution",
            "attributes": {"log": d.log(), "step": d.step(), "low": d.low(), "high": d.high()},
        }),
        Distribution::Categorical(d) => {
            let choices: Vec<Value> = d.choices().iter().map(choice_to_json).collect();
            let mut attributes = Map::new();
            attributes.insert("choices".into(), Value::Array(choices));
            json!({"name": "CategoricalDistribution", "attributes": attributes})
        }
    };
    value.to_string()
}

/// A categorical choice as ferrotune holds it. Optuna allows `None`, bools,
/// ints, floats and strings; a list or dict is no valid choice there either.
fn choice_from_json(value: &Value) -> Option<ParamValue> {
    Some(match value {
        Value::Null => ParamValue::Null,
        Value::Bool(b) => ParamValue::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => ParamValue::Int(i),
            None => ParamValue::Float(n.as_f64()?),
        },
        Value::String(s) => ParamValue::Str(s.clone()),
        Value::Array(_) | Value::Object(_) => return None,
    })
}

fn choice_to_json(choice: &ParamValue) -> Value {
    match choice {
        ParamValue::Null => Value::Null,
        ParamValue::Bool(b) => Value::Bool(*b),
        ParamValue::Int(i) => Value::from(*i),
        // A NaN choice is refused on construction, so `from_f64` succeeds;
        // null is never reached.
        ParamValue::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        ParamValue::Str(s) => Value::String(s.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(text: &str) -> Distribution {
        distribution_from_optuna_json(text).unwrap()
    }

    #[test]
    fn decodes_what_optuna_5_writes() {
        let log = decode(
            r#"{"name": "FloatDistribution", "attributes": {"step": null, "low": 0.001, "high": 1.0, "log": true}}"#,
        );
        assert_eq!(log, Distribution::Float(FloatDistribution::new(0.001, 1.0, true, None).unwrap()));
        let stepped = decode(
            r#"{"name": "FloatDistribution", "attributes": {"step": 0.25, "low": 0.0, "high": 1.0, "log": false}}"#,
        );
        assert_eq!(stepped, Distribution::Float(FloatDistribution::new(0.0, 1.0, false, Some(0.25)).unwrap()));
        let ints =
            decode(r#"{"name": "IntDistribution", "attributes": {"log": false, "step": 2, "low": 0, "high": 10}}"#);
        assert_eq!(ints, Distribution::Int(IntDistribution::new(0, 10, false, 2).unwrap()));
        let int_log =
            decode(r#"{"name": "IntDistribution", "attributes": {"log": true, "step": 1, "low": 1, "high": 100}}"#);
        assert_eq!(int_log, Distribution::Int(IntDistribution::new(1, 100, true, 1).unwrap()));
        let cat =
            decode(r#"{"name": "CategoricalDistribution", "attributes": {"choices": ["a", null, 1, 2.5, true, 3.0]}}"#);
        let choices = vec![
            ParamValue::from("a"),
            ParamValue::Null,
            ParamValue::Int(1),
            ParamValue::Float(2.5),
            ParamValue::Bool(true),
            ParamValue::Float(3.0),
        ];
        assert_eq!(cat, Distribution::Categorical(CategoricalDistribution::new(choices).unwrap()));
    }

    #[test]
    fn decodes_the_names_before_optuna_3() {
        let cases = [
            (
                r#"{"name": "UniformDistribution", "attributes": {"low": -1.0, "high": 1.0}}"#,
                Distribution::float(-1.0, 1.0).unwrap(),
            ),
            (
                r#"{"name": "LogUniformDistribution", "attributes": {"low": 1e-5, "high": 1.0}}"#,
                Distribution::Float(FloatDistribution::new(1e-5, 1.0, true, None).unwrap()),
            ),
            (
                r#"{"name": "DiscreteUniformDistribution", "attributes": {"low": 0.0, "high": 1.0, "q": 0.1}}"#,
                Distribution::Float(FloatDistribution::new(0.0, 1.0, false, Some(0.1)).unwrap()),
            ),
            (
                r#"{"name": "IntUniformDistribution", "attributes": {"low": 0, "high": 9, "step": 3}}"#,
                Distribution::Int(IntDistribution::new(0, 9, false, 3).unwrap()),
            ),
            (
                r#"{"name": "IntLogUniformDistribution", "attributes": {"low": 1, "high": 64, "step": 1}}"#,
                Distribution::Int(IntDistribution::new(1, 64, true, 1).unwrap()),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(decode(text), expected, "{text}");
        }
    }

    #[test]
    fn encoding_round_trips_and_matches_optunas_shape() {
        let distributions = [
            Distribution::Float(FloatDistribution::new(0.001, 1.0, true, None).unwrap()),
            Distribution::Float(FloatDistribution::new(0.0, 1.0, false, Some(0.25)).unwrap()),
            Distribution::Int(IntDistribution::new(-4, 10, false, 2).unwrap()),
            Distribution::Int(IntDistribution::new(1, 100, true, 1).unwrap()),
            Distribution::categorical([ParamValue::Null, ParamValue::Bool(false), 1.into(), 2.5.into(), "x".into()])
                .unwrap(),
        ];
        for d in &distributions {
            let text = distribution_to_optuna_json(d);
            assert_eq!(&distribution_from_optuna_json(&text).unwrap(), d, "{text}");
        }
        let float: Value = serde_json::from_str(&distribution_to_optuna_json(&distributions[0])).unwrap();
        assert_eq!(
            float,
            json!({"name": "FloatDistribution", "attributes": {"step": null, "low": 0.001, "high": 1.0, "log": true}})
        );
        let int: Value = serde_json::from_str(&distribution_to_optuna_json(&distributions[2])).unwrap();
        assert_eq!(
            int,
            json!({"name": "IntDistribution", "attributes": {"log": false, "step": 2, "low": -4, "high": 10}})
        );
        // A float choice stays a float (Optuna tells 2.0 from 2).
        let two = Distribution::categorical([ParamValue::Float(2.0), ParamValue::Int(3)]).unwrap();
        assert!(distribution_to_optuna_json(&two).contains("[2.0,3]"), "{}", distribution_to_optuna_json(&two));
    }

    #[test]
    fn bad_json_names_the_problem() {
        let err = |text: &str| distribution_from_optuna_json(text).unwrap_err().to_string();
        assert!(err("not json").contains("not JSON"));
        assert!(err(r#"{"attributes": {}}"#).contains("no \"name\""));
        assert!(err(r#"{"name": "BetaDistribution", "attributes": {}}"#)
            .contains("unknown distribution \"BetaDistribution\""));
        assert!(err(r#"{"name": "FloatDistribution", "attributes": {"low": "a", "high": 1}}"#).contains("\"low\""));
        assert!(err(r#"{"name": "IntDistribution", "attributes": {"low": 0.5, "high": 1}}"#).contains("not an integer"));
        assert!(err(r#"{"name": "FloatDistribution", "attributes": {"low": 2.0, "high": 1.0}}"#).contains("greater"));
        assert!(err(r#"{"name": "CategoricalDistribution", "attributes": {"choices": [[1]]}}"#).contains("choice [1]"));
        assert!(err(r#"{"name": "CategoricalDistribution", "attributes": {"choices": []}}"#).contains("at least one"));
    }
}
