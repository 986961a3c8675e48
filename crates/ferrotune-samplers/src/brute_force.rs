//! Brute force: every combination of a discrete search space once, with
//! Optuna 5's semantics, define-by-run spaces included.
//!
//! The space is never declared: it is the tree the study's trials trace,
//! each trial a path from the root through its parameters in the order it
//! suggested them (so a conditional parameter hangs under the value that
//! called for it). A node is a parameter with one child per admissible
//! value; a child no trial has gone down yet is *unexpanded*, and the
//! space is exhausted when no unexpanded node is left. The sampler keeps
//! no state: each suggestion rebuilds the part of the tree below what the
//! trial has suggested so far from the study's trials, and picks a value
//! whose subtree still holds unexpanded nodes. Parallel workers see each
//! other's running trials in the study and steer clear of their branches
//! while any other is open.

use ferrotune_core::{Distribution, Error, FrozenTrial, ParamValue, Result, Sampler, StudyView, TrialState};
use rand::Rng;

use crate::{random_seed, rng_for};

/// The most values one parameter may have: each is a node of the tree,
/// and a search this wide is not brute force any more.
const MAX_VALUES: u64 = 1_000_000;

/// Tries every combination of a discrete search space exactly once
/// (Optuna's `BruteForceSampler`): ints, categoricals and floats with a
/// step, including parameters that only some branches of the objective
/// suggest. A float without a step has infinitely many values and is
/// refused with an error naming it. Once every combination has been tried
/// the study's `optimize` stops.
///
/// By default, as in Optuna, a combination some running trial is trying
/// counts as tried when deciding whether the search is over
/// (`avoid_premature_stop = false`): parallel workers then stop rather than
/// repeat it, though a trial that fails to finish leaves its branch
/// unexplored. With `avoid_premature_stop` the search goes on until every
/// combination has *finished*, which can repeat a combination a running
/// trial holds.
///
/// A running trial that has not suggested all its parameters yet counts
/// for the whole branch below its last choice, though it will try one
/// combination of it. So the exhausted search stops only the worker that
/// found it so (unlike Optuna's `study.stop()`, which stops them all): the
/// worker running that trial looks again once it finishes and goes on
/// with the rest of the branch, and no combination is left untried. The
/// study reads the other workers' choices afresh for each suggestion of an
/// exhaustive sampler and stores its choices at once, so that parallel
/// workers see each other's branches while they are chosen.
#[derive(Debug, Clone)]
pub struct BruteForceSampler {
    seed: u64,
    avoid_premature_stop: bool,
}

impl Default for BruteForceSampler {
    fn default() -> Self {
        Self::new()
    }
}

impl BruteForceSampler {
    /// An unseeded brute-force search.
    pub fn new() -> Self {
        Self::with_seed(random_seed())
    }

    /// A search whose order is fixed by `seed`.
    pub fn with_seed(seed: u64) -> Self {
        BruteForceSampler { seed, avoid_premature_stop: false }
    }

    /// Whether the search ends only once every combination has finished,
    /// not when the rest are running (Optuna's `avoid_premature_stop`).
    pub fn avoid_premature_stop(mut self, on: bool) -> Self {
        self.avoid_premature_stop = on;
        self
    }

    /// Whether running trials' branches count as tried.
    fn exclude_running(&self) -> bool {
        !self.avoid_premature_stop
    }
}

/// The admissible values of a discrete distribution, as internal values,
/// with the index of any internal value among them.
struct Axis<'a> {
    distribution: &'a Distribution,
    len: usize,
}

impl<'a> Axis<'a> {
    /// The axis of `distribution`, or why it cannot be enumerated.
    fn of(distribution: &'a Distribution) -> std::result::Result<Self, String> {
        let n_steps = match distribution {
            Distribution::Categorical(c) => c.choices().len() as u64 - 1,
            Distribution::Int(i) => i.n_steps(),
            Distribution::Float(f) => f.n_steps().ok_or_else(|| {
                "it is a float without a step, which has infinitely many values; give it a step \
                 (suggest_float(..., step=...)) or use another sampler"
                    .to_owned()
            })?,
        };
        if n_steps >= MAX_VALUES {
            return Err(format!("it has more than {MAX_VALUES} values, too many to try each"));
        }
        Ok(Axis { distribution, len: n_steps as usize + 1 })
    }

    /// The `k`-th value, internally.
    fn value(&self, k: usize) -> f64 {
        match self.distribution {
            Distribution::Categorical(_) => k as f64,
            Distribution::Int(i) => i.nth(k as u64) as f64,
            Distribution::Float(f) => f.grid_value(k as u64),
        }
    }

    /// Which value `internal` is, if it is one of them (a trial enqueued
    /// by hand may hold one off the grid).
    fn index(&self, internal: f64) -> Option<usize> {
        let (low, step) = match self.distribution {
            Distribution::Categorical(_) => (0.0, 1.0),
            Distribution::Int(i) => (i.low() as f64, i.step() as f64),
            Distribution::Float(f) => (f.low(), f.step()?),
        };
        let k = ((internal - low) / step).round();
        if !(0.0..self.len as f64).contains(&k) {
            return None;
        }
        let k = k as usize;
        let tolerance = 1e-9 * step.abs().max(internal.abs() * 1e-6);
        ((self.value(k) - internal).abs() <= tolerance).then_some(k)
    }
}

/// A node of the tree of combinations.
#[derive(Debug, Default)]
struct Node {
    kind: NodeKind,
    /// Whether a running trial has gone down to this node so far.
    running: bool,
}

#[derive(Debug, Default)]
enum NodeKind {
    /// No trial has gone past this node.
    #[default]
    Unexpanded,
    /// A finished trial ended here: a combination tried.
    Leaf,
    /// A parameter, with a child per admissible value.
    Branch { name: String, distribution: Distribution, children: Vec<Node> },
}

impl Node {
    /// Make this node the parameter `name` over `axis`, or check that it
    /// is. False when it is something else: a trial whose path disagrees
    /// with the others' (the objective changed a range or its order) is
    /// left out of the tree rather than failing the search.
    fn expand(&mut self, name: &str, axis: &Axis<'_>) -> bool {
        match &self.kind {
            NodeKind::Unexpanded => {
                let children = (0..axis.len).map(|_| Node::default()).collect();
                self.kind =
                    NodeKind::Branch { name: name.to_owned(), distribution: axis.distribution.clone(), children };
                true
            }
            NodeKind::Branch { name: existing, distribution, .. } => {
                existing == name && distribution == axis.distribution
            }
            NodeKind::Leaf => false,
        }
    }

    /// Add a trial's path (its parameters in suggestion order, those
    /// already fixed above this node left out) and mark where it ends.
    fn add_trial<'t>(
        &mut self,
        params: impl Iterator<Item = (&'t String, &'t ferrotune_core::TrialParam)>,
        finished: bool,
    ) {
        let mut node = self;
        for (name, param) in params {
            let Ok(axis) = Axis::of(&param.distribution) else { return };
            let Some(k) = axis.index(param.internal) else { return };
            if !node.expand(name, &axis) {
                return;
            }
            let NodeKind::Branch { children, .. } = &mut node.kind else { unreachable!("just expanded") };
            node = &mut children[k];
        }
        if finished {
            if matches!(node.kind, NodeKind::Unexpanded) {
                node.kind = NodeKind::Leaf;
            }
        } else {
            node.running = true;
        }
    }

    /// How many unexpanded nodes the subtree holds (running ones left out
    /// with `exclude_running`).
    fn count_unexpanded(&self, exclude_running: bool) -> u64 {
        match &self.kind {
            NodeKind::Unexpanded => u64::from(!(exclude_running && self.running)),
            NodeKind::Leaf => 0,
            NodeKind::Branch { children, .. } => children.iter().map(|c| c.count_unexpanded(exclude_running)).sum(),
        }
    }

    /// A child to go down, drawn with `u` in [0, 1): half by the number of
    /// unexpanded nodes below each (uniform over the combinations left),
    /// half evenly over the children with any (so a wide branch does not
    /// starve a narrow one), and never a branch a running trial is in
    /// while another is open.
    fn pick_child(&self, exclude_running: bool, u: f64) -> usize {
        let NodeKind::Branch { children, .. } = &self.kind else { return 0 };
        let counts: Vec<f64> = children.iter().map(|c| c.count_unexpanded(exclude_running) as f64).collect();
        let total: f64 = counts.iter().sum();
        let open = counts.iter().filter(|&&c| c > 0.0).count() as f64;
        let mut weights: Vec<f64> =
            counts.iter().map(|&c| if c > 0.0 { 0.5 * c / total + 0.5 / open } else { 0.0 }).collect();
        if children.iter().zip(&weights).any(|(c, &w)| !c.running && w > 0.0) {
            for (c, w) in children.iter().zip(&mut weights) {
                if c.running {
                    *w = 0.0;
                }
            }
        }
        let sum: f64 = weights.iter().sum();
        let mut target = u * sum;
        for (k, &w) in weights.iter().enumerate() {
            if w > 0.0 {
                if target < w {
                    return k;
                }
                target -= w;
            }
        }
        weights.iter().rposition(|&w| w > 0.0).unwrap_or(0)
    }
}

/// The trials that trace the tree: any but waiting ones (enqueued, not
/// started), as in Optuna.
fn counts(trial: &FrozenTrial) -> bool {
    trial.state != TrialState::Waiting
}

impl Sampler for BruteForceSampler {
    fn name(&self) -> &str {
        "brute_force"
    }

    fn sample_independent(
        &self,
        study: &StudyView<'_>,
        trial: &FrozenTrial,
        name: &str,
        distribution: &Distribution,
    ) -> Result<f64> {
        let axis = Axis::of(distribution)
            .map_err(|why| Error::InvalidArgument(format!("BruteForceSampler cannot search '{name}': {why}")))?;
        // The subtree below what this trial has suggested so far: the
        // trials that suggested the same values, each from there on.
        let mut root = Node::default();
        root.expand(name, &axis);
        let chosen: Vec<(&String, ParamValue)> = trial.params.iter().map(|(n, p)| (n, p.value())).collect();
        for other in study.trials.iter().filter(|t| t.number != trial.number && counts(t)) {
            let same_prefix = chosen.iter().all(|(n, v)| other.params.get(n.as_str()).is_some_and(|p| p.value() == *v));
            if same_prefix {
                let rest = other.params.iter().filter(|(n, _)| !trial.params.contains_key(n.as_str()));
                root.add_trial(rest, other.state.is_finished());
            }
        }
        let exclude_running = self.exclude_running();
        let mut rng = rng_for(self.seed, trial.number, name);
        let u: f64 = rng.random();
        let k = if root.count_unexpanded(exclude_running) == 0 {
            // Everything below has been tried (or is being tried): any value,
            // as Optuna; the study stops once this trial is told.
            ((u * axis.len as f64) as usize).min(axis.len - 1)
        } else {
            root.pick_child(exclude_running, u)
        };
        Ok(axis.value(k))
    }

    fn is_exhaustive(&self) -> bool {
        true
    }

    fn is_exhausted(&self, study: &StudyView<'_>) -> Result<bool> {
        let mut root = Node::default();
        for trial in study.trials.iter().filter(|t| counts(t)) {
            root.add_trial(trial.params.iter(), trial.state.is_finished());
        }
        Ok(root.count_unexpanded(self.exclude_running()) == 0)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::sync::Arc;

    use ferrotune_core::StudyDirection;

    use super::*;

    /// Run a sequential define-by-run study with trials made by hand: the
    /// objective's branch `c` picks between `x` (a stepped float) and `a`
    /// then `b` (ints, `b`'s range depending on `a`: Optuna's example).
    fn run(sampler: &BruteForceSampler, max_trials: usize) -> Vec<Arc<FrozenTrial>> {
        let c = Distribution::categorical(["float", "int"]).unwrap();
        let x = Distribution::Float(ferrotune_core::FloatDistribution::new(1.0, 3.0, false, Some(0.5)).unwrap());
        let a = Distribution::int(1, 3).unwrap();
        let mut trials: Vec<Arc<FrozenTrial>> = Vec::new();
        for number in 0..max_trials as u64 {
            let view = StudyView { study_name: "s", directions: &[StudyDirection::Minimize], trials: &trials };
            if sampler.is_exhausted(&view).unwrap() {
                break;
            }
            let mut trial = FrozenTrial::new(number as i64, number, TrialState::Running);
            let suggest = |trial: &mut FrozenTrial, name: &str, d: &Distribution| {
                let view = StudyView { study_name: "s", directions: &[StudyDirection::Minimize], trials: &trials };
                let v = sampler.sample_independent(&view, trial, name, d).unwrap();
                trial
                    .params
                    .insert(name.to_owned(), ferrotune_core::TrialParam { distribution: d.clone(), internal: v });
                v
            };
            if suggest(&mut trial, "c", &c) == 0.0 {
                suggest(&mut trial, "x", &x);
            } else {
                let a_value = suggest(&mut trial, "a", &a) as i64;
                suggest(&mut trial, "b", &Distribution::int(a_value, 3).unwrap());
            }
            trial.state = TrialState::Complete;
            trial.values = Some(vec![0.0]);
            trials.push(Arc::new(trial));
        }
        trials
    }

    fn combination(t: &FrozenTrial) -> Vec<(String, ParamValue)> {
        t.params.iter().map(|(n, p)| (n.clone(), p.value())).collect()
    }

    #[test]
    fn every_combination_of_a_conditional_space_once_then_the_search_ends() {
        // c=float: x in 1, 1.5, ..., 3 (5); c=int: (a, b) with a <= b <= 3 (6).
        for seed in 0..20 {
            let trials = run(&BruteForceSampler::with_seed(seed), 50);
            assert_eq!(
                trials.len(),
                11,
                "seed {seed}: {:?}",
                trials.iter().map(|t| combination(t)).collect::<Vec<_>>()
            );
            let distinct: BTreeSet<String> = trials.iter().map(|t| format!("{:?}", combination(t))).collect();
            assert_eq!(distinct.len(), 11, "seed {seed}: a combination repeated");
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_order_and_another_seed_another() {
        let order =
            |seed| run(&BruteForceSampler::with_seed(seed), 50).iter().map(|t| combination(t)).collect::<Vec<_>>();
        assert_eq!(order(3), order(3));
        assert_ne!(order(3), order(4));
    }

    #[test]
    fn running_trials_are_left_alone_and_count_as_tried_unless_asked_not_to() {
        let n = Distribution::int(0, 1).unwrap();
        let running = FrozenTrial::builder(0).state(TrialState::Running).param("n", &n, 0.0).build();
        let trials = vec![Arc::new(running)];
        let view = StudyView { study_name: "s", directions: &[StudyDirection::Minimize], trials: &trials };
        for seed in 0..10 {
            let sampler = BruteForceSampler::with_seed(seed);
            let fresh = FrozenTrial::new(1, 1, TrialState::Running);
            assert_eq!(sampler.sample_independent(&view, &fresh, "n", &n).unwrap(), 1.0, "seed {seed}");
        }
        // The other value finished: by default the search is over, with
        // avoid_premature_stop not until the running one finishes too.
        let done = FrozenTrial::builder(1).param("n", &n, 1.0).value(0.0).build();
        let trials = vec![trials[0].clone(), Arc::new(done)];
        let view = StudyView { study_name: "s", directions: &[StudyDirection::Minimize], trials: &trials };
        assert!(BruteForceSampler::with_seed(0).is_exhausted(&view).unwrap());
        assert!(!BruteForceSampler::with_seed(0).avoid_premature_stop(true).is_exhausted(&view).unwrap());
    }

    #[test]
    fn a_float_without_a_step_is_refused_by_name() {
        let x = Distribution::float(0.0, 1.0).unwrap();
        let view = StudyView { study_name: "s", directions: &[StudyDirection::Minimize], trials: &[] };
        let trial = FrozenTrial::new(0, 0, TrialState::Running);
        let e = BruteForceSampler::with_seed(0).sample_independent(&view, &trial, "lr", &x).unwrap_err().to_string();
        assert!(e.contains("'lr'") && e.contains("step"), "{e}");
    }
}
