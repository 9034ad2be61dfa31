//! The multiverse's numerics: fitting every universe of one panel ([`fit`], the function the
//! engine calls: the fast path where it applies, the standard estimator elsewhere) and summarising the specification
//! curve of one model and key regressor across all universes, with Simonsohn, Simmons &
//! Nelson's (2020) joint test under the null ([`summary`]).
//!
//! Pure: no files, cache, terminal or spec (the spec's `[multiverse]` block re-exports
//! [`Inference`]).

pub mod fit;
pub mod summary;

pub use fit::{
    fit_universes, fit_universes_with, signed_z, Coefficient, FitOutcome, FitPath, FitRequest,
    Inference, NullDraws,
};
pub use summary::{summarise, CurvePoint, JointTest, Summary};
