//! The best trial, its value and parameters, and the Pareto front hold
//! feasible trials only (every constraint value <= 0), as in Optuna; when
//! no complete trial is feasible the error says so, apart from "no trial
//! completed yet".

use ferrotune::samplers::RandomSampler;
use ferrotune::{Error, ParamValue, Study, StudyDirection, TrialError, TrialOutcome};

fn study(directions: &[StudyDirection]) -> Study {
    Study::builder().directions(directions.iter().copied()).sampler(RandomSampler::with_seed(3)).create().unwrap()
}

/// The case: minimize x subject to x >= 0.5 (`0.5 - x <= 0`).
fn bounded_below(xs: &[f64]) -> Study {
    let study = study(&[StudyDirection::Minimize]);
    for &x in xs {
        study.enqueue_trial([("x", x)]).unwrap();
    }
    study
        .optimize(xs.len() as u64, |trial| {
            let x = trial.suggest_float("x", 0.0, 1.0)?;
            trial.set_constraint("x_at_least_half", 0.5 - x)?;
            Ok(x)
        })
        .unwrap();
    study
}

#[test]
fn an_infeasible_trial_is_never_the_best() {
    let study = bounded_below(&[0.1, 0.7]);
    // 0.1 has the better value, but violates its constraint by 0.4.
    let best = study.best_trial().unwrap();
    assert_eq!(best.number, 1);
    assert_eq!(study.best_value().unwrap(), 0.7);
    assert_eq!(study.best_params().unwrap()["x"], ParamValue::Float(0.7));
    let front: Vec<u64> = study.best_trials().unwrap().iter().map(|t| t.number).collect();
    assert_eq!(front, [1]);
}

#[test]
fn a_trial_without_constraints_is_feasible() {
    let study = bounded_below(&[0.1, 0.7]);
    // Told by hand with no constraint set: feasible, and better than 0.7.
    let trial = study.ask().unwrap();
    let number = trial.number();
    study.tell(trial, 0.3).unwrap();
    assert_eq!(study.best_trial().unwrap().number, number);
    assert_eq!(study.best_value().unwrap(), 0.3);
    // A constraint exactly at zero is satisfied.
    let mut trial = study.ask().unwrap();
    trial.set_constraint("c", 0.0).unwrap();
    let at_zero = trial.number();
    study.tell(trial, 0.2).unwrap();
    assert_eq!(study.best_trial().unwrap().number, at_zero);
}

#[test]
fn when_every_complete_trial_is_infeasible_the_error_says_so() {
    let empty = study(&[StudyDirection::Minimize]);
    assert!(matches!(empty.best_trial(), Err(Error::NoCompletedTrials(_))));

    let study = bounded_below(&[0.1, 0.2]);
    // Trials that did not complete are not counted.
    let trial = study.ask().unwrap();
    study.tell_outcome(trial, TrialOutcome::Failed("crashed".into())).unwrap();
    let err = study.best_trial().unwrap_err();
    assert!(matches!(&err, Error::NoFeasibleTrials { complete: 2, .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("2 trials completed, but none is feasible"), "{message}");
    assert!(message.contains("every constraint value is <= 0"), "{message}");
    assert!(message.contains(study.name()), "{message}");
    assert_eq!(study.best_value().unwrap_err(), err);
    assert_eq!(study.best_params().unwrap_err(), err);
    assert!(study.best_trials().unwrap().is_empty());

    let one = bounded_below(&[0.1]);
    let message = one.best_trial().unwrap_err().to_string();
    assert!(message.contains("1 trial completed, but it is not feasible"), "{message}");
}

#[test]
fn the_pareto_front_holds_feasible_trials_only() {
    let study = study(&[StudyDirection::Minimize, StudyDirection::Minimize]);
    // (x, y), feasible when x >= 0.5. Trial 0 dominates every other one
    // but is infeasible; among the feasible, trial 3 is dominated by 1.
    for (x, y) in [(0.1, 0.1), (0.6, 0.3), (0.7, 0.2), (0.8, 0.4)] {
        study.enqueue_trial([("x", x), ("y", y)]).unwrap();
    }
    study
        .optimize(4, |trial| -> Result<Vec<f64>, TrialError> {
            let x = trial.suggest_float("x", 0.0, 1.0)?;
            let y = trial.suggest_float("y", 0.0, 1.0)?;
            trial.set_constraint("x_at_least_half", 0.5 - x)?;
            Ok(vec![x, y])
        })
        .unwrap();
    let front: Vec<u64> = study.best_trials().unwrap().iter().map(|t| t.number).collect();
    assert_eq!(front, [1, 2], "the infeasible trial neither joins the front nor pushes feasible ones off it");
}

#[test]
fn a_multi_objective_front_with_no_feasible_trial_is_empty() {
    let study = study(&[StudyDirection::Minimize, StudyDirection::Maximize]);
    let mut trial = study.ask().unwrap();
    trial.set_constraint("c", 1.0).unwrap();
    study.tell(trial, vec![1.0, 2.0]).unwrap();
    assert!(study.best_trials().unwrap().is_empty());
}
