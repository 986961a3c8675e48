//! `[sampler]` and `[pruner]` tables: the TOML face of the engine's option
//! descriptions ([`ferrotune::core::options`]). This file knows TOML and the
//! config's error style; which options exist, what they take and how they
//! are checked is the engine's, once, for every face.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use ferrotune::core::options::{ComponentSpec, OptionValue};
use ferrotune::Distribution;

use crate::config::ConfigError;

/// A TOML value as an option value.
pub fn option_value(value: &toml::Value) -> OptionValue {
    match value {
        toml::Value::Boolean(b) => OptionValue::Bool(*b),
        toml::Value::Integer(i) => OptionValue::Int(*i),
        toml::Value::Float(x) => OptionValue::Float(*x),
        toml::Value::String(s) => OptionValue::Str(s.clone()),
        // Dates have no meaning for any option: passed as text, they get
        // the option's own "must be ..." error.
        toml::Value::Datetime(d) => OptionValue::Str(d.to_string()),
        toml::Value::Array(items) => OptionValue::List(items.iter().map(option_value).collect()),
        toml::Value::Table(t) => OptionValue::Map(t.iter().map(|(k, v)| (k.clone(), option_value(v))).collect()),
    }
}

/// Build the component a `[section]` table names by its `type` (or
/// `default` when the table has none), from the engine's descriptions.
/// Errors name `section.type`, `section.<option>` or `section`.
pub fn build_component<T: ?Sized>(
    file: &Path,
    section: &str,
    table: &toml::Table,
    default: Option<&str>,
    specs: &[&'static ComponentSpec<T>],
    search_space: &[(String, Distribution)],
) -> Result<Arc<T>, ConfigError> {
    let err = |key: String, message: String| ConfigError { file: file.to_owned(), key, message };
    let names =
        || specs.iter().flat_map(|s| std::iter::once(s.name).chain(s.aliases.iter().copied())).collect::<Vec<_>>();
    let kind = match (table.get("type"), default) {
        (Some(toml::Value::String(s)), _) => s.clone(),
        (Some(other), _) => return Err(err(format!("{section}.type"), format!("must be a string, got {other}"))),
        (None, Some(default)) => default.to_owned(),
        (None, None) => {
            return Err(err(format!("{section}.type"), format!("missing (one of: {})", names().join(", "))))
        }
    };
    let Some(spec) = specs.iter().find(|s| s.is_named(&kind)) else {
        return Err(err(
            format!("{section}.type"),
            format!("unknown {section} '{kind}' (available: {})", names().join(", ")),
        ));
    };
    let values: BTreeMap<String, OptionValue> =
        table.iter().filter(|(k, _)| k.as_str() != "type").map(|(k, v)| (k.clone(), option_value(v))).collect();
    spec.build_as(&format!("{kind} {section}"), values, Some(search_space)).map_err(|e| match e {
        ferrotune::Error::InvalidOption { option, message } => err(format!("{section}.{option}"), message),
        other => err(section.to_owned(), other.to_string()),
    })
}
