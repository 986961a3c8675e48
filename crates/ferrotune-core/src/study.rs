//! Study-level vocabulary: directions, identity, and Pareto dominance.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{AttrValue, Error, FrozenTrial, TrialState};

/// Whether an objective is to be minimized or maximized.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StudyDirection {
    /// Smaller is better.
    Minimize,
    /// Larger is better.
    Maximize,
}

impl StudyDirection {
    /// Lowercase name used in storage and configs.
    pub fn as_str(self) -> &'static str {
        match self {
            StudyDirection::Minimize => "minimize",
            StudyDirection::Maximize => "maximize",
        }
    }

    /// Whether `a` is strictly better than `b` in this direction.
    pub fn is_better(self, a: f64, b: f64) -> bool {
        match self {
            StudyDirection::Minimize => a < b,
            StudyDirection::Maximize => a > b,
        }
    }

    /// The value turned so that smaller is always better.
    pub fn as_loss(self, value: f64) -> f64 {
        match self {
            StudyDirection::Minimize => value,
            StudyDirection::Maximize => -value,
        }
    }
}

impl fmt::Display for StudyDirection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for StudyDirection {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.to_ascii_lowercase().as_str() {
            "minimize" | "min" => Ok(StudyDirection::Minimize),
            "maximize" | "max" => Ok(StudyDirection::Maximize),
            _ => Err(Error::InvalidArgument(format!("unknown direction '{s}' (expected minimize or maximize)"))),
        }
    }
}

/// A study as stored: its identity and settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyInfo {
    /// Storage-wide identifier.
    pub study_id: i64,
    /// Unique name within the storage.
    pub name: String,
    /// One direction per objective.
    pub directions: Vec<StudyDirection>,
    /// Attributes set by user code.
    pub user_attrs: BTreeMap<String, AttrValue>,
    /// Attributes set by the engine.
    pub system_attrs: BTreeMap<String, AttrValue>,
}

/// Study system attribute holding the objectives' names, a list of one
/// string per direction: Optuna's key (its `Study.set_metric_names`), so a
/// name set by the CLI, the Python package or Optuna reads the same
/// everywhere.
pub const METRIC_NAMES_ATTR: &str = "study:metric_names";

impl StudyInfo {
    /// The objectives' names the study keeps under [`METRIC_NAMES_ATTR`],
    /// when that is one string per direction; `None` otherwise.
    pub fn metric_names(&self) -> Option<Vec<String>> {
        let names = self.system_attrs.get(METRIC_NAMES_ATTR)?.as_array()?;
        let names: Option<Vec<String>> = names.iter().map(|n| n.as_str().map(str::to_owned)).collect();
        names.filter(|names| names.len() == self.directions.len())
    }
}

/// Whether objective vector `a` Pareto-dominates `b`: no worse in every
/// objective and strictly better in at least one.
pub fn dominates(a: &[f64], b: &[f64], directions: &[StudyDirection]) -> bool {
    let mut strictly_better = false;
    for ((&x, &y), &d) in a.iter().zip(b).zip(directions) {
        if d.is_better(y, x) {
            return false;
        }
        strictly_better |= d.is_better(x, y);
    }
    strictly_better
}

/// The complete trials that no other complete trial dominates, in trial
/// order. Trials with identical values are all kept, as Optuna does.
pub fn pareto_front<'a, I>(trials: I, directions: &[StudyDirection]) -> Vec<&'a FrozenTrial>
where
    I: IntoIterator<Item = &'a FrozenTrial>,
{
    let complete: Vec<(&FrozenTrial, &[f64])> = trials
        .into_iter()
        .filter(|t| t.state == TrialState::Complete)
        .filter_map(|t| t.values.as_deref().map(|v| (t, v)))
        .collect();
    // Sorting by the first objective lets each candidate be checked only
    // against the current front, which stays small in practice.
    let mut order: Vec<usize> = (0..complete.len()).collect();
    order.sort_by(|&i, &j| {
        let (a, b) = (complete[i].1[0], complete[j].1[0]);
        directions[0].as_loss(a).total_cmp(&directions[0].as_loss(b)).then(i.cmp(&j))
    });
    let mut front: Vec<usize> = Vec::new();
    for i in order {
        let v = complete[i].1;
        if front.iter().any(|&f| dominates(complete[f].1, v, directions)) {
            continue;
        }
        front.retain(|&f| !dominates(v, complete[f].1, directions));
        front.push(i);
    }
    front.sort_unstable();
    front.into_iter().map(|i| complete[i].0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use StudyDirection::*;

    fn trial(number: u64, values: &[f64]) -> FrozenTrial {
        FrozenTrial::builder(number).values(values).build()
    }

    #[test]
    fn dominance_respects_directions() {
        assert!(dominates(&[1.0, 2.0], &[2.0, 2.0], &[Minimize, Minimize]));
        assert!(!dominates(&[1.0, 2.0], &[1.0, 2.0], &[Minimize, Minimize]));
        assert!(!dominates(&[1.0, 2.0], &[2.0, 3.0], &[Minimize, Maximize]));
        assert!(dominates(&[1.0, 3.0], &[2.0, 2.0], &[Minimize, Maximize]));
    }

    #[test]
    fn pareto_front_matches_brute_force() {
        // A deterministic scatter including duplicates and dominated points.
        let trials: Vec<FrozenTrial> =
            (0..60u64).map(|i| trial(i, &[((i * 37) % 11) as f64, ((i * 53) % 13) as f64])).collect();
        for dirs in [[Minimize, Minimize], [Minimize, Maximize], [Maximize, Maximize]] {
            let fast: Vec<u64> = pareto_front(&trials, &dirs).iter().map(|t| t.number).collect();
            let brute: Vec<u64> = trials
                .iter()
                .filter(|t| {
                    !trials.iter().any(|o| dominates(o.values.as_ref().unwrap(), t.values.as_ref().unwrap(), &dirs))
                })
                .map(|t| t.number)
                .collect();
            assert_eq!(fast, brute);
            assert!(!fast.is_empty());
        }
    }

    /// Issue 24: infinite values complete trials, so the front must order
    /// them: +inf loses to any finite loss (it is best only when nothing
    /// else is), -inf beats every one, equal infinities tie (Optuna's rule).
    #[test]
    fn pareto_front_orders_infinities() {
        let (inf, ninf) = (f64::INFINITY, f64::NEG_INFINITY);
        let trials = vec![trial(0, &[inf, 1.0]), trial(1, &[2.0, 1.0]), trial(2, &[inf, 0.0]), trial(3, &[inf, 0.0])];
        let front = |trials: &[FrozenTrial], dirs: &[StudyDirection]| -> Vec<u64> {
            pareto_front(trials, dirs).iter().map(|t| t.number).collect()
        };
        assert_eq!(front(&trials, &[Minimize, Minimize]), [1, 2, 3]);
        assert_eq!(front(&trials, &[Maximize, Minimize]), [2, 3]);
        assert_eq!(front(&[trial(0, &[inf, inf]), trial(1, &[inf, inf])], &[Minimize, Minimize]), [0, 1]);
        assert_eq!(front(&[trial(0, &[ninf, 5.0]), trial(1, &[0.0, 5.0])], &[Minimize, Minimize]), [0]);
        assert!(dominates(&[ninf, 0.0], &[0.0, 0.0], &[Minimize, Minimize]));
        assert!(!dominates(&[inf, 0.0], &[inf, 0.0], &[Minimize, Minimize]));
    }
}
