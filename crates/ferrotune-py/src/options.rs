//! Sampler and pruner keyword arguments read through the engine's option
//! descriptions (`ferrotune::samplers::SAMPLERS`,
//! `ferrotune::pruners::PRUNERS`): the Python face of the descriptions the
//! CLI's `[sampler]` and `[pruner]` tables also read.
//!
//! A constructor takes Optuna's arguments that the engine does not model by
//! name, and everything else as `**options`: each keyword is checked
//! against the component's description (an unknown one is a `TypeError`
//! that lists the valid ones), its value converted to an [`OptionValue`]
//! (`None` means "not given", as in Optuna), and the description builds the
//! sampler or pruner (a bad value is a `ValueError` naming the option). So
//! an option added to a description is a keyword argument here with no
//! change to this crate.
//!
//! Design decision: the type stub cannot follow the descriptions at run
//! time, so `_sampler_options()` and `_pruner_options()` hand them to
//! Python, and `tests/test_sampler_options.py` and
//! `tests/test_pruner_options.py` check (and rewrite, on request) the
//! generated part of each constructor's stub.

use std::collections::BTreeMap;
use std::sync::Arc;

use ferrotune::core::options::{ComponentSpec, OptionKind, OptionSet, OptionSpec, OptionValue};
use ferrotune::core::{Pruner, Sampler};
use ferrotune::pruners::PRUNERS;
use ferrotune::samplers::SAMPLERS;
use ferrotune::Error;
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyString};

use crate::errors::to_py;

/// What the engine's descriptions describe: samplers or pruners. Each
/// family lists its descriptions, found by their Python class.
pub(crate) trait Family {
    /// Every description of the family.
    fn components() -> &'static [&'static ComponentSpec<Self>];
}

impl Family for dyn Sampler {
    fn components() -> &'static [&'static ComponentSpec<Self>] {
        &SAMPLERS
    }
}

impl Family for dyn Pruner {
    fn components() -> &'static [&'static ComponentSpec<Self>] {
        &PRUNERS
    }
}

/// A value the Python constructor passed before it read the descriptions,
/// and still passes when the keyword is not given.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Pinned {
    Flag(bool),
    Count(i64),
    Number(f64),
    Word(&'static str),
}

impl Pinned {
    fn value(self) -> OptionValue {
        match self {
            Pinned::Flag(b) => OptionValue::Bool(b),
            Pinned::Count(n) => OptionValue::Int(n),
            Pinned::Number(x) => OptionValue::Float(x),
            Pinned::Word(w) => OptionValue::Str(w.to_owned()),
        }
    }

    /// The value as Python source.
    fn literal(self) -> String {
        match self {
            Pinned::Flag(true) => "True".into(),
            Pinned::Flag(false) => "False".into(),
            Pinned::Count(n) => n.to_string(),
            // Debug keeps the point: `0.0`, as a description writes it.
            Pinned::Number(x) => format!("{x:?}"),
            Pinned::Word(w) => format!("\"{w}\""),
        }
    }
}

/// What a sampler's or pruner's Python constructor adds to its
/// description.
pub(crate) struct Face {
    /// The Python class, the description's `python` name.
    pub(crate) class: &'static str,
    /// Keywords the constructor takes by name and handles itself: Optuna's
    /// arguments the engine does not model. Only for the message listing
    /// valid keywords; description options it names (a positional `seed`)
    /// are listed with the description's.
    pub(crate) optuna_only: &'static [&'static str],
    /// Description options Python knows by another name: (option, keyword).
    pub(crate) renamed: &'static [(&'static str, &'static str)],
    /// Defaults the constructor's signature spelled out before it read the
    /// description, still passed when the keyword is not given; a test
    /// checks that each equals the description's default (for Python: see
    /// [`python_default`]).
    pub(crate) pinned: &'static [(&'static str, Pinned)],
}

impl Face {
    /// The description of this class in `T`'s family.
    fn spec<T: Family + ?Sized>(&self) -> PyResult<&'static ComponentSpec<T>> {
        T::components()
            .iter()
            .copied()
            .find(|s| s.python == self.class)
            .ok_or_else(|| PyRuntimeError::new_err(format!("no option description for {} in the engine", self.class)))
    }

    /// The options of this class's description, whichever family it is in.
    fn options(&self) -> PyResult<&'static [OptionSpec]> {
        self.spec::<dyn Sampler>().map(|s| s.options).or_else(|_| self.spec::<dyn Pruner>().map(|s| s.options))
    }

    /// The keyword Python passes an option as.
    fn keyword(&self, option: &'static str) -> &'static str {
        self.renamed.iter().find(|(o, _)| *o == option).map_or(option, |(_, k)| k)
    }

    /// The option a keyword stands for, if it is one of the description's.
    fn option(&self, options: &'static [OptionSpec], keyword: &str) -> Option<&'static str> {
        let option = self.renamed.iter().find(|(_, k)| *k == keyword).map_or(keyword, |(o, _)| o);
        let renamed_away = self.renamed.iter().any(|(o, _)| *o == keyword);
        options.iter().map(|o| o.name).find(|name| *name == option && !renamed_away)
    }

    /// An engine error as the Python exception, with options named by
    /// their keyword (`search_space.x` for the grid's `values.x`).
    fn error(&self, error: Error) -> PyErr {
        match error {
            Error::InvalidOption { option, message } => {
                let (head, rest) = option.split_once('.').map_or((option.as_str(), ""), |(h, r)| (h, r));
                let keyword = self.renamed.iter().find(|(o, _)| *o == head).map_or(head, |(_, k)| k);
                let keyword = if rest.is_empty() { keyword.to_owned() } else { format!("{keyword}.{rest}") };
                PyValueError::new_err(format!("{} option '{keyword}': {message}", self.class))
            }
            other => to_py(other),
        }
    }
}

/// The keyword arguments of one constructor call, on their way to the
/// description of a `T` (a sampler unless said otherwise).
pub(crate) struct PyOptions<'py, T: Family + ?Sized + 'static = dyn Sampler> {
    face: &'static Face,
    spec: &'static ComponentSpec<T>,
    /// Keyword -> value, `None`s included until [`build`](Self::build).
    given: BTreeMap<String, Bound<'py, PyAny>>,
    /// Option -> value the constructor converted itself.
    converted: BTreeMap<String, OptionValue>,
}

impl<'py, T: Family + ?Sized + 'static> PyOptions<'py, T> {
    /// The `**options` of a call; a keyword the description does not have
    /// is a `TypeError` listing the valid ones.
    pub(crate) fn new(face: &'static Face, options: Option<&Bound<'py, PyDict>>) -> PyResult<Self> {
        let spec = face.spec::<T>()?;
        let mut given = BTreeMap::new();
        for (key, value) in options.into_iter().flat_map(|d| d.iter()) {
            let keyword: String = key.extract()?;
            if face.option(spec.options, &keyword).is_none() {
                let mut valid: Vec<&str> = spec.options.iter().map(|o| face.keyword(o.name)).collect();
                for keyword in face.optuna_only {
                    if !valid.contains(keyword) {
                        valid.push(keyword);
                    }
                }
                let valid = if valid.is_empty() { "none".to_owned() } else { valid.join(", ") };
                return Err(PyTypeError::new_err(format!(
                    "{}() got an unexpected keyword argument '{keyword}' (valid: {valid})",
                    face.class
                )));
            }
            given.insert(keyword, value);
        }
        Ok(PyOptions { face, spec, given, converted: BTreeMap::new() })
    }

    /// Set an option the constructor takes by name (positionally, as in
    /// Optuna); `None` leaves it unset.
    pub(crate) fn set(&mut self, keyword: &str, value: Option<&Bound<'py, PyAny>>) {
        debug_assert!(self.face.option(self.spec.options, keyword).is_some(), "{keyword} is no option");
        if let Some(value) = value {
            self.given.insert(keyword.to_owned(), value.clone());
        }
    }

    /// Set an option to a value the constructor converted itself (an
    /// explicit argument that maps onto an option).
    pub(crate) fn set_value(&mut self, option: &str, value: OptionValue) {
        self.converted.insert(option.to_owned(), value);
    }

    /// Take an option out to handle it in the constructor (a Python-only
    /// form of its value); `None` when not given or `None`.
    pub(crate) fn take(&mut self, keyword: &str) -> Option<Bound<'py, PyAny>> {
        self.given.remove(keyword).filter(|v| !v.is_none())
    }

    /// The options as the description's values, the pinned defaults filled
    /// in for those not given.
    pub(crate) fn values(&self) -> PyResult<BTreeMap<String, OptionValue>> {
        let mut values = BTreeMap::new();
        for (keyword, value) in &self.given {
            if value.is_none() {
                continue;
            }
            let Some(option) = self.face.option(self.spec.options, keyword) else { continue };
            values.insert(option.to_owned(), option_value(value, option).map_err(|e| self.error(e))?);
        }
        values.extend(self.converted.iter().map(|(k, v)| (k.clone(), v.clone())));
        for (option, pinned) in self.face.pinned {
            values.entry((*option).to_owned()).or_insert_with(|| pinned.value());
        }
        Ok(values)
    }

    /// The options checked against the description, for a constructor
    /// that must build the component itself (see its comment for why).
    pub(crate) fn checked(&self) -> PyResult<OptionSet<'static>> {
        OptionSet::new(self.face.class, self.spec.options, self.values()?, None).map_err(|e| self.error(e))
    }

    /// An engine error about these options as a Python exception.
    pub(crate) fn error(&self, error: Error) -> PyErr {
        self.face.error(error)
    }

    /// The keyword arguments that make this component again (what
    /// `__reduce__` hands to pickle and `copy.deepcopy`): every option as
    /// checked, under the keyword the constructor takes it by, in plain
    /// Python values. A constructor adds the arguments it handles itself.
    pub(crate) fn recipe(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let recipe = PyDict::new(py);
        for (option, value) in self.values()? {
            let keyword = self.face.renamed.iter().find(|(o, _)| *o == option).map_or(option.as_str(), |(_, k)| k);
            recipe.set_item(keyword, option_value_to_py(py, &value)?)?;
        }
        Ok(recipe)
    }

    /// Build the sampler or pruner through its description.
    pub(crate) fn build(&self) -> PyResult<Arc<T>> {
        self.spec.build_as(self.face.class, self.values()?, None).map_err(|e| self.error(e))
    }
}

/// An option value as the plain Python value it came from (a table as a
/// dict, a list as a list).
fn option_value_to_py<'py>(py: Python<'py>, value: &OptionValue) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        OptionValue::Null => py.None().into_bound(py),
        OptionValue::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        OptionValue::Int(i) => i.into_pyobject(py)?.into_any(),
        OptionValue::UInt(u) => u.into_pyobject(py)?.into_any(),
        OptionValue::Float(x) => PyFloat::new(py, *x).into_any(),
        OptionValue::Str(s) => PyString::new(py, s).into_any(),
        OptionValue::List(items) => {
            let items = items.iter().map(|v| option_value_to_py(py, v)).collect::<PyResult<Vec<_>>>()?;
            pyo3::types::PyList::new(py, items)?.into_any()
        }
        OptionValue::Map(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, option_value_to_py(py, v)?)?;
            }
            dict.into_any()
        }
    })
}

/// A Python value as an option value: bool, int, float and str as
/// themselves, a dict as a table (string keys), any other iterable as a
/// list. Errors name the option by `path` (`x0.lr`, `values.x[2]`). `None`
/// inside a list or table has no option value (options have no null).
fn option_value(obj: &Bound<'_, PyAny>, path: &str) -> Result<OptionValue, Error> {
    let bad = |message: String| Error::InvalidOption { option: path.to_owned(), message };
    let type_name = || obj.get_type().name().map_or_else(|_| "?".to_owned(), |n| n.to_string());
    if obj.is_none() {
        return Err(bad("None is not an option value here".into()));
    }
    // bool before int: Python's bool is an int.
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(OptionValue::Bool(b.is_true()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return s.to_cow().map(|s| OptionValue::Str(s.into_owned())).map_err(|e| bad(e.to_string()));
    }
    if let Ok(x) = obj.cast::<PyFloat>() {
        return Ok(OptionValue::Float(x.value()));
    }
    // numpy's booleans are not Python bools, but say true or false.
    if matches!(type_name().as_str(), "bool_" | "bool") {
        if let Ok(b) = obj.extract::<bool>() {
            return Ok(OptionValue::Bool(b));
        }
    }
    // Python ints and anything with __index__ (numpy integers).
    if let Ok(i) = obj.extract::<i64>() {
        return Ok(OptionValue::Int(i));
    }
    if let Ok(u) = obj.extract::<u64>() {
        return Ok(OptionValue::UInt(u));
    }
    if obj.is_instance_of::<PyInt>() {
        return Err(bad(format!("{obj} does not fit in a 64-bit integer")));
    }
    if let Ok(dict) = obj.cast::<PyDict>() {
        let mut map = BTreeMap::new();
        for (k, v) in dict.iter() {
            let key: String = k.extract().map_err(|_| bad(format!("the keys must be strings, got {k}")))?;
            let value = option_value(&v, &format!("{path}.{key}"))?;
            map.insert(key, value);
        }
        return Ok(OptionValue::Map(map));
    }
    if let Ok(items) = obj.try_iter() {
        let mut list = Vec::new();
        for (i, item) in items.enumerate() {
            let item = item.map_err(|e| bad(e.to_string()))?;
            list.push(option_value(&item, &format!("{path}[{i}]"))?);
        }
        return Ok(OptionValue::List(list));
    }
    // numpy's float32 and other numbers with __float__.
    if let Ok(x) = obj.extract::<f64>() {
        return Ok(OptionValue::Float(x));
    }
    Err(bad(format!("a {} is not an option value (bool, int, float, str, list or dict)", type_name())))
}

/// The Python annotation of an option's kind, for the stub.
fn annotation(kind: OptionKind) -> String {
    let words = |w: &[&str]| w.iter().map(|w| format!("\"{w}\"")).collect::<Vec<_>>().join(", ");
    match kind {
        OptionKind::Flag => "Optional[bool]".into(),
        OptionKind::Count | OptionKind::Seed => "Optional[int]".into(),
        OptionKind::CountOrAuto => "Union[int, Literal[\"auto\"], None]".into(),
        OptionKind::Number => "Optional[float]".into(),
        OptionKind::Word(w) => format!("Optional[Literal[{}]]", words(w)),
        OptionKind::ParamValues => "Optional[dict[str, CategoricalChoiceType]]".into(),
        OptionKind::ParamLists => "Optional[dict[str, Sequence[CategoricalChoiceType]]]".into(),
        OptionKind::NumberRows => "Optional[Sequence[Sequence[float]]]".into(),
    }
}

/// The default a description gives for Python: its default, or the one
/// it names for Python where the faces differ (`0 (Python: 2, Optuna's)`
/// is 2 here).
fn python_default(default: &str) -> &str {
    match default.split_once("(Python: ") {
        Some((_, rest)) => rest.split([',', ')']).next().unwrap_or(rest).trim(),
        None => default,
    }
}

/// A description's default for Python as Python source, when it is a
/// literal (`10`, `true`, `"random"`); `None` for the ones it describes in
/// words.
fn default_literal(default: &str) -> String {
    match python_default(default) {
        "true" => "True".into(),
        "false" => "False".into(),
        d if d.parse::<i64>().is_ok() || d.parse::<f64>().is_ok_and(f64::is_finite) => d.into(),
        d if d.strip_prefix('"').and_then(|r| r.strip_suffix('"')).is_some_and(|w| !w.contains('"')) => d.into(),
        _ => "None".into(),
    }
}

/// One option as a constructor takes it: (keyword, annotation, the
/// description's default for Python as Python source, the pinned default
/// if any, help).
pub(crate) type KeywordInfo = (&'static str, String, String, Option<String>, &'static str);

/// Every option of these constructors, for the stub check: class -> its
/// keywords from the description.
pub(crate) fn describe(faces: &[&'static Face]) -> PyResult<BTreeMap<&'static str, Vec<KeywordInfo>>> {
    let mut out = BTreeMap::new();
    for face in faces {
        let keywords = face
            .options()?
            .iter()
            .map(|o| {
                let pinned = face.pinned.iter().find(|(name, _)| *name == o.name).map(|(_, p)| p.literal());
                (face.keyword(o.name), annotation(o.kind), default_literal(o.default), pinned, o.help)
            })
            .collect();
        out.insert(face.class, keywords);
    }
    Ok(out)
}
