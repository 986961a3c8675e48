//! `[params]`: each parameter's distribution and condition, the order in
//! which they are suggested (a conditional one after its parent), and the
//! environment names they are passed under.

use std::collections::{BTreeMap, BTreeSet};

use ferrotune::{Distribution, FloatDistribution, IntDistribution, ParamValue};

use super::raw::RawParam;
use super::{ConfigError, ErrFn, ParamSpec};

/// A parameter's name in the environment variable `FERROTUNE_PARAM_<NAME>`.
pub fn env_name(param: &str) -> String {
    param.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect()
}

/// Two parameters must not share an environment variable (`a-b`, `a_b` and
/// `A.B` all become `FERROTUNE_PARAM_A_B`; the last would silently win).
pub(super) fn check_environment_names(params: &[ParamSpec], err: &ErrFn<'_>) -> Result<(), ConfigError> {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for p in params {
        let variable = env_name(&p.name);
        if let Some(other) = seen.insert(variable.clone(), &p.name) {
            return Err(err(
                &format!("params.{}", p.name),
                format!(
                    "'{}' and '{other}' would both be passed as FERROTUNE_PARAM_{variable}; rename one of them",
                    p.name
                ),
            ));
        }
    }
    Ok(())
}

pub(super) fn toml_to_param_value(v: &toml::Value) -> Option<ParamValue> {
    match v {
        toml::Value::String(s) => Some(ParamValue::Str(s.clone())),
        toml::Value::Integer(i) => Some(ParamValue::Int(*i)),
        toml::Value::Float(f) => Some(ParamValue::Float(*f)),
        toml::Value::Boolean(b) => Some(ParamValue::Bool(*b)),
        _ => None,
    }
}

pub(super) fn parse_params(table: &toml::Table, err: &ErrFn<'_>) -> Result<Vec<ParamSpec>, ConfigError> {
    if table.is_empty() {
        return Err(err("params", "no parameters to search".into()));
    }
    let mut specs = Vec::new();
    for (name, value) in table {
        let key = format!("params.{name}");
        let raw: RawParam = value.clone().try_into().map_err(|e: toml::de::Error| err(&key, e.message().to_owned()))?;
        let distribution = parse_distribution(&key, &raw, err)?;
        let when = parse_condition(&key, &raw, err)?;
        specs.push(ParamSpec { name: name.clone(), distribution, when });
    }
    order_by_conditions(specs, err)
}

/// One parameter's distribution, from its table.
fn parse_distribution(key: &str, raw: &RawParam, err: &ErrFn<'_>) -> Result<Distribution, ConfigError> {
    let number = |field: &str, v: &Option<toml::Value>| -> Result<Option<f64>, ConfigError> {
        match v {
            None => Ok(None),
            Some(toml::Value::Integer(i)) => Ok(Some(*i as f64)),
            Some(toml::Value::Float(f)) => Ok(Some(*f)),
            Some(other) => Err(err(&format!("{key}.{field}"), format!("must be a number, got {other}"))),
        }
    };
    let integer = |field: &str, v: &Option<toml::Value>| -> Result<Option<i64>, ConfigError> {
        match v {
            None => Ok(None),
            Some(toml::Value::Integer(i)) => Ok(Some(*i)),
            Some(other) => {
                Err(err(&format!("{key}.{field}"), format!("must be an integer for an int parameter, got {other}")))
            }
        }
    };
    let required =
        |field: &str| err(&format!("{key}.{field}"), format!("missing: a {} parameter needs {field}", raw.kind));
    let distribution = match raw.kind.as_str() {
        "float" => {
            if raw.choices.is_some() {
                return Err(err(&format!("{key}.choices"), "only categorical parameters have choices".into()));
            }
            let low = number("low", &raw.low)?.ok_or_else(|| required("low"))?;
            let high = number("high", &raw.high)?.ok_or_else(|| required("high"))?;
            let step = number("step", &raw.step)?;
            Distribution::Float(FloatDistribution::new(low, high, raw.log, step).map_err(|e| err(key, strip(e)))?)
        }
        "int" => {
            if raw.choices.is_some() {
                return Err(err(&format!("{key}.choices"), "only categorical parameters have choices".into()));
            }
            let low = integer("low", &raw.low)?.ok_or_else(|| required("low"))?;
            let high = integer("high", &raw.high)?.ok_or_else(|| required("high"))?;
            let step = integer("step", &raw.step)?.unwrap_or(1);
            Distribution::Int(IntDistribution::new(low, high, raw.log, step).map_err(|e| err(key, strip(e)))?)
        }
        "categorical" => {
            for (field, present) in [
                ("low", raw.low.is_some()),
                ("high", raw.high.is_some()),
                ("step", raw.step.is_some()),
                ("log", raw.log),
            ] {
                if present {
                    return Err(err(&format!("{key}.{field}"), "a categorical parameter takes only choices".into()));
                }
            }
            let choices = raw.choices.as_ref().ok_or_else(|| required("choices"))?;
            let values = choices
                .iter()
                .map(|c| {
                    toml_to_param_value(c)
                        .ok_or_else(|| err(&format!("{key}.choices"), format!("{c} is not a string, number or bool")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            Distribution::categorical(values).map_err(|e| err(&format!("{key}.choices"), strip(e)))?
        }
        other => {
            return Err(err(
                &format!("{key}.type"),
                format!("unknown type '{other}' (expected float, int or categorical)"),
            ));
        }
    };
    Ok(distribution)
}

/// One parameter's condition (`when = { parent = value or [values] }`).
fn parse_condition(
    key: &str,
    raw: &RawParam,
    err: &ErrFn<'_>,
) -> Result<Option<(String, Vec<ParamValue>)>, ConfigError> {
    let when = match &raw.when {
        None => None,
        Some(t) => {
            let (Some((parent, values)), 1) = (t.iter().next(), t.len()) else {
                return Err(err(
                    &format!("{key}.when"),
                    "name exactly one parameter, e.g. when = { optimizer = \"sgd\" }".into(),
                ));
            };
            let when_key = format!("{key}.when.{parent}");
            let one = |v: &toml::Value| {
                toml_to_param_value(v)
                    .ok_or_else(|| err(&when_key, format!("{v} is not a string, number or bool (nor a list of them)")))
            };
            let values: Vec<ParamValue> = match values {
                toml::Value::Array(vs) => vs.iter().map(one).collect::<Result<_, _>>()?,
                v => vec![one(v)?],
            };
            if values.is_empty() {
                return Err(err(&format!("{key}.when.{parent}"), "needs a value or a list of values".into()));
            }
            Some((parent.clone(), values))
        }
    };
    Ok(when)
}

/// The core's messages start with "invalid distribution: "; the key already
/// says where, so drop the prefix.
fn strip(e: ferrotune::Error) -> String {
    let s = e.to_string();
    s.strip_prefix("invalid distribution: ").unwrap_or(&s).to_owned()
}

/// Put every conditional parameter after the one it depends on, checking
/// that the parent exists, can take the values named, and that there are no
/// cycles.
fn order_by_conditions(specs: Vec<ParamSpec>, err: &ErrFn<'_>) -> Result<Vec<ParamSpec>, ConfigError> {
    for spec in &specs {
        if let Some((parent, values)) = &spec.when {
            let key = format!("params.{}.when", spec.name);
            let Some(p) = specs.iter().find(|s| &s.name == parent) else {
                return Err(err(&key, format!("names '{parent}', which is not a parameter")));
            };
            for v in values {
                if p.distribution.to_internal(parent, v).is_err() {
                    return Err(err(&key, format!("'{parent}' can never be {v} ({})", p.distribution)));
                }
            }
        }
    }
    let mut ordered: Vec<ParamSpec> = Vec::with_capacity(specs.len());
    let mut placed: BTreeSet<String> = BTreeSet::new();
    let mut pending = specs;
    while !pending.is_empty() {
        let before = pending.len();
        let mut rest = Vec::new();
        for spec in pending {
            match &spec.when {
                Some((parent, _)) if !placed.contains(parent) => rest.push(spec),
                _ => {
                    placed.insert(spec.name.clone());
                    ordered.push(spec);
                }
            }
        }
        if rest.len() == before {
            let names: Vec<&str> = rest.iter().map(|s| s.name.as_str()).collect();
            return Err(err("params", format!("conditions form a cycle among: {}", names.join(", "))));
        }
        pending = rest;
    }
    Ok(ordered)
}
