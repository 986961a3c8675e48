//! The vocabulary every other ferrotune crate speaks: search-space
//! distributions, trials and their states, study directions, and the three
//! seams of the engine — [`Sampler`], [`Pruner`] and [`Storage`].
//!
//! Design decision: this crate does no I/O and owns no threads. Samplers and
//! pruners are written against [`StudyView`], an immutable snapshot of a
//! study's trials, so they are pure functions that can be tested with
//! hand-made trial lists; only [`Storage`] implementations touch disks or
//! networks.

mod attr;
mod distribution;
mod error;
pub mod options;
mod sampler;
mod storage;
mod study;
mod trial;

pub use attr::{float_attr, non_finite_float, NON_FINITE_FLOAT_KEY};
pub use distribution::{CategoricalDistribution, Distribution, FloatDistribution, IntDistribution, ParamValue};
pub use error::{Error, Result};
pub use sampler::{Pruner, Sampler, SearchSpace, StudyView};
pub use storage::{AttrScope, NewTrial, Storage, TrialChanges};
pub use study::{dominates, pareto_front, StudyDirection, StudyInfo, METRIC_NAMES_ATTR};
pub use trial::{
    FrozenTrial, FrozenTrialBuilder, TrialParam, TrialParams, TrialState, CONSTRAINTS_ATTR, FAIL_REASON_ATTR,
    RELATIVE_PARAMS_ATTR,
};

/// Attribute values are free-form JSON so that user code, the CLI and the
/// Python package can all store what they need without a schema change.
pub type AttrValue = serde_json::Value;
