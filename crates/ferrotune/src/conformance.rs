//! The sampler conformance suite: the [`Sampler`] contract as executable
//! checks. Every sampler runs all of them through
//! [`sampler_conformance_tests!`](crate::sampler_conformance_tests), so a
//! new sampler (NSGA-II, say) meets the common contract when one macro line
//! passes; what is particular to it stays in its own tests.
//!
//! The checks drive a real [`Study`] (ask, tell, `optimize` with threads,
//! `enqueue_trial`) rather than calling the trait by hand, because the
//! contract is what users see: the study is where a relative sample, an
//! enqueued value and an independent draw meet. That is also why the suite
//! lives in the facade crate and not beside the samplers, which must not
//! depend on the study.
//!
//! Every check asserts on each value a trial returned and stored, against
//! bounds written out here ([`Spec`]) as well as the distribution's own
//! `contains`, so a check cannot pass by agreeing with the code it tests.
//! The checks: [`values_lie_in_their_distributions`],
//! [`seeded_study_repeats_exactly`], [`conditional_parameters`],
//! [`enqueued_parameters_are_used_as_given`],
//! [`running_trials_do_not_break_sampling`],
//! [`failed_and_pruned_trials_in_history`], [`several_objectives`],
//! [`parallel_workers`] and [`infinite_values_are_the_worst`].

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use ferrotune_core::{FrozenTrial, ParamValue, Sampler, StudyDirection, TrialState};

use crate::{Optimize, Study, Trial, TrialError};

/// Generate one `#[test]` per conformance check for a sampler.
///
/// The first argument is a closure from a seed to a fresh sampler
/// (`|seed: u64| -> impl Sampler`); each check builds the samplers it needs
/// with it. Then, optionally, `name = value` pairs setting the fields of
/// [`Capabilities`](crate::conformance::Capabilities) where the sampler
/// legitimately differs from the default:
///
/// ```
/// mod cmaes {
///     use ferrotune::samplers::CmaEsSampler;
///
///     ferrotune::sampler_conformance_tests!(|seed| CmaEsSampler::with_seed(seed), multi_objective = false);
/// }
/// # fn main() {}
/// ```
///
/// The generated tests share names, so each invocation goes in its own
/// module.
#[macro_export]
macro_rules! sampler_conformance_tests {
    ($make:expr $(, $flag:ident = $value:expr)* $(,)?) => {
        $crate::sampler_conformance_tests!(@each ($make) ({
            #[allow(unused_mut)]
            let mut capabilities = $crate::conformance::Capabilities::default();
            $(capabilities.$flag = $value;)*
            capabilities
        });
            values_lie_in_their_distributions, seeded_study_repeats_exactly, conditional_parameters,
            enqueued_parameters_are_used_as_given, running_trials_do_not_break_sampling,
            failed_and_pruned_trials_in_history, several_objectives, parallel_workers,
            infinite_values_are_the_worst);
    };
    (@each ($make:expr) ($capabilities:expr); $($check:ident),*) => {
        $(
            #[test]
            fn $check() {
                $crate::conformance::$check($make, &$capabilities);
            }
        )*
    };
}

/// Where a sampler legitimately differs from the common contract, and how
/// long the checks run.
#[derive(Debug, Clone, PartialEq)]
pub struct Capabilities {
    /// Whether the sampler samples studies with several objectives; if not,
    /// it must refuse them with an error that says so (default: true).
    pub multi_objective: bool,
    /// Whether the sampler's space is finite (a grid): it then declares
    /// [`Sampler::max_trials`] and a study may stop early (default: false).
    pub finite: bool,
    /// Trials per study in each check; enough for model-based samplers to
    /// get past their startup trials (default: 30).
    pub n_trials: u64,
    /// Whether the sampler learns from the values told (a model or a
    /// population; not random, grid or QMC points): it must then steer away
    /// from where the objective returns an infinite loss (default: true).
    pub learns: bool,
}

impl Default for Capabilities {
    fn default() -> Self {
        Capabilities { multi_objective: true, finite: false, n_trials: 30, learns: true }
    }
}

/// A parameter's search space, written out independently of
/// [`Distribution`](crate::Distribution) so the checks do not trust the
/// code they test.
#[derive(Debug, Clone, PartialEq)]
pub enum Spec {
    /// `suggest_float(low, high)`.
    Float {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
    /// `suggest_float_log(low, high)`.
    FloatLog {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
    /// `suggest_float_step(low, high, step)`.
    FloatStep {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
        /// Step.
        step: f64,
    },
    /// `suggest_int` (step 1) or `suggest_int_step`.
    Int {
        /// Lower bound.
        low: i64,
        /// Upper bound.
        high: i64,
        /// Step.
        step: i64,
    },
    /// `suggest_int_log(low, high)`.
    IntLog {
        /// Lower bound.
        low: i64,
        /// Upper bound.
        high: i64,
    },
    /// `suggest_categorical(choices)`.
    Choices(Vec<ParamValue>),
}

impl Spec {
    /// Suggest a value for `name` through the matching `suggest_*`.
    pub fn suggest(&self, trial: &mut Trial, name: &str) -> crate::Result<ParamValue> {
        Ok(match self {
            Spec::Float { low, high } => ParamValue::Float(trial.suggest_float(name, *low, *high)?),
            Spec::FloatLog { low, high } => ParamValue::Float(trial.suggest_float_log(name, *low, *high)?),
            Spec::FloatStep { low, high, step } => {
                ParamValue::Float(trial.suggest_float_step(name, *low, *high, *step)?)
            }
            Spec::Int { low, high, step: 1 } => ParamValue::Int(trial.suggest_int(name, *low, *high)?),
            Spec::Int { low, high, step } => ParamValue::Int(trial.suggest_int_step(name, *low, *high, *step)?),
            Spec::IntLog { low, high } => ParamValue::Int(trial.suggest_int_log(name, *low, *high)?),
            Spec::Choices(choices) => trial.suggest_categorical(name, choices)?,
        })
    }

    /// Whether `value` is one this space admits, of the right type.
    pub fn admits(&self, value: &ParamValue) -> bool {
        match (self, value) {
            (Spec::Float { low, high } | Spec::FloatLog { low, high }, ParamValue::Float(v)) => low <= v && v <= high,
            (Spec::FloatStep { low, high, step }, ParamValue::Float(v)) => {
                let k = (v - low) / step;
                low <= v && v <= high && (k - k.round()).abs() < 1e-9
            }
            (Spec::Int { low, high, step }, ParamValue::Int(v)) => low <= v && v <= high && (v - low) % step == 0,
            (Spec::IntLog { low, high }, ParamValue::Int(v)) => low <= v && v <= high,
            (Spec::Choices(choices), v) => choices.contains(v),
            _ => false,
        }
    }

    /// Where `value` lies in the space, from 0 (low, first choice) to 1.
    fn position(&self, value: &ParamValue) -> f64 {
        let linear = |v: f64, low: f64, high: f64| (v - low) / (high - low);
        match (self, value) {
            (Spec::Float { low, high } | Spec::FloatStep { low, high, .. }, ParamValue::Float(v)) => {
                linear(*v, *low, *high)
            }
            (Spec::FloatLog { low, high }, ParamValue::Float(v)) => linear(v.ln(), low.ln(), high.ln()),
            (Spec::Int { low, high, .. }, ParamValue::Int(v)) => linear(*v as f64, *low as f64, *high as f64),
            (Spec::IntLog { low, high }, ParamValue::Int(v)) => {
                linear((*v as f64).ln(), (*low as f64).ln(), (*high as f64).ln())
            }
            (Spec::Choices(choices), v) => {
                choices.iter().position(|c| c == v).unwrap_or(0) as f64 / (choices.len() - 1) as f64
            }
            _ => 0.0,
        }
    }

    /// Two values of this space for a grid: the bounds, or every choice.
    fn grid_values(&self) -> Vec<ParamValue> {
        match self {
            Spec::Float { low, high } | Spec::FloatLog { low, high } | Spec::FloatStep { low, high, .. } => {
                vec![ParamValue::Float(*low), ParamValue::Float(*high)]
            }
            Spec::Int { low, high, .. } | Spec::IntLog { low, high } => {
                vec![ParamValue::Int(*low), ParamValue::Int(*high)]
            }
            Spec::Choices(choices) => choices.clone(),
        }
    }
}

/// The parameters every check suggests: one of each kind of distribution.
pub fn every_kind() -> Vec<(&'static str, Spec)> {
    vec![
        ("float", Spec::Float { low: -5.0, high: 5.0 }),
        ("float_log", Spec::FloatLog { low: 1e-5, high: 1.0 }),
        ("float_step", Spec::FloatStep { low: 0.0, high: 1.0, step: 0.25 }),
        ("int", Spec::Int { low: -3, high: 7, step: 1 }),
        ("int_log", Spec::IntLog { low: 1, high: 1024 }),
        ("int_step", Spec::Int { low: 0, high: 20, step: 5 }),
        ("cat_null", Spec::Choices(vec![ParamValue::Null, ParamValue::Int(4), ParamValue::Int(8)])),
        ("cat_bool", Spec::Choices(vec![ParamValue::Bool(true), ParamValue::Bool(false)])),
        ("cat_num", Spec::Choices(vec![ParamValue::Int(1), ParamValue::Float(2.5), ParamValue::Float(-0.5)])),
        ("cat_str", Spec::Choices(vec!["adam".into(), "sgd".into(), "rmsprop".into()])),
    ]
}

/// The parameters of the define-by-run check ([`conditional_parameters`]):
/// `branch` decides between `left_x` and `right_n` + `right_deep`, and
/// `right_deep` = true adds `right_deep_lr`; `late` appears only in the
/// second half of the study.
pub fn conditional_kinds() -> Vec<(&'static str, Spec)> {
    vec![
        ("branch", Spec::Choices(vec!["left".into(), "right".into()])),
        ("left_x", Spec::Float { low: 0.0, high: 1.0 }),
        ("right_n", Spec::IntLog { low: 1, high: 64 }),
        ("right_deep", Spec::Choices(vec![ParamValue::Bool(false), ParamValue::Bool(true)])),
        ("right_deep_lr", Spec::FloatLog { low: 1e-4, high: 1e-1 }),
        ("late", Spec::Float { low: -1.0, high: 1.0 }),
    ]
}

/// A grid covering every parameter the checks suggest (the bounds of
/// numeric ones, every choice of categorical ones), for `GridSampler`.
pub fn covering_grid() -> BTreeMap<String, Vec<ParamValue>> {
    let mut grid: BTreeMap<String, Vec<ParamValue>> = every_kind()
        .into_iter()
        .chain(conditional_kinds())
        .map(|(name, spec)| (name.to_owned(), spec.grid_values()))
        .collect();
    // In both of the ranges `moving` takes.
    grid.insert("moving".into(), vec![ParamValue::Float(MOVING_LATE.0), ParamValue::Float(MOVING_EARLY.1)]);
    grid
}

/// The range of `moving` in the first half of [`conditional_parameters`]'s
/// study, and in the second.
const MOVING_EARLY: (f64, f64) = (0.0, 1.0);
const MOVING_LATE: (f64, f64) = (0.5, 2.0);

fn spec_of(name: &str) -> Option<Spec> {
    every_kind().into_iter().chain(conditional_kinds()).find(|(n, _)| *n == name).map(|(_, s)| s)
}

/// Suggest one parameter, failing the trial if the value returned is not
/// one its space admits.
fn suggest(trial: &mut Trial, name: &str, spec: &Spec) -> Result<ParamValue, TrialError> {
    let value = spec.suggest(trial, name)?;
    if !spec.admits(&value) {
        return Err(TrialError::failed(format!("suggested {name} = {value:?}, outside {spec:?}")));
    }
    Ok(value)
}

/// Suggest every kind of parameter; returns two objective values (a bowl
/// around 0.3 and one around 0.7 of each parameter's range).
fn suggest_every_kind(trial: &mut Trial) -> Result<[f64; 2], TrialError> {
    let mut objectives = [0.0; 2];
    for (name, spec) in every_kind() {
        let position = spec.position(&suggest(trial, name, &spec)?);
        objectives[0] += (position - 0.3).powi(2);
        objectives[1] += (position - 0.7).powi(2);
    }
    Ok(objectives)
}

fn every_kind_objective(trial: &mut Trial) -> Result<f64, TrialError> {
    Ok(suggest_every_kind(trial)?[0])
}

/// The define-by-run objective (see [`conditional_kinds`]); `late` is
/// suggested from trial `late_from` on.
fn conditional_objective(trial: &mut Trial, late_from: u64) -> Result<f64, TrialError> {
    let spec = |name: &str| spec_of(name).expect("a conditional parameter");
    let mut value = 0.0;
    if suggest(trial, "branch", &spec("branch"))? == ParamValue::from("left") {
        value += spec("left_x").position(&suggest(trial, "left_x", &spec("left_x"))?);
    } else {
        value += spec("right_n").position(&suggest(trial, "right_n", &spec("right_n"))?);
        if suggest(trial, "right_deep", &spec("right_deep"))? == ParamValue::Bool(true) {
            value -= spec("right_deep_lr").position(&suggest(trial, "right_deep_lr", &spec("right_deep_lr"))?);
        }
    }
    if trial.number() >= late_from {
        value += spec("late").position(&suggest(trial, "late", &spec("late"))?).powi(2);
    }
    Ok(value)
}

/// A study with `sampler` and these directions, in memory.
fn study(sampler: impl Sampler + 'static, directions: &[StudyDirection]) -> Study {
    Study::builder().directions(directions.iter().copied()).sampler(sampler).create().expect("an in-memory study")
}

/// How many trials `optimize(n)` runs: `n`, or fewer for a finite sampler
/// whose space is smaller.
fn expected_trials(sampler: &dyn Sampler, n: u64) -> u64 {
    sampler.max_trials().map_or(n, |max| n.min(max))
}

/// Every trial complete, with the reason of the first that is not.
fn assert_all_complete(trials: &[Arc<FrozenTrial>], label: &str) {
    for t in trials {
        assert_eq!(
            t.state,
            TrialState::Complete,
            "{label}: trial {} is {} ({:?}), params {:?}",
            t.number,
            t.state,
            t.fail_reason(),
            t.param_values()
        );
    }
}

/// Every stored parameter of every trial is one of the checks' parameters,
/// with a value its space admits and an internal value its distribution
/// holds.
fn assert_in_space(trials: &[Arc<FrozenTrial>], label: &str) {
    for t in trials {
        for (name, param) in &t.params {
            let spec =
                spec_of(name).unwrap_or_else(|| panic!("{label}: trial {} has unknown parameter {name}", t.number));
            let value = param.value();
            assert!(spec.admits(&value), "{label}: trial {}: {name} = {value:?} outside {spec:?}", t.number);
            assert!(
                param.distribution.contains(param.internal),
                "{label}: trial {}: {name} internal {} outside {}",
                t.number,
                param.internal,
                param.distribution
            );
        }
    }
}

/// Every trial has exactly the parameters of [`every_kind`].
fn assert_every_kind_present(trials: &[Arc<FrozenTrial>], label: &str) {
    let names: BTreeSet<&str> = every_kind().iter().map(|(n, _)| *n).collect();
    for t in trials {
        let got: BTreeSet<&str> = t.params.keys().map(String::as_str).collect();
        assert_eq!(got, names, "{label}: trial {}", t.number);
    }
}

/// Values lie in their distributions: floats (plain, log, stepped), ints
/// (plain, log, stepped) and categoricals (None, bools, numbers, strings),
/// as the objective receives them and as stored; each parameter takes more
/// than one value over the study (a sampler stuck on a bound would
/// otherwise pass), and the finite flag matches [`Sampler::max_trials`].
pub fn values_lie_in_their_distributions<S: Sampler + 'static>(make: impl Fn(u64) -> S, caps: &Capabilities) {
    let sampler = make(1);
    assert_eq!(sampler.max_trials().is_some(), caps.finite, "max_trials() is {:?}", sampler.max_trials());
    let expected = expected_trials(&sampler, caps.n_trials);
    let study = study(sampler, &[StudyDirection::Minimize]);
    study.optimize(caps.n_trials, every_kind_objective).expect("optimize");
    let trials = study.trials().unwrap();
    assert_eq!(trials.len() as u64, expected);
    assert_all_complete(&trials, "every kind");
    assert_every_kind_present(&trials, "every kind");
    assert_in_space(&trials, "every kind");
    for (name, _) in every_kind() {
        let distinct: Vec<ParamValue> = trials.iter().fold(Vec::new(), |mut seen, t| {
            let v = t.params[name].value();
            if !seen.contains(&v) {
                seen.push(v);
            }
            seen
        });
        assert!(distinct.len() >= 2, "{name} took only {distinct:?} in {} trials", trials.len());
    }
}

/// The parameters and values of a study's trials, in number order.
type History = Vec<(TrialState, BTreeMap<String, ParamValue>, Option<Vec<f64>>)>;

fn run_seeded<S: Sampler + 'static>(make: &impl Fn(u64) -> S, seed: u64, n: u64) -> History {
    let study = study(make(seed), &[StudyDirection::Minimize]);
    study
        .optimize(n, |trial| Ok(every_kind_objective(trial)? + conditional_objective(trial, n / 2)?))
        .expect("optimize");
    let trials = study.trials().unwrap();
    assert_all_complete(&trials, "seeded");
    assert_in_space(&trials, "seeded");
    trials.iter().map(|t| (t.state, t.param_values(), t.values.clone())).collect()
}

/// A seeded sequential study repeats exactly: two studies with samplers of
/// the same seed get the same parameters, trial by trial (conditional ones
/// included), and another seed gives other parameters.
pub fn seeded_study_repeats_exactly<S: Sampler + 'static>(make: impl Fn(u64) -> S, caps: &Capabilities) {
    let first = run_seeded(&make, 7, caps.n_trials);
    let second = run_seeded(&make, 7, caps.n_trials);
    assert_eq!(first.len(), second.len());
    for (number, (a, b)) in first.iter().zip(&second).enumerate() {
        assert_eq!(a, b, "trial {number} differs between two studies seeded alike");
    }
    let other = run_seeded(&make, 8, caps.n_trials);
    assert_ne!(first, other, "seeds 7 and 8 gave the same study");
}

/// Define-by-run: parameters present only in some trials (a branch, a
/// nested branch, one that appears half-way through the study) and one
/// name whose range changes half-way. Each trial holds exactly the
/// parameters its own choices call for, every value is in its space, and
/// each conditional parameter is both present and absent somewhere.
pub fn conditional_parameters<S: Sampler + 'static>(make: impl Fn(u64) -> S, caps: &Capabilities) {
    let sampler = make(3);
    let expected = expected_trials(&sampler, caps.n_trials);
    let half = caps.n_trials / 2;
    // The same name over a range that moves.
    let moving = |number: u64| if number < half { MOVING_EARLY } else { MOVING_LATE };
    let study = study(sampler, &[StudyDirection::Minimize]);
    study
        .optimize(caps.n_trials, |trial| {
            let (low, high) = moving(trial.number());
            let m = trial.suggest_float("moving", low, high)?;
            if !(low..=high).contains(&m) {
                return Err(TrialError::failed(format!("moving = {m} outside [{low}, {high}]")));
            }
            Ok(conditional_objective(trial, half)? + m)
        })
        .expect("optimize");
    let mut trials = study.trials().unwrap();
    assert_eq!(trials.len() as u64, expected);
    assert_all_complete(&trials, "conditional");
    for t in &trials {
        let (low, high) = moving(t.number);
        let m = t.params["moving"].internal;
        assert!((low..=high).contains(&m), "trial {}: moving = {m} outside [{low}, {high}]", t.number);
        let values = t.param_values();
        let mut wanted = vec!["moving", "branch"];
        if values["branch"] == ParamValue::from("left") {
            wanted.push("left_x");
        } else {
            wanted.extend(["right_n", "right_deep"]);
            if values["right_deep"] == ParamValue::Bool(true) {
                wanted.push("right_deep_lr");
            }
        }
        if t.number >= half {
            wanted.push("late");
        }
        let got: BTreeSet<&str> = t.params.keys().map(String::as_str).collect();
        assert_eq!(got, wanted.into_iter().collect(), "trial {}: {values:?}", t.number);
    }
    for t in &mut trials {
        Arc::make_mut(t).params.shift_remove("moving");
    }
    assert_in_space(&trials, "conditional");
    for (name, _) in conditional_kinds().into_iter().filter(|(name, _)| *name != "branch") {
        let present = trials.iter().filter(|t| t.params.contains_key(name)).count();
        assert!(
            0 < present && present < trials.len(),
            "{name} is in {present} of {} trials: the check did not exercise it",
            trials.len()
        );
    }
}

/// Enqueued parameters are used as given: hand-picked subsets (bounds,
/// None, false, a float choice, every parameter at once, a name the
/// objective never suggests), enqueued before the first trial and again
/// once the sampler has a history, run first and keep exactly their values;
/// the parameters they leave open are sampled in range.
pub fn enqueued_parameters_are_used_as_given<S: Sampler + 'static>(make: impl Fn(u64) -> S, caps: &Capabilities) {
    let study = study(make(4), &[StudyDirection::Minimize]);
    let early: BTreeMap<String, ParamValue> = BTreeMap::from([
        ("float".into(), ParamValue::Float(1.25)),
        ("cat_str".into(), "sgd".into()),
        ("cat_null".into(), ParamValue::Null),
    ]);
    let first = study.enqueue_trial(early.clone()).unwrap();
    let half = caps.n_trials / 2;
    study.optimize(half, every_kind_objective).expect("optimize");
    let late: Vec<BTreeMap<String, ParamValue>> = vec![
        BTreeMap::from([
            ("int".into(), ParamValue::Int(7)),
            ("float_log".into(), ParamValue::Float(1e-5)),
            ("int_step".into(), ParamValue::Int(20)),
            ("cat_bool".into(), ParamValue::Bool(false)),
            ("cat_num".into(), ParamValue::Float(2.5)),
        ]),
        BTreeMap::from([
            ("float_step".into(), ParamValue::Float(0.75)),
            ("int_log".into(), ParamValue::Int(1)),
            ("cat_null".into(), ParamValue::Int(8)),
            ("never_suggested".into(), ParamValue::Int(3)),
        ]),
        BTreeMap::from([
            ("float".into(), ParamValue::Float(-5.0)),
            ("float_log".into(), ParamValue::Float(0.5)),
            ("float_step".into(), ParamValue::Float(1.0)),
            ("int".into(), ParamValue::Int(-3)),
            ("int_log".into(), ParamValue::Int(1024)),
            ("int_step".into(), ParamValue::Int(0)),
            ("cat_null".into(), ParamValue::Int(4)),
            ("cat_bool".into(), ParamValue::Bool(true)),
            ("cat_num".into(), ParamValue::Int(1)),
            ("cat_str".into(), "rmsprop".into()),
        ]),
    ];
    let numbers: Vec<u64> = late.iter().map(|fixed| study.enqueue_trial(fixed.clone()).unwrap()).collect();
    study.optimize(caps.n_trials - half, every_kind_objective).expect("optimize");
    let trials = study.trials().unwrap();
    assert_eq!(trials.len() as u64, caps.n_trials);
    assert_all_complete(&trials, "enqueued");
    assert_every_kind_present(&trials, "enqueued");
    assert_in_space(&trials, "enqueued");
    assert_eq!(first, 0);
    assert_eq!(numbers, (half..half + 3).collect::<Vec<_>>(), "enqueued trials are numbered in order");
    for (number, fixed) in std::iter::once((first, &early)).chain(numbers.iter().copied().zip(&late)) {
        let trial = &trials[number as usize];
        assert_eq!(trial.fixed_params.as_ref(), Some(fixed), "trial {number}");
        let values = trial.param_values();
        for (name, value) in fixed.iter().filter(|(n, _)| *n != "never_suggested") {
            assert_eq!(values.get(name), Some(value), "trial {number}: enqueued {name} = {value:?}, got {values:?}");
        }
        assert!(!values.contains_key("never_suggested"), "trial {number}: {values:?}");
    }
    assert_eq!(trials.iter().filter(|t| t.is_enqueued()).count(), 4);
}

/// Running trials do not break sampling: trials stay running (one with
/// some parameters, one with none, at the start and once the sampler has
/// a history) while others are asked, sampled and completed, and are then
/// finished themselves.
pub fn running_trials_do_not_break_sampling<S: Sampler + 'static>(make: impl Fn(u64) -> S, caps: &Capabilities) {
    let sampler = make(5);
    let expected = expected_trials(&sampler, caps.n_trials + 6);
    let study = study(sampler, &[StudyDirection::Minimize]);
    let partial = |trial: &mut Trial| {
        for (name, spec) in every_kind().iter().step_by(3) {
            suggest(trial, name, spec).unwrap();
        }
    };
    let mut open = vec![study.ask().unwrap(), study.ask().unwrap()];
    partial(&mut open[0]);
    let half = caps.n_trials / 2;
    study.optimize(half, every_kind_objective).expect("optimize beside running trials");
    open.extend([study.ask().unwrap(), study.ask().unwrap()]);
    partial(&mut open[2]);
    study.optimize(caps.n_trials - half, every_kind_objective).expect("optimize beside running trials");
    let running: Vec<u64> = study.trials_in(&[TrialState::Running]).unwrap().iter().map(|t| t.number).collect();
    assert_eq!(running, open.iter().map(Trial::number).collect::<Vec<_>>());
    // Ask and tell by hand while those four still run.
    let mut trial = study.ask().unwrap();
    let value = every_kind_objective(&mut trial).unwrap();
    study.tell(trial, value).unwrap();
    for mut trial in open {
        let value = every_kind_objective(&mut trial).unwrap();
        study.tell(trial, value).unwrap();
    }
    study.optimize(1, every_kind_objective).expect("optimize after running trials finished");
    let trials = study.trials().unwrap();
    assert_eq!(trials.len() as u64, expected);
    assert_all_complete(&trials, "running");
    assert_every_kind_present(&trials, "running");
    assert_in_space(&trials, "running");
}

/// What [`failed_and_pruned_trials_in_history`] does with trial `number`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fate {
    Complete,
    /// Every parameter suggested, then an error.
    Fail,
    /// One parameter suggested, then an error.
    FailEarly,
    /// Every parameter suggested, then NaN returned.
    Nan,
    /// Every parameter suggested, two intermediate values, then pruned.
    Prune,
    /// Two parameters suggested, pruned with no intermediate value.
    PruneEarly,
}

fn fate(number: u64) -> Fate {
    match number % 12 {
        1 | 7 => Fate::Fail,
        3 | 9 => Fate::Prune,
        4 => Fate::FailEarly,
        5 => Fate::PruneEarly,
        10 => Fate::Nan,
        _ => Fate::Complete,
    }
}

/// Failed and pruned trials in the history (with every, some or no
/// parameters; pruned with and without intermediate values; failed by an
/// error and by NaN) do not break sampling: each trial ends as planned and
/// every value is in range.
pub fn failed_and_pruned_trials_in_history<S: Sampler + 'static>(make: impl Fn(u64) -> S, caps: &Capabilities) {
    let sampler = make(6);
    let n = caps.n_trials + caps.n_trials / 2;
    let expected = expected_trials(&sampler, n);
    let study = study(sampler, &[StudyDirection::Minimize]);
    let every = every_kind();
    study
        .optimize(n, |trial| match fate(trial.number()) {
            Fate::Complete => every_kind_objective(trial),
            Fate::Fail => Err(TrialError::failed(format!("deliberate, after {}", every_kind_objective(trial)?))),
            Fate::FailEarly => {
                suggest(trial, every[0].0, &every[0].1)?;
                Err(TrialError::failed("deliberate, early"))
            }
            Fate::Nan => every_kind_objective(trial).map(|_| f64::NAN),
            Fate::Prune => {
                let value = every_kind_objective(trial)?;
                trial.report(0, value + 1.0)?;
                trial.report(1, value + 0.5)?;
                Err(TrialError::Pruned)
            }
            Fate::PruneEarly => {
                suggest(trial, every[3].0, &every[3].1)?;
                suggest(trial, every[9].0, &every[9].1)?;
                Err(TrialError::Pruned)
            }
        })
        .expect("optimize");
    let trials = study.trials().unwrap();
    assert_eq!(trials.len() as u64, expected);
    assert_in_space(&trials, "failed and pruned");
    for t in &trials {
        let label = format!("trial {} ({:?}), fail reason {:?}", t.number, fate(t.number), t.fail_reason());
        let (state, n_params, reason) = match fate(t.number) {
            Fate::Complete => (TrialState::Complete, 10, None),
            Fate::Fail => (TrialState::Failed, 10, Some("deliberate, after")),
            Fate::FailEarly => (TrialState::Failed, 1, Some("deliberate, early")),
            Fate::Nan => (TrialState::Failed, 10, Some("the objective returned NaN")),
            Fate::Prune => (TrialState::Pruned, 10, None),
            Fate::PruneEarly => (TrialState::Pruned, 2, None),
        };
        assert_eq!(t.state, state, "{label}");
        assert_eq!(t.params.len(), n_params, "{label}");
        assert!(reason.is_none_or(|r| t.fail_reason().is_some_and(|got| got.starts_with(r))), "{label}");
        if fate(t.number) == Fate::Prune {
            assert_eq!(t.values.as_ref().map(Vec::len), Some(1), "{label}: a pruned trial keeps its last value");
        }
    }
}

/// Several objectives: a sampler that supports them samples a
/// two-objective study (minimize, maximize) in range; one that does not
/// refuses it with an error that says so, rather than failing trials
/// silently or sampling as if there were one objective.
pub fn several_objectives<S: Sampler + 'static>(make: impl Fn(u64) -> S, caps: &Capabilities) {
    let sampler = make(7);
    let expected = expected_trials(&sampler, caps.n_trials);
    let directions = [StudyDirection::Minimize, StudyDirection::Maximize];
    if !caps.multi_objective {
        // Refused when the study is made (`Sampler::check_directions`),
        // before any trial runs, and nothing is written.
        let storage: Arc<dyn ferrotune_core::Storage> = Arc::new(ferrotune_storage::InMemoryStorage::new());
        let made = Study::builder()
            .name("two-objectives")
            .storage(storage.clone())
            .directions(directions)
            .sampler(sampler)
            .create();
        let error = made.err().map(|e| e.to_string()).expect("a single-objective sampler must refuse two objectives");
        assert!(error.contains("objective"), "the error does not say what is refused: {error}");
        assert!(storage.list_studies().expect("list").is_empty(), "the refused study was written");
        return;
    }
    let study = study(sampler, &directions);
    let result = study.optimize(caps.n_trials, suggest_every_kind);
    let trials = study.trials().unwrap();
    assert_in_space(&trials, "several objectives");
    result.expect("optimize two objectives");
    assert_eq!(trials.len() as u64, expected);
    assert_all_complete(&trials, "several objectives");
    assert_every_kind_present(&trials, "several objectives");
    assert!(trials.iter().all(|t| t.values.as_ref().is_some_and(|v| v.len() == 2)));
}

/// Parallel workers: `optimize` with four threads completes every trial,
/// in range, and no two trials get the same parameters (randomness is
/// derived per trial, so workers never share a draw).
pub fn parallel_workers<S: Sampler + 'static>(make: impl Fn(u64) -> S, caps: &Capabilities) {
    let sampler = make(8);
    let expected = expected_trials(&sampler, caps.n_trials);
    let study = study(sampler, &[StudyDirection::Minimize]);
    study.optimize_with(Optimize::new().n_trials(caps.n_trials).n_jobs(4), every_kind_objective).expect("optimize");
    let trials = study.trials().unwrap();
    assert_eq!(trials.len() as u64, expected);
    assert_all_complete(&trials, "parallel");
    assert_every_kind_present(&trials, "parallel");
    assert_in_space(&trials, "parallel");
    for (i, a) in trials.iter().enumerate() {
        for b in &trials[..i] {
            assert_ne!(a.params, b.params, "trials {} and {} got the same parameters", b.number, a.number);
        }
    }
}

/// The objective of [`infinite_values_are_the_worst`]: a bowl around
/// `left_x` = 0.25, `late` = 0 where `left_x` <= 0.5, and a diverged run
/// (an infinite loss) beyond. With two objectives the second, maximized,
/// is minus the first (so -inf beyond 0.5).
fn diverging_objective(trial: &mut Trial, n_objectives: usize) -> Result<Vec<f64>, TrialError> {
    let x = suggest(trial, "left_x", &spec_of("left_x").expect("left_x"))?;
    let y = suggest(trial, "late", &spec_of("late").expect("late"))?;
    let (x, y) = (x.as_f64().expect("a float"), y.as_f64().expect("a float"));
    let loss = if x > 0.5 { f64::INFINITY } else { (x - 0.25).powi(2) + y * y };
    Ok([loss, -loss][..n_objectives].to_vec())
}

/// Issue 24: an infinite objective value completes its trial (Optuna's
/// rule: only NaN fails one) and samplers read it as the worst value (a
/// diverged training run), never as a reason to fail or a source of NaN.
/// With a loss of +inf where `left_x` > 0.5 (and, with two objectives,
/// -inf in a maximized second one), the study runs to the end with every
/// trial complete, a seeded study repeats exactly, and a sampler that
/// learns ([`Capabilities::learns`]) proposes at least two thirds of the
/// second half of its trials where the loss is finite.
pub fn infinite_values_are_the_worst<S: Sampler + 'static>(make: impl Fn(u64) -> S, caps: &Capabilities) {
    let objective_sets: &[&[StudyDirection]] = if caps.multi_objective {
        &[&[StudyDirection::Minimize], &[StudyDirection::Minimize, StudyDirection::Maximize]]
    } else {
        &[&[StudyDirection::Minimize]]
    };
    for directions in objective_sets {
        let label = format!("infinite values, {} objective(s)", directions.len());
        let run = |seed: u64| {
            let sampler = make(seed);
            let expected = expected_trials(&sampler, caps.n_trials);
            let study = study(sampler, directions);
            study.optimize(caps.n_trials, |trial| diverging_objective(trial, directions.len())).expect("optimize");
            let trials = study.trials().unwrap();
            assert_eq!(trials.len() as u64, expected, "{label}");
            trials
        };
        let trials = run(7);
        assert_all_complete(&trials, &label);
        assert_in_space(&trials, &label);
        let inf = trials.iter().filter(|t| t.values.as_ref().is_some_and(|v| v[0] == f64::INFINITY)).count();
        assert!(inf > 0, "{label}: no trial reached the infinite region, so nothing was checked");
        if caps.learns {
            let later = &trials[trials.len() / 2..];
            let finite = later.iter().filter(|t| t.param_values()["left_x"].as_f64().is_some_and(|x| x <= 0.5)).count();
            assert!(
                3 * finite >= 2 * later.len(),
                "{label}: only {finite} of the last {} trials avoid the infinite region",
                later.len()
            );
        }
        // Values compared bit for bit: infinities must not disturb the
        // sampler's determinism.
        type Replay = Vec<(BTreeMap<String, ParamValue>, Option<Vec<u64>>)>;
        let key = |trials: &[Arc<FrozenTrial>]| -> Replay {
            trials
                .iter()
                .map(|t| (t.param_values(), t.values.as_ref().map(|v| v.iter().map(|x| x.to_bits()).collect())))
                .collect()
        };
        assert_eq!(key(&trials), key(&run(7)), "{label}: a seeded study did not repeat");
    }
}
