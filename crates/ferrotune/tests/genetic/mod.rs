//! What the NSGA-II and NSGA-III study tests share: a sampler wrapper that
//! notes each generation's parents as the workers bred from them, and the
//! check that four worker threads agree with a sequential replay.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use ferrotune::core::{AttrValue, Sampler, SearchSpace, StudyView};
use ferrotune::{Distribution, FrozenTrial, Optimize, Study, StudyDirection, Trial, TrialError};

/// A genetic sampler's look at the parents of the generation it breeds
/// (`Nsga2Sampler::parents_for`, `Nsga3Sampler::parents_for`).
pub type ParentsFor<S> = fn(&S, &StudyView<'_>) -> (u64, Vec<u64>);

/// An objective of a study test.
pub type Objective = fn(&mut Trial) -> Result<Vec<f64>, TrialError>;

/// A bred trial's generation and parents, from its tag under `key`.
pub fn tag_of(trial: &FrozenTrial, key: &str) -> Option<(u64, Vec<u64>)> {
    let tag = trial.system_attrs.get(key)?;
    let parents = tag["parents"].as_array()?.iter().map(|v| v.as_u64()).collect::<Option<_>>()?;
    Some((tag["generation"].as_u64()?, parents))
}

/// A genetic sampler, noting for each generation the whole parent
/// population it bred from (the sampler's own rebuild, read on the same
/// view just before each relative sample).
struct Recording<S> {
    inner: S,
    parents_for: ParentsFor<S>,
    used: Mutex<BTreeMap<u64, Vec<u64>>>,
}

impl<S: Sampler> Sampler for Recording<S> {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn infer_relative_search_space(&self, study: &StudyView<'_>, trial: &FrozenTrial) -> SearchSpace {
        self.inner.infer_relative_search_space(study, trial)
    }
    fn sample_relative(
        &self,
        study: &StudyView<'_>,
        trial: &FrozenTrial,
        space: &SearchSpace,
    ) -> ferrotune::Result<BTreeMap<String, f64>> {
        let (generation, parents) = (self.parents_for)(&self.inner, study);
        if generation > 0 {
            let mut used = self.used.lock().unwrap();
            let previous = used.insert(generation, parents.clone());
            assert!(previous.is_none_or(|p| p == parents), "generation {generation} changed while in use");
        }
        self.inner.sample_relative(study, trial, space)
    }
    fn relative_sample_attrs(
        &self,
        study: &StudyView<'_>,
        trial: &FrozenTrial,
        sample: &BTreeMap<String, f64>,
    ) -> ferrotune::Result<BTreeMap<String, AttrValue>> {
        self.inner.relative_sample_attrs(study, trial, sample)
    }
    fn sample_independent(
        &self,
        study: &StudyView<'_>,
        trial: &FrozenTrial,
        name: &str,
        distribution: &Distribution,
    ) -> ferrotune::Result<f64> {
        self.inner.sample_independent(study, trial, name, distribution)
    }
}

/// A study of `n_trials` run by four worker threads with `sampler`
/// breeds each generation from the parents that `replay` (a fresh
/// sampler, another seed) rebuilds when shown the same trials one at a
/// time, a sequential run of them; every bred trial's parents are among
/// its generation's (its tag under `key`).
// One scenario's knobs, each used once: a struct would only rename them.
#[allow(clippy::too_many_arguments)]
pub fn four_workers_agree_with_a_sequential_replay<S: Sampler + 'static>(
    sampler: S,
    replay: S,
    parents_for: ParentsFor<S>,
    key: &str,
    directions: &[StudyDirection],
    objective: Objective,
    population_size: usize,
    n_trials: usize,
) {
    let recording = Arc::new(Recording { inner: sampler, parents_for, used: Mutex::default() });
    let study =
        Study::builder().directions(directions.iter().copied()).sampler_arc(recording.clone()).create().unwrap();
    study.optimize_with(Optimize::new().n_trials(n_trials as u64).n_jobs(4), objective).unwrap();
    let trials = study.trials().unwrap();
    // The last word on each generation kept (a generation closed without a
    // straggler is followed from its record).
    let mut parents_of: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for end in 0..=trials.len() {
        let view = StudyView { study_name: study.name(), directions, trials: &trials[..end] };
        let (generation, parents) = parents_for(&replay, &view);
        parents_of.insert(generation, parents);
    }
    let used = recording.used.lock().unwrap();
    // However the four workers interleave, a generation closes by the time
    // twice `population_size` of its children are complete (the straggler
    // rule), and at most three more are running then, so every
    // `2 * population_size + 3` trials close one at least; a slow machine
    // has made it as few as 9 of 19 here.
    let least = n_trials / (2 * population_size + 3);
    assert!(used.len() >= least, "only {} generations bred, fewer than {least}", used.len());
    for (generation, parents) in used.iter() {
        assert_eq!(parents_of.get(generation), Some(parents), "generation {generation}");
    }
    let mut bred = 0;
    for trial in &trials {
        let Some((generation, parents)) = tag_of(trial, key) else { continue };
        bred += 1;
        for parent in parents {
            assert!(used[&generation].contains(&parent), "trial {}: parent {parent}", trial.number);
        }
    }
    assert!(bred >= n_trials * 3 / 4, "only {bred} of {n_trials} trials bred");
}
