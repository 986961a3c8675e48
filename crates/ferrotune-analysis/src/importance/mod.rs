//! Parameter importance: which parameters decided how good a trial was.
//!
//! [`ped_anova`] is PED-ANOVA (Watanabe et al., IJCAI 2023, "PED-ANOVA:
//! Efficiently Quantifying Hyperparameter Importance in Arbitrary
//! Subspaces"), with conditional parameters handled as in Optuna 5's
//! `PedAnovaImportanceEvaluator` (each parameter's trials split into
//! regimes by the distribution it had, absence being a regime of its own).
//! Design decision: the numbers follow Optuna's evaluator (the same trial
//! selection, grid and Scott-rule Parzen estimators), so an Optuna user's
//! importances carry over; tests compare the two on the same trials.

mod grid_parzen;
mod ped_anova;

pub use ped_anova::{ped_anova, PedAnovaOptions, Target};
