//! The multiverse's numerics: fitting every universe of one panel ([`fit`], the function the
//! engine calls, whose body a faster path can replace) and summarising the specification
//! curve of one model and key regressor across all universes, with Simonsohn, Simmons &
//! Nelson's (2020) joint test under the null ([`summary`]).
//!
//! Pure: no files, cache, terminal or spec (the spec's `[multiverse]` block re-exports
//! [`Inference`]).

pub mod fit;
pub mod summary;

pub use fit::{fit_universes, Coefficient, FitOutcome, FitRequest, Inference, NullDraws};
pub use summary::{summarise, CurvePoint, JointTest, Summary};
