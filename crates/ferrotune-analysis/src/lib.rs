//! Analyses of a study's finished trials: how much each parameter
//! mattered ([`importance`]: PED-ANOVA, fANOVA and mean decrease in
//! impurity, as Optuna's evaluators), the data behind plots ([`plot`]),
//! and several objectives ([`pareto`]: Pareto ranks, crowding distances,
//! the exact hypervolume and hypervolume subset selection).
//!
//! The crate sits beside the samplers, above `ferrotune-core` only: every
//! function takes plain data (trials, directions, options) and returns plain
//! data, so the CLI, the Python package and a dashboard all call the same
//! code and draw the numbers their own way.
//!
//! Design decision: no I/O and no storage here. An analysis reads a slice of
//! `Arc<FrozenTrial>` (what a study's snapshot already holds) rather than a
//! `Storage` or a `Study`, so it is testable on hand-made trials and the
//! faces decide where trials come from.

pub mod cost;
mod forest;
pub mod importance;
pub mod pareto;
pub mod plot;
