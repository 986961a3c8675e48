//! What the command line and the environment say over a config's `[study]`
//! table: the storage URL (`--storage`, `FERROTUNE_STORAGE`) and the study
//! name (`--study`, `FERROTUNE_STUDY`), in that order of precedence, then
//! the file, then the default.
//!
//! Why the environment (issue 22): every worker of a distributed study runs
//! the same `tune.toml`, but the database URL (with its password) belongs to
//! the scheduler that starts the worker (a Kubernetes Secret, a Slurm job's
//! environment), not to a file every worker shares. Each value keeps where
//! it came from, so an error names the flag, the variable or the key to fix.

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;

/// The environment variable that overrides `[study] storage`.
pub const STORAGE_VAR: &str = "FERROTUNE_STORAGE";
/// The environment variable that overrides `[study] name`.
pub const STUDY_VAR: &str = "FERROTUNE_STUDY";

/// Where a storage URL or a study name came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// A command-line flag (`--storage`).
    Flag(&'static str),
    /// An environment variable (`FERROTUNE_STORAGE`).
    Env(&'static str),
    /// A key of a config file (`study.storage`).
    Key(PathBuf, &'static str),
    /// Nothing said: the default of the config file (a SQLite file beside it).
    Default(PathBuf),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Flag(flag) => write!(f, "{flag}"),
            Origin::Env(var) => write!(f, "{var} (environment)"),
            Origin::Key(file, key) => write!(f, "{}: {key}", file.display()),
            Origin::Default(file) => write!(f, "{}: the default storage", file.display()),
        }
    }
}

/// A value given on the command line or in the environment.
#[derive(Debug, Clone, PartialEq)]
pub struct Given {
    pub value: String,
    pub origin: Origin,
}

/// The storage URL and study name given outside the config, if any.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    pub storage: Option<Given>,
    pub study: Option<Given>,
}

impl Overrides {
    /// From the flags, then this process's environment.
    pub fn new(storage_flag: Option<String>, study_flag: Option<String>) -> Result<Self, String> {
        Self::from_lookup(storage_flag, study_flag, |name| std::env::var_os(name))
    }

    /// From the flags, then `env` (the environment, or a test's map).
    pub fn from_lookup(
        storage_flag: Option<String>,
        study_flag: Option<String>,
        env: impl Fn(&str) -> Option<OsString>,
    ) -> Result<Self, String> {
        let pick = |flag: Option<String>, flag_name: &'static str, var: &'static str| -> Result<_, String> {
            if let Some(value) = flag {
                return Ok(Some(Given { value, origin: Origin::Flag(flag_name) }));
            }
            match env(var) {
                None => Ok(None),
                Some(value) => value
                    .into_string()
                    .map(|value| Some(Given { value, origin: Origin::Env(var) }))
                    .map_err(|_| format!("{var}: the value is not valid UTF-8")),
            }
        };
        let storage = pick(storage_flag, "--storage", STORAGE_VAR)?;
        let study = pick(study_flag, "--study", STUDY_VAR)?;
        // Set but empty is refused rather than read as "not set": a worker
        // whose Secret or job script lost the URL would otherwise fall back
        // to the file's storage (by default a SQLite file of its own) and
        // run a study nobody else sees.
        if let Some(given) = storage.as_ref().filter(|g| g.value.trim().is_empty()) {
            return Err(format!(
                "{}: the storage URL is empty; give a URL such as postgresql://user@host/db or sqlite:///study.db, \
                 or unset it to use the config's [study] storage",
                given.origin
            ));
        }
        if let Some(given) = &study {
            if given.value.trim().is_empty() {
                return Err(format!(
                    "{}: the study name is empty; give a name, or unset it to use the config's [study] name",
                    given.origin
                ));
            }
            if given.value.chars().any(char::is_control) {
                return Err(format!(
                    "{}: the study name must not contain control characters (newlines, tabs, ...)",
                    given.origin
                ));
            }
        }
        Ok(Overrides { storage, study })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let vars: BTreeMap<String, OsString> = vars.iter().map(|(k, v)| (k.to_string(), v.into())).collect();
        move |name| vars.get(name).cloned()
    }

    #[test]
    fn a_flag_wins_over_the_environment() {
        let env = lookup(&[(STORAGE_VAR, "sqlite:///env.db"), (STUDY_VAR, "env-study")]);
        let o = Overrides::from_lookup(Some("sqlite:///flag.db".into()), None, &env).unwrap();
        assert_eq!(o.storage, Some(Given { value: "sqlite:///flag.db".into(), origin: Origin::Flag("--storage") }));
        assert_eq!(o.study, Some(Given { value: "env-study".into(), origin: Origin::Env(STUDY_VAR) }));
        let none = Overrides::from_lookup(None, None, lookup(&[])).unwrap();
        assert_eq!(none, Overrides::default());
    }

    #[test]
    fn empty_values_are_refused_by_name() {
        let e = Overrides::from_lookup(None, None, lookup(&[(STORAGE_VAR, " ")])).unwrap_err();
        assert!(e.starts_with("FERROTUNE_STORAGE (environment): the storage URL is empty"), "{e}");
        let e = Overrides::from_lookup(Some(String::new()), None, lookup(&[])).unwrap_err();
        assert!(e.starts_with("--storage: "), "{e}");
        let e = Overrides::from_lookup(None, None, lookup(&[(STUDY_VAR, "")])).unwrap_err();
        assert!(e.starts_with("FERROTUNE_STUDY (environment): the study name is empty"), "{e}");
        let e = Overrides::from_lookup(None, Some("a\nb".into()), lookup(&[])).unwrap_err();
        assert!(e.contains("--study: the study name must not contain control characters"), "{e}");
    }
}
