//! One description of every sampler's and pruner's options, read by every
//! face.
//!
//! A [`ComponentSpec`] names a sampler or pruner as each face knows it (the
//! CLI's `type = "tpe"`, Python's `TPESampler`), lists its options with
//! their kind, default and meaning, and builds it from an [`OptionSet`]: the
//! options a face was given, already checked against the list. The CLI turns
//! a TOML table into an [`OptionSet`], the Python package its keyword
//! arguments, the options reference is rendered from the same list; so an
//! option is declared, parsed, validated and documented in one place, next
//! to the sampler it configures.
//!
//! Design decision: values arrive as a small JSON-like [`OptionValue`] tree
//! rather than as typed fields, because each face has its own value types
//! (TOML, Python objects); the typed getters of [`OptionSet`] do the checks
//! once, and their errors ([`Error::InvalidOption`]) name the option so that
//! each face can point at it its own way (`sampler.gamma` in a TOML file, a
//! keyword argument in Python).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use crate::{Distribution, Error, ParamValue, Result};

/// A value given for an option, in a form every face can produce.
#[derive(Debug, Clone, PartialEq)]
pub enum OptionValue {
    /// "No value" inside a list (a grid's `None` choice); as an option's
    /// whole value a face passes nothing instead.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// An integer beyond `i64::MAX` (Python's ints are unbounded; 64-bit
    /// seeds such as `random.getrandbits(64)` need the top bit).
    UInt(u64),
    /// A floating-point number.
    Float(f64),
    /// A string (a word, for options with a fixed set of them).
    Str(String),
    /// A list of values.
    List(Vec<OptionValue>),
    /// A table of named values (`x0 = { lr = 0.01 }`).
    Map(BTreeMap<String, OptionValue>),
}

impl fmt::Display for OptionValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptionValue::Null => write!(f, "null"),
            OptionValue::Bool(b) => write!(f, "{b}"),
            OptionValue::Int(i) => write!(f, "{i}"),
            OptionValue::UInt(u) => write!(f, "{u}"),
            OptionValue::Float(x) => write!(f, "{x}"),
            OptionValue::Str(s) => write!(f, "{s:?}"),
            OptionValue::List(items) => {
                let items: Vec<String> = items.iter().map(ToString::to_string).collect();
                write!(f, "[{}]", items.join(", "))
            }
            OptionValue::Map(map) => {
                let items: Vec<String> = map.iter().map(|(k, v)| format!("{k} = {v}")).collect();
                write!(f, "{{ {} }}", items.join(", "))
            }
        }
    }
}

impl OptionValue {
    /// The value as a parameter value, if it is a scalar.
    pub fn to_param_value(&self) -> Option<ParamValue> {
        match self {
            OptionValue::Null => Some(ParamValue::Null),
            OptionValue::Bool(b) => Some(ParamValue::Bool(*b)),
            OptionValue::Int(i) => Some(ParamValue::Int(*i)),
            OptionValue::UInt(_) => None,
            OptionValue::Float(x) => Some(ParamValue::Float(*x)),
            OptionValue::Str(s) => Some(ParamValue::Str(s.clone())),
            OptionValue::List(_) | OptionValue::Map(_) => None,
        }
    }
}

/// What an option takes; checked by the matching getter of [`OptionSet`]
/// and shown in the options reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    /// `true` or `false`.
    Flag,
    /// A non-negative integer.
    Count,
    /// A non-negative integer, or the word `"auto"`.
    CountOrAuto,
    /// A number (an integer is taken as one).
    Number,
    /// One of these words.
    Word(&'static [&'static str]),
    /// The random seed: a non-negative integer.
    Seed,
    /// A table of one value per parameter, in the parameter's own terms.
    ParamValues,
    /// A table of a list of values per parameter.
    ParamLists,
    /// A matrix: a list of rows, each a list of numbers (NSGA-III's
    /// reference points, one column per objective).
    NumberRows,
}

impl OptionKind {
    /// The kind as the options reference shows it.
    pub fn describe(self) -> String {
        match self {
            OptionKind::Flag => "bool".into(),
            OptionKind::Count => "integer >= 0".into(),
            OptionKind::CountOrAuto => "integer >= 1 or \"auto\"".into(),
            OptionKind::Number => "number".into(),
            OptionKind::Word(words) => words.iter().map(|w| format!("\"{w}\"")).collect::<Vec<_>>().join(" | "),
            OptionKind::Seed => "integer >= 0".into(),
            OptionKind::ParamValues => "table: parameter -> value".into(),
            OptionKind::ParamLists => "table: parameter -> list of values".into(),
            OptionKind::NumberRows => "list of lists of numbers".into(),
        }
    }
}

/// One option of a sampler or pruner.
#[derive(Debug, Clone, Copy)]
pub struct OptionSpec {
    /// Its name, the same in every face (Optuna's where Optuna has it).
    pub name: &'static str,
    /// What it takes.
    pub kind: OptionKind,
    /// The default, as the reference shows it.
    pub default: &'static str,
    /// What it does, in a sentence or two.
    pub help: &'static str,
}

/// How to build a sampler or pruner from options.
pub type BuildFn<T> = fn(&OptionSet<'_>) -> Result<Arc<T>>;

/// A sampler or pruner as every face knows it.
pub struct ComponentSpec<T: ?Sized> {
    /// Its name in the CLI's `type = "..."`.
    pub name: &'static str,
    /// Other names the CLI accepts for it (`asha` for `successive_halving`).
    pub aliases: &'static [&'static str],
    /// Its class in the Python package (Optuna's name).
    pub python: &'static str,
    /// What it is for, in a sentence or two.
    pub summary: &'static str,
    /// Its options, in the order the reference lists them.
    pub options: &'static [OptionSpec],
    /// Builds it from checked options.
    pub build: BuildFn<T>,
}

impl<T: ?Sized> ComponentSpec<T> {
    /// The option of this name.
    pub fn option(&self, name: &str) -> Option<&OptionSpec> {
        self.options.iter().find(|o| o.name == name)
    }

    /// Whether the CLI's `type` names this component.
    pub fn is_named(&self, name: &str) -> bool {
        self.name == name || self.aliases.contains(&name)
    }

    /// Check `values` against the options and build.
    pub fn build(
        &self,
        values: BTreeMap<String, OptionValue>,
        search_space: Option<&SearchSpaceSpec>,
    ) -> Result<Arc<T>> {
        self.build_as(self.name, values, search_space)
    }

    /// As [`build`](Self::build), naming the component `label` in errors
    /// (the name the user wrote, e.g. "asha pruner").
    pub fn build_as(
        &self,
        label: &str,
        values: BTreeMap<String, OptionValue>,
        search_space: Option<&SearchSpaceSpec>,
    ) -> Result<Arc<T>> {
        let options = OptionSet::new(label, self.options, values, search_space)?;
        (self.build)(&options).map_err(|e| self.name_the_option(e))
    }

    /// A builder's error that begins with one of the options' names (the
    /// builders' convention: "n_ei_candidates must be at least 1") becomes
    /// an [`Error::InvalidOption`], so that faces point at the option.
    fn name_the_option(&self, e: Error) -> Error {
        let Error::InvalidArgument(message) = e else { return e };
        let named = self
            .options
            .iter()
            .map(|o| o.name)
            .find(|name| message.strip_prefix(name).is_some_and(|rest| rest.starts_with([' ', ':', ',', '('])));
        match named {
            Some(option) => Error::InvalidOption { option: option.to_owned(), message },
            None => Error::InvalidArgument(message),
        }
    }
}

/// The search space a config declares up front (the CLI's `[params]`), for
/// options that speak of parameters (`x0`, a grid's values). Absent when
/// the space is defined by running code (the library, Python).
pub type SearchSpaceSpec = [(String, Distribution)];

/// The options given to one sampler or pruner, checked against its list.
pub struct OptionSet<'a> {
    component: String,
    specs: &'static [OptionSpec],
    values: BTreeMap<String, OptionValue>,
    search_space: Option<&'a SearchSpaceSpec>,
}

impl<'a> OptionSet<'a> {
    /// Options for `component`; an option it does not have is an error that
    /// lists the ones it has.
    pub fn new(
        component: &str,
        specs: &'static [OptionSpec],
        values: BTreeMap<String, OptionValue>,
        search_space: Option<&'a SearchSpaceSpec>,
    ) -> Result<Self> {
        if let Some(unknown) = values.keys().find(|k| !specs.iter().any(|s| s.name == k.as_str())) {
            let valid: Vec<&str> = specs.iter().map(|s| s.name).collect();
            return Err(Error::InvalidOption {
                option: unknown.clone(),
                message: format!("unknown option for the {component} (options: {})", valid.join(", ")),
            });
        }
        Ok(OptionSet { component: component.to_owned(), specs, values, search_space })
    }

    /// The component's name, for messages.
    pub fn component(&self) -> &str {
        &self.component
    }

    /// The search space declared up front, if the face has one.
    pub fn search_space(&self) -> Option<&'a SearchSpaceSpec> {
        self.search_space
    }

    /// Whether the option was given.
    pub fn has(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    /// The raw value given for an option.
    pub fn raw(&self, name: &str) -> Option<&OptionValue> {
        debug_assert!(self.specs.iter().any(|s| s.name == name), "{name} is not declared");
        self.values.get(name)
    }

    fn invalid(&self, name: &str, message: String) -> Error {
        Error::InvalidOption { option: name.to_owned(), message }
    }

    /// A `true` / `false` option.
    pub fn flag(&self, name: &str) -> Result<Option<bool>> {
        match self.raw(name) {
            None => Ok(None),
            Some(OptionValue::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(self.invalid(name, format!("must be true or false, got {other}"))),
        }
    }

    /// A non-negative integer option.
    pub fn count(&self, name: &str) -> Result<Option<usize>> {
        match self.raw(name) {
            None => Ok(None),
            Some(OptionValue::Int(i)) if *i >= 0 => {
                usize::try_from(*i).map(Some).map_err(|_| self.invalid(name, format!("{i} is too large")))
            }
            Some(other) => Err(self.invalid(name, format!("must be a non-negative integer, got {other}"))),
        }
    }

    /// A positive integer or `"auto"` (`Ok(None)` for both absent and auto).
    pub fn count_or_auto(&self, name: &str) -> Result<Option<u64>> {
        match self.raw(name) {
            None => Ok(None),
            Some(OptionValue::Str(s)) if s == "auto" => Ok(None),
            Some(OptionValue::Int(i)) if *i >= 1 => Ok(Some(*i as u64)),
            Some(other) => Err(self.invalid(name, format!("must be a positive integer or \"auto\", got {other}"))),
        }
    }

    /// A number option (an integer is taken as one).
    pub fn number(&self, name: &str) -> Result<Option<f64>> {
        match self.raw(name) {
            None => Ok(None),
            Some(OptionValue::Int(i)) => Ok(Some(*i as f64)),
            Some(OptionValue::Float(x)) => Ok(Some(*x)),
            Some(other) => Err(self.invalid(name, format!("must be a number, got {other}"))),
        }
    }

    /// The seed, if given.
    pub fn seed(&self) -> Result<Option<u64>> {
        match self.raw("seed") {
            None => Ok(None),
            Some(OptionValue::Int(i)) if *i >= 0 => Ok(Some(*i as u64)),
            Some(OptionValue::UInt(u)) => Ok(Some(*u)),
            Some(other) => Err(self.invalid("seed", format!("must be a non-negative integer, got {other}"))),
        }
    }

    /// A word option, parsed by its type's `FromStr`; the error lists the
    /// words the option's kind allows.
    pub fn word<T: FromStr>(&self, name: &str) -> Result<Option<T>> {
        let words = match self.specs.iter().find(|s| s.name == name).map(|s| s.kind) {
            Some(OptionKind::Word(words)) => words,
            _ => &[],
        };
        let expected = || match words {
            [] => "a word".to_owned(),
            [one] => format!("\"{one}\""),
            [init @ .., last] => {
                format!("{} or \"{last}\"", init.iter().map(|w| format!("\"{w}\"")).collect::<Vec<_>>().join(", "))
            }
        };
        match self.raw(name) {
            None => Ok(None),
            Some(OptionValue::Str(s)) => {
                s.parse().map(Some).map_err(|_| self.invalid(name, format!("must be {}, got \"{s}\"", expected())))
            }
            Some(other) => Err(self.invalid(name, format!("must be {}, got {other}", expected()))),
        }
    }

    /// A matrix option: a list of rows of numbers (integers taken as
    /// numbers). The rows' lengths are the builder's to check.
    pub fn number_rows(&self, name: &str) -> Result<Option<Vec<Vec<f64>>>> {
        let Some(value) = self.raw(name) else { return Ok(None) };
        let OptionValue::List(rows) = value else {
            return Err(self.invalid(name, format!("must be a list of rows of numbers, got {value}")));
        };
        let number = |v: &OptionValue| match v {
            OptionValue::Int(i) => Some(*i as f64),
            OptionValue::UInt(u) => Some(*u as f64),
            OptionValue::Float(x) => Some(*x),
            _ => None,
        };
        let mut out = Vec::with_capacity(rows.len());
        for (r, row) in rows.iter().enumerate() {
            let OptionValue::List(items) = row else {
                return Err(self.invalid(name, format!("row {r} must be a list of numbers, got {row}")));
            };
            let numbers: Option<Vec<f64>> = items.iter().map(number).collect();
            let Some(numbers) = numbers else {
                return Err(self.invalid(name, format!("row {r} must hold numbers only, got {row}")));
            };
            out.push(numbers);
        }
        Ok(Some(out))
    }

    /// A table of values keyed by parameter, each checked against its
    /// distribution when the search space is known.
    pub fn param_values(&self, name: &str) -> Result<Option<BTreeMap<String, ParamValue>>> {
        let Some(value) = self.raw(name) else { return Ok(None) };
        let OptionValue::Map(map) = value else {
            return Err(self.invalid(name, format!("must be a table of parameter values, got {value}")));
        };
        let mut out = BTreeMap::new();
        for (param, v) in map {
            let at = format!("{name}.{param}");
            let v = v.to_param_value().ok_or_else(|| self.invalid(&at, format!("{v} is not a parameter value")))?;
            self.check_param(&at, param, &v)?;
            out.insert(param.clone(), v);
        }
        Ok(Some(out))
    }

    /// A table of lists of values keyed by parameter (a grid).
    pub fn param_lists(&self, name: &str) -> Result<Option<BTreeMap<String, Vec<ParamValue>>>> {
        let Some(value) = self.raw(name) else { return Ok(None) };
        let OptionValue::Map(map) = value else {
            return Err(self.invalid(name, format!("must be a table of lists, got {value}")));
        };
        let mut out = BTreeMap::new();
        for (param, list) in map {
            let at = format!("{name}.{param}");
            let OptionValue::List(items) = list else {
                return Err(self.invalid(&at, format!("must be a list, got {list}")));
            };
            let mut values = Vec::with_capacity(items.len());
            for item in items {
                let v = item
                    .to_param_value()
                    .ok_or_else(|| self.invalid(&at, format!("{item} is not a string, number or bool")))?;
                self.check_param(&at, param, &v)?;
                values.push(v);
            }
            out.insert(param.clone(), values);
        }
        Ok(Some(out))
    }

    fn check_param(&self, at: &str, param: &str, value: &ParamValue) -> Result<()> {
        let Some(space) = self.search_space else { return Ok(()) };
        let Some((_, distribution)) = space.iter().find(|(n, _)| n == param) else {
            return Err(self.invalid(at, "names no parameter".into()));
        };
        distribution
            .to_internal(param, value)
            .map(|_| ())
            .map_err(|_| self.invalid(at, format!("{value} is outside the parameter's {distribution}")))
    }
}

/// Render the options reference (Markdown) of some components.
pub fn render_reference<T: ?Sized>(title: &str, kind: &str, components: &[&ComponentSpec<T>]) -> String {
    let mut out = format!("## {title}\n\n");
    for c in components {
        let aliases =
            if c.aliases.is_empty() { String::new() } else { format!(" (also `{}`)", c.aliases.join("`, `")) };
        out.push_str(&format!(
            "### `{}`{aliases} — Python `{}`\n\n{}\n\nCLI: `[{kind}] type = \"{}\"`; Python: `ferrotune.{kind}s.{}(...)`.\n\n",
            c.name, c.python, c.summary, c.name, c.python
        ));
        if c.options.is_empty() {
            out.push_str("No options.\n\n");
            continue;
        }
        out.push_str("| option | takes | default | meaning |\n|---|---|---|---|\n");
        for o in c.options {
            out.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                o.name,
                o.kind.describe().replace('|', "\\|"),
                o.default,
                o.help.replace('|', "\\|").replace('\n', " ")
            ));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: &[OptionSpec] = &[
        OptionSpec { name: "n", kind: OptionKind::Count, default: "10", help: "how many" },
        OptionSpec { name: "mode", kind: OptionKind::Word(&["fast", "slow"]), default: "\"fast\"", help: "speed" },
    ];

    #[derive(Debug, PartialEq)]
    enum Mode {
        Fast,
        Slow,
    }

    impl FromStr for Mode {
        type Err = ();
        fn from_str(s: &str) -> std::result::Result<Self, ()> {
            match s {
                "fast" => Ok(Mode::Fast),
                "slow" => Ok(Mode::Slow),
                _ => Err(()),
            }
        }
    }

    fn set(values: &[(&str, OptionValue)]) -> Result<OptionSet<'static>> {
        OptionSet::new("demo sampler", SPECS, values.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(), None)
    }

    #[test]
    fn unknown_options_list_the_valid_ones() {
        let err = set(&[("m", OptionValue::Int(1))]).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("'m'") && err.contains("options: n, mode"), "{err}");
    }

    #[test]
    fn getters_check_kinds_and_words() {
        let s = set(&[("n", OptionValue::Int(3)), ("mode", OptionValue::Str("slow".into()))]).unwrap();
        assert_eq!(s.count("n").unwrap(), Some(3));
        assert_eq!(s.word::<Mode>("mode").unwrap(), Some(Mode::Slow));
        let s = set(&[("n", OptionValue::Int(-1)), ("mode", OptionValue::Str("warp".into()))]).unwrap();
        assert!(s.count("n").unwrap_err().to_string().contains("non-negative integer"));
        let err = s.word::<Mode>("mode").unwrap_err().to_string();
        assert!(err.contains("\"fast\" or \"slow\"") && err.contains("warp"), "{err}");
        assert_eq!(set(&[]).unwrap().word::<Mode>("mode").unwrap(), None);
        assert_eq!(Mode::Fast, "fast".parse().unwrap());
    }
}
