use std::collections::BTreeMap;

use ferrotune_core::{Distribution, Error, FrozenTrial, ParamValue, Result, Sampler, StudyView};
use rand::seq::SliceRandom;

use crate::{random_seed, rng_for};

/// Exhaustive search over a grid of values, each point exactly once.
///
/// How points are handed out without repeats, across threads and
/// processes: the sampler reports the grid's size as
/// [`Sampler::max_trials`], and the storage refuses to create more sampled
/// trials than that, atomically. The k-th sampled (not enqueued) trial of
/// the study takes the k-th point of a seeded permutation of the grid, and
/// k is read off the study snapshot — every trial numbered below this one
/// is in it. When the grid is exhausted the storage creates no more trials
/// and the study stops. As in Optuna, a point whose trial failed is not
/// retried.
#[derive(Debug, Clone)]
pub struct GridSampler {
    names: Vec<String>,
    values: Vec<Vec<ParamValue>>,
    /// The order in which grid points are visited.
    order: Vec<u64>,
    seed: u64,
}

/// Grids above this many points are refused: the visiting order is held in
/// memory, and a grid this large is not exhaustive search any more.
const MAX_GRID_POINTS: u64 = 100_000_000;

impl GridSampler {
    /// A grid over the given values per parameter, visited in a random
    /// order.
    pub fn new(grid: BTreeMap<String, Vec<ParamValue>>) -> Result<Self> {
        Self::with_seed(grid, random_seed())
    }

    /// A grid visited in an order fixed by `seed`.
    pub fn with_seed(grid: BTreeMap<String, Vec<ParamValue>>, seed: u64) -> Result<Self> {
        if grid.is_empty() {
            return Err(Error::InvalidArgument("a grid needs at least one parameter".into()));
        }
        let mut size: u64 = 1;
        for (name, values) in &grid {
            if values.is_empty() {
                return Err(Error::InvalidArgument(format!("grid parameter '{name}' has no values")));
            }
            for (i, v) in values.iter().enumerate() {
                if values[..i].contains(v) {
                    return Err(Error::InvalidArgument(format!("grid parameter '{name}' lists {v} twice")));
                }
            }
            size = size
                .checked_mul(values.len() as u64)
                .filter(|&s| s <= MAX_GRID_POINTS)
                .ok_or_else(|| Error::InvalidArgument(format!("the grid has more than {MAX_GRID_POINTS} points")))?;
        }
        let mut order: Vec<u64> = (0..size).collect();
        order.shuffle(&mut rng_for(seed, u64::MAX, "grid order"));
        let (names, values) = grid.into_iter().unzip();
        Ok(GridSampler { names, values, order, seed })
    }

    /// Number of grid points.
    pub fn size(&self) -> u64 {
        self.order.len() as u64
    }

    /// The value of `name` at grid point `point` (mixed-radix digits).
    fn value_at(&self, point: u64, param_index: usize) -> &ParamValue {
        let mut rest = point;
        for values in self.values[param_index + 1..].iter().rev() {
            rest /= values.len() as u64;
        }
        let radix = self.values[param_index].len() as u64;
        &self.values[param_index][(rest % radix) as usize]
    }
}

impl Sampler for GridSampler {
    fn name(&self) -> &str {
        "grid"
    }

    fn sample_independent(
        &self,
        study: &StudyView<'_>,
        trial: &FrozenTrial,
        name: &str,
        distribution: &Distribution,
    ) -> Result<f64> {
        let Some(param_index) = self.names.iter().position(|n| n == name) else {
            return Err(Error::Sampler(format!(
                "parameter '{name}' is not in the grid (the grid has: {})",
                self.names.join(", ")
            )));
        };
        let value = if trial.is_enqueued() {
            // A hand-picked trial that left this parameter open: any grid
            // value will do, but it must not consume a grid point.
            let values = &self.values[param_index];
            let pick = crate::mix64(self.seed ^ crate::mix64(trial.number) ^ crate::hash_str(name));
            &values[(pick % values.len() as u64) as usize]
        } else {
            let before = study.trials.partition_point(|t| t.number < trial.number);
            let grid_index = study.trials[..before].iter().filter(|t| !t.is_enqueued()).count();
            let point = *self.order.get(grid_index).ok_or(Error::SearchSpaceExhausted)?;
            self.value_at(point, param_index)
        };
        distribution.to_internal(name, value)
    }

    fn max_trials(&self) -> Option<u64> {
        Some(self.size())
    }

    /// Every grid point has a finished trial (complete, pruned or failed,
    /// as Optuna's `GridSampler.is_exhausted` counts them): the grid's
    /// first `size` sampled trials exist and none is running or waiting.
    /// Not an exhaustive sampler (`optimize` is stopped by
    /// [`Sampler::max_trials`] already), but asked by the Python package's
    /// `GridSampler.is_exhausted(study)`.
    fn is_exhausted(&self, study: &StudyView<'_>) -> Result<bool> {
        let size = usize::try_from(self.size()).unwrap_or(usize::MAX);
        let mut finished = 0;
        for t in study.trials.iter().filter(|t| !t.is_enqueued()).take(size) {
            if !t.state.is_finished() {
                return Ok(false);
            }
            finished += 1;
        }
        Ok(finished == size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::sync::Arc;

    use ferrotune_core::{StudyDirection, TrialState};

    fn trial(number: u64, enqueued: bool) -> Arc<FrozenTrial> {
        let trial = FrozenTrial::builder(number).state(TrialState::Running);
        Arc::new(if enqueued { trial.enqueued() } else { trial }.build())
    }

    #[test]
    fn the_grid_is_exhausted_once_every_point_has_a_finished_trial() {
        let g = grid(); // 12 points
        let finished = |number: u64, state: TrialState| Arc::new(FrozenTrial::builder(number).state(state).build());
        let dirs = [StudyDirection::Minimize];
        let exhausted = |trials: &[Arc<FrozenTrial>]| {
            g.is_exhausted(&StudyView { study_name: "s", directions: &dirs, trials }).unwrap()
        };
        let mut trials: Vec<Arc<FrozenTrial>> = (0..11).map(|n| finished(n, TrialState::Complete)).collect();
        assert!(!exhausted(&trials), "11 of 12 points");
        // A hand-picked trial takes no grid point.
        trials.push(Arc::new(FrozenTrial::builder(11).state(TrialState::Complete).enqueued().build()));
        assert!(!exhausted(&trials));
        trials.push(trial(12, false));
        assert!(!exhausted(&trials), "the last point's trial is running");
        trials[12] = finished(12, TrialState::Failed);
        assert!(exhausted(&trials), "a failed trial counts as visited, as in Optuna");
        trials[3] = trial(3, false);
        assert!(!exhausted(&trials), "an earlier point's trial still running");
    }

    fn grid() -> GridSampler {
        let g = BTreeMap::from([
            ("a".to_string(), vec![1.into(), 2.into(), 3.into()]),
            ("b".to_string(), vec!["x".into(), "y".into()]),
            ("c".to_string(), vec![0.5.into(), 0.25.into()]),
        ]);
        GridSampler::with_seed(g, 3).unwrap()
    }

    #[test]
    fn covers_every_point_once_and_skips_enqueued_trials() {
        let sampler = grid();
        let dists = [
            ("a", Distribution::int(1, 3).unwrap()),
            ("b", Distribution::categorical(["x", "y"]).unwrap()),
            ("c", Distribution::float(0.0, 1.0).unwrap()),
        ];
        // Trials 0..15 with 3 and 7 enqueued: 12 sampled trials, one per point.
        let trials: Vec<Arc<FrozenTrial>> = (0..15).map(|n| trial(n, n == 3 || n == 7 || n == 14)).collect();
        let dirs = [StudyDirection::Minimize];
        let view = StudyView { study_name: "s", directions: &dirs, trials: &trials };
        let mut seen = BTreeSet::new();
        for t in trials.iter().filter(|t| !t.is_enqueued()) {
            let point: Vec<String> = dists
                .iter()
                .map(|(n, d)| d.to_external(sampler.sample_independent(&view, t, n, d).unwrap()).to_string())
                .collect();
            assert!(seen.insert(point), "point repeated at trial {}", t.number);
        }
        assert_eq!(seen.len(), 12);
        assert_eq!(sampler.max_trials(), Some(12));
    }

    #[test]
    fn rejects_bad_grids_and_values_outside_the_distribution() {
        assert!(GridSampler::new(BTreeMap::new()).is_err());
        let empty = BTreeMap::from([("a".to_string(), vec![])]);
        assert!(GridSampler::new(empty).unwrap_err().to_string().contains("'a' has no values"));
        let twice = BTreeMap::from([("a".to_string(), vec![1.into(), 1.into()])]);
        assert!(GridSampler::new(twice).unwrap_err().to_string().contains("twice"));
        let sampler = grid();
        let trials = vec![trial(0, false)];
        let dirs = [StudyDirection::Minimize];
        let view = StudyView { study_name: "s", directions: &dirs, trials: &trials };
        let narrow = Distribution::float(0.0, 0.1).unwrap();
        let err = sampler.sample_independent(&view, &trials[0], "c", &narrow).unwrap_err();
        assert!(matches!(err, Error::ValueOutsideDistribution { .. }), "{err}");
        let err = sampler.sample_independent(&view, &trials[0], "zzz", &narrow).unwrap_err();
        assert!(err.to_string().contains("not in the grid"));
    }
}
