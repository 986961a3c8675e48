//! Parameter importance: which parameters decided how good a trial was.
//!
//! Three evaluators, Optuna's, on the same trials and parameters
//! (`trials.rs`: complete trials with a finite score, the parameters asked
//! for or every one seen, the report sorted and normalized):
//!
//! - [`ped_anova`] is PED-ANOVA (Watanabe et al., IJCAI 2023, "PED-ANOVA:
//!   Efficiently Quantifying Hyperparameter Importance in Arbitrary
//!   Subspaces"), with conditional parameters handled as in Optuna 5's
//!   `PedAnovaImportanceEvaluator` (each parameter's trials split into
//!   regimes by the distribution it had, absence being a regime of its
//!   own). Its numbers follow Optuna's evaluator (the same trial
//!   selection, grid and Scott-rule Parzen estimators), so an Optuna
//!   user's importances carry over; tests compare the two on the same
//!   trials.
//! - [`fanova`] is fANOVA (Hutter et al., ICML 2014) on a random forest
//!   (`crate::forest`) and [`mean_decrease_impurity`] the same forest's
//!   impurity decreases, as Optuna's `FanovaImportanceEvaluator` and
//!   `MeanDecreaseImpurityImportanceEvaluator`. They agree with Optuna's in
//!   ranking, not in digits: the forests differ in their random draws, and
//!   the trials are encoded as the study sampled them (`encode.rs`: log
//!   scales, conditional parameters) where Optuna drops conditional
//!   parameters and integrates on linear scales.
//!
//! Design decision: PED-ANOVA stays the default of the faces, as in Optuna
//! 5: it needs no model, so it is fast and deterministic.

mod encode;
mod fanova;
mod grid_parzen;
mod ped_anova;
mod trials;

pub use fanova::{fanova, mean_decrease_impurity, ForestOptions};
pub use ped_anova::{ped_anova, PedAnovaOptions};
pub use trials::Target;
